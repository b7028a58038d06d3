// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "../tap.h"
#include "cpool/apiserver.h"

static struct cpool_evloop *loop;
static char dir[] = "/tmp/cpool-test-api.XXXXXX";
static char path[200];
static struct cpool_client *waiting;
static int closed_calls;
static uid_t seen_uid = (uid_t)-2;

static json_t *handler(struct cpool_client *c, const struct cpool_peer *peer,
		       const struct cpool_request *req, void *data)
{
	(void)data;
	seen_uid = peer->uid;
	if (req->op == CPOOL_OP_WAIT) {
		waiting = c; /* answered later, as when a job ends */
		return NULL;
	}
	return cpool_reply_ok(req->id, json_pack("{s:s}", "op", cpool_op_name(req->op)));
}

static void on_close(struct cpool_client *c, void *data)
{
	(void)data;
	if (c == waiting)
		waiting = NULL;
	closed_calls++;
}

static int connect_client(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	strcpy(a.sun_path, path);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		bail_out("connect %s: %s", path, strerror(errno));
	return fd;
}

static void pump(int rounds)
{
	for (int i = 0; i < rounds; i++)
		cpool_evloop_once(loop, 10);
}

/* Reads one reply line, running the server loop until it arrives. */
static char *read_line(int fd, char *buf, size_t len)
{
	size_t used = 0;

	for (int tries = 0; tries < 500; tries++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 0) <= 0) {
			pump(1);
			continue;
		}
		tries--;
		n = recv(fd, buf + used, 1, 0);
		if (n <= 0)
			break;
		if (buf[used] == '\n') {
			buf[used] = '\0';
			return buf;
		}
		if (++used == len - 1)
			break;
	}
	buf[used] = '\0';
	return used ? buf : NULL;
}

static void send_str(int fd, const char *s)
{
	if (send(fd, s, strlen(s), MSG_NOSIGNAL) < 0)
		diag("send: %s", strerror(errno));
}

/* True when the server has closed the connection (EOF after pumping). */
static bool closed_by_server(int fd)
{
	char c;

	for (int i = 0; i < 100; i++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		pump(1);
		if (poll(&p, 1, 0) > 0)
			/* EOF, or ECONNRESET when our unread bytes were discarded. */
			return recv(fd, &c, 1, MSG_DONTWAIT) == 0 || errno == ECONNRESET;
	}
	return false;
}

int main(void)
{
	struct cpool_apiserver_opts o = { .mode = 0660,
					  .gid = (gid_t)-1,
					  .rate = 1,
					  .burst = 3,
					  .max_clients = 3,
					  .handler = handler,
					  .on_close = on_close };
	struct cpool_apiserver *srv, *srv2;
	struct cpool_error err;
	char buf[70000], *big;
	struct stat st;
	int a, b, c, d;

	if (!mkdtemp(dir))
		bail_out("mkdtemp: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/run/cpool.sock", dir);
	o.path = path;
	if (cpool_evloop_new(&loop))
		bail_out("evloop");

	is_int(cpool_apiserver_open(loop, &o, &srv, &err), 0,
	       "server opens, creating its directory");
	ok(stat(path, &st) == 0 && S_ISSOCK(st.st_mode) && (st.st_mode & 0777) == 0660,
	   "socket file with mode 0660");
	is_int(cpool_apiserver_open(loop, &o, &srv2, &err), -EADDRINUSE,
	       "a second daemon is refused");
	ok(strstr(err.msg, "already listening") != NULL, "and told why: %s", err.msg);

	a = connect_client();
	send_str(a, "{\"v\":1,\"id\":1,\"op\":\"ps\"}\n");
	is_str(read_line(a, buf, sizeof(buf)),
	       "{\"v\":1,\"id\":1,\"ok\":true,\"result\":{\"op\":\"ps\"}}", "reply to ps");
	is_int(seen_uid, getuid(), "caller identity from SO_PEERCRED");

	send_str(a, "{\"v\":1,\"id\":2,\"op\":\n");
	ok(strstr(read_line(a, buf, sizeof(buf)), "\"errno\":\"EINVAL\"") != NULL,
	   "malformed request: error reply");
	send_str(a, "{\"v\":1,\"id\":3,\"op\":\"top\"}\n");
	ok(read_line(a, buf, sizeof(buf)) && strstr(buf, "\"id\":3"),
	   "connection still served after a bad request");
	send_str(a, "{\"v\":1,\"id\":4,\"op\":\"top\"}\n");
	ok(strstr(read_line(a, buf, sizeof(buf)), "\"errno\":\"EAGAIN\"") != NULL,
	   "burst of 3 exhausted: rate limited");
	ok(strstr(buf, "\"id\":4") != NULL, "the refusal carries the request id");

	b = connect_client();
	send_str(b, "{\"v\":1,\"id\":7,\"op\":\"wait\",\"args\":{\"job\":1}}\n");
	pump(20);
	ok(waiting != NULL, "wait is deferred by the handler");
	cpool_client_send(waiting, cpool_reply_ok(7, NULL));
	is_str(read_line(b, buf, sizeof(buf)), "{\"v\":1,\"id\":7,\"ok\":true,\"result\":{}}",
	       "deferred reply arrives");

	/* An endless line: answered with EMSGSIZE, then the connection is closed. */
	c = connect_client();
	big = malloc(CPOOL_PROTO_MAX_LINE + 100);
	memset(big, 'x', CPOOL_PROTO_MAX_LINE + 100);
	for (size_t off = 0; off < CPOOL_PROTO_MAX_LINE + 100;) {
		ssize_t n = send(c, big + off, CPOOL_PROTO_MAX_LINE + 100 - off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0)
			off += (size_t)n;
		else if (errno != EAGAIN)
			break;
		pump(1);
	}
	free(big);
	ok(strstr(read_line(c, buf, sizeof(buf)), "EMSGSIZE") != NULL, "oversized request refused");
	ok(closed_by_server(c), "and the connection closed");
	close(c);

	c = connect_client();
	d = connect_client();
	pump(10);
	ok(strstr(read_line(d, buf, sizeof(buf)) ?: "", "too many clients") != NULL,
	   "fourth client refused (max 3)");
	close(d);
	is_int(cpool_apiserver_client_count(srv), 3, "three clients connected");

	closed_calls = 0;
	close(b);
	pump(20);
	is_int(closed_calls, 1, "on_close runs when a client hangs up");
	send_str(a, "{\"v\":1,\"id\":8,\"op\":\"ps\"}\n"); /* still limited, but served */
	ok(read_line(a, buf, sizeof(buf)) != NULL, "other clients unaffected");

	cpool_apiserver_close(srv);
	ok(access(path, F_OK) != 0, "socket file removed on close");
	close(a);
	close(c);

	/* A socket file left by a killed daemon does not block the next one. */
	{
		struct sockaddr_un addr = { .sun_family = AF_UNIX };
		int s = socket(AF_UNIX, SOCK_STREAM, 0);

		strcpy(addr.sun_path, path);
		if (bind(s, (struct sockaddr *)&addr, sizeof(addr)) < 0)
			bail_out("bind: %s", strerror(errno));
		close(s);
	}
	is_int(cpool_apiserver_open(loop, &o, &srv, &err), 0, "stale socket replaced");
	cpool_apiserver_close(srv);

	cpool_evloop_free(loop);
	snprintf(buf, sizeof(buf), "rm -rf '%s'", dir);
	if (system(buf) != 0)
		diag("cleanup of %s failed", dir);
	done_testing();
	return exit_status();
}
