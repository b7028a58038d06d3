// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The job table: submission, start and resume, preemption, the end of a
 * job (from its supervisor's exit record), cancel, and recovery after a
 * restart.  The store is written before anything is acknowledged, and a
 * job's exit record is removed only after its accounting is stored, so a
 * kill -9 of cpoold at any point loses nothing.
 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "cpoold.h"
#include "cpool/metrics.h"

/* What SJF, SRTF, HRRN and EASY assume of a job submitted without an estimate. */
#define DEFAULT_ESTIMATE_S 3600.0
#define FREEZE_TIMEOUT_MS 2000
#define DESTROY_TIMEOUT_MS 5000

bool jobs_running(const struct djob *j)
{
	return j->rec.state == CPOOL_JOB_RUNNING;
}

struct djob *jobs_find(struct cpoold *d, int64_t id)
{
	for (struct djob *j = d->jobs; j; j = j->next)
		if (j->rec.id == id)
			return j;
	return NULL;
}

static void link_job(struct cpoold *d, struct djob *j)
{
	struct djob **pp = &d->jobs;

	while (*pp && (*pp)->rec.id < j->rec.id)
		pp = &(*pp)->next;
	j->next = *pp;
	*pp = j;
}

static void unlink_job(struct cpoold *d, struct djob *j)
{
	for (struct djob **pp = &d->jobs; *pp; pp = &(*pp)->next) {
		if (*pp == j) {
			*pp = j->next;
			return;
		}
	}
}

/* The policy's view, rebuilt from the stored record. */
static void init_policy_view(struct cpoold *d, struct djob *j)
{
	struct cpool_job *p = &j->pol;
	double est = j->rec.estimate > 0 ? j->rec.estimate : DEFAULT_ESTIMATE_S;

	memset(p, 0, sizeof(*p));
	snprintf(p->id, sizeof(p->id), "%lld", (long long)j->rec.id);
	p->submit_us = (int64_t)(j->rec.submit_time * 1e6);
	p->estimate_us = (int64_t)(est * 1e6);
	p->runtime_us = p->estimate_us;
	p->cpus = j->rec.cpus;
	p->mem = j->rec.mem;
	p->priority = j->rec.priority;
	snprintf(p->vs, sizeof(p->vs), "%s", j->rec.vs ?: "");
	p->index = (size_t)j->rec.id;

	memset(&j->pj, 0, sizeof(j->pj));
	j->pj.job = p;
	j->pj.done_us = (int64_t)(j->rec.run_time * 1e6);
	j->pj.first_start_us = j->rec.first_start > 0 ? (int64_t)(j->rec.first_start * 1e6) : -1;
	j->pj.ready_since_us = now_us();
	j->pj.seq = d->next_seq++;
	j->pj.vs = -1;
	j->sup.pidfd = -1;
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
	if (r->pid > 0)
		json_object_set_new(o, "pid", json_integer(r->pid));
	if (r->state == CPOOL_JOB_DONE || r->state == CPOOL_JOB_FAILED ||
	    r->state == CPOOL_JOB_CANCELLED) {
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

static void free_job(struct djob *j)
{
	while (j->waiters) {
		struct waiter *w = j->waiters;

		j->waiters = w->next;
		free(w);
	}
	cpool_jobrec_free(&j->rec);
	free(j);
}

/* The job has reached an end state: store it, answer its waiters, forget it. */
static void retire(struct cpoold *d, struct djob *j)
{
	int r;

	if (j->sup_src) {
		cpool_evloop_remove(j->sup_src);
		j->sup_src = NULL;
	}
	if (j->sup.pid > 0)
		cpool_supervise_release(&j->sup);
	r = cpool_store_job_update(d->store, &j->rec);
	if (r) {
		/* Keep the exit record: the next start will account the job from it. */
		log_err("job %lld: store its end: %s", (long long)j->rec.id,
			cpool_store_errmsg(d->store));
	} else {
		cpool_job_record_remove(d->record_dir, j->rec.id);
	}
	if (j->leaf[0]) {
		struct cpool_cg_error e = { 0 };
		char *slash = strchr(j->leaf, '/');

		if (slash) {
			*slash = '\0';
			/* Gone already when its whole VS was destroyed. */
			if (cpool_cg_job_destroy(&d->pool, j->leaf, slash + 1, DESTROY_TIMEOUT_MS,
						 &e) &&
			    e.err != -ENOENT)
				log_warn("job %lld: %s", (long long)j->rec.id, e.msg);
			*slash = '/';
		}
	}
	for (struct waiter *w = j->waiters; w; w = w->next)
		cpool_client_send(w->client, cpool_reply_ok(w->id, jobs_json(&j->rec)));
	log_info("job %lld %s (exit %d, signal %d%s)", (long long)j->rec.id,
		 cpool_job_state_name(j->rec.state), j->rec.exit_code, j->rec.signal,
		 j->rec.oom ? ", out of memory" : "");
	metrics_job_ended(d, &j->rec);
	unlink_job(d, j);
	free_job(j);
	sched_kick(d);
}

static void fail_job(struct cpoold *d, struct djob *j, const char *why)
{
	/* @why may be j->rec.error itself: copy before freeing. */
	char *copy = strdup(why);

	free(j->rec.error);
	j->rec.error = copy;
	j->rec.state = CPOOL_JOB_FAILED;
	j->rec.end_time = now_s();
	j->rec.exit_code = -1;
	log_warn("job %lld could not start: %s", (long long)j->rec.id, why ? copy : "");
	retire(d, j);
}

/* Account the end the supervisor recorded. */
static void finish_from_record(struct cpoold *d, struct djob *j, const struct cpool_job_record *rec)
{
	struct vsrv *v = pool_find(d, j->pol.vs);
	bool cancelled = j->cancel_requested;

	if (v && jobs_running(j))
		pool_give_cpus(v, &j->cpus);
	if (jobs_running(j) && j->rec.start_time > 0)
		j->rec.run_time += rec->end_time - j->rec.start_time;
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
	j->rec.state = cancelled ? CPOOL_JOB_CANCELLED : CPOOL_JOB_DONE;
	if (rec->error[0] && !j->rec.error)
		j->rec.error = strdup(rec->error);
	retire(d, j);
}

/* Supervisor events carry the job; the daemon is one per process. */
static struct cpoold *the_daemon;

static void on_supervisor_exit(struct cpool_evsource *src, uint32_t events, void *data)
{
	struct djob *j = data;
	struct cpoold *d = the_daemon;
	struct cpool_job_record rec;
	int r;

	(void)src;
	(void)events;
	cpool_evloop_remove(j->sup_src);
	j->sup_src = NULL;
	cpool_supervise_release(&j->sup);
	r = cpool_job_record_read(d->record_dir, j->rec.id, &rec);
	if (r || !rec.ended) {
		/* Only a kill of the supervisor itself ends it without a record. */
		struct vsrv *v = pool_find(d, j->pol.vs);

		if (v && jobs_running(j))
			pool_give_cpus(v, &j->cpus);
		j->rec.state = CPOOL_JOB_FAILED;
		j->rec.end_time = now_s();
		j->rec.exit_code = -1;
		free(j->rec.error);
		j->rec.error = strdup("its supervisor died without recording the job's end");
		retire(d, j);
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

static int launch(struct cpoold *d, struct djob *j, struct vsrv *v)
{
	struct cpool_cg_error e = { 0 };
	char path[PATH_MAX], name[32], cpus[8192];
	char **argv = NULL, **env = NULL;
	struct cpool_launch_spec spec;
	int r;

	snprintf(name, sizeof(name), "job-%lld", (long long)j->rec.id);
	r = cpool_cg_job_create(&d->pool, v->vs.name, name, path, sizeof(path), &e);
	if (r == -EEXIST) /* left over by a crash between create and launch */
		r = 0;
	if (r)
		goto fail;
	snprintf(j->leaf, sizeof(j->leaf), "%s/%s", v->vs.name, name);
	r = cpool_cg_job_limit(&d->pool, j->leaf, &j->cpus, j->rec.mem, &e);
	if (r)
		goto fail;
	argv = strv_from_json(j->rec.argv_json);
	env = strv_from_json(j->rec.env_json);
	if (!argv || !argv[0]) {
		r = cpool_cg_fail(&e, EINVAL, "job %lld has no command", (long long)j->rec.id);
		goto fail;
	}
	memset(&spec, 0, sizeof(spec));
	spec.cgroup = path;
	spec.argv = argv;
	spec.envp = env;
	spec.cwd = j->rec.cwd;
	spec.uid = j->rec.uid;
	spec.gid = j->rec.gid;
	spec.stdout_path = j->rec.stdout_path;
	spec.stderr_path = j->rec.stderr_path;
	r = cpool_supervise_start(&spec, j->rec.id, d->record_dir, &j->sup, &e);
	strv_free(argv);
	strv_free(env);
	argv = env = NULL;
	if (r)
		goto fail;
	if (e.msg[0])
		log_warn("job %lld: %s", (long long)j->rec.id, e.msg);
	cpool_cpuset_format(&j->cpus, cpus, sizeof(cpus));
	j->rec.pid = j->sup.job_pid;
	free(j->rec.cgroup);
	j->rec.cgroup = strdup(path);
	free(j->rec.cpuset);
	j->rec.cpuset = strdup(cpus);
	return watch_supervisor(d, j);
fail:
	strv_free(argv);
	strv_free(env);
	free(j->rec.error);
	j->rec.error = strdup(e.msg);
	return r;
}

int jobs_start(struct cpoold *d, struct djob *j, int vs_index)
{
	struct cpool_cg_error e = { 0 };
	struct vsrv *v = &d->vs[vs_index];
	bool resume = j->rec.state == CPOOL_JOB_FROZEN;
	double t = now_s();
	int r;

	r = pool_take_cpus(v, j->rec.cpus, &j->cpus);
	if (r) {
		log_err("job %lld: vserver %s has no %d free CPUs although the policy said so",
			(long long)j->rec.id, v->vs.name, j->rec.cpus);
		return r;
	}
	free(j->rec.vs);
	j->rec.vs = strdup(v->vs.name);
	/* Once started a job stays on its VS: its cgroup lives there. */
	snprintf(j->pol.vs, sizeof(j->pol.vs), "%s", v->vs.name);
	if (resume) {
		r = cpool_cg_job_limit(&d->pool, j->leaf, &j->cpus, 0, &e);
		if (!r)
			r = cpool_cg_freeze(&d->pool, j->leaf, false, FREEZE_TIMEOUT_MS, &e);
		if (r) {
			log_err("job %lld: resume: %s", (long long)j->rec.id, e.msg);
			pool_give_cpus(v, &j->cpus);
			return r;
		}
	} else {
		r = launch(d, j, v);
		if (r) {
			pool_give_cpus(v, &j->cpus);
			fail_job(d, j, j->rec.error ?: strerror(-r));
			return r;
		}
		j->rec.first_start = t;
	}
	j->rec.state = CPOOL_JOB_RUNNING;
	j->rec.start_time = t;
	if (cpool_store_job_update(d->store, &j->rec))
		log_err("job %lld: store its start: %s", (long long)j->rec.id,
			cpool_store_errmsg(d->store));
	log_info("job %lld %s on %s (CPUs %s)", (long long)j->rec.id,
		 resume ? "resumed" : "started", v->vs.name, j->rec.cpuset ?: "?");
	return 0;
}

int jobs_preempt(struct cpoold *d, struct djob *j)
{
	struct cpool_cg_error e = { 0 };
	struct vsrv *v = pool_find(d, j->pol.vs);
	int r;

	r = cpool_cg_freeze(&d->pool, j->leaf, true, FREEZE_TIMEOUT_MS, &e);
	if (r) {
		log_err("job %lld: preempt: %s", (long long)j->rec.id, e.msg);
		return r;
	}
	if (v)
		pool_give_cpus(v, &j->cpus);
	j->rec.run_time += now_s() - j->rec.start_time;
	j->rec.state = CPOOL_JOB_FROZEN;
	if (cpool_store_job_update(d->store, &j->rec))
		log_err("job %lld: store its preemption: %s", (long long)j->rec.id,
			cpool_store_errmsg(d->store));
	log_debug("job %lld preempted", (long long)j->rec.id);
	return 0;
}

int jobs_cancel(struct cpoold *d, struct djob *j, char *err, size_t errlen)
{
	struct cpool_cg_error e = { 0 };

	if (j->rec.state == CPOOL_JOB_QUEUED) {
		j->rec.state = CPOOL_JOB_CANCELLED;
		j->rec.end_time = now_s();
		j->rec.exit_code = -1;
		retire(d, j);
		return 0;
	}
	/*
	 * Running or frozen: kill the whole leaf (SIGKILL reaches frozen tasks,
	 * and thawing lets them die at once).  The job keeps its CPUs and its
	 * state until its supervisor records the end, which is then accounted
	 * as cancelled, with the signal and CPU time it really had.
	 */
	if (cpool_cg_kill(&d->pool, j->leaf, &e)) {
		snprintf(err, errlen, "%s", e.msg);
		return e.err;
	}
	if (j->rec.state == CPOOL_JOB_FROZEN &&
	    cpool_cg_freeze(&d->pool, j->leaf, false, FREEZE_TIMEOUT_MS, &e))
		log_warn("job %lld: thaw to let it die: %s", (long long)j->rec.id, e.msg);
	j->cancel_requested = true;
	return 0;
}

int jobs_submit(struct cpoold *d, const struct cpool_submit_req *s, uid_t uid, gid_t gid,
		int64_t *id, char *err, size_t errlen)
{
	json_t *argv = json_array(), *env = NULL;
	struct djob *j;
	int max_cpus = 0, r;

	if (s->vs) {
		struct vsrv *v = pool_find(d, s->vs);

		if (!v) {
			snprintf(err, errlen, "no vserver %s ('cpool vs list' shows them)", s->vs);
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
		snprintf(err, errlen, "%d CPUs requested; the largest %s has %d", s->cpus,
			 s->vs ? "this vserver" : "vserver", max_cpus);
		json_decref(argv);
		return -E2BIG;
	}
	if (s->mem && s->mem < CPOOL_CG_MEMORY_FLOOR) {
		snprintf(err, errlen, "mem %llu bytes is below the %llu-byte floor a process needs",
			 (unsigned long long)s->mem, (unsigned long long)CPOOL_CG_MEMORY_FLOOR);
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
	j->rec.priority = s->priority;
	j->rec.state = CPOOL_JOB_QUEUED;
	j->rec.submit_time = now_s();
	json_decref(argv);
	json_decref(env);
	/* Durable before the submitter hears its id. */
	r = cpool_store_job_insert(d->store, &j->rec);
	if (r) {
		snprintf(err, errlen, "store the job: %s", cpool_store_errmsg(d->store));
		free_job(j);
		return r;
	}
	init_policy_view(d, j);
	link_job(d, j);
	*id = j->rec.id;
	log_debug("job %lld submitted by uid %u", (long long)j->rec.id, (unsigned)uid);
	sched_kick(d);
	return 0;
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
	init_policy_view(d, j);
	link_job(d, j);
	return 0;
}

/*
 * After a restart: every job the store calls active is matched with what
 * its supervisor recorded.  Ended while we were down: accounted now.
 * Still running: watched again.  Queued: queued again, in id order.
 */
int jobs_recover(struct cpoold *d)
{
	struct cpool_job_filter f = { .active_only = true, .uid = -1 };
	struct djob *next;
	int r, n = 0;

	the_daemon = d;
	r = cpool_store_job_foreach(d->store, &f, load_job, d);
	if (r)
		return r;
	for (struct djob *j = d->jobs; j; j = next) {
		struct cpool_job_record rec;
		struct vsrv *v;
		char name[32];

		next = j->next;
		n++;
		snprintf(name, sizeof(name), "job-%lld", (long long)j->rec.id);
		r = cpool_job_record_read(d->record_dir, j->rec.id, &rec);
		if (r == -ENOENT && j->rec.state == CPOOL_JOB_QUEUED)
			continue; /* never started */
		v = pool_find(d, j->rec.vs ?: "");
		if (!v) {
			j->rec.state = CPOOL_JOB_FAILED;
			j->rec.end_time = now_s();
			j->rec.exit_code = -1;
			j->rec.error = strdup("its vserver no longer exists");
			retire(d, j);
			continue;
		}
		snprintf(j->leaf, sizeof(j->leaf), "%s/%s", v->vs.name, name);
		snprintf(j->pol.vs, sizeof(j->pol.vs), "%s", v->vs.name);
		if (j->rec.cpuset && cpool_cpuset_parse(&j->cpus, j->rec.cpuset, NULL) == 0 &&
		    j->rec.state != CPOOL_JOB_FROZEN)
			cpool_cpuset_or(&v->busy, &v->busy, &j->cpus);
		if (j->rec.state == CPOOL_JOB_QUEUED) {
			/* Started just before the crash, its start not yet stored. */
			j->rec.state = CPOOL_JOB_RUNNING;
			j->rec.first_start = j->rec.start_time = rec.start_time;
			j->rec.pid = rec.job_pid;
			if (!rec.ended)
				log_warn("job %lld: started before the crash; its CPUs are unknown",
					 (long long)j->rec.id);
		}
		if (r == 0 && rec.ended) {
			finish_from_record(d, j, &rec);
			continue;
		}
		r = cpool_supervise_reattach(d->record_dir, j->rec.id, &j->sup);
		if (r == 0 && watch_supervisor(d, j) == 0) {
			log_info("job %lld: %s, supervised by pid %d", (long long)j->rec.id,
				 cpool_job_state_name(j->rec.state), (int)j->sup.pid);
			continue;
		}
		/* Ended between our two reads, or the supervisor is gone. */
		if (cpool_job_record_read(d->record_dir, j->rec.id, &rec) == 0 && rec.ended) {
			finish_from_record(d, j, &rec);
			continue;
		}
		j->rec.state = CPOOL_JOB_FAILED;
		j->rec.end_time = now_s();
		j->rec.exit_code = -1;
		free(j->rec.error);
		j->rec.error = strdup("lost: its supervisor is gone and left no exit record "
				      "(was the machine rebooted?)");
		{
			struct vsrv *vv = pool_find(d, j->pol.vs);

			if (vv)
				pool_give_cpus(vv, &j->cpus);
		}
		retire(d, j);
	}
	if (n)
		log_info("recovered %d active jobs from the store", n);
	return 0;
}
