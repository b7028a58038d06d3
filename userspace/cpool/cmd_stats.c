// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* cpool stats: how responsive the daemon's event loop is, and its job counts. */
#include "cli_common.h"
#include "command.h"

#define PROG "cpool stats"

static void usage(FILE *out)
{
	fprintf(out, "usage: cpool stats [--json]\n"
		     "\n"
		     "The daemon's event loop: rounds run, the longest round since it started and\n"
		     "since the last 'stats' (which this read resets), and how many jobs are\n"
		     "queued, starting, running and frozen.  A long round is a stall: every\n"
		     "request waited that long.  Any user may ask.\n"
		     "\n"
		     "  --json             the daemon's answer\n" CLI_SOCKET_HELP
		     "  --help             this text\n");
}

static void print_stats(const json_t *s)
{
	printf("loop rounds          %lld\n", cli_json_int(s, "loop_rounds", 0));
	printf("longest stall        %.3f ms\n",
	       (double)cli_json_int(s, "loop_stall_max_us", 0) / 1000.0);
	printf("longest since last   %.3f ms\n",
	       (double)cli_json_int(s, "loop_stall_window_us", 0) / 1000.0);
	printf("jobs                 %lld queued, %lld starting, %lld running, %lld frozen\n",
	       cli_json_int(s, "queued", 0), cli_json_int(s, "starting", 0),
	       cli_json_int(s, "running", 0), cli_json_int(s, "frozen", 0));
}

static int cmd_stats(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_JSON_OPTION,
		CLI_SOCKET_OPTION,
		CLI_HELP_OPTION,
		{ 0 },
	};
	const char *socket = NULL;
	bool json = false;
	json_t *result;
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
	if (optind < argc)
		return cli_usage_error(PROG, "unexpected argument '%s'", argv[optind]);
	r = cli_call(PROG, socket, CPOOL_OP_STATS, NULL, &result);
	if (r)
		return r;
	if (json)
		cli_print_json(result);
	else
		print_stats(result);
	json_decref(result);
	return CLI_EXIT_OK;
}

CPOOL_COMMAND(stats, "stats", "the daemon's event-loop stalls and job counts", cmd_stats);
