// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* cpool cancel: kill running jobs or drop queued ones, each on its own. */
#include "cli_common.h"
#include "command.h"

#define PROG "cpool cancel"

static void usage(FILE *out)
{
	fprintf(out, "usage: cpool cancel ID...\n"
		     "\n"
		     "Cancel each job: a running one is killed with everything it started, a\n"
		     "queued one never starts.  Each ID succeeds or fails on its own; the exit\n"
		     "status is 1 when any failed.\n"
		     "\n" CLI_SOCKET_HELP "  --help             this text\n");
}

static int cmd_cancel(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_SOCKET_OPTION,
		CLI_HELP_OPTION,
		{ 0 },
	};
	struct cpool_apiclient *client;
	const char *socket = NULL;
	int c, failed = 0;

	while ((c = cli_getopt(argc, argv, PROG, "", opts)) != -1) {
		switch (c) {
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
	if (optind >= argc)
		return cli_usage_error(PROG, "which job? cpool cancel ID...");
	/* All ids are checked before any is cancelled: a typo cancels nothing. */
	for (int i = optind; i < argc; i++) {
		long long id;

		if (cli_parse_long(argv[i], 1, INT64_MAX, &id))
			return cli_usage_error(PROG, "'%s' is not a job id", argv[i]);
	}
	client = cli_connect(PROG, socket);
	if (!client)
		return CLI_EXIT_FAILED;
	for (int i = optind; i < argc; i++) {
		long long id = 0;
		char prefix[64];
		json_t *result;

		cli_parse_long(argv[i], 1, INT64_MAX, &id);
		snprintf(prefix, sizeof(prefix), PROG ": job %lld", id);
		if (cli_request(client, prefix, CPOOL_OP_CANCEL,
				json_pack("{s:I}", "job", (json_int_t)id), &result,
				CLI_TIMEOUT_MS)) {
			failed++;
			continue;
		}
		printf("job %lld %s\n", id, cli_json_str(result, "state", "cancelled"));
		json_decref(result);
	}
	cpool_apiclient_close(client);
	return failed ? CLI_EXIT_FAILED : CLI_EXIT_OK;
}

CPOOL_COMMAND(cancel, "cancel", "cancel jobs", cmd_cancel);
