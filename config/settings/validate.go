package settings

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// validate checks the settings Load has parsed, returning every problem.
// The worker's hardening settings are checked by validateWorker.
func (s *Settings) validate() []error {
	var errs []error
	if s.Temporal.Address == "" {
		errs = append(errs, fmt.Errorf("%s: must not be empty", KeyTemporalAddress))
	}
	if s.Temporal.Namespace == "" {
		errs = append(errs, fmt.Errorf("%s: must not be empty", KeyTemporalNamespace))
	}
	if s.Temporal.TaskQueue == "" {
		errs = append(errs, fmt.Errorf("%s: must not be empty", KeyTemporalTaskQueue))
	}
	if (s.Temporal.TLSCert == "") != (s.Temporal.TLSKey == "") {
		errs = append(errs, fmt.Errorf("%s and %s: set both or neither", KeyTemporalTLSCert, KeyTemporalTLSKey))
	}
	if s.Temporal.TLSServerName != "" && !s.Temporal.TLS() {
		// It only names the server to verify; alone it would leave the
		// connection in plain text.
		errs = append(errs, fmt.Errorf("%s: set, but TLS is off (set %s, %s and %s, or %s)",
			KeyTemporalTLSServer, KeyTemporalTLSCA, KeyTemporalTLSCert, KeyTemporalTLSKey, KeyTemporalAPIKey))
	}
	if net.ParseIP(s.Ports.HostAddress) == nil {
		errs = append(errs, fmt.Errorf("%s: %q is not an IP address", KeyPortsHost, s.Ports.HostAddress))
	}
	if s.LogFormat != "text" && s.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("%s: %q is not text or json", KeyLogFormat, s.LogFormat))
	}
	if s.DataDir == "" {
		errs = append(errs, fmt.Errorf("%s: must not be empty", KeyDataDir))
	}
	if s.SandboxRetention < 0 {
		errs = append(errs, fmt.Errorf("%s: must not be negative", KeySandboxRetention))
	}
	if s.Flapping.InitialDelay > s.Flapping.MaxDelay {
		errs = append(errs, fmt.Errorf("%s: must not exceed %s", KeyFlappingInitial, KeyFlappingMax))
	}
	if _, err := time.ParseDuration(fmt.Sprint(s.values[KeySLACheckInterval])); err == nil && s.SLA.CheckInterval <= 0 {
		// (A value that is no duration at all is reported by Load.)
		errs = append(errs, fmt.Errorf("%s: must be > 0", KeySLACheckInterval))
	}
	if s.SLA.MinInstances < 0 {
		errs = append(errs, fmt.Errorf("%s: must not be negative", KeySLAMinInstances))
	}
	if _, err := time.ParseDuration(fmt.Sprint(s.values[KeyCronCatchupWindow])); err == nil && s.Cron.CatchupWindow <= 0 {
		errs = append(errs, fmt.Errorf("%s: must be > 0", KeyCronCatchupWindow))
	}
	return errs
}

// ParsePortRange parses "MIN-MAX" (1 ≤ MIN ≤ MAX ≤ 65535).
func ParsePortRange(s string) (int, int, error) {
	lo, hi, ok := strings.Cut(strings.TrimSpace(s), "-")
	if !ok {
		return 0, 0, fmt.Errorf("%q: want MIN-MAX", s)
	}
	min, err1 := strconv.Atoi(strings.TrimSpace(lo))
	max, err2 := strconv.Atoi(strings.TrimSpace(hi))
	if err1 != nil || err2 != nil || min < 1 || max > 65535 || min > max {
		return 0, 0, fmt.Errorf("%q: want MIN-MAX with 1 <= MIN <= MAX <= 65535", s)
	}
	return min, max, nil
}

func expandHome(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, strings.TrimPrefix(p, "~"))
		}
	}
	return p
}
