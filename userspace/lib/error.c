// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* The one error formatter (cpool/error.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cpool/error.h"

int cpool_error_vset(struct cpool_error *e, int err, const char *fmt, va_list ap)
{
	if (!e)
		return err;
	e->err = err;
	e->line = 0;
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	return err;
}

int cpool_error_set(struct cpool_error *e, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cpool_error_vset(e, err, fmt, ap);
	va_end(ap);
	return err;
}

int cpool_error_prefix(struct cpool_error *e, const char *fmt, ...)
{
	char old[CPOOL_ERROR_MSG_MAX];
	size_t used;
	va_list ap;
	int n;

	if (!e)
		return 0;
	memcpy(old, e->msg, sizeof(old));
	old[sizeof(old) - 1] = '\0';
	va_start(ap, fmt);
	n = vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	used = n < 0 ? 0 : (size_t)n < sizeof(e->msg) ? (size_t)n : sizeof(e->msg) - 1;
	/* Truncation cuts the end of the message, never the context. */
	snprintf(e->msg + used, sizeof(e->msg) - used, ": %.*s", (int)(sizeof(e->msg) - used), old);
	return e->err;
}
