/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * What ps, cancel and history share to name jobs: -u USER, --state, --vs,
 * --name as request arguments, ID and ID_N operands, and CSV output.
 */
#ifndef CPOOL_CLI_JOBSEL_H
#define CPOOL_CLI_JOBSEL_H

#include <jansson.h>
#include <stdio.h>

#include "cpool/protocol.h"

#include "cli_options.h"
#include "cpool/jobctl.h"

/* Setters whose target is the request's args (json_t *): "uid", "state", "vs", "name". */
cli_setter cli_set_sel_user, cli_set_sel_state, cli_set_sel_vs, cli_set_sel_name;

/* -u USER, pointing at @args. */
#define CLI_JOBSEL_USER(args)                                   \
	CLI_CUSTOM('u', "user", "USER", cli_set_sel_user, args, \
		   "only this user's jobs (a name or a uid; others' need root)")
/* --state, --vs and --name, pointing at @args. */
#define CLI_JOBSEL_OPTIONS(args)                                                                \
	CLI_CUSTOM(0, "state", "STATE", cli_set_sel_state, args,                                \
		   "only jobs in this state (queued, starting, running, frozen,\n"              \
		   "done, failed, cancelled)"),                                                 \
		CLI_CUSTOM(0, "vs", "NAME", cli_set_sel_vs, args, "only jobs on this vserver"), \
		CLI_CUSTOM(0, "name", "NAME", cli_set_sel_name, args, "only jobs of this name")

/* "ID" or "ID_N" into "job" (and "task") of @args; -EINVAL when it is neither. */
int cli_job_ref_args(const char *text, json_t *args);
/* "12" or "12_3" for a job object with array_job and array_task. */
void cli_job_label(const json_t *job, char *buf, size_t len);
/*
 * @op for each job operand (ID or ID_N; all checked before any is sent),
 * with @extra's keys added; prints "job ID DONE" for each that succeeded.
 * CLI_EXIT_FAILED when any failed, CLI_EXIT_USAGE for a bad operand.
 */
int cli_each_job(const char *prog, const char *socket, enum cpool_op op, int argc, char **argv,
		 const json_t *extra, const char *done);
/* One CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF. */
void cli_csv_field(FILE *out, const char *text, bool last);

#endif /* CPOOL_CLI_JOBSEL_H */
