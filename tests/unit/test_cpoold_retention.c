// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * [pool] retention as cpoold applies it: samples and ended jobs older than
 * the retention go, batch by batch; recent rows and active jobs, however
 * old, stay.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpoold_fixture.h"

static char dir[] = "/tmp/cpool-test-cpoold-retention.XXXXXX";

static int count_job(const struct cpool_jobrec *r, void *ctx)
{
	(void)r;
	(*(long long *)ctx)++;
	return 0;
}

static long long jobs_in_store(struct cpoold *d, bool active)
{
	struct cpool_job_filter f = { .uid = -1, .active_only = active, .finished_only = !active };
	long long n = 0;

	cpool_store_job_foreach(d->store, &f, count_job, &n);
	return n;
}

int main(void)
{
	const double day = 86400, now = now_s();
	struct cpoold d;
	int batches = 0;

	plan(8);
	fixture_open(&d, dir);
	d.cfg.retention_s = 30 * day;
	for (int i = 0; i < 1500; i++) {
		struct cpool_vs_sample s = { .time = now - (i < 1200 ? 40 : 1) * day + i,
					     .vs = "v" };

		if (cpool_store_samples_insert(d.store, &s, 1))
			bail_out("sample: %s", cpool_store_errmsg(d.store));
	}
	for (int i = 0; i < 300; i++) {
		/* 200 ended long ago, 50 ended lately, 50 submitted long ago and still queued. */
		struct cpool_jobrec r = { .name = (char *)"j",
					  .argv_json = (char *)"[\"/bin/true\"]",
					  .cwd = (char *)"/",
					  .cpus = 1,
					  .state = i < 250 ? CPOOL_JOB_DONE : CPOOL_JOB_QUEUED,
					  .submit_time = now - 60 * day };

		if (cpool_store_job_insert(d.store, &r))
			bail_out("job: %s", cpool_store_errmsg(d.store));
		if (i < 250) {
			r.end_time = now - (i < 200 ? 45 : 2) * day;
			if (cpool_store_job_update(d.store, &r))
				bail_out("job: %s", cpool_store_errmsg(d.store));
		}
	}

	while (retention_batch(&d))
		batches++;
	ok(batches >= 2, "the backlog went in several full batches (%d), not one statement",
	   batches);
	is_int(cpool_store_prune_samples(d.store, now - 30 * day, 10000), 0,
	       "no sample older than the retention is left");
	is_int(cpool_store_prune_jobs(d.store, now - 30 * day, 10000), 0,
	       "no ended job older than it either");
	is_int(cpool_store_prune_samples(d.store, now, 0), 0, "a batch of 0 deletes nothing");
	is_int(jobs_in_store(&d, false), 50, "the jobs that ended lately stay");
	is_int(jobs_in_store(&d, true), 50, "queued jobs stay, however old their submission");
	is_int(cpool_store_prune_samples(d.store, now + day, 100000), 300,
	       "the 300 recent samples were still there");
	ok(!retention_batch(&d), "an empty store is one short batch");
	fixture_close(&d, dir);
	return exit_status();
}
