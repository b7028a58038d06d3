// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* The collector's cgroup id table and its back-off (include/cpool/cgroup_ids.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cpool/cgroup_ids.h"

bool cpool_backoff_due(const struct cpool_backoff *b, uint64_t now_ns)
{
	return now_ns >= b->next_ns;
}

void cpool_backoff_failed(struct cpool_backoff *b, uint64_t now_ns)
{
	if (!b->delay_ns)
		b->delay_ns = CPOOL_BACKOFF_FIRST_NS;
	else if (b->delay_ns < CPOOL_BACKOFF_MAX_NS)
		b->delay_ns *= 2;
	if (b->delay_ns > CPOOL_BACKOFF_MAX_NS)
		b->delay_ns = CPOOL_BACKOFF_MAX_NS;
	b->next_ns = now_ns + b->delay_ns;
}

void cpool_backoff_reset(struct cpool_backoff *b)
{
	b->next_ns = b->delay_ns = 0;
}

/* The index of @id, or where it would go (*found false). */
static size_t locate(const struct cpool_cgid_table *t, uint64_t id, bool *found)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->v[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < t->n && t->v[lo].id == id;
	return lo;
}

struct cpool_cgid *cpool_cgid_find(struct cpool_cgid_table *t, uint64_t id)
{
	bool found;
	size_t i = locate(t, id, &found);

	return found ? &t->v[i] : NULL;
}

struct cpool_cgid *cpool_cgid_add(struct cpool_cgid_table *t, uint64_t id)
{
	bool found;
	size_t i = locate(t, id, &found);

	if (found)
		return &t->v[i];
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 64;
		struct cpool_cgid *v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		t->v = v;
		t->cap = cap;
	}
	memmove(&t->v[i + 1], &t->v[i], (t->n - i) * sizeof(*t->v));
	t->n++;
	memset(&t->v[i], 0, sizeof(t->v[i]));
	t->v[i].id = id;
	return &t->v[i];
}

int cpool_cgid_set_path(struct cpool_cgid *e, const char *path)
{
	char *p = strdup(path);

	if (!p)
		return -ENOMEM;
	free(e->path);
	e->path = p;
	e->misses = 0;
	cpool_backoff_reset(&e->retry);
	return 0;
}

void cpool_cgid_remove(struct cpool_cgid_table *t, uint64_t id)
{
	bool found;
	size_t i = locate(t, id, &found);

	if (!found)
		return;
	free(t->v[i].path);
	memmove(&t->v[i], &t->v[i + 1], (t->n - i - 1) * sizeof(*t->v));
	t->n--;
}

size_t cpool_cgid_sweep(struct cpool_cgid_table *t)
{
	size_t kept = 0, n = t->n;

	for (size_t i = 0; i < n; i++) {
		if (!t->v[i].seen) {
			free(t->v[i].path);
			continue;
		}
		t->v[i].seen = false;
		t->v[kept++] = t->v[i];
	}
	t->n = kept;
	return n - kept;
}

size_t cpool_cgid_unresolved(const struct cpool_cgid_table *t)
{
	size_t n = 0;

	for (size_t i = 0; i < t->n; i++)
		n += !t->v[i].path;
	return n;
}

void cpool_cgid_table_free(struct cpool_cgid_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].path);
	free(t->v);
	memset(t, 0, sizeof(*t));
}
