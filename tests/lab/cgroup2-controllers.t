#!/bin/sh
# The lab gives cpool a pure cgroup v2 system: cgroup2 alone at
# /sys/fs/cgroup with the controllers cpool drives, and no v1 anywhere.
# Runs inside tools/lab, e.g.: tools/lab --numa 2x2 -- prove tests/lab/
if [ "${CPOOL_LAB:-}" != 1 ]; then
	echo "Bail out! not inside the lab (run through tools/lab)"
	exit 1
fi
. "$(dirname "$0")/tap.sh"

cg=/sys/fs/cgroup
controllers="cpuset cpu io memory pids"
has_word() { # has_word WORD "SPACE SEPARATED LIST"
	case " $2 " in *" $1 "*) return 0 ;; esac
	return 1
}

echo "1..14"

type=$(stat -f -c %T $cg 2>&1)
[ "$type" = cgroup2fs ]
ok $? "$cg is cgroup2 (statfs type: $type)"

avail=$(cat $cg/cgroup.controllers 2>&1)
echo "# cgroup.controllers: $avail"
for c in $controllers; do
	has_word "$c" "$avail"
	ok $? "controller $c is available at the root"
done

# shellcheck disable=SC2086 # one word per controller
err=$(printf '+%s ' $controllers 2>&1 >$cg/cgroup.subtree_control)
ok $? "enabling $controllers in the root's cgroup.subtree_control works${err:+ ($err)}"

enabled=$(cat $cg/cgroup.subtree_control)
missing=
for c in $controllers; do has_word "$c" "$enabled" || missing="$missing $c"; done
[ -z "$missing" ]
ok $? "root's cgroup.subtree_control lists them (has: $enabled)"

child=$cg/lab-test.$$
mkdir $child
ok $? "creating child cgroup $child works"

child_ctl=$(cat $child/cgroup.controllers 2>&1)
missing=
for c in $controllers; do has_word "$c" "$child_ctl" || missing="$missing $c"; done
[ -z "$missing" ]
ok $? "the child has the controllers (has: $child_ctl)"

# A process can move in and back out again.
sh -c "echo \$\$ >$child/cgroup.procs && grep -qx '0::/lab-test.$$' /proc/\$\$/cgroup" 2>/dev/null
ok $? "a process can join the child cgroup"

rmdir $child && [ ! -e $child ]
ok $? "removing the child cgroup works"

v1=$(awk '$3 == "cgroup" { print $2 }' /proc/mounts)
[ -z "$v1" ]
ok $? "no cgroup v1 mount in /proc/mounts${v1:+ (found: $v1)}"

v2=$(awk '$3 == "cgroup2" { print $2 }' /proc/mounts | paste -sd' ')
[ "$v2" = "$cg" ]
ok $? "the only cgroup2 mount is $cg (found: $v2)"

[ "$failed" -eq 0 ]
