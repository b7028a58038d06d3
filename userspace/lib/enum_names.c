// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* Enum value <-> name from one table (cpool/enum_names.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cpool/enum_names.h"

const char *cpool_enum_name(const struct cpool_enum_names *e, int value)
{
	return value >= 0 && value < e->count ? e->names[value] : NULL;
}

int cpool_enum_parse(const struct cpool_enum_names *e, const char *name, int *value)
{
	for (int i = 0; name && i < e->count; i++) {
		if (e->names[i] && strcmp(name, e->names[i]) == 0) {
			*value = i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *cpool_enum_list(struct cpool_enum_names *e)
{
	size_t used = 0;

	if (e->list[0])
		return e->list;
	for (int i = 0; i < e->count; i++) {
		if (!e->names[i])
			continue;
		used += (size_t)snprintf(e->list + used, sizeof(e->list) - used, "%s%s",
					 used ? ", " : "", e->names[i]);
		if (used >= sizeof(e->list)) {
			/* Never silently short: a list too long for the buffer is a bug to see. */
			snprintf(e->list + sizeof(e->list) - 4, 4, "...");
			break;
		}
	}
	return e->list;
}
