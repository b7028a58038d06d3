// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * A job found running after a restart keeps its round-robin slice: its
 * slice began at its last start, not at 0 (which made rr preempt it at
 * once, as if it had run since the machine booted).
 */
#include "cpoold_fixture.h"

static char dir[] = "/tmp/cpool-test-cpoold-slice.XXXXXX";

static struct djob *stored_job(struct cpoold *d, enum cpool_job_state state, double start)
{
	struct djob *j = calloc(1, sizeof(*j));

	if (!j)
		bail_out("out of memory");
	j->rec.state = state;
	j->rec.cpus = 1;
	j->rec.submit_time = start - 1;
	j->rec.first_start = j->rec.start_time = start;
	j->rec.vs = strdup("v");
	jobs_policy_view(d, j);
	return j;
}

int main(void)
{
	struct cpool_vs_state vs = { .name = "v", .cpus = 1, .free_cpus = 0 };
	struct cpool_decision dec[8];
	struct cpool_snapshot snap;
	struct cpool_pjob *running[1], *queued[1];
	struct djob *old, *waiting;
	int64_t wake = CPOOL_NEVER, now;
	struct cpoold d;
	int n, preempted = 0;

	plan(4);
	fixture_open(&d, dir);
	/* Started 2 s ago, by the store's wall clock, under rr with a 10 s quantum. */
	now = now_us();
	old = stored_job(&d, CPOOL_JOB_RUNNING, now_s() - 2);
	waiting = stored_job(&d, CPOOL_JOB_QUEUED, 0);
	ok(old->pj.slice_start_us > now - 3000000 && old->pj.slice_start_us <= now - 1000000,
	   "its slice starts at its last start, on the timers' clock (%lld us ago)",
	   (long long)(now - old->pj.slice_start_us));
	is_int(waiting->pj.slice_start_us, 0, "a queued job has no slice");

	cpool_policy_init(&d.policy);
	d.policy.sched = CPOOL_SCHED_RR;
	d.policy.quantum_us = 10 * 1000000;
	old->pj.vs = 0;
	running[0] = &old->pj;
	queued[0] = &waiting->pj;
	snap = (struct cpool_snapshot){ .now_us = now,
					.queued = queued,
					.n_queued = 1,
					.running = running,
					.n_running = 1,
					.vs = &vs,
					.n_vs = 1 };
	n = cpool_policy_decide(&d.policy, &snap, dec, 8, &wake);
	for (int i = 0; i < n; i++)
		preempted += dec[i].kind == CPOOL_DECIDE_PREEMPT;
	is_int(preempted, 0, "rr does not preempt it 2 s into its 10 s quantum");
	ok(wake != CPOOL_NEVER && wake > now + 7000000 && wake <= now + 9000000,
	   "it wakes at the end of its quantum, about 8 s on (%lld us)", (long long)(wake - now));

	cpool_jobrec_free(&old->rec);
	cpool_jobrec_free(&waiting->rec);
	free(old);
	free(waiting);
	fixture_close(&d, dir);
	done_testing();
	return exit_status();
}
