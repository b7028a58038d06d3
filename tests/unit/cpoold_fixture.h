/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * A struct cpoold for the tests of the daemon's own code: its store in a
 * temporary directory, its records there too, and a pool cgroup path that
 * is that directory, so any cgroup operation fails with ENOENT instead of
 * touching the host's cgroups.
 */
#ifndef CPOOL_TESTS_CPOOLD_FIXTURE_H
#define CPOOL_TESTS_CPOOLD_FIXTURE_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "../../userspace/cpoold/cpoold.h"

/* @dir: a mkdtemp template, filled in. */
static void fixture_open(struct cpoold *d, char *dir)
{
	struct cpool_error err;
	char path[4096];

	memset(d, 0, sizeof(*d));
	log_threshold = CPOOLD_LOG_WARN;
	if (!mkdtemp(dir))
		bail_out("mkdtemp: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/state.db", dir);
	if (cpool_store_open(path, &d->store, &err))
		bail_out("%s", err.msg);
	d->record_dir = dir;
	snprintf(d->pool.path, sizeof(d->pool.path), "%s", dir);
}

/* One API request as @uid, answered by cpoold's handler; NULL when it waits (wait). */
static inline json_t *fixture_ask(struct cpoold *d, uid_t uid, const char *line)
{
	struct cpool_peer peer = { .pid = 1, .uid = uid, .gid = uid };
	struct cpool_request req;
	struct cpool_error err;
	json_t *reply;

	if (cpool_request_parse(line, strlen(line), &req, &err)) {
		reply = cpool_reply_error(req.id, -EINVAL, "%s", err.msg);
		cpool_request_free(&req);
		return reply;
	}
	reply = api_handle(NULL, &peer, &req, d);
	cpool_request_free(&req);
	return reply;
}

/* Cancels what is left, closes the store, removes the directory. */
/*
 * One VS "v" of CPUs 0-1 (@vs, the caller's), default limits but a
 * submission rate that never refills too slowly, the default policy,
 * an event loop and the scheduler: a daemon that schedules, without a
 * kernel behind it.
 */
static inline void fixture_one_vs(struct cpoold *d, struct vsrv *vs)
{
	snprintf(vs->vs.name, sizeof(vs->vs.name), "v");
	cpool_cpuset_set_range(&vs->vs.cpus, 0, 1);
	d->vs = vs;
	d->n_vs = 1;
	cpool_user_limits_default(&d->cfg.limits);
	d->cfg.limits.submit_rate = 1e6;
	cpool_policy_init(&d->policy);
	if (cpool_evloop_new(&d->loop))
		bail_out("evloop");
	sched_init(d);
}

static void fixture_close(struct cpoold *d, const char *dir)
{
	char cmd[4096];

	while (d->jobs) {
		struct cpool_error why;

		jobs_cancel(d, d->jobs, &why);
	}
	limits_free(d);
	cpool_store_close(d->store);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		diag("could not remove %s", dir);
}

#endif /* CPOOL_TESTS_CPOOLD_FIXTURE_H */
