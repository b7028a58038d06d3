// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* cpool gen: a synthetic workload as a CSV trace on stdout. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_common.h"
#include "command.h"
#include "cpool/gen.h"
#include "cpool/units.h"

#define PROG "cpool gen"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: cpool gen --jobs N [--arrival poisson:RATE|fixed:S]\n"
		"                 [--runtime exp:MEAN|lognormal:MU,SIGMA|fixed:S|uniform:A-B]\n"
		"                 [--cpus DIST] [--priority DIST] [--mem SIZE] [--seed S] > trace.csv\n"
		"\n"
		"Writes a workload as a CSV trace (id,submit,runtime,cpus,mem,priority,estimate;\n"
		"seconds, to the millisecond).  The same seed gives the same trace everywhere.\n"
		"\n"
		"  --jobs N           number of jobs (required)\n"
		"  --arrival A        poisson:RATE (jobs per second, default poisson:1) or\n"
		"                     fixed:S (one job every S seconds); the first job is at 0\n"
		"  --runtime DIST     seconds of work per CPU (default exp:10): exp:MEAN,\n"
		"                     lognormal:MU,SIGMA (of ln seconds), fixed:S, uniform:A-B,\n"
		"                     choice:S,S,...\n"
		"  --cpus DIST        CPUs per job (default fixed:1): fixed:N, uniform:A-B,\n"
		"                     choice:N,N,...\n"
		"  --priority DIST    as --cpus, -20..19 (default fixed:0)\n"
		"  --mem SIZE         memory per job (e.g. 64M; default none)\n"
		"  --seed S           PRNG seed (default 1)\n"
		"  --help             this text\n");
}

static int cmd_gen(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "jobs", required_argument, NULL, 'n' },
		{ "arrival", required_argument, NULL, 'a' },
		{ "runtime", required_argument, NULL, 'r' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "priority", required_argument, NULL, 'p' },
		{ "mem", required_argument, NULL, 'm' },
		{ "seed", required_argument, NULL, 's' },
		CLI_HELP_OPTION,
		{ 0 },
	};
	struct cpool_gen_config cfg;
	struct cpool_trace trace;
	bool have_jobs = false;
	long long v;
	char err[256];
	int opt, ret;

	cpool_gen_init(&cfg);
	while ((opt = cli_getopt(argc, argv, PROG, "", opts)) != -1) {
		switch (opt) {
		case 'n':
			if (cli_parse_long(optarg, 1, 10000000, &v))
				return cli_usage_error(PROG, "--jobs: '%s' is not 1..10000000",
						       optarg);
			cfg.jobs = (size_t)v;
			have_jobs = true;
			break;
		case 'a':
			if (cpool_gen_parse_arrival(optarg, &cfg, err, sizeof(err)))
				return cli_usage_error(PROG, "--arrival: %s", err);
			break;
		case 'r':
			if (cpool_dist_parse(optarg, 0, &cfg.runtime, err, sizeof(err)))
				return cli_usage_error(PROG, "--runtime: %s", err);
			break;
		case 'c':
			if (cpool_dist_parse(optarg, 1, &cfg.cpus, err, sizeof(err)))
				return cli_usage_error(PROG, "--cpus: %s", err);
			break;
		case 'p':
			if (cpool_dist_parse(optarg, 1, &cfg.priority, err, sizeof(err)))
				return cli_usage_error(PROG, "--priority: %s", err);
			break;
		case 'm':
			if (cpool_parse_size(optarg, &cfg.mem))
				return cli_usage_error(PROG, "--mem: '%s' is not a size", optarg);
			break;
		case 's':
			errno = 0;
			{
				char *end;
				unsigned long long s = strtoull(optarg, &end, 10);

				if (errno || end == optarg || *end || optarg[0] == '-')
					return cli_usage_error(
						PROG, "--seed: '%s' is not a whole number >= 0",
						optarg);
				cfg.seed = s;
			}
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
	if (!have_jobs)
		return cli_usage_error(PROG, "--jobs is required");
	ret = cpool_gen_trace(&cfg, &trace);
	if (ret == -EINVAL)
		return cli_usage_error(
			PROG,
			"a drawn CPU count is below 1 or a priority is out of range: check --cpus and --priority");
	if (ret)
		return cli_fail(PROG, "generating: %s", strerror(-ret));
	ret = cpool_trace_write_csv(stdout, trace.jobs, trace.n_jobs);
	cpool_trace_free(&trace);
	if (ret || fflush(stdout))
		return cli_fail(PROG, "writing the trace: %s", strerror(ret ? -ret : errno));
	return CLI_EXIT_OK;
}

CPOOL_COMMAND(gen, "gen", "generate a synthetic workload trace (CSV)", cmd_gen);
