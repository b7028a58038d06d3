// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cpool/units.h"

/* Number with optional fraction, no sign, no exponent, no hex: what people type. */
static int parse_decimal(const char *text, double *value, const char **rest)
{
	const char *p = text;
	int dots = 0;
	char *end;

	while (isspace((unsigned char)*p))
		p++;
	if (!isdigit((unsigned char)*p) && !(*p == '.' && isdigit((unsigned char)p[1])))
		return -EINVAL;
	for (const char *q = p; isdigit((unsigned char)*q) || *q == '.'; q++)
		if (*q == '.' && ++dots > 1)
			return -EINVAL;
	errno = 0;
	*value = strtod(p, &end);
	if (errno || end == p)
		return -EINVAL;
	/* strtod would take "1e3" or "0x10"; refuse what we do not document. */
	for (const char *q = p; q < end; q++)
		if (!isdigit((unsigned char)*q) && *q != '.')
			return -EINVAL;
	*rest = end;
	return 0;
}

static bool only_space(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	return *s == '\0';
}

int cpool_parse_size(const char *text, uint64_t *bytes)
{
	static const char units[] = "KMGTPE";
	const char *rest, *u;
	double v, mult = 1;
	int err;

	err = parse_decimal(text, &v, &rest);
	if (err)
		return err;
	if (*rest && !isspace((unsigned char)*rest)) {
		u = strchr(units, toupper((unsigned char)*rest));
		if (u) {
			mult = ldexp(1.0, 10 * (int)(u - units + 1));
			rest++;
			if (*rest == 'i' || *rest == 'I')
				rest++;
			if (*rest == 'B' || *rest == 'b')
				rest++;
		} else if (*rest == 'B' || *rest == 'b') {
			rest++;
		}
	}
	if (!only_space(rest))
		return -EINVAL;
	v *= mult;
	if (v >= 18446744073709551616.0)
		return -ERANGE;
	*bytes = (uint64_t)llround(v);
	return 0;
}

int cpool_parse_duration(const char *text, double *seconds)
{
	static const struct {
		const char *suffix;
		double scale;
	} units[] = {
		{ "ns", 1e-9 }, { "us", 1e-6 }, { "ms", 1e-3 }, { "s", 1 },
		{ "m", 60 },	{ "min", 60 },	{ "h", 3600 },	{ "d", 86400 },
	};
	const char *rest, *end;
	double v;
	size_t n;
	int err;

	err = parse_decimal(text, &v, &rest);
	if (err)
		return err;
	end = rest;
	while (isalpha((unsigned char)*end))
		end++;
	n = (size_t)(end - rest);
	if (n) {
		size_t i;

		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (strlen(units[i].suffix) == n &&
			    strncasecmp(rest, units[i].suffix, n) == 0)
				break;
		if (i == sizeof(units) / sizeof(units[0]))
			return -EINVAL;
		v *= units[i].scale;
	}
	if (!only_space(end))
		return -EINVAL;
	*seconds = v;
	return 0;
}

int cpool_format_size(uint64_t bytes, char *buf, size_t len)
{
	static const char units[] = "KMGTPE";
	int i = -1;
	double v = (double)bytes;

	/* Exact multiples print without a fraction: 512M, not 0.5G. */
	while (i < 5 && bytes && bytes % 1024 == 0) {
		bytes /= 1024;
		i++;
	}
	if (i >= 0)
		return snprintf(buf, len, "%llu%c", (unsigned long long)bytes, units[i]);
	for (i = -1; v >= 1024 && i < 5; i++)
		v /= 1024;
	if (i < 0)
		return snprintf(buf, len, "%llu", (unsigned long long)bytes);
	return snprintf(buf, len, "%.1f%c", v, units[i]);
}
