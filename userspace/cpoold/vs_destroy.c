// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * `cpool vs destroy` without a wait in the loop: the VS's jobs are
 * cancelled and its subtree killed at once, then its cgroup.events is
 * watched until the kernel says it is empty, and only then are the
 * cgroups removed and the requester answered, or answered with an error
 * after VS_DESTROY_TIMEOUT_NS (a process stuck in the kernel, D state).
 * Meanwhile the VS takes no job: submissions to it are refused and the
 * scheduler sees it with no free CPUs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "cpoold.h"

#define VS_DESTROY_TIMEOUT_NS (10ULL * 1000 * 1000 * 1000)

struct vs_destroy {
	struct cpoold *d;
	char name[CPOOL_VS_NAME_MAX + 1];
	struct cpool_client *client; /* NULL once it hung up */
	json_int_t req_id;
	int fd; /* cgroup.events, inotify */
	struct cpool_evsource *src, *timer;
	struct vs_destroy *next;
};

static struct vs_destroy *pending;

static void destroy_free(struct vs_destroy *x)
{
	for (struct vs_destroy **pp = &pending; *pp; pp = &(*pp)->next) {
		if (*pp == x) {
			*pp = x->next;
			break;
		}
	}
	if (x->src)
		cpool_evloop_remove(x->src);
	if (x->timer)
		cpool_evloop_remove(x->timer);
	if (x->fd >= 0)
		close(x->fd);
	free(x);
}

static void reply(struct vs_destroy *x, json_t *msg)
{
	if (x->client)
		cpool_client_send(x->client, msg);
	else
		json_decref(msg);
}

/* Empty, or @timed_out: remove the cgroups and forget the VS, or say why not. */
static void destroy_finish(struct vs_destroy *x, bool timed_out)
{
	struct cpoold *d = x->d;
	struct vsrv *v = pool_find(d, x->name);
	struct cpool_error err = { 0 };
	int r;

	if (timed_out)
		r = cpool_error_set(&err, -ETIMEDOUT,
				    "vserver %s: its processes were killed but are still there "
				    "after %llu s (stuck in the kernel?); try again later",
				    x->name, VS_DESTROY_TIMEOUT_NS / 1000000000ULL);
	else
		r = pool_vs_remove(d, x->name, &err);
	if (r) {
		log_err("destroy vserver %s: %s", x->name, err.msg);
		if (v)
			v->destroying = false;
		reply(x, cpool_reply_error(x->req_id, r, "%s", err.msg));
	} else {
		reply(x, cpool_reply_ok(x->req_id, json_pack("{s:s}", "name", x->name)));
	}
	destroy_free(x);
	sched_kick(d);
}

static void on_events(struct cpool_evsource *src, uint32_t events, void *data)
{
	struct vs_destroy *x = data;
	struct cpool_error e = { 0 };
	struct cpool_cg_events ev;

	(void)src;
	(void)events;
	cpool_cg_events_drain(x->fd);
	if (cpool_cg_read_events(&x->d->pool, x->name, &ev, &e) == 0 && ev.populated)
		return;
	destroy_finish(x, false);
}

static void on_timeout(struct cpool_evsource *src, uint32_t events, void *data)
{
	(void)src;
	(void)events;
	destroy_finish(data, true);
}

int vs_destroy_start(struct cpoold *d, struct vsrv *v, struct cpool_client *c, json_int_t req_id,
		     struct cpool_error *error)
{
	struct cpool_error e = { 0 };
	struct vs_destroy *x = calloc(1, sizeof(*x));

	if (!x)
		return cpool_error_set(error, -ENOMEM, "out of memory");
	x->d = d;
	x->client = c;
	x->req_id = req_id;
	x->fd = -1;
	snprintf(x->name, sizeof(x->name), "%s", v->vs.name);
	/* Watch before the kill: an emptying between the two is not missed. */
	if (cpool_cg_events_watch(&d->pool, x->name, &x->fd, &e) ||
	    cpool_evloop_add(d->loop, x->fd, EPOLLIN, on_events, x, &x->src) ||
	    cpool_evloop_add_timer(d->loop, VS_DESTROY_TIMEOUT_NS, 0, on_timeout, x, &x->timer)) {
		int r = e.err ? e.err : -errno;

		cpool_error_set(error, r, "destroy vserver %s: watch it empty: %s", x->name,
				e.err ? e.msg : strerror(-r));
		destroy_free(x);
		return r;
	}
	/* The whole subtree: stray processes of ended jobs too. */
	if (kill_cgroup(d, x->name, &e)) {
		cpool_error_set(error, e.err, "%s", e.msg);
		destroy_free(x);
		return e.err;
	}
	v->destroying = true;
	x->next = pending;
	pending = x;
	on_events(x->src, 0, x); /* empty already? */
	return 0;
}

void vs_destroy_forget_client(struct cpool_client *c)
{
	for (struct vs_destroy *x = pending; x; x = x->next)
		if (x->client == c)
			x->client = NULL;
}
