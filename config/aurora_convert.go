package config

// The values an Aurora file builds (aurora.go) become a node tree
// (node.go), which the decoder reads as it reads YAML.

import (
	"errors"
	"fmt"

	"go.starlark.net/starlark"
)

// maxNodes bounds the values of an Aurora file's jobs, as maxYAMLNodes does
// for YAML: a list that holds another many times expands to a tree.
const maxNodes = 1_000_000

// nodeConverter converts the values built by an Aurora file.
type nodeConverter struct {
	left int // nodes it may still make
}

// starlarkToNode converts a value built by an Aurora file.
func starlarkToNode(v starlark.Value, depth int) (*node, error) {
	cv := &nodeConverter{left: maxNodes}
	return cv.convert(v, depth)
}

func (cv *nodeConverter) convert(v starlark.Value, depth int) (*node, error) {
	if depth > maxNesting {
		return nil, errors.New("value nests too deeply (does a list contain itself?)")
	}
	if cv.left--; cv.left < 0 {
		return nil, fmt.Errorf("value too large: over %d values (does a list hold another many times?)", maxNodes)
	}
	switch v := v.(type) {
	case starlark.NoneType:
		return &node{kind: nodeNull}, nil
	case starlark.Bool:
		return &node{kind: nodeBool, b: bool(v)}, nil
	case starlark.Int:
		i, ok := v.Int64()
		if !ok {
			return nil, fmt.Errorf("integer %s is too large", shorten(v.String()))
		}
		return &node{kind: nodeInt, i: i}, nil
	case starlark.Float:
		return &node{kind: nodeFloat, f: float64(v)}, nil
	case starlark.String:
		return &node{kind: nodeString, str: string(v)}, nil
	case starlark.Indexable: // list, tuple
		if _, ok := v.(starlark.String); ok {
			break
		}
		n := &node{kind: nodeList}
		for i := range v.Len() {
			c, err := cv.convert(v.Index(i), depth+1)
			if err != nil {
				return nil, err
			}
			n.list = append(n.list, c)
		}
		return n, nil
	case *starlark.Dict:
		n := newMap("")
		for _, kv := range v.Items() {
			k, ok := starlark.AsString(kv[0])
			if !ok {
				return nil, fmt.Errorf("mapping keys must be strings, got %s", kv[0].Type())
			}
			c, err := cv.convert(kv[1], depth+1)
			if err != nil {
				return nil, err
			}
			n.set(k, c)
		}
		return n, nil
	case *object:
		n := newMap(v.kind)
		for _, k := range v.keys {
			c, err := cv.convert(v.fields[k], depth+1)
			if err != nil {
				return nil, fmt.Errorf("%s.%s: %w", v.kind, k, err)
			}
			n.set(k, c)
		}
		if len(v.bkeys) > 0 {
			n.binds = newMap("")
			for _, k := range v.bkeys {
				c, err := cv.convert(v.binds[k], depth+1)
				if err != nil {
					return nil, fmt.Errorf("%s.bind(%s): %w", v.kind, k, err)
				}
				n.binds.set(k, c)
			}
		}
		return n, nil
	}
	return nil, fmt.Errorf("cannot use a %s as a config value", v.Type())
}
