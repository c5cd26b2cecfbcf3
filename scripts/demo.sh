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

if $borealis job list "$key" 2>/dev/null | grep -qF "$key "; then
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

web=devcluster/www-data/prod/web
webconfig=examples/jobs/web.aurora
if $borealis job list "$web" 2>/dev/null | grep -qF "$web "; then
  step "replacing the web job an earlier demo left: borealis job killall $web"
  $borealis job killall "$web"
fi

step "a service with health checks: borealis job create $web $webconfig --wait-until RUNNING"
$borealis job create "$web" "$webconfig" --wait-until RUNNING --timeout 3m

step "borealis job endpoints $web"
$borealis job endpoints "$web"

step "what version 2 changes: borealis job diff $web $webconfig --bind version=2"
$borealis job diff "$web" "$webconfig" --bind version=2

step "a rolling update, two instances at a time, gated on health: borealis update start $web $webconfig --bind version=2 --wait"
$borealis update start "$web" "$webconfig" --bind version=2 --wait --timeout 5m

step "borealis update info $web"
$borealis update info "$web"

step "every instance now answers version 2"
$borealis task run "$web" 'wget -q -O- http://127.0.0.1:{{thermos.ports[http]}}/; echo'

cat <<TXT

Both services run on, kept alive by the worker: when a container exits, its
instance starts a new task. Try
  docker kill \$(docker ps -q --filter label=borealis.job=$key); borealis job status $key
A task that ran less than 5 minutes is flapping, so its successor waits in
THROTTLED for 30 s first, as in Aurora (see flapping.* in borealis config show).

Roll web back to version 1, and pause and resume it on the way:
  bin/borealis update start $web $webconfig --bind version=1
  bin/borealis update pause $web;  bin/borealis update resume $web
  bin/borealis update wait $web
Follow it in the Temporal Web UI: http://localhost:8233
Stop everything with: make demo-stop
TXT
