// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * What a job leaf gets beyond its CPUs and memory: a signal to each of its
 * processes (the SIGTERM of a walltime, before cgroup.kill), and its own
 * pids.max.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup_internal.h"

/* Whether @pid (through @pidfd, so it cannot be a recycled pid) is still in cgroup @rel_name. */
static bool still_inside(pid_t pid, const char *rel_name)
{
	char path[64], line[4096];
	bool inside = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	/* cgroup v2: the one line "0::/PATH". */
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::/", 4) == 0) {
			line[strcspn(line, "\n")] = '\0';
			inside = strcmp(line + 4, rel_name + (rel_name[0] == '/')) == 0;
		}
	}
	fclose(f);
	return inside;
}

int cpool_cg_signal(const struct cpool_cg_pool *pool, const char *rel, int sig,
		    struct cpool_error *e)
{
	char dir[PATH_MAX], name[PATH_MAX];
	int *pids, n, sent = 0, err;

	err = cg_rel_check(rel, e);
	if (err)
		return err;
	cg_abs_path(pool, rel, dir, sizeof(dir));
	cg_rel_name(pool, rel, name, sizeof(name));
	err = cg_read_pids(dir, &pids, &n, e);
	if (err)
		return err;
	for (int i = 0; i < n; i++) {
		/*
		 * Between reading cgroup.procs and the signal a pid may die and
		 * be reused by a process elsewhere: pin it with a pidfd, check
		 * it is still in the leaf, and signal through the pidfd.
		 */
		int pidfd = (int)syscall(SYS_pidfd_open, pids[i], 0);

		if (pidfd < 0)
			continue; /* gone already */
		if (still_inside(pids[i], name) &&
		    syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) == 0)
			sent++;
		close(pidfd);
	}
	free(pids);
	return sent;
}

int cpool_cg_job_pids_max(const struct cpool_cg_pool *pool, const char *rel, uint32_t pids_max,
			  struct cpool_error *e)
{
	char value[16], dir[PATH_MAX];
	int err = cg_rel_check(rel, e);

	if (err)
		return err;
	if (pids_max)
		snprintf(value, sizeof(value), "%u", pids_max);
	else
		snprintf(value, sizeof(value), "max");
	cg_abs_path(pool, rel, dir, sizeof(dir));
	/* Written directly and checked: the file must exist (pids enabled in the VS). */
	return cg_write_file(dir, "pids.max", value, e);
}
