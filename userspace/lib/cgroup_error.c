// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#include <stdarg.h>
#include <stdio.h>

#include "cpool/cgroup.h"

int cpool_cg_fail(struct cpool_cg_error *e, int err, const char *fmt, ...)
{
	va_list ap;

	if (e) {
		e->err = -err;
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
	}
	return -err;
}
