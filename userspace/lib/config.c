// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cpool/error.h"
#include "cpool/config.h"
#include "cpool/fairshare.h"
#include "cpool/jobctl.h"
#include "cpool/policy.h"
#include "cpool/units.h"

static int parse_uint(const char *text, unsigned long long max, unsigned long long *out)
{
	unsigned long long v = 0;
	const char *p = text;

	while (isspace((unsigned char)*p))
		p++;
	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		v = v * 10 + (unsigned long long)(*p - '0');
		if (v > max)
			return -ERANGE;
	}
	while (isspace((unsigned char)*p))
		p++;
	if (*p)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_bool(const char *text, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (int i = 0; i < 4; i++) {
		if (strcasecmp(text, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(text, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

/*
 * cpu_max: "max", "200%" (of one CPU, over the kernel's 100 ms period), or
 * the kernel's own "QUOTA PERIOD" in microseconds ("max PERIOD" too).
 */
static int parse_cpu_max(const char *text, uint64_t *quota, uint64_t *period)
{
	unsigned long long q = 0, per = 0;
	char a[64], b[64], extra[2];
	int n = sscanf(text, "%63s %63s %1s", a, b, extra);
	size_t len;

	if (n < 1 || n > 2)
		return -EINVAL;
	len = strlen(a);
	if (n == 1 && len > 1 && a[len - 1] == '%') {
		double pct;
		char *end;

		a[len - 1] = '\0';
		if (!isdigit((unsigned char)a[0]))
			return -EINVAL;
		pct = strtod(a, &end);
		if (*end || pct <= 0 || pct > 100000)
			return -EINVAL;
		*quota = (uint64_t)(pct * 1000.0 + 0.5); /* 100000 us period / 100 % */
		*period = 100000;
		return *quota >= 1000 ? 0 : -EINVAL;
	}
	if (strcmp(a, "max") != 0) {
		if (parse_uint(a, 1000000000000ULL, &q) || q < 1000)
			return -EINVAL;
	}
	if (n == 2 && (parse_uint(b, 1000000, &per) || per < 1000))
		return -EINVAL;
	*quota = q;
	*period = per;
	return 0;
}

const char *cpool_vs_spec_keys(void)
{
	return "cpus, memory, numa, mems, exclusive, smt, cpu_weight, cpu_max, memory_high, "
	       "pids_max, default_time, max_time, kill_grace, job_pids_max, job_rlimit_nofile, "
	       "job_rlimit_nproc, job_rlimit_memlock, job_rlimit_core";
}

int cpool_vs_spec_set(struct cpool_vs_spec *s, const char *key, const char *value,
		      struct cpool_error *e)
{
	unsigned long long u;
	const char *bad = NULL;
	int err;

	/* What each job of the VS gets: its own keys (job_limits.c). */
	err = cpool_job_limits_set(&s->job, key, value, e);
	if (err != -ENOENT)
		return err;
	if (strcmp(key, "cpus") == 0) {
		if (parse_uint(value, 100000, &u) == 0) {
			if (u == 0)
				return cpool_error_set(
					e, -EINVAL,
					"'%s' is not valid; cpus is a count of at least 1 or a "
					"CPU list such as 4-7,12",
					value);
			s->cpus = (int)u;
			s->cpus_explicit = false;
			return 0;
		}
		err = cpool_cpuset_parse(&s->cpu_list, value, &bad);
		if (err || cpool_cpuset_empty(&s->cpu_list))
			return cpool_error_set(
				e, -EINVAL,
				"'%s' is not a CPU count or list%s%s%s; write a count (8) or a "
				"list of CPUs and ranges (4-7,12)",
				value, bad ? " (at '" : "", bad ? bad : "", bad ? "')" : "");
		s->cpus_explicit = true;
		s->cpus = cpool_cpuset_count(&s->cpu_list);
		return 0;
	}
	if (strcmp(key, "memory") == 0 || strcmp(key, "memory_high") == 0) {
		uint64_t bytes;

		if (cpool_parse_size(value, &bytes))
			return cpool_error_set(
				e, -EINVAL,
				"'%s' is not a size; write bytes with an optional K, M, G or T "
				"suffix, e.g. 16G",
				value);
		if (bytes == 0)
			return cpool_error_set(
				e, -EINVAL,
				"a limit of 0 bytes would stop every process; leave the key out "
				"for no limit, or give a size such as 512M");
		if (key[6] == '\0')
			s->limits.memory_max = bytes;
		else
			s->limits.memory_high = bytes;
		return 0;
	}
	if (strcmp(key, "numa") == 0) {
		if (cpool_numa_parse(value, &s->numa))
			return cpool_error_set(e, -EINVAL, "'%s' is not valid; use one of %s",
					       value, cpool_numa_names());
		return 0;
	}
	if (strcmp(key, "mems") == 0) {
		err = cpool_cpuset_parse(&s->mems, value, &bad);
		if (err || cpool_cpuset_empty(&s->mems))
			return cpool_error_set(
				e, -EINVAL,
				"'%s' is not a NUMA node list%s%s%s; write nodes and ranges, "
				"e.g. 0-1,3",
				value, bad ? " (at '" : "", bad ? bad : "", bad ? "')" : "");
		s->mems_explicit = true;
		return 0;
	}
	if (strcmp(key, "exclusive") == 0) {
		if (parse_bool(value, &s->exclusive))
			return cpool_error_set(e, -EINVAL, "'%s' is not valid; use yes or no",
					       value);
		return 0;
	}
	if (strcmp(key, "smt") == 0) {
		if (cpool_smt_parse(value, &s->smt))
			return cpool_error_set(e, -EINVAL, "'%s' is not valid; use one of %s",
					       value, cpool_smt_names());
		return 0;
	}
	if (strcmp(key, "cpu_weight") == 0) {
		if (parse_uint(value, 10000, &u) || u < 1)
			return cpool_error_set(e, -EINVAL,
					       "'%s' is not valid; use a number from 1 to 10000",
					       value);
		s->limits.cpu_weight = (uint32_t)u;
		return 0;
	}
	if (strcmp(key, "cpu_max") == 0) {
		if (parse_cpu_max(value, &s->limits.cpu_max_quota_us, &s->limits.cpu_max_period_us))
			return cpool_error_set(
				e, -EINVAL,
				"'%s' is not valid; use max, a share of one CPU such as 250%%, "
				"or QUOTA PERIOD in microseconds (at least 1000) such as "
				"\"200000 100000\"",
				value);
		return 0;
	}
	if (strcmp(key, "pids_max") == 0) {
		if (strcmp(value, "max") == 0) {
			s->limits.pids_max = 0;
			return 0;
		}
		if (parse_uint(value, 4194304, &u) || u < 1)
			return cpool_error_set(
				e, -EINVAL,
				"'%s' is not valid; use max or a number from 1 to 4194304", value);
		s->limits.pids_max = (uint32_t)u;
		return 0;
	}
	return cpool_error_set(e, -ENOENT, "unknown key '%s'; valid keys: %s", key,
			       cpool_vs_spec_keys());
}

/* ---- [limits] ------------------------------------------------------------- */

void cpool_user_limits_default(struct cpool_user_limits *l)
{
	*l = (struct cpool_user_limits){
		.max_connections = 256,
		.root_connections = 4,
		.connections_per_user = 32,
		.queued_jobs_per_user = 1000,
		.running_cpus_per_user = 0,
		.max_array_size = 1000,
		.submit_rate = 10,
		.submit_burst = 100,
		.idle_timeout = 300,
	};
}

static const char limits_keys[] = "max_connections, root_connections, connections_per_user, "
				  "queued_jobs_per_user, running_cpus_per_user, submit_rate, "
				  "submit_burst, idle_timeout, max_array_size";

/* Counts of [limits]: the key, where it lives, and the range that is sane. */
static const struct {
	const char *key;
	size_t offset;
	unsigned long long min, max;
} limits_counts[] = {
	{ "max_connections", offsetof(struct cpool_user_limits, max_connections), 1, 65536 },
	{ "root_connections", offsetof(struct cpool_user_limits, root_connections), 0, 65536 },
	{ "connections_per_user", offsetof(struct cpool_user_limits, connections_per_user), 0,
	  65536 },
	{ "queued_jobs_per_user", offsetof(struct cpool_user_limits, queued_jobs_per_user), 0,
	  10000000 },
	{ "running_cpus_per_user", offsetof(struct cpool_user_limits, running_cpus_per_user), 0,
	  100000 },
	{ "submit_burst", offsetof(struct cpool_user_limits, submit_burst), 1, 1000000 },
	{ "max_array_size", offsetof(struct cpool_user_limits, max_array_size), 0,
	  CPOOL_ARRAY_TASK_MAX + 1 },
};

static int limits_set(struct cpool_user_limits *l, const char *key, const char *value,
		      struct cpool_error *e)
{
	unsigned long long u;
	double v;

	for (size_t i = 0; i < sizeof(limits_counts) / sizeof(limits_counts[0]); i++) {
		if (strcmp(key, limits_counts[i].key) != 0)
			continue;
		if (parse_uint(value, limits_counts[i].max, &u) || u < limits_counts[i].min)
			return cpool_error_set(
				e, -EINVAL, "'%s' is not valid; use a number from %llu to %llu%s",
				value, limits_counts[i].min, limits_counts[i].max,
				limits_counts[i].min ? "" : " (0: no limit)");
		*(int *)((char *)l + limits_counts[i].offset) = (int)u;
		return 0;
	}
	if (strcmp(key, "submit_rate") == 0) {
		char *end;

		v = strtod(value, &end);
		if (end == value || *end || !(v > 0) || v > 1e6)
			return cpool_error_set(
				e, -EINVAL,
				"'%s' is not valid; use submissions per second, more than 0 and "
				"at most 1000000 (e.g. 10 or 0.5)",
				value);
		l->submit_rate = v;
		return 0;
	}
	if (strcmp(key, "idle_timeout") == 0) {
		if (cpool_parse_duration(value, &v) || v < 1 || v > 86400)
			return cpool_error_set(
				e, -EINVAL,
				"'%s' is not valid; use a duration from 1s to 1d, e.g. 300 or 5m",
				value);
		l->idle_timeout = v;
		return 0;
	}
	return cpool_error_set(e, -ENOENT, "unknown key '%s'; valid keys: %s", key, limits_keys);
}

/* Counts that only make sense together; @e gets what to change. */
static int limits_check(const struct cpool_user_limits *l, struct cpool_error *e)
{
	if (l->root_connections >= l->max_connections)
		return cpool_error_set(
			e, -EINVAL,
			"root_connections (%d) must be less than max_connections (%d), or "
			"no other user could connect",
			l->root_connections, l->max_connections);
	return 0;
}

/* ---- the file ------------------------------------------------------------- */

enum section { SEC_NONE, SEC_POOL, SEC_VSERVER, SEC_LIMITS, SEC_METRICS, SEC_BAD };

#define MAX_KEYS 16

struct parse {
	struct cpool_pool_config *c;
	const char *file;
	FILE *in;
	int line;
	enum section sec;
	int vs; /* index of the current [vserver] */
	bool pool_seen;
	int limits_line; /* of the [limits] header; 0 = none yet */
	char seen[MAX_KEYS][32]; /* keys of the current section, for duplicates */
	int nr_seen;
	struct cpool_error *e;
	int err;
};

static __attribute__((format(printf, 2, 3))) void error_at(struct parse *ps, const char *fmt, ...)
{
	va_list ap;

	if (ps->err)
		return; /* the first error is the one to fix */
	ps->err = -EINVAL;
	va_start(ap, fmt);
	cpool_error_vset(ps->e, ps->err, fmt, ap);
	va_end(ap);
	cpool_error_prefix(ps->e, "%s:%d", ps->file, ps->line);
	if (ps->e)
		ps->e->line = (size_t)ps->line;
}

static void begin_section(struct parse *ps, const char *head)
{
	char name[256];
	const char *p;
	size_t n;

	ps->nr_seen = 0;
	if (strcmp(head, "pool") == 0) {
		if (ps->pool_seen)
			error_at(ps, "duplicate section [pool]; there is one [pool]");
		ps->pool_seen = true;
		ps->sec = SEC_POOL;
		return;
	}
	if (strcmp(head, "limits") == 0) {
		if (ps->limits_line)
			error_at(ps, "duplicate section [limits]; the first is on line %d",
				 ps->limits_line);
		ps->limits_line = ps->line;
		ps->sec = SEC_LIMITS;
		return;
	}
	if (strcmp(head, "metrics") == 0) {
		ps->sec = SEC_METRICS;
		return;
	}
	ps->sec = SEC_BAD;
	if (strncmp(head, "vserver", 7) != 0 || !isspace((unsigned char)head[7])) {
		error_at(
			ps,
			"unknown section [%s]; valid sections: [pool], [limits], [metrics], [vserver NAME]",
			head);
		return;
	}
	for (p = head + 7; isspace((unsigned char)*p); p++)
		;
	n = strlen(p);
	while (n && isspace((unsigned char)p[n - 1]))
		n--;
	if (n >= sizeof(name))
		n = sizeof(name) - 1;
	memcpy(name, p, n);
	name[n] = '\0';
	if (cpool_vs_name_check(name)) {
		error_at(ps,
			 "[vserver %s]: '%s' is not a valid name; use 1-%d characters of A-Z a-z "
			 "0-9 _ . - not starting with '.'",
			 name, name, CPOOL_VS_NAME_MAX);
		return;
	}
	for (int i = 0; i < ps->c->nr_vs; i++)
		if (strcmp(ps->c->vs[i].name, name) == 0) {
			error_at(ps, "duplicate [vserver %s]; the first is on line %d", name,
				 ps->c->vs[i].line);
			return;
		}
	{
		struct cpool_vs_spec *grown =
			realloc(ps->c->vs, sizeof(*grown) * (size_t)(ps->c->nr_vs + 1));

		if (!grown) {
			ps->err = -ENOMEM;
			return;
		}
		ps->c->vs = grown;
		cpool_vs_spec_init(&grown[ps->c->nr_vs], name);
		grown[ps->c->nr_vs].line = ps->line;
		ps->vs = ps->c->nr_vs++;
		ps->sec = SEC_VSERVER;
	}
}

/*
 * inih's handler gets no line number in Debian's build (INI_HANDLER_LINENO
 * is 0), so our reader counts lines, and sees the section headers itself:
 * inih reports a section only when it has keys, and an empty or misspelt
 * one must not vanish silently.
 */
static char *reader(char *str, int num, void *stream)
{
	struct parse *ps = stream;
	char *p;
	size_t n;

	if (ps->err)
		return NULL;
	if (!fgets(str, num, ps->in))
		return NULL;
	ps->line++;
	n = strlen(str);
	if (n && str[n - 1] != '\n' && !feof(ps->in)) {
		error_at(ps, "line longer than %d characters", num - 2);
		return NULL;
	}
	for (p = str; isspace((unsigned char)*p); p++)
		;
	if (*p == '[') {
		char *end = strchr(p, ']');

		if (!end) {
			error_at(ps, "section header without ']'");
			return NULL;
		}
		*end = '\0';
		begin_section(ps, p + 1);
		*end = ']';
	}
	return str;
}

/*
 * [pool] policy, quantum, admit_p99 and fairshare_half_life: true when @key is one
 * of them (an error in it is in ps->err).
 */
static bool pool_policy_key(struct parse *ps, struct cpool_pool_config *c, const char *key,
			    const char *value)
{
	double sec;

	if (strcmp(key, "policy") == 0) {
		enum cpool_sched s;

		if (cpool_sched_parse(value, &s))
			error_at(ps, "[pool] key 'policy': '%s' is not valid; use %s", value,
				 cpool_sched_names());
		else
			c->sched = (int)s;
		return true;
	}
	if (strcmp(key, "quantum") == 0) {
		if (cpool_parse_duration(value, &sec) || sec < 0.001 || sec > 3600)
			error_at(ps,
				 "[pool] key 'quantum': '%s' is not valid; use a duration from "
				 "1ms to 1h, e.g. 100ms",
				 value);
		else
			c->quantum = sec;
		return true;
	}
	if (strcmp(key, "admit_p99") == 0) {
		if (strcmp(value, "off") == 0)
			sec = 0;
		else if (cpool_parse_duration(value, &sec) || sec < 0 || sec > 3600)
			sec = -1;
		if (sec < 0)
			error_at(ps,
				 "[pool] key 'admit_p99': '%s' is not valid; use a duration up "
				 "to 1h, e.g. 2ms, or off",
				 value);
		else
			c->admit_p99 = sec;
		return true;
	}
	if (strcmp(key, "fairshare_half_life") == 0) {
		if (cpool_parse_duration(value, &sec) || sec < 0 || sec > 3660 * 86400.0)
			error_at(ps,
				 "[pool] key 'fairshare_half_life': '%s' is not valid; use a "
				 "duration up to 10 years, e.g. 7d (0: no decay)",
				 value);
		else
			c->fairshare_half_life = sec;
		return true;
	}
	return false;
}

static int handler(void *user, const char *section, const char *key, const char *value)
{
	struct parse *ps = user;
	struct cpool_pool_config *c = ps->c;
	struct cpool_error why;

	if (ps->err)
		return 0;
	if (ps->sec == SEC_BAD)
		return 1; /* already reported at the header */
	if (ps->sec == SEC_NONE) {
		error_at(ps, "key '%s' outside any section; put it under [pool] or [vserver NAME]",
			 key);
		return 0;
	}
	for (int i = 0; i < ps->nr_seen; i++)
		if (strcmp(ps->seen[i], key) == 0) {
			error_at(ps, "[%s] key '%s' is set twice", section, key);
			return 0;
		}
	if (ps->nr_seen < MAX_KEYS)
		snprintf(ps->seen[ps->nr_seen++], sizeof(ps->seen[0]), "%s", key);
	if (ps->sec == SEC_POOL) {
		if (strcmp(key, "name") == 0) {
			if (cpool_vs_name_check(value)) {
				error_at(
					ps,
					"[pool] key 'name': '%s' is not valid; use 1-%d characters "
					"of A-Z a-z 0-9 _ . - not starting with '.'",
					value, CPOOL_VS_NAME_MAX);
				return 0;
			}
			snprintf(c->name, sizeof(c->name), "%s", value);
		} else if (strcmp(key, "reserved_cpus") == 0) {
			const char *bad = NULL;

			c->reserved_set = true;
			if (strcmp(value, "none") == 0 || value[0] == '\0') {
				cpool_cpuset_zero(&c->reserved);
			} else if (cpool_cpuset_parse(&c->reserved, value, &bad)) {
				error_at(ps,
					 "[pool] key 'reserved_cpus': '%s' is not a CPU list (at "
					 "'%s'); write CPUs and ranges such as 0,40 or none",
					 value, bad ? bad : value);
				return 0;
			}
		} else if (strcmp(key, "placement") == 0) {
			if (cpool_fit_parse(value, &c->placement)) {
				error_at(ps, "[pool] key 'placement': '%s' is not valid; use %s",
					 value, cpool_fit_names());
				return 0;
			}
			c->placement_set = true;
		} else if (strcmp(key, "retention") == 0) {
			double v;

			if (strcmp(value, "off") == 0) {
				c->retention_s = 0;
			} else if (cpool_parse_duration(value, &v) || v < 3600 ||
				   v > 3650 * 86400.0) {
				error_at(
					ps,
					"[pool] key 'retention': '%s' is not valid; use a duration "
					"from 1h to 3650d (30d) or off",
					value);
				return 0;
			} else {
				c->retention_s = v;
			}
		} else if (pool_policy_key(ps, c, key, value)) {
			return ps->err ? 0 : 1;
		} else {
			error_at(ps,
				 "[pool] unknown key '%s'; valid keys: name, reserved_cpus, "
				 "placement, policy, quantum, admit_p99, fairshare_half_life, "
				 "retention",
				 key);
			return 0;
		}
		return 1;
	}
	if (ps->sec == SEC_LIMITS) {
		if (limits_set(&c->limits, key, value, &why)) {
			if (strncmp(why.msg, "unknown", 7) == 0)
				error_at(ps, "[limits] %s", why.msg);
			else
				error_at(ps, "[limits] key '%s': %s", key, why.msg);
			return 0;
		}
		return 1;
	}
	if (ps->sec == SEC_METRICS) {
		struct sockaddr_storage addr;

		if (strcmp(key, "listen") != 0) {
			error_at(ps, "[metrics] unknown key '%s'; valid keys: listen", key);
			return 0;
		}
		if (strcmp(value, "off") == 0) {
			c->metrics_listen[0] = '\0';
		} else if (strlen(value) >= sizeof(c->metrics_listen) ||
			   cpool_listen_parse(value, &addr)) {
			error_at(ps,
				 "[metrics] key 'listen': '%s' is not valid; use off, IPv4:PORT "
				 "(127.0.0.1:9464) or [IPv6]:PORT ([::1]:9464)",
				 value);
			return 0;
		} else {
			snprintf(c->metrics_listen, sizeof(c->metrics_listen), "%s", value);
		}
		return 1;
	}
	if (cpool_vs_spec_set(&c->vs[ps->vs], key, value, &why)) {
		if (strncmp(why.msg, "unknown", 7) == 0)
			error_at(ps, "[%s] %s", section, why.msg);
		else
			error_at(ps, "[%s] key '%s': %s", section, key, why.msg);
		return 0;
	}
	return 1;
}

static int parse_stream(struct cpool_pool_config *c, FILE *in, const char *file,
			struct cpool_error *e)
{
	struct parse ps = { .c = c, .file = file, .in = in, .e = e };
	int r;

	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "cpool");
	c->placement = CPOOL_FIT_FIRST;
	c->retention_s = CPOOL_RETENTION_DEFAULT_S;
	c->sched = -1;
	c->admit_p99 = -1;
	c->fairshare_half_life =
		(double)CPOOL_FAIRSHARE_HALF_LIFE_DEFAULT_US / (double)CPOOL_USEC_PER_SEC;
	cpool_user_limits_default(&c->limits);
	snprintf(c->metrics_listen, sizeof(c->metrics_listen), "%s", CPOOL_METRICS_LISTEN_DEFAULT);
	cpool_error_set(e, 0, "%s", "");
	r = ini_parse_stream(reader, &ps, handler, &ps);
	if (!ps.err && r > 0) {
		ps.line = r;
		error_at(&ps, "not a [section] or key = value line");
	}
	if (!ps.err && r < 0)
		ps.err = -ENOMEM;
	if (!ps.err && ps.limits_line) {
		struct cpool_error why;

		if (limits_check(&c->limits, &why)) {
			ps.line = ps.limits_line;
			error_at(&ps, "[limits] %s", why.msg);
		}
	}
	for (int i = 0; !ps.err && i < c->nr_vs; i++)
		if (!c->vs[i].cpus) {
			ps.line = c->vs[i].line;
			error_at(&ps,
				 "[vserver %s] has no 'cpus' key; give a count (8) or a list (4-7)",
				 c->vs[i].name);
		}
	if (ps.err)
		cpool_config_free(c);
	return ps.err;
}

int cpool_config_load(struct cpool_pool_config *c, const char *path, struct cpool_error *e)
{
	FILE *in = fopen(path, "r");
	int ret;

	if (!in) {
		ret = -errno;
		memset(c, 0, sizeof(*c));
		return cpool_error_set(e, ret, "%s: cannot open: %s", path, strerror(-ret));
	}
	ret = parse_stream(c, in, path, e);
	fclose(in);
	return ret;
}

int cpool_config_parse_string(struct cpool_pool_config *c, const char *text, const char *name,
			      struct cpool_error *e)
{
	size_t n = strlen(text);
	/* fmemopen refuses a zero-sized buffer; an empty file is one blank line. */
	FILE *in = n ? fmemopen((void *)text, n, "r") : fmemopen((void *)"\n", 1, "r");
	int ret;

	if (!in) {
		memset(c, 0, sizeof(*c));
		return -ENOMEM;
	}
	ret = parse_stream(c, in, name, e);
	fclose(in);
	return ret;
}

void cpool_config_free(struct cpool_pool_config *c)
{
	free(c->vs);
	c->vs = NULL;
	c->nr_vs = 0;
}

int cpool_listen_parse(const char *text, struct sockaddr_storage *addr)
{
	char host[INET6_ADDRSTRLEN];
	const char *colon;
	unsigned long port;
	size_t n;
	char *end;

	memset(addr, 0, sizeof(*addr));
	colon = strrchr(text, ':');
	if (!colon || !colon[1])
		return -EINVAL;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || *end || port == 0 || port > 65535 || !isdigit((unsigned char)colon[1]))
		return -EINVAL;
	n = (size_t)(colon - text);
	if (text[0] == '[') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)addr;

		if (n < 3 || text[n - 1] != ']' || n - 2 >= sizeof(host))
			return -EINVAL;
		memcpy(host, text + 1, n - 2);
		host[n - 2] = '\0';
		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
			return -EINVAL;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		return 0;
	}
	{
		struct sockaddr_in *a = (struct sockaddr_in *)addr;

		if (!n || n >= sizeof(host))
			return -EINVAL;
		memcpy(host, text, n);
		host[n] = '\0';
		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			return -EINVAL;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		return 0;
	}
}
