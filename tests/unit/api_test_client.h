/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * A raw client of cpoold's API socket for the daemon's unit tests, driving
 * the daemon's loop in the same process one iteration at a time: what a
 * streamed reply (ps, history) looks like between its parts.
 */
#ifndef CPOOL_TEST_API_TEST_CLIENT_H
#define CPOOL_TEST_API_TEST_CLIENT_H

#include <sys/socket.h>
#include <sys/un.h>

#include "cpoold_fixture.h"

static inline int api_test_connect(const char *sock)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", sock);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		bail_out("connect %s: %s", sock, strerror(errno));
	return fd;
}

static inline void send_str(int fd, const char *s)
{
	if (send(fd, s, strlen(s), MSG_NOSIGNAL) < 0)
		bail_out("send: %s", strerror(errno));
}

/* What a client has received so far, without waiting. */
struct inbox {
	char *p;
	size_t len;
};

static inline void take(int fd, struct inbox *in)
{
	char buf[65536];
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		in->p = realloc(in->p, in->len + (size_t)n + 1);
		memcpy(in->p + in->len, buf, (size_t)n);
		in->len += (size_t)n;
		in->p[in->len] = '\0';
	}
}

static inline size_t lines(const struct inbox *in)
{
	size_t n = 0;

	for (size_t i = 0; i < in->len; i++)
		n += in->p[i] == '\n';
	return n;
}

/* Runs @loop until the first bytes of a reply came: the request is being answered. */
static inline void pump_started(struct cpool_evloop *loop, int fd, struct inbox *in)
{
	for (int i = 0; i < 1000 && !in->len; i++) {
		cpool_evloop_once(loop, 10);
		take(fd, in);
	}
	if (!in->len)
		bail_out("no reply started");
}

/* Runs @loop one iteration at a time until @fd has @want lines; the iterations it took. */
static inline int pump_until(struct cpool_evloop *loop, int fd, struct inbox *in, size_t want)
{
	int rounds = 0;

	while (lines(in) < want && rounds < 100000) {
		cpool_evloop_once(loop, 10);
		rounds++;
		take(fd, in);
	}
	return rounds;
}

#endif /* CPOOL_TEST_API_TEST_CLIENT_H */
