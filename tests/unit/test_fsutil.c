// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* cpool_write_file_atomic: the new bytes, mode 0644, no temporary left, a link not followed. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../tap.h"
#include "cpool/fsutil.h"

static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)))
		n += de->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

int main(void)
{
	char dir[] = "/tmp/cpool-test-fsutil.XXXXXX", path[256], link_path[256], cmd[300],
	     buf[64] = "";
	struct stat st;
	FILE *f;

	if (!mkdtemp(dir))
		bail_out("mkdtemp");
	snprintf(path, sizeof(path), "%s/metrics.prom", dir);
	is_int(cpool_write_file_atomic(path, "old\n", 4), 0, "writes a new file");
	is_int(cpool_write_file_atomic(path, "new text\n", 9), 0, "replaces it");
	f = fopen(path, "r");
	if (!f || !fgets(buf, sizeof(buf), f))
		bail_out("read %s", path);
	fclose(f);
	is_str(buf, "new text\n", "the new bytes, whole");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0644, "mode 0644");
	is_int(entries(dir), 1, "no temporary file left beside it");
	snprintf(path, sizeof(path), "%s/no-such-dir/x", dir);
	is_int(cpool_write_file_atomic(path, "x", 1), -ENOENT, "a missing directory: ENOENT");
	is_int(entries(dir), 1, "and nothing created");
	/* The temporary is opened O_NOFOLLOW: a planted link is not written through. */
	snprintf(path, sizeof(path), "%s/planted", dir);
	snprintf(link_path, sizeof(link_path), "%s/planted.tmp.%ld", dir, (long)getpid());
	if (symlink("/etc/passwd", link_path))
		bail_out("symlink");
	is_int(cpool_write_file_atomic(path, "x", 1), -ELOOP, "a link at the temporary: ELOOP");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		diag("cleanup failed");
	done_testing();
	return exit_status();
}
