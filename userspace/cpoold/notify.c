// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * What cpoold tells systemd (Type=notify, WatchdogSec=).  The pings come
 * from a timer callback of the event loop itself, never from a thread: if
 * a callback blocks, or the loop stops, no ping goes out and systemd
 * restarts the daemon (the jobs stay with their supervisors).  A tick also
 * checks that the loop finished a round lately, so a callback that blocks
 * for most of the period in the same round as the tick withholds the ping.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpoold.h"
#include "notify.h"
#include "cpool/sdnotify.h"

/* Without a watchdog the status is refreshed this often. */
#define STATUS_INTERVAL_NS (5ull * 1000000000ull)

static struct {
	struct cpool_evsource *timer;
	uint64_t watchdog_ns; /* 0: no watchdog */
	char status[128]; /* the last STATUS= sent */
} notifier;

static void send_state(const char *state)
{
	int r = cpool_sd_notify(state);

	if (r < 0)
		log_debug("sd_notify %.20s to %s: %s", state, getenv("NOTIFY_SOCKET"),
			  strerror(-r));
}

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* "STATUS=..." when it changed since the last one sent, else "". */
static const char *status_line(struct cpoold *d, char *buf, size_t len)
{
	int running = 0, queued = 0;

	for (const struct djob *j = d->jobs; j; j = j->next) {
		if (jobs_running(j))
			running++;
		else
			queued++;
	}
	snprintf(buf, len, "STATUS=%d virtual servers, %d jobs running, %d queued or frozen",
		 d->n_vs, running, queued);
	if (strcmp(buf, notifier.status) == 0)
		return "";
	snprintf(notifier.status, sizeof(notifier.status), "%s", buf);
	return buf;
}

static void on_tick(struct cpool_evsource *src, uint32_t events, void *data)
{
	struct cpoold *d = data;
	char buf[sizeof(notifier.status)];
	const char *status;

	(void)src;
	(void)events;
	if (notifier.watchdog_ns) {
		struct cpool_evloop_stats st;
		uint64_t since;

		cpool_evloop_stats(d->loop, &st, false);
		since = st.rounds ? monotonic_ns() - st.last_round_ns : 0;
		if (since <= notifier.watchdog_ns / 2)
			send_state("WATCHDOG=1");
		else
			log_warn("event loop: no round ended for %.1f s; watchdog ping withheld",
				 (double)since / 1e9);
	}
	status = status_line(d, buf, sizeof(buf));
	if (*status)
		send_state(status);
}

int notify_ready(struct cpoold *d)
{
	char buf[sizeof(notifier.status)], msg[sizeof(buf) + 16];
	uint64_t interval_ns = STATUS_INTERVAL_NS;
	const char *sock = getenv("NOTIFY_SOCKET");
	int r;

	if (!sock || !*sock)
		return 0; /* not under a service manager: nothing to tell */
	notifier.watchdog_ns = cpool_sd_watchdog_usec() * 1000;
	/* Four pings a period: one late tick under load still leaves three. */
	if (notifier.watchdog_ns && notifier.watchdog_ns / 4 < interval_ns)
		interval_ns = notifier.watchdog_ns / 4;
	snprintf(msg, sizeof(msg), "READY=1\n%s", status_line(d, buf, sizeof(buf)));
	send_state(msg);
	r = cpool_evloop_add_timer(d->loop, interval_ns, interval_ns, on_tick, d, &notifier.timer);
	if (r) {
		log_err("watchdog timer: %s", strerror(-r));
		return r;
	}
	cpool_evsource_set_name(notifier.timer, "watchdog ping");
	if (notifier.watchdog_ns)
		log_info("watchdog: a ping every %.2f s (WATCHDOG_USEC=%llu)",
			 (double)interval_ns / 1e9,
			 (unsigned long long)(notifier.watchdog_ns / 1000));
	return 0;
}

void notify_stopping(void)
{
	send_state("STOPPING=1");
}
