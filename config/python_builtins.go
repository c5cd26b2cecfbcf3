package config

import (
	"fmt"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// pythonPredeclared are the names of Python and Pystachio that Aurora
// configs use: Pystachio's types and Struct classes (python_types.go,
// python_struct_class.go), Python's sum, open and __import__ (the last two
// refused when called), and, under reserved names, the built-ins that
// translated import and class statements call (python_translate.go,
// python_modules.go).
func pythonPredeclared() starlark.StringDict {
	d := starlark.StringDict{
		"Struct":       &pyStructType{name: "Struct", base: true, index: map[string]int{}},
		"Default":      starlark.NewBuiltin("Default", pyDefaultBuiltin),
		"Required":     starlark.NewBuiltin("Required", pyRequiredBuiltin),
		"String":       pyString,
		"Integer":      pyInteger,
		"Float":        pyFloat,
		"Boolean":      pyBoolean,
		"List":         starlark.NewBuiltin("List", pyListBuiltin),
		"Map":          starlark.NewBuiltin("Map", pyMapBuiltin),
		"sum":          starlark.NewBuiltin("sum", pySum),
		"open":         pyRefusedBuiltin("open", "an Aurora file cannot read files; pass values with --bind"),
		"__import__":   pyRefusedBuiltin("__import__", "write import MODULE (supported: "+pySupportedModules()+")"),
		pyClassBuiltin: starlark.NewBuiltin(pyClassBuiltin, pyClass),
	}
	for name, m := range newPythonModules() {
		d[pyModuleVar(name)] = m
	}
	return d
}

// pyRefusedBuiltin is a Python built-in an Aurora file may name but not
// call, as it would reach outside the file: calling it says why.
func pyRefusedBuiltin(name, why string) *starlark.Builtin {
	return starlark.NewBuiltin(name, func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
		return nil, fmt.Errorf("%s() is not supported: %s", name, why)
	})
}

// pySum is Python's sum(iterable, start=0), of numbers: booleans count as
// 0 and 1, and the sum is a float once a float is added.
func pySum(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var seq starlark.Iterable
	var start starlark.Value = starlark.MakeInt(0)
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "iterable", &seq, "start?", &start); err != nil {
		return nil, err
	}
	acc, err := pySumNumber(start, "start")
	if err != nil {
		return nil, err
	}
	it := seq.Iterate()
	defer it.Done()
	var x starlark.Value
	for i := 0; it.Next(&x); i++ {
		n, err := pySumNumber(x, fmt.Sprintf("element %d", i))
		if err != nil {
			return nil, err
		}
		if acc, err = starlark.Binary(syntax.PLUS, acc, n); err != nil {
			return nil, fmt.Errorf("sum: %v", err)
		}
	}
	return acc, nil
}

// pySumNumber is v as a number sum adds.
func pySumNumber(v starlark.Value, what string) (starlark.Value, error) {
	switch x := v.(type) {
	case starlark.Int, starlark.Float:
		return x, nil
	case starlark.Bool:
		return starlark.MakeInt(pyBoolInt(bool(x))), nil
	case starlark.String:
		return nil, fmt.Errorf(`sum: %s is a string: sum adds numbers; join strings with "".join(...)`, what)
	}
	return nil, fmt.Errorf("sum: %s is %s: sum adds numbers", what, pyArticle(v.Type()))
}
