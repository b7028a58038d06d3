// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* Option parsing and --help for every cpool command (cli_options.h). */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli_options.h"
#include "cpool/apiclient.h"
#include "cpool/units.h"

/* A command's own options and the common ones; getopt values of long-only options start here. */
#define MAX_OPTIONS 48
#define LONG_ONLY_BASE 0x100
/* Where the help text of an option starts: "  -j, --mlfq-quanta LIST  help". */
#define HELP_COLUMN 26

/* The command's options followed by the common ones, with their targets in @args. */
static int all_options(const struct cli_spec *spec, const struct cli_option *opts,
		       struct cli_args *args, struct cli_option *all)
{
	int n = 0;

	for (; opts && opts->name; opts++) {
		if (n == MAX_OPTIONS - 3)
			return -E2BIG;
		all[n++] = *opts;
	}
	if (spec->json_help)
		all[n++] = (struct cli_option)CLI_FLAG('j', "json", &args->json, spec->json_help);
	if (spec->socket)
		all[n++] = (struct cli_option)CLI_STRING(
			0, "socket", "PATH", &args->socket,
			"cpoold's API socket (default: $CPOOL_SOCKET, else\n" CPOOL_DEFAULT_SOCKET
			")");
	all[n++] = (struct cli_option){ .name = "help", .letter = 'h', .help = "this text" };
	all[n] = (struct cli_option)CLI_END;
	return n;
}

static void help_line(const struct cli_option *o, FILE *out)
{
	char left[128];
	int len;

	len = snprintf(left, sizeof(left), "  %c%c%s--%s%s%s", o->letter ? '-' : ' ',
		       o->letter ? o->letter : ' ', o->letter ? ", " : "  ", o->name,
		       o->arg ? " " : "", o->arg ? o->arg : "");
	fputs(left, out);
	if (len >= HELP_COLUMN - 1)
		fprintf(out, "\n%*s", HELP_COLUMN, "");
	else
		fprintf(out, "%*s", HELP_COLUMN - len, "");
	for (const char *h = o->help; *h; h++) {
		fputc(*h, out);
		if (*h == '\n')
			fprintf(out, "%*s", HELP_COLUMN, "");
	}
	fputc('\n', out);
}

void cli_help(const struct cli_spec *spec, const struct cli_option *opts, FILE *out)
{
	struct cli_option all[MAX_OPTIONS];
	struct cli_args unused;
	int n = all_options(spec, opts, &unused, all);

	fprintf(out, "%s\n", spec->usage);
	if (spec->about)
		fprintf(out, "\n%s\n", spec->about);
	fputc('\n', out);
	for (int i = 0; i < n; i++)
		if (all[i].help)
			help_line(&all[i], out);
	if (spec->epilog)
		fprintf(out, "\n%s\n", spec->epilog);
}

static int find_letter(const struct cli_option *all, int n, int letter)
{
	for (int i = 0; i < n; i++)
		if (all[i].letter == letter)
			return i;
	return -1;
}

/* The option getopt complained about, as the user typed it: "--json" of "--json=3", "-x". */
static void name_option(const struct cli_option *all, int n, int optopt_value, const char *typed,
			char *buf, size_t len)
{
	if (typed && strncmp(typed, "--", 2) == 0)
		snprintf(buf, len, "%.*s", (int)strcspn(typed, "="), typed);
	else if (optopt_value >= LONG_ONLY_BASE && optopt_value < LONG_ONLY_BASE + n)
		snprintf(buf, len, "--%s", all[optopt_value - LONG_ONLY_BASE].name);
	else if (optopt_value > 0 && optopt_value < LONG_ONLY_BASE)
		snprintf(buf, len, "-%c", optopt_value);
	else
		snprintf(buf, len, "%s", typed ? typed : "?");
}

/* How many long names start with @typed ("--s": --socket, --since), for the message. */
static int prefix_matches(const struct cli_option *all, int n, const char *typed)
{
	int count = 0;

	if (strncmp(typed, "--", 2) || !typed[2])
		return 0;
	for (int i = 0; i < n; i++)
		count += strncmp(all[i].name, typed + 2, strlen(typed + 2)) == 0;
	return count;
}

int cli_parse(const struct cli_spec *spec, const struct cli_option *opts, int argc, char **argv,
	      struct cli_args *args)
{
	struct cli_option all[MAX_OPTIONS];
	struct option longopts[MAX_OPTIONS];
	char shortopts[2 * MAX_OPTIONS + 3], *s = shortopts, which[160];
	int n, c;

	*args = (struct cli_args){ 0 };
	n = all_options(spec, opts, args, all);
	if (n < 0)
		return cli_fail(spec->prog, "too many options (a bug)");
	if (spec->options_first)
		*s++ = '+';
	*s++ = ':'; /* a missing argument is ':', not '?' */
	for (int i = 0; i < n; i++) {
		longopts[i] =
			(struct option){ all[i].name, all[i].arg ? required_argument : no_argument,
					 NULL, all[i].letter ? all[i].letter : LONG_ONLY_BASE + i };
		if (all[i].letter) {
			*s++ = (char)all[i].letter;
			if (all[i].arg)
				*s++ = ':';
		}
	}
	*s = '\0';
	longopts[n] = (struct option){ 0 };

	opterr = 0; /* every message is ours, named after the command */
	optind = 0; /* a full re-initialisation of GNU getopt */
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		struct cpool_error e = { 0 };
		const struct cli_option *o;
		int i;

		if (c == '?' || c == ':') {
			name_option(all, n, optopt, argv[optind - 1], which, sizeof(which));
			if (c == ':')
				return cli_usage_error(spec->prog, "%s needs a value", which);
			if (optopt >= LONG_ONLY_BASE ||
			    (optopt && find_letter(all, n, optopt) >= 0))
				return cli_usage_error(spec->prog, "%s takes no value", which);
			if (prefix_matches(all, n, which) > 1)
				return cli_usage_error(spec->prog,
						       "'%s' is ambiguous: spell it out", which);
			return cli_usage_error(spec->prog, "unknown option '%s'", which);
		}
		i = c >= LONG_ONLY_BASE ? c - LONG_ONLY_BASE : find_letter(all, n, c);
		if (i < 0 || i >= n)
			return cli_fail(spec->prog, "getopt returned %d (a bug)", c);
		o = &all[i];
		if (!o->set) { /* --help */
			cli_help(spec, opts, stdout);
			return CLI_EXIT_OK;
		}
		if (o->set(o, o->arg ? optarg : NULL, &e))
			return cli_usage_error(spec->prog, "--%s: %s", o->name, e.msg);
	}
	args->argc = argc - optind;
	args->argv = argv + optind;
	if (args->argc && !spec->operands)
		return cli_usage_error(spec->prog, "unexpected argument '%s'", args->argv[0]);
	return CLI_PARSED;
}

/* "PROG: MESSAGE" on stderr. */
static void put_message(const char *prog, const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int cli_usage_error(const char *prog, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	put_message(prog, fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try '%s --help'.\n", prog);
	return CLI_EXIT_USAGE;
}

int cli_fail(const char *prog, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	put_message(prog, fmt, ap);
	va_end(ap);
	return CLI_EXIT_FAILED;
}

int cli_fail_error(const char *prog, const struct cpool_error *e)
{
	return cli_fail(prog, "%s", e->msg[0] ? e->msg : strerror(e->err < 0 ? -e->err : EIO));
}

int cli_parse_long(const char *text, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	if (!text || !*text || isspace((unsigned char)*text))
		return -EINVAL;
	errno = 0;
	v = strtoll(text, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

/* min..max; max 0 means no upper bound, and both 0 no bound at all. */
static bool has_lower(const struct cli_option *o)
{
	return o->min != 0 || o->max != 0;
}

static bool has_upper(const struct cli_option *o)
{
	return o->max != 0;
}

int cli_set_flag(const struct cli_option *o, const char *arg, struct cpool_error *e)
{
	*(bool *)o->target = true;
	return 0;
}

int cli_set_string(const struct cli_option *o, const char *arg, struct cpool_error *e)
{
	*(const char **)o->target = arg;
	return 0;
}

int cli_set_int(const struct cli_option *o, const char *arg, struct cpool_error *e)
{
	long long min = has_lower(o) ? (long long)o->min : LLONG_MIN;
	long long max = has_upper(o) ? (long long)o->max : LLONG_MAX;

	if (!cli_parse_long(arg, min, max, o->target))
		return 0;
	if (has_upper(o))
		return cpool_error_set(e, -EINVAL, "'%s' is not a whole number %lld..%lld", arg,
				       min, max);
	if (has_lower(o))
		return cpool_error_set(e, -EINVAL, "'%s' is not a whole number of at least %lld",
				       arg, min);
	return cpool_error_set(e, -EINVAL, "'%s' is not a whole number", arg);
}

/* "100ms", "1h": a bound as the user would write it. */
static void bound_text(double s, char *buf, size_t len)
{
	if (s < 1)
		snprintf(buf, len, "%gms", s * 1000);
	else if (s >= 3600 && s == (double)(long long)(s / 3600) * 3600)
		snprintf(buf, len, "%gh", s / 3600);
	else
		snprintf(buf, len, "%gs", s);
}

int cli_set_duration(const struct cli_option *o, const char *arg, struct cpool_error *e)
{
	double *seconds = o->target, v;
	char lo[32], hi[32];

	if (!cpool_parse_duration(arg, &v) && !(has_lower(o) && v < o->min) &&
	    !(has_upper(o) && v > o->max)) {
		*seconds = v;
		return 0;
	}
	bound_text(o->min, lo, sizeof(lo));
	bound_text(o->max, hi, sizeof(hi));
	if (has_upper(o))
		return cpool_error_set(e, -EINVAL, "'%s' is not a duration from %s to %s", arg, lo,
				       hi);
	if (has_lower(o))
		return cpool_error_set(e, -EINVAL, "'%s' is not a duration of at least %s", arg,
				       lo);
	return cpool_error_set(e, -EINVAL, "'%s' is not a duration like 90s or 5m", arg);
}

int cli_set_size(const struct cli_option *o, const char *arg, struct cpool_error *e)
{
	uint64_t *bytes = o->target, v;

	if (cpool_parse_size(arg, &v) || (has_upper(o) && (double)v > o->max))
		return cpool_error_set(e, -EINVAL, "'%s' is not a size like 512M or 2G", arg);
	*bytes = v;
	return 0;
}
