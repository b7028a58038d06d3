// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The policies that rank jobs by one key: fcfs, sjf, srtf, priority,
 * priority-preemptive, hrrn and fairshare.  Jobs start in rank order; the best-ranked
 * job that cannot be placed blocks the ones behind it (the strict rule
 * whose relaxation is what EASY backfilling is about).  The preemptive
 * ones make room by preempting running jobs ranked strictly worse,
 * worst first, on one VS.
 *
 * Ties break by submit time, then input order: that makes the rank a
 * total order, which is what lets selection work without marks ("the best
 * job ranked after the last one started").
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "cpool/policy.h"
#include "policy_impl.h"

static bool preemptive(enum cpool_sched s)
{
	return s == CPOOL_SCHED_SRTF || s == CPOOL_SCHED_PRIORITY_PREEMPT;
}

static bool is_priority(enum cpool_sched s)
{
	return s == CPOOL_SCHED_PRIORITY || s == CPOOL_SCHED_PRIORITY_PREEMPT;
}

static int64_t remaining(const struct cpool_pjob *j)
{
	int64_t r = j->job->estimate_us - j->done_us;

	/* A job past its estimate is about to finish, as far as anyone knows. */
	return r > 0 ? r : 0;
}

/* Effective priority: a running job keeps the one it started with. */
static long long eff_priority(const struct cpool_policy *p, const struct cpool_pjob *j, int64_t now)
{
	if (j->vs >= 0)
		return j->level;
	if (p->aging_us <= 0 || now <= j->ready_since_us)
		return j->job->priority;
	return (long long)j->job->priority - (now - j->ready_since_us) / p->aging_us;
}

/* The policy's own key alone: <0 when @a ranks before @b, 0 on a tie. */
static int cmp_primary(const struct cpool_policy *p, const struct cpool_pjob *a,
		       const struct cpool_pjob *b, int64_t now)
{
	switch (p->sched) {
	case CPOOL_SCHED_SJF:
		if (a->job->estimate_us != b->job->estimate_us)
			return a->job->estimate_us < b->job->estimate_us ? -1 : 1;
		break;
	case CPOOL_SCHED_SRTF: {
		int64_t ra = remaining(a), rb = remaining(b);

		if (ra != rb)
			return ra < rb ? -1 : 1;
		break;
	}
	case CPOOL_SCHED_PRIORITY:
	case CPOOL_SCHED_PRIORITY_PREEMPT: {
		long long pa = eff_priority(p, a, now), pb = eff_priority(p, b, now);

		if (pa != pb)
			return pa < pb ? -1 : 1;
		break;
	}
	case CPOOL_SCHED_HRRN: {
		/*
		 * Ratio (waited + s) / s compared exactly by cross-multiplying;
		 * waited counts from submit (HRRN never preempts).  A zero
		 * estimate has an infinite ratio.
		 */
		__int128 sa = a->job->estimate_us, sb = b->job->estimate_us;
		__int128 wa = now - a->job->submit_us, wb = now - b->job->submit_us;
		__int128 l, r;

		if (sa == 0 || sb == 0) {
			if ((sa == 0) != (sb == 0))
				return sa == 0 ? -1 : 1;
			break;
		}
		l = (wa + sa) * sb;
		r = (wb + sb) * sa;
		if (l != r)
			return l > r ? -1 : 1;
		break;
	}
	case CPOOL_SCHED_FAIRSHARE:
		/* The user who used least of their share goes first; a tie is FCFS. */
		if (a->fairshare != b->fairshare)
			return a->fairshare > b->fairshare ? -1 : 1;
		break;
	default:
		break;
	}
	return 0;
}

/* What breaks a tie of keys: submit time, then input order. */
static inline int cmp_ties(const struct cpool_pjob *a, const struct cpool_pjob *b)
{
	if (a->job->submit_us != b->job->submit_us)
		return a->job->submit_us < b->job->submit_us ? -1 : 1;
	if (a->job->index != b->job->index)
		return a->job->index < b->job->index ? -1 : 1;
	return 0;
}

/* The total order: the key, then the ties. */
static int cmp_key(const struct cpool_policy *p, const struct cpool_pjob *a,
		   const struct cpool_pjob *b, int64_t now)
{
	int c = cmp_primary(p, a, b, now);

	return c ? c : cmp_ties(a, b);
}

/* Preemption needs a strictly better key: a tie never preempts (no ping-pong). */
static bool outranks(const struct cpool_policy *p, const struct cpool_pjob *a,
		     const struct cpool_pjob *b, int64_t now)
{
	return cmp_primary(p, a, b, now) < 0;
}

/*
 * One job's rank, to compare the queue against in a scan.  A scan at load
 * 0.9 walks thousands of queued jobs at every event, so what can be is
 * computed once per reference job rather than per comparison: its key,
 * and for the aged priorities the range of waits that tie with it, so a
 * queued job's aged priority is compared without a division.
 */
struct rank_ref {
	const struct cpool_pjob *job;
	size_t pos; /* its index in queued[] */
	long long key; /* sjf, srtf: the key; priority: the effective priority */
	double factor; /* fairshare: the user's factor */
	/* For a queued job of priority prio and wait w > 0: w < lo ranks after, w >= hi before. */
	bool have_bounds;
	int prio;
	int64_t lo, hi;
};

static long long primary_key(const struct cpool_policy *p, const struct cpool_pjob *j, int64_t now)
{
	switch (p->sched) {
	case CPOOL_SCHED_SJF:
		return j->job->estimate_us;
	case CPOOL_SCHED_SRTF:
		return remaining(j);
	case CPOOL_SCHED_PRIORITY:
	case CPOOL_SCHED_PRIORITY_PREEMPT:
		return eff_priority(p, j, now);
	default:
		return 0;
	}
}

static void rank_ref_set(struct rank_ref *ref, const struct cpool_policy *p,
			 const struct cpool_pjob *j, size_t pos, int64_t now)
{
	*ref = (struct rank_ref){
		.job = j, .pos = pos, .key = primary_key(p, j, now), .factor = j->fairshare
	};
}

static int64_t clamp_i64(__int128 v)
{
	return v > INT64_MAX ? INT64_MAX : (int64_t)v;
}

/* Sign of eff_priority(@q) - ref->key, as the aged priority of a queued job is. */
static inline __attribute__((always_inline)) int cmp_aged(const struct cpool_policy *p,
							  struct rank_ref *ref,
							  const struct cpool_pjob *q, int64_t now)
{
	int64_t waited = now - q->ready_since_us;
	long long e;

	if (q->vs >= 0 || p->aging_us <= 0 || waited <= 0) {
		e = eff_priority(p, q, now);
		return (e > ref->key) - (e < ref->key);
	}
	if (!ref->have_bounds || ref->prio != q->job->priority) {
		/* Equal when floor(waited / aging) is t = priority - key. */
		__int128 t = (__int128)q->job->priority - ref->key;

		ref->have_bounds = true;
		ref->prio = q->job->priority;
		if (t < 0) {
			ref->lo = ref->hi = 1;
		} else {
			ref->lo = clamp_i64(t * p->aging_us);
			ref->hi = clamp_i64((t + 1) * p->aging_us);
		}
	}
	return waited >= ref->hi ? -1 : waited >= ref->lo ? 0 : 1;
}

/*
 * cmp_key(@q, ref->job), for policy @sched (a constant where inlined);
 * @q is queued[@pos], and @by_submit says queued[] is in tie order.
 */
static inline __attribute__((always_inline)) int
cmp_to_ref(const struct cpool_policy *p, enum cpool_sched sched, const struct cpool_pjob *q,
	   size_t pos, bool by_submit, struct rank_ref *ref, int64_t now)
{
	const struct cpool_pjob *b = ref->job;
	int c;

	switch (sched) {
	case CPOOL_SCHED_SJF:
	case CPOOL_SCHED_SRTF: {
		long long k = primary_key(p, q, now);

		c = (k > ref->key) - (k < ref->key);
		break;
	}
	case CPOOL_SCHED_PRIORITY:
	case CPOOL_SCHED_PRIORITY_PREEMPT:
		c = cmp_aged(p, ref, q, now);
		break;
	case CPOOL_SCHED_FAIRSHARE:
		/* As cmp_primary: the higher factor first. */
		c = q->fairshare != ref->factor ? (q->fairshare > ref->factor ? -1 : 1) : 0;
		break;
	default:
		c = cmp_primary(p, q, b, now);
		break;
	}
	if (c)
		return c;
	/* A tie without loading either job's submit time: a long queue of one user's jobs. */
	if (by_submit)
		return (pos > ref->pos) - (pos < ref->pos);
	return cmp_ties(q, b);
}

/*
 * The queue in rank order, a few jobs at a time: one scan keeps the
 * RANK_TOP best jobs ranked after a given one, as most calls start no more
 * than that, and a scan is the whole cost of a call at high load.
 */
#define RANK_TOP 8

struct ranking {
	struct rank_ref top[RANK_TOP]; /* best first */
	size_t n_top, next;
	bool more; /* jobs ranked after top[n_top - 1] exist */
};

/*
 * The priority policies, given s->queued_by_ready: the latest ready_since
 * a queued job can have and still rank before @worst (the last of a full
 * top).  Later jobs have waited no longer, so their aged priority is at
 * least priority_floor - floor(waited / aging); once that is strictly
 * worse than @worst's, the rest of the queue is too.
 */
static int64_t ready_limit(const struct cpool_policy *p, const struct cpool_snapshot *s,
			   const struct rank_ref *worst)
{
	__int128 d = (__int128)s->priority_floor - worst->key, limit;

	if (d <= 0)
		return INT64_MAX; /* even a job of the floor's priority ties or beats it */
	if (p->aging_us <= 0)
		return INT64_MIN; /* no aging: nobody later can beat it */
	limit = (__int128)s->now_us - d * p->aging_us;
	return limit < INT64_MIN ? INT64_MIN : (int64_t)limit;
}

/*
 * Fill @r with the best queued jobs ranked after @after (NULL: from the
 * best of all); compiled once per policy so the comparison is straight code.
 */
static inline __attribute__((always_inline)) void
scan_top(const struct cpool_policy *p, enum cpool_sched sched, const struct cpool_snapshot *s,
	 struct rank_ref *after, struct ranking *r)
{
	size_t n = s->n_queued;
	bool bounded = sched == CPOOL_SCHED_PRIORITY && s->queued_by_ready;
	bool by_submit = sched == CPOOL_SCHED_FAIRSHARE && s->queued_by_submit;
	int64_t limit = INT64_MAX;

	r->n_top = r->next = 0;
	r->more = false;
	for (size_t i = 0; i < n; i++) {
		struct cpool_pjob *q = s->queued[i];
		size_t k = r->n_top;

		/* Each job is two dependent loads away: start them early. */
		if (i + 32 < n) {
			__builtin_prefetch(s->queued[i + 32]);
			if (!by_submit)
				__builtin_prefetch(s->queued[i + 16]->job);
		}
		if (bounded && q->ready_since_us > limit) {
			r->more = true;
			break;
		}
		if (after && cmp_to_ref(p, sched, q, i, by_submit, after, s->now_us) <= 0)
			continue;
		if (k == RANK_TOP) {
			r->more = true;
			if (cmp_to_ref(p, sched, q, i, by_submit, &r->top[k - 1], s->now_us) > 0)
				continue;
			k--;
		} else {
			r->n_top++;
		}
		for (;
		     k > 0 && cmp_to_ref(p, sched, q, i, by_submit, &r->top[k - 1], s->now_us) < 0;
		     k--)
			r->top[k] = r->top[k - 1];
		rank_ref_set(&r->top[k], p, q, i, s->now_us);
		if (bounded && r->n_top == RANK_TOP)
			limit = ready_limit(p, s, &r->top[RANK_TOP - 1]);
	}
}

/* The first scan of a call has no @after: a loop of its own, without the test. */
static inline __attribute__((always_inline)) void
scan_policy(const struct cpool_policy *p, enum cpool_sched sched, const struct cpool_snapshot *s,
	    struct rank_ref *after, struct ranking *r)
{
	if (after)
		scan_top(p, sched, s, after, r);
	else
		scan_top(p, sched, s, NULL, r);
}

static void rank_scan(const struct cpool_policy *p, const struct cpool_snapshot *s,
		      struct rank_ref *after, struct ranking *r)
{
	switch (p->sched) {
	case CPOOL_SCHED_SJF:
		scan_policy(p, CPOOL_SCHED_SJF, s, after, r);
		break;
	case CPOOL_SCHED_SRTF:
		scan_policy(p, CPOOL_SCHED_SRTF, s, after, r);
		break;
	case CPOOL_SCHED_PRIORITY:
	case CPOOL_SCHED_PRIORITY_PREEMPT:
		scan_policy(p, CPOOL_SCHED_PRIORITY, s, after, r);
		break;
	case CPOOL_SCHED_FAIRSHARE:
		scan_policy(p, CPOOL_SCHED_FAIRSHARE, s, after, r);
		break;
	default:
		scan_policy(p, p->sched, s, after, r);
		break;
	}
}

/* The next queued job in rank order, or NULL; @r starts zeroed. */
static struct cpool_pjob *next_best(const struct cpool_policy *p, const struct cpool_snapshot *s,
				    struct ranking *r)
{
	if (!r->n_top && !r->more) {
		rank_scan(p, s, NULL, r);
	} else if (r->next == r->n_top && r->more) {
		struct rank_ref last = r->top[r->n_top - 1];

		rank_scan(p, s, &last, r);
	}
	return r->next < r->n_top ? (struct cpool_pjob *)r->top[r->next++].job : NULL;
}

/*
 * Make room for @job by preempting running jobs ranked strictly worse, on
 * the first VS (in placement order of the room it could have) where that
 * is enough.  Returns the VS or -1 (nothing emitted then).
 */
static int preempt_for(const struct cpool_policy *p, const struct cpool_snapshot *s, int *avail,
		       bool *gone, struct cpool_pjob *job, struct policy_out *o)
{
	int *room = policy_free_copy(s);
	int v;

	if (!room)
		return -1;
	for (int i = 0; i < s->n_vs; i++)
		room[i] = avail[i];
	for (size_t r = 0; r < s->n_running; r++) {
		struct cpool_pjob *run = s->running[r];

		if (!gone[r] && run->vs >= 0 && run->vs < s->n_vs &&
		    outranks(p, job, run, s->now_us))
			room[run->vs] += run->job->cpus;
	}
	v = cpool_policy_place(p, s, room, job->job->cpus, job->job->vs);
	free(room);
	if (v < 0)
		return -1;
	while (avail[v] < job->job->cpus) {
		size_t worst = s->n_running;

		for (size_t r = 0; r < s->n_running; r++) {
			struct cpool_pjob *run = s->running[r];

			if (gone[r] || run->vs != v || !outranks(p, job, run, s->now_us))
				continue;
			if (worst == s->n_running ||
			    cmp_key(p, run, s->running[worst], s->now_us) > 0)
				worst = r;
		}
		if (worst == s->n_running)
			return -1; /* cannot happen: room said enough */
		gone[worst] = true;
		avail[v] += s->running[worst]->job->cpus;
		policy_emit(o, CPOOL_DECIDE_PREEMPT, s->running[worst], -1,
			    s->running[worst]->level, 0);
	}
	return v;
}

/*
 * priority-preemptive with aging: the instant the first queued job's
 * aged priority beats the worst running one's, or CPOOL_NEVER.
 */
static int64_t aging_wake(const struct cpool_policy *p, const struct cpool_snapshot *s,
			  const bool *gone, const struct policy_out *o, size_t first_decision)
{
	long long worst = 0;
	bool any = false;
	int64_t wake = CPOOL_NEVER;

	for (size_t r = 0; r < s->n_running; r++) {
		if (gone[r])
			continue;
		if (!any || s->running[r]->level > worst)
			worst = s->running[r]->level;
		any = true;
	}
	for (size_t d = first_decision; d < o->n; d++) {
		if (o->d[d].kind != CPOOL_DECIDE_START)
			continue;
		if (!any || o->d[d].level > worst)
			worst = o->d[d].level;
		any = true;
	}
	if (!any)
		return CPOOL_NEVER;
	for (size_t i = 0; i < s->n_queued; i++) {
		const struct cpool_pjob *q = s->queued[i];
		bool started = false;
		long long e, steps;
		int64_t t;

		for (size_t d = first_decision; d < o->n && !started; d++)
			started = o->d[d].kind == CPOOL_DECIDE_START && o->d[d].job == q;
		if (started)
			continue;
		e = eff_priority(p, q, s->now_us);
		/*
		 * A job that beats the worst already waits for room (or for
		 * admission), which only an event can bring: no timer, or a
		 * long blocked queue would wake us at every aging step.
		 */
		if (e < worst)
			continue;
		steps = (s->now_us - q->ready_since_us) / p->aging_us + (e - worst) + 1;
		t = q->ready_since_us + (int64_t)steps * p->aging_us;
		if (t < wake)
			wake = t;
	}
	return wake;
}

/*
 * FCFS rank is (submit, input order), which is the ready-queue order for a
 * policy that never re-queues: walk the queue instead of ranking it, so a
 * long queue behind a blocked head costs nothing.
 */
static int policy_fcfs(const struct cpool_policy *p, const struct cpool_snapshot *s,
		       struct policy_out *o)
{
	int *avail;

	if (!policy_any_free(s))
		return 0;
	avail = policy_free_copy(s);
	if (!avail)
		return -ENOMEM;
	for (size_t i = 0; i < s->n_queued; i++) {
		struct cpool_pjob *j = s->queued[i];
		int v = cpool_policy_place(p, s, avail, j->job->cpus, j->job->vs);

		if (v < 0)
			break;
		avail[v] -= j->job->cpus;
		policy_emit(o, CPOOL_DECIDE_START, j, v, j->level, j->level_used_us);
	}
	free(avail);
	return 0;
}

int policy_ordered(const struct cpool_policy *p, const struct cpool_snapshot *s,
		   struct policy_out *o, int64_t *wake_at)
{
	bool pre = preemptive(p->sched);
	struct ranking rank = { .n_top = 0 };
	struct cpool_pjob *job;
	bool *gone = NULL;
	int *free_cpus;
	size_t first = o->n;

	if (!s->n_queued)
		return 0;
	if (p->sched == CPOOL_SCHED_FCFS)
		return policy_fcfs(p, s, o);
	/* Without a free CPU only preemption could start anything: skip the scan. */
	if (!pre && !policy_any_free(s))
		return 0;
	free_cpus = policy_free_copy(s);
	gone = calloc(s->n_running + 1, sizeof(*gone));
	if (!free_cpus || !gone) {
		free(free_cpus);
		free(gone);
		return -ENOMEM;
	}
	while ((job = next_best(p, s, &rank))) {
		int v = cpool_policy_place(p, s, free_cpus, job->job->cpus, job->job->vs);

		if (v < 0 && pre)
			v = preempt_for(p, s, free_cpus, gone, job, o);
		if (v < 0)
			break;
		free_cpus[v] -= job->job->cpus;
		policy_emit(o, CPOOL_DECIDE_START, job, v,
			    is_priority(p->sched) ? (int)eff_priority(p, job, s->now_us) :
						    job->level,
			    0);
	}
	if (p->sched == CPOOL_SCHED_PRIORITY_PREEMPT && p->aging_us > 0)
		*wake_at = aging_wake(p, s, gone, o, first);
	free(free_cpus);
	free(gone);
	return 0;
}
