#!/usr/bin/env bash
# Prints the path of a static busybox for borealis/base (images/build.sh),
# fetching one into the tool cache when the machine has none. No root needed.
#
# Looks, in order, at: $BUSYBOX; /bin/busybox when it is statically linked
# (Debian's busybox-static); the tool cache (~/.cache/borealis/busybox/).
# Otherwise it downloads Debian's busybox-static package with apt-get, whose
# package lists and cache it keeps in the tool cache (so no root and no change
# to the system's apt state), and unpacks it there with dpkg-deb.
set -euo pipefail

die() { echo "scripts/busybox.sh: $*" >&2; exit 1; }

# is_static reports whether $1 is an executable that runs without a dynamic
# loader (ldd fails on a static binary).
is_static() {
	[ -x "$1" ] || return 1
	if command -v ldd >/dev/null && ldd "$1" >/dev/null 2>&1; then
		return 1
	fi
	return 0
}

if [ -n "${BUSYBOX:-}" ]; then
	is_static "$BUSYBOX" || die "BUSYBOX=$BUSYBOX is not a static executable"
	echo "$BUSYBOX"
	exit 0
fi
if is_static /bin/busybox; then
	echo /bin/busybox
	exit 0
fi

cache="${XDG_CACHE_HOME:-$HOME/.cache}/borealis/busybox"
cached="$cache/root/bin/busybox"
if is_static "$cached"; then
	echo "$cached"
	exit 0
fi

command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null ||
	die "no static busybox here and no apt-get/dpkg-deb to fetch one: install busybox-static, or set BUSYBOX to a static busybox"

echo "fetching busybox-static into $cache (once per machine, no root needed)" >&2
mkdir -p "$cache/apt/lists/partial" "$cache/apt/cache/archives/partial" "$cache/deb"
apt_opts=(-qq -o "Dir::State::Lists=$cache/apt/lists" -o "Dir::Cache=$cache/apt/cache" -o Debug::NoLocking=1)
apt-get "${apt_opts[@]}" update >&2 || die "apt-get update failed (is a Debian package mirror reachable?)"
(cd "$cache/deb" && rm -f ./*.deb && apt-get "${apt_opts[@]}" download busybox-static >&2) ||
	die "apt-get download busybox-static failed"
deb=$(ls "$cache"/deb/busybox-static_*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || die "apt-get download left no busybox-static package in $cache/deb"
rm -rf "$cache/root.tmp"
dpkg-deb -x "$deb" "$cache/root.tmp" || die "dpkg-deb -x $deb failed"
is_static "$cache/root.tmp/bin/busybox" || die "$deb holds no static bin/busybox"
rm -rf "$cache/root"
mv "$cache/root.tmp" "$cache/root"
echo "$cached"
