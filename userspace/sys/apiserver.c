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
#include "cpool/safedir.h"

struct cpool_client {
	struct cpool_apiserver *srv;
	struct cpool_client *prev, *next;
	struct cpool_evsource *src;
	int fd;
	struct cpool_peer peer;
	/*
	 * Both buffers exist only while they hold bytes: an idle client costs
	 * this struct, not 64 KiB of line buffer, and a burst of replies is
	 * given back once it is sent.
	 */
	char *in;
	size_t in_len, in_cap;
	char *out;
	size_t out_off, out_len, out_cap; /* unsent bytes: out[out_off, out_len) */
	double tokens;
	double last_refill;
	double last_active; /* a request read or a reply byte sent */
	int owed; /* replies the handler deferred (wait) */
	/*
	 * Descriptors passed with SCM_RIGHTS, at most one set of
	 * CPOOL_API_MAX_FDS: they belong to the request whose line holds the
	 * byte at fds_at (an offset into in), and are closed after it unless
	 * its handler took them.
	 */
	int fds[CPOOL_API_MAX_FDS];
	int n_fds;
	size_t fds_at;
	bool in_handler;
	bool closing; /* flush what is queued, then close */
	/* A reply sent in parts (cpool_client_stream), and what is sent meanwhile, after it. */
	cpool_client_stream_fn stream;
	void (*stream_release)(void *ctx);
	void *stream_ctx;
	bool stream_paused;
	char *after;
	size_t after_len;
};

struct cpool_apiserver {
	struct cpool_evloop *loop;
	struct cpool_apiserver_opts opts;
	char *path;
	int fd;
	struct cpool_evsource *src;
	struct cpool_evsource *idle_timer;
	struct cpool_client *clients;
	int nclients;
};

/* The first buffer of a client; grown by doubling up to the line limit. */
#define IN_CHUNK 4096

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void close_fds(struct cpool_client *c)
{
	for (int i = 0; i < c->n_fds; i++)
		close(c->fds[i]);
	c->n_fds = 0;
}

int cpool_client_take_fds(struct cpool_client *c, int *fds, int max)
{
	int n = c->n_fds;

	if (!c->in_handler || n > max)
		return -EINVAL;
	memcpy(fds, c->fds, (size_t)n * sizeof(*fds));
	c->n_fds = 0;
	return n;
}

static void end_stream(struct cpool_client *c)
{
	if (c->stream && c->stream_release)
		c->stream_release(c->stream_ctx);
	c->stream = NULL;
	c->stream_release = NULL;
	c->stream_ctx = NULL;
	c->stream_paused = false;
}

static void client_free(struct cpool_client *c)
{
	struct cpool_apiserver *srv = c->srv;

	end_stream(c);
	free(c->after);
	close_fds(c);
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

static void drop_output(struct cpool_client *c)
{
	free(c->out);
	c->out = NULL;
	c->out_off = c->out_len = c->out_cap = 0;
}

/*
 * Back-pressure: while a reply is unsent the client is not read, so its
 * next requests wait in the kernel's socket buffer, not in ours.
 */
static void watch(struct cpool_client *c)
{
	uint32_t ev = EPOLLIN | EPOLLRDHUP;

	if (c->out_len || (c->stream && !c->stream_paused))
		ev = EPOLLOUT;
	else if (c->stream)
		ev = 0; /* paused: only a hang-up or an error (always reported) */
	cpool_evloop_modify(c->src, ev);
}

static int flush_output(struct cpool_client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			return -errno;
		}
		c->out_off += (size_t)n;
		c->last_active = now_mono();
	}
	if (c->out_off == c->out_len)
		drop_output(c);
	watch(c);
	return 0;
}

/* Queues @n bytes of @line (taken) after what is pending; -EPIPE: the client is to be closed. */
static int queue_bytes(struct cpool_client *c, char *line, size_t n)
{
	size_t pending = c->out_len - c->out_off;

	/* A reader that does not read must not make the daemon hoard memory. */
	if (pending + c->after_len + n > c->srv->opts.max_output) {
		free(line);
		c->closing = true;
		drop_output(c);
		return -EPIPE;
	}
	if (!c->out_len) {
		/* Nothing pending: the encoded line is the buffer. */
		c->out = line;
		c->out_len = c->out_cap = n;
		c->out_off = 0;
	} else {
		if (c->out_off) {
			memmove(c->out, c->out + c->out_off, pending);
			c->out_off = 0;
			c->out_len = pending;
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
	}
	return 0;
}

/* While a reply streams, a whole message waits to follow it, not to cut its line. */
static int queue_after(struct cpool_client *c, char *line, size_t n)
{
	char *p;

	if (c->out_len - c->out_off + c->after_len + n > c->srv->opts.max_output) {
		free(line);
		c->closing = true;
		drop_output(c);
		return -EPIPE;
	}
	p = realloc(c->after, c->after_len + n);
	if (!p) {
		free(line);
		return -ENOMEM;
	}
	memcpy(p + c->after_len, line, n);
	c->after = p;
	c->after_len += n;
	free(line);
	return 0;
}

/*
 * The next part of the streaming reply, queued and sent as far as the
 * socket takes it; once the last is queued, what waited after it.  A
 * negative errno: the client is to be closed.
 */
static int stream_step(struct cpool_client *c)
{
	char *part = NULL;
	size_t len = 0;
	int r = c->stream(c->stream_ctx, &part, &len);

	c->stream_paused = r == CPOOL_CLIENT_STREAM_PAUSE;
	if (r < 0) {
		free(part);
		end_stream(c);
		c->closing = true;
		drop_output(c);
		return r;
	}
	if (part && len) {
		int q = queue_bytes(c, part, len);

		if (q < 0) {
			/* Half a line sent cannot be finished: the client goes. */
			end_stream(c);
			c->closing = true;
			drop_output(c);
			return q;
		}
	} else {
		free(part);
	}
	if (r == 0) {
		end_stream(c);
		if (c->after) {
			char *after = c->after;
			size_t n = c->after_len;

			c->after = NULL;
			c->after_len = 0;
			if (queue_bytes(c, after, n))
				return -EPIPE;
		}
	}
	if (flush_output(c) < 0) {
		c->closing = true;
		drop_output(c);
		return -EPIPE;
	}
	return 0;
}

void cpool_client_stream_resume(struct cpool_client *c)
{
	if (!c->stream || !c->stream_paused)
		return;
	c->stream_paused = false;
	watch(c);
}

int cpool_client_stream(struct cpool_client *c, cpool_client_stream_fn next,
			void (*release)(void *ctx), void *ctx)
{
	if (!c || !next)
		return -EINVAL;
	if (c->stream)
		return -EBUSY;
	c->stream = next;
	c->stream_release = release;
	c->stream_ctx = ctx;
	return 0;
}

int cpool_client_send(struct cpool_client *c, json_t *msg)
{
	char *line = cpool_message_encode(msg);
	int r;

	json_decref(msg);
	if (!c->in_handler && c->owed > 0)
		c->owed--;
	if (!line)
		return -ENOMEM;
	if (c->closing) {
		free(line);
		return -EPIPE;
	}
	if (c->stream)
		return queue_after(c, line, strlen(line));
	r = queue_bytes(c, line, strlen(line));
	if (r)
		return r;
	if (flush_output(c) < 0) {
		/* Freed on its next event (the error or hang-up wakes it), or by the sweep. */
		c->closing = true;
		drop_output(c);
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
	struct cpool_error e;
	json_t *reply;
	int r;

	if (len == 0)
		return; /* blank lines are keep-alives */
	if (!take_token(c)) {
		/* Parse only for the id, so the client can match the refusal. */
		cpool_request_parse(line, len, &req, NULL);
		cpool_client_send(c,
				  cpool_reply_error(req.id, -EAGAIN,
						    "rate limit: at most %.0f requests per second",
						    c->srv->opts.rate));
		cpool_request_free(&req);
		return;
	}
	r = cpool_request_parse(line, len, &req, &e);
	if (r) {
		cpool_client_send(c, cpool_reply_error(req.id, r, "%s", e.msg));
	} else {
		c->in_handler = true;
		cpool_evloop_note(c->srv->loop, cpool_op_name(req.op));
		reply = c->srv->opts.handler(c, &c->peer, &req, c->srv->opts.data);
		c->in_handler = false;
		if (reply)
			cpool_client_send(c, reply);
		else if (c->stream)
			stream_step(c); /* its first part now: a short reply is done at once */
		else
			c->owed++;
	}
	cpool_request_free(&req);
}

/* The complete lines read so far, one at a time, each once its predecessor's reply is out. */
static void handle_lines(struct cpool_client *c)
{
	size_t done = 0;
	char *nl;

	while (c->in && !c->closing && !c->out_len && !c->stream &&
	       (nl = memchr(c->in + done, '\n', c->in_len - done))) {
		size_t len = (size_t)(nl - (c->in + done));
		/* Descriptors that came with this line's bytes are its own. */
		bool own = c->n_fds && c->fds_at <= done + len;
		int kept = c->n_fds;

		if (!own)
			c->n_fds = 0; /* hidden from this request's handler */
		handle_line(c, c->in + done, len);
		if (own)
			close_fds(c); /* not taken */
		else
			c->n_fds = kept;
		done += len + 1;
	}
	if (!done)
		return;
	if (c->n_fds)
		c->fds_at -= done;
	memmove(c->in, c->in + done, c->in_len - done);
	c->in_len -= done;
	if (!c->in_len) {
		free(c->in);
		c->in = NULL;
		c->in_cap = 0;
	}
}

/*
 * recv() that also takes descriptors passed with SCM_RIGHTS (the kernel
 * hands over at most one sender's set per call, with the first byte of
 * the data that carried it).  Close-on-exec at once, so no supervisor
 * forked meanwhile keeps them; a set beyond CPOOL_API_MAX_FDS, or while a
 * set is pending, is closed: a client cannot make the daemon hoard fds.
 */
static ssize_t recv_with_fds(struct cpool_client *c)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * CPOOL_API_MAX_FDS)];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = c->in + c->in_len, .iov_len = c->in_cap - c->in_len };
	struct msghdr msg = { .msg_iov = &iov,
			      .msg_iovlen = 1,
			      .msg_control = control.buf,
			      .msg_controllen = sizeof(control.buf) };
	ssize_t n = recvmsg(c->fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

	if (n < 0)
		return n;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		/* The buffer's alignment padding may hold more than the maximum. */
		int fds[sizeof(control.buf) / sizeof(int)], got;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		got = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		if (got > (int)(sizeof(fds) / sizeof(fds[0])))
			got = (int)(sizeof(fds) / sizeof(fds[0]));
		memcpy(fds, CMSG_DATA(cm), (size_t)got * sizeof(int));
		if (c->n_fds || got > CPOOL_API_MAX_FDS || (msg.msg_flags & MSG_CTRUNC)) {
			for (int i = 0; i < got; i++)
				close(fds[i]);
			continue;
		}
		memcpy(c->fds, fds, (size_t)got * sizeof(int));
		c->n_fds = got;
		c->fds_at = c->in_len;
	}
	return n;
}

/* Reads what the socket has; false when the client is gone. */
static bool read_input(struct cpool_client *c)
{
	const size_t max = CPOOL_PROTO_MAX_LINE + 1;
	ssize_t n;

	if (c->in_len == c->in_cap) {
		size_t cap = c->in_cap ? c->in_cap * 2 : IN_CHUNK;
		char *p;

		if (cap > max)
			cap = max;
		p = realloc(c->in, cap);
		if (!p)
			return true; /* try again on the next event */
		c->in = p;
		c->in_cap = cap;
	}
	if (c->in_len == c->in_cap)
		return true; /* full of lines not yet answered: read when they are */
	n = recv_with_fds(c);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		return false;
	if (n > 0) {
		c->in_len += (size_t)n;
		c->last_active = now_mono();
	}
	return true;
}

static void client_event(struct cpool_evsource *src, uint32_t events, void *data)
{
	struct cpool_client *c = data;

	(void)src;
	if (c->stream_paused && !c->out_len && (events & (EPOLLHUP | EPOLLERR))) {
		client_free(c); /* gone while its reply waited */
		return;
	}
	if (events & EPOLLOUT) {
		if (flush_output(c) < 0) {
			client_free(c);
			return;
		}
		/* One part of a streaming reply an iteration: the loop serves the others between. */
		if (!c->out_len && c->stream && !c->stream_paused && !c->closing)
			stream_step(c);
		/* Requests read before the pause are answered before any new one is read. */
		if (!c->out_len && !c->stream && !c->closing)
			handle_lines(c);
	}
	if (!c->closing && !c->out_len && !c->stream &&
	    (events & (EPOLLIN | EPOLLHUP | EPOLLRDHUP | EPOLLERR))) {
		if (!read_input(c)) {
			client_free(c);
			return;
		}
		handle_lines(c);
		if (!c->closing && c->in_len == CPOOL_PROTO_MAX_LINE + 1 &&
		    !memchr(c->in, '\n', c->in_len)) {
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

/* Sweeps out clients silent past the idle timeout, and those already condemned. */
static void idle_event(struct cpool_evsource *src, uint32_t events, void *data)
{
	struct cpool_apiserver *srv = data;
	double now = now_mono();

	(void)src;
	(void)events;
	for (struct cpool_client *c = srv->clients, *next; c; c = next) {
		next = c->next;
		if (c->closing) {
			client_free(c);
			continue;
		}
		/* A client waiting for a job's end, or for what its streamed reply needs, is silent by design. */
		if (c->owed > 0 || c->stream_paused ||
		    now - c->last_active < srv->opts.idle_timeout)
			continue;
		if (!c->out_len) {
			/* Best effort: a goodbye the client can match to nothing it sent. */
			cpool_client_send(c,
					  cpool_reply_error(-1, -ETIMEDOUT,
							    "closed after %.0f s without a request",
							    srv->opts.idle_timeout));
		}
		client_free(c);
	}
}

static int count_uid(const struct cpool_apiserver *srv, uid_t uid)
{
	int n = 0;

	for (const struct cpool_client *c = srv->clients; c; c = c->next)
		n += c->peer.uid == uid;
	return n;
}

/* NULL when @uid may connect now, else why not. */
static const char *refuse_client(const struct cpool_apiserver *srv, uid_t uid, char *buf,
				 size_t len)
{
	const struct cpool_apiserver_opts *o = &srv->opts;

	if (srv->nclients >= o->max_clients) {
		snprintf(buf, len, "too many clients: at most %d connections (max_connections)",
			 o->max_clients);
		return buf;
	}
	if (uid == 0)
		return NULL;
	if (srv->nclients >= o->max_clients - o->root_clients) {
		snprintf(buf, len,
			 "too many clients: the last %d of %d connections are kept for root "
			 "(root_connections)",
			 o->root_clients, o->max_clients);
		return buf;
	}
	if (o->max_clients_per_uid && count_uid(srv, uid) >= o->max_clients_per_uid) {
		snprintf(buf, len,
			 "too many connections of uid %u: at most %d (connections_per_user)",
			 (unsigned)uid, o->max_clients_per_uid);
		return buf;
	}
	return NULL;
}

static void accept_event(struct cpool_evsource *src, uint32_t events, void *data)
{
	struct cpool_apiserver *srv = data;
	struct cpool_client *c;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	char why[256];
	int fd;

	(void)src;
	(void)events;
	fd = accept4(srv->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		close(fd);
		return;
	}
	if (refuse_client(srv, cred.uid, why, sizeof(why))) {
		json_t *msg = cpool_reply_error(-1, -EBUSY, "%s", why);
		char *line = msg ? cpool_message_encode(msg) : NULL;

		json_decref(msg);
		if (line && send(fd, line, strlen(line), MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
			/* The refusal is best effort; the close says the rest. */
		}
		free(line);
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c || cpool_evloop_add(srv->loop, fd, EPOLLIN | EPOLLRDHUP, client_event, c, &c->src)) {
		free(c);
		close(fd);
		return;
	}
	cpool_evsource_set_name(c->src, "api client");
	c->srv = srv;
	c->fd = fd;
	c->peer = (struct cpool_peer){ .pid = cred.pid, .uid = cred.uid, .gid = cred.gid };
	c->tokens = srv->opts.burst;
	c->last_refill = c->last_active = now_mono();
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

/*
 * The socket's directory, checked from "/" (safedir.h): nobody else can
 * then rename or replace what is in it, so the socket's own name is safe.
 */
static int open_parent(const char *path, char *name, size_t namelen, struct cpool_error *e)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash) {
		snprintf(name, namelen, "%s", dir);
		snprintf(dir, sizeof(dir), ".");
	} else {
		snprintf(name, namelen, "%s", slash + 1);
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
	return cpool_safe_dir_open(dir, 0755, geteuid(), CPOOL_SAFE_DIR_STICKY_OK, e);
}

int cpool_apiserver_open(struct cpool_evloop *loop, const struct cpool_apiserver_opts *opts,
			 struct cpool_apiserver **out, struct cpool_error *e)
{
	struct cpool_apiserver *srv;
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char name[sizeof(addr.sun_path)];
	const char *what;
	mode_t old_umask;
	int dirfd, r;

	if (strlen(opts->path) >= sizeof(addr.sun_path))
		return cpool_error_set(e, -ENAMETOOLONG, "socket path %s: longer than %zu bytes",
				       opts->path, sizeof(addr.sun_path) - 1);
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
	if (srv->opts.root_clients < 0 || srv->opts.root_clients >= srv->opts.max_clients)
		srv->opts.root_clients = 0;
	srv->fd = -1;
	srv->path = strdup(opts->path);
	if (!srv->path) {
		free(srv);
		return -ENOMEM;
	}

	dirfd = open_parent(opts->path, name, sizeof(name), e);
	if (dirfd < 0) {
		cpool_error_prefix(e, "the directory of socket %s", opts->path);
		free(srv->path);
		free(srv);
		return dirfd;
	}
	what = "replace the stale socket";
	if ((r = remove_stale_socket(opts->path, &addr)))
		goto fail;
	what = "create";
	srv->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (srv->fd < 0) {
		r = -errno;
		goto fail;
	}
	/*
	 * bind() creates the file with 0777 & ~umask: under the umask of the
	 * mode asked for, it is born with that mode, and no chmod by path is
	 * needed (Linux has no fchmod for the file of a socket; fchmod on
	 * the fd changes only the socket's own inode).
	 */
	what = "bind";
	old_umask = umask(~opts->mode & 0777);
	r = bind(srv->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ? -errno : 0;
	umask(old_umask);
	if (r)
		goto fail;
	/* The group by name in the checked directory, never through a symlink. */
	what = "set the group of";
	if (opts->gid != (gid_t)-1 &&
	    fchownat(dirfd, name, (uid_t)-1, opts->gid, AT_SYMLINK_NOFOLLOW) < 0) {
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
	cpool_evsource_set_name(srv->src, "api accept");
	if (srv->opts.idle_timeout > 0) {
		/* A sweep a few times per timeout: a client lives at most 1.25 timeouts idle. */
		uint64_t every = (uint64_t)(srv->opts.idle_timeout * 1e9 / 4);

		if (every < 10000000)
			every = 10000000;
		what = "set the idle timer of";
		if ((r = cpool_evloop_add_timer(loop, every, every, idle_event, srv,
						&srv->idle_timer))) {
			cpool_evloop_remove(srv->src);
			goto fail;
		}
		cpool_evsource_set_name(srv->idle_timer, "api idle sweep");
	}
	close(dirfd);
	*out = srv;
	return 0;
fail:
	close(dirfd);
	cpool_error_set(e, r, "%s socket %s: %s", what, opts->path,
			r == -EADDRINUSE ? "another cpoold is already listening there" :
					   strerror(-r));
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
	if (srv->idle_timer)
		cpool_evloop_remove(srv->idle_timer);
	cpool_evloop_remove(srv->src);
	close(srv->fd);
	unlink(srv->path);
	free(srv->path);
	free(srv);
}
