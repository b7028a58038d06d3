// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* cpool policy: the scheduling and placement policy in force; root changes it. */
#include <errno.h>
#include <string.h>

#include "cli_common.h"
#include "command.h"
#include "cpool/units.h"

static const struct cli_spec cmd_spec = {
	.prog = "cpool policy",
	.usage = "usage: cpool policy get [--json]\n"
		 "       cpool policy set [--policy NAME] [--placement NAME] [--quantum DURATION]\n"
		 "                        [--admit-p99 DURATION|off]",
	.about = "The scheduling policy (fcfs, sjf, srtf, rr, priority, easy, ...), the\n"
		 "placement policy (first-fit, best-fit, ...; docs/policies.md) and the time\n"
		 "quantum of the preemptive policies, and the admission bound: a job is\n"
		 "started only on a VS whose measured run-queue p99 is at most it.  A change\n"
		 "applies from the next scheduling decision and survives a restart.  Only\n"
		 "root changes them.",
	.json_help = "the daemon's answer as JSON",
	.socket = true,
};

static void print_policy(const json_t *p)
{
	char q[32], admit[32] = "off";
	double admit_s = cli_json_num(p, "admit_p99", 0);

	cli_format_duration(cli_json_num(p, "quantum", -1), q, sizeof(q));
	if (admit_s > 0)
		cli_format_duration(admit_s, admit, sizeof(admit));
	printf("policy     %s\n", cli_json_str(p, "policy", "?"));
	printf("placement  %s\n", cli_json_str(p, "placement", "?"));
	printf("quantum    %s\n", q);
	printf("admit_p99  %s\n", admit);
}

static int set_quantum(const struct cli_option *o, const char *arg, struct cpool_error *e)
{
	double *quantum = o->target;

	if (cpool_parse_duration(arg, quantum) || *quantum <= 0)
		return cpool_error_set(e, -EINVAL, "'%s' is not a duration above 0 like 100ms",
				       arg);
	return 0;
}

/* -1: not given; 0: off. */
static int set_admit(const struct cli_option *o, const char *arg, struct cpool_error *e)
{
	double *admit = o->target;

	if (strcmp(arg, "off") == 0) {
		*admit = 0;
		return 0;
	}
	if (cpool_parse_duration(arg, admit) || *admit < 0 || *admit > 3600)
		return cpool_error_set(e, -EINVAL,
				       "'%s' is not a duration up to 1h like 2ms, or off", arg);
	return 0;
}

static int cmd_policy(int argc, char **argv)
{
	const char *policy = NULL, *placement = NULL;
	double quantum = 0, admit = -1;
	const struct cli_option opts[] = {
		CLI_STRING(0, "policy", "NAME", &policy, "the scheduling policy"),
		CLI_STRING(0, "placement", "NAME", &placement, "the placement policy"),
		CLI_CUSTOM(0, "quantum", "DUR", set_quantum, &quantum, "e.g. 100ms, 1s"),
		CLI_CUSTOM(0, "admit-p99", "DUR", set_admit, &admit,
			   "start jobs only on VSs whose run-queue p99 is at most DUR\n"
			   "(e.g. 2ms); 0 or off: no bound"),
		CLI_END,
	};
	struct cli_spec verb_spec = cmd_spec;
	char prog[32];
	struct cli_args a;
	json_t *args = NULL, *result;
	bool set;
	int r;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		cli_help(&cmd_spec, opts, argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	if (strcmp(argv[1], "get") && strcmp(argv[1], "set"))
		return cli_usage_error(cmd_spec.prog, "'%s' is not get or set", argv[1]);
	set = strcmp(argv[1], "set") == 0;
	snprintf(prog, sizeof(prog), "cpool policy %s", argv[1]);
	verb_spec.prog = prog;
	r = cli_parse(&verb_spec, opts, argc - 1, argv + 1, &a);
	if (r != CLI_PARSED)
		return r;
	if (!set && (policy || placement || quantum || admit >= 0))
		return cli_usage_error(prog, "--%s is for 'cpool policy set'",
				       policy	 ? "policy" :
				       placement ? "placement" :
				       quantum	 ? "quantum" :
						   "admit-p99");
	if (set) {
		if (!policy && !placement && !quantum && admit < 0)
			return cli_usage_error(prog, "nothing to set: give --policy, --placement, "
						     "--quantum or --admit-p99");
		args = json_object();
		if (policy)
			json_object_set_new(args, "policy", json_string(policy));
		if (placement)
			json_object_set_new(args, "placement", json_string(placement));
		if (quantum)
			json_object_set_new(args, "quantum", json_real(quantum));
		if (admit >= 0)
			json_object_set_new(args, "admit_p99", json_real(admit));
	}
	r = cli_call(prog, a.socket, set ? CPOOL_OP_POLICY_SET : CPOOL_OP_POLICY_GET, args,
		     &result);
	if (r)
		return r;
	if (a.json)
		cli_print_json(result);
	else if (json_object_get(result, "policy"))
		print_policy(result); /* set answers with the policy now in force */
	json_decref(result);
	return CLI_EXIT_OK;
}

CPOOL_COMMAND(policy, "policy", "show or set the scheduling and placement policy", cmd_policy);
