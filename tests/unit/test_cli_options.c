// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The one option idiom of every cpool command (cli_options.c), as a user
 * meets it against a fake cpoold: --help generated from the option table,
 * -j wherever --json is, -h everywhere, and every usage error said the
 * same way (named after the command and the option, exit status 2) before
 * anything is sent to the daemon.
 */
#include "cli_fake_daemon.h"

/* Every command with the options its --help must list. */
static const struct {
	const char *command, *options[6];
	bool json;
} commands[] = {
	{ "submit", { "--vs NAME", "--cpus N", "--estimate DUR", "--socket PATH" }, true },
	{ "ps", { "--socket PATH" }, true },
	{ "cancel", { "--socket PATH" }, false },
	{ "wait", { "--socket PATH" }, true },
	{ "history", { "--since TIME", "--user USER", "--socket PATH" }, true },
	{ "top", { "--interval DUR", "--once", "--socket PATH" }, true },
	{ "vs list", { "--socket PATH" }, true },
	{ "policy get", { "--policy NAME", "--placement NAME", "--quantum DUR" }, true },
	{ "bench", { "--trace FILE", "--policies LIST", "--no-warm-up", "--socket PATH" }, false },
	{ "gen", { "--jobs N", "--arrival A", "--seed S" }, false },
	{ "burn", { "--cpu-seconds S", "--cpus N", "--mem SIZE" }, false },
	{ "sim",
	  { "--trace FILE", "--policy NAME", "--mlfq-quanta LIST", "--format csv|swf" },
	  true },
	{ "plan", { "-c, --config FILE", "-t, --topology FILE", "-F, --fit NAME" }, true },
	{ "topo", { "-t, --topology FILE", "-s, --synthetic DESC" }, true },
	{ "metrics", { "-i, --interval S", "-c, --count N", "-H, --hist", "--no-bpf" }, true },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

/* A test name with the command in it; tap copies it at once. */
static __attribute__((format(printf, 1, 2))) const char *named(const char *fmt, ...)
{
	static char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return buf;
}

static void test_help(void)
{
	for (size_t i = 0; i < N_COMMANDS; i++) {
		const char *cmd = commands[i].command;
		char want[128];
		bool all = true;

		is_int(cli(NULL, "%s --help", cmd), 0, named("%s --help: exit 0", cmd));
		snprintf(want, sizeof(want), "usage: cpool %.*s", (int)strcspn(cmd, " "), cmd);
		ok(strncmp(out, want, strlen(want)) == 0, "%s --help starts with its usage", cmd);
		ok(strstr(out, "  -h, --help ") != NULL, "%s --help lists -h, --help", cmd);
		is_int(strstr(out, "-j, --json ") != NULL, commands[i].json,
		       named("%s --help lists -j, --json%s", cmd,
			     commands[i].json ? "" : ": none, it has no JSON"));
		for (int k = 0; commands[i].options[k]; k++)
			if (!strstr(out, commands[i].options[k])) {
				diag("%s --help lacks '%s'", cmd, commands[i].options[k]);
				all = false;
			}
		ok(all, "%s --help lists its own options", cmd);
		is_int(cli(NULL, "%s -h", cmd), 0, named("%s -h: exit 0", cmd));
	}
	is_int(fake_request_count(), 0, "no --help sent anything");
}

static void test_usage_errors(void)
{
	char want[128];

	for (size_t i = 0; i < N_COMMANDS; i++) {
		const char *cmd = commands[i].command;

		is_int(cli(NULL, "%s --frobnicate", cmd), 2, named("%s --frobnicate: exit 2", cmd));
		snprintf(want, sizeof(want), "cpool %s: unknown option '--frobnicate'\n", cmd);
		ok(strncmp(err_out, want, strlen(want)) == 0,
		   "%s: the command and the option named", cmd);
		snprintf(want, sizeof(want), "Try 'cpool %s --help'.\n", cmd);
		ok(strstr(err_out, want) != NULL, "%s: points at --help", cmd);
	}
	is_int(cli(NULL, "submit --cpus"), 2, "a missing value: exit 2");
	is_str(err_out, "cpool submit: --cpus needs a value\nTry 'cpool submit --help'.\n",
	       "a missing value, said once");
	is_int(count_lines(err_out), 2, "in two lines");
	is_int(cli(NULL, "ps --json=yes"), 2, "a value to a flag: exit 2");
	ok(strstr(err_out, "cpool ps: --json takes no value") != NULL, "a value to a flag, said");
	is_int(cli(NULL, "history --s 1h"), 2, "an ambiguous abbreviation: exit 2");
	ok(strstr(err_out, "cpool history: '--s' is ambiguous") != NULL,
	   "an ambiguous abbreviation, said so");
	is_int(cli(NULL, "history --si 1h --us 0"), 0, "a unique abbreviation is the option");
	is_int(cli(NULL, "ps -x"), 2, "an unknown letter: exit 2");
	ok(strstr(err_out, "cpool ps: unknown option '-x'") != NULL, "an unknown letter, said");
	is_int(cli(NULL, "top --interval 5ms"), 2, "a value out of range: exit 2");
	is_str(err_out,
	       "cpool top: --interval: '5ms' is not a duration from 100ms to 1h\n"
	       "Try 'cpool top --help'.\n",
	       "a value out of range: the command, the option, the value and the range");
	is_int(cli(NULL, "metrics -c 0"), 2, "metrics -c 0: exit 2");
	ok(strstr(err_out, "cpool metrics: --count: '0' is not a whole number of at least 1") !=
		   NULL,
	   "a short option's error names its long name");
	is_int(cli(NULL, "sim --trace x --policy nope --slots 2"), 2, "sim unknown policy: exit 2");
	ok(strstr(err_out, "cpool sim: --policy: unknown 'nope' (known: ") != NULL,
	   "sim: the known policies listed");
	is_int(cli(NULL, "gen --jobs 3 --seed -1"), 2, "gen --seed -1: exit 2");
	ok(strstr(err_out, "cpool gen: --seed: '-1' is not") != NULL, "gen --seed: said");
	is_int(cli(NULL, "ps -j -x"), 2, "a usage error after a good option: exit 2");
	is_int(fake_request_count(), 0, "no usage error sent anything");
}

/* -j is --json wherever --json is: same request, same output. */
static void test_short_json(void)
{
	static const char *const listings[] = { "ps", "history", "vs list", "policy get", "top" };
	char long_out[sizeof(out)];
	json_t *args;

	for (size_t i = 0; i < sizeof(listings) / sizeof(listings[0]); i++) {
		json_t *j;

		is_int(cli(NULL, "%s --json", listings[i]), 0,
		       named("%s --json: exit 0", listings[i]));
		memcpy(long_out, out, sizeof(out));
		is_int(cli(NULL, "%s -j", listings[i]), 0, named("%s -j: exit 0", listings[i]));
		j = json_loads(out, 0, NULL);
		ok(json_is_object(j), "%s -j prints JSON", listings[i]);
		json_decref(j);
		/* The fake's jobs and snapshots carry the time: compare the rest byte for byte. */
		if (!strcmp(listings[i], "vs list") || !strcmp(listings[i], "policy get"))
			is_str(out, long_out,
			       named("%s -j prints what --json prints", listings[i]));
	}
	is_int(cli(NULL, "wait -j 3"), 3, "wait -j: the job's status");
	ok(strstr(out, "\"exit_code\": 3") != NULL, "wait -j prints the record");
	is_int(cli(NULL, "history -j --since 1h --user 0"), 0, "history -j with options: exit 0");
	args = fake_only_args("history");
	ok(json_is_number(json_object_get(args, "since")) &&
		   json_integer_value(json_object_get(args, "uid")) == 0,
	   "history: the options' values were sent");
	json_decref(args);
	is_int(cli(NULL, "submit -j -- true -j"), 0, "submit -j: exit 0");
	ok(strstr(out, "\"job\"") != NULL, "submit -j prints JSON");
}

int main(void)
{
	if (!fake_cpool_built()) {
		done_testing();
		return exit_status();
	}
	fake_start();
	test_help();
	test_usage_errors();
	test_short_json();
	fake_stop();
	done_testing();
	return exit_status();
}
