/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The workload model: a job as the scheduler sees it, and the two trace
 * formats that describe a workload (CSV with a header row, and the Standard
 * Workload Format of the Parallel Workloads Archive).
 *
 * Times are integer microseconds (int64_t, "_us"): the simulator compares
 * instants for equality (a job arriving exactly when a quantum expires), and
 * exact arithmetic makes that, and every run, deterministic.
 */
#ifndef CPOOL_JOB_H
#define CPOOL_JOB_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cpool/error.h"
#include "cpool/vserver.h"

#define CPOOL_JOB_ID_MAX 31
#define CPOOL_USEC_PER_SEC 1000000LL
/* Longest time a trace may give (about 31 years): keeps every sum in int64 microseconds. */
#define CPOOL_JOB_TIME_MAX_S 1e9

struct cpool_job {
	char id[CPOOL_JOB_ID_MAX + 1];
	int64_t submit_us;
	/* Wall time of work on each requested CPU (what it really takes). */
	int64_t runtime_us;
	/* The user's guess; what SJF, SRTF, HRRN and EASY see.  = runtime when unknown. */
	int64_t estimate_us;
	int cpus;
	uint64_t mem; /* bytes, whole job; 0 = unknown */
	int priority; /* lower = more urgent, as with nice */
	char vs[CPOOL_VS_NAME_MAX + 1]; /* required VS; "" = any */
	size_t index; /* input order: the last tie-breaker */
	uint32_t user; /* who submitted it (uid; a trace's user number): fairshare charges it */
};

enum cpool_trace_format {
	CPOOL_TRACE_AUTO, /* ".swf" / ".csv" suffix, else sniff the first data line */
	CPOOL_TRACE_CSV,
	CPOOL_TRACE_SWF,
};

struct cpool_trace {
	struct cpool_job *jobs;
	size_t n_jobs;
	size_t cap;
	/* Jobs that cannot run (unknown processors, negative runtime, ...): skipped, counted. */
	size_t n_skipped;
	/* The first skipped job, for the warning: "line 12: field 5 (allocated processors) is -1". */
	char first_skip[160];
};

/*
 * Read a trace.  Returns 0, or -EINVAL with @err filled for malformed
 * input (err->line, and a message "field NAME: what is wrong"), -ENOMEM, or -errno from reading.  Jobs that
 * are well-formed but cannot run are skipped and counted in @trace, never an
 * error.  Jobs keep file order in @trace->jobs; index is that order.
 * cpool_trace_free() releases @trace in every case.
 */
int cpool_trace_read(FILE *in, enum cpool_trace_format format, struct cpool_trace *trace,
		     struct cpool_error *err);
/*
 * Opens @path and reads it; every error's message is complete, with the
 * path: "FILE:LINE: field NAME: ...", "reading FILE: No such file or directory".
 */
int cpool_trace_load(const char *path, enum cpool_trace_format format, struct cpool_trace *trace,
		     struct cpool_error *err);
void cpool_trace_free(struct cpool_trace *trace);

/* Format-specific readers used by cpool_trace_read (same contract). */
int cpool_trace_read_csv(FILE *in, struct cpool_trace *trace, struct cpool_error *err);
int cpool_trace_read_swf(FILE *in, struct cpool_trace *trace, struct cpool_error *err);

/* Internal to the readers: fill @err ("field NAME: ...", line) and return -EINVAL. */
int cpool_trace_fail(struct cpool_error *err, size_t line, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Internal to the readers: append a job (sets index), -ENOMEM. */
int cpool_trace_append(struct cpool_trace *trace, const struct cpool_job *job);
/* Count a skipped job, remembering the first reason. */
void cpool_trace_skip(struct cpool_trace *trace, size_t line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static inline double cpool_us_to_s(int64_t us)
{
	return (double)us / (double)CPOOL_USEC_PER_SEC;
}

#endif /* CPOOL_JOB_H */
