/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Kernel-level metrics: snapshots of cumulative counters taken by the
 * collector (userspace/sys/collector.c) and the pure math over them —
 * differencing two snapshots, utilization (RUL) over a set of CPUs,
 * run-queue latency percentiles from log-linear histograms.
 *
 * A snapshot holds counters since the programs were attached; a delta holds
 * what happened between two snapshots.  Same structs for both: a delta is a
 * snapshot whose counters start at zero.
 */
#ifndef CPOOL_KMETRICS_H
#define CPOOL_KMETRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpool/bpf_metrics.h"
#include "cpool/cpuset.h"

/* The log-linear layout of bpf_metrics.h (cpool_hist_slot()). */
#define CPOOL_KMETRICS_HIST_SLOTS CPOOL_BPF_HIST_SLOTS
#define CPOOL_KMETRICS_REASON_MAX 512

struct cpool_kmetrics_cpu {
	int cpu;
	uint64_t busy_ns;
	uint64_t idle_ns;
	uint64_t switches; /* 0 in degraded mode: /proc/stat has no per-CPU count */
};

/* Values read from the cgroup's own files (both modes). */
struct cpool_kmetrics_cgstat {
	bool have_cpu_stat;
	uint64_t usage_usec; /* cpu.stat: hierarchical */
	uint64_t nr_throttled; /* cpu.stat, 0 without the cpu controller */
	uint64_t throttled_usec; /* cpu.stat */
	bool have_psi;
	uint64_t psi_some_usec; /* cpu.pressure "some total=" */
};

struct cpool_kmetrics_cgroup {
	uint64_t id; /* cgroup v2 id = inode number of its directory */
	char *path; /* relative to the cgroup2 mount ("/" = root); NULL = unknown */
	uint64_t run_ns; /* its own tasks; degraded: cpu.stat usage (hierarchical) */
	uint64_t scheduled;
	uint64_t preempted;
	uint64_t rqlat_count;
	uint64_t rqlat_sum_ns;
	uint64_t rqlat_hist[CPOOL_KMETRICS_HIST_SLOTS];
	struct cpool_kmetrics_cgstat stat;
};

struct cpool_kmetrics_preempt {
	uint64_t victim;
	uint64_t preemptor;
	uint64_t count;
};

struct cpool_kmetrics_snapshot {
	uint64_t time_ns; /* CLOCK_MONOTONIC when read */
	bool degraded; /* no BPF: /proc/stat and cgroup files only */
	char reason[CPOOL_KMETRICS_REASON_MAX]; /* why degraded */
	size_t ncpus;
	struct cpool_kmetrics_cpu *cpus; /* sorted by cpu */
	size_t ncgroups;
	struct cpool_kmetrics_cgroup *cgroups; /* sorted by id */
	size_t npreempts;
	struct cpool_kmetrics_preempt *preempts; /* sorted by (victim, preemptor) */
	uint64_t failed_updates; /* BPF map updates that failed: counts may be low */
	/* switches whose prev the programs had not seen switched in (charged by the clock) */
	uint64_t unmatched_switches;
	/* switches whose next was not in the CPU's arrival cache (its task storage was taken) */
	uint64_t arrival_misses;
	/* queued tasks moved to another CPU whose wait's baseline was found nowhere */
	uint64_t lost_baselines;
};

/* Frees the arrays and paths; the struct itself is the caller's. */
void cpool_kmetrics_snapshot_free(struct cpool_kmetrics_snapshot *s);

/* Sorts cpus, cgroups and preempts into the documented order. */
void cpool_kmetrics_snapshot_sort(struct cpool_kmetrics_snapshot *s);

/*
 * @out = @cur - @prev.  A CPU, cgroup or pair missing from @prev counts from
 * zero, except a new cgroup's cpu.stat/cpu.pressure values, which have no
 * baseline and are left out (have_* false); a counter that went backwards
 * (entry recreated) counts from zero too.  Items only in @prev are dropped.  Paths are copied from @cur.  Both
 * inputs must be sorted.  Returns 0 or -ENOMEM (then @out is empty).
 */
int cpool_kmetrics_diff(const struct cpool_kmetrics_snapshot *prev,
			const struct cpool_kmetrics_snapshot *cur,
			struct cpool_kmetrics_snapshot *out);

/*
 * A CPU's counters as the BPF program left them at its last clocked
 * switch or idle-loop edge, and the span still open since: what a reader
 * adds to show the CPU's time up to its own instant
 * (cpool_kmetrics_cpu_at()).  Times are CLOCK_MONOTONIC, the clock of
 * bpf_ktime_get_ns() and of the kernel's tick_sched timestamps.
 */
struct cpool_kmetrics_cpu_state {
	int cpu;
	uint64_t busy_ns, idle_ns, switches;
	uint64_t last_switch_ns; /* the open span's start; 0: no switch seen yet */
	bool idle_task; /* the idle task runs (else the span is busy) */
	bool nohz; /* idle counts NO_HZ idle spans, not the idle task's time */
	uint64_t nohz_idle_start; /* the open NO_HZ idle span's start; 0: none open */
	uint64_t idle_at_switch_in; /* idle_ns when the idle task came in */
};

/*
 * @st's counters with the open span added up to @now, split as the
 * span's closing will split it (the idle task's time in NO_HZ spans is
 * idle, the rest busy).  @now must be read before @st (see kmetrics.c);
 * a span that began after @now adds nothing.
 */
void cpool_kmetrics_cpu_at(const struct cpool_kmetrics_cpu_state *st, uint64_t now,
			   struct cpool_kmetrics_cpu *out);

/*
 * Keeps a CPU's exported counters monotonic: @shown is what was last
 * shown for this CPU (zero at first), @read a new reading (of the same
 * CPU), which is replaced by what to show now and copied to @shown.  Idle
 * may read more than the span's closing will count (see kmetrics.c): it
 * is held until the true value passes it, and busy takes the rest, so
 * busy + idle is still the reading's.
 */
void cpool_kmetrics_cpu_monotonic(struct cpool_kmetrics_cpu *shown,
				  struct cpool_kmetrics_cpu *read);

/* Totals over the CPUs in @cpus (all CPUs when NULL). */
struct cpool_kmetrics_cpu_sum {
	int ncpus;
	uint64_t busy_ns;
	uint64_t idle_ns;
	uint64_t switches;
};
void cpool_kmetrics_cpu_sum(const struct cpool_kmetrics_snapshot *d,
			    const struct cpool_cpuset *cpus, struct cpool_kmetrics_cpu_sum *sum);

/* RUL = (T_total - T_idle) / T_total over @cpus (NULL: all); NaN when no time. */
double cpool_kmetrics_rul(const struct cpool_kmetrics_snapshot *d, const struct cpool_cpuset *cpus);

/* Per second over the window of @d (its time_ns is the window length). */
double cpool_kmetrics_rate(uint64_t count, uint64_t window_ns);

/*
 * The q-quantile (0 < q <= 1) of a histogram in ns (layout of
 * cpool_hist_slot()), interpolated linearly inside a bucket; exact in
 * the buckets of width 1, so waits the kernel timed as 0 give 0.  NaN
 * when empty.  Worst case: 25 % above or below the true value.
 */
double cpool_kmetrics_hist_quantile(const uint64_t *hist, int slots, double q);
/* sum / count, NaN when count is 0. */
double cpool_kmetrics_mean(uint64_t sum, uint64_t count);

/* Lower bound in ns of histogram bucket @slot; UINT64_MAX past the last. */
uint64_t cpool_kmetrics_hist_lower(int slot);

/* A cgroup by id in a sorted snapshot, or NULL. */
const struct cpool_kmetrics_cgroup *
cpool_kmetrics_find_cgroup(const struct cpool_kmetrics_snapshot *s, uint64_t id);

/*
 * Up to @max preemptions suffered by @victim, largest count first (ties:
 * smaller preemptor id first).  Returns how many were written.
 */
size_t cpool_kmetrics_top_preemptors(const struct cpool_kmetrics_snapshot *d, uint64_t victim,
				     struct cpool_kmetrics_preempt *out, size_t max);

/*
 * Parsers of the kernel's text files, for the collector's degraded mode
 * and the cgroup columns.  Unknown keys are ignored.
 *
 * cpu.stat: usage_usec, nr_throttled, throttled_usec.  Sets
 * have_cpu_stat; -EINVAL (and nothing set) without usage_usec.
 */
int cpool_kmetrics_parse_cpu_stat(const char *text, struct cpool_kmetrics_cgstat *st);
/* cpu.pressure: "some ... total=N".  Sets have_psi; -EINVAL without it. */
int cpool_kmetrics_parse_pressure(const char *text, struct cpool_kmetrics_cgstat *st);
/*
 * /proc/stat: one cpool_kmetrics_cpu per "cpuN" line (not the "cpu"
 * total), busy = user+nice+system+irq+softirq+steal, idle = idle+iowait,
 * converted from @hz ticks to ns; switches 0.  *@cpus is allocated (free
 * it); returns the number of CPUs, -EINVAL when there is none, -ENOMEM.
 */
int cpool_kmetrics_parse_proc_stat(const char *text, long hz, struct cpool_kmetrics_cpu **cpus);

#endif /* CPOOL_KMETRICS_H */
