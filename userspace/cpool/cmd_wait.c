// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* cpool wait: wait for a job to end and take its exit status as our own. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "cli_common.h"
#include "command.h"

#define PROG "cpool wait"
/* Long enough for systemd to restart a crashed daemon, short enough to notice one that is gone. */
#define RECONNECT_SECONDS 60

static const struct cli_spec cmd_spec = {
	.prog = PROG,
	.usage = "usage: cpool wait ID [--json]",
	.about = "Wait until the job ends, then exit as it did: its exit code, or 128 + the\n"
		 "signal that killed it (137 for SIGKILL, as a shell reports it).  A job that\n"
		 "never started (it could not be executed, or was cancelled while queued)\n"
		 "makes the exit status 1, with the reason on stderr.  When cpoold is\n"
		 "restarted meanwhile, wait reconnects (for up to a minute) and goes on.",
	.json_help = "also print the job's accounting record (as in history)",
	.socket = true,
	.operands = true,
};

/*
 * The daemon may be restarted while we wait (it keeps every job and its
 * exit status across a restart): a hang-up is not the job's end, so
 * reconnect and ask again rather than fail the caller's script.
 */
static int wait_job(struct cpool_apiclient *client, const char *socket, long long id, json_t **rec)
{
	double deadline = 0;
	struct cpool_error err;
	int r;

	for (;;) {
		r = cpool_apiclient_call(client, CPOOL_OP_WAIT,
					 json_pack("{s:I}", "job", (json_int_t)id), rec, -1, &err);
		cpool_apiclient_close(client);
		if (r != -ECONNRESET && r != -EPIPE)
			break;
		if (!deadline) {
			fprintf(stderr,
				PROG ": job %lld: %s; waiting up to %d s for cpoold to come back\n",
				id, err.msg, RECONNECT_SECONDS);
			deadline = cli_now() + RECONNECT_SECONDS;
		}
		client = NULL;
		while (!client && cli_now() < deadline) {
			nanosleep(&(struct timespec){ .tv_nsec = 200000000 }, NULL);
			if (cpool_apiclient_connect(socket, &client, &err))
				client = NULL;
		}
		if (!client)
			break;
		deadline = 0; /* back: a later loss gets its own minute */
	}
	if (r)
		cli_fail(PROG, "job %lld: %s", id, err.msg);
	return r;
}

static int cmd_wait(int argc, char **argv)
{
	struct cpool_apiclient *client;
	struct cli_args a;
	json_t *rec;
	long long id;
	int r;

	r = cli_parse(&cmd_spec, NULL, argc, argv, &a);
	if (r != CLI_PARSED)
		return r;
	if (a.argc != 1)
		return cli_usage_error(PROG, a.argc < 1 ? "which job? cpool wait ID" :
							  "one job at a time: cpool wait ID");
	if (cli_parse_long(a.argv[0], 1, INT64_MAX, &id))
		return cli_usage_error(PROG, "'%s' is not a job id", a.argv[0]);
	client = cli_connect(PROG, a.socket);
	if (!client)
		return CLI_EXIT_FAILED;
	r = wait_job(client, a.socket, id, &rec);
	if (r)
		return CLI_EXIT_FAILED;
	if (a.json)
		cli_print_json(rec);
	r = cli_job_exit_status(PROG, id, rec);
	json_decref(rec);
	return r;
}

CPOOL_COMMAND(wait, "wait", "wait for a job; its exit status becomes cpool's", cmd_wait);
