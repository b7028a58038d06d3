/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
#ifndef CPOOL_CLI_HISTORY_PAGES_H
#define CPOOL_CLI_HISTORY_PAGES_H

#include <jansson.h>

/*
 * The whole history the daemon answers in pages: the first request with
 * @args (stolen), then the same with "after" set to each page's "next",
 * over one connection.  *result is {"jobs": [...every page's...]}.
 * Returns CLI_EXIT_OK or CLI_EXIT_FAILED (the failure reported).
 */
int cli_history_all(const char *prog, const char *socket, json_t *args, json_t **result);

#endif
