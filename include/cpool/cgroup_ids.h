/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The collector's table of cgroup ids (the BPF map's keys) and their paths
 * relative to the cgroup2 mount, with the back-off that keeps an id which
 * cannot be resolved from being tried at every read: 1 s after the first
 * failure, then 2, 4 .. 64 s.  The same back-off spaces the checks that a
 * resolved cgroup still exists.  Pure bookkeeping: the look-ups
 * themselves (open_by_handle_at, or a walk of the tree) are the caller's.
 */
#ifndef CPOOL_CGROUP_IDS_H
#define CPOOL_CGROUP_IDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CPOOL_BACKOFF_FIRST_NS 1000000000ULL
#define CPOOL_BACKOFF_MAX_NS (64 * CPOOL_BACKOFF_FIRST_NS)

/* When to try again; all zero: at once. */
struct cpool_backoff {
	uint64_t next_ns, delay_ns;
};

bool cpool_backoff_due(const struct cpool_backoff *b, uint64_t now_ns);
/* Another failure at @now_ns: the wait doubles, from 1 s up to 64 s. */
void cpool_backoff_failed(struct cpool_backoff *b, uint64_t now_ns);
void cpool_backoff_reset(struct cpool_backoff *b);

struct cpool_cgid {
	uint64_t id;
	char *path; /* "/" or "/a/b"; NULL while unresolved */
	/* unresolved: when to try again; resolved: when to check it still exists */
	struct cpool_backoff retry;
	unsigned int misses; /* walks in a row that did not find it */
	uint64_t activity; /* the map's switch-in count at the last read */
	bool seen; /* in the map at the current read */
};

/* Sorted by id; an entry's address holds only until the next add. */
struct cpool_cgid_table {
	struct cpool_cgid *v;
	size_t n, cap;
};

struct cpool_cgid *cpool_cgid_find(struct cpool_cgid_table *t, uint64_t id);
/* @id's entry, made unresolved and due when new; NULL when out of memory. */
struct cpool_cgid *cpool_cgid_add(struct cpool_cgid_table *t, uint64_t id);
/* Resolved to @path (copied): the next existence check is due at once.  0 or -ENOMEM. */
int cpool_cgid_set_path(struct cpool_cgid *e, const char *path);
void cpool_cgid_remove(struct cpool_cgid_table *t, uint64_t id);
/*
 * Forgets the entries not marked seen since the last sweep (their ids left
 * the map) and clears the marks.  Returns how many were forgotten.
 */
size_t cpool_cgid_sweep(struct cpool_cgid_table *t);
/* Entries still without a path. */
size_t cpool_cgid_unresolved(const struct cpool_cgid_table *t);
void cpool_cgid_table_free(struct cpool_cgid_table *t);

#endif /* CPOOL_CGROUP_IDS_H */
