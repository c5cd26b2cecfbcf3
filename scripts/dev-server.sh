#!/usr/bin/env bash
# Starts the Temporal dev server in the background (Web UI on 8233, SQLite
# database in the data directory so state survives a restart, Borealis's
# search attributes registered), or reuses one already answering.
#   scripts/dev-server.sh         start (or reuse) and wait until it answers
#   scripts/dev-server.sh stop    stop the server this script started
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
data="${BOREALIS_DATA_DIR:-${XDG_STATE_HOME:-$HOME/.local/state}/borealis}"
port="${BOREALIS_DEV_SERVER_PORT:-7233}"
ui_port="${BOREALIS_DEV_SERVER_UI_PORT:-8233}"
pidfile="$data/dev-server.pid"
log="$data/dev-server.log"
mkdir -p "$data"

up() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }

if [ "${1:-start}" = stop ]; then
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    kill "$(cat "$pidfile")"
    for _ in $(seq 1 50); do kill -0 "$(cat "$pidfile")" 2>/dev/null || break; sleep 0.2; done
    echo "dev server stopped"
  else
    echo "no dev server started by borealis is running"
  fi
  rm -f "$pidfile"
  exit 0
fi

temporal="$("$here/temporal-cli.sh")"
if up; then
  echo "reusing the Temporal server answering on localhost:$port"
else
  nohup "$temporal" server start-dev \
    --ip 127.0.0.1 --port "$port" --ui-port "$ui_port" \
    --db-filename "$data/temporal.db" \
    --search-attribute BorealisJobKey=Keyword \
    --search-attribute BorealisUpdateStatus=Keyword \
    --log-level warn >"$log" 2>&1 </dev/null &
  echo $! >"$pidfile"
  for _ in $(seq 1 150); do
    up && break
    kill -0 "$(cat "$pidfile")" 2>/dev/null || { echo "dev server exited; its log:" >&2; tail -20 "$log" >&2; exit 1; }
    sleep 0.2
  done
  up || { echo "dev server did not answer on localhost:$port in 30 s; log: $log" >&2; exit 1; }
  echo "Temporal dev server on localhost:$port, Web UI http://localhost:$ui_port (log: $log)"
fi
# Register the search attributes on a reused server too (a no-op when present).
for sa in BorealisJobKey BorealisUpdateStatus; do
  "$temporal" operator search-attribute create --address "127.0.0.1:$port" --name "$sa" --type Keyword >/dev/null 2>&1 || true
done
# The namespace answers only once the server is fully up.
for _ in $(seq 1 100); do
  "$temporal" operator namespace describe --address "127.0.0.1:$port" -n default >/dev/null 2>&1 && exit 0
  sleep 0.2
done
echo "dev server is up but namespace 'default' is not ready; log: $log" >&2
exit 1
