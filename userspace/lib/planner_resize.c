// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Resizing a placed VS in place: growth takes the nearest free CPUs (same
 * core, same L3 group, same node, nearest node), shrinking gives back the
 * farthest first; either way the memory ledger must accept the new split,
 * or the VS keeps the CPUs it had.
 */
#include <errno.h>
#include <string.h>

#include "planner_impl.h"

/* The node holding most of the VS's CPUs (ties: lowest index). */
static int home_node(const struct cpool_planner *p, int owner)
{
	const struct cpool_topology *t = p->t;
	int *count = p->node_count, best = 0;

	memset(count, 0, sizeof(int) * (size_t)t->nr_nodes);
	for (int pu = 0; pu < t->nr_pus; pu++)
		if (p->owner[pu] == owner)
			count[t->cores[t->pus[pu].core].node]++;
	for (int n = 1; n < t->nr_nodes; n++)
		if (count[n] > count[best])
			best = n;
	return best;
}

static int grow(struct cpool_planner *p, int owner, int need, bool whole, struct cpool_error *e)
{
	const struct cpool_topology *t = p->t;
	struct placed *pl = &p->vs[owner];
	int home = home_node(p, owner);

	/* Same core: the free siblings of its threads. */
	if (!whole)
		for (int pu = 0; pu < t->nr_pus && need > 0; pu++)
			if (p->owner[pu] == owner)
				need -= planner_take_core(p, t->pus[pu].core, need, owner);
	/* Same L3 group: groups where it already has CPUs. */
	for (int g = 0; g < t->nr_l3 && need > 0; g++) {
		bool mine = false;

		for (int c = t->l3[g].first_core;
		     c < t->l3[g].first_core + t->l3[g].nr_cores && !mine; c++)
			for (int i = t->cores[c].first_pu;
			     i < t->cores[c].first_pu + t->cores[c].nr_pus; i++)
				if (p->owner[i] == owner)
					mine = true;
		if (mine) {
			int c = cap_of(whole, p->l3_free[g], p->l3_whole[g]);

			if (c > 0) {
				int ask = need < c ? need : c;

				need -= ask - planner_pick_in_group(p, g, ask, whole, owner);
			}
		}
	}
	/* Same node, then the nearest nodes (numa=local stays home). */
	{
		int *order = scratch_take(p, t->nr_nodes), *done = scratch_take(p, t->nr_nodes);
		int no = 0;

		memset(done, 0, sizeof(*done) * (size_t)t->nr_nodes);
		order[no++] = home;
		done[home] = true;
		if (pl->numa != CPOOL_NUMA_LOCAL)
			for (;;) {
				int best = -1;

				for (int n = 0; n < t->nr_nodes; n++)
					if (!done[n] && t->nodes[n].nr_cpus &&
					    (!pl->mems_explicit ||
					     cpool_cpuset_isset(&pl->vs.mems, t->nodes[n].os) ||
					     pl->numa == CPOOL_NUMA_ANY) &&
					    (best < 0 ||
					     cpool_topology_distance(t, home, n) <
						     cpool_topology_distance(t, home, best)))
						best = n;
				if (best < 0)
					break;
				done[best] = true;
				order[no++] = best;
			}
		for (int i = 0; i < no && need > 0; i++) {
			int c = planner_node_cap(p, order[i], whole);

			if (c > 0) {
				int ask = need < c ? need : c;

				need -= ask - planner_pick_in_node(p, order[i], ask, whole,
								   CPOOL_FIT_BEST, owner);
			}
		}
	}
	if (need > 0)
		return cpool_error_set(e, -ENOSPC, "vserver %s: %d more CPUs%s are not free%s",
				       pl->vs.name, need, whole ? " in whole cores" : "",
				       pl->numa == CPOOL_NUMA_LOCAL ? " on its node (numa=local)" :
								      "");
	return 0;
}

/*
 * Give back @drop PUs: farthest nodes first, lone threads before whole
 * cores.  The journal records them, for unshrink().
 */
static void shrink(struct cpool_planner *p, int owner, int drop, bool whole)
{
	const struct cpool_topology *t = p->t;
	int home = home_node(p, owner);

	while (drop > 0) {
		int best = -1, bd = -1;
		bool best_lone = false;

		for (int pu = t->nr_pus - 1; pu >= 0; pu--) {
			const struct cpool_topo_core *core;
			int d, mine = 0;
			bool lone;

			if (p->owner[pu] != owner)
				continue;
			core = &t->cores[t->pus[pu].core];
			for (int i = core->first_pu; i < core->first_pu + core->nr_pus; i++)
				mine += p->owner[i] == owner;
			lone = mine < core->nr_pus;
			d = cpool_topology_distance(t, home, core->node);
			if (d > bd || (d == bd && lone && !best_lone)) {
				best = pu;
				bd = d;
				best_lone = lone;
			}
		}
		if (best < 0)
			return;
		if (whole) {
			const struct cpool_topo_core *core = &t->cores[t->pus[best].core];

			for (int i = core->first_pu; i < core->first_pu + core->nr_pus; i++)
				if (p->owner[i] == owner) {
					planner_give_pu(p, i);
					p->journal[p->nr_journal++] = i;
					drop--;
				}
		} else {
			planner_give_pu(p, best);
			p->journal[p->nr_journal++] = best;
			drop--;
		}
	}
}

/* Take back what shrink() gave, when the memory ledger refuses the result. */
static void unshrink(struct cpool_planner *p, int owner)
{
	while (p->nr_journal)
		planner_take_pu(p, p->journal[--p->nr_journal], owner);
}

int cpool_planner_resize(struct cpool_planner *p, const char *name, int cpus,
			 struct cpool_vserver *out, struct cpool_error *e)
{
	const struct cpool_topology *t = p->t;
	int i = planner_find_vs(p, name), have, err = 0;
	uint64_t *charge = p->new_charge;
	struct cpool_cpuset cpus_now, mems_now;
	struct placed *pl;
	bool whole;

	if (i < 0)
		return cpool_error_set(e, -ENOENT, "vserver %s: not placed", name);
	pl = &p->vs[i];
	whole = pl->smt == CPOOL_SMT_FULL_CORES;
	have = cpool_cpuset_count(&pl->vs.cpus);
	if (cpus <= 0)
		return cpool_error_set(e, -EINVAL, "vserver %s: cpus must be at least 1", name);
	if (whole && t->smt > 1 && cpus % t->smt)
		return cpool_error_set(
			e, -EINVAL,
			"vserver %s: cpus=%d is not a whole number of cores (%d threads each)",
			name, cpus, t->smt);
	p->nr_journal = 0;
	p->ints_top = 0;
	if (cpus > have) {
		err = grow(p, i, cpus - have, whole, e);
		if (err)
			planner_undo(p);
	} else if (cpus < have) {
		shrink(p, i, have - cpus, whole);
	}
	if (err) {
		p->nr_journal = 0;
		return err;
	}
	/* The memory follows the CPUs: the new split must fit the ledger. */
	cpool_cpuset_zero(&cpus_now);
	for (int pu = 0; pu < t->nr_pus; pu++)
		if (p->owner[pu] == i)
			cpool_cpuset_set(&cpus_now, t->pus[pu].os);
	mems_now = pl->vs.mems;
	if (!pl->mems_explicit)
		planner_default_mems(t, pl->numa, &cpus_now, &mems_now);
	planner_memory_charge(p, &cpus_now, &mems_now, pl->vs.limits.memory_max, charge);
	err = planner_memory_check(p, i, name, pl->vs.limits.memory_max, charge, e);
	if (err) {
		if (cpus > have)
			planner_undo(p);
		else
			unshrink(p, i);
		p->nr_journal = 0;
		return err;
	}
	p->nr_journal = 0;
	planner_memory_commit(p, i, charge);
	pl->vs.cpus = cpus_now;
	pl->vs.mems = mems_now;
	if (out)
		*out = pl->vs;
	return 0;
}
