package config

import "go.starlark.net/starlark"

// pythonPredeclared are the names of Python and Pystachio that Aurora
// configs use: Pystachio's types and Struct classes (python_struct.go),
// and, under reserved names, the built-ins that translated import and
// class statements call (python_translate.go, python_modules.go).
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
		pyClassBuiltin: starlark.NewBuiltin(pyClassBuiltin, pyClass),
	}
	for name, m := range newPythonModules() {
		d[pyModuleVar(name)] = m
	}
	return d
}
