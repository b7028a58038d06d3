// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Time limits (cpool submit --time, the VS's default_time and max_time).
 *
 * What counts is the time a job runs: from its exec (RUNNING) to its end,
 * less the time it spent frozen.  Slurm counts wall time for a
 * running job and stops the clock while a job is suspended by
 * preemption; we do the same, because a freeze is the scheduler's choice,
 * not the job's: under rr a job counting its frozen time would be killed
 * for waiting its turn.  So the deadline is start_time + (time_limit -
 * run_time), every term of which is stored before the process exists or
 * is thawed; a restarted daemon recomputes it from the store.
 *
 * At the deadline each process of the leaf gets SIGTERM, and after the VS's
 * kill_grace the leaf is killed (cgroup.kill).  The job ends TIMEOUT.  A
 * restart during the grace period sends SIGTERM again and starts a new
 * grace period: the daemon that sent the first one is gone, and a second
 * SIGTERM harms nothing.  The timers run on the loop's CLOCK_MONOTONIC.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpoold.h"

static const struct cpool_job_limits *vs_limits(struct cpoold *d, const struct djob *j)
{
	struct vsrv *v = pool_find(d, j->pol.vs);

	return v ? &v->spec.job : NULL;
}

int walltime_resolve(struct cpoold *d, const struct cpool_submit_req *s, double *time_limit,
		     struct cpool_error *error)
{
	struct cpool_error e = { 0 };
	struct cpool_job_limits pool_wide;
	const struct cpool_job_limits *l;
	int r;

	if (s->vs) {
		struct vsrv *v = pool_find(d, s->vs);

		if (!v)
			return cpool_error_set(error, -ENOENT, "no vserver %s", s->vs);
		l = &v->spec.job;
	} else {
		/* Placement may choose any VS: the strictest limits of all. */
		const struct cpool_job_limits **all = calloc((size_t)d->n_vs + 1, sizeof(*all));

		if (!all)
			return cpool_error_set(error, -ENOMEM, "out of memory");
		for (int i = 0; i < d->n_vs; i++)
			all[i] = &d->vs[i].spec.job;
		cpool_job_limits_strictest(all, d->n_vs, &pool_wide);
		free(all);
		l = &pool_wide;
	}
	r = cpool_job_time_resolve(l, s->time_limit, time_limit, &e);
	if (r)
		return cpool_error_set(error, r, "%s%s%s", e.msg,
				       s->vs ? " " : " (the smallest of all vservers';",
				       s->vs ? s->vs : " give --vs for one)");
	return 0;
}

/* Seconds of its limit the job has used by now (frozen time excluded). */
static double used_s(const struct djob *j)
{
	double run = j->rec.run_time;

	if (jobs_running(j) && j->rec.start_time > 0)
		run += (double)(now_us() - j->run_since_us) / 1e6;
	return run;
}

bool walltime_ended_late(const struct djob *j)
{
	return j->timed_out || cpool_job_time_exceeded(j->rec.time_limit, j->rec.run_time);
}

static void on_walltime(struct cpool_evsource *src, uint32_t events, void *data);

static void set_timer(struct cpoold *d, struct djob *j, double seconds)
{
	uint64_t ns = seconds > 0 ? (uint64_t)(seconds * 1e9) : 1;

	if (!ns)
		ns = 1; /* 0 would disarm the timerfd */
	if (j->walltime_timer) {
		cpool_evloop_timer_set(j->walltime_timer, ns, 0);
		return;
	}
	if (cpool_evloop_add_timer(d->loop, ns, 0, on_walltime, j, &j->walltime_timer))
		log_err("job %lld: time limit timer: %s", (long long)j->rec.id, strerror(errno));
}

static void kill_now(struct cpoold *d, struct djob *j)
{
	struct cpool_error e = { 0 };

	j->walltime_killed = true;
	if (kill_cgroup(d, j->leaf, &e) && e.err != -ENOENT)
		log_warn("job %lld: kill at its time limit: %s", (long long)j->rec.id, e.msg);
	crash_point(CRASH_TIMEOUT_KILLED);
}

static void on_walltime(struct cpool_evsource *src, uint32_t events, void *data)
{
	struct djob *j = data;
	struct cpoold *d = j->daemon;
	struct cpool_error e = { 0 };
	double grace;
	int n;

	(void)src;
	(void)events;
	/* Not yet exec'd: armed again once it is (a signal now would hit the supervisor's child). */
	if (j->rec.state != CPOOL_JOB_RUNNING || j->walltime_killed)
		return;
	if (j->timed_out) {
		log_info("job %lld: still there %g s after its SIGTERM: killed",
			 (long long)j->rec.id, cpool_job_kill_grace(vs_limits(d, j)));
		kill_now(d, j);
		return;
	}
	if (used_s(j) < j->rec.time_limit) {
		/* Fired early (a resume moved the deadline, or the clock's rounding). */
		set_timer(d, j, j->rec.time_limit - used_s(j));
		return;
	}
	j->timed_out = true;
	grace = cpool_job_kill_grace(vs_limits(d, j));
	n = cpool_cg_signal(&d->pool, j->leaf, SIGTERM, &e);
	if (n < 0 && e.err != -ENOENT)
		log_warn("job %lld: SIGTERM at its time limit: %s", (long long)j->rec.id, e.msg);
	crash_point(CRASH_TIMEOUT_TERM_SENT);
	log_info("job %lld reached its time limit of %g s: SIGTERM to %d processes, killed in "
		 "%g s",
		 (long long)j->rec.id, j->rec.time_limit, n > 0 ? n : 0, grace);
	if (grace <= 0)
		kill_now(d, j);
	else
		set_timer(d, j, grace);
}

void walltime_arm(struct cpoold *d, struct djob *j)
{
	j->daemon = d;
	/* Once, on the monotonic clock: a later step of the wall clock moves nothing. */
	j->run_since_us = wall_to_mono_us(j->rec.start_time);
	if (j->rec.time_limit <= 0 || j->walltime_killed)
		return;
	if (j->timed_out) {
		/* In its grace period already (a resume cannot happen, but be safe). */
		set_timer(d, j, cpool_job_kill_grace(vs_limits(d, j)));
		return;
	}
	set_timer(d, j, j->rec.time_limit - used_s(j));
}

void walltime_disarm(struct djob *j)
{
	if (j->walltime_timer)
		cpool_evloop_remove(j->walltime_timer);
	j->walltime_timer = NULL;
}
