// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * cpool metrics: what the scheduler did, per CPU and per cgroup, every
 * interval — standalone, like bcc's runqlat, no daemon needed.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli_options.h"
#include "command.h"
#include "cpool/collector.h"
#include "cpool/fsutil.h"
#include "cpool/kmetrics.h"
#include "cpool/promfamilies.h"
#include "cpool/units.h"
#include "cpool/vserver.h"

#define PROG "cpool metrics"
#define TOP_PREEMPTORS 3

struct metrics_opts {
	double interval_s;
	long long count; /* 0: until interrupted */
	bool json;
	bool hist;
	bool all;
	bool no_bpf;
	bool no_rqlat;
	bool no_preemptors;
	int format; /* 0: text or --json; else PROM_TEXT or PROM_OPENMETRICS */
	const char *output; /* --output FILE: replaced atomically at each report */
	const char *pool; /* --pool NAME: cgroups under /NAME/VS count for VS */
};

enum { PROM_TEXT = 1, PROM_OPENMETRICS };

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static const struct cli_spec cmd_spec = {
	.prog = PROG,
	.usage =
		"usage: cpool metrics [--interval S] [--count N] [--json] [--hist] [--all] [--no-bpf]\n"
		"                     [--no-rqlat] [--no-preemptors]\n"
		"                     [--format prometheus|openmetrics [--output FILE] [--pool NAME]]",
	.about = "Per-CPU utilization and per-cgroup run time, run-queue latency and preemptions,\n"
		 "measured by eBPF in the scheduler; every interval until --count or Ctrl-C.",
	.json_help = "one JSON object per report, one per line",
	.epilog =
		"Without BPF (no BTF, no privilege, verifier refusal) it says why and reports\n"
		"from /proc/stat and the cgroups' cpu.stat and cpu.pressure, marked \"degraded\".",
};

static int set_format(const struct cli_option *o, const char *arg, struct cpool_error *e)
{
	int *format = o->target;

	if (strcmp(arg, "prometheus") == 0)
		*format = PROM_TEXT;
	else if (strcmp(arg, "openmetrics") == 0)
		*format = PROM_OPENMETRICS;
	else
		return cpool_error_set(e, -EINVAL, "'%s': use prometheus or openmetrics", arg);
	return 0;
}

/* Returns CLI_PARSED, or the exit status (after --help or a usage error). */
static int parse_args(int argc, char **argv, struct metrics_opts *o)
{
	const struct cli_option opts[] = {
		CLI_DURATION('i', "interval", "S", &o->interval_s, 0.1, 0,
			     "seconds between reports, e.g. 1, 250ms (default 1, least 100ms)"),
		CLI_INT('c', "count", "N", &o->count, 1, 0,
			"stop after N reports (default: run until interrupted)"),
		CLI_FLAG('H', "hist", &o->hist, "run-queue latency histograms per cgroup"),
		CLI_FLAG('a', "all", &o->all, "also cgroups that did not run in the interval"),
		CLI_FLAG(0, "no-bpf", &o->no_bpf,
			 "degraded mode on purpose (/proc/stat, cpu.stat, cpu.pressure)"),
		CLI_FLAG(0, "no-rqlat", &o->no_rqlat,
			 "skip run-queue latency in the kernel (cheaper switches)"),
		CLI_FLAG(0, "no-preemptors", &o->no_preemptors,
			 "skip who-preempted-whom in the kernel"),
		CLI_CUSTOM('f', "format", "F", set_format, &o->format,
			   "prometheus (text 0.0.4, for node_exporter's textfile collector)\n"
			   "or openmetrics: counters since start, per CPU and per VS"),
		CLI_STRING('o', "output", "FILE", &o->output,
			   "with --format: replace FILE atomically at each report"),
		CLI_STRING(0, "pool", "NAME", &o->pool,
			   "with --format: the pool whose VSs are labelled (default cpool)"),
		CLI_END,
	};
	struct cli_args a;
	int r;

	*o = (struct metrics_opts){ .interval_s = 1.0, .pool = "cpool" };
	r = cli_parse(&cmd_spec, opts, argc, argv, &a);
	if (r != CLI_PARSED)
		return r;
	o->json = a.json;
	if (o->output && !o->format)
		return cli_usage_error(PROG, "--output needs --format prometheus or openmetrics");
	return CLI_PARSED;
}

static bool cgroup_active(const struct cpool_kmetrics_cgroup *cg)
{
	return cg->run_ns || cg->rqlat_count || cg->scheduled;
}

static const char *cgroup_label(const struct cpool_kmetrics_snapshot *d, uint64_t id, char *buf,
				size_t len)
{
	const struct cpool_kmetrics_cgroup *cg = cpool_kmetrics_find_cgroup(d, id);

	if (cg && cg->path)
		return cg->path;
	snprintf(buf, len, "id:%" PRIu64, id);
	return buf;
}

/* Rows in the order printed: busiest first. */
static int by_run_desc(const void *a, const void *b)
{
	const struct cpool_kmetrics_cgroup *const *x = a, *const *y = b;

	if ((*x)->run_ns != (*y)->run_ns)
		return (*x)->run_ns < (*y)->run_ns ? 1 : -1;
	return (*x)->id < (*y)->id ? -1 : (*x)->id > (*y)->id;
}

static const struct cpool_kmetrics_cgroup **rows_of(const struct cpool_kmetrics_snapshot *d,
						    bool all, size_t *n)
{
	const struct cpool_kmetrics_cgroup **rows = calloc(d->ncgroups + 1, sizeof(*rows));

	*n = 0;
	if (!rows)
		return NULL;
	for (size_t i = 0; i < d->ncgroups; i++)
		if (all || cgroup_active(&d->cgroups[i]))
			rows[(*n)++] = &d->cgroups[i];
	if (*n)
		qsort(rows, *n, sizeof(*rows), by_run_desc);
	return rows;
}

static json_t *json_num(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *report_json(const struct cpool_kmetrics_snapshot *d, const struct metrics_opts *o)
{
	const struct cpool_kmetrics_cgroup **rows;
	struct cpool_kmetrics_cpu_sum sum;
	json_t *root, *cpus, *cgroups;
	size_t nrows;

	root = json_object();
	cpus = json_array();
	cgroups = json_array();
	rows = rows_of(d, o->all, &nrows);
	if (!root || !cpus || !cgroups || !rows)
		goto fail;
	json_object_set_new(root, "mode", json_string(d->degraded ? "degraded" : "bpf"));
	json_object_set_new(root, "degraded", json_boolean(d->degraded));
	if (d->degraded)
		json_object_set_new(root, "reason", json_string(d->reason));
	json_object_set_new(root, "interval_ns", json_integer((json_int_t)d->time_ns));
	json_object_set_new(root, "failed_updates", json_integer((json_int_t)d->failed_updates));
	if (!d->degraded) {
		json_object_set_new(root, "unmatched_switches",
				    json_integer((json_int_t)d->unmatched_switches));
		json_object_set_new(root, "arrival_misses",
				    json_integer((json_int_t)d->arrival_misses));
		json_object_set_new(root, "lost_baselines",
				    json_integer((json_int_t)d->lost_baselines));
	}

	for (size_t i = 0; i < d->ncpus; i++) {
		const struct cpool_kmetrics_cpu *c = &d->cpus[i];
		struct cpool_cpuset one;
		json_t *j = json_object();

		cpool_cpuset_zero(&one);
		cpool_cpuset_set(&one, c->cpu);
		json_object_set_new(j, "cpu", json_integer(c->cpu));
		json_object_set_new(j, "util", json_num(cpool_kmetrics_rul(d, &one)));
		json_object_set_new(j, "busy_ns", json_integer((json_int_t)c->busy_ns));
		json_object_set_new(j, "idle_ns", json_integer((json_int_t)c->idle_ns));
		if (!d->degraded) {
			json_object_set_new(j, "switches", json_integer((json_int_t)c->switches));
			json_object_set_new(j, "switches_per_s",
					    json_num(cpool_kmetrics_rate(c->switches, d->time_ns)));
		}
		json_array_append_new(cpus, j);
	}
	json_object_set_new(root, "cpus", cpus);
	cpus = NULL;

	cpool_kmetrics_cpu_sum(d, NULL, &sum);
	json_object_set_new(
		root, "total",
		json_pack("{s:o, s:I, s:I, s:o}", "rul", json_num(cpool_kmetrics_rul(d, NULL)),
			  "busy_ns", (json_int_t)sum.busy_ns, "idle_ns", (json_int_t)sum.idle_ns,
			  "switches_per_s",
			  d->degraded ? json_null() :
					json_num(cpool_kmetrics_rate(sum.switches, d->time_ns))));

	for (size_t r = 0; r < nrows; r++) {
		const struct cpool_kmetrics_cgroup *cg = rows[r];
		struct cpool_kmetrics_preempt top[TOP_PREEMPTORS];
		size_t ntop = cpool_kmetrics_top_preemptors(d, cg->id, top, TOP_PREEMPTORS);
		json_t *j = json_object(), *tops = json_array();
		char buf[32];

		json_object_set_new(j, "id", json_integer((json_int_t)cg->id));
		json_object_set_new(j, "path", cg->path ? json_string(cg->path) : json_null());
		json_object_set_new(j, "run_ns", json_integer((json_int_t)cg->run_ns));
		if (!d->degraded) {
			json_t *h = json_array();

			json_object_set_new(j, "scheduled",
					    json_integer((json_int_t)cg->scheduled));
			json_object_set_new(j, "preempted",
					    json_integer((json_int_t)cg->preempted));
			for (int k = 0; o->hist && k < CPOOL_KMETRICS_HIST_SLOTS; k++)
				if (cg->rqlat_hist[k])
					json_array_append_new(
						h,
						json_pack("{s:I, s:I, s:I}", "lo_ns",
							  (json_int_t)cpool_kmetrics_hist_lower(k),
							  "hi_ns",
							  (json_int_t)(cpool_kmetrics_hist_lower(
									       k + 1) -
								       1),
							  "count", (json_int_t)cg->rqlat_hist[k]));
			json_object_set_new(
				j, "rqlat",
				json_pack(
					"{s:I, s:I, s:I, s:o, s:o, s:o, s:o}", "count",
					(json_int_t)cg->rqlat_count, "zero",
					(json_int_t)cg->rqlat_hist[0], "sum_ns",
					(json_int_t)cg->rqlat_sum_ns, "mean_ns",
					json_num(cpool_kmetrics_mean(cg->rqlat_sum_ns,
								     cg->rqlat_count)),
					"p50_ns",
					json_num(cpool_kmetrics_hist_quantile(
						cg->rqlat_hist, CPOOL_KMETRICS_HIST_SLOTS, 0.5)),
					"p90_ns",
					json_num(cpool_kmetrics_hist_quantile(
						cg->rqlat_hist, CPOOL_KMETRICS_HIST_SLOTS, 0.9)),
					"p99_ns",
					json_num(cpool_kmetrics_hist_quantile(
						cg->rqlat_hist, CPOOL_KMETRICS_HIST_SLOTS, 0.99))));
			if (o->hist)
				json_object_set_new(json_object_get(j, "rqlat"), "hist_ns", h);
			else
				json_decref(h);
			for (size_t k = 0; k < ntop; k++)
				json_array_append_new(
					tops, json_pack("{s:I, s:s, s:I}", "id",
							(json_int_t)top[k].preemptor, "path",
							cgroup_label(d, top[k].preemptor, buf,
								     sizeof(buf)),
							"count", (json_int_t)top[k].count));
			json_object_set_new(j, "top_preemptors", tops);
		} else {
			json_decref(tops);
		}
		if (cg->stat.have_cpu_stat)
			json_object_set_new(
				j, "cpu_stat",
				json_pack("{s:I, s:I, s:I}", "usage_usec",
					  (json_int_t)cg->stat.usage_usec, "nr_throttled",
					  (json_int_t)cg->stat.nr_throttled, "throttled_usec",
					  (json_int_t)cg->stat.throttled_usec));
		if (cg->stat.have_psi)
			json_object_set_new(j, "psi_some_usec",
					    json_integer((json_int_t)cg->stat.psi_some_usec));
		json_array_append_new(cgroups, j);
	}
	json_object_set_new(root, "cgroups", cgroups);
	free(rows);
	return root;

fail:
	free(rows);
	json_decref(cpus);
	json_decref(cgroups);
	json_decref(root);
	return NULL;
}

static void print_us(FILE *out, double ns)
{
	if (isfinite(ns))
		fprintf(out, " %10.1f", ns / 1000.0);
	else
		fprintf(out, " %10s", "-");
}

static void print_hist(FILE *out, const uint64_t *hist)
{
	uint64_t max = 0;
	int first = -1, last = -1;

	for (int k = 0; k < CPOOL_KMETRICS_HIST_SLOTS; k++) {
		if (hist[k] > max)
			max = hist[k];
		if (hist[k]) {
			if (first < 0)
				first = k;
			last = k;
		}
	}
	if (first < 0)
		return;
	fprintf(out, "    %21s : %-10s %s\n", "run-queue wait (ns)", "count", "distribution");
	for (int k = first; k <= last; k++) {
		int stars = (int)(hist[k] * 40 / max);
		uint64_t lo = cpool_kmetrics_hist_lower(k),
			 hi = cpool_kmetrics_hist_lower(k + 1) - 1;

		if (!hist[k])
			continue;

		fprintf(out, "    %10" PRIu64 " -> %-10" PRIu64 ": %-10" PRIu64 " |%-40.*s|\n", lo,
			hi, hist[k], stars, "****************************************");
	}
}

static void report_text(FILE *out, const struct cpool_kmetrics_snapshot *d,
			const struct metrics_opts *o)
{
	const struct cpool_kmetrics_cgroup **rows;
	struct cpool_kmetrics_cpu_sum sum;
	char when[32], buf[32];
	time_t now = time(NULL);
	size_t nrows;

	strftime(when, sizeof(when), "%H:%M:%S", localtime(&now));
	fprintf(out, "%s  interval %.3f s  %s%s%s", when, (double)d->time_ns / 1e9,
		d->degraded ? "DEGRADED (no BPF: " : "bpf", d->degraded ? d->reason : "",
		d->degraded ? ")" : "");
	if (!d->degraded)
		fprintf(out, "  arrival misses %" PRIu64 "  lost baselines %" PRIu64,
			d->arrival_misses, d->lost_baselines);
	fputc('\n', out);
	if (d->failed_updates)
		fprintf(out, "warning: %" PRIu64 " BPF map updates failed: some counts are low\n",
			d->failed_updates);
	fprintf(out, "%5s %7s %10s %10s %10s\n", "CPU", "UTIL%", "BUSY_MS", "IDLE_MS", "SWITCH/S");
	for (size_t i = 0; i < d->ncpus; i++) {
		const struct cpool_kmetrics_cpu *c = &d->cpus[i];
		struct cpool_cpuset one;

		cpool_cpuset_zero(&one);
		cpool_cpuset_set(&one, c->cpu);
		fprintf(out, "%5d %7.1f %10.1f %10.1f", c->cpu, 100 * cpool_kmetrics_rul(d, &one),
			(double)c->busy_ns / 1e6, (double)c->idle_ns / 1e6);
		if (d->degraded)
			fprintf(out, " %10s\n", "-");
		else
			fprintf(out, " %10.0f\n", cpool_kmetrics_rate(c->switches, d->time_ns));
	}
	cpool_kmetrics_cpu_sum(d, NULL, &sum);
	fprintf(out, "%5s %7.1f %10.1f %10.1f", "all", 100 * cpool_kmetrics_rul(d, NULL),
		(double)sum.busy_ns / 1e6, (double)sum.idle_ns / 1e6);
	if (d->degraded)
		fprintf(out, " %10s\n", "-");
	else
		fprintf(out, " %10.0f\n", cpool_kmetrics_rate(sum.switches, d->time_ns));

	rows = rows_of(d, o->all, &nrows);
	if (!rows)
		return;
	if (nrows) {
		fprintf(out, "\n%10s %8s %8s %10s %10s %10s %10s %9s %9s  %-s\n", "CPU_MS", "SCHED",
			"PREEMPT", "RQ_P50_US", "RQ_P90_US", "RQ_P99_US", "RQ_MEAN_US", "THROT_MS",
			"PSI_MS", "CGROUP (top preemptor)");
	}
	for (size_t r = 0; r < nrows; r++) {
		const struct cpool_kmetrics_cgroup *cg = rows[r];
		struct cpool_kmetrics_preempt top;

		fprintf(out, "%10.1f", (double)cg->run_ns / 1e6);
		if (d->degraded) {
			fprintf(out, " %8s %8s %10s %10s %10s %10s", "-", "-", "-", "-", "-", "-");
		} else {
			fprintf(out, " %8" PRIu64 " %8" PRIu64, cg->scheduled, cg->preempted);
			print_us(out, cpool_kmetrics_hist_quantile(cg->rqlat_hist,
								   CPOOL_KMETRICS_HIST_SLOTS, 0.5));
			print_us(out, cpool_kmetrics_hist_quantile(cg->rqlat_hist,
								   CPOOL_KMETRICS_HIST_SLOTS, 0.9));
			print_us(out, cpool_kmetrics_hist_quantile(
					      cg->rqlat_hist, CPOOL_KMETRICS_HIST_SLOTS, 0.99));
			print_us(out, cpool_kmetrics_mean(cg->rqlat_sum_ns, cg->rqlat_count));
		}
		if (cg->stat.have_cpu_stat)
			fprintf(out, " %9.1f", (double)cg->stat.throttled_usec / 1e3);
		else
			fprintf(out, " %9s", "-");
		if (cg->stat.have_psi)
			fprintf(out, " %9.1f", (double)cg->stat.psi_some_usec / 1e3);
		else
			fprintf(out, " %9s", "-");
		fprintf(out, "  %s",
			cg->path ? cg->path : cgroup_label(d, cg->id, buf, sizeof(buf)));
		if (!d->degraded && cpool_kmetrics_top_preemptors(d, cg->id, &top, 1))
			fprintf(out, " (%s x%" PRIu64 ")",
				cgroup_label(d, top.preemptor, buf, sizeof(buf)), top.count);
		fputc('\n', out);
		if (o->hist && !d->degraded)
			print_hist(out, cg->rqlat_hist);
	}
	fputc('\n', out);
	free(rows);
}

/* "/POOL/VS" or below, and the VS's name; whole-subtree sums need BPF's own-task figures. */
static bool vs_of(const char *path, const char *pool, char *vs, size_t len, bool *vs_itself)
{
	size_t plen = strlen(pool), n;

	if (!path || path[0] != '/' || strncmp(path + 1, pool, plen) != 0 || path[1 + plen] != '/')
		return false;
	path += 2 + plen;
	n = strcspn(path, "/");
	if (!n || n >= len)
		return false;
	memcpy(vs, path, n);
	vs[n] = '\0';
	*vs_itself = path[n] == '\0';
	return true;
}

/* The families of cpoold's /metrics that need no daemon, from counters since start. */
static int report_prom(const struct cpool_kmetrics_snapshot *cum, const struct metrics_opts *o)
{
	struct cpool_prom_vs *vs = calloc(cum->ncgroups + 1, sizeof(*vs));
	uint64_t(*hist)[CPOOL_KMETRICS_HIST_SLOTS] = calloc(cum->ncgroups + 1, sizeof(*hist));
	char(*names)[CPOOL_VS_NAME_MAX + 1] = calloc(cum->ncgroups + 1, sizeof(*names));
	struct cpool_prom_input in = { .cpus = cum->cpus,
				       .ncpus = cum->ncpus,
				       .degraded = cum->degraded,
				       .failed_updates = cum->failed_updates,
				       .arrival_misses = cum->arrival_misses,
				       .lost_baselines = cum->lost_baselines };
	struct cpool_prom p;
	size_t nvs = 0;
	int err = -ENOMEM;

	if (!vs || !hist || !names)
		goto out;
	for (size_t i = 0; i < cum->ncgroups; i++) {
		const struct cpool_kmetrics_cgroup *cg = &cum->cgroups[i];
		char name[CPOOL_VS_NAME_MAX + 1];
		bool itself;
		size_t k;

		/* Degraded, run_ns is cpu.stat's usage: the VS's own cgroup holds the subtree's. */
		if (!vs_of(cg->path, o->pool, name, sizeof(name), &itself) ||
		    (cum->degraded && !itself))
			continue;
		for (k = 0; k < nvs && strcmp(names[k], name) != 0; k++)
			;
		if (k == nvs) {
			memcpy(names[nvs], name, sizeof(name));
			vs[nvs] =
				(struct cpool_prom_vs){ .name = names[nvs], .rq_hist = hist[nvs] };
			nvs++;
		}
		vs[k].run_ns += cg->run_ns;
		vs[k].preempted += cg->preempted;
		vs[k].rq_count += cg->rqlat_count;
		vs[k].rq_sum_ns += cg->rqlat_sum_ns;
		for (int s = 0; s < CPOOL_KMETRICS_HIST_SLOTS; s++)
			hist[k][s] += cg->rqlat_hist[s];
	}
	in.vs = vs;
	in.nvs = nvs;
	cpool_prom_init(&p, o->format == PROM_OPENMETRICS);
	cpool_prom_render(&p, &in);
	err = cpool_prom_finish(&p);
	if (!err && o->output) {
		err = cpool_write_file_atomic(o->output, p.buf, p.len);
		if (err)
			fprintf(stderr, "cpool metrics: write %s: %s\n", o->output, strerror(-err));
	} else if (!err) {
		fwrite(p.buf, 1, p.len, stdout);
	}
	cpool_prom_free(&p);
out:
	free(vs);
	free(hist);
	free(names);
	return err;
}

static void sleep_until(struct timespec *next, double interval_s)
{
	long ns = (long)((interval_s - (long)interval_s) * 1e9);

	next->tv_sec += (time_t)interval_s;
	next->tv_nsec += ns;
	if (next->tv_nsec >= 1000000000L) {
		next->tv_sec++;
		next->tv_nsec -= 1000000000L;
	}
	while (!stop_requested &&
	       clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, next, NULL) == EINTR)
		;
}

static int cmd_metrics(int argc, char **argv)
{
	struct cpool_kmetrics_snapshot prev = { 0 }, cur = { 0 }, delta = { 0 };
	struct cpool_collector_opts copts = { 0 };
	struct cpool_collector *col = NULL;
	struct metrics_opts o;
	struct sigaction sa = { .sa_handler = on_signal };
	struct timespec next;
	int err, status = 0;

	err = parse_args(argc, argv, &o);
	if (err != CLI_PARSED)
		return err;

	copts.no_bpf = o.no_bpf;
	copts.no_rqlat = o.no_rqlat;
	copts.no_preemptors = o.no_preemptors;
	err = cpool_collector_open(&copts, &col);
	if (err) {
		fprintf(stderr, "cpool metrics: starting the collector: %s\n", strerror(-err));
		return 1;
	}
	if (cpool_collector_degraded(col))
		fprintf(stderr,
			"cpool metrics: warning: BPF unavailable: %s; degraded mode from /proc/stat and cgroup cpu.stat/cpu.pressure\n",
			cpool_collector_reason(col));

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	err = cpool_collector_read(col, &prev);
	if (err) {
		fprintf(stderr, "cpool metrics: reading the counters: %s\n", strerror(-err));
		status = 1;
		goto cleanup;
	}
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (long n = 0; !stop_requested && (!o.count || n < o.count); n++) {
		sleep_until(&next, o.interval_s);
		if (stop_requested)
			break;
		err = cpool_collector_read(col, &cur);
		if (!err)
			err = cpool_kmetrics_diff(&prev, &cur, &delta);
		if (err) {
			fprintf(stderr, "cpool metrics: reading the counters: %s\n",
				strerror(-err));
			status = 1;
			break;
		}
		if (o.format) {
			if (report_prom(&cur, &o)) {
				status = 1;
				break;
			}
		} else if (o.json) {
			json_t *j = report_json(&delta, &o);

			if (!j || json_dumpf(j, stdout, JSON_COMPACT) < 0) {
				json_decref(j);
				fprintf(stderr,
					"cpool metrics: building the JSON report: out of memory\n");
				status = 1;
				break;
			}
			json_decref(j);
			putchar('\n');
		} else {
			report_text(stdout, &delta, &o);
		}
		fflush(stdout);
		cpool_kmetrics_snapshot_free(&delta);
		cpool_kmetrics_snapshot_free(&prev);
		prev = cur;
		memset(&cur, 0, sizeof(cur));
	}

cleanup:
	cpool_kmetrics_snapshot_free(&delta);
	cpool_kmetrics_snapshot_free(&cur);
	cpool_kmetrics_snapshot_free(&prev);
	cpool_collector_close(col);
	return status;
}

CPOOL_COMMAND(metrics, "metrics", "per-CPU and per-cgroup scheduler metrics (eBPF)", cmd_metrics);
