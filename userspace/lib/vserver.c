// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#include <errno.h>
#include <string.h>

#include "cpool/vserver.h"

int cpool_vs_name_check(const char *name)
{
	size_t n = strlen(name);

	/* It becomes a directory name: refuse anything that could escape or hide. */
	if (n == 0 || n > CPOOL_VS_NAME_MAX || name[0] == '.')
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '.'))
			return -EINVAL;
	}
	return 0;
}
