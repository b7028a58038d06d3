// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cpool/cpuset.h"

#define WORDS (CPOOL_MAX_CPUS / 64)

void cpool_cpuset_zero(struct cpool_cpuset *s)
{
	memset(s, 0, sizeof(*s));
}

void cpool_cpuset_set(struct cpool_cpuset *s, int cpu)
{
	if (cpu >= 0 && cpu < CPOOL_MAX_CPUS)
		s->bits[cpu / 64] |= UINT64_C(1) << (cpu % 64);
}

bool cpool_cpuset_isset(const struct cpool_cpuset *s, int cpu)
{
	if (cpu < 0 || cpu >= CPOOL_MAX_CPUS)
		return false;
	return s->bits[cpu / 64] >> (cpu % 64) & 1;
}

void cpool_cpuset_set_range(struct cpool_cpuset *s, int first, int last)
{
	for (int c = first; c <= last; c++)
		cpool_cpuset_set(s, c);
}

int cpool_cpuset_count(const struct cpool_cpuset *s)
{
	int n = 0;

	for (int i = 0; i < WORDS; i++)
		n += __builtin_popcountll(s->bits[i]);
	return n;
}

bool cpool_cpuset_empty(const struct cpool_cpuset *s)
{
	for (int i = 0; i < WORDS; i++)
		if (s->bits[i])
			return false;
	return true;
}

int cpool_cpuset_next(const struct cpool_cpuset *s, int prev)
{
	int cpu = prev + 1;

	if (cpu < 0)
		cpu = 0;
	for (int i = cpu / 64; i < WORDS; i++) {
		uint64_t w = s->bits[i];

		if (i == cpu / 64)
			w &= ~UINT64_C(0) << (cpu % 64);
		if (w)
			return i * 64 + __builtin_ctzll(w);
	}
	return -1;
}

int cpool_cpuset_first(const struct cpool_cpuset *s)
{
	return cpool_cpuset_next(s, -1);
}

int cpool_cpuset_last(const struct cpool_cpuset *s)
{
	for (int i = WORDS - 1; i >= 0; i--)
		if (s->bits[i])
			return i * 64 + 63 - __builtin_clzll(s->bits[i]);
	return -1;
}

void cpool_cpuset_or(struct cpool_cpuset *dst, const struct cpool_cpuset *a,
		     const struct cpool_cpuset *b)
{
	for (int i = 0; i < WORDS; i++)
		dst->bits[i] = a->bits[i] | b->bits[i];
}

void cpool_cpuset_and(struct cpool_cpuset *dst, const struct cpool_cpuset *a,
		      const struct cpool_cpuset *b)
{
	for (int i = 0; i < WORDS; i++)
		dst->bits[i] = a->bits[i] & b->bits[i];
}

void cpool_cpuset_andnot(struct cpool_cpuset *dst, const struct cpool_cpuset *a,
			 const struct cpool_cpuset *b)
{
	for (int i = 0; i < WORDS; i++)
		dst->bits[i] = a->bits[i] & ~b->bits[i];
}

bool cpool_cpuset_equal(const struct cpool_cpuset *a, const struct cpool_cpuset *b)
{
	return memcmp(a->bits, b->bits, sizeof(a->bits)) == 0;
}

bool cpool_cpuset_intersects(const struct cpool_cpuset *a, const struct cpool_cpuset *b)
{
	for (int i = 0; i < WORDS; i++)
		if (a->bits[i] & b->bits[i])
			return true;
	return false;
}

bool cpool_cpuset_subset(const struct cpool_cpuset *a, const struct cpool_cpuset *b)
{
	for (int i = 0; i < WORDS; i++)
		if (a->bits[i] & ~b->bits[i])
			return false;
	return true;
}

/* Reads a decimal CPU number; leaves *p after it.  Digits only, no sign. */
static int parse_number(const char **p, int *out)
{
	const char *s = *p;
	long v = 0;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	while (isdigit((unsigned char)*s)) {
		v = v * 10 + (*s - '0');
		if (v >= CPOOL_MAX_CPUS)
			return -ERANGE;
		s++;
	}
	*out = (int)v;
	*p = s;
	return 0;
}

static const char *skip_space(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	return s;
}

int cpool_cpuset_parse(struct cpool_cpuset *s, const char *text, const char **bad)
{
	struct cpool_cpuset out;
	const char *p = skip_space(text);
	int err;

	cpool_cpuset_zero(&out);
	if (*p == '\0')
		goto done;
	for (;;) {
		const char *start = p;
		int first, last;

		err = parse_number(&p, &first);
		if (err)
			goto fail;
		last = first;
		if (*p == '-') {
			p++;
			err = parse_number(&p, &last);
			if (err)
				goto fail;
			if (last < first) {
				p = start;
				err = -EINVAL;
				goto fail;
			}
		}
		cpool_cpuset_set_range(&out, first, last);
		p = skip_space(p);
		if (*p == '\0')
			break;
		if (*p != ',') {
			err = -EINVAL;
			goto fail;
		}
		p = skip_space(p + 1);
	}
done:
	*s = out;
	return 0;
fail:
	if (bad)
		*bad = p;
	return err;
}

int cpool_cpuset_format(const struct cpool_cpuset *s, char *buf, size_t len)
{
	size_t used = 0;
	int c = cpool_cpuset_first(s);

	if (len)
		buf[0] = '\0';
	while (c >= 0) {
		int end = c, n;

		while (cpool_cpuset_isset(s, end + 1))
			end++;
		if (end == c)
			n = snprintf(used < len ? buf + used : NULL, used < len ? len - used : 0,
				     "%s%d", used ? "," : "", c);
		else
			n = snprintf(used < len ? buf + used : NULL, used < len ? len - used : 0,
				     "%s%d-%d", used ? "," : "", c, end);
		used += (size_t)n;
		c = cpool_cpuset_next(s, end);
	}
	return (int)used;
}
