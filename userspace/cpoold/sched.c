// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The scheduling loop: after every event (submission, a job's end, a
 * policy change, the policy's own wake-up) the pool is photographed into a
 * struct cpool_snapshot, the policy library decides, and the decisions are
 * applied in order: PREEMPT freezes a job's cgroup, START launches or
 * thaws one, RENEW starts a new slice.  This is the contract of
 * include/cpool/policy.h, the same the simulator keeps.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <time.h>

#include "cpoold.h"

static int64_t clock_us(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The timers' clock: a step of the wall clock must not shift a quantum. */
int64_t now_us(void)
{
	return clock_us(CLOCK_MONOTONIC);
}

double now_s(void)
{
	return (double)clock_us(CLOCK_REALTIME) / 1e6;
}

int64_t wall_to_mono_us(double wall_s)
{
	return (int64_t)(wall_s * 1e6) - (clock_us(CLOCK_REALTIME) - now_us());
}

#define job_of(pj) ((struct djob *)((char *)(pj)-offsetof(struct djob, pj)))

static int by_seq(const void *a, const void *b)
{
	const struct cpool_pjob *x = *(struct cpool_pjob *const *)a;
	const struct cpool_pjob *y = *(struct cpool_pjob *const *)b;

	return (x->seq > y->seq) - (x->seq < y->seq);
}

/*
 * Each VS's jobs, for the metrics tick's samples: every change of a job's
 * state or VS is followed by a round, so the tick reads these instead of
 * walking the whole queue every second for each VS.
 */
static void count_vs_jobs(struct cpoold *d)
{
	for (int i = 0; i < d->n_vs; i++)
		d->vs[i].n_running = d->vs[i].n_queued = 0;
	for (struct djob *j = d->jobs; j; j = j->next) {
		int v = pool_index(d, j->pol.vs);

		if (v < 0)
			continue;
		d->vs[v].n_running += jobs_running(j);
		d->vs[v].n_queued += !jobs_running(j);
	}
}

static void schedule(struct cpoold *d)
{
	struct cpool_pjob **queued = NULL, **running = NULL;
	struct cpool_vs_state *vs = NULL;
	struct cpool_decision *dec = NULL;
	struct cpool_snapshot snap;
	size_t nq = 0, nr = 0, total = 0, max;
	int64_t now = now_us(), wake = CPOOL_NEVER;
	int n;

	/*
	 * A due wake-up is decided at the instant it was due, not when the
	 * timer got round to firing: rr counts quanta from the slice start
	 * and expires a job only exactly at a quantum boundary.
	 */
	if (d->wake_at != CPOOL_NEVER && now >= d->wake_at)
		now = d->wake_at;
	d->wake_at = CPOOL_NEVER;
	for (struct djob *j = d->jobs; j; j = j->next)
		total++;
	if (!total || !d->n_vs) {
		/*
		 * No job, no start: the ends before this round were no
		 * handover, or the first start after an idle spell counted
		 * the spell as the dispatch after the last end.
		 */
		switchcost_round_end(d);
		count_vs_jobs(d);
		return;
	}
	queued = calloc(total, sizeof(*queued));
	running = calloc(total, sizeof(*running));
	vs = calloc((size_t)d->n_vs, sizeof(*vs));
	max = 3 * total + 4;
	dec = calloc(max, sizeof(*dec));
	if (!queued || !running || !vs || !dec) {
		log_err("scheduling round: out of memory");
		goto out;
	}
	d->round_wall = now_s();
	jobctl_round_begin(d); /* may cancel jobs whose dependency can never be met */
	for (int i = 0; i < d->n_vs; i++) {
		struct vsrv *v = &d->vs[i];

		vs[i] = (struct cpool_vs_state){
			.name = v->vs.name,
			.cpus = cpool_cpuset_count(&v->vs.cpus),
			/* A VS being destroyed takes no job. */
			.free_cpus = v->destroying ? 0 :
						     cpool_cpuset_count(&v->vs.cpus) -
							     cpool_cpuset_count(&v->busy),
			.measured = v->measured,
			.rul = v->rul,
			.rq_p99_us = v->rq_p99_us,
		};
	}
	for (struct djob *j = d->jobs; j; j = j->next) {
		/* A killed (or timed-out) job keeps its CPUs until it is gone; not scheduled. */
		if (j->cancel_requested || j->timed_out)
			continue;
		/* Slurm's to schedule: its CPUs are busy in free_cpus, never preempted. */
		if (j->rec.origin == CPOOL_JOB_ORIGIN_SLURM)
			continue;
		switch (j->rec.state) {
		case CPOOL_JOB_STARTING:
			/*
			 * Not the policy's until it runs (its CPUs are busy in
			 * free_cpus): preempting a process that does not exist
			 * yet would free nothing.
			 */
			break;
		case CPOOL_JOB_RUNNING:
			j->pj.vs = pool_index(d, j->pol.vs);
			j->pj.done_us = (int64_t)(j->rec.run_time * 1e6) +
					(now - wall_to_mono_us(j->rec.start_time));
			running[nr++] = &j->pj;
			break;
		case CPOOL_JOB_QUEUED:
		case CPOOL_JOB_FROZEN:
			if (!jobctl_admit(d, j))
				break; /* held, a dependency, its array's limit */
			if (!(j->rec.first_round > 0))
				j->rec.first_round = d->round_wall;
			j->pj.vs = -1;
			j->pj.done_us = (int64_t)(j->rec.run_time * 1e6);
			queued[nq++] = &j->pj;
			break;
		default:
			break;
		}
	}
	{
		/* Mostly in order already (the table is by id, seq follows it): a check, not a sort. */
		size_t i = 1;

		while (i < nq && by_seq(&queued[i - 1], &queued[i]) <= 0)
			i++;
		if (i < nq)
			qsort(queued, nq, sizeof(*queued), by_seq);
	}
	if (d->policy.sched == CPOOL_SCHED_FAIRSHARE)
		share_set_factors(d, queued, nq);
	snap = (struct cpool_snapshot){ .now_us = now,
					.queued = queued,
					.n_queued = nq,
					.running = running,
					.n_running = nr,
					.vs = vs,
					.n_vs = d->n_vs };
	n = cpool_policy_decide(&d->policy, &snap, dec, max, &wake);
	if (n < 0) {
		log_err("the %s policy failed: %d", cpool_sched_name(d->policy.sched), n);
		goto out;
	}
	jobctl_round_end(d, &snap, dec, n);
	for (int i = 0; i < n; i++) {
		struct cpool_pjob *pj = dec[i].job;
		struct djob *j = job_of(pj);

		switch (dec[i].kind) {
		case CPOOL_DECIDE_PREEMPT: {
			/*
			 * Late until the freeze is asked for: from there on the
			 * freeze's own wait counts (its store write included),
			 * and the two must not overlap.
			 */
			int64_t asked = now_us();

			if (jobs_preempt(d, j))
				break;
			switchcost_late(d, now, asked);
			pj->seq = d->next_seq++;
			pj->ready_since_us = now;
			pj->vs = -1;
			pj->level = dec[i].level;
			pj->level_used_us = dec[i].level_used_us;
			break;
		}
		case CPOOL_DECIDE_START: {
			bool resume = j->rec.state == CPOOL_JOB_FROZEN;
			int64_t started = now_us();

			if (limits_refuse_start(d, j)) {
				jobctl_set_reason(j, "RunningCpusPerUser");
				break;
			}
			pj->level = dec[i].level;
			pj->level_used_us = dec[i].level_used_us;
			/*
			 * Its slice counts from its actual start, not from the
			 * instant the round was due: in a round that ran late
			 * (after a freeze completed, say) that instant is
			 * already past, and the job would lose that much of its
			 * first quantum.  A RENEW keeps the boundary: that job
			 * ran all along.
			 */
			pj->slice_start_us = started;
			if (pj->first_start_us < 0)
				pj->first_start_us = started;
			/* A failed launch retires (frees) the job: do not touch it after. */
			if (jobs_start(d, j, dec[i].vs) == 0) {
				pj->vs = dec[i].vs;
				switchcost_turn_begun(d, j, resume);
			}
			break;
		}
		case CPOOL_DECIDE_RENEW:
			pj->slice_start_us = now;
			pj->level = dec[i].level;
			pj->level_used_us = dec[i].level_used_us;
			break;
		}
	}
out:
	d->round_wall = 0;
	switchcost_round_end(d);
	count_vs_jobs(d);
	free(queued);
	free(running);
	free(vs);
	free(dec);
	d->wake_at = wake;
	if (wake != CPOOL_NEVER && d->sched_timer) {
		int64_t delay = wake - now_us();

		cpool_evloop_timer_set(d->sched_timer, delay > 0 ? (uint64_t)delay * 1000 : 1, 0);
	}
}

static void on_timer(struct cpool_evsource *src, uint32_t events, void *data)
{
	struct cpoold *d = data;

	(void)src;
	(void)events;
	d->sched_pending = false;
	if (!d->stopping)
		schedule(d);
}

void sched_init(struct cpoold *d)
{
	d->wake_at = CPOOL_NEVER;
	if (cpool_evloop_add_timer(d->loop, 0, 0, on_timer, d, &d->sched_timer))
		log_err("scheduling timer: %m");
	else
		cpool_evsource_set_name(d->sched_timer, "scheduling round");
}

void sched_kick(struct cpoold *d)
{
	if (d->sched_pending || !d->sched_timer)
		return;
	d->sched_pending = true;
	/* Soon, not now: the caller may be in the middle of changing state. */
	cpool_evloop_timer_set(d->sched_timer, 1, 0);
}
