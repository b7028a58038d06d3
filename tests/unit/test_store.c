// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../tap.h"
#include "cpool/store.h"

static char dir[] = "/tmp/cpool-test-store.XXXXXX";
static char path[256];
static struct cpool_error err;

static struct cpool_jobrec new_job(const char *name, uid_t uid, double submit)
{
	struct cpool_jobrec j = {
		.name = (char *)name,
		.uid = uid,
		.gid = uid,
		.argv_json = (char *)"[\"/bin/true\"]",
		.cwd = (char *)"/",
		.cpus = 1,
		.estimate = 2.5,
		.priority = 3,
		.state = CPOOL_JOB_QUEUED,
		.submit_time = submit,
	};
	return j;
}

static int count_cb(const struct cpool_jobrec *job, void *ctx)
{
	(void)job;
	(*(int *)ctx)++;
	return 0;
}

static int count(struct cpool_store *s, struct cpool_job_filter f)
{
	int n = 0;

	cpool_store_job_foreach(s, &f, count_cb, &n);
	return n;
}

int main(void)
{
	struct cpool_store *s = NULL;
	struct cpool_jobrec j, got;
	pid_t pid;
	int status;
	char *v;

	if (!mkdtemp(dir))
		bail_out("mkdtemp: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/state.db", dir);

	is_int(cpool_store_open(path, &s, &err), 0, "create a new database");
	j = new_job("a", 1000, 100.0);
	is_int(cpool_store_job_insert(s, &j), 0, "insert job");
	is_int(j.id, 1, "first id is 1");
	j = new_job("b", 1001, 200.0);
	cpool_store_job_insert(s, &j);
	is_int(j.id, 2, "ids increase");

	j.state = CPOOL_JOB_DONE;
	j.first_start = j.start_time = 201.0;
	j.end_time = 211.0;
	j.launch_time = 0.25;
	j.launch_idle = 0.125;
	j.handover = 0.0625;
	j.first_round = 1764355200.25;
	j.start_round = 1764355201.5;
	j.start_report = 0.03125;
	j.preemptions = 7;
	j.resume_turns = 6;
	j.resume_turn = 0.875;
	j.resume_turn_idle = 0.375;
	j.exit_code = -1;
	j.signal = SIGKILL;
	j.oom = true;
	j.cpu_usec = 9876543;
	j.peak_mem = 1 << 20;
	j.pid = 4242;
	j.cgroup = (char *)"/sys/fs/cgroup/cpool/db/job-2";
	is_int(cpool_store_job_update(s, &j), 0, "update to done");
	is_int(cpool_store_job_get(s, 2, &got), 0, "read back");
	is_str(got.name, "b", "name");
	is_int(got.state, CPOOL_JOB_DONE, "state");
	is_int(got.signal, SIGKILL, "signal");
	ok(got.oom, "oom flag");
	is_int((int64_t)got.cpu_usec, 9876543, "cpu time");
	is_double(got.end_time, 211.0, 0, "end time");
	is_double(got.launch_time, 0.25, 0, "launch time");
	is_double(got.launch_idle, 0.125, 0, "launch idle");
	is_double(got.handover, 0.0625, 0, "handover from the end before it");
	ok(got.first_round == j.first_round && got.start_round == j.start_round,
	   "its rounds' wall times, to the bit (the calibration's instants)");
	is_double(got.start_report, 0.03125, 0, "its start report's lateness");
	is_int(got.preemptions, 7, "the times it was frozen for another job");
	ok(got.resume_turns == 6 && got.resume_turn == 0.875 && got.resume_turn_idle == 0.375,
	   "its resumed turns, their length and idle (%u, %.3f, %.3f)", got.resume_turns,
	   got.resume_turn, got.resume_turn_idle);
	is_str(got.cgroup, "/sys/fs/cgroup/cpool/db/job-2", "cgroup");
	cpool_jobrec_free(&got);
	is_int(cpool_store_job_get(s, 99, &got), -ENOENT, "missing job");
	j.id = 99;
	is_int(cpool_store_job_update(s, &j), -ENOENT, "update of a missing job");

	is_int(count(s, (struct cpool_job_filter){ .uid = -1 }), 2, "all jobs");
	is_int(count(s, (struct cpool_job_filter){ .uid = -1, .active_only = true }), 1,
	       "active jobs");
	is_int(count(s, (struct cpool_job_filter){ .uid = -1, .finished_only = true }), 1,
	       "finished jobs");
	is_int(count(s, (struct cpool_job_filter){ .uid = 1000 }), 1, "by user");
	is_int(count(s, (struct cpool_job_filter){ .uid = -1, .since = 150 }), 1, "since");

	is_int(cpool_store_setting_put(s, "policy", "sjf"), 0, "setting put");
	is_int(cpool_store_setting_put(s, "policy", "fcfs"), 0, "setting overwrite");
	v = cpool_store_setting_get(s, "policy");
	is_str(v, "fcfs", "setting get");
	free(v);
	ok(cpool_store_setting_get(s, "nope") == NULL, "unset setting is NULL");
	is_int(cpool_store_vs_put(s, "db", "{}", "2-3", "1"), 0, "vs put");
	is_int(cpool_store_vs_put(s, "db", "{}", "2-5", "1"), 0, "vs update");
	is_int(cpool_store_vs_delete(s, "db"), 0, "vs delete");
	is_int(cpool_store_vs_delete(s, "db"), -ENOENT, "vs delete twice");
	is_int(cpool_store_samples_insert(
		       s, &(struct cpool_vs_sample){ .time = 1, .vs = "db", .rul = 0.5 }, 1),
	       0, "sample");
	cpool_store_close(s);

	/*
	 * A daemon killed with SIGKILL right after acknowledging submissions:
	 * every committed row must be there when it starts again.
	 */
	pid = fork();
	if (pid == 0) {
		struct cpool_store *c;

		if (cpool_store_open(path, &c, &err))
			_exit(1);
		for (int i = 0; i < 100; i++) {
			struct cpool_jobrec k = new_job("crash", 1000, 300.0 + i);

			if (cpool_store_job_insert(c, &k))
				_exit(2);
		}
		kill(getpid(), SIGKILL);
		_exit(3);
	}
	waitpid(pid, &status, 0);
	ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "writer died of SIGKILL");
	is_int(cpool_store_open(path, &s, &err), 0, "reopen after the crash");
	is_int(count(s, (struct cpool_job_filter){ .uid = -1, .since = 300 }), 100,
	       "all 100 acknowledged jobs survived kill -9");
	cpool_store_close(s);

	/* A file that is not a database: a clear error, not a crash. */
	snprintf(path, sizeof(path), "%s/garbage.db", dir);
	{
		FILE *f = fopen(path, "w");

		fputs("this is not sqlite, it only pretends to be a database file at all\n", f);
		fclose(f);
	}
	ok(cpool_store_open(path, &s, &err) < 0, "garbage file refused");
	ok(strstr(err.msg, path) != NULL, "error names the file: %s", err.msg);
	ok(cpool_store_open("/nonexistent-dir/x.db", &s, &err) < 0, "missing directory refused");
	diag("%s", err.msg);

	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	if (system(path) != 0)
		diag("could not clean up %s", dir);
	done_testing();
	return exit_status();
}
