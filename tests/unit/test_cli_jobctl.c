// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Job control from the CLI against the fake cpoold: submit --hold, --after
 * and --array, hold and release, ps's REASON, START, filters and --format,
 * cancel by filter and --signal, wait on an array, history's filters and
 * CSV.  What is sent, what is printed, the exit statuses.
 */
#include "cli_fake_daemon.h"

static json_t *args_of(json_t *all, size_t i)
{
	return json_object_get(json_array_get(all, i), "args");
}

static void test_submit(void)
{
	json_t *a;

	is_int(cli(NULL, "submit --hold --after 12:ok,13:any --array 0-99%%4 -- true"), 0,
	       "submit --hold --after --array: exit 0");
	a = fake_only_args("submit");
	ok(json_is_true(json_object_get(a, "hold")), "hold sent");
	is_str(json_string_value(json_object_get(a, "after")), "12:ok,13:any", "after sent");
	is_str(json_string_value(json_object_get(a, "array")), "0-99%4", "array sent");
	json_decref(a);
	is_int(cli(NULL, "submit --stdout 'o-%%A_%%a.%%u.%%x' -- true"), 0,
	       "submit --stdout with patterns: exit 0");
	a = fake_only_args("submit");
	ok(strstr(json_string_value(json_object_get(a, "stdout")) ?: "", "/o-%A_%a.%u.%x") != NULL,
	   "the pattern is sent as written (the daemon expands it)");
	ok(!json_object_get(a, "stderr"), "no --stderr: not sent (the same file as stdout)");
	json_decref(a);

	is_int(cli(NULL, "submit --after 12:maybe -- true"), 2, "a bad --after: usage error");
	ok(strstr(err_out, "--after") != NULL, "names the option");
	is_int(cli(NULL, "submit --array 9-3 -- true"), 2, "a backwards --array: usage error");
	is_int(cli(NULL, "submit --array 0-9%%0 -- true"), 2, "--array %%0: usage error");
	is_int(cli(NULL, "submit --stdout 'x%%q' -- true"), 2, "an unknown %%q: usage error");
	ok(strstr(err_out, "--stdout") != NULL, "names the option");
	is_int(cli(NULL, "submit --stderr 'x%%' -- true"), 2, "a final %%: usage error");
	is_int(fake_request_count(), 0, "and nothing is sent");
}

static void test_hold(void)
{
	json_t *all;

	is_int(cli(NULL, "hold 41 77_1"), 0, "hold 41 77_1: exit 0");
	is_str(out, "job 41 held\njob 77_1 held\n", "each said");
	all = fake_requests();
	is_int((int64_t)json_array_size(all), 2, "two requests");
	is_int(json_integer_value(json_object_get(args_of(all, 1), "job")), 77, "ID_N: the array");
	is_int(json_integer_value(json_object_get(args_of(all, 1), "task")), 1, "and the element");
	ok(!json_object_get(args_of(all, 0), "task"), "a plain ID: no task");
	json_decref(all);
	is_int(cli(NULL, "release 41 404"), 1, "release with a failure: exit 1");
	is_str(out, "job 41 released\n", "the success said");
	is_str(err_out, "cpool release: job 404: no job 404\n",
	       "the failure once, with the reason");
	is_int(cli(NULL, "hold 41 4x"), 2, "a bad id: usage error");
	is_int(fake_request_count(), 0, "and nothing is sent");
	is_int(cli(NULL, "release"), 2, "no id: usage error");
}

static void test_ps(void)
{
	json_t *a;

	is_int(cli(NULL, "ps"), 0, "ps: exit 0");
	ok(strstr(out, "REASON") && strstr(out, "START"), "REASON and START columns");
	ok(strstr(out, "Resources") != NULL, "the reason the daemon gave");
	ok(strstr(out, "in 1m3") != NULL, "the expected start, from now");
	is_int(cli(NULL, "ps -u 0 --state queued --vs db --name x"), 0, "ps with filters: exit 0");
	a = fake_only_args("ps");
	is_int(json_integer_value(json_object_get(a, "uid")), 0, "-u sent as a uid");
	is_str(json_string_value(json_object_get(a, "state")), "queued", "--state sent");
	is_str(json_string_value(json_object_get(a, "vs")), "db", "--vs sent");
	is_str(json_string_value(json_object_get(a, "name")), "x", "--name sent");
	json_decref(a);
	is_int(cli(NULL, "ps 77"), 0, "ps ID: exit 0");
	ok(strstr(out, "77_0") && strstr(out, "77_1"), "array elements shown as ID_N");
	ok(strstr(out, "ArrayTaskLimit") != NULL, "an array limit as the reason");
	a = fake_only_args("ps");
	is_int(json_integer_value(json_object_get(a, "job")), 77, "the array's id sent");
	json_decref(a);
	is_int(cli(NULL, "ps --format id,reason"), 0, "ps --format: exit 0");
	ok(strncmp(out, "ID", 2) == 0 && strstr(out, "REASON") && !strstr(out, "USER"),
	   "only the columns asked for");
	is_int(cli(NULL, "ps --format id,bogus"), 2, "an unknown column: usage error");
	ok(strstr(err_out, "bogus") != NULL, "named");
	is_int(cli(NULL, "ps --state sleeping"), 2, "an unknown state: usage error");
	is_int(cli(NULL, "ps -u no-such-user-here"), 2, "an unknown user: usage error");
	is_int(cli(NULL, "ps --json 77"), 0, "ps --json: exit 0");
	a = json_loads(out, 0, NULL);
	is_int(json_integer_value(json_object_get(json_array_get(json_object_get(a, "jobs"), 1),
						  "array_task")),
	       1, "--json has every field");
	json_decref(a);
}

static void test_cancel(void)
{
	json_t *all;

	is_int(cli(NULL, "cancel --name arr"), 0, "cancel --name: exit 0");
	all = fake_requests();
	is_int((int64_t)json_array_size(all), 3, "a ps, then a cancel a job");
	is_str(json_string_value(json_object_get(args_of(all, 0), "name")), "arr",
	       "the filter goes to ps");
	is_int(json_integer_value(json_object_get(args_of(all, 2), "task")), 1,
	       "each element by ID_N");
	json_decref(all);
	is_str(out, "job 77_0 cancelled\njob 77_1 cancelled\n", "each said");
	is_int(cli(NULL, "cancel --signal USR1 41"), 0, "cancel --signal: exit 0");
	all = fake_requests();
	is_str(json_string_value(json_object_get(json_array_get(all, 0), "op")), "signal",
	       "a signal request, not a cancel");
	is_int(json_integer_value(json_object_get(args_of(all, 0), "signal")), 10, "SIGUSR1 is 10");
	json_decref(all);
	is_str(out, "job 41 signalled\n", "said");
	is_int(cli(NULL, "cancel --signal SIGTERM 41"), 0, "SIGTERM spelled so: exit 0");
	is_int(cli(NULL, "cancel --signal 99 41"), 2, "signal 99: usage error");
	is_int(cli(NULL, "cancel --signal BOGUS 41"), 2, "an unknown signal: usage error");
	is_int(cli(NULL, "cancel -u 0 41"), 2, "ids and filters at once: usage error");
	is_int(cli(NULL, "cancel"), 2, "nothing named: usage error");
}

static void test_wait(void)
{
	json_t *all;

	is_int(cli(NULL, "wait 77"), 3, "wait on an array: the first failing element's status");
	all = fake_requests();
	is_int((int64_t)json_array_size(all), 3, "the array's elements asked, then each waited");
	is_int(json_integer_value(json_object_get(args_of(all, 2), "task")), 1, "by ID_N");
	json_decref(all);
	is_int(cli(NULL, "wait 77_0"), 0, "wait on one element: its status");
	is_int(fake_request_count(), 1, "one request: no array listing for ID_N");
	is_int(cli(NULL, "wait 77_"), 2, "a bad ID_N: usage error");
}

static void test_history(void)
{
	json_t *a;

	is_int(cli(NULL, "history --until 2026-11-28 --state done --vs db --name x 77_1"), 0,
	       "history with filters: exit 0");
	a = fake_only_args("history");
	ok(json_is_number(json_object_get(a, "until")), "--until sent as a time");
	is_str(json_string_value(json_object_get(a, "state")), "done", "--state sent");
	is_str(json_string_value(json_object_get(a, "vs")), "db", "--vs sent");
	is_int(json_integer_value(json_object_get(a, "job")), 77, "the array");
	is_int(json_integer_value(json_object_get(a, "task")), 1, "and the element");
	json_decref(a);
	is_int(cli(NULL, "history --format csv"), 0, "history --format csv: exit 0");
	ok(strncmp(out, "id,array_job,array_task,user,name,vs,state,exit,", 48) == 0,
	   "a header line");
	is_int(count_lines(out), 4, "and a line a job");
	ok(strstr(out, ",failed,-,") != NULL, "the state and exit of a failed job");
	ok(strstr(out, ",\"execve \"\"./a,b\"\": No such file\"\n") != NULL,
	   "its error last, quoted: a comma and quotes in it (doubled)");
	is_int(cli(NULL, "history --format xml"), 2, "an unknown format: usage error");
}

/*
 * cpool run shares submit's job options; those of a job that waits,
 * repeats or writes to files it refuses itself, naming the option and
 * what to use instead, before it connects.
 */
static void test_run(void)
{
	static const char *const refused[] = {
		"--hold", "--after 12", "--array 0-9", "--stdout out.txt", "--stderr err.txt",
	};
	json_t *all, *a;

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		char opt[16];

		snprintf(opt, sizeof(opt), "%.*s", (int)strcspn(refused[i], " "), refused[i]);
		ok(cli(NULL, "run %s -- true", refused[i]) == 2, "run %s: usage error", opt);
		ok(strncmp(err_out, "cpool run: ", 11) == 0 && strstr(err_out, opt) &&
			   (strstr(err_out, "cpool submit") || strstr(err_out, "redirect")),
		   "run %s: says why and what to use instead", opt);
		ok(fake_request_count() == 0, "run %s: nothing sent", opt);
	}
	cli(NULL, "run --help");
	ok(strstr(out, "--time") && !strstr(out, "  --hold") && !strstr(out, "  --array"),
	   "run --help: --time among the options, the refused ones not");
	ok(strstr(out, "are refused") != NULL, "run --help: says which are refused");

	/* The fake knows no job 42 to wait for: run fails after its submit. */
	is_int(cli(NULL, "run --time 5m --cpus 2 --name r -- true"), 1,
	       "run --time: sent (the fake has no job to wait on)");
	all = fake_requests();
	a = args_of(all, 0);
	is_str(json_string_value(json_object_get(json_array_get(all, 0), "op")), "submit",
	       "run: a submit first");
	is_double(json_number_value(json_object_get(a, "time")), 300, 1e-9, "run: time sent");
	ok(json_is_true(json_object_get(a, "attach")), "run: attached");
	is_int(json_integer_value(json_object_get(a, "cpus")), 2, "run: cpus sent");
	is_str(json_string_value(json_object_get(a, "name")), "r", "run: name sent");
	ok(!json_object_get(a, "stdout") && !json_object_get(a, "hold"),
	   "run: no stdout path, no hold");
	json_decref(all);
	is_int(cli(NULL, "run"), 2, "run without a command: usage error");
	ok(strstr(err_out, "no command given: cpool run [OPTIONS]") != NULL,
	   "run without a command: says so");
}

int main(void)
{
	if (!fake_cpool_built()) {
		done_testing();
		return exit_status();
	}
	fake_start();
	test_submit();
	test_hold();
	test_ps();
	test_cancel();
	test_wait();
	test_history();
	test_run();
	fake_stop();
	done_testing();
	return exit_status();
}
