// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "../tap.h"
#include "cpool/fsutil.h"

int main(void)
{
	char dir[] = "/tmp/cpool-test-fsutil.XXXXXX", path[256], cmd[300];
	struct stat st;

	if (!mkdtemp(dir))
		bail_out("mkdtemp");
	snprintf(path, sizeof(path), "%s/a/b/c", dir);
	is_int(cpool_mkdir_p(path, 0700), 0, "creates missing parents");
	ok(stat(path, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0700,
	   "the last component gets the mode asked for");
	snprintf(path, sizeof(path), "%s/a", dir);
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0755, "parents get 0755");
	snprintf(path, sizeof(path), "%s/a/b/c", dir);
	is_int(cpool_mkdir_p(path, 0755), 0, "an existing directory is fine");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0700, "and keeps its mode");
	snprintf(path, sizeof(path), "%s/file", dir);
	fclose(fopen(path, "w"));
	snprintf(path, sizeof(path), "%s/file/sub", dir);
	is_int(cpool_mkdir_p(path, 0755), -ENOTDIR, "a file in the way: ENOTDIR");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		diag("cleanup failed");
	done_testing();
	return exit_status();
}
