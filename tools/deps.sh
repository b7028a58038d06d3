#!/bin/sh
# Install every Debian package that cpool's build, tests and lab need.
# Idempotent: quiet when everything is present; runs apt-get update once
# when something is missing.  Elsewhere (not root, not Debian/Ubuntu) it
# prints the list and exits non-zero so the caller knows why it stopped.
set -eu

PKGS="
build-essential pkg-config clang llvm
libbpf-dev libelf-dev zlib1g-dev bpftool
libcgroup-dev libhwloc-dev hwloc
libinih-dev libjansson-dev libsqlite3-dev libmicrohttpd-dev
perl jq scdoc man-db
debhelper dpkg-dev fakeroot lintian debootstrap systemd
qemu-system-x86 busybox-static cpio xz-utils zstd kmod
linux-image-amd64 linux-image-6.12-amd64
gnuplot-nox linux-perf bpftrace
"

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	case "$st" in
	ii*) ;;
	*) missing="$missing $p" ;;
	esac
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
	echo "cpool: missing packages:$missing" >&2
	echo "cpool: install them as root with apt-get (Debian/Ubuntu names)" >&2
	exit 1
fi

echo "cpool: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >&2
