// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Killing a job leaf or a VS from the loop.  With cgroup.kill (5.14+) one
 * write does it.  Without it, cpool_cg_kill() would freeze and wait up to
 * 5 s for the freeze inside the loop; here the freeze is only asked for,
 * what is there is killed at once, and a second pass runs when
 * cgroup.events says frozen (nothing can fork any more), or after
 * KILL_FROZEN_TIMEOUT_NS at the latest.
 *
 * The test build (cpoold-crash) takes the fallback on any kernel when
 * CPOOL_TEST_KILL_FALLBACK=1, so the lab tests it on 6.1 and 6.12.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "cpoold.h"

#define KILL_FROZEN_TIMEOUT_NS (5ULL * 1000 * 1000 * 1000)

struct pending_kill {
	struct cpoold *d;
	char rel[2 * CPOOL_VS_NAME_MAX + 2];
	int fd;
	struct cpool_evsource *src, *timer;
	struct pending_kill *next;
};

static struct pending_kill *pending;

static bool force_fallback(void)
{
#ifdef CPOOL_CRASH_POINTS
	const char *v = getenv("CPOOL_TEST_KILL_FALLBACK");

	return v && strcmp(v, "1") == 0;
#else
	return false;
#endif
}

static void pending_free(struct pending_kill *k)
{
	for (struct pending_kill **pp = &pending; *pp; pp = &(*pp)->next) {
		if (*pp == k) {
			*pp = k->next;
			break;
		}
	}
	if (k->src)
		cpool_evloop_remove(k->src);
	if (k->timer)
		cpool_evloop_remove(k->timer);
	if (k->fd >= 0)
		close(k->fd);
	free(k);
}

/* The second pass: frozen (or given up waiting), nothing forks; kill what is left. */
static void second_pass(struct pending_kill *k)
{
	struct cpool_error e = { 0 };

	if (cpool_cg_kill_pids(&k->d->pool, k->rel, &e) < 0 && e.err != -ENOENT)
		log_warn("kill %s (second pass): %s", k->rel, e.msg);
	pending_free(k);
}

static void on_events(struct cpool_evsource *src, uint32_t events, void *data)
{
	struct pending_kill *k = data;
	struct cpool_error e = { 0 };
	struct cpool_cg_events ev;

	(void)src;
	(void)events;
	cpool_cg_events_drain(k->fd);
	if (cpool_cg_read_events(&k->d->pool, k->rel, &ev, &e) == 0 && ev.populated && !ev.frozen)
		return;
	second_pass(k);
}

static void on_timeout(struct cpool_evsource *src, uint32_t events, void *data)
{
	struct pending_kill *k = data;

	(void)src;
	(void)events;
	log_warn("kill %s: not frozen after %llu s; killing what is there", k->rel,
		 KILL_FROZEN_TIMEOUT_NS / 1000000000ULL);
	second_pass(k);
}

int kill_pending(void)
{
	int n = 0;

	for (struct pending_kill *k = pending; k; k = k->next)
		n++;
	return n;
}

int kill_cgroup(struct cpoold *d, const char *rel, struct cpool_error *e)
{
	struct pending_kill *k;
	bool again;
	int r = cpool_cg_kill_start(&d->pool, rel, force_fallback(), &again, e);

	if (r || !again)
		return r;
	log_debug("kill %s: no cgroup.kill: frozen and killed, again once frozen", rel);
	for (k = pending; k; k = k->next)
		if (strcmp(k->rel, rel) == 0)
			return 0; /* a second pass is due already */
	k = calloc(1, sizeof(*k));
	if (!k)
		return cpool_cg_fail(e, ENOMEM, "kill %s: out of memory", rel);
	k->d = d;
	k->fd = -1;
	snprintf(k->rel, sizeof(k->rel), "%s", rel);
	k->next = pending;
	pending = k;
	if (cpool_cg_events_watch(&d->pool, rel, &k->fd, e) ||
	    cpool_evloop_add(d->loop, k->fd, EPOLLIN, on_events, k, &k->src) ||
	    cpool_evloop_add_timer(d->loop, KILL_FROZEN_TIMEOUT_NS, 0, on_timeout, k, &k->timer)) {
		second_pass(k); /* cannot wait in the loop: the best at once */
		return 0;
	}
	on_events(k->src, 0, k); /* frozen or empty already? */
	return 0;
}
