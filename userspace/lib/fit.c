// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "cpool/enum_names.h"
#include "cpool/fit.h"

static const char *const fit_table[CPOOL_FIT__COUNT] = {
	[CPOOL_FIT_FIRST] = "first-fit",
	[CPOOL_FIT_BEST] = "best-fit",
	[CPOOL_FIT_WORST] = "worst-fit",
	[CPOOL_FIT_BALANCED] = "balanced",
};

static struct cpool_enum_names fit_names = CPOOL_ENUM_NAMES(fit_table);

const char *cpool_fit_name(enum cpool_fit fit)
{
	return cpool_enum_name(&fit_names, (int)fit);
}

int cpool_fit_parse(const char *name, enum cpool_fit *fit)
{
	int v, err = cpool_enum_parse(&fit_names, name, &v);

	if (!err)
		*fit = (enum cpool_fit)v;
	return err;
}

const char *cpool_fit_names(void)
{
	return cpool_enum_list(&fit_names);
}

int cpool_fit_choose(enum cpool_fit fit, const long *free, int n, long need)
{
	int pick = -1;

	for (int i = 0; i < n; i++) {
		if (free[i] < need)
			continue;
		if (pick < 0) {
			pick = i;
			if (fit == CPOOL_FIT_FIRST)
				break;
			continue;
		}
		if (fit == CPOOL_FIT_BEST ? free[i] < free[pick] : free[i] > free[pick])
			pick = i;
	}
	return pick;
}
