// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* The daemon's directories: what another user planted or can write is refused. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../tap.h"
#include "cpool/safedir.h"

static char top[] = "/tmp/cpool-test-safedir.XXXXXX";
static struct cpool_error err;
static unsigned flags;

static int try_open(const char *rel, mode_t mode)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", top, rel);
	err.msg[0] = '\0';
	fd = cpool_safe_dir_open(path, mode, geteuid(), flags, &err);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return fd;
}

static void mk(const char *rel, mode_t mode, uid_t uid)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", top, rel);
	if (mkdir(path, mode) < 0 || chmod(path, mode) < 0 || lchown(path, uid, uid) < 0)
		bail_out("mkdir %s: %s", path, strerror(errno));
}

static void link_(const char *target, const char *rel, uid_t uid)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", top, rel);
	if (symlink(target, path) < 0 || lchown(path, uid, uid) < 0)
		bail_out("symlink %s: %s", path, strerror(errno));
}

static mode_t mode_of(const char *rel)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", top, rel);
	return stat(path, &st) < 0 ? (mode_t)-1 : st.st_mode & 07777;
}

int main(void)
{
	char cmd[600];

	if (geteuid() != 0) {
		plan(1);
		skip(1, "needs root to plant other users' directories");
		return exit_status();
	}
	plan(21);
	umask(077);
	if (!mkdtemp(top))
		bail_out("mkdtemp: %s", strerror(errno));

	is_int(try_open("state/db", 0700), 0,
	       "missing directories are created below a sticky /tmp");
	is_int(mode_of("state/db"), 0700, "the last with the mode asked for");
	is_int(mode_of("state"), 0755, "the parents 0755, whatever the umask");
	is_int(try_open("state/db", 0700), 0, "an existing private directory is trusted");

	mk("planted", 0700, 65534);
	is_int(try_open("planted", 0700), -EPERM, "a directory another user owns is refused");
	ok(strstr(err.msg, "owned by uid 65534"), "naming its owner: %s", err.msg);
	is_int(try_open("planted/sub", 0700), -EPERM, "and anything below it");

	mk("open", 0777, 0);
	is_int(try_open("open", 0700), -EPERM, "a world-writable directory is refused");
	ok(strstr(err.msg, "writable by every user"), "saying so: %s", err.msg);
	mk("group", 0770, 0);
	is_int(try_open("group/x", 0700), -EPERM, "a group-writable ancestor is refused");
	mk("sticky", 01777, 0);
	is_int(try_open("sticky/x", 0700), 0,
	       "a sticky root-owned ancestor is allowed (like /tmp)");
	is_int(try_open("sticky", 0700), -EPERM, "but not as the directory itself");
	flags = CPOOL_SAFE_DIR_STICKY_OK;
	is_int(try_open("sticky", 0700), 0, "unless asked for (a socket's directory)");
	is_int(try_open("open", 0700), -EPERM, "which still refuses one without the sticky bit");
	flags = 0;

	link_("state", "good-link", 0);
	is_int(try_open("good-link/db", 0700), 0, "a root-owned symlink is followed");
	snprintf(cmd, sizeof(cmd), "%s/planted", top);
	link_(cmd, "evil-link", 65534);
	is_int(try_open("evil-link", 0700), -EPERM, "a symlink another user owns is not");
	ok(strstr(err.msg, "symlink owned by uid 65534"), "saying so: %s", err.msg);
	link_(cmd, "root-link-to-planted", 0);
	is_int(try_open("root-link-to-planted", 0700), -EPERM,
	       "a trusted symlink to an untrusted directory is still refused");
	link_("loop", "loop", 0);
	is_int(try_open("loop", 0700), -ELOOP, "a symlink loop ends");
	is_int(try_open("state/../planted", 0700), -EINVAL, "'..' is refused");
	{
		char file[512];
		int fd;

		snprintf(file, sizeof(file), "%s/file", top);
		fd = open(file, O_CREAT | O_WRONLY, 0600);
		close(fd);
		is_int(try_open("file", 0700), -ENOTDIR, "a file is not a directory");
	}

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	if (system(cmd) != 0)
		diag("could not remove %s", top);
	return exit_status();
}
