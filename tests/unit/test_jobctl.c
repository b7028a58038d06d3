// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* Dependencies, arrays, job references and output patterns, parsed and judged. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "cpool/jobctl.h"

static void test_deps(void)
{
	struct cpool_error e = { 0 };
	struct cpool_dep *d;
	size_t n;
	char *s;

	is_int(cpool_deps_parse("12:ok,13,14:notok,15:any", &d, &n, &e), 0, "deps parse");
	is_int((int64_t)n, 4, "four of them");
	is_int(d[1].job, 13, "the second's id");
	is_int(d[1].when, CPOOL_DEP_OK, "ok is the default");
	is_int(d[2].when, CPOOL_DEP_NOTOK, "notok");
	is_int(d[3].when, CPOOL_DEP_ANY, "any");
	s = cpool_deps_format(d, n);
	is_str(s, "12:ok,13:ok,14:notok,15:any", "formatted back, every condition spelled out");
	free(s);
	free(d);
	is_int(cpool_deps_parse("", &d, &n, &e), -EINVAL, "empty: refused");
	is_int(cpool_deps_parse("12:maybe", &d, &n, &e), -EINVAL, "unknown condition: refused");
	ok(strstr(e.msg, "12:maybe") != NULL, "the message quotes the input");
	is_int(cpool_deps_parse("12,,13", &d, &n, &e), -EINVAL, "empty item: refused");
	is_int(cpool_deps_parse("0", &d, &n, &e), -EINVAL, "job 0: refused");
	is_int(cpool_deps_parse("-3", &d, &n, &e), -EINVAL, "negative: refused");
	is_int(cpool_deps_parse("12:ok:ok", &d, &n, &e), -EINVAL, "two conditions: refused");
	is_int(cpool_deps_parse("99999999999999999999", &d, &n, &e), -EINVAL,
	       "an id past int64: refused");

	is_int(cpool_dep_judge(CPOOL_DEP_OK, CPOOL_JOB_RUNNING, 0, 0), CPOOL_DEP_PENDING,
	       "a running job: pending");
	is_int(cpool_dep_judge(CPOOL_DEP_OK, CPOOL_JOB_DONE, 0, 0), CPOOL_DEP_MET, "ok, exit 0");
	is_int(cpool_dep_judge(CPOOL_DEP_OK, CPOOL_JOB_DONE, 1, 0), CPOOL_DEP_NEVER,
	       "ok, exit 1: never");
	is_int(cpool_dep_judge(CPOOL_DEP_OK, CPOOL_JOB_DONE, -1, 9), CPOOL_DEP_NEVER,
	       "ok, killed: never");
	is_int(cpool_dep_judge(CPOOL_DEP_OK, CPOOL_JOB_CANCELLED, -1, 0), CPOOL_DEP_NEVER,
	       "ok, cancelled: never");
	is_int(cpool_dep_judge(CPOOL_DEP_NOTOK, CPOOL_JOB_FAILED, -1, 0), CPOOL_DEP_MET,
	       "notok, failed: met");
	is_int(cpool_dep_judge(CPOOL_DEP_NOTOK, CPOOL_JOB_DONE, 0, 0), CPOOL_DEP_NEVER,
	       "notok, exit 0: never");
	is_int(cpool_dep_judge(CPOOL_DEP_ANY, CPOOL_JOB_CANCELLED, -1, 0), CPOOL_DEP_MET,
	       "any, cancelled: met");
	is_int(cpool_dep_judge(CPOOL_DEP_ANY, CPOOL_JOB_QUEUED, 0, 0), CPOOL_DEP_PENDING,
	       "any, queued: pending");
}

static void test_arrays(void)
{
	struct cpool_error e = { 0 };
	struct cpool_array_spec a;

	is_int(cpool_array_parse("0-99%4", &a, &e), 0, "0-99%%4 parses");
	is_int(a.first, 0, "first");
	is_int(a.last, 99, "last");
	is_int(a.step, 1, "step 1 by default");
	is_int(a.max_running, 4, "max running");
	is_int(cpool_array_count(&a), 100, "100 elements");
	is_int(cpool_array_parse("1-10:3", &a, &e), 0, "1-10:3 parses");
	is_int(cpool_array_count(&a), 4, "1, 4, 7, 10");
	is_int(a.max_running, 0, "no limit");
	is_int(cpool_array_parse("7", &a, &e), 0, "one index");
	is_int(cpool_array_count(&a), 1, "one element");
	is_int(cpool_array_parse("9-3", &a, &e), -EINVAL, "backwards: refused");
	is_int(cpool_array_parse("0-9:0", &a, &e), -EINVAL, "step 0: refused");
	is_int(cpool_array_parse("0-9%0", &a, &e), -EINVAL, "%%0: refused");
	is_int(cpool_array_parse("0-", &a, &e), -EINVAL, "no last: refused");
	is_int(cpool_array_parse("a-b", &a, &e), -EINVAL, "letters: refused");
	is_int(cpool_array_parse("0-2000000", &a, &e), -EINVAL, "past the index limit: refused");
	is_int(cpool_array_parse("0:2-9", &a, &e), -EINVAL, "step before the range: refused");
}

static void test_refs(void)
{
	struct cpool_job_ref r;
	char buf[64];

	is_int(cpool_job_ref_parse("12", &r), 0, "12 parses");
	is_int(r.job, 12, "job");
	is_int(r.task, -1, "not one element");
	is_int(cpool_job_ref_parse("12_0", &r), 0, "12_0 parses");
	is_int(r.task, 0, "element 0");
	cpool_job_ref_format(&r, buf, sizeof(buf));
	is_str(buf, "12_0", "formatted back");
	is_int(cpool_job_ref_parse("12_", &r), -EINVAL, "12_: refused");
	is_int(cpool_job_ref_parse("_3", &r), -EINVAL, "_3: refused");
	is_int(cpool_job_ref_parse("0", &r), -EINVAL, "0: refused");
	is_int(cpool_job_ref_parse("12x", &r), -EINVAL, "12x: refused");
}

static void test_patterns(void)
{
	struct cpool_outpattern_vars v = {
		.job = 42, .array_job = 0, .array_task = -1, .user = "ann", .name = "sim"
	};
	struct cpool_error e = { 0 };
	char out[64];

	is_int(cpool_outpattern_expand("/h/cpool-%j.out", &v, out, sizeof(out), &e), 0,
	       "expand the default");
	is_str(out, "/h/cpool-42.out", "%%j is the job's id");
	is_int(cpool_outpattern_expand("%A_%a.%u.%x.100%%", &v, out, sizeof(out), &e), 0,
	       "expand every pattern");
	is_str(out, "42_none.ann.sim.100%", "outside an array: %%A is the job, %%a none");
	v.job = 57;
	v.array_job = 50;
	v.array_task = 7;
	is_int(cpool_outpattern_expand("%A_%a-%j", &v, out, sizeof(out), &e), 0,
	       "an array element");
	is_str(out, "50_7-57", "%%A the array, %%a the index, %%j the element's own id");
	is_int(cpool_outpattern_check("x%q", &e), -EINVAL, "%%q: refused");
	ok(strstr(e.msg, "%q") != NULL, "named");
	is_int(cpool_outpattern_check("x%", &e), -EINVAL, "a final %%: refused");
	is_int(cpool_outpattern_expand("%x%x%x%x%x%x%x%x%x%x%x%x%x%x", &v, out, 16, &e),
	       -ENAMETOOLONG, "too long for the buffer: refused");
}

int main(void)
{
	test_deps();
	test_arrays();
	test_refs();
	test_patterns();
	done_testing();
	return exit_status();
}
