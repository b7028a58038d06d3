// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Time limits as cpoold keeps them (walltime.c): the timer fires once the
 * job's own run time (frozen time excluded) reaches its limit, a frozen
 * job's clock is stopped, and an end past the limit is accounted timeout
 * after a restart too.  The pool path is fake: the signals go nowhere.
 */
#include "cpoold_fixture.h"

static char dir[] = "/tmp/cpool-test-cpoold-walltime.XXXXXX";

static struct djob *running_job(struct cpoold *d, double limit, double run_before)
{
	struct djob *j = calloc(1, sizeof(*j));

	if (!j)
		bail_out("out of memory");
	j->rec.state = CPOOL_JOB_RUNNING;
	j->rec.cpus = 1;
	j->rec.time_limit = limit;
	j->rec.run_time = run_before;
	j->rec.first_start = j->rec.start_time = now_s();
	snprintf(j->leaf, sizeof(j->leaf), "v/job-1");
	jobs_policy_view(d, j);
	return j;
}

/* Runs the loop until @flag is set, for at most @rounds rounds of 10 ms. */
static void run_until(struct cpoold *d, const bool *flag, int rounds)
{
	for (int i = 0; i < rounds && !*flag; i++)
		cpool_evloop_once(d->loop, 10);
}

int main(void)
{
	struct djob *a, *b;
	struct cpoold d;

	plan(8);
	fixture_open(&d, dir);
	log_threshold = CPOOLD_LOG_ERR; /* the fake leaf cannot be signalled: warnings */
	if (cpool_evloop_new(&d.loop))
		bail_out("evloop");

	/* a has its whole limit of 1000 s ahead; b had run 999.9 s of it before. */
	a = running_job(&d, 1000, 0);
	b = running_job(&d, 1000, 999.9);
	is_double(a->pol.estimate_us / 1e6, 1000, 1e-6,
		  "no estimate: the policy assumes the time limit");
	walltime_arm(&d, a);
	walltime_arm(&d, b);
	run_until(&d, &b->timed_out, 500);
	ok(b->timed_out, "the job that had run 999.9 s of 1000 before times out");
	ok(!a->timed_out, "the one with its whole limit ahead does not");
	ok(b->walltime_timer != NULL, "its grace timer is armed for the kill");

	/* Frozen: the clock stops (walltime_disarm at preemption). */
	walltime_disarm(a);
	a->rec.state = CPOOL_JOB_FROZEN;
	a->rec.run_time = 999.95;
	run_until(&d, &a->timed_out, 20);
	ok(!a->timed_out, "a frozen job's clock does not run");
	a->rec.state = CPOOL_JOB_RUNNING;
	a->rec.start_time = now_s();
	walltime_arm(&d, a);
	run_until(&d, &a->timed_out, 500);
	ok(a->timed_out, "resumed, it times out on its remaining 0.05 s");

	/* After a restart: the end record alone says it ran past its limit. */
	a->timed_out = false;
	a->rec.run_time = 1000.2;
	ok(walltime_ended_late(a), "an end after the limit is accounted timeout");
	a->rec.run_time = 999;
	ok(!walltime_ended_late(a), "an end before it is not");

	walltime_disarm(a);
	walltime_disarm(b);
	cpool_jobrec_free(&a->rec);
	cpool_jobrec_free(&b->rec);
	free(a);
	free(b);
	cpool_evloop_free(d.loop);
	d.loop = NULL;
	fixture_close(&d, dir);
	done_testing();
	return exit_status();
}
