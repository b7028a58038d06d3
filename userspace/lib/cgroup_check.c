// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>

#include "cpool/error.h"
#include "cpool/cgroup.h"

static int check_set(const char *vs, const char *what, const struct cpool_cpuset *set,
		     const struct cpool_cpuset *machine, struct cpool_error *e)
{
	struct cpool_cpuset outside;
	char have[256], list[256];

	if (cpool_cpuset_empty(set))
		return cpool_error_set(e, -EINVAL, "vserver %s: %s is empty", vs, what);
	cpool_cpuset_andnot(&outside, set, machine);
	if (!cpool_cpuset_empty(&outside)) {
		cpool_cpuset_format(&outside, list, sizeof(list));
		cpool_cpuset_format(machine, have, sizeof(have));
		return cpool_error_set(e, -EINVAL,
				       "vserver %s: %s %s not on this machine (it has %s)", vs,
				       what, list, have);
	}
	return 0;
}

static int check_memory(const char *vs, const char *knob, uint64_t bytes, struct cpool_error *e)
{
	/* 0 means "not set"; anything set must leave room for a process to start. */
	if (bytes && bytes < CPOOL_CG_MEMORY_FLOOR)
		return cpool_error_set(e, -EINVAL,
				       "vserver %s: %s %" PRIu64
				       " bytes is below the %llu MiB floor: "
				       "no process could start",
				       vs, knob, bytes, CPOOL_CG_MEMORY_FLOOR >> 20);
	return 0;
}

int cpool_cg_vs_check(const struct cpool_vserver *vs, const struct cpool_cpuset *machine_cpus,
		      const struct cpool_cpuset *machine_mems, const struct cpool_vserver *others,
		      int nr_others, struct cpool_error *e)
{
	const struct cpool_vs_limits *l = &vs->limits;
	int err;

	if (memchr(vs->name, '\0', sizeof(vs->name)) == NULL || cpool_vs_name_check(vs->name))
		return cpool_error_set(
			e, -EINVAL,
			"vserver name '%.*s' is invalid: use 1-%d of [A-Za-z0-9_.-], "
			"not starting with '.' (no '/', no '..')",
			CPOOL_VS_NAME_MAX, vs->name, CPOOL_VS_NAME_MAX);
	err = check_set(vs->name, "cpus", &vs->cpus, machine_cpus, e);
	if (!err)
		err = check_set(vs->name, "mems", &vs->mems, machine_mems, e);
	if (!err)
		err = check_memory(vs->name, "memory.max", l->memory_max, e);
	if (!err)
		err = check_memory(vs->name, "memory.high", l->memory_high, e);
	if (err)
		return err;
	if (l->memory_max && l->memory_min > l->memory_max)
		return cpool_error_set(e, -EINVAL, "vserver %s: memory.min is above memory.max",
				       vs->name);
	if (l->cpu_weight > 10000)
		return cpool_error_set(e, -EINVAL, "vserver %s: cpu.weight %u is outside 1..10000",
				       vs->name, l->cpu_weight);
	if (l->cpu_max_period_us && (l->cpu_max_period_us < CPOOL_CG_CPU_PERIOD_MIN ||
				     l->cpu_max_period_us > CPOOL_CG_CPU_PERIOD_MAX))
		return cpool_error_set(
			e, -EINVAL,
			"vserver %s: cpu.max period %" PRIu64 " us is outside %llu..%llu", vs->name,
			l->cpu_max_period_us, CPOOL_CG_CPU_PERIOD_MIN, CPOOL_CG_CPU_PERIOD_MAX);
	if (l->cpu_max_quota_us && l->cpu_max_quota_us < CPOOL_CG_CPU_PERIOD_MIN)
		return cpool_error_set(e, -EINVAL,
				       "vserver %s: cpu.max quota %" PRIu64 " us is below %llu us",
				       vs->name, l->cpu_max_quota_us, CPOOL_CG_CPU_PERIOD_MIN);

	for (int i = 0; i < nr_others; i++) {
		const struct cpool_vserver *o = &others[i];
		struct cpool_cpuset both;
		char list[256];

		if (strcmp(o->name, vs->name) == 0)
			continue;
		if (!(vs->exclusive || o->exclusive) ||
		    !cpool_cpuset_intersects(&vs->cpus, &o->cpus))
			continue;
		cpool_cpuset_and(&both, &vs->cpus, &o->cpus);
		cpool_cpuset_format(&both, list, sizeof(list));
		return cpool_error_set(e, -EINVAL, "vserver %s: cpus %s overlap %svserver %s",
				       vs->name, list, o->exclusive ? "exclusive " : "", o->name);
	}
	return 0;
}

unsigned cpool_cg_vs_drift(const struct cpool_vserver *want, const struct cpool_vserver *have)
{
	const struct cpool_vs_limits *w = &want->limits, *h = &have->limits;
	unsigned d = 0;

	if (!cpool_cpuset_equal(&want->cpus, &have->cpus))
		d |= CPOOL_CG_DRIFT_CPUS;
	if (!cpool_cpuset_equal(&want->mems, &have->mems))
		d |= CPOOL_CG_DRIFT_MEMS;
	if (want->exclusive != have->exclusive)
		d |= CPOOL_CG_DRIFT_EXCLUSIVE;
	if (w->memory_max != h->memory_max)
		d |= CPOOL_CG_DRIFT_MEMORY_MAX;
	if (w->memory_high != h->memory_high)
		d |= CPOOL_CG_DRIFT_MEMORY_HIGH;
	if (w->memory_min != h->memory_min)
		d |= CPOOL_CG_DRIFT_MEMORY_MIN;
	/* Unset and the kernel default read back the same. */
	if ((w->cpu_weight ? w->cpu_weight : 100) != (h->cpu_weight ? h->cpu_weight : 100))
		d |= CPOOL_CG_DRIFT_CPU_WEIGHT;
	if (w->cpu_max_quota_us != h->cpu_max_quota_us ||
	    (w->cpu_max_period_us ? w->cpu_max_period_us : 100000) !=
		    (h->cpu_max_period_us ? h->cpu_max_period_us : 100000))
		d |= CPOOL_CG_DRIFT_CPU_MAX;
	if (w->pids_max != h->pids_max)
		d |= CPOOL_CG_DRIFT_PIDS_MAX;
	return d;
}

int cpool_cg_drift_format(unsigned drift, char *buf, size_t len)
{
	static const char *const names[] = { "cpus",	   "mems",	  "exclusive",
					     "memory.max", "memory.high", "memory.min",
					     "cpu.weight", "cpu.max",	  "pids.max" };
	size_t used = 0;
	int total = 0;

	if (len)
		buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int n;

		if (!(drift & (1u << i)))
			continue;
		n = snprintf(len > used ? buf + used : NULL, len > used ? len - used : 0, "%s%s",
			     total ? "," : "", names[i]);
		total += n;
		used += (size_t)n;
	}
	return total;
}

int cpool_cg_v2_refusal(long fs_type, char *buf, size_t len)
{
	const char *what;

	if (fs_type == CGROUP2_SUPER_MAGIC)
		return snprintf(buf, len, "%s is cgroup v2", CPOOL_CG_MOUNT);
	if (fs_type == TMPFS_MAGIC)
		what = "a v1 or hybrid hierarchy (a tmpfs of per-controller mounts)";
	else if (fs_type == CGROUP_SUPER_MAGIC)
		what = "a cgroup v1 hierarchy";
	else
		what = "not a cgroup file system";
	return snprintf(buf, len,
			"cpool needs cgroup v2 alone at %s, but it is %s (magic 0x%lx): boot with "
			"'systemd.unified_cgroup_hierarchy=1 cgroup_no_v1=all' on the kernel "
			"command line, or try it in the lab (tools/lab)",
			CPOOL_CG_MOUNT, what, (unsigned long)fs_type);
}
