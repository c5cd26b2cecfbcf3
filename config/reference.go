package config

import (
	"fmt"
	"io"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/borealis-dev/borealis/jobkey"
)

// The configuration reference (`borealis config reference`,
// docs/config-reference.md) is generated from the model itself: field names
// and types by reflection over the structs of model.go, defaults from the
// Default* constructors of defaults.go, and meanings from the tables of
// reference_fields.go. A test fails when a model field or object has no entry
// there, so the reference cannot drift from the code.

// ObjectDoc documents one configuration object.
type ObjectDoc struct {
	// Name is the Aurora name: Process, HttpHealthChecker, ...
	Name string
	// Summary says what the object is, in Markdown.
	Summary string
	// Fields lists the object's fields in declaration order.
	Fields []FieldDoc
}

// FieldDoc documents one field of an object.
type FieldDoc struct {
	// Name is the field's name in every format (Aurora keyword, YAML/JSON key).
	Name string
	// Type is the Aurora type: String, Integer, Float, Boolean, List(X),
	// Map(String, String) or an object name.
	Type string
	// Default is the default as written in an .aurora file ('/health', 15.0,
	// True, HealthCheckConfig()), or "required", "unset", or a phrase for a
	// default computed from other fields.
	Default string
	// Literal tells whether Default is a value (shown as code) rather than
	// "required", "unset" or a phrase.
	Literal bool
	// Meaning is one line of Markdown.
	Meaning string
}

// Reference documents every configuration object, in a stable order.
func Reference() []ObjectDoc {
	out := make([]ObjectDoc, 0, len(referenceObjects))
	for _, t := range referenceObjects {
		name := auroraName[t]
		doc := ObjectDoc{Name: name, Summary: objectSummaries[name]}
		base := defaultValue(t)
		for i := range t.NumField() {
			field := jsonName(t, i)
			if field == "" {
				continue
			}
			fd := fieldDocs[name+"."+field]
			f := FieldDoc{Name: field, Type: auroraType(t.Field(i).Type), Meaning: fd.meaning}
			switch {
			case fd.required:
				f.Default = "required"
			case fd.derived != "":
				f.Default = fd.derived
			default:
				f.Default = formatDefault(base.Field(i), t.Field(i).Tag.Get("json"))
				f.Literal = f.Default != "unset"
			}
			doc.Fields = append(doc.Fields, f)
		}
		out = append(out, doc)
	}
	return out
}

// auroraType names a Go type of the model as Aurora's schema does.
func auroraType(t reflect.Type) string {
	if name, ok := auroraName[t]; ok {
		return name
	}
	switch t.Kind() {
	case reflect.Pointer:
		return auroraType(t.Elem())
	case reflect.String:
		return "String"
	case reflect.Int, reflect.Int64:
		return "Integer"
	case reflect.Float64:
		return "Float"
	case reflect.Bool:
		return "Boolean"
	case reflect.Slice:
		return "List(" + auroraType(t.Elem()) + ")"
	case reflect.Map:
		return "Map(" + auroraType(t.Key()) + ", " + auroraType(t.Elem()) + ")"
	}
	panic("config: no Aurora type for " + t.String())
}

// formatDefault writes a default value as an Aurora file would: 'text',
// 15.0, True, [], HttpHealthChecker(), LifecycleConfig(http =
// HttpLifecycleConfig()). A nil pointer, or an empty optional string, is
// "unset".
func formatDefault(v reflect.Value, tag string) string {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return "unset"
		}
		return formatDefault(v.Elem(), "")
	case reflect.String:
		if v.String() == "" && strings.Contains(tag, "omitempty") {
			return "unset"
		}
		return "'" + strings.ReplaceAll(v.String(), "'", `\'`) + "'"
	case reflect.Int, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Float64:
		return formatFloat(v.Float())
	case reflect.Bool:
		if v.Bool() {
			return "True"
		}
		return "False"
	case reflect.Slice:
		items := make([]string, v.Len())
		for i := range items {
			items[i] = formatDefault(v.Index(i), "")
		}
		return "[" + strings.Join(items, ", ") + "]"
	case reflect.Map:
		keys := make([]string, 0, v.Len())
		for _, k := range v.MapKeys() {
			keys = append(keys, k.String())
		}
		sort.Strings(keys)
		items := make([]string, len(keys))
		for i, k := range keys {
			items[i] = fmt.Sprintf("'%s': %s", k, formatDefault(v.MapIndex(reflect.ValueOf(k)), ""))
		}
		return "{" + strings.Join(items, ", ") + "}"
	case reflect.Struct:
		// Only the fields that differ from the object's own defaults.
		t := v.Type()
		base := defaultValue(t)
		var args []string
		for i := range t.NumField() {
			name := jsonName(t, i)
			if name == "" || reflect.DeepEqual(v.Field(i).Interface(), base.Field(i).Interface()) {
				continue
			}
			args = append(args, name+" = "+formatDefault(v.Field(i), ""))
		}
		return auroraName[t] + "(" + strings.Join(args, ", ") + ")"
	}
	panic("config: cannot format a default of type " + v.Type().String())
}

// ReferenceConstants are the size constants of the config language, in bytes.
var ReferenceConstants = []struct {
	Name  string
	Value int64
}{{"B", B}, {"BYTES", B}, {"KB", KB}, {"MB", MB}, {"GB", GB}, {"TB", TB}}

// WriteReference writes the configuration reference as Markdown: every
// object with its fields' types, defaults and meanings, the constants and
// helpers of the config language, and the template references. It is what
// `borealis config reference` prints and docs/config-reference.md holds.
func WriteReference(w io.Writer) error {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	objects := Reference()

	p("# Configuration reference\n\n")
	p("<!-- Generated by `borealis config reference` (`make docs`) from the job model in config/. Do not edit. -->\n\n")
	p("A job configuration is an Aurora file (`*.aurora`: Python-like code, run as Starlark, that builds\n")
	p("these objects and assigns a list of jobs to `jobs`), or the same objects as YAML (`*.yaml`, `*.yml`) or\n")
	p("JSON (`*.json`) with the same field names under a top-level `jobs` list. The file's extension picks the\n")
	p("format. In YAML and JSON nested objects are mappings, a choice is a one-key mapping named after the\n")
	p("field of its kind (`health_checker: {shell: {...}}`, `update_strategy: {batch: {...}}`,\n")
	p("`container: {docker: {...}}`), and sizes are bytes or strings with a unit (`128MB`, `1GB`). An unknown\n")
	p("field is an error in every format. Every problem is reported at once, with its path\n")
	p("(`jobs[0].update_config.batch_size: must be > 0`), and `borealis` exits with code 3.\n\n")
	p("Defaults are Aurora's unless a field says otherwise; `unset` means the field is empty unless given.\n")
	p("Defaults are written as in an Aurora file (`True`, `'/health'`); in YAML write `true`, `/health`.\n")
	p("Objects are called with keyword arguments only: `Process(name = 'web', cmdline = '...')`.\n\n")
	p("Objects: ")
	for i, o := range objects {
		if i > 0 {
			p(", ")
		}
		p("[%s](#%s)", o.Name, strings.ToLower(o.Name))
	}
	p(".\nAlso: [constants](#constants), [helpers](#helpers), [templates](#templates), [limits](#limits).\n")

	for _, o := range objects {
		p("\n## %s\n\n%s\n\n", o.Name, o.Summary)
		p("| field | type | default | meaning |\n|---|---|---|---|\n")
		for _, f := range o.Fields {
			def := f.Default
			if f.Literal {
				def = "`" + def + "`"
			}
			p("| `%s` | %s | %s | %s |\n", f.Name, f.Type, cell(def), cell(f.Meaning))
		}
	}

	p("\n## Constants\n\nSize units of the config language, 1024-based as in Aurora: `ram = 128*MB`.\n")
	p("In YAML and JSON write sizes as strings with the unit (`128MB`; `KiB`, `MiB`, ... and `K`, `M`, ... mean the same).\n\n")
	p("| name | bytes |\n|---|---|\n")
	for _, c := range ReferenceConstants {
		p("| `%s` | %d |\n", c.Name, c.Value)
	}

	p("\n## Helpers\n\n")
	p("| helper | meaning |\n|---|---|\n")
	p("| `Service(...)` | `Job(service = True, ...)`. |\n")
	p("| `SequentialTask(...)` | `Task(...)` with all its processes in one `order(...)`; refuses `constraints`. |\n")
	p("| `order(a, b, ...)` | `Constraint(order = [...])` from processes or process names; `Processes.order` is the same. |\n")
	p("| `SimpleTask(name, command)` | `Task(name = name, processes = [Process(name = name, cmdline = command)], resources = Resources(cpu = 1.0, ram = 1*GB, disk = 1*GB))`; `Tasks.simple` is the same. |\n")
	p("| `combine_tasks(t1, t2, ..., field = value)` | One task running the tasks' processes in parallel (Aurora's `Tasks.combine`): " +
		"the last task's fields, the processes and constraints of all (ones that are equal, once), resources summed field by field " +
		"(a field left out counts 0), `finalization_wait` the largest; `field = value` then overrides. No task: `Task()`. |\n")
	p("| `concat_tasks(t1, t2, ..., field = value)` | One task running the tasks one after the other (Aurora's `Tasks.concat`): " +
		"as `combine_tasks`, plus an `order(p1, p2)` for each process p1 of a task and p2 of the next (unless the same process), " +
		"resources the largest of each field, `finalization_wait` the sum. |\n")
	p("| `Tasks.sequential(task)` | `task` with all its processes in one `order(...)`, as `SequentialTask`; refuses a task with constraints. |\n")
	p("| `Mode('RO')`, `Mode('RW')` | A Volume's mode: the string itself; any other value is an error. |\n")
	p("| `obj(field = value)` | calling an object makes a copy with those fields replaced: `hello(cmdline = 'x')`. |\n")
	p("| `obj.bind(name = value)` | a copy with template values bound: `{{name}}` in its strings resolves to value. |\n")
	p("| `obj.field` | reads a field (an attribute, not a call: `task.name`, not `task.name()`); unset fields read as their defaults. |\n")
	p("\nThe task helpers compute resources and `finalization_wait` while the file runs, so those must be numbers (or sizes\n")
	p("such as `'1GB'`) by then; a template in them resolves only from `.bind()` values of the task or its Resources.\n")
	p("As in Aurora's code, the merged task keeps the *last* task's name and other fields (Aurora's docs say the first);\n")
	p("a task without a name takes its first process's, which is the first task's first process.\n")

	p("\n## Templates\n\n")
	p("`{{...}}` in a string is resolved when the config is loaded, first match wins: `--bind name=value` values\n")
	p("(by the whole reference text), then `.bind()` values of the enclosing objects, innermost first, then the\n")
	p("fields of the enclosing objects, innermost first (inside a process `{{name}}` is the process's name,\n")
	p("`{{role}}` the job's, `{{task.resources.cpu}}` the task's CPU), then Aurora's legacy names: `{{thermos.user}}`\n")
	p("and `{{mesos.role}}` (the role), `{{mesos.cluster}}`, `{{docker.image[NAME][TAG]}}` (`NAME:TAG`). Any other\n")
	p("unbound reference is a config error naming it. These references are left for launch time and filled per task:\n\n")
	p("| reference | filled with | also in the environment as |\n|---|---|---|\n")
	p("| `{{mesos.instance}}` | the instance id (0, 1, ...) | `BOREALIS_INSTANCE` |\n")
	p("| `{{thermos.task_id}}` | the task id, new on every run | `BOREALIS_TASK_ID` |\n")
	p("| `{{mesos.hostname}}` | the task's host name (the worker's `host.name`); cmdlines and shell health checks | |\n")
	p("| `{{thermos.ports[NAME]}}` | the number of port NAME: the same on the host and in the container | `BOREALIS_PORT_<NAME>` (NAME upper-cased, every character other than A-Z and 0-9 turned into `_`) |\n\n")
	p("Every `{{thermos.ports[NAME]}}` in a process's `cmdline` requests a port named NAME, picked from the\n")
	p("worker's port range (default 31000-32000) on its host address (default 127.0.0.1). A port named `health`\n")
	p("turns on HTTP health checks.\n")

	writeLimits(p)

	_, err := io.WriteString(w, b.String())
	return err
}

// writeLimits writes the bounds of names, numbers and files.
func writeLimits(p func(format string, args ...any)) {
	p("\n## Limits\n\n")
	p("Names: a job key's parts (`cluster`, `role`, `environment`, `name`), a task's name and a `tier` are Aurora\n")
	p("identifiers: letters, digits, `_`, `-` and `.`, at most %d bytes, and (unlike Aurora) not starting with `.`.\n", jobkey.MaxPartBytes)
	p("Process names and port names (`{{thermos.ports[NAME]}}`, `announce.primary_port`, `lifecycle.http.port`)\n")
	p("are not empty, at most %d bytes and hold no NUL, line break, `,`, `=` or `/`; port names no spaces either, and\n", MaxNameBytes)
	p("process names do not start with `.`.\n\n")
	p("Numbers, besides the rules of each field: floats must be finite (no NaN or infinity).\n\n")
	p("| fields | bounds |\n|---|---|\n")
	p("| `instances`, every batch size | 1 to %d |\n", MaxInstances)
	p("| `cpu` | %v to %d cores (Docker's finest CPU quota is a thousandth of a core) |\n", MinCPU, MaxCPU)
	p("| `ram`, `disk` | 1 MiB to 1 PiB |\n")
	p("| `gpu` | 0 to %d |\n", MaxGPU)
	p("| durations in seconds: `min_duration`, `finalization_wait`, `*_interval_secs`, `timeout_secs`, `watch_secs`, "+
		"`pulse_interval_secs`, `healthy_deadline_secs`, `duration_secs`, `delay_secs`, `*_wait_secs` | at most %d (30 days) |\n", MaxDurationSecs)
	p("| counts: `max_failures`, `max_task_failures`, `max_concurrency`, `max_consecutive_failures`, "+
		"`min_consecutive_successes`, `max_per_shard_failures`, `max_total_failures`, `count` | at most %d |\n", MaxCount)
	p("| `expected_response_code` | 0 to %d |\n", MaxStatusCode)
	p("| `priority` | a 32-bit integer |\n\n")
	p("Files: a config file is at most %d bytes (4 MiB) and a regular file. An Aurora file runs for at most\n", MaxConfigBytes)
	p("%d steps and %v; its calls nest at most %d deep; one string is at most 16 MiB and one list, tuple,\n",
		defaultMaxSteps, defaultTimeout, maxCallDepth)
	p("dict or set at most %d elements; what it makes in all (strings, lists, objects, ...) at most %d MiB.\n",
		maxValueElems, maxAllocBytes>>20)
	p("An operator that would go over a limit (`'a' * (1 << 29)`, `list(range(200000000))`) fails at once, naming\n")
	p("it. A file may not use names starting with `%s`, nor update (`x += y`) an expression with a call in it.\n", guardPrefix)
}

// cell makes text safe inside a Markdown table cell.
func cell(s string) string {
	return strings.ReplaceAll(s, "|", `\|`)
}
