// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The report of cpool bench: summaries by metrics.h (the one definition the
 * simulator and the daemon use too), results.json and results.csv, the
 * comparison table, and gnuplot scripts with their data, rendered to PNG
 * and SVG when gnuplot is there.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "cli_common.h"

bool bench_job_metrics(const struct bench_job *j, bool measured, struct cpool_job_metrics *m)
{
	struct cpool_job_times t = { .submit = cpool_us_to_s(j->job->submit_us),
				     .runtime = cpool_us_to_s(j->job->runtime_us) };

	if (measured) {
		if (!j->m_ok)
			return false;
		t.submit = j->m_submit;
		t.first_start = j->m_start;
		t.end = j->m_end;
	} else {
		if (j->p_vs < 0)
			return false;
		t.first_start = j->p_start;
		t.end = j->p_end;
	}
	cpool_metrics_job(&t, m);
	return true;
}

static int summarise(const struct bench *b, struct bench_run *r, bool measured)
{
	struct cpool_job_times *t = calloc(r->n_jobs ?: 1, sizeof(*t));
	double busy = 0, rq = 0;
	size_t n = 0, n_rq = 0;
	int ret;

	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < r->n_jobs; i++) {
		const struct bench_job *j = &r->jobs[i];
		struct cpool_job_metrics m;

		if (!bench_job_metrics(j, measured, &m))
			continue;
		t[n].runtime = cpool_us_to_s(j->job->runtime_us);
		if (measured) {
			t[n].submit = j->m_submit;
			t[n].first_start = j->m_start;
			t[n].end = j->m_end;
			busy += j->m_cpu_time;
			if (j->m_rq_mean_us >= 0) {
				rq += j->m_rq_mean_us;
				n_rq++;
			}
		} else {
			t[n].submit = cpool_us_to_s(j->job->submit_us);
			t[n].first_start = j->p_start;
			t[n].end = j->p_end;
			busy += t[n].runtime * j->job->cpus;
		}
		n++;
	}
	if (measured) {
		r->meas_busy_cpu_s = busy;
		r->meas_failed = r->n_jobs - n;
		r->meas_rq_mean_us = n_rq ? rq / (double)n_rq : -1;
		ret = cpool_metrics_summary(t, n, b->total_cpus, busy, &r->meas);
	} else {
		r->pred_busy_cpu_s = busy;
		ret = cpool_metrics_summary(t, n, b->total_cpus, busy, &r->pred);
	}
	free(t);
	return ret;
}

int bench_run_summarise(const struct bench *b, struct bench_run *r)
{
	int ret = summarise(b, r, false);

	if (!ret && r->measured) {
		ret = summarise(b, r, true);
		if (!ret && r->meas_failed)
			fprintf(stderr,
				"cpool bench: %s: %zu job(s) did not run to a clean end; left out of the measured figures\n",
				cpool_sched_name(r->policy.sched), r->meas_failed);
	}
	return ret;
}

/* ---- the figures compared ---------------------------------------------------- */

struct figure {
	const char *key; /* JSON and CSV name */
	const char *label; /* table */
	const char *unit;
	double scale; /* shown = value * scale */
};

enum { F_RUL, F_MEAN_RESPONSE, F_MEAN_WAIT, F_P99_WAIT, F_THROUGHPUT, F_MAKESPAN, F_RQLAT, F__N };

static const struct figure figures[F__N] = {
	[F_RUL] = { "rul", "RUL", "%", 100 },
	[F_MEAN_RESPONSE] = { "mean_response", "mean response", "s", 1 },
	[F_MEAN_WAIT] = { "mean_wait", "mean wait", "s", 1 },
	[F_P99_WAIT] = { "p99_wait", "p99 wait", "s", 1 },
	[F_THROUGHPUT] = { "throughput", "throughput", "jobs/s", 1 },
	[F_MAKESPAN] = { "makespan", "makespan", "s", 1 },
	[F_RQLAT] = { "mean_rq_latency_us", "mean run-queue latency", "us", 1 },
};

/* NAN: no such figure (the simulator does not model the kernel's run queue). */
static double figure_value(const struct bench_run *r, int f, bool measured)
{
	const struct cpool_pool_summary *s = measured ? &r->meas : &r->pred;

	if (measured && !r->measured)
		return NAN;
	switch (f) {
	case F_RUL:
		return s->rul;
	case F_MEAN_RESPONSE:
		return s->mean_response;
	case F_MEAN_WAIT:
		return s->mean_wait;
	case F_P99_WAIT:
		return s->p99_wait;
	case F_THROUGHPUT:
		return s->throughput;
	case F_MAKESPAN:
		return s->makespan;
	case F_RQLAT:
		return measured && r->meas_rq_mean_us >= 0 ? r->meas_rq_mean_us : NAN;
	}
	return NAN;
}

void bench_print_table(const struct bench *b, FILE *out)
{
	static const struct cli_column cols[] = {
		{ "POLICY", false },  { "METRIC", false }, { "UNIT", false }, { "PREDICTED", true },
		{ "MEASURED", true }, { "DIFF", true },	   { "DIFF%", true },
	};
	struct cli_table *t = cli_table_new(cols, 7);

	for (size_t i = 0; i < b->n_runs; i++) {
		const struct bench_run *r = &b->runs[i];

		for (int f = 0; f < F__N; f++) {
			double p = figure_value(r, f, false), m = figure_value(r, f, true);
			double sc = figures[f].scale;

			cli_table_cell(t, "%s", f == 0 ? cpool_sched_name(r->policy.sched) : "");
			cli_table_cell(t, "%s", figures[f].label);
			cli_table_cell(t, "%s", figures[f].unit);
			if (isnan(p))
				cli_table_cell(t, "-");
			else
				cli_table_cell(t, "%.3f", p * sc);
			if (isnan(m))
				cli_table_cell(t, "-");
			else
				cli_table_cell(t, "%.3f", m * sc);
			if (isnan(p) || isnan(m))
				cli_table_cell(t, "-");
			else
				cli_table_cell(t, "%+.3f", (m - p) * sc);
			if (isnan(p) || isnan(m) || p == 0)
				cli_table_cell(t, "-");
			else
				cli_table_cell(t, "%+.1f", (m - p) / fabs(p) * 100);
		}
	}
	cli_table_print(t, out);
	cli_table_free(t);
}

/* ---- results.json ------------------------------------------------------------ */

static json_t *num_or_null(double v)
{
	return isnan(v) ? json_null() : json_real(v);
}

static json_t *summary_json(const struct bench_run *r, bool measured)
{
	json_t *o = json_object();

	for (int f = 0; f < F__N; f++)
		json_object_set_new(o, figures[f].key, num_or_null(figure_value(r, f, measured)));
	json_object_set_new(o, "jobs",
			    json_integer((json_int_t)(measured ? r->meas.jobs : r->pred.jobs)));
	json_object_set_new(
		o, "mean_turnaround",
		json_real(measured ? r->meas.mean_turnaround : r->pred.mean_turnaround));
	json_object_set_new(o, "p50_wait",
			    json_real(measured ? r->meas.p50_wait : r->pred.p50_wait));
	json_object_set_new(o, "p90_wait",
			    json_real(measured ? r->meas.p90_wait : r->pred.p90_wait));
	json_object_set_new(o, "mean_bounded_slowdown",
			    json_real(measured ? r->meas.mean_bounded_slowdown :
						 r->pred.mean_bounded_slowdown));
	json_object_set_new(o, "busy_cpu_s",
			    json_real(measured ? r->meas_busy_cpu_s : r->pred_busy_cpu_s));
	if (measured)
		json_object_set_new(o, "failed", json_integer((json_int_t)r->meas_failed));
	return o;
}

static json_t *job_side_json(const struct bench *b, const struct bench_job *j, bool measured)
{
	struct cpool_job_metrics m;
	json_t *o;

	if (!bench_job_metrics(j, measured, &m)) {
		if (!measured || !j->m_ended)
			return json_null();
		return json_pack("{s:s}", "state", j->m_state);
	}
	o = json_pack("{s:f, s:f, s:f, s:f, s:f, s:f}", "submit",
		      measured ? j->m_submit : cpool_us_to_s(j->job->submit_us), "start",
		      measured ? j->m_start : j->p_start, "end", measured ? j->m_end : j->p_end,
		      "wait", m.wait, "response", m.response, "turnaround", m.turnaround);
	json_object_set_new(o, "vs", json_string(measured ? j->m_vs : b->vs[j->p_vs].name));
	if (measured) {
		json_object_set_new(o, "state", json_string(j->m_state));
		json_object_set_new(o, "cpu_time", json_real(j->m_cpu_time));
		json_object_set_new(o, "rq_latency_mean_us",
				    j->m_rq_mean_us >= 0 ? json_real(j->m_rq_mean_us) :
							   json_null());
		json_object_set_new(o, "daemon_id", json_integer(j->daemon_id));
	}
	return o;
}

static int write_json(const struct bench *b, const char *path)
{
	json_t *root = json_object(), *pool = json_array(), *runs = json_array();
	int ret;

	for (int v = 0; v < b->n_vs; v++) {
		char cpus[512];

		cpool_cpuset_format(&b->vs[v].cpus, cpus, sizeof(cpus));
		json_array_append_new(pool, json_pack("{s:s, s:s, s:i}", "name", b->vs[v].name,
						      "cpus", cpus, "n_cpus",
						      cpool_cpuset_count(&b->vs[v].cpus)));
	}
	for (size_t i = 0; i < b->n_runs; i++) {
		const struct bench_run *r = &b->runs[i];
		json_t *jobs = json_array(), *util = json_array();

		for (size_t k = 0; k < r->n_jobs; k++) {
			const struct bench_job *j = &r->jobs[k];

			json_array_append_new(
				jobs,
				json_pack("{s:s, s:i, s:f, s:f, s:f, s:i, s:o, s:o}", "id",
					  j->job->id, "cpus", j->job->cpus, "submit",
					  cpool_us_to_s(j->job->submit_us), "runtime",
					  cpool_us_to_s(j->job->runtime_us), "estimate",
					  cpool_us_to_s(j->job->estimate_us), "priority",
					  j->job->priority, "predicted", job_side_json(b, j, false),
					  "measured", job_side_json(b, j, true)));
		}
		for (size_t s = 0; s < r->n_util; s++) {
			json_t *row = json_object();

			for (int v = 0; v < b->n_vs; v++)
				json_object_set_new(
					row, b->vs[v].name,
					num_or_null(r->util[s * (size_t)b->n_vs + (size_t)v]));
			json_array_append_new(
				util, json_pack("{s:f, s:o}", "t", r->util_t[s], "rul", row));
		}
		json_array_append_new(
			runs, json_pack("{s:s, s:s, s:f, s:b, s:f, s:o, s:o, s:o, s:o}", "policy",
					cpool_sched_name(r->policy.sched), "placement",
					cpool_place_name(r->policy.place), "quantum",
					cpool_us_to_s(r->policy.quantum_us), "measured_ok",
					r->measured, "start_time", r->t0, "predicted",
					summary_json(r, false), "measured", summary_json(r, true),
					"utilization", util, "jobs", jobs));
	}
	json_object_set_new(root, "trace", json_string(b->trace_path));
	json_object_set_new(root, "time_scale", json_real(b->time_scale));
	json_object_set_new(root, "cpus", json_integer(b->total_cpus));
	json_object_set_new(root, "pool", pool);
	json_object_set_new(root, "runs", runs);
	ret = json_dump_file(root, path, JSON_INDENT(2) | JSON_REAL_PRECISION(9));
	json_decref(root);
	return ret ? -EIO : 0;
}

/* ---- results.csv: one row per (policy, job or pool, metric) ------------------ */

static void csv_row(FILE *f, const char *policy, const char *job, const char *metric, double p,
		    double m)
{
	fprintf(f, "%s,%s,%s,", policy, job, metric);
	if (!isnan(p))
		fprintf(f, "%.9g", p);
	fputc(',', f);
	if (!isnan(m))
		fprintf(f, "%.9g", m);
	fputc(',', f);
	if (!isnan(p) && !isnan(m))
		fprintf(f, "%.9g", m - p);
	fputc('\n', f);
}

static int write_csv(const struct bench *b, const char *path)
{
	FILE *f = fopen(path, "we");

	if (!f)
		return -errno;
	fputs("policy,job,metric,predicted,measured,difference\n", f);
	for (size_t i = 0; i < b->n_runs; i++) {
		const struct bench_run *r = &b->runs[i];
		const char *pol = cpool_sched_name(r->policy.sched);

		for (int fi = 0; fi < F__N; fi++)
			csv_row(f, pol, "", figures[fi].key, figure_value(r, fi, false),
				figure_value(r, fi, true));
		for (size_t k = 0; k < r->n_jobs; k++) {
			const struct bench_job *j = &r->jobs[k];
			struct cpool_job_metrics p, m;
			bool hp = bench_job_metrics(j, false, &p),
			     hm = bench_job_metrics(j, true, &m);

			csv_row(f, pol, j->job->id, "start", hp ? j->p_start : NAN,
				hm ? j->m_start : NAN);
			csv_row(f, pol, j->job->id, "end", hp ? j->p_end : NAN,
				hm ? j->m_end : NAN);
			csv_row(f, pol, j->job->id, "wait", hp ? p.wait : NAN, hm ? m.wait : NAN);
			csv_row(f, pol, j->job->id, "response", hp ? p.response : NAN,
				hm ? m.response : NAN);
			csv_row(f, pol, j->job->id, "turnaround", hp ? p.turnaround : NAN,
				hm ? m.turnaround : NAN);
		}
	}
	if (ferror(f)) {
		fclose(f);
		return -EIO;
	}
	return fclose(f) ? -errno : 0;
}

/* ---- plots --------------------------------------------------------------------- */

static FILE *open_in(const struct bench *b, const char *name)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/%s", b->out_dir, name);
	return fopen(path, "we");
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, c = *(const double *)y;

	return (a > c) - (a < c);
}

static int write_plot_data(const struct bench *b)
{
	FILE *f = open_in(b, "utilization.dat");
	double *w = malloc((b->n_jobs ?: 1) * sizeof(*w));

	if (!f || !w) {
		if (f)
			fclose(f);
		free(w);
		return -errno;
	}
	/* One block per run (gnuplot "index i"): t, then one column per VS. */
	for (size_t i = 0; i < b->n_runs; i++) {
		const struct bench_run *r = &b->runs[i];

		fprintf(f, "# %s: t", cpool_sched_name(r->policy.sched));
		for (int v = 0; v < b->n_vs; v++)
			fprintf(f, " %s", b->vs[v].name);
		fputc('\n', f);
		if (!r->n_util)
			fputs("0 ?\n", f);
		for (size_t s = 0; s < r->n_util; s++) {
			fprintf(f, "%.3f", r->util_t[s]);
			for (int v = 0; v < b->n_vs; v++) {
				double u = r->util[s * (size_t)b->n_vs + (size_t)v];

				if (isnan(u))
					fputs(" ?", f);
				else
					fprintf(f, " %.4f", u * 100);
			}
			fputc('\n', f);
		}
		fputs("\n\n", f);
	}
	fclose(f);

	/* Wait CDF: block 2i measured, 2i+1 predicted. */
	f = open_in(b, "wait-cdf.dat");
	if (!f) {
		free(w);
		return -errno;
	}
	for (size_t i = 0; i < b->n_runs; i++) {
		for (int side = 1; side >= 0; side--) {
			const struct bench_run *r = &b->runs[i];
			size_t n = 0;

			for (size_t k = 0; k < r->n_jobs; k++) {
				struct cpool_job_metrics m;

				if (bench_job_metrics(&r->jobs[k], side, &m))
					w[n++] = m.wait;
			}
			qsort(w, n, sizeof(*w), cmp_double);
			fprintf(f, "# %s %s: wait fraction\n", cpool_sched_name(r->policy.sched),
				side ? "measured" : "predicted");
			/* From (first wait, 0), so each step function starts on the axis. */
			fprintf(f, n ? "%.6f 0\n" : "0 ?\n", n ? fmax(0, w[0]) : 0.0);
			for (size_t k = 0; k < n; k++)
				fprintf(f, "%.6f %.6f\n", fmax(0, w[k]),
					(double)(k + 1) / (double)n);
			fputs("\n\n", f);
		}
	}
	fclose(f);
	free(w);

	f = open_in(b, "compare.dat");
	if (!f)
		return -errno;
	fputs("# policy pred_mean_wait meas_mean_wait pred_mean_response meas_mean_response "
	      "pred_makespan meas_makespan pred_rul meas_rul\n",
	      f);
	for (size_t i = 0; i < b->n_runs; i++) {
		const struct bench_run *r = &b->runs[i];
		int fs[] = { F_MEAN_WAIT, F_MEAN_RESPONSE, F_MAKESPAN, F_RUL };

		fputs(cpool_sched_name(r->policy.sched), f);
		for (int k = 0; k < 4; k++) {
			for (int side = 0; side < 2; side++) {
				double v = figure_value(r, fs[k], side);

				if (isnan(v))
					fputs(" ?", f);
				else
					fprintf(f, " %.6f", v * figures[fs[k]].scale);
			}
		}
		fputc('\n', f);
	}
	return fclose(f) ? -errno : 0;
}

static int write_plot_scripts(const struct bench *b)
{
	FILE *f = open_in(b, "utilization.gp");
	int h = 220 * (int)b->n_runs + 60;

	if (!f)
		return -errno;
	fputs("set datafile missing '?'\nset grid\nset key outside right top\n"
	      "set yrange [0:105]\n",
	      f);
	fprintf(f,
		"set multiplot layout %zu,1 title 'utilization per VS over time (cpool top, 1 s samples)'\n",
		b->n_runs);
	for (size_t i = 0; i < b->n_runs; i++) {
		fprintf(f, "set title '%s'\nset ylabel 'RUL %%'\n",
			cpool_sched_name(b->runs[i].policy.sched));
		fprintf(f, "set xlabel '%s'\n",
			i + 1 == b->n_runs ? "seconds since the first submission" : "");
		fputs("plot ", f);
		for (int v = 0; v < b->n_vs; v++)
			fprintf(f,
				"%s'utilization.dat' index %zu using 1:%d with steps lw 2 title '%s'",
				v ? ", " : "", i, v + 2, b->vs[v].name);
		fputc('\n', f);
	}
	fputs("unset multiplot\n", f);
	fclose(f);

	f = open_in(b, "wait-cdf.gp");
	if (!f)
		return -errno;
	fputs("set datafile missing '?'\nset grid\nset key bottom right\n"
	      "set title 'wait time CDF: measured (solid) and predicted (dashed)'\n"
	      "set xlabel 'wait (s)'\nset ylabel 'fraction of jobs'\nset yrange [0:1.02]\nplot ",
	      f);
	for (size_t i = 0; i < b->n_runs; i++) {
		const char *n = cpool_sched_name(b->runs[i].policy.sched);

		fprintf(f,
			"%s'wait-cdf.dat' index %zu using 1:2 with steps lw 2 lc %zu title '%s measured', "
			"'wait-cdf.dat' index %zu using 1:2 with steps lw 1 dt 2 lc %zu title '%s predicted'",
			i ? ", \\\n     " : "", 2 * i, i + 1, n, 2 * i + 1, i + 1, n);
	}
	fputc('\n', f);
	fclose(f);

	f = open_in(b, "compare.gp");
	if (!f)
		return -errno;
	fputs("set datafile missing '?'\nset style data histogram\n"
	      "set style histogram clustered gap 1\nset style fill solid 0.8 border -1\n"
	      "set boxwidth 0.9\nset grid ytics\nset key top left horizontal\n"
	      "set yrange [0:*]\nset offsets 0, 0, graph 0.2, 0\n"
	      "set multiplot layout 2,2 title 'predicted vs measured'\n",
	      f);
	{
		const char *titles[] = { "mean wait (s)", "mean response (s)", "makespan (s)",
					 "RUL (%)" };

		for (int k = 0; k < 4; k++)
			fprintf(f,
				"set title '%s'\nplot 'compare.dat' using %d:xtic(1) title 'predicted' lc rgb '#7f9fbf', "
				"'' using %d title 'measured' lc rgb '#d95f02'\n",
				titles[k], 2 + 2 * k, 3 + 2 * k);
	}
	fputs("unset multiplot\n", f);
	fclose(f);

	f = open_in(b, "plots.gp");
	if (!f)
		return -errno;
	fputs("# Renders the bench plots: cd to this directory, then 'gnuplot plots.gp'.\n", f);
	{
		const char *names[] = { "utilization", "wait-cdf", "compare" };
		int heights[] = { h, 480, 600 };

		for (int k = 0; k < 3; k++) {
			fprintf(f,
				"set terminal pngcairo size 900,%d font ',10'\nset output '%s.png'\nload '%s.gp'\nreset\n"
				"set terminal svg size 900,%d dynamic font ',10'\nset output '%s.svg'\nload '%s.gp'\nreset\n",
				heights[k], names[k], names[k], heights[k], names[k], names[k]);
		}
	}
	fputs("set output\n", f);
	return fclose(f) ? -errno : 0;
}

/* 0 drawn; 1 gnuplot missing or failing (a warning: the data and scripts are there). */
static int render(const struct bench *b, const char *prog)
{
	char log[4200];
	int status;
	pid_t pid;

	snprintf(log, sizeof(log), "%s/gnuplot.log", b->out_dir);
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (chdir(b->out_dir))
			_exit(126);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execlp("gnuplot", "gnuplot", "plots.gp", (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return 1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
		fprintf(stderr,
			"%s: gnuplot is not installed (tools/deps.sh installs gnuplot-nox): plots not drawn; 'cd %s && gnuplot plots.gp' draws them\n",
			prog, b->out_dir);
		return 1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "%s: gnuplot failed drawing the plots: see %s\n", prog, log);
		return 1;
	}
	return 0;
}

int bench_write_results(const struct bench *b, const char *prog)
{
	char path[4200];
	int ret;

	snprintf(path, sizeof(path), "%s/results.json", b->out_dir);
	ret = write_json(b, path);
	if (ret) {
		cli_fail(prog, "writing %s: %s", path, strerror(-ret));
		return ret;
	}
	snprintf(path, sizeof(path), "%s/results.csv", b->out_dir);
	ret = write_csv(b, path);
	if (ret) {
		cli_fail(prog, "writing %s: %s", path, strerror(-ret));
		return ret;
	}
	ret = write_plot_data(b);
	if (!ret)
		ret = write_plot_scripts(b);
	if (ret) {
		cli_fail(prog, "writing the plot data to %s: %s", b->out_dir, strerror(-ret));
		return ret;
	}
	render(b, prog);
	return 0;
}
