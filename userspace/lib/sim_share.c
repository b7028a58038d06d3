// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sim_share.h"

bool sim_share_needed(const struct cpool_vserver *vs, int n_vs, int n_bg)
{
	if (n_bg > 0)
		return true;
	for (int a = 0; a < n_vs; a++)
		for (int b = a + 1; b < n_vs; b++)
			if (cpool_cpuset_intersects(&vs[a].cpus, &vs[b].cpus))
				return true;
	return false;
}

int sim_share_init(struct sim_share *sh, const struct cpool_vserver *vs, int n_vs,
		   const struct cpool_sim_background *bg, int n_bg)
{
	int last = -1;

	memset(sh, 0, sizeof(*sh));
	for (int v = 0; v < n_vs; v++)
		if (cpool_cpuset_last(&vs[v].cpus) > last)
			last = cpool_cpuset_last(&vs[v].cpus);
	for (int i = 0; i < n_bg; i++) {
		if (cpool_cpuset_empty(&bg[i].cpus) || !(bg[i].threads >= 0) || bg[i].threads > 1e6)
			return -EINVAL;
		if (cpool_cpuset_last(&bg[i].cpus) > last)
			last = cpool_cpuset_last(&bg[i].cpus);
	}
	sh->n_cpus = last + 1;
	sh->load = calloc((size_t)sh->n_cpus + 1, sizeof(*sh->load));
	if (!sh->load)
		return -ENOMEM;
	for (int i = 0; i < n_bg; i++) {
		double each = bg[i].threads / cpool_cpuset_count(&bg[i].cpus);

		for (int c = cpool_cpuset_first(&bg[i].cpus); c >= 0;
		     c = cpool_cpuset_next(&bg[i].cpus, c))
			sh->load[c] += each;
		if (bg[i].held)
			cpool_cpuset_or(&sh->held, &sh->held, &bg[i].cpus);
	}
	return 0;
}

void sim_share_free(struct sim_share *sh)
{
	free(sh->load);
	sh->load = NULL;
}

void sim_share_job(struct sim_share *sh, const struct cpool_cpuset *cpus, int sign)
{
	for (int c = cpool_cpuset_first(cpus); c >= 0 && c < sh->n_cpus;
	     c = cpool_cpuset_next(cpus, c)) {
		sh->load[c] += sign;
		/* Whole threads come and go: no drift below the background. */
		if (sh->load[c] < 0)
			sh->load[c] = 0;
	}
}

double sim_share_max_load(const struct sim_share *sh, const struct cpool_cpuset *cpus)
{
	double max = 0;

	for (int c = cpool_cpuset_first(cpus); c >= 0 && c < sh->n_cpus;
	     c = cpool_cpuset_next(cpus, c))
		if (sh->load[c] > max)
			max = sh->load[c];
	return max;
}

double sim_share_rate(const struct sim_share *sh, const struct cpool_cpuset *cpus)
{
	double max = sim_share_max_load(sh, cpus);

	/* Alone on its CPUs (or less than a whole thread beside it): the whole CPU. */
	return max > 1 ? 1 / max : 1;
}

double sim_share_busy(const struct sim_share *sh, const struct cpool_cpuset *cpus)
{
	int n = 0, busy = 0;

	for (int c = cpool_cpuset_first(cpus); c >= 0; c = cpool_cpuset_next(cpus, c)) {
		n++;
		if (c < sh->n_cpus && sh->load[c] > 0)
			busy++;
	}
	return n ? (double)busy / n : 0;
}

int64_t sim_share_rq_us(const struct sim_share *sh, const struct cpool_cpuset *cpus)
{
	double max = sim_share_max_load(sh, cpus);

	return max > 1 ? (int64_t)((max - 1) / max * CPOOL_SIM_SCHED_PERIOD_US) : 0;
}
