/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/* Small file-system helpers shared by the daemon's state, records and socket. */
#ifndef CPOOL_FSUTIL_H
#define CPOOL_FSUTIL_H

#include <sys/types.h>

/*
 * mkdir -p: the missing parents with 0755, @dir itself with @mode (an
 * existing @dir is left as it is).  0 or a negative errno.
 */
int cpool_mkdir_p(const char *dir, mode_t mode);

#endif /* CPOOL_FSUTIL_H */
