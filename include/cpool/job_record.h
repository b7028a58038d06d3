/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * A job's lifecycle states and what its supervisor records of it: pure
 * types and their text forms, shared by the store, the supervisor and the
 * daemon (docs/daemon.md has the state table).
 *
 * The start record is written twice by the supervisor: once before the job
 * process exists (job_pid 0: "launching"), once after the job exec'd
 * (job_pid and its /proc starttime).  The exit record completes it.
 */
#ifndef CPOOL_JOB_RECORD_H
#define CPOOL_JOB_RECORD_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cpool/vserver.h"

enum cpool_job_state {
	CPOOL_JOB_QUEUED,
	CPOOL_JOB_STARTING, /* CPUs and leaf chosen and stored; no process yet, or not yet exec'd */
	CPOOL_JOB_RUNNING,
	CPOOL_JOB_FROZEN, /* preempted: its cgroup is frozen */
	CPOOL_JOB_DONE, /* exited (any status) */
	CPOOL_JOB_FAILED, /* could not be started, or lost */
	CPOOL_JOB_CANCELLED,
	CPOOL_JOB_TIMEOUT, /* killed at its time limit (cpool submit --time) */
	CPOOL_JOB__COUNT,
};

const char *cpool_job_state_name(enum cpool_job_state s);
int cpool_job_state_parse(const char *name, enum cpool_job_state *s);
/* Done, failed or cancelled: nothing more will happen to it. */
bool cpool_job_state_ended(enum cpool_job_state s);

/* Who started a job: cpoold itself (submit), or Slurm's slurmstepd (attach). */
enum cpool_job_origin {
	CPOOL_JOB_ORIGIN_CPOOL,
	CPOOL_JOB_ORIGIN_SLURM,
	CPOOL_JOB_ORIGIN__COUNT,
};

const char *cpool_job_origin_name(enum cpool_job_origin o);
int cpool_job_origin_parse(const char *name, enum cpool_job_origin *o);

/* How a job's process ended, with its leaf's accounting. */
struct cpool_job_exit {
	bool exited; /* normal exit: status is valid */
	int status; /* exit status */
	int signal; /* killing signal, 0 if exited */
	bool core_dumped;
	bool oom_killed; /* the leaf's memory.events oom_kill counted it */
	uint64_t cpu_usec; /* the leaf's cpu.stat usage_usec: the job and all its children */
	uint64_t memory_peak; /* the leaf's memory.peak (kernel 5.19+) */
	bool have_memory_peak;
};

#define CPOOL_JOB_RECORD_CPUS_MAX 1024

/* What the supervisor saw: the start record, completed by the exit record. */
struct cpool_job_record {
	int64_t job_id;
	/* Where the job runs: the same the daemon stored with STARTING. */
	char vs[CPOOL_VS_NAME_MAX + 1];
	char leaf[PATH_MAX]; /* absolute path of the leaf cgroup */
	char cpus[CPOOL_JOB_RECORD_CPUS_MAX]; /* cpu list */
	uint64_t mem; /* the job's memory limit, 0 = the VS's */
	pid_t supervisor_pid;
	uint64_t supervisor_start; /* /proc/PID/stat starttime: tells a reused pid */
	pid_t job_pid; /* 0 until the job has exec'd */
	uint64_t job_start;
	double start_time; /* unix seconds */
	bool ended;
	double end_time;
	bool launch_failed; /* the job never exec'd; error says why */
	char error[1024];
	struct cpool_job_exit exit;
};

/* Records as JSON text (the files' format); decode: 0 or -EINVAL. */
char *cpool_job_record_encode(const struct cpool_job_record *rec);
int cpool_job_record_decode(const char *text, struct cpool_job_record *rec);

#endif /* CPOOL_JOB_RECORD_H */
