// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpool/fairshare.h"
#include "cpool/metrics.h"
#include "cpool/policy.h"
#include "cpool/sim.h"
#include "sim_share.h"

enum { JOB_FUTURE, JOB_QUEUED, JOB_RUNNING, JOB_DONE };

struct sjob {
	struct cpool_pjob pj;
	/*
	 * The caller's job (records, per-job inputs).  pj.job is it, or once
	 * started on a pool of several VSs its copy in sim.pinned with that
	 * VS named (pin()).
	 */
	const struct cpool_job *in;
	int64_t work_start_us; /* slice start + switch cost */
	int64_t done_base_us; /* done at work_start */
	int64_t end_us; /* completion: heap key while running, then the end */
	size_t index; /* the job's input order: the heap's tie-break, without a load */
	size_t heap_pos;
	/* Preempted in this decision round, its heap entry not yet reused or removed. */
	bool pending;
	bool in_heap;
	/*
	 * Preempted and still freezing (cfg->freeze_us): its CPUs are its own
	 * until its entry in sim.holds says.  With hold_ends it ends meanwhile
	 * (its work ran out before the freeze completed) and is not queued.
	 * In the padding here: rr at load 0.9 runs 100k jobs without them.
	 */
	bool held, hold_ends;
	size_t pend_pos;
	size_t run_pos; /* in rbuf */
	int64_t quantum_end_us; /* by_service: its key in running[] */
	/*
	 * Shared CPUs: the rate it progresses at (work per wall time) since
	 * work_start_us, and the time it has run (its mean rate at the end).
	 */
	double rate;
	int64_t ran_us, ran_from_us;
	int64_t charged_us; /* fairshare: work already charged to its user */
	size_t user_slot; /* fairshare: its user's index in sim.uids */
	int state;
	unsigned preemptions;
};

struct svs {
	int cpus, free_cpus;
	int64_t since_us; /* the busy count has been constant since */
	double ema; /* rul averaged up to since_us */
	int64_t rq[CPOOL_SIM_RQ_SAMPLES];
	int n_rq, rq_next;
	int64_t rq_p99_us;
	int held; /* of its busy CPUs, those of preempted jobs still freezing */
	/* Shared CPUs: the fraction of its CPUs with a runnable thread, whoever's. */
	bool shared;
	double shared_busy;
};

struct heap_ent;

/* A preempted job's CPUs until its freeze completes (cfg->freeze_us). */
struct hold {
	struct sjob *j;
	int64_t until_us;
	int vs; /* the job's, queued (pj.vs -1) */
};

struct sim {
	const struct cpool_sim_config *cfg;
	const struct cpool_job *input; /* the caller's array */
	struct sjob *j;
	size_t n;
	/* Copies of started jobs, by sjob, their VS named; allocated at the first. */
	struct cpool_job *pinned;
	struct sjob **arrivals; /* by (submit, index) */
	size_t next_arrival;
	struct heap_ent *heap; /* running jobs by (end, index) */
	size_t n_heap;
	/*
	 * Jobs preempted in the current round keep their heap entry until a
	 * start reuses it (one sift instead of a removal and an insertion:
	 * rr preempts and starts millions of times at load 0.9) or the round
	 * ends.  The heap orders by a total order, so this changes nothing.
	 */
	struct sjob **pend;
	size_t n_pend;
	/*
	 * The ready queue is queue[0..n_queue), a window at qhead into qbuf:
	 * starts at its head (fcfs, rr, easy) just move the window, so a long
	 * queue costs nothing per event; others compact it.
	 */
	struct cpool_pjob **qbuf, **queue;
	size_t qcap, qhead, n_queue;
	/*
	 * running[0..n_running) is a window at rhead into rbuf.  Under a
	 * policy that decides by service (rr), it is kept in quantum-end
	 * order (quantum_end_us), so the policy reads a prefix of it and not
	 * every running job at every event: starts go to the tail (their
	 * quantum ends last), jobs whose quantum ended and that kept running
	 * move from the head to the tail.  Otherwise removal swaps the last
	 * job in.
	 */
	struct cpool_pjob **rbuf, **running;
	size_t rcap, rhead, n_running;
	bool by_service;
	/*
	 * by_service: running jobs left out of the completion heap, as they
	 * end after their quantum does and the policy will be asked by then
	 * (someone waits, so it wakes at every quantum end): most of rr's
	 * 15M slices at load 0.9 end in a preemption, and each cost a sift in
	 * and a sift out.  With nobody queued after a round, they all go in.
	 */
	size_t n_out;
	/*
	 * CPUs shared (VSs overlap or background load): each running job's
	 * CPUs (jcpus, by job), each VS's CPUs taken by its jobs and the held
	 * background (vbusy), and the load per CPU (sh).
	 */
	bool share;
	struct sim_share sh;
	struct cpool_cpuset *jcpus, *vbusy;
	struct svs *vs;
	struct cpool_vs_state *vstate;
	struct cpool_decision *dec;
	size_t dec_cap;
	int64_t now;
	uint64_t seq;
	int busy_cpus, total_cpus;
	bool measure;
	/*
	 * The policy reads running jobs' done_us (srtf's remaining time,
	 * easy's estimated ends) or fairshare charges it: refresh it at each
	 * decision.  The others never look, and at load 0.9 the refresh was a
	 * pass over every running job at every one of rr's million events.
	 */
	bool refresh_done;
	int priority_floor; /* the lowest priority of any job (the snapshot's hint) */
	/* A VS's measurement changed while decisions were applied: ask again. */
	bool measure_changed;
	/*
	 * fairshare: usage of the simulated run time, charged as the daemon
	 * charges measured CPU time: what ran since the last charge, at each
	 * decision and at each slice's end.  The table and the factors are
	 * sized for every job's user up front, so charging never allocates.
	 */
	bool fair;
	struct cpool_fairshare fs;
	double *factor;
	/*
	 * The queued jobs with seq below this have their user's factor of
	 * the last decision, and no factor changed since: only those queued
	 * later need theirs.
	 */
	uint64_t factor_seq;
	/*
	 * Preempted jobs holding their CPUs until their freeze completes
	 * (cfg->freeze_us; allocated only then): at most one per busy CPU,
	 * so a scan finds the next and a job's own.
	 */
	struct hold *holds;
	size_t n_holds;
	/* A job was preempted: the queue is no longer in submit order. */
	bool requeued;
	/*
	 * Every job's user, sorted and unique, and each one's factor at this
	 * decision: a queued job finds its factor by its slot, not by a
	 * search of the table at every event (the queue is thousands long at
	 * load 0.9).  The table's users are a subset of these, in uid order.
	 */
	uint32_t *uids;
	size_t n_uids;
	double *user_factor;
};

/*
 * ---- completion heap, indexed so a preempted job's completion can be removed ----
 * Its keys are copied into the entries: sifting compares them without a
 * load from the job (100k jobs do not fit in a cache; the heap does).
 */

struct heap_ent {
	int64_t end_us;
	size_t index;
	struct sjob *j;
};

static bool heap_before(const struct heap_ent *a, const struct heap_ent *b)
{
	if (a->end_us != b->end_us)
		return a->end_us < b->end_us;
	return a->index < b->index;
}

static void heap_set(struct sim *s, size_t i, const struct heap_ent *e)
{
	s->heap[i] = *e;
	e->j->heap_pos = i;
}

/* Entry @i now holds @j, whose key may be anywhere: sift it into place. */
static void heap_place(struct sim *s, size_t i, struct sjob *j)
{
	struct heap_ent e = { j->end_us, j->index, j };

	while (i > 0 && heap_before(&e, &s->heap[(i - 1) / 2])) {
		heap_set(s, i, &s->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= s->n_heap)
			break;
		if (c + 1 < s->n_heap && heap_before(&s->heap[c + 1], &s->heap[c]))
			c++;
		if (!heap_before(&s->heap[c], &e))
			break;
		heap_set(s, i, &s->heap[c]);
		i = c;
	}
	heap_set(s, i, &e);
}

static void heap_push(struct sim *s, struct sjob *j)
{
	j->in_heap = true;
	heap_place(s, s->n_heap++, j);
}

/* @j's entry now holds @k (j == k: its key changed). */
static void heap_replace(struct sim *s, struct sjob *j, struct sjob *k)
{
	j->in_heap = false;
	k->in_heap = true;
	heap_place(s, j->heap_pos, k);
}

static void pend_take(struct sim *s, struct sjob *j)
{
	struct sjob *last = s->pend[--s->n_pend];

	s->pend[j->pend_pos] = last;
	last->pend_pos = j->pend_pos;
	j->pending = false;
}

static void heap_remove(struct sim *s, struct sjob *j)
{
	size_t i = j->heap_pos;
	struct sjob *last = s->heap[--s->n_heap].j;

	j->in_heap = false;
	if (i == s->n_heap)
		return;
	heap_place(s, i, last);
}

/* ---- measured state ---- */

static double busy_frac(const struct svs *v)
{
	if (v->shared)
		return v->shared_busy;
	return v->cpus ? (double)(v->cpus - v->free_cpus) / v->cpus : 0;
}

/* The average of a piecewise-constant signal, exactly: fold in the interval since the last change. */
static double rul_at(const struct svs *v, int64_t now)
{
	double decay = exp(-(double)(now - v->since_us) / (double)CPOOL_SIM_RUL_TAU_US);

	return v->ema * decay + busy_frac(v) * (1 - decay);
}

static inline void busy_change(struct sim *s, int v, int delta)
{
	struct svs *x = &s->vs[v];

	if (s->measure) {
		x->ema = rul_at(x, s->now);
		x->since_us = s->now;
	}
	x->free_cpus -= delta;
	s->busy_cpus += delta;
	if (x->free_cpus == x->cpus && x->n_rq) {
		x->n_rq = 0;
		x->rq_p99_us = 0;
		s->measure_changed = true;
	}
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static void rq_sample(struct svs *x, int64_t wait)
{
	int64_t sorted[CPOOL_SIM_RQ_SAMPLES];
	size_t rank;

	x->rq[x->rq_next] = wait;
	x->rq_next = (x->rq_next + 1) % CPOOL_SIM_RQ_SAMPLES;
	if (x->n_rq < CPOOL_SIM_RQ_SAMPLES)
		x->n_rq++;
	memcpy(sorted, x->rq, (size_t)x->n_rq * sizeof(*sorted));
	qsort(sorted, (size_t)x->n_rq, sizeof(*sorted), cmp_i64);
	/* Nearest rank, as cpool_percentile_sorted. */
	rank = (size_t)ceil(0.99 * x->n_rq);
	x->rq_p99_us = sorted[rank ? rank - 1 : 0];
}

/* ---- job transitions ---- */

/* fairshare: the work of @j up to @done_us, times its CPUs, to its user now. */
static void charge(struct sim *s, struct sjob *j, int64_t done_us)
{
	if (!s->fair || done_us <= j->charged_us)
		return;
	(void)cpool_fairshare_charge(&s->fs, j->pj.job->user,
				     cpool_us_to_s(done_us - j->charged_us) * j->pj.job->cpus,
				     s->now);
	j->charged_us = done_us;
}

static void enqueue(struct sim *s, struct sjob *j)
{
	if (s->fair)
		(void)cpool_fairshare_touch(&s->fs, j->pj.job->user);
	j->state = JOB_QUEUED;
	j->pj.vs = -1;
	j->pj.seq = s->seq++;
	j->pj.ready_since_us = s->now;
	if (s->qhead + s->n_queue == s->qcap) {
		/* Only n jobs exist, and qcap > n: sliding the window back always makes room. */
		memmove(s->qbuf, s->queue, s->n_queue * sizeof(*s->queue));
		s->qhead = 0;
		s->queue = s->qbuf;
	}
	s->queue[s->n_queue++] = &j->pj;
}

static void run_set(struct sim *s, size_t pos, struct cpool_pjob *pj)
{
	s->rbuf[pos] = pj;
	((struct sjob *)pj)->run_pos = pos;
}

static int64_t quantum_end_of(const struct cpool_pjob *pj)
{
	return ((const struct sjob *)pj)->quantum_end_us;
}

static void run_remove(struct sim *s, struct sjob *j)
{
	size_t pos = j->run_pos, tail = s->rhead + s->n_running - 1;

	if (!s->by_service) {
		run_set(s, pos, s->rbuf[tail]);
	} else if (pos - s->rhead < tail - pos) {
		/* Preemptions take jobs whose quantum ended, at the head. */
		for (; pos > s->rhead; pos--)
			run_set(s, pos, s->rbuf[pos - 1]);
		s->rhead++;
		s->running++;
	} else {
		for (; pos < tail; pos++)
			run_set(s, pos, s->rbuf[pos + 1]);
	}
	s->n_running--;
}

/* Room for @m more at the tail: slide the window back (rcap > 2 * n). */
static void run_room(struct sim *s, size_t m)
{
	if (s->rhead + s->n_running + m <= s->rcap)
		return;
	for (size_t i = 0; i < s->n_running; i++)
		run_set(s, i, s->rbuf[s->rhead + i]);
	s->rhead = 0;
	s->running = s->rbuf;
}

/* Into running[], in quantum-end order under by_service. */
static void run_add(struct sim *s, struct sjob *j)
{
	size_t pos;

	run_room(s, 1);
	pos = s->rhead + s->n_running++;
	while (s->by_service && pos > s->rhead &&
	       quantum_end_of(s->rbuf[pos - 1]) > j->quantum_end_us) {
		run_set(s, pos, s->rbuf[pos - 1]);
		pos--;
	}
	run_set(s, pos, &j->pj);
}

/* Quantum end, then as the policy sorts those that end together (slice start, seq). */
static bool quantum_before(const struct cpool_pjob *a, const struct cpool_pjob *b)
{
	const struct sjob *x = (const struct sjob *)a, *y = (const struct sjob *)b;

	if (x->quantum_end_us != y->quantum_end_us)
		return x->quantum_end_us < y->quantum_end_us;
	if (a->slice_start_us != b->slice_start_us)
		return a->slice_start_us < b->slice_start_us;
	return a->seq < b->seq;
}

static int by_quantum_end(const void *a, const void *b)
{
	const struct cpool_pjob *x = *(struct cpool_pjob *const *)a;
	const struct cpool_pjob *y = *(struct cpool_pjob *const *)b;

	return quantum_before(x, y) ? -1 : quantum_before(y, x);
}

static void run_sort(struct sim *s, size_t from)
{
	struct cpool_pjob **r = s->running + from;
	size_t n = s->n_running - from;

	if (n > 16) {
		qsort(r, n, sizeof(*r), by_quantum_end);
	} else {
		for (size_t a = 1; a < n; a++) {
			struct cpool_pjob *x = r[a];
			size_t b = a;

			for (; b > 0 && quantum_before(x, r[b - 1]); b--)
				r[b] = r[b - 1];
			r[b] = x;
		}
	}
	for (size_t i = from; i < s->n_running; i++)
		((struct sjob *)s->running[i])->run_pos = s->rhead + i;
}

/*
 * by_service, before the policy is asked at now: the jobs whose quantum
 * ended before now (they kept running, or it ended while the policy was
 * not asked, nobody waiting) are at the head; their quantum's next end is
 * at or after now, behind the others as a rule: move them to the tail.
 */
static void run_reorder(struct sim *s)
{
	const struct cpool_policy *p = &s->cfg->policy;
	size_t m = 0, keep;

	while (m < s->n_running && quantum_end_of(s->running[m]) < s->now)
		m++;
	if (!m)
		return;
	keep = s->n_running - m;
	run_room(s, m);
	for (size_t i = 0; i < m; i++) {
		struct sjob *j = (struct sjob *)s->running[i];

		j->quantum_end_us = cpool_policy_quantum_end(p, &j->pj, s->now);
		s->running[s->n_running + i] = &j->pj;
		if (!j->in_heap && j->end_us <= j->quantum_end_us) {
			heap_push(s, j);
			s->n_out--;
		}
	}
	s->rhead += m;
	s->running += m;
	run_sort(s, keep);
	/* Not behind all the others after all (long unseen): sort the whole. */
	if (keep && m && quantum_end_of(s->running[keep]) < quantum_end_of(s->running[keep - 1]))
		run_sort(s, 0);
}

/*
 * by_service, after a round: a job left out of the completion heap must
 * be in it if it can end before the policy is next asked.  With someone
 * waiting the policy wakes at the next quantum end, so only the jobs
 * whose quantum ended now and that kept running need a look; with nobody
 * waiting nothing wakes it, and they all go in.
 */
static void run_cover(struct sim *s)
{
	const struct cpool_policy *p = &s->cfg->policy;

	for (size_t r = 0; s->n_out && r < s->n_running; r++) {
		struct sjob *j = (struct sjob *)s->running[r];

		if (s->n_queue && j->quantum_end_us > s->now)
			break;
		if (j->in_heap ||
		    (s->n_queue && j->end_us > cpool_policy_quantum_end(p, &j->pj, s->now + 1)))
			continue;
		heap_push(s, j);
		s->n_out--;
	}
}

static int64_t done_now(const struct sim *s, const struct sjob *j)
{
	int64_t d;

	if (s->now <= j->work_start_us)
		return j->done_base_us;
	if (!s->share || j->rate == 1)
		return j->done_base_us + (s->now - j->work_start_us);
	d = j->done_base_us + llround(j->rate * (double)(s->now - j->work_start_us));
	return d < j->pj.job->runtime_us ? d : j->pj.job->runtime_us;
}

/* When the work left ends at the job's rate. */
static int64_t end_at(const struct sjob *j)
{
	int64_t left = j->pj.job->runtime_us - j->done_base_us;

	if (j->rate == 1)
		return j->work_start_us + left;
	return j->work_start_us + (int64_t)ceil((double)left / j->rate);
}

/* ---- shared CPUs (sim_share.c) ---- */

/* Fold every VS's measured busy time up to now: a load change on one CPU shows in each VS that has it. */
static void share_fold(struct sim *s)
{
	for (int v = 0; s->measure && v < s->cfg->n_vs; v++) {
		s->vs[v].ema = rul_at(&s->vs[v], s->now);
		s->vs[v].since_us = s->now;
	}
}

static void share_busy(struct sim *s)
{
	for (int v = 0; v < s->cfg->n_vs; v++)
		s->vs[v].shared_busy = sim_share_busy(&s->sh, &s->cfg->vs[v].cpus);
}

/* @j starts on VS @v: the first CPUs its VS counts free, as the daemon gives them (pool.c). */
static void share_take(struct sim *s, struct sjob *j, int v)
{
	struct cpool_cpuset *mine = &s->jcpus[j - s->j];
	int got = 0;

	share_fold(s);
	cpool_cpuset_zero(mine);
	for (int c = cpool_cpuset_first(&s->cfg->vs[v].cpus); c >= 0 && got < j->pj.job->cpus;
	     c = cpool_cpuset_next(&s->cfg->vs[v].cpus, c)) {
		if (cpool_cpuset_isset(&s->vbusy[v], c))
			continue;
		cpool_cpuset_set(mine, c);
		got++;
	}
	cpool_cpuset_or(&s->vbusy[v], &s->vbusy[v], mine);
	sim_share_job(&s->sh, mine, 1);
	share_busy(s);
}

static void share_give(struct sim *s, struct sjob *j)
{
	struct cpool_cpuset *mine = &s->jcpus[j - s->j];

	share_fold(s);
	cpool_cpuset_andnot(&s->vbusy[j->pj.vs], &s->vbusy[j->pj.vs], mine);
	sim_share_job(&s->sh, mine, -1);
	share_busy(s);
}

/* Shared CPUs: the time @j ran in the slice ending now, its switch cost aside. */
static void slice_ran(struct sim *s, struct sjob *j)
{
	if (s->now > j->ran_from_us)
		j->ran_us += s->now - j->ran_from_us;
}

/*
 * After the sharing changed: each running job whose rate changed has its
 * work settled at the old rate up to now and its end moved.
 */
static void share_rates(struct sim *s)
{
	for (size_t r = 0; r < s->n_running; r++) {
		struct sjob *j = (struct sjob *)s->running[r];
		double rate = sim_share_rate(&s->sh, &s->jcpus[j - s->j]);

		if (rate == j->rate)
			continue;
		if (s->now > j->work_start_us) {
			j->done_base_us = done_now(s, j);
			j->work_start_us = s->now;
		}
		j->rate = rate;
		j->end_us = end_at(j);
		heap_replace(s, j, j);
	}
}

static void finish(struct sim *s, struct sjob *j)
{
	if (s->share) {
		share_give(s, j);
		slice_ran(s, j);
	}
	run_remove(s, j);
	busy_change(s, j->pj.vs, -j->pj.job->cpus);
	j->pj.done_us = j->pj.job->runtime_us;
	charge(s, j, j->pj.done_us);
	j->state = JOB_DONE;
}

/*
 * A started job stays on its VS, as in cpoold, where its cgroup lives
 * there (jobs.c names its VS at its first start): the policy sees its VS
 * named from then on.  Without this the simulator let a job preempted on
 * one VS resume on another, even in the round that preempted it, and with
 * two VSs under rr it placed jobs where the daemon could not.  Only with
 * several VSs (a copy of the job per start).
 */
static int pin(struct sim *s, struct sjob *j, int v)
{
	struct cpool_job *c;

	if (s->cfg->n_vs < 2 || j->pj.job->vs[0])
		return 0;
	if (!s->pinned && !(s->pinned = calloc(s->n, sizeof(*s->pinned))))
		return -ENOMEM;
	c = &s->pinned[j - s->j];
	*c = *j->pj.job;
	snprintf(c->vs, sizeof(c->vs), "%s", s->cfg->vs[v].name);
	j->pj.job = c;
	return 0;
}

/* ---- freezes (cfg->freeze_us): a preempted job's CPUs go back when its freeze completes ---- */

static void hold_add(struct sim *s, struct sjob *j, int64_t until)
{
	j->held = true;
	s->vs[j->pj.vs].held += j->pj.job->cpus;
	s->holds[s->n_holds++] = (struct hold){ j, until, j->pj.vs };
}

/* Hold @h's CPUs back to its VS; a job whose work ran out during the freeze ends now. */
static void hold_release(struct sim *s, size_t h)
{
	struct sjob *j = s->holds[h].j;
	int v = s->holds[h].vs;

	s->holds[h] = s->holds[--s->n_holds];
	j->held = false;
	s->vs[v].held -= j->pj.job->cpus;
	busy_change(s, v, -j->pj.job->cpus);
	if (!j->hold_ends)
		return;
	j->hold_ends = false;
	j->end_us = s->now;
	j->pj.done_us = j->pj.job->runtime_us;
	charge(s, j, j->pj.done_us);
	j->state = JOB_DONE;
}

static int64_t hold_next(const struct sim *s)
{
	int64_t t = CPOOL_NEVER;

	for (size_t i = 0; i < s->n_holds; i++)
		if (s->holds[i].until_us < t)
			t = s->holds[i].until_us;
	return t;
}

/* A queued job resumed before its freeze completed: it gives its CPUs back first (jobs_start()). */
static void hold_cancel(struct sim *s, struct sjob *j)
{
	for (size_t h = 0; h < s->n_holds; h++)
		if (s->holds[h].j == j) {
			hold_release(s, h);
			return;
		}
}

/*
 * A preempted job under cfg->freeze_us: it keeps its CPUs until its
 * freeze completes and works freeze_ran_us of that.  Its work running
 * out before then, it ends then (as a job whose process exits while
 * the daemon freezes it): its CPUs go back at that end and it is not
 * queued.  Returns whether it is to be queued.
 */
static bool hold_preempted(struct sim *s, struct sjob *j)
{
	int64_t left = j->pj.job->runtime_us - j->pj.done_us;
	size_t k = (size_t)(j->in - s->input);
	int64_t freeze = s->cfg->freeze_each_us ? s->cfg->freeze_each_us[k] : s->cfg->freeze_us;
	int64_t ran =
		s->cfg->freeze_ran_each_us ? s->cfg->freeze_ran_each_us[k] : s->cfg->freeze_ran_us;

	ran = ran < freeze ? ran : freeze;
	if (left <= ran) {
		j->hold_ends = true;
		j->state = JOB_RUNNING; /* not queued, not in running[]: ending */
		hold_add(s, j, s->now + left);
		return false;
	}
	j->pj.done_us += ran;
	hold_add(s, j, s->now + freeze);
	return true;
}

/* What a dispatch of @j costs: the time its CPUs are busy before it makes progress. */
static int64_t switch_cost(const struct sim *s, const struct sjob *j)
{
	return s->cfg->switch_cost_each_us ? s->cfg->switch_cost_each_us[j->in - s->input] :
					     s->cfg->switch_cost_us;
}

/* How much later than its first dispatch a job's first slice starts. */
static int64_t launch_slice(const struct sim *s, const struct sjob *j)
{
	return s->cfg->launch_slice_each_us ? s->cfg->launch_slice_each_us[j->in - s->input] :
					      s->cfg->launch_slice_us;
}

static int apply(struct sim *s, const struct cpool_decision *d)
{
	struct sjob *j = (struct sjob *)d->job;

	/* pj is the first member: the policy hands back our own pointers. */
	if (!j || j < s->j || j >= s->j + s->n)
		return -EPROTO;
	switch (d->kind) {
	case CPOOL_DECIDE_PREEMPT:
		if (j->state != JOB_RUNNING)
			return -EPROTO;
		if (j->in_heap) {
			j->pending = true;
			j->pend_pos = s->n_pend;
			s->pend[s->n_pend++] = j;
		} else {
			s->n_out--;
		}
		if (s->share) {
			share_give(s, j);
			slice_ran(s, j);
		}
		run_remove(s, j);
		j->pj.done_us = done_now(s, j);
		j->pj.level = d->level;
		j->pj.level_used_us = d->level_used_us;
		j->preemptions++;
		if (s->cfg->freeze_us && !hold_preempted(s, j))
			return 0;
		charge(s, j, j->pj.done_us);
		if (!j->held)
			busy_change(s, j->pj.vs, -j->pj.job->cpus);
		s->requeued = true;
		enqueue(s, j);
		return 0;
	case CPOOL_DECIDE_START: {
		int v = d->vs;

		if (v < 0 || v >= s->cfg->n_vs)
			return -EPROTO;
		/* Resumed while freezing: it gives back the CPUs it still holds first (jobs_start()). */
		if (j->held && !j->hold_ends && j->state == JOB_QUEUED)
			hold_cancel(s, j);
		/*
		 * The policy counts a preempted job's CPUs free at once; under
		 * freezes they are not yet, or the job is ending: the daemon's
		 * start fails and waits for the next round (jobs_start()), so
		 * does this one.
		 */
		if (j->hold_ends || (s->vs[v].held && s->vs[v].free_cpus < j->pj.job->cpus))
			return 1;
		if (j->state != JOB_QUEUED || s->vs[v].free_cpus < j->pj.job->cpus)
			return -EPROTO;
		if (j->pj.first_start_us < 0 && pin(s, j, v))
			return -ENOMEM;
		/* Taken out of the queue array after the round (order kept, one pass). */
		j->state = JOB_RUNNING;
		j->pj.vs = v;
		j->pj.level = d->level;
		j->pj.level_used_us = d->level_used_us;
		j->pj.slice_start_us = s->now + (j->pj.first_start_us < 0 ? launch_slice(s, j) : 0);
		if (j->pj.first_start_us < 0)
			j->pj.first_start_us = s->now;
		j->work_start_us = s->now + switch_cost(s, j);
		j->ran_from_us = j->work_start_us;
		j->done_base_us = j->pj.done_us;
		if (s->share) {
			share_take(s, j, v);
			j->rate = sim_share_rate(&s->sh, &s->jcpus[j - s->j]);
		}
		j->end_us = end_at(j);
		if (s->measure)
			rq_sample(&s->vs[v], s->now - j->pj.ready_since_us);
		busy_change(s, v, j->pj.job->cpus);
		if (s->by_service)
			j->quantum_end_us =
				cpool_policy_quantum_end(&s->cfg->policy, &j->pj, s->now);
		run_add(s, j);
		if (s->by_service && j->end_us > j->quantum_end_us) {
			/* A pending entry of its own is removed after the round. */
			s->n_out++;
		} else if (j->pending) {
			pend_take(s, j);
			heap_replace(s, j, j);
		} else if (s->n_pend) {
			struct sjob *old = s->pend[s->n_pend - 1];

			pend_take(s, old);
			heap_replace(s, old, j);
		} else {
			heap_push(s, j);
		}
		return 0;
	}
	case CPOOL_DECIDE_RENEW:
		if (j->state != JOB_RUNNING)
			return -EPROTO;
		j->pj.slice_start_us = s->now;
		j->pj.level = d->level;
		j->pj.level_used_us = d->level_used_us;
		return 0;
	}
	return -EPROTO;
}

/* Drop the @started jobs from the queue, keeping its order. */
static void queue_compact(struct sim *s, size_t started)
{
	size_t k = 0;

	while (k < s->n_queue && ((struct sjob *)s->queue[k])->state != JOB_QUEUED)
		k++;
	s->qhead += k;
	s->queue += k;
	s->n_queue -= k;
	if (k == started)
		return;
	k = 0;
	for (size_t i = 0; i < s->n_queue; i++)
		if (((struct sjob *)s->queue[i])->state == JOB_QUEUED)
			s->queue[k++] = s->queue[i];
	s->n_queue = k;
}

static int decide(struct sim *s, int64_t *wake)
{
	struct cpool_snapshot snap;
	size_t need = s->n_queue + 3 * s->n_running + 4;
	size_t started = 0;
	int n;

	/* With nobody queued rr reads no running job. */
	if (s->by_service && s->n_queue)
		run_reorder(s);
	for (size_t r = 0; s->refresh_done && r < s->n_running; r++) {
		struct sjob *j = (struct sjob *)s->running[r];

		j->pj.done_us = done_now(s, j);
		charge(s, j, j->pj.done_us);
	}
	/*
	 * fairshare never preempts: with no CPU free it decides nothing and
	 * reads no factor (policy_ordered), and at load 0.9 that is most events.
	 */
	if (s->fair && s->busy_cpus < s->total_cpus) {
		size_t d = 0, q = s->n_queue;
		bool changed = false;

		cpool_fairshare_factors(&s->fs, s->now, s->factor, NULL);
		for (size_t u = 0; u < s->fs.n; u++) {
			while (s->uids[d] != s->fs.users[u].uid)
				d++;
			changed |= s->user_factor[d] != s->factor[u];
			s->user_factor[d] = s->factor[u];
		}
		/* The queue is in seq order: the jobs queued since are its tail. */
		if (!changed)
			while (q > 0 && s->queue[q - 1]->seq >= s->factor_seq)
				q--;
		else
			q = 0;
		for (; q < s->n_queue; q++)
			s->queue[q]->fairshare =
				s->user_factor[((struct sjob *)s->queue[q])->user_slot];
		s->factor_seq = s->seq;
	}
	for (int v = 0; v < s->cfg->n_vs; v++) {
		s->vstate[v].free_cpus = s->vs[v].free_cpus;
		if (s->measure) {
			s->vstate[v].rul = rul_at(&s->vs[v], s->now);
			s->vstate[v].rq_p99_us = s->vs[v].rq_p99_us;
			if (s->share) {
				int64_t rq = sim_share_rq_us(&s->sh, &s->cfg->vs[v].cpus);

				if (rq > s->vstate[v].rq_p99_us)
					s->vstate[v].rq_p99_us = rq;
			}
		}
	}
	if (need > s->dec_cap) {
		struct cpool_decision *d = realloc(s->dec, need * sizeof(*d));

		if (!d)
			return -ENOMEM;
		s->dec = d;
		s->dec_cap = need;
	}
	snap = (struct cpool_snapshot){
		.now_us = s->now,
		.queued = s->queue,
		.n_queued = s->n_queue,
		.running = s->running,
		.n_running = s->n_running,
		.vs = s->vstate,
		.n_vs = s->cfg->n_vs,
		/* enqueue() appends at the current instant, compaction keeps the order. */
		.queued_by_ready = true,
		.priority_floor = s->priority_floor,
		/* Arrivals are queued in (submit, index) order; only a preemption breaks it. */
		.queued_by_submit = !s->requeued,
		.running_by_service = s->by_service && s->n_queue,
	};
	n = cpool_policy_decide(&s->cfg->policy, &snap, s->dec, s->dec_cap, wake);
	if (n < 0)
		return n == -ENOSPC ? -EPROTO : n;
	if (*wake != CPOOL_NEVER && *wake <= s->now)
		return -EPROTO;
	/*
	 * Preempted jobs are appended to the queue while started ones are
	 * still in it: the array needs room for both until compaction.
	 */
	for (int i = 0; i < n; i++) {
		int ret = apply(s, &s->dec[i]);

		if (ret < 0)
			return ret;
		started += s->dec[i].kind == CPOOL_DECIDE_START && !ret;
	}
	while (s->n_pend) {
		struct sjob *j = s->pend[s->n_pend - 1];

		pend_take(s, j);
		heap_remove(s, j);
	}
	if (started)
		queue_compact(s, started);
	if (s->by_service)
		run_cover(s);
	if (s->share)
		share_rates(s);
	return 0;
}

static int by_arrival(const void *a, const void *b)
{
	const struct sjob *x = *(struct sjob *const *)a, *y = *(struct sjob *const *)b;

	if (x->pj.job->submit_us != y->pj.job->submit_us)
		return x->pj.job->submit_us < y->pj.job->submit_us ? -1 : 1;
	return (x->pj.job->index > y->pj.job->index) - (x->pj.job->index < y->pj.job->index);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* fairshare: sim.uids, and each job's slot in it. */
static void user_slots(struct sim *s)
{
	size_t k = 0;

	for (size_t i = 0; i < s->n; i++)
		s->uids[i] = s->j[i].pj.job->user;
	qsort(s->uids, s->n, sizeof(*s->uids), cmp_u32);
	for (size_t i = 0; i < s->n; i++)
		if (k == 0 || s->uids[k - 1] != s->uids[i])
			s->uids[k++] = s->uids[i];
	s->n_uids = k;
	/* Not a factor: the first decision fills every queued job's. */
	for (size_t i = 0; i < k; i++)
		s->user_factor[i] = NAN;
	for (size_t i = 0; i < s->n; i++) {
		uint32_t *u = bsearch(&s->j[i].pj.job->user, s->uids, k, sizeof(*s->uids), cmp_u32);

		s->j[i].user_slot = (size_t)(u - s->uids);
	}
}

/* A per-job array of durations (NULL: none): each within a job's longest. */
static bool durations_ok(const int64_t *each_us, size_t n)
{
	for (size_t i = 0; each_us && i < n; i++)
		if (each_us[i] < 0 ||
		    each_us[i] > (int64_t)CPOOL_JOB_TIME_MAX_S * CPOOL_USEC_PER_SEC)
			return false;
	return true;
}

static int setup(struct sim *s, const struct cpool_sim_config *cfg, const struct cpool_job *jobs,
		 size_t n, struct cpool_sim_result *res)
{
	const struct cpool_policy *p = &cfg->policy;
	int ret;

	s->cfg = cfg;
	s->input = jobs;
	if (cfg->n_vs < 1 || !cfg->vs || cfg->switch_cost_us < 0 ||
	    cfg->switch_cost_us > (int64_t)CPOOL_JOB_TIME_MAX_S * CPOOL_USEC_PER_SEC ||
	    cfg->n_background < 0 || (cfg->n_background && !cfg->background) ||
	    cfg->launch_slice_us < 0 ||
	    cfg->launch_slice_us > (int64_t)CPOOL_JOB_TIME_MAX_S * CPOOL_USEC_PER_SEC ||
	    cfg->freeze_us < 0 || cfg->freeze_ran_us < 0 ||
	    cfg->freeze_us > (int64_t)CPOOL_JOB_TIME_MAX_S * CPOOL_USEC_PER_SEC)
		return -EINVAL;
	if (!durations_ok(cfg->launch_slice_each_us, n) || !durations_ok(cfg->freeze_each_us, n) ||
	    !durations_ok(cfg->freeze_ran_each_us, n) || !durations_ok(cfg->switch_cost_each_us, n))
		return -EINVAL;
	s->vs = calloc((size_t)cfg->n_vs, sizeof(*s->vs));
	s->vstate = calloc((size_t)cfg->n_vs, sizeof(*s->vstate));
	if (!s->vs || !s->vstate)
		return -ENOMEM;
	s->share = sim_share_needed(cfg->vs, cfg->n_vs, cfg->n_background);
	res->shared = s->share;
	if (s->share) {
		ret = sim_share_init(&s->sh, cfg->vs, cfg->n_vs, cfg->background,
				     cfg->n_background);
		if (ret)
			return ret;
		s->vbusy = calloc((size_t)cfg->n_vs, sizeof(*s->vbusy));
		if (!s->vbusy)
			return -ENOMEM;
	}
	s->measure = p->place == CPOOL_PLACE_LEAST_LOADED ||
		     p->place == CPOOL_PLACE_LOWEST_LATENCY || p->admit_p99_us > 0;
	for (int v = 0; v < cfg->n_vs; v++) {
		int c = cpool_cpuset_count(&cfg->vs[v].cpus);

		if (s->share) {
			/* Held background is a job the daemon counts: its CPUs are not free. */
			cpool_cpuset_and(&s->vbusy[v], &cfg->vs[v].cpus, &s->sh.held);
			c -= cpool_cpuset_count(&s->vbusy[v]);
			s->vs[v].shared = true;
			s->vs[v].shared_busy = sim_share_busy(&s->sh, &cfg->vs[v].cpus);
		}
		if (c < 1)
			return -EINVAL;
		s->vs[v].cpus = s->vs[v].free_cpus = c;
		s->vstate[v] = (struct cpool_vs_state){
			.name = cfg->vs[v].name,
			.cpus = c,
			.free_cpus = c,
			.measured = s->measure,
		};
		res->total_cpus += c;
		s->total_cpus += c;
	}
	s->j = calloc(n + 1, sizeof(*s->j));
	res->records = calloc(n + 1, sizeof(*res->records));
	if (!s->j || !res->records)
		return -ENOMEM;
	if (s->share && !(s->jcpus = calloc(n + 1, sizeof(*s->jcpus))))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct cpool_job *job = &jobs[i];

		if (job->cpus < 1 || job->runtime_us < 0 ||
		    !cpool_policy_runnable(s->vstate, cfg->n_vs, job->cpus, job->vs)) {
			if (res->n_skipped++ == 0)
				snprintf(res->first_skip, sizeof(res->first_skip),
					 "job %s: %d CPUs%s%s: no VS of this pool can run it",
					 job->id, job->cpus, job->vs[0] ? " on VS " : "", job->vs);
			continue;
		}
		s->j[s->n] = (struct sjob){
			.pj = { .job = job, .first_start_us = -1, .vs = -1 },
			.in = job,
			.index = job->index,
			.state = JOB_FUTURE,
			.rate = 1,
		};
		s->n++;
	}
	{
		/*
		 * Everything the run adds up (end times, busy CPU time) stays
		 * below span x CPUs; refuse what would not fit in int64.
		 */
		double span = 0;

		for (size_t i = 0; i < s->n; i++)
			span = fmax(span, (double)s->j[i].pj.job->submit_us);
		for (size_t i = 0; i < s->n; i++)
			span += (double)s->j[i].pj.job->runtime_us +
				(double)switch_cost(s, &s->j[i]);
		if (span * (res->total_cpus + 1) > 0x1p61)
			return -ERANGE;
	}
	s->arrivals = malloc((s->n + 1) * sizeof(*s->arrivals));
	s->heap = malloc((s->n + 1) * sizeof(*s->heap));
	s->pend = malloc((s->n + 1) * sizeof(*s->pend));
	if (cfg->freeze_us)
		s->holds = malloc((s->n + 1) * sizeof(*s->holds));
	s->qcap = s->n + 1;
	s->qbuf = s->queue = malloc(s->qcap * sizeof(*s->queue));
	s->rcap = 2 * (s->n + 1);
	s->rbuf = s->running = malloc(s->rcap * sizeof(*s->running));
	if (!s->arrivals || !s->heap || !s->pend || (cfg->freeze_us && !s->holds) || !s->qbuf ||
	    !s->rbuf)
		return -ENOMEM;
	for (size_t i = 0; i < s->n; i++)
		s->arrivals[i] = &s->j[i];
	qsort(s->arrivals, s->n, sizeof(*s->arrivals), by_arrival);
	if (p->sched == CPOOL_SCHED_FAIRSHARE) {
		s->fair = true;
		cpool_fairshare_init(&s->fs, p->fairshare_half_life_us);
		s->fs.users = malloc((s->n + 1) * sizeof(*s->fs.users));
		s->fs.cap = s->n + 1;
		s->factor = malloc((s->n + 1) * sizeof(*s->factor));
		s->uids = malloc((s->n + 1) * sizeof(*s->uids));
		s->user_factor = malloc((s->n + 1) * sizeof(*s->user_factor));
		if (!s->fs.users || !s->factor || !s->uids || !s->user_factor)
			return -ENOMEM;
		user_slots(s);
	}
	s->priority_floor = INT_MAX;
	for (size_t i = 0; i < s->n; i++)
		if (s->j[i].pj.job->priority < s->priority_floor)
			s->priority_floor = s->j[i].pj.job->priority;
	/* Under sharing a job's end moves with its neighbours: the plain order, every job in the heap. */
	s->by_service = !s->share && cpool_policy_running_by_service(p);
	s->refresh_done = s->fair || p->sched == CPOOL_SCHED_SRTF || p->sched == CPOOL_SCHED_EASY;
	return 0;
}

static int loop(struct sim *s, struct cpool_sim_result *res)
{
	int64_t wake = CPOOL_NEVER;
	size_t finished = 0;

	if (s->n)
		s->now = s->arrivals[0]->pj.job->submit_us;
	for (;;) {
		int64_t t = wake;
		int ret;

		if (s->next_arrival < s->n && s->arrivals[s->next_arrival]->pj.job->submit_us < t)
			t = s->arrivals[s->next_arrival]->pj.job->submit_us;
		if (s->n_heap && s->heap[0].end_us < t)
			t = s->heap[0].end_us;
		if (s->n_holds && hold_next(s) < t)
			t = hold_next(s);
		if (t == CPOOL_NEVER)
			break;
		res->busy_cpu_us += (int64_t)s->busy_cpus * (t - s->now);
		s->now = t;
		res->events++;
		while (s->n_heap && s->heap[0].end_us == t) {
			struct sjob *j = s->heap[0].j;

			heap_remove(s, j);
			finish(s, j);
			if (++finished % 4096 == 0 && s->cfg->progress)
				s->cfg->progress(finished, s->n, s->cfg->progress_arg);
		}
		/* Freezes completed: their CPUs go back, and the round below hands them on. */
		for (size_t h = 0; h < s->n_holds;) {
			if (s->holds[h].until_us == t)
				hold_release(s, h);
			else
				h++;
		}
		while (s->next_arrival < s->n &&
		       s->arrivals[s->next_arrival]->pj.job->submit_us == t)
			enqueue(s, s->arrivals[s->next_arrival++]);
		if (wake == t)
			wake = CPOOL_NEVER;
		/*
		 * Preemptions can idle a VS and so clear its measured latency,
		 * which can admit jobs the policy just held: the daemon sees
		 * that at its next measurement, the simulator asks again at
		 * once.  Each round empties a VS, so this ends.
		 */
		for (int round = 0;; round++) {
			s->measure_changed = false;
			ret = decide(s, &wake);
			if (ret)
				return ret;
			if (!s->measure_changed || round > s->cfg->n_vs)
				break;
		}
	}
	if (s->n_queue || s->n_running)
		return -EDEADLK;
	return 0;
}

int cpool_sim_run(const struct cpool_sim_config *cfg, const struct cpool_job *jobs, size_t n,
		  struct cpool_sim_result *res)
{
	struct sim s = { 0 };
	int ret;

	memset(res, 0, sizeof(*res));
	ret = setup(&s, cfg, jobs, n, res);
	if (!ret)
		ret = loop(&s, res);
	if (!ret) {
		struct cpool_job_times *t = malloc((s.n + 1) * sizeof(*t));

		for (size_t i = 0; i < s.n; i++) {
			struct sjob *j = &s.j[i];

			res->records[i] = (struct cpool_sim_record){
				.job = j->in,
				.first_start_us = j->pj.first_start_us,
				.end_us = j->end_us,
				.vs = j->pj.vs,
				.preemptions = j->preemptions,
				.mean_rate = j->ran_us > 0 ? (double)j->pj.job->runtime_us /
								     (double)j->ran_us :
							     1,
			};
			res->preemptions += j->preemptions;
			if (t)
				t[i] = (struct cpool_job_times){
					.submit = cpool_us_to_s(j->pj.job->submit_us),
					.first_start = cpool_us_to_s(j->pj.first_start_us),
					.end = cpool_us_to_s(j->end_us),
					.runtime = cpool_us_to_s(j->pj.job->runtime_us),
				};
		}
		res->n_records = s.n;
		ret = t ? cpool_metrics_summary(t, s.n, res->total_cpus,
						cpool_us_to_s(res->busy_cpu_us), &res->summary) :
			  -ENOMEM;
		free(t);
	}
	free(s.j);
	free(s.pinned);
	free(s.arrivals);
	free(s.heap);
	free(s.pend);
	free(s.holds);
	free(s.qbuf);
	free(s.rbuf);
	sim_share_free(&s.sh);
	free(s.jcpus);
	free(s.vbusy);
	free(s.vs);
	free(s.vstate);
	free(s.dec);
	cpool_fairshare_free(&s.fs);
	free(s.factor);
	free(s.uids);
	free(s.user_factor);
	return ret;
}

void cpool_sim_result_free(struct cpool_sim_result *res)
{
	free(res->records);
	memset(res, 0, sizeof(*res));
}

void cpool_sim_record_metrics(const struct cpool_sim_record *r, struct cpool_job_metrics *m)
{
	struct cpool_job_times t = {
		.submit = cpool_us_to_s(r->job->submit_us),
		.first_start = cpool_us_to_s(r->first_start_us),
		.end = cpool_us_to_s(r->end_us),
		.runtime = cpool_us_to_s(r->job->runtime_us),
	};

	cpool_metrics_job(&t, m);
}

int cpool_sim_slots(int n, struct cpool_vserver *vs)
{
	if (n < 1 || n > CPOOL_MAX_CPUS)
		return -EINVAL;
	memset(vs, 0, sizeof(*vs));
	strcpy(vs->name, "slots");
	cpool_cpuset_set_range(&vs->cpus, 0, n - 1);
	return 0;
}
