# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# A cpoold for the lab's shell tests, as tests/lab/lab_cpoold.h is for the C
# ones.  A test sources it after tap.sh:   . "$(dirname "$0")/lab_cpoold.sh"
# then writes "$dir/pool.ini" and calls lab_cpoold_start.  It sets $cpool,
# $cpoold, $dir (mode 1777, the tests' cwd once started), $root (the pool's
# cgroup below /sys/fs/cgroup) and CPOOL_SOCKET, kills the daemon, the jobs
# and the cgroup tree at exit, and gives as_nobody.  A test with daemons of
# its own (Slurm, Prometheus) stops them in a function lab_cpoold_before_cleanup,
# which the exit calls before it stops cpoold.
# Not a test itself: tools/lab-check runs only *.t.

top=${CPOOL_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${CPOOL_BUILD:-$top/build}
cpool=$build/cpool
cpoold=$build/cpoold
for b in "$cpool" "$cpoold"; do
	if [ ! -x "$b" ]; then
		echo "Bail out! $b is missing: run make on the host first"
		exit 1
	fi
done
command -v jq >/dev/null || { echo "Bail out! jq is missing (tools/deps.sh)"; exit 1; }

dir=$(mktemp -d "/tmp/cpool-$(basename "$0" .t).XXXXXX")
chmod 1777 "$dir"
root=cpool-lab-$(basename "$0" .t)-$$
cg=/sys/fs/cgroup/$root
export CPOOL_SOCKET=$dir/cpool.sock
daemon=

. "$(dirname "$0")/lab_proc.sh"

# lab_cpoold_stop PID: SIGTERM, 30 s for it to end, then SIGKILL (and 10 s
# more): a test must never wait unboundedly for a daemon.
lab_cpoold_stop() {
	lab_stop_child "$1" cpoold
}

lab_cpoold_cleanup() {
	declare -F lab_cpoold_before_cleanup >/dev/null && lab_cpoold_before_cleanup
	[ -z "$daemon" ] || lab_cpoold_stop "$daemon"
	# Jobs outlive the daemon by design (KillMode=process): kill them, then
	# remove the tree leaves first.
	if [ -d "$cg" ]; then
		echo 1 >"$cg/cgroup.kill" 2>/dev/null
		# A killed task leaves its cgroup when it has exited: 10 s of
		# wall time for that, however slowly the guest runs.
		local deadline=$((SECONDS + 10))
		while :; do
			find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null
			if [ ! -d "$cg" ] || [ $SECONDS -ge $deadline ]; then break; fi
			sleep 0.2
		done
		[ -d "$cg" ] && echo "# cleanup: $cg is still there 10 s after cgroup.kill:" \
			"$(find "$cg" -name cgroup.procs -exec cat {} + 2>/dev/null | wc -l) processes left in it"
	fi
	rm -rf "$dir"
}
trap lab_cpoold_cleanup EXIT

# nobody may not reach the checkout (a home directory of mode 0700): give it
# its own copy of the CLI.
cp "$cpool" "$dir/cpool" && chmod 0755 "$dir/cpool"
as_nobody() { # as_nobody cpool ARGS...
	shift
	setpriv --reuid=65534 --regid=65534 --clear-groups "$dir/cpool" "$@"
}

# lab_cpoold_run [CPOOLD-OPTIONS...]: starts cpoold on "$dir/pool.ini", the
# options after the usual ones (the last of a repeated option counts), its
# stdout and stderr appended to "$dir/cpoold.log" (a restarted daemon's
# follows the first's; never the test's stdout, which a daemon left behind
# would hold open and prove would wait on for ever), and waits up to 60 s
# until it answers: 1 when it does not (a test that restarts the daemon
# asserts on that).  A daemon that is still running then is shown and killed.
lab_cpoold_run() {
	local deadline=$((SECONDS + 60))
	"$cpoold" -c "$dir/pool.ini" --foreground --socket "$CPOOL_SOCKET" \
		--state-dir "$dir/state" --record-dir "$dir/records" --cgroup-root "$root" \
		--socket-mode 0666 -v "$@" </dev/null >>"$dir/cpoold.log" 2>&1 &
	daemon=$!
	while [ $SECONDS -lt $deadline ]; do
		"$cpool" vs list >/dev/null 2>&1 && return 0
		lab_pid_alive "$daemon" || return 1
		sleep 0.1
	done
	echo "# cpoold (pid $daemon) did not answer within 60 s; what it is doing:"
	lab_show_blocked "$daemon"
	kill -KILL "$daemon" 2>/dev/null
	lab_wait_gone "$daemon" 100 || echo "# cpoold (pid $daemon) did not end 10 s after SIGKILL"
	daemon=
	return 1
}

# lab_cpoold_start [CPOOLD-OPTIONS...]: lab_cpoold_run, or bail out; then
# the test runs in $dir.
lab_cpoold_start() {
	if ! lab_cpoold_run "$@"; then
		tail -c 4000 "$dir/cpoold.log" | sed 's/^/# /'
		echo "Bail out! cpoold did not start"
		exit 1
	fi
	cd "$dir" || exit 1
}

# wait_state ID STATE: until cpool ps shows job ID in STATE (30 s of wall time at most).
wait_state() {
	local s= deadline=$((SECONDS + 30))
	while :; do
		s=$("$cpool" ps --json | jq -r --argjson id "$1" '.jobs[] | select(.id == $id) | .state')
		[ "$s" = "$2" ] && return 0
		[ $SECONDS -lt $deadline ] || break
		sleep 0.1
	done
	echo "# job $1 is $s, not $2"
	return 1
}
