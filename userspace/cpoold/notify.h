/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * cpoold and its service manager: READY=1, STATUS= lines, STOPPING=1, and
 * the watchdog pings, sent from a timer on the event loop so that a loop
 * that stops turning stops them too.
 */
#ifndef CPOOLD_NOTIFY_H
#define CPOOLD_NOTIFY_H

struct cpoold;

/* The daemon serves: READY=1 and its first STATUS=; arms the watchdog and status timer. */
int notify_ready(struct cpoold *d);
void notify_stopping(void);

#endif /* CPOOLD_NOTIFY_H */
