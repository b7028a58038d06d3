// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * cpool submit, ps, cancel, wait and history as a user runs them, against a
 * fake cpoold: the requests they send, what they print, their exit codes.
 */
#include <limits.h>
#include <pwd.h>

#include "cli_fake_daemon.h"

static const char *arg_str(const json_t *args, const char *key)
{
	return json_string_value(json_object_get(args, key));
}

static bool env_has(const json_t *args, const char *entry)
{
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(args, "env"), i, v)
		if (strcmp(json_string_value(v), entry) == 0)
			return true;
	return false;
}

static void test_submit(void)
{
	char pre[512], want[PATH_MAX + 64], cwd[PATH_MAX];
	json_t *a;

	snprintf(pre, sizeof(pre), "cd %s && CPOOL_TEST_MARK='a b=c'", fake.dir);
	is_int(cli(pre,
		   "submit --cpus 2 --mem 512M --estimate 90s --priority -5 --name nightly "
		   "--vs db --stdout out.txt --stderr /var/tmp/e.txt -- /bin/sh -c 'exit 3' x"),
	       0, "submit: exit 0");
	is_str(out, "42\n", "submit prints the job id alone");
	is_str(err_out, "", "submit: nothing on stderr");
	a = fake_only_args("submit");
	if (!realpath(fake.dir, cwd))
		bail_out("realpath %s", fake.dir);
	is_int((int64_t)json_array_size(json_object_get(a, "argv")), 4, "argv: 4 words, after --");
	is_str(json_string_value(json_array_get(json_object_get(a, "argv"), 0)), "/bin/sh",
	       "argv[0]");
	is_str(json_string_value(json_array_get(json_object_get(a, "argv"), 2)), "exit 3",
	       "argv[2] kept whole (no shell on the way)");
	ok(env_has(a, "CPOOL_TEST_MARK=a b=c"), "the caller's environment is sent");
	snprintf(want, sizeof(want), "CPOOL_SOCKET=%s", fake.sock);
	ok(env_has(a, want), "all of it");
	is_str(arg_str(a, "cwd"), cwd, "cwd: the absolute current directory");
	snprintf(want, sizeof(want), "%s/out.txt", cwd);
	is_str(arg_str(a, "stdout"), want, "a relative --stdout is made absolute");
	is_str(arg_str(a, "stderr"), "/var/tmp/e.txt", "an absolute --stderr is kept");
	is_int(json_integer_value(json_object_get(a, "cpus")), 2, "cpus");
	is_int(json_integer_value(json_object_get(a, "mem")), 512 << 20, "mem in bytes");
	is_double(json_number_value(json_object_get(a, "estimate")), 90, 1e-9,
		  "estimate in seconds");
	is_int(json_integer_value(json_object_get(a, "priority")), -5, "priority");
	is_str(arg_str(a, "name"), "nightly", "name");
	is_str(arg_str(a, "vs"), "db", "vs");
	json_decref(a);

	is_int(cli(NULL, "submit --json sleep 1 -x"), 0, "submit --json: exit 0");
	a = json_loads(out, 0, NULL);
	is_int(json_integer_value(json_object_get(a, "job")), 42, "submit --json: {\"job\": 42}");
	json_decref(a);
	a = fake_only_args("submit");
	is_str(json_string_value(json_array_get(json_object_get(a, "argv"), 1)), "1",
	       "without --: options stop at the command");
	is_str(json_string_value(json_array_get(json_object_get(a, "argv"), 2)), "-x",
	       "and the command's own options are its own");
	ok(!json_object_get(a, "vs") && !json_object_get(a, "mem") &&
		   !json_object_get(a, "estimate") && !json_object_get(a, "stdout"),
	   "unset options are not sent (the daemon's defaults apply)");
	is_int(json_integer_value(json_object_get(a, "cpus")), 1, "default cpus 1");
	json_decref(a);

	is_int(cli(NULL, "submit --cpus 0 -- true"), 2, "submit --cpus 0: usage error");
	is_int(fake_request_count(), 0, "and nothing is sent");
	is_int(cli(NULL, "submit --mem lots -- true"), 2, "submit --mem lots: usage error");
	ok(strstr(err_out, "--mem") != NULL, "names the option");
	is_int(cli(NULL, "submit --estimate soon -- true"), 2, "bad --estimate: usage error");
	is_int(cli(NULL, "submit --priority 20 -- true"), 2, "priority 20: usage error");
	is_int(cli(NULL, "submit --priority -21 -- true"), 2, "priority -21: usage error");
	is_int(cli(NULL, "submit"), 2, "submit without a command: usage error");
	is_int(cli(NULL, "submit --frobnicate -- true"), 2, "unknown option: usage error");
	ok(strstr(err_out, "cpool submit: unknown option '--frobnicate'") != NULL,
	   "named after the command and the option");

	/* An environment past the daemon's line limit is refused here, with the reason. */
	is_int(cli("BIG=$(head -c 70000 /dev/zero | tr '\\0' x)", "submit -- true"), 1,
	       "oversized environment: exit 1");
	ok(strstr(err_out, "over the daemon's limit") != NULL, "says why");
	is_int(fake_request_count(), 0, "and sends nothing");
}

static void test_ps(void)
{
	struct passwd *pw = getpwuid(getuid());
	json_t *root, *a;

	is_int(cli(NULL, "ps"), 0, "ps: exit 0");
	diag("%s", out);
	is_int(count_lines(out), 3, "ps: a header and two jobs");
	ok(strncmp(out, "ID", 2) == 0 && strstr(out, "USER") && strstr(out, "STATE") &&
		   strstr(out, "ESTIMATE") && strstr(out, "AGE") && strstr(out, "NAME"),
	   "ps: the header names the columns");
	ok(pw && strstr(out, pw->pw_name) != NULL, "ps: the user by name (%s)",
	   pw ? pw->pw_name : "?");
	ok(strstr(out, "4242424") != NULL, "ps: a uid without a name is shown as a number");
	ok(strstr(out, "running") && strstr(out, "queued"), "ps: states");
	ok(strstr(out, "2m05s") != NULL, "ps: age from the submit time");
	ok(strstr(out, "30.0s") != NULL, "ps: the estimate");
	ok(strstr(out, "-5") != NULL, "ps: the priority");
	ok(strchr(out, '\033') == NULL && strstr(out, "evil?[2Jname"),
	   "ps: a job name cannot send escape sequences to the terminal");
	a = fake_only_args("ps");
	is_int(a ? (int64_t)json_object_size(a) : -1, 0,
	       "ps sent one ps request, without arguments");
	json_decref(a);

	is_int(cli(NULL, "ps --json"), 0, "ps --json: exit 0");
	root = json_loads(out, 0, NULL);
	is_int((int64_t)json_array_size(json_object_get(root, "jobs")), 2,
	       "ps --json: the reply's jobs");
	is_str(json_string_value(
		       json_object_get(json_array_get(json_object_get(root, "jobs"), 0), "state")),
	       "running", "ps --json: as the daemon gave them");
	json_decref(root);
	is_int(cli(NULL, "ps extra"), 2, "ps with an argument: usage error");
}

static void test_cancel(void)
{
	json_t *all;

	is_int(cli(NULL, "cancel 41"), 0, "cancel 41: exit 0");
	is_str(out, "job 41 cancelled\n", "cancel says so");
	is_int(cli(NULL, "cancel 41 404 13 44"), 1, "cancel with failures: exit 1");
	all = fake_requests();
	is_int((int64_t)json_array_size(all), 4, "every id is tried");
	is_int(json_integer_value(
		       json_object_get(json_object_get(json_array_get(all, 3), "args"), "job")),
	       44, "even after a failure");
	json_decref(all);
	is_str(out, "job 41 cancelled\njob 44 cancelled\n", "the successes are reported");
	is_str(err_out,
	       "cpool cancel: job 404: no job 404\ncpool cancel: job 13: job 13 is not yours\n",
	       "each failure once, with its id and the daemon's reason");
	is_int(cli(NULL, "cancel 41 x"), 2, "cancel a non-number: usage error");
	is_int(fake_request_count(), 0, "and nothing is cancelled");
	is_int(cli(NULL, "cancel"), 2, "cancel without an id: usage error");
}

static void test_wait(void)
{
	json_t *rec;

	is_int(cli(NULL, "wait 7"), 0, "wait: exit 0 of the job");
	is_str(err_out, "", "wait: nothing said for a plain exit");
	is_int(cli(NULL, "wait 3"), 3, "wait: exit 3 becomes 3");
	rec = fake_last_args("wait");
	is_int(json_integer_value(json_object_get(rec, "job")), 3, "wait sent the job id");
	json_decref(rec);
	is_int(cli(NULL, "wait 9"), 137, "wait: SIGKILL becomes 137");
	is_str(err_out, "job 9 killed by SIGKILL (out of memory)\n", "wait: the OOM kill is told");
	is_int(cli(NULL, "wait 15"), 143, "wait: SIGTERM becomes 143");
	is_str(err_out, "job 15 killed by SIGTERM (cancelled)\n", "wait: a cancelled job");
	is_int(cli(NULL, "wait 5"), 1, "wait: a job that never started: exit 1");
	is_str(err_out, "cpool wait: job 5 did not start: exec /nope: No such file or directory\n",
	       "with the reason");
	is_int(cli(NULL, "wait 6"), 1, "wait: a job cancelled while queued: exit 1");
	is_str(err_out, "cpool wait: job 6 was cancelled before it started\n", "and says so");
	is_int(cli(NULL, "wait 10"), 1, "wait: a cancelled job is a failure even with exit_code 0");
	is_str(err_out, "cpool wait: job 10 was cancelled\n", "and says so");
	is_int(cli(NULL, "wait 11"), 1, "wait: a failed job is a failure even with exit_code 0");
	is_str(err_out, "cpool wait: job 11 did not start: the daemon gave no reason\n",
	       "and says so");
	is_int(cli(NULL, "wait 404"), 1, "wait: unknown job: exit 1");
	is_str(err_out, "cpool wait: job 404: no job 404\n", "with the daemon's message");
	is_int(cli(NULL, "wait --json 3"), 3, "wait --json keeps the status");
	rec = json_loads(out, 0, NULL);
	is_int(json_integer_value(json_object_get(rec, "exit_code")), 3,
	       "wait --json prints the record");
	is_double(json_number_value(json_object_get(rec, "cpu_time")), 29.87, 1e-9,
		  "with its accounting");
	json_decref(rec);
	is_int(cli(NULL, "wait"), 2, "wait without an id: usage error");
	is_int(cli(NULL, "wait 1 2"), 2, "wait two ids: usage error");
	is_int(cli(NULL, "wait -3"), 2, "wait a negative id: usage error");
}

/* cpool wait outlives a restart of the daemon, and gets the status from the new one. */
static void test_wait_restart(void)
{
	char cmd[2048], path[160];
	size_t n;
	FILE *f;
	int st;

	snprintf(cmd, sizeof(cmd), "%s wait 8 2>%s", fake.cpool, fake.err);
	unlink(fake.log);
	f = popen(cmd, "r");
	if (!f)
		bail_out("popen");
	/*
	 * Kill the daemon only once the wait is in (job 8 is not answered
	 * yet): a fixed 300 ms lost that race on a loaded host, and the client
	 * then never saw a daemon to lose.
	 */
	for (int i = 0; i < 1000 && fake_request_count() == 0; i++)
		usleep(10 * 1000);
	fake_kill();
	snprintf(path, sizeof(path), "%s/released", fake.dir);
	if (close(open(path, O_CREAT | O_WRONLY, 0600)))
		bail_out("create %s", path);
	usleep(300 * 1000); /* the daemon is down for a while */
	fake_serve();
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	st = pclose(f);
	slurp(fake.err, err_out, sizeof(err_out));
	is_int(WIFEXITED(st) ? WEXITSTATUS(st) : -1, 8,
	       "wait across a daemon restart: the job's exit 8, from the new daemon");
	ok(strstr(err_out, "waiting up to") != NULL && count_lines(err_out) == 1,
	   "and one line says it lost the daemon and waits for it");
	unlink(path);
}

static void test_history(void)
{
	double now = fake_now();
	json_t *a, *root;
	char arg[64];

	is_int(cli(NULL, "history"), 0, "history: exit 0");
	diag("%s", out);
	a = fake_only_args("history");
	is_int((int64_t)json_object_size(a), 0, "history: no filter sent by default");
	json_decref(a);
	ok(strstr(out, "CPU-TIME") && strstr(out, "TURNAROUND") && strstr(out, "PEAK-MEM") &&
		   strstr(out, "RESPONSE"),
	   "history: sacct-like columns");
	is_int(count_lines(out), 4, "history: a header and three records");
	ok(strstr(out, "SIGKILL/oom") != NULL, "history: an OOM kill shows in EXIT");
	ok(strstr(out, "29.9s") && strstr(out, "30.5s") && strstr(out, "500ms"),
	   "history: durations");
	ok(strstr(out, "10M") != NULL, "history: peak memory");

	is_int(cli(NULL, "history --since 1h --user 0"), 0, "history --since 1h --user 0");
	a = fake_only_args("history");
	is_double(json_number_value(json_object_get(a, "since")), now - 3600, 5,
		  "--since 1h: an hour ago");
	is_int(json_integer_value(json_object_get(a, "uid")), 0, "--user 0: uid 0");
	json_decref(a);

	is_int(cli(NULL, "history --since 1764355200 --user root"), 0, "history by unix time");
	a = fake_only_args("history");
	is_double(json_number_value(json_object_get(a, "since")), 1764355200, 1e-6,
		  "--since UNIXTIME as given");
	is_int(json_integer_value(json_object_get(a, "uid")), 0, "--user root: its uid");
	json_decref(a);

	is_int(cli("TZ=UTC", "history --since 2026-11-28"), 0, "history --since a date");
	a = fake_only_args("history");
	is_double(json_number_value(json_object_get(a, "since")), 1795824000, 1e-6,
		  "--since 2026-11-28: that midnight, local time");
	json_decref(a);
	is_int(cli("TZ=UTC", "history --since 2026-11-28T10:00"), 0,
	       "history --since date and time");
	a = fake_only_args("history");
	is_double(json_number_value(json_object_get(a, "since")), 1795824000 + 36000, 1e-6,
		  "--since 2026-11-28T10:00");
	json_decref(a);

	is_int(cli(NULL, "history --user %d --json", FAKE_UID_PAGED), 0, "a history in pages");
	root = json_loads(out, 0, NULL);
	is_int((int64_t)json_array_size(json_object_get(root, "jobs")), 3,
	       "history: the pages are shown as one list");
	is_int(json_integer_value(
		       json_object_get(json_array_get(json_object_get(root, "jobs"), 2), "id")),
	       11, "history: the second page last");
	json_decref(root);
	a = fake_requests();
	is_int((int64_t)json_array_size(a), 2, "history: one request per page");
	is_int(json_integer_value(
		       json_object_get(json_object_get(json_array_get(a, 1), "args"), "after")),
	       9, "history: the second asks for the jobs after the first page's cursor");
	json_decref(a);

	snprintf(arg, sizeof(arg), "history --since 30m --json");
	is_int(cli(NULL, "%s", arg), 0, "history --json: exit 0");
	root = json_loads(out, 0, NULL);
	is_int((int64_t)json_array_size(json_object_get(root, "jobs")), 3,
	       "history --json: the records");
	is_int(json_integer_value(
		       json_object_get(json_array_get(json_object_get(root, "jobs"), 1), "signal")),
	       9, "history --json: as the daemon gave them");
	json_decref(root);

	is_int(cli(NULL, "history --since tomorrowish"), 2, "history bad --since: usage error");
	is_int(cli(NULL, "history --since 2026-13-45"), 2, "history impossible date: usage error");
	is_int(cli(NULL, "history --user no-such-user-here"), 2,
	       "history unknown user: usage error");
	ok(strstr(err_out, "no such user") != NULL, "says so");
	is_int(fake_request_count(), 0, "nothing sent on usage errors");
}

static void test_stats(void)
{
	json_t *root, *a;

	is_int(cli(NULL, "stats"), 0, "stats: exit 0");
	diag("%s", out);
	ok(strstr(out, "1234") != NULL, "stats: the loop's rounds");
	ok(strstr(out, "2.500 ms") != NULL, "stats: the longest stall, in ms");
	ok(strstr(out, "0.310 ms") != NULL, "stats: the longest since the last read");
	ok(strstr(out, "100 queued, 1 starting, 2 running, 0 frozen") != NULL,
	   "stats: the job counts");
	ok(strstr(out, "busiest              8.000 s in 800 (10.000 ms each, longest 115.000 ms): "
		       "scheduling round\n") != NULL,
	   "stats: the busiest callback, its mean and longest");
	ok(strstr(out, "                     1.500 s in 150 (10.000 ms each, longest 49.000 ms): "
		       "ps\n") != NULL,
	   "stats: then the next");
	ok(strstr(out, "4 ticks, CPU 0.250 ms each on average, last 0.300 ms, max 0.450 ms") !=
		   NULL,
	   "stats: the metrics tick's CPU, mean per tick");
	ok(strstr(out, "wall, mean         read 0.500 ms, fold 0.100 ms, store 1.500 ms") != NULL,
	   "stats: the tick's wall time by part, mean per tick");
	ok(strstr(out, "longest tick       5.200 ms: read 1.100 ms, fold 0.100 ms, store "
		       "4.000 ms") != NULL,
	   "stats: the longest tick and its parts");
	ok(strstr(out, "cgroup ids           40 by handle, 3 by walk (2 walks), 7 stale, 36 held, "
		       "1 pending retry") != NULL,
	   "stats: how the collector resolved cgroup ids");
	ok(strstr(out, "resolved by walks: open_by_handle_at: EPERM") != NULL,
	   "stats: and why it walks, when it does");
	ok(strstr(out, "launches             2, to exec 300.0 ms") != NULL,
	   "stats: launches and their mean time to exec");
	ok(strstr(out, "preemptions          4, late 50.0 ms, freeze 30.0 ms, handover 10.0 ms, "
		       "thaw 15.0 ms") != NULL,
	   "stats: what a preemption costs, step by step");
	a = fake_only_args("stats");
	is_int(a ? (int64_t)json_object_size(a) : -1, 0, "stats sent one request, no arguments");
	json_decref(a);
	is_int(cli(NULL, "stats --json"), 0, "stats --json: exit 0");
	root = json_loads(out, 0, NULL);
	is_int(json_integer_value(json_object_get(root, "loop_stall_window_us")), 310,
	       "stats --json: as the daemon gave it");
	json_decref(root);
	is_int(cli(NULL, "stats now"), 2, "stats with an argument: usage error");
}

int main(void)
{
	if (!fake_cpool_built()) {
		done_testing();
		return exit_status();
	}
	fake_start();
	test_submit();
	test_ps();
	test_cancel();
	test_wait();
	test_wait_restart();
	test_history();
	test_stats();
	fake_stop();
	done_testing();
	return exit_status();
}
