/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Directories the daemon trusts (state, job records, the socket's): every
 * component from "/" must be out of other users' reach, or a user who
 * controls one could swap in their own files, or plant a job.
 */
#ifndef CPOOL_SAFEDIR_H
#define CPOOL_SAFEDIR_H

#include <stddef.h>
#include <sys/types.h>
#include "cpool/error.h"

/*
 * Opens @path (created when missing: parents 0755, the last @mode), walking
 * it one component at a time without following a symlink it has not
 * checked.  Each directory must be owned by root or @owner and writable by
 * no one else; an ancestor may be world-writable only with the sticky bit
 * and root as owner (/tmp).  A symlink is followed only when it is owned by
 * root or @owner.  Returns an O_PATH directory fd, or a negative errno with
 * the offending component and what is wrong with it in @e.
 */
int cpool_safe_dir_open(const char *path, mode_t mode, uid_t owner, unsigned flags,
			struct cpool_error *e);
/*
 * @flags: the directory itself may be a sticky root-owned one like /tmp.
 * For the socket's: bind() makes a new name, never follows a symlink
 * there, and nobody may remove or rename it in a sticky directory.
 */
#define CPOOL_SAFE_DIR_STICKY_OK 1u

/*
 * Files inside a directory opened by cpool_safe_dir_open(), by name (no
 * '/'), never through a symlink: a user who once could plant one there
 * cannot redirect a write of root's.
 *
 * cpool_safe_write_at() replaces @name with @len bytes of @data, mode
 * @mode: a new NAME.tmp (O_EXCL, O_NOFOLLOW; a stale one is unlinked
 * first), fsync, renameat over @name, fsync of the directory.  A reader
 * sees the old file or the whole new one.  0 or a negative errno.
 */
int cpool_safe_write_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode);
/*
 * openat(@dirfd, @name, @flags | O_NOFOLLOW | O_CLOEXEC, @mode) that also
 * refuses anything but a regular file (-EINVAL; -ELOOP for a symlink).
 * The fd, or a negative errno.
 */
int cpool_safe_open_at(int dirfd, const char *name, int flags, mode_t mode);

#endif /* CPOOL_SAFEDIR_H */
