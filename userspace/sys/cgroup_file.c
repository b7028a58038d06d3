// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* The plumbing under every cgroup operation: names, paths, libcgroup calls and raw files. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libcgroup.h>

#include "cgroup_internal.h"

const char *const cg_controllers[] = { "cpuset", "cpu", "memory", "pids" };
const int cg_nr_controllers = 4;

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;
static int lib_code;

static void lib_init_once(void)
{
	lib_code = cgroup_init();
}

/* Turn a libcgroup ECG* code into a negative errno and a message. */
static int cg_lib_fail(struct cpool_error *e, int code, const char *op, const char *path)
{
	int sys = cgroup_get_last_errno();
	int err;

	switch (code) {
	case ECGROUPNOTEXIST:
	case ECGROUPVALUENOTEXIST:
		err = ENOENT;
		break;
	case ECGROUPNOTALLOWED:
	case ECGROUPNOTOWNER:
		err = EACCES;
		break;
	case ECGROUPSUBSYSNOTMOUNTED:
	case ECGROUPNOTMOUNTED:
		err = ENODEV;
		break;
	default:
		/* ECGOTHER and ECGCANTSETVALUE carry the errno of the failed write. */
		err = sys > 0 ? sys : EIO;
	}
	if (sys > 0 && code != ECGROUPNOTEXIST)
		return cpool_cg_fail(e, err, "%s %s: %s (%s)", op, path, cgroup_strerror(code),
				     strerror(sys));
	return cpool_cg_fail(e, err, "%s %s: %s", op, path, cgroup_strerror(code));
}

int cg_lib_init(struct cpool_error *e)
{
	pthread_once(&lib_once, lib_init_once);
	if (lib_code)
		return cg_lib_fail(e, lib_code, "initialise libcgroup for", CPOOL_CG_MOUNT);
	return 0;
}

int cg_rel_check(const char *rel, struct cpool_error *e)
{
	char part[CPOOL_VS_NAME_MAX + 2];
	const char *p = rel;
	int depth = 0;

	if (!rel)
		return cpool_cg_fail(e, EINVAL, "cgroup name missing");
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);

		if (n >= sizeof(part) || ++depth > 2)
			return cpool_cg_fail(e, EINVAL,
					     "cgroup name '%s' is invalid: expected VS or VS/JOB",
					     rel);
		memcpy(part, p, n);
		part[n] = '\0';
		if (cpool_vs_name_check(part))
			return cpool_cg_fail(e, EINVAL,
					     "cgroup name '%s' is invalid: '%s' is not a name "
					     "([A-Za-z0-9_.-], no leading '.', no '/' or '..')",
					     rel, part);
		p += n;
		if (*p == '/')
			p++;
		if (slash && !*p)
			return cpool_cg_fail(e, EINVAL, "cgroup name '%s' ends with '/'", rel);
	}
	if (depth == 0)
		return cpool_cg_fail(e, EINVAL, "cgroup name is empty");
	return 0;
}

int cg_rel_name(const struct cpool_cg_pool *pool, const char *rel, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s%s%s", pool->root, rel && *rel ? "/" : "", rel ? rel : "");

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int cg_abs_path(const struct cpool_cg_pool *pool, const char *rel, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s%s%s", pool->path, rel && *rel ? "/" : "", rel ? rel : "");

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int cg_set(const struct cpool_cg_pool *pool, const char *rel, const char *controller,
	   const char *file, const char *value, struct cpool_error *e)
{
	char name[PATH_MAX], path[PATH_MAX];
	struct cgroup_controller *c;
	struct cgroup *cg;
	int code;

	if (cg_rel_name(pool, rel, name, sizeof(name)) ||
	    cg_abs_path(pool, rel, path, sizeof(path)))
		return cpool_cg_fail(e, ENAMETOOLONG, "set %s: cgroup path too long", file);
	cg = cgroup_new_cgroup(name);
	if (!cg)
		return cpool_cg_fail(e, ENOMEM, "set %s/%s: out of memory", path, file);
	c = cgroup_add_controller(cg, controller);
	code = c ? cgroup_add_value_string(c, file, value) : ECGFAIL;
	if (!code)
		code = cgroup_modify_cgroup(cg);
	cgroup_free(&cg);
	if (code) {
		char op[128];

		snprintf(op, sizeof(op), "write '%s' to", value);
		strncat(path, "/", sizeof(path) - strlen(path) - 1);
		strncat(path, file, sizeof(path) - strlen(path) - 1);
		return cg_lib_fail(e, code, op, path);
	}
	return 0;
}

int cg_mkdir(const struct cpool_cg_pool *pool, const char *rel, bool controllers,
	     struct cpool_error *e)
{
	char name[PATH_MAX], path[PATH_MAX];
	struct cgroup *cg;
	struct stat st;
	int code = 0;

	if (cg_rel_name(pool, rel, name, sizeof(name)) ||
	    cg_abs_path(pool, rel, path, sizeof(path)))
		return cpool_cg_fail(e, ENAMETOOLONG, "create cgroup %s: path too long", rel);
	/* libcgroup's create is mkdir -p: refuse here so an existing tree is never taken over. */
	if (stat(path, &st) == 0)
		return cpool_cg_fail(e, EEXIST, "create cgroup %s: %s", path, strerror(EEXIST));
	/* libcgroup 2.0.2 creates nothing for a cgroup named with no controller. */
	if (!controllers) {
		if (mkdir(path, 0755) < 0)
			return cpool_cg_fail(e, errno, "create cgroup %s: %s", path,
					     strerror(errno));
		return 0;
	}
	cg = cgroup_new_cgroup(name);
	if (!cg)
		return cpool_cg_fail(e, ENOMEM, "create cgroup %s: out of memory", path);
	/*
	 * Naming the controllers makes libcgroup enable each in the parents'
	 * cgroup.subtree_control on the way down.
	 */
	for (int i = 0; i < cg_nr_controllers && !code; i++)
		if (!cgroup_add_controller(cg, cg_controllers[i]))
			code = ECGFAIL;
	if (!code && pool->have_io && !cgroup_add_controller(cg, "io"))
		code = ECGFAIL;
	if (!code)
		code = cgroup_create_cgroup(cg, 1);
	cgroup_free(&cg);
	if (code) {
		int err = cg_lib_fail(e, code, "create cgroup", path);

		rmdir(path);
		return err;
	}
	return 0;
}

int cg_read_file(const char *dir, const char *file, char *buf, size_t len, struct cpool_error *e)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cpool_cg_fail(e, errno, "open %s: %s", path, strerror(errno));
	n = read(fd, buf, len - 1);
	if (n < 0) {
		int err = errno;

		close(fd);
		return cpool_cg_fail(e, err, "read %s: %s", path, strerror(err));
	}
	close(fd);
	buf[n] = '\0';
	return 0;
}

int cg_read_set(const char *dir, const char *file, struct cpool_cpuset *set, struct cpool_error *e)
{
	char buf[8192];
	int err = cg_read_file(dir, file, buf, sizeof(buf), e);

	if (err)
		return err;
	buf[strcspn(buf, "\n")] = '\0';
	if (cpool_cpuset_parse(set, buf, NULL))
		return cpool_cg_fail(e, EINVAL, "parse %s/%s: '%s' is not a list", dir, file, buf);
	return 0;
}

int cg_write_file(const char *dir, const char *file, const char *value, struct cpool_error *e)
{
	char path[PATH_MAX];
	size_t len = strlen(value);
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return cpool_cg_fail(e, errno, "open %s: %s", path, strerror(errno));
	/* One write(2): cgroup files take a whole value per call, the error comes back here. */
	n = write(fd, value, len);
	if (n < 0 || (size_t)n != len) {
		int err = n < 0 ? errno : EIO;

		close(fd);
		return cpool_cg_fail(e, err, "write '%s' to %s: %s", value, path, strerror(err));
	}
	close(fd);
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(a, b);
}

int cg_list_children(const char *dir, char (**names)[CPOOL_VS_NAME_MAX + 1], int *count,
		     struct cpool_error *e)
{
	char(*list)[CPOOL_VS_NAME_MAX + 1] = NULL;
	struct dirent *d;
	int n = 0, cap = 0;
	DIR *dp;

	dp = opendir(dir);
	if (!dp)
		return cpool_cg_fail(e, errno, "list %s: %s", dir, strerror(errno));
	while ((d = readdir(dp))) {
		if (d->d_type != DT_DIR || cpool_vs_name_check(d->d_name))
			continue;
		if (n == cap) {
			void *p = realloc(list, (size_t)(cap = cap ? cap * 2 : 8) * sizeof(*list));

			if (!p) {
				free(list);
				closedir(dp);
				return cpool_cg_fail(e, ENOMEM, "list %s: out of memory", dir);
			}
			list = p;
		}
		/* cpool_vs_name_check() bounded the length. */
		memcpy(list[n], d->d_name, strlen(d->d_name) + 1);
		n++;
	}
	closedir(dp);
	if (n)
		qsort(list, (size_t)n, sizeof(*list), cmp_names);
	*names = list;
	*count = n;
	return 0;
}

int cg_read_pids(const char *dir, int **pids, int *count, struct cpool_error *e)
{
	char path[PATH_MAX];
	int *list = NULL, n = 0, cap = 0, pid;
	FILE *f;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "re");
	if (!f)
		return cpool_cg_fail(e, errno, "open %s: %s", path, strerror(errno));
	while (fscanf(f, "%d", &pid) == 1) {
		if (n == cap) {
			void *p = realloc(list, (size_t)(cap = cap ? cap * 2 : 16) * sizeof(*list));

			if (!p) {
				free(list);
				fclose(f);
				return cpool_cg_fail(e, ENOMEM, "read %s: out of memory", path);
			}
			list = p;
		}
		list[n++] = pid;
	}
	fclose(f);
	*pids = list;
	*count = n;
	return 0;
}
