// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* The cgroup operations' spelling of cpool_error_set() (cpool/cgroup.h). */
#include <stdarg.h>

#include "cpool/cgroup.h"

int cpool_cg_fail(struct cpool_error *e, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cpool_error_vset(e, -err, fmt, ap);
	va_end(ap);
	return -err;
}
