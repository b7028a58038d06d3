// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* cpool cancel: kill running jobs or drop queued ones, each on its own. */
#include "cli_common.h"
#include "command.h"

#define PROG "cpool cancel"

static const struct cli_spec cmd_spec = {
	.prog = PROG,
	.usage = "usage: cpool cancel ID...",
	.about = "Cancel each job: a running one is killed with everything it started, a\n"
		 "queued one never starts.  Each ID succeeds or fails on its own; the exit\n"
		 "status is 1 when any failed.",
	.socket = true,
	.operands = true,
};

static int cmd_cancel(int argc, char **argv)
{
	struct cpool_apiclient *client;
	struct cli_args a;
	int failed = 0, r;

	r = cli_parse(&cmd_spec, NULL, argc, argv, &a);
	if (r != CLI_PARSED)
		return r;
	if (a.argc < 1)
		return cli_usage_error(PROG, "which job? cpool cancel ID...");
	/* All ids are checked before any is cancelled: a typo cancels nothing. */
	for (int i = 0; i < a.argc; i++) {
		long long id;

		if (cli_parse_long(a.argv[i], 1, INT64_MAX, &id))
			return cli_usage_error(PROG, "'%s' is not a job id", a.argv[i]);
	}
	client = cli_connect(PROG, a.socket);
	if (!client)
		return CLI_EXIT_FAILED;
	for (int i = 0; i < a.argc; i++) {
		long long id = 0;
		char prefix[64];
		json_t *result;

		cli_parse_long(a.argv[i], 1, INT64_MAX, &id);
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
