// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#include <errno.h>

#include "../tap.h"
#include "cpool/cpuset.h"

static const char *roundtrip(const char *in, char *buf, size_t len)
{
	struct cpool_cpuset s;

	if (cpool_cpuset_parse(&s, in, NULL))
		return "<error>";
	cpool_cpuset_format(&s, buf, len);
	return buf;
}

int main(void)
{
	struct cpool_cpuset a, b, c;
	const char *bad = NULL;
	char buf[256];
	int n;

	is_str(roundtrip("0-3,8,10-11", buf, sizeof(buf)), "0-3,8,10-11", "round trip");
	is_str(roundtrip(" 3,2,1,0\n", buf, sizeof(buf)), "0-3",
	       "unordered members merge into a range");
	is_str(roundtrip("5-5", buf, sizeof(buf)), "5", "a one-member range prints as a number");
	is_str(roundtrip("", buf, sizeof(buf)), "", "empty list is the empty set");
	is_str(roundtrip("0, 2 ,4", buf, sizeof(buf)), "0,2,4", "spaces around commas");
	is_str(roundtrip("4095", buf, sizeof(buf)), "4095", "the largest CPU number");

	is_int(cpool_cpuset_parse(&a, "1-", &bad), -EINVAL, "dangling dash refused");
	is_int(cpool_cpuset_parse(&a, "3-1", &bad), -EINVAL, "reversed range refused");
	is_str(bad, "3-1", "error points at the reversed range");
	is_int(cpool_cpuset_parse(&a, "0,,1", &bad), -EINVAL, "empty element refused");
	is_int(cpool_cpuset_parse(&a, "0-3x", &bad), -EINVAL, "trailing garbage refused");
	is_str(bad, "x", "error points at the garbage");
	is_int(cpool_cpuset_parse(&a, "-1", NULL), -EINVAL, "negative refused");
	is_int(cpool_cpuset_parse(&a, "4096", NULL), -ERANGE, "past CPOOL_MAX_CPUS refused");
	is_int(cpool_cpuset_parse(&a, "99999999999999999999", NULL), -ERANGE,
	       "huge number refused without overflow");

	cpool_cpuset_parse(&a, "0-7", NULL);
	cpool_cpuset_parse(&b, "4-11", NULL);
	is_int(cpool_cpuset_count(&a), 8, "count");
	cpool_cpuset_and(&c, &a, &b);
	is_str((cpool_cpuset_format(&c, buf, sizeof(buf)), buf), "4-7", "and");
	cpool_cpuset_or(&c, &a, &b);
	is_str((cpool_cpuset_format(&c, buf, sizeof(buf)), buf), "0-11", "or");
	cpool_cpuset_andnot(&c, &a, &b);
	is_str((cpool_cpuset_format(&c, buf, sizeof(buf)), buf), "0-3", "andnot");
	ok(cpool_cpuset_intersects(&a, &b), "intersects");
	ok(cpool_cpuset_subset(&c, &a), "subset");
	ok(!cpool_cpuset_subset(&a, &c), "not subset");
	is_int(cpool_cpuset_first(&b), 4, "first");
	is_int(cpool_cpuset_last(&b), 11, "last");
	is_int(cpool_cpuset_next(&b, 11), -1, "next past the end");

	cpool_cpuset_zero(&a);
	ok(cpool_cpuset_empty(&a), "zero empties");
	is_int(cpool_cpuset_first(&a), -1, "first of empty");
	is_int(cpool_cpuset_last(&a), -1, "last of empty");
	cpool_cpuset_set(&a, 63);
	cpool_cpuset_set(&a, 64);
	cpool_cpuset_set(&a, 4095);
	cpool_cpuset_set(&a, 4096); /* ignored */
	cpool_cpuset_set(&a, -1); /* ignored */
	is_int(cpool_cpuset_count(&a), 3, "out-of-range set ignored");
	is_str((cpool_cpuset_format(&a, buf, sizeof(buf)), buf), "63-64,4095", "word boundary");
	is_int(cpool_cpuset_next(&a, 63), 64, "next across a word");

	/* snprintf semantics: the length is right even when the buffer is short. */
	cpool_cpuset_parse(&a, "0-3,8,10-11", NULL);
	n = cpool_cpuset_format(&a, buf, 4);
	is_int(n, 11, "format returns the full length");
	is_str(buf, "0-3", "short buffer is truncated and terminated");

	done_testing();
	return exit_status();
}
