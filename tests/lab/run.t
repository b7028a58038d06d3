#!/bin/bash
# cpool run on a live cpoold: the job's exit status becomes cpool run's, a
# pipe as its stdin and a file as its stdout reach the job, a job killed by a
# signal gives 128 + N, and SIGINT to cpool run (what Ctrl-C sends) cancels
# the running job: its cgroup is empty and history says cancelled.
# Runs inside tools/lab, e.g.: tools/lab --numa 2x2 -- prove tests/lab/run.t
if [ "${CPOOL_LAB:-}" != 1 ]; then
	echo "Bail out! not inside the lab (run through tools/lab)"
	exit 1
fi
. "$(dirname "$0")/tap.sh"
. "$(dirname "$0")/lab_cpoold.sh"

cat >"$dir/pool.ini" <<'EOF'
[pool]
name = runpool

[vserver r]
cpus = 1
exclusive = no
smt = threads
EOF

echo "1..10"

lab_cpoold_start

"$cpool" run -- /bin/sh -c 'exit 3'
is $? 3 "cpool run exits with the job's status 3"

out=$(seq 100 | "$cpool" run -- awk '{ s += $1 } END { print s }')
is $? 0 "a job reading a pipe succeeds"
is "$out" 5050 "the pipe was the job's stdin, our stdout its stdout"

"$cpool" run -- /bin/sh -c 'echo to-err >&2' 2>"$dir/err.txt"
is "$(cat "$dir/err.txt")" to-err "the job's stderr is ours"

"$cpool" run -- /bin/sh -c 'kill -TERM $$' 2>/dev/null
is $? 143 "a job killed by SIGTERM makes cpool run exit 143"

as_nobody cpool run -- /bin/sh -c 'id -u' >"$dir/who.txt"
is "$(cat "$dir/who.txt")" 65534 "a user's cpool run job runs as that user"

# Ctrl-C: SIGINT to cpool run while its job runs.  A background command of a
# script starts with SIGINT ignored; env gives it the default, as a terminal's
# foreground command has.
env --default-signal=INT "$cpool" run --name ctrlc -- /bin/sh -c 'echo started; sleep 300' \
	</dev/null >"$dir/ctrlc.out" 2>"$dir/ctrlc.err" &
runner=$!
id=
deadline=$((SECONDS + 30))
while :; do
	id=$("$cpool" ps --json | jq -r '.jobs[] | select(.name == "ctrlc" and .state == "running") | .id')
	[ -n "$id" ] && grep -q started "$dir/ctrlc.out" && break
	[ $SECONDS -lt $deadline ] || break
	sleep 0.1
done
[ -n "$id" ] && grep -q started "$dir/ctrlc.out"
ok $? "the attached job runs ($id) and writes to our file (30 s at most)"
lab_stop_child "$runner" "cpool run" INT
is "$lab_wait_status" 130 "cpool run dies of SIGINT (130)"
state=
deadline=$((SECONDS + 30))
while :; do
	state=$("$cpool" history --json | jq -r --argjson id "${id:-0}" '.jobs[] | select(.id == $id) | .state')
	[ -n "$state" ] || [ $SECONDS -ge $deadline ] && break
	sleep 0.1
done
is "$state" cancelled "its job was cancelled when the connection closed (history within 30 s)"
[ ! -d "/sys/fs/cgroup/$root/r/job-$id" ] || [ -z "$(cat "/sys/fs/cgroup/$root/r/job-$id/cgroup.procs" 2>/dev/null)" ]
ok $? "no process of it is left"

[ "$failed" -eq 0 ]
