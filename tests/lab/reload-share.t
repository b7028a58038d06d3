#!/bin/bash
# Reload and fair share on a live cpoold: a reload that adds a VS and one that
# resizes it (checked in the kernel's cpuset), a reload refused as a whole
# (a shrink under a running job next to a policy change: neither applies),
# and the fairshare policy starting the job of the user who has used nothing
# before the earlier job of the user who has.
# Runs inside tools/lab, e.g.: tools/lab --numa 2x2 -- prove tests/lab/reload-share.t
if [ "${CPOOL_LAB:-}" != 1 ]; then
	echo "Bail out! not inside the lab (run through tools/lab)"
	exit 1
fi
. "$(dirname "$0")/tap.sh"
. "$(dirname "$0")/lab_cpoold.sh"

pool_ini() { # pool_ini EXTRA-SECTIONS
	{
		printf '[pool]\nname = rlpool\npolicy = fairshare\nfairshare_half_life = 0\n\n'
		printf '[vserver f]\ncpus = 1\nexclusive = no\nsmt = threads\n\n%s' "$1"
	} >"$dir/pool.ini"
}
pool_ini ""

echo "1..17"

lab_cpoold_start

vs_cpus() { # vs_cpus NAME: its CPU count as cpool vs list says
	"$cpool" vs list --json | jq -r --arg n "$1" \
		'[.vservers[] | select(.name == $n)] | if length == 0 then "none" else .[0].cpus end'
}
count_list() { # count_list 0-1,3 -> 3
	echo "$1" | tr ',' '\n' | awk -F- 'NF == 2 { n += $2 - $1 + 1; next } NF == 1 && $1 != "" { n++ } END { print n + 0 }'
}

is "$("$cpool" policy get --json | jq -r .policy)" fairshare "pool.ini's policy applies at start"

# --- a reload that adds a VS -------------------------------------------------
pool_ini $'[vserver g]\ncpus = 1\nexclusive = no\nsmt = threads\n'
out=$("$cpool" reload 2>&1)
is $? 0 "cpool reload adding vserver g succeeds"
echo "$out" | sed 's/^/# /'
is "$(count_list "$(vs_cpus g)")" 1 "g exists with 1 CPU"
[ -d "/sys/fs/cgroup/$root/g" ]
ok $? "and its cgroup was made"

# --- a reload that resizes it ------------------------------------------------
pool_ini $'[vserver g]\ncpus = 2\nexclusive = no\nsmt = threads\n'
"$cpool" reload >"$dir/reload2.out" 2>&1
is $? 0 "cpool reload growing g to 2 CPUs succeeds"
is "$(count_list "$(vs_cpus g)")" 2 "g has 2 CPUs"
is "$(count_list "$(cat "/sys/fs/cgroup/$root/g/cpuset.cpus" 2>/dev/null)")" 2 \
	"the kernel's cpuset.cpus of g has 2 CPUs"

# --- a reload refused as a whole -------------------------------------------
idg=$("$cpool" submit --vs g --cpus 2 -- /bin/sleep 300)
wait_state "$idg" running
ok $? "a 2-CPU job runs on g"
pool_ini $'[vserver g]\ncpus = 1\nexclusive = no\nsmt = threads\n'
sed -i 's/^policy = fairshare/policy = sjf/' "$dir/pool.ini"
"$cpool" reload 2>"$dir/reload3.err"
is $? 1 "a reload shrinking g under its running job is refused"
sed 's/^/# /' "$dir/reload3.err"
grep -q "in use by running jobs" "$dir/reload3.err"
ok $? "and says why"
is "$(count_list "$(vs_cpus g)")" 2 "g keeps its 2 CPUs"
is "$("$cpool" policy get --json | jq -r .policy)" fairshare "the policy change in the same file did not apply"
"$cpool" stats --json | jq -e '.last_reload.ok == false' >/dev/null
ok $? "cpool stats shows the refused reload"
# Where the loop's time went: up to eight names (which ones depends on the
# kernel's speed), more than ten dispatches in all after the requests above;
# each entry's sum lies between its longest and its count times the longest
# (in µs, rounded down), and the busiest comes first.
"$cpool" stats --json >"$dir/stats.json"
jq -c '.loop_busy[]' "$dir/stats.json" | sed 's/^/# /'
jq -e '.loop_busy as $b | ($b | length) >= 1 and ($b | length) <= 8
	and ([$b[].dispatches] | add) > 10
	and all($b[]; (.what | length) > 0 and .dispatches >= 1 and .max_us <= .busy_us
		and .busy_us <= (.max_us + 1) * .dispatches)
	and ([$b[].busy_us] == ([$b[].busy_us] | sort | reverse))' "$dir/stats.json" >/dev/null
ok $? "cpool stats says where the loop's time went, busiest first"
is "$(wait_state "$idg" running && echo alive)" alive "the job still runs"
"$cpool" cancel "$idg" >/dev/null

# --- fair share on live jobs of two users ---------------------------------
# root burns CPU for 2 s; then, while a sleeping blocker holds f, root's
# second job and nobody's first queue up.  When the blocker goes, nobody,
# who has used nothing, starts first although root submitted first (fcfs
# would do the opposite).
pool_ini ""
"$cpool" reload >/dev/null 2>&1
burn=$("$cpool" submit --vs f -- "$dir/cpool" burn --cpu-seconds 2)
"$cpool" wait "$burn" >/dev/null
blocker=$("$cpool" submit --vs f -- /bin/sleep 1000)
wait_state "$blocker" running
r2=$("$cpool" submit --vs f --name root-second -- /bin/true)
n1=$(as_nobody cpool submit --vs f --name nobody-first -- /bin/true)
"$cpool" share --json | sed 's/^/# /'
used=$("$cpool" share --json | jq -r '.users[] | select(.uid == 0) | .usage')
awk -v u="$used" 'BEGIN { exit !(u >= 1) }'
ok $? "cpool share charges root at least 1 CPU-second ($used)"
"$cpool" cancel "$blocker" >/dev/null
"$cpool" wait "$r2" >/dev/null
as_nobody cpool wait "$n1" >/dev/null
starts=$("$cpool" history --json | jq -r --argjson a "$r2" --argjson b "$n1" \
	'[.jobs[] | select(.id == $a or .id == $b)] | sort_by(.start) | map(.name) | join(",")')
is "$starts" "nobody-first,root-second" "fairshare starts the idle user's job first"
[ "$starts" = "nobody-first,root-second" ] ||
	"$cpool" history --json | jq -c '.jobs[] | {id, name, user, start}' | sed 's/^/# /'

[ "$failed" -eq 0 ]
