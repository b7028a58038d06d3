// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * cpoold with live processes: a two-VS pool, jobs from two users, exact
 * accounting, permissions, bad requests, a kill -9 of the daemon in the
 * middle of running jobs, and a thousand queued submissions.  One CPU is
 * left out of the VSs so the exclusive VS is a valid cpuset partition: a
 * restart must find the CPUs the partitions took from the root.
 *
 * The daemon is the built build/cpoold; requests go through the same
 * client library the CLI uses, from processes that take the users' ids,
 * so SO_PEERCRED sees them as those users.
 */
#include <fcntl.h>
#include <grp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "cpool/apiclient.h"
#include "lab_cpoold.h"

#define U1 65534 /* nobody */
#define U2 1 /* daemon */

static char dir[] = "/tmp/cpoold-lab.XXXXXX";
static char sock[256], ini[256], logpath[256];
static const char *root;
static pid_t daemon_pid;

static void start_daemon(void)
{
	daemon_pid = lab_start_cpoold(dir, ini, root, "0666", true);
}

/*
 * One request as user @uid (root: 0): 0 and *result, or the reply's
 * negative errno.  Other users call from a child that has taken their ids.
 */
static int call_as(uid_t uid, enum cpool_op op, json_t *args, json_t **result, int timeout_ms)
{
	int p[2], status;
	struct cpool_error err;
	pid_t pid;

	*result = NULL;
	if (uid == 0) {
		struct cpool_apiclient *c;
		int r = cpool_apiclient_connect(sock, &c, &err);

		if (r) {
			json_decref(args);
			return r;
		}
		r = cpool_apiclient_call(c, op, args, result, timeout_ms, &err);
		cpool_apiclient_close(c);
		if (r)
			diag("%s as root: %s", cpool_op_name(op), err.msg);
		return r;
	}
	if (pipe(p))
		bail_out("pipe");
	pid = fork();
	if (pid == 0) {
		struct cpool_apiclient *c;
		json_t *res = NULL;
		char *text;
		int r;

		close(p[0]);
		if (setgroups(0, NULL) || setgid(uid) || setuid(uid))
			_exit(100);
		r = cpool_apiclient_connect(sock, &c, &err);
		if (!r)
			r = cpool_apiclient_call(c, op, args, &res, timeout_ms, &err);
		text = res ? json_dumps(res, JSON_COMPACT) : strdup("null");
		if (write(p[1], text, strlen(text)) < 0)
			_exit(101);
		_exit(-r);
	}
	json_decref(args);
	close(p[1]);
	{
		char buf[1 << 16];
		ssize_t n, used = 0;

		while ((n = read(p[0], buf + used, sizeof(buf) - 1 - (size_t)used)) > 0)
			used += n;
		buf[used] = '\0';
		close(p[0]);
		waitpid(pid, &status, 0);
		*result = json_loads(buf, JSON_DECODE_ANY, NULL);
		if (json_is_null(*result)) {
			json_decref(*result);
			*result = NULL;
		}
	}
	return WIFEXITED(status) ? -WEXITSTATUS(status) : -EIO;
}

static int64_t submit_as(uid_t uid, json_t *args)
{
	json_t *res;
	int64_t id;
	int r = call_as(uid, CPOOL_OP_SUBMIT, args, &res, 10000);

	if (r)
		return r;
	id = json_integer_value(json_object_get(res, "job"));
	json_decref(res);
	return id;
}

static json_t *sh_job(const char *script, const char *vs)
{
	json_t *a = json_pack("{s:[s,s,s], s:[s], s:s}", "argv", "/bin/sh", "-c", script, "env",
			      "PATH=/usr/bin:/bin", "cwd", dir);

	if (vs)
		json_object_set_new(a, "vs", json_string(vs));
	return a;
}

/* The job's accounting record once it has ended (as @uid, its owner). */
static json_t *wait_job(uid_t uid, int64_t id)
{
	json_t *res;

	if (call_as(uid, CPOOL_OP_WAIT, json_pack("{s:I}", "job", (json_int_t)id), &res, 120000))
		return NULL;
	return res;
}

static int64_t jint(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static double jnum(json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

static const char *jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key)) ?: "";
}

/* user+sys of a shell and its children, from the output of times(1). */
static double times_total(const char *path)
{
	char buf[512];
	double total = 0;
	int m;
	double s;
	const char *p = lab_slurp(path, buf, sizeof(buf));

	while (sscanf(p, "%dm%lfs", &m, &s) == 2) {
		total += m * 60 + s;
		p = strchr(p, 's');
		if (!p)
			break;
		p++;
		while (*p == ' ' || *p == '\n')
			p++;
	}
	return total;
}

static void test_mixed_jobs(void)
{
	int64_t ids[50];
	uid_t owner[50];
	int kind[50], oom_index = 17;
	int exit_ok = 0, who_ok = 0, cpu_ok = 0, all_done = 0;
	int n_exit = 0, n_who = 0, n_cpu = 0; /* how many of each kind were submitted */

	for (int i = 0; i < 50; i++) {
		const char *vs = i % 3 == 0 ? "a" : i % 3 == 1 ? "b" : NULL;
		char script[512];
		json_t *a;

		owner[i] = i % 2 ? U2 : U1;
		kind[i] = i == oom_index ? 3 : i % 3;
		if (kind[i] == 0)
			snprintf(script, sizeof(script), "exit %d", i % 7);
		else if (kind[i] == 1)
			snprintf(script, sizeof(script), "id -u > %s/who-%d", dir, i);
		else if (kind[i] == 2)
			snprintf(
				script, sizeof(script),
				"i=0; while [ $i -lt 30000 ]; do i=$((i+1)); done; times > %s/times-%d",
				dir, i);
		else
			snprintf(script, sizeof(script),
				 "exec dd if=/dev/zero of=/dev/null bs=64M count=1");
		n_exit += kind[i] == 0;
		n_who += kind[i] == 1;
		n_cpu += kind[i] == 2;
		a = sh_job(script, vs);
		if (kind[i] == 3)
			json_object_set_new(a, "mem", json_integer(16 << 20));
		ids[i] = submit_as(owner[i], a);
		if (ids[i] < 0)
			diag("submit %d failed: %lld", i, (long long)ids[i]);
	}
	for (int i = 0; i < 50; i++) {
		json_t *r = ids[i] > 0 ? wait_job(owner[i], ids[i]) : NULL;
		char path[512], buf[64];

		if (!r)
			continue;
		all_done += strcmp(jstr(r, "state"), "done") == 0;
		if (kind[i] == 0) {
			exit_ok += jint(r, "exit_code") == i % 7 && jint(r, "signal") == 0;
		} else if (kind[i] == 1) {
			snprintf(path, sizeof(path), "%s/who-%d", dir, i);
			who_ok += atoi(lab_read(path, buf, sizeof(buf))) == (int)owner[i] &&
				  jint(r, "user") == (int)owner[i];
		} else if (kind[i] == 2) {
			double rec = jnum(r, "cpu_time"), real;

			snprintf(path, sizeof(path), "%s/times-%d", dir, i);
			real = times_total(path);
			/* times(1) rounds to ms and misses the final exit: 10 % + 50 ms. */
			if (real > 0 && rec >= real - 0.05 && rec <= real * 1.1 + 0.05)
				cpu_ok++;
			else
				diag("job %lld: cpu_time %.3f s recorded, the job measured %.3f s "
				     "(run %.3f s, turnaround %.3f s)",
				     (long long)ids[i], rec, real, jnum(r, "run_time"),
				     jnum(r, "turnaround"));
		} else {
			ok(json_is_true(json_object_get(r, "oom")) && jint(r, "signal") == SIGKILL,
			   "the job past its 16M memory limit is recorded as OOM-killed (oom=%d, signal=%lld)",
			   json_is_true(json_object_get(r, "oom")), (long long)jint(r, "signal"));
		}
		json_decref(r);
	}
	is_int(all_done, 50, "all 50 jobs of two users finished");
	is_int(exit_ok, n_exit, "exit codes recorded exactly");
	is_int(who_ok, n_who, "each job ran as its submitter");
	is_int(cpu_ok, n_cpu, "recorded CPU time matches what the jobs measured");
}

static void test_permissions(void)
{
	json_t *res;
	int64_t id;
	int r;

	r = call_as(U1, CPOOL_OP_VS_CREATE,
		    json_pack("{s:s, s:{s:s}}", "name", "mine", "spec", "cpus", "1"), &res, 5000);
	is_int(r, -EPERM, "a non-root user cannot create a virtual server");
	r = call_as(U1, CPOOL_OP_POLICY_SET, json_pack("{s:s}", "policy", "sjf"), &res, 5000);
	is_int(r, -EPERM, "a non-root user cannot change the policy");

	id = submit_as(U1, sh_job("sleep 30", "a"));
	ok(id > 0, "user A submits a long job");
	r = call_as(U2, CPOOL_OP_CANCEL, json_pack("{s:I}", "job", (json_int_t)id), &res, 5000);
	is_int(r, -EPERM, "user B cannot cancel user A's job");
	r = call_as(U2, CPOOL_OP_PS, NULL, &res, 5000);
	{
		bool seen = false;
		size_t i;
		json_t *j;

		json_array_foreach(json_object_get(res, "jobs"), i, j)
			seen |= jint(j, "id") == id;
		ok(r == 0 && !seen, "user B does not see user A's job in ps");
		json_decref(res);
	}
	r = call_as(U1, CPOOL_OP_CANCEL, json_pack("{s:I}", "job", (json_int_t)id), &res, 5000);
	is_int(r, 0, "user A cancels their own job");
	json_decref(res);
	res = wait_job(U1, id);
	is_str(jstr(res, "state"), "cancelled", "and it is recorded as cancelled");
	is_int(jint(res, "signal"), SIGKILL, "killed by SIGKILL, as the record says");
	ok(jnum(res, "run_time") > 0 && jnum(res, "turnaround") >= jnum(res, "run_time"),
	   "its run time is accounted (%.3f s of %.3f s)", jnum(res, "run_time"),
	   jnum(res, "turnaround"));
	json_decref(res);
}

static void test_launch_failure(void)
{
	json_t *res;
	/* Output to /dev/null: the default file in the read-only / would fail the job first. */
	int64_t id = submit_as(U1, json_pack("{s:[s], s:s, s:s}", "argv", "/nonexistent/program",
					     "cwd", "/", "stdout", "/dev/null"));

	res = wait_job(U1, id);
	is_str(jstr(res, "state"), "failed", "a job whose program does not exist fails");
	ok(strstr(jstr(res, "error"), "/nonexistent/program") &&
		   strstr(jstr(res, "error"), strerror(ENOENT)),
	   "and says why: %s", jstr(res, "error"));
	json_decref(res);
}

/* The kernel's view while a VS is busy: BPF measurements reach top. */
static void test_measurements(void)
{
	int64_t id =
		submit_as(0, sh_job("i=0; while [ $i -lt 100000000 ]; do i=$((i+1)); done", "a"));
	json_t *res = NULL, *a = NULL, *v;
	size_t i;

	lab_sleep_ms(2500); /* two collector intervals */
	is_int(call_as(0, CPOOL_OP_TOP, NULL, &res, 5000), 0, "top");
	ok(json_is_false(json_object_get(res, "degraded")), "metrics come from BPF, not degraded");
	is_int((int64_t)json_array_size(json_object_get(res, "cpus")),
	       sysconf(_SC_NPROCESSORS_ONLN), "one utilization figure per CPU");
	json_array_foreach(json_object_get(res, "vservers"), i, v)
		if (strcmp(jstr(v, "name"), "a") == 0)
			a = v;
	ok(a && jnum(a, "rul") > 0.9, "the busy VS measures near 100%% utilization (%.2f)",
	   a ? jnum(a, "rul") : -1.0);
	json_decref(res);
	call_as(0, CPOOL_OP_CANCEL, json_pack("{s:I}", "job", (json_int_t)id), &res, 5000);
	json_decref(res);
	res = wait_job(0, id);
	ok(json_object_get(res, "rq_latency_mean_us") != NULL,
	   "the job's run-queue latency is in its accounting");
	json_decref(res);
}

/* rr on a one-CPU VS: two CPU-bound jobs take turns (freeze and thaw). */
static void test_preemption(void)
{
	const char *burn = "i=0; while [ $i -lt 150000 ]; do i=$((i+1)); done";
	json_t *res, *r1, *r2;
	int64_t a, b;

	is_int(call_as(0, CPOOL_OP_POLICY_SET,
		       json_pack("{s:s, s:f}", "policy", "rr", "quantum", 0.1), &res, 5000),
	       0, "policy set to rr, 100 ms");
	json_decref(res);
	a = submit_as(0, sh_job(burn, "a"));
	b = submit_as(0, sh_job(burn, "a"));
	r1 = wait_job(0, a);
	r2 = wait_job(0, b);
	ok(r1 && r2 && jnum(r2, "start") < jnum(r1, "end"),
	   "the second job started before the first ended: the first was preempted");
	ok(r1 && jnum(r1, "run_time") < jnum(r1, "turnaround") - 0.2,
	   "the first job spent time frozen (ran %.2f s of %.2f s)", r1 ? jnum(r1, "run_time") : 0,
	   r1 ? jnum(r1, "turnaround") : 0);
	ok(r1 && r2 && jint(r1, "exit_code") == 0 && jint(r2, "exit_code") == 0,
	   "both finished normally");
	json_decref(r1);
	json_decref(r2);
	call_as(0, CPOOL_OP_POLICY_SET, json_pack("{s:s}", "policy", "fcfs"), &res, 5000);
	json_decref(res);
}

static void test_bad_requests(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char buf[256], *big;
	json_t *res;
	ssize_t n;
	int fd;

	strcpy(a.sun_path, sock);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)))
		bail_out("connect");
	if (write(fd, "this is not json\n", 17) != 17)
		bail_out("write");
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	ok(strstr(buf, "\"ok\":false") && strstr(buf, "EINVAL"),
	   "malformed request: an error reply");
	big = malloc(100000);
	memset(big, 'x', 100000);
	n = write(fd, big, 100000);
	free(big);
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	ok(strstr(buf, "EMSGSIZE") != NULL, "oversized request refused");
	close(fd);
	is_int(call_as(0, CPOOL_OP_HELLO, NULL, &res, 5000), 0, "the daemon keeps serving");
	json_decref(res);
}

static void test_kill9_recovery(void)
{
	int64_t ids[5];
	int running = 0, exact = 0;
	json_t *res;

	for (int i = 0; i < 5; i++) {
		char script[64];

		snprintf(script, sizeof(script), "sleep 3; exit %d", 40 + i);
		ids[i] = submit_as(0, sh_job(script, NULL));
	}
	/* Two fit (a and b have a CPU each); three wait in the queue. */
	for (int t = 0; t < 100 && running < 2; t++) {
		size_t i;
		json_t *j;

		lab_sleep_ms(100);
		running = 0;
		if (call_as(0, CPOOL_OP_PS, NULL, &res, 5000))
			continue;
		json_array_foreach(json_object_get(res, "jobs"), i, j)
			running += strcmp(jstr(j, "state"), "running") == 0;
		json_decref(res);
	}
	is_int(running, 2, "two jobs running, three queued");
	lab_kill_reap(daemon_pid, LAB_CPOOLD_REAP_MS, NULL);
	lab_sleep_ms(4000); /* the running jobs end while no daemon is there */
	start_daemon();
	for (int i = 0; i < 5; i++) {
		res = wait_job(0, ids[i]);
		if (res && jint(res, "exit_code") == 40 + i &&
		    strcmp(jstr(res, "state"), "done") == 0)
			exact++;
		else
			diag("job %lld after the restart: %s", (long long)ids[i],
			     res ? json_dumps(res, JSON_COMPACT) : "no record");
		json_decref(res);
	}
	is_int(exact, 5,
	       "after kill -9 and restart every job is accounted with its true exit status");
}

static void test_thousand_queued(void)
{
	struct cpool_apiclient *c;
	int64_t blocker, first = 0, last = 0;
	int accepted = 0, queued = 0, cancelled = 0;
	struct cpool_error err;
	json_t *res;

	blocker = submit_as(0, sh_job("sleep 60", "a"));
	lab_sleep_ms(500);
	if (cpool_apiclient_connect(sock, &c, &err))
		bail_out("%s", err.msg);
	for (int i = 0; i < 1000; i++) {
		if (cpool_apiclient_call(c, CPOOL_OP_SUBMIT, sh_job("true", "a"), &res, 10000,
					 &err) == 0) {
			last = jint(res, "job");
			if (!first)
				first = last;
			accepted++;
		} else {
			diag("submission %d: %s", i, err.msg);
		}
		json_decref(res);
	}
	is_int(accepted, 1000, "1000 submissions accepted");
	if (cpool_apiclient_call(c, CPOOL_OP_PS, NULL, &res, 10000, &err) == 0) {
		size_t i;
		json_t *j;

		json_array_foreach(json_object_get(res, "jobs"), i, j)
			queued += strcmp(jstr(j, "state"), "queued") == 0;
		json_decref(res);
	}
	is_int(queued, 1000, "all 1000 wait behind the job that holds the VS");
	/* A fresh connection: the rate limit (burst 1000) is per connection. */
	cpool_apiclient_close(c);
	if (cpool_apiclient_connect(sock, &c, &err))
		bail_out("%s", err.msg);
	for (int64_t id = first; id && id <= last; id++) {
		if (cpool_apiclient_call(c, CPOOL_OP_CANCEL,
					 json_pack("{s:I}", "job", (json_int_t)id), &res, 10000,
					 &err) == 0)
			cancelled++;
		json_decref(res);
	}
	is_int(cancelled, 1000, "and all 1000 are cancelled");
	cpool_apiclient_call(c, CPOOL_OP_CANCEL, json_pack("{s:I}", "job", (json_int_t)blocker),
			     &res, 10000, &err);
	json_decref(res);
	cpool_apiclient_close(c);
}

int main(void)
{
	FILE *f;

	lab_require();
	root = lab_pool_root("cpoold");
	if (!mkdtemp(dir) || chmod(dir, 01777))
		bail_out("mkdtemp: %s", strerror(errno));
	snprintf(sock, sizeof(sock), "%s/cpool.sock", dir);
	snprintf(ini, sizeof(ini), "%s/pool.ini", dir);
	snprintf(logpath, sizeof(logpath), "%s/cpoold.log", dir);
	f = fopen(ini, "w");
	fprintf(f, "[pool]\nname = labpool\n\n[vserver a]\ncpus = 1\n\n"
		   "[vserver b]\ncpus = 1\nexclusive = no\nsmt = threads\n");
	fclose(f);

	start_daemon();
	test_mixed_jobs();
	test_permissions();
	test_launch_failure();
	test_measurements();
	test_preemption();
	test_bad_requests();
	test_kill9_recovery();
	test_thousand_queued();

	lab_cpoold_stop(daemon_pid, LAB_CPOOLD_STOP_S, NULL);
	lab_cpoold_cleanup(dir, root);
	done_testing();
	return exit_status();
}
