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
#include <time.h>

#include "cpoold.h"
#include "cpool/metrics.h"
#include "cpool/promfamilies.h"

#define METRICS_INTERVAL_NS 1000000000ULL
/* Event-loop stalls are exported as the longest round of the last minute. */
#define STALL_WINDOWS 60

/* A VS's counters since cpoold started, kept by name: VSs come and go. */
struct vs_totals {
	char name[CPOOL_VS_NAME_MAX + 1];
	uint64_t run_ns, preempted, rq_count, rq_sum_ns;
	uint64_t rq_hist[CPOOL_KMETRICS_HIST_SLOTS];
};

struct metrics_export {
	struct vs_totals *vs;
	size_t nvs;
	uint64_t ended[CPOOL_JOB__COUNT];
	struct cpool_prom_seconds wait, response;
	uint64_t stall_ns[STALL_WINDOWS];
	unsigned int stall_next;
	double store_write_s;
	struct metrics_tick_cost tick;
	bool walk_logged; /* that cgroup ids are resolved by walks */
};

static struct vs_totals *vs_totals(struct cpoold *d, const char *name)
{
	struct metrics_export *x = d->export;
	struct vs_totals *grown;

	for (size_t i = 0; i < x->nvs; i++)
		if (strcmp(x->vs[i].name, name) == 0)
			return &x->vs[i];
	grown = realloc(x->vs, (x->nvs + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	x->vs = grown;
	memset(&grown[x->nvs], 0, sizeof(*grown));
	snprintf(grown[x->nvs].name, sizeof(grown->name), "%s", name);
	return &grown[x->nvs++];
}

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

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* *@store_ns: the part spent queueing and writing samples. */
static void fold(struct cpoold *d, const struct cpool_kmetrics_snapshot *delta, uint64_t *store_ns)
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
		if (d->export) {
			struct vs_totals *tot = vs_totals(d, d->vs[v].vs.name);

			if (tot) {
				tot->run_ns += cg->run_ns;
				tot->preempted += cg->preempted;
				tot->rq_count += cg->rqlat_count;
				tot->rq_sum_ns += cg->rqlat_sum_ns;
				for (int s = 0; s < CPOOL_KMETRICS_HIST_SLOTS; s++)
					tot->rq_hist[s] += cg->rqlat_hist[s];
			}
		}
		if (id && (j = jobs_find(d, id))) {
			share_charge(d, j->rec.uid, cg->run_ns);
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

		s->measured = !isnan(rul);
		s->rul = isnan(rul) ? 0 : rul;
		/* No wait measured in the window: nothing was queued there. */
		s->rq_p50_us = isnan(p50) ? 0 : (int64_t)(p50 / 1000);
		s->rq_p99_us = isnan(p99) ? 0 : (int64_t)(p99 / 1000);
		sample = (struct cpool_vs_sample){ .time = t,
						   .vs = s->vs.name,
						   .rul = s->rul,
						   .rq_p50_ns = (uint64_t)(s->rq_p50_us * 1000),
						   .rq_p99_ns = (uint64_t)(s->rq_p99_us * 1000),
						   .queued = s->n_queued,
						   .running = s->n_running,
						   .degraded = delta->degraded };
		{
			struct cpool_kmetrics_cpu_sum sum;

			cpool_kmetrics_cpu_sum(delta, &s->vs.cpus, &sum);
			sample.cpu_usec = sum.busy_ns / 1000;
		}
		{
			uint64_t t0 = mono_ns();
			double took = samples_add(d, &sample);

			*store_ns += mono_ns() - t0;
			if (took > 0 && d->export)
				d->export->store_write_s = took;
		}
	}
	free(hist);
}

static const char *const live_states[] = { "queued", "running", "frozen" };

/*
 * Forgets the totals of destroyed VSs: VS names come from API users, so
 * keeping every name ever seen would grow without bound.  A VS made again
 * under that name starts from zero, a reset Prometheus's rate() absorbs.
 */
static void prune_totals(struct cpoold *d)
{
	struct metrics_export *x = d->export;
	size_t kept = 0;

	for (size_t i = 0; i < x->nvs; i++)
		if (pool_find(d, x->vs[i].name))
			x->vs[kept++] = x->vs[i];
	x->nvs = kept;
}

/* The loop's longest round of each second, for "the longest of the last minute". */
static void note_stall_window(struct cpoold *d)
{
	struct cpool_evloop_stats st;

	cpool_evloop_stats(d->loop, &st, true);
	d->export->stall_ns[d->export->stall_next++ % STALL_WINDOWS] = st.stall_window_ns;
}

/* Renders both formats from the daemon's figures and hands them to the server (a scrape asked). */
void metrics_publish(struct cpoold *d)
{
	struct metrics_export *x = d->export;
	struct cpool_prom_state_count live[3], ended[CPOOL_JOB__COUNT];
	struct cpool_prom_vs *vs = calloc((size_t)d->n_vs + 1, sizeof(*vs));
	struct cpool_evloop_stats st;
	struct cpool_prom_input in;
	struct cpool_prom text, om;
	struct cpool_kmetrics_snapshot now = { 0 };
	const struct cpool_kmetrics_snapshot *cpus = &d->last;
	uint64_t stall = 0;
	size_t nended = 0;

	if (!d->have_last || !vs) {
		free(vs);
		http_publish(d, NULL, 0, NULL, 0); /* nothing measured yet */
		return;
	}
	/*
	 * The CPUs as of this scrape, not of the last tick: a sample stamped
	 * with the scrape's time must hold the time up to it, or a rate over
	 * a few scrapes is off by up to a tick in either direction.
	 */
	if (cpool_collector_read_cpus(d->collector, &now) == 0)
		cpus = &now;
	/* This second's round so far counts too. */
	cpool_evloop_stats(d->loop, &st, false);
	stall = st.stall_window_ns;
	for (int i = 0; i < STALL_WINDOWS; i++)
		if (x->stall_ns[i] > stall)
			stall = x->stall_ns[i];
	for (int i = 0; i < 3; i++)
		live[i] = (struct cpool_prom_state_count){ live_states[i], 0 };
	for (struct djob *j = d->jobs; j; j = j->next) {
		if (j->rec.state == CPOOL_JOB_QUEUED)
			live[0].n++;
		else if (j->rec.state == CPOOL_JOB_RUNNING)
			live[1].n++;
		else if (j->rec.state == CPOOL_JOB_FROZEN)
			live[2].n++;
	}
	for (int s = CPOOL_JOB_DONE; s < CPOOL_JOB__COUNT; s++)
		ended[nended++] = (struct cpool_prom_state_count){
			cpool_job_state_name((enum cpool_job_state)s), x->ended[s]
		};
	for (int v = 0; v < d->n_vs; v++) {
		const struct vsrv *s = &d->vs[v];
		const struct vs_totals *tot = vs_totals(d, s->vs.name);
		static const uint64_t none[CPOOL_KMETRICS_HIST_SLOTS];

		vs[v] = (struct cpool_prom_vs){
			.name = s->vs.name, .have_rul = s->measured, .rul = s->rul, .rq_hist = none
		};
		if (tot) {
			vs[v].run_ns = tot->run_ns;
			vs[v].preempted = tot->preempted;
			vs[v].rq_count = tot->rq_count;
			vs[v].rq_sum_ns = tot->rq_sum_ns;
			vs[v].rq_hist = tot->rq_hist;
		}
	}
	in = (struct cpool_prom_input){ .cpus = cpus->cpus,
					.ncpus = cpus->ncpus,
					.vs = vs,
					.nvs = (size_t)d->n_vs,
					.degraded = metrics_degraded(d),
					.failed_updates = cpus->failed_updates,
					.arrival_misses = cpus->arrival_misses,
					.lost_baselines = cpus->lost_baselines,
					.daemon = true,
					.queue_length = live[0].n + live[2].n,
					.live = live,
					.nlive = 3,
					.ended = ended,
					.nended = nended,
					.job_wait = &x->wait,
					.job_response = &x->response,
					.evloop_stall_max_s = (double)stall / 1e9,
					.store_write_s = x->store_write_s };
	cpool_prom_init(&text, false);
	cpool_prom_init(&om, true);
	cpool_prom_render(&text, &in);
	cpool_prom_render(&om, &in);
	free(vs);
	cpool_kmetrics_snapshot_free(&now);
	if (cpool_prom_finish(&text) || cpool_prom_finish(&om)) {
		cpool_prom_free(&text);
		cpool_prom_free(&om);
		return; /* out of memory: scrapers get the last document */
	}
	http_publish(d, text.buf, text.len, om.buf, om.len);
}

void metrics_job_ended(struct cpoold *d, const struct cpool_jobrec *r)
{
	struct cpool_job_times t = { .submit = r->submit_time,
				     .first_start =
					     r->first_start > 0 ? r->first_start : r->end_time,
				     .end = r->end_time,
				     .runtime = r->run_time };
	struct cpool_job_metrics m;

	if (!d->export || r->state < CPOOL_JOB_DONE || r->state >= CPOOL_JOB__COUNT)
		return;
	d->export->ended[r->state]++;
	cpool_metrics_job(&t, &m);
	cpool_prom_seconds_observe(&d->export->wait, m.wait);
	cpool_prom_seconds_observe(&d->export->response, m.response);
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* A tick's wall-clock parts. */
struct tick_parts {
	uint64_t read_ns, fold_ns, store_ns;
};

/*
 * The tick's own CPU time, counted for the stats op: the wall clock of a
 * round (its stall) also holds whatever else the machine ran, which
 * under the lab's emulator is most of it.  The wall-clock parts say where
 * a long tick went.
 */
static void count_tick_cost(struct cpoold *d, uint64_t since, const struct tick_parts *p)
{
	struct metrics_tick_cost *t;
	uint64_t ns = thread_cpu_ns() - since, wall = p->read_ns + p->fold_ns + p->store_ns;

	if (!d->export)
		return;
	t = &d->export->tick;
	t->ticks++;
	t->cpu_ns += ns;
	t->last_cpu_ns = ns;
	if (ns > t->max_cpu_ns)
		t->max_cpu_ns = ns;
	t->read_ns += p->read_ns;
	t->fold_ns += p->fold_ns;
	t->store_ns += p->store_ns;
	if (wall > t->max_wall_ns) {
		t->max_wall_ns = wall;
		t->max_read_ns = p->read_ns;
		t->max_fold_ns = p->fold_ns;
		t->max_store_ns = p->store_ns;
	}
}

/* Walking the cgroup tree for ids costs seconds with many cgroups: said once. */
static void log_walks_once(struct cpoold *d)
{
	struct cpool_collector_ids ids;

	if (!d->export || d->export->walk_logged || cpool_collector_degraded(d->collector))
		return;
	cpool_collector_id_stats(d->collector, &ids);
	if (!ids.walk_reason)
		return;
	d->export->walk_logged = true;
	log_warn("metrics: cgroup ids are resolved by walking the cgroup tree, slow with many "
		 "cgroups: %s",
		 ids.walk_reason);
}

void metrics_tick_cost(struct cpoold *d, struct metrics_tick_cost *out)
{
	if (d->export)
		*out = d->export->tick;
	else
		memset(out, 0, sizeof(*out));
}

static void on_tick(struct cpool_evsource *src, uint32_t events, void *data)
{
	struct cpoold *d = data;
	struct cpool_kmetrics_snapshot cur = { 0 }, delta = { 0 };
	uint64_t t0 = thread_cpu_ns(), w0 = mono_ns(), w1;
	struct tick_parts parts = { 0 };
	int r;

	(void)src;
	(void)events;
	r = cpool_collector_read(d->collector, &cur);
	w1 = mono_ns();
	parts.read_ns = w1 - w0;
	log_walks_once(d);
	if (r) {
		log_warn("read the kernel metrics: %s", strerror(-r));
		count_tick_cost(d, t0, &parts);
		return;
	}
	if (d->have_last && cpool_kmetrics_diff(&d->last, &cur, &delta) == 0) {
		cpool_kmetrics_snapshot_free(&d->window);
		d->window = delta;
		if (d->export)
			prune_totals(d);
		fold(d, &d->window, &parts.store_ns);
		/* Policies that read measurements may now decide differently. */
		if (d->policy.place >= CPOOL_PLACE_LEAST_LOADED || d->policy.admit_p99_us)
			sched_kick(d);
	}
	cpool_kmetrics_snapshot_free(&d->last);
	d->last = cur;
	d->have_last = true;
	if (d->export)
		note_stall_window(d);
	/* The fold's time less the samples it queued or wrote, which count as store. */
	w0 = mono_ns();
	parts.fold_ns = w0 - w1 - parts.store_ns;
	share_flush_due(d);
	parts.store_ns += mono_ns() - w0;
	count_tick_cost(d, t0, &parts);
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
	struct cpool_collector_opts o = {
		.cgroup_root = CPOOL_CG_MOUNT,
		.idle_from_switches = true,
		/* Who preempted whom: nothing here reads it, and it costs every switch. */
		.no_preemptors = true,
		/*
		 * Nothing here reads cpu.stat or cpu.pressure from the snapshot:
		 * run time comes from the map, a job's CPU time from its leaf's
		 * cpu.stat once, at its end (attach.c).  The degraded mode still
		 * reads them under the pool's root, for its run time.
		 */
		.no_cgroup_files = true,
		.stat_subtree = d->pool.root
	};
	struct cpool_evsource *tick;
	int r;

	r = cpool_collector_open(&o, &d->collector);
	if (r) {
		log_err("open the metrics collector: %s", strerror(-r));
		return r;
	}
	if (cpool_collector_degraded(d->collector))
		log_warn("metrics degraded (cgroup files and /proc/stat, no run-queue latency): %s",
			 cpool_collector_reason(d->collector));
	d->export = calloc(1, sizeof(*d->export));
	if (!d->export)
		return -ENOMEM;
	log_walks_once(d);
	/* A port in use is reported and the daemon runs on: scheduling matters more. */
	http_start(d, d->cfg.metrics_listen);
	r = cpool_evloop_add_timer(d->loop, METRICS_INTERVAL_NS, METRICS_INTERVAL_NS, on_tick, d,
				   &tick);
	if (r == 0)
		cpool_evsource_set_name(tick, "metrics tick");
	return r;
}

void metrics_close(struct cpoold *d)
{
	samples_free(d);
	http_stop(d);
	if (d->export)
		free(d->export->vs);
	free(d->export);
	d->export = NULL;
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
