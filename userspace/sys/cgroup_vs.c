// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* Virtual servers: create, resize, read back, destroy. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup_internal.h"

/* "max" or a number, as memory.max, memory.high, pids.max write it; "max" reads as 0. */
static int read_max(const char *dir, const char *file, uint64_t *value, struct cpool_error *e)
{
	char buf[64], *end;
	int err = cg_read_file(dir, file, buf, sizeof(buf), e);

	if (err)
		return err;
	if (strncmp(buf, "max", 3) == 0) {
		*value = 0;
		return 0;
	}
	errno = 0;
	*value = strtoull(buf, &end, 10);
	if (errno || end == buf)
		return cpool_cg_fail(e, EINVAL, "parse %s/%s: '%s' is not a number", dir, file,
				     buf);
	return 0;
}

static int read_partition(const char *dir, struct cpool_cg_partition_state *ps,
			  struct cpool_error *e)
{
	char buf[256];
	int err = cg_read_file(dir, "cpuset.cpus.partition", buf, sizeof(buf), e);

	if (err)
		return err;
	if (cpool_cg_partition_parse(buf, ps))
		return cpool_cg_fail(e, EINVAL, "parse %s/cpuset.cpus.partition: '%.*s'", dir,
				     (int)strcspn(buf, "\n"), buf);
	return 0;
}

static int read_state(const char *dir, struct cpool_cg_vs_state *st, struct cpool_error *e)
{
	int err;

	memset(st, 0, sizeof(*st));
	err = cg_read_set(dir, "cpuset.cpus.effective", &st->cpus_effective, e);
	if (!err)
		err = cg_read_set(dir, "cpuset.mems.effective", &st->mems_effective, e);
	if (!err)
		err = read_partition(dir, &st->partition, e);
	return err;
}

int cpool_cg_vs_read(const struct cpool_cg_pool *pool, const char *name, struct cpool_vserver *vs,
		     struct cpool_cg_vs_state *st, struct cpool_error *e)
{
	struct cpool_cg_vs_state local;
	struct cpool_vs_limits *l = &vs->limits;
	char dir[PATH_MAX], buf[64];
	uint64_t v;
	int err;

	err = cpool_vs_name_check(name) ?
		      cpool_cg_fail(e, EINVAL, "vserver name '%s' is invalid", name) :
		      0;
	if (err)
		return err;
	memset(vs, 0, sizeof(*vs));
	memcpy(vs->name, name, strlen(name) + 1);
	cg_abs_path(pool, name, dir, sizeof(dir));
	if (!st)
		st = &local;
	err = cg_read_set(dir, "cpuset.cpus", &vs->cpus, e);
	if (!err)
		err = cg_read_set(dir, "cpuset.mems", &vs->mems, e);
	if (!err)
		err = read_state(dir, st, e);
	if (!err)
		err = read_max(dir, "memory.max", &l->memory_max, e);
	if (!err)
		err = read_max(dir, "memory.high", &l->memory_high, e);
	if (!err)
		err = read_max(dir, "memory.min", &l->memory_min, e);
	if (!err)
		err = read_max(dir, "cpu.weight", &v, e);
	if (!err)
		l->cpu_weight = (uint32_t)v;
	if (!err)
		err = read_max(dir, "pids.max", &v, e);
	if (!err)
		l->pids_max = (uint32_t)v;
	if (!err)
		err = cg_read_file(dir, "cpu.max", buf, sizeof(buf), e);
	if (err)
		return err;
	if (strncmp(buf, "max ", 4) == 0) {
		l->cpu_max_period_us = strtoull(buf + 4, NULL, 10);
	} else if (sscanf(buf, "%" SCNu64 " %" SCNu64, &l->cpu_max_quota_us,
			  &l->cpu_max_period_us) != 2) {
		return cpool_cg_fail(e, EINVAL, "parse %s/cpu.max: '%s'", dir, buf);
	}
	vs->exclusive = st->partition.kind != CPOOL_CG_PART_MEMBER;
	return 0;
}

/* Every VS but @skip, read back: what a new or resized VS is checked against. */
static int read_all(const struct cpool_cg_pool *pool, const char *skip, struct cpool_vserver **out,
		    int *count, struct cpool_error *e)
{
	char(*names)[CPOOL_VS_NAME_MAX + 1];
	struct cpool_vserver *all;
	int n, k = 0, err;

	err = cpool_cg_vs_list(pool, &names, &n, e);
	if (err)
		return err;
	all = calloc((size_t)n + 1, sizeof(*all));
	if (!all) {
		free(names);
		return cpool_cg_fail(e, ENOMEM, "read vservers: out of memory");
	}
	for (int i = 0; i < n && !err; i++) {
		if (skip && strcmp(names[i], skip) == 0)
			continue;
		err = cpool_cg_vs_read(pool, names[i], &all[k++], NULL, e);
	}
	free(names);
	if (err) {
		free(all);
		return err;
	}
	*out = all;
	*count = k;
	return 0;
}

static void format_max(char *buf, size_t len, uint64_t v)
{
	if (v)
		snprintf(buf, len, "%" PRIu64, v);
	else
		snprintf(buf, len, "max");
}

/*
 * A child partition needs a partition root above it, and the pool root can
 * be one only when it leaves the cgroup2 root some CPUs: give it exactly
 * the CPUs of its VSs, growing it before a VS asks for more.
 */
static int pool_cpus_cover(struct cpool_cg_pool *pool, const struct cpool_cpuset *cpus,
			   bool make_partition, struct cpool_error *e)
{
	struct cpool_cpuset have, want;
	struct cpool_cg_partition_state ps;
	char list[8192];
	int err;

	err = cg_read_set(pool->path, "cpuset.cpus", &have, e);
	if (err)
		return err;
	if (cpool_cpuset_empty(&have) && !make_partition)
		return 0; /* never narrowed: it has every CPU already */
	if (cpool_cpuset_empty(&have)) {
		struct cpool_vserver *all;
		int n;

		err = read_all(pool, NULL, &all, &n, e);
		if (err)
			return err;
		for (int i = 0; i < n; i++)
			cpool_cpuset_or(&have, &have, &all[i].cpus);
		free(all);
	}
	cpool_cpuset_or(&want, &have, cpus);
	if (!cpool_cpuset_equal(&want, &have) || make_partition) {
		cpool_cpuset_format(&want, list, sizeof(list));
		err = cg_set(pool, "", "cpuset", "cpuset.cpus", list, e);
		if (err)
			return err;
	}
	if (!make_partition)
		return 0;
	err = read_partition(pool->path, &ps, e);
	if (err || ps.kind == CPOOL_CG_PART_ROOT)
		return err;
	/* libcgroup 2.0.2 knows nothing of partitions: the file is written directly. */
	return cg_write_file(pool->path, "cpuset.cpus.partition", "root", e);
}

/* The pool root stays a partition only while some VS asks for one. */
static int pool_partition_release(struct cpool_cg_pool *pool, struct cpool_error *e)
{
	struct cpool_cg_partition_state ps;
	struct cpool_vserver *all;
	bool any = false;
	int n, err;

	err = read_partition(pool->path, &ps, e);
	if (err || ps.kind == CPOOL_CG_PART_MEMBER)
		return err;
	err = read_all(pool, NULL, &all, &n, e);
	if (err)
		return err;
	for (int i = 0; i < n; i++)
		any |= all[i].exclusive;
	free(all);
	return any ? 0 : cg_write_file(pool->path, "cpuset.cpus.partition", "member", e);
}

static int apply(struct cpool_cg_pool *pool, const struct cpool_vserver *vs,
		 struct cpool_cg_vs_state *st, struct cpool_error *e)
{
	const struct cpool_vs_limits *l = &vs->limits;
	char dir[PATH_MAX], list[8192], val[64];
	struct cpool_cg_partition_state ps;
	int err;

	cg_abs_path(pool, vs->name, dir, sizeof(dir));
	err = pool_cpus_cover(pool, &vs->cpus, vs->exclusive, e);
	if (err)
		return err;
	err = read_partition(dir, &ps, e);
	if (err)
		return err;
	/* Leaving a partition first: a member takes any cpus, a partition only exclusive ones. */
	if (!vs->exclusive && ps.kind != CPOOL_CG_PART_MEMBER) {
		err = cg_write_file(dir, "cpuset.cpus.partition", "member", e);
		if (!err)
			err = pool_partition_release(pool, e);
		if (err)
			return err;
	}
	cpool_cpuset_format(&vs->cpus, list, sizeof(list));
	err = cg_set(pool, vs->name, "cpuset", "cpuset.cpus", list, e);
	if (err)
		return err;
	cpool_cpuset_format(&vs->mems, list, sizeof(list));
	/* Changing cpuset.mems migrates the VS's pages (memory_migrate is always on in v2). */
	err = cg_set(pool, vs->name, "cpuset", "cpuset.mems", list, e);
	if (err)
		return err;
	/* Limits: memory.min before .max and .high, so a shrink never crosses them. */
	snprintf(val, sizeof(val), "%" PRIu64, l->memory_min);
	err = cg_set(pool, vs->name, "memory", "memory.min", val, e);
	format_max(val, sizeof(val), l->memory_max);
	if (!err)
		err = cg_set(pool, vs->name, "memory", "memory.max", val, e);
	format_max(val, sizeof(val), l->memory_high);
	if (!err)
		err = cg_set(pool, vs->name, "memory", "memory.high", val, e);
	snprintf(val, sizeof(val), "%u", l->cpu_weight ? l->cpu_weight : 100);
	if (!err)
		err = cg_set(pool, vs->name, "cpu", "cpu.weight", val, e);
	if (l->cpu_max_quota_us)
		snprintf(val, sizeof(val), "%" PRIu64 " %" PRIu64, l->cpu_max_quota_us,
			 l->cpu_max_period_us ? l->cpu_max_period_us : 100000);
	else
		snprintf(val, sizeof(val), "max %" PRIu64,
			 l->cpu_max_period_us ? l->cpu_max_period_us : 100000);
	if (!err)
		err = cg_set(pool, vs->name, "cpu", "cpu.max", val, e);
	snprintf(val, sizeof(val), "%u", l->pids_max);
	if (!err)
		err = cg_set(pool, vs->name, "pids", "pids.max", l->pids_max ? val : "max", e);
	if (err)
		return err;
	if (vs->exclusive && !cpool_cg_partition_is_valid_root(&ps)) {
		/* Direct write: libcgroup 2.0.2 has no partitions. */
		err = cg_write_file(dir, "cpuset.cpus.partition", "root", e);
		if (err)
			return err;
	}
	/* The kernel may accept the write and still mark the partition invalid: read it back. */
	err = read_state(dir, st, e);
	if (err)
		return err;
	if (vs->exclusive && !cpool_cg_partition_is_valid_root(&st->partition)) {
		struct cpool_cg_partition_state pool_ps;

		st->partition_refused = true;
		if (!st->partition.reason[0] && read_partition(pool->path, &pool_ps, NULL) == 0 &&
		    !cpool_cg_partition_is_valid_root(&pool_ps))
			if (snprintf(st->partition.reason, sizeof(st->partition.reason),
				     "pool root %s is '%s%s%s%s'", pool->root,
				     cpool_cg_partition_name(pool_ps.kind),
				     pool_ps.reason[0] ? " (" : "", pool_ps.reason,
				     pool_ps.reason[0] ? ")" : "") < 0)
				st->partition.reason[0] = '\0';
	}
	return 0;
}

static int check(struct cpool_cg_pool *pool, const struct cpool_vserver *vs, bool creating,
		 struct cpool_error *e)
{
	struct cpool_vserver *others;
	int n, err;

	err = read_all(pool, NULL, &others, &n, e);
	if (err)
		return err;
	err = cpool_cg_vs_check(vs, &pool->machine_cpus, &pool->machine_mems, others, n, e);
	if (!err && creating) {
		for (int i = 0; i < n; i++)
			if (strcmp(others[i].name, vs->name) == 0)
				err = cpool_cg_fail(e, EEXIST, "create vserver %s/%s: %s",
						    pool->path, vs->name, strerror(EEXIST));
	} else if (err) {
		cpool_error_prefix(e, "%s vserver in %s", creating ? "create" : "resize",
				   pool->path);
	}
	free(others);
	return err;
}

int cpool_cg_vs_create(struct cpool_cg_pool *pool, const struct cpool_vserver *vs,
		       struct cpool_cg_vs_state *st, struct cpool_error *e)
{
	char dir[PATH_MAX];
	int err;

	err = check(pool, vs, true, e);
	if (err)
		return err;
	err = cg_mkdir(pool, vs->name, true, e);
	if (err)
		return err;
	err = apply(pool, vs, st, e);
	if (err) {
		/*
		 * Nothing half-created: the VS goes.  The pool root keeps cpus
		 * it may have grown by, which only matter to other VSs' checks.
		 */
		cg_abs_path(pool, vs->name, dir, sizeof(dir));
		rmdir(dir);
		pool_partition_release(pool, NULL);
	}
	return err;
}

int cpool_cg_vs_resize(struct cpool_cg_pool *pool, const struct cpool_vserver *vs,
		       struct cpool_cg_vs_state *st, struct cpool_error *e)
{
	char dir[PATH_MAX];
	struct stat sb;
	int err;

	err = check(pool, vs, false, e);
	if (err)
		return err;
	cg_abs_path(pool, vs->name, dir, sizeof(dir));
	if (stat(dir, &sb) < 0)
		return cpool_cg_fail(e, errno, "resize vserver %s: %s", dir, strerror(errno));
	return apply(pool, vs, st, e);
}

int cpool_cg_vs_destroy(struct cpool_cg_pool *pool, const char *name, int timeout_ms,
			struct cpool_error *e)
{
	char(*jobs)[CPOOL_VS_NAME_MAX + 1];
	char dir[PATH_MAX], leaf[PATH_MAX];
	int n, err;

	err = cg_rel_check(name, e);
	if (err)
		return err;
	if (strchr(name, '/'))
		return cpool_cg_fail(e, EINVAL, "destroy vserver '%s': not a vserver name", name);
	cg_abs_path(pool, name, dir, sizeof(dir));
	if (access(dir, F_OK) < 0)
		return cpool_cg_fail(e, errno, "destroy vserver %s: %s", dir, strerror(errno));
	if (cg_self_inside(pool, name))
		return cpool_cg_fail(e, EBUSY,
				     "destroy vserver %s: the calling process lives in it", dir);
	err = cpool_cg_kill(pool, name, e);
	if (!err)
		err = cpool_cg_wait_empty(pool, name, timeout_ms, e);
	if (!err)
		err = cg_list_children(dir, &jobs, &n, e);
	if (err)
		return err;
	/* Leaves first: rmdir(2) refuses a cgroup with children.  Emptiness was awaited above. */
	for (int i = 0; i < n && !err; i++) {
		if (snprintf(leaf, sizeof(leaf), "%s/%s", dir, jobs[i]) >= (int)sizeof(leaf))
			err = cpool_cg_fail(e, ENAMETOOLONG, "remove %s/%s: too long", dir,
					    jobs[i]);
		else if (rmdir(leaf) < 0)
			err = cpool_cg_fail(e, errno, "remove %s: %s", leaf, strerror(errno));
	}
	free(jobs);
	if (!err && rmdir(dir) < 0)
		err = cpool_cg_fail(e, errno, "remove %s: %s", dir, strerror(errno));
	if (!err)
		err = pool_partition_release(pool, e);
	return err;
}
