package config

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// referenceDoc is the committed output of WriteReference.
var referenceDoc = filepath.Join("..", "docs", "config-reference.md")

// modelObjects walks the model from Job and returns every struct type reachable.
func modelObjects() map[reflect.Type]bool {
	seen := map[reflect.Type]bool{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || seen[t] {
			return
		}
		seen[t] = true
		for i := range t.NumField() {
			walk(t.Field(i).Type)
		}
	}
	walk(reflect.TypeFor[Job]())
	return seen
}

// TestReferenceDescribesEveryField fails when a model object or field has
// no entry in the reference's tables, or when an entry names nothing: add
// the description to config/reference_fields.go, then run make docs.
func TestReferenceDescribesEveryField(t *testing.T) {
	listed := map[reflect.Type]bool{}
	for _, typ := range referenceObjects {
		assert.False(t, listed[typ], "%s listed twice in referenceObjects", typ)
		listed[typ] = true
	}
	for typ := range modelObjects() {
		assert.True(t, listed[typ], "model object %s is missing from referenceObjects in config/reference_fields.go", typ)
	}
	for typ := range listed {
		assert.True(t, modelObjects()[typ], "referenceObjects lists %s, which the model no longer uses", typ)
	}

	keys := map[string]bool{}
	for _, typ := range referenceObjects {
		name, ok := auroraName[typ]
		require.True(t, ok, "%s has no Aurora name (auroraName in node.go)", typ)
		assert.NotEmpty(t, objectSummaries[name], "object %s has no summary in objectSummaries (config/reference_fields.go)", name)
		base := defaultValue(typ)
		for i := range typ.NumField() {
			field := jsonName(typ, i)
			require.NotEmpty(t, field, "%s.%s has no json tag", typ, typ.Field(i).Name)
			key := name + "." + field
			keys[key] = true
			d, ok := fieldDocs[key]
			if !assert.True(t, ok, "field %s has no description in fieldDocs (config/reference_fields.go)", key) {
				continue
			}
			assert.NotEmpty(t, d.meaning, "field %s: empty meaning", key)
			assert.False(t, d.required && d.derived != "", "field %s: both required and derived", key)
			if d.required || d.derived != "" {
				// The table may only say what the constructors cannot: a
				// field with a constructor default is neither required nor derived.
				assert.True(t, base.Field(i).IsZero(), "field %s: marked required or derived but Default* gives it %v", key, base.Field(i))
			}
		}
	}
	for key := range fieldDocs {
		assert.True(t, keys[key], "fieldDocs has %q, which is no model field", key)
	}
	for name := range objectSummaries {
		found := false
		for _, typ := range referenceObjects {
			found = found || auroraName[typ] == name
		}
		assert.True(t, found, "objectSummaries has %q, which is no model object", name)
	}
}

func findField(t *testing.T, objs []ObjectDoc, object, field string) FieldDoc {
	t.Helper()
	for _, o := range objs {
		if o.Name != object {
			continue
		}
		for _, f := range o.Fields {
			if f.Name == field {
				return f
			}
		}
	}
	t.Fatalf("no field %s.%s in the reference", object, field)
	return FieldDoc{}
}

// TestReferenceDefaults checks that defaults come from the constructors and
// types from the model, as an Aurora user writes them.
func TestReferenceDefaults(t *testing.T) {
	objs := Reference()
	cases := []struct{ object, field, typ, def string }{
		{"Process", "max_failures", "Integer", "1"},
		{"Process", "min_duration", "Integer", "5"},
		{"Process", "daemon", "Boolean", "False"},
		{"Process", "name", "String", "required"},
		{"Task", "name", "String", "the first process's name"},
		{"Task", "processes", "List(Process)", "required"},
		{"Task", "finalization_wait", "Integer", "30"},
		{"Resources", "cpu", "Float", "required"},
		{"Job", "instances", "Integer", "1"},
		{"Job", "health_check_config", "HealthCheckConfig", "HealthCheckConfig()"},
		{"Job", "lifecycle", "LifecycleConfig", "LifecycleConfig(http = HttpLifecycleConfig())"},
		{"Job", "constraints", "Map(String, String)", "{}"},
		{"Job", "container", "Container", "unset"},
		{"HealthCheckConfig", "health_checker", "HealthCheckerConfig", "HealthCheckerConfig(http = HttpHealthChecker())"},
		{"HealthCheckConfig", "initial_interval_secs", "Float", "15.0"},
		{"HealthCheckConfig", "interval_secs", "Float", "10.0"},
		{"HealthCheckConfig", "timeout_secs", "Float", "1.0"},
		{"HttpHealthChecker", "endpoint", "String", "'/health'"},
		{"HttpHealthChecker", "expected_response", "String", "'ok'"},
		{"UpdateConfig", "watch_secs", "Integer", "45"},
		{"UpdateConfig", "rollback_on_failure", "Boolean", "True"},
		{"UpdateConfig", "pulse_interval_secs", "Integer", "unset"},
		{"UpdateConfig", "update_strategy", "UpdateStrategy", "unset"},
		{"UpdateConfig", "update_order", "String", "'stop_first'"},
		{"VariableBatchUpdateStrategy", "batch_sizes", "List(Integer)", "required"},
		{"HttpLifecycleConfig", "graceful_shutdown_endpoint", "String", "'/quitquitquit'"},
		{"Announcer", "primary_port", "String", "'http'"},
	}
	for _, c := range cases {
		f := findField(t, objs, c.object, c.field)
		assert.Equal(t, c.typ, f.Type, "%s.%s type", c.object, c.field)
		assert.Equal(t, c.def, f.Default, "%s.%s default", c.object, c.field)
	}
	assert.Equal(t, "Job", objs[0].Name)
}

// TestReferenceDocUpToDate checks that docs/config-reference.md is what
// WriteReference writes now. When it fails, run make docs and commit the file.
func TestReferenceDocUpToDate(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, WriteReference(&buf))
	want := buf.String()
	got, err := os.ReadFile(referenceDoc)
	require.NoError(t, err, "run make docs")
	if string(got) != want {
		t.Fatalf("%s is out of date with the model: run make docs (go run ./starter config reference > docs/config-reference.md)", referenceDoc)
	}
	for _, o := range Reference() {
		assert.Contains(t, want, "\n## "+o.Name+"\n")
	}
	assert.True(t, strings.HasPrefix(want, "# Configuration reference\n"))
}
