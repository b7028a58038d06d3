// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cpool/safedir.h"

#define MAX_SYMLINKS 40 /* as the kernel's own path walk */

static bool trusted_owner(uid_t uid, uid_t owner)
{
	return uid == 0 || uid == owner;
}

/* 0 when the directory @st, reached as @shown, may be trusted; @last: the target itself. */
static int check_dir(const struct stat *st, const char *shown, bool last, uid_t owner,
		     struct cpool_error *e)
{
	if (!S_ISDIR(st->st_mode))
		return cpool_error_set(e, -ENOTDIR, "%s: not a directory", shown);
	if (!trusted_owner(st->st_uid, owner)) {
		cpool_error_set(e, -EPERM,
				"%s: owned by uid %u, not by root%s; refusing to trust it", shown,
				(unsigned)st->st_uid, owner ? " or the daemon's user" : "");
		return -EPERM;
	}
	if (!(st->st_mode & (S_IWGRP | S_IWOTH)))
		return 0;
	/* Others may add to a sticky root-owned directory, but not touch what is ours. */
	if (!last && (st->st_mode & S_ISVTX) && st->st_uid == 0)
		return 0;
	cpool_error_set(e, -EPERM, "%s: writable by %s (mode %04o); refusing to trust it", shown,
			st->st_mode & S_IWOTH ? "every user" : "its group",
			(unsigned)(st->st_mode & 07777));
	return -EPERM;
}

int cpool_safe_dir_open(const char *path, mode_t mode, uid_t owner, unsigned flags,
			struct cpool_error *e)
{
	/* rest: what is left to walk; shown: the path walked so far, for messages. */
	char rest[PATH_MAX], shown[PATH_MAX], name[NAME_MAX + 1], target[PATH_MAX];
	int dir, links = 0, r;
	struct stat st;

	if (!path || !*path)
		return cpool_error_set(e, -EINVAL, "an empty directory name");
	if (path[0] == '/') {
		r = snprintf(rest, sizeof(rest), "%s", path);
	} else {
		char cwd[PATH_MAX];

		if (!getcwd(cwd, sizeof(cwd)))
			return cpool_error_set(e, -errno, "%s: the current directory: %s", path,
					       strerror(errno));
		r = snprintf(rest, sizeof(rest), "%s/%s", cwd, path);
	}
	if (r < 0 || (size_t)r >= sizeof(rest))
		return cpool_error_set(e, -ENAMETOOLONG, "%s: path too long", path);
restart:
	dir = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0 || fstat(dir, &st) < 0) {
		r = cpool_error_set(e, -errno, "/: %s", strerror(errno));
		goto fail;
	}
	snprintf(shown, sizeof(shown), "/");
	if ((r = check_dir(&st, "/", false, owner, e)))
		goto fail;
	for (;;) {
		char *p = rest, *slash;
		bool last;
		size_t n;
		int next;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		slash = strchr(p, '/');
		n = slash ? (size_t)(slash - p) : strlen(p);
		if (n > NAME_MAX) {
			r = cpool_error_set(e, -ENAMETOOLONG,
					    "%s: a component longer than %d bytes", path, NAME_MAX);
			goto fail;
		}
		memcpy(name, p, n);
		name[n] = '\0';
		memmove(rest, p + n, strlen(p + n) + 1);
		for (p = rest; *p == '/'; p++)
			;
		last = !*p;
		if (strcmp(name, ".") == 0)
			continue;
		if (strcmp(name, "..") == 0) {
			/* Only in a path a user typed; the walk is simpler without it. */
			r = cpool_error_set(e, -EINVAL,
					    "%s: '..' is not allowed in the daemon's directories",
					    path);
			goto fail;
		}
		if (strlen(shown) + n + 2 < sizeof(shown))
			snprintf(shown + strlen(shown), sizeof(shown) - strlen(shown), "%s%s",
				 strcmp(shown, "/") ? "/" : "", name);
		if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno != ENOENT) {
				r = cpool_error_set(e, -errno, "%s: %s", shown, strerror(errno));
				goto fail;
			}
			if (mkdirat(dir, name, 0700) < 0 && errno != EEXIST) {
				r = cpool_error_set(e, -errno, "create %s: %s", shown,
						    strerror(errno));
				goto fail;
			}
			/* The mode is set on what we opened, whatever the umask made of it. */
			next = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (next < 0 || fchmod(next, last ? mode : 0755) < 0) {
				r = cpool_error_set(e, -errno, "create %s: %s", shown,
						    strerror(errno));
				if (next >= 0)
					close(next);
				goto fail;
			}
			close(next);
			if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
				r = cpool_error_set(e, -errno, "%s: %s", shown, strerror(errno));
				goto fail;
			}
		}
		if (S_ISLNK(st.st_mode)) {
			ssize_t len;

			if (!trusted_owner(st.st_uid, owner)) {
				r = cpool_error_set(
					e, -EPERM,
					"%s: a symlink owned by uid %u; refusing to follow it",
					shown, (unsigned)st.st_uid);
				goto fail;
			}
			if (++links > MAX_SYMLINKS) {
				r = cpool_error_set(e, -ELOOP, "%s: too many symlinks", path);
				goto fail;
			}
			len = readlinkat(dir, name, target, sizeof(target) - 1);
			if (len < 0) {
				r = cpool_error_set(e, -errno, "%s: %s", shown, strerror(errno));
				goto fail;
			}
			target[len] = '\0';
			if ((size_t)len + strlen(rest) + 2 >= sizeof(rest)) {
				r = cpool_error_set(e, -ENAMETOOLONG, "%s: path too long", path);
				goto fail;
			}
			/* The link's text goes in front of what is left, and the walk goes on. */
			memmove(rest + len + 1, rest, strlen(rest) + 1);
			memcpy(rest, target, (size_t)len);
			rest[len] = '/';
			if (target[0] == '/') {
				close(dir);
				goto restart;
			}
			/* Relative: from the directory holding the link; shown loses the link's name. */
			*strrchr(shown, '/') = '\0';
			if (!*shown)
				snprintf(shown, sizeof(shown), "/");
			continue;
		}
		if ((r = check_dir(&st, shown, last && !(flags & CPOOL_SAFE_DIR_STICKY_OK), owner,
				   e)))
			goto fail;
		next = openat(dir, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0) {
			r = cpool_error_set(e, -errno, "%s: %s", shown, strerror(errno));
			goto fail;
		}
		/* What was opened is what was checked: a swap in between would show here. */
		{
			struct stat again;

			if (fstat(next, &again) < 0 || again.st_ino != st.st_ino ||
			    again.st_dev != st.st_dev) {
				cpool_error_set(e, -EAGAIN, "%s: replaced while it was checked",
						shown);
				close(next);
				r = -EAGAIN;
				goto fail;
			}
		}
		close(dir);
		dir = next;
	}
	return dir;
fail:
	if (dir >= 0)
		close(dir);
	return r;
}

int cpool_safe_write_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode)
{
	char tmp[NAME_MAX + 1];
	const char *p = data;
	int dfd, fd, r = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", name) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	/* A new file of our own: never one planted there, nor a symlink's target. */
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0 && errno == EEXIST) {
		/* Left by a writer killed mid-way (or planted): the name goes, not what it names. */
		if (unlinkat(dirfd, tmp, 0) < 0 && errno != ENOENT)
			return -errno;
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	}
	if (fd < 0)
		return -errno;
	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			r = -errno;
			break;
		}
		p += w;
		len -= (size_t)w;
	}
	if (!r && fsync(fd) < 0)
		r = -errno;
	close(fd);
	/* renameat replaces the name itself, a symlink there included. */
	if (!r && renameat(dirfd, tmp, dirfd, name) < 0)
		r = -errno;
	if (r) {
		unlinkat(dirfd, tmp, 0);
		return r;
	}
	/* The rename durable too: the directory's own fsync (an O_PATH fd cannot). */
	dfd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

int cpool_safe_open_at(int dirfd, const char *name, int flags, mode_t mode)
{
	struct stat st;
	int fd = openat(dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, mode);

	if (fd < 0)
		return -errno;
	/* Not a FIFO or a device someone made there: reading one could block the daemon. */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	/* O_NONBLOCK was for the open alone. */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}
