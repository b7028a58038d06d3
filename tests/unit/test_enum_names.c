// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* One table gives an enum's names, its parser and its "a, b, c" list. */
#include <errno.h>

#include "../tap.h"
#include "cpool/enum_names.h"
#include "cpool/fit.h"
#include "cpool/policy.h"

enum colour { RED, GREEN, BLUE_UNUSED, BLUE, COLOUR__COUNT };

static const char *const colour_table[COLOUR__COUNT] = {
	[RED] = "red",
	[GREEN] = "green",
	[BLUE] = "blue",
};

int main(void)
{
	static struct cpool_enum_names colours = CPOOL_ENUM_NAMES(colour_table);
	int v = -1;

	is_int(colours.count, COLOUR__COUNT, "the count comes from the table");
	is_str(cpool_enum_name(&colours, GREEN), "green", "name of a value");
	is_str(cpool_enum_name(&colours, BLUE_UNUSED), NULL, "a hole has no name");
	is_str(cpool_enum_name(&colours, -1), NULL, "below the range: no name");
	is_str(cpool_enum_name(&colours, COLOUR__COUNT), NULL, "past the range: no name");
	is_int(cpool_enum_parse(&colours, "blue", &v), 0, "parse a name");
	is_int(v, BLUE, "to its value, past the hole");
	v = -1;
	is_int(cpool_enum_parse(&colours, "Blue", &v), -EINVAL, "names are exact");
	is_int(v, -1, "and a failed parse leaves the value alone");
	is_int(cpool_enum_parse(&colours, NULL, &v), -EINVAL, "no name parses to nothing");
	is_str(cpool_enum_list(&colours), "red, green, blue", "the list skips the hole");
	is_str(cpool_enum_list(&colours), "red, green, blue", "and is the same the second time");

	/* The modules' lists come from their tables: each name parses back. */
	for (int i = 0; i < CPOOL_SCHED__COUNT; i++) {
		enum cpool_sched s;

		ok(cpool_sched_parse(cpool_sched_name((enum cpool_sched)i), &s) == 0 && (int)s == i,
		   "sched %s round-trips", cpool_sched_name((enum cpool_sched)i));
		ok(strstr(cpool_sched_names(), cpool_sched_name((enum cpool_sched)i)) != NULL,
		   "and is in the list");
	}
	is_str(cpool_fit_names(), "first-fit, best-fit, worst-fit, balanced", "fit list");
	is_str(cpool_place_names(),
	       "first-fit, best-fit, worst-fit, balanced, least-loaded, lowest-latency",
	       "placement list, as it was written by hand");
	is_str(cpool_sched_names(),
	       "fcfs, sjf, srtf, rr, priority, priority-preemptive, hrrn, mlfq, easy, fairshare",
	       "scheduling list, as it was written by hand");
	done_testing();
	return exit_status();
}
