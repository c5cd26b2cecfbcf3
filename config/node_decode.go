package config

// The decoder (node.go): a node tree into model values, with the sizes,
// numbers, booleans and templates of non-string fields read as it goes.

import (
	"fmt"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/borealis-dev/borealis/jobkey"
)

var sizeType = reflect.TypeFor[int64]() // every int64 in the model is a size in bytes

// decoder turns a node tree into model values, collecting every problem.
type decoder struct {
	errs *Errors
	// cliBinds are --bind values; bindStack the .bind() maps of the enclosing
	// objects, innermost last. Both serve templates in non-string fields.
	cliBinds  map[string]string
	bindStack []*node
	// objBinds records each object's .bind() map by its path, for templates.
	objBinds map[string]*node
}

func childPath(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

func indexPath(path string, i int) string {
	return fmt.Sprintf("%s[%d]", path, i)
}

// decode reads n into v (settable). A null node leaves v as it is.
func (d *decoder) decode(path string, n *node, v reflect.Value) {
	if n == nil || n.kind == nodeNull {
		return
	}
	t := v.Type()
	switch {
	case t.Kind() == reflect.Pointer:
		elem := reflect.New(t.Elem())
		if t.Elem().Kind() == reflect.Struct {
			elem.Elem().Set(defaultValue(t.Elem()))
		}
		d.decode(path, n, elem.Elem())
		v.Set(elem)
	case t.Kind() == reflect.Struct:
		d.decodeStruct(path, n, v)
	case t.Kind() == reflect.Slice:
		if n.kind != nodeList {
			d.errs.Add(path, "expected a list, got %s", n.describe())
			return
		}
		s := reflect.MakeSlice(t, len(n.list), len(n.list))
		for i, item := range n.list {
			elem := s.Index(i)
			if t.Elem().Kind() == reflect.Struct {
				elem.Set(defaultValue(t.Elem()))
			}
			d.decode(indexPath(path, i), item, elem)
		}
		v.Set(s)
	case t.Kind() == reflect.Map:
		if n.kind != nodeMap || n.typ != "" {
			d.errs.Add(path, "expected a mapping of strings, got %s", n.describe())
			return
		}
		m := reflect.MakeMapWithSize(t, len(n.keys))
		for _, k := range n.keys {
			s := reflect.New(t.Elem()).Elem()
			d.decode(childPath(path, k), n.fields[k], s)
			m.SetMapIndex(reflect.ValueOf(k), s)
		}
		v.Set(m)
	case t == sizeType:
		if size, ok := d.size(path, n); ok {
			v.SetInt(size)
		}
	case t.Kind() == reflect.String:
		d.decodeString(path, n, v)
	case t.Kind() == reflect.Int:
		if i, ok := d.integer(path, n); ok {
			v.SetInt(i)
		}
	case t.Kind() == reflect.Float64:
		if f, ok := d.number(path, n); ok {
			v.SetFloat(f)
		}
	case t.Kind() == reflect.Bool:
		if b, ok := d.boolean(path, n); ok {
			v.SetBool(b)
		}
	default:
		panic("config: no decoder for " + t.String())
	}
}

func (d *decoder) decodeStruct(path string, n *node, v reflect.Value) {
	t := v.Type()
	name := auroraName[t]
	if n.kind != nodeMap {
		d.errs.Add(path, "expected %s, got %s", name, n.describe())
		return
	}
	if n.typ != "" && n.typ != name {
		if choiceTypes[t] {
			// An Aurora object of a member type stands for the choice.
			for i := range t.NumField() {
				f := t.Field(i)
				if auroraName[f.Type.Elem()] == n.typ {
					v.Set(reflect.New(t).Elem())
					d.decode(path, n, v.Field(i))
					return
				}
			}
		}
		d.errs.Add(path, "expected %s, got %s", name, n.describe())
		return
	}
	if choiceTypes[t] {
		v.Set(reflect.New(t).Elem())
	}
	if n.binds != nil {
		d.objBinds[path] = n.binds
		d.bindStack = append(d.bindStack, n.binds)
		defer func() { d.bindStack = d.bindStack[:len(d.bindStack)-1] }()
	}
	idx := fieldIndex(t)
	for _, k := range n.keys {
		i, ok := idx[k]
		if !ok {
			d.errs.Add(childPath(path, k), "unknown field")
			continue
		}
		d.decode(childPath(path, k), n.fields[k], v.Field(i))
	}
}

func (d *decoder) decodeString(path string, n *node, v reflect.Value) {
	switch n.kind {
	case nodeString:
		v.SetString(n.str)
	case nodeInt:
		// Like pystachio's String, numbers are taken as their text.
		v.SetString(strconv.FormatInt(n.i, 10))
	case nodeFloat:
		v.SetString(formatFloat(n.f))
	default:
		d.errs.Add(path, "expected a string, got %s", n.describe())
	}
}

// scalarText is the text of a string node with templates in it resolved
// against binds; ok is false (and a problem recorded) when it cannot be.
func (d *decoder) scalarText(path string, n *node) (string, bool) {
	s := n.str
	if !strings.Contains(s, "{{") {
		return strings.TrimSpace(s), true
	}
	out, err := substituteRefs(s, func(ref string) (string, bool, error) {
		if v, ok := d.cliBinds[ref]; ok {
			return v, true, nil
		}
		for i := len(d.bindStack) - 1; i >= 0; i-- {
			if v, ok, err := lookupNode(d.bindStack[i], ref); ok || err != nil {
				return v, ok, err
			}
		}
		return "", false, nil
	})
	if err != nil {
		d.errs.Add(path, "%v (templates in non-string fields may only use --bind or .bind() values)", err)
		return "", false
	}
	return strings.TrimSpace(out), true
}

func (d *decoder) integer(path string, n *node) (int64, bool) {
	switch n.kind {
	case nodeInt:
		return n.i, true
	case nodeFloat:
		if n.f == math.Trunc(n.f) && math.Abs(n.f) < 1<<53 {
			return int64(n.f), true
		}
	case nodeString:
		s, ok := d.scalarText(path, n)
		if !ok {
			return 0, false
		}
		if i, err := strconv.ParseInt(s, 10, 64); err == nil && i == int64(int(i)) {
			return i, true
		}
	}
	d.errs.Add(path, "expected an integer, got %s", n.describe())
	return 0, false
}

func (d *decoder) number(path string, n *node) (float64, bool) {
	switch n.kind {
	case nodeInt:
		return float64(n.i), true
	case nodeFloat:
		return n.f, true
	case nodeString:
		s, ok := d.scalarText(path, n)
		if !ok {
			return 0, false
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			return f, true
		}
	}
	d.errs.Add(path, "expected a number, got %s", n.describe())
	return 0, false
}

func (d *decoder) boolean(path string, n *node) (bool, bool) {
	switch n.kind {
	case nodeBool:
		return n.b, true
	case nodeString:
		s, ok := d.scalarText(path, n)
		if !ok {
			return false, false
		}
		switch strings.ToLower(s) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	d.errs.Add(path, "expected a boolean, got %s", n.describe())
	return false, false
}

// Size units, 1024-based as in Aurora.
const (
	B  int64 = 1
	KB       = 1024 * B
	MB       = 1024 * KB
	GB       = 1024 * MB
	TB       = 1024 * GB
)

var sizeRE = regexp.MustCompile(`^(\d+(?:\.\d+)?)\s*([KkMmGgTt]?)(?:[Ii]?[Bb])?$`)

// ParseSize reads a size: a number of bytes, optionally with a unit B, KB,
// MB, GB or TB (1024-based; KiB, MiB, ... and K, M, ... mean the same).
func ParseSize(s string) (int64, error) {
	m := sizeRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, fmt.Errorf("invalid size %s (want bytes or a number with unit B, KB, MB, GB or TB)", jobkey.Quote(s))
	}
	f, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, fmt.Errorf("invalid size %s", jobkey.Quote(s))
	}
	unit := map[string]int64{"": B, "k": KB, "m": MB, "g": GB, "t": TB}[strings.ToLower(m[2])]
	bytes := f * float64(unit)
	if bytes >= math.MaxInt64 {
		return 0, fmt.Errorf("size %s is too large", jobkey.Quote(s))
	}
	return int64(math.Round(bytes)), nil
}

func (d *decoder) size(path string, n *node) (int64, bool) {
	switch n.kind {
	case nodeInt:
		return n.i, true
	case nodeFloat:
		if n.f == math.Trunc(n.f) && math.Abs(n.f) < 1<<62 {
			return int64(n.f), true
		}
	case nodeString:
		s, ok := d.scalarText(path, n)
		if !ok {
			return 0, false
		}
		size, err := ParseSize(s)
		if err != nil {
			d.errs.Add(path, "%v", err)
			return 0, false
		}
		return size, true
	}
	d.errs.Add(path, "expected a size (bytes, or a string like \"128MB\"), got %s", n.describe())
	return 0, false
}

// formatFloat writes a float as Python does (1.0, 0.5, 1e-05).
func formatFloat(f float64) string {
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eIN") {
		s += ".0"
	}
	return s
}

// decodeJobs reads the list of jobs under path.
func (d *decoder) decodeJobs(path string, n *node) []*Job {
	if n == nil || n.kind == nodeNull {
		d.errs.Add(path, "is required: a list of jobs")
		return nil
	}
	if n.kind != nodeList {
		d.errs.Add(path, "expected a list of Job, got %s", n.describe())
		return nil
	}
	jobs := make([]*Job, 0, len(n.list))
	for i, item := range n.list {
		job := DefaultJob()
		d.decode(indexPath(path, i), item, reflect.ValueOf(&job).Elem())
		jobs = append(jobs, &job)
	}
	return jobs
}
