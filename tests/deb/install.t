#!/bin/bash
# The Debian packages on a clean root, inside the lab (make check-deb):
# unpack the cached debootstrap root (tools/deb-root) into the guest's
# tmpfs, chroot into it, dpkg -i cpool and cpoold, start cpoold the way its
# unit would (ExecStart, NOTIFY_SOCKET, waiting for READY=1), run a job as a
# member of the group cpool, stop the daemon, purge both packages, and
# compare the root's files with what was there before.  Not part of
# check-lab: it needs the .debs and the root, which need the network.
if [ "${CPOOL_LAB:-}" != 1 ]; then
	echo "Bail out! not inside the lab (run through tools/lab; make check-deb)"
	exit 1
fi

top=${CPOOL_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${CPOOL_BUILD:-$top/build}
tar=$build/deb-root/root.tar
debs=$(ls "$build"/deb/cpool_*.deb "$build"/deb/cpoold_*.deb 2>/dev/null)
[ -f "$tar" ] || { echo "Bail out! $tar is missing: make check-deb builds it"; exit 1; }
[ -n "$debs" ] || { echo "Bail out! no .debs in $build/deb: make deb"; exit 1; }

n=0
failed=0
ok() { # ok CONDITION-STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}
diag() { sed 's/^/# /'; }
now() { date +%s.%N; }
elapsed() { echo "$(now) $1" | awk '{ printf "%.1f", $1 - $2 }'; }

r=/tmp/debroot
pool=cpool-deb-$$
daemon=
cleanup() {
	[ -n "$daemon" ] && kill -TERM "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
	if [ -d "/sys/fs/cgroup/$pool" ]; then
		echo 1 >"/sys/fs/cgroup/$pool/cgroup.kill" 2>/dev/null
		for _ in 1 2 3 4 5; do
			find "/sys/fs/cgroup/$pool" -depth -type d -exec rmdir {} + 2>/dev/null
			[ -d "/sys/fs/cgroup/$pool" ] || break
			sleep 0.5
		done
	fi
	for m in sys/fs/cgroup sys proc dev/pts dev; do umount "$r/$m" 2>/dev/null; done
	rm -rf "$r"
}
trap cleanup EXIT
in_root() { chroot "$r" "$@"; }
# Every path of the root, /proc, /sys, /dev and the test's own files aside.
snapshot() {
	(cd "$r" && find . -xdev -path ./root/debs -prune -o -print) | sort
}

t0=$(now)
mkdir -p "$r"
tar -C "$r" -xf "$tar"
ok $? "the clean root unpacked ($(du -smx "$r" | cut -f1) MiB, $(elapsed "$t0") s)"
mount --bind /dev "$r/dev" && mount --bind /dev/pts "$r/dev/pts" &&
	mount -t proc proc "$r/proc" && mount -t sysfs sysfs "$r/sys" &&
	mount -t cgroup2 cgroup2 "$r/sys/fs/cgroup"
ok $? "/dev, /proc, /sys and cgroup2 in the root"
size0=$(du -skx "$r" | cut -f1)
mkdir -p "$r/root/debs"
cp $debs "$r/root/debs/"
before=$(snapshot)

t1=$(now)
in_root sh -c 'dpkg -i /root/debs/*.deb' >/tmp/dpkg-i.log 2>&1
st=$?
ok $st "dpkg -i cpool cpoold on the clean root ($(elapsed "$t1") s)"
[ $st = 0 ] || diag </tmp/dpkg-i.log
rm -rf "$r/root/debs"
size1=$(du -skx "$r" | cut -f1)
echo "# the root grew by $((size1 - size0)) KiB"
in_root getent group cpool >/dev/null
ok $? "postinst created the group cpool (sysusers.d)"
unit=$r/lib/systemd/system/cpoold.service
[ -f "$unit" ]
ok $? "the unit is installed"
[ -f "$r/usr/share/man/man8/cpoold.8.gz" ]
ok $? "cpoold(8) is installed"
[ -f "$r/usr/share/bash-completion/completions/cpool" ]
ok $? "the bash completion is installed"

# The administrator's part: a pool, and a user in the group cpool.
mkdir -p "$r/etc/cpool"
printf '[pool]\nname = %s\n\n[vserver a]\ncpus = 1\n' "$pool" >"$r/etc/cpool/pool.ini"
in_root useradd --no-create-home --groups cpool alice
ok $? "a user alice in the group cpool"

# Start it as systemd would: ExecStart's command line, NOTIFY_SOCKET, READY=1.
# Not INVOCATION_ID: cpoold would look for a systemd-delegated cgroup.
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
notify=$r/run/notify.sock
rm -f "$notify"
perl -MIO::Socket::UNIX -e '
	my $s = IO::Socket::UNIX->new(Type => SOCK_DGRAM(), Local => $ARGV[0]) or die "$!";
	$SIG{ALRM} = sub { print "TIMEOUT\n"; exit 1 }; alarm 120;
	open(my $f, ">", "$ARGV[0].ready") and close $f;
	while (1) { my $m; $s->recv($m, 4096); print "$m\n"; exit 0 if $m =~ /^READY=1$/m }
' "$notify" >/tmp/notify.log 2>&1 &
listener=$!
for _ in $(seq 50); do [ -e "$notify.ready" ] && break; sleep 0.1; done
t2=$(now)
# shellcheck disable=SC2086
chroot "$r" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin NOTIFY_SOCKET=/run/notify.sock \
	$exec_start 2>/tmp/cpoold.log &
daemon=$!
wait $listener
ok $? "cpoold from ExecStart ($exec_start) sent READY=1 ($(elapsed "$t2") s)"
diag </tmp/notify.log
# Names as the root knows them (the guest's own /etc/group differs).
mode() { in_root stat -c '%a %U:%G' "$1" 2>/dev/null; }
[ "$(mode /var/lib/cpool)" = "700 root:root" ]
ok $? "/var/lib/cpool: 700 root:root ($(mode /var/lib/cpool))"
[ "$(mode /run/cpool)" = "755 root:root" ]
ok $? "/run/cpool: 755 root:root ($(mode /run/cpool))"
[ "$(mode /run/cpool/cpool.sock)" = "660 root:cpool" ]
ok $? "the socket: 660 root:cpool ($(mode /run/cpool/cpool.sock))"

t3=$(now)
id=$(in_root runuser -u alice -- cpool submit --vs a --stdout /tmp/job.out -- /bin/sh -c 'id -un; exit 3')
ok $? "alice submits a job (id $id)"
in_root runuser -u alice -- cpool wait "$id"
st=$?
[ $st = 3 ]
ok $? "the job ran and ended with its own status 3 (got $st, $(elapsed "$t3") s)"
[ "$(cat "$r/tmp/job.out" 2>/dev/null)" = alice ]
ok $? "as alice, with its output where asked"
in_root cpool history --json | grep -q '"exit_code": 3'
ok $? "root sees it in the history"
rm -f "$r/tmp/job.out" "$notify" "$notify.ready"

kill -TERM "$daemon"
wait "$daemon"
ok $? "SIGTERM stops cpoold cleanly"
daemon=

t4=$(now)
in_root dpkg --purge cpool cpoold >/tmp/dpkg-purge.log 2>&1
st=$?
ok $st "dpkg --purge cpool cpoold ($(elapsed "$t4") s)"
[ $st = 0 ] || diag </tmp/dpkg-purge.log
in_root userdel alice

# What may stay: the administrator's /etc/cpool (not the package's), the
# system group cpool (policy: a system group is not removed, files may
# still carry its gid), the backups shadow's tools keep of /etc/group and
# its kin, and dpkg's and debconf's own records and logs.
after=$(snapshot)
left=$(comm -13 <(echo "$before") <(echo "$after") |
	grep -vxE '\./etc/cpool|\./etc/cpool/pool\.ini|\./etc/(group|gshadow|passwd|shadow|subuid|subgid)-|\./var/log/dpkg\.log|\./var/lib/dpkg/.*|\./var/cache/debconf/.*|\./var/log/alternatives\.log' || true)
[ -z "$left" ]
ok $? "purge leaves nothing else behind"
[ -z "$left" ] || echo "$left" | diag
gone=$(comm -23 <(echo "$before") <(echo "$after") | grep -vxE '\./var/lib/dpkg/.*|\./var/cache/debconf/.*' || true)
[ -z "$gone" ]
ok $? "and removes nothing that was there before"
[ -z "$gone" ] || echo "$gone" | diag
in_root getent group cpool >/dev/null
ok $? "the group cpool stays (a system group)"
echo "# total $(elapsed "$t0") s"

echo "1..$n"
[ $failed = 0 ]
