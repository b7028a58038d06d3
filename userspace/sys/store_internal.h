/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/* Shared by the files of the store (store.c, store_jobctl.c) only. */
#ifndef CPOOL_STORE_INTERNAL_H
#define CPOOL_STORE_INTERNAL_H

#include <sqlite3.h>

#include "cpool/store.h"

sqlite3 *store_db(struct cpool_store *store);
/*
 * The job_ctl look-up's statement, kept for the store's life: a history
 * page looks up every row's job control, and preparing it each time was
 * most of the page's cost (docs/security.md).
 */
sqlite3_stmt **store_jobctl_get_stmt(struct cpool_store *store);
/* SQLite's answer as a negative errno. */
int store_sql_error(int rc);
/* Creates the job_ctl table when missing (a database of an older cpoold gains it). */
int store_jobctl_schema(sqlite3 *db);
/* Bind by parameter name (":id"): a column added to a statement cannot shift the others. */
void store_set_text(sqlite3_stmt *st, const char *name, const char *s); /* NULL: SQL NULL */
void store_set_int(sqlite3_stmt *st, const char *name, int64_t v);

#endif /* CPOOL_STORE_INTERNAL_H */
