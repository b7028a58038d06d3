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

dir=$(mktemp -d /tmp/cpool-cli.XXXXXX)
chmod 1777 "$dir"
root=cpool-lab-cli-$$
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

"$cpoold" -c "$dir/pool.ini" --foreground --socket "$CPOOL_SOCKET" \
	--state-dir "$dir/state" --record-dir "$dir/records" --cgroup-root "$root" \
	--socket-mode 0666 -v 2>"$dir/cpoold.log" &
daemon=$!
up=1
for _ in $(seq 300); do
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
state=
for _ in $(seq 100); do
	state=$("$cpool" ps --json | jq -r --argjson id "$idc" '.jobs[] | select(.id == $id) | .state')
	[ "$state" = running ] && break
	sleep 0.1
done
is "$state" running "cpool ps --json shows the sleeper running"
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
