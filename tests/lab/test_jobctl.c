// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Job control on live processes: a 100-element array with %4 and a
 * reduction waiting on all of it (REASON and expected start read while
 * they wait), an array held to one element at a time, hold and release,
 * a dependency that can never be met, output files by default and by
 * pattern with the job's CPOOL_* environment, and --signal.  Jobs are
 * `true`-sized: the test joins check-lab, which must stay short under TCG.
 */
#include <sys/stat.h>

#include "lab_cpoold.h"

static char dir[] = "/tmp/cpool-jobctl-lab.XXXXXX";
static char sock[256], ini[256];
static const char *root;

#define REPLY_MS 20000

static int call(const char *op, json_t *args, json_t **res)
{
	int r = lab_request(sock, 0, op, args, res, REPLY_MS);

	if (r)
		diag("%s: %s", op, lab_jstr(*res, "message"));
	return r;
}

/* Submits `sh -c SCRIPT` on VS a with @extra's keys; the job's id, or 0. */
static int64_t submit(const char *script, json_t *extra)
{
	json_t *args = json_pack("{s:[s,s,s], s:[s], s:s, s:s}", "argv", "/bin/sh", "-c", script,
				 "env", "PATH=/usr/bin:/bin", "cwd", dir, "vs", "a"),
	       *res;
	int64_t id = 0;

	if (extra)
		json_object_update(args, extra);
	json_decref(extra);
	if (call("submit", args, &res) == 0)
		id = lab_jint(res, "job");
	json_decref(res);
	return id;
}

/* The job's record once it ended (NULL when the wait failed). */
static json_t *wait_job(int64_t id, int64_t task)
{
	json_t *args = json_pack("{s:I}", "job", (json_int_t)id), *res;

	if (task >= 0)
		json_object_set_new(args, "task", json_integer(task));
	if (lab_request(sock, 0, "wait", args, &res, 300000)) {
		json_decref(res);
		return NULL;
	}
	return res;
}

/* Root's ps, filtered by @args (NULL: all). */
static json_t *ps(json_t *args)
{
	json_t *res;

	if (call("ps", args, &res)) {
		json_decref(res);
		return json_array();
	}
	args = json_incref(json_object_get(res, "jobs"));
	json_decref(res);
	return args;
}

static json_t *ps_job(int64_t id)
{
	json_t *jobs = ps(NULL), *j, *found = NULL;
	size_t i;

	json_array_foreach(jobs, i, j)
		if (lab_jint(j, "id") == id)
			found = json_incref(j);
	json_decref(jobs);
	return found;
}

static const char *file_text(const char *name)
{
	static char buf[8192];
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return lab_slurp(path, buf, sizeof(buf));
}

static void test_outputs(void)
{
	char name[128], want[256];
	int64_t id;
	json_t *rec;

	id = submit("echo out; echo err >&2; echo \"env $CPOOL_JOB_ID $CPOOL_VS $CPOOL_CPUS\"",
		    json_pack("{s:[s,s]}", "env", "PATH=/usr/bin:/bin", "CPOOL_JOB_ID=forged"));
	rec = wait_job(id, -1);
	is_str(lab_jstr(rec, "state"), "done", "a job without --stdout ran");
	snprintf(name, sizeof(name), "cpool-%lld.out", (long long)id);
	ok(strstr(file_text(name), "out\n") && strstr(file_text(name), "err\n"),
	   "its stdout and stderr both went to %s in its working directory", name);
	snprintf(want, sizeof(want), "env %lld a ", (long long)id);
	ok(strstr(file_text(name), want) != NULL,
	   "CPOOL_JOB_ID (not the forged one) and CPOOL_VS: %s", file_text(name));
	{
		const char *line = strstr(file_text(name), "env ");
		char vs[32] = "", cpus[64] = "";
		long long got = 0;

		ok(line && sscanf(line, "env %lld %31s %63s", &got, vs, cpus) == 3 &&
			   strspn(cpus, "0123456789,-") == strlen(cpus),
		   "CPOOL_CPUS is its CPU list (%s)", cpus);
	}
	json_decref(rec);

	id = submit("echo o; echo e >&2", json_pack("{s:s, s:s, s:s}", "name", "pat", "stdout",
						    "%x-%j.o", "stderr", "%x-%u-%%.e"));
	rec = wait_job(id, -1);
	is_str(lab_jstr(rec, "state"), "done", "a job with patterns ran");
	json_decref(rec);
	snprintf(name, sizeof(name), "pat-%lld.o", (long long)id);
	is_str(file_text(name), "o\n", "--stdout %%x-%%j.o");
	is_str(file_text("pat-root-%.e"), "e\n", "--stderr %%x-%%u-%%%%.e");
}

static void test_hold(void)
{
	json_t *j, *rec;
	int64_t id = submit("true", json_pack("{s:b}", "hold", 1));

	lab_sleep_ms(500); /* scheduling rounds pass: it stays queued */
	j = ps_job(id);
	is_str(lab_jstr(j, "state"), "queued", "a held job stays queued");
	is_str(lab_jstr(j, "reason"), "Held", "REASON Held");
	json_decref(j);
	is_int(call("release", json_pack("{s:I}", "job", (json_int_t)id), &rec), 0, "release");
	json_decref(rec);
	rec = wait_job(id, -1);
	is_str(lab_jstr(rec, "state"), "done", "released, it ran");
	json_decref(rec);
}

static void test_never_satisfied(void)
{
	int64_t a = submit("exit 1", NULL), b;
	char after[32];
	json_t *rec, *res;

	snprintf(after, sizeof(after), "%lld:ok", (long long)a);
	b = submit("echo ran > never.out", json_pack("{s:s}", "after", after));
	rec = wait_job(b, -1);
	is_str(lab_jstr(rec, "state"), "cancelled", "a exited 1: b (--after a:ok) is cancelled");
	ok(strstr(lab_jstr(rec, "error"), "dependency never satisfied") != NULL, "saying why: %s",
	   lab_jstr(rec, "error"));
	json_decref(rec);
	is_str(file_text("never.out"), "", "b never ran");
	is_int(call("history", json_pack("{s:I}", "job", (json_int_t)b), &res), 0, "history b");
	is_str(lab_jstr(json_array_get(json_object_get(res, "jobs"), 0), "reason"),
	       "DependencyNeverSatisfied", "history has the reason");
	json_decref(res);
	is_int(lab_request(sock, 0, "submit",
			   json_pack("{s:[s], s:s, s:s}", "argv", "/bin/true", "after", "999999",
				     "vs", "a"),
			   &res, REPLY_MS),
	       -ENOENT, "--after an unknown job: refused");
	json_decref(res);
}

/* 100 elements, %4, and a reduction after all of them; what ps says while they wait. */
static void test_array(void)
{
	int64_t arr, red;
	int max_running = 0, samples = 0, with_start = 0, files = 0;
	bool dependency_seen = false;
	char after[32], name[128];
	json_t *rec;

	is_int(call("policy.set", json_pack("{s:s}", "policy", "easy"), &rec), 0, "policy easy");
	json_decref(rec);
	arr = submit("echo $CPOOL_ARRAY_JOB_ID $CPOOL_ARRAY_TASK_ID",
		     json_pack("{s:s, s:f}", "array", "0-99%4", "estimate", 2.0));
	ok(arr > 0, "a 100-element array submitted (%lld)", (long long)arr);
	snprintf(after, sizeof(after), "%lld:ok", (long long)arr);
	snprintf(name, sizeof(name), "ls cpool-%lld_*.out | wc -l > reduce.out", (long long)arr);
	red = submit(name, json_pack("{s:s}", "after", after));
	ok(red > 0, "the reduction submitted --after the array:ok");
	for (;;) {
		json_t *jobs = ps(json_pack("{s:I}", "job", (json_int_t)arr)), *j, *r;
		int running = 0;
		size_t i;

		json_array_foreach(jobs, i, j) {
			running += !strcmp(lab_jstr(j, "state"), "running") ||
				   !strcmp(lab_jstr(j, "state"), "starting");
			with_start += json_is_number(json_object_get(j, "expected_start")) &&
				      !strcmp(lab_jstr(j, "reason"), "Resources");
		}
		if (running > max_running)
			max_running = running;
		r = ps_job(red);
		dependency_seen |= !strcmp(lab_jstr(r, "reason"), "Dependency");
		json_decref(r);
		samples++;
		if (!json_array_size(jobs)) {
			json_decref(jobs);
			break;
		}
		json_decref(jobs);
		lab_sleep_ms(300);
	}
	diag("%d samples of ps while the array ran", samples);
	ok(max_running >= 1 && max_running <= 4, "at most 4 elements ran at once (%d)",
	   max_running);
	ok(dependency_seen, "the reduction waited with REASON Dependency");
	ok(with_start > 0, "an element waiting for Resources had an expected start (easy)");
	rec = wait_job(red, -1);
	is_str(lab_jstr(rec, "state"), "done", "the reduction ran after all 100");
	json_decref(rec);
	is_str(file_text("reduce.out"), "100\n", "and saw the 100 outputs");
	for (int t = 0; t < 100; t++) {
		char want[64];

		snprintf(name, sizeof(name), "cpool-%lld_%d.out", (long long)arr, t);
		snprintf(want, sizeof(want), "%lld %d\n", (long long)arr, t);
		files += strcmp(file_text(name), want) == 0;
	}
	is_int(files, 100, "each element wrote cpool-%%A_%%a.out with its ids");
	rec = wait_job(arr, 57);
	is_str(lab_jstr(rec, "state"), "done", "wait ID_57 answers with element 57's record");
	is_int(lab_jint(rec, "array_task"), 57, "it is element 57");
	is_int(lab_jint(rec, "array_job"), arr, "of this array");
	json_decref(rec);
	is_int(call("policy.set", json_pack("{s:s}", "policy", "fcfs"), &rec), 0, "policy fcfs");
	json_decref(rec);
}

/* %1: one element at a time, the others say ArrayTaskLimit. */
static void test_array_limit(void)
{
	int64_t arr = submit("sleep 0.5", json_pack("{s:s}", "array", "0-2%1"));
	bool limit_seen = false;
	int max_running = 0;

	for (int t = 0; t < 200; t++) {
		json_t *jobs = ps(json_pack("{s:I}", "job", (json_int_t)arr)), *j;
		int running = 0;
		size_t i;

		json_array_foreach(jobs, i, j) {
			running += strcmp(lab_jstr(j, "state"), "queued") != 0;
			limit_seen |= !strcmp(lab_jstr(j, "reason"), "ArrayTaskLimit");
		}
		if (running > max_running)
			max_running = running;
		if (!json_array_size(jobs)) {
			json_decref(jobs);
			break;
		}
		json_decref(jobs);
		lab_sleep_ms(100);
	}
	is_int(max_running, 1, "%%1: never two elements at once");
	ok(limit_seen, "the others waited with REASON ArrayTaskLimit");
}

static void test_signal(void)
{
	int64_t id = submit("trap 'echo got > sig.out; exit 7' USR1; touch ready; "
			    "while :; do sleep 0.1; done",
			    NULL);
	char path[512];
	json_t *rec;

	snprintf(path, sizeof(path), "%s/ready", dir);
	for (int t = 0; t < 300 && access(path, F_OK); t++)
		lab_sleep_ms(100);
	is_int(call("signal", json_pack("{s:I, s:i}", "job", (json_int_t)id, "signal", SIGUSR1),
		    &rec),
	       0, "signal USR1");
	ok(lab_jint(rec, "processes") >= 1, "reached the job's processes (%lld)",
	   (long long)lab_jint(rec, "processes"));
	json_decref(rec);
	rec = wait_job(id, -1);
	is_str(lab_jstr(rec, "state"), "done", "the job handled it and ended on its own");
	is_int(lab_jint(rec, "exit_code"), 7, "with its trap's status");
	json_decref(rec);
	is_str(file_text("sig.out"), "got\n", "the trap ran");
}

int main(void)
{
	pid_t daemon_pid;
	FILE *f;

	lab_require();
	root = lab_pool_root("jobctl");
	if (!mkdtemp(dir) || chmod(dir, 01777))
		bail_out("mkdtemp: %s", strerror(errno));
	snprintf(sock, sizeof(sock), "%s/cpool.sock", dir);
	snprintf(ini, sizeof(ini), "%s/pool.ini", dir);
	f = fopen(ini, "w");
	fprintf(f, "[pool]\nname = jobctlpool\n\n[vserver a]\ncpus = 2\nexclusive = no\n"
		   "smt = threads\n");
	fclose(f);
	daemon_pid = lab_start_cpoold(dir, ini, root, "0666", false);

	test_outputs();
	test_hold();
	test_never_satisfied();
	test_signal();
	test_array_limit();
	test_array();

	/*
	 * A daemon that died under the array shows only as failed waits: say
	 * so, how, and with its log.  (The 100 launches in quick succession
	 * are what once crashed the event loop: main's 484ae05.)
	 */
	{
		int status = 0;

		if (!ok(waitpid(daemon_pid, &status, WNOHANG) == 0,
			"cpoold lived through it all")) {
			if (WIFSIGNALED(status))
				diag("cpoold was killed by signal %d", WTERMSIG(status));
			else
				diag("cpoold exited with status %d", WEXITSTATUS(status));
			lab_cpoold_log_tail(dir, 4000);
		}
	}
	lab_cpoold_stop(daemon_pid, LAB_CPOOLD_STOP_S, NULL);
	lab_cpoold_cleanup(dir, root);
	done_testing();
	return exit_status();
}
