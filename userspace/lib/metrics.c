// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cpool/metrics.h"

void cpool_metrics_job(const struct cpool_job_times *t, struct cpool_job_metrics *m)
{
	double bsld;

	m->turnaround = t->end - t->submit;
	m->wait = m->turnaround - t->runtime;
	m->response = t->first_start - t->submit;
	bsld = m->turnaround / fmax(t->runtime, CPOOL_BSLD_TAU_S);
	m->bounded_slowdown = fmax(1.0, bsld);
	m->slowdown = t->runtime > 0 ? m->turnaround / t->runtime : m->bounded_slowdown;
}

double cpool_metrics_rul(double total, double idle)
{
	return total > 0 ? (total - idle) / total : 0;
}

double cpool_percentile_sorted(const double *sorted, size_t n, double p)
{
	size_t rank;

	if (!n)
		return 0;
	if (p <= 0)
		return sorted[0];
	rank = (size_t)ceil(p / 100.0 * (double)n);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return sorted[rank - 1];
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int cpool_metrics_summary(const struct cpool_job_times *t, size_t n, int cpus, double busy_cpu_s,
			  struct cpool_pool_summary *s)
{
	double first = 0, last = 0, total;
	double *waits;

	memset(s, 0, sizeof(*s));
	if (!n)
		return 0;
	waits = malloc(n * sizeof(*waits));
	if (!waits)
		return -ENOMEM;
	first = t[0].submit;
	last = t[0].end;
	for (size_t i = 0; i < n; i++) {
		struct cpool_job_metrics m;

		cpool_metrics_job(&t[i], &m);
		first = fmin(first, t[i].submit);
		last = fmax(last, t[i].end);
		s->mean_response += m.response;
		s->mean_turnaround += m.turnaround;
		s->mean_wait += m.wait;
		s->mean_slowdown += m.slowdown;
		s->mean_bounded_slowdown += m.bounded_slowdown;
		waits[i] = m.wait;
	}
	s->jobs = n;
	s->mean_response /= (double)n;
	s->mean_turnaround /= (double)n;
	s->mean_wait /= (double)n;
	s->mean_slowdown /= (double)n;
	s->mean_bounded_slowdown /= (double)n;
	s->makespan = last - first;
	s->throughput = s->makespan > 0 ? (double)n / s->makespan : 0;
	total = (double)cpus * s->makespan;
	s->rul = cpool_metrics_rul(total, total - busy_cpu_s);
	qsort(waits, n, sizeof(*waits), cmp_double);
	s->p50_wait = cpool_percentile_sorted(waits, n, 50);
	s->p90_wait = cpool_percentile_sorted(waits, n, 90);
	s->p99_wait = cpool_percentile_sorted(waits, n, 99);
	free(waits);
	return 0;
}
