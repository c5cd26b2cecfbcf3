package config

// The tables the configuration reference (reference.go) is made from: its
// objects in order, a summary of each and the meaning of every field.

import "reflect"

// referenceObjects lists every object of the model, in the reference's order.
var referenceObjects = []reflect.Type{
	reflect.TypeFor[Job](),
	reflect.TypeFor[Task](),
	reflect.TypeFor[Process](),
	reflect.TypeFor[Logger](),
	reflect.TypeFor[RotatePolicy](),
	reflect.TypeFor[Constraint](),
	reflect.TypeFor[Resources](),
	reflect.TypeFor[HealthCheckConfig](),
	reflect.TypeFor[HealthCheckerConfig](),
	reflect.TypeFor[HTTPHealthChecker](),
	reflect.TypeFor[ShellHealthChecker](),
	reflect.TypeFor[UpdateConfig](),
	reflect.TypeFor[UpdateStrategy](),
	reflect.TypeFor[QueueUpdateStrategy](),
	reflect.TypeFor[BatchUpdateStrategy](),
	reflect.TypeFor[VariableBatchUpdateStrategy](),
	reflect.TypeFor[Container](),
	reflect.TypeFor[Docker](),
	reflect.TypeFor[DockerParameter](),
	reflect.TypeFor[Mesos](),
	reflect.TypeFor[MesosImage](),
	reflect.TypeFor[DockerImage](),
	reflect.TypeFor[AppcImage](),
	reflect.TypeFor[Volume](),
	reflect.TypeFor[Announcer](),
	reflect.TypeFor[LifecycleConfig](),
	reflect.TypeFor[HTTPLifecycleConfig](),
	reflect.TypeFor[Metadata](),
	reflect.TypeFor[SlaPolicy](),
	reflect.TypeFor[CountSlaPolicy](),
	reflect.TypeFor[PercentageSlaPolicy](),
	reflect.TypeFor[CoordinatorSlaPolicy](),
	reflect.TypeFor[PartitionPolicy](),
	reflect.TypeFor[ExecutorConfig](),
}

// objectSummaries describes each object, by Aurora name.
var objectSummaries = map[string]string{
	"Job": "One Aurora job: a task run as `instances` instances, identified by the job key " +
		"`cluster/role/environment/name`. `Service(...)` is `Job(service = True, ...)`; a job with a `cron_schedule` is a cron job (docs/semantics.md §9). " +
		"An Aurora file assigns a list of jobs to `jobs`; YAML and JSON files have a top-level `jobs` list.",
	"Task": "A set of processes run together in one container (one task per instance at a time). " +
		"Processes without constraints run in parallel. `SequentialTask(...)` is a `Task` whose processes " +
		"all run in one `order(...)`; it refuses a task that already has constraints.",
	"Process": "One command line run inside the task's container by the in-container runner " +
		"(Thermos's Process). A task succeeds when every non-ephemeral, non-final process has finished successfully.",
	"Logger":       "Where a process's output goes and how its log files (`/sandbox/.logs/NAME.stdout`, `.stderr`) rotate (Aurora's Logger).",
	"RotatePolicy": "How a log file rotates in Logger mode `rotate`: at `log_size` bytes it becomes `NAME.stdout.1`, older ones shift up, at most `backups` kept.",
	"Constraint": "An order between processes, made with `order(a, b, ...)` from processes or process names " +
		"(in YAML/JSON `constraints: [{order: [a, b]}]`). A process may not depend on a daemon process, " +
		"a non-ephemeral process not on an ephemeral one, final and regular processes not on each other; cycles are errors.",
	"Resources": "What a task's container may use, enforced as Docker limits. All three of cpu, ram and disk are required.",
	"HealthCheckConfig": "Health-check timing and counting (Aurora's rules). With " +
		"`m = ceil(initial_interval_secs / interval_secs)` and " +
		"`n = m + max_consecutive_failures + min_consecutive_successes`, failures in the first m checks are " +
		"ignored and a task not RUNNING after n checks fails. The first check runs as soon as the container runs.",
	"HealthCheckerConfig": "A choice of health checker: set exactly one of `http` and `shell`. " +
		"A shell checker is used whenever one is set; the HTTP checker only when the task has a port named " +
		"`health`; with neither, a task is RUNNING as soon as its container has started. " +
		"In an Aurora file `health_checker = ShellHealthChecker(...)` stands for the choice.",
	"HttpHealthChecker": "GET `http://<host>:<health port><endpoint>` with `timeout_secs`. " +
		"A connection error, a timeout or an unexpected body or status is a failed check.",
	"ShellHealthChecker": "A command run inside the task's container; exit status 0 is healthy, " +
		"any other status or a timeout is a failed check.",
	"UpdateConfig": "How `borealis update start` rolls a new config out to a service job, and when it rolls back. " +
		"Only instances whose task changed are updated (every field but `update_config` and `instances` counts).",
	"UpdateStrategy": "A choice of update strategy: set exactly one field. In YAML/JSON " +
		"`update_strategy: {batch: {batch_size: 3}}`; in an Aurora file the strategy object itself " +
		"(`update_strategy = BatchUpdateStrategy(batch_size = 3)`). There is no `UpdateStrategy(...)` constructor.",
	"QueueUpdateStrategy": "Keeps up to `batch_size` instances in flight: a new one starts as soon as one is done. " +
		"This is the strategy when `update_strategy` is unset (with the UpdateConfig's `batch_size`).",
	"BatchUpdateStrategy": "Updates instances in groups of `batch_size`: the next group starts only when the " +
		"whole group before it is done. `wait_for_batch_completion = True` means the same.",
	"VariableBatchUpdateStrategy": "Like BatchUpdateStrategy, with the group sizes of `batch_sizes` in turn; " +
		"the last size repeats.",
	"Container": "A choice of container: set exactly one of `docker` and `mesos`. In an Aurora file the container " +
		"itself stands for the choice: `container = Docker(...)` or `container = Mesos(...)` (Aurora's older " +
		"`Container(docker = Docker(...))` works too). Docker is the only kind Borealis runs: a Mesos container is " +
		"resolved when the config is loaded to the Docker container it stands for (see Mesos), and `job inspect` shows that.",
	"Docker":    "The image a task's container runs. Borealis pulls nothing: the image must exist on the worker's Docker host.",
	"Parameter": "A Docker parameter, named like a `docker run` option without the dashes.",
	"Mesos": "Aurora's Mesos (unified) container, run by Borealis as a Docker container. When the config is loaded, " +
		"`Mesos(image = DockerImage(name = N, tag = T), volumes = [...])` becomes `Docker(image = 'N:T', parameters = " +
		"[Parameter('volume', 'HOST:CONTAINER:ro'), ...])`, each Volume in order (`volumes[i]` is `parameters[i]`, " +
		"which is how the worker names it), so a volume is held to exactly the checks of a Docker `volume` parameter: " +
		"`volume` in the worker's `docker.allowed_parameters`, the host path under `volumes.allowed_host_paths`. " +
		"`Mesos()` without image or volumes is no container (the worker's default image). An AppcImage is refused, " +
		"and so are volumes without an image (Aurora runs such a task on the host's filesystem; Borealis always runs an image).",
	"MesosImage": "The choice of a Mesos container's image (Aurora's `Choice([AppcImage, DockerImage])`): set exactly one " +
		"field. In an Aurora file the image object itself stands for the choice (`image = DockerImage(...)`); in YAML/JSON " +
		"`image: {docker: {name: nginx, tag: '1.25'}}`. `MesosImage(docker = ...)` works too but is not Aurora's.",
	"DockerImage": "A Docker image by name and tag, run as `NAME:TAG`. As for `Docker(image = ...)`, it must exist " +
		"on the worker's Docker host: nothing is pulled.",
	"AppcImage": "An appc image. Parsed so that it can be named, then refused: `appc images are not supported: use DockerImage`.",
	"Volume": "A host path mounted into a Mesos container, run as the Docker parameter `volume` " +
		"`HOST_PATH:CONTAINER_PATH:ro` (mode `RO`) or `:rw` (mode `RW`). `mode` takes `Mode('RO')` or the string `'RO'`.",
	"Announcer": "Service discovery. Borealis keeps no ZooKeeper ServerSets; `borealis job endpoints` " +
		"shows the RUNNING instances as ServerSet members, with `primary_port` as the service endpoint.",
	"LifecycleConfig": "How a task is asked to leave before it is signalled (kill, restart, update). " +
		"A choice whose only kind is `http`.",
	"HttpLifecycleConfig": "The HTTP shutdown sequence, used when the task has a `health` port: POST " +
		"`graceful_shutdown_endpoint`, wait up to `graceful_shutdown_wait_secs`; POST `shutdown_endpoint`, wait up " +
		"to `shutdown_wait_secs`; then SIGTERM and, after the task's `finalization_wait`, SIGKILL. A task that exits " +
		"earlier skips the rest; an endpoint that does not answer 2xx moves on at once.",
	"Metadata": "A free key/value pair kept with the job.",
	"SlaPolicy": "A job's SLA (Aurora 0.21), a choice: set exactly one field. In YAML/JSON " +
		"`sla_policy: {count: {count: 2, duration_secs: 60}}`; in an Aurora file the policy object itself " +
		"(`sla_policy = CountSlaPolicy(count = 2, duration_secs = 60)`). There is no `SlaPolicy(...)` constructor. " +
		"It is used by SLA-aware updates (`UpdateConfig(sla_aware = True)`): an update stops an instance only when " +
		"the job keeps its SLA without it, and otherwise asks again later. The worker skips count and percentage " +
		"checks for jobs with fewer active instances than its `sla.min_instances` setting (default 20, Aurora's " +
		"`-min_required_instances_for_sla_check`) and, unless `sla.non_production` is set, for non-production jobs.",
	"CountSlaPolicy": "At least `count` of the job's active instances must have been RUNNING for `duration_secs`, " +
		"not counting the instance about to be stopped. As in Aurora, `count` must leave room for one instance " +
		"to be down: 1 ≤ count < instances.",
	"PercentageSlaPolicy": "At least `percentage` percent of the job's active instances must have been RUNNING for " +
		"`duration_secs`, not counting the instance about to be stopped. As in Aurora, the percentage must leave " +
		"room for one instance to be down: at most (instances - 1) / instances × 100.",
	"CoordinatorSlaPolicy": "An external coordinator decides: before an instance is stopped, `coordinator_url` is " +
		"sent a POST about the task, and the boolean field `status_key` of its JSON answer says whether the " +
		"instance may go. A failed request or a false answer means not yet.",
	"PartitionPolicy": "Aurora's partition policy: what a partition-aware scheduler does with a task whose agent it " +
		"cannot reach. Parsed, kept with the job and shown by `job inspect --write-json`; not acted on: Borealis runs " +
		"each task on its worker's Docker host and has no partitions to wait out.",
	"ExecutorConfig": "Aurora's choice of Mesos executor for a job's tasks and the data it is given. Parsed, kept and " +
		"shown by `job inspect --write-json`: Borealis runs every task's processes with its own runner, as Thermos does; " +
		"another executor is refused, and `data` goes to nothing (a warning says so).",
}

// fieldDoc is a field's entry in the description table.
type fieldDoc struct {
	meaning string
	// required fields have no default; validation refuses them empty.
	required bool
	// derived replaces the default for a field whose default is computed
	// from other fields at load time.
	derived string
}

// fieldDocs describes every field, keyed by "Object.field" (Aurora names).
var fieldDocs = map[string]fieldDoc{
	// Job
	"Job.name":        {meaning: "Last part of the job key; a [name](#limits) of letters, digits, `_`, `-` and `.`.", derived: "the task's name"},
	"Job.role":        {meaning: "Role (the account the job belongs to); part of the job key; a [name](#limits) of letters, digits, `_`, `-` and `.`.", required: true},
	"Job.cluster":     {meaning: "Cluster, the first part of the job key `cluster/role/environment/name`; a [name](#limits) of letters, digits, `_`, `-` and `.`.", required: true},
	"Job.environment": {meaning: "Environment (`prod`, `devel`, `test`, ...); part of the job key; a [name](#limits) of letters, digits, `_`, `-` and `.`.", required: true},
	"Job.task":        {meaning: "The task every instance runs.", required: true},
	"Job.instances":   {meaning: "Number of instances, 1 to 10000, ids 0 to instances-1; each is one instance workflow running one container at a time."},
	"Job.service":     {meaning: "A service: a new task is started whenever one ends (FINISHED, FAILED, LOST). Only services can be updated."},
	"Job.max_task_failures": {meaning: "Non-service jobs: an instance whose tasks have FAILED this many times is not restarted; " +
		"-1 = unlimited; must be -1 or > 0."},
	"Job.health_check_config": {meaning: "Health-check timing, counting and checker (HealthCheckConfig)."},
	"Job.update_config":       {meaning: "How `update start` rolls out a new config (UpdateConfig)."},
	"Job.container": {meaning: "`Docker(image = ...)` or `Mesos(image = DockerImage(...), volumes = [...])` (run as the " +
		"Docker container it stands for); unset runs the worker's default image, `borealis/base:latest` unless its operator changed it."},
	"Job.constraints":  {meaning: "Aurora's scheduling constraints (attribute: value). Accepted; not acted on, as Borealis places tasks on its one Docker host. Setting it draws a warning."},
	"Job.announce":     {meaning: "Service discovery (Announcer); its `primary_port` is the service endpoint of `job endpoints`."},
	"Job.metadata":     {meaning: "Free key/value pairs (Metadata) kept with the job's config."},
	"Job.contact":      {meaning: "Contact address of the job's owner; informational."},
	"Job.tier":         {meaning: "Aurora's scheduling tier (`preferred`, `preemptible`, ...). `preferred` makes the job production for SLA checks; otherwise not acted on (no tiers or quotas), and another tier draws a warning."},
	"Job.priority":     {meaning: "Aurora's preemption priority, a 32-bit integer. Accepted; not acted on: a non-zero priority draws a warning."},
	"Job.production":   {meaning: "Aurora's production flag. SLA-aware updates check the SLA of production jobs (and, with the worker's `sla.non_production`, of every job); no production quota."},
	"Job.lifecycle":    {meaning: "How a task with a `health` port is asked to shut down before it is signalled (LifecycleConfig)."},
	"Job.task_links":   {meaning: "Aurora's task links (name: URL template). Kept and shown by `job inspect --write-json`; not acted on. Setting it draws a warning."},
	"Job.enable_hooks": {meaning: "Aurora's client hooks. Accepted; not acted on: `True` draws a warning."},
	"Job.sla_policy": {meaning: "The job's SLA (SlaPolicy): CountSlaPolicy, PercentageSlaPolicy or CoordinatorSlaPolicy; " +
		"used by updates with `sla_aware = True`."},
	"Job.cron_schedule": {meaning: "Makes the job a cron job (docs/semantics.md §9), run by `borealis cron schedule`: a five-field cron expression " +
		"`minute hour day-of-month month day-of-week`, in UTC. Each field takes `*`, numbers, ranges `a-b`, steps `*/n` and " +
		"`a-b/n`, and comma lists of these; month names `JAN`-`DEC` and day names `SUN`-`SAT` in any case; day-of-week 0-7, " +
		"0 and 7 both Sunday. When both day-of-month and day-of-week are restricted (neither is `*`), a day matching either " +
		"runs. No `@hourly`-style macros, seconds, years, `?`, `L`, `W` or `#`, and no schedule that never runs (`0 0 30 2 *`). " +
		"Not with `service = True`."},
	"Job.partition_policy": {meaning: "Aurora's PartitionPolicy. Parsed and shown; not acted on. Setting it draws a warning."},
	"Job.executor_config": {meaning: "Aurora's ExecutorConfig; unset is Aurora's `ExecutorConfig()`, the Thermos executor. " +
		"Parsed and shown; an executor other than `AuroraExecutor` is refused (Borealis runs the task's processes itself)."},
	"Job.cron_collision_policy": {meaning: "What a scheduled time of a cron job does while its previous run is still active (docs/semantics.md §9): " +
		"`KILL_EXISTING` kills that run, then starts the new one; `CANCEL_NEW` skips this time. Aurora's deprecated " +
		"`RUN_OVERLAP` is refused; so is the field without `cron_schedule`.", derived: "`KILL_EXISTING` for a cron job, else unset"},

	// Task
	"Task.name":        {meaning: "Task name; a [name](#limits) of letters, digits, `_`, `-` and `.`.", derived: "the first process's name"},
	"Task.processes":   {meaning: "The processes of the task; at least one, names unique.", required: true},
	"Task.constraints": {meaning: "Order constraints between processes: `[order(a, b, ...)]`."},
	"Task.resources":   {meaning: "CPU, RAM and disk of the task's container.", required: true},
	"Task.max_failures": {meaning: "Failed processes that fail the task; 0 = unlimited. A task whose remaining " +
		"processes can no longer succeed fails at once."},
	"Task.max_concurrency":   {meaning: "Processes that may run at once; 0 = unlimited."},
	"Task.finalization_wait": {meaning: "Seconds from SIGTERM to SIGKILL when the task is stopped; final processes run within it."},
	"Task.user": {meaning: "Thermos's task user (Aurora's stopgap for MESOS-3546). Accepted; not acted on: tasks run as " +
		"the worker's `tasks.uid`/`tasks.gid`, or the Docker parameter `user`. Setting it draws a warning."},

	// Process
	"Process.name": {meaning: "Unique in the task; at most 255 bytes; must not start with `.` nor contain `/`, `,`, `=`, NUL or a line break.", required: true},
	"Process.cmdline": {meaning: "Run with `/bin/sh -c` in the task's container, in `/sandbox`; `{{thermos.ports[NAME]}}`, " +
		"`{{mesos.instance}}`, `{{mesos.hostname}}`, `{{thermos.task_id}}` and `{{secret[NAME]}}` are filled in at launch.", required: true},
	"Process.max_failures": {meaning: "Failed runs before the process is failed; 0 = retry forever."},
	"Process.daemon":       {meaning: "Run the process again after a successful exit too."},
	"Process.ephemeral":    {meaning: "Its outcome does not count toward the task's success."},
	"Process.min_duration": {meaning: "Seconds between the end of one run and the next run of this process."},
	"Process.final":        {meaning: "A finalizing process: runs after the regular processes have ended or the task is stopped."},
	"Process.logger": {meaning: "Where output goes and how log files rotate (Logger). Unset: the files rotate at 100 MiB keeping 5 backups " +
		"(Aurora keeps whole files by default: a deliberate difference, so a chatty process cannot fill the disk)."},
	"Process.resources": {meaning: "Thermos's per-process Resources, which Aurora reserves for future use. Accepted " +
		"(finite, not negative, within a task's bounds); not acted on: the task's resources limit its container. Setting it draws a warning."},
	// Logger
	"Logger.destination": {meaning: "`file`, `console` or `both`. Borealis always writes the sandbox's log files and copies output to the container's log (`task logs`), so all three behave as `both`; `console` draws a warning."},
	"Logger.mode":        {meaning: "`standard` (files grow whole) or `rotate` (rotated by `rotate`)."},
	"Logger.rotate":      {meaning: "Sizes of the rotation in mode `rotate` (RotatePolicy); unset: 100 MiB and 5 backups."},
	// RotatePolicy
	"RotatePolicy.log_size": {meaning: "Size at which a log file is rotated to `.1` (older ones shift up); 1 KiB to 1 TiB."},
	"RotatePolicy.backups":  {meaning: "Rotated files kept per log; 0 to 100."},

	// Constraint
	"Constraint.order": {meaning: "Process names; each runs after the one before it has finished successfully.", required: true},

	// Resources
	"Resources.cpu": {meaning: "CPU cores, 0.001 to 1024; the container's CPU quota.", required: true},
	"Resources.ram": {meaning: "Bytes, 1 MiB to 1 PiB (`128*MB`; `128MB` in YAML/JSON); the container's memory limit, " +
		"swap included. A task over it is OOM killed and FAILED.", required: true},
	"Resources.disk": {meaning: "Bytes, 1 MiB to 1 PiB; the size limit of the container's writable layer where the " +
		"storage driver has quotas (overlay2 on xfs, btrfs, zfs), otherwise reported as not enforced.", required: true},
	"Resources.gpu": {meaning: "GPUs. Accepted; not allocated: more than 0 draws a warning."},

	// HealthCheckConfig
	"HealthCheckConfig.health_checker": {meaning: "The checker (HealthCheckerConfig). The HTTP checker runs only when the task has a port named `health`."},
	"HealthCheckConfig.initial_interval_secs": {meaning: "Grace period: failed checks among the first " +
		"`ceil(initial_interval_secs / interval_secs)` are not counted; ≥ 0."},
	"HealthCheckConfig.interval_secs": {meaning: "Seconds between the start of one check and the next; > 0."},
	"HealthCheckConfig.max_consecutive_failures": {meaning: "Counted consecutive failures tolerated; one more fails the task, " +
		"before or after RUNNING; ≥ 0."},
	"HealthCheckConfig.min_consecutive_successes": {meaning: "Consecutive successful checks that make the task RUNNING; ≥ 1."},
	"HealthCheckConfig.timeout_secs":              {meaning: "Time limit of one check, in seconds; > 0."},

	// HealthCheckerConfig
	"HealthCheckerConfig.http":  {meaning: "HTTP checks of the task's `health` port (HttpHealthChecker)."},
	"HealthCheckerConfig.shell": {meaning: "A shell command run in the container (ShellHealthChecker); used whenever set."},

	// HttpHealthChecker
	"HttpHealthChecker.endpoint": {meaning: "Path requested with GET on the task's `health` port."},
	"HttpHealthChecker.expected_response": {meaning: "Expected body, compared trimmed and case-insensitively; empty = any body. " +
		"A non-2xx response counts as an empty body."},
	"HttpHealthChecker.expected_response_code": {meaning: "Expected HTTP status code; 0 = any."},

	// ShellHealthChecker
	"ShellHealthChecker.shell_command": {meaning: "Run with `/bin/sh -c` in the task's container with `{{thermos.ports[NAME]}}`, " +
		"`{{mesos.instance}}`, `{{mesos.hostname}}` and `{{thermos.task_id}}` filled in; exit 0 is healthy.", required: true},

	// UpdateConfig
	"UpdateConfig.batch_size": {meaning: "Instances updated at once (the Queue strategy), when `update_strategy` is unset; > 0. " +
		"With `update_strategy` it must stay 1: as Aurora's client, Borealis refuses both (set the size in the strategy)."},
	"UpdateConfig.watch_secs": {meaning: "Seconds a new task must stay RUNNING to count as updated; ≥ 0. " +
		"0 is fine with health checks: RUNNING already means healthy."},
	"UpdateConfig.max_per_shard_failures": {meaning: "Failures of one instance tolerated (it is tried again) before the instance fails."},
	"UpdateConfig.max_total_failures":     {meaning: "Failed instances tolerated before the update fails; must be < instances."},
	"UpdateConfig.rollback_on_failure": {meaning: "A failed update rolls back; with False it ends FAILED and the job stays " +
		"partly updated."},
	"UpdateConfig.wait_for_batch_completion": {meaning: "Start no batch before the previous one is done: " +
		"`BatchUpdateStrategy(batch_size)`. Not together with `update_strategy`."},
	"UpdateConfig.pulse_interval_secs": {meaning: "When set (≥ 60), the update advances only while `update pulse` is " +
		"called at least this often; otherwise it waits in `ROLL_FORWARD_AWAITING_PULSE` (or `ROLL_BACK_AWAITING_PULSE`)."},
	"UpdateConfig.update_strategy": {meaning: "QueueUpdateStrategy, BatchUpdateStrategy or VariableBatchUpdateStrategy; " +
		"unset = `QueueUpdateStrategy(batch_size)`."},
	"UpdateConfig.healthy_deadline_secs": {meaning: "Borealis's own: a new task not RUNNING this many seconds after its " +
		"container started fails that attempt of its instance; unset = wait as long as it takes (as Aurora); > 0."},
	"UpdateConfig.update_order": {meaning: "Borealis's own: `stop_first` stops the old task before starting the new one. " +
		"`start_first` starts the new task (on new ports) and stops the old one once the new one is RUNNING; for that moment the instance has two tasks."},

	"UpdateConfig.sla_aware": {meaning: "An SLA-aware update: an instance is stopped only when the job keeps its " +
		"`sla_policy` without it; until then the update waits and asks again. Needs `sla_policy`."},

	// UpdateStrategy
	"UpdateStrategy.queue":          {meaning: "QueueUpdateStrategy."},
	"UpdateStrategy.batch":          {meaning: "BatchUpdateStrategy."},
	"UpdateStrategy.variable_batch": {meaning: "VariableBatchUpdateStrategy."},

	// Strategies
	"QueueUpdateStrategy.batch_size": {meaning: "Instances in flight at once; > 0."},
	"BatchUpdateStrategy.batch_size": {meaning: "Instances per batch; > 0."},
	"BatchUpdateStrategy.autopause_after_batch": {meaning: "Pause (ROLL_FORWARD_PAUSED) before each batch after the " +
		"first; `update resume` goes on."},
	"VariableBatchUpdateStrategy.batch_sizes": {meaning: "Batch sizes, used in turn; the last one repeats; each > 0.", required: true},
	"VariableBatchUpdateStrategy.autopause_after_batch": {meaning: "Pause (ROLL_FORWARD_PAUSED) before each batch after " +
		"the first; `update resume` goes on."},

	// Container, Docker, Parameter
	"Container.docker": {meaning: "The Docker image to run (Docker)."},
	"Docker.image":     {meaning: "Image name, present on the Docker host (nothing is pulled).", required: true},
	"Docker.parameters": {meaning: "Docker parameters (Parameter), each checked against the worker's `docker.allowed_parameters`: " +
		"a parameter it does not allow is refused at create and update. Supported: `env` (`NAME=VALUE`), `label` (`key=value`), " +
		"`workdir`, `volume` (`/host:/container[:ro]`, the host path under `volumes.allowed_host_paths`), `user` (`uid[:gid]`, not 0), " +
		"`cap-add` (only when the operator allows it). Anything else is refused."},
	"Parameter.name":  {meaning: "Parameter name: `env`, `label`, `workdir`, `volume`, `user` or `cap-add`.", required: true},
	"Parameter.value": {meaning: "Its value; an `env` value may hold `{{secret[NAME]}}`, filled by the task's worker at start."},

	// Mesos, MesosImage, DockerImage, AppcImage, Volume
	"Container.mesos": {meaning: "A Mesos container (Mesos), resolved at load to the Docker container it stands for."},
	"Mesos.image": {meaning: "The image (MesosImage): `DockerImage(name, tag)`; an AppcImage is refused. Unset: " +
		"allowed only without volumes, and then the worker's default image runs."},
	"Mesos.volumes":      {meaning: "Host paths to mount (Volume), each run as a Docker `volume` parameter."},
	"MesosImage.docker":  {meaning: "DockerImage."},
	"MesosImage.appc":    {meaning: "AppcImage; refused: `appc images are not supported: use DockerImage`."},
	"DockerImage.name":   {meaning: "Image name, with its registry and repository if any (`registry:5000/team/app`); no white space.", required: true},
	"DockerImage.tag":    {meaning: "Image tag (`1.25`, `latest`); without `:`, `/`, `@` or white space.", required: true},
	"AppcImage.name":     {meaning: "The appc image's name.", required: true},
	"AppcImage.image_id": {meaning: "The appc image id.", required: true},
	"Volume.container_path": {meaning: "Where the host path is mounted in the container; absolute, not Borealis's own " +
		"(`/sandbox`, ...), no `:` (the worker checks it as for a `volume` parameter).", required: true},
	"Volume.host_path": {meaning: "The host path; absolute, no `:`, under the worker's `volumes.allowed_host_paths` " +
		"(checked by the worker as for a `volume` parameter).", required: true},
	"Volume.mode": {meaning: "`RO` (read-only) or `RW` (read-write), in capitals as Aurora's Mode; `Mode('RO')` is `'RO'`.", required: true},

	// Announcer
	"Announcer.primary_port": {meaning: "Port name shown as the service endpoint by `job endpoints`; the others are additional endpoints."},
	"Announcer.portmap": {meaning: "Aliases (alias: port name, another alias, or a fixed number): a named port is " +
		"allocated even if no cmdline references it, and `job endpoints` lists each alias as the port it resolves to; " +
		"`aurora` is the primary port unless set. A cmdline references the port, not its alias."},
	"Announcer.zk_path": {meaning: "ZooKeeper path of the ServerSet. Accepted; not used (no ZooKeeper): a warning says so."},

	// LifecycleConfig, HttpLifecycleConfig
	"LifecycleConfig.http": {meaning: "The HTTP shutdown sequence (HttpLifecycleConfig)."},
	"HttpLifecycleConfig.port": {meaning: "Name of the port the shutdown endpoints are called on (when the task has it; " +
		"else the `health` port)."},
	"HttpLifecycleConfig.graceful_shutdown_endpoint":  {meaning: "Path POSTed first, to ask the task to leave."},
	"HttpLifecycleConfig.shutdown_endpoint":           {meaning: "Path POSTed next, to tell the task to leave now."},
	"HttpLifecycleConfig.graceful_shutdown_wait_secs": {meaning: "Seconds to wait for the task to exit after the graceful endpoint; ≥ 0."},
	"HttpLifecycleConfig.shutdown_wait_secs":          {meaning: "Seconds to wait for the task to exit after the shutdown endpoint, before SIGTERM; ≥ 0."},

	// Metadata
	"Metadata.key":   {meaning: "Key.", required: true},
	"Metadata.value": {meaning: "Value."},

	// SlaPolicy and its kinds
	"SlaPolicy.count":       {meaning: "CountSlaPolicy."},
	"SlaPolicy.percentage":  {meaning: "PercentageSlaPolicy."},
	"SlaPolicy.coordinator": {meaning: "CoordinatorSlaPolicy."},
	"CountSlaPolicy.count": {meaning: "Active instances that must stay RUNNING (for `duration_secs`) while one is " +
		"stopped; ≥ 1 and < instances.", required: true},
	"CountSlaPolicy.duration_secs": {meaning: "Seconds an instance must have been RUNNING to count; ≥ 0 " +
		"(Aurora requires the field; Borealis reads it as 0 when left out)."},
	"PercentageSlaPolicy.percentage": {meaning: "Percentage of active instances that must stay RUNNING (for " +
		"`duration_secs`) while one is stopped; > 0 and at most (instances - 1) / instances × 100.", required: true},
	"PercentageSlaPolicy.duration_secs": {meaning: "Seconds an instance must have been RUNNING to count; ≥ 0 " +
		"(Aurora requires the field; Borealis reads it as 0 when left out)."},
	"CoordinatorSlaPolicy.coordinator_url": {meaning: "The coordinator's `http://` or `https://` address.", required: true},
	"CoordinatorSlaPolicy.status_key": {meaning: "Field of the coordinator's JSON answer that allows the stop when " +
		"`true`; not empty."},

	// PartitionPolicy, ExecutorConfig
	"PartitionPolicy.reschedule": {meaning: "Whether a partitioned task is rescheduled. Not acted on."},
	"PartitionPolicy.delay_secs": {meaning: "Seconds a partitioned task waits before it is LOST; ≥ 0. Not acted on."},
	"ExecutorConfig.name":        {meaning: "The executor's name: `AuroraExecutor` (Thermos), the only one Borealis accepts."},
	"ExecutorConfig.data":        {meaning: "Data passed to a custom executor. Not acted on: set, it draws a warning."},
}
