// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * EASY backfilling (Lifka 1995; Mu'alem & Feitelson 2001): FCFS, and when
 * the first queued job does not fit, it gets a reservation at the earliest
 * instant enough CPUs free up on some VS (the "shadow time"), judged by
 * the running jobs' estimates.  Later jobs may start now if they fit and
 * either finish (by their estimate) before the shadow time, or use only
 * CPUs the reserved job will not need then ("extra" CPUs), or run on
 * another VS.  Only the first job holds a reservation.
 *
 * A running job past its estimate counts as ending now: nobody knows
 * better, and it keeps backfill from trusting CPUs that are not free.
 */
#include <errno.h>
#include <stdlib.h>

#include "cpool/policy.h"
#include "policy_impl.h"

struct ending {
	int64_t at;
	int cpus;
};

static int by_end(const void *a, const void *b)
{
	const struct ending *x = a, *y = b;

	return (x->at > y->at) - (x->at < y->at);
}

/*
 * Shadow time of @head on VS @v, or CPOOL_NEVER; *@extra = CPUs free at
 * that time beyond what @head needs.
 */
static int64_t shadow_on(const struct cpool_snapshot *s, const struct policy_out *o,
			 const int *avail, int v, const struct cpool_pjob *head, struct ending *buf,
			 int *extra)
{
	int have = avail[v], need = head->job->cpus;
	size_t n = 0;

	if (have >= need) {
		*extra = have - need;
		return s->now_us;
	}
	for (size_t r = 0; r < s->n_running; r++) {
		const struct cpool_pjob *j = s->running[r];
		int64_t left = j->job->estimate_us - j->done_us;

		if (j->vs == v)
			buf[n++] =
				(struct ending){ s->now_us + (left > 0 ? left : 0), j->job->cpus };
	}
	for (size_t d = 0; d < o->n; d++)
		if (o->d[d].kind == CPOOL_DECIDE_START && o->d[d].vs == v)
			buf[n++] = (struct ending){ s->now_us + o->d[d].job->job->estimate_us,
						    o->d[d].job->job->cpus };
	qsort(buf, n, sizeof(*buf), by_end);
	for (size_t i = 0; i < n; i++) {
		have += buf[i].cpus;
		/* Everything ending at the same instant frees together. */
		if (have >= need && (i + 1 == n || buf[i + 1].at != buf[i].at)) {
			*extra = have - need;
			return buf[i].at;
		}
	}
	return CPOOL_NEVER;
}

int policy_easy(const struct cpool_policy *p, const struct cpool_snapshot *s, struct policy_out *o)
{
	int *avail, *allowed = NULL, rv = -1, extra = 0, max_free = 0;
	struct ending *buf = NULL;
	const struct cpool_pjob *head;
	int64_t shadow = CPOOL_NEVER;
	size_t pos = 0;
	int ret = -ENOMEM;

	if (!s->n_queued || !policy_any_free(s))
		return 0;
	avail = policy_free_copy(s);
	if (!avail)
		return -ENOMEM;
	for (; pos < s->n_queued; pos++) {
		struct cpool_pjob *j = s->queued[pos];
		int v = cpool_policy_place(p, s, avail, j->job->cpus, j->job->vs);

		if (v < 0)
			break;
		avail[v] -= j->job->cpus;
		policy_emit(o, CPOOL_DECIDE_START, j, v, j->level, j->level_used_us);
	}
	for (int v = 0; v < s->n_vs; v++)
		if (avail[v] > max_free)
			max_free = avail[v];
	if (pos == s->n_queued || max_free == 0) {
		ret = 0; /* nothing waits, or nothing could backfill */
		goto out;
	}
	head = s->queued[pos];
	buf = malloc((s->n_running + o->n + 1) * sizeof(*buf));
	allowed = malloc(((size_t)s->n_vs + 1) * sizeof(*allowed));
	if (!buf || !allowed)
		goto out;
	for (int v = 0; v < s->n_vs; v++) {
		int x;
		int64_t t;

		if (!policy_vs_eligible(p, &s->vs[v], head->job))
			continue;
		t = shadow_on(s, o, avail, v, head, buf, &x);
		if (t < shadow) {
			shadow = t;
			rv = v;
			extra = x;
		}
	}
	for (size_t i = pos + 1; i < s->n_queued; i++) {
		struct cpool_pjob *j = s->queued[i];
		bool before_shadow = s->now_us + j->job->estimate_us <= shadow;
		int v;

		if (j->job->cpus > max_free)
			continue;
		for (int k = 0; k < s->n_vs; k++)
			allowed[k] =
				k != rv || before_shadow || j->job->cpus <= extra ? avail[k] : 0;
		v = cpool_policy_place(p, s, allowed, j->job->cpus, j->job->vs);
		if (v < 0)
			continue;
		avail[v] -= j->job->cpus;
		if (v == rv && !before_shadow)
			extra -= j->job->cpus;
		policy_emit(o, CPOOL_DECIDE_START, j, v, j->level, j->level_used_us);
		max_free = 0;
		for (int k = 0; k < s->n_vs; k++)
			if (avail[k] > max_free)
				max_free = avail[k];
		if (!max_free)
			break;
	}
	ret = 0;
out:
	free(avail);
	free(allowed);
	free(buf);
	return ret;
}

bool cpool_policy_easy_reservation(const struct cpool_policy *p, const struct cpool_snapshot *s,
				   const struct cpool_decision *dec, size_t n,
				   const struct cpool_pjob **job, int64_t *at_us)
{
	const struct policy_out o = { .d = (struct cpool_decision *)dec, .n = n, .max = n };
	const struct cpool_pjob *head = NULL;
	struct ending *buf = NULL;
	int64_t shadow = CPOOL_NEVER;
	int *avail;

	for (size_t q = 0; q < s->n_queued && !head; q++) {
		bool started = false;

		for (size_t i = 0; i < n; i++)
			started |= dec[i].job == s->queued[q];
		if (!started)
			head = s->queued[q];
	}
	if (!head)
		return false;
	avail = policy_free_copy(s);
	buf = malloc((s->n_running + n + 1) * sizeof(*buf));
	if (avail && buf) {
		for (size_t i = 0; i < n; i++)
			if (dec[i].kind == CPOOL_DECIDE_START)
				avail[dec[i].vs] -= dec[i].job->job->cpus;
		for (int v = 0; v < s->n_vs; v++) {
			int extra;
			int64_t t;

			if (!policy_vs_eligible(p, &s->vs[v], head->job))
				continue;
			t = shadow_on(s, &o, avail, v, head, buf, &extra);
			if (t < shadow)
				shadow = t;
		}
	}
	free(avail);
	free(buf);
	*job = head;
	*at_us = shadow;
	return shadow != CPOOL_NEVER;
}
