// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#include <sys/epoll.h>
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

int main(void)
{
	struct cpool_evloop *loop;
	struct cpool_evsource *t;
	int p1[2], p2[2];

	is_int(cpool_evloop_new(&loop), 0, "new loop");
	is_int(cpool_evloop_add_timer(loop, 1000000, 1000000, on_tick, loop, &t), 0, "1 ms periodic timer");
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
	cpool_evloop_free(loop);
	done_testing();
	return exit_status();
}
