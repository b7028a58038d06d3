// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* cpool reload: apply pool.ini to the live pool, all or nothing. */
#include "cli_common.h"
#include "command.h"

static const struct cli_spec cmd_spec = {
	.prog = "cpool reload",
	.usage = "usage: cpool reload [--json]",
	.about = "Asks cpoold to read its pool.ini again and apply it to the live pool, as\n"
		 "SIGHUP and 'systemctl reload cpoold' do, and prints what changed: virtual\n"
		 "servers created, resized or destroyed as the planner says, and policy,\n"
		 "placement or quantum where the file changed them.  Running jobs are never\n"
		 "killed: a reload that would take a VS or CPUs from jobs, that does not fit,\n"
		 "or that changes a setting only a restart applies, is refused as a whole\n"
		 "with the reason, and nothing changes.  Root only.",
	.json_help = "{\"config\": PATH, \"changes\": [...]}",
	.socket = true,
};

static int cmd_reload(int argc, char **argv)
{
	struct cli_args a;
	json_t *result, *c;
	size_t i;
	int r;

	r = cli_parse(&cmd_spec, NULL, argc, argv, &a);
	if (r != CLI_PARSED)
		return r;
	r = cli_call(cmd_spec.prog, a.socket, CPOOL_OP_RELOAD, NULL, &result);
	if (r)
		return r;
	if (a.json) {
		cli_print_json(result);
	} else {
		printf("reloaded %s: %zu changes\n", cli_json_str(result, "config", "pool.ini"),
		       json_array_size(json_object_get(result, "changes")));
		json_array_foreach(json_object_get(result, "changes"), i, c)
			printf("  %s\n", json_string_value(c) ?: "?");
	}
	json_decref(result);
	return CLI_EXIT_OK;
}

CPOOL_COMMAND(reload, "reload", "apply pool.ini to the live pool (all or nothing)", cmd_reload);
