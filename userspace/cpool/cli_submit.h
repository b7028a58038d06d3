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

#include "cli_options.h"

/*
 * Parses @argv (argv[0] is the command's name) against the job options,
 * with @spec's common ones, checks them and the command (the operands),
 * and builds the submit request's args.  Returns CLI_PARSED, with @a and
 * *@args, or an exit status after --help or after saying why on stderr
 * ("PROG: ...").  @attached (cpool run): the options of a job that waits,
 * repeats or writes to files are refused, and left out of --help.
 */
int cli_job_parse(const struct cli_spec *spec, bool attached, int argc, char **argv,
		  struct cli_args *a, json_t **args);

#endif /* CPOOL_CLI_SUBMIT_H */
