// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cpool/apiclient.h"

struct cpool_apiclient {
	int fd;
	json_int_t next_id;
	char *buf; /* bytes received past the last reply */
	size_t len, cap;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

const char *cpool_apiclient_socket_path(const char *path)
{
	const char *env = getenv("CPOOL_SOCKET");

	if (path)
		return path;
	return env && *env ? env : CPOOL_DEFAULT_SOCKET;
}

int cpool_apiclient_connect(const char *path, struct cpool_apiclient **out, struct cpool_error *e)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct cpool_apiclient *c;
	int r;

	path = cpool_apiclient_socket_path(path);
	if (strlen(path) >= sizeof(addr.sun_path))
		return cpool_error_set(e, -ENAMETOOLONG, "socket path %s is too long", path);
	strcpy(addr.sun_path, path);
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	strcpy(c->path, path);
	c->next_id = 1;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		r = -errno;
		if (r == -ENOENT || r == -ECONNREFUSED)
			cpool_error_set(e, r,
					"cannot reach cpoold at %s: %s (is the daemon running? "
					"'systemctl start cpoold', or set CPOOL_SOCKET)",
					path, strerror(-r));
		else if (r == -EACCES || r == -EPERM)
			cpool_error_set(e, r,
					"cannot reach cpoold at %s: %s (only root and the group "
					"'cpool' may use the pool)",
					path, strerror(-r));
		else
			cpool_error_set(e, r, "connect to cpoold at %s: %s", path, strerror(-r));
		if (c->fd >= 0)
			close(c->fd);
		free(c);
		return r;
	}
	*out = c;
	return 0;
}

void cpool_apiclient_close(struct cpool_apiclient *c)
{
	if (!c)
		return;
	close(c->fd);
	free(c->buf);
	free(c);
}

/* @fds (@nfds of them) go with the first bytes, SCM_RIGHTS. */
static int send_all(int fd, const char *p, size_t n, const int *fds, int nfds)
{
	while (n) {
		union {
			char buf[CMSG_SPACE(sizeof(int) * CPOOL_API_MAX_FDS)];
			struct cmsghdr align;
		} control;
		struct iovec iov = { .iov_base = (void *)p, .iov_len = n };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t w;

		if (nfds > 0) {
			struct cmsghdr *cm;

			memset(&control, 0, sizeof(control));
			msg.msg_control = control.buf;
			msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
			cm = CMSG_FIRSTHDR(&msg);
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
			memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t)nfds);
		}
		w = sendmsg(fd, &msg, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
		nfds = 0; /* sent with the first byte */
	}
	return 0;
}

/* Reads until a whole line is buffered; returns its length (without '\n'). */
static ssize_t read_line(struct cpool_apiclient *c, int timeout_ms)
{
	for (;;) {
		char *nl = c->len ? memchr(c->buf, '\n', c->len) : NULL;
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		ssize_t n;
		int pr;

		if (nl)
			return nl - c->buf;
		if (c->len + 65536 > c->cap) {
			size_t cap = c->cap ? c->cap * 2 : 131072;
			char *b = realloc(c->buf, cap);

			if (!b)
				return -ENOMEM;
			c->buf = b;
			c->cap = cap;
		}
		pr = poll(&p, 1, timeout_ms);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0)
			return -errno;
		if (pr == 0)
			return -ETIMEDOUT;
		n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ECONNRESET;
		c->len += (size_t)n;
	}
}

static int reply_errno(const char *name, int code)
{
	(void)name;
	return code > 0 ? -code : -EIO;
}

int cpool_apiclient_call(struct cpool_apiclient *c, enum cpool_op op, json_t *args, json_t **result,
			 int timeout_ms, struct cpool_error *e)
{
	return cpool_apiclient_call_fds(c, op, args, NULL, 0, result, timeout_ms, e);
}

int cpool_apiclient_call_fds(struct cpool_apiclient *c, enum cpool_op op, json_t *args,
			     const int *fds, int nfds, json_t **result, int timeout_ms,
			     struct cpool_error *e)
{
	json_int_t id = c->next_id++;
	json_t *req = cpool_request_new(id, op, args), *reply, *v;
	json_error_t jerr;
	char *line;
	ssize_t n;
	int r;

	*result = NULL;
	line = req ? cpool_message_encode(req) : NULL;
	json_decref(req);
	if (!line)
		return -ENOMEM;
	if (nfds < 0 || nfds > CPOOL_API_MAX_FDS) {
		free(line);
		return cpool_error_set(e, -EINVAL, "at most %d descriptors go with a request",
				       CPOOL_API_MAX_FDS);
	}
	r = send_all(c->fd, line, strlen(line), fds, nfds);
	free(line);
	if (r)
		return cpool_error_set(e, r, "send to cpoold at %s: %s", c->path, strerror(-r));
	for (;;) {
		n = read_line(c, timeout_ms);
		if (n < 0)
			return cpool_error_set(
				e, (int)n, "%s from cpoold at %s: %s",
				n == -ECONNRESET ? "connection closed" : "no reply", c->path,
				n == -ECONNRESET ? "the daemon hung up" : strerror((int)-n));
		reply = json_loadb(c->buf, (size_t)n, 0, &jerr);
		memmove(c->buf, c->buf + n + 1, c->len - (size_t)n - 1);
		c->len -= (size_t)n + 1;
		if (!reply)
			return cpool_error_set(e, -EPROTO, "garbled reply from cpoold: %s",
					       jerr.text);
		v = json_object_get(reply, "id");
		/* id -1: the daemon could not read our request at all. */
		if (json_is_integer(v) && json_integer_value(v) != id &&
		    json_integer_value(v) != -1) {
			json_decref(reply);
			continue; /* a reply to an earlier, abandoned request */
		}
		break;
	}
	if (json_is_true(json_object_get(reply, "ok"))) {
		*result = json_incref(json_object_get(reply, "result"));
		json_decref(reply);
		return 0;
	}
	v = json_object_get(reply, "error");
	r = reply_errno(json_string_value(json_object_get(v, "errno")),
			(int)json_integer_value(json_object_get(v, "code")));
	cpool_error_set(e, r, "%s",
			json_string_value(json_object_get(v, "message")) ?:
				"cpoold refused the request");
	json_decref(reply);
	return r;
}
