// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * bench-collector: what one read of the kernel-metrics collector costs,
 * the work behind cpoold's once-a-second metrics tick, on the thread's CPU
 * clock (its own work, not a loaded machine's scheduling).  The baseline,
 * measured in the same run, is one trivial system call (getppid): a read
 * costs "x N system calls", a figure that moves less with the machine and
 * its load than microseconds do.  Needs root for BPF (without it, the
 * degraded mode is measured, and said so); it only reads the cgroup
 * tree, so a host's hybrid layout is fine:
 *
 *	build/tools/bench-collector [--reads N] [--cgroup-root DIR] [--subtree REL]
 *				    [--no-cgroup-files] [--walk [--cgroups N]]
 *
 * --cgroup-root defaults to the cgroup2 mount; --subtree limits the
 * cgroup files read as cpoold does (its pool root), default every cgroup
 * the BPF map has seen; --no-cgroup-files reads none, as cpoold does now.
 *
 * --walk compares, in the same run, the two ways a new cgroup id becomes a
 * path: by its file handle (open_by_handle_at, one id) and by a walk of
 * the whole tree (the fallback where handles are not permitted, which
 * cpoold ran for each new job's leaf), on every cgroup of the tree, with
 * --cgroups N empty cgroups added to it first (removed at the end).  The
 * baseline of that comparison is the handle, on the wall clock (a walk
 * waits on the kernel's locks as well as the CPU).
 */
#include <ftw.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cpool/collector.h"

static double thread_cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static double wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* Every cgroup's id (its directory's inode), from one walk of our own. */
static uint64_t *tree_ids;
static size_t ntree_ids, cap_tree_ids;

static int collect_id(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)path;
	(void)ftw;
	if (type != FTW_D)
		return 0;
	if (ntree_ids == cap_tree_ids) {
		size_t cap = cap_tree_ids ? 2 * cap_tree_ids : 1024;
		uint64_t *n = realloc(tree_ids, cap * sizeof(*n));

		if (!n)
			return 1;
		tree_ids = n;
		cap_tree_ids = cap;
	}
	tree_ids[ntree_ids++] = (uint64_t)st->st_ino;
	return 0;
}

/*
 * Resolves every id of the tree on a fresh collector (no BPF: only its
 * id resolution is used), by handle or by walks; the wall time in µs, and
 * how many were found.
 */
static double resolve_all(const struct cpool_collector_opts *base, bool walk, size_t *found,
			  struct cpool_collector_ids *st)
{
	struct cpool_collector_opts o = *base;
	struct cpool_collector *c;
	double t0, took;

	o.no_bpf = true;
	o.resolve_by_walk = walk;
	*found = 0;
	if (cpool_collector_open(&o, &c))
		return -1;
	t0 = wall_us();
	for (size_t i = 0; i < ntree_ids; i++)
		*found += cpool_collector_cgroup_path(c, tree_ids[i]) != NULL;
	took = wall_us() - t0;
	cpool_collector_id_stats(c, st);
	cpool_collector_close(c);
	return took;
}

/* --walk: one new id by handle against one walk of the tree. */
static int compare_resolutions(const struct cpool_collector_opts *o, int ncgroups)
{
	const char *mount = o->cgroup_root ? o->cgroup_root : "/sys/fs/cgroup";
	char dir[256], sub[300];
	struct cpool_collector_ids hs, ws;
	size_t hfound, wfound;
	double by_handle, by_walk, walk_once;
	int made = 0;

	snprintf(dir, sizeof(dir), "%s/bench-collector-%d", mount, (int)getpid());
	if (ncgroups > 0 && mkdir(dir, 0755)) {
		perror("bench-collector: mkdir");
		return 1;
	}
	for (int i = 0; i < ncgroups; i++) {
		snprintf(sub, sizeof(sub), "%s/c%d", dir, i);
		made += mkdir(sub, 0755) == 0;
	}
	if (nftw(mount, collect_id, 32, FTW_PHYS | FTW_MOUNT) || !ntree_ids) {
		fprintf(stderr, "bench-collector: cannot walk %s\n", mount);
		return 1;
	}
	by_handle = resolve_all(o, false, &hfound, &hs);
	by_walk = resolve_all(o, true, &wfound, &ws);
	/* By walk, the first id costs the walk; the others are found in it. */
	walk_once = ws.walks ? by_walk / (double)ws.walks : by_walk;
	printf("a new cgroup id to its path, %zu cgroups in the tree (%d made for this)\n",
	       ntree_ids, made);
	if (hs.walk_reason)
		printf("  by handle unavailable: %s\n", hs.walk_reason);
	printf("  by handle, one id     %10.1f us wall (baseline; %zu of %zu found, %llu by handle)\n",
	       by_handle / (double)ntree_ids, hfound, ntree_ids, (unsigned long long)hs.by_handle);
	printf("  by walk, one walk     %10.1f us wall  x%.0f of baseline (%zu found, %llu walks)\n",
	       walk_once, walk_once / (by_handle / (double)ntree_ids), wfound,
	       (unsigned long long)ws.walks);
	for (int i = 0; i < ncgroups; i++) {
		snprintf(sub, sizeof(sub), "%s/c%d", dir, i);
		rmdir(sub);
	}
	if (ncgroups > 0)
		rmdir(dir);
	free(tree_ids);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "reads", required_argument, NULL, 'n' },
					      { "cgroup-root", required_argument, NULL, 'r' },
					      { "subtree", required_argument, NULL, 's' },
					      { "no-cgroup-files", no_argument, NULL, 'F' },
					      { "walk", no_argument, NULL, 'w' },
					      { "cgroups", required_argument, NULL, 'c' },
					      { 0 } };
	struct cpool_collector_opts o = { .idle_from_switches = true };
	struct cpool_kmetrics_snapshot snap;
	struct cpool_collector *c;
	double *cost, total = 0, syscall_us, t0;
	size_t ncgroups = 0, ncpus = 0, nstat = 0;
	struct cpool_collector_ids ids;
	int reads = 2000, ch, r, ncg = 0;
	bool walk = false;
	const int nsyscalls = 200000;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'n')
			reads = atoi(optarg);
		else if (ch == 'r')
			o.cgroup_root = optarg;
		else if (ch == 's')
			o.stat_subtree = optarg;
		else if (ch == 'F')
			o.no_cgroup_files = true;
		else if (ch == 'w')
			walk = true;
		else if (ch == 'c')
			ncg = atoi(optarg);
		else
			return 2;
	}
	if (reads < 10) {
		fprintf(stderr, "bench-collector: --reads must be at least 10\n");
		return 2;
	}
	r = cpool_collector_open(&o, &c);
	if (r) {
		fprintf(stderr, "bench-collector: open: %d\n", r);
		return 1;
	}
	cost = calloc((size_t)reads, sizeof(*cost));
	if (!cost)
		return 1;

	t0 = thread_cpu_us();
	for (int i = 0; i < nsyscalls; i++)
		syscall(SYS_getppid);
	syscall_us = (thread_cpu_us() - t0) / nsyscalls;

	/* The first read resolves every cgroup id (a tree walk): not the steady tick. */
	if (cpool_collector_read(c, &snap) == 0)
		cpool_kmetrics_snapshot_free(&snap);
	for (int i = 0; i < reads; i++) {
		t0 = thread_cpu_us();
		r = cpool_collector_read(c, &snap);
		cost[i] = thread_cpu_us() - t0;
		if (r) {
			fprintf(stderr, "bench-collector: read: %d\n", r);
			return 1;
		}
		total += cost[i];
		ncgroups = snap.ncgroups;
		ncpus = snap.ncpus;
		nstat = 0;
		for (size_t k = 0; k < snap.ncgroups; k++)
			nstat += snap.cgroups[k].stat.usage_usec > 0;
		cpool_kmetrics_snapshot_free(&snap);
	}
	qsort(cost, (size_t)reads, sizeof(*cost), cmp_double);

	printf("collector read (%s%s), %d reads back to back\n",
	       cpool_collector_degraded(c) ? "degraded: " : "BPF",
	       cpool_collector_degraded(c) ? cpool_collector_reason(c) : "", reads);
	printf("  snapshot: %zu CPUs, %zu cgroups, %zu with cgroup files read\n", ncpus, ncgroups,
	       nstat);
	printf("  one getppid()      %8.3f us thread CPU (baseline)\n", syscall_us);
	printf("  read, median       %8.1f us thread CPU  x%.0f of baseline\n", cost[reads / 2],
	       cost[reads / 2] / syscall_us);
	printf("  read, mean         %8.1f us thread CPU  x%.0f of baseline\n", total / reads,
	       total / reads / syscall_us);
	printf("  read, p99          %8.1f us thread CPU  x%.0f of baseline\n",
	       cost[reads * 99 / 100], cost[reads * 99 / 100] / syscall_us);
	cpool_collector_id_stats(c, &ids);
	printf("  cgroup ids: %llu by handle, %llu by walk (%llu walks), %llu stale, %llu pending%s%s\n",
	       (unsigned long long)ids.by_handle, (unsigned long long)ids.by_walk,
	       (unsigned long long)ids.walks, (unsigned long long)ids.stale,
	       (unsigned long long)ids.pending, ids.walk_reason ? "; walks: " : "",
	       ids.walk_reason ? ids.walk_reason : "");
	free(cost);
	cpool_collector_close(c);
	return walk ? compare_resolutions(&o, ncg) : 0;
}
