/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The kernel-metrics collector: loads and attaches bpf/metrics.bpf.c and
 * reads its maps into cpool_kmetrics snapshots.  Where BPF cannot run (no
 * BTF, no privilege, verifier refusal) it falls back to a degraded mode
 * built from /proc/stat and the cgroups' cpu.stat and cpu.pressure, says
 * why once, and marks every snapshot "degraded".  Opening never fails for
 * lack of BPF.
 */
#ifndef CPOOL_COLLECTOR_H
#define CPOOL_COLLECTOR_H

#include <stdbool.h>
#include <stdint.h>

#include "cpool/kmetrics.h"

struct cpool_collector;

struct cpool_collector_opts {
	bool no_bpf; /* degraded mode on purpose */
	bool no_rqlat; /* skip run-queue latency (cheaper) */
	bool no_preemptors; /* skip who-preempted-whom */
	/*
	 * Measure run-queue waits with wakeup hooks and task storage in
	 * CLOCK_MONOTONIC even where the kernel keeps sched_info (the path
	 * kernels without CONFIG_SCHED_INFO take); for tests.
	 */
	bool rqlat_from_wakeups;
	/*
	 * Idle = the idle task's time (to the queueing of the task that ends
	 * it) even where the kernel's NO_HZ idle-loop functions can be hooked
	 * (the path other kernels take); for tests and benchmarks.
	 */
	bool idle_from_switches;
	uint32_t max_cgroups; /* 0: CPOOL_BPF_MAX_CGROUPS */
	const char *cgroup_root; /* NULL: the cgroup2 mount from /proc/self/mounts */
	/*
	 * Read cgroup files (cpu.stat, cpu.pressure) only of this cgroup and
	 * those below it (relative to cgroup_root, e.g. "cpool"); NULL: of
	 * every cgroup.  A daemon that looks at its own subtree need not open
	 * two files per cgroup of the machine every interval.
	 */
	const char *stat_subtree;
	/*
	 * With BPF, read no cgroup files at all (cpu.stat, cpu.pressure): the
	 * map gives the run time, and a daemon that reads nothing else of them
	 * need not pay two files per cgroup every interval.  The degraded mode
	 * still reads them: its run time is cpu.stat's.
	 */
	bool no_cgroup_files;
	/*
	 * Resolve cgroup ids by walking the tree, as where open_by_handle_at()
	 * is not permitted; for benchmarks and tests.
	 */
	bool resolve_by_walk;
};

/*
 * @opts may be NULL.  Returns 0 (check cpool_collector_degraded()), or
 * -ENOMEM.  A BPF failure is not an error: its reason is kept.
 */
int cpool_collector_open(const struct cpool_collector_opts *opts, struct cpool_collector **out);
void cpool_collector_close(struct cpool_collector *c);

bool cpool_collector_degraded(const struct cpool_collector *c);

struct metrics_bpf;
/*
 * After attaching @skel (metrics.bpf.c): every task that exists gets its
 * storage, as the scheduler's programs only look it up.  The collector
 * does it itself; for a loader of its own (bench-bpf-overhead-load).
 * Returns 0 or a negative errno.
 */
int cpool_collector_prime_task_storage(struct metrics_bpf *skel);
/* Why degraded ("" when not). */
const char *cpool_collector_reason(const struct cpool_collector *c);
/*
 * What per-CPU idle measures: "nohz" (the kernel's NO_HZ idle spans, as in
 * /proc/stat), "switches" (the idle task's time) or "proc-stat" (degraded).
 */
const char *cpool_collector_idle_source(const struct cpool_collector *c);
/* The cgroup2 mount the paths are relative to, or NULL when there is none. */
const char *cpool_collector_cgroup_root(const struct cpool_collector *c);

/*
 * Fills @snap (cumulative counters, sorted); free it with
 * cpool_kmetrics_snapshot_free().  Returns 0 or a negative errno.
 */
int cpool_collector_read(struct cpool_collector *c, struct cpool_kmetrics_snapshot *snap);

/*
 * Only the CPUs and the collector's own counters (failed updates,
 * unmatched switches, arrival misses, lost baselines) as of now: one map
 * read, no cgroup, for a scrape that wants them at its own instant.  Per
 * CPU, busy and idle never go back over the readings of both functions,
 * and busy + idle grows with the clock.  Returns 0 or a negative errno.
 */
int cpool_collector_read_cpus(struct cpool_collector *c, struct cpool_kmetrics_snapshot *snap);

/*
 * The path (relative to the cgroup2 mount) of the cgroup with this id;
 * NULL when not found.  An unknown id is resolved by its file handle
 * (open_by_handle_at() on the mount: the id is the handle), or, where
 * that is not permitted, by a walk of the tree (at most one per read);
 * one that cannot be resolved is tried again after 1, 2, 4 .. 64 s, and
 * one whose cgroup is gone has its map slot freed.
 */
const char *cpool_collector_cgroup_path(struct cpool_collector *c, uint64_t id);

/* How cgroup ids were resolved, since the collector was opened. */
struct cpool_collector_ids {
	uint64_t by_handle; /* ids resolved by open_by_handle_at() */
	uint64_t by_walk; /* ids resolved by a walk of the tree */
	uint64_t walks; /* walks of the whole tree */
	uint64_t stale; /* ids found gone, their slots freed */
	uint64_t known; /* ids held now */
	uint64_t pending; /* of those, not resolved yet: waiting for their retry */
	/* NULL while ids are resolved by handle; else why they are walked. */
	const char *walk_reason;
};
void cpool_collector_id_stats(const struct cpool_collector *c, struct cpool_collector_ids *out);

#endif /* CPOOL_COLLECTOR_H */
