// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * A job's slice counts from its actual start (sched.c).  A round that runs
 * after the wake-up it was due at decides at the due instant (rr expires
 * jobs only at quantum boundaries), but a job it starts starts now: its
 * slice counted from the past instant would be short by the round's
 * lateness, and under rr every job started after a freeze completed got a
 * short first quantum.  The round here is 300 ms late; the job's launch
 * is left pending (nothing is forked before the checks).
 */
#include "cpoold_fixture.h"

static char dir[] = "/tmp/cpool-test-cpoold-sched-slice.XXXXXX";
static const char *argv_true[] = { "/bin/true", NULL };

int main(void)
{
	struct cpool_submit_req s = {
		.argv = argv_true, .argc = 1, .vs = "v", .cpus = 1, .cwd = "/"
	};
	struct cpool_error e = { 0 };
	json_t *result = NULL;
	struct cpoold d;
	struct vsrv vs = { 0 };
	int64_t before, due;

	plan(4);
	fixture_open(&d, dir);
	fixture_one_vs(&d, &vs);
	d.policy.sched = CPOOL_SCHED_RR;

	vs.busy = vs.vs.cpus; /* the submission's own round starts nothing */
	if (jobctl_submit(&d, &s, 1000, 1000, &result, &e))
		bail_out("submit: %s", e.msg);
	json_decref(result);
	for (int i = 0; i < 20 && d.sched_pending; i++)
		cpool_evloop_once(d.loop, 20);
	if (!d.jobs || d.jobs->rec.state != CPOOL_JOB_QUEUED)
		bail_out("the job is not queued");
	cpool_cpuset_zero(&vs.busy);

	before = now_us();
	due = before - 300000;
	d.wake_at = due;
	sched_kick(&d);
	for (int i = 0; i < 20 && d.sched_pending; i++)
		cpool_evloop_once(d.loop, 20);
	is_int(d.jobs->rec.state, CPOOL_JOB_STARTING, "the late round started the job");
	cmp_ok(d.jobs->pj.slice_start_us, >=, before,
	       "its slice counts from its start, not from the instant the round was due");
	cmp_ok(d.jobs->pj.first_start_us, >=, before, "and so does its first start");
	ok(d.wake_at == CPOOL_NEVER || d.wake_at > due, "the round consumed the due wake-up");

	fixture_close(&d, dir);
	if (d.launch_timer)
		cpool_evloop_remove(d.launch_timer);
	cpool_evloop_remove(d.sched_timer);
	cpool_evloop_free(d.loop);
	done_testing();
	return exit_status();
}
