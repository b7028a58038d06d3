// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* Per-job limits inside a VS: the CPUs the scheduler gave the job, its memory. */
#include <errno.h>
#include <stdio.h>

#include "cgroup_internal.h"

int cpool_cg_job_limit(const struct cpool_cg_pool *pool, const char *rel,
		       const struct cpool_cpuset *cpus, uint64_t memory_max, struct cpool_error *e)
{
	char buf[8192];
	int err;

	err = cg_rel_check(rel, e);
	if (err)
		return err;
	if (cpus) {
		if (cpool_cpuset_empty(cpus))
			return cpool_cg_fail(e, EINVAL, "confine job %s: an empty CPU list", rel);
		cpool_cpuset_format(cpus, buf, sizeof(buf));
		err = cg_set(pool, rel, "cpuset", "cpuset.cpus", buf, e);
		if (err)
			return err;
	}
	if (memory_max) {
		if (memory_max < CPOOL_CG_MEMORY_FLOOR)
			return cpool_cg_fail(
				e, EINVAL,
				"confine job %s: memory %llu is below the %llu-byte floor", rel,
				(unsigned long long)memory_max,
				(unsigned long long)CPOOL_CG_MEMORY_FLOOR);
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)memory_max);
		err = cg_set(pool, rel, "memory", "memory.max", buf, e);
	}
	return err;
}
