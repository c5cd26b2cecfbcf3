#!/usr/bin/env bash
# Runs bin/borealis-worker in the background for the demo (log and pid file
# in the data directory), replacing one this script started before, or
# reuses a worker of the same build that already polls the demo's task queue
# on this machine (`make worker` in another shell, say).
#   scripts/worker-bg.sh        reuse, or (re)start
#   scripts/worker-bg.sh stop   stop the worker this script started
# A worker is of the same build when its Temporal identity
# (borealis-worker/VERSION/workflows-N@HOST:PID, docs/operations.md) gives
# the version and workflows number `bin/borealis-worker --version` prints,
# this machine's host.name and the pid of a local borealis-worker process
# whose executable, when it can be read, has bin/borealis-worker's bytes.
# When the metrics address (worker.metrics_address) is taken, the demo's own
# worker serves its metrics on a free port of the same host.
set -euo pipefail
cd "$(dirname "$0")/.."
data="${BOREALIS_DATA_DIR:-${XDG_STATE_HOME:-$HOME/.local/state}/borealis}"
pidfile="$data/worker.pid"
reusedfile="$data/worker.reused"
log="$data/worker.log"
worker=bin/borealis-worker
mkdir -p "$data"

alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }
ours=$(cat "$pidfile" 2>/dev/null || true)

if [ "${1:-start}" = stop ]; then
  if alive "$ours"; then
    kill "$ours"
    for _ in $(seq 1 100); do alive "$ours" || break; sleep 0.1; done
    echo "stopped the worker started earlier"
  fi
  reused=$(cat "$reusedfile" 2>/dev/null || true)
  if [ -n "$reused" ] && [ -d "/proc/$reused" ]; then
    echo "left running the worker the demo reused (pid $reused): the demo did not start it"
  fi
  rm -f "$pidfile" "$reusedfile" "$data/worker.target"
  exit 0
fi

# setting NAME prints a setting's value as the worker would load it here.
conf=$(bin/borealis config show --write-json)
setting() {
  awk -v key="\"$1\"," '$1 == "\"key\":" && $2 == key {
    getline; sub(/^[ \t]*"value": *"?/, ""); sub(/"?,?[ \t]*$/, ""); print; exit }' <<<"$conf"
}
address=$(setting temporal.address)
namespace=$(setting temporal.namespace)
queue=$(setting temporal.task_queue)
host=$(setting host.name)
metrics=$(setting worker.metrics_address)

# pollers prints the identities of the workers polling the task queue
# (none when Temporal cannot be asked).
pollers() {
  local temporal flag value
  local args=(--address "$address" --namespace "$namespace")
  temporal=$(scripts/temporal-cli.sh) || return 0
  for flag in api-key:api_key tls-cert-path:tls_cert tls-key-path:tls_key tls-ca-path:tls_ca tls-server-name:tls_server_name; do
    value=$(setting "temporal.${flag#*:}")
    if [ -n "$value" ]; then args+=("--${flag%%:*}" "$value"); fi
  done
  "$temporal" task-queue describe "${args[@]}" --task-queue "$queue" --task-queue-type workflow -o json 2>/dev/null |
    grep -o '"identity": *"[^"]*"' | sed 's/^"identity": *"//; s/"$//' || true
}

# sameBuild PID says whether the local process PID runs bin/borealis-worker.
sameBuild() {
  grep -qa borealis-worker "/proc/$1/cmdline" 2>/dev/null || return 1
  [ -r "/proc/$1/exe" ] || return 0
  cmp -s "/proc/$1/exe" "$worker"
}

# The worker to reuse: one of this build polling the queue from here.
line=$($worker --version)
version=$(sed -n 's/^borealis-worker \(.*\) ([^,]*, workflows [0-9]*)$/\1/p' <<<"$line" | tr '/@ \t' '____')
workflows=$(sed -n 's/.*, workflows \([0-9]*\))$/\1/p' <<<"$line")
# Temporal lists a worker among the pollers only after its first poll, so
# the worker this script started is recognised by what it was started for.
target="$address $namespace $queue"
reuse=""
if alive "$ours" && [ "$(cat "$data/worker.target" 2>/dev/null)" = "$target" ] && sameBuild "$ours"; then
  reuse=$ours
fi
[ -n "$reuse" ] || for id in $(pollers); do
  rest=${id#borealis-worker/}
  [ "$rest" != "$id" ] || continue
  pid=${rest##*:}
  if [ "${rest%/workflows-*}" = "$version" ] && [ "${rest##*/workflows-}" = "$workflows@$host:$pid" ] && sameBuild "$pid"; then
    reuse=$pid
    break
  fi
done

if alive "$ours" && [ "$ours" != "$reuse" ]; then
  kill "$ours"
  for _ in $(seq 1 100); do alive "$ours" || break; sleep 0.1; done
  echo "stopped the worker started earlier (another build, or not polling task queue $queue)"
fi
if [ -n "$reuse" ] && [ "$reuse" = "$ours" ]; then
  echo "reusing the worker started earlier (pid $reuse, log $log): it runs this build and polls task queue $queue"
  exit 0
fi
rm -f "$pidfile" "$reusedfile"
if [ -n "$reuse" ]; then
  echo "$reuse" >"$reusedfile"
  echo "reusing the worker already running here (pid $reuse; the demo did not start it and leaves it running):" \
    "it runs this build ($line) and polls task queue $queue of namespace $namespace at $address"
  exit 0
fi

# The demo's own worker, on a free metrics port when the configured one is taken.
args=()
if [ -n "$metrics" ]; then
  probe=${metrics%:*}
  probe=${probe#[}
  probe=${probe%]}
  case "$probe" in "" | 0.0.0.0 | ::) probe=127.0.0.1 ;; esac
  if (exec 3<>"/dev/tcp/$probe/${metrics##*:}") 2>/dev/null; then
    echo "the metrics address $metrics is taken (by a worker of another build, or polling elsewhere?):" \
      "the demo's worker serves its metrics on a free port instead"
    args=(--worker-metrics-address "${metrics%:*}:0")
  fi
fi
nohup $worker ${args[@]+"${args[@]}"} >"$log" 2>&1 </dev/null &
echo $! >"$pidfile"
echo "$target" >"$data/worker.target"
for _ in $(seq 1 50); do
  if grep -q "worker started" "$log" 2>/dev/null; then
    url=$(grep "serving metrics" "$log" | grep -o 'http://[^" ]*/metrics' | tail -1 || true)
    echo "worker running (pid $(cat "$pidfile"), log $log, metrics ${url:-off})"
    exit 0
  fi
  alive "$(cat "$pidfile")" || break
  sleep 0.2
done
echo "the worker did not start; its log:" >&2
tail -20 "$log" >&2
exit 1
