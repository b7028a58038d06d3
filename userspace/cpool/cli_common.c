// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* Helpers shared by the cpool commands that talk to cpoold (cli_common.h). */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli_common.h"
#include "cpool/units.h"

struct cpool_apiclient *cli_connect(const char *prog, const char *socket)
{
	struct cpool_apiclient *c = NULL;
	struct cpool_error err;

	if (cpool_apiclient_connect(socket, &c, &err)) {
		cli_fail(prog, "%s", err.msg);
		return NULL;
	}
	return c;
}

int cli_request(struct cpool_apiclient *c, const char *prefix, enum cpool_op op, json_t *args,
		json_t **result, int timeout_ms)
{
	struct cpool_error err;
	int r;

	r = cpool_apiclient_call(c, op, args, result, timeout_ms, &err);
	if (r)
		cli_fail(prefix, "%s", err.msg);
	return r;
}

int cli_call(const char *prog, const char *socket, enum cpool_op op, json_t *args, json_t **result)
{
	struct cpool_apiclient *c = cli_connect(prog, socket);
	int r;

	*result = NULL;
	if (!c) {
		json_decref(args);
		return CLI_EXIT_FAILED;
	}
	r = cli_request(c, prog, op, args, result, CLI_TIMEOUT_MS);
	cpool_apiclient_close(c);
	return r ? CLI_EXIT_FAILED : CLI_EXIT_OK;
}

void cli_print_json(const json_t *value)
{
	json_dumpf(value, stdout, JSON_INDENT(2));
	putchar('\n');
	fflush(stdout);
}

static bool all_digits(const char *s, bool allow_dot)
{
	bool any = false;

	for (; *s; s++) {
		if (isdigit((unsigned char)*s))
			any = true;
		else if (!(allow_dot && *s == '.'))
			return false;
	}
	return any;
}

int cli_parse_time(const char *text, double now, double *out)
{
	static const char *const formats[] = { "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S",
					       "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d" };
	double ago;

	/* A bare number is a unix time, not seconds ago: "1h" says "ago". */
	if (all_digits(text, true)) {
		char *end;

		*out = strtod(text, &end);
		return *end || !isfinite(*out) ? -EINVAL : 0;
	}
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		struct tm tm = { .tm_isdst = -1 };
		const char *end = strptime(text, formats[i], &tm);
		time_t t;

		if (!end || *end)
			continue;
		tm.tm_isdst = -1;
		t = mktime(&tm);
		if (t == (time_t)-1)
			return -EINVAL;
		*out = (double)t;
		return 0;
	}
	if (cpool_parse_duration(text, &ago) == 0) {
		*out = now - ago;
		return 0;
	}
	return -EINVAL;
}

int cli_parse_user(const char *text, uid_t *uid)
{
	struct passwd *pw;
	long long v;

	if (all_digits(text, false)) {
		if (cli_parse_long(text, 0, (long long)UINT32_MAX - 1, &v))
			return -ERANGE;
		*uid = (uid_t)v;
		return 0;
	}
	pw = getpwnam(text);
	if (!pw)
		return -ENOENT;
	*uid = pw->pw_uid;
	return 0;
}

double cli_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void cli_format_duration(double s, char *buf, size_t len)
{
	long long whole;

	if (!isfinite(s) || s < 0) {
		snprintf(buf, len, "-");
		return;
	}
	if (s < 1) {
		snprintf(buf, len, "%.0fms", s * 1000);
		return;
	}
	if (s < 60) {
		snprintf(buf, len, "%.1fs", s);
		return;
	}
	whole = (long long)s;
	if (whole < 3600)
		snprintf(buf, len, "%lldm%02llds", whole / 60, whole % 60);
	else if (whole < 86400)
		snprintf(buf, len, "%lldh%02lldm", whole / 3600, whole / 60 % 60);
	else
		snprintf(buf, len, "%lldd%02lldh", whole / 86400, whole / 3600 % 24);
}

void cli_format_usec(double us, char *buf, size_t len)
{
	if (!isfinite(us) || us < 0)
		snprintf(buf, len, "-");
	else if (us < 1000)
		snprintf(buf, len, "%.0fus", us);
	else if (us < 1e6)
		snprintf(buf, len, "%.1fms", us / 1e3);
	else
		snprintf(buf, len, "%.1fs", us / 1e6);
}

const char *cli_user_name(uid_t uid)
{
	/* A listing names the same few users many times; NSS may be slow (LDAP). */
	static struct {
		uid_t uid;
		char name[64];
	} cache[32];
	static unsigned used, next;
	struct passwd *pw;
	unsigned i;

	for (i = 0; i < used; i++)
		if (cache[i].uid == uid)
			return cache[i].name;
	i = used < 32 ? used++ : next++ % 32;
	cache[i].uid = uid;
	pw = getpwuid(uid);
	if (pw && strlen(pw->pw_name) < sizeof(cache[i].name))
		snprintf(cache[i].name, sizeof(cache[i].name), "%s", pw->pw_name);
	else
		snprintf(cache[i].name, sizeof(cache[i].name), "%u", (unsigned)uid);
	return cache[i].name;
}

const char *cli_signal_name(int sig)
{
	static char buf[32];
	const char *abbrev = sig > 0 ? sigabbrev_np(sig) : NULL;

	if (abbrev)
		snprintf(buf, sizeof(buf), "SIG%s", abbrev);
	else
		snprintf(buf, sizeof(buf), "signal %d", sig);
	return buf;
}

long long cli_json_int(const json_t *obj, const char *key, long long def)
{
	json_t *v = json_object_get(obj, key);

	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_real(v) && fabs(json_real_value(v)) < 9e18)
		return (long long)json_real_value(v);
	return def;
}

double cli_json_num(const json_t *obj, const char *key, double def)
{
	json_t *v = json_object_get(obj, key);

	return json_is_number(v) ? json_number_value(v) : def;
}

const char *cli_json_str(const json_t *obj, const char *key, const char *def)
{
	json_t *v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : def;
}

struct cli_table {
	const struct cli_column *cols;
	int ncols;
	char **cells;
	size_t count, cap;
};

struct cli_table *cli_table_new(const struct cli_column *cols, int ncols)
{
	struct cli_table *t;

	if (ncols < 1 || ncols > CLI_TABLE_MAX_COLUMNS)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (t) {
		t->cols = cols;
		t->ncols = ncols;
	}
	return t;
}

void cli_table_cell(struct cli_table *t, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (!t)
		return;
	if (t->count == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		char **cells = realloc(t->cells, cap * sizeof(*cells));

		if (!cells)
			return;
		t->cells = cells;
		t->cap = cap;
	}
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (!s)
		return;
	for (unsigned char *p = (unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			*p = '?';
	t->cells[t->count++] = s;
}

static void table_line(const struct cli_table *t, const size_t *width, char *const *cells,
		       size_t count, FILE *out)
{
	for (int c = 0; c < t->ncols; c++) {
		const char *s = (size_t)c < count ? cells[c] : "";

		if (c)
			fputs("  ", out);
		if (t->cols[c].right)
			fprintf(out, "%*s", (int)width[c], s);
		else
			fprintf(out, "%-*s", c == t->ncols - 1 ? 0 : (int)width[c], s);
	}
	fputc('\n', out);
}

void cli_table_print(const struct cli_table *t, FILE *out)
{
	size_t width[CLI_TABLE_MAX_COLUMNS];
	char *headers[CLI_TABLE_MAX_COLUMNS];

	if (!t || t->ncols < 1 || t->ncols > CLI_TABLE_MAX_COLUMNS)
		return;
	for (int c = 0; c < t->ncols; c++) {
		headers[c] = (char *)t->cols[c].header;
		width[c] = strlen(headers[c]);
	}
	for (size_t i = 0; i < t->count; i++) {
		size_t w = strlen(t->cells[i]);

		if (w > width[i % (size_t)t->ncols])
			width[i % (size_t)t->ncols] = w;
	}
	table_line(t, width, headers, (size_t)t->ncols, out);
	for (size_t i = 0; i < t->count; i += (size_t)t->ncols)
		table_line(t, width, t->cells + i, t->count - i, out);
}

void cli_table_free(struct cli_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->count; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

/*
 * The job's outcome as this process's exit status, explained on stderr when
 * not plain (@prog prefixes the message).  Only a job that ran to its end ("done") passes on its exit
 * code: a failed or cancelled job never makes wait succeed, whatever
 * exit_code its record carries.
 */
int cli_job_exit_status(const char *prog, long long id, const json_t *rec)
{
	const char *error = cli_json_str(rec, "error", NULL);
	const char *state = cli_json_str(rec, "state", "");
	long long code = cli_json_int(rec, "exit_code", -1);
	int sig = (int)cli_json_int(rec, "signal", 0);
	bool oom = json_is_true(json_object_get(rec, "oom"));
	bool cancelled = strcmp(state, "cancelled") == 0;
	bool timeout = strcmp(state, "timeout") == 0;

	if (error || strcmp(state, "failed") == 0) {
		fprintf(stderr, "%s: job %lld did not start: %s\n", prog, id,
			error ? error : "the daemon gave no reason");
		return CLI_EXIT_FAILED;
	}
	if (sig > 0 && sig < 128) {
		fprintf(stderr, "job %lld killed by %s%s\n", id, cli_signal_name(sig),
			oom	  ? " (out of memory)" :
			cancelled ? " (cancelled)" :
			timeout	  ? " (time limit)" :
				    "");
		return 128 + sig;
	}
	if (timeout) {
		/* It handled the SIGTERM and exited: still not a success. */
		fprintf(stderr, "%s: job %lld reached its time limit (exit %lld)\n", prog, id,
			code);
		return CLI_EXIT_FAILED;
	}
	if (cancelled) {
		fprintf(stderr, "%s: job %lld was cancelled%s\n", prog, id,
			json_object_get(rec, "start") ? "" : " before it started");
		return CLI_EXIT_FAILED;
	}
	if (code >= 0 && code <= 255) {
		if (oom)
			fprintf(stderr,
				"job %lld: a process of the job was killed for lack of memory\n",
				id);
		return (int)code;
	}
	fprintf(stderr, "%s: job %lld ended in state '%s' without an exit status\n", prog, id,
		state);
	return CLI_EXIT_FAILED;
}
