// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * bench-plan: plan 256 virtual servers on a 1024-PU, 16-node synthetic
 * machine, and compare with a naive first-fit planner (first N free CPUs,
 * blind to the topology) measured in the same run.  Target: under 5 ms.
 *
 *	build/tools/bench-plan [--reps N] [--synthetic DESC]
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpool/planner.h"
#include "cpool/topology.h"

#define NR_VS 256
#define TARGET_MS 5.0

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int by_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* A fixed mix: mostly small whole-core VSs, some local, some spread. */
static void make_specs(struct cpool_vs_spec *s, int smt)
{
	static const int sizes[] = { 1, 1, 2, 2, 2, 3 };
	uint32_t x = 12345;

	for (int i = 0; i < NR_VS; i++) {
		char name[16];

		x = x * 1103515245u + 12345u;
		snprintf(name, sizeof(name), "vs%d", i);
		cpool_vs_spec_init(&s[i], name);
		s[i].cpus = sizes[(x >> 16) % 6] * smt;
		s[i].numa = (x >> 8) % 10 < 5 ? CPOOL_NUMA_LOCAL :
			    (x >> 8) % 10 < 9 ? CPOOL_NUMA_ANY :
						CPOOL_NUMA_SPREAD;
	}
}

/* The baseline: the first N free CPUs in number order, nothing else. */
static int naive_plan(const struct cpool_topology *t, const struct cpool_cpuset *reserved,
		      const struct cpool_vs_spec *s, struct cpool_vserver *out)
{
	struct cpool_cpuset used = *reserved;
	int failed = 0;

	for (int i = 0; i < NR_VS; i++) {
		int need = s[i].cpus;
		struct cpool_cpuset mine;

		cpool_cpuset_zero(&mine);
		for (int c = cpool_cpuset_first(&t->cpus); c >= 0 && need;
		     c = cpool_cpuset_next(&t->cpus, c))
			if (!cpool_cpuset_isset(&used, c)) {
				cpool_cpuset_set(&mine, c);
				cpool_cpuset_set(&used, c);
				need--;
			}
		failed += need > 0;
		out[i].cpus = mine;
	}
	return failed;
}

/* Nodes spanned per VS, over those not asking to be spread. */
static double mean_nodes(const struct cpool_topology *t, const struct cpool_vs_spec *s,
			 const struct cpool_vserver *out)
{
	bool *seen = calloc((size_t)t->nr_nodes, sizeof(*seen));
	long sum = 0, counted = 0;

	if (!seen)
		return -1;
	for (int i = 0; i < NR_VS; i++) {
		if (s[i].numa == CPOOL_NUMA_SPREAD)
			continue;
		counted++;

		memset(seen, 0, sizeof(*seen) * (size_t)t->nr_nodes);
		for (int c = cpool_cpuset_first(&out[i].cpus); c >= 0;
		     c = cpool_cpuset_next(&out[i].cpus, c))
			seen[cpool_topology_node_of_cpu(t, c)] = true;
		for (int n = 0; n < t->nr_nodes; n++)
			sum += seen[n];
	}
	free(seen);
	return counted ? (double)sum / (double)counted : 0.0;
}

static long split_cores(const struct cpool_topology *t, const struct cpool_vserver *out)
{
	long n = 0;

	for (int i = 0; i < NR_VS; i++)
		for (int c = cpool_cpuset_first(&out[i].cpus); c >= 0;
		     c = cpool_cpuset_next(&out[i].cpus, c)) {
			const struct cpool_topo_core *core =
				&t->cores[cpool_topology_core_of_cpu(t, c)];

			for (int p = core->first_pu; p < core->first_pu + core->nr_pus; p++)
				if (!cpool_cpuset_isset(&out[i].cpus, t->pus[p].os)) {
					n++;
					break;
				}
		}
	return n;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "reps", required_argument, NULL, 'r' },
		{ "synthetic", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *desc = "pack:4 numa:4 l3:2 core:16 pu:2";
	static struct cpool_vs_spec specs[NR_VS];
	static struct cpool_vserver out[NR_VS], naive_out[NR_VS];
	struct cpool_topology t;
	struct cpool_cpuset reserved;
	double *ours, *naive, t0;
	int reps = 200, c, failed = 0, naive_failed = 0;
	struct cpool_error err;

	while ((c = getopt_long(argc, argv, "r:s:h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			reps = atoi(optarg);
			if (reps < 1)
				reps = 1;
			break;
		case 's':
			desc = optarg;
			break;
		default:
			printf("usage: bench-plan [--reps N] [--synthetic DESC]\n");
			return c == 'h' ? 0 : 2;
		}
	}
	t0 = now_ms();
	if (cpool_topology_load(&t, NULL, desc, &err)) {
		fprintf(stderr, "bench-plan: %s\n", err.msg);
		return 1;
	}
	printf("machine: %s: %d PUs, %d NUMA nodes, %d L3 groups (hwloc load %.2f ms, once)\n",
	       desc, t.nr_pus, t.nr_nodes, t.nr_l3, now_ms() - t0);
	make_specs(specs, t.smt);
	cpool_planner_default_reserved(&t, &reserved);
	ours = calloc((size_t)reps, sizeof(double));
	naive = calloc((size_t)reps, sizeof(double));
	if (!ours || !naive)
		return 1;
	for (int r = 0; r < reps; r++) {
		struct cpool_planner *p;

		t0 = now_ms();
		if (cpool_planner_new(&p, &t, NULL, &err)) {
			fprintf(stderr, "bench-plan: %s\n", err.msg);
			return 1;
		}
		failed = cpool_planner_place_all(p, specs, NR_VS, CPOOL_FIT_BEST, out, NULL);
		cpool_planner_free(p);
		ours[r] = now_ms() - t0;

		t0 = now_ms();
		naive_failed = naive_plan(&t, &reserved, specs, naive_out);
		naive[r] = now_ms() - t0;
	}
	qsort(ours, (size_t)reps, sizeof(double), by_double);
	qsort(naive, (size_t)reps, sizeof(double), by_double);
	{
		double mo = ours[reps / 2], mn = naive[reps / 2];
		long asked = 0;

		for (int i = 0; i < NR_VS; i++)
			asked += specs[i].cpus;
		printf("request: %d VSs, %ld CPUs (local, any and spread; whole cores)\n", NR_VS,
		       asked);
		printf("cpool planner:     median %.3f ms  (min %.3f, max %.3f) over %d runs; "
		       "%d failed; %.2f nodes per non-spread VS; %ld split cores\n",
		       mo, ours[0], ours[reps - 1], reps, failed, mean_nodes(&t, specs, out),
		       split_cores(&t, out));
		printf("naive first-fit:   median %.3f ms  (min %.3f, max %.3f); %d failed; "
		       "%.2f nodes per non-spread VS; %ld split cores\n",
		       mn, naive[0], naive[reps - 1], naive_failed,
		       mean_nodes(&t, specs, naive_out), split_cores(&t, naive_out));
		printf("ratio cpool/naive: %.2f\n", mn > 0 ? mo / mn : 0.0);
		printf("target: under %.1f ms: %s\n", TARGET_MS, mo < TARGET_MS ? "met" : "MISSED");
		free(ours);
		free(naive);
		cpool_topology_free(&t);
		return mo < TARGET_MS ? 0 : 1;
	}
}
