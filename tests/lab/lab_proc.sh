# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# Children of the lab's shell tests, ended without ever waiting unboundedly:
# a child that does not end holds the test, and one that holds prove's pipe
# (an inherited stdout) holds prove after the test, a silent hang until the
# lab's watchdog.  POSIX sh, for sh and bash tests alike; a test sources it
# after tap.sh:   . "$(dirname "$0")/lab_proc.sh"   (lab_cpoold.sh does).
# Start a child with its input and output of its own:
#   CMD </dev/null >"$dir/CMD.log" 2>&1 &
# Not a test itself: tools/lab-check runs only *.t.

# lab_now_cs: $lab_now, the time since boot in hundredths of a second, read
# without a fork.  Wall time: a limit counted in sleeps stretches on a loaded
# host, where each turn of a loop takes longer than its sleep.
lab_now_cs() {
	read -r lab_now lab_rest </proc/uptime
	lab_frac=${lab_now#*.}
	lab_now=$((${lab_now%.*} * 100 + ${lab_frac#0}))
}

# lab_pid_alive PID: true while PID runs (a zombie counts as ended).
lab_pid_alive() {
	lab_st=$(sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' "/proc/$1/status" 2>/dev/null)
	[ -n "$lab_st" ] && [ "$lab_st" != Z ] && [ "$lab_st" != X ]
}

# lab_wait_gone PID TENTHS: true once PID has ended, within TENTHS tenths of
# a second of wall time; a child's wait status is then in $lab_wait_status.
lab_wait_gone() {
	lab_wait_status=
	lab_now_cs
	lab_deadline=$((lab_now + $2 * 10))
	while lab_pid_alive "$1"; do
		lab_now_cs
		[ "$lab_now" -lt "$lab_deadline" ] || return 1
		sleep 0.1
	done
	wait "$1" 2>/dev/null
	lab_wait_status=$?
	return 0
}

# lab_show_blocked PID: what a live process waits in, as TAP comments.
lab_show_blocked() {
	echo "# pid $1: state $(sed -n 's/^State:[[:space:]]*//p' "/proc/$1/status" 2>/dev/null)," \
		"wchan $(cat "/proc/$1/wchan" 2>/dev/null)"
	[ -r "/proc/$1/stack" ] && sed "s/^/# pid $1 stack: /" "/proc/$1/stack" 2>/dev/null
	return 0
}

# lab_stop_child PID WHAT [SIGNAL [SECONDS]]: SIGNAL (TERM) to PID, SECONDS
# (30) for it to end, then SIGKILL and 10 s more; says so when the signal
# was not enough.  True when it ended of the signal; its wait status (a
# child's) in $lab_wait_status, empty when it could not be reaped.
lab_stop_child() {
	kill -"${3:-TERM}" "$1" 2>/dev/null
	lab_wait_gone "$1" $((${4:-30} * 10)) && return 0
	echo "# $2 (pid $1) still running ${4:-30} s after SIG${3:-TERM}: SIGKILL"
	lab_show_blocked "$1"
	kill -KILL "$1" 2>/dev/null
	lab_wait_gone "$1" 100 || echo "# $2 (pid $1) did not end 10 s after SIGKILL"
	return 1
}
