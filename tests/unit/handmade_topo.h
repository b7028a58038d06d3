/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Topology models built by hand, for shapes hwloc's synthetic syntax cannot
 * express: nodes of unequal size, memory-only nodes, interleaved CPU
 * numbering.  Shared by the planner tests and the benchmark.
 */
#ifndef CPOOL_TESTS_HANDMADE_TOPO_H
#define CPOOL_TESTS_HANDMADE_TOPO_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cpool/topology.h"

struct hm_node {
	int cores; /* 0: memory-only */
	int smt; /* threads per core */
	int l3; /* L3 groups in the node (cores split evenly) */
	int package;
	uint64_t memory; /* 0: 1 GiB */
};

/*
 * Nodes get Linux numbers 0..n-1.  CPU numbers: contiguous per core
 * (core c has c*smt .. c*smt+smt-1) or, with @interleave, Intel-style:
 * thread k of core c is k*total_cores + c.  Distances: 10 local, 16 same
 * package, 32 otherwise.  Returns 0 or what cpool_topology_finish says.
 */
static inline int handmade_topology(struct cpool_topology *t, const struct hm_node *spec, int n,
				    bool interleave)
{
	int total_cores = 0, total_pus = 0, total_l3 = 0, core = 0, pu = 0, g = 0, maxpk = -1;

	memset(t, 0, sizeof(*t));
	for (int i = 0; i < n; i++) {
		total_cores += spec[i].cores;
		total_pus += spec[i].cores * spec[i].smt;
		total_l3 += spec[i].cores ? (spec[i].l3 > 0 ? spec[i].l3 : 1) : 0;
		if (spec[i].package > maxpk)
			maxpk = spec[i].package;
	}
	t->nr_nodes = n;
	t->nr_packages = maxpk + 1;
	t->nodes = calloc((size_t)n, sizeof(*t->nodes));
	t->l3 = calloc((size_t)total_l3 + 1, sizeof(*t->l3));
	t->cores = calloc((size_t)total_cores + 1, sizeof(*t->cores));
	t->pus = calloc((size_t)total_pus + 1, sizeof(*t->pus));
	t->distance = calloc((size_t)n * (size_t)n, sizeof(int));
	t->source = strdup("handmade");
	if (!t->nodes || !t->l3 || !t->cores || !t->pus || !t->distance || !t->source)
		return -1;
	for (int i = 0; i < n; i++) {
		int groups = spec[i].l3 > 0 ? spec[i].l3 : 1;

		t->nodes[i].os = i;
		t->nodes[i].package = spec[i].package;
		t->nodes[i].memory = spec[i].memory ? spec[i].memory : (uint64_t)1 << 30;
		for (int j = 0; j < n; j++)
			t->distance[i * n + j] = i == j				    ? 10 :
						 spec[i].package == spec[j].package ? 16 :
										      32;
		if (!spec[i].cores)
			continue;
		if (groups > spec[i].cores)
			groups = spec[i].cores;
		for (int k = 0; k < groups; k++) {
			int nc = spec[i].cores / groups + (k < spec[i].cores % groups);

			t->l3[g].node = i;
			t->l3[g].package = spec[i].package;
			t->l3[g].first_core = core;
			t->l3[g].nr_cores = nc;
			for (int c = 0; c < nc; c++, core++) {
				t->cores[core].l3 = g;
				t->cores[core].node = i;
				t->cores[core].package = spec[i].package;
				t->cores[core].first_pu = pu;
				t->cores[core].nr_pus = spec[i].smt;
				for (int s = 0; s < spec[i].smt; s++, pu++) {
					t->pus[pu].core = core;
					t->pus[pu].os = interleave ? s * total_cores + core : pu;
				}
			}
			g++;
		}
	}
	t->nr_l3 = g;
	t->nr_cores = core;
	t->nr_pus = pu;
	t->distance_measured = true;
	return cpool_topology_finish(t);
}

#endif /* CPOOL_TESTS_HANDMADE_TOPO_H */
