// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* cpool policy: the scheduling and placement policy in force; root changes it. */
#include <string.h>

#include "cli_common.h"
#include "command.h"
#include "cpool/units.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: cpool policy get [--json]\n"
		"       cpool policy set [--policy NAME] [--placement NAME] [--quantum DURATION]\n"
		"\n"
		"The scheduling policy (fcfs, sjf, srtf, rr, priority, easy, ...), the\n"
		"placement policy (first-fit, best-fit, ...; docs/policies.md) and the time\n"
		"quantum of the preemptive policies.  A change applies from the next\n"
		"scheduling decision and survives a restart.  Only root changes them.\n"
		"\n"
		"  --policy NAME      the scheduling policy\n"
		"  --placement NAME   the placement policy\n"
		"  --quantum DUR      e.g. 100ms, 1s\n"
		"  --json             the daemon's answer as JSON\n" CLI_SOCKET_HELP
		"  --help             this text\n");
}

static void print_policy(const json_t *p)
{
	char q[32];

	cli_format_duration(cli_json_num(p, "quantum", -1), q, sizeof(q));
	printf("policy     %s\n", cli_json_str(p, "policy", "?"));
	printf("placement  %s\n", cli_json_str(p, "placement", "?"));
	printf("quantum    %s\n", q);
}

static int cmd_policy(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "placement", required_argument, NULL, 'P' },
		{ "quantum", required_argument, NULL, 'q' },
		CLI_JSON_OPTION,
		CLI_SOCKET_OPTION,
		CLI_HELP_OPTION,
		{ 0 },
	};
	const char *socket = NULL;
	char prog[32];
	bool json = false, set;
	json_t *args, *result;
	double quantum;
	int c, r;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	if (strcmp(argv[1], "get") && strcmp(argv[1], "set"))
		return cli_usage_error("cpool policy", "'%s' is not get or set", argv[1]);
	set = strcmp(argv[1], "set") == 0;
	snprintf(prog, sizeof(prog), "cpool policy %s", argv[1]);
	argc--;
	argv++;
	args = json_object();
	while ((c = cli_getopt(argc, argv, prog, "", opts)) != -1) {
		const char *key = c == 'p' ? "policy" : c == 'P' ? "placement" : "quantum";

		switch (c) {
		case 'p':
		case 'P':
		case 'q':
			if (!set) {
				json_decref(args);
				return cli_usage_error(prog, "--%s is for 'cpool policy set'", key);
			}
			if (c != 'q') {
				json_object_set_new(args, key, json_string(optarg));
				break;
			}
			if (cpool_parse_duration(optarg, &quantum) || quantum <= 0) {
				json_decref(args);
				return cli_usage_error(prog,
						       "--quantum: '%s' is not a duration above 0 "
						       "like 100ms",
						       optarg);
			}
			json_object_set_new(args, key, json_real(quantum));
			break;
		case CLI_OPT_JSON:
			json = true;
			break;
		case CLI_OPT_SOCKET:
			socket = optarg;
			break;
		case CLI_OPT_HELP:
			json_decref(args);
			usage(stdout);
			return CLI_EXIT_OK;
		default:
			json_decref(args);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc || (set && !json_object_size(args))) {
		json_decref(args);
		return cli_usage_error(
			prog, optind < argc ?
				      "unexpected argument" :
				      "nothing to set: give --policy, --placement or --quantum");
	}
	if (!set) {
		json_decref(args);
		args = NULL;
	}
	r = cli_call(prog, socket, set ? CPOOL_OP_POLICY_SET : CPOOL_OP_POLICY_GET, args, &result);
	if (r)
		return r;
	if (json)
		cli_print_json(result);
	else if (json_object_get(result, "policy"))
		print_policy(result); /* set answers with the policy now in force */
	json_decref(result);
	return CLI_EXIT_OK;
}

CPOOL_COMMAND(policy, "policy", "show or set the scheduling and placement policy", cmd_policy);
