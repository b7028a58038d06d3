// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* cpool history: accounting of ended jobs, like sacct. */
#include <errno.h>
#include <string.h>

#include "cli_common.h"
#include "cli_origin.h"
#include "command.h"
#include "history_pages.h"
#include "cpool/units.h"

#define PROG "cpool history"

static const struct cli_spec cmd_spec = {
	.prog = PROG,
	.usage = "usage: cpool history [--since TIME] [--user USER] [--json]",
	.about = "Accounting of ended jobs, oldest first: exit status, CPU time, wait (submit\n"
		 "to first start), response, turnaround, peak memory and ORIGIN (cpool, or\n"
		 "slurm JOB.STEP for a Slurm task; its exit status is Slurm's: sacct).",
	.json_help = "the daemon's answer, {\"jobs\": [...]}",
	.socket = true,
};

static const struct cli_column columns[] = {
	{ "ID", true },	      { "USER", false },      { "NAME", false },    { "VS", false },
	{ "STATE", false },   { "EXIT", true },	      { "CPU-TIME", true }, { "WAIT", true },
	{ "RESPONSE", true }, { "TURNAROUND", true }, { "PEAK-MEM", true }, { "ORIGIN", false },
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
		char mem[32] = "-", origin[64];

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
		cli_table_cell(t, "%s", cli_origin(j, origin, sizeof(origin)));
	}
	cli_table_print(t, stdout);
	cli_table_free(t);
}

/* --since into the request: args is the request's json object. */
static int set_since(const struct cli_option *o, const char *arg, struct cpool_error *e)
{
	double since;

	if (cli_parse_time(arg, cli_now(), &since) || since < 0)
		return cpool_error_set(e, -EINVAL,
				       "'%s' is not a unix time, a date like 2026-11-28T10:00 or "
				       "a duration ago like 1h",
				       arg);
	json_object_set_new(o->target, "since", json_real(since));
	return 0;
}

static int set_user(const struct cli_option *o, const char *arg, struct cpool_error *e)
{
	uid_t uid;
	int r = cli_parse_user(arg, &uid);

	if (r)
		return cpool_error_set(e, r, "%s '%s'", r == -ENOENT ? "no such user" : "not a uid",
				       arg);
	json_object_set_new(o->target, "uid", json_integer(uid));
	return 0;
}

static int cmd_history(int argc, char **argv)
{
	json_t *args = json_object(), *result;
	const struct cli_option opts[] = {
		CLI_CUSTOM(0, "since", "TIME", set_since, args,
			   "jobs submitted since TIME: a unix time (1764355200), a\n"
			   "local date or time (2026-11-28, 2026-11-28T10:00), or a\n"
			   "duration ago (30m, 1h, 2d)"),
		CLI_CUSTOM(0, "user", "USER", set_user, args,
			   "only this user's jobs (a name or a uid; others' need root)"),
		CLI_END,
	};
	struct cli_args a;
	int r;

	r = cli_parse(&cmd_spec, opts, argc, argv, &a);
	if (r != CLI_PARSED) {
		json_decref(args);
		return r;
	}
	r = cli_history_all(PROG, a.socket, args, &result);
	if (r)
		return r;
	if (a.json)
		cli_print_json(result);
	else
		print_records(json_object_get(result, "jobs"));
	json_decref(result);
	return CLI_EXIT_OK;
}

CPOOL_COMMAND(history, "history", "accounting of ended jobs (like sacct)", cmd_history);
