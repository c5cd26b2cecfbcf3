#!/usr/bin/env bash
# Runs bin/borealis-worker in the background for the demo (log and pid file
# in the data directory), replacing one this script started before.
#   scripts/worker-bg.sh        (re)start
#   scripts/worker-bg.sh stop   stop
set -euo pipefail
cd "$(dirname "$0")/.."
data="${BOREALIS_DATA_DIR:-${XDG_STATE_HOME:-$HOME/.local/state}/borealis}"
pidfile="$data/worker.pid"
log="$data/worker.log"
mkdir -p "$data"

if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
  kill "$(cat "$pidfile")"
  for _ in $(seq 1 100); do kill -0 "$(cat "$pidfile")" 2>/dev/null || break; sleep 0.1; done
  echo "stopped the worker started earlier"
fi
rm -f "$pidfile"
[ "${1:-start}" = stop ] && exit 0

nohup bin/borealis-worker >"$log" 2>&1 </dev/null &
echo $! >"$pidfile"
for _ in $(seq 1 50); do
  grep -q "worker started" "$log" 2>/dev/null && { echo "worker running (pid $(cat "$pidfile"), log $log)"; exit 0; }
  kill -0 "$(cat "$pidfile")" 2>/dev/null || break
  sleep 0.2
done
echo "the worker did not start; its log:" >&2
tail -20 "$log" >&2
exit 1
