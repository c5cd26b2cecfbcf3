package cli

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// browserOpener opens Web UI addresses in a browser for --open-browser.
// Its fields are the environment, so tests can replace them.
type browserOpener struct {
	getenv   func(string) string
	lookPath func(string) (string, error)
	start    func(name string, args ...string) error
	opened   bool
}

func newBrowserOpener() *browserOpener {
	return &browserOpener{getenv: os.Getenv, lookPath: exec.LookPath, start: startDetached}
}

// openerGrace is how long startDetached waits for the opener to fail.
const openerGrace = 2 * time.Second

// startDetached starts a program and waits for it at most openerGrace: an
// opener like xdg-open exits at once, with an error when it found no
// browser (no display, say), but a browser itself may run long after the
// command ends.
func startDetached(name string, args ...string) error {
	cmd := exec.Command(name, args...)
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		return err
	case <-time.After(openerGrace):
		return nil
	}
}

// command is the program and arguments that open url: the first usable
// entry of $BROWSER (a colon-separated list; %s in an entry stands for the
// address, else it is appended), else xdg-open (open on macOS). It returns
// nil when there is none.
func (b *browserOpener) command(url string) []string {
	for _, entry := range strings.Split(b.getenv("BROWSER"), ":") {
		fields := strings.Fields(entry)
		if len(fields) == 0 {
			continue
		}
		if _, err := b.lookPath(fields[0]); err != nil {
			continue
		}
		if !strings.Contains(entry, "%s") {
			return append(fields, url)
		}
		for i, f := range fields {
			fields[i] = strings.ReplaceAll(f, "%s", url)
		}
		return fields
	}
	opener := "xdg-open"
	if runtime.GOOS == "darwin" {
		opener = "open"
	}
	if _, err := b.lookPath(opener); err == nil {
		return []string{opener, url}
	}
	return nil
}

// openWebUI opens url in a browser when --open-browser is given, once per
// command. Not finding or starting one is said on stderr and never fails
// the command.
func (a *app) openWebUI(url string) {
	if !a.openBrowser || a.browser.opened {
		return
	}
	a.browser.opened = true
	argv := a.browser.command(url)
	if argv == nil {
		fmt.Fprintf(a.err, "No browser to open the Web UI with (set $BROWSER or install xdg-utils); open %s yourself\n", url)
		return
	}
	if err := a.browser.start(argv[0], argv[1:]...); err != nil {
		fmt.Fprintf(a.err, "Cannot open a browser (%s: %v); open %s yourself\n", argv[0], err, url)
	}
}
