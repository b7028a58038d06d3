/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * A stand-in for cpoold for the CLI tests: a forked child serving the real
 * API socket (cpool_apiserver, so every request is checked by the real
 * parser), recording each request it got as one JSON line in a log, and
 * answering with the canned results of docs/protocol.md.  The tests run the
 * built cpool binary against it and look at what it sent and printed.
 */
#ifndef CPOOL_TESTS_CLI_FAKE_DAEMON_H
#define CPOOL_TESTS_CLI_FAKE_DAEMON_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../tap.h"
#include "cpool/apiserver.h"

/* Fixed ids and names the canned replies react to. */
#define FAKE_UID_NOBODY 4242424 /* a uid without a passwd entry */
#define FAKE_UID_PAGED 4242425 /* whose history is answered in pages */

static struct {
	char dir[64], sock[128], log[128], err[128], cpool[1024];
	pid_t pid;
} fake;

static char out[1 << 16], err_out[1 << 14];

static double fake_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fake_record(const json_t *request)
{
	char *line = json_dumps(request, JSON_COMPACT);
	int fd = open(fake.log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);

	if (line && fd >= 0) {
		size_t n = strlen(line);

		line[n] = '\n'; /* replaces the NUL: written with its length */
		if (write(fd, line, n + 1) != (ssize_t)(n + 1))
			_exit(3);
	}
	if (fd >= 0)
		close(fd);
	free(line);
}

static json_t *fake_job(int64_t id, const char *name, json_int_t uid, const char *state)
{
	double now = fake_now();

	return json_pack("{s:I, s:s, s:I, s:s, s:s, s:i, s:i, s:f, s:f, s:f, s:i}", "id",
			 (json_int_t)id, "name", name, "user", uid, "state", state, "vs", "db",
			 "cpus", 2, "priority", 0, "estimate", 30.0, "submit", now - 125.2, "start",
			 now - 124.0, "pid", 1234);
}

/* An ended job's record, as "history" and "wait" give it. */
static json_t *fake_record_of(int64_t id, const char *state, int exit_code, int sig, bool oom,
			      const char *error)
{
	json_t *r = fake_job(id, "burn", (json_int_t)getuid(), state);

	json_object_update_new(
		r, json_pack("{s:f, s:i, s:i, s:b, s:f, s:I, s:f, s:f, s:f, s:f, s:i}", "end",
			     fake_now() - 1, "exit_code", exit_code, "signal", sig, "oom", oom,
			     "cpu_time", 29.87, "peak_memory", (json_int_t)10485760, "wait", 0.5,
			     "response", 0.5, "turnaround", 30.5, "rq_latency_mean_us", 12.0,
			     "rq_latency_p99_us", 250));
	if (error) {
		json_object_del(r, "start");
		json_object_set_new(r, "error", json_string(error));
	}
	return r;
}

static json_t *fake_vs(const char *name, const char *cpus)
{
	return json_pack("{s:s, s:s, s:s, s:b, s:s, s:I, s:i, s:i, s:i, s:i, s:f, s:i}", "name",
			 name, "cpus", cpus, "mems", "1", "exclusive", 1, "partition", "root",
			 "memory_max", (json_int_t)2147483648LL, "cpu_weight", 100, "running", 1,
			 "queued", 3, "free_cpus", 0, "rul", 0.98, "rq_p99_us", 310);
}

/* Array FAKE_ARRAY: element 0 is job 77 (done, exit 0), element 1 job 78 (done, exit 3). */
#define FAKE_ARRAY 77

static json_t *fake_array(const struct cpool_request *req)
{
	if (req->u.job != FAKE_ARRAY)
		return cpool_reply_error(req->id, -ENOENT, "job %lld heads no array",
					 (long long)req->u.job);
	return cpool_reply_ok(req->id,
			      json_pack("{s:i, s:[{s:i, s:i, s:s}, {s:i, s:i, s:s}]}", "array",
					FAKE_ARRAY, "elements", "job", 77, "task", 0, "state",
					"done", "job", 78, "task", 1, "state", "running"));
}

static json_t *fake_wait(const struct cpool_request *req)
{
	if (req->u.job == FAKE_ARRAY && req->task >= 0)
		return cpool_reply_ok(req->id, fake_record_of(77 + req->task, "done",
							      req->task ? 3 : 0, 0, false, NULL));
	switch (req->u.job) {
	case 3:
		return cpool_reply_ok(req->id, fake_record_of(3, "done", 3, 0, false, NULL));
	case 7:
		return cpool_reply_ok(req->id, fake_record_of(7, "done", 0, 0, false, NULL));
	case 9:
		return cpool_reply_ok(req->id, fake_record_of(9, "done", -1, 9, true, NULL));
	case 15:
		return cpool_reply_ok(req->id,
				      fake_record_of(15, "cancelled", -1, 15, false, NULL));
	case 5:
		return cpool_reply_ok(req->id,
				      fake_record_of(5, "failed", -1, 0, false,
						     "exec /nope: No such file or directory"));
	case 8: { /* ends while the daemon is down: answered once "released" exists */
		char path[160];

		snprintf(path, sizeof(path), "%s/released", fake.dir);
		if (access(path, F_OK))
			return NULL;
		return cpool_reply_ok(req->id, fake_record_of(8, "done", 8, 0, false, NULL));
	}
	case 10: /* cancelled while running; the daemon did not record the signal */
		return cpool_reply_ok(req->id, fake_record_of(10, "cancelled", 0, 0, false, NULL));
	case 11: { /* could not start, and the reason was lost */
		json_t *r = fake_record_of(11, "failed", 0, 0, false, NULL);

		json_object_del(r, "start");
		return cpool_reply_ok(req->id, r);
	}
	case 6: { /* cancelled while queued */
		json_t *r = fake_record_of(6, "cancelled", 0, 0, false, NULL); /* 0: never set */

		json_object_del(r, "start");
		return cpool_reply_ok(req->id, r);
	}
	default:
		return cpool_reply_error(req->id, -ENOENT, "no job %lld", (long long)req->u.job);
	}
}

/* The tests may run as root: a name or policy "forbidden" stands for "not root". */
static bool fake_refuses(const struct cpool_request *req)
{
	const char *what = req->op == CPOOL_OP_POLICY_SET ? req->u.policy.policy : req->u.vs.name;

	return what && strcmp(what, "forbidden") == 0;
}

static json_t *fake_handler(struct cpool_client *c, const struct cpool_peer *peer,
			    const struct cpool_request *req, void *data)
{
	(void)c;
	(void)data;
	fake_record(req->root);
	switch (req->op) {
	case CPOOL_OP_SUBMIT:
		return cpool_reply_ok(req->id, json_pack("{s:i}", "job", 42));
	case CPOOL_OP_PS: {
		json_t *jobs = json_array(),
		       *q = fake_job(43, "evil\033[2Jname", FAKE_UID_NOBODY, "queued");

		json_array_append_new(jobs, fake_job(42, "burn", (json_int_t)peer->uid, "running"));
		json_object_set_new(q, "estimate", json_real(0));
		json_object_set_new(q, "priority", json_integer(-5));
		json_object_del(q, "vs");
		json_object_del(q, "start");
		json_object_del(q, "pid");
		json_object_set_new(q, "reason", json_string("Resources"));
		json_object_set_new(q, "expected_start", json_real(fake_now() + 95));
		json_array_append_new(jobs, q);
		if (req->select.job == FAKE_ARRAY || req->select.name) {
			/* The array's two elements, as ps FAKE_ARRAY or cancel --name show them. */
			json_array_clear(jobs);
			for (int i = 0; i < 2; i++) {
				json_t *e = fake_job(77 + i, "arr", (json_int_t)peer->uid,
						     i ? "queued" : "running");

				json_object_set_new(e, "array_job", json_integer(FAKE_ARRAY));
				json_object_set_new(e, "array_task", json_integer(i));
				if (i)
					json_object_set_new(e, "reason",
							    json_string("ArrayTaskLimit"));
				json_array_append_new(jobs, e);
			}
		}
		return cpool_reply_ok(req->id, json_pack("{s:o}", "jobs", jobs));
	}
	case CPOOL_OP_CANCEL:
		if (req->u.job == 404)
			return cpool_reply_error(req->id, -ENOENT, "no job 404");
		if (req->u.job == 13)
			return cpool_reply_error(req->id, -EPERM, "job 13 is not yours");
		return cpool_reply_ok(req->id,
				      json_pack("{s:I, s:s}", "job", (json_int_t)req->u.job,
						"state", "cancelled"));
	case CPOOL_OP_WAIT:
		return fake_wait(req);
	case CPOOL_OP_ARRAY:
		return fake_array(req);
	case CPOOL_OP_HOLD:
	case CPOOL_OP_RELEASE:
	case CPOOL_OP_SIGNAL:
		if (req->u.job == 404)
			return cpool_reply_error(req->id, -ENOENT, "no job 404");
		return cpool_reply_ok(req->id,
				      json_pack("{s:I, s:[I], s:i}", "job", (json_int_t)req->u.job,
						"jobs", (json_int_t)req->u.job, "processes", 2));
	case CPOOL_OP_HISTORY: {
		json_t *jobs = json_array();

		/* uid FAKE_UID_PAGED's history comes in two pages, as a long one would. */
		if (req->u.history.uid == FAKE_UID_PAGED && !req->u.history.after) {
			json_array_append_new(jobs, fake_record_of(3, "done", 3, 0, false, NULL));
			json_array_append_new(jobs, fake_record_of(9, "done", -1, 9, true, NULL));
			return cpool_reply_ok(req->id,
					      json_pack("{s:o, s:i}", "jobs", jobs, "next", 9));
		}
		if (req->u.history.uid == FAKE_UID_PAGED) {
			json_array_append_new(
				jobs, fake_record_of(11, "failed", -1, 0, false, "exec failed"));
			return cpool_reply_ok(req->id, json_pack("{s:o}", "jobs", jobs));
		}
		json_array_append_new(jobs, fake_record_of(3, "done", 3, 0, false, NULL));
		json_array_append_new(jobs, fake_record_of(9, "done", -1, 9, true, NULL));
		json_array_append_new(jobs, fake_record_of(5, "failed", -1, 0, false,
							   "execve \"./a,b\": No such file"));
		return cpool_reply_ok(req->id, json_pack("{s:o}", "jobs", jobs));
	}
	case CPOOL_OP_VS_LIST:
		return cpool_reply_ok(req->id,
				      json_pack("{s:[o,o]}", "vservers", fake_vs("db", "2-3"),
						fake_vs("batch", "4-7")));
	case CPOOL_OP_VS_CREATE:
	case CPOOL_OP_VS_RESIZE:
	case CPOOL_OP_VS_DESTROY:
	case CPOOL_OP_POLICY_SET:
		if (fake_refuses(req))
			return cpool_reply_error(req->id, -EPERM,
						 "only root may change the pool (you are uid %u)",
						 (unsigned)peer->uid);
		if (req->op == CPOOL_OP_VS_DESTROY)
			return cpool_reply_ok(req->id, NULL);
		if (req->op == CPOOL_OP_POLICY_SET)
			return cpool_reply_ok(req->id,
					      json_pack("{s:s, s:s, s:f}", "policy",
							req->u.policy.policy ?: "sjf", "placement",
							req->u.policy.placement ?: "first-fit",
							"quantum", req->u.policy.quantum ?: 0.1));
		return cpool_reply_ok(
			req->id,
			fake_vs(req->u.vs.name,
				json_string_value(json_object_get(req->u.vs.spec, "cpus")) ?: "?"));
	case CPOOL_OP_POLICY_GET:
		return cpool_reply_ok(req->id, json_pack("{s:s, s:s, s:f}", "policy", "sjf",
							 "placement", "first-fit", "quantum", 0.1));
	case CPOOL_OP_TOP:
		return cpool_reply_ok(
			req->id,
			json_pack("{s:f, s:b, s:f, s:[{s:s, s:f, s:i, s:i, s:i, s:i, s:s}, "
				  "{s:s, s:f, s:i, s:i, s:i, s:i, s:s}], "
				  "s:[{s:i, s:f}, {s:i, s:f}, {s:i, s:f}, {s:i, s:f}]}",
				  "time", fake_now(), "degraded", 1, "interval", 1.0, "vservers",
				  "name", "db", "rul", 0.98, "rq_p50_us", 20, "rq_p99_us", 310,
				  "queued", 3, "running", 1, "cpus", "2-3", "name", "batch", "rul",
				  0.5, "rq_p50_us", 1500, "rq_p99_us", 2500000, "queued", 0,
				  "running", 2, "cpus", "0-1", "cpus", "cpu", 0, "util", 0.5, "cpu",
				  1, "util", 1.0, "cpu", 2, "util", 0.0, "cpu", 3, "util", 0.25));
	case CPOOL_OP_STATS:
		return cpool_reply_ok(
			req->id,
			json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:i, "
				  "s:{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:{s:i, s:i, s:i, s:i}}, "
				  "s:{s:i, s:i, s:i, s:i, s:i, s:i, s:s}, "
				  "s:{s:i, s:f, s:i, s:f, s:i, s:f, s:i, s:f, s:i, s:f}, "
				  "s:[{s:s, s:i, s:i, s:i}, {s:s, s:i, s:i, s:i}]}",
				  "loop_rounds", 1234, "loop_stall_max_us", 2500,
				  "loop_stall_window_us", 310, "queued", 100, "starting", 1,
				  "running", 2, "frozen", 0, "metrics_tick", "ticks", 4, "cpu_us",
				  1000, "last_cpu_us", 300, "max_cpu_us", 450, "read_us", 2000,
				  "fold_us", 400, "store_us", 6000, "longest", "wall_us", 5200,
				  "read_us", 1100, "fold_us", 100, "store_us", 4000, "cgroup_ids",
				  "by_handle", 40, "by_walk", 3, "walks", 2, "stale", 7, "known",
				  36, "pending_retry", 1, "walk_reason", "open_by_handle_at: EPERM",
				  "switches", "launches", 2, "launch_wait", 0.6, "preemptions", 4,
				  "late", 0.2, "freezes", 4, "freeze_wait", 0.12, "handovers", 4,
				  "handover_wait", 0.04, "thaws", 2, "thaw_wait", 0.03, "loop_busy",
				  "what", "scheduling round", "dispatches", 800, "busy_us", 8000000,
				  "max_us", 115000, "what", "ps", "dispatches", 150, "busy_us",
				  1500000, "max_us", 49000));
	default:
		return cpool_reply_ok(req->id,
				      json_pack("{s:s, s:i}", "version", "0.1.0", "protocol", 1));
	}
}

/* (Re)starts the daemon on fake.sock, as a restarted cpoold would. */
static void fake_serve(void)
{
	int ready[2];
	char c;

	if (pipe(ready))
		bail_out("pipe");
	fake.pid = fork();
	if (fake.pid < 0)
		bail_out("fork");
	if (fake.pid == 0) {
		struct cpool_apiserver_opts o = {
			.path = fake.sock, .mode = 0600, .gid = (gid_t)-1, .handler = fake_handler
		};
		struct cpool_evloop *loop;
		struct cpool_apiserver *srv;
		struct cpool_error err;

		close(ready[0]);
		if (cpool_evloop_new(&loop) || cpool_apiserver_open(loop, &o, &srv, &err))
			_exit(1);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		cpool_evloop_run(loop);
		_exit(0);
	}
	close(ready[1]);
	if (read(ready[0], &c, 1) != 1)
		bail_out("the fake daemon did not start");
	close(ready[0]);
}

/* As kill -9 of cpoold: connections drop, the socket file stays behind. */
static void fake_kill(void)
{
	kill(fake.pid, SIGKILL);
	waitpid(fake.pid, NULL, 0);
}

/* False, with a skip, when build/cpool is not there to test. */
static bool fake_cpool_built(void)
{
	const char *build = getenv("CPOOL_BUILD");
	char path[1024];

	snprintf(path, sizeof(path), "%s/cpool", build ? build : "build");
	if (access(path, X_OK) == 0)
		return true;
	skip(1, "build/cpool is not built (make builds it; CPOOL_BUILD points at it)");
	return false;
}

static void fake_start(void)
{
	const char *build = getenv("CPOOL_BUILD");

	snprintf(fake.cpool, sizeof(fake.cpool), "%s/cpool", build ? build : "build");
	snprintf(fake.dir, sizeof(fake.dir), "/tmp/cpool-cli-test.XXXXXX");
	if (!mkdtemp(fake.dir))
		bail_out("mkdtemp: %s", strerror(errno));
	snprintf(fake.sock, sizeof(fake.sock), "%s/cpool.sock", fake.dir);
	snprintf(fake.log, sizeof(fake.log), "%s/requests", fake.dir);
	snprintf(fake.err, sizeof(fake.err), "%s/stderr", fake.dir);
	fake_serve();
	setenv("CPOOL_SOCKET", fake.sock, 1);
}

static void fake_stop(void)
{
	char cmd[256];

	fake_kill();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fake.dir);
	if (system(cmd) != 0)
		diag("cleanup of %s failed", fake.dir);
}

static size_t slurp(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f) {
		n = fread(buf, 1, len - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return n;
}

/* Runs a shell script; its stdout in out[].  Returns the exit status, -1 for a signal. */
static __attribute__((format(printf, 1, 2))) int sh(const char *fmt, ...)
{
	char cmd[1 << 17];
	va_list ap;
	size_t n;
	FILE *f;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	unlink(fake.log); /* each run's requests on their own */
	unlink(fake.err);
	f = popen(cmd, "r");
	if (!f)
		bail_out("popen %s", cmd);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	st = pclose(f);
	slurp(fake.err, err_out, sizeof(err_out));
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/*
 * Runs "PRE cpool ARGS" through the shell (PRE: "VAR=x", "cd DIR &&", "cmd |");
 * stdout in out[], stderr in err_out[], the requests it made in the log.
 */
static __attribute__((format(printf, 2, 3))) int cli(const char *pre, const char *fmt, ...)
{
	char args[1 << 16];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	return sh("%s %s %s 2>%s", pre ? pre : "", fake.cpool, args, fake.err);
}

/* The requests of the last run, in order: an array of request objects. */
static json_t *fake_requests(void)
{
	static char buf[1 << 18];
	json_t *all = json_array();
	char *line, *save = NULL;

	slurp(fake.log, buf, sizeof(buf));
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_t *r = json_loads(line, 0, NULL);

		if (r)
			json_array_append_new(all, r);
	}
	return all;
}

static int64_t fake_request_count(void)
{
	json_t *all = fake_requests();
	int64_t n = (int64_t)json_array_size(all);

	json_decref(all);
	return n;
}

/* The args of the last request of the last run, which must be an @op (a new reference). */
static __attribute__((unused)) json_t *fake_last_args(const char *op)
{
	json_t *all = fake_requests(), *r = json_array_get(all, json_array_size(all) - 1),
	       *args = NULL;

	if (r && strcmp(json_string_value(json_object_get(r, "op")) ?: "", op) == 0) {
		args = json_object_get(r, "args");
		args = args ? json_incref(args) : json_object();
	} else {
		diag("expected a last %s request, the daemon got %zu", op, json_array_size(all));
	}
	json_decref(all);
	return args;
}

/* The args of the only request of the last run (a new reference), or NULL. */
static json_t *fake_only_args(const char *op)
{
	json_t *all = fake_requests(), *r = json_array_get(all, 0), *args = NULL;

	if (json_array_size(all) == 1 &&
	    strcmp(json_string_value(json_object_get(r, "op")) ?: "", op) == 0) {
		args = json_object_get(r, "args");
		args = args ? json_incref(args) : json_object();
	} else {
		diag("expected one %s request, the daemon got %zu", op, json_array_size(all));
	}
	json_decref(all);
	return args;
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

#endif /* CPOOL_TESTS_CLI_FAKE_DAEMON_H */
