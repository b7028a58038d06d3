/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Named crash points for the crash-injection lab test.  Compiled in only
 * with -DCPOOL_CRASH_POINTS (build/cpoold-crash); in build/cpoold every
 * crash_point() is an empty inline.  CPOOL_CRASH_AT=NAME kills the daemon
 * (SIGKILL) the first time NAME is passed, NAME:N the N-th time.  The one
 * list below is what `cpoold-crash --crash-points` prints.
 */
#ifndef CPOOLD_CRASH_H
#define CPOOLD_CRASH_H

#define CRASH_POINT_LIST(X)                                       \
	X(SUBMIT_BEFORE_STORE, "submit.before-store")             \
	X(SUBMIT_STORED, "submit.stored")                         \
	X(LAUNCH_CPUS_TAKEN, "launch.cpus-taken")                 \
	X(LAUNCH_LEAF_CREATED, "launch.leaf-created")             \
	X(LAUNCH_STARTING_STORED, "launch.starting-stored")       \
	X(LAUNCH_FORKED, "launch.forked")                         \
	X(LAUNCH_REPORT_READ, "launch.report-read")               \
	X(LAUNCH_RUNNING_STORED, "launch.running-stored")         \
	X(EXIT_SUPERVISOR_ENDED, "exit.supervisor-ended")         \
	X(EXIT_BEFORE_STORE, "exit.before-store")                 \
	X(EXIT_STORED, "exit.stored")                             \
	X(EXIT_RECORDS_REMOVED, "exit.records-removed")           \
	X(PREEMPT_FREEZE_REQUESTED, "preempt.freeze-requested")   \
	X(PREEMPT_STORED, "preempt.stored")                       \
	X(RESUME_CPUS_SET, "resume.cpus-set")                     \
	X(RESUME_THAW_REQUESTED, "resume.thaw-requested")         \
	X(RESUME_STORED, "resume.stored")                         \
	X(CANCEL_KILLED, "cancel.killed")                         \
	X(CANCEL_QUEUED_STORED, "cancel.queued-stored")           \
	X(ATTACH_STARTING_STORED, "attach.starting-stored")       \
	X(ATTACH_MOVED, "attach.moved")                           \
	X(TIMEOUT_TERM_SENT, "timeout.term-sent")                 \
	X(TIMEOUT_KILLED, "timeout.killed")                       \
	X(VS_RESIZE_CGROUP_APPLIED, "vs-resize.cgroup-applied")   \
	X(VS_RESIZE_STORED, "vs-resize.stored")                   \
	X(VS_DESTROY_JOBS_KILLED, "vs-destroy.jobs-killed")       \
	X(VS_DESTROY_CGROUP_REMOVED, "vs-destroy.cgroup-removed") \
	X(VS_DESTROY_STORED, "vs-destroy.stored")                 \
	X(SUBMIT_JOBCTL_STORED, "submit.jobctl-stored")           \
	X(HOLD_STORED, "hold.stored")                             \
	X(RELEASE_STORED, "release.stored")                       \
	X(DEPENDENCY_NEVER_STORED, "dependency.never-stored")     \
	X(RELOAD_VS_DESTROYED, "reload.vs-destroyed")             \
	X(RELOAD_VS_RESIZED, "reload.vs-resized")                 \
	X(RELOAD_VS_CREATED, "reload.vs-created")                 \
	X(RELOAD_STORED, "reload.stored")

enum crash_point {
#define CRASH_ENUM(id, name) CRASH_##id,
	CRASH_POINT_LIST(CRASH_ENUM)
#undef CRASH_ENUM
		CRASH__COUNT
};

#ifdef CPOOL_CRASH_POINTS
/* Reads CPOOL_CRASH_AT; -EINVAL (message on stderr) for an unknown name. */
int crash_points_init(void);
void crash_points_print(void);
void crash_point(enum crash_point p);
#else
static inline void crash_point(enum crash_point p)
{
	(void)p;
}
#endif

#endif /* CPOOLD_CRASH_H */
