#!/usr/bin/env bash
# Prints the path of the temporal CLI v1.5.1, building it once per machine
# into the tool cache (~/.cache/borealis, docs/semantics.md §7) with `go install`.
set -euo pipefail
version=v1.5.1
cache="${BOREALIS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/borealis}"
bin="$cache/temporal-$version/temporal"
if [ ! -x "$bin" ]; then
  echo "building the temporal CLI $version into $cache (once per machine, about 3 minutes)..." >&2
  mkdir -p "$(dirname "$bin")"
  GOBIN="$(dirname "$bin")" GOFLAGS=-mod=mod go install "github.com/temporalio/cli/cmd/temporal@$version" >&2
fi
echo "$bin"
