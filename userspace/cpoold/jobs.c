// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The job table: submission, the write-ahead launch, resume, preemption,
 * the end of a job (from its supervisor's exit record), cancel, and
 * reconciliation after a restart (docs/daemon.md has the state table).
 * The store is written before anything is acknowledged or started, and a
 * job's records are removed only after its end is stored, so a kill -9 of
 * cpoold at any instant loses nothing and runs nothing twice.  Nothing here
 * waits for a process or a cgroup: reports, exits and cgroup.events come
 * through the event loop.
 */
#include <errno.h>
#include <math.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "cpoold.h"
#include "cpool/metrics.h"

/* What SJF, SRTF, HRRN and EASY assume of a job submitted without an estimate. */
#define DEFAULT_ESTIMATE_S 3600.0
/*
 * A preempted job's CPUs wait for its freeze to complete (a task in a slow
 * read freezes late) but not longer than this: a task that cannot be frozen
 * cannot run either.
 */
#define RELEASE_TIMEOUT_NS (2000 * 1000 * 1000ULL)
/* How often a job whose supervisor has not yet written its first record is looked at again. */
#define RECONCILE_RETRY_NS (20 * 1000 * 1000ULL)

bool jobs_running(const struct djob *j)
{
	return j->rec.state == CPOOL_JOB_RUNNING || j->rec.state == CPOOL_JOB_STARTING;
}

int jobs_count(struct cpoold *d, enum cpool_job_state state)
{
	int n = 0;

	for (struct djob *j = d->jobs; j; j = j->next)
		n += j->rec.state == state;
	return n;
}

struct djob *jobs_find(struct cpoold *d, int64_t id)
{
	for (struct djob *j = d->jobs; j; j = j->next)
		if (j->rec.id == id)
			return j;
	return NULL;
}

/*
 * A new job has the highest id: it goes after the last one, found at
 * once, not by a walk of the whole table (10 000 queued jobs made that
 * walk most of a submission's time).
 */
static void link_job(struct cpoold *d, struct djob *j)
{
	struct djob **pp = &d->jobs;

	if (d->jobs_last && d->jobs_last->rec.id < j->rec.id)
		pp = &d->jobs_last->next;
	while (*pp && (*pp)->rec.id < j->rec.id)
		pp = &(*pp)->next;
	j->next = *pp;
	*pp = j;
	if (!j->next)
		d->jobs_last = j;
}

static void unlink_job(struct cpoold *d, struct djob *j)
{
	struct djob *prev = NULL;

	for (struct djob **pp = &d->jobs; *pp; prev = *pp, pp = &(*pp)->next) {
		if (*pp == j) {
			*pp = j->next;
			if (d->jobs_last == j)
				d->jobs_last = prev;
			d->jobs_gen++;
			return;
		}
	}
}

/* The policy's view, rebuilt from the stored record. */
void jobs_policy_view(struct cpoold *d, struct djob *j)
{
	struct cpool_job *p = &j->pol;
	/* A job never runs past its time limit: min(estimate, time). */
	double est =
		cpool_job_policy_estimate(j->rec.estimate, j->rec.time_limit, DEFAULT_ESTIMATE_S);

	memset(p, 0, sizeof(*p));
	snprintf(p->id, sizeof(p->id), "%lld", (long long)j->rec.id);
	p->submit_us = wall_to_mono_us(j->rec.submit_time);
	p->estimate_us = (int64_t)(est * 1e6);
	p->runtime_us = p->estimate_us;
	p->cpus = j->rec.cpus;
	p->mem = j->rec.mem;
	p->priority = j->rec.priority;
	p->user = (uint32_t)j->rec.uid;
	snprintf(p->vs, sizeof(p->vs), "%s", j->rec.vs ?: "");
	p->index = (size_t)j->rec.id;

	memset(&j->pj, 0, sizeof(j->pj));
	j->pj.job = p;
	j->pj.done_us = (int64_t)(j->rec.run_time * 1e6);
	j->pj.first_start_us = j->rec.first_start > 0 ? wall_to_mono_us(j->rec.first_start) : -1;
	j->pj.ready_since_us = now_us();
	/*
	 * Recovered running after a restart: its slice began at its last start
	 * or resume (renewals keep that quantum grid), not at 0, which would
	 * make rr and mlfq see it as having run since the machine booted.
	 */
	if (jobs_running(j) && j->rec.start_time > 0)
		j->pj.slice_start_us = wall_to_mono_us(j->rec.start_time);
	j->pj.seq = d->next_seq++;
	j->pj.vs = -1;
	j->sup.pidfd = -1;
	j->sup.report_fd = -1;
	j->freeze_fd = -1;
}

static json_t *time_or_null(double t)
{
	return t > 0 ? json_real(t) : json_null();
}

json_t *jobs_json(const struct cpool_jobrec *r)
{
	json_t *o =
		json_pack("{s:I, s:s, s:i, s:s, s:s?, s:i, s:i, s:f, s:f}", "id", (json_int_t)r->id,
			  "name", r->name ?: "", "user", (int)r->uid, "state",
			  cpool_job_state_name(r->state), "vs", r->vs, "cpus", r->cpus, "priority",
			  r->priority, "estimate", r->estimate, "submit", r->submit_time);

	if (r->first_start > 0)
		json_object_set_new(o, "start", json_real(r->first_start));
	if (r->launch_time > 0)
		json_object_set_new(o, "launch", json_real(r->launch_time));
	if (r->launch_idle > 0)
		json_object_set_new(o, "launch_idle", json_real(r->launch_idle));
	if (r->handover > 0)
		json_object_set_new(o, "handover", json_real(r->handover));
	if (r->first_round > 0)
		json_object_set_new(o, "first_round", json_real(r->first_round));
	if (r->start_round > 0)
		json_object_set_new(o, "start_round", json_real(r->start_round));
	if (r->start_report > 0)
		json_object_set_new(o, "start_report", json_real(r->start_report));
	/* Always, 0 too: a reader tells a daemon that counts from one that does not. */
	json_object_set_new(o, "preemptions", json_integer(r->preemptions));
	if (r->resume_turns > 0) {
		json_object_set_new(o, "resume_turns", json_integer(r->resume_turns));
		json_object_set_new(o, "resume_turn", json_real(r->resume_turn));
		json_object_set_new(o, "resume_turn_idle", json_real(r->resume_turn_idle));
	}
	if (r->pid > 0)
		json_object_set_new(o, "pid", json_integer(r->pid));
	if (r->time_limit > 0)
		json_object_set_new(o, "time", json_real(r->time_limit));
	attach_json(r, o);
	if (cpool_job_state_ended(r->state)) {
		struct cpool_job_times t = { .submit = r->submit_time,
					     .first_start = r->first_start > 0 ? r->first_start :
										 r->end_time,
					     .end = r->end_time,
					     .runtime = r->run_time };
		struct cpool_job_metrics m;

		cpool_metrics_job(&t, &m);
		json_object_set_new(o, "end", time_or_null(r->end_time));
		json_object_set_new(o, "exit_code", json_integer(r->exit_code));
		json_object_set_new(o, "signal", json_integer(r->signal));
		json_object_set_new(o, "oom", json_boolean(r->oom));
		json_object_set_new(o, "cpu_time", json_real((double)r->cpu_usec / 1e6));
		json_object_set_new(o, "peak_memory", json_integer((json_int_t)r->peak_mem));
		json_object_set_new(o, "run_time", json_real(r->run_time));
		json_object_set_new(o, "wait", json_real(m.wait));
		json_object_set_new(o, "response", json_real(m.response));
		json_object_set_new(o, "turnaround", json_real(m.turnaround));
		json_object_set_new(o, "rq_latency_count",
				    json_integer((json_int_t)r->rq_lat_count));
		json_object_set_new(o, "rq_latency_sum_ns",
				    json_integer((json_int_t)r->rq_lat_sum_ns));
		if (r->rq_lat_count) {
			json_object_set_new(o, "rq_latency_mean_us",
					    json_real((double)r->rq_lat_sum_ns / 1e3 /
						      (double)r->rq_lat_count));
			json_object_set_new(o, "rq_latency_p99_us",
					    json_integer((json_int_t)(r->rq_lat_p99_ns / 1000)));
		}
		if (r->error)
			json_object_set_new(o, "error", json_string(r->error));
	}
	return o;
}

int jobs_add_waiter(struct djob *j, struct cpool_client *c, json_int_t id)
{
	struct waiter *w = calloc(1, sizeof(*w));

	if (!w)
		return -ENOMEM;
	w->client = c;
	w->id = id;
	w->next = j->waiters;
	j->waiters = w;
	return 0;
}

void jobs_forget_client(struct cpoold *d, struct cpool_client *c)
{
	for (struct djob *j = d->jobs; j; j = j->next) {
		for (struct waiter **pp = &j->waiters; *pp;) {
			struct waiter *w = *pp;

			if (w->client == c) {
				*pp = w->next;
				free(w);
			} else {
				pp = &w->next;
			}
		}
	}
}

static void stop_watching(struct djob *j)
{
	struct cpool_evsource **srcs[] = { &j->sup_src, &j->report_src, &j->start_timer,
					   &j->freeze_src, &j->release_timer };

	for (size_t i = 0; i < sizeof(srcs) / sizeof(srcs[0]); i++) {
		if (*srcs[i])
			cpool_evloop_remove(*srcs[i]);
		*srcs[i] = NULL;
	}
	if (j->freeze_fd >= 0)
		close(j->freeze_fd);
	j->freeze_fd = -1;
	walltime_disarm(j);
}

static void free_job(struct djob *j)
{
	run_release_stdio(j);
	while (j->waiters) {
		struct waiter *w = j->waiters;

		j->waiters = w->next;
		free(w);
	}
	jobctl_free(j);
	cpool_jobrec_free(&j->rec);
	free(j);
}

void jobs_forget(struct cpoold *d, struct djob *j)
{
	unlink_job(d, j);
	free_job(j);
}

void jobs_free(struct djob *j)
{
	free_job(j);
}

/* Event callbacks carry the job; the daemon is one per process. */
static struct cpoold *the_daemon;

/* ---- leaves: killed now, removed once cgroup.events says they are empty ---- */

struct leaf_gc {
	struct cpoold *d;
	char leaf[2 * CPOOL_VS_NAME_MAX + 2];
	int fd;
	struct cpool_evsource *src;
	struct leaf_gc *next;
};

static void leaf_gc_free(struct cpoold *d, struct leaf_gc *g)
{
	for (struct leaf_gc **pp = &d->leaf_gc; *pp; pp = &(*pp)->next) {
		if (*pp == g) {
			*pp = g->next;
			break;
		}
	}
	if (g->src)
		cpool_evloop_remove(g->src);
	if (g->fd >= 0)
		close(g->fd);
	free(g);
}

/* 0 when removed (or gone), -EBUSY while processes remain, else the error (logged). */
static int leaf_try_remove(struct cpoold *d, const char *leaf)
{
	struct cpool_error e = { 0 };
	int r = cpool_cg_remove(&d->pool, leaf, &e);

	if (r == -ENOENT)
		return 0;
	if (r && r != -EBUSY)
		log_warn("remove job leaf %s: %s", leaf, e.msg);
	return r;
}

static void on_leaf_events(struct cpool_evsource *src, uint32_t events, void *data)
{
	struct leaf_gc *g = data;

	(void)src;
	(void)events;
	cpool_evloop_note(g->d->loop, "job leaf removal");
	cpool_cg_events_drain(g->fd);
	if (leaf_try_remove(g->d, g->leaf) != -EBUSY)
		leaf_gc_free(g->d, g);
}

void jobs_leaf_remove(struct cpoold *d, const char *leaf)
{
	struct cpool_error e = { 0 };
	struct leaf_gc *g;

	if (!leaf[0])
		return;
	if (kill_cgroup(d, leaf, &e) && e.err != -ENOENT)
		log_warn("kill job leaf %s: %s", leaf, e.msg);
	g = calloc(1, sizeof(*g));
	if (!g) {
		leaf_try_remove(d, leaf);
		return;
	}
	g->d = d;
	g->fd = -1;
	snprintf(g->leaf, sizeof(g->leaf), "%s", leaf);
	/* Watch before the first try: an emptying between the two is not missed. */
	if (cpool_cg_events_watch(&d->pool, leaf, &g->fd, &e) ||
	    cpool_evloop_add(d->loop, g->fd, EPOLLIN, on_leaf_events, g, &g->src)) {
		if (leaf_try_remove(d, leaf) == -EBUSY)
			log_warn("job leaf %s: still populated and not watchable: left behind",
				 leaf);
		if (g->fd >= 0)
			close(g->fd);
		free(g);
		return;
	}
	g->next = d->leaf_gc;
	d->leaf_gc = g;
	if (leaf_try_remove(d, leaf) != -EBUSY)
		leaf_gc_free(d, g);
}

static void give_back_cpus(struct cpoold *d, struct djob *j)
{
	struct vsrv *v = pool_find(d, j->pol.vs);

	if (j->release_timer) {
		cpool_evloop_remove(j->release_timer);
		j->release_timer = NULL;
	}
	if (v && j->cpus_held)
		pool_give_cpus(v, &j->cpus);
	j->cpus_held = j->releasing = false;
	cpool_cpuset_zero(&j->cpus);
}

/* ---- freeze and thaw: asked for, confirmed by cgroup.events ---- */

/* A preempted job's CPUs go back: the switch's handover starts now. */
static void release_cpus(struct cpoold *d, struct djob *j)
{
	struct vsrv *v = pool_find(d, j->pol.vs);

	give_back_cpus(d, j);
	if (v)
		switchcost_released(v);
}

static void on_freeze_events(struct cpool_evsource *src, uint32_t events, void *data)
{
	struct djob *j = data;
	struct cpool_error e = { 0 };
	struct cpool_cg_events ev;
	bool released;

	(void)src;
	(void)events;
	cpool_cg_events_drain(j->freeze_fd);
	if (cpool_cg_read_events(&the_daemon->pool, j->leaf, &ev, &e) == 0 &&
	    ev.frozen != j->freeze_want)
		return;
	log_debug("job %lld %s", (long long)j->rec.id, j->freeze_want ? "frozen" : "thawed");
	released = j->freeze_want && j->releasing;
	if (released)
		release_cpus(the_daemon, j);
	/*
	 * Right after the give-back, no system call between: the turn ends
	 * where the handover after it starts.  The kick only arms the round
	 * that hands the CPUs on, which runs after this handler anyway.
	 */
	switchcost_done(the_daemon, j, j->freeze_want);
	if (released)
		sched_kick(the_daemon);
	cpool_evloop_remove(j->freeze_src);
	j->freeze_src = NULL;
	close(j->freeze_fd);
	j->freeze_fd = -1;
}

/* Write cgroup.freeze and watch for it to complete; the loop never waits for it. */
static int request_freeze(struct cpoold *d, struct djob *j, bool freeze)
{
	struct cpool_error e = { 0 };
	int r;

	if (j->freeze_src) {
		cpool_evloop_remove(j->freeze_src);
		j->freeze_src = NULL;
		close(j->freeze_fd);
		j->freeze_fd = -1;
	}
	r = cpool_cg_freeze_request(&d->pool, j->leaf, freeze, &e);
	if (r) {
		log_err("job %lld: %s: %s", (long long)j->rec.id, freeze ? "freeze" : "thaw",
			e.msg);
		j->switch_timed = false;
		return r;
	}
	j->freeze_want = freeze;
	if (cpool_cg_events_watch(&d->pool, j->leaf, &j->freeze_fd, &e) == 0 &&
	    cpool_evloop_add(d->loop, j->freeze_fd, EPOLLIN, on_freeze_events, j, &j->freeze_src) ==
		    0) {
		cpool_evsource_set_name(j->freeze_src, freeze ? "freeze done" : "thaw done");
		on_freeze_events(j->freeze_src, 0, j); /* done already? */
	} else if (j->freeze_fd >= 0) {
		close(j->freeze_fd);
		j->freeze_fd = -1;
	}
	return 0;
}

/* ---- the end of a job ---- */

/* The job has reached an end state: store it, answer its waiters, forget it. */
static void retire(struct cpoold *d, struct djob *j)
{
	int r;

	crash_point(CRASH_EXIT_BEFORE_STORE);
	stop_watching(j);
	if (j->sup.pid > 0 || j->sup.pidfd >= 0 || j->sup.report_fd >= 0)
		cpool_supervise_release(&j->sup);
	r = cpool_store_job_update(d->store, &j->rec);
	if (r) {
		/* Keep the records: the next start will account the job from them. */
		log_err("job %lld: store its end: %s", (long long)j->rec.id,
			cpool_store_errmsg(d->store));
	} else {
		crash_point(CRASH_EXIT_STORED);
		cpool_job_record_remove(d->record_dir, j->rec.id);
		crash_point(CRASH_EXIT_RECORDS_REMOVED);
	}
	/* Gone already when its whole VS was destroyed. */
	jobs_leaf_remove(d, j->leaf);
	for (struct waiter *w = j->waiters; w; w = w->next) {
		json_t *o = jobs_json(&j->rec);

		jobctl_json(j, o); /* an array element says which */
		cpool_client_send(w->client, cpool_reply_ok(w->id, o));
	}
	log_info("job %lld %s (exit %d, signal %d%s)%s%s", (long long)j->rec.id,
		 cpool_job_state_name(j->rec.state), j->rec.exit_code, j->rec.signal,
		 j->rec.oom ? ", out of memory" : "", j->rec.error ? ": " : "", j->rec.error ?: "");
	metrics_job_ended(d, &j->rec);
	unlink_job(d, j);
	if (r)
		unsaved_keep(d, j); /* never forgotten without a durable end */
	else
		free_job(j);
	sched_kick(d);
}

static void set_error(struct djob *j, const char *why)
{
	/* @why may be j->rec.error itself: copy before freeing. */
	char *copy = why ? strdup(why) : NULL;

	free(j->rec.error);
	j->rec.error = copy;
}

/* It did not run, or what it did is unknown: failed, with the reason. */
static void fail_job(struct cpoold *d, struct djob *j, const char *why)
{
	give_back_cpus(d, j);
	set_error(j, why);
	j->rec.state = CPOOL_JOB_FAILED;
	j->rec.end_time = now_s();
	j->rec.exit_code = -1;
	retire(d, j);
}

/* Account the end the supervisor recorded. */
static void finish_from_record(struct cpoold *d, struct djob *j, const struct cpool_job_record *rec)
{
	bool cancelled = j->cancel_requested;
	struct vsrv *v = j->cpus_held ? pool_find(d, j->pol.vs) : NULL;

	if (jobs_running(j) && j->rec.start_time > 0)
		j->rec.run_time += cpool_job_run_span(j->rec.start_time, rec->end_time);
	give_back_cpus(d, j);
	if (v && rec->end_time > 0)
		switchcost_ended(v, rec->end_time);
	if (rec->launch_failed) {
		fail_job(d, j, rec->error);
		return;
	}
	j->rec.end_time = rec->end_time;
	j->rec.exit_code = rec->exit.exited ? rec->exit.status : -1;
	j->rec.signal = rec->exit.signal;
	j->rec.oom = rec->exit.oom_killed;
	j->rec.cpu_usec = rec->exit.cpu_usec;
	j->rec.peak_mem = rec->exit.memory_peak;
	if (rec->job_pid > 0)
		j->rec.pid = rec->job_pid;
	if (j->start_timed_out)
		j->rec.state = CPOOL_JOB_FAILED; /* rec.error says why */
	else if (j->timed_out || (!cancelled && walltime_ended_late(j)))
		j->rec.state = CPOOL_JOB_TIMEOUT;
	else
		j->rec.state = cancelled ? CPOOL_JOB_CANCELLED : CPOOL_JOB_DONE;
	if (rec->error[0] && !j->rec.error)
		j->rec.error = strdup(rec->error);
	retire(d, j);
}

void jobs_link(struct cpoold *d, struct djob *j)
{
	jobs_policy_view(d, j);
	link_job(d, j);
}

void jobs_end(struct cpoold *d, struct djob *j)
{
	give_back_cpus(d, j);
	retire(d, j);
}

/* ---- the write-ahead launch ---- */

static void on_report(struct cpool_evsource *src, uint32_t events, void *data);

static void handle_report(struct cpoold *d, struct djob *j)
{
	struct cpool_error e = { 0 };
	bool watched = j->report_src != NULL;
	double read_at;
	int r;

	/*
	 * Out of epoll before the read, which closes the fd: EPOLL_CTL_DEL on
	 * a closed fd fails, and the registration then lives as long as any
	 * copy of the pipe's read end.  A supervisor forked meanwhile holds
	 * one, so the pipe's hang-up later reached the freed source and
	 * cpoold died of it (SIGSEGV in cpool_evloop_once, EPOLLHUP).
	 */
	if (watched) {
		cpool_evloop_remove(j->report_src);
		j->report_src = NULL;
	}
	r = cpool_supervise_read_report(&j->sup, &e);
	if (r == -EAGAIN) {
		if (watched && cpool_evloop_add(d->loop, j->sup.report_fd, EPOLLIN, on_report, j,
						&j->report_src))
			log_err("job %lld: watch its start report again", (long long)j->rec.id);
		return;
	}
	if (j->start_timer) {
		cpool_evloop_remove(j->start_timer);
		j->start_timer = NULL;
	}
	crash_point(CRASH_LAUNCH_REPORT_READ);
	if (r && j->sup.job_pid <= 0) {
		/* Not started: the supervisor's exit record (or its death) ends the job. */
		set_error(j, e.msg);
		return;
	}
	if (r)
		log_warn("job %lld: %s", (long long)j->rec.id, e.msg);
	j->rec.state = CPOOL_JOB_RUNNING;
	j->rec.pid = j->sup.job_pid;
	/*
	 * Its run (and time limit) counts from the exec, not from the launch,
	 * which a slow file system or machine may stretch.  A crash before
	 * this store leaves the launch's instant: the earlier, stricter one.
	 * The exec's instant is the supervisor's: a report read late (the
	 * loop busy, the job already killed) must not start the run after
	 * the end the supervisor will record.
	 */
	read_at = now_s();
	j->rec.start_time = cpool_job_run_start(j->sup.exec_time, read_at);
	/* From here it is the policy's (sched_kick() below): cpool bench's first slice. */
	j->rec.start_report = fmax(read_at - j->rec.start_time, 1e-6);
	/*
	 * Kept per job (history's `launch`): launches differ by a factor of
	 * ten under load, and cpool bench gives each job its own.
	 */
	j->rec.launch_time = fmax(j->rec.start_time - j->rec.first_start, 1e-6);
	switchcost_launched(d, j->rec.start_time - j->rec.first_start);
	if (cpool_store_job_update(d->store, &j->rec))
		log_err("job %lld: store its start: %s", (long long)j->rec.id,
			cpool_store_errmsg(d->store));
	crash_point(CRASH_LAUNCH_RUNNING_STORED);
	walltime_arm(d, j);
	log_info("job %lld started on %s (CPUs %s, pid %d)", (long long)j->rec.id, j->pol.vs,
		 j->rec.cpuset ?: "?", (int)j->rec.pid);
	sched_kick(d); /* the policy sees it from now on */
	/* Cancelled while starting: the kill may have come before the process existed. */
	if (j->cancel_requested && kill_cgroup(d, j->leaf, &e))
		log_warn("job %lld: cancel: %s", (long long)j->rec.id, e.msg);
}

static void on_report(struct cpool_evsource *src, uint32_t events, void *data)
{
	(void)src;
	(void)events;
	cpool_evloop_note(the_daemon->loop, "job start report");
	handle_report(the_daemon, data);
}

static void start_timed_out(struct cpoold *d, struct djob *j)
{
	struct cpool_error e = { 0 };
	char why[512];

	snprintf(why, sizeof(why),
		 "did not start within %d ms (its program, working directory or output file "
		 "may be on a file system that does not answer): its leaf was killed",
		 d->start_timeout_ms);
	set_error(j, why);
	j->start_timed_out = true;
	if (j->report_src) {
		cpool_evloop_remove(j->report_src);
		j->report_src = NULL;
	}
	/* It keeps its CPUs until its supervisor is gone: a process may still be there. */
	if (kill_cgroup(d, j->leaf, &e))
		log_warn("job %lld: %s", (long long)j->rec.id, e.msg);
	log_warn("job %lld %s", (long long)j->rec.id, why);
}

static void on_start_timeout(struct cpool_evsource *src, uint32_t events, void *data)
{
	struct cpoold *d = the_daemon;
	struct djob *j = data;
	struct cpool_job_record rec;

	(void)src;
	(void)events;
	cpool_evloop_remove(j->start_timer);
	j->start_timer = NULL;
	if (j->rec.state != CPOOL_JOB_STARTING)
		return;
	/* Adopted after a restart, it has no report pipe: its start record tells. */
	if (!j->report_src && cpool_job_record_read(d->record_dir, j->rec.id, &rec) == 0 &&
	    rec.job_pid > 0) {
		j->sup.job_pid = rec.job_pid;
		j->rec.state = CPOOL_JOB_RUNNING;
		j->rec.pid = rec.job_pid;
		if (cpool_store_job_update(d->store, &j->rec))
			log_err("job %lld: store its start: %s", (long long)j->rec.id,
				cpool_store_errmsg(d->store));
		walltime_arm(d, j);
		return;
	}
	start_timed_out(d, j);
}

static void on_supervisor_exit(struct cpool_evsource *src, uint32_t events, void *data)
{
	struct djob *j = data;
	struct cpoold *d = the_daemon;
	struct cpool_job_record rec;
	int r;

	(void)src;
	(void)events;
	cpool_evloop_note(d->loop, "job end");
	crash_point(CRASH_EXIT_SUPERVISOR_ENDED);
	/* Its report, if any, is in the pipe: read it first, for the reason. */
	if (j->report_src)
		handle_report(d, j);
	stop_watching(j);
	cpool_supervise_release(&j->sup);
	r = cpool_job_record_read(d->record_dir, j->rec.id, &rec);
	if (r || !rec.ended) {
		/* Only a kill of the supervisor, or a failure to write, ends it so. */
		fail_job(d, j,
			 j->rec.error ?: "its supervisor died without recording the job's end");
		return;
	}
	finish_from_record(d, j, &rec);
}

static int watch_supervisor(struct cpoold *d, struct djob *j)
{
	if (j->sup.pidfd < 0)
		return -ESRCH;
	return cpool_evloop_add(d->loop, j->sup.pidfd, EPOLLIN, on_supervisor_exit, j, &j->sup_src);
}

static int arm_start_timer(struct cpoold *d, struct djob *j)
{
	return cpool_evloop_add_timer(d->loop, (uint64_t)d->start_timeout_ms * 1000000ULL, 0,
				      on_start_timeout, j, &j->start_timer);
}

/* JSON array of strings -> NULL-terminated vector of copies. */
static char **strv_from_json(const char *text)
{
	json_t *a = text ? json_loads(text, 0, NULL) : NULL;
	char **v;
	size_t i;
	json_t *s;

	if (!json_is_array(a)) {
		json_decref(a);
		return NULL;
	}
	v = calloc(json_array_size(a) + 1, sizeof(*v));
	json_array_foreach(a, i, s)
		if (v)
			v[i] = strdup(json_string_value(s) ?: "");
	json_decref(a);
	return v;
}

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static void set_string(char **field, const char *value)
{
	free(*field);
	*field = value ? strdup(value) : NULL;
}

/*
 * Store STARTING with the VS, leaf, CPUs and memory, then fork the
 * supervisor: a restart finds either no process (and the job queued
 * again) or the job's lock and records.  Returns once forked; the start
 * report comes through the loop.  Non-zero: the job is still QUEUED
 * (nothing stored, nothing started) and e says why.
 */
static int launch(struct cpoold *d, struct djob *j, struct vsrv *v, struct cpool_error *e)
{
	char path[PATH_MAX], name[32], cpus[CPOOL_JOB_RECORD_CPUS_MAX];
	char out_path[PATH_MAX], err_path[PATH_MAX];
	char **argv = NULL, **env = NULL;
	struct cpool_rlimit rlimits[CPOOL_JOB_RLIMIT__COUNT];
	struct cpool_launch_spec spec;
	struct cpool_job_place place;
	int r;

	snprintf(name, sizeof(name), "job-%lld", (long long)j->rec.id);
	r = cpool_cg_job_create(&d->pool, v->vs.name, name, path, sizeof(path), e);
	if (r == -EEXIST) /* left over by a crash before the job was stored STARTING */
		r = 0;
	if (r)
		return r;
	snprintf(j->leaf, sizeof(j->leaf), "%s/%s", v->vs.name, name);
	crash_point(CRASH_LAUNCH_LEAF_CREATED);
	r = cpool_cg_job_limit(&d->pool, j->leaf, &j->cpus, j->rec.mem, e);
	if (!r)
		r = cpool_cg_job_pids_max(&d->pool, j->leaf, cpool_job_pids_max(&v->spec.job), e);
	if (!r)
		r = cpool_supervise_prepare(d->record_dir, j->rec.id, e);
	if (r)
		return r;
	cpool_cpuset_format(&j->cpus, cpus, sizeof(cpus));
	j->rec.state = CPOOL_JOB_STARTING;
	j->rec.pid = 0;
	set_string(&j->rec.cgroup, path);
	set_string(&j->rec.cpuset, cpus);
	r = cpool_store_job_update(d->store, &j->rec);
	if (r) {
		j->rec.state = CPOOL_JOB_QUEUED;
		return cpool_cg_fail(e, -r, "store the start of job %lld: %s", (long long)j->rec.id,
				     cpool_store_errmsg(d->store));
	}
	crash_point(CRASH_LAUNCH_STARTING_STORED);

	argv = strv_from_json(j->rec.argv_json);
	env = strv_from_json(j->rec.env_json);
	/* Its output files named, its CPOOL_* variables set (jobctl.c). */
	r = jobctl_launch_prepare(d, j, v->vs.name, cpus, &env, out_path, err_path,
				  sizeof(out_path), e);
	memset(&spec, 0, sizeof(spec));
	spec.cgroup = path;
	spec.argv = argv;
	spec.envp = env;
	spec.cwd = j->rec.cwd;
	spec.uid = j->rec.uid;
	spec.gid = j->rec.gid;
	spec.stdout_path = j->rec.stdout_path ? out_path : NULL;
	spec.stderr_path = j->rec.stderr_path ? err_path : NULL;
	/* The VS's, never the daemon's own (its unit's LimitMEMLOCK= and such). */
	for (int i = 0; i < CPOOL_JOB_RLIMIT__COUNT; i++) {
		rlimits[i].resource = cpool_job_rlimit_resource((enum cpool_job_rlimit)i);
		rlimits[i].limit = cpool_job_rlimit_get(&v->spec.job, (enum cpool_job_rlimit)i);
	}
	spec.rlimits = rlimits;
	spec.nr_rlimits = CPOOL_JOB_RLIMIT__COUNT;
	place = (struct cpool_job_place){ .vs = v->vs.name, .cpus = cpus, .mem = j->rec.mem };
	if (!argv || !argv[0])
		r = cpool_cg_fail(e, EINVAL, "job %lld has no command", (long long)j->rec.id);
	else if (!r && !(r = run_launch_stdio(j, &spec, e)))
		r = cpool_supervise_spawn(&spec, &place, j->rec.id, d->record_dir, &j->sup, e);
	run_release_stdio(j);
	strv_free(argv);
	strv_free(env);
	if (r)
		return 1; /* stored STARTING, no process: the caller fails it */
	crash_point(CRASH_LAUNCH_FORKED);
	if (cpool_evloop_add(d->loop, j->sup.report_fd, EPOLLIN, on_report, j, &j->report_src) ||
	    watch_supervisor(d, j) || arm_start_timer(d, j))
		log_err("job %lld: watch its supervisor: %s", (long long)j->rec.id,
			strerror(errno));
	return 0;
}

static void on_launch_timer(struct cpool_evsource *src, uint32_t events, void *data);

/* The next loop iteration, after whatever requests are waiting. */
static void arm_launch_timer(struct cpoold *d)
{
	if (!d->launch_timer) {
		if (cpool_evloop_add_timer(d->loop, 0, 0, on_launch_timer, d, &d->launch_timer)) {
			log_err("launch timer: %s", strerror(errno));
			return;
		}
		cpool_evsource_set_name(d->launch_timer, "job launch");
	}
	cpool_evloop_timer_set(d->launch_timer, 1, 0);
}

/* Queued again, never started: what its starts and turns measured goes with them. */
static void requeued_record(struct cpool_jobrec *r)
{
	r->state = CPOOL_JOB_QUEUED;
	r->first_start = r->start_time = r->launch_time = r->launch_idle = 0;
	r->handover = r->first_round = r->start_round = r->start_report = 0;
	r->preemptions = r->resume_turns = 0;
	r->resume_turn = r->resume_turn_idle = 0;
}

/* Back to QUEUED, its CPUs free: no process, and the store still says QUEUED. */
static void back_to_queued(struct cpoold *d, struct djob *j)
{
	give_back_cpus(d, j);
	requeued_record(&j->rec);
}

static void unpend_launch(struct cpoold *d, struct djob *j)
{
	j->launch_pending = false;
	d->n_launch_pending--;
	back_to_queued(d, j);
}

/* A decided job's launch: what the round used to do itself. */
static void launch_pending_job(struct cpoold *d, struct djob *j)
{
	struct cpool_error e = { 0 };
	struct vsrv *v = pool_find(d, j->pol.vs);
	int r;

	/* Not expected (a destroy cancels its jobs first), but no launch into a VS going away. */
	if (!v || v->destroying) {
		unpend_launch(d, j);
		sched_kick(d);
		return;
	}
	j->launch_pending = false;
	d->n_launch_pending--;
	r = launch(d, j, v, &e);
	if (r < 0) {
		/* Nothing stored: still queued; the policy will try again. */
		log_err("job %lld: %s", (long long)j->rec.id, e.msg);
		back_to_queued(d, j);
		return;
	}
	if (r > 0) {
		/* STARTING is stored but no supervisor runs: nothing can have exec'd. */
		fail_job(d, j, e.msg);
		return;
	}
	log_debug("job %lld starting on %s (CPUs %s)", (long long)j->rec.id, v->vs.name,
		  j->rec.cpuset);
}

/*
 * One launch per loop iteration: a launch forks the job's supervisor, the
 * longest thing the loop does, and a round that decided several starts
 * used to fork them all before answering anyone.  Now requests (root's
 * among them) are served between two launches.
 */
static void on_launch_timer(struct cpool_evsource *src, uint32_t events, void *data)
{
	struct cpoold *d = data;

	(void)src;
	(void)events;
	if (d->stopping)
		return; /* QUEUED in the store: the next start schedules them again */
	for (struct djob *j = d->jobs; j; j = j->next) {
		if (j->launch_pending) {
			launch_pending_job(d, j); /* may retire (free) it */
			break;
		}
	}
	if (d->n_launch_pending > 0)
		arm_launch_timer(d);
}

int jobs_start(struct cpoold *d, struct djob *j, int vs_index)
{
	struct cpool_error e = { 0 };
	struct vsrv *v = &d->vs[vs_index];
	bool resume = j->rec.state == CPOOL_JOB_FROZEN;
	double t = now_s(), handover;
	int r;

	/* Resumed before its freeze completed: it gives the CPUs it still holds first. */
	give_back_cpus(d, j);
	r = pool_take_cpus(v, j->rec.cpus, &j->cpus);
	if (r) {
		/* A preempted job's CPUs come back when its freeze completes: next round. */
		log_debug("job %lld: vserver %s has no %d free CPUs yet", (long long)j->rec.id,
			  v->vs.name, j->rec.cpus);
		return r;
	}
	j->cpus_held = true;
	crash_point(CRASH_LAUNCH_CPUS_TAKEN);
	set_string(&j->rec.vs, v->vs.name);
	/* Once started a job stays on its VS: its cgroup lives there. */
	snprintf(j->pol.vs, sizeof(j->pol.vs), "%s", v->vs.name);
	if (resume) {
		char cpus[CPOOL_JOB_RECORD_CPUS_MAX];

		r = cpool_cg_job_limit(&d->pool, j->leaf, &j->cpus, 0, &e);
		if (r) {
			log_err("job %lld: resume: %s", (long long)j->rec.id, e.msg);
			give_back_cpus(d, j);
			return r;
		}
		crash_point(CRASH_RESUME_CPUS_SET);
		switchcost_asked(d, j, false, t);
		r = request_freeze(d, j, false);
		if (r) {
			give_back_cpus(d, j);
			return r;
		}
		crash_point(CRASH_RESUME_THAW_REQUESTED);
		cpool_cpuset_format(&j->cpus, cpus, sizeof(cpus));
		set_string(&j->rec.cpuset, cpus);
		j->rec.state = CPOOL_JOB_RUNNING;
		j->rec.start_time = t;
		if (cpool_store_job_update(d->store, &j->rec))
			log_err("job %lld: store its resumption: %s", (long long)j->rec.id,
				cpool_store_errmsg(d->store));
		crash_point(CRASH_RESUME_STORED);
		walltime_arm(d, j);
		switchcost_started(d, v, t);
		log_info("job %lld resumed on %s (CPUs %s)", (long long)j->rec.id, v->vs.name,
			 cpus);
		return 0;
	}
	j->rec.first_start = t;
	j->rec.start_time = t;
	/*
	 * STARTING in memory only (the store says QUEUED until launch()
	 * stores STARTING, before the fork, as ever): the next round and the
	 * per-user limits see it as starting, QUEUED-only requests (update,
	 * hold) refuse it, and a crash before its launch finds it queued.
	 */
	j->rec.state = CPOOL_JOB_STARTING;
	j->launch_pending = true;
	d->n_launch_pending++;
	arm_launch_timer(d);
	/*
	 * The CPUs are handed on now, by this round (switchcost_round_end()
	 * follows it).  The job keeps how long after an end that was, for
	 * cpool bench: each end's own delay, not the run's mean.
	 */
	handover = switchcost_started(d, v, t);
	j->rec.handover = handover >= 0 ? fmax(handover, 1e-6) : 0;
	j->rec.start_round = d->round_wall > 0 ? d->round_wall : t;
	return 0;
}

static void on_release_timeout(struct cpool_evsource *src, uint32_t events, void *data)
{
	struct djob *j = data;

	(void)src;
	(void)events;
	cpool_evloop_remove(j->release_timer);
	j->release_timer = NULL;
	if (!j->releasing)
		return;
	log_warn("job %lld: its freeze has not completed after %llu ms: its CPUs are given "
		 "back anyway",
		 (long long)j->rec.id, RELEASE_TIMEOUT_NS / 1000000ULL);
	release_cpus(the_daemon, j);
	sched_kick(the_daemon);
}

int jobs_preempt(struct cpoold *d, struct djob *j)
{
	int r;

	if (j->rec.state != CPOOL_JOB_RUNNING || j->timed_out)
		return -EBUSY; /* a starting job is preempted once it runs; a timed-out one dies */
	walltime_disarm(j);
	/* Its CPUs stay busy until the freeze completed (on_freeze_events). */
	j->releasing = true;
	if (cpool_evloop_add_timer(d->loop, RELEASE_TIMEOUT_NS, 0, on_release_timeout, j,
				   &j->release_timer))
		log_err("job %lld: release timer: %s", (long long)j->rec.id, strerror(errno));
	switchcost_asked(d, j, true, now_s());
	r = request_freeze(d, j, true);
	if (r) {
		j->releasing = false;
		return r;
	}
	crash_point(CRASH_PREEMPT_FREEZE_REQUESTED);
	j->rec.run_time += cpool_job_run_span(j->rec.start_time, now_s());
	j->rec.preemptions++;
	j->rec.state = CPOOL_JOB_FROZEN;
	if (cpool_store_job_update(d->store, &j->rec))
		log_err("job %lld: store its preemption: %s", (long long)j->rec.id,
			cpool_store_errmsg(d->store));
	crash_point(CRASH_PREEMPT_STORED);
	log_debug("job %lld preempted", (long long)j->rec.id);
	return 0;
}

int jobs_cancel(struct cpoold *d, struct djob *j, struct cpool_error *error)
{
	struct cpool_error e = { 0 };
	int r;

	if (j->rec.origin == CPOOL_JOB_ORIGIN_SLURM)
		return attach_cancel(d, j, error);
	/* Decided but not launched: no process, no leaf; cancelled as queued. */
	if (j->launch_pending)
		unpend_launch(d, j);
	if (j->rec.state == CPOOL_JOB_QUEUED) {
		j->rec.state = CPOOL_JOB_CANCELLED;
		j->rec.end_time = now_s();
		j->rec.exit_code = -1;
		retire(d, j);
		crash_point(CRASH_CANCEL_QUEUED_STORED);
		return 0;
	}
	/*
	 * Starting, running or frozen: kill the whole leaf (SIGKILL reaches
	 * frozen tasks, and thawing lets them die at once).  The job keeps its
	 * CPUs and its state until its supervisor records the end, which is
	 * then accounted as cancelled, with the signal and CPU time it really
	 * had.  A starting job is killed again once its report says it exec'd.
	 */
	r = cpool_job_cancel_mark(d->record_dir, j->rec.id);
	if (r)
		return cpool_error_set(error, r, "mark job %lld cancelled in %s: %s",
				       (long long)j->rec.id, d->record_dir, strerror(-r));
	if (kill_cgroup(d, j->leaf, &e))
		return cpool_error_set(error, e.err, "%s", e.msg);
	crash_point(CRASH_CANCEL_KILLED);
	if (j->rec.state == CPOOL_JOB_FROZEN)
		request_freeze(d, j, false);
	j->cancel_requested = true;
	return 0;
}
int jobs_submit(struct cpoold *d, const struct cpool_submit_req *s, uid_t uid, gid_t gid,
		int64_t *id, struct cpool_error *error)
{
	json_t *argv = json_array(), *env = NULL;
	struct djob *j;
	double time_limit;
	int max_cpus = 0, r;

	if (s->vs) {
		struct vsrv *v = pool_find(d, s->vs);

		if (!v) {
			cpool_error_set(error, -ENOENT,
					"no vserver %s ('cpool vs list' shows them)", s->vs);
			json_decref(argv);
			return -ENOENT;
		}
		if (v->destroying) {
			cpool_error_set(error, -ENOENT, "vserver %s is being destroyed", s->vs);
			json_decref(argv);
			return -ENOENT;
		}
		max_cpus = cpool_cpuset_count(&v->vs.cpus);
	} else {
		for (int i = 0; i < d->n_vs; i++)
			if (cpool_cpuset_count(&d->vs[i].vs.cpus) > max_cpus)
				max_cpus = cpool_cpuset_count(&d->vs[i].vs.cpus);
	}
	if (s->cpus > max_cpus) {
		cpool_error_set(error, -E2BIG, "%d CPUs requested; the largest %s has %d", s->cpus,
				s->vs ? "this vserver" : "vserver", max_cpus);
		json_decref(argv);
		return -E2BIG;
	}
	r = walltime_resolve(d, s, &time_limit, error);
	if (r) {
		json_decref(argv);
		return r;
	}
	if (s->mem && s->mem < CPOOL_CG_MEMORY_FLOOR) {
		cpool_error_set(error, -EINVAL,
				"mem %llu bytes is below the %llu-byte floor a process needs",
				(unsigned long long)s->mem,
				(unsigned long long)CPOOL_CG_MEMORY_FLOOR);
		json_decref(argv);
		return -EINVAL;
	}
	j = calloc(1, sizeof(*j));
	if (!j) {
		json_decref(argv);
		return -ENOMEM;
	}
	for (int i = 0; i < s->argc; i++)
		json_array_append_new(argv, json_string(s->argv[i]));
	if (s->env) {
		env = json_array();
		for (int i = 0; i < s->envc; i++)
			json_array_append_new(env, json_string(s->env[i]));
	}
	{
		char *a0 = strdup(s->argv[0]);

		j->rec.name = strdup(s->name ? s->name : basename(a0));
		free(a0);
	}
	j->rec.uid = uid;
	j->rec.gid = gid;
	j->rec.argv_json = json_dumps(argv, JSON_COMPACT);
	j->rec.env_json = env ? json_dumps(env, JSON_COMPACT) : NULL;
	j->rec.cwd = strdup(s->cwd ?: "/");
	j->rec.stdout_path = s->stdout_path ? strdup(s->stdout_path) : NULL;
	j->rec.stderr_path = s->stderr_path ? strdup(s->stderr_path) : NULL;
	j->rec.vs = s->vs ? strdup(s->vs) : NULL;
	j->rec.cpus = s->cpus;
	j->rec.mem = s->mem;
	j->rec.estimate = s->estimate;
	j->rec.time_limit = time_limit;
	j->rec.priority = s->priority;
	j->rec.state = CPOOL_JOB_QUEUED;
	j->rec.submit_time = now_s();
	json_decref(argv);
	json_decref(env);
	crash_point(CRASH_SUBMIT_BEFORE_STORE);
	/* Durable before the submitter hears its id. */
	r = cpool_store_job_insert(d->store, &j->rec);
	if (r) {
		cpool_error_set(error, r, "store the job: %s", cpool_store_errmsg(d->store));
		free_job(j);
		return r;
	}
	crash_point(CRASH_SUBMIT_STORED);
	jobs_policy_view(d, j);
	link_job(d, j);
	*id = j->rec.id;
	log_debug("job %lld submitted by uid %u", (long long)j->rec.id, (unsigned)uid);
	sched_kick(d);
	return 0;
}

/* ---- reconciliation after a restart ---- */

/* Its supervisor is gone and what became of the job is unknown: failed, its leaf killed. */
static void lose_job(struct cpoold *d, struct djob *j, const char *why)
{
	char msg[512];

	snprintf(msg, sizeof(msg), "lost: %s", why);
	log_warn("job %lld %s", (long long)j->rec.id, msg);
	fail_job(d, j, msg);
}

/* Provably never exec'd: no supervisor lives and none wrote a record. */
static void requeue_job(struct cpoold *d, struct djob *j)
{
	give_back_cpus(d, j);
	jobs_leaf_remove(d, j->leaf);
	j->leaf[0] = '\0';
	requeued_record(&j->rec);
	j->rec.pid = 0;
	set_string(&j->rec.cgroup, NULL);
	set_string(&j->rec.cpuset, NULL);
	j->pol.vs[0] = '\0';
	snprintf(j->pol.vs, sizeof(j->pol.vs), "%s", j->rec.vs ?: "");
	j->pj.first_start_us = -1;
	if (cpool_store_job_update(d->store, &j->rec))
		log_err("job %lld: store it queued again: %s", (long long)j->rec.id,
			cpool_store_errmsg(d->store));
	else
		cpool_job_record_remove(d->record_dir, j->rec.id);
	log_info("job %lld: never started before the restart; queued again", (long long)j->rec.id);
}

/*
 * A live supervisor with a start record: watch it again, the cgroup as the
 * store says.  True when its exec is still to be seen in its start record.
 */
static bool adopt_job(struct cpoold *d, struct djob *j, const struct cpool_job_record *rec)
{
	if (watch_supervisor(d, j)) {
		lose_job(d, j, "its supervisor cannot be watched");
		return false;
	}
	if (rec->job_pid > 0) {
		j->rec.pid = rec->job_pid;
		if (j->rec.state == CPOOL_JOB_STARTING) {
			j->rec.state = CPOOL_JOB_RUNNING;
			if (cpool_store_job_update(d->store, &j->rec))
				log_err("job %lld: store its start: %s", (long long)j->rec.id,
					cpool_store_errmsg(d->store));
		}
	} else {
		/* Its exec shows in its start record: looked for with the reconciliation retries. */
		j->awaiting_exec = true;
		if (arm_start_timer(d, j))
			log_err("job %lld: start timer: %s", (long long)j->rec.id, strerror(errno));
	}
	/* cgroup.freeze as the stored state says: a crash may have come between the two. */
	request_freeze(d, j, j->rec.state == CPOOL_JOB_FROZEN);
	if (j->rec.state == CPOOL_JOB_RUNNING)
		walltime_arm(d, j); /* its deadline, from the store; at once when past */
	log_info("job %lld: %s, supervised by pid %d", (long long)j->rec.id,
		 cpool_job_state_name(j->rec.state), (int)j->sup.pid);
	return j->awaiting_exec;
}

/*
 * One STARTING, RUNNING or FROZEN job after a restart: exactly one of
 * adopted, ended with its recorded status, queued again (only when
 * provably never exec'd), or lost.  The lock is asked first: when no
 * supervisor holds it none can write anything more, so the records read
 * after it are final.  Returns true when it must be looked at again (a
 * supervisor alive that has not written its first record yet).
 */
static bool reconcile_job(struct cpoold *d, struct djob *j)
{
	int alive = cpool_supervise_alive(d->record_dir, j->rec.id);
	struct cpool_job_record rec;
	int r = cpool_job_record_read(d->record_dir, j->rec.id, &rec);

	j->reconciling = false;
	if (r == 0 && rec.ended) {
		finish_from_record(d, j, &rec);
		return false;
	}
	if (alive == 1) {
		if (r || cpool_supervise_reattach(&rec, &j->sup)) {
			/* Forked, not yet written; or it just ended: ask again shortly. */
			j->reconciling = true;
			return true;
		}
		return adopt_job(d, j, &rec);
	}
	if (alive == 0 && r == -ENOENT && j->rec.state == CPOOL_JOB_STARTING) {
		if (j->cancel_requested) {
			/* Cancelled before it ever had a process: it never will. */
			give_back_cpus(d, j);
			j->rec.state = CPOOL_JOB_CANCELLED;
			j->rec.end_time = now_s();
			j->rec.exit_code = -1;
			retire(d, j);
		} else {
			requeue_job(d, j);
		}
		return false;
	}
	if (alive == 0 && r == 0)
		lose_job(d, j,
			 rec.job_pid > 0 ? "its supervisor was killed while the job ran" :
					   "its supervisor was killed while starting it");
	else if (alive == 0 || alive == -ENOENT)
		lose_job(d, j, "its records are gone (was the machine rebooted?)");
	else
		lose_job(d, j, "its lock in the record directory cannot be read");
	return false;
}

static void reconcile_pending(struct cpoold *d);

static void on_reconcile_timer(struct cpool_evsource *src, uint32_t events, void *data)
{
	(void)src;
	(void)events;
	reconcile_pending(data);
}

/* An adopted starting job: running once its start record has the job's pid. */
static bool check_adopted_exec(struct cpoold *d, struct djob *j)
{
	struct cpool_job_record rec;

	if (j->rec.state != CPOOL_JOB_STARTING || !j->start_timer) {
		j->awaiting_exec = false;
		return false;
	}
	if (cpool_job_record_read(d->record_dir, j->rec.id, &rec) || rec.job_pid <= 0)
		return true;
	j->awaiting_exec = false;
	cpool_evloop_remove(j->start_timer);
	j->start_timer = NULL;
	j->sup.job_pid = j->rec.pid = rec.job_pid;
	j->rec.state = CPOOL_JOB_RUNNING;
	if (cpool_store_job_update(d->store, &j->rec))
		log_err("job %lld: store its start: %s", (long long)j->rec.id,
			cpool_store_errmsg(d->store));
	log_info("job %lld: exec'd; running", (long long)j->rec.id);
	walltime_arm(d, j);
	return false;
}

static void reconcile_pending(struct cpoold *d)
{
	struct djob *next;
	bool again = false;

	for (struct djob *j = d->jobs; j; j = next) {
		next = j->next;
		if (j->reconciling)
			again |= reconcile_job(d, j);
		else if (j->awaiting_exec)
			again |= check_adopted_exec(d, j);
	}
	if (!again)
		return;
	if (!d->reconcile_timer &&
	    cpool_evloop_add_timer(d->loop, RECONCILE_RETRY_NS, 0, on_reconcile_timer, d,
				   &d->reconcile_timer)) {
		log_err("reconcile timer: %s", strerror(errno));
		return;
	}
	cpool_evloop_timer_set(d->reconcile_timer, RECONCILE_RETRY_NS, 0);
}

static int load_job(const struct cpool_jobrec *rec, void *ctx)
{
	struct cpoold *d = ctx;
	struct djob *j = calloc(1, sizeof(*j));

	if (!j)
		return -ENOMEM;
	/* The callback's record is freed after it returns: take copies. */
	j->rec = *rec;
	j->rec.name = rec->name ? strdup(rec->name) : NULL;
	j->rec.argv_json = rec->argv_json ? strdup(rec->argv_json) : NULL;
	j->rec.env_json = rec->env_json ? strdup(rec->env_json) : NULL;
	j->rec.cwd = rec->cwd ? strdup(rec->cwd) : NULL;
	j->rec.stdout_path = rec->stdout_path ? strdup(rec->stdout_path) : NULL;
	j->rec.stderr_path = rec->stderr_path ? strdup(rec->stderr_path) : NULL;
	j->rec.vs = rec->vs ? strdup(rec->vs) : NULL;
	j->rec.cgroup = rec->cgroup ? strdup(rec->cgroup) : NULL;
	j->rec.cpuset = rec->cpuset ? strdup(rec->cpuset) : NULL;
	j->rec.error = rec->error ? strdup(rec->error) : NULL;
	jobs_policy_view(d, j);
	link_job(d, j);
	jobctl_loaded(d, j);
	return 0;
}

/*
 * Leaves no started job owns: a crash after a job's end was stored but
 * before its leaf was killed (its background processes may live on), or
 * one created for a launch the crash cut short.  Killed and removed.
 */
static void remove_stray_leaves(struct cpoold *d)
{
	for (int i = 0; i < d->n_vs; i++) {
		char(*names)[CPOOL_VS_NAME_MAX + 1] = NULL;
		struct cpool_error e = { 0 };
		int n = 0;

		if (cpool_cg_job_list(&d->pool, d->vs[i].vs.name, &names, &n, &e))
			continue;
		for (int k = 0; k < n; k++) {
			char leaf[2 * CPOOL_VS_NAME_MAX + 2];
			struct djob *j;
			long long id;
			char end;

			if (sscanf(names[k], "job-%lld%c", &id, &end) != 1)
				continue; /* not ours to judge */
			j = jobs_find(d, id);
			if (j && j->rec.state != CPOOL_JOB_QUEUED)
				continue;
			snprintf(leaf, sizeof(leaf), "%s/%s", d->vs[i].vs.name, names[k]);
			log_info("removing the stray job leaf %s", leaf);
			jobs_leaf_remove(d, leaf);
		}
		free(names);
	}
}

/*
 * After a restart: every job the store calls active is matched with its
 * supervisor's lock and records.  The CPUs of every starting or running
 * job are taken before anything else, so the scheduler never hands them
 * out while its fate is being decided.
 */
int jobs_recover(struct cpoold *d)
{
	struct cpool_job_filter f = { .active_only = true, .uid = -1 };
	int r, n = 0;

	the_daemon = d;
	r = cpool_store_job_foreach(d->store, &f, load_job, d);
	if (r)
		return r;
	for (struct djob *j = d->jobs; j; j = j->next) {
		struct vsrv *v;

		if (j->rec.state == CPOOL_JOB_QUEUED)
			continue;
		n++;
		v = pool_find(d, j->rec.vs ?: "");
		snprintf(j->leaf, sizeof(j->leaf), "%s/job-%lld", j->rec.vs ?: "",
			 (long long)j->rec.id);
		snprintf(j->pol.vs, sizeof(j->pol.vs), "%s", j->rec.vs ?: "");
		if (v && jobs_running(j) && j->rec.cpuset &&
		    cpool_cpuset_parse(&j->cpus, j->rec.cpuset, NULL) == 0) {
			cpool_cpuset_or(&v->busy, &v->busy, &j->cpus);
			j->cpus_held = true;
		}
		if (j->rec.origin == CPOOL_JOB_ORIGIN_SLURM)
			continue; /* no supervisor: attach_recover() */
		j->reconciling = true;
		j->cancel_requested = cpool_job_cancel_marked(d->record_dir, j->rec.id);
	}
	remove_stray_leaves(d);
	attach_recover(d);
	reconcile_pending(d);
	if (n)
		log_info("reconciled %d started jobs with their supervisors", n);
	return 0;
}
