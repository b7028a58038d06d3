// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * An end's handover is the daemon's dispatch after it: from a job's end to
 * the start of the next job on its CPUs, when the round after the end
 * starts one there.  A round that finds no job at all returned before it
 * forgot the ends, so the first start after the pool went idle counted the
 * whole idle time since the last end as a dispatch delay.  cpool bench
 * switches policies on an idle daemon: each run after the first began with
 * such a phantom end handover (0.17-0.23 s in test_bench's rr runs, one in
 * two to five), and the calibration adds the mean end handover to every
 * job's occupancy.
 */
#include "cpoold_fixture.h"

static char dir[] = "/tmp/cpool-test-cpoold-sched-idle-end.XXXXXX";
static const char *argv_true[] = { "/bin/true", NULL };

static void run_rounds(struct cpoold *d)
{
	for (int i = 0; i < 20 && d->sched_pending; i++)
		cpool_evloop_once(d->loop, 20);
}

int main(void)
{
	struct cpool_submit_req s = {
		.argv = argv_true, .argc = 1, .vs = "v", .cpus = 1, .cwd = "/"
	};
	struct cpool_error e = { 0 };
	json_t *result = NULL;
	struct cpoold d;
	struct vsrv vs = { 0 };

	plan(3);
	fixture_open(&d, dir);
	fixture_one_vs(&d, &vs);

	/* The last job ended 5 s ago; the round after its end found nothing to run. */
	switchcost_ended(&vs, now_s() - 5);
	sched_kick(&d);
	run_rounds(&d);
	ok(!d.jobs && !d.sched_pending, "the round after the last end ran, with no job");

	if (jobctl_submit(&d, &s, 1000, 1000, &result, &e))
		bail_out("submit: %s", e.msg);
	json_decref(result);
	run_rounds(&d);
	ok(d.jobs && d.jobs->rec.state == CPOOL_JOB_STARTING,
	   "a job submitted to the idle pool starts");
	diag("end handovers %lld, %.3f s", (long long)d.switches.end_handovers,
	     d.switches.end_handover_wait_s);
	is_int((int)d.switches.end_handovers, 0,
	       "its start is no handover from the end 5 s before");

	fixture_close(&d, dir);
	if (d.launch_timer)
		cpool_evloop_remove(d.launch_timer);
	cpool_evloop_remove(d.sched_timer);
	cpool_evloop_free(d.loop);
	done_testing();
	return exit_status();
}
