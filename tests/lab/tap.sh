# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# TAP for the lab's shell tests, as tests/tap.h is for the C ones.  A test
# sources it after its lab check:   . "$(dirname "$0")/tap.sh"
# prints its plan (echo "1..N"), asserts with ok and is, and ends with
# [ "$failed" -eq 0 ] so that its exit status says whether all passed.
# Not a test itself: tools/lab-check runs only *.t.

n=0
failed=0

ok() { # ok STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		# A TODO is a known defect, reported, not a failure (TAP).
		case "$2" in
		*"# TODO"*) ;;
		*) failed=$((failed + 1)) ;;
		esac
	fi
}

is() { # is GOT WANT DESCRIPTION
	[ "$1" = "$2" ]
	ok $? "$3"
	[ "$1" = "$2" ] || echo "#   got '$1', want '$2'"
}
