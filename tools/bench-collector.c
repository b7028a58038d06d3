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
 *
 * --cgroup-root defaults to the cgroup2 mount; --subtree limits the
 * cgroup files read as cpoold does (its pool root), default every cgroup
 * the BPF map has seen.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
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
					      { 0 } };
	struct cpool_collector_opts o = { .idle_from_switches = true };
	struct cpool_kmetrics_snapshot snap;
	struct cpool_collector *c;
	double *cost, total = 0, syscall_us, t0;
	size_t ncgroups = 0, ncpus = 0, nstat = 0;
	int reads = 2000, ch, r;
	const int nsyscalls = 200000;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'n')
			reads = atoi(optarg);
		else if (ch == 'r')
			o.cgroup_root = optarg;
		else if (ch == 's')
			o.stat_subtree = optarg;
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
	free(cost);
	cpool_collector_close(c);
	return 0;
}
