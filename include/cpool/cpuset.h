/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Fixed-size sets of CPU (or NUMA node) numbers, with the kernel's list
 * syntax ("0-3,8,10-11") for parsing and printing.  Used for cpuset.cpus,
 * cpuset.mems, topology masks and planner bookkeeping alike.
 */
#ifndef CPOOL_CPUSET_H
#define CPOOL_CPUSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CPOOL_MAX_CPUS 4096

struct cpool_cpuset {
	uint64_t bits[CPOOL_MAX_CPUS / 64];
};

void cpool_cpuset_zero(struct cpool_cpuset *s);
/* Out-of-range numbers are ignored by set and never "set". */
void cpool_cpuset_set(struct cpool_cpuset *s, int cpu);
bool cpool_cpuset_isset(const struct cpool_cpuset *s, int cpu);
void cpool_cpuset_set_range(struct cpool_cpuset *s, int first, int last);

int cpool_cpuset_count(const struct cpool_cpuset *s);
bool cpool_cpuset_empty(const struct cpool_cpuset *s);
/* First member, or -1 when empty. */
int cpool_cpuset_first(const struct cpool_cpuset *s);
/* Next member after @prev, or -1: for (c = first(s); c >= 0; c = next(s, c)). */
int cpool_cpuset_next(const struct cpool_cpuset *s, int prev);
/* Highest member, or -1 when empty. */
int cpool_cpuset_last(const struct cpool_cpuset *s);

void cpool_cpuset_or(struct cpool_cpuset *dst, const struct cpool_cpuset *a,
		     const struct cpool_cpuset *b);
void cpool_cpuset_and(struct cpool_cpuset *dst, const struct cpool_cpuset *a,
		      const struct cpool_cpuset *b);
/* dst = a & ~b */
void cpool_cpuset_andnot(struct cpool_cpuset *dst, const struct cpool_cpuset *a,
			 const struct cpool_cpuset *b);
bool cpool_cpuset_equal(const struct cpool_cpuset *a, const struct cpool_cpuset *b);
bool cpool_cpuset_intersects(const struct cpool_cpuset *a, const struct cpool_cpuset *b);
/* Every member of @a is in @b. */
bool cpool_cpuset_subset(const struct cpool_cpuset *a, const struct cpool_cpuset *b);

/*
 * Parse a kernel CPU list: comma-separated numbers and ranges "a-b", with
 * optional surrounding white space; "" is the empty set.  Returns 0,
 * -EINVAL on bad syntax (or a range a > b), -ERANGE for a number at or past
 * CPOOL_MAX_CPUS.  On error *@bad (when not NULL) points at the offending
 * character so the caller can say where.
 */
int cpool_cpuset_parse(struct cpool_cpuset *s, const char *text, const char **bad);

/*
 * Print as a compact list ("0-3,8").  Behaves like snprintf: returns the
 * length the full text needs, writes at most @len bytes including the NUL.
 */
int cpool_cpuset_format(const struct cpool_cpuset *s, char *buf, size_t len);

#endif /* CPOOL_CPUSET_H */
