// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cpool/apiserver.h"
#include "cpool/fsutil.h"

struct cpool_client {
	struct cpool_apiserver *srv;
	struct cpool_client *prev, *next;
	struct cpool_evsource *src;
	int fd;
	struct cpool_peer peer;
	char *in;
	size_t in_len;
	char *out;
	size_t out_len, out_cap;
	double tokens;
	double last_refill;
	bool closing; /* flush what is queued, then close */
};

struct cpool_apiserver {
	struct cpool_evloop *loop;
	struct cpool_apiserver_opts opts;
	char *path;
	int fd;
	struct cpool_evsource *src;
	struct cpool_client *clients;
	int nclients;
};

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void client_free(struct cpool_client *c)
{
	struct cpool_apiserver *srv = c->srv;

	if (srv->opts.on_close)
		srv->opts.on_close(c, srv->opts.data);
	cpool_evloop_remove(c->src);
	close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		srv->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	srv->nclients--;
	free(c->in);
	free(c->out);
	free(c);
}

static int flush_output(struct cpool_client *c)
{
	while (c->out_len) {
		ssize_t n = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			return -errno;
		}
		memmove(c->out, c->out + n, c->out_len - (size_t)n);
		c->out_len -= (size_t)n;
	}
	cpool_evloop_modify(c->src, EPOLLIN | EPOLLRDHUP | (c->out_len ? EPOLLOUT : 0));
	return 0;
}

int cpool_client_send(struct cpool_client *c, json_t *msg)
{
	char *line = cpool_message_encode(msg);
	size_t n;

	json_decref(msg);
	if (!line)
		return -ENOMEM;
	n = strlen(line);
	/* A reader that does not read must not make the daemon hoard memory. */
	if (c->out_len + n > c->srv->opts.max_output) {
		free(line);
		c->closing = true;
		c->out_len = 0;
		return -EPIPE;
	}
	if (c->out_len + n > c->out_cap) {
		size_t cap = (c->out_len + n) * 2;
		char *p = realloc(c->out, cap);

		if (!p) {
			free(line);
			return -ENOMEM;
		}
		c->out = p;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, line, n);
	c->out_len += n;
	free(line);
	if (flush_output(c) < 0) {
		/* Freed on its next event (the error or hang-up wakes it). */
		c->closing = true;
		c->out_len = 0;
		return -EPIPE;
	}
	return 0;
}

int cpool_apiserver_client_count(const struct cpool_apiserver *srv)
{
	return srv->nclients;
}

static bool take_token(struct cpool_client *c)
{
	double t = now_mono();

	c->tokens += (t - c->last_refill) * c->srv->opts.rate;
	if (c->tokens > c->srv->opts.burst)
		c->tokens = c->srv->opts.burst;
	c->last_refill = t;
	if (c->tokens < 1)
		return false;
	c->tokens -= 1;
	return true;
}

static void handle_line(struct cpool_client *c, const char *line, size_t len)
{
	struct cpool_request req;
	char err[512];
	json_t *reply;
	int r;

	if (len == 0)
		return; /* blank lines are keep-alives */
	if (!take_token(c)) {
		/* Parse only for the id, so the client can match the refusal. */
		cpool_request_parse(line, len, &req, err, sizeof(err));
		cpool_client_send(c,
				  cpool_reply_error(req.id, -EAGAIN,
						    "rate limit: at most %.0f requests per second",
						    c->srv->opts.rate));
		cpool_request_free(&req);
		return;
	}
	r = cpool_request_parse(line, len, &req, err, sizeof(err));
	if (r) {
		cpool_client_send(c, cpool_reply_error(req.id, r, "%s", err));
	} else {
		reply = c->srv->opts.handler(c, &c->peer, &req, c->srv->opts.data);
		if (reply)
			cpool_client_send(c, reply);
	}
	cpool_request_free(&req);
}

static void client_event(struct cpool_evsource *src, uint32_t events, void *data)
{
	struct cpool_client *c = data;
	const size_t max = CPOOL_PROTO_MAX_LINE + 1;

	(void)src;
	if (events & EPOLLOUT) {
		if (flush_output(c) < 0) {
			client_free(c);
			return;
		}
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLRDHUP | EPOLLERR)) {
		ssize_t n;
		char *nl;

		if (!c->closing) {
			n = recv(c->fd, c->in + c->in_len, max - c->in_len, MSG_DONTWAIT);
			if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
				client_free(c);
				return;
			}
			if (n > 0)
				c->in_len += (size_t)n;
		}
		while (!c->closing && (nl = memchr(c->in, '\n', c->in_len))) {
			size_t len = (size_t)(nl - c->in);

			handle_line(c, c->in, len);
			memmove(c->in, nl + 1, c->in_len - len - 1);
			c->in_len -= len + 1;
		}
		if (!c->closing && c->in_len == max) {
			/* No way to find the next request boundary: answer and hang up. */
			cpool_client_send(c, cpool_reply_error(-1, -EMSGSIZE,
							       "request longer than %d bytes",
							       CPOOL_PROTO_MAX_LINE));
			c->closing = true;
		}
	}
	if (c->closing) {
		flush_output(c);
		client_free(c);
	}
}

static void accept_event(struct cpool_evsource *src, uint32_t events, void *data)
{
	struct cpool_apiserver *srv = data;
	struct cpool_client *c;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd;

	(void)src;
	(void)events;
	fd = accept4(srv->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	if (srv->nclients >= srv->opts.max_clients) {
		static const char msg[] =
			"{\"v\":1,\"id\":-1,\"ok\":false,\"error\":{\"errno\":"
			"\"EBUSY\",\"code\":16,\"message\":\"too many clients\"}}\n";

		if (send(fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
			/* The refusal is best effort; the close says the rest. */
		}
		close(fd);
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (c)
		c->in = malloc(CPOOL_PROTO_MAX_LINE + 1);
	if (!c || !c->in ||
	    cpool_evloop_add(srv->loop, fd, EPOLLIN | EPOLLRDHUP, client_event, c, &c->src)) {
		if (c)
			free(c->in);
		free(c);
		close(fd);
		return;
	}
	c->srv = srv;
	c->fd = fd;
	c->peer = (struct cpool_peer){ .pid = cred.pid, .uid = cred.uid, .gid = cred.gid };
	c->tokens = srv->opts.burst;
	c->last_refill = now_mono();
	c->next = srv->clients;
	if (srv->clients)
		srv->clients->prev = c;
	srv->clients = c;
	srv->nclients++;
}

/* A socket file nobody answers on is a leftover of a dead daemon. */
static int remove_stale_socket(const char *path, const struct sockaddr_un *addr)
{
	struct stat st;
	int fd, r;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	r = connect(fd, (const struct sockaddr *)addr, sizeof(*addr));
	close(fd);
	if (r == 0)
		return -EADDRINUSE;
	return unlink(path) < 0 ? -errno : 0;
}

static int mkdir_parent(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	return cpool_mkdir_p(dir, 0755);
}

int cpool_apiserver_open(struct cpool_evloop *loop, const struct cpool_apiserver_opts *opts,
			 struct cpool_apiserver **out, char *err, size_t errlen)
{
	struct cpool_apiserver *srv;
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	const char *what;
	int r;

	if (strlen(opts->path) >= sizeof(addr.sun_path)) {
		snprintf(err, errlen, "socket path %s: longer than %zu bytes", opts->path,
			 sizeof(addr.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	strcpy(addr.sun_path, opts->path);
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return -ENOMEM;
	srv->loop = loop;
	srv->opts = *opts;
	if (!srv->opts.max_clients)
		srv->opts.max_clients = 256;
	if (srv->opts.rate <= 0)
		srv->opts.rate = 200;
	if (srv->opts.burst <= 0)
		srv->opts.burst = 1000;
	if (!srv->opts.max_output)
		srv->opts.max_output = 16 << 20;
	srv->fd = -1;
	srv->path = strdup(opts->path);
	if (!srv->path) {
		free(srv);
		return -ENOMEM;
	}

	what = "create the directory of";
	if ((r = mkdir_parent(opts->path)))
		goto fail;
	what = "replace the stale socket";
	if ((r = remove_stale_socket(opts->path, &addr)))
		goto fail;
	what = "create";
	srv->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (srv->fd < 0) {
		r = -errno;
		goto fail;
	}
	what = "bind";
	if (bind(srv->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		r = -errno;
		goto fail;
	}
	what = "set the mode of";
	if (chmod(opts->path, opts->mode) < 0) {
		r = -errno;
		goto fail;
	}
	what = "set the group of";
	if (opts->gid != (gid_t)-1 && chown(opts->path, (uid_t)-1, opts->gid) < 0) {
		r = -errno;
		goto fail;
	}
	what = "listen on";
	if (listen(srv->fd, 128) < 0) {
		r = -errno;
		goto fail;
	}
	what = "watch";
	if ((r = cpool_evloop_add(loop, srv->fd, EPOLLIN, accept_event, srv, &srv->src)))
		goto fail;
	*out = srv;
	return 0;
fail:
	snprintf(err, errlen, "%s socket %s: %s", what, opts->path,
		 r == -EADDRINUSE ? "another cpoold is already listening there" : strerror(-r));
	if (srv->fd >= 0) {
		close(srv->fd);
		if (strcmp(what, "bind") != 0 && strncmp(what, "create", 6) != 0)
			unlink(opts->path);
	}
	free(srv->path);
	free(srv);
	return r;
}

void cpool_apiserver_close(struct cpool_apiserver *srv)
{
	if (!srv)
		return;
	while (srv->clients)
		client_free(srv->clients);
	cpool_evloop_remove(srv->src);
	close(srv->fd);
	unlink(srv->path);
	free(srv->path);
	free(srv);
}
