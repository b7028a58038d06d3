// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* [limits] as cpoold applies them: each refusal names its limit and value; root is exempt. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpoold_fixture.h"

static char dir[] = "/tmp/cpool-test-cpoold-limits.XXXXXX";
static struct cpool_error err;

static const char *argv_true[] = { "/bin/true", NULL };

static int submit(struct cpoold *d, uid_t uid, int prio, int cpus)
{
	struct cpool_submit_req s = {
		.argv = argv_true, .argc = 1, .vs = "v", .cpus = cpus, .priority = prio
	};
	int64_t id;
	int r;

	err.msg[0] = '\0';
	r = limits_check_submit(d, uid, &s, &err);
	if (r)
		return r;
	return jobs_submit(d, &s, uid, uid, &id, &err);
}

int main(void)
{
	struct cpoold d;
	struct vsrv vs = { 0 };
	int r, n;

	plan(19);
	fixture_open(&d, dir);
	snprintf(vs.vs.name, sizeof(vs.vs.name), "v");
	cpool_cpuset_set_range(&vs.vs.cpus, 0, 7);
	d.vs = &vs;
	d.n_vs = 1;
	cpool_user_limits_default(&d.cfg.limits);
	d.cfg.limits.queued_jobs_per_user = 3;
	d.cfg.limits.submit_burst = 5;
	d.cfg.limits.submit_rate = 0.001; /* no refill within the test */
	d.cfg.limits.running_cpus_per_user = 4;

	r = submit(&d, 1000, -5, 1);
	is_int(r, -EPERM, "a user may not submit a negative priority");
	ok(strstr(err.msg, "priority -5") && strstr(err.msg, "only root"),
	   "the refusal says why: %s", err.msg);
	is_int(submit(&d, 0, -20, 1), 0, "root may");

	for (n = 0; n < 3; n++)
		if (submit(&d, 1000, 0, 2))
			break;
	is_int(n, 3, "three queued jobs are within queued_jobs_per_user = 3");
	r = submit(&d, 1000, 0, 1);
	is_int(r, -EDQUOT, "the fourth is refused");
	ok(strstr(err.msg, "queued_jobs_per_user") && strstr(err.msg, " 3 "),
	   "the refusal names the limit and its value: %s", err.msg);
	is_int(submit(&d, 1001, 0, 1), 0, "another user is not held back by the first");
	for (n = 0; n < 5; n++)
		if (submit(&d, 0, 0, 1))
			break;
	is_int(n, 5, "root is not bound by the queue limit");

	/* The running-CPU limit: uid 1000 holds 2 CPUs, wants 2 more, then 2 more. */
	{
		struct djob *mine[3];
		int k = 0;

		for (struct djob *j = d.jobs; j; j = j->next)
			if (j->rec.uid == 1000 && k < 3)
				mine[k++] = j;
		mine[0]->rec.state = CPOOL_JOB_RUNNING;
		ok(!limits_refuse_start(&d, mine[1]),
		   "2 + 2 CPUs are within running_cpus_per_user = 4");
		mine[1]->rec.state = CPOOL_JOB_RUNNING;
		ok(limits_refuse_start(&d, mine[2]), "2 more would be 6: the start is refused");
		mine[1]->rec.state = CPOOL_JOB_QUEUED;
		ok(!limits_refuse_start(&d, mine[2]), "once a job stops, the next one may start");
		mine[0]->rec.state = CPOOL_JOB_QUEUED;
	}
	{
		struct djob *rootjob = NULL;

		for (struct djob *j = d.jobs; j; j = j->next)
			if (j->rec.uid == 0)
				rootjob = j;
		rootjob->rec.cpus = 8;
		ok(!limits_refuse_start(&d, rootjob), "root's jobs are not bound by the CPU limit");
	}

	/* The submission bucket: user 2000 has a burst of 5 and no refill to speak of. */
	d.cfg.limits.queued_jobs_per_user = 0;
	for (n = 0; n < 10; n++)
		if (submit(&d, 2000, 0, 1))
			break;
	is_int(n, 5, "a burst of submit_burst = 5 submissions passes");
	r = submit(&d, 2000, 0, 1);
	is_int(r, -EAGAIN, "the next is refused");
	ok(strstr(err.msg, "submit_rate") && strstr(err.msg, "submit_burst") &&
		   strstr(err.msg, "of 5"),
	   "the refusal names the limits and their values: %s", err.msg);
	is_int(submit(&d, 2001, 0, 1), 0, "each user has a bucket of their own");
	d.cfg.limits.submit_rate = 1e6;
	usleep(10000);
	is_int(submit(&d, 2000, 0, 1), 0, "the bucket refills at submit_rate");
	d.cfg.limits.queued_jobs_per_user = 0;
	is_int(submit(&d, 1000, 0, 1), 0, "queued_jobs_per_user = 0 is no limit");
	ok(d.n_buckets <= 4, "the bucket table holds the users seen (%d)", d.n_buckets);

	fixture_close(&d, dir);
	return exit_status();
}
