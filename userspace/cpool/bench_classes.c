// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * cpool bench: figures per job class, for scenarios that mix kinds of jobs
 * (the noisy neighbour: short latency-sensitive jobs next to hogs).  A
 * job's class is its id up to the first '-' ("lat-3": "lat"); an id
 * without one (cpool gen's numbers) has no class.  The first CLASS_MAX
 * classes are reported.
 *
 * The daemon keeps, per job, the mean and the p99 of its run-queue
 * latency (BPF), not its histogram, so a class's figures are statistics
 * of those: the median of the jobs' means (a typical job's typical wait)
 * and the nearest-rank p99 of the jobs' p99s (with under 100 jobs, the
 * worst job's p99).
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "cli_common.h"

#define CLASS_MAX 8
#define CLASS_NAME_MAX 24

struct class_figures {
	double rq_p50_us, rq_p99_us; /* NAN: no BPF figure */
	double m_response, p_response, c_response; /* mean, s; c: calibrated */
	double m_throughput, p_throughput; /* jobs/s */
	size_t n_jobs, n_ok;
};

/* False when the job has no class. */
static bool class_of(const struct cpool_job *j, char *out)
{
	size_t n = strcspn(j->id, "-");

	if (!j->id[n] || !n)
		return false;
	if (n >= CLASS_NAME_MAX)
		n = CLASS_NAME_MAX - 1;
	memcpy(out, j->id, n);
	out[n] = '\0';
	return true;
}

/* The classes of the trace, in order of first appearance. */
static size_t list_classes(const struct bench *b, char names[CLASS_MAX][CLASS_NAME_MAX])
{
	size_t n = 0;

	for (size_t i = 0; i < b->n_jobs; i++) {
		char c[CLASS_NAME_MAX];
		size_t k = 0;

		if (!class_of(&b->jobs[i], c))
			continue;
		while (k < n && strcmp(names[k], c) != 0)
			k++;
		if (k == n && n < CLASS_MAX)
			strcpy(names[n++], c);
	}
	return n;
}

static double quantile(double *v, size_t n, double p)
{
	if (!n)
		return NAN;
	qsort(v, n, sizeof(*v), bench_cmp_double);
	return cpool_percentile_sorted(v, n, p);
}

static int class_figures(const struct bench_run *r, const char *cls, struct class_figures *f)
{
	double *mean = calloc(r->n_jobs ?: 1, sizeof(*mean));
	double *p99 = calloc(r->n_jobs ?: 1, sizeof(*p99));
	double m_first = INFINITY, m_last = -INFINITY, p_first = INFINITY, p_last = -INFINITY;
	double m_resp = 0, p_resp = 0, c_resp = 0;
	size_t n_rq = 0, n_p = 0, n_c = 0;

	if (!mean || !p99) {
		free(mean);
		free(p99);
		return -ENOMEM;
	}
	memset(f, 0, sizeof(*f));
	for (size_t i = 0; i < r->n_jobs; i++) {
		const struct bench_job *j = &r->jobs[i];
		struct cpool_job_metrics m;
		char c[CLASS_NAME_MAX];

		if (!class_of(j->job, c) || strcmp(c, cls) != 0)
			continue;
		f->n_jobs++;
		if (bench_job_metrics(j, BENCH_PREDICTED, &m)) {
			p_resp += m.response;
			p_first = fmin(p_first, cpool_us_to_s(j->job->submit_us));
			p_last = fmax(p_last, j->p_end);
			n_p++;
		}
		if (r->calibrated && bench_job_metrics(j, BENCH_CALIBRATED, &m)) {
			c_resp += m.response;
			n_c++;
		}
		if (!r->measured || !bench_job_metrics(j, BENCH_MEASURED, &m))
			continue;
		f->n_ok++;
		m_resp += m.response;
		m_first = fmin(m_first, j->m_submit);
		m_last = fmax(m_last, j->m_end);
		if (j->m_rq_mean_us >= 0 && j->m_rq_p99_us >= 0) {
			mean[n_rq] = j->m_rq_mean_us;
			p99[n_rq++] = j->m_rq_p99_us;
		}
	}
	f->rq_p50_us = quantile(mean, n_rq, 50);
	f->rq_p99_us = quantile(p99, n_rq, 99);
	f->m_response = f->n_ok ? m_resp / (double)f->n_ok : NAN;
	f->p_response = n_p ? p_resp / (double)n_p : NAN;
	f->c_response = n_c ? c_resp / (double)n_c : NAN;
	f->m_throughput = f->n_ok && m_last > m_first ? (double)f->n_ok / (m_last - m_first) : NAN;
	f->p_throughput = n_p && p_last > p_first ? (double)n_p / (p_last - p_first) : NAN;
	free(mean);
	free(p99);
	return 0;
}

/* Mean over the policy's measured repeats of one figure (NAN-free ones). */
struct class_mean {
	struct class_figures mean;
	size_t runs;
};

static int class_mean(const struct bench *b, size_t policy, const char *cls, struct class_mean *cm)
{
	size_t np = b->n_policies ? b->n_policies : b->n_runs;
	double *acc[] = { &cm->mean.rq_p50_us,	&cm->mean.rq_p99_us,	&cm->mean.m_response,
			  &cm->mean.p_response, &cm->mean.m_throughput, &cm->mean.p_throughput,
			  &cm->mean.c_response };
	size_t cnt[7] = { 0 };

	memset(cm, 0, sizeof(*cm));
	for (size_t i = policy; i < b->n_runs; i += np) {
		struct class_figures f;
		const double *val[] = { &f.rq_p50_us,  &f.rq_p99_us,	&f.m_response,
					&f.p_response, &f.m_throughput, &f.p_throughput,
					&f.c_response };
		int ret = class_figures(&b->runs[i], cls, &f);

		if (ret)
			return ret;
		cm->runs += b->runs[i].measured;
		cm->mean.n_jobs = f.n_jobs;
		cm->mean.n_ok += f.n_ok;
		for (size_t k = 0; k < 7; k++)
			if (!isnan(*val[k])) {
				*acc[k] += *val[k];
				cnt[k]++;
			}
	}
	for (size_t k = 0; k < 7; k++)
		*acc[k] = cnt[k] ? *acc[k] / (double)cnt[k] : NAN;
	return 0;
}

static void cell(struct cli_table *t, double v, int prec)
{
	if (isnan(v))
		cli_table_cell(t, "-");
	else
		cli_table_cell(t, "%.*f", prec, v);
}

void bench_print_classes(const struct bench *b, FILE *out)
{
	static const struct cli_column cols[] = {
		{ "POLICY", false },	 { "CLASS", false },	 { "JOBS", true },
		{ "RQ P50 us", true },	 { "RQ P99 us", true },	 { "RESPONSE s", true },
		{ "PRED RESP s", true }, { "CAL RESP s", true }, { "THROUGHPUT/s", true },
		{ "PRED THR/s", true },
	};
	char names[CLASS_MAX][CLASS_NAME_MAX];
	size_t n_cls = list_classes(b, names);
	size_t np = b->n_policies ? b->n_policies : b->n_runs;
	struct cli_table *t;

	if (n_cls < 2)
		return; /* one class: the main table says it all */
	t = cli_table_new(cols, 10);
	for (size_t p = 0; p < np; p++) {
		for (size_t c = 0; c < n_cls; c++) {
			struct class_mean cm;

			if (class_mean(b, p, names[c], &cm))
				continue;
			cli_table_cell(t, "%s", c == 0 ? bench_run_label(&b->runs[p]) : "");
			cli_table_cell(t, "%s", names[c]);
			cli_table_cell(t, "%zu", cm.mean.n_jobs);
			cell(t, cm.mean.rq_p50_us, 0);
			cell(t, cm.mean.rq_p99_us, 0);
			cell(t, cm.mean.m_response, 3);
			cell(t, cm.mean.p_response, 3);
			cell(t, cm.mean.c_response, 3);
			cell(t, cm.mean.m_throughput, 3);
			cell(t, cm.mean.p_throughput, 3);
		}
	}
	fprintf(out,
		"\nPer job class (id up to its first '-'), means over the repeats: RQ P50 the median\n"
		"of the jobs' mean run-queue latency, RQ P99 the p99 of the jobs' p99s (BPF);\n"
		"PRED: the simulator's (a priori); CAL: the simulator re-run on the measured run\n"
		"(bench_calibrate.c), with shared CPUs and --noise as processor sharing.\n");
	cli_table_print(t, out);
	cli_table_free(t);
}

int bench_write_classes(const struct bench *b)
{
	char names[CLASS_MAX][CLASS_NAME_MAX], path[4200];
	size_t n_cls = list_classes(b, names);
	FILE *f;

	if (n_cls < 2)
		return 0; /* as the table: one class or none says nothing more */
	snprintf(path, sizeof(path), "%s/classes.csv", b->out_dir);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	fputs("policy,repeat,class,jobs,ok,rq_p50_us,rq_p99_us,mean_response,predicted_mean_response,"
	      "throughput,predicted_throughput,calibrated_mean_response\n",
	      f);
	for (size_t i = 0; i < b->n_runs; i++)
		for (size_t c = 0; c < n_cls; c++) {
			struct class_figures x;

			if (class_figures(&b->runs[i], names[c], &x))
				continue;
			fprintf(f, "%s,%d,%s,%zu,%zu,%.1f,%.1f,%.6f,%.6f,%.6f,%.6f,%.6f\n",
				bench_run_label(&b->runs[i]), b->runs[i].repeat + 1, names[c],
				x.n_jobs, x.n_ok, x.rq_p50_us, x.rq_p99_us, x.m_response,
				x.p_response, x.m_throughput, x.p_throughput, x.c_response);
		}
	return fclose(f) ? -errno : 0;
}
