/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Job control as Slurm users write it, parsed and judged without touching
 * anything: dependencies ("12:ok,13"), arrays ("0-99:2%4"), references to
 * a job or one array element ("12", "12_3"), output file patterns
 * ("cpool-%j.out") and the filters of ps, cancel and history.  The daemon
 * and the CLI parse with the same code, so both refuse the same input.
 */
#ifndef CPOOL_JOBCTL_H
#define CPOOL_JOBCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpool/error.h"
#include "cpool/job_record.h"

/* ---- dependencies: submit --after ID[:ok|notok|any][,ID...] ---- */

enum cpool_dep_when {
	CPOOL_DEP_OK, /* it ended done with exit status 0 (the default) */
	CPOOL_DEP_NOTOK, /* it ended otherwise: failed, cancelled, non-zero, killed */
	CPOOL_DEP_ANY, /* it ended, however */
	CPOOL_DEP__COUNT,
};

struct cpool_dep {
	int64_t job;
	enum cpool_dep_when when;
};

/* A job waits on at most this many jobs (an array counts its elements). */
#define CPOOL_DEPS_MAX 10000

enum cpool_dep_verdict {
	CPOOL_DEP_PENDING, /* the job it waits on has not ended */
	CPOOL_DEP_MET,
	CPOOL_DEP_NEVER, /* it ended in a way the condition excludes */
};

const char *cpool_dep_when_name(enum cpool_dep_when w);
/* Parses "12:ok,13,14:any" into a malloc'd array (*deps; free() it); -EINVAL with @e. */
int cpool_deps_parse(const char *text, struct cpool_dep **deps, size_t *n, struct cpool_error *e);
/* "12:ok,13:any": malloc'd, NULL on ENOMEM. */
char *cpool_deps_format(const struct cpool_dep *deps, size_t n);
/* How the end of a job (its @state, @exit_code, @signal) answers @when. */
enum cpool_dep_verdict cpool_dep_judge(enum cpool_dep_when when, enum cpool_job_state state,
				       int exit_code, int signal);

/* ---- arrays: submit --array FIRST-LAST[:STEP][%MAX_RUNNING] ---- */

#define CPOOL_ARRAY_TASK_MAX 1000000 /* the largest task index */

struct cpool_array_spec {
	int first, last, step;
	int max_running; /* elements running at once; 0 = no limit */
};

/* "0-99", "1-9:2%3", "7" (one element); -EINVAL with @e. */
int cpool_array_parse(const char *text, struct cpool_array_spec *a, struct cpool_error *e);
int cpool_array_count(const struct cpool_array_spec *a);

/* ---- job references: "ID" (a job, or a whole array) or "ID_N" (element N) ---- */

struct cpool_job_ref {
	int64_t job;
	int64_t task; /* -1: not one element */
};

int cpool_job_ref_parse(const char *text, struct cpool_job_ref *ref);
/* "12" or "12_3" into @buf. */
void cpool_job_ref_format(const struct cpool_job_ref *ref, char *buf, size_t len);

/* ---- output file patterns: %j %A %a %u %x %% ---- */

struct cpool_outpattern_vars {
	int64_t job;
	int64_t array_job; /* 0: not in an array (%A is then the job's id) */
	int64_t array_task; /* -1: not in an array (%a is then "none") */
	const char *user; /* the user's login name, or the uid as text */
	const char *name; /* the job's name */
};

/* The default output file of a job, in its working directory. */
#define CPOOL_OUTPATTERN_DEFAULT "cpool-%j.out"

/* 0 when every % is one of the known ones; else -EINVAL with @e naming it. */
int cpool_outpattern_check(const char *pattern, struct cpool_error *e);
/* Expands @pattern into @out; -ENAMETOOLONG when it does not fit, -EINVAL for a bad %. */
int cpool_outpattern_expand(const char *pattern, const struct cpool_outpattern_vars *v, char *out,
			    size_t len, struct cpool_error *e);

#endif /* CPOOL_JOBCTL_H */
