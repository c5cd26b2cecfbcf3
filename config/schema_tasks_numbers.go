package config

// The numbers of the task helpers (schema_tasks.go): a task's resources and
// finalization_wait read while the file runs, and how they add up.

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"go.starlark.net/starlark"
)

// resourceTotals are a Resources' numbers; a field left out is 0.
type resourceTotals struct {
	cpu            float64
	ram, disk, gpu int64
}

// readTaskResources reads a task's resources, each field as pystachio's
// safe_get does: 0 when left out.
func readTaskResources(task *object) (resourceTotals, error) {
	var r resourceTotals
	var fields map[string]starlark.Value
	scopes := []*object{task}
	switch x := task.fields["resources"].(type) {
	case nil, starlark.NoneType:
		return r, nil
	case *object:
		if x.kind != "Resources" {
			return r, fmt.Errorf("want Resources, got %s", x.kind)
		}
		fields = x.fields
		scopes = []*object{x, task}
	case *starlark.Dict:
		fields = map[string]starlark.Value{}
		for _, kv := range x.Items() {
			if k, ok := kv[0].(starlark.String); ok {
				fields[string(k)] = kv[1]
			}
		}
	default:
		return r, fmt.Errorf("want Resources, got %s", x.Type())
	}
	var err error
	if v, ok := fields["cpu"]; ok {
		if r.cpu, err = taskFloat(v, scopes); err != nil {
			return r, fmt.Errorf("cpu: %w", err)
		}
	}
	for _, f := range []struct {
		name string
		dst  *int64
		size bool
	}{{"ram", &r.ram, true}, {"disk", &r.disk, true}, {"gpu", &r.gpu, false}} {
		if v, ok := fields[f.name]; ok {
			if *f.dst, err = taskInt(v, scopes, f.size); err != nil {
				return r, fmt.Errorf("%s: %w", f.name, err)
			}
		}
	}
	return r, nil
}

func (r resourceTotals) sum(o resourceTotals) resourceTotals {
	return resourceTotals{cpu: r.cpu + o.cpu, ram: addSaturating(r.ram, o.ram), disk: addSaturating(r.disk, o.disk), gpu: addSaturating(r.gpu, o.gpu)}
}

func (r resourceTotals) max(o resourceTotals) resourceTotals {
	return resourceTotals{cpu: math.Max(r.cpu, o.cpu), ram: max(r.ram, o.ram), disk: max(r.disk, o.disk), gpu: max(r.gpu, o.gpu)}
}

// addSaturating is a + b, held at the int64 bounds rather than wrapping (the
// result fails validation's bounds either way).
func addSaturating(a, b int64) int64 {
	switch {
	case b > 0 && a > math.MaxInt64-b:
		return math.MaxInt64
	case b < 0 && a < math.MinInt64-b:
		return math.MinInt64
	}
	return a + b
}

// errMergeNotANumber says what a merged field must be.
var errMergeNotANumber = errors.New("must be a number by the time tasks are combined")

// taskText is v's text with its templates filled from the .bind() values
// of scopes (innermost first); ok is false when v is no text.
func taskText(v starlark.Value, scopes []*object) (string, bool, error) {
	s, ok := v.(starlark.String)
	if !ok {
		return "", false, nil
	}
	text := string(s)
	if !strings.Contains(text, "{{") {
		return strings.TrimSpace(text), true, nil
	}
	binds := make([]*node, 0, len(scopes))
	for _, o := range scopes {
		if len(o.bkeys) == 0 {
			continue
		}
		n := newMap("")
		for _, k := range o.bkeys {
			c, err := starlarkToNode(o.binds[k], 1)
			if err != nil {
				return "", true, err
			}
			n.set(k, c)
		}
		binds = append(binds, n)
	}
	out, err := substituteRefs(text, func(ref string) (string, bool, error) {
		for _, n := range binds {
			if v, ok, err := lookupNode(n, ref); ok || err != nil {
				return v, ok, err
			}
		}
		return "", false, nil
	})
	if err != nil {
		return "", true, fmt.Errorf("%w (%v; only .bind() values of the task or its Resources are known then)", errMergeNotANumber, err)
	}
	if strings.Contains(out, "{{") {
		return "", true, fmt.Errorf("%w, got %s", errMergeNotANumber, shorten(s.String()))
	}
	return strings.TrimSpace(out), true, nil
}

// taskFloat reads a number: an int, a float or text that is one.
func taskFloat(v starlark.Value, scopes []*object) (float64, error) {
	switch x := v.(type) {
	case starlark.NoneType:
		return 0, nil
	case starlark.Int:
		i, ok := x.Int64()
		if !ok {
			return 0, fmt.Errorf("integer %s is too large", shorten(x.String()))
		}
		return float64(i), nil
	case starlark.Float:
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return 0, fmt.Errorf("must be a finite number, got %v", float64(x))
		}
		return float64(x), nil
	}
	s, isText, err := taskText(v, scopes)
	if err != nil {
		return 0, err
	}
	if isText {
		if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			return f, nil
		}
		return 0, fmt.Errorf("expected a number, got %s", shorten(strconv.Quote(s)))
	}
	return 0, fmt.Errorf("expected a number, got %s", v.Type())
}

// taskInt reads an integer, or a size in bytes when size is set (text with
// a unit, '128MB').
func taskInt(v starlark.Value, scopes []*object, size bool) (int64, error) {
	switch x := v.(type) {
	case starlark.NoneType:
		return 0, nil
	case starlark.Int:
		i, ok := x.Int64()
		if !ok {
			return 0, fmt.Errorf("integer %s is too large", shorten(x.String()))
		}
		return i, nil
	case starlark.Float:
		if f := float64(x); f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return int64(f), nil
		}
		return 0, fmt.Errorf("expected an integer, got %v", float64(x))
	}
	s, isText, err := taskText(v, scopes)
	if err != nil {
		return 0, err
	}
	if !isText {
		return 0, fmt.Errorf("expected an integer, got %s", v.Type())
	}
	if size {
		return ParseSize(s)
	}
	i, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("expected an integer, got %s", shorten(strconv.Quote(s)))
	}
	return i, nil
}
