#!/usr/bin/env bash
# Takes docs/webui.png, the README's picture: the Temporal Web UI page of the
# demo job's latest update (or of the job's workflow when it has none), shot
# with headless Chromium. Needs a running demo (`make demo`: dev server with
# the Web UI on 8233, worker, the hello job).
#   scripts/screenshot.sh [KEY] [OUT]
# Chromium comes from the system's packages: `apt-get install -y chromium`
# is run when it is missing (as root, or through sudo).
set -euo pipefail
cd "$(dirname "$0")/.."
borealis=bin/borealis
key="${1:-devcluster/www-data/prod/hello}"
out="${2:-docs/webui.png}"

[ -x "$borealis" ] || { echo "no $borealis: run make build (or make demo) first" >&2; exit 1; }

# The CLI prints the Web UI address of what it shows on stderr with --write-json.
webui_of() { "$@" --write-json 2>&1 >/dev/null | sed -n 's/^Web UI: //p' | head -1; }
url=$(webui_of "$borealis" update info "$key" || true)
what="the latest update of $key"
if [ -z "$url" ]; then
  url=$(webui_of "$borealis" job status "$key" || true)
  what="the job workflow of $key"
fi
[ -n "$url" ] || { echo "no job $key on Temporal: start the demo with make demo" >&2; exit 1; }

browser=""
for b in chromium chromium-browser google-chrome; do
  command -v "$b" >/dev/null && { browser=$b; break; }
done
if [ -z "$browser" ]; then
  echo "installing chromium from the system's packages"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
  browser=chromium
fi

echo "screenshot of $what: $url"
mkdir -p "$(dirname "$out")"
rm -f "$out"
# The Web UI is a JavaScript app: the virtual time budget lets it fetch and
# render the workflow before the shot.
"$browser" --headless --disable-gpu --no-sandbox --hide-scrollbars \
  --window-size=1400,900 --virtual-time-budget=10000 \
  --screenshot="$out" "$url" >/dev/null 2>&1 || true
[ -s "$out" ] || { echo "$browser wrote no $out" >&2; exit 1; }
echo "wrote $out"
