// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* The job_ctl table of the store: see include/cpool/store_jobctl.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cpool/store_jobctl.h"
#include "store_internal.h"

int store_jobctl_schema(sqlite3 *db)
{
	return store_sql_error(sqlite3_exec(
		db,
		"CREATE TABLE IF NOT EXISTS job_ctl(id INTEGER PRIMARY KEY, held INTEGER NOT NULL"
		"  DEFAULT 0, after TEXT, array_id INTEGER NOT NULL DEFAULT 0, array_task INTEGER"
		"  NOT NULL DEFAULT -1, array_max INTEGER NOT NULL DEFAULT 0, reason TEXT);"
		"CREATE INDEX IF NOT EXISTS job_ctl_array ON job_ctl(array_id, array_task);"
		/* Retention prunes ended jobs (store.c): their job control goes with them. */
		"CREATE TRIGGER IF NOT EXISTS job_ctl_pruned AFTER DELETE ON jobs"
		"  BEGIN DELETE FROM job_ctl WHERE id = OLD.id; END;",
		NULL, NULL, NULL));
}

static int exec_sql(struct cpool_store *store, const char *sql)
{
	return store_sql_error(sqlite3_exec(store_db(store), sql, NULL, NULL, NULL));
}

int cpool_store_begin(struct cpool_store *store)
{
	return exec_sql(store, "BEGIN IMMEDIATE");
}

int cpool_store_commit(struct cpool_store *store)
{
	return exec_sql(store, "COMMIT");
}

int cpool_store_rollback(struct cpool_store *store)
{
	return exec_sql(store, "ROLLBACK");
}

int cpool_store_jobctl_put(struct cpool_store *store, const struct cpool_jobctl_row *row)
{
	sqlite3_stmt *st;
	int rc;

	rc = sqlite3_prepare_v2(
		store_db(store),
		"INSERT OR REPLACE INTO job_ctl(id, held, after, array_id,"
		" array_task, array_max, reason) VALUES(:id, :held, :after, :array_id,"
		" :array_task, :array_max, :reason)",
		-1, &st, NULL);
	if (rc != SQLITE_OK)
		return store_sql_error(rc);
	store_set_int(st, ":id", row->id);
	store_set_int(st, ":held", row->held);
	store_set_text(st, ":after", row->after);
	store_set_int(st, ":array_id", row->array_id);
	store_set_int(st, ":array_task", row->array_task);
	store_set_int(st, ":array_max", row->array_max);
	store_set_text(st, ":reason", row->reason);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : store_sql_error(rc);
}

static char *dup_text(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return s ? strdup((const char *)s) : NULL;
}

int cpool_store_jobctl_get(struct cpool_store *store, int64_t id, struct cpool_jobctl_row *row)
{
	sqlite3_stmt **stmt = store_jobctl_get_stmt(store), *st;
	int rc, r = 0;

	*row = (struct cpool_jobctl_row){ .id = id, .array_task = -1 };
	if (!*stmt) {
		rc = sqlite3_prepare_v3(
			store_db(store),
			"SELECT held, after, array_id, array_task, array_max, reason"
			" FROM job_ctl WHERE id=?",
			-1, SQLITE_PREPARE_PERSISTENT, stmt, NULL);
		if (rc != SQLITE_OK)
			return store_sql_error(rc);
	}
	st = *stmt;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		row->held = sqlite3_column_int(st, 0);
		row->after = dup_text(st, 1);
		row->array_id = sqlite3_column_int64(st, 2);
		row->array_task = sqlite3_column_int64(st, 3);
		row->array_max = sqlite3_column_int(st, 4);
		row->reason = dup_text(st, 5);
	} else {
		r = rc == SQLITE_DONE ? -ENOENT : store_sql_error(rc);
	}
	/* Reset, not finalised: an unreset statement would hold its read open. */
	sqlite3_reset(st);
	return r;
}

void cpool_jobctl_row_free(struct cpool_jobctl_row *row)
{
	free(row->after);
	free(row->reason);
	row->after = row->reason = NULL;
}

int cpool_store_array_foreach(struct cpool_store *store, int64_t array_id,
			      int (*fn)(int64_t id, int64_t task, void *ctx), void *ctx)
{
	sqlite3_stmt *st;
	int rc, r = 0;

	rc = sqlite3_prepare_v2(store_db(store),
				"SELECT id, array_task FROM job_ctl WHERE array_id=?"
				" ORDER BY array_task",
				-1, &st, NULL);
	if (rc != SQLITE_OK)
		return store_sql_error(rc);
	sqlite3_bind_int64(st, 1, array_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r = fn(sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1), ctx);
		if (r)
			break;
	}
	if (!r && rc != SQLITE_DONE && rc != SQLITE_ROW)
		r = store_sql_error(rc);
	sqlite3_finalize(st);
	return r;
}
