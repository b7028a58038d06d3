// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * A process someone else forked (Slurm's slurmstepd) moved into a job
 * leaf, named by a pidfd so that it is the process the sender meant: a pid
 * alone could have been reused between the request and the move.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup_internal.h"

int cpool_pidfd_pid(int pidfd, pid_t *pid, struct cpool_error *e)
{
	char path[64], line[256];
	long long value = 0;
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
	f = fopen(path, "re");
	if (!f)
		return cpool_error_set(e, -errno, "read %s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Pid: %lld", &value) == 1) {
			found = true;
			break;
		}
	fclose(f);
	if (!found)
		return cpool_error_set(e, -EINVAL, "descriptor %d is not a pidfd", pidfd);
	if (value == -1)
		return cpool_error_set(e, -ESRCH, "the process of the pidfd has exited");
	if (value <= 0)
		return cpool_error_set(e, -EINVAL,
				       "the process of the pidfd is in a pid namespace this "
				       "process cannot see");
	*pid = (pid_t)value;
	return 0;
}

/* A pidfd polls readable once its process has exited. */
static bool pidfd_exited(int pidfd)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

int cpool_cg_pid_rel(const struct cpool_cg_pool *pool, pid_t pid, char *rel, size_t len,
		     struct cpool_error *e)
{
	char path[64], line[PATH_MAX + 8], prefix[PATH_MAX / 2 + 8];
	size_t n;
	FILE *f;

	rel[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return cpool_error_set(e, errno == ENOENT ? -ESRCH : -errno, "read %s: %s", path,
				       strerror(errno));
	n = (size_t)snprintf(prefix, sizeof(prefix), "0::/%s", pool->root);
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, prefix, n) != 0 || (line[n] != '/' && line[n] != '\n'))
			continue;
		line[strcspn(line, "\n")] = '\0';
		/* The pool's root itself (cpoold's parent) is in the pool too: "." */
		snprintf(rel, len, "%s", line[n] ? line + n + 1 : ".");
	}
	fclose(f);
	return 0;
}

/*
 * A process already inside the pool (a job of cpoold's, another attached
 * task, cpoold itself in system/cpoold) is not moved: that would take it
 * from its owner, and a leaf holding cpoold would be killed on cancel.
 */
static int check_outside(const struct cpool_cg_pool *pool, pid_t pid, struct cpool_error *e)
{
	char rel[PATH_MAX];
	int err = cpool_cg_pid_rel(pool, pid, rel, sizeof(rel), e);

	if (!err && rel[0])
		err = cpool_error_set(e, -EBUSY,
				      "process %d is already in the pool (cgroup /%s/%s)", (int)pid,
				      pool->root, rel);
	return err;
}

int cpool_cg_attach_pidfd(const struct cpool_cg_pool *pool, const char *rel, int pidfd, pid_t *pid,
			  struct cpool_error *e)
{
	char dir[PATH_MAX], num[24];
	int err = cg_rel_check(rel, e);

	if (err)
		return err;
	if (cg_abs_path(pool, rel, dir, sizeof(dir)))
		return cpool_error_set(e, -ENAMETOOLONG, "cgroup %s/%s: path too long", pool->path,
				       rel);
	err = cpool_pidfd_pid(pidfd, pid, e);
	if (!err)
		err = check_outside(pool, *pid, e);
	if (err)
		return err;
	snprintf(num, sizeof(num), "%d", (int)*pid);
	err = cg_write_file(dir, "cgroup.procs", num, e);
	if (err == -ESRCH)
		return cpool_error_set(e, -ESRCH, "process %d exited before it could be moved",
				       (int)*pid);
	if (err)
		return err;
	/*
	 * Alive after the write means alive during it: the pid was still the
	 * process's, not a reused one.  Dead now, the pid written may have
	 * named another process: the caller kills the leaf.
	 */
	if (pidfd_exited(pidfd))
		return cpool_error_set(e, -ESRCH, "process %d exited while it was being moved",
				       (int)*pid);
	return 0;
}
