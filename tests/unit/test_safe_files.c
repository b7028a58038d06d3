// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Root's files in directories a user may once have reached: job records,
 * cancel marks and the state database are written and read by name from a
 * checked directory fd, never through a symlink planted in their place,
 * and the database is 0600 (with its -wal and -shm) whatever the umask.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../tap.h"
#include "cpool/safedir.h"
#include "cpool/store.h"
#include "cpool/supervise.h"

static char top[] = "/tmp/cpool-test-safe-files.XXXXXX";
static char victim[600];

static void path_of(char *buf, size_t len, const char *rel)
{
	snprintf(buf, len, "%s/%s", top, rel);
}

static const char *slurp(const char *rel, char *buf, size_t len)
{
	char path[600];
	int fd;
	ssize_t n;

	path_of(path, sizeof(path), rel);
	fd = open(path, O_RDONLY | O_NOFOLLOW);
	n = fd >= 0 ? read(fd, buf, len - 1) : -1;
	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return fd >= 0 ? buf : "(none)";
}

static void plant_symlink(const char *rel)
{
	char path[600];

	path_of(path, sizeof(path), rel);
	unlink(path);
	if (symlink(victim, path))
		bail_out("symlink %s: %s", path, strerror(errno));
}

static bool is_symlink(const char *rel)
{
	char path[600];
	struct stat st;

	path_of(path, sizeof(path), rel);
	return lstat(path, &st) == 0 && S_ISLNK(st.st_mode);
}

static mode_t mode_of(const char *rel)
{
	char path[600];
	struct stat st;

	path_of(path, sizeof(path), rel);
	return lstat(path, &st) == 0 ? st.st_mode & 07777 : (mode_t)-1;
}

static void reset_victim(void)
{
	FILE *f = fopen(victim, "w");

	if (!f || fputs("precious", f) < 0 || fclose(f))
		bail_out("victim");
}

static void write_at(void)
{
	struct cpool_error err;
	char buf[256], path[600];
	int dfd;

	path_of(path, sizeof(path), "rec");
	dfd = cpool_safe_dir_open(path, 0700, geteuid(), 0, &err);
	if (dfd < 0)
		bail_out("%s", err.msg);
	is_int(cpool_safe_write_at(dfd, "a", "one", 3, 0600), 0, "a file written by name");
	is_int(cpool_safe_write_at(dfd, "a", "two", 3, 0600), 0, "and replaced");
	is_str(slurp("rec/a", buf, sizeof(buf)), "two", "with the new content whole");
	is_int((int)mode_of("rec/a"), 0600, "mode 0600");

	reset_victim();
	plant_symlink("rec/b.tmp");
	is_int(cpool_safe_write_at(dfd, "b", "mine", 4, 0600), 0,
	       "a symlink planted as the temporary file does not stop the write");
	is_str(slurp("victim", buf, sizeof(buf)), "precious", "nor is it followed");
	is_str(slurp("rec/b", buf, sizeof(buf)), "mine", "the record is written");
	ok(mode_of("rec/b.tmp") == (mode_t)-1, "and the planted name is gone");

	plant_symlink("rec/c");
	is_int(cpool_safe_write_at(dfd, "c", "mine", 4, 0600), 0,
	       "a symlink planted as the record itself");
	ok(!is_symlink("rec/c") && strcmp(slurp("rec/c", buf, sizeof(buf)), "mine") == 0,
	   "is replaced by the record");
	is_str(slurp("victim", buf, sizeof(buf)), "precious", "its target untouched");

	plant_symlink("rec/d");
	is_int(cpool_safe_open_at(dfd, "d", O_RDONLY, 0), -ELOOP, "open_at refuses a symlink");
	path_of(path, sizeof(path), "rec/fifo");
	if (mkfifo(path, 0600))
		bail_out("mkfifo");
	is_int(cpool_safe_open_at(dfd, "fifo", O_RDONLY, 0), -EINVAL,
	       "and a FIFO, without blocking on it");
	close(dfd);
}

static void records(void)
{
	char path[600], buf[256];
	struct cpool_job_record rec;

	path_of(path, sizeof(path), "rec");
	reset_victim();
	plant_symlink("rec/7.cancel");
	is_int(cpool_job_cancel_mark(path, 7), -ELOOP, "a planted cancel mark is refused");
	ok(!cpool_job_cancel_marked(path, 7), "and does not count as one");
	is_str(slurp("victim", buf, sizeof(buf)), "precious", "its target untouched");

	/* A valid record's text behind a symlink: never read. */
	{
		struct cpool_job_record planted = { .job_id = 7, .supervisor_pid = 1 };
		char *text = cpool_job_record_encode(&planted);
		FILE *f = fopen(victim, "w");

		if (!text || !f || fputs(text, f) < 0 || fclose(f))
			bail_out("planted record");
		free(text);
	}
	plant_symlink("rec/7.start");
	is_int(cpool_job_record_read(path, 7, &rec), -ENOENT,
	       "a start record planted as a symlink is not read");
	plant_symlink("rec/7.exit");
	cpool_job_record_remove(path, 7);
	ok(!is_symlink("rec/7.exit") && !is_symlink("rec/7.start") && !is_symlink("rec/7.cancel"),
	   "removal takes the planted names");
	ok(access(victim, F_OK) == 0, "not their target");
}

static void database(void)
{
	struct cpool_error err;
	char path[600];
	struct cpool_store *s;

	umask(022);
	path_of(path, sizeof(path), "state");
	mkdir(path, 0700);
	path_of(path, sizeof(path), "state/state.db");
	is_int(cpool_store_open(path, &s, &err), 0, "a new database");
	is_int((int)mode_of("state/state.db"), 0600, "is 0600 under umask 022");
	is_int((int)mode_of("state/state.db-wal"), 0600, "its -wal too");
	is_int((int)mode_of("state/state.db-shm"), 0600, "and its -shm");
	cpool_store_close(s);
	chmod(path, 0644);
	is_int(cpool_store_open(path, &s, &err), 0, "one an older cpoold left 0644");
	is_int((int)mode_of("state/state.db"), 0600, "is tightened to 0600");
	cpool_store_close(s);
	unlink(path);
	plant_symlink("state/state.db");
	ok(cpool_store_open(path, &s, &err) == -ELOOP && strstr(err.msg, "symlink"),
	   "a symlink planted as the database is refused: %s", err.msg);
	umask(077);
}

int main(void)
{
	char cmd[600];

	plan(26);
	if (!mkdtemp(top))
		bail_out("mkdtemp");
	snprintf(victim, sizeof(victim), "%s/victim", top);
	write_at();
	records();
	database();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	if (system(cmd))
		diag("cleanup of %s failed", top);
	return exit_status();
}
