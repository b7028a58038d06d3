/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The allocation ("fit") algorithms shared by the partition planner, which
 * places virtual servers on NUMA nodes / L3 groups, and the job placement
 * policies, which place jobs on virtual servers.  One set of names for both.
 */
#ifndef CPOOL_FIT_H
#define CPOOL_FIT_H

enum cpool_fit {
	CPOOL_FIT_FIRST, /* "first-fit": the first candidate that fits, in order */
	CPOOL_FIT_BEST, /* "best-fit": the fullest candidate that still fits */
	CPOOL_FIT_WORST, /* "worst-fit": the emptiest candidate */
	CPOOL_FIT_BALANCED, /* "balanced": keep candidates' free capacity even */
	CPOOL_FIT__COUNT,
};

/* "first-fit" etc.; NULL for an out-of-range value. */
const char *cpool_fit_name(enum cpool_fit fit);
/* 0 and *fit set, or -EINVAL for an unknown name. */
int cpool_fit_parse(const char *name, enum cpool_fit *fit);
/* "first-fit, best-fit, worst-fit, balanced": for error messages. */
const char *cpool_fit_names(void);

/*
 * Pick among candidates by free capacity: returns the index of the chosen
 * candidate among those with free[i] >= need, or -1 when none fits.  Ties
 * go to the lowest index, so the choice is deterministic.
 *   first-fit: lowest index; best-fit: least free; worst-fit and balanced:
 *   most free (balanced differs from worst-fit where callers weigh free by
 *   capacity: it keeps the *fraction* free even; pass fractions scaled to
 *   integers in @free for that).
 */
int cpool_fit_choose(enum cpool_fit fit, const long *free, int n, long need);

#endif /* CPOOL_FIT_H */
