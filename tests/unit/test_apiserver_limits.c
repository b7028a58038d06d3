// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The API server under a hostile client: connections per uid and root's
 * reserved slots, the idle timeout, and back-pressure on a client that
 * sends without reading.  Runs as root (the unit tests do); other users'
 * connections come from children that drop to their uid.
 */
#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../tap.h"
#include "cpool/apiserver.h"

static struct cpool_evloop *loop;
static char dir[] = "/tmp/cpool-test-api-limits.XXXXXX";
static char path[200];
static int handled;
static pid_t children[8];
static int nchildren;
static struct cpool_client *waiting;

static json_t *handler(struct cpool_client *c, const struct cpool_peer *peer,
		       const struct cpool_request *req, void *data)
{
	(void)peer;
	(void)data;
	handled++;
	if (req->op == CPOOL_OP_WAIT) {
		waiting = c;
		return NULL;
	}
	/* A reply of some size, so a few hundred fill a socket buffer. */
	return cpool_reply_ok(
		req->id,
		json_pack(
			"{s:s%}", "pad",
			"................................................................................................................................................................................................................................................................",
			(size_t)256));
}

static void on_close(struct cpool_client *c, void *data)
{
	(void)data;
	if (c == waiting)
		waiting = NULL;
}

static int connect_client(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	strcpy(a.sun_path, path);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void pump(int rounds)
{
	for (int i = 0; i < rounds; i++)
		cpool_evloop_once(loop, 5);
}

/*
 * Accepting is the server's next loop round, which a loaded host may
 * delay past any fixed number of rounds: wait for the count, bounded in
 * time, and let the check say what it was.
 */
static void pump_until_clients(struct cpool_apiserver *srv, int want)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		pump(1);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (cpool_apiserver_client_count(srv) < want && t.tv_sec - t0.tv_sec <= 10);
}

/* What the server said first on @fd: its line, "EOF", or "" when nothing within the pumping. */
static const char *first_word(int fd, char *buf, size_t len, bool serve)
{
	/*
	 * A bound in time, not in rounds: on a loaded host a round can end
	 * early, and 400 of them once ran out before the 0.2 s idle timeout
	 * fired.  Nothing here waits that long unless the server is wrong.
	 */
	struct timespec t0, t;
	size_t used = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > 10)
			break;
		if (serve)
			pump(1);
		if (poll(&p, 1, serve ? 0 : 5) <= 0)
			continue;
		n = recv(fd, buf + used, len - used - 1, MSG_DONTWAIT);
		if (n == 0)
			return used ? buf : "EOF";
		if (n < 0)
			continue;
		used += (size_t)n;
		buf[used] = '\0';
		if (strchr(buf, '\n'))
			return buf;
	}
	return used ? buf : "";
}

/*
 * A child as @uid opens @n connections and reports, one byte each, '+'
 * for a connection kept open and '-' for one refused (told EBUSY).  Each
 * connection asks something at once: a kept one is answered, a refused
 * one was told EBUSY at its accept, before anything it sent was read, so
 * either way its first line says which, without waiting out a silence.
 */
static void other_user(uid_t uid, int n, char *out)
{
	int pfd[2], status;
	pid_t pid;

	if (pipe(pfd) < 0 || (pid = fork()) < 0)
		bail_out("fork: %s", strerror(errno));
	if (pid == 0) {
		int fds[16];

		close(pfd[0]);
		if (setresgid(uid, uid, uid) || setresuid(uid, uid, uid))
			_exit(2);
		for (int i = 0; i < n; i++) {
			char buf[512];
			const char *w;

			static const char ask[] = "{\"v\":1,\"id\":1,\"op\":\"stats\"}\n";

			fds[i] = connect_client();
			/* A refused one may be closed already: its line is still there to read. */
			if (fds[i] >= 0 && send(fds[i], ask, sizeof(ask) - 1, MSG_NOSIGNAL) < 0 &&
			    errno != EPIPE)
				_exit(4);
			w = fds[i] < 0 ? "EOF" : first_word(fds[i], buf, sizeof(buf), false);
			w = strstr(w, "EBUSY") ? "-" : strstr(w, "\"id\":1") ? "+" : "?";
			if (write(pfd[1], w, 1) != 1)
				_exit(3);
		}
		/* Keep them open until the parent has counted. */
		pause();
		_exit(0);
	}
	close(pfd[1]);
	for (int got = 0; got < n;) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };

		pump(1);
		if (poll(&p, 1, 0) > 0) {
			if (read(pfd[0], out + got, 1) != 1)
				break;
			got++;
		}
	}
	out[n] = '\0';
	close(pfd[0]);
	/* Left running, holding its connections, until end_children(). */
	(void)status;
	children[nchildren++] = pid;
}

static void end_children(void)
{
	for (int i = 0; i < nchildren; i++) {
		kill(children[i], SIGKILL);
		waitpid(children[i], NULL, 0);
	}
	nchildren = 0;
}

static void connection_limits(void)
{
	struct cpool_apiserver_opts o = { .path = path,
					  .mode = 0666,
					  .gid = (gid_t)-1,
					  .max_clients = 6,
					  .root_clients = 2,
					  .max_clients_per_uid = 2,
					  .handler = handler,
					  .on_close = on_close };
	struct cpool_apiserver *srv;
	struct cpool_error err;
	char buf[512], a[8], b[8];
	int root[3];

	is_int(cpool_apiserver_open(loop, &o, &srv, &err), 0, "server opens");
	if (chmod(dir, 0755) || chmod(path, 0666))
		bail_out("chmod: %s", strerror(errno));
	{
		char run[256];

		snprintf(run, sizeof(run), "%s/run", dir);
		chmod(run, 0755);
	}
	other_user(65534, 3, a);
	is_str(a, "++-", "a user's third connection is refused (connections_per_user = 2)");
	other_user(65533, 3, b);
	is_str(b, "++-", "another user gets their own two, up to max_clients - root_clients");
	is_int(cpool_apiserver_client_count(srv), 4, "four user connections");
	other_user(65532, 1, b);
	is_str(b, "-", "a third user finds only root's slots left");
	root[0] = connect_client();
	root[1] = connect_client();
	pump_until_clients(srv, 6);
	is_int(cpool_apiserver_client_count(srv), 6, "root gets the two reserved slots");
	root[2] = connect_client();
	ok(strstr(first_word(root[2], buf, sizeof(buf), true), "max_connections") != NULL,
	   "past max_clients even root is refused, with the limit named");
	for (int i = 0; i < 3; i++)
		close(root[i]);
	end_children();
	cpool_apiserver_close(srv);
}

static void idle_timeout(void)
{
	struct cpool_apiserver_opts o = { .path = path,
					  .mode = 0600,
					  .gid = (gid_t)-1,
					  .idle_timeout = 0.2,
					  .handler = handler,
					  .on_close = on_close };
	struct cpool_apiserver *srv;
	struct cpool_error err;
	char buf[512];
	int quiet, waiter;

	is_int(cpool_apiserver_open(loop, &o, &srv, &err), 0, "server with a 0.2 s idle timeout");
	quiet = connect_client();
	waiter = connect_client();
	if (send(waiter, "{\"v\":1,\"id\":5,\"op\":\"wait\",\"args\":{\"job\":1}}\n", 44,
		 MSG_NOSIGNAL) < 0)
		bail_out("send: %s", strerror(errno));
	ok(strstr(first_word(quiet, buf, sizeof(buf), true), "ETIMEDOUT") != NULL,
	   "a silent client is told it timed out");
	ok(strcmp(first_word(quiet, buf, sizeof(buf), true), "EOF") == 0, "and closed");
	ok(waiting != NULL, "a client waiting for a job's end is kept");
	cpool_client_send(waiting, cpool_reply_ok(5, NULL));
	ok(strstr(first_word(waiter, buf, sizeof(buf), true), "\"id\":5") != NULL,
	   "and gets its reply");
	ok(strstr(first_word(waiter, buf, sizeof(buf), true), "ETIMEDOUT") != NULL,
	   "once answered, it is idle like any other");
	close(quiet);
	close(waiter);
	cpool_apiserver_close(srv);
}

static void back_pressure(void)
{
	struct cpool_apiserver_opts o = { .path = path,
					  .mode = 0600,
					  .gid = (gid_t)-1,
					  .rate = 1e6,
					  .burst = 1e6,
					  .max_output = 1 << 20,
					  .handler = handler,
					  .on_close = on_close };
	const int total = 4000;
	struct cpool_apiserver *srv;
	struct cpool_error err;
	char *chunk;
	int fd, sent = 0, replies = 0, handled_paused;
	size_t used = 0, cap = 1 << 16;

	is_int(cpool_apiserver_open(loop, &o, &srv, &err), 0, "server with a 1 MiB output cap");
	fd = connect_client();
	handled = 0;
	/* About 1.2 MB of replies are asked for, and none is read yet. */
	while (sent < total) {
		char line[64];
		int n = snprintf(line, sizeof(line), "{\"v\":1,\"id\":%d,\"op\":\"ps\"}\n", sent);

		if (send(fd, line, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) != n)
			break;
		sent++;
		if (sent % 50 == 0)
			pump(1);
	}
	pump(200);
	handled_paused = handled;
	diag("%d requests sent before the socket filled, %d handled while no reply was read", sent,
	     handled_paused);
	ok(handled_paused < total, "the server stops reading a client whose replies are unread");
	is_int(cpool_apiserver_client_count(srv), 1,
	       "and keeps it, rather than dropping it at the cap");
	chunk = malloc(cap);
	while (sent < total || replies < sent) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		pump(1);
		while (sent < total) {
			char line[64];
			int k = snprintf(line, sizeof(line), "{\"v\":1,\"id\":%d,\"op\":\"ps\"}\n",
					 sent);

			if (send(fd, line, (size_t)k, MSG_NOSIGNAL | MSG_DONTWAIT) != k)
				break;
			sent++;
		}
		if (poll(&p, 1, 0) <= 0)
			continue;
		n = recv(fd, chunk + used, cap - used, MSG_DONTWAIT);
		if (n <= 0)
			break;
		used += (size_t)n;
		for (char *nl; (nl = memchr(chunk, '\n', used));) {
			char want[32];

			snprintf(want, sizeof(want), "\"id\":%d,", replies);
			if (!strstr(chunk, want) || strstr(chunk, want) > nl)
				break;
			replies++;
			used -= (size_t)(nl + 1 - chunk);
			memmove(chunk, nl + 1, used);
		}
	}
	is_int(replies, total, "once it reads, every request is answered, in order");
	free(chunk);
	close(fd);
	cpool_apiserver_close(srv);
}

int main(void)
{
	if (geteuid() != 0) {
		plan(1);
		skip(1, "needs root to connect as other users");
		return exit_status();
	}
	if (!mkdtemp(dir))
		bail_out("mkdtemp: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/run/cpool.sock", dir);
	if (cpool_evloop_new(&loop))
		bail_out("evloop");
	idle_timeout();
	back_pressure();
	connection_limits();
	cpool_evloop_free(loop);
	{
		char cmd[256];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			diag("cleanup of %s failed", dir);
	}
	done_testing();
	return exit_status();
}
