// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The per-VS job counts the metrics tick writes into each second's sample
 * (sched.c): kept by the scheduling round that follows every change, so
 * the tick never walks the queue.  Submissions, a cancel and the end of
 * the queue must each show in them after the next round.  The VS's CPUs
 * are all busy: nothing starts, nothing is forked.
 */
#include "cpoold_fixture.h"

static char dir[] = "/tmp/cpool-test-cpoold-sched-counts.XXXXXX";
static const char *argv_true[] = { "/bin/true", NULL };

static void submit(struct cpoold *d)
{
	struct cpool_submit_req s = {
		.argv = argv_true, .argc = 1, .vs = "v", .cpus = 1, .cwd = "/"
	};
	struct cpool_error e = { 0 };
	json_t *result = NULL;

	if (jobctl_submit(d, &s, 1000, 1000, &result, &e))
		bail_out("submit: %s", e.msg);
	json_decref(result);
}

/* Lets the kicked round run. */
static void settle(struct cpoold *d)
{
	for (int i = 0; i < 5; i++)
		cpool_evloop_once(d->loop, 20);
}

int main(void)
{
	struct cpool_error why;
	struct cpoold d;
	struct vsrv vs = { 0 };

	plan(6);
	fixture_open(&d, dir);
	fixture_one_vs(&d, &vs);
	vs.busy = vs.vs.cpus; /* held by jobs not in this test: every job stays queued */

	is_int(vs.n_queued + vs.n_running, 0, "a new VS counts no job");
	for (int i = 0; i < 3; i++)
		submit(&d);
	settle(&d);
	is_int(vs.n_queued, 3, "three submissions: three queued after the round");
	is_int(vs.n_running, 0, "none running (no free CPU)");

	if (jobs_cancel(&d, d.jobs, &why))
		bail_out("cancel: %s", why.msg);
	settle(&d);
	is_int(vs.n_queued, 2, "a cancel shows after the next round");

	while (d.jobs)
		if (jobs_cancel(&d, d.jobs, &why))
			bail_out("cancel: %s", why.msg);
	settle(&d);
	is_int(vs.n_queued, 0, "an empty queue counts zero (the round that finds no job)");

	submit(&d);
	settle(&d);
	is_int(vs.n_queued, 1, "and the next submission counts again");

	fixture_close(&d, dir);
	cpool_evloop_remove(d.sched_timer);
	cpool_evloop_free(d.loop);
	done_testing();
	return exit_status();
}
