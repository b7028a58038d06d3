#!/bin/bash
# The cpool CLI against a live cpoold: a two-VS pool driven only through
# build/cpool (listing, submit/wait exit statuses, ps, history, policy,
# vs create/destroy, top, and a non-root user who may not cancel root's job).
# Runs inside tools/lab, e.g.: tools/lab --numa 2x2 -- prove tests/lab/cpool-cli.t
if [ "${CPOOL_LAB:-}" != 1 ]; then
	echo "Bail out! not inside the lab (run through tools/lab)"
	exit 1
fi
. "$(dirname "$0")/tap.sh"

. "$(dirname "$0")/lab_cpoold.sh"

cat >"$dir/pool.ini" <<'EOF'
[pool]
name = clipool

[vserver a]
cpus = 1

[vserver b]
cpus = 1
exclusive = no
EOF

echo "1..26"

lab_cpoold_start

# --- vs list ---------------------------------------------------------------
out=$("$cpool" vs list 2>&1)
echo "$out" | sed 's/^/# /'
echo "$out" | awk '$1 == "a" { a = 1 } $1 == "b" { b = 1 } END { exit !(a && b) }'
ok $? "cpool vs list shows both virtual servers"
names=$("$cpool" vs list --json | jq -r '[.vservers[].name] | sort | join(",")')
is "$names" "a,b" "cpool vs list --json names a and b"
cpus=$("$cpool" vs list --json | jq -r '.vservers[] | select(.name == "b") | .cpus // empty')
[ -n "$cpus" ]
ok $? "vs b has a CPU list in --json ($cpus)"

# --- submit / wait ---------------------------------------------------------
id3=$("$cpool" submit --vs a -- /bin/sh -c 'exit 3')
[[ "$id3" =~ ^[0-9]+$ ]]
ok $? "cpool submit prints a job id ($id3)"
"$cpool" wait "$id3"
is $? 3 "cpool wait returns the job's exit code 3"

id0=$("$cpool" submit --vs b --stdout "$dir/hello.out" -- /bin/echo hello)
"$cpool" wait "$id0"
is $? 0 "cpool wait returns 0 for a job that succeeds"
is "$(cat "$dir/hello.out" 2>/dev/null)" hello "the job's stdout went to --stdout"

idk=$("$cpool" submit --vs b -- /bin/sh -c 'kill -9 $$')
"$cpool" wait "$idk" 2>"$dir/wait-k.err"
is $? 137 "a job killed by SIGKILL makes cpool wait return 137"
grep -q SIGKILL "$dir/wait-k.err"
ok $? "and wait says so on stderr ($(cat "$dir/wait-k.err"))"

# --- ps, cancel -----------------------------------------------------------
idc=$("$cpool" submit --vs a --name sleeper -- /bin/sleep 60)
wait_state "$idc" running
ok $? "cpool ps --json shows the sleeper running"
"$cpool" ps | grep -q sleeper
ok $? "cpool ps lists it by name"

# --- a non-root user --------------------------------------------------------
idn=$(as_nobody cpool submit -- /bin/sh -c 'id -u >'"$dir"'/who')
[[ "$idn" =~ ^[0-9]+$ ]]
ok $? "a non-root user submits a job ($idn)"
as_nobody cpool wait "$idn"
is $? 0 "and waits for it"
is "$(cat "$dir/who" 2>/dev/null)" 65534 "the job ran as its submitter"
seen=$(as_nobody cpool ps --json | jq --argjson id "$idc" '[.jobs[] | select(.id == $id)] | length')
is "$seen" 0 "the non-root user does not see root's job in ps"
as_nobody cpool cancel "$idc" >/dev/null 2>"$dir/cancel.err"
is $? 1 "the non-root user cannot cancel root's job (exit 1)"
grep -qi "another user\|permission\|EPERM" "$dir/cancel.err"
ok $? "and is told why: $(cat "$dir/cancel.err")"
as_nobody cpool vs create mine cpus=1 >/dev/null 2>&1
is $? 1 "the non-root user cannot create a virtual server"

"$cpool" cancel "$idc" >/dev/null
ok $? "root cancels the sleeper"
"$cpool" wait "$idc" 2>/dev/null
is $? 137 "the cancelled job's wait reports SIGKILL (137)"

# --- history ---------------------------------------------------------------
hist=$("$cpool" history --json)
got=$(echo "$hist" | jq -r --argjson a "$id3" --argjson b "$id0" --argjson c "$idk" '
	[.jobs[] | select(.id == $a or .id == $b or .id == $c) |
	 "\(.id):\(.exit_code):\(.signal)"] | join(" ")')
is "$got" "$id3:3:0 $id0:0:0 $idk:-1:9" "cpool history --json records the exit codes and the signal"

# --- policy ----------------------------------------------------------------
"$cpool" policy set --policy sjf >/dev/null
ok $? "root sets the policy to sjf"
is "$("$cpool" policy get --json | jq -r .policy)" sjf "cpool policy get reports sjf"

# --- vs create / destroy ---------------------------------------------------
# 2x2: one CPU is kept for the system, a and b hold one each, x takes the last.
"$cpool" vs create x cpus=1 >/dev/null 2>"$dir/vs.err" && "$cpool" vs list --json |
	jq -e '.vservers[] | select(.name == "x")' >/dev/null
ok $? "root creates vs x and it is listed $(cat "$dir/vs.err")"
"$cpool" vs destroy x >/dev/null 2>"$dir/vs.err" && ! "$cpool" vs list --json |
	jq -e '.vservers[] | select(.name == "x")' >/dev/null
ok $? "root destroys vs x and it is gone $(cat "$dir/vs.err")"

# --- top -------------------------------------------------------------------
frame=$("$cpool" top --once 2>&1)
echo "$frame" | sed 's/^/# /'
echo "$frame" | grep -qw a && echo "$frame" | grep -qw b
ok $? "cpool top --once shows each virtual server"

if [ "$failed" -ne 0 ]; then
	echo "# cpoold log:"
	sed 's/^/# /' "$dir/cpoold.log"
fi
[ "$failed" -eq 0 ]
