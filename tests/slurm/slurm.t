#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# A real Slurm (munged, slurmctld, slurmd on localhost) running its tasks in
# cpool's virtual servers through build/cpool_spank.so: srun lands in a
# leaf, an sbatch job's two burning tasks are accounted with their Slurm ids
# and a run time that agrees with the leaf's cpu.stat, scancel ends the
# record, a kill -9 of cpoold during a step is adopted on restart, and a
# VS whose CPUs cpool's own job holds, or a stopped cpoold, fail the task with a
# message.
# Not in check-lab (slow under TCG): make check-slurm, e.g.
#   tools/lab-check --kernel 6.12 --numa 2x2 --test tests/slurm/slurm.t
if [ "${CPOOL_LAB:-}" != 1 ]; then
	echo "Bail out! not inside the lab (run through tools/lab)"
	exit 1
fi
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lab/tap.sh"
. "$here/../lab/lab_cpoold.sh"

plugin=$build/cpool_spank.so
if [ ! -e "$plugin" ]; then
	echo "Bail out! $plugin is missing: run make on the host first (libslurm-dev for the plugin)"
	exit 1
fi
for p in munged slurmctld slurmd srun sbatch; do
	command -v "$p" >/dev/null || { echo "Bail out! $p is missing (tools/deps.sh)"; exit 1; }
done

cpool_socket=$CPOOL_SOCKET
slurm_dir=$dir/slurm
# The node's CPUs for Slurm are those of VS a (pool.ini below), as docs/slurm.md asks.
slurm_cpus=2
. "$here/slurm-env.sh"
lab_cpoold_before_cleanup() {
	scancel --user=root 2>/dev/null
	slurm_down
}

diag_logs() {
	echo "# ---- cpoold.log"
	tail -n 30 "$dir/cpoold.log" | sed 's/^/# /'
	slurm_logs
}

# check STATUS DESCRIPTION: ok, and the status again for a "|| what to show".
check() {
	ok "$@"
	[ "$1" -eq 0 ]
}

# until SECONDS CMD...: true once CMD succeeds within SECONDS (by the clock:
# under TCG one try of a pipeline of cpool and jq takes a second or more).
until_ok() {
	local deadline=$((SECONDS + $1))
	shift
	while [ "$SECONDS" -lt "$deadline" ]; do
		"$@" && return 0
		sleep 0.5
	done
	return 1
}

# The history records of Slurm job $1 (a JSON array).
records_of() {
	"$cpool" history --json | jq -c --argjson j "$1" '[.jobs[] | select(.slurm_job == $j)]'
}
ended_count() { # ended_count JOB N: at least N records of the job have ended
	[ "$(records_of "$1" | jq length)" -ge "$2" ]
}
running_of() { # the live cpool jobs of Slurm job $1
	"$cpool" ps --json | jq -c --argjson j "$1" '[.jobs[] | select(.slurm_job == $j)]'
}
running_count() {
	[ "$(running_of "$1" | jq '[.[] | select(.state == "running")] | length')" -ge "$2" ]
}

# VS a: the two CPUs of Slurm's tasks; the rest of the machine is Slurm's node.
cat >"$dir/pool.ini" <<'EOF'
[pool]
name = slurmpool

[vserver a]
cpus = 2
EOF

echo "1..24"

lab_cpoold_run
check $? "cpoold starts" || { diag_logs; exit 1; }
t0=$(date +%s)
slurm_up
check $? "munged, slurmctld and slurmd are up ($(($(date +%s) - t0)) s)" || {
	diag_logs
	exit 1
}

# ---- srun: the task runs in a leaf of VS a ----
out=$(timeout 300 srun -n1 --cpool-vs=a sh -c 'echo "$SLURM_JOB_ID.$SLURM_STEP_ID"; cat /proc/self/cgroup' 2>"$dir/srun.err")
check $? "srun --cpool-vs=a runs" || { cat "$dir/srun.err" | sed 's/^/# /'; diag_logs; }
ids=$(echo "$out" | head -1)
leaf=$(echo "$out" | sed -n 2p)
echo "# $ids: $leaf"
[[ $leaf =~ ^0::/$root/a/job-[0-9]+$ ]]
ok $? "its /proc/self/cgroup is a job leaf of VS a ($leaf)"
job=${ids%.*}
step=${ids#*.}
until_ok 30 ended_count "$job" 1
ok $? "cpool history has it"
rec=$(records_of "$job" | jq -c '.[0]')
echo "# $rec"
is "$(echo "$rec" | jq -r '"\(.origin) \(.slurm_job) \(.slurm_step) \(.state)"')" \
	"slurm $job $step done" "with origin slurm, its Slurm job and step ids, done"
is "$(echo "$rec" | jq -r '"\(.exit_code) \(.signal)"')" "-1 0" \
	"its exit status is unknown to cpool (Slurm reaps the task)"
"$cpool" history | grep -q "slurm $job.$step"
ok $? "the table's ORIGIN column says slurm $job.$step"

# ---- sbatch: two burning tasks, accounted with their ids and CPU time ----
# The copy of the CLI in $dir (tmpfs): exec'ing it from the checkout would
# wait on the host's file system, time in the leaf that is not CPU time.
cat >"$dir/burn.sh" <<EOF
#!/bin/sh
srun --cpool-vs=a $dir/cpool burn --cpu-seconds 20
EOF
bjob=$(sbatch --parsable -n 2 -o "$dir/burn.out" --cpool-vs=a "$dir/burn.sh" 2>"$dir/sbatch.err")
check $? "sbatch of 2 tasks is accepted (job $bjob)" || sed 's/^/# /' "$dir/sbatch.err"
until_ok 120 running_count "$bjob" 2
check $? "cpool ps shows its 2 tasks running" || {
	squeue | sed 's/^/# /'
	"$cpool" ps | sed 's/^/# /'
	sed 's/^/# /' "$dir/burn.out"
	diag_logs
}
is "$(running_of "$bjob" | jq -r '[.[].slurm_step] | unique | join(",")')" "0" \
	"both are step 0 of job $bjob (the batch script itself is not attached)"
until_ok 300 ended_count "$bjob" 2
check $? "both end in cpool history" || { sed 's/^/# /' "$dir/burn.out"; diag_logs; }
records_of "$bjob" | jq -r '.[] | "job \(.id) \(.state) step \(.slurm_step): run time \(.run_time) s, cpu.stat \(.cpu_time) s"' |
	sed 's/^/# /'
worst=$(records_of "$bjob" | jq 'if length == 2 and all(.[]; .cpu_time > 0) then
	[.[] | ((.run_time - .cpu_time) / .cpu_time) | fabs] | max else "no two records" end')
echo "# largest |run time - cpu.stat time| / cpu.stat time: $worst"
jq -en --argjson w "$worst" '($w | type) == "number" and $w < 0.02' >/dev/null
ok $? "each task's run time agrees with its leaf's cpu.stat within 2 % ($worst)"

# ---- scancel ends the record ----
timeout 600 srun -n1 --cpool-vs=a sleep 600 >/dev/null 2>&1 &
srun_pid=$!
until_ok 120 sh -c "'$cpool' ps --json | jq -e '[.jobs[] | select(.origin == \"slurm\")] | length == 1' >/dev/null"
ok $? "a long step runs in the pool"
sjob=$("$cpool" ps --json | jq '[.jobs[] | select(.origin == "slurm")][0].slurm_job')
scancel "$sjob"
until_ok 60 ended_count "$sjob" 1
check $? "scancel $sjob: its record ends" || diag_logs
wait "$srun_pid" 2>/dev/null

# ---- kill -9 of cpoold during a step: adopted on restart ----
timeout 600 srun -n1 --cpool-vs=a sleep 600 >/dev/null 2>&1 &
srun_pid=$!
until_ok 120 sh -c "'$cpool' ps --json | jq -e '[.jobs[] | select(.origin == \"slurm\")] | length == 1' >/dev/null"
kjob=$("$cpool" ps --json | jq '[.jobs[] | select(.origin == "slurm")][0].slurm_job')
kid=$("$cpool" ps --json | jq '[.jobs[] | select(.origin == "slurm")][0].id')
kill -KILL "$daemon"
wait "$daemon" 2>/dev/null
lab_cpoold_run
ok $? "cpoold restarts after kill -9 during step $kjob"
is "$("$cpool" ps --json | jq -r --argjson id "$kid" '.jobs[] | select(.id == $id) | "\(.state) \(.slurm_job)"')" \
	"running $kjob" "the step is adopted: cpool job $kid still running"
grep -q "job $kid: slurm job $kjob step 0 adopted" "$dir/cpoold.log"
ok $? "the log says it was adopted"
scancel "$kjob"
until_ok 60 ended_count "$kjob" 1
check $? "its end is seen by the restarted cpoold" || diag_logs
wait "$srun_pid" 2>/dev/null

# ---- a full VS, and a stopped cpoold: the task fails, saying why ----
# Slurm's count is right (2 CPUs), but a job of cpool's own holds one of them.
hold=$("$cpool" submit --vs a --stdout /dev/null -- sleep 600) # not cpool-N.out in the checkout
wait_state "$hold" running
ok $? "cpool job $hold holds one CPU of VS a"
timeout 300 srun -n2 --cpool-vs=a sleep 5 2>"$dir/full.err"
ok $((! $?)) "2 tasks with 1 free CPU in the VS: the step fails"
grep -q "free CPUs" "$dir/full.err"
ok $? "and the user reads why: $(grep -m1 'free CPUs' "$dir/full.err")"
"$cpool" cancel "$hold" >/dev/null
kill -TERM "$daemon"
wait "$daemon" 2>/dev/null
daemon=
timeout 300 srun -n1 --cpool-vs=a true 2>"$dir/down.err"
ok $((! $?)) "cpoold stopped: the step fails"
grep -q "cannot reach cpoold" "$dir/down.err"
ok $? "and the user reads why: $(grep -m1 'cpoold' "$dir/down.err")"

[ "$failed" -eq 0 ] || diag_logs
[ "$failed" -eq 0 ]
