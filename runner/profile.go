package runner

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ProfileFile is Thermos's .thermos_profile: when the sandbox holds one as a
// run of a process starts, the shell sources it before the cmdline.
//
// Thermos sets BASH_ENV to <sandbox>/.thermos_profile when that file
// exists at the start of the run, so `bash -c cmdline` sources it
// first, in the same shell, in the sandbox. [DefaultShell] is a POSIX sh
// without BASH_ENV, so the runner gets the same effect with
//
//	command . <profile>
//	<cmdline>
//
// as the -c script: `.` keeps the profile's exports, functions and options
// (set -e) for the cmdline, `command` makes a profile that fails, or cannot
// be read or parsed, an error message rather than the shell's end, as with
// BASH_ENV, and an `exit` in the profile still ends the run. $0 and the
// (empty) positional parameters are those of a run without a profile.
const ProfileFile = ".thermos_profile"

// command is the argv of a run of cmdline in dir: `<shell> -c <cmdline>`,
// with the sourcing of the sandbox's [ProfileFile] before the cmdline when
// the file exists now.
func (t *task) command(cmdline, dir string) ([]string, error) {
	if _, err := os.Stat(filepath.Join(t.sandbox, ProfileFile)); err != nil {
		return []string{t.shell, "-c", cmdline}, nil
	}
	path := "./" + ProfileFile // relative to dir, the sandbox
	if dir != t.sandbox {
		abs, err := filepath.Abs(filepath.Join(t.sandbox, ProfileFile))
		if err != nil {
			return nil, fmt.Errorf("locate %s: %w", ProfileFile, err)
		}
		path = shellQuote(abs)
	}
	// The newline, not `;`, lets any cmdline follow, and aliases the
	// profile defines apply to it in shells that expand them.
	return []string{t.shell, "-c", "command . " + path + "\n" + cmdline}, nil
}

// shellQuote quotes s as one word for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
