// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Time-sliced policies: rr, and mlfq of which rr is the one-level case.
 *
 * A job's level and the service it had at that level travel in the job
 * (level, level_used_us) and come back in decisions.  Quantum edges:
 *   - a job finishing early frees its CPUs at once (the caller's
 *     completion event; nothing to do here);
 *   - at an expiry, a job is preempted only if someone waits at its
 *     (new) level or better; alone, it keeps running;
 *   - arrivals at the expiry instant are already queued when we are
 *     called, so they are ahead of the job preempted now, which goes to
 *     the tail;
 *   - at the last level (all of rr) quanta are counted from the slice
 *     start modulo the quantum, so a job running alone needs no timer and
 *     a newcomer waits for the job's next quantum boundary.
 * Above the last level, using up a level's quantum in total (across
 * preemptions by better levels) demotes the job one level.
 */
#include <errno.h>
#include <stdlib.h>

#include "cpool/policy.h"
#include "policy_impl.h"

/* A job the call itself preempted: it waits behind every queued job. */
struct requeued {
	size_t r; /* index into running[] */
	int level;
	int64_t used;
	bool started;
};

/* A waiting job: queued[i] (requeued == NULL) or one preempted in this call. */
struct cand {
	struct cpool_pjob *job;
	size_t i;
	struct requeued *rq;
	int level;
	int64_t used;
};

/* A job expiring now, with its sort key copied out of the snapshot. */
struct expiring {
	int64_t slice_start_us;
	uint64_t seq;
	size_t r; /* index into running[] */
};

struct fb {
	const struct cpool_policy *p;
	const struct cpool_snapshot *s;
	struct policy_out *o;
	int levels;
	const int64_t *q;
	int *avail;
	/*
	 * The sum of avail: a job needing more fits nowhere, so fill() need
	 * not ask placement (at an rr quantum edge one job's CPUs are freed,
	 * the next in line is started there, and the one after it found no
	 * room, at each of 15M preemptions at load 0.9).
	 */
	long free_total;
	/*
	 * The widest VS admission lets jobs onto: a job that names no VS is
	 * eligible somewhere if it is no wider (someone_waits_at(), asked at
	 * every rr quantum end, without a pass over the VSs).
	 */
	int widest_admitted;
	/*
	 * Queued jobs started by this call: all of queued[0..cursor) and those
	 * listed in taken[].  With rr the started ones are always a prefix, so
	 * nothing here grows with the queue.
	 */
	size_t cursor;
	size_t *taken;
	size_t n_taken, cap_taken;
	struct requeued *rq;
	size_t n_rq;
	/* rq[0..rq_first) are all started: best_waiting need not look there. */
	size_t rq_first;
	/*
	 * Per level, no queued job before this index is at that level and not
	 * started: a queued job's level is fixed for the call and started
	 * jobs stay started, so each only moves forward.  best_waiting is
	 * asked at every start and every expiry, and rescanning the queue
	 * from the cursor each time was mlfq's whole cost at load 0.9.
	 */
	size_t level_next[CPOOL_MLFQ_MAX_LEVELS];
	/* Per running job: its state as decided so far. */
	bool *gone;
	int *level;
	int64_t *used;
	/*
	 * used % quantum for a job past its first quantum at the last level,
	 * computed once per call: expire() and next_wake() both need it and
	 * the division is the costliest step of a scan over running jobs.
	 */
	int64_t *phase;
	/* Scratch of n_running + 1 entries for expire() and of n_vs for preempt_worse(). */
	struct expiring *order;
	int *room;
	/*
	 * Filled by note_running() in the one scan over running jobs: those
	 * expiring now are order[0..n_expiring); of the others, the earliest
	 * quantum edge at the last level and above it.  Only expire() and
	 * preempt_worse() change running jobs, so next_wake() need look again
	 * only at the expiring ones, unless preempt_worse() preempted some.
	 */
	size_t n_expiring;
	int64_t edge_last, edge_upper;
	bool worse_preempted;
};

/*
 * a % q (q > 0) without the division when a is under 2q: at every event
 * for every running job at the last level, and most jobs are there.
 */
static int64_t rem(int64_t a, int64_t q)
{
	if (a >= 0 && a < q)
		return a;
	if (a >= q && a - q < q)
		return a - q;
	return a % q;
}

static int clamp_level(const struct fb *f, int l)
{
	return l < 0 ? 0 : l >= f->levels ? f->levels - 1 : l;
}

static bool is_taken(const struct fb *f, size_t i)
{
	if (i < f->cursor)
		return true;
	for (size_t k = 0; k < f->n_taken; k++)
		if (f->taken[k] == i)
			return true;
	return false;
}

/*
 * rr's first waiting job: with one level it is the queue's first not
 * started (they start in order, so never out of turn: taken stays empty),
 * then the jobs preempted in this call, in order.  Called a few times per
 * decision, at every quantum edge: this is best_waiting() without the
 * level comparisons.
 */
static inline bool first_waiting(struct fb *f, struct cand *best)
{
	const struct cpool_snapshot *s = f->s;
	struct requeued *q;

	if (f->cursor < s->n_queued) {
		struct cpool_pjob *j = s->queued[f->cursor];

		*best = (struct cand){ j, f->cursor, NULL, 0, j->level_used_us };
		return true;
	}
	while (f->rq_first < f->n_rq && f->rq[f->rq_first].started)
		f->rq_first++;
	if (f->rq_first == f->n_rq)
		return false;
	q = &f->rq[f->rq_first];
	*best = (struct cand){ s->running[q->r], 0, q, q->level, q->used };
	return true;
}

/* The first waiting job by (level, queue position); false when none. */
static bool best_waiting_by_level(struct fb *f, struct cand *best)
{
	const struct cpool_snapshot *s = f->s;
	bool found = false;

	for (int l = 0; l < f->levels && !found; l++) {
		size_t i = f->level_next[l] > f->cursor ? f->level_next[l] : f->cursor;

		while (i < s->n_queued &&
		       (clamp_level(f, s->queued[i]->level) != l || is_taken(f, i)))
			i++;
		f->level_next[l] = i;
		if (i == s->n_queued)
			continue;
		*best = (struct cand){ s->queued[i], i, NULL, l, s->queued[i]->level_used_us };
		found = true;
		if (l == 0)
			return true;
	}
	while (f->rq_first < f->n_rq && f->rq[f->rq_first].started)
		f->rq_first++;
	for (size_t k = f->rq_first; k < f->n_rq; k++) {
		struct requeued *q = &f->rq[k];

		if (q->started || (found && q->level >= best->level))
			continue;
		*best = (struct cand){ s->running[q->r], 0, q, q->level, q->used };
		found = true;
		if (q->level == 0)
			return true;
	}
	return found;
}

static inline bool best_waiting(struct fb *f, struct cand *best)
{
	return f->levels == 1 ? first_waiting(f, best) : best_waiting_by_level(f, best);
}

/*
 * Someone waits at @level or better who could run at all now: a job held
 * off by admission on every VS it may use is no reason to preempt (the
 * CPU would only idle).
 */
static bool someone_waits_at(struct fb *f, int level)
{
	struct cand b;

	if (!best_waiting(f, &b) || b.level > level)
		return false;
	if (!b.job->job->vs[0])
		return b.job->job->cpus <= f->widest_admitted;
	for (int v = 0; v < f->s->n_vs; v++)
		if (policy_vs_eligible(f->p, &f->s->vs[v], b.job->job))
			return true;
	return false;
}

static int start(struct fb *f, const struct cand *c, int v)
{
	f->avail[v] -= c->job->job->cpus;
	f->free_total -= c->job->job->cpus;
	if (c->rq) {
		c->rq->started = true;
	} else if (c->i == f->cursor) {
		f->cursor++;
		while (f->cursor < f->s->n_queued && is_taken(f, f->cursor))
			f->cursor++;
	} else {
		if (f->n_taken == f->cap_taken) {
			size_t cap = f->cap_taken ? 2 * f->cap_taken : 16;
			size_t *t = realloc(f->taken, cap * sizeof(*t));

			if (!t)
				return -ENOMEM;
			f->taken = t;
			f->cap_taken = cap;
		}
		f->taken[f->n_taken++] = c->i;
	}
	policy_emit(f->o, CPOOL_DECIDE_START, c->job, v, c->level, c->used);
	return 0;
}

/* Start waiting jobs in order while the first one fits. */
static int fill(struct fb *f)
{
	struct cand c;

	while (best_waiting(f, &c)) {
		int v, ret;

		if (c.job->job->cpus > f->free_total)
			return 0;
		v = cpool_policy_place(f->p, f->s, f->avail, c.job->job->cpus, c.job->job->vs);
		if (v < 0)
			return 0;
		ret = start(f, &c, v);
		if (ret)
			return ret;
	}
	return 0;
}

static void preempt(struct fb *f, size_t r)
{
	struct cpool_pjob *j = f->s->running[r];

	f->gone[r] = true;
	f->avail[j->vs] += j->job->cpus;
	f->free_total += j->job->cpus;
	f->rq[f->n_rq++] = (struct requeued){ .r = r, .level = f->level[r], .used = f->used[r] };
	policy_emit(f->o, CPOOL_DECIDE_PREEMPT, j, -1, f->level[r], f->used[r]);
}

/* Who expires first: the earliest slice start, then queue order (a total order). */
static int by_slice(const void *a, const void *b)
{
	const struct expiring *x = a, *y = b;

	if (x->slice_start_us != y->slice_start_us)
		return x->slice_start_us < y->slice_start_us ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

static bool expired(const struct fb *f, size_t r)
{
	int L = f->level[r];
	int64_t q = f->q[L], used = f->used[r];

	if (q <= 0)
		return false;
	if (used < q)
		return false;
	return L == f->levels - 1 ? f->phase[r] == 0 : true;
}

static int expire(struct fb *f)
{
	const struct cpool_snapshot *s = f->s;
	struct expiring *order = f->order;
	size_t n = f->n_expiring;
	int ret = 0;

	if (n > 32) {
		size_t a = 1;

		/* A caller that keeps running[] in quantum-end order has them sorted already. */
		while (a < n && by_slice(&order[a - 1], &order[a]) < 0)
			a++;
		if (a < n)
			qsort(order, n, sizeof(*order), by_slice);
	} else {
		/* A few expire at once, usually: insertion sort, no allocation. */
		for (size_t a = 1; a < n; a++) {
			struct expiring x = order[a];
			size_t b = a;

			for (; b > 0 && by_slice(&x, &order[b - 1]) < 0; b--)
				order[b] = order[b - 1];
			order[b] = x;
		}
	}
	for (size_t k = 0; k < n && !ret; k++) {
		size_t r = order[k].r;
		int L = f->level[r];
		int newl = L == f->levels - 1 ? L : L + 1;

		f->level[r] = newl;
		f->used[r] = 0;
		if (someone_waits_at(f, newl)) {
			preempt(f, r);
			ret = fill(f);
		} else if (newl != L) {
			policy_emit(f->o, CPOOL_DECIDE_RENEW, s->running[r], s->running[r]->vs,
				    newl, 0);
		}
	}
	return ret;
}

/* A waiting job at a better level than running ones takes their CPUs. */
static int preempt_worse(struct fb *f)
{
	const struct cpool_snapshot *s = f->s;
	struct cand c;
	bool first = true;

	/* One level (rr): nobody runs at a worse level than a waiting job. */
	if (f->levels == 1)
		return 0;
	for (; best_waiting(f, &c); first = false) {
		int *room = f->room;
		bool worse = false;
		int v;

		for (int i = 0; i < s->n_vs; i++)
			room[i] = f->avail[i];
		for (size_t r = 0; r < s->n_running; r++)
			if (!f->gone[r] && f->level[r] > c.level) {
				room[s->running[r]->vs] += s->running[r]->job->cpus;
				worse = true;
			}
		/*
		 * Nobody to preempt (always so with rr) and nothing changed
		 * since fill() failed to place this very job in avail: it
		 * would fail again.
		 */
		if (!worse && first)
			return 0;
		v = cpool_policy_place(f->p, s, room, c.job->job->cpus, c.job->job->vs);
		if (v < 0)
			return 0;
		while (f->avail[v] < c.job->job->cpus) {
			size_t w = s->n_running;

			/* Worst level first; among equals the latest slice (least sunk). */
			for (size_t r = 0; r < s->n_running; r++) {
				const struct cpool_pjob *j = s->running[r];

				if (f->gone[r] || j->vs != v || f->level[r] <= c.level)
					continue;
				if (w == s->n_running || f->level[r] > f->level[w] ||
				    (f->level[r] == f->level[w] &&
				     j->slice_start_us > s->running[w]->slice_start_us))
					w = r;
			}
			if (w == s->n_running)
				return 0;
			preempt(f, w);
			f->worse_preempted = true;
		}
		if (start(f, &c, v))
			return -ENOMEM;
	}
	return 0;
}

/* @wake, or the end of running job @r's quantum if earlier and it matters. */
static int64_t earlier_edge(const struct fb *f, size_t r, bool waiting, int64_t wake)
{
	int L = f->level[r];
	int64_t q = f->q[L], used = f->used[r], t;

	if (f->gone[r] || q <= 0 || (L == f->levels - 1 && !waiting))
		return wake;
	t = f->s->now_us + (used < q ? q - used : L == f->levels - 1 ? q - f->phase[r] : 0);
	return t < wake ? t : wake;
}

static int64_t next_wake(struct fb *f)
{
	const struct cpool_snapshot *s = f->s;
	struct cand c;
	bool waiting = best_waiting(f, &c);
	int64_t wake = CPOOL_NEVER;

	for (size_t i = 0; i < f->o->n; i++) {
		const struct cpool_decision *d = &f->o->d[i];
		int64_t q, t;

		if (d->kind != CPOOL_DECIDE_START)
			continue;
		q = f->q[d->level];
		if (q <= 0 || (d->level == f->levels - 1 && !waiting))
			continue;
		t = s->now_us + (d->level == f->levels - 1 ? q - rem(d->level_used_us, q) :
							     q - d->level_used_us);
		if (t < wake)
			wake = t;
	}
	if (f->worse_preempted) {
		for (size_t r = 0; r < s->n_running; r++)
			wake = earlier_edge(f, r, waiting, wake);
		return wake;
	}
	if (f->edge_upper < wake)
		wake = f->edge_upper;
	if (waiting && f->edge_last < wake)
		wake = f->edge_last;
	for (size_t k = 0; k < f->n_expiring; k++)
		if (!f->gone[f->order[k].r])
			wake = earlier_edge(f, f->order[k].r, waiting, wake);
	return wake;
}

/* Running job @r as the call finds it: its level, service, and when its quantum ends. */
static void note_running(struct fb *f, size_t r)
{
	const struct cpool_pjob *j = f->s->running[r];
	int L = clamp_level(f, j->level);
	int64_t q = f->q[L];
	int64_t used = j->level_used_us + (f->s->now_us - j->slice_start_us);
	int64_t t;

	f->level[r] = L;
	f->used[r] = used;
	f->gone[r] = false;
	/* used >= q first: it spares the division for most jobs at upper levels. */
	f->phase[r] = L == f->levels - 1 && q > 0 && used >= q ? rem(used, q) : 0;
	if (q <= 0)
		return;
	if (expired(f, r)) {
		f->order[f->n_expiring++] = (struct expiring){ j->slice_start_us, j->seq, r };
		return;
	}
	t = f->s->now_us + (used < q ? q - used : q - f->phase[r]);
	if (L == f->levels - 1) {
		if (t < f->edge_last)
			f->edge_last = t;
	} else if (t < f->edge_upper) {
		f->edge_upper = t;
	}
}

/*
 * note_running() over every running job, for rr: one level, so a job needs
 * looking at again only if it expires now (expire() and next_wake() read
 * the per-job arrays of those alone, and preempt_worse() does nothing).
 * At load 0.9 this pass over a few hundred running jobs at each of a
 * million events was most of rr's time; it now stores nothing for the rest.
 */
static int note_running_rr(struct fb *f)
{
	const struct cpool_snapshot *s = f->s;
	int64_t q = f->q[0], now = s->now_us, edge = f->edge_last;

	for (size_t r = 0; r < s->n_running; r++) {
		const struct cpool_pjob *j = s->running[r];
		int64_t used = j->level_used_us + (now - j->slice_start_us);
		int64_t phase = used < q ? q - used : rem(used, q);

		if (j->vs < 0 || j->vs >= s->n_vs)
			return -EINVAL;
		if (used < q || phase) {
			int64_t t = now + (used < q ? phase : q - phase);

			if (t < edge)
				edge = t;
			/* In quantum-end order: the rest end later still. */
			if (s->running_by_service)
				break;
			continue;
		}
		f->level[r] = 0;
		f->used[r] = used;
		f->gone[r] = false;
		f->phase[r] = 0;
		f->order[f->n_expiring++] = (struct expiring){ j->slice_start_us, j->seq, r };
	}
	f->edge_last = edge;
	return 0;
}

bool cpool_policy_running_by_service(const struct cpool_policy *p)
{
	return p->sched == CPOOL_SCHED_RR && p->quantum_us > 0;
}

/* rr's quantum edges, as note_running_rr() finds them. */
int64_t cpool_policy_quantum_end(const struct cpool_policy *p, const struct cpool_pjob *j,
				 int64_t now_us)
{
	int64_t q = p->quantum_us, used = j->level_used_us + (now_us - j->slice_start_us);

	if (used < q)
		return now_us + (q - used);
	used = rem(used, q);
	return used ? now_us + (q - used) : now_us;
}

int policy_feedback(const struct cpool_policy *p, const struct cpool_snapshot *s,
		    struct policy_out *o, int64_t *wake_at)
{
	struct fb f = {
		.p = p, .s = s, .o = o, .edge_last = CPOOL_NEVER, .edge_upper = CPOOL_NEVER
	};
	union {
		struct requeued rq[1];
		char bytes[32768];
	} stack;
	void *heap = NULL;
	size_t need;
	bool rr_like;
	int ret = -ENOMEM;

	if (p->sched == CPOOL_SCHED_RR) {
		f.levels = 1;
		f.q = &p->quantum_us;
		if (p->quantum_us <= 0)
			return -EINVAL;
	} else {
		f.levels = p->mlfq_levels;
		f.q = p->mlfq_quantum_us;
		if (f.levels < 1 || f.levels > CPOOL_MLFQ_MAX_LEVELS)
			return -EINVAL;
		for (int l = 0; l < f.levels; l++)
			if (f.q[l] < 0 || (f.q[l] == 0 && l != f.levels - 1))
				return -EINVAL;
	}
	/* Nobody waits and (rr) nobody can be demoted: nothing to decide, no timer. */
	if (!s->n_queued && (f.levels == 1 || !s->n_running))
		return 0;
	/*
	 * One block for the per-running-job arrays and the scratch, on the
	 * stack when it fits: this runs at every event, and malloc/free were
	 * a tenth of rr's time.  Widest elements first, so each array is
	 * aligned.
	 */
	need = (s->n_running + 1) * (sizeof(*f.rq) + sizeof(*f.used) + sizeof(*f.phase) +
				     sizeof(*f.order) + sizeof(*f.level) + sizeof(*f.gone)) +
	       2 * ((size_t)s->n_vs + 1) * sizeof(*f.room);
	if (need <= sizeof(stack))
		f.rq = (struct requeued *)stack.rq;
	else if (!(f.rq = heap = malloc(need)))
		goto out;
	f.used = (int64_t *)(f.rq + s->n_running + 1);
	f.phase = f.used + s->n_running + 1;
	f.order = (struct expiring *)(f.phase + s->n_running + 1);
	f.level = (int *)(f.order + s->n_running + 1);
	f.room = f.level + s->n_running + 1;
	f.avail = f.room + s->n_vs + 1;
	f.gone = (bool *)(f.avail + s->n_vs + 1);
	for (int v = 0; v < s->n_vs; v++) {
		f.avail[v] = s->vs[v].free_cpus;
		f.free_total += s->vs[v].free_cpus;
		if (cpool_policy_admits(p, &s->vs[v]) && s->vs[v].cpus > f.widest_admitted)
			f.widest_admitted = s->vs[v].cpus;
	}
	/* (mlfq with one level of quantum 0 is FCFS: the general path.) */
	rr_like = f.levels == 1 && f.q[0] > 0;
	if (rr_like) {
		ret = note_running_rr(&f);
		if (ret)
			goto out;
	}
	for (size_t r = 0; !rr_like && r < s->n_running; r++) {
		if (s->running[r]->vs < 0 || s->running[r]->vs >= s->n_vs) {
			ret = -EINVAL;
			goto out;
		}
		note_running(&f, r);
	}
	ret = fill(&f);
	if (!ret)
		ret = expire(&f);
	if (!ret)
		ret = preempt_worse(&f);
	if (!ret)
		*wake_at = next_wake(&f);
out:
	free(heap);
	free(f.taken);
	return ret;
}
