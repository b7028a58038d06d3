// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* cpool ps: the queued, running and preempted jobs the caller may see. */
#include "cli_common.h"
#include "cli_origin.h"
#include "command.h"

#define PROG "cpool ps"

static const struct cli_spec cmd_spec = {
	.prog = PROG,
	.usage = "usage: cpool ps [--json]",
	.about = "List the jobs that are queued, running or frozen (preempted): yours, or\n"
		 "everyone's for root.  TIME is the time limit; AGE counts from submission.\n"
		 "A job shown as STATE,unsaved has ended but the daemon could not store its\n"
		 "end yet (\"unsaved\": true in --json); it retries, and keeps the job meanwhile.\n"
		 "ORIGIN is cpool, or slurm JOB.STEP for a Slurm task run in a virtual server\n"
		 "(docs/slurm.md).",
	.json_help = "the daemon's answer, {\"jobs\": [...]}",
	.socket = true,
};

static const struct cli_column columns[] = {
	{ "ID", true },	  { "USER", false }, { "STATE", false },   { "VS", false },
	{ "CPUS", true }, { "PRIO", true },  { "ESTIMATE", true }, { "TIME", true },
	{ "AGE", true },  { "NAME", false }, { "ORIGIN", false },
};

static void print_jobs(const json_t *jobs)
{
	struct cli_table *t = cli_table_new(columns, sizeof(columns) / sizeof(columns[0]));
	double now = cli_now();
	size_t i;
	json_t *j;

	json_array_foreach(jobs, i, j) {
		double estimate = cli_json_num(j, "estimate", 0);
		double limit = cli_json_num(j, "time", 0);
		char est[32], age[32], lim[32] = "-", origin[64];

		if (estimate > 0)
			cli_format_duration(estimate, est, sizeof(est));
		else
			snprintf(est, sizeof(est), "-");
		if (limit > 0)
			cli_format_duration(limit, lim, sizeof(lim));
		cli_format_duration(now - cli_json_num(j, "submit", now), age, sizeof(age));
		cli_table_cell(t, "%lld", cli_json_int(j, "id", 0));
		cli_table_cell(t, "%s", cli_user_name((uid_t)cli_json_int(j, "user", 0)));
		cli_table_cell(t, "%s%s", cli_json_str(j, "state", "?"),
			       json_is_true(json_object_get(j, "unsaved")) ? ",unsaved" : "");
		cli_table_cell(t, "%s", cli_json_str(j, "vs", "-"));
		cli_table_cell(t, "%lld", cli_json_int(j, "cpus", 1));
		cli_table_cell(t, "%lld", cli_json_int(j, "priority", 0));
		cli_table_cell(t, "%s", est);
		cli_table_cell(t, "%s", lim);
		cli_table_cell(t, "%s", age);
		cli_table_cell(t, "%s", cli_json_str(j, "name", ""));
		cli_table_cell(t, "%s", cli_origin(j, origin, sizeof(origin)));
	}
	cli_table_print(t, stdout);
	cli_table_free(t);
}

static int cmd_ps(int argc, char **argv)
{
	struct cli_args a;
	json_t *result;
	int r;

	r = cli_parse(&cmd_spec, NULL, argc, argv, &a);
	if (r != CLI_PARSED)
		return r;
	r = cli_call(PROG, a.socket, CPOOL_OP_PS, NULL, &result);
	if (r)
		return r;
	if (a.json)
		cli_print_json(result);
	else
		print_jobs(json_object_get(result, "jobs"));
	json_decref(result);
	return CLI_EXIT_OK;
}

CPOOL_COMMAND(ps, "ps", "list queued and running jobs", cmd_ps);
