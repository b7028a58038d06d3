// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * bench-retention: what cpoold's retention costs its event loop.  A store
 * with N samples past the retention (default 1 000 000, about 12 days of
 * one VS) and a tenth as many recent ones is pruned the daemon's way, 500
 * rows a batch (retention.c), and the longest batch, the longest time the
 * loop would be held, is printed beside the baseline measured in the same
 * run: the same backlog deleted by one statement in an identical store.
 *
 *	build/tools/bench-retention [--samples N]
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cpool/store.h"

#define BATCH 500 /* retention.c's RETENTION_BATCH */

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct cpool_store *fill(const char *path, long n, double old, double recent)
{
	struct cpool_store *s;
	struct cpool_error err;

	remove(path);
	if (cpool_store_open(path, &s, &err)) {
		fprintf(stderr, "bench-retention: %s\n", err.msg);
		exit(1);
	}
	for (long i = 0; i < n + n / 10;) {
		struct cpool_vs_sample rows[1000];
		int k = 0;

		for (; k < 1000 && i < n + n / 10; k++, i++)
			rows[k] = (struct cpool_vs_sample){ .time = i < n ? old + (double)i :
									    recent + (double)i,
							    .vs = "v" };
		if (cpool_store_samples_insert(s, rows, (size_t)k)) {
			fprintf(stderr, "bench-retention: insert: %s\n", cpool_store_errmsg(s));
			exit(1);
		}
	}
	return s;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "samples", required_argument, NULL, 's' }, { 0 } };
	const double now = (double)time(NULL), before = now - 30 * 86400.0;
	char path[] = "/tmp/bench-retention.XXXXXX", db[64];
	double longest = 0, total = 0, one, t;
	long n = 1000000, gone = 0;
	struct cpool_store *s;
	int c, batches = 0, r;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 's')
			return 2;
		n = atol(optarg);
	}
	if (!mkdtemp(path)) {
		perror("bench-retention: mkdtemp");
		return 1;
	}
	snprintf(db, sizeof(db), "%s/state.db", path);

	s = fill(db, n, before - 40 * 86400.0, now - 86400.0);
	do {
		t = mono_s();
		r = cpool_store_prune_samples(s, before, BATCH);
		t = mono_s() - t;
		if (r < 0) {
			fprintf(stderr, "bench-retention: prune: %s\n", cpool_store_errmsg(s));
			return 1;
		}
		gone += r;
		batches++;
		total += t;
		if (t > longest)
			longest = t;
	} while (r == BATCH);
	cpool_store_close(s);

	s = fill(db, n, before - 40 * 86400.0, now - 86400.0);
	t = mono_s();
	r = cpool_store_prune_samples(s, before, INT_MAX);
	one = mono_s() - t;
	cpool_store_close(s);

	printf("retention of %ld old samples (and %ld recent ones kept)\n", n, n / 10);
	printf("  one DELETE (baseline)   %9.1f ms  (%d rows)\n", one * 1e3, r);
	printf("  batches of %d: %d, %ld rows, %.1f ms in all (x%.2f of baseline)\n", BATCH,
	       batches, gone, total * 1e3, total / one);
	printf("  mean batch              %9.2f ms  x%.4f of baseline\n", total / batches * 1e3,
	       total / batches / one);
	printf("  longest batch           %9.2f ms  x%.4f of baseline: the loop's longest hold\n",
	       longest * 1e3, longest / one);
	snprintf(db, sizeof(db), "rm -rf '%s'", path);
	return system(db) ? 1 : 0;
}
