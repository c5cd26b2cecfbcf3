package settings

import (
	"errors"
	"fmt"
	iofs "io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/viper"
)

// localFile is the settings file looked for in the working directory.
const localFile = "./borealis.yaml"

// findFile is the settings file used when neither --config nor
// BOREALIS_CONFIG names one: ./borealis.yaml, else the user's
// borealis.yaml ($XDG_CONFIG_HOME/borealis, else ~/.config/borealis), else
// none (""). No other name is ever read: no other extension, and not an
// extensionless ./borealis, which in bin/ is the CLI itself.
func findFile() (string, error) {
	candidates := []string{localFile}
	if dir := userConfigDir(); dir != "" {
		candidates = append(candidates, filepath.Join(dir, "borealis", "borealis.yaml"))
	}
	for _, c := range candidates {
		_, err := os.Stat(c)
		if err == nil {
			return c, nil
		}
		if !errors.Is(err, iofs.ErrNotExist) {
			return "", err
		}
	}
	return "", nil
}

// userConfigDir is $XDG_CONFIG_HOME, else ~/.config, else "" (no home).
func userConfigDir() string {
	if d := os.Getenv("XDG_CONFIG_HOME"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".config")
}

// connectionKeys say which Temporal cluster a process talks to, and how;
// a file in the working directory that sets one of them is announced.
var connectionKeys = []string{
	KeyTemporalAddress, KeyTemporalNamespace, KeyTemporalAPIKey,
	KeyTemporalTLSCert, KeyTemporalTLSKey, KeyTemporalTLSCA, KeyTemporalTLSServer,
}

// localFileNote names the connection keys whose value comes from
// ./borealis.yaml, or is "" when there are none: a file in whatever
// directory one happens to be in must not silently point the CLI at another
// cluster. Keys a flag or the environment overrides are not named.
func localFileNote(st *Settings) string {
	var keys []string
	for _, k := range connectionKeys {
		if st.sources[k] == SourceFile {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return ""
	}
	return localFile + " sets " + strings.Join(keys, ", ")
}

// checkFileKeys rejects keys in borealis.yaml that are not settings, so a
// typo does not pass silently.
func checkFileKeys(v *viper.Viper) error {
	known := map[string]bool{}
	for _, s := range all {
		known[s.key] = true
	}
	var unknown []string
	for _, k := range v.AllKeys() {
		if !known[k] && v.InConfig(k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Errorf("settings file %s: unknown keys: %s", v.ConfigFileUsed(), strings.Join(unknown, ", "))
	}
	return nil
}
