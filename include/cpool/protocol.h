/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The cpoold API: newline-delimited JSON over a Unix stream socket, one
 * request object per line, one reply per request (docs/protocol.md).
 * This module only parses and validates requests and builds replies; it
 * neither reads sockets nor knows who the caller is.
 */
#ifndef CPOOL_PROTOCOL_H
#define CPOOL_PROTOCOL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cpool/error.h"

#include "cpool/jobctl.h"

#define CPOOL_PROTO_VERSION 1
/* A request line longer than this is refused unread (and the peer dropped). */
#define CPOOL_PROTO_MAX_LINE (64 * 1024)
#define CPOOL_PROTO_MAX_ARGS 4096 /* argv or env entries */
/* history answers in pages: a reply holds this many jobs unless asked for fewer. */
#define CPOOL_PROTO_HISTORY_PAGE 500
#define CPOOL_PROTO_HISTORY_MAX 1000
/* A request carries at most this many descriptors (SCM_RIGHTS); more are closed. */
#define CPOOL_API_MAX_FDS 3
/* Any duration (estimate, quantum), in seconds: 366 days. */
#define CPOOL_PROTO_MAX_DURATION (366 * 24 * 3600)

enum cpool_op {
	CPOOL_OP_HELLO,
	CPOOL_OP_SUBMIT,
	CPOOL_OP_PS,
	CPOOL_OP_CANCEL,
	CPOOL_OP_WAIT,
	CPOOL_OP_HISTORY,
	CPOOL_OP_VS_LIST,
	CPOOL_OP_VS_CREATE,
	CPOOL_OP_VS_RESIZE,
	CPOOL_OP_VS_DESTROY,
	CPOOL_OP_POLICY_GET,
	CPOOL_OP_POLICY_SET,
	CPOOL_OP_TOP,
	CPOOL_OP_STATS,
	CPOOL_OP_HOLD,
	CPOOL_OP_RELEASE,
	CPOOL_OP_SIGNAL,
	CPOOL_OP_ARRAY,
	CPOOL_OP_ATTACH,
	CPOOL_OP_SHARE,
	CPOOL_OP_RELOAD,
	CPOOL_OP_ATTACH_STARTED,
	CPOOL_OP__COUNT,
};

struct cpool_submit_req {
	const char **argv; /* NULL-terminated, argc >= 1 */
	int argc;
	const char **env; /* NULL-terminated; NULL when not given */
	int envc;
	const char *vs; /* NULL: let placement choose */
	const char *name; /* NULL: derived from argv[0] */
	const char *cwd; /* NULL: "/" */
	const char *stdout_path;
	const char *stderr_path;
	int cpus; /* >= 1 */
	uint64_t mem; /* bytes; 0 = VS default */
	double estimate; /* seconds; 0 = unknown */
	double time_limit; /* "time": seconds; 0 = the VS's default_time */
	int priority; /* -20..19, lower is more urgent */
	bool hold; /* queued held: it starts only after a release */
	struct cpool_dep *deps; /* --after, parsed (owned: freed with the request) */
	size_t n_deps;
	bool is_array;
	struct cpool_array_spec array;
	/*
	 * cpool run: the job's stdin, stdout and stderr come with the request
	 * (SCM_RIGHTS, in that order), and it is cancelled when the connection
	 * that submitted it closes.  stdout and stderr paths must be absent.
	 */
	bool attach;
};

/* Which jobs ps and history list (each field: NULL, -1 or 0 = any). */
struct cpool_job_select {
	int64_t uid; /* ps; history has its own */
	int state; /* enum cpool_job_state, -1 = any */
	const char *vs;
	const char *name;
	int64_t job; /* a job, or every element of the array it heads; 0 = any */
	int64_t task; /* with job: only that element; -1 = all */
	double until; /* history: submitted before this unix time; 0 = any */
};

/*
 * attach (root only): a process another launcher (Slurm's slurmstepd)
 * forked becomes a job of a VS.  The process itself travels as a pidfd in
 * the request's SCM_RIGHTS, not here.
 */
struct cpool_attach_req {
	const char *vs; /* required */
	const char *name; /* label; NULL: "slurm-JOB.STEP" */
	int cpus; /* >= 1 */
	uint64_t mem; /* bytes; 0 = the VS's limit */
	int64_t uid, gid; /* whom the process runs as; gid -1 = unknown */
	int64_t slurm_job, slurm_step; /* -1 = none */
};

struct cpool_vs_req {
	const char *name;
	/* Config-style keys and string values ("cpus": "4", "memory": "2G"),
	 * validated by the config module so API and pool.ini agree. */
	json_t *spec; /* borrowed object, may be NULL for destroy */
};

struct cpool_request {
	json_int_t id;
	enum cpool_op op;
	union {
		struct cpool_submit_req submit;
		int64_t job; /* cancel, wait */
		struct {
			double since; /* unix time, 0 = all */
			int64_t uid; /* -1 = caller's own (or all, for root) */
			bool all_users;
			int64_t after; /* the cursor: jobs with a larger id; 0 = from the first */
			int limit; /* jobs per page, 1..CPOOL_PROTO_HISTORY_MAX */
		} history;
		struct cpool_vs_req vs;
		struct cpool_attach_req attach;
		struct {
			const char *policy; /* NULL = unchanged */
			const char *placement; /* NULL = unchanged */
			double quantum; /* seconds; 0 = unchanged */
			double admit_p99; /* seconds; 0 = no admission bound, -1 = unchanged */
		} policy;
	} u;
	/* cancel, wait, hold, release, signal, array: one element of the array "job"; -1 = none */
	int64_t task;
	int signal; /* signal: the signal number */
	struct cpool_job_select select; /* ps and history */
	json_t *root; /* owns every borrowed string above */
};

const char *cpool_op_name(enum cpool_op op);

/*
 * Parse one request line (without the newline).  On error returns a
 * negative errno (-EINVAL for a malformed or invalid request, -EMSGSIZE for
 * an oversized one, -EPROTO for a version mismatch) and writes a message
 * for the reply into @e; req->id is still set when the line had one.
 */
int cpool_request_parse(const char *line, size_t len, struct cpool_request *req,
			struct cpool_error *e);
void cpool_request_free(struct cpool_request *req);

/* {"v":1,"id":ID,"ok":true,"result":RESULT}; steals @result (NULL = {}). */
json_t *cpool_reply_ok(json_int_t id, json_t *result);
/* {"v":1,"id":ID,"ok":false,"error":{"errno":"EPERM","code":1,"message":MSG}} */
json_t *cpool_reply_error(json_int_t id, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Build a request line for clients; steals @args (NULL = {}). */
json_t *cpool_request_new(json_int_t id, enum cpool_op op, json_t *args);
/* Compact one-line encoding with the trailing '\n'; malloc'd, NULL on ENOMEM. */
char *cpool_message_encode(const json_t *msg);

/* Symbolic errno name ("EPERM"), or "EIO" for unknown values. */
const char *cpool_errno_name(int err);

#endif /* CPOOL_PROTOCOL_H */
