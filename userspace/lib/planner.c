// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The partition planner: placing VSs on the machine's CPUs.
 *
 * State.  Every PU has an owner (owner[]: a VS slot, or free, reserved,
 * unavailable), and free PUs are counted per core, per L3 group and per
 * node, with the PUs in wholly free cores counted apart (l3_whole,
 * node_whole): those counts are what every choice below reads, so they
 * change only in take_pu()/give_pu().  A placement records the PUs it takes
 * in a journal and undoes them all if any later step fails, so a failed
 * placement leaves no trace.
 *
 * Placing a count, top down (place_count):
 *   1. nodes: which nodes give how many CPUs -- numa=local one node,
 *      numa=spread equal shares, numa=any one node if one holds it, else as
 *      few packages and then nodes as possible (plan_any_multi); capacities
 *      are counted in whole cores unless the VS allows threads, and first
 *      capped by each node's free memory (planner_memory.c), so nodes with
 *      room for both are preferred;
 *   2. in a node: whole L3 groups while the rest is at least a group, then
 *      one group chosen by the fit algorithm, else the roomiest groups;
 *   3. in a group: whole free cores first, so SMT siblings stay together;
 *      then, with smt=threads, lone threads.
 * Wherever there is a choice among candidates of enough capacity, fit.h
 * decides (first, best, worst, balanced).  Same input, same plan.
 *
 * Explicit CPU lists are checked, not chosen (check_explicit).  Memory is
 * charged to nodes by the ledger in planner_memory.c; growing and shrinking
 * a placed VS is planner_resize.c.  Scratch arrays come from the planner
 * (planner_impl.h), sized for the topology when the planner is made.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpool/enum_names.h"
#include "cpool/planner.h"
#include "cpool/units.h"
#include "planner_impl.h"

static const char *const numa_table[] = {
	[CPOOL_NUMA_ANY] = "any",
	[CPOOL_NUMA_LOCAL] = "local",
	[CPOOL_NUMA_SPREAD] = "spread",
};
static const char *const smt_table[] = {
	[CPOOL_SMT_FULL_CORES] = "full-cores",
	[CPOOL_SMT_THREADS] = "threads",
};
static struct cpool_enum_names numa_names = CPOOL_ENUM_NAMES(numa_table);
static struct cpool_enum_names smt_names = CPOOL_ENUM_NAMES(smt_table);

const char *cpool_numa_name(enum cpool_numa numa)
{
	return cpool_enum_name(&numa_names, (int)numa);
}

int cpool_numa_parse(const char *text, enum cpool_numa *numa)
{
	int v, err = cpool_enum_parse(&numa_names, text, &v);

	if (!err)
		*numa = (enum cpool_numa)v;
	return err;
}

const char *cpool_numa_names(void)
{
	return cpool_enum_list(&numa_names);
}

const char *cpool_smt_name(enum cpool_smt smt)
{
	return cpool_enum_name(&smt_names, (int)smt);
}

int cpool_smt_parse(const char *text, enum cpool_smt *smt)
{
	int v, err = cpool_enum_parse(&smt_names, text, &v);

	if (!err)
		*smt = (enum cpool_smt)v;
	return err;
}

const char *cpool_smt_names(void)
{
	return cpool_enum_list(&smt_names);
}

void cpool_vs_spec_init(struct cpool_vs_spec *spec, const char *name)
{
	memset(spec, 0, sizeof(*spec));
	snprintf(spec->name, sizeof(spec->name), "%s", name ? name : "");
	spec->numa = CPOOL_NUMA_ANY;
	spec->smt = CPOOL_SMT_FULL_CORES;
	spec->exclusive = true;
}

void planner_format_list(const struct cpool_cpuset *s, char *buf, size_t len)
{
	if (cpool_cpuset_format(s, buf, len) >= (int)len && len > 4)
		strcpy(buf + len - 4, "...");
}

/* ---- bookkeeping ---------------------------------------------------------- */

void planner_take_pu(struct cpool_planner *p, int pu, int owner)
{
	const struct cpool_topology *t = p->t;
	int c = t->pus[pu].core;
	const struct cpool_topo_core *core = &t->cores[c];

	if (p->core_free[c] == core->nr_pus) {
		p->l3_whole[core->l3] -= core->nr_pus;
		p->node_whole[core->node] -= core->nr_pus;
	}
	p->core_free[c]--;
	p->l3_free[core->l3]--;
	p->node_free[core->node]--;
	p->owner[pu] = owner;
}

void planner_give_pu(struct cpool_planner *p, int pu)
{
	const struct cpool_topology *t = p->t;
	int c = t->pus[pu].core;
	const struct cpool_topo_core *core = &t->cores[c];

	p->owner[pu] = PU_FREE;
	p->core_free[c]++;
	p->l3_free[core->l3]++;
	p->node_free[core->node]++;
	if (p->core_free[c] == core->nr_pus) {
		p->l3_whole[core->l3] += core->nr_pus;
		p->node_whole[core->node] += core->nr_pus;
	}
}

/* The owner being placed: the journal records its PUs for undo. */
static void claim(struct cpool_planner *p, int pu, int owner)
{
	planner_take_pu(p, pu, owner);
	p->journal[p->nr_journal++] = pu;
}

void planner_undo(struct cpool_planner *p)
{
	while (p->nr_journal)
		planner_give_pu(p, p->journal[--p->nr_journal]);
}

static void recount(struct cpool_planner *p)
{
	const struct cpool_topology *t = p->t;

	memset(p->l3_free, 0, sizeof(int) * (size_t)t->nr_l3);
	memset(p->l3_whole, 0, sizeof(int) * (size_t)t->nr_l3);
	memset(p->node_free, 0, sizeof(int) * (size_t)t->nr_nodes);
	memset(p->node_whole, 0, sizeof(int) * (size_t)t->nr_nodes);
	for (int c = 0; c < t->nr_cores; c++) {
		const struct cpool_topo_core *core = &t->cores[c];
		int n = 0;

		for (int i = core->first_pu; i < core->first_pu + core->nr_pus; i++)
			n += p->owner[i] == PU_FREE;
		p->core_free[c] = n;
		p->l3_free[core->l3] += n;
		p->node_free[core->node] += n;
		if (n == core->nr_pus) {
			p->l3_whole[core->l3] += n;
			p->node_whole[core->node] += n;
		}
	}
}

void cpool_planner_default_reserved(const struct cpool_topology *t, struct cpool_cpuset *out)
{
	cpool_cpuset_zero(out);
	for (int n = 0; n < t->nr_nodes; n++) {
		const struct cpool_topo_node *node = &t->nodes[n];

		if (!node->nr_cpus)
			continue;
		const struct cpool_topo_core *core = &t->cores[t->l3[node->first_l3].first_core];

		for (int i = core->first_pu; i < core->first_pu + core->nr_pus; i++)
			cpool_cpuset_set(out, t->pus[i].os);
		return;
	}
}

int cpool_planner_new(struct cpool_planner **out, const struct cpool_topology *t,
		      const struct cpool_cpuset *reserved, struct cpool_error *e)
{
	struct cpool_planner *p = calloc(1, sizeof(*p));

	*out = NULL;
	if (!p)
		return cpool_error_set(e, -ENOMEM, "out of memory");
	p->t = t;
	p->owner = calloc((size_t)t->nr_pus, sizeof(int));
	p->journal = calloc((size_t)t->nr_pus, sizeof(int));
	p->core_free = calloc((size_t)t->nr_cores, sizeof(int));
	p->l3_free = calloc((size_t)t->nr_l3 + 1, sizeof(int));
	p->l3_whole = calloc((size_t)t->nr_l3 + 1, sizeof(int));
	p->node_free = calloc((size_t)t->nr_nodes, sizeof(int));
	p->node_whole = calloc((size_t)t->nr_nodes, sizeof(int));
	p->node_count = calloc((size_t)t->nr_nodes, sizeof(int));
	p->mem_used = calloc((size_t)t->nr_nodes, sizeof(uint64_t));
	p->new_charge = calloc((size_t)t->nr_nodes, sizeof(uint64_t));
	p->weight = calloc((size_t)t->nr_nodes, sizeof(uint64_t));
	p->wants = calloc((size_t)t->nr_nodes, sizeof(struct want));
	/*
	 * The deepest chain of steps (place_count, plan_any_multi,
	 * choose_nodes) holds under 10 arrays of nodes and 5 of packages at
	 * once, then pick_in_node 3 of L3 groups; with room to spare.
	 */
	p->ints_cap = 16 * ((size_t)t->nr_nodes + (size_t)t->nr_packages + (size_t)t->nr_l3 + 3);
	p->ints = calloc(p->ints_cap, sizeof(int));
	if (!p->owner || !p->journal || !p->core_free || !p->l3_free || !p->l3_whole ||
	    !p->node_free || !p->node_whole || !p->node_count || !p->mem_used || !p->new_charge ||
	    !p->weight || !p->wants || !p->ints) {
		cpool_planner_free(p);
		return cpool_error_set(e, -ENOMEM, "out of memory");
	}
	if (reserved) {
		struct cpool_cpuset extra;

		cpool_cpuset_andnot(&extra, reserved, &t->cpus);
		if (!cpool_cpuset_empty(&extra)) {
			char list[128], all[128];

			planner_format_list(&extra, list, sizeof(list));
			planner_format_list(&t->cpus, all, sizeof(all));
			cpool_planner_free(p);
			return cpool_error_set(
				e, -EINVAL,
				"reserved_cpus: CPUs %s do not exist; the machine has %s", list,
				all);
		}
		p->reserved = *reserved;
	} else {
		cpool_planner_default_reserved(t, &p->reserved);
	}
	for (int i = 0; i < t->nr_pus; i++)
		p->owner[i] =
			cpool_cpuset_isset(&p->reserved, t->pus[i].os) ? PU_RESERVED : PU_FREE;
	recount(p);
	*out = p;
	return 0;
}

void cpool_planner_free(struct cpool_planner *p)
{
	if (!p)
		return;
	free(p->owner);
	free(p->journal);
	free(p->core_free);
	free(p->l3_free);
	free(p->l3_whole);
	free(p->node_free);
	free(p->node_whole);
	free(p->node_count);
	free(p->mem_used);
	free(p->new_charge);
	free(p->weight);
	free(p->wants);
	free(p->ints);
	free(p->charge);
	free(p->vs);
	free(p);
}

const struct cpool_cpuset *cpool_planner_reserved(const struct cpool_planner *p)
{
	return &p->reserved;
}

void cpool_planner_restrict(struct cpool_planner *p, const struct cpool_cpuset *avail)
{
	for (int i = 0; i < p->t->nr_pus; i++)
		if (p->owner[i] == PU_FREE && !cpool_cpuset_isset(avail, p->t->pus[i].os))
			p->owner[i] = PU_UNAVAILABLE;
	recount(p);
}

void cpool_planner_free_cpus(const struct cpool_planner *p, struct cpool_cpuset *out)
{
	cpool_cpuset_zero(out);
	for (int i = 0; i < p->t->nr_pus; i++)
		if (p->owner[i] == PU_FREE)
			cpool_cpuset_set(out, p->t->pus[i].os);
}

int planner_find_vs(const struct cpool_planner *p, const char *name)
{
	for (int i = 0; i < p->nr_vs; i++)
		if (p->vs[i].in_use && strcmp(p->vs[i].vs.name, name) == 0)
			return i;
	return -1;
}

const struct cpool_vserver *cpool_planner_find(const struct cpool_planner *p, const char *name)
{
	int i = planner_find_vs(p, name);

	return i < 0 ? NULL : &p->vs[i].vs;
}

static int new_slot(struct cpool_planner *p)
{
	size_t nn = (size_t)p->t->nr_nodes;
	struct placed *grown;
	uint64_t *charge;

	for (int i = 0; i < p->nr_vs; i++)
		if (!p->vs[i].in_use)
			return i;
	charge = realloc(p->charge, sizeof(*charge) * nn * (size_t)(p->nr_vs + 1));
	if (!charge)
		return -ENOMEM;
	p->charge = charge;
	memset(charge_of(p, p->nr_vs), 0, sizeof(*charge) * nn);
	grown = realloc(p->vs, sizeof(*grown) * (size_t)(p->nr_vs + 1));
	if (!grown)
		return -ENOMEM;
	p->vs = grown;
	memset(&p->vs[p->nr_vs], 0, sizeof(*p->vs));
	return p->nr_vs++;
}

/* ---- choosing ------------------------------------------------------------- */

/*
 * Choose with fit.h among @n candidates (their capacity @cap, their size
 * @size): balanced keeps the *fraction* free even, so it compares
 * capacity per size.
 */
static int choose(enum cpool_fit fit, const int *cap, const int *size, int n)
{
	long vals[64], *v = vals;
	int pick;

	if (n <= 0)
		return -1;
	if (n > 64) {
		v = malloc(sizeof(long) * (size_t)n);
		if (!v)
			return 0; /* first candidate: still a valid choice */
	}
	for (int i = 0; i < n; i++)
		v[i] = fit == CPOOL_FIT_BALANCED ?
			       (long)cap[i] * 1000000L / (size[i] ? size[i] : 1) :
			       cap[i];
	pick = cpool_fit_choose(fit, v, n, 0);
	if (v != vals)
		free(v);
	return pick;
}

/* Take up to @need PUs of core @c (lowest numbers first); returns how many. */
int planner_take_core(struct cpool_planner *p, int c, int need, int owner)
{
	const struct cpool_topo_core *core = &p->t->cores[c];
	int got = 0;

	for (int i = core->first_pu; i < core->first_pu + core->nr_pus && got < need; i++)
		if (p->owner[i] == PU_FREE) {
			claim(p, i, owner);
			got++;
		}
	return got;
}

/* Returns the PUs still missing (0 on success). */
int planner_pick_in_group(struct cpool_planner *p, int g, int need, bool whole, int owner)
{
	const struct cpool_topology *t = p->t;
	const struct cpool_topo_l3 *l3 = &t->l3[g];
	int end = l3->first_core + l3->nr_cores;

	/* Whole free cores first: SMT siblings stay together. */
	for (int c = l3->first_core; c < end && need > 0; c++)
		if (p->core_free[c] == t->cores[c].nr_pus && t->cores[c].nr_pus <= need)
			need -= planner_take_core(p, c, need, owner);
	if (whole || need == 0)
		return need;
	/* A few threads: the core with the fewest free that still holds them. */
	{
		int best = -1;

		for (int c = l3->first_core; c < end; c++)
			if (p->core_free[c] >= need &&
			    (best < 0 || p->core_free[c] < p->core_free[best]))
				best = c;
		if (best >= 0)
			return need - planner_take_core(p, best, need, owner);
	}
	while (need > 0) {
		int best = -1;

		for (int c = l3->first_core; c < end; c++)
			if (p->core_free[c] > 0 &&
			    (best < 0 || p->core_free[c] > p->core_free[best]))
				best = c;
		if (best < 0)
			break;
		need -= planner_take_core(p, best, need, owner);
	}
	return need;
}

/*
 * smt=threads (and shared VSs): do @whole_pus PUs in wholly free cores hold
 * all of @need but what is left of its last core?  Then lone threads,
 * whose sibling is busy, serve at most that remainder.
 */
static bool cores_hold(const struct cpool_planner *p, int whole_pus, int need)
{
	return whole_pus >= need - need % p->t->smt;
}

/* Take @need PUs from the roomiest groups of [@first, @end) first; returns the PUs missing. */
static int take_roomiest_groups(struct cpool_planner *p, int first, int end, int need, bool whole,
				int owner)
{
	while (need > 0) {
		int best = -1, bc = 0, ask, left;

		for (int g = first; g < end; g++) {
			int c = cap_of(whole, p->l3_free[g], p->l3_whole[g]);

			if (c > bc) {
				best = g;
				bc = c;
			}
		}
		if (best < 0)
			break;
		ask = need < bc ? need : bc;
		left = planner_pick_in_group(p, best, ask, whole, owner);
		need -= ask - left;
		if (left)
			break;
	}
	return need;
}

int planner_pick_in_node(struct cpool_planner *p, int n, int need, bool whole, enum cpool_fit fit,
			 int owner)
{
	const struct cpool_topology *t = p->t;
	const struct cpool_topo_node *node = &t->nodes[n];
	int first = node->first_l3, end = node->first_l3 + node->nr_l3;

	/* Whole L3 groups while the request is at least a group. */
	for (;;) {
		int best = -1;

		for (int g = first; g < end; g++)
			if (p->l3_whole[g] == t->l3[g].nr_cpus && t->l3[g].nr_cpus <= need &&
			    (best < 0 || t->l3[g].nr_cpus > t->l3[best].nr_cpus))
				best = g;
		if (best < 0)
			break;
		need = need - t->l3[best].nr_cpus +
		       planner_pick_in_group(p, best, t->l3[best].nr_cpus, whole, owner);
		if (need == 0)
			return 0;
	}
	/*
	 * The rest from one group, chosen by the fit algorithm; with threads,
	 * among the groups whose whole cores hold it when there are such.
	 */
	for (int core_first = !whole && t->smt > 1; core_first >= 0; core_first--) {
		size_t mark = p->ints_top;
		int *cand = scratch_take(p, node->nr_l3), *cap = scratch_take(p, node->nr_l3),
		    *size = scratch_take(p, node->nr_l3);
		int nc = 0, pick;

		for (int g = first; g < end; g++) {
			int c = cap_of(whole, p->l3_free[g], p->l3_whole[g]);

			if (c >= need && (!core_first || cores_hold(p, p->l3_whole[g], need))) {
				cand[nc] = g;
				cap[nc] = c;
				size[nc] = t->l3[g].nr_cpus;
				nc++;
			}
		}
		pick = choose(fit, cap, size, nc);
		pick = pick < 0 ? -1 : cand[pick];
		scratch_give_back(p, mark);
		if (pick >= 0)
			return planner_pick_in_group(p, pick, need, whole, owner);
	}
	/* Or from several: the roomiest first, so as few as possible; whole cores before threads. */
	if (!whole && t->smt > 1) {
		int bulk = need - need % t->smt;

		need = need - bulk + take_roomiest_groups(p, first, end, bulk, true, owner);
	}
	return take_roomiest_groups(p, first, end, need, whole, owner);
}

int planner_node_cap(const struct cpool_planner *p, int n, bool whole)
{
	return cap_of(whole, p->node_free[n], p->node_whole[n]);
}

/*
 * Nodes a VS may take CPUs from: those with CPUs, within explicit mems when
 * it names nodes with CPUs; when it names only memory-only nodes (MCDRAM,
 * CXL), the CPU nodes nearest to those.
 */
static int eligible_nodes(struct cpool_planner *p, const struct cpool_vs_spec *s, int *out)
{
	const struct cpool_topology *t = p->t;
	size_t mark = p->ints_top;
	int *want = scratch_take(p, t->nr_nodes), n = 0;
	bool any = false;

	memset(want, 0, sizeof(*want) * (size_t)t->nr_nodes);
	if (s->mems_explicit) {
		for (int i = 0; i < t->nr_nodes; i++)
			if (t->nodes[i].nr_cpus && cpool_cpuset_isset(&s->mems, t->nodes[i].os))
				want[i] = any = true;
		for (int i = 0; !any && i < t->nr_nodes; i++)
			if (t->nodes[i].near >= 0 && cpool_cpuset_isset(&s->mems, t->nodes[i].os))
				want[t->nodes[i].near] = true;
		for (int i = 0; i < t->nr_nodes; i++)
			any = any || want[i];
	}
	for (int i = 0; i < t->nr_nodes; i++)
		if (t->nodes[i].nr_cpus && (!any || want[i]))
			out[n++] = i;
	scratch_give_back(p, mark);
	return n;
}

static int choose_nodes(struct cpool_planner *p, const int *elig, int ne, const int *want_cap,
			enum cpool_fit fit, int need)
{
	size_t mark = p->ints_top;
	int *cand = scratch_take(p, ne), *cap = scratch_take(p, ne), *size = scratch_take(p, ne);
	int nc = 0, pick;

	for (int i = 0; i < ne; i++)
		if (want_cap[i] >= need) {
			cand[nc] = i;
			cap[nc] = want_cap[i];
			size[nc] = p->t->nodes[elig[i]].nr_cpus;
			nc++;
		}
	pick = choose(fit, cap, size, nc);
	pick = pick < 0 ? -1 : cand[pick];
	scratch_give_back(p, mark);
	return pick;
}

/*
 * choose_nodes(), but with @threads among the nodes whose whole cores hold
 * the request (cores_hold) when there are such.
 */
static int choose_nodes_cores_first(struct cpool_planner *p, const int *elig, int ne,
				    const int *want_cap, enum cpool_fit fit, int need, bool threads)
{
	if (threads) {
		size_t mark = p->ints_top;
		int *held = scratch_take(p, ne), pick;

		for (int i = 0; i < ne; i++)
			held[i] = cores_hold(p, p->node_whole[elig[i]], need) ? want_cap[i] : 0;
		pick = choose_nodes(p, elig, ne, held, fit, need);
		scratch_give_back(p, mark);
		if (pick >= 0)
			return pick;
	}
	return choose_nodes(p, elig, ne, want_cap, fit, need);
}

/* Node @node's package slot: its package, or nr_packages for nodes without one. */
static int package_slot(const struct cpool_topology *t, int node)
{
	int pk = t->nodes[node].package;

	return pk >= 0 && pk < t->nr_packages ? pk : t->nr_packages;
}

/* How many of package slot @pk's unused nodes, largest first, cover @need (they do). */
static int nodes_to_cover(struct cpool_planner *p, const int *elig, int ne, const int *caps,
			  const int *used, int pk, int need)
{
	size_t mark = p->ints_top;
	int *sorted = scratch_take(p, ne), ns = 0, sum = 0, k = 0;

	for (int i = 0; i < ne; i++)
		if (!used[i] && package_slot(p->t, elig[i]) == pk)
			sorted[ns++] = caps[i];
	while (sum < need) {
		int m = 0;

		for (int j = 1; j < ns; j++)
			if (sorted[j] > sorted[m])
				m = j;
		sum += sorted[m];
		sorted[m] = -1;
		k++;
	}
	scratch_give_back(p, mark);
	return k;
}

/* No package holds the rest: all unused nodes of the roomiest package. */
static int take_roomiest_package(struct cpool_planner *p, const int *elig, int ne, const int *caps,
				 int *used, const int *pkcap, struct want *w, int *nw, int *need)
{
	int bestp = -1;

	for (int pk = 0; pk <= p->t->nr_packages; pk++)
		if (pkcap[pk] > 0 && (bestp < 0 || pkcap[pk] > pkcap[bestp]))
			bestp = pk;
	if (bestp < 0)
		return -ENOSPC;
	for (int i = 0; i < ne; i++)
		if (!used[i] && caps[i] > 0 && package_slot(p->t, elig[i]) == bestp) {
			used[i] = 1;
			w[(*nw)++] = (struct want){ elig[i], caps[i] };
			*need -= caps[i];
		}
	return 0;
}

/* The rest from package slot @pk: its largest @k-1 nodes whole, the last one by the fit algorithm. */
static int take_from_package(struct cpool_planner *p, const int *elig, int ne, const int *caps,
			     int *used, int pk, int k, enum cpool_fit fit, bool threads,
			     struct want *w, int *nw, int need)
{
	size_t mark = p->ints_top;
	int *sub = scratch_take(p, ne), *subcap = scratch_take(p, ne), ns = 0, pick;

	for (int n = 0; n < k - 1; n++) {
		int m = -1;

		for (int i = 0; i < ne; i++)
			if (!used[i] && package_slot(p->t, elig[i]) == pk &&
			    (m < 0 || caps[i] > caps[m]))
				m = i;
		used[m] = 1;
		w[(*nw)++] = (struct want){ elig[m], caps[m] };
		need -= caps[m];
	}
	for (int i = 0; i < ne; i++)
		if (!used[i] && package_slot(p->t, elig[i]) == pk) {
			sub[ns] = elig[i];
			subcap[ns] = caps[i];
			ns++;
		}
	pick = choose_nodes_cores_first(p, sub, ns, subcap, fit, need, threads);
	if (pick >= 0) {
		for (int i = 0; i < ne; i++)
			if (elig[i] == sub[pick])
				used[i] = 1;
		w[(*nw)++] = (struct want){ sub[pick], need };
	}
	scratch_give_back(p, mark);
	return pick < 0 ? -ENOSPC : 0;
}

/* numa=any across nodes: as few packages, then as few nodes, as possible. */
static int plan_any_multi(struct cpool_planner *p, const int *elig, int ne, const int *caps,
			  enum cpool_fit fit, bool threads, int need, struct want *w, int *nw)
{
	const struct cpool_topology *t = p->t;
	int np = t->nr_packages + 1; /* package slots */
	size_t mark = p->ints_top;
	int *pkcap = scratch_take(p, np), *used = scratch_take(p, ne), *kp = scratch_take(p, np);
	int *pcap = scratch_take(p, np), *psize = scratch_take(p, np), *cand = scratch_take(p, np);
	int err = 0;

	memset(used, 0, sizeof(*used) * (size_t)ne);
	*nw = 0;
	while (need > 0 && !err) {
		int bestk = 0, bestp, nc = 0;

		memset(pkcap, 0, sizeof(*pkcap) * (size_t)np);
		for (int i = 0; i < ne; i++)
			if (!used[i])
				pkcap[package_slot(t, elig[i])] += caps[i];
		/* Per package, how many nodes (largest first) cover the need. */
		for (int pk = 0; pk < np; pk++) {
			kp[pk] = pkcap[pk] < need ?
					 0 :
					 nodes_to_cover(p, elig, ne, caps, used, pk, need);
			if (kp[pk] && (!bestk || kp[pk] < bestk))
				bestk = kp[pk];
		}
		if (!bestk) {
			err = take_roomiest_package(p, elig, ne, caps, used, pkcap, w, nw, &need);
			continue;
		}
		for (int pk = 0; pk < np; pk++)
			if (kp[pk] == bestk) {
				cand[nc] = pk;
				pcap[nc] = pkcap[pk];
				psize[nc] = 0;
				for (int i = 0; i < ne; i++)
					if (package_slot(t, elig[i]) == pk)
						psize[nc] += t->nodes[elig[i]].nr_cpus;
				nc++;
			}
		bestp = cand[choose(fit, pcap, psize, nc)];
		err = take_from_package(p, elig, ne, caps, used, bestp, bestk, fit, threads, w, nw,
					need);
		need = 0;
	}
	scratch_give_back(p, mark);
	return err;
}

/*
 * numa=spread: k nodes, each an equal share (differing by at most one
 * core, or one thread with smt=threads); as many nodes as the request has
 * cores, up to every eligible node.
 */
static int plan_spread(struct cpool_planner *p, const int *elig, int ne, const int *caps,
		       enum cpool_fit fit, int need, int gran, struct want *w, int *nw)
{
	int units = need / gran, err = -ENOSPC;
	size_t mark = p->ints_top;
	int *order = scratch_take(p, ne), *taken = scratch_take(p, ne);
	int *cand = scratch_take(p, ne), *cap = scratch_take(p, ne), *size = scratch_take(p, ne);

	/* Eligible nodes in the fit algorithm's order of preference. */
	memset(taken, 0, sizeof(*taken) * (size_t)ne);
	for (int k = 0; k < ne; k++) {
		int nc = 0, pick;

		for (int i = 0; i < ne; i++)
			if (!taken[i]) {
				cand[nc] = i;
				cap[nc] = caps[i];
				size[nc] = p->t->nodes[elig[i]].nr_cpus;
				nc++;
			}
		pick = cand[choose(fit, cap, size, nc)];
		taken[pick] = 1;
		order[k] = pick;
	}
	for (int k = ne < units ? ne : units; k >= 1; k--) {
		int base = units / k, extra = units % k, got = 0;

		*nw = 0;
		for (int j = 0; j < ne && got < k; j++) {
			int i = order[j];

			if (caps[i] >= base * gran)
				w[(*nw)++] = (struct want){ elig[i], base * gran }, got++;
		}
		if (got < k)
			continue;
		for (int j = 0; j < k && extra > 0; j++) {
			int i;

			for (i = 0; elig[i] != w[j].node; i++)
				;
			if (caps[i] >= (base + 1) * gran) {
				w[j].cpus += gran;
				extra--;
			}
		}
		if (extra == 0) {
			err = 0;
			break;
		}
	}
	scratch_give_back(p, mark);
	return err;
}

static void nodes_of(const struct cpool_topology *t, const struct cpool_cpuset *cpus,
		     struct cpool_cpuset *mems)
{
	cpool_cpuset_zero(mems);
	for (int c = cpool_cpuset_first(cpus); c >= 0; c = cpool_cpuset_next(cpus, c)) {
		int n = cpool_topology_node_of_cpu(t, c);

		if (n >= 0)
			cpool_cpuset_set(mems, t->nodes[n].os);
	}
}

static int check_explicit(struct cpool_planner *p, const struct cpool_vs_spec *s, bool whole,
			  int owner, struct cpool_error *e)
{
	const struct cpool_topology *t = p->t;
	int home = -1;

	for (int c = cpool_cpuset_first(&s->cpu_list); c >= 0;
	     c = cpool_cpuset_next(&s->cpu_list, c)) {
		int pu = c < t->pu_of_cpu_max ? t->pu_of_cpu[c] : -1;
		char all[128];

		if (pu < 0) {
			planner_format_list(&t->cpus, all, sizeof(all));
			return cpool_error_set(
				e, -EINVAL,
				"vserver %s: CPU %d does not exist; the machine has CPUs %s",
				s->name, c, all);
		}
		if (p->owner[pu] == PU_RESERVED)
			return cpool_error_set(e, -EBUSY,
					       "vserver %s: CPU %d is reserved (reserved_cpus)",
					       s->name, c);
		if (p->owner[pu] == PU_UNAVAILABLE)
			return cpool_error_set(e, -EBUSY, "vserver %s: CPU %d is not available",
					       s->name, c);
		if (p->owner[pu] >= 0)
			return cpool_error_set(e, -EBUSY,
					       "vserver %s: CPU %d already belongs to vserver %s",
					       s->name, c, p->vs[p->owner[pu]].vs.name);
		if (s->numa == CPOOL_NUMA_LOCAL) {
			int n = t->cores[t->pus[pu].core].node;

			if (home >= 0 && n != home)
				return cpool_error_set(
					e, -EINVAL,
					"vserver %s: numa=local but cpus spans nodes %d and %d",
					s->name, t->nodes[home].os, t->nodes[n].os);
			home = n;
		}
		if (whole) {
			const struct cpool_topo_core *core = &t->cores[t->pus[pu].core];

			for (int i = core->first_pu; i < core->first_pu + core->nr_pus; i++)
				if (!cpool_cpuset_isset(&s->cpu_list, t->pus[i].os))
					return cpool_error_set(
						e, -EINVAL,
						"vserver %s: cpus has CPU %d without its SMT "
						"sibling %d; list whole cores or set smt=threads",
						s->name, c, t->pus[i].os);
		}
	}
	for (int c = cpool_cpuset_first(&s->cpu_list); c >= 0;
	     c = cpool_cpuset_next(&s->cpu_list, c))
		claim(p, t->pu_of_cpu[c], owner);
	return 0;
}

static int check_mems(const struct cpool_planner *p, const struct cpool_vs_spec *s,
		      struct cpool_error *e)
{
	struct cpool_cpuset extra;
	char bad[128], all[128];

	if (!s->mems_explicit)
		return 0;
	if (cpool_cpuset_empty(&s->mems))
		return cpool_error_set(e, -EINVAL, "vserver %s: mems is empty", s->name);
	cpool_cpuset_andnot(&extra, &s->mems, &p->t->mems);
	if (cpool_cpuset_empty(&extra))
		return 0;
	planner_format_list(&extra, bad, sizeof(bad));
	planner_format_list(&p->t->mems, all, sizeof(all));
	return cpool_error_set(e, -EINVAL,
			       "vserver %s: mems names unknown node %s; the nodes are %s", s->name,
			       bad, all);
}

static int largest(const struct cpool_planner *p, const int *elig, int ne, bool whole, int *node)
{
	int best = 0;

	*node = ne ? elig[0] : 0;
	for (int i = 0; i < ne; i++)
		if (planner_node_cap(p, elig[i], whole) > best) {
			best = planner_node_cap(p, elig[i], whole);
			*node = elig[i];
		}
	return best;
}

/* Which nodes give how many CPUs; 0, or -ENOSPC when @caps cannot hold it. */
static int plan_nodes(struct cpool_planner *p, const struct cpool_vs_spec *s, const int *elig,
		      int ne, const int *caps, enum cpool_fit fit, int gran, struct want *w,
		      int *nw)
{
	/* Single threads allowed: whole free cores first (cores_hold). */
	bool threads = gran == 1 && p->t->smt > 1;
	int i;

	*nw = 0;
	switch (s->numa) {
	case CPOOL_NUMA_LOCAL:
		i = choose_nodes_cores_first(p, elig, ne, caps, fit, s->cpus, threads);
		if (i < 0)
			return -ENOSPC;
		w[(*nw)++] = (struct want){ elig[i], s->cpus };
		return 0;
	case CPOOL_NUMA_SPREAD:
		return plan_spread(p, elig, ne, caps, fit, s->cpus, gran, w, nw);
	case CPOOL_NUMA_ANY:
	default:
		i = choose_nodes_cores_first(p, elig, ne, caps, fit, s->cpus, threads);
		if (i >= 0) {
			w[(*nw)++] = (struct want){ elig[i], s->cpus };
			return 0;
		}
		return plan_any_multi(p, elig, ne, caps, fit, threads, s->cpus, w, nw);
	}
}

static int place_count(struct cpool_planner *p, const struct cpool_vs_spec *s, enum cpool_fit fit,
		       bool whole, int owner, struct cpool_error *e)
{
	const struct cpool_topology *t = p->t;
	/* Its arrays last until the placement ends: cpool_planner_place() resets the scratch. */
	int *elig = scratch_take(p, t->nr_nodes), *caps = scratch_take(p, t->nr_nodes),
	    *mcaps = scratch_take(p, t->nr_nodes);
	int ne, total = 0, nw = 0, err, bn, big, gran = whole ? t->smt : 1;
	struct want *w = p->wants;
	const char *unit = whole && t->smt > 1 ? " in whole cores" : "";

	ne = eligible_nodes(p, s, elig);
	for (int i = 0; i < ne; i++) {
		caps[i] = planner_node_cap(p, elig[i], whole);
		total += caps[i];
	}
	big = largest(p, elig, ne, whole, &bn);
	if (total < s->cpus) {
		int all = 0;

		for (int i = 0; i < ne; i++)
			all += t->nodes[elig[i]].nr_cpus;
		return cpool_error_set(
			e, -ENOSPC,
			"vserver %s: needs %d CPUs%s; only %d of the %d CPUs%s are free", s->name,
			s->cpus, unit, total, all, ne < t->nr_nodes ? " of its nodes" : "");
	}
	/* Nodes with room for its memory too, when there are such. */
	planner_memory_caps(p, s, elig, ne, caps, gran, mcaps);
	err = plan_nodes(p, s, elig, ne, mcaps, fit, gran, w, &nw);
	if (err && s->limits.memory_max && s->numa == CPOOL_NUMA_LOCAL &&
	    !plan_nodes(p, s, elig, ne, caps, fit, gran, w, &nw)) {
		/* The CPUs are there but not the memory: name the roomiest such node. */
		int m = -1;
		char want[32], have[32];

		for (int i = 0; i < ne; i++)
			if (caps[i] >= s->cpus && (m < 0 || planner_node_memory_free(p, elig[i]) >
								    planner_node_memory_free(p, m)))
				m = elig[i];
		cpool_format_size(s->limits.memory_max, want, sizeof(want));
		cpool_format_size(planner_node_memory_free(p, m), have, sizeof(have));
		return cpool_error_set(
			e, -ENOSPC, "vserver %s: memory=%s needs %s on node %d; %s is free there",
			s->name, want, want, t->nodes[m].os, have);
	}
	/* Otherwise by CPUs alone; the ledger then says which node lacks memory. */
	if (err && s->limits.memory_max)
		err = plan_nodes(p, s, elig, ne, caps, fit, gran, w, &nw);
	if (err) {
		if (s->numa == CPOOL_NUMA_LOCAL)
			return cpool_error_set(
				e, -ENOSPC,
				"vserver %s: numa=local needs %d CPUs on one node; the "
				"largest free is %d (node %d)%s",
				s->name, s->cpus, big, t->nodes[bn].os,
				unit[0] ? ", counting whole cores" : "");
		if (s->numa == CPOOL_NUMA_SPREAD)
			return cpool_error_set(
				e, err,
				"vserver %s: numa=spread cannot split %d CPUs%s evenly over the "
				"free nodes",
				s->name, s->cpus, unit);
		return cpool_error_set(e, err,
				       "vserver %s: needs %d CPUs%s; no set of nodes has them",
				       s->name, s->cpus, unit);
	}
	for (int i = 0; i < nw; i++)
		if (planner_pick_in_node(p, w[i].node, w[i].cpus, whole, fit, owner))
			return cpool_error_set(
				e, -ENOSPC,
				"vserver %s: node %d cannot give %d CPUs%s (cores of unequal size)",
				s->name, t->nodes[w[i].node].os, w[i].cpus, unit);
	return 0;
}

static void journal_cpus(const struct cpool_planner *p, struct cpool_cpuset *cpus)
{
	cpool_cpuset_zero(cpus);
	for (int i = 0; i < p->nr_journal; i++)
		cpool_cpuset_set(cpus, p->t->pus[p->journal[i]].os);
}

/* Memory nodes for a VS without explicit mems. */
void planner_default_mems(const struct cpool_topology *t, enum cpool_numa numa,
			  const struct cpool_cpuset *cpus, struct cpool_cpuset *mems)
{
	if (numa != CPOOL_NUMA_ANY) {
		nodes_of(t, cpus, mems);
		return;
	}
	/* numa=any: all ordinary memory; memory-only tiers only when asked for. */
	cpool_cpuset_zero(mems);
	for (int n = 0; n < t->nr_nodes; n++)
		if (t->nodes[n].nr_cpus && t->nodes[n].memory)
			cpool_cpuset_set(mems, t->nodes[n].os);
	if (cpool_cpuset_empty(mems))
		nodes_of(t, cpus, mems);
}

int cpool_planner_place(struct cpool_planner *p, const struct cpool_vs_spec *s, enum cpool_fit fit,
			struct cpool_vserver *out, struct cpool_error *e)
{
	const struct cpool_topology *t = p->t;
	bool whole = s->smt == CPOOL_SMT_FULL_CORES && s->exclusive;
	uint64_t *charge = p->new_charge;
	int slot, err;
	struct placed *pl;

	if (cpool_vs_name_check(s->name))
		return cpool_error_set(
			e, -EINVAL,
			"vserver '%s': a name is 1-%d characters of A-Z a-z 0-9 _ . - and does "
			"not start with '.'",
			s->name, CPOOL_VS_NAME_MAX);
	if (planner_find_vs(p, s->name) >= 0)
		return cpool_error_set(e, -EEXIST, "vserver %s: already placed", s->name);
	err = check_mems(p, s, e);
	if (err)
		return err;
	if (!s->cpus_explicit) {
		if (s->cpus <= 0)
			return cpool_error_set(e, -EINVAL, "vserver %s: cpus must be at least 1",
					       s->name);
		if (whole && t->smt > 1 && s->cpus % t->smt)
			return cpool_error_set(
				e, -EINVAL,
				"vserver %s: cpus=%d is not a whole number of cores (%d threads "
				"each); ask for a multiple of %d or set smt=threads",
				s->name, s->cpus, t->smt, t->smt);
	}
	slot = new_slot(p);
	if (slot < 0)
		return cpool_error_set(e, slot, "out of memory");
	p->nr_journal = 0;
	p->ints_top = 0;
	if (s->cpus_explicit)
		err = check_explicit(p, s, whole, slot, e);
	else
		err = place_count(p, s, fit, whole, slot, e);
	pl = &p->vs[slot];
	memset(pl, 0, sizeof(*pl));
	if (!err) {
		snprintf(pl->vs.name, sizeof(pl->vs.name), "%s", s->name);
		journal_cpus(p, &pl->vs.cpus);
		if (s->mems_explicit)
			pl->vs.mems = s->mems;
		else
			planner_default_mems(t, s->numa, &pl->vs.cpus, &pl->vs.mems);
		err = planner_check_memory(p, s->name, &pl->vs.mems, s->limits.memory_max, e);
	}
	if (!err) {
		planner_memory_charge(p, &pl->vs.cpus, &pl->vs.mems, s->limits.memory_max, charge);
		err = planner_memory_check(p, slot, s->name, s->limits.memory_max, charge, e);
	}
	if (err) {
		planner_undo(p);
		return err;
	}
	planner_memory_commit(p, slot, charge);
	pl->vs.exclusive = s->exclusive;
	pl->vs.limits = s->limits;
	pl->numa = s->numa;
	pl->smt = whole ? CPOOL_SMT_FULL_CORES : CPOOL_SMT_THREADS;
	pl->mems_explicit = s->mems_explicit;
	pl->in_use = true;
	p->nr_journal = 0;
	if (out)
		*out = pl->vs;
	return 0;
}

int cpool_planner_adopt(struct cpool_planner *p, const struct cpool_vserver *vs, enum cpool_smt smt,
			struct cpool_error *e)
{
	uint64_t *charge = p->new_charge;
	struct cpool_vs_spec s;
	int slot, err;

	cpool_vs_spec_init(&s, vs->name);
	if (planner_find_vs(p, vs->name) >= 0)
		return cpool_error_set(e, -EEXIST, "vserver %s: already placed", vs->name);
	s.cpus_explicit = true;
	s.cpu_list = vs->cpus;
	s.cpus = cpool_cpuset_count(&vs->cpus);
	slot = new_slot(p);
	if (slot < 0)
		return cpool_error_set(e, slot, "out of memory");
	p->nr_journal = 0;
	err = check_explicit(p, &s, false, slot, e);
	if (!err) {
		planner_memory_charge(p, &vs->cpus, &vs->mems, vs->limits.memory_max, charge);
		err = planner_memory_check(p, slot, vs->name, vs->limits.memory_max, charge, e);
	}
	if (err) {
		planner_undo(p);
		return err;
	}
	planner_memory_commit(p, slot, charge);
	p->nr_journal = 0;
	memset(&p->vs[slot], 0, sizeof(p->vs[slot]));
	p->vs[slot].vs = *vs;
	p->vs[slot].numa = CPOOL_NUMA_ANY;
	p->vs[slot].smt = vs->exclusive ? smt : CPOOL_SMT_THREADS;
	p->vs[slot].mems_explicit = true;
	p->vs[slot].in_use = true;
	return 0;
}

int cpool_planner_release(struct cpool_planner *p, const char *name)
{
	int i = planner_find_vs(p, name);
	uint64_t *none = p->new_charge;

	if (i < 0)
		return -ENOENT;
	memset(none, 0, sizeof(*none) * (size_t)p->t->nr_nodes);
	planner_memory_commit(p, i, none);
	for (int pu = 0; pu < p->t->nr_pus; pu++)
		if (p->owner[pu] == i)
			planner_give_pu(p, pu);
	p->vs[i].in_use = false;
	return 0;
}

/* ---- whole plans ---------------------------------------------------------- */

int cpool_planner_place_all(struct cpool_planner *p, const struct cpool_vs_spec *specs, int n,
			    enum cpool_fit fit, struct cpool_vserver *out, char (*errs)[256])
{
	int *order = malloc(sizeof(int) * (size_t)(n > 0 ? n : 1)), failed = 0;
	struct cpool_error why;

	if (!order)
		return n;
	for (int i = 0; i < n; i++)
		order[i] = i;
	/* Stable insertion sort: explicit lists, then larger requests, then file order. */
	for (int i = 1; i < n; i++) {
		int v = order[i], j = i;

		while (j > 0) {
			const struct cpool_vs_spec *a = &specs[order[j - 1]], *b = &specs[v];
			bool before = (b->cpus_explicit && !a->cpus_explicit) ||
				      (b->cpus_explicit == a->cpus_explicit && b->cpus > a->cpus);

			if (!before)
				break;
			order[j] = order[j - 1];
			j--;
		}
		order[j] = v;
	}
	for (int k = 0; k < n; k++) {
		int i = order[k];

		why.msg[0] = '\0';
		memset(&out[i], 0, sizeof(out[i]));
		if (cpool_planner_place(p, &specs[i], fit, &out[i], &why))
			failed++;
		if (errs)
			snprintf(errs[i], sizeof(errs[i]), "%.*s", (int)sizeof(errs[i]) - 1,
				 why.msg);
	}
	free(order);
	return failed;
}
