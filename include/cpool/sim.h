/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * A deterministic discrete-event simulator of a pool running a workload
 * under a policy.  It calls the same cpool_policy_decide() the daemon
 * does, at the same kinds of events (arrival, completion, the policy's own
 * wake-up), so what is measured here is what the daemon would do.
 *
 * The pool is a list of virtual servers, each with its CPUs: the planner's
 * output (struct cpool_vserver) plugs in directly; "N one-CPU slots" is one
 * VS of N CPUs (cpool_sim_slots).  A job runs on one VS, on as many CPUs
 * as it asks for, for its runtime; it is never slowed by its neighbours,
 * unless CPUs are shared: VSs that overlap (exclusive = no) or background
 * load given (a noisy neighbour).  Then each job is given CPUs of its VS
 * as the daemon gives them (the first its VS counts free), and the CPUs
 * are processor-shared (sim_share.c): k runnable threads on a CPU each get
 * 1/k of it, a job on several CPUs progresses at its slowest CPU's rate,
 * and ends move whenever the sharing changes.
 *
 * The "measured" state that least-loaded, lowest-latency and admission
 * read comes from the simulated pool:
 *   rul        busy fraction of the VS's CPUs, exponentially averaged over
 *              CPOOL_SIM_RUL_TAU_US (what a collector sampling busy time
 *              would report);
 *   rq_p99_us  p99 of the ready-queue waits of the last
 *              CPOOL_SIM_RQ_SAMPLES jobs started on the VS; an idle VS
 *              reports none (the kernel has nothing queued there), so
 *              admission can always make progress.
 *
 * Same input, same output: events at one instant are handled in a fixed
 * order (completions, then arrivals in (submit, input) order, then the
 * policy), and nothing depends on addresses or the clock.  Memory is
 * linear in the number of jobs.
 */
#ifndef CPOOL_SIM_H
#define CPOOL_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "cpool/job.h"
#include "cpool/metrics.h"
#include "cpool/policy.h"
#include "cpool/vserver.h"
#include "cpool/error.h"

#define CPOOL_SIM_RUL_TAU_US (60 * CPOOL_USEC_PER_SEC)
#define CPOOL_SIM_RQ_SAMPLES 64
/*
 * Shared CPUs: a VS with a CPU of load L > 1 (runnable threads) measures
 * a run-queue p99 of at least (L - 1) / L of this, CFS's default
 * scheduling period (a thread waits for the others' turns).
 */
#define CPOOL_SIM_SCHED_PERIOD_US 6000

/*
 * Load that is not a job of the trace, for the whole run: @threads
 * runnable threads spread evenly over @cpus.  @held: it is a job the
 * daemon counts (cpool bench --noise), so those CPUs are taken in the VSs
 * that have them.
 */
struct cpool_sim_background {
	struct cpool_cpuset cpus;
	double threads;
	bool held;
};

struct cpool_sim_config {
	const struct cpool_vserver *vs;
	int n_vs;
	struct cpool_policy policy;
	/* Charged at every dispatch (start or resume): the CPUs are busy, the job makes no progress. */
	int64_t switch_cost_us;
	/*
	 * The same per job, in input order (@n entries), when not NULL: in
	 * cpoold a switch costs a two-CPU job less per CPU than a one-CPU
	 * job (the lab's demo: 20 against 40-110 ms a turn).
	 */
	const int64_t *switch_cost_each_us;
	/* Background load on shared CPUs; NULL / 0 for none. */
	const struct cpool_sim_background *background;
	int n_background;
	/*
	 * A job's first slice counts from this long after its first dispatch
	 * (0: from the dispatch).  In cpoold a launched job is not the
	 * policy's until its exec, so its first quantum ends at the first
	 * quantum boundary after the exec: cpool bench's calibration.
	 */
	int64_t launch_slice_us;
	/*
	 * The same per job, in input order (@n entries), when not NULL:
	 * launches differ job by job (tens of milliseconds to half a second
	 * under the lab's TCG), and with them how long a first turn lasts.
	 */
	const int64_t *launch_slice_each_us;
	/*
	 * A preemption as cpoold makes it (0: the CPUs change hands in the
	 * round that preempts).  The daemon freezes the job's cgroup and its
	 * CPUs stay the job's until the freeze has completed; they go back
	 * then, in a round of their own (jobs.c), which starts the next job.
	 * Here a preempted job is queued at once, as in the daemon, but holds
	 * its CPUs for @freeze_us after the decision, and of that it still
	 * works @freeze_ran_us (a freeze does not stop a job at once; at most
	 * freeze_us): a job whose work runs out meanwhile ends then.  A start
	 * onto CPUs still held waits for the next round, as the daemon's
	 * does; a held job started again gives them back first, as
	 * jobs_start() does.
	 */
	int64_t freeze_us, freeze_ran_us;
	/*
	 * @freeze_ran_us per job, in input order (@n entries), when not NULL:
	 * a switch idles some jobs less than the run's mean freeze does, and
	 * they work through more of the hold.
	 */
	const int64_t *freeze_ran_each_us;
	/* @freeze_us per job likewise: a freeze takes some jobs longer than others. */
	const int64_t *freeze_each_us;
	/* Called every few thousand finished jobs; NULL for none. */
	void (*progress)(size_t finished, size_t total, void *arg);
	void *progress_arg;
};

struct cpool_sim_record {
	const struct cpool_job *job;
	int64_t first_start_us;
	int64_t end_us;
	int vs; /* where it finished */
	unsigned preemptions;
	/* Its runtime over the time it ran (switch costs aside): 1 unless CPUs were shared. */
	double mean_rate;
};

struct cpool_sim_result {
	struct cpool_sim_record *records; /* simulated jobs, in input order */
	size_t n_records;
	size_t n_skipped; /* jobs that could never run on this pool */
	char first_skip[160];
	int total_cpus;
	int64_t busy_cpu_us;
	uint64_t events;
	uint64_t preemptions;
	bool shared; /* CPUs were shared (overlap or background): sim_share.c's model */
	struct cpool_pool_summary summary;
};

/*
 * Run @n jobs through the simulated pool.  Returns 0, -EINVAL (bad pool or
 * policy), -ENOMEM, -ERANGE (last submit + all runtimes, times the CPUs,
 * beyond int64 microseconds), -EDEADLK (queued jobs could never start: a policy
 * bug), -EPROTO (a policy decided something impossible).  @res must be
 * released with cpool_sim_result_free() in every case.
 */
int cpool_sim_run(const struct cpool_sim_config *cfg, const struct cpool_job *jobs, size_t n,
		  struct cpool_sim_result *res);
void cpool_sim_result_free(struct cpool_sim_result *res);

/* Per-job metrics of a record (seconds), by the one definition in metrics.h. */
void cpool_sim_record_metrics(const struct cpool_sim_record *r, struct cpool_job_metrics *m);

/* A pool of @n one-CPU slots: one VS "slots" with CPUs 0..n-1.  -EINVAL for n out of range. */
int cpool_sim_slots(int n, struct cpool_vserver *vs);

struct cpool_pool_config;
struct cpool_topology;

/*
 * The simulated pool from a pool configuration planned on a topology (the
 * plan "cpool plan" shows): *@vs (malloc'ed, @n_vs entries) in file
 * order.  Returns 0, or a negative errno with the reason in @e: the
 * planner's (e.g. "vserver db: numa=local needs 12 CPUs on one node; ...")
 * when a VS does not fit, since a simulation of part of the pool would
 * answer another question.
 */
int cpool_sim_pool_plan(const struct cpool_pool_config *c, const struct cpool_topology *t,
			struct cpool_vserver **vs, int *n_vs, struct cpool_error *e);

#endif /* CPOOL_SIM_H */
