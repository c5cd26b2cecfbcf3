#!/usr/bin/env bash
# The demo behind `make demo`: non-interactive, finishes by itself, and can
# be run again (it reuses or replaces what an earlier run left).
set -euo pipefail
cd "$(dirname "$0")/.."
borealis=bin/borealis
key=devcluster/www-data/prod/hello
config=examples/jobs/hello_world.aurora

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "borealis job inspect $key $config"
$borealis job inspect "$key" "$config"

step "borealis job inspect $key $config --write-json"
$borealis job inspect "$key" "$config" --write-json
