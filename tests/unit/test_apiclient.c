// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../tap.h"
#include "cpool/apiclient.h"
#include "cpool/apiserver.h"

static char dir[] = "/tmp/cpool-test-client.XXXXXX";
static char path[200];

static json_t *handler(struct cpool_client *c, const struct cpool_peer *peer,
		       const struct cpool_request *req, void *data)
{
	(void)c;
	(void)data;
	switch (req->op) {
	case CPOOL_OP_VS_CREATE:
		return cpool_reply_error(req->id, -EPERM,
					 "only root may create a virtual server (uid %u)",
					 (unsigned)peer->uid);
	case CPOOL_OP_WAIT:
		return NULL; /* never answered: the client times out */
	default:
		return cpool_reply_ok(req->id, json_pack("{s:s}", "op", cpool_op_name(req->op)));
	}
}

static pid_t start_server(void)
{
	int ready[2];
	pid_t pid;
	char c;

	if (pipe(ready))
		bail_out("pipe");
	pid = fork();
	if (pid == 0) {
		struct cpool_apiserver_opts o = {
			.path = path, .mode = 0600, .gid = (gid_t)-1, .handler = handler
		};
		struct cpool_evloop *loop;
		struct cpool_apiserver *srv;
		struct cpool_error err;

		if (cpool_evloop_new(&loop) || cpool_apiserver_open(loop, &o, &srv, &err))
			_exit(1);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		cpool_evloop_run(loop);
		_exit(0);
	}
	close(ready[1]);
	if (read(ready[0], &c, 1) != 1)
		bail_out("server did not start");
	close(ready[0]);
	return pid;
}

int main(void)
{
	struct cpool_apiclient *c;
	json_t *res = NULL;
	struct cpool_error err;
	pid_t srv;
	int r;

	if (!mkdtemp(dir))
		bail_out("mkdtemp");
	snprintf(path, sizeof(path), "%s/cpool.sock", dir);

	r = cpool_apiclient_connect(path, &c, &err);
	is_int(r, -ENOENT, "no daemon: ENOENT");
	ok(strstr(err.msg, "is the daemon running") != NULL, "and a hint: %s", err.msg);

	setenv("CPOOL_SOCKET", "/x/y.sock", 1);
	is_str(cpool_apiclient_socket_path(NULL), "/x/y.sock",
	       "CPOOL_SOCKET overrides the default");
	is_str(cpool_apiclient_socket_path("/a.sock"), "/a.sock", "an explicit path wins");
	unsetenv("CPOOL_SOCKET");
	is_str(cpool_apiclient_socket_path(NULL), CPOOL_DEFAULT_SOCKET, "default path");

	srv = start_server();
	is_int(cpool_apiclient_connect(path, &c, &err), 0, "connect");
	is_int(cpool_apiclient_call(c, CPOOL_OP_PS, NULL, &res, 5000, &err), 0, "ps");
	is_str(json_string_value(json_object_get(res, "op")), "ps", "result returned");
	json_decref(res);
	r = cpool_apiclient_call(c, CPOOL_OP_VS_CREATE,
				 json_pack("{s:s, s:{s:s}}", "name", "db", "spec", "cpus", "2"),
				 &res, 5000, &err);
	is_int(r, -EPERM, "error reply becomes its errno");
	ok(strstr(err.msg, "only root") != NULL, "with the daemon's message: %s", err.msg);
	ok(res == NULL, "no result on error");
	r = cpool_apiclient_call(c, CPOOL_OP_WAIT, json_pack("{s:i}", "job", 1), &res, 200, &err);
	is_int(r, -ETIMEDOUT, "unanswered call times out");
	/* The late reply to the abandoned call must not be mistaken for this one. */
	is_int(cpool_apiclient_call(c, CPOOL_OP_TOP, NULL, &res, 5000, &err), 0, "next call works");
	is_str(json_string_value(json_object_get(res, "op")), "top", "and gets its own reply");
	json_decref(res);

	kill(srv, SIGKILL);
	waitpid(srv, NULL, 0);
	r = cpool_apiclient_call(c, CPOOL_OP_PS, NULL, &res, 5000, &err);
	ok(r < 0, "daemon killed: the call fails (%d)", r);
	diag("%s", err.msg);
	cpool_apiclient_close(c);

	snprintf(err.msg, sizeof(err.msg), "rm -rf '%s'", dir);
	if (system(err.msg) != 0)
		diag("cleanup failed");
	done_testing();
	return exit_status();
}
