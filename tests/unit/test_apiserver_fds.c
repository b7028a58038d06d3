// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Descriptors passed with requests (SCM_RIGHTS): root's reach the handler
 * that takes them, those no request takes are closed, and nobody else's
 * are ever kept.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../tap.h"
#include "cpool/apiserver.h"

static struct cpool_evloop *loop;
static char dir[] = "/tmp/cpool-test-apifds.XXXXXX";
static char path[200], probe[220];
static ino_t probe_ino;

/* attach takes the descriptor and says whether it is the probe file; others leave it. */
static json_t *handler(struct cpool_client *c, const struct cpool_peer *peer,
		       const struct cpool_request *req, void *data)
{
	struct stat st;
	int fd;

	(void)peer;
	(void)data;
	if (req->op != CPOOL_OP_ATTACH)
		return cpool_reply_ok(req->id, NULL);
	fd = cpool_client_take_fd(c);
	if (fd < 0)
		return cpool_reply_ok(req->id, json_pack("{s:b}", "fd", 0));
	fstat(fd, &st);
	close(fd);
	return cpool_reply_ok(req->id,
			      json_pack("{s:b, s:b}", "fd", 1, "probe", st.st_ino == probe_ino));
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

int main(void)
{
	struct cpool_apiserver_opts o = { .mode = 0666, .gid = (gid_t)-1, .handler = handler };
	struct cpool_apiserver *srv;
	struct cpool_error err = { 0 };
	char buf[4096];
	struct stat st;
	int a, probe_fd, before, status;
	pid_t child;

	if (!mkdtemp(dir))
		bail_out("mkdtemp: %s", strerror(errno));
	chmod(dir, 0755);
	snprintf(path, sizeof(path), "%s/cpool.sock", dir);
	snprintf(probe, sizeof(probe), "%s/probe", dir);
	probe_fd = open(probe, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (probe_fd < 0 || fstat(probe_fd, &st))
		bail_out("create %s: %s", probe, strerror(errno));
	probe_ino = st.st_ino;
	o.path = path;
	if (cpool_evloop_new(&loop) || cpool_apiserver_open(loop, &o, &srv, &err))
		bail_out("server: %s", err.msg);

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
	for (int i = 0; i < CPOOL_APISERVER_MAX_FDS + 3; i++)
		send_fd(a, i == 0 ? "{\"v\":1,\"id\":5," : " ", probe_fd);
	send_fd(a, "\"op\":\"ps\"}\n", -1);
	read_line(a, buf, sizeof(buf));
	is_int(open_fds(), before, "a flood of descriptors leaves none open");

	/* Anyone but root: the descriptor never reaches the handler. */
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
	   "a non-root client's descriptor is closed unread (child status %d)", status);

	close(a);
	cpool_apiserver_close(srv);
	cpool_evloop_free(loop);
	close(probe_fd);
	unlink(probe);
	rmdir(dir);
	done_testing();
	return exit_status();
}
