// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* Dependencies, arrays and job references: see include/cpool/jobctl.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpool/jobctl.h"

static const char *const when_names[CPOOL_DEP__COUNT] = {
	[CPOOL_DEP_OK] = "ok",
	[CPOOL_DEP_NOTOK] = "notok",
	[CPOOL_DEP_ANY] = "any",
};

const char *cpool_dep_when_name(enum cpool_dep_when w)
{
	return (unsigned)w < CPOOL_DEP__COUNT ? when_names[w] : "?";
}

/* A decimal number of the whole span [s, end) within min..max. */
static int parse_num(const char *s, const char *end, long long min, long long max, long long *out)
{
	long long v = 0;

	if (s == end)
		return -EINVAL;
	for (const char *p = s; p < end; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		if (v > (max - (*p - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (*p - '0');
	}
	if (v < min)
		return -ERANGE;
	*out = v;
	return 0;
}

int cpool_deps_parse(const char *text, struct cpool_dep **deps, size_t *n, struct cpool_error *e)
{
	struct cpool_dep *v = NULL;
	size_t count = 1, k = 0;
	const char *p = text;

	*deps = NULL;
	*n = 0;
	for (const char *c = text; *c; c++)
		count += *c == ',';
	if (!*text)
		return cpool_error_set(e, -EINVAL, "no job given: use ID[:ok|notok|any][,ID...]");
	if (count > CPOOL_DEPS_MAX)
		return cpool_error_set(e, -E2BIG, "more than %d dependencies", CPOOL_DEPS_MAX);
	v = calloc(count, sizeof(*v));
	if (!v)
		return cpool_error_set(e, -ENOMEM, "out of memory");
	for (;;) {
		const char *end = strchr(p, ','), *colon;
		long long id;

		if (!end)
			end = p + strlen(p);
		colon = memchr(p, ':', (size_t)(end - p));
		if (parse_num(p, colon ? colon : end, 1, INT64_MAX / 2, &id))
			goto bad;
		v[k].job = id;
		v[k].when = CPOOL_DEP_OK;
		if (colon) {
			size_t len = (size_t)(end - colon - 1);
			int w;

			for (w = 0; w < CPOOL_DEP__COUNT; w++)
				if (strlen(when_names[w]) == len &&
				    strncmp(colon + 1, when_names[w], len) == 0)
					break;
			if (w == CPOOL_DEP__COUNT)
				goto bad;
			v[k].when = (enum cpool_dep_when)w;
		}
		k++;
		if (!*end)
			break;
		p = end + 1;
	}
	*deps = v;
	*n = k;
	return 0;
bad:
	free(v);
	return cpool_error_set(e, -EINVAL,
			       "'%s' is not a list of ID[:ok|notok|any] separated by commas", text);
}

char *cpool_deps_format(const struct cpool_dep *deps, size_t n)
{
	size_t cap = n * 32 + 1, len = 0;
	char *s = malloc(cap);

	if (!s)
		return NULL;
	s[0] = '\0';
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(s + len, cap - len, "%s%lld:%s", i ? "," : "",
					(long long)deps[i].job, cpool_dep_when_name(deps[i].when));
	return s;
}

enum cpool_dep_verdict cpool_dep_judge(enum cpool_dep_when when, enum cpool_job_state state,
				       int exit_code, int signal)
{
	bool ok = state == CPOOL_JOB_DONE && exit_code == 0 && signal == 0;

	if (!cpool_job_state_ended(state))
		return CPOOL_DEP_PENDING;
	switch (when) {
	case CPOOL_DEP_OK:
		return ok ? CPOOL_DEP_MET : CPOOL_DEP_NEVER;
	case CPOOL_DEP_NOTOK:
		return ok ? CPOOL_DEP_NEVER : CPOOL_DEP_MET;
	default:
		return CPOOL_DEP_MET;
	}
}

int cpool_array_parse(const char *text, struct cpool_array_spec *a, struct cpool_error *e)
{
	const char *pct = strchr(text, '%'), *end = pct ? pct : text + strlen(text);
	const char *dash = memchr(text, '-', (size_t)(end - text));
	const char *colon = memchr(text, ':', (size_t)(end - text));
	long long first, last, step = 1, max = 0;

	if (colon && dash && colon < dash)
		goto bad;
	if (parse_num(text, dash ? dash : colon ? colon : end, 0, CPOOL_ARRAY_TASK_MAX, &first))
		goto bad;
	last = first;
	if (dash && parse_num(dash + 1, colon ? colon : end, 0, CPOOL_ARRAY_TASK_MAX, &last))
		goto bad;
	if (colon && parse_num(colon + 1, end, 1, CPOOL_ARRAY_TASK_MAX, &step))
		goto bad;
	if (pct && parse_num(pct + 1, pct + strlen(pct), 1, CPOOL_ARRAY_TASK_MAX, &max))
		goto bad;
	if (last < first)
		return cpool_error_set(e, -EINVAL, "'%s': the last index is below the first", text);
	*a = (struct cpool_array_spec){ (int)first, (int)last, (int)step, (int)max };
	return 0;
bad:
	return cpool_error_set(e, -EINVAL,
			       "'%s' is not FIRST-LAST[:STEP][%%MAX_RUNNING] (indices 0..%d)", text,
			       CPOOL_ARRAY_TASK_MAX);
}

int cpool_array_count(const struct cpool_array_spec *a)
{
	return (a->last - a->first) / a->step + 1;
}

int cpool_job_ref_parse(const char *text, struct cpool_job_ref *ref)
{
	const char *us = strchr(text, '_');
	long long id, task = -1;

	if (parse_num(text, us ? us : text + strlen(text), 1, INT64_MAX / 2, &id))
		return -EINVAL;
	if (us && parse_num(us + 1, us + strlen(us), 0, CPOOL_ARRAY_TASK_MAX, &task))
		return -EINVAL;
	ref->job = id;
	ref->task = task;
	return 0;
}

void cpool_job_ref_format(const struct cpool_job_ref *ref, char *buf, size_t len)
{
	if (ref->task >= 0)
		snprintf(buf, len, "%lld_%lld", (long long)ref->job, (long long)ref->task);
	else
		snprintf(buf, len, "%lld", (long long)ref->job);
}
