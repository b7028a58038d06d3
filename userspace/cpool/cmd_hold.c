// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* cpool hold and cpool release: keep queued jobs from starting, and let them go. */
#include "cli_common.h"
#include "cli_jobsel.h"
#include "command.h"

static const struct cli_spec hold_spec = {
	.prog = "cpool hold",
	.usage = "usage: cpool hold ID|ID_N...",
	.about = "Hold each queued job: it stays queued, with REASON Held, until released.\n"
		 "An array's ID holds every element still queued.  Yours, or any for root.\n"
		 "A hold survives a restart of cpoold.  The exit status is 1 when any failed.",
	.socket = true,
	.operands = true,
};

static const struct cli_spec release_spec = {
	.prog = "cpool release",
	.usage = "usage: cpool release ID|ID_N...",
	.about = "Release each held job (an array's ID: every element): it may start.\n"
		 "The exit status is 1 when any failed.",
	.socket = true,
	.operands = true,
};

/*
 * One request per operand (all checked first: a typo sends nothing), each
 * succeeding or failing on its own; shared by hold, release and cancel
 * --signal.
 */
int cli_each_job(const char *prog, const char *socket, enum cpool_op op, int argc, char **argv,
		 const json_t *extra, const char *done)
{
	struct cpool_apiclient *client;
	int failed = 0;

	for (int i = 0; i < argc; i++) {
		json_t *args = json_object();

		if (cli_job_ref_args(argv[i], args)) {
			json_decref(args);
			return cli_usage_error(prog, "'%s' is not a job id (ID or ID_N)", argv[i]);
		}
		json_decref(args);
	}
	client = cli_connect(prog, socket);
	if (!client)
		return CLI_EXIT_FAILED;
	for (int i = 0; i < argc; i++) {
		json_t *args = json_object(), *result;
		char prefix[96];

		cli_job_ref_args(argv[i], args);
		if (extra)
			json_object_update(args, (json_t *)extra);
		snprintf(prefix, sizeof(prefix), "%s: job %s", prog, argv[i]);
		if (cli_request(client, prefix, op, args, &result, CLI_TIMEOUT_MS)) {
			failed++;
			continue;
		}
		printf("job %s %s\n", argv[i], done);
		json_decref(result);
	}
	cpool_apiclient_close(client);
	return failed ? CLI_EXIT_FAILED : CLI_EXIT_OK;
}

static int run(const struct cli_spec *spec, enum cpool_op op, const char *done, int argc,
	       char **argv)
{
	struct cli_args a;
	int r = cli_parse(spec, NULL, argc, argv, &a);

	if (r != CLI_PARSED)
		return r;
	if (a.argc < 1)
		return cli_usage_error(spec->prog, "which job? %s", spec->usage + 7);
	return cli_each_job(spec->prog, a.socket, op, a.argc, a.argv, NULL, done);
}

static int cmd_hold(int argc, char **argv)
{
	return run(&hold_spec, CPOOL_OP_HOLD, "held", argc, argv);
}

static int cmd_release(int argc, char **argv)
{
	return run(&release_spec, CPOOL_OP_RELEASE, "released", argc, argv);
}

CPOOL_COMMAND(hold, "hold", "keep queued jobs from starting", cmd_hold);
CPOOL_COMMAND(release, "release", "let held jobs start", cmd_release);
