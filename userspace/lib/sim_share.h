/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Processor sharing for the simulator (internal to sim.c): how many
 * runnable threads each CPU carries, jobs' and background load's, and the
 * rate that gives a job: k threads on a CPU each get 1/k of it, and a job
 * on several CPUs progresses at the rate of its most loaded one (its
 * threads wait for each other).
 */
#ifndef CPOOL_SIM_SHARE_H
#define CPOOL_SIM_SHARE_H

#include <stdbool.h>

#include "cpool/cpuset.h"
#include "cpool/sim.h"
#include "cpool/vserver.h"

struct sim_share {
	double *load; /* runnable threads per CPU, [0, n_cpus) */
	int n_cpus;
	/* Background the daemon counts as a job: CPUs taken in every VS that has them. */
	struct cpool_cpuset held;
};

/* Whether @vs overlap or @n_bg > 0: the simulator then shares CPUs. */
bool sim_share_needed(const struct cpool_vserver *vs, int n_vs, int n_bg);

/* Sized for every CPU of @vs and @bg, the background's load added.  -ENOMEM, -EINVAL. */
int sim_share_init(struct sim_share *sh, const struct cpool_vserver *vs, int n_vs,
		   const struct cpool_sim_background *bg, int n_bg);
void sim_share_free(struct sim_share *sh);

/* One runnable thread more (@sign 1) or less (-1) on each CPU of @cpus: a job starting or stopping. */
void sim_share_job(struct sim_share *sh, const struct cpool_cpuset *cpus, int sign);

/* The rate of a job with one thread on each of @cpus: 1 / the most loaded one's threads. */
double sim_share_rate(const struct sim_share *sh, const struct cpool_cpuset *cpus);

/* Of @cpus, the fraction with a runnable thread, and the largest load. */
double sim_share_busy(const struct sim_share *sh, const struct cpool_cpuset *cpus);
double sim_share_max_load(const struct sim_share *sh, const struct cpool_cpuset *cpus);

/*
 * The run-queue p99 a CPU set shows under this sharing, us: what a thread
 * waits for the others' turns on the most loaded CPU.
 */
int64_t sim_share_rq_us(const struct sim_share *sh, const struct cpool_cpuset *cpus);

#endif /* CPOOL_SIM_SHARE_H */
