// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* cpool submit: queue a command as a job in the pool; prints its id. */
#include "cli_common.h"
#include "cli_submit.h"
#include "command.h"

#define PROG "cpool submit"

static const struct cli_spec cmd_spec = {
	.prog = PROG,
	.usage = "usage: cpool submit [OPTIONS] [--] CMD [ARGS...]",
	.about = "Queue CMD as a job and print its id.  The job runs as you, in the current\n"
		 "directory, with this environment; no shell is involved.",
	.json_help = "print {\"job\": ID}, with \"array\": {count, first, step, max_running}",
	.socket = true,
	.operands = true,
	/* Options end at CMD, so "cpool submit ls -l" passes -l to ls. */
	.options_first = true,
};

static int cmd_submit(int argc, char **argv)
{
	struct cli_args a;
	json_t *args, *result;
	int r = cli_job_parse(&cmd_spec, false, argc, argv, &a, &args);

	if (r != CLI_PARSED)
		return r;
	r = cli_call(PROG, a.socket, CPOOL_OP_SUBMIT, args, &result);
	if (r)
		return r;
	if (!json_is_integer(json_object_get(result, "job"))) {
		json_decref(result);
		return cli_fail(PROG, "the daemon's reply has no job id");
	}
	if (a.json)
		cli_print_json(result);
	else
		printf("%lld\n", cli_json_int(result, "job", 0));
	json_decref(result);
	return CLI_EXIT_OK;
}

CPOOL_COMMAND(submit, "submit", "queue a command as a job; prints its id", cmd_submit);
