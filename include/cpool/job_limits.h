/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * What each job of a virtual server gets, whatever the daemon itself was
 * given: its walltime (default and maximum), its process limits (rlimits)
 * and its leaf's pids.max.  Set per VS by keys of [vserver NAME] (and of
 * `cpool vs create`), documented in docs/config.md.  Pure: the daemon
 * applies them (supervisor before exec, leaf cgroup).
 */
#ifndef CPOOL_JOB_LIMITS_H
#define CPOOL_JOB_LIMITS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>

#include "cpool/error.h"

/* The rlimits a VS defines for its jobs, in this order. */
enum cpool_job_rlimit {
	CPOOL_JOB_RLIMIT_NOFILE,
	CPOOL_JOB_RLIMIT_NPROC,
	CPOOL_JOB_RLIMIT_MEMLOCK,
	CPOOL_JOB_RLIMIT_CORE,
	CPOOL_JOB_RLIMIT__COUNT,
};

struct cpool_job_limits {
	double default_time; /* seconds a job may run when it names no --time; 0 = unlimited */
	double max_time; /* the most a job may ask for; 0 = unlimited */
	/* From the SIGTERM of a job at its time limit to the kill; unset: the default. */
	double kill_grace;
	bool kill_grace_set;
	uint32_t pids_max; /* per job leaf; 0 = the default (CPOOL_JOB_PIDS_MAX_DEFAULT) */
	bool pids_unlimited; /* "max": no per-job cap (the VS's pids_max still holds) */
	/* Unset (set[i] false): the documented default (docs/config.md). */
	bool rlimit_set[CPOOL_JOB_RLIMIT__COUNT];
	struct rlimit rlimit[CPOOL_JOB_RLIMIT__COUNT];
};

#define CPOOL_JOB_PIDS_MAX_DEFAULT 8192
#define CPOOL_JOB_KILL_GRACE_DEFAULT 10.0 /* seconds, as Slurm's KillWait and systemd's stop */

/* Seconds between a timed-out job's SIGTERM and its kill. */
double cpool_job_kill_grace(const struct cpool_job_limits *l);

/* RLIMIT_NOFILE, ... */
int cpool_job_rlimit_resource(enum cpool_job_rlimit which);
/* The limit in force for @which: the VS's, else the default. */
struct rlimit cpool_job_rlimit_get(const struct cpool_job_limits *l, enum cpool_job_rlimit which);
/* The pids.max of a job's leaf; 0 = "max". */
uint32_t cpool_job_pids_max(const struct cpool_job_limits *l);

/*
 * Set @key to @value when it is one of the job keys: 0, -EINVAL (@e says
 * what would be valid), or -ENOENT when @key is not a job key at all.
 */
int cpool_job_limits_set(struct cpool_job_limits *l, const char *key, const char *value,
			 struct cpool_error *e);
/*
 * The keys that are set, as config-style strings, through @put (for the
 * store and `vs list`): parsing them back gives the same limits.
 */
void cpool_job_limits_each(const struct cpool_job_limits *l,
			   void (*put)(const char *key, const char *value, void *ctx), void *ctx);

/*
 * The walltime of a job that asked for @requested seconds (0: none) under
 * @l: the VS's default when none was asked for.  -EINVAL when it exceeds
 * max_time, @e naming the limit and its value.  *time_limit 0 = unlimited.
 */
int cpool_job_time_resolve(const struct cpool_job_limits *l, double requested, double *time_limit,
			   struct cpool_error *e);
/*
 * Pool-wide limits for a job whose VS placement will choose: the
 * strictest of @n VSs (the smallest default and the smallest maximum of
 * those that set one), so no VS's maximum is ever exceeded.
 */
void cpool_job_limits_strictest(const struct cpool_job_limits *const *vs, int n,
				struct cpool_job_limits *out);
/*
 * What the policies assume a job takes: min(estimate, time limit), the
 * time limit when there is no estimate, @fallback when neither (seconds;
 * 0 means absent).
 */
double cpool_job_policy_estimate(double estimate, double time_limit, double fallback);
/*
 * True when a job that has run @run_s seconds (frozen time excluded) has
 * used up @time_limit (0: never).
 */
bool cpool_job_time_exceeded(double time_limit, double run_s);
/*
 * When a run began: the supervisor's exec instant @exec_s when it reported
 * one (> 0) no later than @now_s, the daemon's reading, else @now_s.  A
 * report the daemon reads late must not start the run after its end.
 */
double cpool_job_run_start(double exec_s, double now_s);
/* The run from @start_s to @end_s, readings of a clock that can step: never negative. */
double cpool_job_run_span(double start_s, double end_s);
/*
 * An attached job's run start moved to @now_s, when its task says it was
 * released (the attach.started request): *start_s gets the new start, which
 * is never before the attach instant @first_s and never equal to it, since
 * a start that differs from the attach instant is what marks the job as
 * moved already (stored, so it holds across restarts).  -EALREADY when it
 * was: a user's program could otherwise shrink its run time later.
 */
int cpool_job_mark_started(double first_s, double *start_s, double now_s);

#endif /* CPOOL_JOB_LIMITS_H */
