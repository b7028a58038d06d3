// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * libFuzzer target: the API server's line framing over a real Unix socket.
 * Each input is one client's byte stream, sent in chunks whose sizes come
 * (at most 16) from the input's first byte, so lines split anywhere, blank lines,
 * oversized lines, NUL bytes and replies left unread meet the framing,
 * the back-pressure and the parser.  The client then half-closes and
 * reads until the server hangs up: every input must end with the client
 * freed, nothing leaked, no crash.
 *   make fuzz && build/fuzz/fuzz_api_framing -max_total_time=60 tests/fuzz/corpus/api_framing
 */
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cpool/apiserver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__asan_default_options(void);

/*
 * Every object of an input (its client, buffers, requests and replies)
 * is freed before the input ends, so a use after free shows within a few
 * inputs' frees: 8 MB of quarantine holds hundreds of inputs.  ASan's
 * default 256 MB kept every freed block away for minutes, and each new
 * allocation faulted in fresh pages: with it the target ran at a third
 * of this speed (docs/security.md).  An ASAN_OPTIONS setting still wins.
 */
const char *__asan_default_options(void)
{
	return "quarantine_size_mb=8";
}

static struct cpool_evloop *loop;
static struct cpool_apiserver *srv;
static struct sockaddr_un addr = { .sun_family = AF_UNIX };

static json_t *handler(struct cpool_client *c, const struct cpool_peer *peer,
		       const struct cpool_request *req, void *data)
{
	(void)c;
	(void)peer;
	(void)data;
	return cpool_reply_ok(req->id, json_pack("{s:s}", "op", cpool_op_name(req->op)));
}

static void setup(void)
{
	static char dir[] = "/tmp/cpool-fuzz-api.XXXXXX";
	struct cpool_apiserver_opts o = {
		.mode = 0600, .gid = (gid_t)-1, .rate = 1e9, .burst = 1e9, .handler = handler
	};
	struct cpool_error err;

	if (!mkdtemp(dir) || cpool_evloop_new(&loop))
		abort();
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/api.sock", dir);
	o.path = addr.sun_path;
	if (cpool_apiserver_open(loop, &o, &srv, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		abort();
	}
}

/* Reads and drops what the server sent; false at EOF or error. */
static bool drain(int fd)
{
	char buf[65536];

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n > 0)
			continue;
		return n < 0 && (errno == EAGAIN || errno == EINTR);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t chunk, off = 1;
	int fd, rounds = 0;

	if (!srv)
		setup();
	if (size < 1)
		return 0;
	chunk = 1 + (size_t)data[0] * 97; /* 1 byte .. ~24 KiB at a time */
	/* At most 16 sends: splits anywhere, at a pace worth fuzzing. */
	if (chunk < size / 16)
		chunk = size / 16 + 1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		abort();
	cpool_evloop_once(loop, 0);
	while (off < size) {
		size_t n = size - off < chunk ? size - off : chunk;
		ssize_t sent = send(fd, data + off, n, MSG_NOSIGNAL);

		if (sent > 0)
			off += (size_t)sent;
		else if (errno != EAGAIN)
			break; /* the server hung up: an oversized line */
		cpool_evloop_once(loop, 0);
		if (!drain(fd))
			break;
	}
	shutdown(fd, SHUT_WR);
	/* Until the server has hung up and freed the client. */
	while (cpool_apiserver_client_count(srv) > 0) {
		if (++rounds > 100000)
			abort(); /* a client the server never lets go: a hang */
		/* The server's events are ready at once; wait a little only if they are not. */
		cpool_evloop_once(loop, rounds > 1000);
		drain(fd);
	}
	close(fd);
	return 0;
}
