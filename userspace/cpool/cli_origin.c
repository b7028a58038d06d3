// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#include <stdio.h>
#include <string.h>

#include "cli_origin.h"

const char *cli_origin(const json_t *job, char *buf, size_t len)
{
	const char *origin = json_string_value(json_object_get(job, "origin"));
	json_t *sjob = json_object_get(job, "slurm_job");
	json_t *step = json_object_get(job, "slurm_step");

	if (!origin || strcmp(origin, "slurm") != 0)
		return origin ? origin : "cpool";
	if (!json_is_integer(sjob))
		return origin;
	if (json_is_string(step))
		snprintf(buf, len, "slurm %lld.%s", (long long)json_integer_value(sjob),
			 json_string_value(step));
	else if (json_is_integer(step))
		snprintf(buf, len, "slurm %lld.%lld", (long long)json_integer_value(sjob),
			 (long long)json_integer_value(step));
	else
		snprintf(buf, len, "slurm %lld", (long long)json_integer_value(sjob));
	return buf;
}
