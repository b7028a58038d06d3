// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* cpool ps: the queued, running and preempted jobs the caller may see, and why they wait. */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "cli_common.h"
#include "cli_jobsel.h"
#include "cli_origin.h"
#include "command.h"

#define PROG "cpool ps"

static const struct cli_spec cmd_spec = {
	.prog = PROG,
	.usage = "usage: cpool ps [OPTIONS] [ID|ID_N]",
	.about = "List the jobs that are queued, running or frozen (preempted): yours, or\n"
		 "everyone's for root; with ID only that job or the elements of that array,\n"
		 "with ID_N one element.  TIME is the time limit; AGE counts from submission.\n"
		 "A job shown as STATE,unsaved has ended but the daemon could not store its\n"
		 "end yet (\"unsaved\": true in --json); it retries, and keeps the job meanwhile.\n"
		 "ORIGIN is cpool, or slurm JOB.STEP for a Slurm task run in a virtual server\n"
		 "(docs/slurm.md).  REASON says why a\n"
		 "queued job waits: Held, Dependency, ArrayTaskLimit, RunningCpusPerUser (a\n"
		 "limit), Resources (not enough free CPUs), Priority (jobs before it come\n"
		 "first) or Reservation (it would fit, but easy keeps the CPUs for the job\n"
		 "it reserved them for).  START is when a job is expected to start: for the\n"
		 "job easy reserved CPUs for, by the reservation; for the others the policy\n"
		 "passes over, by the simulator replaying the pool from now on the jobs'\n"
		 "estimates (a guess: jobs end early, others arrive).",
	.json_help = "the daemon's answer, {\"jobs\": [...]}",
	.socket = true,
	.operands = true,
};

enum column {
	COL_ID,
	COL_USER,
	COL_STATE,
	COL_VS,
	COL_CPUS,
	COL_PRIO,
	COL_ESTIMATE,
	COL_TIME,
	COL_AGE,
	COL_REASON,
	COL_START,
	COL_NAME,
	COL_ORIGIN,
	COL__COUNT,
};

static const struct cli_column columns[COL__COUNT] = {
	[COL_ID] = { "ID", true },
	[COL_USER] = { "USER", false },
	[COL_STATE] = { "STATE", false },
	[COL_VS] = { "VS", false },
	[COL_CPUS] = { "CPUS", true },
	[COL_PRIO] = { "PRIO", true },
	[COL_ESTIMATE] = { "ESTIMATE", true },
	[COL_TIME] = { "TIME", true },
	[COL_AGE] = { "AGE", true },
	[COL_REASON] = { "REASON", false },
	[COL_START] = { "START", true },
	[COL_NAME] = { "NAME", false },
	[COL_ORIGIN] = { "ORIGIN", false },
};

static const enum column default_columns[] = { COL_ID,	  COL_USER,   COL_STATE,    COL_VS,
					       COL_CPUS,  COL_PRIO,   COL_ESTIMATE, COL_TIME,
					       COL_AGE,	  COL_REASON, COL_START,    COL_NAME,
					       COL_ORIGIN };

struct format {
	enum column cols[COL__COUNT];
	int n;
};

/* --format id,state,reason: the columns, in that order. */
static int set_format(const struct cli_option *o, const char *arg, struct cpool_error *e)
{
	struct format *f = o->target;
	const char *p = arg;

	f->n = 0;
	while (*p) {
		size_t len = strcspn(p, ",");
		int c;

		for (c = 0; c < COL__COUNT; c++)
			if (strlen(columns[c].header) == len &&
			    strncasecmp(p, columns[c].header, len) == 0)
				break;
		if (c == COL__COUNT || f->n == COL__COUNT)
			return cpool_error_set(
				e, -EINVAL,
				"'%.*s' is not a column: id, user, state, vs, cpus, "
				"prio, estimate, time, age, reason, start, name, origin",
				(int)len, p);
		f->cols[f->n++] = (enum column)c;
		p += len;
		if (*p == ',' && *++p == '\0')
			return cpool_error_set(e, -EINVAL, "a column list ends with a comma");
	}
	if (!f->n)
		return cpool_error_set(e, -EINVAL, "no column named");
	return 0;
}

/* A duration field, "-" when absent or 0 (unknown, no limit). */
static void duration_cell(struct cli_table *t, const json_t *j, const char *key)
{
	char buf[32] = "-";

	if (cli_json_num(j, key, 0) > 0)
		cli_format_duration(cli_json_num(j, key, 0), buf, sizeof(buf));
	cli_table_cell(t, "%s", buf);
}

static void cell(struct cli_table *t, enum column c, const json_t *j, double now)
{
	char buf[64];

	switch (c) {
	case COL_ID:
		cli_job_label(j, buf, sizeof(buf));
		cli_table_cell(t, "%s", buf);
		break;
	case COL_USER:
		cli_table_cell(t, "%s", cli_user_name((uid_t)cli_json_int(j, "user", 0)));
		break;
	case COL_STATE:
		cli_table_cell(t, "%s%s", cli_json_str(j, "state", "?"),
			       json_is_true(json_object_get(j, "unsaved")) ? ",unsaved" : "");
		break;
	case COL_VS:
		cli_table_cell(t, "%s", cli_json_str(j, "vs", "-"));
		break;
	case COL_CPUS:
		cli_table_cell(t, "%lld", cli_json_int(j, "cpus", 1));
		break;
	case COL_PRIO:
		cli_table_cell(t, "%lld", cli_json_int(j, "priority", 0));
		break;
	case COL_ESTIMATE:
		duration_cell(t, j, "estimate");
		break;
	case COL_TIME:
		duration_cell(t, j, "time");
		break;
	case COL_AGE:
		cli_format_duration(now - cli_json_num(j, "submit", now), buf, sizeof(buf));
		cli_table_cell(t, "%s", buf);
		break;
	case COL_REASON:
		cli_table_cell(t, "%s", cli_json_str(j, "reason", "-"));
		break;
	case COL_START:
		/* In how long: the clocks of daemon and caller are the same machine's. */
		if (json_object_get(j, "expected_start")) {
			cli_format_duration(cli_json_num(j, "expected_start", now) - now, buf,
					    sizeof(buf));
			cli_table_cell(t, "in %s", buf);
		} else {
			cli_table_cell(t, "-");
		}
		break;
	case COL_ORIGIN:
		cli_table_cell(t, "%s", cli_origin(j, buf, sizeof(buf)));
		break;
	default:
		cli_table_cell(t, "%s", cli_json_str(j, "name", ""));
		break;
	}
}

static void print_jobs(const json_t *jobs, const struct format *f)
{
	struct cli_column cols[COL__COUNT];
	struct cli_table *t;
	double now = cli_now();
	size_t i;
	json_t *j;

	for (int c = 0; c < f->n; c++)
		cols[c] = columns[f->cols[c]];
	t = cli_table_new(cols, f->n);
	json_array_foreach(jobs, i, j)
		for (int c = 0; c < f->n; c++)
			cell(t, f->cols[c], j, now);
	cli_table_print(t, stdout);
	cli_table_free(t);
}

static int cmd_ps(int argc, char **argv)
{
	json_t *args = json_object(), *result;
	struct format format = { .n = 0 };
	const struct cli_option opts[] = {
		CLI_JOBSEL_USER(args),
		CLI_JOBSEL_OPTIONS(args),
		CLI_CUSTOM(0, "format", "COLUMNS", set_format, &format,
			   "the columns to show, separated by commas: id, user, state,\n"
			   "vs, cpus, prio, estimate, time, age, reason, start, name, origin"),
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
	if (!format.n) {
		format.n = (int)(sizeof(default_columns) / sizeof(default_columns[0]));
		memcpy(format.cols, default_columns, sizeof(default_columns));
	}
	r = cli_call(PROG, a.socket, CPOOL_OP_PS, args, &result);
	if (r)
		return r;
	if (a.json)
		cli_print_json(result);
	else
		print_jobs(json_object_get(result, "jobs"), &format);
	json_decref(result);
	return CLI_EXIT_OK;
}

CPOOL_COMMAND(ps, "ps", "list queued and running jobs, and why they wait", cmd_ps);
