// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* cpool wait: wait for a job to end and take its exit status as our own. */
#include <string.h>

#include "cli_common.h"
#include "command.h"

#define PROG "cpool wait"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: cpool wait ID [--json]\n"
		"\n"
		"Wait until the job ends, then exit as it did: its exit code, or 128 + the\n"
		"signal that killed it (137 for SIGKILL, as a shell reports it).  A job that\n"
		"never started (it could not be executed, or was cancelled while queued)\n"
		"makes the exit status 1, with the reason on stderr.\n"
		"\n"
		"  --json             also print the job's accounting record (as in history)\n" CLI_SOCKET_HELP
		"  --help             this text\n");
}

/* The job's outcome as this process's exit status, explained on stderr when not plain. */
static int job_status(long long id, const json_t *rec)
{
	const char *error = cli_json_str(rec, "error", NULL);
	const char *state = cli_json_str(rec, "state", "");
	long long code = cli_json_int(rec, "exit_code", -1);
	int sig = (int)cli_json_int(rec, "signal", 0);
	bool oom = json_is_true(json_object_get(rec, "oom"));

	if (error) {
		fprintf(stderr, PROG ": job %lld did not start: %s\n", id, error);
		return CLI_EXIT_FAILED;
	}
	if (sig > 0 && sig < 128) {
		fprintf(stderr, "job %lld killed by %s%s\n", id, cli_signal_name(sig),
			oom				? " (out of memory)" :
			strcmp(state, "cancelled") == 0 ? " (cancelled)" :
							  "");
		return 128 + sig;
	}
	if (code >= 0 && code <= 255) {
		if (oom)
			fprintf(stderr,
				"job %lld: a process of the job was killed for lack of memory\n",
				id);
		return (int)code;
	}
	if (strcmp(state, "cancelled") == 0) {
		fprintf(stderr, PROG ": job %lld was cancelled before it started\n", id);
		return CLI_EXIT_FAILED;
	}
	fprintf(stderr, PROG ": job %lld ended in state '%s' without an exit status\n", id, state);
	return CLI_EXIT_FAILED;
}

static int cmd_wait(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_JSON_OPTION,
		CLI_SOCKET_OPTION,
		CLI_HELP_OPTION,
		{ 0 },
	};
	struct cpool_apiclient *client;
	const char *socket = NULL;
	char prefix[64];
	bool json = false;
	json_t *rec;
	long long id;
	int c, r;

	while ((c = cli_getopt(argc, argv, PROG, "", opts)) != -1) {
		switch (c) {
		case CLI_OPT_JSON:
			json = true;
			break;
		case CLI_OPT_SOCKET:
			socket = optarg;
			break;
		case CLI_OPT_HELP:
			usage(stdout);
			return CLI_EXIT_OK;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc - 1)
		return cli_usage_error(PROG, optind >= argc ? "which job? cpool wait ID" :
							      "one job at a time: cpool wait ID");
	if (cli_parse_long(argv[optind], 1, INT64_MAX, &id))
		return cli_usage_error(PROG, "'%s' is not a job id", argv[optind]);
	client = cli_connect(PROG, socket);
	if (!client)
		return CLI_EXIT_FAILED;
	snprintf(prefix, sizeof(prefix), PROG ": job %lld", id);
	r = cli_request(client, prefix, CPOOL_OP_WAIT, json_pack("{s:I}", "job", (json_int_t)id),
			&rec, -1);
	cpool_apiclient_close(client);
	if (r)
		return CLI_EXIT_FAILED;
	if (json)
		cli_print_json(rec);
	r = job_status(id, rec);
	json_decref(rec);
	return r;
}

CPOOL_COMMAND(wait, "wait", "wait for a job; its exit status becomes cpool's", cmd_wait);
