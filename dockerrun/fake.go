package dockerrun

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/borealis-dev/borealis/jobkey"
	"github.com/borealis-dev/borealis/runner"
)

// Fake is an in-memory [Runtime] for unit tests of the packages above
// dockerrun. It keeps Docker's rules that callers rely on (idempotent Start,
// adoption, conflicts with foreign containers and other deployments',
// missing images, logs kept after Remove, errors classified as [Docker]'s
// are) but runs nothing: a started task runs until [Fake.Exit], Stop or
// Remove ends it. It is safe for concurrent use.
type Fake struct {
	// ExecFunc answers Exec for running tasks; nil answers exit code 0 with
	// no output.
	ExecFunc func(taskID string, cmd []string) (int, string, error)

	*fakeEngine
	// deployment and host are this runtime's Options.Deployment and
	// HostName (see WithDeployment).
	deployment, host string
	// testSweepLabeledOnly is Docker.testSweepLabeledOnly.
	testSweepLabeledOnly bool
}

// fakeEngine is the state of an in-memory engine, which several Fakes of
// different deployments may share.
type fakeEngine struct {
	mu       sync.Mutex
	ports    PortRange
	images   map[string]bool
	byName   map[string]*fakeContainer
	nextID   int
	used     map[int]bool
	subs     map[chan ExitEvent]string // subscriber -> its Fake's deployment
	failNext map[string]error
	stops    map[string][]time.Duration
	now      func() time.Time
	lastLog  time.Time // the timestamp of the latest log entry
	// saved holds the logs of removed containers, by savedKey, as
	// Docker's sandboxes hold them.
	saved map[string][]logEntry
}

type fakeContainer struct {
	id      string
	name    string
	foreign bool
	labels  map[string]string
	spec    TaskSpec
	runner  runner.TaskSpec
	task    Task
	state   TaskState
	logs    []logEntry
	// logsChanged is closed, and replaced, when logs grow.
	logsChanged chan struct{}
	done        chan struct{} // closed when the task stops running
	exited      bool
}

var _ Runtime = (*Fake)(nil)

// NewFake returns a Fake that knows the images borealis/base:latest and
// borealis/demo:latest and picks ports from the default range.
func NewFake() *Fake {
	return &Fake{fakeEngine: &fakeEngine{
		ports:    PortRange{DefaultPortMin, DefaultPortMax},
		images:   map[string]bool{DefaultImage: true, "borealis/demo:latest": true},
		byName:   map[string]*fakeContainer{},
		used:     map[int]bool{},
		subs:     map[chan ExitEvent]string{},
		failNext: map[string]error{},
		stops:    map[string][]time.Duration{},
		now:      time.Now,
		saved:    map[string][]logEntry{},
	}}
}

// AddForeign adds a running container named name without Borealis labels,
// as someone else's container would be.
func (f *Fake) AddForeign(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	f.byName[name] = &fakeContainer{id: fmt.Sprintf("foreign%d", f.nextID), name: name, foreign: true,
		done: make(chan struct{})}
}

// HasContainer reports whether a container of that name exists, foreign
// or not.
func (f *Fake) HasContainer(name string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.byName[name]
	return ok
}

// FailNext makes the next call of op ("start", "stop", "remove", "inspect",
// "list", "wait", "logs", "locate", "exec", "events", "sweep") return err, for testing error
// handling; wrap a kind (ErrUnavailable, ...) into err to classify it.
func (f *Fake) FailNext(op string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failNext[op] = err
}

// Exit ends the task's run with the exit code, as if its runner exited
// (oomKilled: as if the kernel killed it for memory), and sends an
// ExitEvent. Exiting a task that is not running is an ErrConflict.
func (f *Fake) Exit(taskID string, code int, oomKilled bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.owned("exit", taskID)
	if err != nil {
		return err
	}
	if !c.state.Running {
		return newError("exit", taskID, ErrConflict, "task is %s, not running", c.state.State)
	}
	f.exitLocked(c, code, oomKilled)
	return nil
}

// RunnerSpec returns the runner spec Start wrote for the task, templates
// filled, as the runner would read it.
func (f *Fake) RunnerSpec(taskID string) (runner.TaskSpec, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.owned("spec", taskID)
	if err != nil {
		return runner.TaskSpec{}, false
	}
	return c.runner, true
}

// Spec returns the TaskSpec the task was started with.
func (f *Fake) Spec(taskID string) (TaskSpec, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.owned("spec", taskID)
	if err != nil {
		return TaskSpec{}, false
	}
	return c.spec, true
}

// Stops returns the grace of every Stop call that found the task running.
func (f *Fake) Stops(taskID string) []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.stops[taskID])
}

// injected returns and clears the error FailNext set for op.
func (f *Fake) injected(op, taskID string) error {
	err, ok := f.failNext[op]
	if !ok {
		return nil
	}
	delete(f.failNext, op)
	return wrap(op, taskID, err, "injected")
}

// owned finds the task's container like Docker.inspectOwned.
func (f *Fake) owned(op, taskID string) (*fakeContainer, error) {
	name := ContainerName(taskID)
	c, ok := f.byName[name]
	if !ok {
		return nil, newError(op, taskID, ErrNotFound, "no container %s", name)
	}
	if c.foreign || c.spec.TaskID != taskID {
		return nil, newError(op, taskID, ErrConflict,
			"container %s exists but is not this task's: leaving it alone", name)
	}
	if !ofDeployment(c.labels, f.deployment) {
		return nil, newError(op, taskID, ErrConflict,
			"container %s is not this task's: it belongs to deployment %q, not %q: leaving it alone",
			name, c.labels[LabelDeployment], f.deployment)
	}
	return c, nil
}

// Start implements [Runtime.Start].
func (f *Fake) Start(ctx context.Context, spec TaskSpec) (*Task, error) {
	if err := ctx.Err(); err != nil {
		return nil, wrap("start", spec.TaskID, err, "")
	}
	if err := spec.validate(); err != nil {
		return nil, &Error{Op: "start", TaskID: spec.TaskID, Err: err}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.injected("start", spec.TaskID); err != nil {
		return nil, err
	}
	if spec.Image == "" {
		spec.Image = DefaultImage
	}
	name := ContainerName(spec.TaskID)
	if c, ok := f.byName[name]; ok {
		if _, err := f.owned("start", spec.TaskID); err != nil {
			return nil, err
		}
		t := c.task
		t.Adopted = true
		t.Ports = clonePorts(t.Ports)
		return &t, nil
	}
	if !f.images[spec.Image] {
		return nil, &Error{Op: "start", TaskID: spec.TaskID, Kind: ErrInvalid,
			Msg: fmt.Sprintf("image %q not found locally: build it with make images or docker build", spec.Image)}
	}
	ports := map[string]int{}
	for _, n := range spec.portNames() {
		p, err := f.allocPort()
		if err != nil {
			return nil, &Error{Op: "start", TaskID: spec.TaskID, Kind: ErrUnavailable, Msg: "allocate ports", Err: err}
		}
		ports[n] = p
	}
	f.nextID++
	id := fmt.Sprintf("fake%012d", f.nextID)
	now := f.now()
	c := &fakeContainer{
		id: id, name: name, spec: spec, runner: spec.fillRunnerSpec(ports),
		done: make(chan struct{}), logsChanged: make(chan struct{}),
	}
	c.task = Task{
		TaskID: spec.TaskID, ContainerID: id, Name: name, Image: spec.Image, Ports: ports,
		HostIP: DefaultHost, Sandbox: "/fake/sandboxes/" + sanitize(spec.TaskID),
		DiskReason: diskReason(spec.DiskBytes, false, "the fake runtime enforces no disk limit"),
	}
	c.labels = spec.labels(ports, f.host, f.deployment)
	c.state = stateFromLabels(c.labels)
	c.state.ContainerID, c.state.Name, c.state.Image = id, name, spec.Image
	c.state.State, c.state.Running, c.state.StartedAt = StateRunning, true, now
	f.byName[name] = c
	t := c.task
	t.Ports = clonePorts(ports)
	return &t, nil
}

func (f *Fake) allocPort() (int, error) {
	for p := f.ports.Min; p <= f.ports.Max; p++ {
		if !f.used[p] {
			f.used[p] = true
			return p, nil
		}
	}
	return 0, fmt.Errorf("no free port in %d-%d", f.ports.Min, f.ports.Max)
}

func clonePorts(m map[string]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// exitLocked marks c exited and tells the subscribers.
func (f *Fake) exitLocked(c *fakeContainer, code int, oom bool) {
	if c.exited {
		return
	}
	c.exited = true
	c.state.State, c.state.Running = StateExited, false
	c.state.ExitCode, c.state.OOMKilled, c.state.FinishedAt = code, oom, f.now()
	close(c.done)
	ev := ExitEvent{TaskID: c.state.TaskID, JobKey: c.state.JobKey, Instance: c.state.Instance,
		ContainerID: c.id, ExitCode: code, OOMKilled: oom, Time: c.state.FinishedAt}
	for ch, dep := range f.subs {
		if !ofDeployment(c.labels, dep) {
			continue
		}
		select {
		case ch <- ev:
		default: // a subscriber that does not read loses events, as on a broken stream
		}
	}
}

// Stop implements [Runtime.Stop]: a running task exits with 143, as the
// runner does on SIGTERM.
func (f *Fake) Stop(ctx context.Context, taskID string, grace time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.injected("stop", taskID); err != nil {
		return err
	}
	c, err := f.owned("stop", taskID)
	if IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if c.state.Running {
		f.stops[taskID] = append(f.stops[taskID], grace)
		f.exitLocked(c, 143, false)
	}
	return nil
}

// Remove implements [Runtime.Remove]: without opts.Sandbox the task's log
// stays readable through ReadLogs.
func (f *Fake) Remove(ctx context.Context, taskID string, opts RemoveOptions) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.injected("remove", taskID); err != nil {
		return err
	}
	c, err := f.owned("remove", taskID)
	switch {
	case IsNotFound(err):
	case err != nil:
		return err
	default:
		f.removeLocked(c, !opts.Sandbox)
	}
	if opts.Sandbox {
		delete(f.saved, f.savedKey(taskID))
	}
	return nil
}

// Inspect implements [Runtime.Inspect].
func (f *Fake) Inspect(ctx context.Context, taskID string) (*TaskState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.injected("inspect", taskID); err != nil {
		return nil, err
	}
	c, err := f.owned("inspect", taskID)
	if err != nil {
		return nil, err
	}
	st := c.state
	st.Ports = clonePorts(st.Ports)
	return &st, nil
}

// List implements [Runtime.List], newest first like Docker.
func (f *Fake) List(ctx context.Context, job jobkey.Key) ([]TaskState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.injected("list", ""); err != nil {
		return nil, err
	}
	var cs []*fakeContainer
	for _, c := range f.byName {
		if !c.foreign && ofDeployment(c.labels, f.deployment) && (job == (jobkey.Key{}) || c.state.JobKey == job) {
			cs = append(cs, c)
		}
	}
	slices.SortFunc(cs, func(a, b *fakeContainer) int { return -compareStr(a.id, b.id) })
	out := make([]TaskState, 0, len(cs))
	for _, c := range cs {
		st := c.state
		st.Ports = clonePorts(st.Ports)
		out = append(out, st)
	}
	return out, nil
}

func compareStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Wait implements [Runtime.Wait].
func (f *Fake) Wait(ctx context.Context, taskID string) (ExitStatus, error) {
	f.mu.Lock()
	if err := f.injected("wait", taskID); err != nil {
		f.mu.Unlock()
		return ExitStatus{}, err
	}
	c, err := f.owned("wait", taskID)
	f.mu.Unlock()
	if err != nil {
		return ExitStatus{}, err
	}
	select {
	case <-c.done:
	case <-ctx.Done():
		return ExitStatus{}, wrap("wait", taskID, ctx.Err(), "wait for container %s", c.name)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	st := ExitStatus{ExitCode: c.state.ExitCode, OOMKilled: c.state.OOMKilled, FinishedAt: c.state.FinishedAt}
	if st.OOMKilled {
		st.Reason = ReasonOOMKilled
	}
	return st, nil
}

// Exec implements [Runtime.Exec] through ExecFunc.
func (f *Fake) Exec(ctx context.Context, taskID string, cmd []string) (int, string, error) {
	f.mu.Lock()
	if err := f.injected("exec", taskID); err != nil {
		f.mu.Unlock()
		return -1, "", err
	}
	if len(cmd) == 0 {
		f.mu.Unlock()
		return -1, "", newError("exec", taskID, ErrInvalid, "empty command")
	}
	c, err := f.owned("exec", taskID)
	if err == nil && !c.state.Running {
		err = newError("exec", taskID, ErrConflict, "container %s is %s, not running", c.name, c.state.State)
	}
	fn := f.ExecFunc
	f.mu.Unlock()
	if err != nil {
		return -1, "", err
	}
	if fn == nil {
		return 0, "", nil
	}
	code, out, err := fn(taskID, slices.Clone(cmd))
	if len(out) > MaxExecOutput {
		out = fmt.Sprintf("%s\n[output truncated: %d bytes dropped]", out[:MaxExecOutput], len(out)-MaxExecOutput)
	}
	return code, out, err
}

// Events implements [Runtime.Events]. A subscriber that falls more than
// 1024 events behind loses events.
func (f *Fake) Events(ctx context.Context) (<-chan ExitEvent, <-chan error) {
	out := make(chan ExitEvent)
	errc := make(chan error, 1)
	f.mu.Lock()
	if err := f.injected("events", ""); err != nil {
		f.mu.Unlock()
		errc <- err
		close(out)
		return out, errc
	}
	in := make(chan ExitEvent, 1024)
	f.subs[in] = f.deployment
	f.mu.Unlock()
	go func() {
		defer close(out)
		defer func() {
			f.mu.Lock()
			delete(f.subs, in)
			f.mu.Unlock()
		}()
		for {
			select {
			case ev := <-in:
				select {
				case out <- ev:
				case <-ctx.Done():
					errc <- ctx.Err()
					return
				}
			case <-ctx.Done():
				errc <- ctx.Err()
				return
			}
		}
	}()
	return out, errc
}
