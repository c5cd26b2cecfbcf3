// Package settings holds Borealis's own settings (where Temporal and Docker
// are, the data directory, port range, flapping back-off, SLA checks, the
// worker's hardening policy, ...), as opposed to job configs, which package
// config loads.
//
// Settings come, highest first, from command-line flags, environment variables
// BOREALIS_<KEY> (dots turned into underscores: BOREALIS_TEMPORAL_ADDRESS), a
// borealis.yaml file, and the defaults (keys.go). Only this package knows
// viper; everything else gets a typed, validated Settings.
package settings

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// Settings is the effective, validated configuration of a Borealis process.
type Settings struct {
	Temporal Temporal
	// DockerHost is the Docker Engine endpoint. It must be a local engine:
	// sandboxes and the runner are bind-mounted from this machine.
	DockerHost string
	// DataDir holds sandboxes and the dev server's database.
	DataDir string
	// SandboxRetention is how long the sandbox of a task whose container is
	// gone is kept after its last write; 0 keeps sandboxes forever.
	SandboxRetention time.Duration
	// RunnerPath is the host path of the static borealis-runner binary.
	RunnerPath string
	Ports      Ports
	Flapping   Flapping
	SLA        SLA
	// Cron configures cron jobs' schedules and runs.
	Cron Cron
	// MetricsAddress is where the worker serves Prometheus metrics ("" = off).
	MetricsAddress string
	LogLevel       string
	// LogFormat is the worker's log format: "text" or "json".
	LogFormat string

	// Tasks is the user and group task processes run as (tasks.uid,
	// tasks.gid).
	Tasks Tasks
	// AllowedDockerParameters are the Docker parameters jobs may use
	// (docker.allowed_parameters), each one of SupportedDockerParameters.
	AllowedDockerParameters []string
	// AllowedHostPaths are the clean absolute host directories volumes may
	// mount from (volumes.allowed_host_paths); empty: none.
	AllowedHostPaths []string
	// MaxInstances caps a job's instances (jobs.max_instances).
	MaxInstances int
	// SecretsDir holds a file per {{secret[NAME]}} (secrets.dir); empty:
	// secrets come from the worker's environment only.
	SecretsDir string
	// DeploymentID labels the worker's containers borealis.deployment
	// (deployment.id; default NAMESPACE/TASK_QUEUE).
	DeploymentID string
	// HostName is the worker's host name (host.name; default the machine's
	// hostname).
	HostName string

	// Notes are things the user should know about how the settings were
	// found, e.g. that ./borealis.yaml chose the Temporal address. The CLI
	// and the worker print each on stderr as "note: " + the note.
	Notes []string

	sources map[string]Source
	values  map[string]any
}

// Temporal says how to reach the Temporal service.
type Temporal struct {
	Address       string
	Namespace     string
	TaskQueue     string
	APIKey        string
	TLSCert       string
	TLSKey        string
	TLSCA         string
	TLSServerName string
	// WebUI is the base address of the Temporal Web UI.
	WebUI string
}

// TLS reports whether the Temporal connection uses TLS.
func (t Temporal) TLS() bool {
	return t.TLSCert != "" || t.TLSCA != "" || t.APIKey != ""
}

// Ports is where task ports are published.
type Ports struct {
	HostAddress string
	Min, Max    int
}

// Flapping configures the THROTTLED back-off of docs/semantics.md §4.
type Flapping struct {
	Threshold    time.Duration
	InitialDelay time.Duration
	MaxDelay     time.Duration
}

// Cron configures cron jobs (docs/semantics.md §9).
type Cron struct {
	// CatchupWindow is how late after its scheduled time a run may begin:
	// the worker skips a later one, and the schedule keeps missed times as
	// long (at least Temporal's 10 s).
	CatchupWindow time.Duration
}

// SLA configures the worker's SLA-aware updates (Aurora 0.21): an update with
// UpdateConfig.SlaAware stops an instance only when the job keeps its
// SlaPolicy without it (see docs/concepts.md SLA section).
type SLA struct {
	// CheckInterval is how often an SLA-aware update asks again whether an
	// instance may go.
	CheckInterval time.Duration
	// MinInstances: jobs with fewer active instances skip the count and
	// percentage SLA check (Aurora's -min_required_instances_for_sla_check).
	MinInstances int
	// NonProduction checks the SLA of non-production jobs too (Aurora's
	// -sla_aware_kill_non_prod); otherwise they skip it.
	NonProduction bool
}

// Source says where a setting's value came from.
type Source string

// Sources, highest precedence first.
const (
	SourceFlag    Source = "flag"
	SourceEnv     Source = "env"
	SourceFile    Source = "file"
	SourceDefault Source = "default"
)

// Load reads the settings: flags (may be nil) > BOREALIS_* > file > defaults.
func Load(fs *pflag.FlagSet) (*Settings, error) {
	v := viper.New()
	v.SetEnvPrefix(EnvPrefix)
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()
	for _, s := range all {
		v.SetDefault(s.key, s.def())
	}

	file := ""
	if fs != nil {
		if f := fs.Lookup("config"); f != nil {
			file = f.Value.String()
		}
	}
	if file == "" {
		file = os.Getenv(EnvPrefix + "_CONFIG")
	}
	explicit := file != ""
	if !explicit {
		var err error
		if file, err = findFile(); err != nil {
			return nil, fmt.Errorf("settings file: %w", err)
		}
	}
	if file != "" {
		// Always YAML, whatever the name ends with: viper would otherwise
		// pick a format from the extension, or none without one.
		v.SetConfigFile(file)
		v.SetConfigType("yaml")
		if err := v.ReadInConfig(); err != nil {
			return nil, fmt.Errorf("settings file: %w", err)
		}
	}
	if err := checkFileKeys(v); err != nil {
		return nil, err
	}

	st := &Settings{sources: map[string]Source{}, values: map[string]any{}}
	get := func(key string) string {
		src := SourceDefault
		val := v.GetString(key)
		if v.InConfig(key) {
			src = SourceFile
		}
		if _, ok := os.LookupEnv(EnvName(key)); ok {
			src = SourceEnv
		}
		if fs != nil {
			if f := fs.Lookup(FlagName(key)); f != nil && f.Changed {
				src, val = SourceFlag, f.Value.String()
			}
		}
		st.sources[key] = src
		st.values[key] = val
		return val
	}
	// getList reads a list setting: a YAML list in the file, else text
	// with commas between the items. Unlike other settings, an empty
	// environment variable counts: it means no items.
	getList := func(key string) []string {
		text := get(key)
		var items []string
		switch st.sources[key] {
		case SourceEnv:
			items = splitList(os.Getenv(EnvName(key)))
		case SourceFile:
			if list, ok := v.Get(key).([]any); ok {
				for _, item := range list {
					if item := strings.TrimSpace(fmt.Sprint(item)); item != "" {
						items = append(items, item)
					}
				}
				break
			}
			items = splitList(text)
		default:
			items = splitList(text)
		}
		st.values[key] = strings.Join(items, ",")
		return items
	}

	var errs []error
	st.Temporal = Temporal{
		Address:       get(KeyTemporalAddress),
		Namespace:     get(KeyTemporalNamespace),
		TaskQueue:     get(KeyTemporalTaskQueue),
		APIKey:        get(KeyTemporalAPIKey),
		TLSCert:       get(KeyTemporalTLSCert),
		TLSKey:        get(KeyTemporalTLSKey),
		TLSCA:         get(KeyTemporalTLSCA),
		TLSServerName: get(KeyTemporalTLSServer),
		WebUI:         strings.TrimRight(get(KeyWebUI), "/"),
	}
	st.DockerHost = get(KeyDockerHost)
	st.DataDir = expandHome(get(KeyDataDir))
	st.RunnerPath = expandHome(get(KeyRunnerPath))
	st.MetricsAddress = get(KeyWorkerMetricsAddr)
	st.LogLevel = get(KeyLogLevel)
	st.LogFormat = strings.ToLower(strings.TrimSpace(get(KeyLogFormat)))
	st.Ports.HostAddress = get(KeyPortsHost)
	min, max, err := ParsePortRange(get(KeyPortsRange))
	if err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", KeyPortsRange, err))
	}
	st.Ports.Min, st.Ports.Max = min, max
	durations := []struct {
		key string
		dst *time.Duration
	}{
		{KeyFlappingThreshold, &st.Flapping.Threshold},
		{KeyFlappingInitial, &st.Flapping.InitialDelay},
		{KeyFlappingMax, &st.Flapping.MaxDelay},
		{KeySandboxRetention, &st.SandboxRetention},
		{KeySLACheckInterval, &st.SLA.CheckInterval},
		{KeyCronCatchupWindow, &st.Cron.CatchupWindow},
	}
	for _, d := range durations {
		val, err := time.ParseDuration(get(d.key))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", d.key, err))
			continue
		}
		*d.dst = val
	}
	rawMin := get(KeySLAMinInstances)
	if st.SLA.MinInstances, err = strconv.Atoi(strings.TrimSpace(rawMin)); err != nil {
		errs = append(errs, fmt.Errorf("%s: %q is not a whole number", KeySLAMinInstances, rawMin))
	}
	rawNonProd := get(KeySLANonProduction)
	if st.SLA.NonProduction, err = strconv.ParseBool(strings.TrimSpace(rawNonProd)); err != nil {
		errs = append(errs, fmt.Errorf("%s: %q is not true or false", KeySLANonProduction, rawNonProd))
	}
	errs = append(errs, st.loadWorker(get, getList)...)
	errs = append(errs, st.validate()...)
	if len(errs) > 0 {
		return nil, fmt.Errorf("invalid settings: %w", errors.Join(errs...))
	}
	if !explicit && file == localFile {
		if note := localFileNote(st); note != "" {
			st.Notes = append(st.Notes, note)
		}
	}
	return st, nil
}
