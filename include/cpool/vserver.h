/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * A virtual server as the kernel is told it: where it runs (cpus, mems) and
 * what it may use.  The config parser and planner fill it; the cgroup layer
 * (userspace/sys) applies it.  Zero means "not set: leave the kernel default".
 */
#ifndef CPOOL_VSERVER_H
#define CPOOL_VSERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "cpool/cpuset.h"

/* cgroup directory name: [A-Za-z0-9_.-], not "." or "..", no leading '.'. */
#define CPOOL_VS_NAME_MAX 64

struct cpool_vs_limits {
	uint64_t memory_max; /* bytes; 0 = "max" */
	uint64_t memory_high; /* bytes; 0 = "max" */
	uint64_t memory_min; /* bytes; 0 = none */
	uint32_t cpu_weight; /* 1..10000; 0 = kernel default (100) */
	uint64_t cpu_max_quota_us; /* 0 = "max" (no bandwidth limit) */
	uint64_t cpu_max_period_us; /* 0 = kernel default (100000) */
	uint32_t pids_max; /* 0 = "max" */
};

struct cpool_vserver {
	char name[CPOOL_VS_NAME_MAX + 1];
	struct cpool_cpuset cpus; /* Linux CPU numbers */
	struct cpool_cpuset mems; /* NUMA node numbers */
	bool exclusive; /* owns whole cores; a cpuset partition where allowed */
	struct cpool_vs_limits limits;
};

/* 0 when @name is a valid VS name, else -EINVAL. */
int cpool_vs_name_check(const char *name);

#endif /* CPOOL_VSERVER_H */
