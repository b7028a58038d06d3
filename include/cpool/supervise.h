/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * A supervisor process per running job, so that a job's exit status is
 * never lost, even when cpoold is killed (kill -9) while the job runs.
 *
 * cpoold forks the supervisor; it detaches (setsid), starts the job in its
 * leaf cgroup (cpool_launch: clone3 into the cgroup), writes a start record,
 * waits for the job, reads the leaf's accounting and writes an exit record
 * atomically (write, fsync, rename) before it exits.  The records live in a
 * directory that outlives the daemon (/run/cpool/jobs): a restarted cpoold
 * reads the exit records of jobs that ended while it was down, and watches
 * (pidfd_open) the supervisors of jobs still running.
 *
 * The supervisor lives in cpoold's own cgroup (the system VS), not in the
 * job's leaf, so freezing or killing the job never touches it.
 */
#ifndef CPOOL_SUPERVISE_H
#define CPOOL_SUPERVISE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cpool/launch.h"

#define CPOOL_DEFAULT_RECORD_DIR "/run/cpool/jobs"

struct cpool_supervisor {
	int64_t job_id;
	pid_t pid; /* the supervisor */
	int pidfd; /* readable when the supervisor has exited */
	pid_t job_pid; /* the job's main process */
	bool is_child; /* ours to reap (false after a daemon restart) */
};


/*
 * Fork the supervisor and have it start @spec.  Returns once the job runs
 * (0, sup filled) or could not start (negative errno, the reason in @e; the
 * failure is also in the exit record, like any other end).
 */
int cpool_supervise_start(const struct cpool_launch_spec *spec, int64_t job_id,
			  const char *record_dir, struct cpool_supervisor *sup,
			  struct cpool_cg_error *e);

/*
 * After a restart: find the supervisor of @job_id from its start record.
 * 0 with sup (and a pidfd) when it still runs; -ESRCH when it is gone (read
 * the exit record); -ENOENT when there is no start record.
 */
int cpool_supervise_reattach(const char *record_dir, int64_t job_id, struct cpool_supervisor *sup);

/* Reap (when ours) and release a supervisor whose pidfd became readable. */
void cpool_supervise_release(struct cpool_supervisor *sup);

/* 0 with @rec filled from the exit (else start) record; -ENOENT without either. */
int cpool_job_record_read(const char *record_dir, int64_t job_id, struct cpool_job_record *rec);
/* Forget a job's records once its accounting is stored. */
void cpool_job_record_remove(const char *record_dir, int64_t job_id);


#endif /* CPOOL_SUPERVISE_H */
