// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * CSV traces: a header row names the columns (any order), one job a row.
 * Required: id,submit,runtime,cpus,mem,priority; optional: estimate,vs,user.
 * No quoting: no field of this format needs a comma.  Blank lines and lines
 * starting with '#' are ignored.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpool/enum_names.h"
#include "cpool/job.h"
#include "cpool/units.h"
#include "cpool/vserver.h"

enum csv_col {
	COL_ID,
	COL_SUBMIT,
	COL_RUNTIME,
	COL_CPUS,
	COL_MEM,
	COL_PRIORITY,
	COL_ESTIMATE,
	COL_VS,
	COL_USER,
	COL__COUNT
};

static const char *const col_names[COL__COUNT] = {
	"id", "submit", "runtime", "cpus", "mem", "priority", "estimate", "vs", "user",
};
#define COL__REQUIRED COL_ESTIMATE
static struct cpool_enum_names col_enum = CPOOL_ENUM_NAMES(col_names);

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* Split @line in place on commas; returns the number of fields (at most @max + 1). */
static int split(char *line, char **fields, int max)
{
	int n = 0;

	for (char *p = line;; n++) {
		char *comma = strchr(p, ',');

		if (n < max)
			fields[n] = p;
		if (!comma)
			return n + 1;
		*comma = '\0';
		p = comma + 1;
	}
}

static int to_us(const char *text, int64_t *us)
{
	double s;

	if (cpool_parse_duration(text, &s) || s > CPOOL_JOB_TIME_MAX_S)
		return -EINVAL;
	*us = llround(s * CPOOL_USEC_PER_SEC);
	return 0;
}

static int to_int(const char *text, long min, long max, int *v)
{
	char *end;
	long l;

	errno = 0;
	l = strtol(text, &end, 10);
	if (errno || end == text || *end || l < min || l > max)
		return -EINVAL;
	*v = (int)l;
	return 0;
}

static int parse_row(char **f, const int *pos, size_t line, struct cpool_job *job,
		     struct cpool_error *err)
{
	const char *v;

	memset(job, 0, sizeof(*job));
	v = f[pos[COL_ID]];
	if (!*v)
		return cpool_trace_fail(err, line, "id", "empty");
	if (strlen(v) > CPOOL_JOB_ID_MAX)
		return cpool_trace_fail(err, line, "id", "'%.40s' is longer than %d characters", v,
					CPOOL_JOB_ID_MAX);
	strcpy(job->id, v);
	if (to_us(f[pos[COL_SUBMIT]], &job->submit_us))
		return cpool_trace_fail(err, line, "submit", "'%.40s' is not a time in seconds",
					f[pos[COL_SUBMIT]]);
	if (to_us(f[pos[COL_RUNTIME]], &job->runtime_us))
		return cpool_trace_fail(err, line, "runtime", "'%.40s' is not a time in seconds",
					f[pos[COL_RUNTIME]]);
	if (to_int(f[pos[COL_CPUS]], 1, CPOOL_MAX_CPUS, &job->cpus))
		return cpool_trace_fail(err, line, "cpus", "'%.40s' is not a CPU count (1..%d)",
					f[pos[COL_CPUS]], CPOOL_MAX_CPUS);
	v = f[pos[COL_MEM]];
	if (*v && cpool_parse_size(v, &job->mem))
		return cpool_trace_fail(err, line, "mem",
					"'%.40s' is not a size (bytes, or with K/M/G)", v);
	if (to_int(f[pos[COL_PRIORITY]], INT_MIN / 2, INT_MAX / 2, &job->priority))
		return cpool_trace_fail(err, line, "priority", "'%.40s' is not an integer",
					f[pos[COL_PRIORITY]]);
	job->estimate_us = job->runtime_us;
	if (pos[COL_ESTIMATE] >= 0 && *(v = f[pos[COL_ESTIMATE]]) && to_us(v, &job->estimate_us))
		return cpool_trace_fail(err, line, "estimate", "'%.40s' is not a time in seconds",
					v);
	if (pos[COL_VS] >= 0 && *(v = f[pos[COL_VS]])) {
		if (cpool_vs_name_check(v))
			return cpool_trace_fail(err, line, "vs",
						"'%.40s' is not a virtual server name", v);
		strcpy(job->vs, v);
	}
	if (pos[COL_USER] >= 0 && *(v = f[pos[COL_USER]])) {
		int user;

		if (to_int(v, 0, INT_MAX, &user))
			return cpool_trace_fail(err, line, "user",
						"'%.40s' is not a user number (0 or more)", v);
		job->user = (uint32_t)user;
	}
	return 0;
}

int cpool_trace_read_csv(FILE *in, struct cpool_trace *trace, struct cpool_error *err)
{
	int pos[COL__COUNT], n_cols = 0, ret = 0;
	char **fields = NULL;
	char *buf = NULL;
	size_t cap = 0, line = 0;
	bool header = false;
	ssize_t len;

	while ((len = getline(&buf, &cap, in)) >= 0) {
		char *p;
		int n;

		line++;
		if ((size_t)len != strlen(buf)) {
			ret = cpool_trace_fail(err, line, "line", "contains a NUL byte");
			break;
		}
		p = trim(buf);
		if (!*p || *p == '#')
			continue;
		if (!header) {
			n_cols = 1;
			for (const char *c = p; (c = strchr(c, ',')); c++)
				n_cols++;
			fields = calloc((size_t)n_cols, sizeof(*fields));
			if (!fields) {
				ret = -ENOMEM;
				break;
			}
			split(p, fields, n_cols);
			for (int c = 0; c < COL__COUNT; c++)
				pos[c] = -1;
			for (int i = 0; i < n_cols && !ret; i++) {
				char *name = trim(fields[i]);
				int c;

				for (c = 0; c < COL__COUNT; c++)
					if (strcasecmp(name, col_names[c]) == 0)
						break;
				if (!*name)
					ret = cpool_trace_fail(err, line, "header",
							       "column %d has no name", i + 1);
				else if (c == COL__COUNT)
					ret = cpool_trace_fail(err, line, name,
							       "unknown column (known: %s)",
							       cpool_enum_list(&col_enum));
				else if (pos[c] >= 0)
					ret = cpool_trace_fail(err, line, name,
							       "column named twice");
				else
					pos[c] = i;
			}
			for (int c = 0; c < COL__REQUIRED && !ret; c++)
				if (pos[c] < 0)
					ret = cpool_trace_fail(
						err, line, col_names[c],
						"required column missing from the header");
			if (ret)
				break;
			header = true;
			continue;
		}
		n = split(p, fields, n_cols);
		if (n != n_cols) {
			ret = cpool_trace_fail(err, line, "line", "%d fields, the header has %d", n,
					       n_cols);
			break;
		}
		for (int i = 0; i < n; i++)
			fields[i] = trim(fields[i]);
		{
			struct cpool_job job;

			ret = parse_row(fields, pos, line, &job, err);
			if (ret)
				break;
			ret = cpool_trace_append(trace, &job);
			if (ret)
				break;
		}
	}
	if (!ret && !header)
		ret = cpool_trace_fail(err, line ? line : 1, "header",
				       "no header row (id,submit,runtime,cpus,mem,priority)");
	free(fields);
	free(buf);
	return ret;
}
