/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Scheduling and placement policies as pure functions over a snapshot of
 * the pool.  The same code drives the live daemon and the simulator:
 *
 *   caller (daemon or sim)                    policy
 *   ----------------------                    ------
 *   keeps jobs, VSs, timers, measurements
 *   at every event (arrival, completion,
 *   timer at wake_at, new measurement):
 *     fill struct cpool_snapshot  ----------> cpool_policy_decide()
 *                                 <---------- decisions + wake_at
 *     apply decisions in order:
 *       PREEMPT: stop the job (daemon: freeze its cgroup), put it at the
 *                tail of the ready queue (new seq, ready_since = now);
 *                its CPUs are free
 *       START:   run the job on VS (daemon: thaw or launch in the VS),
 *                slice_start = now, first_start = now if still -1
 *       RENEW:   the job keeps running; slice_start = now
 *       and for all three store the decision's level and level_used_us
 *     arm a timer for wake_at (if not CPOOL_NEVER)
 *
 * Decisions are applied in the order given: the PREEMPTs that make room
 * for a START come before it.  The policy never touches the snapshot, keeps
 * no state between calls (what it must remember, such as an MLFQ level, it
 * hands back in a decision and the caller stores in the job), and reads no
 * clock: same snapshot, same decisions.  Calls are cheap when nothing can
 * change (no free CPU, nothing queued), so callers may call at every event.
 *
 * Caller's duties that the policies rely on:
 *   - queued[] is in ready-queue order (increasing seq): the order jobs
 *     (re-)entered the queue.  Jobs arriving at the same instant enter in
 *     (submit, index) order; arrivals at an instant are enqueued before the
 *     call for that instant, so an arrival is queued ahead of a job the call
 *     preempts at the same instant.  fcfs and easy never re-queue, and
 *     take this order as first-come-first-served order.
 *   - a new job enters with first_start_us = -1, vs = -1, level = 0,
 *     level_used_us = 0, ready_since_us = its arrival.
 *   - at a wake-up, now_us is the wake_at asked for, not the (later)
 *     instant a timer fired: rr and mlfq expire a job only exactly at a
 *     quantum boundary.  The simulator's clock is exact; the daemon passes
 *     the due instant.
 *   - done_us is the work done up to now (running jobs included).
 *   - vs[].free_cpus counts CPUs not used by running jobs.
 *   - measured fields are the collector's latest (or the simulator's);
 *     call again when they change, since admission may now let jobs in.
 *   - the jobs in decisions are the snapshot's own pointers.
 */
#ifndef CPOOL_POLICY_H
#define CPOOL_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpool/fit.h"
#include "cpool/job.h"

#define CPOOL_NEVER INT64_MAX
#define CPOOL_MLFQ_MAX_LEVELS 8

enum cpool_sched {
	CPOOL_SCHED_FCFS,
	CPOOL_SCHED_SJF, /* non-preemptive, shortest estimate */
	CPOOL_SCHED_SRTF, /* preemptive, shortest remaining estimate */
	CPOOL_SCHED_RR, /* round robin, quantum */
	CPOOL_SCHED_PRIORITY, /* non-preemptive, lowest number first */
	CPOOL_SCHED_PRIORITY_PREEMPT, /* preemptive priority */
	CPOOL_SCHED_HRRN, /* highest response ratio next */
	CPOOL_SCHED_MLFQ, /* multilevel feedback queue */
	CPOOL_SCHED_EASY, /* FCFS + EASY backfilling */
	CPOOL_SCHED_FAIRSHARE, /* non-preemptive, highest fair-share factor first */
	CPOOL_SCHED__COUNT,
};

enum cpool_place {
	CPOOL_PLACE_FIRST_FIT, /* the first four match enum cpool_fit */
	CPOOL_PLACE_BEST_FIT,
	CPOOL_PLACE_WORST_FIT,
	CPOOL_PLACE_BALANCED,
	CPOOL_PLACE_LEAST_LOADED, /* lowest measured RUL */
	CPOOL_PLACE_LOWEST_LATENCY, /* lowest measured run-queue p99 */
	CPOOL_PLACE__COUNT,
};

struct cpool_policy {
	enum cpool_sched sched;
	enum cpool_place place;
	/* rr: the quantum (default 100 ms). */
	int64_t quantum_us;
	/*
	 * priority, priority-preemptive: a queued job's effective priority
	 * improves by one per aging_us spent waiting since it last entered
	 * the queue; 0 = no aging.  A job runs with the effective priority it
	 * had when started (so an aged job is not at once preempted back).
	 */
	int64_t aging_us;
	/*
	 * mlfq: new jobs enter level 0; level L runs with quantum
	 * mlfq_quantum_us[L]; a job that has used a level's quantum in total
	 * drops one level; the last level's quantum 0 means run to
	 * completion (FCFS).  A job at a better level preempts a running job
	 * at a worse level; within a level it is round robin.
	 */
	int mlfq_levels;
	int64_t mlfq_quantum_us[CPOOL_MLFQ_MAX_LEVELS];
	/* Admission: hold jobs off a VS whose measured run-queue p99 is above this; 0 = off. */
	int64_t admit_p99_us;
	/*
	 * fairshare: the half-life of past usage (include/cpool/fairshare.h);
	 * 0 = no decay.  The policy reads only each job's factor; the caller
	 * keeps the usage (the simulator with this half-life).
	 */
	int64_t fairshare_half_life_us;
};

/* A job as the policy sees it; the caller owns and updates it. */
struct cpool_pjob {
	const struct cpool_job *job; /* id, submit, cpus, estimate, priority, vs, index */
	int64_t done_us; /* work done so far */
	int64_t first_start_us; /* -1 until first started */
	int64_t ready_since_us; /* when it last entered the ready queue */
	int64_t slice_start_us; /* running: when started or renewed */
	uint64_t seq; /* ready-queue order; unique */
	int vs; /* running: index into snapshot vs[]; else -1 */
	int level; /* policy state: MLFQ level, or frozen effective priority */
	int64_t level_used_us; /* MLFQ: service at this level before slice_start */
	/*
	 * fairshare: the factor of the job's user now, 0..1, higher runs
	 * first (the caller sets it for queued jobs before each call).
	 */
	double fairshare;
};

struct cpool_vs_state {
	const char *name;
	int cpus;
	int free_cpus;
	/* From the collector (daemon) or the simulated pool. */
	bool measured;
	double rul; /* 0..1 */
	int64_t rq_p99_us; /* run-queue latency p99 */
};

struct cpool_snapshot {
	int64_t now_us;
	struct cpool_pjob *const *queued; /* ready-queue order */
	size_t n_queued;
	struct cpool_pjob *const *running;
	size_t n_running;
	const struct cpool_vs_state *vs;
	int n_vs;
	/*
	 * Optional, from a caller that can promise it (the simulator; zero
	 * promises nothing): queued[] is in non-decreasing ready_since_us
	 * order, and no queued job's priority is below priority_floor.  The
	 * priority policies then stop a scan where no later job can rank
	 * among the best; decisions are the same either way.
	 */
	bool queued_by_ready;
	int priority_floor;
	/*
	 * Optional likewise: queued[] is in (submit, input order) order, the
	 * order that breaks ties of rank (so a tie is decided by position).
	 */
	bool queued_by_submit;
	/*
	 * Optional likewise, for a policy for which
	 * cpool_policy_running_by_service() is true: running[] is in
	 * non-decreasing order of each job's cpool_policy_quantum_end() at
	 * now_us (the job that has had the most of its current quantum
	 * first).  The policy then looks at running jobs only up to the first
	 * whose quantum does not end now, not at all of them at every event.
	 */
	bool running_by_service;
};

enum cpool_decision_kind {
	CPOOL_DECIDE_PREEMPT,
	CPOOL_DECIDE_START,
	CPOOL_DECIDE_RENEW,
};

struct cpool_decision {
	enum cpool_decision_kind kind;
	struct cpool_pjob *job;
	int vs; /* START: index into snapshot vs[] */
	/* Values the caller stores in job->level and job->level_used_us. */
	int level;
	int64_t level_used_us;
};

/*
 * Decisions go into @out (array of @max); at most n_queued + 3 * n_running
 * are ever needed.  Returns the number written, or -ENOSPC when @max was too
 * small (nothing is lost: call again with room), -EINVAL for a bad policy.
 * *@wake_at is the instant the policy must be called again even if no
 * event happens (quantum expiry, aging step), or CPOOL_NEVER.
 */
int cpool_policy_decide(const struct cpool_policy *p, const struct cpool_snapshot *s,
			struct cpool_decision *out, size_t max, int64_t *wake_at);

/*
 * After cpool_policy_decide() answered @dec (@n decisions) under EASY: the
 * job that holds the reservation (the first queued job not started) in
 * *@job, and in *@at_us the instant it is expected to start by the running
 * jobs' estimates.  False when no job waits or none could ever start.
 */
bool cpool_policy_easy_reservation(const struct cpool_policy *p, const struct cpool_snapshot *s,
				   const struct cpool_decision *dec, size_t n,
				   const struct cpool_pjob **job, int64_t *at_us);

/*
 * Whether @p decides by where each running job is in its quantum (rr), so
 * that a caller may keep running[] in that order and promise it with
 * running_by_service: what matters to it is then a prefix of running[].
 */
bool cpool_policy_running_by_service(const struct cpool_policy *p);
/*
 * Under such a policy, the first instant at or after @now_us at which
 * running job @j's quantum ends (@now_us itself: it expires now).
 */
int64_t cpool_policy_quantum_end(const struct cpool_policy *p, const struct cpool_pjob *j,
				 int64_t now_us);

/* Defaults: FCFS, first-fit, quantum 100 ms, MLFQ 3 levels of 100 ms, 200 ms, FCFS. */
void cpool_policy_init(struct cpool_policy *p);

/*
 * Names: "fcfs", "sjf", "srtf", "rr", "priority", "priority-preemptive", "hrrn", "mlfq", "easy",
 * "fairshare".
 */
const char *cpool_sched_name(enum cpool_sched s);
int cpool_sched_parse(const char *name, enum cpool_sched *s);
const char *cpool_sched_names(void);
/* "first-fit", "best-fit", "worst-fit", "balanced", "least-loaded", "lowest-latency". */
const char *cpool_place_name(enum cpool_place p);
int cpool_place_parse(const char *name, enum cpool_place *p);
const char *cpool_place_names(void);

/*
 * Placement alone: the VS index for a job needing @cpus (and VS @vs_name
 * when not ""), among VSs admitted by @p's admission rule, given free CPUs
 * @avail (per VS; NULL = the snapshot's).  -1 when none fits now.
 */
int cpool_policy_place(const struct cpool_policy *p, const struct cpool_snapshot *s,
		       const int *avail, int cpus, const char *vs_name);
/* Whether the admission rule lets new jobs onto @vs (its measured p99 is within the bound). */
bool cpool_policy_admits(const struct cpool_policy *p, const struct cpool_vs_state *vs);

/*
 * Could a job needing @cpus on VS @vs_name ("" = any) ever run on this
 * pool?  The simulator skips (and counts) jobs that could not.
 */
bool cpool_policy_runnable(const struct cpool_vs_state *vs, int n_vs, int cpus,
			   const char *vs_name);

#endif /* CPOOL_POLICY_H */
