// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The simulated pool as the planner lays it out: the pool file's VSs
 * placed on a topology, the same plan "cpool plan" prints.  The simulator
 * then uses each VS's CPUs (it models no topology effects beyond that).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpool/config.h"
#include "cpool/planner.h"
#include "cpool/sim.h"

int cpool_sim_pool_plan(const struct cpool_pool_config *c, const struct cpool_topology *t,
			struct cpool_vserver **vs, int *n_vs, struct cpool_error *e)
{
	struct cpool_planner *p = NULL;
	struct cpool_vserver *out = NULL;
	char(*errs)[256] = NULL;
	int failed, ret;

	*vs = NULL;
	*n_vs = 0;
	if (c->nr_vs < 1)
		return cpool_error_set(e, -EINVAL, "the pool has no [vserver NAME] to run jobs on");
	ret = cpool_planner_new(&p, t, c->reserved_set ? &c->reserved : NULL, e);
	if (ret)
		return ret;
	out = calloc((size_t)c->nr_vs, sizeof(*out));
	errs = calloc((size_t)c->nr_vs, sizeof(*errs));
	if (!out || !errs) {
		ret = -ENOMEM;
		cpool_error_set(e, ret, "out of memory");
		goto fail;
	}
	failed = cpool_planner_place_all(p, c->vs, c->nr_vs, c->placement, out, errs);
	if (failed) {
		/* A simulation of part of the pool would answer another question: refuse. */
		for (int i = 0; i < c->nr_vs; i++) {
			if (errs[i][0]) {
				cpool_error_set(e, -ENOSPC, "%s%s", errs[i],
						failed > 1 ? " (and more VSs do not fit)" : "");
				break;
			}
		}
		ret = -ENOSPC;
		goto fail;
	}
	cpool_planner_free(p);
	free(errs);
	*vs = out;
	*n_vs = c->nr_vs;
	return 0;
fail:
	cpool_planner_free(p);
	free(out);
	free(errs);
	return ret;
}
