package config

// Import statements in Starlark (python_translate.go): import M [as N], ...
// and from M import a [as b], ... become assignments of the supported
// modules of python_modules.go, on the statement's lines.

import (
	"sort"
	"strings"
)

// pyModuleVar is the predeclared name of a supported module's value.
func pyModuleVar(module string) string {
	return pyPrefix + strings.ReplaceAll(module, ".", "_")
}

// pythonFutures are Python's __future__ features.
var pythonFutures = map[string]bool{
	"nested_scopes": true, "generators": true, "division": true,
	"absolute_import": true, "with_statement": true, "print_function": true,
	"unicode_literals": true, "barry_as_FLUFL": true, "generator_stop": true,
	"annotations": true,
}

// pyBinding is one name an import statement binds: name = expr.
type pyBinding struct{ name, expr string }

// importStmt translates an import or from ... import statement, st, of a
// logical line indented by indent.
func (tr *pyTranslator) importStmt(indent string, st []pyTok) {
	var binds []pyBinding
	var ok bool
	if st[0].text == "import" {
		binds, ok = tr.importNames(st)
	} else {
		binds, ok = tr.fromImport(st)
	}
	if !ok {
		return
	}
	code := "pass"
	if len(binds) > 0 {
		parts := make([]string, len(binds))
		for j, b := range binds {
			parts[j] = b.name + " = " + b.expr
		}
		code = strings.Join(parts, "; ")
	}
	start, end := st[0].start, st[len(st)-1].end
	if breaks := pyCountLineBreaks(tr.src[start:end]); breaks > 0 {
		// The statement spans lines (from m import (a,\n b)): the
		// assignments go on its last line, with its indentation, so that
		// what follows on that line (; x = 1) still follows them.
		// When another statement precedes it on its first line, that
		// line now ends with the ; after that statement, which is allowed.
		code = strings.Repeat("\n", breaks) + indent + code
	}
	tr.edits = append(tr.edits, pyEdit{start: start, end: end, text: code})
}

// pySupportedModules names the importable modules, for messages.
func pySupportedModules() string {
	names := make([]string, 0, len(pythonModules))
	for m := range pythonModules {
		names = append(names, m)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// pyDottedName reads NAME(.NAME)* from toks[i:], returning it and the index
// after it.
func pyDottedName(toks []pyTok, i int) (string, int) {
	if i >= len(toks) || toks[i].kind != pyName {
		return "", i
	}
	name := toks[i].text
	i++
	for i+1 < len(toks) && toks[i].is(pyOp, ".") && toks[i+1].kind == pyName {
		name += "." + toks[i+1].text
		i += 2
	}
	return name, i
}

// pyAsName reads an optional "as NAME" at toks[i:].
func pyAsName(toks []pyTok, i int) (string, int, bool) {
	if i < len(toks) && toks[i].is(pyName, "as") {
		if i+1 < len(toks) && toks[i+1].kind == pyName {
			return toks[i+1].text, i + 2, true
		}
		return "", i, false
	}
	return "", i, true
}

// importNames translates import M [as N], ...
func (tr *pyTranslator) importNames(st []pyTok) ([]pyBinding, bool) {
	const want = "want import MODULE [as NAME], ..."
	var binds []pyBinding
	i := 1
	for {
		module, j := pyDottedName(st, i)
		if module == "" {
			tr.errorf(st[0], "invalid import statement: %s", want)
			return nil, false
		}
		if _, ok := pythonModules[module]; !ok {
			tr.errorf(st[0], "import of module %q is not supported (supported: %s)", module, pySupportedModules())
			return nil, false
		}
		alias, j, ok := pyAsName(st, j)
		if !ok {
			tr.errorf(st[0], "invalid import statement: %s", want)
			return nil, false
		}
		switch {
		case alias != "":
			binds = append(binds, pyBinding{alias, pyModuleVar(module)})
		default:
			// import os.path binds os, as in Python.
			top, _, _ := strings.Cut(module, ".")
			binds = append(binds, pyBinding{top, pyModuleVar(top)})
		}
		if j == len(st) {
			return binds, true
		}
		if !st[j].is(pyOp, ",") || j+1 == len(st) {
			tr.errorf(st[0], "invalid import statement: %s", want)
			return nil, false
		}
		i = j + 1
	}
}

// fromImport translates from M import a [as b], ... (names in brackets or
// not) and from __future__ import ....
func (tr *pyTranslator) fromImport(st []pyTok) ([]pyBinding, bool) {
	const want = "want from MODULE import NAME [as NAME], ..."
	if len(st) > 1 && st[1].is(pyOp, ".") || len(st) > 1 && st[1].is(pyOp, "...") {
		tr.errorf(st[0], "relative imports are not supported (supported modules: %s)", pySupportedModules())
		return nil, false
	}
	module, i := pyDottedName(st, 1)
	if module == "" || i >= len(st) || !st[i].is(pyName, "import") {
		tr.errorf(st[0], "invalid import statement: %s", want)
		return nil, false
	}
	i++
	members, future := pythonModules[module], module == "__future__"
	if !future && members == nil {
		tr.errorf(st[0], "import of module %q is not supported (supported: %s)", module, pySupportedModules())
		return nil, false
	}
	names := st[i:]
	if len(names) == 1 && names[0].is(pyOp, "*") {
		tr.errorf(st[0], "from %s import * is not supported: name what you use", module)
		return nil, false
	}
	if len(names) >= 2 && names[0].is(pyOp, "(") && names[len(names)-1].is(pyOp, ")") {
		names = names[1 : len(names)-1]
		if len(names) > 0 && names[len(names)-1].is(pyOp, ",") {
			names = names[:len(names)-1] // a trailing comma, in brackets only
		}
	}
	var binds []pyBinding
	for j := 0; ; {
		if j >= len(names) || names[j].kind != pyName {
			tr.errorf(st[0], "invalid import statement: %s", want)
			return nil, false
		}
		member := names[j]
		alias, k, ok := pyAsName(names, j+1)
		if !ok {
			tr.errorf(st[0], "invalid import statement: %s", want)
			return nil, false
		}
		if alias == "" {
			alias = member.text
		}
		switch {
		case future:
			if !pythonFutures[member.text] {
				tr.errorf(member, "future feature %s is not defined", member.text)
				return nil, false
			}
		case !members[member.text]:
			tr.errorf(member, "cannot import name %q from %q (%s has: %s)", member.text, module, module, strings.Join(pythonModuleMembers(module), ", "))
			return nil, false
		default:
			binds = append(binds, pyBinding{alias, pyModuleVar(module) + "." + member.text})
		}
		if k == len(names) {
			return binds, true
		}
		if !names[k].is(pyOp, ",") {
			tr.errorf(st[0], "invalid import statement: %s", want)
			return nil, false
		}
		j = k + 1
	}
}
