// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* Per-VS limits of each job: see include/cpool/job_limits.h. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cpool/job_limits.h"
#include "cpool/protocol.h"
#include "cpool/units.h"

static const struct {
	const char *key;
	int resource;
	bool size; /* bytes (512K, 8M) rather than a count */
	struct rlimit def;
} rlimits[CPOOL_JOB_RLIMIT__COUNT] = {
	/* A login session's limits under systemd: soft 1024 for select(2)'s sake. */
	[CPOOL_JOB_RLIMIT_NOFILE] = { "job_rlimit_nofile", RLIMIT_NOFILE, false, { 1024, 524288 } },
	/*
	 * RLIMIT_NPROC counts every process of the user on the machine, not
	 * the job's: a finite default would fail one job for another's threads.
	 * A job's processes are bounded by its leaf's pids.max instead.
	 */
	[CPOOL_JOB_RLIMIT_NPROC] = { "job_rlimit_nproc",
				     RLIMIT_NPROC,
				     false,
				     { RLIM_INFINITY, RLIM_INFINITY } },
	/* systemd's default since v253; never the daemon's infinity. */
	[CPOOL_JOB_RLIMIT_MEMLOCK] = { "job_rlimit_memlock",
				       RLIMIT_MEMLOCK,
				       true,
				       { 8 << 20, 8 << 20 } },
	/* No core files unless the job asks (ulimit -c): they fill the user's directory. */
	[CPOOL_JOB_RLIMIT_CORE] = { "job_rlimit_core", RLIMIT_CORE, true, { 0, RLIM_INFINITY } },
};

int cpool_job_rlimit_resource(enum cpool_job_rlimit which)
{
	return rlimits[which].resource;
}

struct rlimit cpool_job_rlimit_get(const struct cpool_job_limits *l, enum cpool_job_rlimit which)
{
	return l && l->rlimit_set[which] ? l->rlimit[which] : rlimits[which].def;
}

uint32_t cpool_job_pids_max(const struct cpool_job_limits *l)
{
	if (l && l->pids_unlimited)
		return 0;
	return l && l->pids_max ? l->pids_max : CPOOL_JOB_PIDS_MAX_DEFAULT;
}

double cpool_job_kill_grace(const struct cpool_job_limits *l)
{
	return l && l->kill_grace_set ? l->kill_grace : CPOOL_JOB_KILL_GRACE_DEFAULT;
}

/* One side of an rlimit: "infinity", a count, or (with @size) bytes. */
static int parse_rlim(const char *text, bool size, rlim_t *out)
{
	uint64_t v;
	char *end;

	if (strcasecmp(text, "infinity") == 0 || strcasecmp(text, "unlimited") == 0) {
		*out = RLIM_INFINITY;
		return 0;
	}
	if (!isdigit((unsigned char)text[0]))
		return -EINVAL;
	if (size) {
		if (cpool_parse_size(text, &v))
			return -EINVAL;
	} else {
		errno = 0;
		v = strtoull(text, &end, 10);
		if (errno || *end)
			return -EINVAL;
	}
	if (v >= RLIM_INFINITY)
		return -EINVAL;
	*out = (rlim_t)v;
	return 0;
}

static int set_rlimit(struct cpool_job_limits *l, enum cpool_job_rlimit which, const char *value,
		      struct cpool_error *e)
{
	const char *colon = strchr(value, ':');
	char soft[64];
	struct rlimit r;
	size_t n = colon ? (size_t)(colon - value) : strlen(value);

	if (n >= sizeof(soft))
		n = sizeof(soft) - 1;
	memcpy(soft, value, n);
	soft[n] = '\0';
	if (parse_rlim(soft, rlimits[which].size, &r.rlim_cur) ||
	    parse_rlim(colon ? colon + 1 : soft, rlimits[which].size, &r.rlim_max))
		return cpool_error_set(e, -EINVAL,
				       "'%s' is not valid; use LIMIT or SOFT:HARD, each %s or "
				       "infinity",
				       value,
				       rlimits[which].size ? "a size such as 64M" : "a number");
	if (r.rlim_cur > r.rlim_max)
		return cpool_error_set(e, -EINVAL,
				       "'%s': the soft limit is above the hard one, which the "
				       "kernel refuses",
				       value);
	l->rlimit[which] = r;
	l->rlimit_set[which] = true;
	return 0;
}

static int set_time(double *field, const char *key, const char *value, struct cpool_error *e)
{
	double s;

	if (strcasecmp(value, "infinity") == 0 || strcasecmp(value, "unlimited") == 0) {
		*field = 0;
		return 0;
	}
	if (cpool_parse_duration(value, &s) || s <= 0 || s > CPOOL_PROTO_MAX_DURATION)
		return cpool_error_set(e, -EINVAL,
				       "%s '%s' is not valid; use a duration such as 30m, 12h or "
				       "7d (at most %d days), or infinity",
				       key, value, CPOOL_PROTO_MAX_DURATION / 86400);
	*field = s;
	return 0;
}

int cpool_job_limits_set(struct cpool_job_limits *l, const char *key, const char *value,
			 struct cpool_error *e)
{
	int r;

	if (strcmp(key, "default_time") == 0)
		r = set_time(&l->default_time, key, value, e);
	else if (strcmp(key, "max_time") == 0)
		r = set_time(&l->max_time, key, value, e);
	else if (strcmp(key, "kill_grace") == 0) {
		double g;

		/* Bounded: a job's CPUs stay taken until it is gone. */
		if (cpool_parse_duration(value, &g) || g > 3600)
			return cpool_error_set(
				e, -EINVAL,
				"kill_grace '%s' is not valid; use a duration from 0 "
				"to 1h, such as 10s",
				value);
		l->kill_grace = g;
		l->kill_grace_set = true;
		return 0;
	} else if (strcmp(key, "job_pids_max") == 0) {
		char *end;
		unsigned long v;

		if (strcmp(value, "max") == 0) {
			l->pids_unlimited = true;
			l->pids_max = 0;
			return 0;
		}
		errno = 0;
		v = strtoul(value, &end, 10);
		if (!isdigit((unsigned char)value[0]) || *end || errno || v < 1 || v > 4194304)
			return cpool_error_set(
				e, -EINVAL,
				"'%s' is not valid; use max or a number from 1 to 4194304", value);
		l->pids_max = (uint32_t)v;
		l->pids_unlimited = false;
		return 0;
	} else {
		for (int i = 0; i < CPOOL_JOB_RLIMIT__COUNT; i++)
			if (strcmp(key, rlimits[i].key) == 0)
				return set_rlimit(l, (enum cpool_job_rlimit)i, value, e);
		return -ENOENT;
	}
	if (!r && l->default_time > 0 && l->max_time > 0 && l->default_time > l->max_time)
		return cpool_error_set(e, -EINVAL,
				       "default_time %gs is above max_time %gs: no job could "
				       "run with the default",
				       l->default_time, l->max_time);
	return r;
}

static void format_rlim(rlim_t v, char *buf, size_t len)
{
	if (v == RLIM_INFINITY)
		snprintf(buf, len, "infinity");
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
}

void cpool_job_limits_each(const struct cpool_job_limits *l,
			   void (*put)(const char *key, const char *value, void *ctx), void *ctx)
{
	char buf[96];

	if (l->default_time > 0) {
		snprintf(buf, sizeof(buf), "%.17g", l->default_time);
		put("default_time", buf, ctx);
	}
	if (l->max_time > 0) {
		snprintf(buf, sizeof(buf), "%.17g", l->max_time);
		put("max_time", buf, ctx);
	}
	if (l->kill_grace_set) {
		snprintf(buf, sizeof(buf), "%.17g", l->kill_grace);
		put("kill_grace", buf, ctx);
	}
	if (l->pids_unlimited)
		put("job_pids_max", "max", ctx);
	else if (l->pids_max) {
		snprintf(buf, sizeof(buf), "%u", l->pids_max);
		put("job_pids_max", buf, ctx);
	}
	for (int i = 0; i < CPOOL_JOB_RLIMIT__COUNT; i++) {
		char soft[32], hard[32];

		if (!l->rlimit_set[i])
			continue;
		format_rlim(l->rlimit[i].rlim_cur, soft, sizeof(soft));
		format_rlim(l->rlimit[i].rlim_max, hard, sizeof(hard));
		snprintf(buf, sizeof(buf), "%s:%s", soft, hard);
		put(rlimits[i].key, buf, ctx);
	}
}

static void format_duration(double s, char *buf, size_t len)
{
	if (s >= 86400 && s == (double)(long long)(s / 86400) * 86400)
		snprintf(buf, len, "%lldd", (long long)(s / 86400));
	else if (s >= 3600 && s == (double)(long long)(s / 3600) * 3600)
		snprintf(buf, len, "%lldh", (long long)(s / 3600));
	else if (s >= 60 && s == (double)(long long)(s / 60) * 60)
		snprintf(buf, len, "%lldm", (long long)(s / 60));
	else
		snprintf(buf, len, "%gs", s);
}

int cpool_job_time_resolve(const struct cpool_job_limits *l, double requested, double *time_limit,
			   struct cpool_error *e)
{
	double t = requested > 0 ? requested : l->default_time;

	if (l->max_time > 0 && t <= 0)
		t = l->max_time; /* no time asked for, no default: the maximum bounds it */
	if (l->max_time > 0 && t > l->max_time) {
		char asked[32], max[32];

		format_duration(t, asked, sizeof(asked));
		format_duration(l->max_time, max, sizeof(max));
		return cpool_error_set(e, -EINVAL,
				       "time limit %s is above the vserver's max_time of %s", asked,
				       max);
	}
	*time_limit = t > 0 ? t : 0;
	return 0;
}

static double smallest_set(double a, double b)
{
	if (a <= 0)
		return b;
	if (b <= 0)
		return a;
	return a < b ? a : b;
}

void cpool_job_limits_strictest(const struct cpool_job_limits *const *vs, int n,
				struct cpool_job_limits *out)
{
	memset(out, 0, sizeof(*out));
	for (int i = 0; i < n; i++) {
		out->default_time = smallest_set(out->default_time, vs[i]->default_time);
		out->max_time = smallest_set(out->max_time, vs[i]->max_time);
	}
	if (out->max_time > 0 && out->default_time > out->max_time)
		out->default_time = out->max_time;
}

double cpool_job_policy_estimate(double estimate, double time_limit, double fallback)
{
	if (estimate > 0 && time_limit > 0)
		return estimate < time_limit ? estimate : time_limit;
	if (estimate > 0)
		return estimate;
	if (time_limit > 0)
		return time_limit;
	return fallback;
}

bool cpool_job_time_exceeded(double time_limit, double run_s)
{
	return time_limit > 0 && run_s >= time_limit;
}

double cpool_job_run_start(double exec_s, double now_s)
{
	return exec_s > 0 && exec_s <= now_s ? exec_s : now_s;
}

double cpool_job_run_span(double start_s, double end_s)
{
	return end_s > start_s ? end_s - start_s : 0;
}

int cpool_job_mark_started(double first_s, double *start_s, double now_s)
{
	if (*start_s != first_s)
		return -EALREADY;
	*start_s = now_s > first_s ? now_s : nextafter(first_s, INFINITY);
	return 0;
}
