// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* cpool history: accounting of ended jobs, like sacct. */
#include <errno.h>
#include <string.h>

#include "cli_common.h"
#include "cli_jobsel.h"
#include "cli_origin.h"
#include "command.h"
#include "history_pages.h"
#include "cpool/units.h"

#define PROG "cpool history"

static const struct cli_spec cmd_spec = {
	.prog = PROG,
	.usage = "usage: cpool history [OPTIONS] [ID|ID_N]",
	.about = "Accounting of ended jobs, oldest first: exit status, CPU time, wait (submit\n"
		 "to first start), response, turnaround, peak memory and ORIGIN (cpool, or\n"
		 "slurm JOB.STEP for a Slurm task; its exit status is Slurm's: sacct).  With\n"
		 "ID only that job, or every element of that array; with ID_N one element.",
	.json_help = "the daemon's answer, {\"jobs\": [...]}",
	.socket = true,
	.operands = true,
};

static const struct cli_column columns[] = {
	{ "ID", true },	      { "USER", false },      { "NAME", false },    { "VS", false },
	{ "STATE", false },   { "EXIT", true },	      { "CPU-TIME", true }, { "WAIT", true },
	{ "RESPONSE", true }, { "TURNAROUND", true }, { "PEAK-MEM", true }, { "ORIGIN", false },
};

static void duration_cell(struct cli_table *t, const json_t *rec, const char *key)
{
	char buf[32];

	cli_format_duration(cli_json_num(rec, key, -1), buf, sizeof(buf));
	cli_table_cell(t, "%s", buf);
}

static void exit_text(const json_t *rec, char *buf, size_t len)
{
	int sig = (int)cli_json_int(rec, "signal", 0);
	long long code = cli_json_int(rec, "exit_code", -1);
	bool oom = json_is_true(json_object_get(rec, "oom"));

	if (sig > 0)
		snprintf(buf, len, "%s%s", cli_signal_name(sig), oom ? "/oom" : "");
	else if (code >= 0 && strcmp(cli_json_str(rec, "state", ""), "done") == 0)
		snprintf(buf, len, "%lld%s", code, oom ? "/oom" : "");
	else
		snprintf(buf, len, "-");
}

/* --format csv: one header line, one line a job, times in seconds, fields quoted as needed. */
static void print_csv(const json_t *jobs)
{
	static const char *const nums[] = { "submit", "start",	  "end",       "cpu_time",
					    "wait",   "response", "turnaround" };
	size_t i;
	json_t *j;

	printf("id,array_job,array_task,user,name,vs,state,exit,submit,start,end,cpu_time,wait,"
	       "response,turnaround,peak_memory,reason,error\n");
	json_array_foreach(jobs, i, j) {
		char buf[64];

		printf("%lld,", cli_json_int(j, "id", 0));
		if (json_object_get(j, "array_job"))
			printf("%lld,%lld,", cli_json_int(j, "array_job", 0),
			       cli_json_int(j, "array_task", 0));
		else
			printf(",,");
		cli_csv_field(stdout, cli_user_name((uid_t)cli_json_int(j, "user", 0)), false);
		cli_csv_field(stdout, cli_json_str(j, "name", ""), false);
		cli_csv_field(stdout, cli_json_str(j, "vs", ""), false);
		cli_csv_field(stdout, cli_json_str(j, "state", ""), false);
		exit_text(j, buf, sizeof(buf));
		cli_csv_field(stdout, buf, false);
		for (size_t k = 0; k < sizeof(nums) / sizeof(nums[0]); k++) {
			if (json_is_number(json_object_get(j, nums[k])))
				printf("%.6f,", cli_json_num(j, nums[k], 0));
			else
				printf(",");
		}
		if (json_object_get(j, "peak_memory"))
			printf("%lld,", cli_json_int(j, "peak_memory", 0));
		else
			printf(",");
		cli_csv_field(stdout, cli_json_str(j, "reason", ""), false);
		cli_csv_field(stdout, cli_json_str(j, "error", ""), true);
	}
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
		char label[64], exit_buf[64];

		cli_job_label(j, label, sizeof(label));
		exit_text(j, exit_buf, sizeof(exit_buf));
		cli_table_cell(t, "%s", label);
		cli_table_cell(t, "%s", cli_user_name((uid_t)cli_json_int(j, "user", 0)));
		cli_table_cell(t, "%s", cli_json_str(j, "name", ""));
		cli_table_cell(t, "%s", cli_json_str(j, "vs", "-"));
		cli_table_cell(t, "%s", cli_json_str(j, "state", "?"));
		cli_table_cell(t, "%s", exit_buf);
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

/* --since and --until into the request: args is the request's json object. */
static int set_time(const struct cli_option *o, const char *arg, struct cpool_error *e)
{
	double t;

	if (cli_parse_time(arg, cli_now(), &t) || t < 0)
		return cpool_error_set(e, -EINVAL,
				       "'%s' is not a unix time, a date like 2026-11-28T10:00 or "
				       "a duration ago like 1h",
				       arg);
	json_object_set_new(o->target, o->name, json_real(t));
	return 0;
}

static int set_format(const struct cli_option *o, const char *arg, struct cpool_error *e)
{
	if (strcmp(arg, "csv") && strcmp(arg, "table"))
		return cpool_error_set(e, -EINVAL, "'%s': use table or csv", arg);
	*(bool *)o->target = strcmp(arg, "csv") == 0;
	return 0;
}

static int cmd_history(int argc, char **argv)
{
	json_t *args = json_object(), *result;
	bool csv = false;
	const struct cli_option opts[] = {
		CLI_CUSTOM(0, "since", "TIME", set_time, args,
			   "jobs submitted since TIME: a unix time (1764355200), a\n"
			   "local date or time (2026-11-28, 2026-11-28T10:00), or a\n"
			   "duration ago (30m, 1h, 2d)"),
		CLI_CUSTOM(0, "until", "TIME", set_time, args,
			   "jobs submitted before TIME (as for --since)"),
		CLI_JOBSEL_USER(args),
		CLI_JOBSEL_OPTIONS(args),
		CLI_CUSTOM(0, "format", "FORMAT", set_format, &csv,
			   "table (the default) or csv: a header line, then one line a\n"
			   "job, times in unix seconds, fields quoted as RFC 4180 says"),
		CLI_END,
	};
	struct cli_args a;
	int r;

	r = cli_parse(&cmd_spec, opts, argc, argv, &a);
	if (r != CLI_PARSED) {
		json_decref(args);
		return r;
	}
	if (a.argc > 1 || (a.argc == 1 && cli_job_ref_args(a.argv[0], args))) {
		json_decref(args);
		return a.argc > 1 ? cli_usage_error(PROG, "one job or array at a time") :
				    cli_usage_error(PROG, "'%s' is not a job id (ID or ID_N)",
						    a.argv[0]);
	}
	r = cli_history_all(PROG, a.socket, args, &result);
	if (r)
		return r;
	if (a.json)
		cli_print_json(result);
	else if (csv)
		print_csv(json_object_get(result, "jobs"));
	else
		print_records(json_object_get(result, "jobs"));
	json_decref(result);
	return CLI_EXIT_OK;
}

CPOOL_COMMAND(history, "history", "accounting of ended jobs (like sacct)", cmd_history);
