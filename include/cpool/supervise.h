/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * A supervisor process per job, so that a job's exit status is never lost,
 * even when cpoold is killed (kill -9) at any instant of its launch or run.
 *
 * cpoold takes the job's lock (RECORD_DIR/ID.lock, flock) and forks the
 * supervisor, which inherits the lock and holds it for its whole life: a
 * restarted cpoold that can take the lock knows no supervisor of the job is
 * alive.  The supervisor detaches (setsid), writes a start record *before*
 * the job process exists (job_pid 0), starts the job in its leaf cgroup
 * (cpool_launch: clone3 into the cgroup), rewrites the start record with
 * the job's pid once it exec'd, reports to cpoold through a pipe, waits for
 * the job, reads the leaf's accounting and writes an exit record.  Every
 * record is written atomically (write, fsync, rename) in a directory that
 * outlives the daemon (/run/cpool/jobs).
 *
 * So: no start record and a free lock means the job never had a process
 * (provably never exec'd); a start record without job_pid means it may have
 * one that has not exec'd yet (or is being killed); job_pid means it exec'd.
 *
 * The supervisor lives in cpoold's own cgroup (the system VS), not in the
 * job's leaf, so freezing or killing the job never touches it.
 */
#ifndef CPOOL_SUPERVISE_H
#define CPOOL_SUPERVISE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cpool/job_record.h"
#include "cpool/launch.h"

#define CPOOL_DEFAULT_RECORD_DIR "/run/cpool/jobs"

struct cpool_supervisor {
	int64_t job_id;
	pid_t pid; /* the supervisor */
	int pidfd; /* readable when the supervisor has exited */
	int report_fd; /* non-blocking read end of its start report; -1 once read */
	pid_t job_pid; /* the job's main process, once it exec'd */
	double exec_time; /* when it exec'd, on the supervisor's clock; 0: unknown */
	bool is_child; /* ours to reap (false after a daemon restart) */
};

/* Where the job goes, as the daemon stored it with STARTING. */
struct cpool_job_place {
	const char *vs;
	const char *cpus;
	uint64_t mem;
};

/*
 * Create the job's lock file, before STARTING is stored: a restart that
 * finds STARTING and the lock file free, with no record, knows nothing ran.
 * Without the file (a reboot emptied /run) it cannot know.
 */
int cpool_supervise_prepare(const char *record_dir, int64_t job_id, struct cpool_error *e);

/*
 * Take the job's lock and fork its supervisor, which starts @spec.  Never
 * waits for it: the start report arrives on sup->report_fd (read it with
 * cpool_supervise_read_report when readable).  -EBUSY when a supervisor of
 * this job is alive already.
 */
int cpool_supervise_spawn(const struct cpool_launch_spec *spec, const struct cpool_job_place *place,
			  int64_t job_id, const char *record_dir, struct cpool_supervisor *sup,
			  struct cpool_error *e);

/*
 * Read the start report (non-blocking).  0: the job exec'd (sup->job_pid
 * set); -EAGAIN: not yet; another negative errno: it did not start, the
 * reason in @e (-EPIPE: the supervisor ended without a report).  The report
 * fd is closed on every answer but -EAGAIN.  A non-zero answer with a
 * job_pid is a warning only (the job runs).
 */
int cpool_supervise_read_report(struct cpool_supervisor *sup, struct cpool_error *e);

/*
 * After a restart: is a supervisor of @job_id alive?  Decided by its lock,
 * so it holds even before the supervisor wrote anything.  1: alive; 0: none
 * is, nor can one appear (records are final); -ENOENT: no lock file (never
 * spawned, or the record directory was emptied, e.g. by a reboot).
 */
int cpool_supervise_alive(const char *record_dir, int64_t job_id);

/*
 * After a restart: watch the supervisor named in @rec (pid and start time,
 * so a reused pid is not mistaken for it).  0 with sup and a pidfd; -ESRCH
 * when it is gone.
 */
int cpool_supervise_reattach(const struct cpool_job_record *rec, struct cpool_supervisor *sup);

/* Reap (when ours) and release a supervisor whose pidfd became readable. */
void cpool_supervise_release(struct cpool_supervisor *sup);

/* 0 with @rec filled from the exit (else start) record; -ENOENT without either. */
int cpool_job_record_read(const char *record_dir, int64_t job_id, struct cpool_job_record *rec);
/*
 * A cancel survives a restart: marked (RECORD_DIR/ID.cancel) before the job
 * is killed, so its end is accounted cancelled whoever reads it.
 */
int cpool_job_cancel_mark(const char *record_dir, int64_t job_id);
bool cpool_job_cancel_marked(const char *record_dir, int64_t job_id);
/* Forget a job's records, lock and cancel mark once its accounting is stored. */
void cpool_job_record_remove(const char *record_dir, int64_t job_id);

#endif /* CPOOL_SUPERVISE_H */
