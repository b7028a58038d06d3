// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpool/enum_names.h"
#include "cpool/error.h"
#include "cpool/protocol.h"

static const char *const op_table[CPOOL_OP__COUNT] = {
	[CPOOL_OP_HELLO] = "hello",
	[CPOOL_OP_SUBMIT] = "submit",
	[CPOOL_OP_PS] = "ps",
	[CPOOL_OP_CANCEL] = "cancel",
	[CPOOL_OP_WAIT] = "wait",
	[CPOOL_OP_HISTORY] = "history",
	[CPOOL_OP_VS_LIST] = "vs.list",
	[CPOOL_OP_VS_CREATE] = "vs.create",
	[CPOOL_OP_VS_RESIZE] = "vs.resize",
	[CPOOL_OP_VS_DESTROY] = "vs.destroy",
	[CPOOL_OP_POLICY_GET] = "policy.get",
	[CPOOL_OP_POLICY_SET] = "policy.set",
	[CPOOL_OP_TOP] = "top",
	[CPOOL_OP_STATS] = "stats",
	[CPOOL_OP_HOLD] = "hold",
	[CPOOL_OP_RELEASE] = "release",
	[CPOOL_OP_SIGNAL] = "signal",
	[CPOOL_OP_ARRAY] = "array",
	[CPOOL_OP_ATTACH] = "attach",
	[CPOOL_OP_SHARE] = "share",
	[CPOOL_OP_RELOAD] = "reload",
	[CPOOL_OP_ATTACH_STARTED] = "attach.started",
};

/* The keys each op accepts in "args"; anything else is a typo to report. */
static const char *const op_keys[CPOOL_OP__COUNT][24] = {
	[CPOOL_OP_SUBMIT] = { "argv", "env", "vs", "name", "cwd", "stdout", "stderr", "cpus", "mem",
			      "estimate", "priority", "time", "attach", "hold", "after", "array" },
	[CPOOL_OP_PS] = { "uid", "state", "vs", "name", "job", "task" },
	[CPOOL_OP_CANCEL] = { "job", "task" },
	[CPOOL_OP_WAIT] = { "job", "task" },
	[CPOOL_OP_HOLD] = { "job", "task" },
	[CPOOL_OP_RELEASE] = { "job", "task" },
	[CPOOL_OP_SIGNAL] = { "job", "task", "signal" },
	[CPOOL_OP_ARRAY] = { "job" },
	[CPOOL_OP_HISTORY] = { "since", "uid", "all", "after", "limit", "until", "state", "vs",
			       "name", "job", "task" },
	[CPOOL_OP_VS_CREATE] = { "name", "spec" },
	[CPOOL_OP_VS_RESIZE] = { "name", "spec" },
	[CPOOL_OP_VS_DESTROY] = { "name" },
	[CPOOL_OP_POLICY_SET] = { "policy", "placement", "quantum", "admit_p99" },
	[CPOOL_OP_ATTACH] = { "vs", "name", "cpus", "mem", "uid", "gid", "slurm_job",
			      "slurm_step" },
};

static struct cpool_enum_names op_names = CPOOL_ENUM_NAMES(op_table);

const char *cpool_op_name(enum cpool_op op)
{
	return cpool_enum_name(&op_names, (int)op);
}

/* Optional string; the reply names the key when the type is wrong. */
static int get_string(json_t *args, const char *key, const char **out, struct cpool_error *e)
{
	json_t *v = json_object_get(args, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return cpool_error_set(e, -EINVAL, "args.%s: expected a string", key);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return cpool_error_set(e, -EINVAL, "args.%s: contains a NUL byte", key);
	*out = json_string_value(v);
	return 0;
}

static int get_int(json_t *args, const char *key, int64_t min, int64_t max, int64_t *out,
		   struct cpool_error *e)
{
	json_t *v = json_object_get(args, key);

	if (!v)
		return 0;
	if (!json_is_integer(v))
		return cpool_error_set(e, -EINVAL, "args.%s: expected an integer", key);
	if (json_integer_value(v) < min || json_integer_value(v) > max)
		return cpool_error_set(e, -EINVAL, "args.%s: %lld is out of range %lld..%lld", key,
				       (long long)json_integer_value(v), (long long)min,
				       (long long)max);
	*out = json_integer_value(v);
	return 0;
}

static int get_number(json_t *args, const char *key, double *out, struct cpool_error *e)
{
	json_t *v = json_object_get(args, key);

	if (!v)
		return 0;
	if (!json_is_number(v))
		return cpool_error_set(e, -EINVAL, "args.%s: expected a number", key);
	*out = json_number_value(v);
	if (!isfinite(*out) || *out < 0)
		return cpool_error_set(e, -EINVAL, "args.%s: must be a finite number >= 0", key);
	return 0;
}

/*
 * A duration in seconds.  Bounded, so that converting it to microseconds
 * (int64_t) can never overflow, and a job cannot sort first under SJF by
 * claiming 1e300 seconds wrapped to a negative number.
 */
static int get_duration(json_t *args, const char *key, double *out, struct cpool_error *e)
{
	int r = get_number(args, key, out, e);

	if (r)
		return r;
	if (*out > CPOOL_PROTO_MAX_DURATION)
		return cpool_error_set(e, -ERANGE,
				       "args.%s: %g s is more than the limit of %d s (366 days)",
				       key, *out, CPOOL_PROTO_MAX_DURATION);
	return 0;
}

/* A JSON array of strings becomes a NULL-terminated vector borrowing them. */
static int get_strv(json_t *args, const char *key, const char ***out, int *count,
		    struct cpool_error *e)
{
	json_t *arr = json_object_get(args, key), *v;
	const char **vec;
	size_t i;

	*out = NULL;
	*count = 0;
	if (!arr)
		return 0;
	if (!json_is_array(arr))
		return cpool_error_set(e, -EINVAL, "args.%s: expected an array of strings", key);
	if (json_array_size(arr) > CPOOL_PROTO_MAX_ARGS)
		return cpool_error_set(e, -E2BIG, "args.%s: more than %d entries", key,
				       CPOOL_PROTO_MAX_ARGS);
	vec = calloc(json_array_size(arr) + 1, sizeof(*vec));
	if (!vec)
		return cpool_error_set(e, -ENOMEM, "out of memory");
	json_array_foreach(arr, i, v) {
		if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v)) {
			free(vec);
			return cpool_error_set(e, -EINVAL,
					       "args.%s[%zu]: expected a string without NUL bytes",
					       key, i);
		}
		vec[i] = json_string_value(v);
	}
	*out = vec;
	*count = (int)json_array_size(arr);
	return 0;
}

static int check_keys(enum cpool_op op, json_t *args, struct cpool_error *e)
{
	const char *key;
	json_t *v;

	json_object_foreach(args, key, v) {
		bool known = false;

		for (int i = 0; i < 24 && op_keys[op][i]; i++)
			known |= strcmp(key, op_keys[op][i]) == 0;
		if (!known)
			return cpool_error_set(e, -EINVAL, "op %s: unknown argument '%s'",
					       op_table[op], key);
	}
	return 0;
}

static int get_bool(json_t *args, const char *key, bool *out, struct cpool_error *e)
{
	json_t *v = json_object_get(args, key);

	*out = false;
	if (v && !json_is_boolean(v))
		return cpool_error_set(e, -EINVAL, "args.%s: expected true or false", key);
	*out = json_is_true(v);
	return 0;
}

/* hold, after, array, and the output patterns of a submission. */
static int parse_jobctl(json_t *args, struct cpool_submit_req *s, struct cpool_error *e)
{
	const char *after, *array;
	int r;

	if ((r = get_bool(args, "hold", &s->hold, e)) ||
	    (r = get_string(args, "after", &after, e)) ||
	    (r = get_string(args, "array", &array, e)))
		return r;
	if (after && (r = cpool_deps_parse(after, &s->deps, &s->n_deps, e)))
		return cpool_error_prefix(e, "args.after");
	if (array && (r = cpool_array_parse(array, &s->array, e)))
		return cpool_error_prefix(e, "args.array");
	s->is_array = array != NULL;
	if (s->stdout_path && (r = cpool_outpattern_check(s->stdout_path, e)))
		return cpool_error_prefix(e, "args.stdout");
	if (s->stderr_path && (r = cpool_outpattern_check(s->stderr_path, e)))
		return cpool_error_prefix(e, "args.stderr");
	return 0;
}

/* "job" (required) and "task" of the ops that name a job or an array element. */
static int parse_target(json_t *args, struct cpool_request *req, struct cpool_error *e)
{
	int r;

	req->u.job = -1;
	req->task = -1;
	r = get_int(args, "job", 1, INT64_MAX, &req->u.job, e);
	if (!r && req->u.job < 0)
		r = cpool_error_set(e, -EINVAL, "args.job: a job id is required");
	if (!r)
		r = get_int(args, "task", 0, CPOOL_ARRAY_TASK_MAX, &req->task, e);
	if (!r && req->op == CPOOL_OP_SIGNAL) {
		int64_t sig = 0;

		r = get_int(args, "signal", 1, 64, &sig, e);
		if (!r && !sig)
			r = cpool_error_set(e, -EINVAL, "args.signal: a signal number is required");
		req->signal = (int)sig;
	}
	return r;
}

/* The filters of ps and history. */
static int parse_select(json_t *args, struct cpool_job_select *sel, struct cpool_error *e)
{
	const char *state;
	int r;

	*sel = (struct cpool_job_select){ .uid = -1, .state = -1, .task = -1 };
	if ((r = get_int(args, "uid", 0, UINT32_MAX - 1, &sel->uid, e)) ||
	    (r = get_string(args, "state", &state, e)) ||
	    (r = get_string(args, "vs", &sel->vs, e)) ||
	    (r = get_string(args, "name", &sel->name, e)) ||
	    (r = get_int(args, "job", 1, INT64_MAX, &sel->job, e)) ||
	    (r = get_int(args, "task", 0, CPOOL_ARRAY_TASK_MAX, &sel->task, e)) ||
	    (r = get_number(args, "until", &sel->until, e)))
		return r;
	if (state) {
		enum cpool_job_state st;

		if (cpool_job_state_parse(state, &st))
			return cpool_error_set(e, -EINVAL, "args.state: '%.32s' is not a job state",
					       state);
		sel->state = (int)st;
	}
	if (sel->task >= 0 && !sel->job)
		return cpool_error_set(e, -EINVAL, "args.task: only with args.job, the array");
	return 0;
}

static int parse_submit(json_t *args, struct cpool_submit_req *s, struct cpool_error *e)
{
	int64_t cpus = 1, prio = 0, mem = 0;
	int r;

	s->estimate = 0;
	s->time_limit = 0;
	if ((r = get_strv(args, "argv", &s->argv, &s->argc, e)) ||
	    (r = get_strv(args, "env", &s->env, &s->envc, e)) ||
	    (r = get_string(args, "vs", &s->vs, e)) ||
	    (r = get_string(args, "name", &s->name, e)) ||
	    (r = get_string(args, "cwd", &s->cwd, e)) ||
	    (r = get_string(args, "stdout", &s->stdout_path, e)) ||
	    (r = get_string(args, "stderr", &s->stderr_path, e)) ||
	    (r = get_int(args, "cpus", 1, 4096, &cpus, e)) ||
	    (r = get_int(args, "mem", 0, INT64_MAX, &mem, e)) ||
	    (r = get_int(args, "priority", -20, 19, &prio, e)) ||
	    (r = get_duration(args, "estimate", &s->estimate, e)) ||
	    (r = get_duration(args, "time", &s->time_limit, e)))
		return r;
	if (s->argc < 1 || s->argv[0][0] == '\0')
		return cpool_error_set(e, -EINVAL, "args.argv: a non-empty command is required");
	for (int i = 0; i < s->envc; i++)
		if (!strchr(s->env[i], '='))
			return cpool_error_set(e, -EINVAL, "args.env[%d]: expected NAME=VALUE", i);
	if (s->cwd && s->cwd[0] != '/')
		return cpool_error_set(e, -EINVAL, "args.cwd: must be an absolute path");
	if ((r = parse_jobctl(args, s, e)))
		return r;
	{
		json_t *attach = json_object_get(args, "attach");

		if (attach && !json_is_boolean(attach))
			return cpool_error_set(e, -EINVAL, "args.attach: expected true or false");
		s->attach = json_is_true(attach);
		if (s->attach && (s->stdout_path || s->stderr_path))
			return cpool_error_set(
				e, -EINVAL,
				"args.attach: the job's output goes to the descriptors sent "
				"with the request; stdout and stderr paths must be absent");
		/* cpool run's job starts as soon as it may: one job, no hold, no --after. */
		if (s->attach && (s->is_array || s->hold || s->n_deps))
			return cpool_error_set(e, -EINVAL,
					       "args.attach: an attached job cannot be an array, "
					       "held or wait on others");
	}
	s->cpus = (int)cpus;
	s->priority = (int)prio;
	s->mem = (uint64_t)mem;
	return 0;
}

static int parse_vs(enum cpool_op op, json_t *args, struct cpool_vs_req *vs, struct cpool_error *e)
{
	const char *key;
	json_t *v;
	int r;

	if ((r = get_string(args, "name", &vs->name, e)))
		return r;
	if (!vs->name)
		return cpool_error_set(e, -EINVAL, "args.name: a virtual server name is required");
	vs->spec = json_object_get(args, "spec");
	if (op == CPOOL_OP_VS_DESTROY)
		return 0;
	if (!json_is_object(vs->spec))
		return cpool_error_set(e, -EINVAL, "args.spec: expected an object of config keys");
	json_object_foreach(vs->spec, key, v) {
		if (!json_is_string(v) && !json_is_integer(v) && !json_is_boolean(v))
			return cpool_error_set(
				e, -EINVAL, "args.spec.%s: expected a string, integer or boolean",
				key);
	}
	return 0;
}

static int parse_attach(json_t *args, struct cpool_attach_req *a, struct cpool_error *e)
{
	int64_t cpus = 1, mem = 0;
	int r;

	a->uid = a->gid = a->slurm_job = a->slurm_step = -1;
	if ((r = get_string(args, "vs", &a->vs, e)) ||
	    (r = get_string(args, "name", &a->name, e)) ||
	    (r = get_int(args, "cpus", 1, 4096, &cpus, e)) ||
	    (r = get_int(args, "mem", 0, INT64_MAX, &mem, e)) ||
	    (r = get_int(args, "uid", 0, UINT32_MAX - 1, &a->uid, e)) ||
	    (r = get_int(args, "gid", 0, UINT32_MAX - 1, &a->gid, e)) ||
	    (r = get_int(args, "slurm_job", 0, UINT32_MAX, &a->slurm_job, e)) ||
	    (r = get_int(args, "slurm_step", 0, UINT32_MAX, &a->slurm_step, e)))
		return r;
	if (!a->vs || !a->vs[0])
		return cpool_error_set(e, -EINVAL, "args.vs: a virtual server name is required");
	if (a->uid < 0)
		return cpool_error_set(e, -EINVAL,
				       "args.uid: the uid the process runs as is required");
	a->cpus = (int)cpus;
	a->mem = (uint64_t)mem;
	return 0;
}

int cpool_request_parse(const char *line, size_t len, struct cpool_request *req,
			struct cpool_error *e)
{
	json_t *root, *args, *v;
	json_error_t jerr;
	const char *op;
	int op_value;
	int r = 0;

	memset(req, 0, sizeof(*req));
	req->id = -1;
	req->task = -1;
	if (len > CPOOL_PROTO_MAX_LINE)
		return cpool_error_set(e, -EMSGSIZE, "request of %zu bytes exceeds the limit of %d",
				       len, CPOOL_PROTO_MAX_LINE);
	root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return cpool_error_set(e, -EINVAL, "malformed JSON at column %d: %s", jerr.column,
				       jerr.text);
	req->root = root;
	if (!json_is_object(root))
		return cpool_error_set(e, -EINVAL, "a request must be a JSON object");
	v = json_object_get(root, "id");
	if (v && !json_is_integer(v))
		return cpool_error_set(e, -EINVAL, "id: expected an integer");
	if (v)
		req->id = json_integer_value(v);
	v = json_object_get(root, "v");
	if (!json_is_integer(v) || json_integer_value(v) != CPOOL_PROTO_VERSION)
		return cpool_error_set(e, -EPROTO, "protocol version: this daemon speaks v=%d",
				       CPOOL_PROTO_VERSION);
	v = json_object_get(root, "op");
	if (!json_is_string(v))
		return cpool_error_set(e, -EINVAL, "op: expected a string");
	op = json_string_value(v);
	if (cpool_enum_parse(&op_names, op, &op_value))
		return cpool_error_set(e, -EINVAL, "op: unknown operation '%.64s'", op);
	req->op = (enum cpool_op)op_value;
	args = json_object_get(root, "args");
	if (args && !json_is_object(args))
		return cpool_error_set(e, -EINVAL, "args: expected an object");
	if (!args)
		args = json_object(); /* borrowed below; freed with root */
	else
		json_incref(args);
	if ((r = check_keys(req->op, args, e)))
		goto out;

	switch (req->op) {
	case CPOOL_OP_SUBMIT:
		r = parse_submit(args, &req->u.submit, e);
		break;
	case CPOOL_OP_CANCEL:
	case CPOOL_OP_WAIT:
	case CPOOL_OP_HOLD:
	case CPOOL_OP_RELEASE:
	case CPOOL_OP_SIGNAL:
	case CPOOL_OP_ARRAY:
		r = parse_target(args, req, e);
		break;
	case CPOOL_OP_PS:
		r = parse_select(args, &req->select, e);
		break;
	case CPOOL_OP_HISTORY: {
		json_t *all = json_object_get(args, "all");

		req->u.history.uid = -1;
		r = parse_select(args, &req->select, e);
		if (!r)
			r = get_number(args, "since", &req->u.history.since, e);
		if (!r)
			r = get_int(args, "uid", 0, UINT32_MAX - 1, &req->u.history.uid, e);
		if (!r && all && !json_is_boolean(all))
			r = cpool_error_set(e, -EINVAL, "args.all: expected true or false");
		req->u.history.all_users = json_is_true(all);
		if (!r)
			r = get_int(args, "after", 0, INT64_MAX, &req->u.history.after, e);
		if (!r) {
			int64_t limit = CPOOL_PROTO_HISTORY_PAGE;

			r = get_int(args, "limit", 1, CPOOL_PROTO_HISTORY_MAX, &limit, e);
			req->u.history.limit = (int)limit;
		}
		break;
	}
	case CPOOL_OP_VS_CREATE:
	case CPOOL_OP_VS_RESIZE:
	case CPOOL_OP_VS_DESTROY:
		r = parse_vs(req->op, args, &req->u.vs, e);
		break;
	case CPOOL_OP_ATTACH:
		r = parse_attach(args, &req->u.attach, e);
		break;
	case CPOOL_OP_POLICY_SET:
		r = get_string(args, "policy", &req->u.policy.policy, e);
		if (!r)
			r = get_string(args, "placement", &req->u.policy.placement, e);
		if (!r)
			r = get_duration(args, "quantum", &req->u.policy.quantum, e);
		req->u.policy.admit_p99 = -1;
		if (!r)
			r = get_duration(args, "admit_p99", &req->u.policy.admit_p99, e);
		if (!r && !req->u.policy.policy && !req->u.policy.placement &&
		    !req->u.policy.quantum && req->u.policy.admit_p99 < 0)
			r = cpool_error_set(e, -EINVAL, "policy.set: nothing to set");
		break;
	default:
		break;
	}
out:
	/* Strings stay valid: args is still referenced from root (or is the
	 * empty object we made, which holds none). */
	json_decref(args);
	return r;
}

void cpool_request_free(struct cpool_request *req)
{
	if (req->op == CPOOL_OP_SUBMIT) {
		free(req->u.submit.argv);
		free(req->u.submit.env);
		free(req->u.submit.deps);
	}
	json_decref(req->root);
	memset(req, 0, sizeof(*req));
}

json_t *cpool_reply_ok(json_int_t id, json_t *result)
{
	return json_pack("{s:i, s:I, s:b, s:o}", "v", CPOOL_PROTO_VERSION, "id", id, "ok", 1,
			 "result", result ? result : json_object());
}

const char *cpool_errno_name(int err)
{
	static const struct {
		int code;
		const char *name;
	} names[] = {
		{ EPERM, "EPERM" },	{ ENOENT, "ENOENT" },	    { ESRCH, "ESRCH" },
		{ EIO, "EIO" },		{ E2BIG, "E2BIG" },	    { EAGAIN, "EAGAIN" },
		{ ENOMEM, "ENOMEM" },	{ EACCES, "EACCES" },	    { EBUSY, "EBUSY" },
		{ EEXIST, "EEXIST" },	{ EINVAL, "EINVAL" },	    { ENOSPC, "ENOSPC" },
		{ ERANGE, "ERANGE" },	{ EPROTO, "EPROTO" },	    { EMSGSIZE, "EMSGSIZE" },
		{ ENOTSUP, "ENOTSUP" }, { ECANCELED, "ECANCELED" }, { ETIMEDOUT, "ETIMEDOUT" },
		{ EDQUOT, "EDQUOT" },	{ EALREADY, "EALREADY" },
	};
	const char *name;

	if (err < 0)
		err = -err;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].code == err)
			return names[i].name;
	/*
	 * Any other errno the kernel or a library hands the daemon (ENOTDIR,
	 * ELOOP, EROFS...) keeps its own name on the wire: a client that
	 * reads "EIO" for it would be told something false.
	 */
	name = strerrorname_np(err);
	return name ? name : "EIO";
}

json_t *cpool_reply_error(json_int_t id, int err, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (err < 0)
		err = -err;
	return json_pack("{s:i, s:I, s:b, s:{s:s, s:i, s:s}}", "v", CPOOL_PROTO_VERSION, "id", id,
			 "ok", 0, "error", "errno", cpool_errno_name(err), "code", err, "message",
			 msg);
}

json_t *cpool_request_new(json_int_t id, enum cpool_op op, json_t *args)
{
	return json_pack("{s:i, s:I, s:s, s:o}", "v", CPOOL_PROTO_VERSION, "id", id, "op",
			 cpool_op_name(op), "args", args ? args : json_object());
}

char *cpool_message_encode(const json_t *msg)
{
	char *body = json_dumps(msg, JSON_COMPACT | JSON_ENSURE_ASCII), *line;
	size_t n;

	if (!body)
		return NULL;
	/* JSON_ENSURE_ASCII escapes any raw newline, so one message is one line. */
	n = strlen(body);
	line = realloc(body, n + 2);
	if (!line) {
		free(body);
		return NULL;
	}
	line[n] = '\n';
	line[n + 1] = '\0';
	return line;
}
