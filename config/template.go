package config

import (
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Templates (docs/semantics.md §1): every {{ref}} in a string is resolved at load time.
// A reference is looked up, first match wins, in
//
//  1. the --bind values (LoadOptions.Binds), by the whole reference text;
//  2. the .bind() values of the enclosing Aurora objects, innermost first;
//  3. the fields of the enclosing objects, innermost first: inside a process
//     the process, then its task, then the job (so {{name}} in a cmdline is
//     the process's name, {{role}} the job's, {{task.resources.cpu}} the
//     task's CPU).
//
// A value found is itself resolved (in its own scope) before it is used;
// a loop is an error. When none of these binds a reference, Aurora's
// legacy names are tried last ({{thermos.user}}, {{mesos.role}},
// {{mesos.cluster}}, {{docker.image[NAME][TAG]}}: template_legacy.go).
// {{mesos.instance}}, {{mesos.hostname}}, {{thermos.task_id}},
// {{thermos.ports[NAME]}} and {{secret[NAME]}} stay as they are, to be
// filled at launch.

var templateRE = regexp.MustCompile(`\{\{([^{}]*)\}\}`)

var refPartRE = regexp.MustCompile(`^(?:([A-Za-z_][A-Za-z0-9_\-]*)|\[([^\[\]]*)\])`)

// refPart is one step of a reference: a field name or an [index].
type refPart struct {
	name  string
	index bool
}

func parseRef(ref string) ([]refPart, error) {
	var parts []refPart
	rest := ref
	for rest != "" {
		if len(parts) > 0 && rest[0] == '.' {
			rest = rest[1:]
			if rest == "" || rest[0] == '[' {
				break
			}
		} else if len(parts) > 0 && rest[0] != '[' {
			return nil, fmt.Errorf("invalid template reference {{%s}}", shorten(ref))
		}
		m := refPartRE.FindStringSubmatch(rest)
		if m == nil || (len(parts) == 0 && m[1] == "") {
			return nil, fmt.Errorf("invalid template reference {{%s}}", shorten(ref))
		}
		if m[1] != "" {
			parts = append(parts, refPart{name: m[1]})
		} else {
			parts = append(parts, refPart{name: strings.TrimSpace(m[2]), index: true})
		}
		rest = rest[len(m[0]):]
	}
	if len(parts) == 0 {
		return nil, fmt.Errorf("invalid template reference {{%s}}", shorten(ref))
	}
	return parts, nil
}

// IsLaunchTimeRef reports whether ref (the text between {{ and }}) is filled
// per task at launch rather than at load time.
func IsLaunchTimeRef(ref string) bool {
	ref = strings.TrimSpace(ref)
	switch {
	case ref == "mesos.instance", ref == "thermos.task_id", ref == hostnameRef:
		return true
	case strings.HasPrefix(ref, "thermos.ports[") && strings.HasSuffix(ref, "]"):
		return true
	case isSecretRef(ref):
		return true
	}
	return false
}

// isSecretRef reports whether ref is {{secret[NAME]}}'s inside, filled only
// by the task's worker at start (docs/semantics.md §1.6).
func isSecretRef(ref string) bool {
	return secretRefRE.MatchString("{{" + ref + "}}")
}

// secretAllowed reports whether a value at path may hold a secret
// reference: process cmdlines and Docker parameter values, the only texts
// the worker fills secrets into.
func secretAllowed(path string) bool {
	return strings.HasSuffix(path, ".cmdline") ||
		strings.Contains(path, ".parameters[") && strings.HasSuffix(path, ".value")
}

// substituteRefs replaces every load-time reference in s by lookup's answer;
// it stops at the first reference it cannot resolve, or when the text would
// grow over maxValueBytes.
func substituteRefs(s string, lookup func(ref string) (string, bool, error)) (string, error) {
	var firstErr error
	size := len(s)
	out := templateRE.ReplaceAllStringFunc(s, func(m string) string {
		ref := strings.TrimSpace(m[2 : len(m)-2])
		if firstErr != nil || IsLaunchTimeRef(ref) {
			return m
		}
		if _, err := parseRef(ref); err != nil {
			firstErr = err
			return m
		}
		v, ok, err := lookup(ref)
		switch {
		case err != nil:
			firstErr = err
		case !ok:
			firstErr = fmt.Errorf("unbound template reference {{%s}}", shorten(ref))
		case size+len(v)-len(m) > maxValueBytes:
			firstErr = errTemplateTooLarge
		default:
			size += len(v) - len(m)
			return v
		}
		return m
	})
	return out, firstErr
}

// lookupNode finds ref in a .bind() mapping.
func lookupNode(n *node, ref string) (string, bool, error) {
	parts, err := parseRef(ref)
	if err != nil {
		return "", false, err
	}
	cur := n
	for _, p := range parts {
		switch {
		case cur.kind == nodeMap:
			next, ok := cur.fields[p.name]
			if !ok {
				return "", false, nil
			}
			cur = next
		case cur.kind == nodeList && p.index:
			i, err := strconv.Atoi(p.name)
			if err != nil || i < 0 || i >= len(cur.list) {
				return "", false, nil
			}
			cur = cur.list[i]
		default:
			return "", false, nil
		}
	}
	switch cur.kind {
	case nodeString:
		return cur.str, true, nil
	case nodeInt:
		return strconv.FormatInt(cur.i, 10), true, nil
	case nodeFloat:
		return formatFloat(cur.f), true, nil
	case nodeBool:
		return pyBool(cur.b), true, nil
	case nodeNull:
		return "", false, nil
	}
	return "", false, fmt.Errorf("template reference {{%s}} is %s, not a value", shorten(ref), cur.describe())
}

func pyBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

// scope is an enclosing object: a struct value and its path.
type scope struct {
	v    reflect.Value
	path string
}

const (
	maxTemplateDepth = 64
	// maxTemplateWork bounds the substitutions of one load, so that values
	// that expand exponentially ({{a}} = {{b}}{{b}}, ...) fail fast.
	maxTemplateWork = 100_000
	// maxTemplateBytes bounds the text templates make in one load, as
	// maxTemplateWork bounds their number: one reference to a large value
	// repeated many times makes a lot of text in little work.
	maxTemplateBytes = maxAllocBytes
)

// errTemplateTooLarge is a template whose text would be over maxValueBytes.
var errTemplateTooLarge = fmt.Errorf("templates expand to over %d bytes (16 MiB), the limit per value", maxValueBytes)

type resolver struct {
	errs     *Errors
	cli      map[string]string
	objBinds map[string]*node
	visiting map[uintptr]bool
	done     map[uintptr]bool
	depth    int
	work     int
	// made is the text substitutions made so far, in bytes.
	made int
}

func resolveTemplates(jobs []*Job, cli map[string]string, objBinds map[string]*node, errs *Errors) {
	r := &resolver{errs: errs, cli: cli, objBinds: objBinds, visiting: map[uintptr]bool{}, done: map[uintptr]bool{}}
	for i, j := range jobs {
		r.walk(reflect.ValueOf(j).Elem(), indexPath("jobs", i), nil)
	}
}

// walk resolves every string under v.
func (r *resolver) walk(v reflect.Value, path string, scopes []scope) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			r.walk(v.Elem(), path, scopes)
		}
	case reflect.Struct:
		inner := append([]scope{{v: v, path: path}}, scopes...)
		t := v.Type()
		for i := range t.NumField() {
			if name := jsonName(t, i); name != "" {
				r.walk(v.Field(i), childPath(path, name), inner)
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			r.walk(v.Index(i), indexPath(path, i), scopes)
		}
	case reflect.Map:
		keys := v.MapKeys()
		sort.Slice(keys, func(a, b int) bool { return keys[a].String() < keys[b].String() })
		for _, k := range keys {
			val := v.MapIndex(k).String()
			v.SetMapIndex(k, reflect.ValueOf(r.text(val, childPath(path, k.String()), scopes)))
		}
	case reflect.String:
		r.field(v, path, scopes)
	}
}

func jsonName(t reflect.Type, i int) string {
	name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
	return name
}

// field resolves the string field v in place, once.
func (r *resolver) field(v reflect.Value, path string, scopes []scope) {
	addr := v.Addr().Pointer()
	if r.done[addr] {
		return
	}
	if r.visiting[addr] {
		r.errs.Add(path, "template loop: its value refers back to itself")
		r.done[addr] = true
		return
	}
	r.visiting[addr] = true
	out := r.text(v.String(), path, scopes)
	delete(r.visiting, addr)
	if !r.done[addr] {
		v.SetString(out)
		r.done[addr] = true
	}
}

// text resolves the references in s, which sits at path within scopes.
func (r *resolver) text(s, path string, scopes []scope) string {
	if !strings.Contains(s, "{{") {
		return s
	}
	if r.depth >= maxTemplateDepth {
		r.errs.Add(path, "templates nest too deeply (is there a loop?)")
		return s
	}
	r.depth++
	defer func() { r.depth-- }()
	r.work++
	if r.work == maxTemplateWork {
		r.errs.Add(path, "templates expand too much (is there a loop?)")
	}
	if r.work >= maxTemplateWork {
		return s
	}
	size, tooLarge := len(s), false
	out := templateRE.ReplaceAllStringFunc(s, func(m string) string {
		if tooLarge || r.work >= maxTemplateWork {
			return m
		}
		ref := strings.TrimSpace(m[2 : len(m)-2])
		if isSecretRef(ref) && !secretAllowed(path) {
			r.errs.Add(path, "{{%s}}: secrets are filled only in process cmdlines and Docker parameter values", shorten(ref))
			return m
		}
		if IsLaunchTimeRef(ref) {
			return m
		}
		parts, err := parseRef(ref)
		if err != nil {
			r.errs.Add(path, "%v", err)
			return m
		}
		v, ok, err := r.lookup(ref, parts, path, scopes)
		if err == nil && !ok {
			v, ok, err = r.legacy(ref, parts, scopes)
		}
		if err != nil {
			r.errs.Add(path, "%v", err)
			return m
		}
		if !ok {
			r.errs.Add(path, "unbound template reference {{%s}}", shorten(ref))
			return m
		}
		if size+len(v)-len(m) > maxValueBytes {
			r.errs.Add(path, "%v", errTemplateTooLarge)
			tooLarge = true
			return m
		}
		size += len(v) - len(m)
		return v
	})
	if r.made += len(out); r.made > maxTemplateBytes {
		// Every later call returns its text as it is.
		r.errs.Add(path, "templates expand to over %d MiB in all, the limit for a config", maxTemplateBytes>>20)
		r.work = maxTemplateWork + 1
	}
	return out
}

func (r *resolver) lookup(ref string, parts []refPart, path string, scopes []scope) (string, bool, error) {
	if v, ok := r.cli[ref]; ok {
		return r.text(v, path, scopes), true, nil
	}
	for _, sc := range scopes {
		if b := r.objBinds[sc.path]; b != nil {
			v, ok, err := lookupNode(b, ref)
			if err != nil {
				return "", false, err
			}
			if ok {
				return r.text(v, path, scopes), true, nil
			}
		}
	}
	for i := range scopes {
		if v, ok, err := r.lookupIn(ref, parts, scopes[i:]); ok || err != nil {
			return v, ok, err
		}
	}
	return "", false, nil
}

// lookupIn follows parts from the struct chain[0]; chain is that struct and
// its enclosing scopes.
func (r *resolver) lookupIn(ref string, parts []refPart, chain []scope) (string, bool, error) {
	cur, curPath := chain[0].v, chain[0].path
	first := true
	for _, p := range parts {
		for cur.Kind() == reflect.Pointer {
			if cur.IsNil() {
				return "", false, nil
			}
			cur = cur.Elem()
		}
		switch {
		case p.index && cur.Kind() == reflect.Slice:
			i, err := strconv.Atoi(p.name)
			if err != nil || i < 0 || i >= cur.Len() {
				return "", false, nil
			}
			cur, curPath = cur.Index(i), indexPath(curPath, i)
		case p.index && cur.Kind() == reflect.Map:
			val := cur.MapIndex(reflect.ValueOf(p.name))
			if !val.IsValid() {
				return "", false, nil
			}
			return r.text(val.String(), childPath(curPath, p.name), chain), true, nil
		case !p.index && cur.Kind() == reflect.Struct:
			if !first {
				chain = append([]scope{{v: cur, path: curPath}}, chain...)
			}
			i, ok := fieldIndex(cur.Type())[p.name]
			if !ok {
				return "", false, nil
			}
			next := cur.Field(i)
			if p.name == "name" && next.String() == "" {
				// Derived names: a task is named after its first process,
				// a job after its task.
				switch o := cur.Addr().Interface().(type) {
				case *Task:
					if len(o.Processes) > 0 {
						return r.lookupIn(ref, []refPart{{name: "processes"}, {name: "0", index: true}, {name: "name"}}, chain)
					}
				case *Job:
					if o.Task != nil {
						return r.lookupIn(ref, []refPart{{name: "task"}, {name: "name"}}, chain)
					}
				}
			}
			cur, curPath = next, childPath(curPath, p.name)
		default:
			return "", false, nil
		}
		first = false
	}
	for cur.Kind() == reflect.Pointer {
		if cur.IsNil() {
			return "", false, nil
		}
		cur = cur.Elem()
	}
	switch cur.Kind() {
	case reflect.String:
		if cur.CanAddr() {
			if cur.Type() == reflect.TypeFor[string]() {
				r.field(cur, curPath, chain)
			}
			return cur.String(), true, nil
		}
		return r.text(cur.String(), curPath, chain), true, nil
	case reflect.Int, reflect.Int64:
		return strconv.FormatInt(cur.Int(), 10), true, nil
	case reflect.Float64:
		return formatFloat(cur.Float()), true, nil
	case reflect.Bool:
		return pyBool(cur.Bool()), true, nil
	}
	return "", false, fmt.Errorf("template reference {{%s}} is an object, not a value", shorten(ref))
}
