// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Job control over the job table (docs/jobs.md): hold and release,
 * dependencies, arrays, a job's output files and environment, why a queued
 * job waits, and signals.  jobs.c, sched.c and api.c call in at a few
 * hooks; what it stores lives in the store's job_ctl table, written in the
 * same transaction as the jobs it belongs to.
 */
#include <errno.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "cpoold.h"
#include "cpool/jobctl.h"
#include "cpool/sim.h"
#include "cpool/store_jobctl.h"

/* What job control knows of a live job; every field empty for a plain job. */
struct jobctl {
	bool held;
	struct cpool_dep *deps;
	bool *dep_met; /* met deps are not looked at again */
	size_t n_deps;
	int64_t array_id; /* 0: not in an array */
	int64_t array_task;
	int array_max;
	const char *reason; /* why it waits, as of the last round (a static string) */
	double expected_start; /* easy's reservation, this round: unix seconds, 0: none */
	/* The simulator's guess (unix seconds, 0: none), valid while sim_epoch is the last applied */
	double sim_start;
	uint64_t sim_epoch;
};

/*
 * Scheduling rounds so far; the round the simulator's last applied guesses
 * are of; whether any were applied yet.
 */
static uint64_t round_epoch, estimated_epoch;
static bool estimated;

static struct jobctl *ctl_of(struct djob *j)
{
	if (!j->ctl) {
		j->ctl = calloc(1, sizeof(*j->ctl));
		if (j->ctl)
			j->ctl->array_task = -1;
	}
	return j->ctl;
}

void jobctl_free(struct djob *j)
{
	if (!j->ctl)
		return;
	free(j->ctl->deps);
	free(j->ctl->dep_met);
	free(j->ctl);
	j->ctl = NULL;
}

static void row_of(const struct djob *j, struct cpool_jobctl_row *row, char *after)
{
	const struct jobctl *c = j->ctl;

	*row = (struct cpool_jobctl_row){ .id = j->rec.id, .array_task = -1 };
	if (!c)
		return;
	row->held = c->held;
	row->after = after;
	row->array_id = c->array_id;
	row->array_task = c->array_task;
	row->array_max = c->array_max;
}

/* Writes @j's row as it is in memory (its after list unchanged since submission). */
static int store_ctl(struct cpoold *d, struct djob *j, const char *reason)
{
	struct cpool_jobctl_row row;
	char *after =
		j->ctl && j->ctl->n_deps ? cpool_deps_format(j->ctl->deps, j->ctl->n_deps) : NULL;
	int r;

	row_of(j, &row, after);
	row.reason = (char *)reason;
	r = cpool_store_jobctl_put(d->store, &row);
	free(after);
	return r;
}

static int set_deps(struct jobctl *c, const struct cpool_dep *deps, size_t n)
{
	c->deps = malloc((n ? n : 1) * sizeof(*c->deps));
	c->dep_met = calloc(n ? n : 1, sizeof(*c->dep_met));
	if (!c->deps || !c->dep_met)
		return -ENOMEM;
	if (n)
		memcpy(c->deps, deps, n * sizeof(*deps));
	c->n_deps = n;
	return 0;
}

void jobctl_loaded(struct cpoold *d, struct djob *j)
{
	struct cpool_jobctl_row row;
	struct cpool_error e = { 0 };
	struct cpool_dep *deps = NULL;
	struct jobctl *c;
	size_t n = 0;

	if (cpool_store_jobctl_get(d->store, j->rec.id, &row))
		return; /* a plain job */
	c = ctl_of(j);
	if (!c) {
		log_err("job %lld: out of memory for its hold and dependencies",
			(long long)j->rec.id);
		cpool_jobctl_row_free(&row);
		return;
	}
	c->held = row.held;
	c->array_id = row.array_id;
	c->array_task = row.array_task;
	c->array_max = row.array_max;
	if (row.after && cpool_deps_parse(row.after, &deps, &n, &e) == 0 && set_deps(c, deps, n))
		log_err("job %lld: out of memory for its dependencies", (long long)j->rec.id);
	free(deps);
	cpool_jobctl_row_free(&row);
}

/* ---- submission ---- */

static bool may_see(uid_t caller, uid_t owner)
{
	return caller == 0 || caller == owner;
}

struct dep_list {
	struct cpool_dep *v;
	size_t n, cap;
	enum cpool_dep_when when;
};

static int dep_add(struct dep_list *l, int64_t job, enum cpool_dep_when when)
{
	if (l->n == CPOOL_DEPS_MAX)
		return -E2BIG;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct cpool_dep *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = (struct cpool_dep){ job, when };
	return 0;
}

static int add_element(int64_t id, int64_t task, void *ctx)
{
	struct dep_list *l = ctx;

	(void)task;
	return dep_add(l, id, l->when);
}

/*
 * Every job named must exist and be the caller's (root: anyone's); one
 * that heads an array stands for all its elements.
 */
static int resolve_deps(struct cpoold *d, const struct cpool_submit_req *s, uid_t uid,
			struct dep_list *out, struct cpool_error *e)
{
	for (size_t i = 0; i < s->n_deps; i++) {
		int64_t id = s->deps[i].job;
		struct djob *j = jobs_find(d, id);
		struct cpool_jobrec rec;
		size_t before = out->n;
		uid_t owner;
		int r;

		if (j) {
			owner = j->rec.uid;
		} else {
			r = cpool_store_job_get(d->store, id, &rec);
			if (r && r != -ENOENT) {
				cpool_error_set(e, r, "read job %lld: %s", (long long)id,
						cpool_store_errmsg(d->store));
				return r;
			}
			owner = r ? (uid_t)-1 : rec.uid;
			if (!r)
				cpool_jobrec_free(&rec);
		}
		if (owner == (uid_t)-1 || !may_see(uid, owner)) {
			return cpool_error_set(e, -ENOENT, "--after: no job %lld", (long long)id);
		}
		out->when = s->deps[i].when;
		r = cpool_store_array_foreach(d->store, id, add_element, out);
		if (!r && out->n == before)
			r = dep_add(out, id, s->deps[i].when);
		if (r) {
			cpool_error_set(e, r, "--after: %s",
					r == -E2BIG ? "more than the limit of jobs to wait for" :
						      strerror(-r));
			return r;
		}
	}
	return 0;
}

static int queued_of(struct cpoold *d, uid_t uid)
{
	int n = 0;

	for (struct djob *j = d->jobs; j; j = j->next)
		n += j->rec.uid == uid &&
		     (j->rec.state == CPOOL_JOB_QUEUED || j->rec.state == CPOOL_JOB_FROZEN);
	return n;
}

/* Size of an array, against max_array_size and (but for root) queued_jobs_per_user. */
static int check_array(struct cpoold *d, const struct cpool_submit_req *s, uid_t uid, int count,
		       struct cpool_error *e)
{
	const struct cpool_user_limits *l = &d->cfg.limits;
	int queued;

	if (l->max_array_size && count > l->max_array_size) {
		cpool_error_set(e, -E2BIG, "--array: %d elements, more than max_array_size = %d",
				count, l->max_array_size);
		return -E2BIG;
	}
	(void)s;
	if (uid == 0 || !l->queued_jobs_per_user)
		return 0;
	queued = queued_of(d, uid);
	/* limits_check_submit counted one already. */
	if (queued + count > l->queued_jobs_per_user) {
		cpool_error_set(e, -EDQUOT,
				"uid %u has %d jobs queued and the array adds %d: the limit is %d "
				"(queued_jobs_per_user)",
				(unsigned)uid, queued, count, l->queued_jobs_per_user);
		return -EDQUOT;
	}
	return 0;
}

/*
 * The outputs a submission names, or the defaults: cpool-%j.out (arrays:
 * cpool-%A_%a.out) in its working directory.  A request without a working
 * directory (an API client's, not the CLI's) keeps /dev/null: "/" is no
 * place for a user's files.
 */
static void default_outputs(const struct cpool_submit_req *s, struct cpool_submit_req *out,
			    char *buf, size_t len)
{
	*out = *s;
	if (!out->stdout_path && s->cwd) {
		snprintf(buf, len, "%s%s%s", s->cwd, strcmp(s->cwd, "/") ? "/" : "",
			 s->is_array ? "cpool-%A_%a.out" : CPOOL_OUTPATTERN_DEFAULT);
		out->stdout_path = buf;
	}
	/* The same file: opened once, both streams go to it in order. */
	if (!out->stderr_path)
		out->stderr_path = out->stdout_path;
}

static void forget_new(struct cpoold *d, int64_t *ids, int n)
{
	for (int i = 0; i < n; i++) {
		struct djob *j = jobs_find(d, ids[i]);

		if (j)
			jobs_forget(d, j);
	}
}

int jobctl_submit(struct cpoold *d, const struct cpool_submit_req *s, uid_t uid, gid_t gid,
		  json_t **result, struct cpool_error *e)
{
	struct dep_list deps = { 0 };
	struct cpool_submit_req sub;
	char out[PATH_MAX];
	int64_t *ids = NULL, id;
	int count = s->is_array ? cpool_array_count(&s->array) : 1, made = 0, r;

	default_outputs(s, &sub, out, sizeof(out));
	if (!s->hold && !s->n_deps && !s->is_array) {
		r = jobs_submit(d, &sub, uid, gid, &id, e);
		if (!r)
			*result = json_pack("{s:I}", "job", (json_int_t)id);
		return r;
	}
	if ((r = resolve_deps(d, s, uid, &deps, e)) ||
	    (s->is_array && (r = check_array(d, s, uid, count, e))))
		goto out;
	ids = calloc((size_t)count, sizeof(*ids));
	if (!ids) {
		r = cpool_error_set(e, -ENOMEM, "out of memory");
		goto out;
	}
	/* The jobs and their rows at once: a crash leaves all of them or none. */
	r = cpool_store_begin(d->store);
	if (r) {
		cpool_error_set(e, r, "store the jobs: %s", cpool_store_errmsg(d->store));
		goto out;
	}
	for (made = 0; made < count; made++) {
		struct jobctl *c;
		struct djob *j;

		r = jobs_submit(d, &sub, uid, gid, &ids[made], e);
		if (r)
			break;
		j = jobs_find(d, ids[made]);
		c = j ? ctl_of(j) : NULL;
		if (!c || set_deps(c, deps.v, deps.n)) {
			made++;
			r = cpool_error_set(e, -ENOMEM, "out of memory");
			break;
		}
		c->held = s->hold;
		if (s->is_array) {
			c->array_id = ids[0];
			c->array_task = s->array.first + (int64_t)made * s->array.step;
			c->array_max = s->array.max_running;
		}
		r = store_ctl(d, j, NULL);
		if (r) {
			made++;
			cpool_error_set(e, r, "store the job's control: %s",
					cpool_store_errmsg(d->store));
			break;
		}
	}
	if (!r && (r = cpool_store_commit(d->store)))
		cpool_error_set(e, r, "store the jobs: %s", cpool_store_errmsg(d->store));
	if (r) {
		cpool_store_rollback(d->store);
		forget_new(d, ids, made);
		goto out;
	}
	crash_point(CRASH_SUBMIT_JOBCTL_STORED);
	*result = json_pack("{s:I}", "job", (json_int_t)ids[0]);
	if (s->is_array)
		json_object_set_new(*result, "array",
				    json_pack("{s:i, s:i, s:i, s:i}", "count", count, "first",
					      s->array.first, "step", s->array.step, "max_running",
					      s->array.max_running));
out:
	free(deps.v);
	free(ids);
	return r;
}

/* ---- launch: the job's output files and environment ---- */

/* Drops NAME=... from @env (a NULL-terminated malloc'd vector) and appends NAME=VALUE. */
static int env_set(char ***env, const char *name, const char *value)
{
	size_t n = 0, len = strlen(name), k = 0;
	char **v = *env, *entry;

	for (; v && v[n]; n++)
		;
	for (size_t i = 0; i < n; i++) {
		if (strncmp(v[i], name, len) == 0 && v[i][len] == '=')
			free(v[i]);
		else
			v[k++] = v[i];
	}
	v = realloc(v, (k + 2) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	*env = v;
	if (asprintf(&entry, "%s=%s", name, value) < 0) {
		v[k] = NULL;
		return -ENOMEM;
	}
	v[k] = entry;
	v[k + 1] = NULL;
	return 0;
}

int jobctl_launch_prepare(struct cpoold *d, struct djob *j, const char *vs, const char *cpus,
			  char ***env, char *out, char *errp, size_t len, struct cpool_error *e)
{
	const struct jobctl *c = j->ctl;
	struct cpool_outpattern_vars vars = {
		.job = j->rec.id,
		.array_job = c ? c->array_id : 0,
		.array_task = c ? c->array_task : -1,
		.name = j->rec.name,
	};
	char id[32], user[64];
	int r = 0;

	(void)d;
	snprintf(user, sizeof(user), "%u", (unsigned)j->rec.uid);
	/* Only a pattern that asks for it costs a look-up of the user's name. */
	if ((j->rec.stdout_path && strstr(j->rec.stdout_path, "%u")) ||
	    (j->rec.stderr_path && strstr(j->rec.stderr_path, "%u"))) {
		struct passwd pw, *res = NULL;
		char buf[4096];

		if (getpwuid_r(j->rec.uid, &pw, buf, sizeof(buf), &res) == 0 && res)
			snprintf(user, sizeof(user), "%s", pw.pw_name);
	}
	vars.user = user;
	out[0] = errp[0] = '\0';
	if (j->rec.stdout_path &&
	    (r = cpool_outpattern_expand(j->rec.stdout_path, &vars, out, len, e)))
		return cpool_error_prefix(e, "stdout");
	if (j->rec.stderr_path &&
	    (r = cpool_outpattern_expand(j->rec.stderr_path, &vars, errp, len, e)))
		return cpool_error_prefix(e, "stderr");
	snprintf(id, sizeof(id), "%lld", (long long)j->rec.id);
	if ((r = env_set(env, "CPOOL_JOB_ID", id)) || (r = env_set(env, "CPOOL_VS", vs)) ||
	    (r = env_set(env, "CPOOL_CPUS", cpus)))
		return cpool_cg_fail(e, -r, "job %lld: its environment: out of memory",
				     (long long)j->rec.id);
	if (c && c->array_id) {
		char task[32];

		snprintf(id, sizeof(id), "%lld", (long long)c->array_id);
		snprintf(task, sizeof(task), "%lld", (long long)c->array_task);
		if ((r = env_set(env, "CPOOL_ARRAY_JOB_ID", id)) ||
		    (r = env_set(env, "CPOOL_ARRAY_TASK_ID", task)))
			return cpool_cg_fail(e, -r, "job %lld: its environment: out of memory",
					     (long long)j->rec.id);
	}
	return 0;
}

/* ---- scheduling: who may be considered, and why the others wait ---- */

/* Running elements of each array, counted at the start of a round. */
struct array_count {
	int64_t array_id;
	int running, admitted;
};

static struct array_count *counts;
static size_t n_counts, cap_counts;

static struct array_count *count_of(int64_t array_id)
{
	for (size_t i = 0; i < n_counts; i++)
		if (counts[i].array_id == array_id)
			return &counts[i];
	if (n_counts == cap_counts) {
		size_t cap = cap_counts ? 2 * cap_counts : 8;
		struct array_count *v = realloc(counts, cap * sizeof(*v));

		if (!v)
			return NULL;
		counts = v;
		cap_counts = cap;
	}
	counts[n_counts] = (struct array_count){ .array_id = array_id };
	return &counts[n_counts++];
}

static enum cpool_dep_verdict judge_end(const struct cpool_dep *dep, const struct cpool_jobrec *rec,
					char *why, size_t len)
{
	enum cpool_dep_verdict v =
		cpool_dep_judge(dep->when, rec->state, rec->exit_code, rec->signal);

	if (v == CPOOL_DEP_NEVER)
		snprintf(why, len, "job %lld ended %s (exit %d, signal %d), and %s was needed",
			 (long long)dep->job, cpool_job_state_name(rec->state), rec->exit_code,
			 rec->signal, cpool_dep_when_name(dep->when));
	return v;
}

/*
 * How the end of job @id answers @dep: from the live table; from memory
 * when it ended but the store has not taken its end yet (unsaved.c); else
 * from the store.
 */
static enum cpool_dep_verdict judge(struct cpoold *d, const struct cpool_dep *dep, char *why,
				    size_t len)
{
	struct cpool_jobrec rec;
	enum cpool_dep_verdict v;
	struct djob *ended;

	if (jobs_find(d, dep->job))
		return CPOOL_DEP_PENDING;
	ended = unsaved_find(d, dep->job);
	if (ended)
		return judge_end(dep, &ended->rec, why, len);
	if (cpool_store_job_get(d->store, dep->job, &rec)) {
		snprintf(why, len, "job %lld is not in the store", (long long)dep->job);
		return CPOOL_DEP_NEVER;
	}
	v = judge_end(dep, &rec, why, len);
	cpool_jobrec_free(&rec);
	return v;
}

/* A dependency that can no longer be met: the job is cancelled, with the reason. */
static void never_satisfied(struct cpoold *d, struct djob *j, const char *why)
{
	struct cpool_error err;
	char msg[512];

	snprintf(msg, sizeof(msg), "dependency never satisfied: %s", why);
	if (store_ctl(d, j, "DependencyNeverSatisfied"))
		log_err("job %lld: store its dependency's end: %s", (long long)j->rec.id,
			cpool_store_errmsg(d->store));
	crash_point(CRASH_DEPENDENCY_NEVER_STORED);
	free(j->rec.error);
	j->rec.error = strdup(msg);
	log_info("job %lld: %s", (long long)j->rec.id, msg);
	if (jobs_cancel(d, j, &err))
		log_err("job %lld: cancel: %s", (long long)j->rec.id, err.msg);
}

/* True while @j waits on a dependency; cancels it when one can never be met. */
static bool deps_pending(struct cpoold *d, struct djob *j, bool *cancelled)
{
	struct jobctl *c = j->ctl;
	char why[256];

	*cancelled = false;
	for (size_t i = 0; c && i < c->n_deps; i++) {
		if (c->dep_met[i])
			continue;
		switch (judge(d, &c->deps[i], why, sizeof(why))) {
		case CPOOL_DEP_MET:
			c->dep_met[i] = true;
			break;
		case CPOOL_DEP_PENDING:
			/*
			 * One is enough to wait; the rest are judged once it
			 * ended, so a long --after costs a round one look-up.
			 */
			return true;
		case CPOOL_DEP_NEVER:
			never_satisfied(d, j, why);
			*cancelled = true;
			return true;
		}
	}
	return false;
}

void jobctl_round_begin(struct cpoold *d)
{
	struct djob *next;

	n_counts = 0;
	round_epoch++; /* the simulator's guesses of the last round are stale */
	for (struct djob *j = d->jobs; j; j = next) {
		bool cancelled;

		next = j->next;
		if (j->ctl)
			j->ctl->expected_start = 0; /* easy's reservation is of one round */
		if (!j->ctl || j->rec.state != CPOOL_JOB_QUEUED) {
			if (j->ctl && j->ctl->array_id && jobs_running(j)) {
				struct array_count *a = count_of(j->ctl->array_id);

				if (a)
					a->running++;
			}
			continue;
		}
		j->ctl->reason = NULL;
		if (j->ctl->held)
			j->ctl->reason = "Held";
		else if (deps_pending(d, j, &cancelled) && !cancelled)
			j->ctl->reason = "Dependency";
	}
}

bool jobctl_admit(struct cpoold *d, struct djob *j)
{
	struct jobctl *c = j->ctl;
	struct array_count *a;

	(void)d;
	if (!c || j->rec.state != CPOOL_JOB_QUEUED)
		return true;
	if (c->reason)
		return false; /* held, or waiting on a dependency */
	if (!c->array_id || !c->array_max)
		return true;
	a = count_of(c->array_id);
	if (a && a->running + a->admitted >= c->array_max) {
		c->reason = "ArrayTaskLimit";
		return false;
	}
	if (a)
		a->admitted++;
	return true;
}

void jobctl_set_reason(struct djob *j, const char *reason)
{
	struct jobctl *c = ctl_of(j);

	if (c)
		c->reason = reason;
}

#define job_of(pj) ((struct djob *)((char *)(pj)-offsetof(struct djob, pj)))

void jobctl_round_end(struct cpoold *d, const struct cpool_snapshot *s,
		      const struct cpool_decision *dec, int n)
{
	const struct cpool_pjob *reserved = NULL;
	int64_t at_us = CPOOL_NEVER;
	int max_free = 0;

	if (n < 0)
		return;
	for (int v = 0; v < s->n_vs; v++) {
		int free_cpus = s->vs[v].free_cpus;

		for (int i = 0; i < n; i++)
			if (dec[i].kind == CPOOL_DECIDE_START && dec[i].vs == v)
				free_cpus -= dec[i].job->job->cpus;
		if (free_cpus > max_free)
			max_free = free_cpus;
	}
	if (d->policy.sched == CPOOL_SCHED_EASY &&
	    !cpool_policy_easy_reservation(&d->policy, s, dec, (size_t)n, &reserved, &at_us))
		reserved = NULL;
	for (size_t q = 0; q < s->n_queued; q++) {
		struct cpool_pjob *pj = s->queued[q];
		struct djob *j = job_of(pj);
		struct jobctl *c;
		bool started = false;

		for (int i = 0; i < n; i++)
			started |= dec[i].job == pj;
		if (started || j->rec.state != CPOOL_JOB_QUEUED || !(c = ctl_of(j)))
			continue;
		if (c->reason) /* a limit said it while the decisions were applied */
			continue;
		if (pj == reserved) {
			c->reason = "Resources";
			c->expected_start = now_s() + (double)(at_us - s->now_us) / 1e6;
		} else if (pj->job->cpus > max_free) {
			c->reason = "Resources";
		} else {
			/* It would fit: a job before it, or (easy) the reservation, comes first. */
			c->reason = reserved ? "Reservation" : "Priority";
		}
	}
}

/* ---- the simulator's guess at the others' start ---- */

/* Past this many live jobs a ps shows no simulated start: the guess would cost too much CPU. */
#define ESTIMATE_MAX_JOBS 500

/* Waiting for CPUs or for jobs before it: the policy saw it; a held one has no start to guess. */
static bool policy_waits(const struct djob *j)
{
	const char *r = j->ctl ? j->ctl->reason : NULL;

	return j->rec.state == CPOOL_JOB_QUEUED && r &&
	       (!strcmp(r, "Resources") || !strcmp(r, "Priority") || !strcmp(r, "Reservation"));
}

/*
 * One replay of the pool by the simulator.  Everything it reads is copied
 * in on the loop (O(jobs)), so it can run on a thread of its own: under rr
 * a replay of a few hundred jobs of an hour each is seconds of CPU, which
 * a ps used to spend inside the loop.
 */
struct estimate {
	struct cpool_sim_config cfg;
	struct cpool_vserver *vs;
	struct cpool_job *jobs;
	int64_t *ids; /* each job's; the waiting ones come last, in id order */
	size_t n, first_waiting;
	double now;
	uint64_t epoch; /* the round it is of */
	int64_t *start_us; /* out: each job's first start from now; -1: none */
	pthread_t thread;
};

/* The estimate on its thread; its end is written to estimate_fd. */
static struct estimate *estimate_running;
static uint64_t estimate_runs; /* replays so far */
static int estimate_fd = -1;
static struct cpool_evsource *estimate_src;

static void estimate_free(struct estimate *e)
{
	if (!e)
		return;
	free(e->vs);
	free(e->jobs);
	free(e->ids);
	free(e->start_us);
	free(e);
}

/*
 * The pool replayed from now under the live policy: the running jobs
 * first, for what their estimates leave, pinned to their VS, then the jobs
 * the policy passes over, in queue order, each taking its estimate.  NULL
 * when there is nothing to replay (or too much, or no memory): no guess.
 */
static struct estimate *estimate_build(struct cpoold *d)
{
	struct estimate *e = calloc(1, sizeof(*e));
	size_t total = 0;

	if (!e)
		return NULL;
	e->epoch = round_epoch;
	e->now = now_s();
	for (struct djob *j = d->jobs; j; j = j->next)
		total++;
	if (!total || total > ESTIMATE_MAX_JOBS)
		goto none;
	e->vs = calloc((size_t)d->n_vs + 1, sizeof(*e->vs));
	e->jobs = calloc(total, sizeof(*e->jobs));
	e->ids = calloc(total, sizeof(*e->ids));
	e->start_us = calloc(total, sizeof(*e->start_us));
	if (!e->vs || !e->jobs || !e->ids || !e->start_us)
		goto none;
	for (int i = 0; i < d->n_vs; i++)
		e->vs[i] = d->vs[i].vs;
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1)
			e->first_waiting = e->n;
		for (struct djob *j = d->jobs; j; j = j->next) {
			struct cpool_job *p = &e->jobs[e->n];

			if (pass == 0 ? !jobs_running(j) : !policy_waits(j))
				continue;
			*p = j->pol;
			p->submit_us = 0;
			p->index = e->n;
			if (pass == 0) {
				int64_t left = j->pol.estimate_us -
					       (int64_t)(j->rec.run_time * 1e6) -
					       (int64_t)((e->now - j->rec.start_time) * 1e6);

				p->runtime_us = p->estimate_us = left > 1000 ? left : 1000;
				p->priority = -20; /* first, as they hold their CPUs now */
			}
			e->ids[e->n++] = j->rec.id;
		}
	}
	if (e->first_waiting == e->n)
		goto none; /* nobody the policy passes over */
	e->cfg = (struct cpool_sim_config){ .policy = d->policy, .vs = e->vs, .n_vs = d->n_vs };
	return e;
none:
	estimate_free(e);
	return NULL;
}

/* The replay itself: reads and writes @e alone. */
static void estimate_compute(struct estimate *e)
{
	struct cpool_sim_result res = { 0 };

	__atomic_add_fetch(&estimate_runs, 1, __ATOMIC_RELAXED);
	for (size_t k = 0; k < e->n; k++)
		e->start_us[k] = -1;
	if (cpool_sim_run(&e->cfg, e->jobs, e->n, &res) == 0) {
		for (size_t r = 0; r < res.n_records; r++) {
			size_t k = (size_t)(res.records[r].job - e->jobs);

			if (k < e->n)
				e->start_us[k] = res.records[r].first_start_us;
		}
	}
	cpool_sim_result_free(&res);
}

/*
 * The guesses of @e (NULL: none) become the ones ps shows.  The waiting
 * jobs come in id order, as the table is: one walk pairs them, and a job
 * that ended since is passed over.
 */
static void estimate_apply(struct cpoold *d, struct estimate *e, uint64_t epoch)
{
	struct djob *j = d->jobs;

	if (estimated && epoch < estimated_epoch)
		return; /* a newer one was applied meanwhile (here and now, without a loop) */
	estimated_epoch = epoch;
	estimated = true;
	for (size_t k = e ? e->first_waiting : 0; e && k < e->n; k++) {
		struct jobctl *c;

		while (j && j->rec.id < e->ids[k])
			j = j->next;
		if (!j || j->rec.id != e->ids[k] || e->start_us[k] < 0 || !(c = ctl_of(j)))
			continue;
		c->sim_start = e->now + cpool_us_to_s(e->start_us[k]);
		c->sim_epoch = epoch;
	}
}

void jobctl_estimate(struct cpoold *d)
{
	struct estimate *e;

	if (estimated && estimated_epoch == round_epoch)
		return;
	e = estimate_build(d);
	if (e)
		estimate_compute(e);
	estimate_apply(d, e, round_epoch);
	estimate_free(e);
}

static void *estimate_thread(void *arg)
{
	uint64_t one = 1;

	estimate_compute(arg);
	/* The loop takes it from here; it reads no job but by id. */
	if (write(estimate_fd, &one, sizeof(one)) != sizeof(one)) {
		/* An eventfd write fails only on overflow, which 2^64 ends are not. */
	}
	return NULL;
}

static void estimate_done(struct cpool_evsource *src, uint32_t events, void *data)
{
	struct cpoold *d = data;
	struct estimate *e = estimate_running;
	uint64_t n;

	(void)src;
	(void)events;
	if (read(estimate_fd, &n, sizeof(n)) != sizeof(n) || !e)
		return;
	pthread_join(e->thread, NULL);
	estimate_running = NULL;
	estimate_apply(d, e, e->epoch);
	estimate_free(e);
	api_estimate_ready(d);
}

uint64_t jobctl_estimate_runs(void)
{
	return __atomic_load_n(&estimate_runs, __ATOMIC_RELAXED);
}

uint64_t jobctl_round_epoch(void)
{
	return round_epoch;
}

bool jobctl_estimate_ready(struct cpoold *d, uint64_t since)
{
	struct estimate *e;

	if (estimated && estimated_epoch >= since)
		return true;
	if (estimate_running)
		return false; /* of an older round: asked again once it is done */
	if (d->loop && estimate_fd < 0) {
		estimate_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (estimate_fd >= 0 && cpool_evloop_add(d->loop, estimate_fd, EPOLLIN,
							 estimate_done, d, &estimate_src)) {
			close(estimate_fd);
			estimate_fd = -1;
		}
		if (estimate_src)
			cpool_evsource_set_name(estimate_src, "expected starts");
	}
	e = estimate_build(d);
	if (!e) {
		estimate_apply(d, NULL, round_epoch);
		return true;
	}
	if (estimate_fd >= 0 && pthread_create(&e->thread, NULL, estimate_thread, e) == 0) {
		estimate_running = e;
		return false;
	}
	/* No thread (or no loop, as in the daemon's tests): here and now, as before. */
	estimate_compute(e);
	estimate_apply(d, e, e->epoch);
	estimate_free(e);
	return true;
}

void jobctl_estimate_close(void)
{
	if (estimate_running) {
		pthread_join(estimate_running->thread, NULL);
		estimate_free(estimate_running);
		estimate_running = NULL;
	}
	if (estimate_src)
		cpool_evloop_remove(estimate_src);
	estimate_src = NULL;
	if (estimate_fd >= 0)
		close(estimate_fd);
	estimate_fd = -1;
	estimated = false;
}

/* ---- what ps and history show ---- */

void jobctl_json(const struct djob *j, json_t *o)
{
	const struct jobctl *c = j->ctl;

	if (!c)
		return;
	if (c->held)
		json_object_set_new(o, "held", json_true());
	if (c->reason && j->rec.state == CPOOL_JOB_QUEUED)
		json_object_set_new(o, "reason", json_string(c->reason));
	if (c->expected_start > 0 && j->rec.state == CPOOL_JOB_QUEUED) {
		json_object_set_new(o, "expected_start", json_real(c->expected_start));
		json_object_set_new(o, "expected_start_by", json_string("reservation"));
	} else if (c->sim_start > 0 && estimated && c->sim_epoch == estimated_epoch &&
		   policy_waits(j)) {
		json_object_set_new(o, "expected_start", json_real(c->sim_start));
		json_object_set_new(o, "expected_start_by", json_string("simulator"));
	}
	if (c->n_deps) {
		char *after = cpool_deps_format(c->deps, c->n_deps);

		if (after)
			json_object_set_new(o, "after", json_string(after));
		free(after);
	}
	if (c->array_id) {
		json_object_set_new(o, "array_job", json_integer(c->array_id));
		json_object_set_new(o, "array_task", json_integer(c->array_task));
	}
}

void jobctl_json_row(const struct cpool_jobctl_row *row, json_t *o)
{
	if (row->reason)
		json_object_set_new(o, "reason", json_string(row->reason));
	if (row->after)
		json_object_set_new(o, "after", json_string(row->after));
	if (row->array_id) {
		json_object_set_new(o, "array_job", json_integer(row->array_id));
		json_object_set_new(o, "array_task", json_integer(row->array_task));
	}
}

void jobctl_json_stored(struct cpoold *d, int64_t id, json_t *o)
{
	struct cpool_jobctl_row row;

	if (cpool_store_jobctl_get(d->store, id, &row))
		return;
	jobctl_json_row(&row, o);
	cpool_jobctl_row_free(&row);
}

bool jobctl_selected(const struct djob *j, const struct cpool_job_select *sel)
{
	const struct jobctl *c = j->ctl;

	if (sel->uid >= 0 && (int64_t)j->rec.uid != sel->uid)
		return false;
	if (sel->state >= 0 && (int)j->rec.state != sel->state)
		return false;
	if (sel->vs && (!j->rec.vs || strcmp(sel->vs, j->rec.vs) != 0))
		return false;
	if (sel->name && (!j->rec.name || strcmp(sel->name, j->rec.name) != 0))
		return false;
	if (!sel->job)
		return true;
	if (c && c->array_id == sel->job)
		return sel->task < 0 || c->array_task == sel->task;
	return sel->task < 0 && j->rec.id == sel->job;
}

/* ---- the ops that name a job or an array: cancel, wait, hold, release, signal, array ---- */

struct targets {
	int64_t *ids;
	size_t n, cap;
	int64_t task; /* the task looked for; -1: all */
};

static int add_target(int64_t id, int64_t task, void *ctx)
{
	struct targets *t = ctx;

	if (t->task >= 0 && task != t->task)
		return 0;
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 16;
		int64_t *v = realloc(t->ids, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		t->ids = v;
		t->cap = cap;
	}
	t->ids[t->n++] = id;
	return 0;
}

/*
 * The jobs a request names: ID_N is one element; ID that heads an array
 * is all of its elements; any other ID is that job.  *@array tells the
 * second case.  An error is a reply.
 */
static json_t *resolve(struct cpoold *d, const struct cpool_request *req, struct targets *t,
		       bool *array)
{
	int r;

	t->task = req->task;
	r = cpool_store_array_foreach(d->store, req->u.job, add_target, t);
	if (r)
		return cpool_reply_error(req->id, r, "read the elements of array %lld: %s",
					 (long long)req->u.job, cpool_store_errmsg(d->store));
	*array = t->n > 0 && req->task < 0;
	if (req->task >= 0 && !t->n)
		return cpool_reply_error(req->id, -ENOENT, "no job %lld_%lld",
					 (long long)req->u.job, (long long)req->task);
	if (!t->n && add_target(req->u.job, -1, t))
		return cpool_reply_error(req->id, -ENOMEM, "out of memory");
	return NULL;
}

static json_t *hold_or_release(struct cpoold *d, struct djob *j, const struct cpool_request *req)
{
	bool hold = req->op == CPOOL_OP_HOLD;
	struct jobctl *c;

	if (j->rec.state != CPOOL_JOB_QUEUED)
		return cpool_reply_error(req->id, -EBUSY, "job %lld is %s: only a queued job is %s",
					 (long long)j->rec.id, cpool_job_state_name(j->rec.state),
					 hold ? "held" : "released");
	c = ctl_of(j);
	if (!c)
		return cpool_reply_error(req->id, -ENOMEM, "out of memory");
	if (c->held == hold)
		return NULL;
	c->held = hold;
	if (store_ctl(d, j, NULL)) {
		c->held = !hold;
		return cpool_reply_error(req->id, -EIO, "store job %lld %s: %s",
					 (long long)j->rec.id, hold ? "held" : "released",
					 cpool_store_errmsg(d->store));
	}
	crash_point(hold ? CRASH_HOLD_STORED : CRASH_RELEASE_STORED);
	log_info("job %lld %s", (long long)j->rec.id, hold ? "held" : "released");
	return NULL;
}

static json_t *send_signal(struct cpoold *d, struct djob *j, const struct cpool_request *req,
			   int *count)
{
	struct cpool_error e = { 0 };
	int r;

	/* A launch still pending has no leaf: its "" would name the whole pool. */
	if ((!jobs_running(j) && j->rec.state != CPOOL_JOB_FROZEN) || j->launch_pending)
		return cpool_reply_error(req->id, -ESRCH, "job %lld is %s: it has no processes",
					 (long long)j->rec.id, cpool_job_state_name(j->rec.state));
	r = cpool_cg_signal(&d->pool, j->leaf, req->signal, &e);
	if (r < 0)
		return cpool_reply_error(req->id, r, "signal job %lld: %s", (long long)j->rec.id,
					 e.msg);
	*count += r;
	log_info("job %lld: signal %d sent to %d processes", (long long)j->rec.id, req->signal, r);
	return NULL;
}

/* Hold, release or signal each job named; the first refusal is the answer when none succeeded. */
static json_t *each_live(struct cpoold *d, const struct cpool_peer *p,
			 const struct cpool_request *req, const struct targets *t, bool array)
{
	json_t *first_error = NULL, *done = json_array();
	int signalled = 0;

	for (size_t i = 0; i < t->n; i++) {
		struct djob *j = jobs_find(d, t->ids[i]);
		json_t *refusal;

		if (!j || !may_see(p->uid, j->rec.uid)) {
			if (array)
				continue; /* an element that ended: nothing to do */
			refusal = j ? cpool_reply_error(req->id, -EPERM,
							"job %lld belongs to another user",
							(long long)t->ids[i]) :
				      cpool_reply_error(req->id, -ENOENT,
							"no live job %lld (it ended, or never was)",
							(long long)t->ids[i]);
		} else if (req->op == CPOOL_OP_SIGNAL) {
			refusal = send_signal(d, j, req, &signalled);
		} else {
			refusal = hold_or_release(d, j, req);
		}
		if (refusal && !first_error)
			first_error = refusal;
		else if (refusal)
			json_decref(refusal);
		else
			json_array_append_new(done, json_integer(t->ids[i]));
	}
	if (!json_array_size(done) && first_error) {
		json_decref(done);
		return first_error;
	}
	json_decref(first_error);
	sched_kick(d);
	return cpool_reply_ok(req->id, json_pack("{s:I, s:o, s:i}", "job", (json_int_t)req->u.job,
						 "jobs", done, "processes", signalled));
}

static json_t *array_list(struct cpoold *d, const struct cpool_peer *p,
			  const struct cpool_request *req, const struct targets *t, bool array)
{
	json_t *elements = json_array();

	if (!array) {
		json_decref(elements);
		return cpool_reply_error(req->id, -ENOENT, "job %lld heads no array",
					 (long long)req->u.job);
	}
	for (size_t i = 0; i < t->n; i++) {
		struct djob *j = jobs_find(d, t->ids[i]);
		struct cpool_jobctl_row row;
		struct cpool_jobrec rec;
		const char *state;

		if (cpool_store_jobctl_get(d->store, t->ids[i], &row))
			continue;
		if (j) {
			if (!may_see(p->uid, j->rec.uid))
				continue;
			state = cpool_job_state_name(j->rec.state);
		} else if (cpool_store_job_get(d->store, t->ids[i], &rec) == 0) {
			bool mine = may_see(p->uid, rec.uid);

			state = cpool_job_state_name(rec.state);
			cpool_jobrec_free(&rec);
			if (!mine)
				continue;
		} else {
			continue;
		}
		json_array_append_new(
			elements, json_pack("{s:I, s:I, s:s}", "job", (json_int_t)t->ids[i], "task",
					    (json_int_t)row.array_task, "state", state));
		cpool_jobctl_row_free(&row);
	}
	if (!json_array_size(elements)) {
		json_decref(elements);
		return cpool_reply_error(req->id, -ENOENT, "no job %lld", (long long)req->u.job);
	}
	return cpool_reply_ok(req->id, json_pack("{s:I, s:o}", "array", (json_int_t)req->u.job,
						 "elements", elements));
}

/* cancel and wait go to the single-job handler, once per job named. */
static json_t *cancel_or_wait(struct cpoold *d, struct cpool_client *cl, const struct cpool_peer *p,
			      const struct cpool_request *req, const struct targets *t, bool array,
			      jobctl_single_fn *single)
{
	json_t *first_error = NULL, *done = json_array();

	if (!array) {
		struct cpool_request one = *req;

		json_decref(done);
		one.u.job = t->ids[0];
		return single(d, cl, p, &one);
	}
	if (req->op == CPOOL_OP_WAIT) {
		json_decref(done);
		return cpool_reply_error(req->id, -EINVAL,
					 "job %lld is an array: wait for its elements (ID_N) one "
					 "by one; the array op lists them",
					 (long long)req->u.job);
	}
	for (size_t i = 0; i < t->n; i++) {
		struct cpool_request one = *req;
		struct djob *j = jobs_find(d, t->ids[i]);
		json_t *reply;

		if (!j || j->cancel_requested)
			continue; /* ended, or being cancelled */
		one.u.job = t->ids[i];
		reply = single(d, cl, p, &one);
		if (json_is_true(json_object_get(reply, "ok"))) {
			json_array_append_new(done, json_integer(t->ids[i]));
			json_decref(reply);
		} else if (!first_error) {
			first_error = reply;
		} else {
			json_decref(reply);
		}
	}
	if (!json_array_size(done) && first_error) {
		json_decref(done);
		return first_error;
	}
	json_decref(first_error);
	return cpool_reply_ok(req->id, json_pack("{s:I, s:s, s:o}", "job", (json_int_t)req->u.job,
						 "state", "cancelled", "jobs", done));
}

json_t *jobctl_handle(struct cpoold *d, struct cpool_client *cl, const struct cpool_peer *p,
		      const struct cpool_request *req, jobctl_single_fn *single)
{
	struct targets t = { 0 };
	bool array = false;
	json_t *reply = resolve(d, req, &t, &array);

	if (!reply) {
		switch (req->op) {
		case CPOOL_OP_CANCEL:
		case CPOOL_OP_WAIT:
			reply = cancel_or_wait(d, cl, p, req, &t, array, single);
			break;
		case CPOOL_OP_ARRAY:
			reply = array_list(d, p, req, &t, array);
			break;
		default:
			reply = each_live(d, p, req, &t, array);
			break;
		}
	}
	free(t.ids);
	return reply;
}
