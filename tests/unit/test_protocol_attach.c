// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* The attach request: what the Slurm plugin sends, and what it may not. */
#include <errno.h>
#include <string.h>

#include "../tap.h"
#include "cpool/protocol.h"

static char err[512];

static int parse(const char *line, struct cpool_request *req)
{
	err[0] = '\0';
	return cpool_request_parse(line, strlen(line), req, err, sizeof(err));
}

static int parse_only(const char *line)
{
	struct cpool_request req;
	int r = parse(line, &req);

	cpool_request_free(&req);
	return r;
}

int main(void)
{
	struct cpool_request req;
	int r;

	r = parse("{\"v\":1,\"id\":9,\"op\":\"attach\",\"args\":{\"vs\":\"a\",\"cpus\":2,"
		  "\"uid\":1000,\"gid\":100,\"name\":\"burn\",\"slurm_job\":12,\"slurm_step\":0,"
		  "\"mem\":8388608}}",
		  &req);
	is_int(r, 0, "a full attach parses");
	is_int(req.op, CPOOL_OP_ATTACH, "op attach");
	is_str(req.u.attach.vs, "a", "vs");
	is_int(req.u.attach.cpus, 2, "cpus");
	is_int(req.u.attach.uid, 1000, "uid");
	is_int(req.u.attach.gid, 100, "gid");
	is_str(req.u.attach.name, "burn", "name");
	is_int(req.u.attach.slurm_job, 12, "slurm_job");
	is_int(req.u.attach.slurm_step, 0, "slurm_step 0 is a step, not 'none'");
	is_int((int64_t)req.u.attach.mem, 8388608, "mem");
	cpool_request_free(&req);

	r = parse("{\"v\":1,\"id\":1,\"op\":\"attach\",\"args\":{\"vs\":\"a\",\"uid\":0,"
		  "\"slurm_job\":5,\"slurm_step\":4294967291}}",
		  &req);
	is_int(r, 0, "Slurm's batch step id (0xfffffffb) is accepted");
	ok(req.u.attach.cpus == 1 && req.u.attach.gid == -1 && req.u.attach.name == NULL,
	   "defaults: 1 CPU, gid unknown, no name");
	is_int(req.u.attach.slurm_step, 4294967291LL, "the step id kept whole");
	cpool_request_free(&req);

	is_int(parse_only("{\"v\":1,\"id\":1,\"op\":\"attach\",\"args\":{\"uid\":0}}"), -EINVAL,
	       "no vs: refused");
	ok(strstr(err, "args.vs") != NULL, "the message names vs: %s", err);
	is_int(parse_only("{\"v\":1,\"id\":1,\"op\":\"attach\",\"args\":{\"vs\":\"a\"}}"), -EINVAL,
	       "no uid: refused");
	ok(strstr(err, "args.uid") != NULL, "the message names uid: %s", err);
	is_int(parse_only("{\"v\":1,\"id\":1,\"op\":\"attach\",\"args\":{\"vs\":\"a\",\"uid\":0,"
			  "\"cpus\":0}}"),
	       -EINVAL, "0 CPUs: refused");
	is_int(parse_only("{\"v\":1,\"id\":1,\"op\":\"attach\",\"args\":{\"vs\":\"a\",\"uid\":0,"
			  "\"pid\":1}}"),
	       -EINVAL, "a pid in the arguments is refused: the process travels as a pidfd");
	ok(strstr(err, "'pid'") != NULL, "the message names the key: %s", err);
	is_int(parse_only("{\"v\":1,\"id\":1,\"op\":\"attach\",\"args\":{\"vs\":\"a\",\"uid\":0,"
			  "\"slurm_job\":-1}}"),
	       -EINVAL, "a negative Slurm job id: refused");
	is_str(cpool_op_name(CPOOL_OP_ATTACH), "attach", "the op's name");
	return exit_status();
}
