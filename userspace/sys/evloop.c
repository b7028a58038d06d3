// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "cpool/evloop.h"

struct cpool_evsource {
	struct cpool_evloop *loop;
	int fd;
	bool owns_fd; /* timers own their timerfd */
	bool dead; /* removed while the loop may still hold its pointer */
	cpool_ev_fn fn;
	void *data;
	const char *name;
	struct cpool_evsource *next_dead;
};

struct cpool_evloop {
	int epfd;
	bool quit;
	int code;
	bool dispatching;
	struct cpool_evsource *dead; /* freed after the current round */
	struct cpool_evsource *stale; /* removed after their fd was closed: freed with the loop */
	struct cpool_evloop_stats stats;
	const char *note; /* what the current dispatch says it does */
	struct cpool_evloop_busy busy[CPOOL_EVLOOP_BUSY_MAX];
	size_t n_busy;
};

int cpool_evloop_new(struct cpool_evloop **out)
{
	struct cpool_evloop *loop = calloc(1, sizeof(*loop));

	if (!loop)
		return -ENOMEM;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		int r = -errno;

		free(loop);
		return r;
	}
	*out = loop;
	return 0;
}

static void reap_dead(struct cpool_evloop *loop)
{
	while (loop->dead) {
		struct cpool_evsource *s = loop->dead;

		loop->dead = s->next_dead;
		free(s);
	}
}

void cpool_evloop_free(struct cpool_evloop *loop)
{
	if (!loop)
		return;
	reap_dead(loop);
	close(loop->epfd);
	/* No epoll instance, no event: the stale ones can go now. */
	loop->dead = loop->stale;
	reap_dead(loop);
	free(loop);
}

int cpool_evloop_add(struct cpool_evloop *loop, int fd, uint32_t events, cpool_ev_fn fn, void *data,
		     struct cpool_evsource **out)
{
	struct cpool_evsource *s = calloc(1, sizeof(*s));
	struct epoll_event ev = { .events = events };

	if (!s)
		return -ENOMEM;
	s->loop = loop;
	s->fd = fd;
	s->fn = fn;
	s->data = data;
	ev.data.ptr = s;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int r = -errno;

		free(s);
		return r;
	}
	if (out)
		*out = s;
	return 0;
}

int cpool_evloop_modify(struct cpool_evsource *s, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = s };

	return epoll_ctl(s->loop->epfd, EPOLL_CTL_MOD, s->fd, &ev) < 0 ? -errno : 0;
}

void cpool_evloop_remove(struct cpool_evsource *s)
{
	if (!s || s->dead)
		return;
	s->dead = true;
	if (epoll_ctl(s->loop->epfd, EPOLL_CTL_DEL, s->fd, NULL) < 0) {
		/*
		 * The fd was closed first (or its number reused): the kernel may
		 * still hold the registration, and report it with this pointer,
		 * for as long as another process has the file open.  A source
		 * kept dead is a few bytes; a freed one is a jump through garbage.
		 */
		s->loop->stats.stale_sources++;
		s->next_dead = s->loop->stale;
		s->loop->stale = s;
		return;
	}
	if (s->owns_fd)
		close(s->fd);
	/* Events for it may still be pending in this round's batch. */
	s->next_dead = s->loop->dead;
	s->loop->dead = s;
	if (!s->loop->dispatching)
		reap_dead(s->loop);
}

int cpool_evsource_fd(const struct cpool_evsource *s)
{
	return s->fd;
}

void cpool_evsource_set_name(struct cpool_evsource *s, const char *name)
{
	s->name = name;
}

void cpool_evloop_note(struct cpool_evloop *loop, const char *what)
{
	loop->note = what;
}

int cpool_evloop_timer_set(struct cpool_evsource *s, uint64_t first_ns, uint64_t interval_ns)
{
	struct itimerspec its = {
		.it_value = { .tv_sec = (time_t)(first_ns / 1000000000),
			      .tv_nsec = (long)(first_ns % 1000000000) },
		.it_interval = { .tv_sec = (time_t)(interval_ns / 1000000000),
				 .tv_nsec = (long)(interval_ns % 1000000000) },
	};

	/* A zero it_value disarms; a "now" timer must still fire. */
	if (first_ns == 0 && interval_ns == 0)
		its.it_value.tv_nsec = 0;
	else if (first_ns == 0)
		its.it_value.tv_nsec = 1;
	return timerfd_settime(s->fd, 0, &its, NULL) < 0 ? -errno : 0;
}

int cpool_evloop_add_timer(struct cpool_evloop *loop, uint64_t first_ns, uint64_t interval_ns,
			   cpool_ev_fn fn, void *data, struct cpool_evsource **out)
{
	struct cpool_evsource *s;
	int fd, r;

	fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (fd < 0)
		return -errno;
	r = cpool_evloop_add(loop, fd, EPOLLIN, fn, data, &s);
	if (r) {
		close(fd);
		return r;
	}
	s->owns_fd = true;
	r = cpool_evloop_timer_set(s, first_ns, interval_ns);
	if (r) {
		cpool_evloop_remove(s);
		return r;
	}
	if (out)
		*out = s;
	return 0;
}

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * A round's dispatch time is how long every other event waited behind it:
 * the figure that says whether anything in the daemon blocks the loop.
 */
static void account_round(struct cpool_evloop *loop, uint64_t start_ns, uint64_t end_ns,
			  const char *slowest)
{
	uint64_t ns = end_ns - start_ns;

	loop->stats.rounds++;
	loop->stats.busy_ns += ns;
	if (ns > loop->stats.stall_max_ns) {
		loop->stats.stall_max_ns = ns;
		loop->stats.stall_max_what = slowest;
	}
	if (ns > loop->stats.stall_window_ns) {
		loop->stats.stall_window_ns = ns;
		loop->stats.stall_window_what = slowest;
	}
	loop->stats.last_round_ns = end_ns;
}

void cpool_evloop_stats(struct cpool_evloop *loop, struct cpool_evloop_stats *out,
			bool reset_window)
{
	*out = loop->stats;
	if (reset_window) {
		loop->stats.stall_window_ns = 0;
		loop->stats.stall_window_what = NULL;
	}
}

/*
 * Names are static strings, mostly the same few pointers: compared as
 * pointers first, as strings only to merge equal names from two places.
 */
static void account_dispatch(struct cpool_evloop *loop, const char *what, uint64_t ns)
{
	struct cpool_evloop_busy *b = NULL;

	for (size_t i = 0; i < loop->n_busy && !b; i++)
		if (loop->busy[i].what == what)
			b = &loop->busy[i];
	for (size_t i = 0; i < loop->n_busy && !b; i++)
		if (strcmp(loop->busy[i].what, what) == 0)
			b = &loop->busy[i];
	if (!b && loop->n_busy < CPOOL_EVLOOP_BUSY_MAX - 1) {
		b = &loop->busy[loop->n_busy++];
		b->what = what;
	}
	if (!b) {
		b = &loop->busy[CPOOL_EVLOOP_BUSY_MAX - 1];
		b->what = "other";
		loop->n_busy = CPOOL_EVLOOP_BUSY_MAX;
	}
	b->dispatches++;
	b->busy_ns += ns;
	if (ns > b->max_ns)
		b->max_ns = ns;
}

static int by_busy_desc(const void *a, const void *b)
{
	const struct cpool_evloop_busy *x = a, *y = b;

	return (x->busy_ns < y->busy_ns) - (x->busy_ns > y->busy_ns);
}

size_t cpool_evloop_busy(const struct cpool_evloop *loop, struct cpool_evloop_busy *out, size_t max)
{
	struct cpool_evloop_busy all[CPOOL_EVLOOP_BUSY_MAX];
	size_t n = loop->n_busy;

	memcpy(all, loop->busy, n * sizeof(all[0]));
	qsort(all, n, sizeof(all[0]), by_busy_desc);
	if (n > max)
		n = max;
	memcpy(out, all, n * sizeof(all[0]));
	return n;
}

int cpool_evloop_once(struct cpool_evloop *loop, int timeout_ms)
{
	struct epoll_event evs[64];
	uint64_t start_ns, at_ns, slowest_ns = 0;
	const char *slowest = NULL;
	int n;

	n = epoll_wait(loop->epfd, evs, 64, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	start_ns = at_ns = monotonic_ns();
	loop->dispatching = true;
	for (int i = 0; i < n; i++) {
		struct cpool_evsource *s = evs[i].data.ptr;
		uint64_t end_ns;

		if (s->dead)
			continue;
		if (s->owns_fd) {
			uint64_t ticks;

			/* Drain the timerfd so level-triggered epoll does not spin. */
			if (read(s->fd, &ticks, sizeof(ticks)) < 0 && errno == EAGAIN)
				continue;
		}
		loop->note = NULL;
		s->fn(s, evs[i].events, s->data);
		end_ns = monotonic_ns();
		account_dispatch(loop, loop->note ?: s->name ?: "unnamed", end_ns - at_ns);
		if (end_ns - at_ns >= slowest_ns) {
			slowest_ns = end_ns - at_ns;
			/* s may be dead now, but is freed only after the round. */
			slowest = loop->note ?: s->name ?: "unnamed";
		}
		at_ns = end_ns;
	}
	loop->dispatching = false;
	reap_dead(loop);
	if (n > 0)
		account_round(loop, start_ns, at_ns, slowest ?: "unnamed");
	return n;
}

int cpool_evloop_run(struct cpool_evloop *loop)
{
	loop->quit = false;
	while (!loop->quit) {
		int r = cpool_evloop_once(loop, -1);

		if (r < 0)
			return r;
	}
	return loop->code;
}

void cpool_evloop_quit(struct cpool_evloop *loop, int code)
{
	loop->quit = true;
	loop->code = code;
}
