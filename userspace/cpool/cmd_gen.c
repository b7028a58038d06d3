// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* cpool gen: a synthetic workload as a CSV trace on stdout. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_common.h"
#include "command.h"
#include "cpool/gen.h"
#include "cpool/units.h"

#define PROG "cpool gen"

static const struct cli_spec cmd_spec = {
	.prog = PROG,
	.usage = "usage: cpool gen --jobs N [--arrival poisson:RATE|fixed:S]\n"
		 "                 [--runtime exp:MEAN|lognormal:MU,SIGMA|fixed:S|uniform:A-B]\n"
		 "                 [--cpus DIST] [--priority DIST] [--mem SIZE] [--seed S]\n"
		 "                 [--estimate-error lognormal:SIGMA|over:FACTOR] > trace.csv",
	.about = "Writes a workload as a CSV trace (id,submit,runtime,cpus,mem,priority,estimate;\n"
		 "seconds, to the millisecond).  The same seed gives the same trace everywhere.",
};

static int set_arrival(const struct cli_option *o, const char *arg, struct cpool_error *e)
{
	struct cpool_error why;

	if (cpool_gen_parse_arrival(arg, o->target, &why))
		return cpool_error_set(e, -EINVAL, "%s", why.msg);
	return 0;
}

/* A distribution; o->min is 1 where the values are whole numbers (CPUs, priorities). */
static int set_dist(const struct cli_option *o, const char *arg, struct cpool_error *e)
{
	struct cpool_error why;

	if (cpool_dist_parse(arg, o->min != 0, o->target, &why))
		return cpool_error_set(e, -EINVAL, "%s", why.msg);
	return 0;
}

static int set_estimate_error(const struct cli_option *o, const char *arg, struct cpool_error *e)
{
	struct cpool_error why;

	if (cpool_estimate_error_parse(arg, o->target, &why))
		return cpool_error_set(e, -EINVAL, "%s", why.msg);
	return 0;
}

static int set_seed(const struct cli_option *o, const char *arg, struct cpool_error *e)
{
	uint64_t *seed = o->target;
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-')
		return cpool_error_set(e, -EINVAL, "'%s' is not a whole number >= 0", arg);
	*seed = v;
	return 0;
}

static int cmd_gen(int argc, char **argv)
{
	struct cpool_gen_config cfg;
	long long jobs = 0;
	const struct cli_option opts[] = {
		CLI_INT(0, "jobs", "N", &jobs, 1, 10000000, "number of jobs (required)"),
		CLI_CUSTOM(0, "arrival", "A", set_arrival, &cfg,
			   "poisson:RATE (jobs per second, default poisson:1) or\n"
			   "fixed:S (one job every S seconds); the first job is at 0"),
		{ .name = "runtime",
		  .arg = "DIST",
		  .set = set_dist,
		  .target = &cfg.runtime,
		  .help = "seconds of work per CPU (default exp:10): exp:MEAN,\n"
			  "lognormal:MU,SIGMA (of ln seconds), fixed:S, uniform:A-B,\n"
			  "choice:S,S,..." },
		{ .name = "cpus",
		  .arg = "DIST",
		  .set = set_dist,
		  .target = &cfg.cpus,
		  .min = 1,
		  .help = "CPUs per job (default fixed:1): fixed:N, uniform:A-B,\n"
			  "choice:N,N,..." },
		{ .name = "priority",
		  .arg = "DIST",
		  .set = set_dist,
		  .target = &cfg.priority,
		  .min = 1,
		  .help = "as --cpus, -20..19 (default fixed:0)" },
		CLI_SIZE(0, "mem", "SIZE", &cfg.mem, 0, "memory per job (e.g. 64M; default none)"),
		CLI_CUSTOM(0, "seed", "S", set_seed, &cfg.seed, "PRNG seed (default 1)"),
		CLI_CUSTOM(
			0, "estimate-error", "SPEC", set_estimate_error, &cfg.estimate_error,
			"noisy estimates (default: estimate = runtime):\n"
			"lognormal:SIGMA (runtime x e^(SIGMA N(0,1)), median 1, 0 < SIGMA <= 3)\n"
			"or over:FACTOR (runtime x FACTOR, 1..100); at least 1 s,\n"
			"on a stream of their own from --seed"),
		CLI_END,
	};
	struct cpool_trace trace;
	struct cli_args a;
	int ret;

	cpool_gen_init(&cfg);
	ret = cli_parse(&cmd_spec, opts, argc, argv, &a);
	if (ret != CLI_PARSED)
		return ret;
	if (!jobs)
		return cli_usage_error(PROG, "--jobs is required");
	cfg.jobs = (size_t)jobs;
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
