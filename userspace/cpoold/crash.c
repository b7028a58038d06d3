// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* Crash points (crash.h): only in build/cpoold-crash. */
#include "crash.h"

#ifdef CPOOL_CRASH_POINTS
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const names[CRASH__COUNT] = {
#define CRASH_NAME(id, name) [CRASH_##id] = name,
	CRASH_POINT_LIST(CRASH_NAME)
#undef CRASH_NAME
};

static int armed = -1; /* the point to fire at, or -1 */
static long fire_at = 1; /* on its N-th pass */
static long passes;

int crash_points_init(void)
{
	const char *spec = getenv("CPOOL_CRASH_AT");
	const char *colon;
	size_t len;

	if (!spec || !*spec)
		return 0;
	colon = strchr(spec, ':');
	len = colon ? (size_t)(colon - spec) : strlen(spec);
	if (colon) {
		char *end;

		fire_at = strtol(colon + 1, &end, 10);
		if (*end || fire_at < 1) {
			fprintf(stderr, "cpoold: CPOOL_CRASH_AT=%s: the count must be >= 1\n",
				spec);
			return -EINVAL;
		}
	}
	for (int i = 0; i < CRASH__COUNT; i++) {
		if (strlen(names[i]) == len && strncmp(names[i], spec, len) == 0) {
			armed = i;
			return 0;
		}
	}
	fprintf(stderr, "cpoold: CPOOL_CRASH_AT=%s: no such crash point (--crash-points)\n", spec);
	return -EINVAL;
}

void crash_points_print(void)
{
	for (int i = 0; i < CRASH__COUNT; i++)
		printf("%s\n", names[i]);
}

void crash_point(enum crash_point p)
{
	char msg[128];
	int n;

	if ((int)p != armed || ++passes < fire_at)
		return;
	n = snprintf(msg, sizeof(msg), "cpoold: crash point %s (pass %ld): SIGKILL\n", names[p],
		     passes);
	if (n > 0 && write(STDERR_FILENO, msg, (size_t)n) < 0)
		n = 0;
	raise(SIGKILL);
}
#endif
