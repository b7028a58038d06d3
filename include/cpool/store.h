/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * cpoold's durable state in SQLite (WAL): virtual servers, every job and its
 * whole lifecycle, accounting at exit, and periodic per-VS metric samples.
 * A job row is written before the submitter gets its id, so a kill -9 of
 * the daemon at any moment loses no acknowledged submission.
 */
#ifndef CPOOL_STORE_H
#define CPOOL_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cpool/job_record.h"
#include "cpool/error.h"

struct cpool_store;

/* A job as the daemon tracks it; times are unix seconds (0 = not yet). */
struct cpool_jobrec {
	int64_t id;
	char *name;
	uid_t uid;
	gid_t gid;
	char *argv_json; /* JSON array of strings */
	char *env_json; /* JSON array or NULL */
	char *cwd;
	char *stdout_path;
	char *stderr_path;
	char *vs; /* requested VS, or the one placement chose */
	int cpus;
	uint64_t mem;
	double estimate;
	double time_limit; /* seconds the job may run (frozen time excluded); 0 = none */
	int priority;
	enum cpool_job_state state;
	double submit_time, first_start, start_time, end_time;
	double run_time; /* wall seconds spent running (not frozen) */
	double launch_time; /* seconds from the first start to the exec; 0 = not exec'd */
	/*
	 * Seconds of its first turn (start to first completed freeze) its
	 * CPUs did not run it, per CPU; 0 = never frozen (or not measured).
	 */
	double launch_idle;
	/*
	 * Seconds from the end that freed its CPUs to its first start, when
	 * the round right after that end started it; 0 = not so started.
	 */
	double handover;
	/*
	 * Wall times of the scheduling round that first had it queued and of
	 * the round that started it (0 = none yet): the daemon decides in
	 * rounds, and cpool bench's calibration places the simulated events
	 * at them, so that an end and an arrival one round saw together are
	 * simultaneous in the simulation too.
	 */
	double first_round, start_round;
	/*
	 * Seconds from its exec to the daemon reading the supervisor's start
	 * report (0 = not read yet): until then it is not the policy's, and
	 * under load the read comes late.
	 */
	double start_report;
	/*
	 * Times the daemon froze it to give its CPUs to another job (a
	 * preempting policy): cpool bench compares each job's count with the
	 * calibrated simulation's.
	 */
	unsigned preemptions;
	/*
	 * Its turns that began at a resume and ended at a completed freeze,
	 * their seconds, and the seconds of them its CPUs did not run it (per
	 * CPU): each job's own switch, for cpool bench (switches differ job
	 * by job: a two-CPU job's idle less per CPU than a one-CPU job's).
	 */
	unsigned resume_turns;
	double resume_turn, resume_turn_idle;
	pid_t pid;
	char *cgroup; /* leaf cgroup path */
	char *cpuset;
	/* accounting at exit */
	int exit_code; /* -1 when killed by a signal */
	int signal;
	bool oom;
	uint64_t cpu_usec;
	uint64_t peak_mem;
	uint64_t rq_lat_sum_ns, rq_lat_count, rq_lat_p99_ns;
	char *error; /* why it failed to start */
	enum cpool_job_origin origin;
	int64_t slurm_job, slurm_step; /* -1: none (origin cpool) */
};

struct cpool_vs_sample {
	double time;
	const char *vs;
	double rul;
	uint64_t cpu_usec;
	uint64_t rq_p50_ns, rq_p99_ns;
	int queued, running;
	bool degraded;
};

/* Opens or creates the database (and its schema); @e gets a message. */
int cpool_store_open(const char *path, struct cpool_store **store, struct cpool_error *e);
void cpool_store_close(struct cpool_store *store);
/* The last SQLite error, for the message at the edge. */
const char *cpool_store_errmsg(struct cpool_store *store);

/* Inserts @job (its id is assigned and written back). */
int cpool_store_job_insert(struct cpool_store *store, struct cpool_jobrec *job);
/* Rewrites every mutable column of the row with @job->id. */
int cpool_store_job_update(struct cpool_store *store, const struct cpool_jobrec *job);
/* -ENOENT when there is no such job. */
int cpool_store_job_get(struct cpool_store *store, int64_t id, struct cpool_jobrec *job);
void cpool_jobrec_free(struct cpool_jobrec *job);

struct cpool_job_filter {
	bool active_only; /* queued, starting, running, frozen */
	bool finished_only;
	double since; /* submit_time >= since */
	int64_t uid; /* -1 = any */
	int64_t after_id; /* id > after_id; 0 = any */
	double until; /* submit_time < until; 0 = any */
	const char *state; /* a state's name; NULL = any */
	const char *vs; /* NULL = any */
	const char *name; /* NULL = any */
	int64_t job; /* this job, or every element of the array it heads; 0 = any */
	int64_t task; /* with job: only that element of the array; < 0 (or 0 without job): all */
	int64_t upto_id; /* id <= upto_id; 0 = any */
	int limit; /* at most this many; 0 = all */
};
/* Calls @fn for each matching job in id order; stops early on a non-zero return. */
int cpool_store_job_foreach(struct cpool_store *store, const struct cpool_job_filter *filter,
			    int (*fn)(const struct cpool_jobrec *job, void *ctx), void *ctx);
struct cpool_jobctl_row;
/*
 * The same, each job with its job-control row (store_jobctl.h), read in the
 * same query; a job without one gets an empty row (array_task -1).
 */
int cpool_store_job_foreach_ctl(struct cpool_store *store, const struct cpool_job_filter *filter,
				int (*fn)(const struct cpool_jobrec *job,
					  const struct cpool_jobctl_row *row, void *ctx),
				void *ctx);
/*
 * The id of the @n-th job after @after_id in id order, whatever its state;
 * 0 when fewer than @n follow.  A bound for a slice of the table that reads
 * at most @n rows (history, a page in parts).
 */
int cpool_store_job_id_ahead(struct cpool_store *store, int64_t after_id, int n, int64_t *id);

int cpool_store_vs_put(struct cpool_store *store, const char *name, const char *spec_json,
		       const char *cpus, const char *mems);
int cpool_store_vs_delete(struct cpool_store *store, const char *name);
/* @n samples in one transaction (all or none). */
int cpool_store_samples_insert(struct cpool_store *store, const struct cpool_vs_sample *s,
			       size_t n);

/* Key/value settings that survive restarts (policy, placement, quantum). */
int cpool_store_setting_put(struct cpool_store *store, const char *key, const char *value);
/* Returns a malloc'd value, or NULL when unset. */
char *cpool_store_setting_get(struct cpool_store *store, const char *key);

/*
 * Retention: delete at most @batch of the oldest samples taken before
 * @before (unix seconds), or of the jobs that ended before it (never an
 * active one).  Return how many went (fewer than @batch: no more to do),
 * or a negative errno.  Small batches keep each transaction short.
 */
int cpool_store_prune_samples(struct cpool_store *store, double before, int batch);
int cpool_store_prune_jobs(struct cpool_store *store, double before, int batch);

/*
 * From now on every write fails (SQLITE_READONLY, -EACCES) while @refuse,
 * as a full or read-only disk would make it: the tests' store failure.
 */
int cpool_store_refuse_writes(struct cpool_store *store, bool refuse);

#endif /* CPOOL_STORE_H */
