// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * What the kernel measured, every interval: the collector's snapshot is
 * differenced against the last one and folded into per-VS utilization
 * (RUL over the VS's own CPUs) and run-queue latency (over its job
 * leaves), per-CPU utilization for `cpool top`, and per-job run-queue
 * latency for the accounting.  The VS figures feed least-loaded,
 * lowest-latency and admission; a sample of each goes to the store.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpoold.h"

#define METRICS_INTERVAL_NS 1000000000ULL

/* "/pool/vs/job-12" or "pool/vs/job-12" -> VS index and job id (0 if none). */
static int locate(struct cpoold *d, const char *path, int64_t *job)
{
	size_t rlen = strlen(d->pool.root);
	const char *p = path;
	char vs[CPOOL_VS_NAME_MAX + 1];
	size_t n;

	*job = 0;
	if (!p)
		return -1;
	while (*p == '/')
		p++;
	if (strncmp(p, d->pool.root, rlen) != 0 || p[rlen] != '/')
		return -1;
	p += rlen + 1;
	n = strcspn(p, "/");
	if (n == 0 || n > CPOOL_VS_NAME_MAX)
		return -1;
	memcpy(vs, p, n);
	vs[n] = '\0';
	if (p[n] == '/' && strncmp(p + n + 1, "job-", 4) == 0)
		*job = strtoll(p + n + 5, NULL, 10);
	return pool_index(d, vs);
}

static void fold(struct cpoold *d, const struct cpool_kmetrics_snapshot *delta)
{
	uint64_t(*hist)[CPOOL_KMETRICS_HIST_SLOTS] = calloc((size_t)d->n_vs + 1, sizeof(*hist));
	double t = now_s();

	if (!hist)
		return;
	for (size_t i = 0; i < delta->ncgroups; i++) {
		const struct cpool_kmetrics_cgroup *cg = &delta->cgroups[i];
		int64_t id;
		int v = locate(d, cg->path, &id);
		struct djob *j;

		if (v < 0)
			continue;
		for (int s = 0; s < CPOOL_KMETRICS_HIST_SLOTS; s++)
			hist[v][s] += cg->rqlat_hist[s];
		if (id && (j = jobs_find(d, id))) {
			j->rec.rq_lat_sum_ns += cg->rqlat_sum_ns;
			j->rec.rq_lat_count += cg->rqlat_count;
			for (int s = 0; s < CPOOL_KMETRICS_HIST_SLOTS; s++)
				j->rq_hist[s] += cg->rqlat_hist[s];
			if (j->rec.rq_lat_count) {
				double p99 = cpool_kmetrics_hist_quantile(
					j->rq_hist, CPOOL_KMETRICS_HIST_SLOTS, 0.99);

				j->rec.rq_lat_p99_ns = isnan(p99) ? 0 : (uint64_t)p99;
			}
		}
	}
	for (int v = 0; v < d->n_vs; v++) {
		struct vsrv *s = &d->vs[v];
		double rul = cpool_kmetrics_rul(delta, &s->vs.cpus);
		double p50 = cpool_kmetrics_hist_quantile(hist[v], CPOOL_KMETRICS_HIST_SLOTS, 0.5);
		double p99 = cpool_kmetrics_hist_quantile(hist[v], CPOOL_KMETRICS_HIST_SLOTS, 0.99);
		struct cpool_vs_sample sample;
		int queued, running;

		s->measured = !isnan(rul);
		s->rul = isnan(rul) ? 0 : rul;
		/* No wait measured in the window: nothing was queued there. */
		s->rq_p50_us = isnan(p50) ? 0 : (int64_t)(p50 / 1000);
		s->rq_p99_us = isnan(p99) ? 0 : (int64_t)(p99 / 1000);
		pool_vs_jobs(d, s, &running, &queued);
		sample = (struct cpool_vs_sample){ .time = t,
						   .vs = s->vs.name,
						   .rul = s->rul,
						   .rq_p50_ns = (uint64_t)(s->rq_p50_us * 1000),
						   .rq_p99_ns = (uint64_t)(s->rq_p99_us * 1000),
						   .queued = queued,
						   .running = running,
						   .degraded = delta->degraded };
		{
			struct cpool_kmetrics_cpu_sum sum;

			cpool_kmetrics_cpu_sum(delta, &s->vs.cpus, &sum);
			sample.cpu_usec = sum.busy_ns / 1000;
		}
		if (cpool_store_sample_insert(d->store, &sample))
			log_debug("store a metrics sample: %s", cpool_store_errmsg(d->store));
	}
	free(hist);
}

static void on_tick(struct cpool_evsource *src, uint32_t events, void *data)
{
	struct cpoold *d = data;
	struct cpool_kmetrics_snapshot cur = { 0 }, delta = { 0 };
	int r;

	(void)src;
	(void)events;
	r = cpool_collector_read(d->collector, &cur);
	if (r) {
		log_warn("read the kernel metrics: %s", strerror(-r));
		return;
	}
	if (d->have_last && cpool_kmetrics_diff(&d->last, &cur, &delta) == 0) {
		cpool_kmetrics_snapshot_free(&d->window);
		d->window = delta;
		fold(d, &d->window);
		/* Policies that read measurements may now decide differently. */
		if (d->policy.place >= CPOOL_PLACE_LEAST_LOADED || d->policy.admit_p99_us)
			sched_kick(d);
	}
	cpool_kmetrics_snapshot_free(&d->last);
	d->last = cur;
	d->have_last = true;
}

int metrics_init(struct cpoold *d)
{
	/*
	 * The daemon's idle is the idle task's time, as issue 5 defines per-CPU
	 * idle: it needs only the sched_switch program, no trampolines on the
	 * kernel's idle-loop functions in a process that attaches at every
	 * start (multi-threaded TCG in the lab can crash the guest while such
	 * hot functions are patched).  `cpool metrics` measures idle the way
	 * /proc/stat does (docs/metrics.md).
	 */
	struct cpool_collector_opts o = { .cgroup_root = CPOOL_CG_MOUNT,
					  .idle_from_switches = true };
	int r;

	r = cpool_collector_open(&o, &d->collector);
	if (r) {
		log_err("open the metrics collector: %s", strerror(-r));
		return r;
	}
	if (cpool_collector_degraded(d->collector))
		log_warn("metrics degraded (cgroup files and /proc/stat, no run-queue latency): %s",
			 cpool_collector_reason(d->collector));
	return cpool_evloop_add_timer(d->loop, METRICS_INTERVAL_NS, METRICS_INTERVAL_NS, on_tick, d,
				      NULL);
}

void metrics_close(struct cpoold *d)
{
	cpool_kmetrics_snapshot_free(&d->last);
	cpool_kmetrics_snapshot_free(&d->window);
	cpool_collector_close(d->collector);
}

json_t *metrics_top_cpus(struct cpoold *d)
{
	json_t *cpus = json_array();

	for (size_t i = 0; i < d->window.ncpus; i++) {
		const struct cpool_kmetrics_cpu *c = &d->window.cpus[i];
		uint64_t total = c->busy_ns + c->idle_ns;

		json_array_append_new(cpus,
				      json_pack("{s:i, s:f}", "cpu", c->cpu, "util",
						total ? (double)c->busy_ns / (double)total : 0.0));
	}
	return cpus;
}

bool metrics_degraded(struct cpoold *d)
{
	return d->collector && cpool_collector_degraded(d->collector);
}
