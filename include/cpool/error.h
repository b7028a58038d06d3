/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The one error type of cpool.  A function that can fail returns a negative
 * errno and, when its caller passes a struct cpool_error, says what failed
 * and where: "pool.ini:12: cpus: ...", "writing /sys/fs/cgroup/x/cpu.max:
 * Device or resource busy".  The message is printed once, at the edge (the
 * CLI or the daemon's log), so code in between adds context with
 * cpool_error_prefix() instead of printing.
 */
#ifndef CPOOL_ERROR_H
#define CPOOL_ERROR_H

#include <stdarg.h>
#include <stddef.h>

#define CPOOL_ERROR_MSG_MAX 1024

struct cpool_error {
	int err; /* negative errno, as returned; 0 when nothing failed */
	size_t line; /* the input's line the message is about (from 1), or 0 */
	char msg[CPOOL_ERROR_MSG_MAX];
};

/* Fills @e (may be NULL) with @err and the message; returns @err (a negative errno). */
int cpool_error_set(struct cpool_error *e, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

int cpool_error_vset(struct cpool_error *e, int err, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* Puts "CONTEXT: " in front of the message already in @e (may be NULL); returns e->err. */
int cpool_error_prefix(struct cpool_error *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif /* CPOOL_ERROR_H */
