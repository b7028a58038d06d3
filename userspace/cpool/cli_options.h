/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The one way a cpool command parses its options.  A command declares a
 * table of options (long name, short letter, argument, help line and a
 * setter that stores the value); cli_parse() adds the common ones
 * (--json/-j when the command has a JSON form, --socket for the commands
 * that talk to cpoold, --help/-h always), reports every usage error the
 * same way ("PROG: --OPT: MESSAGE", a pointer to --help, exit status 2),
 * and generates --help from the same table, so the help, the man page and
 * the parser cannot drift apart.
 */
#ifndef CPOOL_CLI_OPTIONS_H
#define CPOOL_CLI_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cpool/error.h"

/* Exit statuses of every command. */
#define CLI_EXIT_OK 0
#define CLI_EXIT_FAILED 1 /* the work failed, or the daemon refused or could not be reached */
#define CLI_EXIT_USAGE 2

/* cli_parse()'s answer when the command should go on (any other is an exit status). */
#define CLI_PARSED (-1)

struct cli_option;

/*
 * Stores @arg (NULL for an option without argument) where @o says.  On a
 * bad value it returns a negative errno and says in @e why, about the value
 * alone ("'0' is not a whole number 1..4096"): the caller names the
 * command and the option.
 */
typedef int cli_setter(const struct cli_option *o, const char *arg, struct cpool_error *e);

struct cli_option {
	const char *name; /* the long name, without "--" */
	int letter; /* the short name, or 0 */
	const char *arg; /* the argument's name in --help ("N", "FILE"); NULL: none */
	const char *help; /* '\n' continues it on the next line, aligned; NULL: not in --help */
	cli_setter *set;
	void *target;
	double min, max; /* bounds of the numeric setters; max 0: no upper one, both 0: none */
};

/* A command's description: its synopsis and its text around the options. */
struct cli_spec {
	const char *prog; /* "cpool submit": names every message */
	const char *usage; /* "usage: cpool submit [OPTIONS] [--] CMD [ARGS...]" (lines) */
	const char *about; /* what the command does, one paragraph or more */
	const char *json_help; /* non-NULL: the command takes --json/-j, which does this */
	bool socket; /* the command talks to cpoold: --socket PATH */
	bool operands; /* it takes arguments besides options (IDs, CMD); else any is an error */
	bool options_first; /* options end at the first operand (cpool submit ls -l) */
	const char *epilog; /* after the options, or NULL */
};

/* What cli_parse() found besides the command's own options. */
struct cli_args {
	bool json;
	const char *socket; /* NULL: $CPOOL_SOCKET or the default */
	int argc; /* the operands, after the options */
	char **argv;
};

/*
 * Parses @argv (argv[0] is the command's name) against @opts (ended by an
 * entry without name; may be NULL).  Returns CLI_PARSED, with the operands
 * and common options in @args, or an exit status: CLI_EXIT_OK after
 * --help, CLI_EXIT_USAGE after a usage error (reported on stderr).
 */
int cli_parse(const struct cli_spec *spec, const struct cli_option *opts, int argc, char **argv,
	      struct cli_args *args);

/* The --help text: usage, about, the options (the common ones included), epilog. */
void cli_help(const struct cli_spec *spec, const struct cli_option *opts, FILE *out);

/* "PROG: MESSAGE" and a pointer to --help on stderr; returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *prog, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "PROG: MESSAGE" on stderr; returns CLI_EXIT_FAILED. */
int cli_fail(const char *prog, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "PROG: what failed" from @e; returns CLI_EXIT_FAILED. */
int cli_fail_error(const char *prog, const struct cpool_error *e);

/* Setters: their targets are bool, const char *, long long, double (seconds), uint64_t. */
cli_setter cli_set_flag, cli_set_string, cli_set_int, cli_set_duration, cli_set_size;

/* Strict integer: the whole text, base 10, within min..max. */
int cli_parse_long(const char *text, long long min, long long max, long long *out);

/*
 * Table entries.  The conditional in CLI_TARGET_ checks @var's type at
 * compile time: a long long option cannot be pointed at an int.
 */
#define CLI_TARGET_(type, var) ((void *)(1 ? (var) : (type *)0))
#define CLI_FLAG(letter_, name_, var, help_)                                                \
	{                                                                                   \
		.name = (name_), .letter = (letter_), .help = (help_), .set = cli_set_flag, \
		.target = CLI_TARGET_(bool, var)                                            \
	}
#define CLI_STRING(letter_, name_, arg_, var, help_)                                  \
	{                                                                             \
		.name = (name_), .letter = (letter_), .arg = (arg_), .help = (help_), \
		.set = cli_set_string, .target = CLI_TARGET_(const char *, var)       \
	}
#define CLI_INT(letter_, name_, arg_, var, min_, max_, help_)                                     \
	{                                                                                         \
		.name = (name_), .letter = (letter_), .arg = (arg_), .help = (help_),             \
		.set = cli_set_int, .target = CLI_TARGET_(long long, var), .min = (double)(min_), \
		.max = (double)(max_)                                                             \
	}
/* Seconds from "90s", "5m", "250ms", "2" (seconds); min..max when not both 0. */
#define CLI_DURATION(letter_, name_, arg_, var, min_, max_, help_)                          \
	{                                                                                   \
		.name = (name_), .letter = (letter_), .arg = (arg_), .help = (help_),       \
		.set = cli_set_duration, .target = CLI_TARGET_(double, var), .min = (min_), \
		.max = (max_)                                                               \
	}
/* Bytes from "512M", "2G"; at most max_ when it is not 0. */
#define CLI_SIZE(letter_, name_, arg_, var, max_, help_)                                         \
	{                                                                                        \
		.name = (name_), .letter = (letter_), .arg = (arg_), .help = (help_),            \
		.set = cli_set_size, .target = CLI_TARGET_(uint64_t, var), .max = (double)(max_) \
	}
/* A command's own setter, for values that are not one of the above. */
#define CLI_CUSTOM(letter_, name_, arg_, fn, target_, help_)                                       \
	{                                                                                          \
		.name = (name_), .letter = (letter_), .arg = (arg_), .help = (help_), .set = (fn), \
		.target = (target_)                                                                \
	}
#define CLI_END              \
	{                    \
		.name = NULL \
	}

#endif /* CPOOL_CLI_OPTIONS_H */
