// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* Messages on stderr, one line each: the journal adds time and unit. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cpoold.h"

enum log_level log_threshold = CPOOLD_LOG_INFO;

size_t log_escape(const char *in, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (!outlen)
		return 0;
	for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
		/* Room for the longest form, \xNN, and the terminating NUL. */
		if (o + 5 > outlen)
			break;
		if (*p < 0x20 || *p == 0x7f) {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 15];
		} else if (*p == '\\') {
			out[o++] = '\\';
			out[o++] = '\\';
		} else {
			out[o++] = (char)*p;
		}
	}
	out[o] = '\0';
	return o;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	/* sd-daemon(3) priority prefixes, so journald files each line right. */
	static const char *const prio[] = { "<3>", "<4>", "<6>", "<7>" };
	char line[2048], safe[4 * sizeof(line)];
	va_list ap;

	if (lvl > log_threshold)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/*
	 * Messages carry user text (job names, paths, argv[0]).  A newline in
	 * it would start a line of the user's choosing, "<0>..." an emergency
	 * in the journal: every control character is escaped, in the whole
	 * message, so no caller can forget one.
	 */
	log_escape(line, safe, sizeof(safe));
	/* Under systemd stderr goes to the journal, which reads the prefixes. */
	fprintf(stderr, "%scpoold: %s: %s\n", getenv("JOURNAL_STREAM") ? prio[lvl] : "", names[lvl],
		safe);
}
