// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * An fd closed before its event source is removed: epoll keeps the
 * registration while another process holds the same open file (cpoold's
 * supervisors are forked children that hold every daemon fd until they
 * close them), and reports it with the source's pointer.  That pointer must
 * never be a freed one: this was cpoold's death under load (SIGSEGV at ip 1
 * in the loop's dispatch, a job's start-report pipe, EPOLLHUP).
 */
#include <sys/epoll.h>
#include <unistd.h>

#include "../tap.h"
#include "cpool/evloop.h"

static int calls;

static void on_event(struct cpool_evsource *src, uint32_t events, void *data)
{
	(void)src;
	(void)events;
	(void)data;
	calls++;
}

int main(void)
{
	struct cpool_evloop *loop;
	struct cpool_evsource *src, *other;
	struct cpool_evloop_stats st;
	int p[2], q[2], held;

	plan(6);
	if (cpool_evloop_new(&loop) || pipe(p) || pipe(q))
		bail_out("loop or pipe");
	/* The forked child's copy of the read end. */
	held = dup(p[0]);
	is_int(cpool_evloop_add(loop, p[0], EPOLLIN, on_event, NULL, &src), 0, "watch a pipe");
	close(p[0]);
	cpool_evloop_remove(src);
	/* Its writer exits: EPOLLHUP on the registration nobody can delete any more. */
	close(p[1]);
	cpool_evloop_once(loop, 100);
	is_int(calls, 0, "a source removed after its fd was closed is never called");
	cpool_evloop_once(loop, 0);
	is_int(calls, 0, "nor in a later round (its memory was not given back)");
	cpool_evloop_stats(loop, &st, false);
	is_int((long long)st.stale_sources, 1, "and it is counted, for the log");

	/* The same with the order right: nothing kept. */
	is_int(cpool_evloop_add(loop, q[0], EPOLLIN, on_event, NULL, &other), 0, "watch another");
	cpool_evloop_remove(other);
	close(q[0]);
	close(q[1]);
	cpool_evloop_stats(loop, &st, false);
	is_int((long long)st.stale_sources, 1, "a source removed before its close is not stale");
	close(held);
	cpool_evloop_free(loop);
	return exit_status();
}
