#!/usr/bin/env bash
# Checks what `make test` or `make demo` needs before anything is built, and
# says in one line each what is missing and how to get it.
# Usage: scripts/prereqs.sh test|demo
set -uo pipefail

what=${1:-test}
problems=0
problem() { echo "prerequisite: $*" >&2; problems=$((problems + 1)); }

if ! command -v go >/dev/null; then
	problem "go not found: install Go 1.26 (https://go.dev/dl/)"
fi
if ! command -v docker >/dev/null; then
	problem "docker CLI not found: install Docker Engine 20.10 or newer and its client"
elif ! out=$(docker info --format '{{.ServerVersion}}' 2>&1); then
	case "$out" in
	*"permission denied"*)
		problem "Docker is there but $(id -un) may not use it: add the user to the docker group (sudo usermod -aG docker $(id -un), then log in again) or run as root" ;;
	*)
		problem "the Docker daemon is not reachable (docker info: $(echo "$out" | tail -n 1)): start it (sudo systemctl start docker)" ;;
	esac
fi

case "$what" in
test)
	# go test -race needs cgo, hence a C compiler.
	if ! command -v "$(go env CC 2>/dev/null || echo cc)" >/dev/null; then
		problem "no C compiler for the race detector (go test -race): install one (apt-get install gcc)"
	fi
	;;
demo)
	# The dev server's ports are reused when a Temporal server answers there
	# (scripts/dev-server.sh), and so is a worker of the same build polling
	# the task queue (scripts/worker-bg.sh), which otherwise starts the
	# demo's own worker on a free metrics port when 9464 is taken.
	;;
esac

if [ "$problems" -gt 0 ]; then
	echo "prerequisite: $problems missing; README.md lists what Borealis needs" >&2
	exit 1
fi
