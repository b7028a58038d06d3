// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The simulated pool from a pool file.  The simulator needs each VS's
 * name and CPU count only, so this reads just that much of the planner's
 * format; which CPUs a VS gets on a real machine is the planner's job.
 */
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpool/cpuset.h"
#include "cpool/sim.h"

/* Keys of the pool file the simulation accepts without needing them. */
static const char *const pool_keys[] = { "name", "reserved_cpus", "placement", NULL };
static const char *const vs_keys[] = { "cpus",	      "memory",	  "numa",	"mems",
				       "exclusive",   "smt",	  "cpu_weight", "cpu_max",
				       "memory_high", "pids_max", NULL };

struct pool_parse {
	struct cpool_vserver *vs;
	int n, cap, next_cpu;
	bool *has_cpus;
	enum cpool_place *placement;
	struct cpool_sim_pool_error *err;
	int ret;
};

static int fail(struct pool_parse *pp, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct pool_parse *pp, const char *key, const char *fmt, ...)
{
	va_list ap;

	/* ini_parse reports the line of the first handler failure: keep that one's words. */
	if (!pp->ret) {
		pp->ret = -EINVAL;
		snprintf(pp->err->key, sizeof(pp->err->key), "%s", key);
		va_start(ap, fmt);
		vsnprintf(pp->err->message, sizeof(pp->err->message), fmt, ap);
		va_end(ap);
	}
	return 0;
}

static bool known(const char *const *keys, const char *name)
{
	for (; *keys; keys++)
		if (strcmp(*keys, name) == 0)
			return true;
	return false;
}

static int find_or_add(struct pool_parse *pp, const char *name)
{
	for (int i = 0; i < pp->n; i++)
		if (strcmp(pp->vs[i].name, name) == 0)
			return i;
	if (pp->n == pp->cap) {
		int cap = pp->cap ? 2 * pp->cap : 8;
		struct cpool_vserver *vs = realloc(pp->vs, (size_t)cap * sizeof(*vs));
		bool *has = realloc(pp->has_cpus, (size_t)cap * sizeof(*has));

		if (vs)
			pp->vs = vs;
		if (has)
			pp->has_cpus = has;
		if (!vs || !has)
			return -ENOMEM;
		pp->cap = cap;
	}
	memset(&pp->vs[pp->n], 0, sizeof(pp->vs[pp->n]));
	snprintf(pp->vs[pp->n].name, sizeof(pp->vs[pp->n].name), "%s", name);
	pp->has_cpus[pp->n] = false;
	return pp->n++;
}

static int set_cpus(struct pool_parse *pp, int i, const char *key, const char *value)
{
	struct cpool_vserver *v = &pp->vs[i];
	const char *bad = NULL;
	char *end;
	long count;

	if (pp->has_cpus[i])
		return fail(pp, key, "cpus given twice for vserver %s", v->name);
	count = strtol(value, &end, 10);
	if (end != value && *end == '\0') {
		if (count < 1 || pp->next_cpu + count > CPOOL_MAX_CPUS)
			return fail(pp, key, "'%s' is not a CPU count (1..%d in all)", value,
				    CPOOL_MAX_CPUS);
		/* Counts get consecutive numbers; only the count matters to the simulation. */
		cpool_cpuset_set_range(&v->cpus, pp->next_cpu, pp->next_cpu + (int)count - 1);
		pp->next_cpu += (int)count;
	} else if (cpool_cpuset_parse(&v->cpus, value, &bad) || cpool_cpuset_empty(&v->cpus)) {
		return fail(pp, key, "'%s' is neither a CPU count nor a CPU list like 4-7,12",
			    value);
	}
	pp->has_cpus[i] = true;
	return 1;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct pool_parse *pp = user;
	char key[48];
	int i;

	snprintf(key, sizeof(key), "%s", name);
	if (strcmp(section, "pool") == 0) {
		if (!known(pool_keys, name))
			return fail(
				pp, key,
				"unknown key in [pool] (known: name, reserved_cpus, placement)");
		if (strcmp(name, "placement") == 0 && cpool_place_parse(value, pp->placement))
			return fail(pp, key, "'%s' is not a placement (%s)", value,
				    cpool_place_names());
		return 1;
	}
	if (strncmp(section, "vserver ", 8) != 0)
		return fail(pp, section, "unknown section (known: [pool], [vserver NAME])");
	if (cpool_vs_name_check(section + 8))
		return fail(pp, section, "'%s' is not a VS name ([A-Za-z0-9_.-], not . or ..)",
			    section + 8);
	if (!known(vs_keys, name))
		return fail(
			pp, key,
			"unknown key in [%s] (known: cpus, memory, numa, mems, exclusive, smt, cpu_weight, cpu_max, memory_high, pids_max)",
			section);
	i = find_or_add(pp, section + 8);
	if (i < 0) {
		pp->ret = i;
		return 0;
	}
	if (strcmp(name, "cpus") == 0)
		return set_cpus(pp, i, key, value);
	return 1;
}

static int finish(struct pool_parse *pp, int line, struct cpool_vserver **vs, int *n_vs)
{
	if (line < 0 && !pp->ret)
		pp->ret = line == -1 ? -errno : -ENOMEM;
	if (line > 0) {
		pp->err->line = (size_t)line;
		if (!pp->ret) { /* a syntax error inih found, not us */
			pp->ret = -EINVAL;
			snprintf(pp->err->key, sizeof(pp->err->key), "syntax");
			snprintf(pp->err->message, sizeof(pp->err->message),
				 "not a [section] or key = value line");
		}
	}
	for (int i = 0; !pp->ret && i < pp->n; i++) {
		if (!pp->has_cpus[i]) {
			snprintf(pp->err->key, sizeof(pp->err->key), "vserver %s", pp->vs[i].name);
			snprintf(pp->err->message, sizeof(pp->err->message), "has no cpus");
			pp->ret = -EINVAL;
		}
	}
	if (!pp->ret && !pp->n) {
		snprintf(pp->err->key, sizeof(pp->err->key), "vserver");
		snprintf(pp->err->message, sizeof(pp->err->message), "no [vserver NAME] with cpus");
		pp->ret = -EINVAL;
	}
	free(pp->has_cpus);
	if (pp->ret) {
		free(pp->vs);
		return pp->ret;
	}
	*vs = pp->vs;
	*n_vs = pp->n;
	return 0;
}

int cpool_sim_pool_load(const char *path, struct cpool_vserver **vs, int *n_vs,
			enum cpool_place *placement, struct cpool_sim_pool_error *err)
{
	struct pool_parse pp = { .placement = placement, .err = err };
	int line;

	memset(err, 0, sizeof(*err));
	errno = 0;
	line = ini_parse(path, handler, &pp);
	if (line == -1 && !errno)
		errno = ENOENT;
	return finish(&pp, line, vs, n_vs);
}

int cpool_sim_pool_parse(const char *text, struct cpool_vserver **vs, int *n_vs,
			 enum cpool_place *placement, struct cpool_sim_pool_error *err)
{
	struct pool_parse pp = { .placement = placement, .err = err };

	memset(err, 0, sizeof(*err));
	return finish(&pp, ini_parse_string(text, handler, &pp), vs, n_vs);
}
