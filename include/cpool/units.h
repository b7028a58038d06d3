/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Sizes and durations as people write them in configs, traces and on the
 * command line.  One parser for each, so "512M" means the same everywhere.
 */
#ifndef CPOOL_UNITS_H
#define CPOOL_UNITS_H

#include <stddef.h>
#include <stdint.h>

/*
 * "4096", "512K", "1.5G", "2T", "64MiB", "1g": bytes, with binary (1024)
 * multiples.  Returns 0, -EINVAL for syntax, -ERANGE past UINT64_MAX.
 */
int cpool_parse_size(const char *text, uint64_t *bytes);

/*
 * "100ms", "2s", "1.5", "5m", "1h", "250us", "1d": seconds; a bare number
 * is seconds.  Negative values are refused.  Returns 0 or -EINVAL.
 */
int cpool_parse_duration(const char *text, double *seconds);

/* "1.5G"-style, shortest exact-ish form; like snprintf. */
int cpool_format_size(uint64_t bytes, char *buf, size_t len);

#endif /* CPOOL_UNITS_H */
