// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* The pool root: cgroup v2 detection, controllers, delegation, the system VS. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <linux/magic.h>

#include "cgroup_internal.h"

int cpool_cg_require_v2(struct cpool_error *e)
{
	struct statfs fs;
	char why[512];

	if (statfs(CPOOL_CG_MOUNT, &fs) < 0)
		return cpool_cg_fail(e, errno, "statfs %s: %s", CPOOL_CG_MOUNT, strerror(errno));
	if (fs.f_type == CGROUP2_SUPER_MAGIC)
		return 0;
	cpool_cg_v2_refusal((long)fs.f_type, why, sizeof(why));
	return cpool_cg_fail(e, EOPNOTSUPP, "%s", why);
}

/* Our own cgroup, from /proc/self/cgroup's "0::/path" line. */
static int own_cgroup(char *buf, size_t len)
{
	char line[PATH_MAX + 8];
	int err = -ENOENT;
	FILE *f;

	f = fopen("/proc/self/cgroup", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::/", 4) != 0)
			continue;
		line[strcspn(line, "\n")] = '\0';
		err = strlen(line + 4) < len ? 0 : -ENAMETOOLONG;
		if (!err)
			memcpy(buf, line + 4, strlen(line + 4) + 1);
		break;
	}
	fclose(f);
	return err;
}

bool cg_self_inside(const struct cpool_cg_pool *pool, const char *rel)
{
	char own[PATH_MAX], want[PATH_MAX];
	size_t n;

	if (own_cgroup(own, sizeof(own)) || cg_rel_name(pool, rel, want, sizeof(want)))
		return false;
	n = strlen(want);
	return strncmp(own, want, n) == 0 && (own[n] == '/' || own[n] == '\0');
}

static bool is_delegated(const char *rel)
{
	char path[PATH_MAX], val[8] = "";
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", CPOOL_CG_MOUNT, rel);
	/* systemd marks a Delegate=yes unit's cgroup (trusted.* as root, user.* per user). */
	n = getxattr(path, "trusted.delegate", val, sizeof(val) - 1);
	if (n <= 0)
		n = getxattr(path, "user.delegate", val, sizeof(val) - 1);
	return n > 0 && val[0] == '1';
}

int cpool_cg_default_root(const char *pool_name, char *root, size_t len, struct cpool_error *e)
{
	char own[PATH_MAX];
	size_t n;

	if (cpool_vs_name_check(pool_name))
		return cpool_cg_fail(e, EINVAL, "pool name '%s' is invalid: use [A-Za-z0-9_.-]",
				     pool_name);
	if (getenv("INVOCATION_ID") && own_cgroup(own, sizeof(own)) == 0 && own[0]) {
		/* After a restart inside the tree we sit in system/cpoold: the root is above. */
		const char *tail = "/" CPOOL_CG_SYSTEM_VS "/" CPOOL_CG_DAEMON_LEAF;

		n = strlen(own);
		if (n > strlen(tail) && strcmp(own + n - strlen(tail), tail) == 0)
			own[n - strlen(tail)] = '\0';
		if (is_delegated(own)) {
			if ((size_t)snprintf(root, len, "%s", own) >= len)
				return cpool_cg_fail(e, ENAMETOOLONG, "pool root %s: too long",
						     own);
			return 0;
		}
	}
	if ((size_t)snprintf(root, len, "%s", pool_name) >= len)
		return cpool_cg_fail(e, ENAMETOOLONG, "pool root %s: too long", pool_name);
	return 0;
}

static int root_check(const char *root, struct cpool_error *e)
{
	const char *p = root;

	if (!root || !*root || *root == '/')
		return cpool_cg_fail(
			e, EINVAL, "pool root '%s' is invalid: give a path below %s, like 'cpool'",
			root ? root : "", CPOOL_CG_MOUNT);
	while (*p) {
		size_t n = strcspn(p, "/");

		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return cpool_cg_fail(
				e, EINVAL,
				"pool root '%s' is invalid: empty, '.' or '..' component", root);
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)p[i] < 0x21 || p[i] == 0x7f)
				return cpool_cg_fail(
					e, EINVAL,
					"pool root '%s' is invalid: control or blank character",
					root);
		p += n;
		if (*p == '/')
			p++;
	}
	return 0;
}

static bool has_word(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; (p = strstr(p, word)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || p[n] == '\0'))
			return true;
	return false;
}

/*
 * The cgroup2 root's subtree_control belongs to the host (systemd usually
 * fills it), and nothing below works without it: check it and add what is
 * missing, naming the controller when the kernel refuses.
 */
static int root_controllers(struct cpool_cg_pool *pool, struct cpool_error *e)
{
	char avail[512], enabled[512];
	int err;

	err = cg_read_file(CPOOL_CG_MOUNT, "cgroup.controllers", avail, sizeof(avail), e);
	if (!err)
		err = cg_read_file(CPOOL_CG_MOUNT, "cgroup.subtree_control", enabled,
				   sizeof(enabled), e);
	if (err)
		return err;
	pool->have_io = has_word(avail, "io");
	for (int i = 0; i <= cg_nr_controllers; i++) {
		const char *c = i < cg_nr_controllers ? cg_controllers[i] : "io";
		char plus[16];

		if (!has_word(avail, c)) {
			if (i == cg_nr_controllers)
				continue;
			return cpool_cg_fail(
				e, ENODEV,
				"controller %s is not available in %s/cgroup.controllers "
				"(has: %.*s)",
				c, CPOOL_CG_MOUNT, (int)strcspn(avail, "\n"), avail);
		}
		if (has_word(enabled, c))
			continue;
		snprintf(plus, sizeof(plus), "+%s", c);
		err = cg_write_file(CPOOL_CG_MOUNT, "cgroup.subtree_control", plus, e);
		if (err)
			return err;
	}
	return 0;
}

/*
 * CPUs that cpuset partitions below the pool took out of the cgroup2
 * root's effective set still belong to the machine: a restarted daemon must
 * be able to plan them again.  Partitions are the pool root and its VSs.
 */
static int add_partitioned_cpus(struct cpool_cg_pool *pool, struct cpool_error *e)
{
	char(*names)[CPOOL_VS_NAME_MAX + 1] = NULL;
	struct cpool_cpuset set;
	int count = 0, err;

	err = cg_read_set(pool->path, "cpuset.cpus.effective", &set, e);
	if (err)
		return err;
	cpool_cpuset_or(&pool->machine_cpus, &pool->machine_cpus, &set);
	err = cg_list_children(pool->path, &names, &count, e);
	for (int i = 0; !err && i < count; i++) {
		char dir[PATH_MAX];

		snprintf(dir, sizeof(dir), "%s/%s", pool->path, names[i]);
		if (cg_read_set(dir, "cpuset.cpus.effective", &set, NULL) == 0)
			cpool_cpuset_or(&pool->machine_cpus, &pool->machine_cpus, &set);
	}
	free(names);
	return err;
}

/* Move every process of the pool root into system/cpoold (created plain). */
static int evacuate_root(struct cpool_cg_pool *pool, struct cpool_error *e)
{
	char leaf[PATH_MAX], num[16];
	int *pids, n, err;

	err = cg_read_pids(pool->path, &pids, &n, e);
	if (err || n == 0) {
		if (!err)
			free(pids);
		return err;
	}
	err = cg_mkdir(pool, CPOOL_CG_SYSTEM_VS, false, e);
	if (!err || err == -EEXIST)
		err = cg_mkdir(pool, CPOOL_CG_SYSTEM_VS "/" CPOOL_CG_DAEMON_LEAF, false, e);
	if (err && err != -EEXIST)
		goto out;
	cg_abs_path(pool, CPOOL_CG_SYSTEM_VS "/" CPOOL_CG_DAEMON_LEAF, leaf, sizeof(leaf));
	for (int i = 0; i < n; i++) {
		/* Directly, one pid per write: one that exited meanwhile (ESRCH) must not stop the move. */
		snprintf(num, sizeof(num), "%d", pids[i]);
		err = cg_write_file(leaf, "cgroup.procs", num, e);
		if (err == -ESRCH)
			err = 0;
		if (err)
			goto out;
	}
	err = 0;
out:
	free(pids);
	return err;
}

int cpool_cg_pool_open(struct cpool_cg_pool *pool, const char *root, struct cpool_error *e)
{
	struct stat st;
	int err;

	memset(pool, 0, sizeof(*pool));
	err = root_check(root, e);
	if (!err)
		err = cpool_cg_require_v2(e);
	if (!err)
		err = cg_lib_init(e);
	if (err)
		return err;
	snprintf(pool->root, sizeof(pool->root), "%s", root);
	if ((size_t)snprintf(pool->path, sizeof(pool->path), "%s/%s", CPOOL_CG_MOUNT, root) >=
	    sizeof(pool->path))
		return cpool_cg_fail(e, ENAMETOOLONG, "pool root %s: too long", root);
	err = root_controllers(pool, e);
	if (!err)
		err = cg_read_set(CPOOL_CG_MOUNT, "cpuset.cpus.effective", &pool->machine_cpus, e);
	if (!err)
		err = cg_read_set(CPOOL_CG_MOUNT, "cpuset.mems.effective", &pool->machine_mems, e);
	if (err)
		return err;
	if (stat(pool->path, &st) < 0) {
		if (errno != ENOENT)
			return cpool_cg_fail(e, errno, "stat %s: %s", pool->path, strerror(errno));
		/* The pool root itself: libcgroup enables our controllers in its parents. */
		err = cg_mkdir(pool, "", true, e);
		if (err)
			return err;
	} else {
		err = add_partitioned_cpus(pool, e);
		if (err)
			return err;
	}
	err = evacuate_root(pool, e);
	if (err)
		return err;
	/*
	 * libcgroup enables controllers only as a side effect of creating a
	 * child; an adopted or delegated root needs them before any VS is read.
	 */
	for (int i = 0; i <= cg_nr_controllers && !err; i++) {
		const char *c = i < cg_nr_controllers ? cg_controllers[i] : "io";
		char plus[16];

		if (i == cg_nr_controllers && !pool->have_io)
			break;
		snprintf(plus, sizeof(plus), "+%s", c);
		err = cg_write_file(pool->path, "cgroup.subtree_control", plus, e);
	}
	return err;
}

int cpool_cg_pool_destroy(struct cpool_cg_pool *pool, int timeout_ms, struct cpool_error *e)
{
	char(*names)[CPOOL_VS_NAME_MAX + 1];
	int count, err;

	if (cg_self_inside(pool, ""))
		return cpool_cg_fail(e, EBUSY, "destroy pool %s: the calling process lives in it",
				     pool->path);
	err = cpool_cg_vs_list(pool, &names, &count, e);
	if (err)
		return err;
	for (int i = 0; i < count && !err; i++)
		err = cpool_cg_vs_destroy(pool, names[i], timeout_ms, e);
	free(names);
	if (err)
		return err;
	if (is_delegated(pool->root))
		return 0;
	if (rmdir(pool->path) < 0)
		return cpool_cg_fail(e, errno, "remove %s: %s", pool->path, strerror(errno));
	return 0;
}

int cpool_cg_vs_list(const struct cpool_cg_pool *pool, char (**names)[CPOOL_VS_NAME_MAX + 1],
		     int *count, struct cpool_error *e)
{
	return cg_list_children(pool->path, names, count, e);
}

int cpool_cg_enter_system(struct cpool_cg_pool *pool, const struct cpool_cpuset *cpus,
			  struct cpool_error *e)
{
	struct cpool_vserver sys = { .name = CPOOL_CG_SYSTEM_VS };
	struct cpool_cg_vs_state st;
	char leaf[PATH_MAX], path[PATH_MAX];
	struct stat sb;
	int err;

	sys.cpus = *cpus;
	sys.mems = pool->machine_mems;
	cg_abs_path(pool, CPOOL_CG_SYSTEM_VS, path, sizeof(path));
	if (stat(path, &sb) == 0)
		err = cpool_cg_vs_resize(pool, &sys, &st, e);
	else
		err = cpool_cg_vs_create(pool, &sys, &st, e);
	if (err)
		return err;
	err = cpool_cg_job_create(pool, CPOOL_CG_SYSTEM_VS, CPOOL_CG_DAEMON_LEAF, leaf,
				  sizeof(leaf), e);
	if (err && err != -EEXIST)
		return err;
	cg_abs_path(pool, CPOOL_CG_SYSTEM_VS "/" CPOOL_CG_DAEMON_LEAF, leaf, sizeof(leaf));
	/* "0" is the writer itself. */
	return cg_write_file(leaf, "cgroup.procs", "0", e);
}
