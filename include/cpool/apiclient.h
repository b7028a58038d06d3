/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/* The client side of cpoold's API socket, for the cpool CLI and tests. */
#ifndef CPOOL_APICLIENT_H
#define CPOOL_APICLIENT_H

#include <jansson.h>
#include <stddef.h>

#include "cpool/error.h"
#include "cpool/protocol.h"
#include "cpool/error.h"

#define CPOOL_DEFAULT_SOCKET "/run/cpool/cpool.sock"

struct cpool_apiclient;

/* @path NULL: $CPOOL_SOCKET, else CPOOL_DEFAULT_SOCKET. */
const char *cpool_apiclient_socket_path(const char *path);

/*
 * Connects; on failure @e explains it for a person (daemon not running,
 * no permission to the socket, ...).
 */
int cpool_apiclient_connect(const char *path, struct cpool_apiclient **out, struct cpool_error *e);
void cpool_apiclient_close(struct cpool_apiclient *c);

/*
 * Sends @op with @args (stolen) and waits for its reply.  Returns 0 with
 * *result (owned by the caller) on success; on an error reply returns the
 * negative errno it carries with its message in @e; on a transport
 * failure returns -errno with a message.  @timeout_ms < 0 waits forever
 * (cpool wait).
 */
int cpool_apiclient_call(struct cpool_apiclient *c, enum cpool_op op, json_t *args, json_t **result,
			 int timeout_ms, struct cpool_error *e);

/*
 * The same, with @nfds (at most CPOOL_API_MAX_FDS) descriptors passed
 * with the request (SCM_RIGHTS): cpool run's stdin, stdout and stderr.
 */
int cpool_apiclient_call_fds(struct cpool_apiclient *c, enum cpool_op op, json_t *args,
			     const int *fds, int nfds, json_t **result, int timeout_ms,
			     struct cpool_error *e);

#endif /* CPOOL_APICLIENT_H */
