// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "cpool/protocol.h"

static struct cpool_error err;

static int parse(const char *line, struct cpool_request *req)
{
	err.msg[0] = '\0';
	return cpool_request_parse(line, strlen(line), req, &err);
}

/* Parses, frees, and returns the result; the error text stays in err. */
static int parse_only(const char *line)
{
	struct cpool_request req;
	int r = parse(line, &req);

	cpool_request_free(&req);
	return r;
}

/* hold, after, array, patterns; the ops that name ID or ID_N; the filters of ps and history. */
static void test_jobctl(void)
{
	struct cpool_request req;

	is_int(parse("{\"v\":1,\"op\":\"submit\",\"args\":{\"argv\":[\"x\"],\"hold\":true,"
		     "\"after\":\"3:notok,4\",\"array\":\"0-9:3%2\",\"stdout\":\"o-%j\"}}",
		     &req),
	       0, "submit with hold, after, array and a pattern parses");
	ok(req.u.submit.hold, "hold");
	is_int((int64_t)req.u.submit.n_deps, 2, "two deps");
	is_int(req.u.submit.deps[0].when, CPOOL_DEP_NOTOK, "the first: notok");
	ok(req.u.submit.is_array && req.u.submit.array.step == 3 &&
		   req.u.submit.array.max_running == 2,
	   "the array");
	cpool_request_free(&req);
	is_int(parse_only("{\"v\":1,\"op\":\"submit\",\"args\":{\"argv\":[\"x\"],"
			  "\"after\":\"3:soon\"}}"),
	       -EINVAL, "a bad after: refused");
	ok(strstr(err.msg, "args.after") != NULL, "named: %s", err.msg);
	is_int(parse_only("{\"v\":1,\"op\":\"submit\",\"args\":{\"argv\":[\"x\"],"
			  "\"array\":\"5-1\"}}"),
	       -EINVAL, "a backwards array: refused");
	is_int(parse_only("{\"v\":1,\"op\":\"submit\",\"args\":{\"argv\":[\"x\"],"
			  "\"stderr\":\"e-%q\"}}"),
	       -EINVAL, "an unknown pattern: refused");
	ok(strstr(err.msg, "args.stderr") != NULL, "named: %s", err.msg);
	is_int(parse_only("{\"v\":1,\"op\":\"submit\",\"args\":{\"argv\":[\"x\"],"
			  "\"hold\":1}}"),
	       -EINVAL, "hold must be a boolean");

	is_int(parse("{\"v\":1,\"op\":\"hold\",\"args\":{\"job\":5,\"task\":3}}", &req), 0,
	       "hold ID_N parses");
	ok(req.u.job == 5 && req.task == 3, "job and task");
	cpool_request_free(&req);
	is_int(parse("{\"v\":1,\"op\":\"cancel\",\"args\":{\"job\":5}}", &req), 0,
	       "cancel ID parses");
	is_int(req.task, -1, "no task: -1");
	cpool_request_free(&req);
	is_int(parse_only("{\"v\":1,\"op\":\"release\",\"args\":{}}"), -EINVAL,
	       "release without a job: refused");
	is_int(parse_only("{\"v\":1,\"op\":\"signal\",\"args\":{\"job\":5}}"), -EINVAL,
	       "signal without a signal: refused");
	is_int(parse_only("{\"v\":1,\"op\":\"signal\",\"args\":{\"job\":5,\"signal\":65}}"),
	       -EINVAL, "signal 65: refused");
	is_int(parse("{\"v\":1,\"op\":\"signal\",\"args\":{\"job\":5,\"signal\":15}}", &req), 0,
	       "signal 15 parses");
	is_int(req.signal, 15, "the signal");
	cpool_request_free(&req);
	is_int(parse("{\"v\":1,\"op\":\"ps\",\"args\":{\"uid\":7,\"state\":\"queued\","
		     "\"vs\":\"db\",\"name\":\"n\",\"job\":4,\"task\":1}}",
		     &req),
	       0, "ps filters parse");
	ok(req.select.uid == 7 && req.select.state == 0 && req.select.job == 4 &&
		   req.select.task == 1 && strcmp(req.select.vs, "db") == 0,
	   "into the selection");
	cpool_request_free(&req);
	is_int(parse_only("{\"v\":1,\"op\":\"ps\",\"args\":{\"state\":\"asleep\"}}"), -EINVAL,
	       "an unknown state: refused");
	is_int(parse_only("{\"v\":1,\"op\":\"ps\",\"args\":{\"task\":1}}"), -EINVAL,
	       "a task without its array: refused");
	is_int(parse("{\"v\":1,\"op\":\"history\",\"args\":{\"until\":5.5,\"state\":\"done\"}}",
		     &req),
	       0, "history's new filters parse");
	ok(req.select.until == 5.5 && req.select.state == CPOOL_JOB_DONE, "until and state");
	cpool_request_free(&req);
}

/* The attach request: what the Slurm plugin sends, and what it may not. */
static void check_attach(void)
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
	ok(strstr(err.msg, "args.vs") != NULL, "the message names vs: %s", err.msg);
	is_int(parse_only("{\"v\":1,\"id\":1,\"op\":\"attach\",\"args\":{\"vs\":\"a\"}}"), -EINVAL,
	       "no uid: refused");
	ok(strstr(err.msg, "args.uid") != NULL, "the message names uid: %s", err.msg);
	is_int(parse_only("{\"v\":1,\"id\":1,\"op\":\"attach\",\"args\":{\"vs\":\"a\",\"uid\":0,"
			  "\"cpus\":0}}"),
	       -EINVAL, "0 CPUs: refused");
	is_int(parse_only("{\"v\":1,\"id\":1,\"op\":\"attach\",\"args\":{\"vs\":\"a\",\"uid\":0,"
			  "\"pid\":1}}"),
	       -EINVAL, "a pid in the arguments is refused: the process travels as a pidfd");
	ok(strstr(err.msg, "'pid'") != NULL, "the message names the key: %s", err.msg);
	is_int(parse_only("{\"v\":1,\"id\":1,\"op\":\"attach\",\"args\":{\"vs\":\"a\",\"uid\":0,"
			  "\"slurm_job\":-1}}"),
	       -EINVAL, "a negative Slurm job id: refused");
	is_str(cpool_op_name(CPOOL_OP_ATTACH), "attach", "the op's name");
}

/*
 * Every errno userspace/ returns (grep -ohE -- '-E[A-Z0-9]+' userspace/) goes
 * out by its own name: a name missing from the table once sent EALREADY
 * (cancel of an ended job) as "EIO".
 */
static void check_errno_names(void)
{
	static const struct {
		int code;
		const char *name;
	} sent[] = {
		{ EINVAL, "EINVAL" },
		{ ENOMEM, "ENOMEM" },
		{ ENOENT, "ENOENT" },
		{ ENOSPC, "ENOSPC" },
		{ EBUSY, "EBUSY" },
		{ EPERM, "EPERM" },
		{ ENAMETOOLONG, "ENAMETOOLONG" },
		{ EIO, "EIO" },
		{ EEXIST, "EEXIST" },
		{ ESRCH, "ESRCH" },
		{ EPROTO, "EPROTO" },
		{ ERANGE, "ERANGE" },
		{ E2BIG, "E2BIG" },
		{ EAGAIN, "EAGAIN" },
		{ EDQUOT, "EDQUOT" },
		{ EALREADY, "EALREADY" },
		{ ETIMEDOUT, "ETIMEDOUT" },
		{ EPIPE, "EPIPE" },
		{ ECONNRESET, "ECONNRESET" },
		{ EADDRINUSE, "EADDRINUSE" },
		{ ENOTDIR, "ENOTDIR" },
		{ EMSGSIZE, "EMSGSIZE" },
		{ ELOOP, "ELOOP" },
		{ EBADF, "EBADF" },
		{ EACCES, "EACCES" },
		{ ENOTSUP, "ENOTSUP" },
		{ ENXIO, "ENXIO" },
		{ EDEADLK, "EDEADLK" },
		{ ECONNREFUSED, "ECONNREFUSED" },
		{ EAFNOSUPPORT, "EAFNOSUPPORT" },
		{ ECANCELED, "ECANCELED" },
		{ EROFS, "EROFS" },
		{ ENOTEMPTY, "ENOTEMPTY" },
	};
	int wrong = 0;

	for (size_t i = 0; i < sizeof(sent) / sizeof(sent[0]); i++)
		if (strcmp(cpool_errno_name(-sent[i].code), sent[i].name)) {
			diag("errno %d goes out as %s, not %s", sent[i].code,
			     cpool_errno_name(-sent[i].code), sent[i].name);
			wrong++;
		}
	ok(wrong == 0, "every errno the daemon sends keeps its name on the wire");
	is_str(cpool_errno_name(-EALREADY), "EALREADY", "EALREADY (cancel of an ended job)");
	wrong = 0;
	for (int code = 1; code < 256; code++)
		if (code != EIO && strerrorname_np(code) &&
		    strcmp(cpool_errno_name(code), "EIO") == 0) {
			diag("errno %d (%s) goes out as EIO", code, strerrorname_np(code));
			wrong++;
		}
	ok(wrong == 0, "no errno with a name but EIO itself goes out as EIO");
}

int main(void)
{
	struct cpool_request req;
	json_t *msg;
	char *line, *big;
	int r;

	r = parse("{\"v\":1,\"id\":7,\"op\":\"submit\",\"args\":{\"argv\":[\"/bin/echo\",\"hi\"],"
		  "\"cpus\":2,\"mem\":1048576,\"estimate\":1.5,\"priority\":-5,\"vs\":\"db\","
		  "\"env\":[\"A=1\"],\"cwd\":\"/tmp\"}}",
		  &req);
	is_int(r, 0, "valid submit parses");
	is_int(req.id, 7, "id kept");
	is_int(req.op, CPOOL_OP_SUBMIT, "op");
	is_int(req.u.submit.argc, 2, "argc");
	is_str(req.u.submit.argv[1], "hi", "argv[1]");
	ok(req.u.submit.argv[2] == NULL, "argv is NULL-terminated");
	is_int(req.u.submit.cpus, 2, "cpus");
	is_int((int64_t)req.u.submit.mem, 1048576, "mem");
	is_double(req.u.submit.estimate, 1.5, 0, "estimate");
	is_int(req.u.submit.priority, -5, "priority");
	is_str(req.u.submit.vs, "db", "vs");
	is_str(req.u.submit.env[0], "A=1", "env");
	is_str(req.u.submit.cwd, "/tmp", "cwd");
	cpool_request_free(&req);

	r = parse("{\"v\":1,\"id\":1,\"op\":\"submit\",\"args\":{\"argv\":[\"x\"]}}", &req);
	is_int(r, 0, "minimal submit");
	is_int(req.u.submit.cpus, 1, "cpus defaults to 1");
	ok(req.u.submit.vs == NULL && req.u.submit.env == NULL, "absent optionals are NULL");
	cpool_request_free(&req);

	r = parse("{\"v\":1,\"id\":3,\"op\":\"cancel\",\"args\":{\"job\":42}}", &req);
	ok(r == 0 && req.u.job == 42, "cancel job 42");
	cpool_request_free(&req);
	r = parse("{\"v\":1,\"id\":3,\"op\":\"ps\"}", &req);
	ok(r == 0 && req.op == CPOOL_OP_PS, "ps without args");
	cpool_request_free(&req);
	r = parse(
		"{\"v\":1,\"id\":4,\"op\":\"vs.create\",\"args\":{\"name\":\"db\",\"spec\":{\"cpus\":\"4\",\"exclusive\":true}}}",
		&req);
	ok(r == 0 && strcmp(req.u.vs.name, "db") == 0 && json_is_object(req.u.vs.spec),
	   "vs.create");
	cpool_request_free(&req);
	r = parse(
		"{\"v\":1,\"id\":5,\"op\":\"policy.set\",\"args\":{\"policy\":\"sjf\",\"quantum\":0.1}}",
		&req);
	ok(r == 0 && strcmp(req.u.policy.policy, "sjf") == 0 && req.u.policy.admit_p99 == -1,
	   "policy.set; admit_p99 unchanged when not given");
	cpool_request_free(&req);
	r = parse("{\"v\":1,\"id\":6,\"op\":\"policy.set\",\"args\":{\"admit_p99\":0}}", &req);
	ok(r == 0 && req.u.policy.admit_p99 == 0, "policy.set admit_p99 0 alone: turns it off");
	cpool_request_free(&req);

	/* Malformed and invalid requests: an error code, a message, never a crash. */
	is_int(parse_only("{\"v\":1,\"id\":2,\"op\":"), -EINVAL, "truncated JSON");
	ok(strstr(err.msg, "malformed JSON") != NULL, "message says malformed: %s", err.msg);
	is_int(parse_only("[1,2]"), -EINVAL, "not an object");
	is_int(parse_only("{\"v\":2,\"id\":1,\"op\":\"ps\"}"), -EPROTO, "wrong version");
	is_int(parse_only("{\"id\":1,\"op\":\"ps\"}"), -EPROTO, "missing version");
	is_int(parse_only("{\"v\":1,\"id\":\"x\",\"op\":\"ps\"}"), -EINVAL, "string id");
	is_int(parse_only("{\"v\":1,\"id\":1,\"op\":\"reboot\"}"), -EINVAL, "unknown op");
	is_int(parse_only("{\"v\":1,\"id\":1,\"op\":\"submit\",\"args\":{}}"), -EINVAL,
	       "submit without argv");
	is_int(parse_only("{\"v\":1,\"id\":1,\"op\":\"submit\",\"args\":{\"argv\":[]}}"), -EINVAL,
	       "empty argv");
	is_int(parse_only("{\"v\":1,\"id\":1,\"op\":\"submit\",\"args\":{\"argv\":[\"\"]}}"),
	       -EINVAL, "empty argv[0]");
	is_int(parse_only("{\"v\":1,\"id\":1,\"op\":\"submit\",\"args\":{\"argv\":[1]}}"), -EINVAL,
	       "non-string argv");
	is_int(parse_only(
		       "{\"v\":1,\"id\":1,\"op\":\"submit\",\"args\":{\"argv\":[\"a\\u0000b\"]}}"),
	       -EINVAL, "NUL inside argv");
	is_int(parse_only(
		       "{\"v\":1,\"id\":1,\"op\":\"submit\",\"args\":{\"argv\":[\"x\"],\"cpus\":0}}"),
	       -EINVAL, "zero cpus");
	ok(strstr(err.msg, "args.cpus") != NULL, "message names the key: %s", err.msg);
	is_int(parse_only(
		       "{\"v\":1,\"id\":1,\"op\":\"submit\",\"args\":{\"argv\":[\"x\"],\"priority\":99}}"),
	       -EINVAL, "priority out of range");
	is_int(parse_only(
		       "{\"v\":1,\"id\":1,\"op\":\"submit\",\"args\":{\"argv\":[\"x\"],\"cwd\":\"rel\"}}"),
	       -EINVAL, "relative cwd");
	is_int(parse_only(
		       "{\"v\":1,\"id\":1,\"op\":\"submit\",\"args\":{\"argv\":[\"x\"],\"env\":[\"NOEQ\"]}}"),
	       -EINVAL, "env without =");
	is_int(parse_only(
		       "{\"v\":1,\"id\":1,\"op\":\"submit\",\"args\":{\"argv\":[\"x\"],\"estmate\":3}}"),
	       -EINVAL, "misspelt key");
	ok(strstr(err.msg, "estmate") != NULL, "message names the unknown key: %s", err.msg);
	is_int(parse_only(
		       "{\"v\":1,\"id\":1,\"op\":\"submit\",\"args\":{\"argv\":[\"x\"],\"estimate\":-1}}"),
	       -EINVAL, "negative estimate");
	is_int(parse_only(
		       "{\"v\":1,\"id\":1,\"op\":\"submit\",\"args\":{\"argv\":[\"x\"],\"estimate\":1e300}}"),
	       -ERANGE, "an estimate of 1e300 s is refused, not wrapped");
	ok(strstr(err.msg, "args.estimate") && strstr(err.msg, "31622400"),
	   "the refusal names the key and the limit: %s", err.msg);
	is_int(parse_only(
		       "{\"v\":1,\"id\":1,\"op\":\"submit\",\"args\":{\"argv\":[\"x\"],\"estimate\":31622400}}"),
	       0, "an estimate of exactly 366 days is accepted");
	is_int(parse_only("{\"v\":1,\"id\":1,\"op\":\"policy.set\",\"args\":{\"quantum\":1e19}}"),
	       -ERANGE, "a quantum is bounded too");
	is_int(parse_only("{\"v\":1,\"id\":1,\"op\":\"cancel\",\"args\":{}}"), -EINVAL,
	       "cancel without job");
	is_int(parse_only("{\"v\":1,\"id\":1,\"op\":\"vs.create\",\"args\":{\"name\":\"x\"}}"),
	       -EINVAL, "vs.create without spec");
	is_int(parse_only("{\"v\":1,\"id\":1,\"op\":\"policy.set\",\"args\":{}}"), -EINVAL,
	       "empty policy.set");
	is_int(parse_only("{\"v\":1,\"v\":1,\"id\":1,\"op\":\"ps\"}"), -EINVAL, "duplicate keys");

	r = parse("{\"v\":1,\"id\":9,\"op\":\"nope\"}", &req);
	is_int(req.id, 9, "id survives a later error, so the reply can carry it");
	cpool_request_free(&req);

	big = malloc(CPOOL_PROTO_MAX_LINE + 2);
	memset(big, ' ', CPOOL_PROTO_MAX_LINE + 1);
	big[CPOOL_PROTO_MAX_LINE + 1] = '\0';
	is_int(cpool_request_parse(big, CPOOL_PROTO_MAX_LINE + 1, &req, &err), -EMSGSIZE,
	       "oversized request");
	cpool_request_free(&req);
	free(big);

	msg = cpool_reply_error(9, -EPERM, "only root may %s", "create a VS");
	line = cpool_message_encode(msg);
	is_str(line,
	       "{\"v\":1,\"id\":9,\"ok\":false,\"error\":{\"errno\":\"EPERM\",\"code\":1,"
	       "\"message\":\"only root may create a VS\"}}\n",
	       "error reply encoding");
	free(line);
	json_decref(msg);

	msg = cpool_reply_ok(3, json_pack("{s:I}", "job", (json_int_t)12));
	line = cpool_message_encode(msg);
	is_str(line, "{\"v\":1,\"id\":3,\"ok\":true,\"result\":{\"job\":12}}\n",
	       "ok reply encoding");
	free(line);
	json_decref(msg);

	/* What the client builds, the daemon accepts. */
	msg = cpool_request_new(11, CPOOL_OP_WAIT, json_pack("{s:I}", "job", (json_int_t)5));
	line = cpool_message_encode(msg);
	r = parse(line, &req);
	ok(r == 0 && req.op == CPOOL_OP_WAIT && req.u.job == 5 && req.id == 11,
	   "client request round trip");
	cpool_request_free(&req);
	free(line);
	json_decref(msg);

	is_str(cpool_errno_name(-ENOENT), "ENOENT", "errno name");
	check_errno_names();
	is_str(cpool_op_name(CPOOL_OP_VS_LIST), "vs.list", "op name");
	test_jobctl();

	check_attach();
	done_testing();
	return exit_status();
}
