// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * bench-retention: what cpoold's retention costs its event loop.  A store
 * with N samples past the retention (default 1 000 000, about 12 days of
 * one VS) and a tenth as many recent ones is pruned the daemon's way, 500
 * rows a batch (retention.c), and the longest batch, the longest time the
 * loop would be held, is printed beside the baseline measured in the same
 * run: the same backlog deleted by one statement in an identical store.
 * Batches are RETENTION_NEXT_BATCH_NS apart, as in the daemon.  Each batch
 * is timed twice: on the wall clock (what the loop waited: the batch, the
 * WAL checkpoint with its fsync that SQLite runs in every commit crossing
 * 1000 WAL pages, and a shared machine's scheduling) and on the thread's
 * CPU clock (the batch's own work).
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
#define GAP_NS 20000000L /* retention.c's RETENTION_NEXT_BATCH_NS */

static double clock_s(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double mono_s(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest rank of sorted @v. */
static double pct(const double *v, int n, double p)
{
	int k = (int)(p / 100.0 * n + 0.999999);

	return v[k < 1 ? 0 : k > n ? n - 1 : k - 1];
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
	double total = 0, one, t, cpu, *wall_ms, *cpu_ms;
	long n = 1000000, gone = 0;
	struct cpool_store *s;
	int c, batches = 0, r;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 's')
			return 2;
		n = atol(optarg);
	}
	if (n < BATCH) {
		fprintf(stderr, "bench-retention: --samples %ld: at least %d\n", n, BATCH);
		return 2;
	}
	if (!mkdtemp(path)) {
		perror("bench-retention: mkdtemp");
		return 1;
	}
	snprintf(db, sizeof(db), "%s/state.db", path);
	wall_ms = calloc((size_t)(n / BATCH + 2), sizeof(*wall_ms));
	cpu_ms = calloc((size_t)(n / BATCH + 2), sizeof(*cpu_ms));
	if (!wall_ms || !cpu_ms)
		return 1;

	s = fill(db, n, before - 40 * 86400.0, now - 86400.0);
	do {
		struct timespec gap = { .tv_nsec = GAP_NS };

		nanosleep(&gap, NULL);
		t = mono_s();
		cpu = clock_s(CLOCK_THREAD_CPUTIME_ID);
		r = cpool_store_prune_samples(s, before, BATCH);
		cpu = clock_s(CLOCK_THREAD_CPUTIME_ID) - cpu;
		t = mono_s() - t;
		if (r < 0) {
			fprintf(stderr, "bench-retention: prune: %s\n", cpool_store_errmsg(s));
			return 1;
		}
		gone += r;
		wall_ms[batches] = t * 1e3;
		cpu_ms[batches] = cpu * 1e3;
		batches++;
		total += t;
	} while (r == BATCH);
	cpool_store_close(s);

	s = fill(db, n, before - 40 * 86400.0, now - 86400.0);
	t = mono_s();
	r = cpool_store_prune_samples(s, before, INT_MAX);
	one = mono_s() - t;
	cpool_store_close(s);

	qsort(wall_ms, (size_t)batches, sizeof(*wall_ms), cmp_double);
	qsort(cpu_ms, (size_t)batches, sizeof(*cpu_ms), cmp_double);
	printf("retention of %ld old samples (and %ld recent ones kept)\n", n, n / 10);
	printf("  one DELETE (baseline)   %9.1f ms  (%d rows)\n", one * 1e3, r);
	printf("  batches of %d, %ld ms apart: %d, %ld rows, %.1f ms in all (x%.2f of baseline)\n",
	       BATCH, GAP_NS / 1000000, batches, gone, total * 1e3, total / one);
	printf("  batch, wall clock: median %.2f ms, p99 %.2f ms, longest %.2f ms (x%.4f of "
	       "baseline): the loop's longest hold\n",
	       pct(wall_ms, batches, 50), pct(wall_ms, batches, 99), wall_ms[batches - 1],
	       wall_ms[batches - 1] / 1e3 / one);
	printf("  batch, its CPU time:  median %.2f ms, p99 %.2f ms, longest %.2f ms\n",
	       pct(cpu_ms, batches, 50), pct(cpu_ms, batches, 99), cpu_ms[batches - 1]);
	free(wall_ms);
	free(cpu_ms);
	snprintf(db, sizeof(db), "rm -rf '%s'", path);
	return system(db) ? 1 : 0;
}
