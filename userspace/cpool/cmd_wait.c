// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* cpool wait: wait for a job to end and take its exit status as our own. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli_common.h"
#include "cli_jobsel.h"
#include "command.h"

#define PROG "cpool wait"
/* Long enough for systemd to restart a crashed daemon, short enough to notice one that is gone. */
#define RECONNECT_SECONDS 60

static const struct cli_spec cmd_spec = {
	.prog = PROG,
	.usage = "usage: cpool wait ID|ID_N [--json]",
	.about = "Wait until the job ends, then exit as it did: its exit code, or 128 + the\n"
		 "signal that killed it (137 for SIGKILL, as a shell reports it).  A job that\n"
		 "never started (it could not be executed, or was cancelled while queued)\n"
		 "makes the exit status 1, with the reason on stderr.  When cpoold is\n"
		 "restarted meanwhile, wait reconnects (for up to a minute) and goes on.\n"
		 "An array's ID waits for every element; the exit status is then that of\n"
		 "the first element (by index) that did not succeed, or 0.",
	.json_help = "also print the job's accounting record (as in history)",
	.socket = true,
	.operands = true,
};

/*
 * The daemon may be restarted while we wait (it keeps every job and its
 * exit status across a restart): a hang-up is not the job's end, so
 * reconnect and ask again rather than fail the caller's script.
 */
static int wait_job(struct cpool_apiclient *client, const char *socket, const char *id,
		    json_t **rec)
{
	double deadline = 0;
	struct cpool_error err;
	int r;

	for (;;) {
		json_t *args = json_object();

		cli_job_ref_args(id, args);
		r = cpool_apiclient_call(client, CPOOL_OP_WAIT, args, rec, -1, &err);
		cpool_apiclient_close(client);
		if (r != -ECONNRESET && r != -EPIPE)
			break;
		if (!deadline) {
			fprintf(stderr,
				PROG ": job %s: %s; waiting up to %d s for cpoold to come back\n",
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
		cli_fail(PROG, "job %s: %s", id, err.msg);
	return r;
}

/*
 * The elements of array @id as ID_N operands, or none (*n = 0) when @id
 * heads no array.  Non-zero: the daemon could not be asked.
 */
static int array_elements(const char *socket, const char *id, char ***labels, int *n)
{
	struct cpool_apiclient *client = cli_connect(PROG, socket);
	json_t *args = json_object(), *result, *el;
	struct cpool_error err;
	size_t i;
	int r;

	*labels = NULL;
	*n = 0;
	if (!client) {
		json_decref(args);
		return -ECONNREFUSED;
	}
	cli_job_ref_args(id, args);
	r = cpool_apiclient_call(client, CPOOL_OP_ARRAY, args, &result, CLI_TIMEOUT_MS, &err);
	cpool_apiclient_close(client);
	if (r == -ENOENT)
		return 0; /* a plain job (or none: wait says so) */
	if (r) {
		cli_fail(PROG, "job %s: %s", id, err.msg);
		return r;
	}
	el = json_object_get(result, "elements");
	*labels = calloc(json_array_size(el) + 1, sizeof(**labels));
	json_array_foreach(el, i, args) {
		if (!*labels ||
		    asprintf(&(*labels)[*n], "%s_%lld", id, cli_json_int(args, "task", 0)) < 0)
			break;
		(*n)++;
	}
	json_decref(result);
	return 0;
}

/* Each element in turn; the status of the first that did not succeed. */
static int wait_array(const char *socket, bool json, char **labels, int n)
{
	json_t *all = json_array();
	int status = CLI_EXIT_OK;

	for (int i = 0; i < n; i++) {
		struct cpool_apiclient *client = cli_connect(PROG, socket);
		json_t *rec;
		int st;

		if (!client || wait_job(client, socket, labels[i], &rec)) {
			status = status ? status : CLI_EXIT_FAILED;
			continue;
		}
		st = cli_job_exit_status(PROG, labels[i], rec);
		if (st && !status)
			status = st;
		json_array_append_new(all, rec);
	}
	if (json)
		cli_print_json(all);
	json_decref(all);
	return status;
}

static int cmd_wait(int argc, char **argv)
{
	struct cpool_apiclient *client;
	struct cpool_job_ref ref;
	struct cli_args a;
	char **labels;
	json_t *rec;
	int r, n;

	r = cli_parse(&cmd_spec, NULL, argc, argv, &a);
	if (r != CLI_PARSED)
		return r;
	if (a.argc != 1)
		return cli_usage_error(PROG, a.argc < 1 ? "which job? cpool wait ID" :
							  "one job at a time: cpool wait ID");
	if (cpool_job_ref_parse(a.argv[0], &ref))
		return cli_usage_error(PROG, "'%s' is not a job id (ID or ID_N)", a.argv[0]);
	if (ref.task < 0) {
		if (array_elements(a.socket, a.argv[0], &labels, &n))
			return CLI_EXIT_FAILED;
		if (n) {
			r = wait_array(a.socket, a.json, labels, n);
			for (int i = 0; i < n; i++)
				free(labels[i]);
			free(labels);
			return r;
		}
		free(labels);
	}
	client = cli_connect(PROG, a.socket);
	if (!client)
		return CLI_EXIT_FAILED;
	r = wait_job(client, a.socket, a.argv[0], &rec);
	if (r)
		return CLI_EXIT_FAILED;
	if (a.json)
		cli_print_json(rec);
	r = cli_job_exit_status(PROG, a.argv[0], rec);
	json_decref(rec);
	return r;
}

CPOOL_COMMAND(wait, "wait", "wait for a job; its exit status becomes cpool's", cmd_wait);
