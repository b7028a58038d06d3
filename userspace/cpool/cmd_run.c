// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * cpool run: a job in the foreground, on the caller's terminal.  Its stdin,
 * stdout and stderr are ours, passed to cpoold with the request
 * (SCM_RIGHTS), and it is tied to this process's connection: when we go
 * (Ctrl-C, a hang-up, kill), the connection closes and cpoold cancels the
 * job.  Our exit status is the job's.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_common.h"
#include "command.h"

#define PROG "cpool run"

extern char **environ;

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
};

static json_t *string_array(char **v, int n)
{
	json_t *arr = json_array();

	for (int i = 0; v[i] && (n < 0 || i < n); i++)
		json_array_append_new(arr, json_string(v[i]));
	return arr;
}

static int cmd_run(int argc, char **argv)
{
	const char *vs = NULL, *name = NULL;
	long long cpus = 1, priority = 0;
	uint64_t mem = 0;
	double estimate = 0;
	const struct cli_option opts[] = {
		CLI_STRING(0, "vs", "NAME", &vs, "the virtual server (default: placement chooses)"),
		CLI_INT(0, "cpus", "N", &cpus, 1, 4096, "CPUs (default 1)"),
		CLI_SIZE(0, "mem", "SIZE", &mem, INT64_MAX,
			 "memory limit, e.g. 512M, 2G (default: the VS's)"),
		CLI_DURATION(0, "estimate", "DUR", &estimate, 0, 0,
			     "expected run time, e.g. 90s, 5m (for sjf, srtf, easy)"),
		CLI_INT(0, "priority", "P", &priority, -20, 19,
			"-20..19, lower is more urgent (default 0)"),
		CLI_STRING(0, "name", "NAME", &name, "a label (default: the program's name)"),
		CLI_END,
	};
	static const int stdio[3] = { 0, 1, 2 };
	struct cpool_apiclient *client;
	char cwd[PATH_MAX];
	struct cpool_error err;
	struct cli_args a;
	json_t *args, *result, *rec;
	long long id;
	int r;

	r = cli_parse(&cmd_spec, opts, argc, argv, &a);
	if (r != CLI_PARSED)
		return r;
	if (a.argc < 1 || !a.argv[0][0])
		return cli_usage_error(PROG,
				       "no command given: cpool run [OPTIONS] -- CMD [ARGS...]");
	if ((vs && !*vs) || (name && !*name))
		return cli_usage_error(PROG, "an option's value is empty");
	if (!getcwd(cwd, sizeof(cwd)))
		return cli_fail(PROG, "cannot tell the current directory: %s", strerror(errno));

	args = json_object();
	json_object_set_new(args, "argv", string_array(a.argv, a.argc));
	json_object_set_new(args, "env", string_array(environ, -1));
	json_object_set_new(args, "cwd", json_string(cwd));
	json_object_set_new(args, "cpus", json_integer(cpus));
	json_object_set_new(args, "priority", json_integer(priority));
	json_object_set_new(args, "attach", json_true());
	if (mem)
		json_object_set_new(args, "mem", json_integer((json_int_t)mem));
	if (estimate > 0)
		json_object_set_new(args, "estimate", json_real(estimate));
	if (vs)
		json_object_set_new(args, "vs", json_string(vs));
	if (name)
		json_object_set_new(args, "name", json_string(name));

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
	r = cli_job_exit_status(PROG, id, rec);
	json_decref(rec);
	return r;
}

CPOOL_COMMAND(run, "run", "run a job in the foreground on this terminal; its exit status", cmd_run);
