// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* submit's "attach" (cpool run): a boolean, and no output paths beside it. */
#include <errno.h>
#include <string.h>

#include "../tap.h"
#include "cpool/protocol.h"

static int parse(const char *line, struct cpool_request *req, struct cpool_error *err)
{
	return cpool_request_parse(line, strlen(line), req, err);
}

int main(void)
{
	struct cpool_request req;
	struct cpool_error err;

	is_int(parse("{\"v\":1,\"id\":1,\"op\":\"submit\",\"args\":{\"argv\":[\"sh\"],\"attach\":true}}",
		     &req, &err),
	       0, "attach: true parses");
	ok(req.u.submit.attach, "and is set");
	cpool_request_free(&req);
	is_int(parse("{\"v\":1,\"id\":1,\"op\":\"submit\",\"args\":{\"argv\":[\"sh\"]}}", &req,
		     &err),
	       0, "a plain submit parses");
	ok(!req.u.submit.attach, "and is not attached");
	cpool_request_free(&req);
	is_int(parse("{\"v\":1,\"id\":1,\"op\":\"submit\",\"args\":{\"argv\":[\"sh\"],\"attach\":1}}",
		     &req, &err),
	       -EINVAL, "attach: 1 is refused");
	is_str(err.msg, "args.attach: expected true or false", "saying what it wants");
	cpool_request_free(&req);
	is_int(parse("{\"v\":1,\"id\":1,\"op\":\"submit\",\"args\":{\"argv\":[\"sh\"],\"attach\":true,"
		     "\"stdout\":\"/tmp/x\"}}",
		     &req, &err),
	       -EINVAL, "attach with a stdout path is refused");
	ok(strstr(err.msg, "stdout and stderr paths must be absent") != NULL, "saying why");
	cpool_request_free(&req);
	is_int(parse("{\"v\":1,\"id\":1,\"op\":\"reload\"}", &req, &err), 0, "reload parses");
	is_int(req.op, CPOOL_OP_RELOAD, "as the reload op");
	cpool_request_free(&req);
	is_int(parse("{\"v\":1,\"id\":1,\"op\":\"share\"}", &req, &err), 0, "share parses");
	cpool_request_free(&req);
	is_int(parse("{\"v\":1,\"id\":1,\"op\":\"attach.started\"}", &req, &err), 0,
	       "attach.started parses");
	is_int(req.op, CPOOL_OP_ATTACH_STARTED, "as its op");
	cpool_request_free(&req);
	is_int(parse("{\"v\":1,\"id\":1,\"op\":\"attach.started\",\"args\":{\"start\":1}}", &req,
		     &err),
	       -EINVAL, "attach.started takes no argument (the caller names no time)");
	cpool_request_free(&req);
	done_testing();
	return exit_status();
}
