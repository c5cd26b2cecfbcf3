package runner

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// withProfile writes content as the sandbox's .thermos_profile before the
// task starts.
func withProfile(t *testing.T, content string) func(*Runner) {
	return func(r *Runner) {
		if err := os.WriteFile(filepath.Join(r.Sandbox, ProfileFile), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// testShells are the POSIX shells to run the profile through: /bin/sh,
// and busybox's ash and bash when installed.
func testShells(t *testing.T) map[string]string {
	shells := map[string]string{"sh": DefaultShell}
	if bb, err := exec.LookPath("busybox"); err == nil {
		// busybox runs the applet its argv[0] names.
		link := filepath.Join(t.TempDir(), "sh")
		if err := os.Symlink(bb, link); err != nil {
			t.Fatal(err)
		}
		shells["busybox"] = link
	}
	if bash, err := exec.LookPath("bash"); err == nil {
		shells["bash"] = bash
	}
	return shells
}

func TestThermosProfileIsSourced(t *testing.T) {
	profile := "export GREETING='hello from the profile'\ngreet() { echo \"greet $1\"; }\n"
	cmdline := `echo "$GREETING"; greet world; echo "args=$# 0=$0"`
	for name, shell := range testShells(t) {
		t.Run(name, func(t *testing.T) {
			useShell := func(r *Runner) { r.Shell = shell }
			tr := runTask(t, testSpec(newProc("p", cmdline)), nil, useShell, withProfile(t, profile))
			tr.wantTask(t, TaskSuccess, ExitSuccess)
			want := "hello from the profile\ngreet world\nargs=0 0=" + shell + "\n"
			if got := tr.file(t, LogDir+"/p.stdout"); got != want {
				t.Errorf("stdout = %q, want %q", got, want)
			}
			if got := tr.file(t, LogDir+"/p.stderr"); got != "" {
				t.Errorf("stderr = %q, want none", got)
			}
		})
	}
}

func TestNoThermosProfileLeavesTheCommandAlone(t *testing.T) {
	tr := runTask(t, testSpec(newProc("p", `echo "[${GREETING-unset}] args=$# 0=$0"`)), nil)
	tr.wantTask(t, TaskSuccess, ExitSuccess)
	if got, want := tr.file(t, LogDir+"/p.stdout"), "[unset] args=0 0="+DefaultShell+"\n"; got != want {
		t.Errorf("stdout = %q, want %q", got, want)
	}
}

func TestThermosProfileCommand(t *testing.T) {
	sandbox := t.TempDir()
	task := &task{sandbox: sandbox, shell: "/bin/sh"}
	cmdline := "exec ./server --port 8080"
	argv := func(dir string) []string {
		t.Helper()
		got, err := task.command(cmdline, dir)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}

	// No profile: exactly `sh -c cmdline`, in the sandbox or a workdir.
	for _, dir := range []string{sandbox, "/srv"} {
		if got, want := argv(dir), []string{"/bin/sh", "-c", cmdline}; !slices.Equal(got, want) {
			t.Errorf("without a profile, in %s: argv %q, want %q", dir, got, want)
		}
	}
	if err := os.WriteFile(filepath.Join(sandbox, ProfileFile), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if got, want := argv(sandbox), []string{"/bin/sh", "-c", "command . ./.thermos_profile\n" + cmdline}; !slices.Equal(got, want) {
		t.Errorf("with a profile, in the sandbox: argv %q, want %q", got, want)
	}
	want := []string{"/bin/sh", "-c", "command . " + shellQuote(filepath.Join(sandbox, ProfileFile)) + "\n" + cmdline}
	if got := argv("/srv"); !slices.Equal(got, want) {
		t.Errorf("with a profile, in a workdir: argv %q, want %q", got, want)
	}

	// A relative sandbox (the default ".") is made absolute for a workdir.
	t.Chdir(filepath.Dir(sandbox))
	task.sandbox = filepath.Base(sandbox)
	if got := argv("/srv"); !slices.Equal(got, want) {
		t.Errorf("with a relative sandbox, in a workdir: argv %q, want %q", got, want)
	}
}

func TestShellQuote(t *testing.T) {
	for _, s := range []string{"", "plain", "with space", `it's`, `"$HOME" $(id) ` + "`id`", "a\nb", `\'\`} {
		out, err := exec.Command(DefaultShell, "-c", "printf %s "+shellQuote(s)).Output()
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		if string(out) != s {
			t.Errorf("shellQuote(%q) read back as %q", s, out)
		}
	}
}

func TestThermosProfileWrittenByAnEarlierProcess(t *testing.T) {
	// As Aurora users do: an installer process writes the profile (and a
	// tool the profile puts on PATH); the server after it sees both, a
	// process that ran before the profile existed did not.
	install := newProc("install", `mkdir -p bin
printf '#!/bin/sh\necho "tool on PATH"\n' > bin/tool
chmod +x bin/tool
cat > .thermos_profile <<'EOF'
export PATH="$PWD/bin:$PATH"
export APP_ENV=production
EOF`)
	spec := testSpec(
		newProc("before", `echo "APP_ENV=${APP_ENV-unset}"; command -v tool || echo "no tool"`),
		install,
		newProc("server", `echo "APP_ENV=${APP_ENV-unset}"; tool`),
	)
	spec.Orders = [][]string{{"before", "install", "server"}}
	tr := runTask(t, spec, nil)
	tr.wantTask(t, TaskSuccess, ExitSuccess)
	if got, want := tr.file(t, LogDir+"/before.stdout"), "APP_ENV=unset\nno tool\n"; got != want {
		t.Errorf("before: stdout = %q, want %q", got, want)
	}
	if got, want := tr.file(t, LogDir+"/server.stdout"), "APP_ENV=production\ntool on PATH\n"; got != want {
		t.Errorf("server: stdout = %q, want %q", got, want)
	}
}

func TestThermosProfileIsLookedForAtEachRun(t *testing.T) {
	// The first run writes the profile and fails; the second one sources it.
	p := newProc("p", `if [ -z "$SECOND" ]; then echo 'export SECOND=yes' > .thermos_profile; exit 1; fi; echo "SECOND=$SECOND"`)
	p.MaxFailures = 2
	tr := runTask(t, testSpec(p), nil)
	tr.wantTask(t, TaskSuccess, ExitSuccess)
	wantProc(t, tr.proc(t, "p"), ProcessSuccess, 2, 1)
	if got := tr.file(t, LogDir+"/p.stdout"); got != "SECOND=yes\n" {
		t.Errorf("stdout = %q, want the second run's SECOND=yes", got)
	}
}

func TestThermosProfileThatFails(t *testing.T) {
	// As with Thermos's BASH_ENV: the profile's status does not stop the
	// cmdline (it sees it in $?), nor does a profile the shell cannot
	// parse; an exit in the profile ends the run.
	for name, shell := range testShells(t) {
		t.Run(name, func(t *testing.T) {
			useShell := func(r *Runner) { r.Shell = shell }

			tr := runTask(t, testSpec(newProc("p", `echo "A=$A status=$?"`)), nil, useShell, withProfile(t, "export A=1\nfalse\n"))
			tr.wantTask(t, TaskSuccess, ExitSuccess)
			if got := tr.file(t, LogDir+"/p.stdout"); got != "A=1 status=1\n" {
				t.Errorf("failing profile: stdout = %q, want A=1 status=1", got)
			}

			tr = runTask(t, testSpec(newProc("p", `echo ran`)), nil, useShell, withProfile(t, "export A=1\nif then\n"))
			tr.wantTask(t, TaskSuccess, ExitSuccess)
			if got := tr.file(t, LogDir+"/p.stdout"); got != "ran\n" {
				t.Errorf("unparsable profile: stdout = %q, want ran", got)
			}
			if got := tr.file(t, LogDir+"/p.stderr"); !strings.Contains(got, ProfileFile) {
				t.Errorf("unparsable profile: stderr = %q, want the shell's error about it", got)
			}

			tr = runTask(t, testSpec(newProc("p", `echo ran`)), nil, useShell, withProfile(t, "exit 3\n"))
			tr.wantTask(t, TaskFailed, ExitFailed)
			p := tr.proc(t, "p")
			if p.ExitCode == nil || *p.ExitCode != 3 {
				t.Errorf("exit in the profile: exit code %s, want 3", ptrString(p.ExitCode))
			}
			if got := tr.file(t, LogDir+"/p.stdout"); got != "" {
				t.Errorf("exit in the profile: stdout = %q, want the cmdline not run", got)
			}
		})
	}
}

func TestThermosProfileKeepsExitStatusSignalsAndExec(t *testing.T) {
	profile := withProfile(t, "export A=1\n")
	code := newProc("code", "exit 7")
	killed := newProc("killed", "kill -KILL $$")
	execs := newProc("exec", `echo $$ > shell.pid; exec sh -c 'echo $$ > exec.pid'`)
	spec := testSpec(code, killed, execs)
	spec.MaxFailures = 0
	tr := runTask(t, spec, nil, profile)
	tr.wantTask(t, TaskFailed, ExitFailed)
	if p := tr.proc(t, "code"); p.ExitCode == nil || *p.ExitCode != 7 || p.Signal != 0 {
		t.Errorf("code: exit code %s, signal %d; want 7, 0", ptrString(p.ExitCode), p.Signal)
	}
	if p := tr.proc(t, "killed"); p.Signal != 9 || p.ExitCode == nil || *p.ExitCode != 137 {
		t.Errorf("killed: exit code %s, signal %d; want 137, 9", ptrString(p.ExitCode), p.Signal)
	}
	wantProc(t, tr.proc(t, "exec"), ProcessSuccess, 1, 0)
	if sh, ex := tr.file(t, "shell.pid"), tr.file(t, "exec.pid"); sh != ex {
		t.Errorf("exec ran in pid %s, not in the shell's %s", strings.TrimSpace(ex), strings.TrimSpace(sh))
	}
}

// awkwardSandbox moves the sandbox to a subdirectory whose name a shell
// would split, expand and run.
func awkwardSandbox(t *testing.T) func(*Runner) {
	return func(r *Runner) {
		r.Sandbox = filepath.Join(r.Sandbox, `it's a "sandbox" $HOME $(id) ;`)
		if err := os.Mkdir(r.Sandbox, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

func TestThermosProfileFromAnAwkwardSandboxPath(t *testing.T) {
	const profile = "export FROM_PROFILE=yes\n"
	t.Run("in the sandbox", func(t *testing.T) {
		tr := runTask(t, testSpec(newProc("p", `echo "FROM_PROFILE=$FROM_PROFILE"`)), nil, awkwardSandbox(t), withProfile(t, profile))
		tr.wantTask(t, TaskSuccess, ExitSuccess)
		if got := tr.stdout.String(); got != "FROM_PROFILE=yes\n" {
			t.Errorf("stdout = %q, want FROM_PROFILE=yes", got)
		}
	})
	t.Run("in a workdir", func(t *testing.T) {
		// The profile is the sandbox's; it and the cmdline run in the
		// workdir.
		workdir := t.TempDir()
		spec := testSpec(newProc("p", `pwd -P; echo "FROM_PROFILE=$FROM_PROFILE"`))
		spec.WorkDir = workdir
		tr := runTask(t, spec, nil, awkwardSandbox(t), withProfile(t, profile))
		tr.wantTask(t, TaskSuccess, ExitSuccess)
		real, err := filepath.EvalSymlinks(workdir)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := tr.stdout.String(), real+"\nFROM_PROFILE=yes\n"; got != want {
			t.Errorf("stdout = %q, want %q", got, want)
		}
	})
}
