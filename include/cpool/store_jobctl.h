/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * What job control adds to a stored job, in its own table (job_ctl, keyed
 * by the job's id): held, its dependencies, its place in an array and the
 * reason it ended as it did.  A job without a row is a plain one.  The row
 * of a new job is written in the same transaction as the job, so a crash
 * never leaves a held or dependent job stored without its hold.
 */
#ifndef CPOOL_STORE_JOBCTL_H
#define CPOOL_STORE_JOBCTL_H

#include <stdbool.h>
#include <stdint.h>

#include "cpool/store.h"

struct cpool_jobctl_row {
	int64_t id;
	bool held;
	char *after; /* "12:ok,13:any" (cpool_deps_format), or NULL */
	int64_t array_id; /* the array's id (its first element's), 0: not in one */
	int64_t array_task; /* its index in the array, -1: not in one */
	int array_max; /* the array's %MAX_RUNNING, 0: no limit */
	char *reason; /* why it ended so, beyond its state ("DependencyNeverSatisfied"), or NULL */
};

/*
 * A transaction around several writes (an array's jobs and their rows):
 * all of them are stored, or none.  BEGIN IMMEDIATE: no other writer can
 * come between.
 */
int cpool_store_begin(struct cpool_store *store);
int cpool_store_commit(struct cpool_store *store);
int cpool_store_rollback(struct cpool_store *store);

/* Inserts or replaces the row of @row->id. */
int cpool_store_jobctl_put(struct cpool_store *store, const struct cpool_jobctl_row *row);
/* -ENOENT when the job has no row (a plain job); @row is then that of a plain job. */
int cpool_store_jobctl_get(struct cpool_store *store, int64_t id, struct cpool_jobctl_row *row);
void cpool_jobctl_row_free(struct cpool_jobctl_row *row);
/* Each element of array @array_id, in index order; stops at a non-zero return. */
int cpool_store_array_foreach(struct cpool_store *store, int64_t array_id,
			      int (*fn)(int64_t id, int64_t task, void *ctx), void *ctx);

#endif /* CPOOL_STORE_JOBCTL_H */
