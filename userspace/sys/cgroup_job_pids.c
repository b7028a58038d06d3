// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * What a job leaf gets beyond its CPUs and memory: its own pids.max (the
 * signal to its processes, a walltime's SIGTERM among them, is in
 * cgroup_signal.c).
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
