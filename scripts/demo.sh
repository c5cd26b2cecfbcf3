#!/usr/bin/env bash
# The demo behind `make demo`: the seed's hello_world service, end to end.
# Non-interactive, finishes by itself, and can be run again: it replaces the
# worker and the job an earlier run left. `make demo-stop` cleans up.
set -euo pipefail
cd "$(dirname "$0")/.."
borealis=bin/borealis
key=devcluster/www-data/prod/hello
config=examples/jobs/hello_world.aurora

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "the job, as Borealis reads it: borealis job inspect $key $config"
$borealis job inspect "$key" "$config"

step "a worker runs the workflows and the containers"
scripts/worker-bg.sh

if $borealis job status "$key" >/dev/null 2>&1; then
  step "replacing the job an earlier demo left: borealis job killall $key"
  $borealis job killall "$key"
fi

step "borealis job create $key $config --wait-until RUNNING"
$borealis job create "$key" "$config" --wait-until RUNNING --timeout 2m

step "borealis job status $key"
$borealis job status "$key"

step "borealis task logs $key/0"
for _ in $(seq 1 50); do
  out=$($borealis task logs "$key/0" 2>/dev/null || true)
  grep -q "hello world" <<<"$out" && break
  sleep 0.2
done
echo "$out"
grep -q "hello world" <<<"$out" || { echo "no 'hello world' in the task's logs" >&2; exit 1; }

cat <<TXT

The service runs on: the worker restarts it when its container exits. Try
  docker kill \$(docker ps -q --filter label=borealis.job=$key); borealis job status $key
A task that ran less than 5 minutes is flapping, so its successor waits in
THROTTLED for 30 s first, as in Aurora (see flapping.* in borealis config show).
Follow it in the Temporal Web UI: http://localhost:8233
Stop everything with: make demo-stop
TXT
