// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The ranked policies start jobs in exactly their documented order, on a
 * queue long enough that one call starts more jobs than the policy ranks
 * in one scan over the queue, with ties on the key (equal estimates,
 * equal aged priorities, equal fair-share factors) that only submit time
 * and input order break.  The expected order comes from sorting by the
 * documented keys here.  fairshare runs twice: once on a queue in no
 * particular order, once on one in (submit, input) order with the
 * snapshot saying so (queued_by_submit: ties then go by position).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "cpool/policy.h"

#define N_QUEUED 40
#define N_FREE 29 /* more than one scan's worth of starts, fewer than the queue */
#define AGING_US 1000

static struct cpool_job jobs[N_QUEUED];
static struct cpool_pjob pjobs[N_QUEUED];
static const struct cpool_policy *cur;
static const int64_t now = 100000;

static uint64_t rng = 0x2545f4914f6cdd1dULL;

static int draw(int n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (int)(rng % (uint64_t)n);
}

static long long aged(const struct cpool_pjob *j)
{
	int64_t w = now - j->ready_since_us;

	if (cur->aging_us <= 0 || w <= 0)
		return j->job->priority;
	return (long long)j->job->priority - w / cur->aging_us;
}

/* The documented rank, written out plainly: key, then submit, then input order. */
static int by_rank(const void *pa, const void *pb)
{
	const struct cpool_pjob *a = *(const struct cpool_pjob *const *)pa;
	const struct cpool_pjob *b = *(const struct cpool_pjob *const *)pb;
	long double ka = 0, kb = 0;

	switch (cur->sched) {
	case CPOOL_SCHED_SJF:
	case CPOOL_SCHED_SRTF: /* nothing has run: remaining = estimate */
		ka = a->job->estimate_us;
		kb = b->job->estimate_us;
		break;
	case CPOOL_SCHED_PRIORITY:
		ka = aged(a);
		kb = aged(b);
		break;
	case CPOOL_SCHED_FAIRSHARE: /* the highest factor first */
		ka = -a->fairshare;
		kb = -b->fairshare;
		break;
	case CPOOL_SCHED_HRRN: /* highest (waited + estimate) / estimate first */
		ka = -(long double)(now - a->job->submit_us + a->job->estimate_us) /
		     a->job->estimate_us;
		kb = -(long double)(now - b->job->submit_us + b->job->estimate_us) /
		     b->job->estimate_us;
		break;
	default:
		break;
	}
	if (ka != kb)
		return ka < kb ? -1 : 1;
	if (a->job->submit_us != b->job->submit_us)
		return a->job->submit_us < b->job->submit_us ? -1 : 1;
	return (a->job->index > b->job->index) - (a->job->index < b->job->index);
}

static int by_submit(const void *pa, const void *pb)
{
	const struct cpool_pjob *a = *(const struct cpool_pjob *const *)pa;
	const struct cpool_pjob *b = *(const struct cpool_pjob *const *)pb;

	if (a->job->submit_us != b->job->submit_us)
		return a->job->submit_us < b->job->submit_us ? -1 : 1;
	return (a->job->index > b->job->index) - (a->job->index < b->job->index);
}

static void check_order(enum cpool_sched sched, int64_t aging_us, bool submit_order,
			const char *what)
{
	struct cpool_policy p;
	struct cpool_pjob *queued[N_QUEUED], *expect[N_QUEUED];
	struct cpool_vs_state vs = { .name = "slots", .cpus = 64, .free_cpus = N_FREE };
	struct cpool_decision d[N_QUEUED + 4];
	struct cpool_snapshot s;
	int64_t wake;
	int n, same = 0;

	cpool_policy_init(&p);
	p.sched = sched;
	p.aging_us = aging_us;
	cur = &p;
	for (int i = 0; i < N_QUEUED; i++) {
		queued[i] = expect[i] = &pjobs[i];
	}
	if (submit_order)
		qsort(queued, N_QUEUED, sizeof(*queued), by_submit);
	s = (struct cpool_snapshot){ .now_us = now,
				     .queued = queued,
				     .n_queued = N_QUEUED,
				     .vs = &vs,
				     .n_vs = 1,
				     .queued_by_submit = submit_order };
	qsort(expect, N_QUEUED, sizeof(*expect), by_rank);
	n = cpool_policy_decide(&p, &s, d, N_QUEUED + 4, &wake);
	char name[96];

	snprintf(name, sizeof(name), "%s: one start per free CPU", what);
	is_int(n, N_FREE, name);
	for (int i = 0; i < n && i < N_FREE; i++)
		same += d[i].kind == CPOOL_DECIDE_START && d[i].job == expect[i];
	snprintf(name, sizeof(name), "%s: started in rank order", what);
	is_int(same, N_FREE, name);
}

int main(void)
{
	plan(12);
	/*
	 * Submits and ready times ascend with the queue (as the caller
	 * guarantees) but in steps around the aging step, so aged priorities
	 * both tie and differ; estimates repeat, so keys tie.
	 */
	for (int i = 0; i < N_QUEUED; i++) {
		int64_t t = (int64_t)i * 700 + draw(300);

		jobs[i] = (struct cpool_job){ .cpus = 1,
					      .submit_us = t - draw(2) * 5000,
					      .runtime_us = 10000,
					      .estimate_us = 1000 * (1 + draw(6)),
					      .priority = draw(40),
					      .index = (size_t)i };
		pjobs[i] = (struct cpool_pjob){ .job = &jobs[i],
						.first_start_us = -1,
						.ready_since_us = t,
						.seq = (uint64_t)i,
						.vs = -1,
						.fairshare = 1.0 / (1 << draw(3)) };
	}
	check_order(CPOOL_SCHED_SJF, 0, false, "sjf");
	check_order(CPOOL_SCHED_SRTF, 0, false, "srtf");
	check_order(CPOOL_SCHED_PRIORITY, AGING_US, false, "priority with aging");
	check_order(CPOOL_SCHED_HRRN, 0, false, "hrrn");
	check_order(CPOOL_SCHED_FAIRSHARE, 0, false, "fairshare");
	check_order(CPOOL_SCHED_FAIRSHARE, 0, true, "fairshare, queue in submit order");
	return exit_status();
}
