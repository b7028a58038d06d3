/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The service manager's notification protocol (sd_notify(3)) without
 * libsystemd: one datagram to $NOTIFY_SOCKET per message, and the watchdog
 * period systemd passes in $WATCHDOG_USEC / $WATCHDOG_PID.
 */
#ifndef CPOOL_SDNOTIFY_H
#define CPOOL_SDNOTIFY_H

#include <stdint.h>
#include <sys/types.h>

/*
 * Sends @state ("READY=1", "WATCHDOG=1", "STATUS=...", newline-separated
 * assignments) to @socket_path: a filesystem path, or "@name" for the
 * abstract namespace.  Returns 0, or a negative errno (-EAFNOSUPPORT for an
 * address of another kind, -ENAMETOOLONG, or what sendto said).
 */
int cpool_sd_notify_to(const char *socket_path, const char *state);

/* The same to $NOTIFY_SOCKET; 0 without doing anything when it is unset or empty. */
int cpool_sd_notify(const char *state);

/*
 * The watchdog period in microseconds that @usec ($WATCHDOG_USEC) asks of
 * the process @self, given @pid ($WATCHDOG_PID: when set, the watchdog is
 * meant for that process only, not for its children); 0 when there is none
 * for it or either value is malformed.
 */
uint64_t cpool_sd_watchdog_parse(const char *usec, const char *pid, pid_t self);

/* cpool_sd_watchdog_parse() of this process's environment. */
uint64_t cpool_sd_watchdog_usec(void);

#endif /* CPOOL_SDNOTIFY_H */
