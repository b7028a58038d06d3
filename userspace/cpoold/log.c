// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* Messages on stderr, one line each: the journal adds time and unit. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cpoold.h"

enum log_level log_threshold = LOG_INFO;

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	/* sd-daemon(3) priority prefixes, so journald files each line right. */
	static const char *const prio[] = { "<3>", "<4>", "<6>", "<7>" };
	char line[2048];
	va_list ap;

	if (lvl > log_threshold)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* Under systemd stderr goes to the journal, which reads the prefixes. */
	fprintf(stderr, "%scpoold: %s: %s\n", getenv("JOURNAL_STREAM") ? prio[lvl] : "", names[lvl],
		line);
}
