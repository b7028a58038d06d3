/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/* Small file-system helpers shared by the daemon's state, records and socket. */
#ifndef CPOOL_FSUTIL_H
#define CPOOL_FSUTIL_H

#include <sys/types.h>

/*
 * Replaces @path with @len bytes of @buf atomically: written to a temporary
 * file beside it (mode 0644), flushed, then renamed over @path, so a reader
 * (node_exporter's textfile collector) sees the old or the new file, never
 * half of one.  0 or a negative errno.
 */
int cpool_write_file_atomic(const char *path, const void *buf, size_t len);

#endif /* CPOOL_FSUTIL_H */
