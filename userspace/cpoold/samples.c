// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The per-VS metric samples (one a VS a second) on their way to the store:
 * kept here and written every SAMPLES_FLUSH_S seconds in one transaction.
 * One commit a second was a WAL append, an fsync-free but not free write
 * of the database's pages, in a daemon that is otherwise asleep; a crash
 * now loses at most the samples of the last interval, never a job.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpoold.h"

#define SAMPLES_FLUSH_S 10.0

struct pending_sample {
	struct cpool_vs_sample s;
	char vs[CPOOL_VS_NAME_MAX + 1]; /* the VS may be destroyed before the write */
};

struct sample_buffer {
	struct pending_sample *rows;
	size_t n, cap;
};

/* The write's duration in seconds (for /metrics), or a negative errno. */
double samples_flush(struct cpoold *d)
{
	struct sample_buffer *b = d->samples;
	struct cpool_vs_sample *rows;
	int64_t t0 = now_us();
	int r;

	if (!b || !b->n)
		return 0;
	rows = calloc(b->n, sizeof(*rows));
	if (!rows)
		return -ENOMEM;
	for (size_t i = 0; i < b->n; i++) {
		rows[i] = b->rows[i].s;
		rows[i].vs = b->rows[i].vs;
	}
	r = cpool_store_samples_insert(d->store, rows, b->n);
	if (r)
		log_debug("store %zu metrics samples: %s", b->n, cpool_store_errmsg(d->store));
	free(rows);
	/* Written or not, they go: samples are measurements, not state to retry. */
	b->n = 0;
	return r ? r : (double)(now_us() - t0) / 1e6;
}

/* Queues @s; the batch is written once its oldest sample is SAMPLES_FLUSH_S old. */
double samples_add(struct cpoold *d, const struct cpool_vs_sample *s)
{
	struct sample_buffer *b = d->samples;

	if (!b && !(b = d->samples = calloc(1, sizeof(*b))))
		return -ENOMEM;
	if (b->n == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 64;
		struct pending_sample *rows = realloc(b->rows, cap * sizeof(*rows));

		if (!rows)
			return -ENOMEM;
		b->rows = rows;
		b->cap = cap;
	}
	b->rows[b->n].s = *s;
	snprintf(b->rows[b->n].vs, sizeof(b->rows[b->n].vs), "%s", s->vs ?: "");
	b->n++;
	if (s->time - b->rows[0].s.time < SAMPLES_FLUSH_S)
		return 0;
	return samples_flush(d);
}

void samples_free(struct cpoold *d)
{
	if (!d->samples)
		return;
	samples_flush(d);
	free(d->samples->rows);
	free(d->samples);
	d->samples = NULL;
}
