// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* cpool cancel: kill running jobs or drop queued ones, each on its own; or signal them. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli_common.h"
#include "cli_jobsel.h"
#include "command.h"

#define PROG "cpool cancel"

static const struct cli_spec cmd_spec = {
	.prog = PROG,
	.usage = "usage: cpool cancel [OPTIONS] [ID|ID_N...]",
	.about = "Cancel each job: a running one is killed with everything it started, a\n"
		 "queued one never starts.  An array's ID cancels all its elements, ID_N one.\n"
		 "With -u, --state, --vs or --name, the jobs that match (all of them) are\n"
		 "cancelled.  With --signal the jobs are only sent that signal and go on.\n"
		 "Each job succeeds or fails on its own; the exit status is 1 when any failed.",
	.socket = true,
	.operands = true,
};

static const struct {
	const char *name;
	int sig;
} signals[] = {
	{ "HUP", SIGHUP },   { "INT", SIGINT },	  { "QUIT", SIGQUIT }, { "KILL", SIGKILL },
	{ "USR1", SIGUSR1 }, { "USR2", SIGUSR2 }, { "ALRM", SIGALRM }, { "TERM", SIGTERM },
	{ "CONT", SIGCONT }, { "STOP", SIGSTOP }, { "TSTP", SIGTSTP }, { "WINCH", SIGWINCH },
};

/* TERM, SIGTERM, term or 15. */
static int set_signal(const struct cli_option *o, const char *arg, struct cpool_error *e)
{
	const char *name = strncasecmp(arg, "SIG", 3) == 0 ? arg + 3 : arg;
	long long n;

	for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++) {
		if (strcasecmp(name, signals[i].name) == 0) {
			*(int *)o->target = signals[i].sig;
			return 0;
		}
	}
	if (cli_parse_long(arg, 1, 64, &n))
		return cpool_error_set(
			e, -EINVAL, "'%s' is not a signal: a name (TERM, USR1, ...) or 1..64", arg);
	*(int *)o->target = (int)n;
	return 0;
}

/* The jobs the filters select, as ID or ID_N operands (malloc'd strings). */
static int select_jobs(const char *socket, json_t *sel, char ***ids, int *n)
{
	json_t *result, *jobs, *j;
	size_t i;
	int r = cli_call(PROG, socket, CPOOL_OP_PS, sel, &result);

	if (r)
		return r;
	jobs = json_object_get(result, "jobs");
	*ids = calloc(json_array_size(jobs) + 1, sizeof(**ids));
	*n = 0;
	if (!*ids) {
		json_decref(result);
		return cli_fail(PROG, "out of memory");
	}
	json_array_foreach(jobs, i, j) {
		char label[64];

		cli_job_label(j, label, sizeof(label));
		(*ids)[(*n)++] = strdup(label);
	}
	json_decref(result);
	return CLI_EXIT_OK;
}

static int cmd_cancel(int argc, char **argv)
{
	json_t *sel = json_object(), *extra = NULL;
	int sig = 0, r, n = 0;
	const struct cli_option opts[] = {
		CLI_JOBSEL_USER(sel),
		CLI_JOBSEL_OPTIONS(sel),
		CLI_CUSTOM(0, "signal", "SIG", set_signal, &sig,
			   "send SIG (TERM, USR1, 10, ...) to every process of the jobs\n"
			   "instead of cancelling them; they go on"),
		CLI_END,
	};
	struct cli_args a;
	char **ids = NULL;

	r = cli_parse(&cmd_spec, opts, argc, argv, &a);
	if (r != CLI_PARSED)
		goto out;
	if (json_object_size(sel) && a.argc) {
		r = cli_usage_error(PROG, "either job ids or -u/--state/--vs/--name, not both");
		goto out;
	}
	if (!json_object_size(sel) && a.argc < 1) {
		r = cli_usage_error(PROG, "which job? cpool cancel ID... (or -u USER, --name ...)");
		goto out;
	}
	if (json_object_size(sel)) {
		r = select_jobs(a.socket, json_incref(sel), &ids, &n);
		if (r)
			goto out;
		if (!n) {
			fprintf(stderr, PROG ": no job matches\n");
			goto out;
		}
	}
	if (sig)
		extra = json_pack("{s:i}", "signal", sig);
	r = cli_each_job(PROG, a.socket, sig ? CPOOL_OP_SIGNAL : CPOOL_OP_CANCEL, ids ? n : a.argc,
			 ids ? ids : a.argv, extra, sig ? "signalled" : "cancelled");
out:
	for (int i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	json_decref(extra);
	json_decref(sel);
	return r;
}

CPOOL_COMMAND(cancel, "cancel", "cancel jobs, or send them a signal", cmd_cancel);
