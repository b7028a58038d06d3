// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * attach: a process Slurm's slurmstepd forked for a task, before it exec's
 * the user's program, becomes a job of a VS (origin slurm).  The SPANK
 * plugin (userspace/spank/) sends the process as a pidfd; cpoold takes
 * CPUs of the VS as for its own jobs, stores the job STARTING, makes its
 * leaf, moves the process in and stores it RUNNING.  No supervisor of
 * cpoold's watches it: the job ends when its leaf's cgroup.events says
 * "populated 0", with the CPU time and peak memory of the leaf, and an
 * exit status nobody told cpoold (slurmstepd reaps the task, not us).
 * Slurm schedules these jobs: the policy neither starts nor preempts them.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "cpool/job_limits.h"
#include "cpoold.h"

struct attach_watch {
	struct cpoold *d;
	struct djob *job;
	int fd;
	struct cpool_evsource *src;
};

/* Slurm's step ids above this are its special steps (slurm.h: SLURM_BATCH_SCRIPT, ...). */
static const char *special_step(int64_t step)
{
	switch (step) {
	case 0xfffffffa:
		return "interactive";
	case 0xfffffffb:
		return "batch";
	case 0xfffffffc:
		return "extern";
	default:
		return NULL;
	}
}

void attach_json(const struct cpool_jobrec *r, json_t *o)
{
	json_object_set_new(o, "origin", json_string(cpool_job_origin_name(r->origin)));
	if (r->origin != CPOOL_JOB_ORIGIN_SLURM)
		return;
	if (r->slurm_job >= 0)
		json_object_set_new(o, "slurm_job", json_integer(r->slurm_job));
	if (r->slurm_step >= 0) {
		const char *name = special_step(r->slurm_step);

		json_object_set_new(o, "slurm_step",
				    name ? json_string(name) : json_integer(r->slurm_step));
	}
}

static void unwatch(struct djob *j)
{
	struct attach_watch *w = j->attach;

	if (!w)
		return;
	if (w->src)
		cpool_evloop_remove(w->src);
	if (w->fd >= 0)
		close(w->fd);
	free(w);
	j->attach = NULL;
}

/* Its leaf is empty (or gone): the record ends with what the leaf measured. */
static void end_attached(struct cpoold *d, struct djob *j, const char *error)
{
	struct cpool_error e = { 0 };
	struct cpool_cg_usage u;
	double t = now_s();

	unwatch(j);
	if (cpool_cg_read_usage(&d->pool, j->leaf, &u, &e) == 0) {
		j->rec.cpu_usec = u.cpu.usage_usec;
		j->rec.peak_mem = u.have_memory_peak ? u.memory_peak : 0;
		j->rec.oom = u.memory.oom_kill > 0;
	}
	if (jobs_running(j) && j->rec.start_time > 0)
		j->rec.run_time += cpool_job_run_span(j->rec.start_time, t);
	j->rec.end_time = t;
	/* slurmstepd reaps the task: its status is Slurm's to report (sacct), not ours. */
	j->rec.exit_code = -1;
	j->rec.signal = 0;
	if (error) {
		j->rec.state = CPOOL_JOB_FAILED;
		free(j->rec.error);
		j->rec.error = strdup(error);
	} else {
		j->rec.state = j->cancel_requested ? CPOOL_JOB_CANCELLED : CPOOL_JOB_DONE;
	}
	jobs_end(d, j);
}

/* True when the leaf is still populated; otherwise the job has been ended. */
static bool check_populated(struct cpoold *d, struct djob *j)
{
	struct cpool_error e = { 0 };
	struct cpool_cg_events ev;

	if (cpool_cg_read_events(&d->pool, j->leaf, &ev, &e)) {
		/* A cancel by vs.destroy removes the leaf, perhaps before this event is read. */
		if (e.err == -ENOENT && j->cancel_requested) {
			end_attached(d, j, NULL);
			return false;
		}
		log_warn("job %lld: %s", (long long)j->rec.id, e.msg);
		end_attached(d, j, e.err == -ENOENT ? "its leaf is gone" : e.msg);
		return false;
	}
	if (ev.populated)
		return true;
	end_attached(d, j, NULL);
	return false;
}

static void on_leaf_events(struct cpool_evsource *src, uint32_t events, void *data)
{
	struct attach_watch *w = data;

	(void)src;
	(void)events;
	cpool_cg_events_drain(w->fd);
	check_populated(w->d, w->job);
}

/* Watches @j's leaf until it is empty; false when it already is (and @j is ended, freed). */
static bool watch_leaf(struct cpoold *d, struct djob *j)
{
	struct cpool_error e = { 0 };
	struct attach_watch *w = calloc(1, sizeof(*w));

	if (!w) {
		log_err("job %lld: out of memory for its watch", (long long)j->rec.id);
		return true;
	}
	w->d = d;
	w->job = j;
	w->fd = -1;
	j->attach = w;
	/* Watch before the first read: an emptying between the two is not missed. */
	if (cpool_cg_events_watch(&d->pool, j->leaf, &w->fd, &e) ||
	    cpool_evloop_add(d->loop, w->fd, EPOLLIN, on_leaf_events, w, &w->src)) {
		log_err("job %lld: watch %s: %s", (long long)j->rec.id, j->leaf,
			e.msg[0] ? e.msg : strerror(errno));
		end_attached(d, j, "its leaf cannot be watched: its processes were killed");
		return false;
	}
	return check_populated(d, j);
}

static void set_string(char **field, const char *value)
{
	free(*field);
	*field = value ? strdup(value) : NULL;
}

static struct djob *new_job(const struct cpool_attach_req *a, const struct vsrv *v)
{
	struct djob *j = calloc(1, sizeof(*j));
	char name[64];

	if (!j)
		return NULL;
	if (a->name)
		snprintf(name, sizeof(name), "%s", a->name);
	else if (a->slurm_step >= 0 && special_step(a->slurm_step))
		snprintf(name, sizeof(name), "slurm-%lld.%s", (long long)a->slurm_job,
			 special_step(a->slurm_step));
	else
		snprintf(name, sizeof(name), "slurm-%lld.%lld", (long long)a->slurm_job,
			 (long long)a->slurm_step);
	j->rec.name = strdup(name);
	j->rec.uid = (uid_t)a->uid;
	j->rec.gid = a->gid >= 0 ? (gid_t)a->gid : (gid_t)-1;
	j->rec.argv_json = strdup("[]"); /* Slurm exec's the program: cpoold never knows it */
	j->rec.vs = strdup(v->vs.name);
	j->rec.cpus = a->cpus;
	j->rec.mem = a->mem;
	j->rec.state = CPOOL_JOB_STARTING;
	j->rec.submit_time = now_s();
	j->rec.origin = CPOOL_JOB_ORIGIN_SLURM;
	j->rec.slurm_job = a->slurm_job;
	j->rec.slurm_step = a->slurm_step;
	return j;
}

/*
 * Stored STARTING with its leaf and CPUs, the process moved in, stored
 * RUNNING.  A restart between any two steps finds the row STARTING and
 * the leaf empty or missing (failed: the plugin saw its connection drop)
 * or populated (adopted).  On error the job is ended failed, e says why.
 */
static int place(struct cpoold *d, struct djob *j, struct vsrv *v, int pidfd, struct cpool_error *e)
{
	char path[PATH_MAX], name[32], cpus[CPOOL_JOB_RECORD_CPUS_MAX];
	pid_t pid = 0;
	int r;

	snprintf(name, sizeof(name), "job-%lld", (long long)j->rec.id);
	r = cpool_cg_job_create(&d->pool, v->vs.name, name, path, sizeof(path), e);
	if (r == -EEXIST)
		r = 0; /* a stray of a crash: a job id is never reused */
	if (r)
		return r;
	snprintf(j->leaf, sizeof(j->leaf), "%s/%s", v->vs.name, name);
	r = cpool_cg_job_limit(&d->pool, j->leaf, &j->cpus, j->rec.mem, e);
	if (r)
		return r;
	cpool_cpuset_format(&j->cpus, cpus, sizeof(cpus));
	set_string(&j->rec.cgroup, path);
	set_string(&j->rec.cpuset, cpus);
	j->rec.first_start = j->rec.start_time = now_s();
	r = cpool_store_job_update(d->store, &j->rec);
	if (r)
		return cpool_cg_fail(e, -r, "store the start of job %lld: %s", (long long)j->rec.id,
				     cpool_store_errmsg(d->store));
	crash_point(CRASH_ATTACH_STARTING_STORED);
	r = cpool_cg_attach_pidfd(&d->pool, j->leaf, pidfd, &pid, e);
	if (r)
		return r;
	/*
	 * Its run time counts from here, as the leaf's cpu.stat does: the
	 * commit above is cpoold's time, not the task's (the stored estimate
	 * stays for a restart before the next commit).
	 */
	j->rec.first_start = j->rec.start_time = now_s();
	crash_point(CRASH_ATTACH_MOVED);
	j->rec.pid = pid;
	j->rec.state = CPOOL_JOB_RUNNING;
	if (cpool_store_job_update(d->store, &j->rec))
		log_err("job %lld: store its start: %s", (long long)j->rec.id,
			cpool_store_errmsg(d->store));
	return 0;
}

static json_t *refuse(const struct cpool_request *req, int fd, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static json_t *refuse(const struct cpool_request *req, int fd, int err, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (fd >= 0)
		close(fd);
	log_info("attach refused: %s", msg);
	return cpool_reply_error(req->id, err, "%s", msg);
}

json_t *attach_handle(struct cpoold *d, struct cpool_client *c, const struct cpool_peer *p,
		      const struct cpool_request *req)
{
	const struct cpool_attach_req *a = &req->u.attach;
	struct cpool_error e = { 0 };
	int fd = -1, size, free_cpus, r;
	struct vsrv *v;
	struct djob *j;
	pid_t pid;

	/* Anyone else's descriptors are never taken: the API server closes them after this. */
	if (p->uid != 0)
		return refuse(req, fd, -EPERM,
			      "only root may attach processes to the pool (the Slurm plugin does, "
			      "from slurmstepd)");
	if (cpool_client_take_fds(c, &fd, 1) != 1)
		return refuse(req, -1, -EINVAL,
			      "attach: exactly one descriptor, the process's pidfd, must come "
			      "with the request (SCM_RIGHTS)");
	if ((r = cpool_pidfd_pid(fd, &pid, &e)))
		return refuse(req, fd, r, "attach: %s", e.msg);
	v = pool_find(d, a->vs);
	if (!v)
		return refuse(req, fd, -ENOENT, "no vserver %s ('cpool vs list' shows them)",
			      a->vs);
	size = cpool_cpuset_count(&v->vs.cpus);
	if (a->cpus > size)
		return refuse(req, fd, -E2BIG, "%d CPUs requested; vserver %s has %d", a->cpus,
			      v->vs.name, size);
	if (a->mem && a->mem < CPOOL_CG_MEMORY_FLOOR)
		return refuse(req, fd, -EINVAL,
			      "mem %llu bytes is below the %llu-byte floor a process needs",
			      (unsigned long long)a->mem,
			      (unsigned long long)CPOOL_CG_MEMORY_FLOOR);
	j = new_job(a, v);
	if (!j)
		return refuse(req, fd, -ENOMEM, "out of memory");
	/*
	 * Refused at once, never queued: the task waits in slurmstepd with the
	 * step's other tasks already running, and Slurm has promised the CPUs
	 * already; waiting here would only hide that the two disagree.
	 */
	free_cpus = size - cpool_cpuset_count(&v->busy);
	if (pool_take_cpus(v, a->cpus, &j->cpus)) {
		cpool_jobrec_free(&j->rec);
		free(j);
		return refuse(req, fd, -ENOSPC,
			      "vserver %s has %d free CPUs of %d; the task asks for %d "
			      "(Slurm's CPU count for this node exceeds the vserver, see "
			      "docs/slurm.md)",
			      v->vs.name, free_cpus, size, a->cpus);
	}
	j->cpus_held = true;
	/* Durable before anything exists in the kernel: a restart finds the row. */
	r = cpool_store_job_insert(d->store, &j->rec);
	if (r) {
		pool_give_cpus(v, &j->cpus);
		cpool_jobrec_free(&j->rec);
		free(j);
		return refuse(req, fd, r, "store the job: %s", cpool_store_errmsg(d->store));
	}
	jobs_link(d, j);
	snprintf(j->pol.vs, sizeof(j->pol.vs), "%s", v->vs.name);
	r = place(d, j, v, fd, &e);
	close(fd);
	if (r) {
		char why[CPOOL_ERROR_MSG_MAX + 64];
		int64_t id = j->rec.id;

		snprintf(why, sizeof(why), "attach: %s", e.msg);
		end_attached(d, j, why);
		log_warn("job %lld: %s", (long long)id, why);
		return cpool_reply_error(req->id, r, "job %lld: %s", (long long)id, why);
	}
	log_info("job %lld: slurm job %lld step %lld, pid %d attached on %s (CPUs %s, uid %u)",
		 (long long)j->rec.id, (long long)j->rec.slurm_job, (long long)j->rec.slurm_step,
		 (int)pid, v->vs.name, j->rec.cpuset, (unsigned)j->rec.uid);
	{
		json_t *result = json_pack("{s:I, s:s, s:s}", "job", (json_int_t)j->rec.id,
					   "cgroup", j->rec.cgroup, "cpus", j->rec.cpuset);

		watch_leaf(d, j); /* may end it at once: the reply is built already */
		return cpool_reply_ok(req->id, result);
	}
}

/* The running attached job of @uid whose leaf holds @pid, or NULL. */
static struct djob *job_holding(struct cpoold *d, pid_t pid, uid_t uid)
{
	struct cpool_error e = { 0 };
	char rel[PATH_MAX];

	if (cpool_cg_pid_rel(&d->pool, pid, rel, sizeof(rel), &e) || !rel[0])
		return NULL;
	for (struct djob *j = d->jobs; j; j = j->next)
		if (j->rec.origin == CPOOL_JOB_ORIGIN_SLURM && j->rec.state == CPOOL_JOB_RUNNING &&
		    j->rec.uid == uid && strcmp(j->leaf, rel) == 0)
			return j;
	return NULL;
}

/*
 * The task, released by slurmstepd with the step's other tasks, says so
 * just before it exec's: its run starts now, as its CPU time does.  Until
 * then it sat blocked in its leaf, which cpu.stat does not count.  The
 * caller is who SO_PEERCRED says, inside the leaf of a job of its own
 * uid; once per job, so that the program cannot shrink its run later.
 */
json_t *attach_started_handle(struct cpoold *d, const struct cpool_peer *p,
			      const struct cpool_request *req)
{
	struct djob *j = job_holding(d, p->pid, p->uid);
	double start;

	if (!j)
		return cpool_reply_error(req->id, -ESRCH,
					 "attach.started: process %d (uid %u) is in no leaf of a "
					 "running attached job of its user",
					 (int)p->pid, (unsigned)p->uid);
	start = j->rec.start_time;
	if (cpool_job_mark_started(j->rec.first_start, &start, now_s()))
		return cpool_reply_error(req->id, -EALREADY,
					 "attach.started: job %lld's start was set already; it "
					 "is accepted once per job",
					 (long long)j->rec.id);
	j->rec.start_time = start;
	if (cpool_store_job_update(d->store, &j->rec)) {
		/* The attach instant stays its start, in memory as on disk. */
		j->rec.start_time = j->rec.first_start;
		log_err("job %lld: store its start: %s", (long long)j->rec.id,
			cpool_store_errmsg(d->store));
		return cpool_reply_error(req->id, -EIO, "attach.started: store job %lld: %s",
					 (long long)j->rec.id, cpool_store_errmsg(d->store));
	}
	log_debug("job %lld: released %.3f s after its attach", (long long)j->rec.id,
		  start - j->rec.first_start);
	return cpool_reply_ok(
		req->id, json_pack("{s:I, s:f}", "job", (json_int_t)j->rec.id, "start", start));
}

int attach_cancel(struct cpoold *d, struct djob *j, struct cpool_error *error)
{
	int r;

	/* Its end comes from cgroup.events, as for any other end; Slurm sees its task killed. */
	r = cpool_cg_kill(&d->pool, j->leaf, error);
	if (r)
		return r;
	j->cancel_requested = true;
	return 0;
}

void attach_recover(struct cpoold *d)
{
	struct djob *next;

	for (struct djob *j = d->jobs; j; j = next) {
		next = j->next; /* an empty leaf ends (frees) the job */
		if (j->rec.origin != CPOOL_JOB_ORIGIN_SLURM || !jobs_running(j))
			continue;
		if (j->rec.state == CPOOL_JOB_STARTING) {
			struct cpool_error e = { 0 };
			struct cpool_cg_events ev;

			/* Stopped before its process was known to be in: the plugin saw the error. */
			if (cpool_cg_read_events(&d->pool, j->leaf, &ev, &e) || !ev.populated) {
				end_attached(d, j,
					     "cpoold stopped before the process was moved into its "
					     "leaf");
				continue;
			}
			j->rec.state = CPOOL_JOB_RUNNING;
			if (cpool_store_job_update(d->store, &j->rec))
				log_err("job %lld: store its start: %s", (long long)j->rec.id,
					cpool_store_errmsg(d->store));
		}
		if (watch_leaf(d, j))
			log_info("job %lld: slurm job %lld step %lld adopted, running in %s",
				 (long long)j->rec.id, (long long)j->rec.slurm_job,
				 (long long)j->rec.slurm_step, j->leaf);
	}
}
