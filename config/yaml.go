package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// YAML and JSON files (JSON is read as YAML) hold a mapping with one key,
// jobs, a list of jobs; objects are mappings with Aurora's field names and a
// choice is a one-key mapping named after its kind ({http: {...}}).

// maxYAMLNodes bounds the tree an aliased YAML document may expand to.
const (
	maxYAMLNodes = 1_000_000
	maxYAMLDepth = 200
)

type yamlReader struct {
	name      string
	errs      *Errors
	count     int
	depth     int
	expanding map[*yaml.Node]bool // aliased nodes being expanded
}

// parseYAML reads a YAML or JSON document and returns its jobs list.
func parseYAML(name string, data []byte) (*node, *Errors) {
	errs := &Errors{}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		errs.Add(name, "%s", strings.TrimPrefix(err.Error(), "yaml: "))
		return nil, errs
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		errs.Add("jobs", "is required: the file is empty")
		return nil, errs
	}
	r := &yamlReader{name: name, errs: errs, expanding: map[*yaml.Node]bool{}}
	root := r.convert("", doc.Content[0])
	if root == nil {
		return nil, errs
	}
	if root.kind != nodeMap {
		errs.Add(name, "expected a mapping with a jobs list, got %s", root.describe())
		return nil, errs
	}
	for _, k := range root.keys {
		if k != "jobs" {
			errs.Add(k, "unknown field")
		}
	}
	jobs := root.fields["jobs"]
	if jobs == nil {
		errs.Add("jobs", "is required: a list of jobs")
		return nil, errs
	}
	return jobs, errs
}

func (r *yamlReader) at(y *yaml.Node) string {
	return fmt.Sprintf("%s:%d:%d", r.name, y.Line, y.Column)
}

// convert turns a YAML node into a node; path is for messages.
func (r *yamlReader) convert(path string, y *yaml.Node) *node {
	r.count++
	r.depth++
	defer func() { r.depth-- }()
	if r.depth > maxYAMLDepth {
		r.errs.Add(r.at(y), "%s: nested too deeply", displayPath(path))
		return nil
	}
	if r.count > maxYAMLNodes {
		if r.count == maxYAMLNodes+1 {
			r.errs.Add(r.at(y), "document too large (aliases expand to over %d nodes)", maxYAMLNodes)
		}
		return nil
	}
	switch y.Kind {
	case yaml.DocumentNode:
		if len(y.Content) == 0 {
			return &node{kind: nodeNull}
		}
		return r.convert(path, y.Content[0])
	case yaml.AliasNode:
		if y.Alias == nil || r.expanding[y.Alias] {
			r.errs.Add(r.at(y), "%s: alias refers to itself", displayPath(path))
			return nil
		}
		r.expanding[y.Alias] = true
		defer delete(r.expanding, y.Alias)
		return r.convert(path, y.Alias)
	case yaml.ScalarNode:
		return r.scalar(path, y)
	case yaml.SequenceNode:
		n := &node{kind: nodeList}
		for i, c := range y.Content {
			cn := r.convert(indexPath(path, i), c)
			if cn == nil {
				return nil
			}
			n.list = append(n.list, cn)
		}
		return n
	case yaml.MappingNode:
		n := newMap("")
		if !r.mapping(path, y, n, map[string]bool{}) {
			return nil
		}
		return n
	}
	r.errs.Add(r.at(y), "unexpected YAML node")
	return nil
}

// mapping adds y's pairs to n; explicit keys win over merged (<<) ones.
func (r *yamlReader) mapping(path string, y *yaml.Node, n *node, explicit map[string]bool) bool {
	var merges []*yaml.Node
	for i := 0; i+1 < len(y.Content); i += 2 {
		k, v := y.Content[i], y.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			merges = append(merges, v)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			r.errs.Add(r.at(k), "%s: mapping keys must be strings", displayPath(path))
			continue
		}
		key := k.Value
		if explicit[key] {
			r.errs.Add(childPath(path, key), "duplicate field")
			continue
		}
		explicit[key] = true
		cn := r.convert(childPath(path, key), v)
		if cn == nil {
			return false
		}
		n.set(key, cn)
	}
	for _, m := range merges {
		for m.Kind == yaml.AliasNode && m.Alias != nil && !r.expanding[m.Alias] {
			m = m.Alias
		}
		srcs := []*yaml.Node{m}
		if m.Kind == yaml.SequenceNode {
			srcs = m.Content
		}
		for _, src := range srcs {
			for src.Kind == yaml.AliasNode && src.Alias != nil && !r.expanding[src.Alias] {
				src = src.Alias
			}
			if src.Kind != yaml.MappingNode {
				r.errs.Add(r.at(src), "%s: << merges a mapping only", displayPath(path))
				continue
			}
			tmp := newMap("")
			r.expanding[src] = true
			ok := r.mapping(path, src, tmp, map[string]bool{})
			delete(r.expanding, src)
			if !ok {
				return false
			}
			for _, k := range tmp.keys {
				if _, ok := n.fields[k]; !ok {
					n.set(k, tmp.fields[k])
				}
			}
		}
	}
	return true
}

func displayPath(path string) string {
	if path == "" {
		return "document"
	}
	return path
}

func (r *yamlReader) scalar(path string, y *yaml.Node) *node {
	switch y.ShortTag() {
	case "!!null":
		return &node{kind: nodeNull}
	case "!!bool":
		var b bool
		if err := y.Decode(&b); err == nil {
			return &node{kind: nodeBool, b: b}
		}
	case "!!int":
		var i int64
		if err := y.Decode(&i); err == nil {
			return &node{kind: nodeInt, i: i}
		}
		r.errs.Add(displayPath(path), "integer %s is out of range", shorten(y.Value))
		return &node{kind: nodeNull}
	case "!!float":
		var f float64
		if err := y.Decode(&f); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			return &node{kind: nodeFloat, f: f}
		}
		if f, err := strconv.ParseFloat(y.Value, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			return &node{kind: nodeFloat, f: f}
		}
		r.errs.Add(displayPath(path), "invalid number %s", shorten(y.Value))
		return &node{kind: nodeNull}
	}
	return &node{kind: nodeString, str: y.Value}
}
