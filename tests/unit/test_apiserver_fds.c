// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Descriptors passed with a request (SCM_RIGHTS, cpool run): the handler
 * of that request may take them; what it does not take is closed after it,
 * and a set larger than CPOOL_API_MAX_FDS is closed whole.  Each fd sent
 * is the write end of a pipe whose other copies we close, so the read end
 * says EOF exactly when the server no longer holds it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../tap.h"
#include "cpool/apiserver.h"

static struct cpool_evloop *loop;
static char dir[] = "/tmp/cpool-test-api-fds.XXXXXX";
static char path[200];
static int taken[CPOOL_API_MAX_FDS], n_taken = -1, seen_by_hello = -1;

static json_t *handler(struct cpool_client *c, const struct cpool_peer *peer,
		       const struct cpool_request *req, void *data)
{
	int fds[CPOOL_API_MAX_FDS];

	(void)peer;
	(void)data;
	if (req->op == CPOOL_OP_SUBMIT && req->u.submit.attach) {
		n_taken = cpool_client_take_fds(c, taken, CPOOL_API_MAX_FDS);
	} else {
		/* Looks, does not take: the server must close them. */
		seen_by_hello = cpool_client_take_fds(c, fds, 0);
	}
	return cpool_reply_ok(req->id, NULL);
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

/* @line with @n fds in one sendmsg. */
static void send_with_fds(int sock, const char *line, const int *fds, int n)
{
	char control[CMSG_SPACE(sizeof(int) * 8)];
	struct iovec iov = { .iov_base = (void *)line, .iov_len = strlen(line) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	memset(control, 0, sizeof(control));
	msg.msg_control = control;
	msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
	memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t)n);
	if (sendmsg(sock, &msg, 0) != (ssize_t)strlen(line))
		bail_out("sendmsg: %s", strerror(errno));
}

/* Runs the loop until a reply line arrives on @sock. */
static bool replied(int sock)
{
	char buf[512];

	for (int i = 0; i < 300; i++) {
		struct pollfd p = { .fd = sock, .events = POLLIN };

		cpool_evloop_once(loop, 5);
		if (poll(&p, 1, 0) > 0)
			return recv(sock, buf, sizeof(buf), 0) > 0;
	}
	return false;
}

/* @n pipes; their write ends in @w (ours closed once sent), read ends non-blocking in @r. */
static void pipes(int *r, int *w, int n)
{
	for (int i = 0; i < n; i++) {
		int p[2];

		if (pipe2(p, O_CLOEXEC | O_NONBLOCK))
			bail_out("pipe: %s", strerror(errno));
		r[i] = p[0];
		w[i] = p[1];
	}
}

/* True when every read end says EOF: nobody holds a write end any more. */
static bool all_eof(const int *r, int n)
{
	char c;

	for (int i = 0; i < n; i++)
		if (read(r[i], &c, 1) != 0)
			return false;
	return true;
}

static void close_all(int *fds, int n)
{
	for (int i = 0; i < n; i++)
		close(fds[i]);
}

int main(void)
{
	struct cpool_apiserver_opts o = { .mode = 0600, .gid = (gid_t)-1, .handler = handler };
	struct cpool_apiserver *srv;
	int r[8], w[8], sock;
	struct cpool_error err;

	if (!mkdtemp(dir))
		bail_out("mkdtemp: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/api.sock", dir);
	o.path = path;
	if (cpool_evloop_new(&loop) || cpool_apiserver_open(loop, &o, &srv, &err))
		bail_out("server: %s", err.msg);
	sock = connect_client();

	pipes(r, w, 3);
	send_with_fds(sock, "{\"v\":1,\"id\":1,\"op\":\"hello\"}\n", w, 3);
	close_all(w, 3);
	ok(replied(sock), "hello with three descriptors is answered");
	is_int(seen_by_hello, -EINVAL, "its handler sees them (more than it would take)");
	ok(all_eof(r, 3), "the server closed the descriptors nobody took");
	close_all(r, 3);

	pipes(r, w, 3);
	send_with_fds(sock,
		      "{\"v\":1,\"id\":2,\"op\":\"submit\",\"args\":{\"argv\":[\"x\"],"
		      "\"attach\":true}}\n",
		      w, 3);
	close_all(w, 3);
	ok(replied(sock), "an attached submit is answered");
	is_int(n_taken, 3, "its handler took the three descriptors");
	ok(!all_eof(r, 3), "taken descriptors stay open");
	close_all(taken, 3);
	ok(all_eof(r, 3), "... until their taker closes them");
	close_all(r, 3);

	pipes(r, w, 4);
	n_taken = -1;
	send_with_fds(sock,
		      "{\"v\":1,\"id\":3,\"op\":\"submit\",\"args\":{\"argv\":[\"x\"],"
		      "\"attach\":true}}\n",
		      w, 4);
	close_all(w, 4);
	ok(replied(sock), "a request with four descriptors is answered");
	is_int(n_taken, 0, "none reaches the handler");
	ok(all_eof(r, 4), "all four are closed");
	close_all(r, 4);

	n_taken = -1;
	pipes(r, w, 3);
	send_with_fds(sock, "{\"v\":1,\"id\":4,\"op\":\"hello\"}\n", w, 3);
	close_all(w, 3);
	{
		static const char line[] = "{\"v\":1,\"id\":5,\"op\":\"submit\",\"args\":{\"argv\":"
					   "[\"x\"],\"attach\":true}}\n";

		if (send(sock, line, strlen(line), 0) != (ssize_t)strlen(line))
			bail_out("send: %s", strerror(errno));
	}
	ok(replied(sock), "pipelined: the first request is answered");
	replied(sock);
	is_int(n_taken, 0, "a later request does not get an earlier one's descriptors");
	ok(all_eof(r, 3), "they were closed after the request they came with");
	close_all(r, 3);

	close(sock);
	cpool_apiserver_close(srv);
	cpool_evloop_free(loop);
	rmdir(dir);
	done_testing();
	return exit_status();
}
