/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Job and pool metrics: one definition, used by the simulator, the daemon
 * and the reports.  Inputs and outputs are seconds (double).
 *
 * Per job, with submit, first start, end and runtime (work per CPU):
 *   turnaround = end - submit
 *   wait       = turnaround - runtime       (time ready but not running)
 *   response   = first start - submit
 *   slowdown   = turnaround / runtime       (a zero-runtime job: its bounded slowdown)
 *   bounded slowdown = max(1, turnaround / max(runtime, tau)), tau = 10 s
 * Pool, over [first submit, last end]:
 *   RUL = (T_total - T_idle) / T_total, T_total = CPUs x elapsed
 *   throughput = jobs finished / elapsed; makespan = elapsed
 *   mean response, mean turnaround, mean and p50/p90/p99 wait
 */
#ifndef CPOOL_METRICS_H
#define CPOOL_METRICS_H

#include <stddef.h>

#define CPOOL_BSLD_TAU_S 10.0

struct cpool_job_times {
	double submit;
	double first_start;
	double end;
	double runtime;
};

struct cpool_job_metrics {
	double wait;
	double response;
	double turnaround;
	double slowdown;
	double bounded_slowdown;
};

struct cpool_pool_summary {
	size_t jobs;
	double makespan; /* s */
	double rul; /* 0..1 */
	double throughput; /* jobs/s */
	double mean_response;
	double mean_turnaround;
	double mean_wait;
	double p50_wait;
	double p90_wait;
	double p99_wait;
	double mean_slowdown;
	double mean_bounded_slowdown;
};

void cpool_metrics_job(const struct cpool_job_times *t, struct cpool_job_metrics *m);

/* RUL = (total - idle) / total; 0 when total is 0. */
double cpool_metrics_rul(double total, double idle);

/*
 * Nearest-rank percentile (the smallest value with at least p% of values at
 * or below it) of @n values sorted ascending; 0 for n == 0.  p in [0, 100].
 */
double cpool_percentile_sorted(const double *sorted, size_t n, double p);

/*
 * Summary of @n finished jobs on a pool of @cpus CPUs that were busy
 * @busy_cpu_s CPU-seconds in total.  Returns 0 or -ENOMEM (for the sort).
 */
int cpool_metrics_summary(const struct cpool_job_times *t, size_t n, int cpus, double busy_cpu_s,
			  struct cpool_pool_summary *s);

#endif /* CPOOL_METRICS_H */
