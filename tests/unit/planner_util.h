/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/* Helpers for the planner tests: specs from "key=value;key=value" text. */
#ifndef CPOOL_TESTS_PLANNER_UTIL_H
#define CPOOL_TESTS_PLANNER_UTIL_H

#include <stdio.h>
#include <string.h>

#include "../tap.h"
#include "cpool/config.h"
#include "cpool/planner.h"

/* ';' separates keys so that values may hold CPU lists with commas. */
static inline void spec_from(struct cpool_vs_spec *s, const char *name, const char *kv)
{
	char copy[512], *save = NULL;
	struct cpool_error why;

	cpool_vs_spec_init(s, name);
	snprintf(copy, sizeof(copy), "%s", kv);
	for (char *tok = strtok_r(copy, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
		char *eq = strchr(tok, '=');

		if (!eq)
			bail_out("test spec '%s' lacks '='", tok);
		*eq = '\0';
		if (cpool_vs_spec_set(s, tok, eq + 1, &why))
			bail_out("test spec %s=%s: %s", tok, eq + 1, why.msg);
	}
}

static struct cpool_error planner_util_why;
static char planner_util_cpus[2048];
static char planner_util_mems[256];

/* Place and return the CPU list, or "ERR: reason". Mems in planner_util_mems. */
static inline const char *place_str(struct cpool_planner *p, const char *name, const char *kv,
				    enum cpool_fit fit)
{
	struct cpool_vs_spec s;
	struct cpool_vserver out;

	spec_from(&s, name, kv);
	planner_util_mems[0] = '\0';
	if (cpool_planner_place(p, &s, fit, &out, &planner_util_why)) {
		snprintf(planner_util_cpus, sizeof(planner_util_cpus), "ERR: %s",
			 planner_util_why.msg);
		return planner_util_cpus;
	}
	cpool_cpuset_format(&out.cpus, planner_util_cpus, sizeof(planner_util_cpus));
	cpool_cpuset_format(&out.mems, planner_util_mems, sizeof(planner_util_mems));
	return planner_util_cpus;
}

/* A placed VS of exclusive threads at @cpus, as the live pool hands the planner. */
static inline void adopt(struct cpool_planner *p, const char *name, const char *cpus)
{
	struct cpool_vserver vs;
	struct cpool_error why;

	memset(&vs, 0, sizeof(vs));
	snprintf(vs.name, sizeof(vs.name), "%s", name);
	if (cpool_cpuset_parse(&vs.cpus, cpus, NULL))
		bail_out("adopt %s: bad CPU list %s", name, cpus);
	vs.exclusive = true;
	if (cpool_planner_adopt(p, &vs, CPOOL_SMT_THREADS, &why))
		bail_out("adopt %s: %s", name, why.msg);
}

static inline struct cpool_planner *planner_with(const struct cpool_topology *t,
						 const char *reserved)
{
	struct cpool_planner *p;
	struct cpool_cpuset r;
	struct cpool_error why;

	if (reserved && cpool_cpuset_parse(&r, reserved, NULL))
		bail_out("bad reserved list %s", reserved);
	if (cpool_planner_new(&p, t, reserved ? &r : NULL, &why))
		bail_out("cpool_planner_new: %s", why.msg);
	return p;
}

#endif /* CPOOL_TESTS_PLANNER_UTIL_H */
