// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The planner's memory ledger: what each VS's memory charges each node
 * (by CPU share, as first-touch allocation places it), and the checks that
 * no placement, adoption or resize charges a node past its memory.
 */
#include <errno.h>
#include <string.h>

#include "cpool/units.h"
#include "planner_impl.h"

/* a * b / c without overflow, rounded down; c > 0. */
static uint64_t mul_div(uint64_t a, uint64_t b, uint64_t c)
{
	return (uint64_t)((unsigned __int128)a * b / c);
}

/*
 * What a VS of @bytes with @cpus and @mems charges each node (@out, per
 * node index): split by CPU share -- each memory node of its mems gets the
 * part of @bytes that its CPUs there have of all its CPUs on memory nodes
 * of its mems, as first-touch allocation puts memory next to the CPU that
 * touches it.  When none of its CPUs sits on a node of its mems (mems names
 * only memory-only nodes, say MCDRAM), evenly across the mems nodes that
 * have memory.  Rounding remainders go to the first node with the largest
 * share, so the parts add up to @bytes exactly.
 */
void planner_memory_charge(struct cpool_planner *p, const struct cpool_cpuset *cpus,
			   const struct cpool_cpuset *mems, uint64_t bytes, uint64_t *out)
{
	const struct cpool_topology *t = p->t;
	uint64_t *weight = p->weight, total = 0, given = 0;
	int top = -1;

	memset(out, 0, sizeof(*out) * (size_t)t->nr_nodes);
	memset(weight, 0, sizeof(*weight) * (size_t)t->nr_nodes);
	if (!bytes)
		return;
	/* An adopted VS with empty mems uses its parent's, as the kernel does: every node. */
	if (cpool_cpuset_empty(mems))
		mems = &t->mems;
	for (int c = cpool_cpuset_first(cpus); c >= 0; c = cpool_cpuset_next(cpus, c)) {
		int n = cpool_topology_node_of_cpu(t, c);

		if (n >= 0 && t->nodes[n].memory && cpool_cpuset_isset(mems, t->nodes[n].os))
			weight[n]++, total++;
	}
	if (!total)
		for (int n = 0; n < t->nr_nodes; n++)
			if (t->nodes[n].memory && cpool_cpuset_isset(mems, t->nodes[n].os))
				weight[n] = 1, total++;
	/* mems with no memory at all: charge the first node, which cannot hold it. */
	for (int n = 0; !total && n < t->nr_nodes; n++)
		if (cpool_cpuset_isset(mems, t->nodes[n].os))
			weight[n] = total = 1;
	if (!total)
		return;
	for (int n = 0; n < t->nr_nodes; n++) {
		out[n] = mul_div(bytes, weight[n], total);
		given += out[n];
		if (weight[n] && (top < 0 || weight[n] > weight[top]))
			top = n;
	}
	out[top] += bytes - given;
}

uint64_t planner_node_memory_free(const struct cpool_planner *p, int n)
{
	uint64_t mem = p->t->nodes[n].memory;

	return p->mem_used[n] < mem ? mem - p->mem_used[n] : 0;
}

/*
 * Can slot @owner trade its current charge for @charge?  Only nodes whose
 * charge grows are checked, so a VS never fails to shrink.
 */
int planner_memory_check(const struct cpool_planner *p, int owner, const char *name, uint64_t bytes,
			 const uint64_t *charge, struct cpool_error *e)
{
	const struct cpool_topology *t = p->t;
	const uint64_t *old = charge_of(p, owner);

	for (int n = 0; n < t->nr_nodes; n++) {
		uint64_t avail = planner_node_memory_free(p, n) + old[n];
		char want[32], need[32], have[32];

		if (charge[n] <= old[n] || charge[n] <= avail)
			continue;
		cpool_format_size(bytes, want, sizeof(want));
		cpool_format_size(charge[n], need, sizeof(need));
		cpool_format_size(avail, have, sizeof(have));
		return cpool_error_set(
			e, -ENOSPC, "vserver %s: memory=%s needs %s on node %d; %s is free there",
			name, want, need, t->nodes[n].os, have);
	}
	return 0;
}

void planner_memory_commit(struct cpool_planner *p, int owner, const uint64_t *charge)
{
	size_t nn = (size_t)p->t->nr_nodes;
	uint64_t *mine = charge_of(p, owner);

	for (size_t n = 0; n < nn; n++) {
		p->mem_used[n] = p->mem_used[n] - mine[n] + charge[n];
		mine[n] = charge[n];
	}
}

uint64_t cpool_planner_memory_free(const struct cpool_planner *p, int node)
{
	if (node < 0 || node >= p->t->nr_nodes)
		return 0;
	return planner_node_memory_free(p, node);
}

uint64_t cpool_planner_memory_charged(const struct cpool_planner *p, const char *name, int node)
{
	int i = planner_find_vs(p, name);

	if (i < 0 || node < 0 || node >= p->t->nr_nodes)
		return 0;
	return charge_of(p, i)[node];
}

/* Memory nodes that hold @bytes: the VS's mems must add up to at least that. */
int planner_check_memory(const struct cpool_planner *p, const char *name,
			 const struct cpool_cpuset *mems, uint64_t bytes, struct cpool_error *e)
{
	uint64_t sum = 0;
	char want[32], have[32], list[128];

	if (!bytes)
		return 0;
	for (int n = 0; n < p->t->nr_nodes; n++)
		if (cpool_cpuset_isset(mems, p->t->nodes[n].os))
			sum += p->t->nodes[n].memory;
	if (sum >= bytes)
		return 0;
	cpool_format_size(bytes, want, sizeof(want));
	cpool_format_size(sum, have, sizeof(have));
	planner_format_list(mems, list, sizeof(list));
	return cpool_error_set(e, -ENOSPC, "vserver %s: memory=%s exceeds the %s of its nodes %s",
			       name, want, have, list);
}

/*
 * How many of this VS's CPUs node elig[i] can take without overcommitting
 * its memory, assuming memory follows CPUs (memory_charge): a node with F
 * bytes free holds F / (bytes / cpus) of them.  Nodes outside explicit mems
 * charge nothing, so only their CPUs count.
 */
void planner_memory_caps(const struct cpool_planner *p, const struct cpool_vs_spec *s,
			 const int *elig, int ne, const int *caps, int gran, int *mcaps)
{
	const struct cpool_topology *t = p->t;
	uint64_t bytes = s->limits.memory_max;

	for (int i = 0; i < ne; i++) {
		const struct cpool_topo_node *node = &t->nodes[elig[i]];
		uint64_t fit;

		mcaps[i] = caps[i];
		if (!bytes || (s->mems_explicit && !cpool_cpuset_isset(&s->mems, node->os)))
			continue;
		fit = mul_div(planner_node_memory_free(p, elig[i]), (uint64_t)s->cpus, bytes);
		if (fit < (uint64_t)mcaps[i])
			mcaps[i] = (int)fit / gran * gran;
	}
}
