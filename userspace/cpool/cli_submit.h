/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * What cpool submit and cpool run share: the options that describe a job,
 * in one table so that the two commands cannot drift apart, and the submit
 * request built from them.  cpool run starts one job now, on this
 * terminal, so the options of a job that waits, repeats or writes to files
 * are refused there at the command line (exit status 2), each with why and
 * what to use instead; cpoold would refuse them too.
 */
#ifndef CPOOL_CLI_SUBMIT_H
#define CPOOL_CLI_SUBMIT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "cli_options.h"

struct cli_job_opts {
	const char *vs, *name, *stdout_path, *stderr_path, *after, *array;
	bool hold;
	long long cpus, priority;
	uint64_t mem;
	double estimate, time_limit;
};

/* Room for the table cli_job_options() fills, its end included. */
#define CLI_JOB_OPTIONS_MAX 16

/*
 * Sets @j to the defaults and fills @table with the options that set it.
 * With @attached (cpool run) the refused options stay in the table, so the
 * parser recognises them and says why, but out of --help.
 */
void cli_job_options(struct cli_job_opts *j, bool attached, struct cli_option *table);

/*
 * Checks @j and the command in @a (its operands) and builds the submit
 * request's args: CLI_PARSED and *@args, or an exit status after saying
 * why on stderr ("PROG: ...").
 */
int cli_job_request(const char *prog, const struct cli_job_opts *j, const struct cli_args *a,
		    json_t **args);

#endif /* CPOOL_CLI_SUBMIT_H */
