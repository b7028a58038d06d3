/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * cpool's metric families, rendered from plain figures: one definition of
 * names, help and labels for cpoold's /metrics and for
 * `cpool metrics --format openmetrics`.  docs/metrics.md lists them.
 * Labels are bounded: cpu, vs, state; never a job.
 */
#ifndef CPOOL_PROMFAMILIES_H
#define CPOOL_PROMFAMILIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpool/kmetrics.h"
#include "cpool/promtext.h"

/* Counters are cumulative: since the collector attached (daemon: since it started). */
struct cpool_prom_vs {
	const char *name;
	bool have_rul; /* the last interval measured its CPUs */
	double rul;
	uint64_t run_ns, preempted;
	uint64_t rq_count, rq_sum_ns;
	const uint64_t *rq_hist; /* CPOOL_KMETRICS_HIST_SLOTS buckets */
};

struct cpool_prom_state_count {
	const char *state;
	uint64_t n;
};

struct cpool_prom_input {
	const struct cpool_kmetrics_cpu *cpus; /* cumulative busy/idle */
	size_t ncpus;
	const struct cpool_prom_vs *vs;
	size_t nvs;
	bool degraded;
	uint64_t failed_updates;
	uint64_t arrival_misses, lost_baselines; /* the BPF program's own (not when degraded) */
	/* The daemon's own; left out when @daemon is false (cpool metrics). */
	bool daemon;
	uint64_t queue_length;
	const struct cpool_prom_state_count *live; /* jobs now, by state */
	size_t nlive;
	const struct cpool_prom_state_count *ended; /* jobs ended since start, by state */
	size_t nended;
	const struct cpool_prom_seconds *job_wait, *job_response;
	double evloop_stall_max_s; /* longest event-loop round in the last window */
	double store_write_s; /* the last metrics-sample write to the store */
};

/* Every family name cpool exports (NULL-terminated), for the dashboard test. */
extern const char *const cpool_prom_family_names[];

void cpool_prom_render(struct cpool_prom *p, const struct cpool_prom_input *in);

#endif /* CPOOL_PROMFAMILIES_H */
