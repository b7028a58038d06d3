// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The sysusers.d and tmpfiles.d files, applied by systemd's own tools to an
 * empty root: the group cpool exists, and every directory cpoold keeps is
 * owned by root and writable by root alone (the hardening refuses others);
 * and systemd-analyze accepts the unit.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../tap.h"

static char root[64] = "/tmp/cpool-sysfiles.XXXXXX";

static int run(const char *tool, const char *args, const char *file)
{
	const char *src = getenv("CPOOL_SRCDIR");
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "%s --root='%s' %s - < '%s/userspace/cpoold/%s'", tool, root,
		 args, src ? src : ".", file);
	return system(cmd);
}

static void check_dir(const char *rel, mode_t want)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s%s", root, rel);
	if (!ok(stat(path, &st) == 0 && S_ISDIR(st.st_mode), "%s is a directory", rel)) {
		diag("stat %s: %s", path, strerror(errno));
		return;
	}
	ok(st.st_uid == 0 && st.st_gid == 0, "%s is root's", rel);
	ok((st.st_mode & 07777) == want, "%s has mode %04o (got %04o)", rel, (unsigned)want,
	   (unsigned)(st.st_mode & 07777));
	ok(!(st.st_mode & (S_IWGRP | S_IWOTH)), "%s is not group- or world-writable", rel);
}

/* The unit as make install writes it, pointed at the build, passes systemd-analyze verify. */
static void test_unit(void)
{
	const char *src = getenv("CPOOL_SRCDIR") ?: ".", *build = getenv("CPOOL_BUILD") ?: "build";
	char cmd[4096];

	if (system("command -v systemd-analyze >/dev/null") != 0) {
		skip(1, "no systemd-analyze");
		return;
	}
	snprintf(cmd, sizeof(cmd),
		 "sed -e 's|@SBINDIR@|%s|g' -e 's|@DOCDIR@|%s/docs|g' "
		 "'%s/userspace/cpoold/cpoold.service' > '%s/cpoold.service' && "
		 "systemd-analyze verify --man=no '%s/cpoold.service'",
		 build, src, src, root, root);
	is_int(system(cmd), 0, "systemd-analyze verify cpoold.service");
}

int main(void)
{
	char group[256], line[256];
	bool found = false;
	FILE *f;

	if (geteuid() != 0 || system("command -v systemd-tmpfiles >/dev/null") != 0) {
		skip(1, "needs root and systemd-tmpfiles to create root-owned directories");
		done_testing();
		return exit_status();
	}
	if (!mkdtemp(root))
		bail_out("mkdtemp: %s", strerror(errno));
	is_int(run("systemd-tmpfiles", "--create", "cpool.tmpfiles"), 0,
	       "systemd-tmpfiles --create");
	check_dir("/var/lib/cpool", 0700);
	check_dir("/run/cpool", 0755);
	check_dir("/run/cpool/jobs", 0700);

	snprintf(group, sizeof(group), "%s/etc", root);
	mkdir(group, 0755);
	snprintf(group, sizeof(group), "%s/etc/group", root);
	fclose(fopen(group, "w"));
	snprintf(line, sizeof(line), "%s/etc/passwd", root);
	fclose(fopen(line, "w"));
	is_int(run("systemd-sysusers", "", "cpool.sysusers"), 0, "systemd-sysusers");
	f = fopen(group, "r");
	while (f && fgets(line, sizeof(line), f))
		found |= strncmp(line, "cpool:x:", 8) == 0;
	if (f)
		fclose(f);
	ok(found, "the group cpool is created");
	test_unit();

	snprintf(line, sizeof(line), "rm -rf '%s'", root);
	if (system(line) != 0)
		diag("cleanup of %s failed", root);
	done_testing();
	return exit_status();
}
