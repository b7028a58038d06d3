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

dir=$(mktemp -d /tmp/cpool-reload.XXXXXX)
chmod 1777 "$dir"
root=cpool-lab-reload-$$
cg=/sys/fs/cgroup/$root
export CPOOL_SOCKET=$dir/cpool.sock
daemon=

cleanup() {
	if [ -n "$daemon" ]; then
		kill -TERM "$daemon" 2>/dev/null
		wait "$daemon" 2>/dev/null
	fi
	# Jobs outlive the daemon by design (KillMode=process): kill them, then
	# remove the tree leaves first.
	if [ -d "$cg" ]; then
		echo 1 >"$cg/cgroup.kill" 2>/dev/null
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null
			[ -d "$cg" ] || break
			sleep 0.2
		done
		[ -d "$cg" ] && echo "# cleanup: $cg is still there"
	fi
	rm -rf "$dir"
}
trap cleanup EXIT

# nobody may not reach the checkout (a home directory of mode 0700): give it
# its own copy of the CLI.
cp "$cpool" "$dir/cpool" && chmod 0755 "$dir/cpool"
as_nobody() { # as_nobody cpool ARGS...
	shift
	setpriv --reuid=65534 --regid=65534 --clear-groups "$dir/cpool" "$@"
}

pool_ini() { # pool_ini EXTRA-SECTIONS
	{
		printf '[pool]\nname = rlpool\npolicy = fairshare\nfairshare_half_life = 0\n\n'
		printf '[vserver f]\ncpus = 1\nexclusive = no\nsmt = threads\n\n%s' "$1"
	} >"$dir/pool.ini"
}
pool_ini ""

echo "1..17"

"$cpoold" -c "$dir/pool.ini" --foreground --socket "$CPOOL_SOCKET" \
	--state-dir "$dir/state" --record-dir "$dir/records" --cgroup-root "$root" \
	--socket-mode 0666 -v 2>"$dir/cpoold.log" &
daemon=$!
up=1
for _ in $(seq 600); do
	if "$cpool" vs list >/dev/null 2>&1; then
		up=0
		break
	fi
	kill -0 "$daemon" 2>/dev/null || break
	sleep 0.1
done
if [ $up -ne 0 ]; then
	sed 's/^/# /' "$dir/cpoold.log"
	echo "Bail out! cpoold did not start"
	exit 1
fi
cd "$dir" || exit 1

vs_cpus() { # vs_cpus NAME: its CPU count as cpool vs list says
	"$cpool" vs list --json | jq -r --arg n "$1" \
		'[.vservers[] | select(.name == $n)] | if length == 0 then "none" else .[0].cpus end'
}
count_list() { # count_list 0-1,3 -> 3
	echo "$1" | tr ',' '\n' | awk -F- 'NF == 2 { n += $2 - $1 + 1; next } NF == 1 && $1 != "" { n++ } END { print n + 0 }'
}
wait_state() { # wait_state ID STATE
	local s=
	for _ in $(seq 300); do
		s=$("$cpool" ps --json | jq -r --argjson id "$1" '.jobs[] | select(.id == $id) | .state')
		[ "$s" = "$2" ] && return 0
		sleep 0.1
	done
	echo "# job $1 is $s, not $2"
	return 1
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
is "$(wait_state "$idg" running && echo alive)" alive "the job still runs"
"$cpool" cancel "$idg" >/dev/null

# --- fair share on live jobs of two users ---------------------------------
# root burns f's CPU for 3 s, then root's second job and nobody's first wait
# for it: nobody has used nothing, so nobody's job starts first although
# root's was submitted first (fcfs would do the opposite).
pool_ini ""
"$cpool" reload >/dev/null 2>&1
burn=$("$cpool" submit --vs f -- "$dir/cpool" burn --cpu-seconds 3)
wait_state "$burn" running
r2=$("$cpool" submit --vs f --name root-second -- /bin/true)
n1=$(as_nobody cpool submit --vs f --name nobody-first -- /bin/true)
"$cpool" wait "$burn" >/dev/null
"$cpool" wait "$r2" >/dev/null
as_nobody cpool wait "$n1" >/dev/null
"$cpool" share --json | sed 's/^/# /'
used=$("$cpool" share --json | jq -r '.users[] | select(.uid == 0) | .usage')
awk -v u="$used" 'BEGIN { exit !(u >= 1) }'
ok $? "cpool share charges root at least 1 CPU-second ($used)"
starts=$("$cpool" history --json | jq -r --argjson a "$r2" --argjson b "$n1" \
	'[.jobs[] | select(.id == $a or .id == $b)] | sort_by(.start) | map(.name) | join(",")')
is "$starts" "nobody-first,root-second" "fairshare starts the idle user's job first"

[ "$failed" -eq 0 ]
