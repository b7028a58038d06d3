/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/* Shared by the files of the store (store.c, store_jobctl.c) only. */
#ifndef CPOOL_STORE_INTERNAL_H
#define CPOOL_STORE_INTERNAL_H

#include <sqlite3.h>

#include "cpool/store.h"

sqlite3 *store_db(struct cpool_store *store);
/* SQLite's answer as a negative errno. */
int store_sql_error(int rc);
/* Creates the job_ctl table when missing (a database of an older cpoold gains it). */
int store_jobctl_schema(sqlite3 *db);

#endif /* CPOOL_STORE_INTERNAL_H */
