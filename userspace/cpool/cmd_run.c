// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * cpool run: a job in the foreground, on the caller's terminal.  Its stdin,
 * stdout and stderr are ours, passed to cpoold with the request
 * (SCM_RIGHTS), and it is tied to this process's connection: when we go
 * (Ctrl-C, a hang-up, kill), the connection closes and cpoold cancels the
 * job.  Our exit status is the job's.
 */
#include <signal.h>
#include <stdio.h>

#include "cli_common.h"
#include "cli_submit.h"
#include "command.h"

#define PROG "cpool run"

static const struct cli_spec cmd_spec = {
	.prog = PROG,
	.usage = "usage: cpool run [OPTIONS] [--] CMD [ARGS...]",
	.about = "Run CMD as a job in the foreground: queued like cpool submit, then run with\n"
		 "this terminal's stdin, stdout and stderr (whatever they are: a terminal, a\n"
		 "pipe, a file).  Ctrl-C, or this command ending any other way, cancels the\n"
		 "job; its exit status becomes this command's (128 + N when killed by signal\n"
		 "N; 1 when it could not start or was cancelled).",
	.json_help = "print the job's accounting record at its end, as cpool wait --json",
	.socket = true,
	.operands = true,
	.options_first = true,
	.epilog = "cpool submit's --stdout, --stderr, --hold, --after and --array are refused\n"
		  "(exit status 2): this job runs once, as soon as it may, on this terminal.",
};

static int cmd_run(int argc, char **argv)
{
	static const int stdio[3] = { 0, 1, 2 };
	struct cpool_apiclient *client;
	char label[24];
	struct cpool_error err;
	struct cli_args a;
	json_t *args, *result, *rec;
	long long id;
	int r = cli_job_parse(&cmd_spec, true, argc, argv, &a, &args);

	if (r != CLI_PARSED)
		return r;
	json_object_set_new(args, "attach", json_true());

	client = cli_connect(PROG, a.socket);
	if (!client) {
		json_decref(args);
		return CLI_EXIT_FAILED;
	}
	/* The job writes to what we write to: a reader gone must not kill us first. */
	signal(SIGPIPE, SIG_IGN);
	r = cpool_apiclient_call_fds(client, CPOOL_OP_SUBMIT, args, stdio, 3, &result,
				     CLI_TIMEOUT_MS, &err);
	if (r) {
		cpool_apiclient_close(client);
		return cli_fail(PROG, "%s", err.msg);
	}
	id = cli_json_int(result, "job", 0);
	json_decref(result);
	/*
	 * Wait on the same connection: it is what ties the job to us.  Ctrl-C
	 * keeps its default action; our death closes it and cpoold cancels.
	 */
	r = cpool_apiclient_call(client, CPOOL_OP_WAIT, json_pack("{s:I}", "job", (json_int_t)id),
				 &rec, -1, &err);
	cpool_apiclient_close(client);
	if (r)
		return cli_fail(PROG,
				"job %lld: %s (cpoold cancels an attached job whose "
				"connection it loses, or fails it if it had not started)",
				id, err.msg);
	if (a.json)
		cli_print_json(rec);
	snprintf(label, sizeof(label), "%lld", (long long)id);
	r = cli_job_exit_status(PROG, label, rec);
	json_decref(rec);
	return r;
}

CPOOL_COMMAND(run, "run", "run a job in the foreground on this terminal; its exit status", cmd_run);
