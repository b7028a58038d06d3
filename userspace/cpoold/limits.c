// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * What one user may take of a shared pool ([limits] in pool.ini,
 * docs/config.md): queued jobs, submissions per second, CPUs of running
 * jobs, and negative priorities (root's, like nice).  Root is exempt: it
 * is the one who mends a pool a user has filled.  Connections are counted
 * by the API server itself (apiserver.c), which knows them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "cpoold.h"

/* One user's submission bucket: @tokens refilled at submit_rate, up to submit_burst. */
struct user_bucket {
	uid_t uid;
	double tokens;
	double last;
};

static int queued_jobs_of(const struct cpoold *d, uid_t uid)
{
	int n = 0;

	for (const struct djob *j = d->jobs; j; j = j->next)
		n += j->rec.uid == uid && !jobs_running(j) && !j->cancel_requested;
	return n;
}

static int running_cpus_of(const struct cpoold *d, uid_t uid)
{
	int n = 0;

	for (const struct djob *j = d->jobs; j; j = j->next)
		if (j->rec.uid == uid && jobs_running(j))
			n += j->rec.cpus;
	return n;
}

static struct user_bucket *bucket_of(struct cpoold *d, uid_t uid, double now)
{
	const struct cpool_user_limits *l = &d->cfg.limits;
	struct user_bucket *b;
	int i, kept = 0;

	for (i = 0; i < d->n_buckets; i++)
		if (d->buckets[i].uid == uid)
			return &d->buckets[i];
	/* A full bucket says nothing a new one would not: forget it, so the table stays small. */
	for (i = 0; i < d->n_buckets; i++) {
		b = &d->buckets[i];
		if (b->tokens + (now - b->last) * l->submit_rate < l->submit_burst)
			d->buckets[kept++] = *b;
	}
	d->n_buckets = kept;
	b = realloc(d->buckets, sizeof(*b) * (size_t)(d->n_buckets + 1));
	if (!b)
		return NULL;
	d->buckets = b;
	b = &d->buckets[d->n_buckets++];
	*b = (struct user_bucket){ .uid = uid, .tokens = l->submit_burst, .last = now };
	return b;
}

int limits_check_submit(struct cpoold *d, uid_t uid, const struct cpool_submit_req *s,
			struct cpool_error *error)
{
	const struct cpool_user_limits *l = &d->cfg.limits;
	struct user_bucket *b;
	double now = now_s();
	int n;

	if (uid == 0)
		return 0;
	if (s->priority < 0) {
		return cpool_error_set(
			error, -EPERM,
			"priority %d: only root may submit a negative priority (like nice); use "
			"0 to 19",
			s->priority);
	}
	if (l->queued_jobs_per_user && (n = queued_jobs_of(d, uid)) >= l->queued_jobs_per_user) {
		return cpool_error_set(
			error, -EDQUOT,
			"uid %u has %d jobs queued: the limit is %d (queued_jobs_per_user); wait "
			"for some to start or cancel some",
			(unsigned)uid, n, l->queued_jobs_per_user);
	}
	b = bucket_of(d, uid, now);
	if (!b)
		return cpool_error_set(error, -ENOMEM, "out of memory");
	b->tokens += (now - b->last) * l->submit_rate;
	if (b->tokens > l->submit_burst)
		b->tokens = l->submit_burst;
	b->last = now;
	if (b->tokens < 1) {
		return cpool_error_set(
			error, -EAGAIN,
			"uid %u submits too fast: the limit is %g per second (submit_rate) after "
			"a burst of %d (submit_burst); try again in %.1f s",
			(unsigned)uid, l->submit_rate, l->submit_burst,
			(1 - b->tokens) / l->submit_rate);
	}
	b->tokens -= 1;
	return 0;
}

bool limits_refuse_start(struct cpoold *d, const struct djob *j)
{
	const struct cpool_user_limits *l = &d->cfg.limits;
	int running;

	if (!l->running_cpus_per_user || j->rec.uid == 0)
		return false;
	running = running_cpus_of(d, j->rec.uid);
	if (running + j->rec.cpus <= l->running_cpus_per_user)
		return false;
	log_debug("job %lld waits: uid %u runs %d CPUs, %d more would pass running_cpus_per_user "
		  "= %d",
		  (long long)j->rec.id, (unsigned)j->rec.uid, running, j->rec.cpus,
		  l->running_cpus_per_user);
	return true;
}

void limits_free(struct cpoold *d)
{
	free(d->buckets);
	d->buckets = NULL;
	d->n_buckets = 0;
}
