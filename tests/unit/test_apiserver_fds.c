// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Descriptors passed with a request (SCM_RIGHTS): the handler of that
 * request may take them; what it does not take is closed after it, and a
 * set larger than CPOOL_API_MAX_FDS is closed whole.  cpool run's attached
 * submit takes three from any user; the Slurm plugin's attach op takes one,
 * a pidfd, from root only (the handler here refuses others' as cpoold's
 * does).  Pipes' write ends are sent with our copies closed, so the read end
 * says EOF exactly when the server no longer holds them.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../tap.h"
#include "cpool/apiserver.h"

static struct cpool_evloop *loop;
static char dir[] = "/tmp/cpool-test-api-fds.XXXXXX";
static char path[200], probe[220];
static ino_t probe_ino;
static int taken[CPOOL_API_MAX_FDS], n_taken = -1, seen_by_hello = -1;

/* attach (root's only) takes one descriptor and says whether it is the probe file. */
static json_t *attach(struct cpool_client *c, const struct cpool_peer *peer,
		      const struct cpool_request *req)
{
	struct stat st;
	int fd;

	if (peer->uid != 0 || cpool_client_take_fds(c, &fd, 1) != 1)
		return cpool_reply_ok(req->id, json_pack("{s:b}", "fd", 0));
	fstat(fd, &st);
	close(fd);
	return cpool_reply_ok(req->id,
			      json_pack("{s:b, s:b}", "fd", 1, "probe", st.st_ino == probe_ino));
}

static json_t *handler(struct cpool_client *c, const struct cpool_peer *peer,
		       const struct cpool_request *req, void *data)
{
	int fds[CPOOL_API_MAX_FDS];

	(void)data;
	if (req->op == CPOOL_OP_ATTACH)
		return attach(c, peer, req);
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

static void send_fd(int sock, const char *line, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = (void *)line, .iov_len = strlen(line) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	if (fd >= 0) {
		memset(&control, 0, sizeof(control));
		mh.msg_control = control.buf;
		mh.msg_controllen = sizeof(control.buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	if (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0)
		diag("sendmsg: %s", strerror(errno));
}

/* One reply line; the server runs until it arrives (or, with @child, until the child exits). */
static char *read_line(int fd, char *buf, size_t len)
{
	size_t used = 0;

	for (int tries = 0; tries < 500; tries++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 0) <= 0) {
			cpool_evloop_once(loop, 10);
			continue;
		}
		tries--;
		if (recv(fd, buf + used, 1, 0) <= 0)
			break;
		if (buf[used] == '\n') {
			buf[used] = '\0';
			return buf;
		}
		if (++used == len - 1)
			break;
	}
	buf[used] = '\0';
	return buf;
}

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n;
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
	/* Open to all: a non-root client must reach it. */
	struct cpool_apiserver_opts o = { .mode = 0666, .gid = (gid_t)-1, .handler = handler };
	struct cpool_apiserver *srv;
	int r[8], w[8], sock, a, probe_fd, before, status = -1;
	struct cpool_error err = { 0 };
	char buf[4096];
	struct stat st;
	pid_t child;

	if (!mkdtemp(dir))
		bail_out("mkdtemp: %s", strerror(errno));
	chmod(dir, 0755);
	snprintf(path, sizeof(path), "%s/api.sock", dir);
	snprintf(probe, sizeof(probe), "%s/probe", dir);
	probe_fd = open(probe, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (probe_fd < 0 || fstat(probe_fd, &st))
		bail_out("create %s: %s", probe, strerror(errno));
	probe_ino = st.st_ino;
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

	a = connect_client();
	send_fd(a, "{\"v\":1,\"id\":1,\"op\":\"attach\",\"args\":{\"vs\":\"a\",\"uid\":0}}\n",
		probe_fd);
	is_str(read_line(a, buf, sizeof(buf)),
	       "{\"v\":1,\"id\":1,\"ok\":true,\"result\":{\"fd\":true,\"probe\":true}}",
	       "attach: the handler takes the descriptor root sent, the same file");
	send_fd(a, "{\"v\":1,\"id\":2,\"op\":\"attach\",\"args\":{\"vs\":\"a\",\"uid\":0}}\n", -1);
	is_str(read_line(a, buf, sizeof(buf)),
	       "{\"v\":1,\"id\":2,\"ok\":true,\"result\":{\"fd\":false}}",
	       "attach without a descriptor: the handler gets none");

	before = open_fds();
	send_fd(a, "{\"v\":1,\"id\":3,\"op\":\"ps\"}\n", probe_fd);
	read_line(a, buf, sizeof(buf));
	is_int(open_fds(), before, "a descriptor no request takes is closed after its line");
	send_fd(a, "{\"v\":1,\"id\":4,\"op\":\"attach\",\"args\":{\"vs\":\"a\",\"uid\":0}}\n", -1);
	ok(strstr(read_line(a, buf, sizeof(buf)), "\"fd\":false") != NULL,
	   "and the next request does not inherit it");

	/* Several descriptors with one request: at most the limit are held, the rest closed. */
	before = open_fds();
	for (int i = 0; i < CPOOL_API_MAX_FDS + 3; i++)
		send_fd(a, i == 0 ? "{\"v\":1,\"id\":5," : " ", probe_fd);
	send_fd(a, "\"op\":\"ps\"}\n", -1);
	read_line(a, buf, sizeof(buf));
	is_int(open_fds(), before, "a flood of descriptors leaves none open");

	/* Anyone but root: attach never takes the descriptor, and the server closes it. */
	before = open_fds();
	child = fork();
	if (child == 0) {
		int s;

		if (setuid(65534))
			_exit(3);
		s = connect_client();
		send_fd(s,
			"{\"v\":1,\"id\":6,\"op\":\"attach\",\"args\":{\"vs\":\"a\",\"uid\":0}}\n",
			probe_fd);
		for (int i = 0; i < 2000; i++) {
			struct pollfd p = { .fd = s, .events = POLLIN };
			ssize_t n;

			if (poll(&p, 1, 10) <= 0)
				continue;
			n = recv(s, buf, sizeof(buf) - 1, 0);
			if (n <= 0)
				_exit(4);
			buf[n] = '\0';
			_exit(strstr(buf, "\"fd\":false") ? 0 : 1);
		}
		_exit(5);
	}
	for (int i = 0; i < 2000 && waitpid(child, &status, WNOHANG) == 0; i++)
		cpool_evloop_once(loop, 10);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "a non-root client's descriptor never reaches attach (child status %d)", status);
	for (int i = 0; i < 500 && cpool_apiserver_client_count(srv) > 2; i++)
		cpool_evloop_once(loop, 10);
	is_int(open_fds(), before, "and the server holds none of it once the client is gone");

	close(a);
	close(sock);
	cpool_apiserver_close(srv);
	cpool_evloop_free(loop);
	close(probe_fd);
	unlink(probe);
	rmdir(dir);
	done_testing();
	return exit_status();
}
