#!/bin/sh
# The VM's NUMA topology is the one asked for with tools/lab --numa SHAPE:
# nodes 0..N-1, CPUs numbered consecutively node after node.
# Runs inside tools/lab, e.g.: tools/lab --numa 2,1 -- prove tests/lab/
if [ "${CPOOL_LAB:-}" != 1 ]; then
	echo "Bail out! not inside the lab (run through tools/lab)"
	exit 1
fi
. "$(dirname "$0")/tap.sh"

shape=${CPOOL_LAB_SHAPE:-}
# SHAPE -> "$@" = CPU count of each node
case $shape in
*[!0-9x,]* | "" | *x*x* | *x*,* | *,*x* | x* | *x | ,* | *, | *,,*)
	echo "Bail out! cannot parse CPOOL_LAB_SHAPE='$shape'"
	exit 1
	;;
*x*)
	nodes=${shape%x*}
	per=${shape#*x}
	set --
	i=0
	while [ $i -lt "$nodes" ]; do
		set -- "$@" "$per"
		i=$((i + 1))
	done
	;;
*)
	old_ifs=$IFS
	IFS=,
	# shellcheck disable=SC2086
	set -- $shape
	IFS=$old_ifs
	;;
esac
nodes=$#
total=0
for c in "$@"; do total=$((total + c)); done

range() { # range FIRST LAST -> sysfs list syntax
	if [ "$1" -eq "$2" ]; then echo "$1"; else echo "$1-$2"; fi
}


echo "1..$((2 * nodes + 4))"
echo "# shape $shape: $nodes nodes, $total CPUs"

sysnode=/sys/devices/system/node
want=$(range 0 $((nodes - 1)))
got=$(cat $sysnode/online 2>&1)
[ "$got" = "$want" ]
ok $? "online nodes are $want (got: $got)"

first=0
i=0
for c in "$@"; do
	last=$((first + c - 1))
	want=$(range $first $last)
	got=$(cat $sysnode/node$i/cpulist 2>&1)
	[ "$got" = "$want" ]
	ok $? "node $i has CPUs $want (got: $got)"
	kb=$(awk '/MemTotal/ { print $4 }' $sysnode/node$i/meminfo 2>/dev/null)
	[ "${kb:-0}" -gt 0 ]
	ok $? "node $i has memory (${kb:-0} kB)"
	first=$((last + 1))
	i=$((i + 1))
done

got=$(nproc)
[ "$got" = "$total" ]
ok $? "nproc is $total (got: $got)"

want=$(range 0 $((total - 1)))
got=$(cat /sys/devices/system/cpu/online)
[ "$got" = "$want" ]
ok $? "online CPUs are $want (got: $got)"

extra=
for d in "$sysnode"/node[0-9]*; do
	[ "${d##*/node}" -lt "$nodes" ] || extra="$extra${extra:+ }${d##*/node}"
done
[ -z "$extra" ]
ok $? "no nodes beyond node $((nodes - 1))${extra:+ (found: $extra)}"

[ "$failed" -eq 0 ]
