/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The machine as the planner sees it: packages, NUMA nodes (memory and
 * distances), L3 groups, cores and PUs.  hwloc is read once into plain
 * arrays so the planner and the tests never call hwloc and stay fast.
 *
 * Every CPU number is a Linux CPU number (hwloc os_index), every node number
 * a Linux node number.  Array indexes ("node index", "core index") are the
 * model's own and only link the arrays together.
 */
#ifndef CPOOL_TOPOLOGY_H
#define CPOOL_TOPOLOGY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpool/cpuset.h"
#include "cpool/error.h"

struct cpool_topo_node {
	int os; /* Linux node number */
	int package; /* package index; -1 when it has no CPUs nor package */
	uint64_t memory; /* bytes of local memory */
	const char *subtype; /* "DRAM", "MCDRAM", ... or NULL; points into the model */
	/*
	 * CPUs the planner gives out with this node: its own CPUs plus CPUs
	 * without local memory (on a memoryless node, or on none) whose
	 * locality is nearest to it by the distance matrix.  Only nodes with
	 * memory and CPUs of their own adopt.  Empty for memory-only nodes
	 * (a memoryless node's CPUs all go elsewhere, so it becomes one),
	 * which never receive CPUs.
	 */
	struct cpool_cpuset cpus;
	struct cpool_cpuset adopted_cpus; /* the subset without local memory */
	int first_l3, nr_l3; /* its L3 groups: [first_l3, first_l3 + nr_l3) */
	int nr_cpus;
	int nr_cores;
	int smt; /* most threads in one of its cores; 0 when memory-only */
	/*
	 * For a memory-only node: the node index whose CPUs are closest to it
	 * (hwloc locality, else the distance matrix); -1 when unknown.  Its
	 * own index for a node with CPUs.
	 */
	int near;
};

/*
 * The cores that share an L3 cache and a home node.  Without L3 information,
 * a node's cores in one package form one group (normally the whole node).
 */
struct cpool_topo_l3 {
	int node; /* node index */
	int package; /* package index or -1 */
	int first_core, nr_cores; /* [first_core, first_core + nr_cores) */
	int nr_cpus;
	struct cpool_cpuset cpus;
};

struct cpool_topo_core {
	int l3, node, package; /* indexes; package -1 when none */
	int first_pu, nr_pus; /* into pus[] */
};

struct cpool_topo_pu {
	int os; /* Linux CPU number */
	int core; /* core index */
};

struct cpool_topology {
	int nr_packages;
	int nr_nodes;
	struct cpool_topo_node *nodes; /* sorted by Linux node number */
	int nr_l3;
	struct cpool_topo_l3 *l3; /* grouped by node, in node order */
	int nr_cores;
	struct cpool_topo_core *cores; /* grouped by L3 group, in group order */
	int nr_pus;
	struct cpool_topo_pu *pus; /* grouped by core */
	/* Relative latency, nr_nodes x nr_nodes by node index: distance[a * nr_nodes + b]. */
	int *distance;
	bool distance_measured; /* false: no matrix in the source, 10 local / 20 remote */
	int smt; /* most threads per core */
	struct cpool_cpuset cpus; /* every PU */
	struct cpool_cpuset mems; /* every node */
	int pu_of_cpu_max; /* highest Linux CPU number + 1 */
	int *pu_of_cpu; /* Linux CPU number -> PU index, -1 for absent */
	char *source; /* "this machine", the file or the synthetic description */
	char **strings; /* owned subtype strings */
	int nr_strings;
};

/*
 * Load from hwloc: @xml_file (an hwloc XML export), or @synthetic (hwloc
 * synthetic description such as "pack:2 numa:2 core:8 pu:2"), or the live
 * machine when both are NULL.  Returns 0 or a negative errno; on error
 * @e (when not NULL) receives a one-line reason.
 */
int cpool_topology_load(struct cpool_topology *t, const char *xml_file, const char *synthetic,
			struct cpool_error *e);
void cpool_topology_free(struct cpool_topology *t);

/* Node index of Linux node @os, or -1. */
int cpool_topology_node_index(const struct cpool_topology *t, int os);
/* Core index of Linux CPU @cpu, or -1 when the machine has no such CPU. */
int cpool_topology_core_of_cpu(const struct cpool_topology *t, int cpu);
/* Node index that gives out Linux CPU @cpu, or -1. */
int cpool_topology_node_of_cpu(const struct cpool_topology *t, int cpu);
static inline int cpool_topology_distance(const struct cpool_topology *t, int a, int b)
{
	return t->distance[a * t->nr_nodes + b];
}

/*
 * Build the arrays derived from nodes/l3/cores/pus (cpusets, counts, smt,
 * pu_of_cpu).  cpool_topology_load calls it; tests that assemble a model by
 * hand (odd shapes hwloc synthetic cannot express) call it too.  The
 * arrays must already be grouped as documented above.
 */
int cpool_topology_finish(struct cpool_topology *t);

#endif /* CPOOL_TOPOLOGY_H */
