// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The Standard Workload Format of the Parallel Workloads Archive: ';'
 * comment lines, then one job per line as 18 whitespace-separated numbers,
 * -1 meaning unknown.  Real logs have jobs that cannot be replayed (-1
 * processors, -1 runtime or submit time): those are skipped and counted.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpool/job.h"

#define SWF_FIELDS 18

static const char *const swf_names[SWF_FIELDS] = {
	"1 (job number)",
	"2 (submit time)",
	"3 (wait time)",
	"4 (run time)",
	"5 (allocated processors)",
	"6 (average CPU time)",
	"7 (used memory)",
	"8 (requested processors)",
	"9 (requested time)",
	"10 (requested memory)",
	"11 (status)",
	"12 (user id)",
	"13 (group id)",
	"14 (executable)",
	"15 (queue)",
	"16 (partition)",
	"17 (preceding job)",
	"18 (think time)",
};

/* SWF values are integers, but some converted logs write decimals: take both. */
static int parse_fields(char *p, double *v, size_t line, struct cpool_error *err)
{
	int n = 0;

	for (;;) {
		char *end;

		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		if (n == SWF_FIELDS)
			return cpool_trace_fail(err, line, "line", "more than %d fields",
						SWF_FIELDS);
		errno = 0;
		v[n] = strtod(p, &end);
		if (end == p || errno || !isfinite(v[n]) ||
		    (*end && !isspace((unsigned char)*end))) {
			size_t len = strcspn(p, " \t\r\n");

			return cpool_trace_fail(err, line, swf_names[n], "'%.*s' is not a number",
						(int)(len > 40 ? 40 : len), p);
		}
		p = end;
		n++;
	}
	if (n != SWF_FIELDS)
		return cpool_trace_fail(err, line, "line", "%d fields, SWF has %d", n, SWF_FIELDS);
	return 0;
}

static int64_t sec_to_us(double s)
{
	return llround(s * CPOOL_USEC_PER_SEC);
}

int cpool_trace_read_swf(FILE *in, struct cpool_trace *trace, struct cpool_error *err)
{
	char *buf = NULL;
	size_t cap = 0, line = 0;
	ssize_t len;
	int ret = 0;

	while ((len = getline(&buf, &cap, in)) >= 0) {
		double f[SWF_FIELDS];
		struct cpool_job job;
		const char *p = buf + strspn(buf, " \t\r\n");
		double kb;

		line++;
		if ((size_t)len != strlen(buf)) {
			ret = cpool_trace_fail(err, line, "line", "contains a NUL byte");
			break;
		}
		if (!*p || *p == ';')
			continue;
		ret = parse_fields(buf, f, line, err);
		if (ret)
			break;
		memset(&job, 0, sizeof(job));
		if (f[0] < 0 || f[0] > 1e15) {
			ret = cpool_trace_fail(err, line, swf_names[0],
					       "job number %.0f out of range", f[0]);
			break;
		}
		snprintf(job.id, sizeof(job.id), "%.0f", f[0]);
		if (f[1] < 0 || f[1] > CPOOL_JOB_TIME_MAX_S) {
			cpool_trace_skip(trace, line, "field %s is %g", swf_names[1], f[1]);
			continue;
		}
		if (f[3] < 0 || f[3] > CPOOL_JOB_TIME_MAX_S) {
			cpool_trace_skip(trace, line, "field %s is %g", swf_names[3], f[3]);
			continue;
		}
		/* Allocated processors are what ran; requested stands in when unknown. */
		if (f[4] >= 1)
			job.cpus = (int)f[4];
		else if (f[7] >= 1)
			job.cpus = (int)f[7];
		if (job.cpus < 1 || f[4] > CPOOL_MAX_CPUS || (f[4] < 1 && f[7] > CPOOL_MAX_CPUS)) {
			cpool_trace_skip(trace, line,
					 "fields %s and %s give no processor count (%.0f, %.0f)",
					 swf_names[4], swf_names[7], f[4], f[7]);
			continue;
		}
		job.submit_us = sec_to_us(f[1]);
		job.runtime_us = sec_to_us(f[3]);
		/* Requested time is the user's estimate; logs without it estimate exactly. */
		job.estimate_us =
			f[8] > 0 && f[8] <= CPOOL_JOB_TIME_MAX_S ? sec_to_us(f[8]) : job.runtime_us;
		/* Fair share charges the user; -1 (unknown) is everyone's user 0. */
		if (f[11] >= 0 && f[11] <= UINT32_MAX)
			job.user = (uint32_t)f[11];
		kb = f[9] > 0 ? f[9] : f[6] > 0 ? f[6] : 0;
		if (kb * 1024.0 * job.cpus < 1.8e19)
			job.mem = (uint64_t)(kb * 1024.0) * (uint64_t)job.cpus;
		ret = cpool_trace_append(trace, &job);
		if (ret)
			break;
	}
	free(buf);
	return ret;
}
