// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* The one definition of job and pool metrics. */
#include "../tap.h"
#include "cpool/metrics.h"

int main(void)
{
	struct cpool_job_metrics m;
	struct cpool_pool_summary s;
	/* submit 2, first start 5, end 20, runtime 10: TAT 18, wait 8, response 3. */
	struct cpool_job_times a = { 2, 5, 20, 10 };
	/* A 2 s job that waited 8: slowdown 5, bounded by tau = 10 s: 10/10 = 1. */
	struct cpool_job_times b = { 0, 8, 10, 2 };
	/* A zero-runtime job: slowdown is its bounded slowdown, max(1, 4 / 10) = 1. */
	struct cpool_job_times z = { 0, 4, 4, 0 };
	/* A long wait on a short job: TAT 30, bsld 30 / 10 = 3. */
	struct cpool_job_times l = { 0, 29, 30, 1 };
	const double v[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
	double one = 42;

	cpool_metrics_job(&a, &m);
	is_double(m.turnaround, 18, 1e-12, "turnaround = end - submit");
	is_double(m.wait, 8, 1e-12, "wait = turnaround - runtime");
	is_double(m.response, 3, 1e-12, "response = first start - submit");
	is_double(m.slowdown, 1.8, 1e-12, "slowdown = turnaround / runtime");
	is_double(m.bounded_slowdown, 1.8, 1e-12, "bounded slowdown with runtime > tau");
	cpool_metrics_job(&b, &m);
	is_double(m.slowdown, 5, 1e-12, "slowdown of a short job");
	is_double(m.bounded_slowdown, 1, 1e-12, "bounded slowdown: max(1, 10 / max(2, 10))");
	cpool_metrics_job(&z, &m);
	is_double(m.slowdown, 1, 1e-12, "zero runtime: slowdown is the bounded one");
	cpool_metrics_job(&l, &m);
	is_double(m.bounded_slowdown, 3, 1e-12, "bounded slowdown 30 / 10");

	is_double(cpool_metrics_rul(100, 25), 0.75, 1e-12, "RUL = (total - idle) / total");
	is_double(cpool_metrics_rul(0, 0), 0, 1e-12, "RUL of nothing is 0");

	/* Nearest rank over 1..10: p50 = 5, p90 = 9, p99 = 10, p0 = 1. */
	is_double(cpool_percentile_sorted(v, 10, 50), 5, 1e-12, "p50 of 1..10 (nearest rank)");
	is_double(cpool_percentile_sorted(v, 10, 90), 9, 1e-12, "p90 of 1..10");
	is_double(cpool_percentile_sorted(v, 10, 99), 10, 1e-12, "p99 of 1..10");
	is_double(cpool_percentile_sorted(v, 10, 100), 10, 1e-12, "p100 is the max");
	is_double(cpool_percentile_sorted(v, 10, 0), 1, 1e-12, "p0 is the min");
	is_double(cpool_percentile_sorted(&one, 1, 99), 42, 1e-12, "one value");
	is_double(cpool_percentile_sorted(v, 0, 50), 0, 1e-12, "no values");

	{
		/* Two jobs on 2 CPUs: a (2..20, run 10) and b (0..10, run 2).
		 * Elapsed 0..20; busy 12 CPU-s of 40: RUL 0.3. */
		struct cpool_job_times t[] = { a, b };

		is_int(cpool_metrics_summary(t, 2, 2, 12, &s), 0, "summary");
		is_int((int64_t)s.jobs, 2, "summary: jobs");
		is_double(s.makespan, 20, 1e-12, "summary: makespan = last end - first submit");
		is_double(s.rul, 0.3, 1e-12, "summary: RUL = busy / (CPUs x elapsed)");
		is_double(s.throughput, 0.1, 1e-12, "summary: throughput = jobs / elapsed");
		is_double(s.mean_response, (3 + 8) / 2.0, 1e-12, "summary: mean response");
		is_double(s.mean_wait, (8 + 8) / 2.0, 1e-12, "summary: mean wait");
		is_double(s.mean_turnaround, (18 + 10) / 2.0, 1e-12, "summary: mean turnaround");
		is_double(s.p50_wait, 8, 1e-12, "summary: p50 wait");
	}
	is_int(cpool_metrics_summary(NULL, 0, 1, 0, &s), 0, "empty summary");
	is_int((int64_t)s.jobs, 0, "empty summary: no jobs");
	done_testing();
	return exit_status();
}
