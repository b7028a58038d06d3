#!/bin/sh
# Install every Debian package that cpool's build, tests and lab need.
# Idempotent: quiet when everything is present; runs apt-get update once
# when something is missing.  Elsewhere (not root, not Debian) it prints the
# list and exits non-zero so the caller knows why it stopped.
#
# Debian only (bookworm and later).  Ubuntu's names differ where it matters:
# the lab boots Debian's 6.1 and 6.12 kernel images (linux-image-amd64,
# linux-image-6.12-amd64), which Ubuntu does not have (its kernels are
# linux-image-generic and linux-image-X.Y.Z-N-generic, other versions), and
# before 25.04 bpftool is not a package there but a wrapper in
# linux-tools-common for linux-tools-$(uname -r).
set -eu

PKGS="
build-essential pkg-config clang llvm libclang-rt-14-dev
libbpf-dev libelf-dev zlib1g-dev bpftool
libcgroup-dev libhwloc-dev hwloc
libinih-dev libjansson-dev libsqlite3-dev libmicrohttpd-dev
perl jq scdoc man-db
debhelper dpkg-dev fakeroot lintian debootstrap systemd
qemu-system-x86 busybox-static cpio xz-utils zstd kmod
linux-image-amd64 linux-image-6.12-amd64
gnuplot-nox linux-perf bpftrace
prometheus curl
slurm-wlm libslurm-dev munge
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

distro=$(. /etc/os-release 2>/dev/null && echo "${ID:-unknown}")
if [ "$distro" != debian ]; then
	echo "cpool: missing packages:$missing" >&2
	echo "cpool: these are Debian's names; tools/deps.sh supports Debian only (this is '$distro')" >&2
	exit 1
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
	echo "cpool: missing packages:$missing" >&2
	echo "cpool: install them as root: apt-get install$missing" >&2
	exit 1
fi

echo "cpool: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >&2
