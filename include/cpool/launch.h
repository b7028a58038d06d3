/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Starting a job's process directly inside its leaf cgroup, as its user,
 * and collecting what it did when it ends.
 *
 * clone3(CLONE_INTO_CGROUP | CLONE_PIDFD) puts the child in the cgroup at
 * birth (moving it through cgroup.procs afterwards costs an RCU grace
 * period, 5-15 ms, and lets it run a moment outside its limits) and hands
 * back a pidfd, which cannot be confused with a recycled pid.
 */
#ifndef CPOOL_LAUNCH_H
#define CPOOL_LAUNCH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "cpool/cgroup.h"
#include "cpool/job_record.h"

struct cpool_rlimit {
	int resource; /* RLIMIT_* */
	struct rlimit limit;
};

struct cpool_launch_spec {
	const char *cgroup; /* absolute path of the job's leaf (cpool_cg_job_create) */
	char *const *argv; /* executed directly; argv[0] without '/' is looked up in envp's PATH */
	char *const *envp; /* the job's whole environment; NULL = empty */
	const char *cwd; /* NULL = "/" */
	bool as_caller; /* keep the caller's ids (tests); else uid/gid below */
	uid_t uid;
	gid_t gid; /* primary group; supplementary groups come from uid's user */
	/*
	 * Opened (created 0644) as the job's user, non-blocking, not following a
	 * final symlink; a regular file or /dev/null, else the start fails
	 * naming the path and its type.  NULL = /dev/null.
	 */
	const char *stdout_path;
	const char *stderr_path;
	/*
	 * cpool run: the job's fds 0, 1, 2 as they are (the caller checked
	 * them), instead of /dev/null and the paths; NULL for the paths.
	 */
	const int *stdio_fds;
	const struct cpool_rlimit *rlimits;
	int nr_rlimits;
	/* Take the fork + cgroup.procs path of kernels without clone3 (for its test). */
	bool force_fork;
};

struct cpool_job_proc {
	pid_t pid;
	int pidfd; /* -1 only on kernels before 5.3 */
	bool via_clone3; /* false: the fork + cgroup.procs fallback was used */
	char cgroup[PATH_MAX]; /* leaf, for the accounting at exit */
};

/*
 * Start @spec.  Returns once the program is exec'd (0) or has failed to be
 * (negative errno, with the failing step in @e: "chdir /x: ...", "execve
 * ./prog: ...").  The child never holds the caller's privileges at exec.
 */
int cpool_launch(const struct cpool_launch_spec *spec, struct cpool_job_proc *job,
		 struct cpool_error *e);
/*
 * Wait up to @timeout_ms (-1: forever) for the job's process to end, reap
 * it and read its leaf's accounting.  -ETIMEDOUT when still running.
 */
int cpool_launch_wait(struct cpool_job_proc *job, int timeout_ms, struct cpool_job_exit *x,
		      struct cpool_error *e);
/*
 * Close every file descriptor >= @lowest except @keep (-1: none): close_range,
 * or a walk of /proc/self/fd where the kernel lacks it.  Async-signal-safe.
 */
int cpool_close_fds_from(int lowest, int keep);
/* The /proc/self/fd walk alone: public so that it is tested on kernels with close_range. */
int cpool_close_fds_walk(int lowest, int keep);
/* Close the pidfd (the process is left alone). */
void cpool_launch_release(struct cpool_job_proc *job);

#endif /* CPOOL_LAUNCH_H */
