/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Virtual servers as cgroup v2 subtrees.
 *
 *	<pool root>/			cpool (or the delegated cpoold.service cgroup)
 *	<pool root>/system/		the reserved CPUs; cpoold in system/cpoold/
 *	<pool root>/<vs>/		one per struct cpool_vserver
 *	<pool root>/<vs>/<job>/		one leaf per job: processes live only here
 *
 * Two halves: pure parsers and checks (userspace/lib/cgroup_*.c, no system
 * access, unit-tested) and the operations on the live tree
 * (userspace/sys/cgroup_*.c, lab-tested).  See docs/cgroups.md.
 *
 * Every operation returns 0 or a negative errno and, on failure, fills the
 * caller's struct cpool_error with the operation, the path and the
 * reason, for the edge (CLI, daemon) to print once.
 */
#ifndef CPOOL_CGROUP_H
#define CPOOL_CGROUP_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cpool/cpuset.h"
#include "cpool/error.h"
#include "cpool/vserver.h"

#define CPOOL_CG_MOUNT "/sys/fs/cgroup"
#define CPOOL_CG_SYSTEM_VS "system"
#define CPOOL_CG_DAEMON_LEAF "cpoold"
/* A memory limit below this could not even start a process: refused. */
#define CPOOL_CG_MEMORY_FLOOR (4ULL << 20)
/* The kernel's cpu.max period range, in microseconds. */
#define CPOOL_CG_CPU_PERIOD_MIN 1000ULL
#define CPOOL_CG_CPU_PERIOD_MAX 1000000ULL

/* cpool_error_set() with a positive errno: fills @e (may be NULL) and returns -@err. */
int cpool_cg_fail(struct cpool_error *e, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- pure: parsing the kernel's files (userspace/lib/cgroup_parse.c) ---- */

/*
 * Value of @key in a flat-keyed file ("key value" per line: cgroup.events,
 * cpu.stat, memory.events, pids.events).  0, -ENOENT when the key is
 * missing, -EINVAL when its value is not an unsigned number.
 */
int cpool_cg_flat_get(const char *text, const char *key, uint64_t *value);

struct cpool_cg_events {
	bool populated; /* some process in this cgroup or below */
	bool frozen; /* the freeze (cgroup.freeze) has completed */
};
int cpool_cg_events_parse(const char *text, struct cpool_cg_events *ev);

struct cpool_cg_cpu_stat {
	uint64_t usage_usec, user_usec, system_usec;
	uint64_t nr_periods, nr_throttled, throttled_usec; /* 0 without cpu.max */
};
int cpool_cg_cpu_stat_parse(const char *text, struct cpool_cg_cpu_stat *st);

struct cpool_cg_memory_events {
	uint64_t low, high, max, oom, oom_kill;
};
int cpool_cg_memory_events_parse(const char *text, struct cpool_cg_memory_events *ev);

/* pids.events: how often fork() was refused by pids.max. */
int cpool_cg_pids_events_parse(const char *text, uint64_t *max);

enum cpool_cg_partition {
	CPOOL_CG_PART_MEMBER,
	CPOOL_CG_PART_ROOT,
	CPOOL_CG_PART_ISOLATED,
	CPOOL_CG_PART_ROOT_INVALID,
	CPOOL_CG_PART_ISOLATED_INVALID,
};

struct cpool_cg_partition_state {
	enum cpool_cg_partition kind;
	char reason[160]; /* the kernel's "(...)" for an invalid partition, else "" */
};
/* cpuset.cpus.partition: "member", "root", "isolated", "root invalid (why)". */
int cpool_cg_partition_parse(const char *text, struct cpool_cg_partition_state *st);
bool cpool_cg_partition_is_valid_root(const struct cpool_cg_partition_state *st);
const char *cpool_cg_partition_name(enum cpool_cg_partition kind);

/* ---- pure: checking a configuration (userspace/lib/cgroup_check.c) ---- */

/*
 * Refuse a VS the kernel would reject or that would escape the pool:
 * bad name, empty or out-of-machine cpus/mems, memory limits below
 * CPOOL_CG_MEMORY_FLOOR, memory.min above memory.max, cpu.weight or cpu.max
 * out of range, and an exclusive VS overlapping any of @others (or any
 * exclusive one of @others overlapping it).  @others may contain a record
 * with the same name as @vs: it is skipped (a resize checks against the
 * rest).  0 or -EINVAL with the reason in @e.
 */
int cpool_cg_vs_check(const struct cpool_vserver *vs, const struct cpool_cpuset *machine_cpus,
		      const struct cpool_cpuset *machine_mems, const struct cpool_vserver *others,
		      int nr_others, struct cpool_error *e);

/* What adopt found changed behind our back: a bit per knob. */
enum {
	CPOOL_CG_DRIFT_CPUS = 1 << 0,
	CPOOL_CG_DRIFT_MEMS = 1 << 1,
	CPOOL_CG_DRIFT_EXCLUSIVE = 1 << 2,
	CPOOL_CG_DRIFT_MEMORY_MAX = 1 << 3,
	CPOOL_CG_DRIFT_MEMORY_HIGH = 1 << 4,
	CPOOL_CG_DRIFT_MEMORY_MIN = 1 << 5,
	CPOOL_CG_DRIFT_CPU_WEIGHT = 1 << 6,
	CPOOL_CG_DRIFT_CPU_MAX = 1 << 7,
	CPOOL_CG_DRIFT_PIDS_MAX = 1 << 8,
};
/* Bits where @have (read from the kernel) differs from @want. */
unsigned cpool_cg_vs_drift(const struct cpool_vserver *want, const struct cpool_vserver *have);
/* "cpus,memory.max" for the bits set; like snprintf. */
int cpool_cg_drift_format(unsigned drift, char *buf, size_t len);

/* ---- the live tree (userspace/sys/cgroup_*.c) ---- */

/*
 * 0 when /sys/fs/cgroup is cgroup2 alone; -EOPNOTSUPP on a v1 or hybrid
 * host, with the fix in @e (boot with systemd.unified_cgroup_hierarchy=1
 * cgroup_no_v1=all, or use tools/lab).
 */
int cpool_cg_require_v2(struct cpool_error *e);
/* The refusal text for a host whose /sys/fs/cgroup has magic @fs_type. */
int cpool_cg_v2_refusal(long fs_type, char *buf, size_t len);

/*
 * Where the pool lives: our own cgroup when running under systemd with
 * Delegate=yes (systemd marks it with the trusted.delegate xattr), else
 * @pool_name directly below the cgroup2 root.  Relative to CPOOL_CG_MOUNT.
 */
int cpool_cg_default_root(const char *pool_name, char *root, size_t len, struct cpool_error *e);

struct cpool_cg_pool {
	char root[PATH_MAX / 2]; /* relative to CPOOL_CG_MOUNT, e.g. "cpool" */
	char path[PATH_MAX / 2]; /* absolute */
	struct cpool_cpuset machine_cpus; /* the cgroup2 root's effective CPUs */
	struct cpool_cpuset machine_mems;
	bool have_io;
};

/*
 * Check for cgroup v2, enable cpuset cpu memory pids (io) in the root's and
 * the pool root's cgroup.subtree_control, create the pool root when missing.
 * A pool root holding processes (the delegated service cgroup) gets them
 * moved to system/cpoold first: cgroup v2 allows no processes in a cgroup
 * that distributes controllers.
 */
int cpool_cg_pool_open(struct cpool_cg_pool *pool, const char *root, struct cpool_error *e);
/* Destroy every VS, then remove the pool root itself (not a delegated one). */
int cpool_cg_pool_destroy(struct cpool_cg_pool *pool, int timeout_ms, struct cpool_error *e);

/* The VSs present: names, sorted.  *@names is malloc'ed; free with free(). */
int cpool_cg_vs_list(const struct cpool_cg_pool *pool, char (**names)[CPOOL_VS_NAME_MAX + 1],
		     int *count, struct cpool_error *e);

struct cpool_cg_vs_state {
	struct cpool_cpuset cpus_effective;
	struct cpool_cpuset mems_effective;
	struct cpool_cg_partition_state partition;
	/* exclusive was asked but the kernel made no valid partition: say so */
	bool partition_refused;
};

/*
 * Create a VS from @vs, checked against the machine and the VSs already
 * there.  Nothing is left behind on failure.  An exclusive VS is made a
 * cpuset partition; when the kernel refuses, the VS still exists, confined
 * to its cpus, and @st->partition_refused says so with the kernel's reason.
 */
int cpool_cg_vs_create(struct cpool_cg_pool *pool, const struct cpool_vserver *vs,
		       struct cpool_cg_vs_state *st, struct cpool_error *e);
/* Change cpus, mems (memory migrates: costly), limits and weights live. */
int cpool_cg_vs_resize(struct cpool_cg_pool *pool, const struct cpool_vserver *vs,
		       struct cpool_cg_vs_state *st, struct cpool_error *e);
/* Read a VS back from the kernel into a record (and its state). */
int cpool_cg_vs_read(const struct cpool_cg_pool *pool, const char *name, struct cpool_vserver *vs,
		     struct cpool_cg_vs_state *st, struct cpool_error *e);
/* Kill everything in it, wait until empty, remove its leaves and itself. */
int cpool_cg_vs_destroy(struct cpool_cg_pool *pool, const char *name, int timeout_ms,
			struct cpool_error *e);

/*
 * Operations on a VS ("db") or a job leaf ("db/job-17"): @rel is relative
 * to the pool root and checked (components are VS names).
 */
int cpool_cg_freeze(const struct cpool_cg_pool *pool, const char *rel, bool freeze, int timeout_ms,
		    struct cpool_error *e);
/* A job leaf's pids.max; 0 = "max". */
int cpool_cg_job_pids_max(const struct cpool_cg_pool *pool, const char *rel, uint32_t pids_max,
			  struct cpool_error *e);
/*
 * For an event loop: cgroup.kill (5.14+), or, without it (or with
 * @no_kill_file, for the fallback's test), a freeze request and SIGKILL to
 * every pid in the subtree, with *again set: call cpool_cg_kill_pids()
 * once more when cgroup.events says frozen.  Never waits.
 */
int cpool_cg_kill_start(const struct cpool_cg_pool *pool, const char *rel, bool no_kill_file,
			bool *again, struct cpool_error *e);
/* SIGKILL every pid of @rel and below: the count signalled. */
int cpool_cg_kill_pids(const struct cpool_cg_pool *pool, const char *rel, struct cpool_error *e);
/* cgroup.kill (5.14+), else cpool_cg_kill_signal(). */
int cpool_cg_kill(const struct cpool_cg_pool *pool, const char *rel, struct cpool_error *e);
/*
 * The fallback for kernels without cgroup.kill: freeze so nothing forks,
 * SIGKILL every pid in the subtree, thaw.  Public so the lab tests it on
 * kernels that have cgroup.kill.
 */
int cpool_cg_kill_signal(const struct cpool_cg_pool *pool, const char *rel, struct cpool_error *e);
/*
 * Send @sig to every process of @rel and its subtree, each pinned by a
 * pidfd and checked to be still there; the count signalled.
 */
int cpool_cg_signal(const struct cpool_cg_pool *pool, const char *rel, int sig,
		    struct cpool_error *e);
/* Wait until cgroup.events says "populated 0"; -ETIMEDOUT after @timeout_ms. */
int cpool_cg_wait_empty(const struct cpool_cg_pool *pool, const char *rel, int timeout_ms,
			struct cpool_error *e);
int cpool_cg_read_events(const struct cpool_cg_pool *pool, const char *rel,
			 struct cpool_cg_events *ev, struct cpool_error *e);
/*
 * For an event loop, which must not wait: ask for a freeze or thaw (write
 * cgroup.freeze) without waiting for it, and watch cgroup.events.  *fd is
 * an inotify descriptor (non-blocking, close-on-exec) readable at every
 * change of @rel's cgroup.events; drain it (cpool_cg_events_drain), then
 * cpool_cg_read_events says where things stand.
 */
int cpool_cg_freeze_request(const struct cpool_cg_pool *pool, const char *rel, bool freeze,
			    struct cpool_error *e);
int cpool_cg_events_watch(const struct cpool_cg_pool *pool, const char *rel, int *fd,
			  struct cpool_error *e);
void cpool_cg_events_drain(int fd);
/* rmdir a cgroup: -EBUSY while populated, -ENOENT when gone already. */
int cpool_cg_remove(const struct cpool_cg_pool *pool, const char *rel, struct cpool_error *e);

struct cpool_cg_usage {
	struct cpool_cg_cpu_stat cpu;
	struct cpool_cg_memory_events memory; /* zero where memory is not enabled */
	uint64_t pids_max_events;
	uint64_t memory_current;
	uint64_t memory_peak; /* memory.peak: kernels 5.19+ */
	bool have_memory_peak;
};
int cpool_cg_read_usage(const struct cpool_cg_pool *pool, const char *rel, struct cpool_cg_usage *u,
			struct cpool_error *e);
/*
 * cpu.stat alone: where only the CPU time is wanted, on the path from a
 * quantum's end to the next job's start, the four other files of
 * cpool_cg_read_usage() are four needless reads.
 */
int cpool_cg_read_cpu_stat(const struct cpool_cg_pool *pool, const char *rel,
			   struct cpool_cg_cpu_stat *st, struct cpool_error *e);

/* Job leaves: <vs>/<job>.  The absolute path goes to cpool_launch(). */
int cpool_cg_job_create(const struct cpool_cg_pool *pool, const char *vs, const char *job,
			char *path, size_t path_len, struct cpool_error *e);
int cpool_cg_job_destroy(const struct cpool_cg_pool *pool, const char *vs, const char *job,
			 int timeout_ms, struct cpool_error *e);
/* Job leaf names under @vs, sorted; free(*names). */
int cpool_cg_job_list(const struct cpool_cg_pool *pool, const char *vs,
		      char (**names)[CPOOL_VS_NAME_MAX + 1], int *count, struct cpool_error *e);

/*
 * Confine a job leaf ("vs/job") to @cpus (a subset of its VS's; NULL keeps
 * the VS's) and @memory_max bytes (0: the VS's limit).  Changing the CPUs of
 * a frozen leaf is how a preempted job resumes on other CPUs.
 */
int cpool_cg_job_limit(const struct cpool_cg_pool *pool, const char *rel,
		       const struct cpool_cpuset *cpus, uint64_t memory_max, struct cpool_error *e);

/*
 * The pid of @pidfd's process (/proc/self/fdinfo): -ESRCH once it has
 * exited, -EINVAL when @pidfd is no pidfd or names a process of a pid
 * namespace this one cannot see.
 */
int cpool_pidfd_pid(int pidfd, pid_t *pid, struct cpool_error *e);
/*
 * Move @pidfd's process (*pid gets its pid) into the job leaf @rel ("vs/job").
 * -ESRCH when it exited before or during the move; the leaf may then hold
 * a process that reused the pid, so the caller kills the leaf.
 */
int cpool_cg_attach_pidfd(const struct cpool_cg_pool *pool, const char *rel, int pidfd, pid_t *pid,
			  struct cpool_error *e);

/*
 * Where process @pid is in the pool: its cgroup relative to the pool's
 * root ("vs/job-7", "." for the root itself) in @rel, or "" when it is
 * outside the pool.  -ESRCH when it is gone.  A peer's pid names who
 * asked: the leaf says whose job it is.
 */
int cpool_cg_pid_rel(const struct cpool_cg_pool *pool, pid_t pid, char *rel, size_t len,
		     struct cpool_error *e);

/* Move the calling process into system/cpoold (the daemon's own leaf). */
int cpool_cg_enter_system(struct cpool_cg_pool *pool, const struct cpool_cpuset *cpus,
			  struct cpool_error *e);

/* ---- adopt (userspace/sys/cgroup_adopt.c) ---- */

enum cpool_cg_adopt_action {
	CPOOL_CG_ADOPT_KEPT, /* present and as configured */
	CPOOL_CG_ADOPT_CREATED, /* configured but missing: created */
	CPOOL_CG_ADOPT_CORRECTED, /* present with drift: config re-applied */
	CPOOL_CG_ADOPT_UNKNOWN, /* present, not configured: left alone */
};

struct cpool_cg_adopt_entry {
	char name[CPOOL_VS_NAME_MAX + 1];
	enum cpool_cg_adopt_action action;
	unsigned drift; /* CPOOL_CG_DRIFT_* found before correcting */
	int jobs; /* job leaves found (running jobs are never touched) */
	int running; /* of those, populated */
	struct cpool_vserver found; /* as read back before correcting */
};

struct cpool_cg_adopt_report {
	struct cpool_cg_adopt_entry *entries; /* malloc'ed: free() */
	int count;
};

/*
 * Read the pool tree back and reconcile it with @cfg: create what is
 * missing, re-apply the configuration where the kernel's values drifted,
 * leave unknown VSs and every job leaf alone, and report all of it.
 */
int cpool_cg_adopt(struct cpool_cg_pool *pool, const struct cpool_vserver *cfg, int nr_cfg,
		   struct cpool_cg_adopt_report *rep, struct cpool_error *e);
const char *cpool_cg_adopt_action_name(enum cpool_cg_adopt_action a);

#endif /* CPOOL_CGROUP_H */
