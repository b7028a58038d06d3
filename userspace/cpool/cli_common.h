/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * What the commands that talk to cpoold share: connecting and one request
 * with its error reported once (prefixed with the command), tables,
 * durations and times as people read them, and user names.
 */
#ifndef CPOOL_CLI_COMMON_H
#define CPOOL_CLI_COMMON_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "cli_options.h"
#include "cpool/apiclient.h"

/* How long a request other than "wait" may take before we give up. */
#define CLI_TIMEOUT_MS 30000

/* Connects to @socket (NULL: $CPOOL_SOCKET or the default); reports failure itself. */
struct cpool_apiclient *cli_connect(const char *prog, const char *socket);
/*
 * One request; steals @args.  On failure prints "PREFIX: the daemon's
 * message" and returns the negative errno; else 0 and *result.
 */
int cli_request(struct cpool_apiclient *c, const char *prefix, enum cpool_op op, json_t *args,
		json_t **result, int timeout_ms);
/* Connect, one request, close: returns CLI_EXIT_OK or CLI_EXIT_FAILED. */
int cli_call(const char *prog, const char *socket, enum cpool_op op, json_t *args, json_t **result);

/* The whole value on stdout, indented, with a newline. */
void cli_print_json(const json_t *value);

/* --since: a unix time, "2026-11-28[T10:00[:00]]" (local time), or "1h" ago. */
int cli_parse_time(const char *text, double now, double *out);
/* A user name or a numeric uid. */
int cli_parse_user(const char *text, uid_t *uid);

double cli_now(void);
/* "450ms", "7.5s", "2m05s", "1h03m", "2d04h"; "-" for a negative value. */
void cli_format_duration(double seconds, char *buf, size_t len);
/* Run-queue latency: "20us", "1.2ms", "3.4s". */
void cli_format_usec(double usec, char *buf, size_t len);
/* The user's login name, or the number when there is none. */
const char *cli_user_name(uid_t uid);
/* "SIGKILL", or "signal 77". */
const char *cli_signal_name(int sig);

/*
 * A job's accounting record (wait's reply) as an exit status: its exit
 * code, 128 + a signal, or 1 when it failed or was cancelled, explained on
 * stderr when not plain.  cpool wait and cpool run.
 */
int cli_job_exit_status(const char *prog, long long id, const json_t *rec);

/* Field access tolerant of absent or mistyped fields (an older daemon). */
long long cli_json_int(const json_t *obj, const char *key, long long def);
double cli_json_num(const json_t *obj, const char *key, double def);
const char *cli_json_str(const json_t *obj, const char *key, const char *def);

/*
 * A text table: columns sized to their widest cell, numbers right-aligned,
 * the last column unpadded.  Cells are sanitised: a job name or VS name
 * chosen by another user cannot send escape sequences to the terminal.
 */
struct cli_column {
	const char *header;
	bool right;
};
struct cli_table;

#define CLI_TABLE_MAX_COLUMNS 32

struct cli_table *cli_table_new(const struct cli_column *cols, int ncols);
/* Appends one cell; rows fill left to right.  At most CLI_TABLE_MAX_COLUMNS. */
void cli_table_cell(struct cli_table *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void cli_table_print(const struct cli_table *t, FILE *out);
void cli_table_free(struct cli_table *t);

#endif /* CPOOL_CLI_COMMON_H */
