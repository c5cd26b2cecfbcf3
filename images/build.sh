#!/usr/bin/env bash
# Builds Borealis's images locally, pulling nothing (docs/semantics.md §7):
#   borealis/base:latest  a root file system made here from a static busybox
#                         (Debian's busybox-static: the host's, or fetched
#                         into the tool cache by scripts/busybox.sh), imported
#                         with `docker import`: no RUN step, no base image;
#   borealis/demo:latest  FROM borealis/base:latest plus the static demo
#                         server, from a COPY-only Dockerfile.
# Usage: BIN=dir-with-borealis-demo images/build.sh
# Safe to run again and concurrently: the base image is re-imported only when
# its root file system changed (a content hash kept in an image label), the
# demo build is cached by Docker, and a lock serialises concurrent runs.
set -euo pipefail

BIN=${BIN:-bin}
# A static busybox: the system's, or one fetched into the tool cache.
BUSYBOX=$("$(dirname "$0")/../scripts/busybox.sh")
BASE_IMAGE=borealis/base:latest
DEMO_IMAGE=borealis/demo:latest
HASH_LABEL=borealis.rootfs.sha256

die() { echo "images/build.sh: $*" >&2; exit 1; }

command -v docker >/dev/null || die "docker CLI not found"
DEMO_BIN="$BIN/borealis-demo"
[ -x "$DEMO_BIN" ] || die "$DEMO_BIN is missing: build it first (make build)"
docker info >/dev/null 2>&1 || die "the Docker daemon is not reachable (docker info failed)"

# One build at a time on this host (parallel test packages may all call us).
lock=${TMPDIR:-/tmp}/borealis-images.lock
exec 9>"$lock"
if command -v flock >/dev/null; then flock 9; fi

work=$(mktemp -d "${TMPDIR:-/tmp}/borealis-images.XXXXXX")
trap 'rm -rf "$work"' EXIT

# --- borealis/base:latest -------------------------------------------------
root="$work/rootfs"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,etc,root,tmp,sandbox,.borealis,proc,sys,dev,var/tmp}
chmod 1777 "$root/tmp" "$root/var/tmp"
chmod 0700 "$root/root"
cp "$BUSYBOX" "$root/bin/busybox"
chmod 0755 "$root/bin/busybox"
for applet in $("$BUSYBOX" --list); do
	[ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
done
cat >"$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat >"$root/etc/group" <<'GROUP'
root:x:0:
nogroup:x:65534:
GROUP
echo 'hosts: files dns' >"$root/etc/nsswitch.conf"

# A reproducible tarball: fixed order, owners and times, so that its hash
# says whether the image must change.
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
	-C "$root" -cf "$work/rootfs.tar" .
hash=$(sha256sum "$work/rootfs.tar" | cut -d' ' -f1)
have=$(docker image inspect -f "{{index .Config.Labels \"$HASH_LABEL\"}}" "$BASE_IMAGE" 2>/dev/null || true)
if [ "$have" = "$hash" ]; then
	echo "$BASE_IMAGE is up to date"
else
	echo "importing $BASE_IMAGE"
	docker import \
		--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
		--change 'WORKDIR /sandbox' \
		--change 'CMD ["/bin/sh"]' \
		--change "LABEL $HASH_LABEL=$hash" \
		--message "borealis base: static busybox" \
		"$work/rootfs.tar" "$BASE_IMAGE" >/dev/null
fi

# --- borealis/demo:latest -------------------------------------------------
ctx="$work/demo"
mkdir -p "$ctx"
cp "$DEMO_BIN" "$ctx/borealis-demo"
chmod 0755 "$ctx/borealis-demo"
cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM borealis/base:latest
COPY borealis-demo /usr/local/bin/borealis-demo
ENTRYPOINT ["/usr/local/bin/borealis-demo"]
CMD ["-port", "8080", "-health-port", "8081"]
DOCKERFILE
# The legacy builder unless the caller chose: it needs no buildx plug-in and
# uses the local base image without looking at a registry. The Dockerfile
# has only COPY, so BuildKit builds it as well.
echo "building $DEMO_IMAGE"
if ! out=$(DOCKER_BUILDKIT=${DOCKER_BUILDKIT:-0} docker build -q -t "$DEMO_IMAGE" "$ctx" 2>&1); then
	echo "$out" >&2
	die "docker build of $DEMO_IMAGE failed"
fi

# Drop what earlier runs left untagged (old bases and demos), ours only.
for id in $(docker images -q --filter dangling=true --filter "label=$HASH_LABEL"); do
	docker rmi "$id" >/dev/null 2>&1 || true # still used by a container
done
echo "images ready: $BASE_IMAGE $DEMO_IMAGE"
