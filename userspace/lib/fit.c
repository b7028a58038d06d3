// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "cpool/fit.h"

static const char *const fit_names[CPOOL_FIT__COUNT] = {
	[CPOOL_FIT_FIRST] = "first-fit",
	[CPOOL_FIT_BEST] = "best-fit",
	[CPOOL_FIT_WORST] = "worst-fit",
	[CPOOL_FIT_BALANCED] = "balanced",
};

const char *cpool_fit_name(enum cpool_fit fit)
{
	if ((unsigned)fit >= CPOOL_FIT__COUNT)
		return NULL;
	return fit_names[fit];
}

int cpool_fit_parse(const char *name, enum cpool_fit *fit)
{
	for (int i = 0; i < CPOOL_FIT__COUNT; i++) {
		if (strcmp(name, fit_names[i]) == 0) {
			*fit = (enum cpool_fit)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *cpool_fit_names(void)
{
	return "first-fit, best-fit, worst-fit, balanced";
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
