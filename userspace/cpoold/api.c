// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The API requests (docs/protocol.md): permissions from the caller's
 * SO_PEERCRED identity, then the pool, job and policy operations.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpoold.h"
#include "cpool/store_jobctl.h"
#include "cpool/version.h"

static bool is_root(const struct cpool_peer *p)
{
	return p->uid == 0;
}

static json_t *refuse_non_root(const struct cpool_request *req)
{
	return cpool_reply_error(req->id, -EPERM, "only root may %s the pool (%s)",
				 req->op == CPOOL_OP_POLICY_SET ? "change the policy of" : "change",
				 cpool_op_name(req->op));
}

/* A job the caller may see: their own, or any for root. */
static bool visible(const struct cpool_peer *p, uid_t owner)
{
	return is_root(p) || p->uid == owner;
}

/*
 * ps is sent in parts (cpool_client_stream): encoding thousands of jobs in
 * one go held the loop for seconds under TCG, and a user asking ps in a
 * loop held it all the time.  A part encodes at most PS_PART_JOBS jobs
 * and looks at most at PS_PART_LOOKS, each as it is when its part is
 * made: a job that ends before its part is not listed (history has it),
 * and none is listed twice.  The line is byte for byte the one a single
 * reply would be.
 */
#define PS_PART_JOBS 64
#define PS_PART_LOOKS 2048

enum ps_phase { PS_HEAD, PS_LIVE, PS_UNSAVED, PS_TAIL };

struct ps_stream {
	struct cpoold *d;
	struct cpool_client *c; /* NULL: built at once, for the daemon's tests */
	uint64_t since; /* the round it was asked in: its expected starts are of it or later */
	bool waiting; /* for them, on d->ps_waiting */
	struct ps_stream *wait_next;
	struct cpool_peer peer;
	struct cpool_job_select sel; /* its strings are ps_stream's own */
	json_int_t id;
	enum ps_phase phase;
	bool any; /* a job was written: the next one follows a comma */
	int64_t last_id; /* live: the last job looked at */
	struct djob *next; /* the job after it, while jobs_gen is ... */
	uint64_t gen;
	uint64_t unsaved_max; /* unsaved: kept before the listing began, by unsaved_seq */
	uint64_t unsaved_last; /* the last looked at; 0: none yet */
};

static void ps_release(void *ctx)
{
	struct ps_stream *s = ctx;

	for (struct ps_stream **pp = &s->d->ps_waiting; s->waiting && *pp; pp = &(*pp)->wait_next) {
		if (*pp == s) {
			*pp = s->wait_next;
			break;
		}
	}
	free((char *)s->sel.vs);
	free((char *)s->sel.name);
	free(s);
}

struct strbuf {
	char *p;
	size_t len, cap;
	bool failed;
};

static void sb_add(struct strbuf *b, const char *str, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *p = realloc(b->p, cap);

		if (!p) {
			b->failed = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, str, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/*
 * The reply's line around its list: `{"v":1,...,"result":{"jobs":[` and
 * `]}}\n`, or `],"next":@next}}\n` with a cursor (history).
 */
static void ps_frame(json_int_t id, struct strbuf *b, bool head, int64_t next)
{
	static const char mark[] = "\"jobs\":[]";
	json_t *result = json_pack("{s:[]}", "jobs");
	json_t *empty;

	if (result && next)
		json_object_set_new(result, "next", json_integer(next));
	empty = cpool_reply_ok(id, result);
	char *line = empty ? cpool_message_encode(empty) : NULL;
	char *at = line ? strstr(line, mark) : NULL;

	json_decref(empty);

	if (!at) {
		b->failed = true;
	} else if (head) {
		sb_add(b, line, (size_t)(at - line) + sizeof(mark) - 2);
	} else {
		at += sizeof(mark) - 2;
		sb_add(b, at, strlen(at));
	}
	free(line);
}

static void ps_add(struct ps_stream *s, struct strbuf *b, const struct djob *j, bool unsaved)
{
	json_t *o = jobs_json(&j->rec);
	char *text;

	jobctl_json(j, o);
	if (unsaved)
		json_object_set_new(o, "unsaved", json_true());
	/* The flags of cpool_message_encode(), so the parts make its line. */
	text = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(o);
	if (!text) {
		b->failed = true;
		return;
	}
	if (s->any)
		sb_add(b, ",", 1);
	sb_add(b, text, strlen(text));
	free(text);
	s->any = true;
}

static bool ps_wanted(const struct ps_stream *s, const struct djob *j)
{
	return visible(&s->peer, j->rec.uid) && jobctl_selected(j, &s->sel);
}

/* The first live job after the last one looked at. */
static struct djob *ps_resume(struct ps_stream *s)
{
	struct djob *j;

	if (s->gen == s->d->jobs_gen)
		return s->next;
	/* A job left the table since: the pointer may be stale, the id is not. */
	for (j = s->d->jobs; j && j->rec.id <= s->last_id; j = j->next)
		;
	return j;
}

static int ps_next(void *ctx, char **part, size_t *len)
{
	struct ps_stream *s = ctx;
	struct cpoold *d = s->d;
	struct strbuf b = { 0 };
	int written = 0, looked = 0;

	if (s->phase == PS_HEAD) {
		/*
		 * The expected starts, of the state it was asked in or later:
		 * the simulator replays the pool on a thread of its own, and
		 * the listing begins once it is done.
		 */
		if (!s->c) {
			jobctl_estimate(d);
		} else if (!jobctl_estimate_ready(d, s->since)) {
			if (!s->waiting) {
				s->waiting = true;
				s->wait_next = d->ps_waiting;
				d->ps_waiting = s;
			}
			*part = NULL;
			*len = 0;
			return CPOOL_CLIENT_STREAM_PAUSE;
		}
		ps_frame(s->id, &b, true, 0);
		s->phase = PS_LIVE;
		s->last_id = 0;
		s->gen = d->jobs_gen;
		s->next = d->jobs;
		s->unsaved_max = d->unsaved_seq;
	}
	if (s->phase == PS_LIVE) {
		struct djob *j = ps_resume(s);

		for (; j && written < PS_PART_JOBS && looked < PS_PART_LOOKS; j = j->next) {
			looked++;
			s->last_id = j->rec.id;
			if (ps_wanted(s, j)) {
				ps_add(s, &b, j, false);
				written++;
			}
		}
		s->next = j;
		s->gen = d->jobs_gen;
		if (!j)
			s->phase = PS_UNSAVED;
	}
	if (s->phase == PS_UNSAVED) {
		/*
		 * Ended, but the store has not taken their end yet (unsaved.c).
		 * Only those kept before the listing began: a later one was
		 * listed live already, or ended before its turn.  The list is
		 * newest first.
		 */
		struct djob *j = d->unsaved;

		while (j && (j->unsaved_seq > s->unsaved_max ||
			     (s->unsaved_last && j->unsaved_seq >= s->unsaved_last)))
			j = j->next;
		for (; j && written < PS_PART_JOBS && looked < PS_PART_LOOKS; j = j->next) {
			looked++;
			s->unsaved_last = j->unsaved_seq;
			if (ps_wanted(s, j)) {
				ps_add(s, &b, j, true);
				written++;
			}
		}
		if (!j)
			s->phase = PS_TAIL;
	}
	if (s->phase == PS_TAIL)
		ps_frame(s->id, &b, false, 0);
	if (b.failed) {
		free(b.p);
		return -ENOMEM;
	}
	*part = b.p;
	*len = b.len;
	return s->phase == PS_TAIL ? 0 : 1;
}

void api_estimate_ready(struct cpoold *d)
{
	struct ps_stream *s = d->ps_waiting;

	d->ps_waiting = NULL;
	while (s) {
		struct ps_stream *next = s->wait_next;

		s->waiting = false;
		s->wait_next = NULL;
		cpool_client_stream_resume(s->c); /* may ask for another, of a later round */
		s = next;
	}
}

static json_t *op_ps(struct cpoold *d, struct cpool_client *c, const struct cpool_peer *p,
		     const struct cpool_request *req)
{
	struct ps_stream *s = calloc(1, sizeof(*s));
	struct strbuf all = { 0 };
	json_t *reply;
	int r;

	if (!s)
		return cpool_reply_error(req->id, -ENOMEM, "out of memory");
	*s = (struct ps_stream){ .d = d,
				 .c = c,
				 .since = jobctl_round_epoch(),
				 .peer = *p,
				 .sel = req->select,
				 .id = req->id };
	s->sel.vs = req->select.vs ? strdup(req->select.vs) : NULL;
	s->sel.name = req->select.name ? strdup(req->select.name) : NULL;
	if ((req->select.vs && !s->sel.vs) || (req->select.name && !s->sel.name)) {
		ps_release(s);
		return cpool_reply_error(req->id, -ENOMEM, "out of memory");
	}
	if (c) {
		r = cpool_client_stream(c, ps_next, ps_release, s);
		if (!r)
			return NULL;
		ps_release(s);
		return cpool_reply_error(req->id, r, "ps: %s", strerror(-r));
	}
	/* No connection (the daemon's own tests): the parts, at once, as one reply. */
	do {
		char *part = NULL;
		size_t len = 0;

		r = ps_next(s, &part, &len);
		if (r >= 0 && part)
			sb_add(&all, part, len);
		free(part);
	} while (r > 0);
	ps_release(s);
	reply = r || all.failed ? NULL : json_loadb(all.p, all.len, 0, NULL);
	free(all.p);
	return reply ?: cpool_reply_error(req->id, -ENOMEM, "out of memory");
}

/*
 * One page of history: at most @limit jobs, and the cursor of the next
 * page when there is one, so no reply grows with the whole history.  The
 * page is sent in parts too, as ps is: 500 ended jobs read and encoded
 * in one callback held the loop 653 ms under TCG.  A part reads one
 * slice of the table, at most HIST_PART_LOOKS rows of any state (bounded
 * by cpool_store_job_id_ahead, so a user's sparse history is no longer
 * scan either) and encodes at most HIST_PART_JOBS of them, each with its
 * job-control row from the same query.  A job whose end is stored before
 * its slice is read is listed, one stored later is not (the next page,
 * or history read again, has it); none is listed twice.  The line is byte
 * for byte the one reply of old.
 */
#define HIST_PART_JOBS 64
#define HIST_PART_LOOKS 1024

struct hist_stream {
	struct cpoold *d;
	struct cpool_job_filter f; /* after_id: the last row read; its strings are the stream's */
	json_int_t id;
	int limit, written;
	int rows; /* read in this part's slice */
	bool begun, done;
	int64_t last; /* the last job listed */
	int64_t next; /* the cursor, once a job past the page is seen */
	struct strbuf *b; /* the part being made */
};

static void hist_release(void *ctx)
{
	struct hist_stream *s = ctx;

	free((char *)s->f.vs);
	free((char *)s->f.name);
	free(s);
}

static int hist_add(const struct cpool_jobrec *r, const struct cpool_jobctl_row *row, void *ctx)
{
	struct hist_stream *s = ctx;
	json_t *o;
	char *text;

	s->f.after_id = r->id;
	s->rows++;
	if (s->written == s->limit) {
		/* One more than the page holds: there is a next page. */
		s->next = s->last;
		return 1;
	}
	o = jobs_json(r);
	jobctl_json_row(row, o);
	/* The flags of cpool_message_encode(), so the parts make its line. */
	text = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(o);
	if (!text)
		return -ENOMEM;
	if (s->written)
		sb_add(s->b, ",", 1);
	sb_add(s->b, text, strlen(text));
	free(text);
	s->written++;
	s->last = r->id;
	return 0;
}

static int hist_next(void *ctx, char **part, size_t *len)
{
	struct hist_stream *s = ctx;
	struct strbuf b = { 0 };
	int64_t upto;
	int r, want;

	s->b = &b;
	if (!s->begun) {
		ps_frame(s->id, &b, true, 0);
		s->begun = true;
	}
	r = cpool_store_job_id_ahead(s->d->store, s->f.after_id, HIST_PART_LOOKS, &upto);
	if (!r) {
		/* The page's rest and one more, which says whether a next page follows. */
		want = s->limit - s->written + 1;
		s->f.upto_id = upto;
		s->f.limit = want < HIST_PART_JOBS ? want : HIST_PART_JOBS;
		s->rows = 0;
		r = cpool_store_job_foreach_ctl(s->d->store, &s->f, hist_add, s);
		if (r == 1) {
			s->done = true; /* the cursor found */
			r = 0;
		} else if (!r && s->rows < s->f.limit) {
			/* The whole window read: the next part reads on from its end. */
			if (upto)
				s->f.after_id = upto;
			else
				s->done = true;
		}
		/* A full slice: the next part reads on from its last job. */
	}
	if (r < 0 || b.failed) {
		log_warn("history: read the jobs after %lld: %s", (long long)s->f.after_id,
			 r == -ENOMEM || b.failed ? "out of memory" :
						    cpool_store_errmsg(s->d->store));
		free(b.p);
		return r < 0 ? r : -ENOMEM;
	}
	if (s->done)
		ps_frame(s->id, &b, false, s->next);
	*part = b.p;
	*len = b.len;
	return s->done ? 0 : 1;
}

static json_t *op_history(struct cpoold *d, struct cpool_client *c, const struct cpool_peer *p,
			  const struct cpool_request *req)
{
	struct hist_stream *s;
	struct strbuf all = { 0 };
	json_t *reply;
	int64_t uid;
	int r;

	if (req->u.history.uid >= 0) {
		if (!is_root(p) && (uid_t)req->u.history.uid != p->uid)
			return cpool_reply_error(req->id, -EPERM,
						 "only root may read other users' history");
		uid = req->u.history.uid;
	} else {
		uid = is_root(p) ? -1 : (int64_t)p->uid;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return cpool_reply_error(req->id, -ENOMEM, "out of memory");
	*s = (struct hist_stream){
		.d = d,
		.f = { .finished_only = true,
		       .since = req->u.history.since,
		       .uid = uid,
		       .after_id = req->u.history.after,
		       .until = req->select.until,
		       .state = req->select.state >= 0 ? cpool_job_state_name(req->select.state) :
							 NULL,
		       .vs = req->select.vs ? strdup(req->select.vs) : NULL,
		       .name = req->select.name ? strdup(req->select.name) : NULL,
		       .job = req->select.job,
		       .task = req->select.task },
		.id = req->id,
		.limit = req->u.history.limit > 0 ? req->u.history.limit : CPOOL_PROTO_HISTORY_PAGE,
	};
	if ((req->select.vs && !s->f.vs) || (req->select.name && !s->f.name)) {
		hist_release(s);
		return cpool_reply_error(req->id, -ENOMEM, "out of memory");
	}
	if (c) {
		r = cpool_client_stream(c, hist_next, hist_release, s);
		if (!r)
			return NULL;
		hist_release(s);
		return cpool_reply_error(req->id, r, "history: %s", strerror(-r));
	}
	/* No connection (the daemon's own tests): the parts, at once, as one reply. */
	do {
		char *part = NULL;
		size_t len = 0;

		r = hist_next(s, &part, &len);
		if (r >= 0 && part)
			sb_add(&all, part, len);
		free(part);
	} while (r > 0);
	reply = r || all.failed ? NULL : json_loadb(all.p, all.len, 0, NULL);
	free(all.p);
	if (!reply && r && r != -ENOMEM)
		reply = cpool_reply_error(req->id, r, "read the history: %s",
					  cpool_store_errmsg(d->store));
	hist_release(s);
	return reply ?: cpool_reply_error(req->id, -ENOMEM, "out of memory");
}

static json_t *op_job(struct cpoold *d, struct cpool_client *c, const struct cpool_peer *p,
		      const struct cpool_request *req)
{
	struct djob *j = jobs_find(d, req->u.job);
	struct cpool_jobrec rec;
	struct cpool_error err;
	int r;

	if (!j && (j = unsaved_find(d, req->u.job)) && visible(p, j->rec.uid)) {
		/* Ended; the store does not know it yet, memory does. */
		json_t *o;

		if (req->op == CPOOL_OP_CANCEL)
			return cpool_reply_error(req->id, -EALREADY, "job %lld has already ended",
						 (long long)req->u.job);
		o = jobs_json(&j->rec);
		jobctl_json(j, o);
		return cpool_reply_ok(req->id, o);
	}
	if (j && j->unsaved_tries)
		j = NULL; /* another user's: as if unknown, from the store below */
	if (!j) {
		/* Ended jobs live only in the store. */
		r = cpool_store_job_get(d->store, req->u.job, &rec);
		if (r == -ENOENT || (r == 0 && !visible(p, rec.uid))) {
			if (r == 0)
				cpool_jobrec_free(&rec);
			return cpool_reply_error(req->id, -ENOENT, "no job %lld",
						 (long long)req->u.job);
		}
		if (r)
			return cpool_reply_error(req->id, r, "read job %lld: %s",
						 (long long)req->u.job,
						 cpool_store_errmsg(d->store));
		if (req->op == CPOOL_OP_CANCEL) {
			cpool_jobrec_free(&rec);
			return cpool_reply_error(req->id, -EALREADY, "job %lld has already ended",
						 (long long)req->u.job);
		}
		{
			json_t *o = jobs_json(&rec);

			/* An array element says which, as history does. */
			jobctl_json_stored(d, rec.id, o);
			cpool_jobrec_free(&rec);
			return cpool_reply_ok(req->id, o);
		}
	}
	if (!visible(p, j->rec.uid))
		return req->op == CPOOL_OP_CANCEL ?
			       cpool_reply_error(req->id, -EPERM,
						 "job %lld belongs to another user",
						 (long long)req->u.job) :
			       cpool_reply_error(req->id, -ENOENT, "no job %lld",
						 (long long)req->u.job);
	if (req->op == CPOOL_OP_WAIT) {
		if (jobs_add_waiter(j, c, req->id))
			return cpool_reply_error(req->id, -ENOMEM, "out of memory");
		return NULL; /* answered when the job ends */
	}
	if (j->cancel_requested)
		return cpool_reply_error(req->id, -EALREADY, "job %lld is being cancelled",
					 (long long)req->u.job);
	r = jobs_cancel(d, j, &err);
	if (r)
		return cpool_reply_error(req->id, r, "cancel job %lld: %s", (long long)req->u.job,
					 err.msg);
	return cpool_reply_ok(req->id, json_pack("{s:I, s:s}", "job", (json_int_t)req->u.job,
						 "state", "cancelled"));
}

static json_t *op_vs(struct cpoold *d, struct cpool_client *c, const struct cpool_peer *p,
		     const struct cpool_request *req)
{
	struct cpool_error err = { 0 };
	int r;

	if (!is_root(p))
		return refuse_non_root(req);
	switch (req->op) {
	case CPOOL_OP_VS_CREATE:
		r = pool_vs_create(d, req->u.vs.name, req->u.vs.spec, &err);
		break;
	case CPOOL_OP_VS_RESIZE:
		r = pool_vs_resize(d, req->u.vs.name, req->u.vs.spec, &err);
		break;
	default:
		r = pool_vs_destroy(d, req->u.vs.name, c, req->id, &err);
		if (!r)
			return NULL; /* answered once the VS is empty and removed */
		break;
	}
	if (r)
		return cpool_reply_error(req->id, r, "%s", err.msg);
	sched_kick(d);
	return cpool_reply_ok(req->id, pool_vs_json(d, pool_find(d, req->u.vs.name)));
}

static json_t *policy_json(const struct cpool_policy *pol)
{
	return json_pack("{s:s, s:s, s:f, s:f}", "policy", cpool_sched_name(pol->sched),
			 "placement", cpool_place_name(pol->place), "quantum",
			 (double)pol->quantum_us / 1e6, "admit_p99",
			 (double)pol->admit_p99_us / 1e6);
}

static json_t *op_policy_set(struct cpoold *d, const struct cpool_peer *p,
			     const struct cpool_request *req)
{
	struct cpool_policy pol = d->policy;
	char buf[32];

	if (!is_root(p))
		return refuse_non_root(req);
	if (req->u.policy.policy && cpool_sched_parse(req->u.policy.policy, &pol.sched))
		return cpool_reply_error(req->id, -EINVAL, "policy '%s': use one of %s",
					 req->u.policy.policy, cpool_sched_names());
	if (req->u.policy.placement && cpool_place_parse(req->u.policy.placement, &pol.place))
		return cpool_reply_error(req->id, -EINVAL, "placement '%s': use one of %s",
					 req->u.policy.placement, cpool_place_names());
	if (req->u.policy.quantum) {
		if (req->u.policy.quantum < 0.001 || req->u.policy.quantum > 3600)
			return cpool_reply_error(req->id, -EINVAL, "quantum %g s: use 1 ms to 1 h",
						 req->u.policy.quantum);
		pol.quantum_us = (int64_t)(req->u.policy.quantum * 1e6);
	}
	if (req->u.policy.admit_p99 >= 0) {
		if (req->u.policy.admit_p99 > 3600)
			return cpool_reply_error(req->id, -EINVAL,
						 "admit_p99 %g s: use 0 (off) to 1 h",
						 req->u.policy.admit_p99);
		pol.admit_p99_us = llround(req->u.policy.admit_p99 * 1e6);
	}
	d->policy = pol;
	cpool_store_setting_put(d->store, "policy", cpool_sched_name(pol.sched));
	cpool_store_setting_put(d->store, "placement", cpool_place_name(pol.place));
	snprintf(buf, sizeof(buf), "%lld", (long long)pol.quantum_us);
	cpool_store_setting_put(d->store, "quantum_us", buf);
	snprintf(buf, sizeof(buf), "%lld", (long long)pol.admit_p99_us);
	cpool_store_setting_put(d->store, "admit_p99_us", buf);
	log_info("policy %s, placement %s, quantum %lld us, admit_p99 %lld us",
		 cpool_sched_name(pol.sched), cpool_place_name(pol.place),
		 (long long)pol.quantum_us, (long long)pol.admit_p99_us);
	sched_kick(d);
	return cpool_reply_ok(req->id, policy_json(&pol));
}

static json_t *op_top(struct cpoold *d, const struct cpool_request *req)
{
	json_t *vs = json_array();

	for (int i = 0; i < d->n_vs; i++) {
		json_t *o = pool_vs_json(d, &d->vs[i]);

		json_object_del(o, "spec");
		if (d->vs[i].measured) {
			struct cpool_kmetrics_cpu_sum sum;

			json_object_set_new(o, "rq_p50_us", json_integer(d->vs[i].rq_p50_us));
			/* The window's raw times, so a client can weigh RUL itself. */
			cpool_kmetrics_cpu_sum(&d->window, &d->vs[i].vs.cpus, &sum);
			json_object_set_new(o, "busy_ns", json_integer((json_int_t)sum.busy_ns));
			json_object_set_new(o, "idle_ns", json_integer((json_int_t)sum.idle_ns));
		}
		json_array_append_new(vs, o);
	}
	return cpool_reply_ok(req->id, json_pack("{s:f, s:b, s:f, s:o, s:o}", "time", now_s(),
						 "degraded", metrics_degraded(d), "interval", 1.0,
						 "vservers", vs, "cpus", metrics_top_cpus(d)));
}

#define US(ns) ((json_int_t)((ns) / 1000))

/* The metrics ticks: CPU, and the wall clock by part (read, fold, store), summed and longest. */
static json_t *tick_json(const struct metrics_tick_cost *t)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:{s:I, s:I, s:I, s:I}}", "ticks",
			 (json_int_t)t->ticks, "cpu_us", US(t->cpu_ns), "last_cpu_us",
			 US(t->last_cpu_ns), "max_cpu_us", US(t->max_cpu_ns), "read_us",
			 US(t->read_ns), "fold_us", US(t->fold_ns), "store_us", US(t->store_ns),
			 "longest", "wall_us", US(t->max_wall_ns), "read_us", US(t->max_read_ns),
			 "fold_us", US(t->max_fold_ns), "store_us", US(t->max_store_ns));
}

/* How the collector found the cgroups of the ids its map holds. */
static json_t *cgroup_ids_json(struct cpoold *d)
{
	struct cpool_collector_ids ids;
	json_t *o;

	cpool_collector_id_stats(d->collector, &ids);
	o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "by_handle", (json_int_t)ids.by_handle,
		      "by_walk", (json_int_t)ids.by_walk, "walks", (json_int_t)ids.walks, "stale",
		      (json_int_t)ids.stale, "known", (json_int_t)ids.known, "pending_retry",
		      (json_int_t)ids.pending);
	if (o && ids.walk_reason)
		json_object_set_new(o, "walk_reason", json_string(ids.walk_reason));
	return o;
}

/* The busiest things the loop did since cpoold started: where rr's rounds go, say. */
static json_t *loop_busy_json(struct cpoold *d)
{
	struct cpool_evloop_busy b[8];
	size_t n = cpool_evloop_busy(d->loop, b, sizeof(b) / sizeof(b[0]));
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_pack("{s:s, s:I, s:I, s:I}", "what", b[i].what,
						   "dispatches", (json_int_t)b[i].dispatches,
						   "busy_us", (json_int_t)(b[i].busy_ns / 1000),
						   "max_us", (json_int_t)(b[i].max_ns / 1000)));
	return a;
}

/* The event loop's health, for any user: a stalled loop answers nobody. */
static json_t *op_stats(struct cpoold *d, const struct cpool_request *req)
{
	struct cpool_evloop_stats st;
	struct metrics_tick_cost tick;
	int n[CPOOL_JOB__COUNT] = { 0 };
	json_t *o;

	/* One walk, not one per state: with 10 000 jobs each walk is milliseconds under TCG. */
	for (struct djob *j = d->jobs; j; j = j->next)
		if ((unsigned)j->rec.state < CPOOL_JOB__COUNT)
			n[j->rec.state]++;
	cpool_evloop_stats(d->loop, &st, true);
	o = json_pack("{s:I, s:I, s:I, s:i, s:i, s:i, s:i}", "loop_rounds", (json_int_t)st.rounds,
		      "loop_stall_max_us", (json_int_t)(st.stall_max_ns / 1000),
		      "loop_stall_window_us", (json_int_t)(st.stall_window_ns / 1000), "queued",
		      n[CPOOL_JOB_QUEUED], "starting", n[CPOOL_JOB_STARTING], "running",
		      n[CPOOL_JOB_RUNNING], "frozen", n[CPOOL_JOB_FROZEN]);
	if (o && st.stall_max_what)
		json_object_set_new(o, "loop_stall_max_what", json_string(st.stall_max_what));
	if (o && st.stall_window_what)
		json_object_set_new(o, "loop_stall_window_what", json_string(st.stall_window_what));
	if (o)
		json_object_set_new(o, "loop_busy", loop_busy_json(d));
	if (o && d->last_reload)
		json_object_set(o, "last_reload", d->last_reload);
	metrics_tick_cost(d, &tick);
	if (o)
		json_object_set_new(o, "metrics_tick", tick_json(&tick));
	if (o && d->collector)
		json_object_set_new(o, "cgroup_ids", cgroup_ids_json(d));
	if (o)
		json_object_set_new(o, "switches", switchcost_json(d));
	return cpool_reply_ok(req->id, o);
}

json_t *api_handle(struct cpool_client *c, const struct cpool_peer *p,
		   const struct cpool_request *req, void *data)
{
	struct cpoold *d = data;

	switch (req->op) {
	case CPOOL_OP_HELLO:
		return cpool_reply_ok(
			req->id, json_pack("{s:s, s:i, s:i, s:s, s:b}", "version", CPOOL_VERSION,
					   "protocol", CPOOL_PROTO_VERSION, "uid", (int)p->uid,
					   "pool", d->cfg.name, "degraded", metrics_degraded(d)));
	case CPOOL_OP_SUBMIT: {
		struct cpool_error err;
		json_t *result = NULL;
		int r;

		if (req->u.submit.attach)
			return run_submit(d, c, p, req);
		r = limits_check_submit(d, p->uid, &req->u.submit, &err);

		if (!r)
			r = jobctl_submit(d, &req->u.submit, p->uid, p->gid, &result, &err);

		if (r)
			return cpool_reply_error(req->id, r, "%s", err.msg);
		return cpool_reply_ok(req->id, result);
	}
	case CPOOL_OP_PS:
		return op_ps(d, c, p, req);
	case CPOOL_OP_CANCEL:
	case CPOOL_OP_WAIT:
	case CPOOL_OP_HOLD:
	case CPOOL_OP_RELEASE:
	case CPOOL_OP_SIGNAL:
	case CPOOL_OP_ARRAY:
		return jobctl_handle(d, c, p, req, op_job);
	case CPOOL_OP_HISTORY:
		return op_history(d, c, p, req);
	case CPOOL_OP_VS_LIST: {
		json_t *list = json_array();

		for (int i = 0; i < d->n_vs; i++)
			json_array_append_new(list, pool_vs_json(d, &d->vs[i]));
		return cpool_reply_ok(req->id, json_pack("{s:o}", "vservers", list));
	}
	case CPOOL_OP_VS_CREATE:
	case CPOOL_OP_VS_RESIZE:
	case CPOOL_OP_VS_DESTROY:
		return op_vs(d, c, p, req);
	case CPOOL_OP_POLICY_GET:
		return cpool_reply_ok(req->id, policy_json(&d->policy));
	case CPOOL_OP_POLICY_SET:
		return op_policy_set(d, p, req);
	case CPOOL_OP_TOP:
		return op_top(d, req);
	case CPOOL_OP_STATS:
		return op_stats(d, req);
	case CPOOL_OP_ATTACH:
		return attach_handle(d, c, p, req);
	case CPOOL_OP_ATTACH_STARTED:
		return attach_started_handle(d, p, req);
	case CPOOL_OP_RELOAD: {
		json_t *result;
		struct cpool_error why;
		int r;

		if (!is_root(p))
			return refuse_non_root(req);
		r = reload_run(d, &result, &why);
		return r ? cpool_reply_error(req->id, r, "%s", why.msg) :
			   cpool_reply_ok(req->id, result);
	}
	case CPOOL_OP_SHARE: {
		json_t *share = share_json(d);

		return share ? cpool_reply_ok(req->id, share) :
			       cpool_reply_error(req->id, -ENOMEM, "out of memory");
	}
	default:
		return cpool_reply_error(req->id, -EINVAL, "unknown operation");
	}
}

void api_client_closed(struct cpool_client *c, void *data)
{
	jobs_forget_client(data, c);
	vs_destroy_forget_client(c);
	run_client_closed(data, c);
}
