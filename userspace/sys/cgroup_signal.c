// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * A signal to every process of a job's leaf (cpool cancel --signal), the
 * job going on.  A pid read from cgroup.procs may end and be reused before
 * it is signalled: each is pinned with a pidfd first and signalled only
 * when /proc says the pinned process is still in the leaf's subtree.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup_internal.h"

#define CG_MOUNT "/sys/fs/cgroup"
#include "cpool/cgroup.h"

/* Is @pid's cgroup (its "0::/path" line) @cg or below it? */
static bool in_subtree(int pid, const char *cg)
{
	char path[64], line[PATH_MAX + 8];
	size_t n = strlen(cg);
	bool in = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3) != 0)
			continue;
		line[strcspn(line, "\n")] = '\0';
		in = strncmp(line + 3, cg, n) == 0 && (line[3 + n] == '\0' || line[3 + n] == '/');
	}
	fclose(f);
	return in;
}

static int signal_one(int pid, int sig, const char *cg)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0), r = 0;

	if (fd < 0)
		return 0; /* gone already */
	if (in_subtree(pid, cg) && syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0) == 0)
		r = 1;
	close(fd);
	return r;
}

/* @dir: the cgroup's directory; @cg: the same as /proc/PID/cgroup names it. */
static int signal_walk(const char *dir, const char *cg, int sig, struct cpool_error *e)
{
	char(*kids)[CPOOL_VS_NAME_MAX + 1];
	char sub[PATH_MAX];
	int *pids, n, total = 0, err;

	err = cg_read_pids(dir, &pids, &n, e);
	if (err)
		return err;
	for (int i = 0; i < n; i++)
		total += signal_one(pids[i], sig, cg);
	free(pids);
	err = cg_list_children(dir, &kids, &n, e);
	if (err)
		return err;
	for (int i = 0; i < n && err >= 0; i++) {
		if (snprintf(sub, sizeof(sub), "%s/%s", dir, kids[i]) >= (int)sizeof(sub))
			continue;
		err = signal_walk(sub, cg, sig, e);
		if (err > 0)
			total += err;
	}
	free(kids);
	return err < 0 ? err : total;
}

int cg_signal_tree(const char *dir, int sig, struct cpool_error *e)
{
	/* /proc/PID/cgroup names it from the cgroup2 mount's root. */
	const char *cg = strncmp(dir, CG_MOUNT "/", strlen(CG_MOUNT) + 1) == 0 ?
				 dir + strlen(CG_MOUNT) :
				 dir;

	return signal_walk(dir, cg, sig, e);
}

int cpool_cg_signal(const struct cpool_cg_pool *pool, const char *rel, int sig,
		    struct cpool_error *e)
{
	char dir[PATH_MAX];
	int err = cg_rel_check(rel, e);

	if (err)
		return err;
	if (cg_abs_path(pool, rel, dir, sizeof(dir)))
		return cpool_cg_fail(e, ENAMETOOLONG, "cgroup %s/%s: path too long", pool->path,
				     rel);
	if (access(dir, F_OK) < 0)
		return cpool_cg_fail(e, errno, "cgroup %s: %s", dir, strerror(errno));
	return cg_signal_tree(dir, sig, e);
}
