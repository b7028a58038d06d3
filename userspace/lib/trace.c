// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* Trace reading common to both formats: the job list, skips, format choice. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <stdbool.h>

#include "cpool/job.h"

int cpool_trace_fail(struct cpool_error *err, size_t line, const char *field, const char *fmt, ...)
{
	char what[CPOOL_ERROR_MSG_MAX / 2];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	cpool_error_set(err, -EINVAL, "field %s: %s", field, what);
	if (err)
		err->line = line;
	return -EINVAL;
}

int cpool_trace_append(struct cpool_trace *trace, const struct cpool_job *job)
{
	if (trace->n_jobs == trace->cap) {
		size_t cap = trace->cap ? trace->cap * 2 : 256;
		struct cpool_job *jobs = realloc(trace->jobs, cap * sizeof(*jobs));

		if (!jobs)
			return -ENOMEM;
		trace->jobs = jobs;
		trace->cap = cap;
	}
	trace->jobs[trace->n_jobs] = *job;
	trace->jobs[trace->n_jobs].index = trace->n_jobs;
	trace->n_jobs++;
	return 0;
}

void cpool_trace_skip(struct cpool_trace *trace, size_t line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (trace->n_skipped++ == 0) {
		n = snprintf(trace->first_skip, sizeof(trace->first_skip), "line %zu: ", line);
		if (n < 0 || (size_t)n >= sizeof(trace->first_skip))
			return;
		va_start(ap, fmt);
		vsnprintf(trace->first_skip + n, sizeof(trace->first_skip) - (size_t)n, fmt, ap);
		va_end(ap);
	}
}

void cpool_trace_free(struct cpool_trace *trace)
{
	free(trace->jobs);
	memset(trace, 0, sizeof(*trace));
}

/*
 * Without a telling suffix, the first line that is neither blank nor a
 * comment decides: a CSV header has commas, an SWF job line has none.
 */
static enum cpool_trace_format sniff(FILE *in)
{
	enum cpool_trace_format f = CPOOL_TRACE_SWF;
	char buf[4096];
	long pos = ftell(in);

	while (fgets(buf, sizeof(buf), in)) {
		const char *p = buf + strspn(buf, " \t\r\n");

		if (!*p || *p == ';' || *p == '#')
			continue;
		if (strchr(p, ','))
			f = CPOOL_TRACE_CSV;
		break;
	}
	if (pos >= 0)
		fseek(in, pos, SEEK_SET);
	return f;
}

int cpool_trace_read(FILE *in, enum cpool_trace_format format, struct cpool_trace *trace,
		     struct cpool_error *err)
{
	memset(trace, 0, sizeof(*trace));
	memset(err, 0, sizeof(*err));
	if (format == CPOOL_TRACE_AUTO)
		format = sniff(in);
	if (format == CPOOL_TRACE_CSV)
		return cpool_trace_read_csv(in, trace, err);
	return cpool_trace_read_swf(in, trace, err);
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

int cpool_trace_load(const char *path, enum cpool_trace_format format, struct cpool_trace *trace,
		     struct cpool_error *err)
{
	FILE *in;
	int ret;

	memset(trace, 0, sizeof(*trace));
	memset(err, 0, sizeof(*err));
	if (format == CPOOL_TRACE_AUTO && has_suffix(path, ".swf"))
		format = CPOOL_TRACE_SWF;
	else if (format == CPOOL_TRACE_AUTO && has_suffix(path, ".csv"))
		format = CPOOL_TRACE_CSV;
	in = fopen(path, "re");
	if (!in)
		return cpool_error_set(err, -errno, "reading %s: %s", path, strerror(errno));
	ret = cpool_trace_read(in, format, trace, err);
	if (!ret && ferror(in))
		ret = -EIO;
	fclose(in);
	if (ret && err->line)
		cpool_error_prefix(err, "%s:%zu", path, err->line);
	else if (ret)
		cpool_error_set(err, ret, "reading %s: %s", path, strerror(-ret));
	return ret;
}
