/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * A small epoll event loop: file descriptors (sockets, pidfds, timerfds,
 * signalfds) with a callback each.  cpoold runs everything on one thread
 * through this, so no state needs a lock.
 */
#ifndef CPOOL_EVLOOP_H
#define CPOOL_EVLOOP_H

#include <stdbool.h>
#include <stdint.h>

struct cpool_evloop;
struct cpool_evsource;

/* @events is the epoll mask that fired (EPOLLIN, EPOLLHUP, ...). */
typedef void (*cpool_ev_fn)(struct cpool_evsource *src, uint32_t events, void *data);

int cpool_evloop_new(struct cpool_evloop **loop);
void cpool_evloop_free(struct cpool_evloop *loop);

/* Watches @fd (not owned) for @events; *src (optional) is the handle to remove it. */
int cpool_evloop_add(struct cpool_evloop *loop, int fd, uint32_t events, cpool_ev_fn fn, void *data,
		     struct cpool_evsource **src);
int cpool_evloop_modify(struct cpool_evsource *src, uint32_t events);
/*
 * Safe from inside any callback, including the source's own.  Remove a
 * source before closing its fd: a closed fd's registration outlives it
 * while another process (a forked child) holds the file.  Such a source is
 * kept, never called again, and counted in stale_sources.
 */
void cpool_evloop_remove(struct cpool_evsource *src);
int cpool_evsource_fd(const struct cpool_evsource *src);
/*
 * Names what @src's callback does, for the stall figures (a static
 * string, not copied).  A callback that does one of several things (an API
 * request) may name the current dispatch instead with cpool_evloop_note().
 */
void cpool_evsource_set_name(struct cpool_evsource *src, const char *name);
void cpool_evloop_note(struct cpool_evloop *loop, const char *what);

/* A periodic or one-shot timer on CLOCK_MONOTONIC (a timerfd), in nanoseconds. */
int cpool_evloop_add_timer(struct cpool_evloop *loop, uint64_t first_ns, uint64_t interval_ns,
			   cpool_ev_fn fn, void *data, struct cpool_evsource **src);
int cpool_evloop_timer_set(struct cpool_evsource *src, uint64_t first_ns, uint64_t interval_ns);

/*
 * How long the loop's rounds took (CLOCK_MONOTONIC): a round is one
 * epoll_wait's worth of callbacks, so its length is the longest any event
 * waited behind another.  stall_window_ns is the longest since the last
 * reset_window read (for a scraper or a benchmark's interval);
 * last_round_ns is when the latest round ended (a watchdog's heartbeat).
 * stall_max_what and stall_window_what name the slowest callback of the
 * round that set each figure ("unnamed" for a source nobody named).
 */
struct cpool_evloop_stats {
	uint64_t rounds;
	uint64_t busy_ns;
	uint64_t stall_max_ns;
	uint64_t stall_window_ns;
	uint64_t last_round_ns;
	uint64_t stale_sources; /* removed after their fd was closed: kept, dead */
	const char *stall_max_what;
	const char *stall_window_what;
};

void cpool_evloop_stats(struct cpool_evloop *loop, struct cpool_evloop_stats *out,
			bool reset_window);

/*
 * Where the loop's time went since it started, by what each callback said
 * it did (its note, else its source's name, else "unnamed"): dispatches,
 * their summed and longest wall time.  A stall says which callback held
 * one round; this says which kept the loop busy, as when every scheduling
 * round of rr is slow.  Past CPOOL_EVLOOP_BUSY_MAX - 1 distinct names the
 * rest share one entry, "other".
 */
#define CPOOL_EVLOOP_BUSY_MAX 48
struct cpool_evloop_busy {
	const char *what;
	uint64_t dispatches;
	uint64_t busy_ns;
	uint64_t max_ns;
};

/* Up to @max entries into @out, the most busy time first; returns how many. */
size_t cpool_evloop_busy(const struct cpool_evloop *loop, struct cpool_evloop_busy *out,
			 size_t max);

/* Runs until cpool_evloop_quit(); returns its code, or a negative errno from epoll. */
int cpool_evloop_run(struct cpool_evloop *loop);
/* One round: waits at most @timeout_ms (-1 = forever); returns events handled. */
int cpool_evloop_once(struct cpool_evloop *loop, int timeout_ms);
void cpool_evloop_quit(struct cpool_evloop *loop, int code);

#endif /* CPOOL_EVLOOP_H */
