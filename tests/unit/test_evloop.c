// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "../tap.h"
#include "cpool/evloop.h"

static int ticks, reads;
static struct cpool_evsource *pipe_src, *other_src;

static void on_tick(struct cpool_evsource *src, uint32_t events, void *data)
{
	(void)src;
	(void)events;
	if (++ticks == 3)
		cpool_evloop_quit(data, 42);
}

/* Holds the loop for 30 ms: the stall figures must see at least that. */
static void on_slow(struct cpool_evsource *src, uint32_t events, void *data)
{
	char c;
	struct timespec ts = { 0, 30 * 1000 * 1000 };

	(void)events;
	(void)data;
	if (read(cpool_evsource_fd(src), &c, 1) == 1)
		nanosleep(&ts, NULL);
}

/* Slower than on_slow, and says what it was doing, as an API request does. */
static void on_noted(struct cpool_evsource *src, uint32_t events, void *data)
{
	char c;
	struct timespec ts = { 0, 60 * 1000 * 1000 };

	(void)events;
	cpool_evloop_note(data, "noted op");
	if (read(cpool_evsource_fd(src), &c, 1) == 1)
		nanosleep(&ts, NULL);
}

static void on_quick(struct cpool_evsource *src, uint32_t events, void *data)
{
	char c;

	(void)events;
	(void)data;
	if (read(cpool_evsource_fd(src), &c, 1) != 1)
		return;
}

/* Removes itself and another ready source in the same round. */
static void on_read(struct cpool_evsource *src, uint32_t events, void *data)
{
	char c;

	(void)events;
	(void)data;
	if (read(cpool_evsource_fd(src), &c, 1) == 1)
		reads++;
	cpool_evloop_remove(src);
	cpool_evloop_remove(other_src);
}

/*
 * Where the loop's time went, by name: called after a 30 ms "slow pipe"
 * dispatch and a 60 ms one of "a source" noted as "noted op".
 */
static void test_busy(struct cpool_evloop *loop)
{
	struct cpool_evloop_busy b[CPOOL_EVLOOP_BUSY_MAX], one;
	static char text[CPOOL_EVLOOP_BUSY_MAX + 4][16];
	struct cpool_evsource *src;
	size_t n = cpool_evloop_busy(loop, b, CPOOL_EVLOOP_BUSY_MAX), as_source = 0, other = 0;
	int p[2];

	ok(n >= 3, "busy time by %zu names", n);
	is_str(n ? b[0].what : "", "noted op", "the 60 ms noted dispatch is the busiest");
	ok(n && b[0].dispatches == 1 && b[0].busy_ns >= 60000000ull && b[0].max_ns == b[0].busy_ns,
	   "once, 60 ms or more, its own longest (%llu ns)",
	   n ? (unsigned long long)b[0].busy_ns : 0ULL);
	is_str(n > 1 ? b[1].what : "", "slow pipe", "then the 30 ms source");
	for (size_t i = 0; i < n; i++)
		as_source += strcmp(b[i].what, "a source") == 0;
	is_int((int64_t)as_source, 0, "a noted dispatch is not also counted as its source");
	is_int((int64_t)cpool_evloop_busy(loop, &one, 1), 1, "at most as many as asked");
	is_str(one.what, "noted op", "the busiest first");

	/* More distinct names than the table holds: the rest share "other". */
	if (pipe(p))
		bail_out("pipe");
	cpool_evloop_add(loop, p[0], EPOLLIN, on_quick, NULL, &src);
	for (size_t i = 0; i < CPOOL_EVLOOP_BUSY_MAX + 4; i++) {
		snprintf(text[i], sizeof(text[i]), "name %zu", i);
		cpool_evsource_set_name(src, text[i]);
		if (write(p[1], "x", 1) != 1)
			bail_out("write");
		cpool_evloop_once(loop, 100);
	}
	n = cpool_evloop_busy(loop, b, CPOOL_EVLOOP_BUSY_MAX);
	is_int((int64_t)n, CPOOL_EVLOOP_BUSY_MAX, "the table fills and stays full");
	for (size_t i = 0; i < n; i++)
		if (strcmp(b[i].what, "other") == 0)
			other = b[i].dispatches;
	ok(other >= 5, "the names past it are counted together as other (%zu)", other);
	cpool_evloop_remove(src);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	struct cpool_evloop *loop;
	struct cpool_evsource *t;
	int p1[2], p2[2];

	is_int(cpool_evloop_new(&loop), 0, "new loop");
	is_int(cpool_evloop_add_timer(loop, 1000000, 1000000, on_tick, loop, &t), 0,
	       "1 ms periodic timer");
	is_int(cpool_evloop_run(loop), 42, "run returns the quit code");
	is_int(ticks, 3, "timer fired three times");
	cpool_evloop_timer_set(t, 0, 0);
	ticks = 0;
	is_int(cpool_evloop_once(loop, 20), 0, "disarmed timer stays quiet");
	cpool_evloop_remove(t);

	if (pipe(p1) || pipe(p2))
		bail_out("pipe");
	cpool_evloop_add(loop, p1[0], EPOLLIN, on_read, NULL, &pipe_src);
	cpool_evloop_add(loop, p2[0], EPOLLIN, on_read, NULL, &other_src);
	if (write(p1[1], "x", 1) != 1 || write(p2[1], "y", 1) != 1)
		bail_out("write");
	cpool_evloop_once(loop, 100);
	is_int(reads, 1, "a source removed in this round is not called (no use after free)");
	is_int(cpool_evloop_once(loop, 20), 0, "removed sources never fire again");

	struct cpool_evloop_stats st;
	struct cpool_evsource *slow;
	int p3[2];

	if (pipe(p3))
		bail_out("pipe");
	struct cpool_evsource *quick, *noted;
	int p4[2], p5[2];

	if (pipe(p4) || pipe(p5))
		bail_out("pipe");
	cpool_evloop_add(loop, p3[0], EPOLLIN, on_slow, NULL, &slow);
	cpool_evsource_set_name(slow, "slow pipe");
	cpool_evloop_add(loop, p4[0], EPOLLIN, on_quick, NULL, &quick);
	cpool_evsource_set_name(quick, "quick pipe");
	/* Both in one round: the round is the stall, the slow one its cause. */
	if (write(p3[1], "z", 1) != 1 || write(p4[1], "q", 1) != 1)
		bail_out("write");
	cpool_evloop_once(loop, 100);
	cpool_evloop_stats(loop, &st, false);
	is_str(st.stall_max_what, "slow pipe", "the longest round is named by its slowest source");
	is_str(st.stall_window_what, "slow pipe", "in the window too");
	cpool_evloop_stats(loop, &st, true);
	ok(st.stall_max_ns >= 30000000ull, "a 30 ms callback is the longest stall (%llu ns)",
	   (unsigned long long)st.stall_max_ns);
	ok(st.stall_window_ns >= 30000000ull, "and the window's longest");
	ok(st.rounds >= 4 && st.busy_ns >= st.stall_max_ns, "rounds and busy time add up");
	ok(st.last_round_ns > 0, "the last round's end is stamped");
	cpool_evloop_stats(loop, &st, false);
	is_int((long long)st.stall_window_ns, 0, "reading with reset empties the window");
	ok(!st.stall_window_what, "and its name");
	ok(st.stall_max_ns >= 30000000ull, "but not the all-time maximum");

	cpool_evloop_add(loop, p5[0], EPOLLIN, on_noted, loop, &noted);
	cpool_evsource_set_name(noted, "a source");
	if (write(p5[1], "n", 1) != 1)
		bail_out("write");
	/* The window was just emptied: this round alone is in it, whatever its length. */
	cpool_evloop_once(loop, 100);
	cpool_evloop_stats(loop, &st, false);
	is_str(st.stall_window_what, "noted op",
	       "a callback's note names its dispatch over its source");
	test_busy(loop);
	cpool_evloop_remove(noted);
	cpool_evloop_remove(quick);
	cpool_evloop_remove(slow);
	cpool_evloop_free(loop);
	done_testing();
	return exit_status();
}
