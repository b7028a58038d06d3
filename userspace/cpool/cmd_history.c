// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* cpool history: accounting of ended jobs, like sacct. */
#include <errno.h>
#include <string.h>

#include "cli_common.h"
#include "command.h"
#include "history_pages.h"
#include "cpool/units.h"

#define PROG "cpool history"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: cpool history [--since TIME] [--user USER] [--json]\n"
		"\n"
		"Accounting of ended jobs, oldest first: exit status, CPU time, wait (submit\n"
		"to first start), response, turnaround and peak memory.\n"
		"\n"
		"  --since TIME       jobs submitted since TIME: a unix time (1764355200), a\n"
		"                     local date or time (2026-11-28, 2026-11-28T10:00), or a\n"
		"                     duration ago (30m, 1h, 2d)\n"
		"  --user USER        only this user's jobs (a name or a uid; others' need root)\n"
		"  --json             the daemon's answer, {\"jobs\": [...]}\n" CLI_SOCKET_HELP
		"  --help             this text\n");
}

static const struct cli_column columns[] = {
	{ "ID", true },	      { "USER", false },      { "NAME", false },    { "VS", false },
	{ "STATE", false },   { "EXIT", true },	      { "CPU-TIME", true }, { "WAIT", true },
	{ "RESPONSE", true }, { "TURNAROUND", true }, { "PEAK-MEM", true },
};

static void exit_cell(struct cli_table *t, const json_t *rec)
{
	int sig = (int)cli_json_int(rec, "signal", 0);
	long long code = cli_json_int(rec, "exit_code", -1);
	bool oom = json_is_true(json_object_get(rec, "oom"));

	if (sig > 0)
		cli_table_cell(t, "%s%s", cli_signal_name(sig), oom ? "/oom" : "");
	else if (code >= 0 && strcmp(cli_json_str(rec, "state", ""), "done") == 0)
		cli_table_cell(t, "%lld%s", code, oom ? "/oom" : "");
	else
		cli_table_cell(t, "-");
}

static void duration_cell(struct cli_table *t, const json_t *rec, const char *key)
{
	char buf[32];

	cli_format_duration(cli_json_num(rec, key, -1), buf, sizeof(buf));
	cli_table_cell(t, "%s", buf);
}

static void print_records(const json_t *jobs)
{
	struct cli_table *t = cli_table_new(columns, sizeof(columns) / sizeof(columns[0]));
	size_t i;
	json_t *j;

	json_array_foreach(jobs, i, j) {
		long long peak = cli_json_int(j, "peak_memory", -1);
		char mem[32] = "-";

		if (peak >= 0)
			cpool_format_size((uint64_t)peak, mem, sizeof(mem));
		cli_table_cell(t, "%lld", cli_json_int(j, "id", 0));
		cli_table_cell(t, "%s", cli_user_name((uid_t)cli_json_int(j, "user", 0)));
		cli_table_cell(t, "%s", cli_json_str(j, "name", ""));
		cli_table_cell(t, "%s", cli_json_str(j, "vs", "-"));
		cli_table_cell(t, "%s", cli_json_str(j, "state", "?"));
		exit_cell(t, j);
		duration_cell(t, j, "cpu_time");
		duration_cell(t, j, "wait");
		duration_cell(t, j, "response");
		duration_cell(t, j, "turnaround");
		cli_table_cell(t, "%s", mem);
	}
	cli_table_print(t, stdout);
	cli_table_free(t);
}

static int cmd_history(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "since", required_argument, NULL, 's' },
		{ "user", required_argument, NULL, 'u' },
		CLI_JSON_OPTION,
		CLI_SOCKET_OPTION,
		CLI_HELP_OPTION,
		{ 0 },
	};
	const char *socket = NULL;
	json_t *args = json_object(), *result;
	bool json = false;
	double since;
	uid_t uid;
	int c, r;

	while ((c = cli_getopt(argc, argv, PROG, "", opts)) != -1) {
		switch (c) {
		case 's':
			if (cli_parse_time(optarg, cli_now(), &since) || since < 0) {
				json_decref(args);
				return cli_usage_error(
					PROG,
					"--since: '%s' is not a unix time, a date like "
					"2026-11-28T10:00 or a duration ago like 1h",
					optarg);
			}
			json_object_set_new(args, "since", json_real(since));
			break;
		case 'u':
			r = cli_parse_user(optarg, &uid);
			if (r) {
				json_decref(args);
				return cli_usage_error(PROG, "--user: %s '%s'",
						       r == -ENOENT ? "no such user" : "not a uid",
						       optarg);
			}
			json_object_set_new(args, "uid", json_integer(uid));
			break;
		case CLI_OPT_JSON:
			json = true;
			break;
		case CLI_OPT_SOCKET:
			socket = optarg;
			break;
		case CLI_OPT_HELP:
			json_decref(args);
			usage(stdout);
			return CLI_EXIT_OK;
		default:
			json_decref(args);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		json_decref(args);
		return cli_usage_error(PROG, "unexpected argument '%s'", argv[optind]);
	}
	r = cli_history_all(PROG, socket, args, &result);
	if (r)
		return r;
	if (json)
		cli_print_json(result);
	else
		print_records(json_object_get(result, "jobs"));
	json_decref(result);
	return CLI_EXIT_OK;
}

CPOOL_COMMAND(history, "history", "accounting of ended jobs (like sacct)", cmd_history);
