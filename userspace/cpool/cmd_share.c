// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* cpool share: each user's decayed usage, share and fair-share factor. */
#include "cli_common.h"
#include "command.h"

static const struct cli_spec cmd_spec = {
	.prog = "cpool share",
	.usage = "usage: cpool share [--json]",
	.about = "Fair share: for every user the pool remembers, the CPU time their jobs used,\n"
		 "decayed with the half-life of pool.ini (fairshare_half_life), that usage as\n"
		 "a fraction of everyone's, the user's share of the pool (equal for all), and\n"
		 "the factor 2^(-usage fraction / share) by which the fairshare policy ranks\n"
		 "their queued jobs (1: nothing used; 0.5: exactly their share).  Any user\n"
		 "may ask.",
	.json_help = "the daemon's answer",
	.socket = true,
};

static void print_share(const json_t *s)
{
	static const struct cli_column cols[] = {
		{ "USER", false },  { "USAGE", true },	 { "USAGE%", true }, { "SHARE%", true },
		{ "FACTOR", true }, { "RUNNING", true }, { "QUEUED", true },
	};
	struct cli_table *t = cli_table_new(cols, 7);
	char half[32], used[32];
	json_t *u;
	size_t i;

	cli_format_duration(cli_json_num(s, "half_life", 0), half, sizeof(half));
	printf("policy %s, half-life %s%s\n", cli_json_str(s, "policy", "?"),
	       cli_json_num(s, "half_life", 0) > 0 ? half : "none",
	       cli_json_num(s, "half_life", 0) > 0 ? "" : " (no decay)");
	json_array_foreach(json_object_get(s, "users"), i, u) {
		cli_format_duration(cli_json_num(u, "usage", 0), used, sizeof(used));
		cli_table_cell(t, "%s", cli_user_name((uid_t)cli_json_int(u, "uid", 0)));
		cli_table_cell(t, "%s", used);
		cli_table_cell(t, "%.1f", 100 * cli_json_num(u, "usage_share", 0));
		cli_table_cell(t, "%.1f", 100 * cli_json_num(u, "share", 0));
		cli_table_cell(t, "%.3f", cli_json_num(u, "factor", 1));
		cli_table_cell(t, "%lld", cli_json_int(u, "running", 0));
		cli_table_cell(t, "%lld", cli_json_int(u, "queued", 0));
	}
	cli_table_print(t, stdout);
	cli_table_free(t);
}

static int cmd_share(int argc, char **argv)
{
	struct cli_args a;
	json_t *result;
	int r;

	r = cli_parse(&cmd_spec, NULL, argc, argv, &a);
	if (r != CLI_PARSED)
		return r;
	r = cli_call(cmd_spec.prog, a.socket, CPOOL_OP_SHARE, NULL, &result);
	if (r)
		return r;
	if (a.json)
		cli_print_json(result);
	else
		print_share(result);
	json_decref(result);
	return CLI_EXIT_OK;
}

CPOOL_COMMAND(share, "share", "fair share: each user's decayed usage, share and factor", cmd_share);
