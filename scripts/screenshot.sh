#!/usr/bin/env bash
# Takes docs/webui.png, the README's picture: the Temporal Web UI page of the
# demo's web job's latest update (or of the job's workflow when it has none),
# shot with headless Chromium driven by scripts/webshot, which waits for the
# Web UI (a JavaScript app) to show the workflow. Needs a running demo
# (`make demo`: dev server with the Web UI on 8233, worker, the web job).
#   scripts/screenshot.sh [KEY] [OUT]
# Chromium comes from the system's packages: when it is missing the script
# asks before it runs `apt-get install -y chromium` (as root, or through
# sudo), or is told yes by BOREALIS_INSTALL_CHROMIUM=yes; otherwise it says
# what to install and stops.
set -euo pipefail
cd "$(dirname "$0")/.."
borealis=bin/borealis
key="${1:-devcluster/www-data/prod/web}"
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
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo "
  install="${sudo}apt-get update && ${sudo}apt-get install -y chromium"
  # Nothing is installed without a yes: asked on a terminal, or given as
  # BOREALIS_INSTALL_CHROMIUM=yes.
  answer="${BOREALIS_INSTALL_CHROMIUM:-}"
  if [ -z "$answer" ] && [ -t 0 ]; then
    read -r -p "no Chromium here; install it with: $install ? [y/N] " answer
  fi
  case "$answer" in
  y | Y | yes | YES) ;;
  *)
    echo "no Chromium (chromium, chromium-browser or google-chrome) found: install it with" >&2
    echo "  $install" >&2
    echo "or run BOREALIS_INSTALL_CHROMIUM=yes make screenshot" >&2
    exit 1
    ;;
  esac
  ${sudo}apt-get update -qq
  DEBIAN_FRONTEND=noninteractive ${sudo}apt-get install -y -qq chromium >/dev/null
  browser=chromium
fi

echo "screenshot of $what: $url"
mkdir -p "$(dirname "$out")"
go build -o bin/webshot ./scripts/webshot
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
profile=$(mktemp -d)
"$browser" --headless --disable-gpu --no-sandbox --hide-scrollbars --window-size=1400,1250 \
  --user-data-dir="$profile" --remote-debugging-address=127.0.0.1 --remote-debugging-port="$port" \
  --remote-allow-origins='*' about:blank >/dev/null 2>&1 &
chrome=$!
trap 'kill $chrome 2>/dev/null || true; wait $chrome 2>/dev/null || true; rm -rf "$profile"' EXIT
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done
# The page names its workflow once the app has rendered it.
workflow=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.unquote(sys.argv[1].rsplit("/", 1)[1]))' "$url")
bin/webshot -devtools "127.0.0.1:$port" -url "$url" -wait-for "$workflow" -out "$out.tmp"
mv "$out.tmp" "$out"
echo "wrote $out"
