// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * cpoold's pool code linked with its job table, under ASan: destroying a
 * VS cancels its queued jobs, and each cancel frees a job the loop over
 * the job list must no longer touch.  The pool's cgroup path is an empty
 * temporary directory, so the cgroup removal that follows fails with
 * ENOENT without touching the host's cgroups.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpoold_fixture.h"

static char dir[] = "/tmp/cpool-test-cpoold-pool.XXXXXX";

static int count_jobs(struct cpoold *d, const char *vs)
{
	int n = 0;

	for (struct djob *j = d->jobs; j; j = j->next)
		n += !vs || strcmp(j->rec.vs ?: "", vs) == 0;
	return n;
}

static int submit(struct cpoold *d, const char *vs)
{
	const char *argv[] = { "/bin/true", NULL };
	struct cpool_submit_req s = { .argv = argv, .argc = 1, .vs = vs, .cpus = 1 };
	struct cpool_error err;
	int64_t id;

	return jobs_submit(d, &s, 1000, 1000, &id, &err);
}

static int count_cancelled(const struct cpool_jobrec *r, void *ctx)
{
	*(int *)ctx += r->state == CPOOL_JOB_CANCELLED;
	return 0;
}

int main(void)
{
	struct vsrv vs[2];
	struct cpoold d;
	struct cpool_job_filter f = { .finished_only = true, .uid = -1 };
	struct cpool_error err;
	int cancelled = 0, r;

	plan(8);
	fixture_open(&d, dir);
	memset(vs, 0, sizeof(vs));
	snprintf(vs[0].vs.name, sizeof(vs[0].vs.name), "doomed");
	cpool_cpuset_set_range(&vs[0].vs.cpus, 0, 1);
	snprintf(vs[1].vs.name, sizeof(vs[1].vs.name), "kept");
	cpool_cpuset_set_range(&vs[1].vs.cpus, 2, 3);
	d.vs = vs;
	d.n_vs = 2;

	/* Interleaved, so the freed job is followed by one still linked. */
	for (int i = 0; i < 6; i++)
		if ((r = submit(&d, i % 2 ? "kept" : "doomed")))
			bail_out("submit: %s", strerror(-r));
	is_int(count_jobs(&d, "doomed"), 3, "three jobs queued on the VS to destroy");
	is_int(count_jobs(&d, "kept"), 3, "three on the other");

	r = pool_vs_destroy(&d, "doomed", NULL, 1, &err);
	diag("%s", err.msg);
	is_int(r, -ENOENT, "watching the cgroup fails on the fake pool path");
	is_int(count_jobs(&d, "doomed"), 0, "every queued job of the VS was cancelled");
	is_int(count_jobs(&d, "kept"), 3, "the other VS's jobs are untouched");
	is_int(count_jobs(&d, NULL), 3, "nothing else left in the job list");
	cpool_store_job_foreach(d.store, &f, count_cancelled, &cancelled);
	is_int(cancelled, 3, "each cancel is stored");
	ok(d.n_vs == 2, "the VS stays listed when its cgroup could not be removed");

	fixture_close(&d, dir);
	return exit_status();
}
