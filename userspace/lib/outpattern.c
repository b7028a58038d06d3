// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Output file patterns (--stdout, --stderr), in the spirit of sbatch's:
 * %j the job's id, %A the array's id, %a the element's index, %u the user,
 * %x the job's name, %% a percent sign.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cpool/jobctl.h"

static const char known[] = "jAaux%";

int cpool_outpattern_check(const char *pattern, struct cpool_error *e)
{
	for (const char *p = pattern; *p; p++) {
		if (*p != '%')
			continue;
		if (!p[1] || !strchr(known, p[1]))
			return cpool_error_set(e, -EINVAL,
					       "'%s': %%%c is not a pattern; use %%j %%A %%a %%u "
					       "%%x or %%%%",
					       pattern, p[1] ? p[1] : ' ');
		p++;
	}
	return 0;
}

int cpool_outpattern_expand(const char *pattern, const struct cpool_outpattern_vars *v, char *out,
			    size_t len, struct cpool_error *e)
{
	size_t n = 0;
	int r = cpool_outpattern_check(pattern, e);

	if (r)
		return r;
	for (const char *p = pattern; *p; p++) {
		char piece[64];
		const char *add = piece;

		if (*p != '%') {
			piece[0] = *p;
			piece[1] = '\0';
		} else {
			switch (*++p) {
			case 'j':
				snprintf(piece, sizeof(piece), "%lld", (long long)v->job);
				break;
			case 'A':
				snprintf(piece, sizeof(piece), "%lld",
					 (long long)(v->array_job > 0 ? v->array_job : v->job));
				break;
			case 'a':
				if (v->array_task >= 0)
					snprintf(piece, sizeof(piece), "%lld",
						 (long long)v->array_task);
				else
					add = "none";
				break;
			case 'u':
				add = v->user ? v->user : "";
				break;
			case 'x':
				add = v->name ? v->name : "";
				break;
			default:
				add = "%";
				break;
			}
		}
		if (n + strlen(add) >= len)
			return cpool_error_set(e, -ENAMETOOLONG,
					       "'%s' expands to more than %zu bytes", pattern,
					       len - 1);
		memcpy(out + n, add, strlen(add));
		n += strlen(add);
	}
	out[n] = '\0';
	return 0;
}
