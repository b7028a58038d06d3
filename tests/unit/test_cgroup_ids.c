// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* The collector's cgroup id table and its retry back-off (include/cpool/cgroup_ids.h). */
#include "../tap.h"
#include "cpool/cgroup_ids.h"

#define SEC 1000000000ULL

static void backoff_doubles_to_a_minute(void)
{
	static const uint64_t waits[] = { 1, 2, 4, 8, 16, 32, 64, 64, 64 };
	struct cpool_backoff b = { 0 };
	uint64_t now = 100 * SEC;
	bool doubling = true;

	ok(cpool_backoff_due(&b, 0), "a new back-off is due at once");
	for (size_t i = 0; i < sizeof(waits) / sizeof(waits[0]); i++) {
		cpool_backoff_failed(&b, now);
		doubling &= b.delay_ns == waits[i] * SEC && b.next_ns == now + waits[i] * SEC &&
			    !cpool_backoff_due(&b, now + waits[i] * SEC - 1) &&
			    cpool_backoff_due(&b, now + waits[i] * SEC);
		now = b.next_ns;
	}
	ok(doubling, "failures wait 1, 2, 4 .. 64 s, then 64 s each; due exactly then");
	cpool_backoff_reset(&b);
	ok(cpool_backoff_due(&b, 0) && b.delay_ns == 0, "a reset back-off is due at once");
	cpool_backoff_failed(&b, now);
	is_int((int64_t)b.delay_ns, (int64_t)SEC, "and starts again from 1 s");
}

static void table_keeps_ids_sorted(void)
{
	static const uint64_t ids[] = { 50, 10, 30, 20, 40, 10 };
	struct cpool_cgid_table t = { 0 };
	bool sorted = true;
	struct cpool_cgid *e;

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		ok(cpool_cgid_add(&t, ids[i]) != NULL, "add %llu", (unsigned long long)ids[i]);
	is_int((int64_t)t.n, 5, "an id added twice is one entry");
	for (size_t i = 1; i < t.n; i++)
		sorted &= t.v[i - 1].id < t.v[i].id;
	ok(sorted, "kept in id order");
	is_int((int64_t)cpool_cgid_unresolved(&t), 5, "all unresolved");
	ok(cpool_cgid_find(&t, 35) == NULL, "an unknown id is not found");

	e = cpool_cgid_find(&t, 30);
	cpool_backoff_failed(&e->retry, 7 * SEC);
	e->misses = 1;
	ok(cpool_cgid_set_path(e, "/cpool/a/job-3") == 0, "resolve 30");
	e = cpool_cgid_find(&t, 30);
	is_str(e->path, "/cpool/a/job-3", "its path");
	ok(e->misses == 0 && cpool_backoff_due(&e->retry, 0),
	   "resolving clears the misses and makes its existence check due");
	is_int((int64_t)cpool_cgid_unresolved(&t), 4, "four unresolved");
	e = cpool_cgid_add(&t, 30);
	is_str(e->path, "/cpool/a/job-3", "adding a known id keeps its path");

	cpool_cgid_remove(&t, 20);
	cpool_cgid_remove(&t, 99);
	ok(t.n == 4 && !cpool_cgid_find(&t, 20), "remove drops that id only");

	/* A read that saw 10 and 30 in the map. */
	cpool_cgid_find(&t, 10)->seen = true;
	cpool_cgid_find(&t, 30)->seen = true;
	is_int((int64_t)cpool_cgid_sweep(&t), 2, "the sweep forgets the two ids not seen");
	ok(t.n == 2 && t.v[0].id == 10 && t.v[1].id == 30 && !t.v[0].seen && !t.v[1].seen,
	   "keeps the seen ones, in order, marks cleared");
	is_str(cpool_cgid_find(&t, 30)->path, "/cpool/a/job-3", "with their paths");
	is_int((int64_t)cpool_cgid_sweep(&t), 2, "a sweep with nothing seen forgets all");
	is_int((int64_t)t.n, 0, "empty");
	cpool_cgid_table_free(&t);
}

static void many_ids(void)
{
	struct cpool_cgid_table t = { 0 };
	bool found = true;

	/* Descending, as the worst case for insertion. */
	for (uint64_t id = 3000; id > 0; id--)
		if (!cpool_cgid_add(&t, id * 7))
			break;
	is_int((int64_t)t.n, 3000, "3000 ids");
	for (uint64_t id = 1; id <= 3000; id++)
		found &= cpool_cgid_find(&t, id * 7) && !cpool_cgid_find(&t, id * 7 + 1);
	ok(found, "each is found, and no id between them");
	cpool_cgid_table_free(&t);
	ok(t.n == 0 && t.v == NULL, "freed");
}

int main(void)
{
	backoff_doubles_to_a_minute();
	table_keeps_ids_sorted();
	many_ids();
	done_testing();
	return exit_status();
}
