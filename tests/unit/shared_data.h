/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Where the shared real-world data is, or why it is not here.
 *
 * `make check` exports CPOOL_SHARED=../shared (hwloc XML exports under
 * topologies/, SWF logs under traces/), but a fresh clone has no ../shared
 * beside it.  The variable being set therefore says nothing: a test that
 * wants the data asks for the subdirectory and skips with the reason this
 * gives when it is missing.  A subdirectory that exists but lacks a file
 * the test names is a broken data set, and the test fails on it.
 *
 *	const char *no_data, *dir = shared_data_dir("topologies", &no_data);
 *	if (!dir)
 *		skip(3, no_data);
 */
#ifndef CPOOL_TESTS_SHARED_DATA_H
#define CPOOL_TESTS_SHARED_DATA_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/*
 * "$CPOOL_SHARED/SUB" when that directory exists; otherwise NULL, and *why
 * is the reason to skip.  Both point to static storage that the next call
 * overwrites.
 */
static inline const char *shared_data_dir(const char *sub, const char **why)
{
	static char path[4096], reason[4096 + 128];
	const char *root = getenv("CPOOL_SHARED");
	struct stat st;
	int err;

	*why = "";
	if (!root || !*root) {
		*why = "CPOOL_SHARED is not set (make check points it to ../shared)";
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/%s", root, sub);
	err = stat(path, &st) ? errno : S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
	if (err) {
		snprintf(reason, sizeof(reason), "no shared data: %s: %s", path, strerror(err));
		*why = reason;
		return NULL;
	}
	return path;
}

#endif /* CPOOL_TESTS_SHARED_DATA_H */
