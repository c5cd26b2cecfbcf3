package config

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
)

// Both front ends (Aurora files and YAML/JSON) produce a tree of nodes; one
// decoder turns that tree into the typed model, so field names, defaults,
// choices and error paths are the same in every format.

type nodeKind int

const (
	nodeNull nodeKind = iota
	nodeString
	nodeInt
	nodeFloat
	nodeBool
	nodeList
	nodeMap
)

type node struct {
	kind   nodeKind
	str    string
	i      int64
	f      float64
	b      bool
	list   []*node
	keys   []string // mapping keys in source order
	fields map[string]*node
	// typ is the Aurora constructor that built a mapping (Process, Job, ...),
	// empty for plain mappings (YAML, Starlark dicts).
	typ string
	// binds holds an Aurora object's .bind(...) values, a mapping or nil.
	binds *node
}

func newMap(typ string) *node {
	return &node{kind: nodeMap, typ: typ, fields: map[string]*node{}}
}

func (n *node) set(key string, v *node) {
	if _, ok := n.fields[key]; !ok {
		n.keys = append(n.keys, key)
	}
	n.fields[key] = v
}

// describe names a node for messages: `string "abc"`, `Process`, `list`.
func (n *node) describe() string {
	switch n.kind {
	case nodeNull:
		return "null"
	case nodeString:
		s := n.str
		if len(s) > 40 {
			s = s[:40] + "..."
		}
		return fmt.Sprintf("string %q", s)
	case nodeInt:
		return fmt.Sprintf("integer %d", n.i)
	case nodeFloat:
		return fmt.Sprintf("number %v", n.f)
	case nodeBool:
		return fmt.Sprintf("boolean %v", n.b)
	case nodeList:
		return "list"
	default:
		if n.typ != "" {
			return n.typ
		}
		return "mapping"
	}
}

// auroraName is the Aurora name of each model struct, used for constructor
// names and in messages.
var auroraName = map[reflect.Type]string{
	reflect.TypeFor[Process]():                     "Process",
	reflect.TypeFor[Logger]():                      "Logger",
	reflect.TypeFor[RotatePolicy]():                "RotatePolicy",
	reflect.TypeFor[Task]():                        "Task",
	reflect.TypeFor[Resources]():                   "Resources",
	reflect.TypeFor[Constraint]():                  "Constraint",
	reflect.TypeFor[Job]():                         "Job",
	reflect.TypeFor[HealthCheckConfig]():           "HealthCheckConfig",
	reflect.TypeFor[HealthCheckerConfig]():         "HealthCheckerConfig",
	reflect.TypeFor[HTTPHealthChecker]():           "HttpHealthChecker",
	reflect.TypeFor[ShellHealthChecker]():          "ShellHealthChecker",
	reflect.TypeFor[UpdateConfig]():                "UpdateConfig",
	reflect.TypeFor[UpdateStrategy]():              "UpdateStrategy",
	reflect.TypeFor[QueueUpdateStrategy]():         "QueueUpdateStrategy",
	reflect.TypeFor[BatchUpdateStrategy]():         "BatchUpdateStrategy",
	reflect.TypeFor[VariableBatchUpdateStrategy](): "VariableBatchUpdateStrategy",
	reflect.TypeFor[Container]():                   "Container",
	reflect.TypeFor[Docker]():                      "Docker",
	reflect.TypeFor[DockerParameter]():             "Parameter",
	reflect.TypeFor[Announcer]():                   "Announcer",
	reflect.TypeFor[LifecycleConfig]():             "LifecycleConfig",
	reflect.TypeFor[HTTPLifecycleConfig]():         "HttpLifecycleConfig",
	reflect.TypeFor[Metadata]():                    "Metadata",
	reflect.TypeFor[SlaPolicy]():                   "SlaPolicy",
	reflect.TypeFor[CountSlaPolicy]():              "CountSlaPolicy",
	reflect.TypeFor[PercentageSlaPolicy]():         "PercentageSlaPolicy",
	reflect.TypeFor[CoordinatorSlaPolicy]():        "CoordinatorSlaPolicy",
	reflect.TypeFor[Mesos]():                       "Mesos",
	reflect.TypeFor[MesosImage]():                  "MesosImage",
	reflect.TypeFor[DockerImage]():                 "DockerImage",
	reflect.TypeFor[AppcImage]():                   "AppcImage",
	reflect.TypeFor[Volume]():                      "Volume",
	reflect.TypeFor[PartitionPolicy]():             "PartitionPolicy",
	reflect.TypeFor[ExecutorConfig]():              "ExecutorConfig",
}

// choiceTypes are Aurora choices: structs of optional pointers of which
// exactly one is set. They start empty rather than from a default, and an
// Aurora object of a member type stands for the choice (update_strategy =
// QueueUpdateStrategy(...), container = Docker(...)).
var choiceTypes = map[reflect.Type]bool{
	reflect.TypeFor[HealthCheckerConfig](): true,
	reflect.TypeFor[UpdateStrategy]():      true,
	reflect.TypeFor[Container]():           true,
	reflect.TypeFor[LifecycleConfig]():     true,
	reflect.TypeFor[SlaPolicy]():           true,
	reflect.TypeFor[MesosImage]():          true,
}

// defaults gives the value a struct starts from before its fields are read.
var defaults = map[reflect.Type]func() any{
	reflect.TypeFor[Process]():             func() any { return DefaultProcess() },
	reflect.TypeFor[Logger]():              func() any { return DefaultLogger() },
	reflect.TypeFor[RotatePolicy]():        func() any { return DefaultRotatePolicy },
	reflect.TypeFor[Task]():                func() any { return DefaultTask() },
	reflect.TypeFor[Job]():                 func() any { return DefaultJob() },
	reflect.TypeFor[HealthCheckConfig]():   func() any { return DefaultHealthCheckConfig() },
	reflect.TypeFor[HTTPHealthChecker]():   func() any { return DefaultHTTPHealthChecker() },
	reflect.TypeFor[UpdateConfig]():        func() any { return DefaultUpdateConfig() },
	reflect.TypeFor[HTTPLifecycleConfig](): func() any { return DefaultHTTPLifecycleConfig() },
	reflect.TypeFor[Announcer]():           func() any { return DefaultAnnouncer() },
	// Aurora's strategies default batch_size to 1.
	reflect.TypeFor[QueueUpdateStrategy](): func() any { return QueueUpdateStrategy{BatchSize: 1} },
	reflect.TypeFor[BatchUpdateStrategy](): func() any { return BatchUpdateStrategy{BatchSize: 1} },
	// Aurora's CoordinatorSlaPolicy defaults status_key to 'drain'.
	reflect.TypeFor[CoordinatorSlaPolicy](): func() any { return DefaultCoordinatorSlaPolicy() },
	// Aurora's PartitionPolicy reschedules by default; its ExecutorConfig
	// names the Thermos executor.
	reflect.TypeFor[PartitionPolicy](): func() any { return DefaultPartitionPolicy() },
	reflect.TypeFor[ExecutorConfig]():  func() any { return DefaultExecutorConfig() },
}

// defaultValue is the value a struct of type t starts from.
func defaultValue(t reflect.Type) reflect.Value {
	if f, ok := defaults[t]; ok && !choiceTypes[t] {
		return reflect.ValueOf(f())
	}
	return reflect.New(t).Elem()
}

var fieldIndexCache sync.Map // reflect.Type → map[string]int

// fieldIndex maps a struct's JSON names (Aurora's field names) to field indexes.
func fieldIndex(t reflect.Type) map[string]int {
	if m, ok := fieldIndexCache.Load(t); ok {
		return m.(map[string]int)
	}
	m := map[string]int{}
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			m[name] = i
		}
	}
	fieldIndexCache.Store(t, m)
	return m
}

// fieldNames is a struct's Aurora field names in declaration order.
func fieldNames(t reflect.Type) []string {
	idx := fieldIndex(t)
	names := make([]string, t.NumField())
	for name, i := range idx {
		names[i] = name
	}
	out := names[:0]
	for _, n := range names {
		if n != "" {
			out = append(out, n)
		}
	}
	return out
}
