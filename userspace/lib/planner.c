// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpool/planner.h"
#include "cpool/units.h"

#define PU_FREE (-1)
#define PU_RESERVED (-2)
#define PU_UNAVAILABLE (-3)

struct placed {
	struct cpool_vserver vs;
	enum cpool_numa numa;
	enum cpool_smt smt;
	bool mems_explicit;
	bool in_use;
};

struct cpool_planner {
	const struct cpool_topology *t;
	struct cpool_cpuset reserved;
	int *owner; /* per PU index: PU_* or an index into vs[] */
	int *core_free; /* free PUs per core */
	int *l3_free, *l3_whole; /* free PUs; PUs in wholly free cores */
	int *node_free, *node_whole; /* the same per node */
	struct placed *vs;
	int nr_vs;
	/* The PUs taken for the VS being placed, to undo a failed attempt. */
	int *journal;
	int nr_journal;
	int *node_count; /* per node, for home_node() */
	/*
	 * The memory ledger: bytes charged per node index, and per VS slot
	 * what it was charged (charge[slot * nr_nodes + node]), so release and
	 * resize give back exactly what was taken.
	 */
	uint64_t *mem_used;
	uint64_t *charge;
};

static const char *const numa_names[] = { "any", "local", "spread" };
static const char *const smt_names[] = { "full-cores", "threads" };

const char *cpool_numa_name(enum cpool_numa numa)
{
	return (unsigned)numa < 3 ? numa_names[numa] : NULL;
}

int cpool_numa_parse(const char *text, enum cpool_numa *numa)
{
	for (int i = 0; i < 3; i++)
		if (strcmp(text, numa_names[i]) == 0) {
			*numa = (enum cpool_numa)i;
			return 0;
		}
	return -EINVAL;
}

const char *cpool_smt_name(enum cpool_smt smt)
{
	return (unsigned)smt < 2 ? smt_names[smt] : NULL;
}

int cpool_smt_parse(const char *text, enum cpool_smt *smt)
{
	for (int i = 0; i < 2; i++)
		if (strcmp(text, smt_names[i]) == 0) {
			*smt = (enum cpool_smt)i;
			return 0;
		}
	return -EINVAL;
}

void cpool_vs_spec_init(struct cpool_vs_spec *spec, const char *name)
{
	memset(spec, 0, sizeof(*spec));
	snprintf(spec->name, sizeof(spec->name), "%s", name ? name : "");
	spec->numa = CPOOL_NUMA_ANY;
	spec->smt = CPOOL_SMT_FULL_CORES;
	spec->exclusive = true;
}

static __attribute__((format(printf, 4, 5))) int fail(char *why, size_t len, int err,
						      const char *fmt, ...)
{
	va_list ap;

	if (why && len) {
		va_start(ap, fmt);
		vsnprintf(why, len, fmt, ap);
		va_end(ap);
	}
	return err;
}

static void format_list(const struct cpool_cpuset *s, char *buf, size_t len)
{
	if (cpool_cpuset_format(s, buf, len) >= (int)len && len > 4)
		strcpy(buf + len - 4, "...");
}

/* ---- bookkeeping ---------------------------------------------------------- */

static void take_pu(struct cpool_planner *p, int pu, int owner)
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

static void give_pu(struct cpool_planner *p, int pu)
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
	take_pu(p, pu, owner);
	p->journal[p->nr_journal++] = pu;
}

static void undo(struct cpool_planner *p)
{
	while (p->nr_journal)
		give_pu(p, p->journal[--p->nr_journal]);
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
		      const struct cpool_cpuset *reserved, char *why, size_t whylen)
{
	struct cpool_planner *p = calloc(1, sizeof(*p));

	*out = NULL;
	if (!p)
		return fail(why, whylen, -ENOMEM, "out of memory");
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
	if (!p->owner || !p->journal || !p->core_free || !p->l3_free || !p->l3_whole ||
	    !p->node_free || !p->node_whole || !p->node_count || !p->mem_used) {
		cpool_planner_free(p);
		return fail(why, whylen, -ENOMEM, "out of memory");
	}
	if (reserved) {
		struct cpool_cpuset extra;

		cpool_cpuset_andnot(&extra, reserved, &t->cpus);
		if (!cpool_cpuset_empty(&extra)) {
			char list[128], all[128];

			format_list(&extra, list, sizeof(list));
			format_list(&t->cpus, all, sizeof(all));
			cpool_planner_free(p);
			return fail(why, whylen, -EINVAL,
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

static int find_vs(const struct cpool_planner *p, const char *name)
{
	for (int i = 0; i < p->nr_vs; i++)
		if (p->vs[i].in_use && strcmp(p->vs[i].vs.name, name) == 0)
			return i;
	return -1;
}

const struct cpool_vserver *cpool_planner_find(const struct cpool_planner *p, const char *name)
{
	int i = find_vs(p, name);

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
	memset(&p->charge[nn * (size_t)p->nr_vs], 0, sizeof(*charge) * nn);
	grown = realloc(p->vs, sizeof(*grown) * (size_t)(p->nr_vs + 1));
	if (!grown)
		return -ENOMEM;
	p->vs = grown;
	memset(&p->vs[p->nr_vs], 0, sizeof(*p->vs));
	return p->nr_vs++;
}

/* ---- the memory ledger ---------------------------------------------------- */

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
static void memory_charge(const struct cpool_topology *t, const struct cpool_cpuset *cpus,
			  const struct cpool_cpuset *mems, uint64_t bytes, uint64_t *out)
{
	uint64_t weight[t->nr_nodes], total = 0, given = 0;
	int top = -1;

	memset(out, 0, sizeof(*out) * (size_t)t->nr_nodes);
	memset(weight, 0, sizeof(weight));
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

static uint64_t node_memory_free(const struct cpool_planner *p, int n)
{
	uint64_t mem = p->t->nodes[n].memory;

	return p->mem_used[n] < mem ? mem - p->mem_used[n] : 0;
}

/*
 * Can slot @owner trade its current charge for @charge?  Only nodes whose
 * charge grows are checked, so a VS never fails to shrink.
 */
static int memory_check(const struct cpool_planner *p, int owner, const char *name, uint64_t bytes,
			const uint64_t *charge, char *why, size_t len)
{
	const struct cpool_topology *t = p->t;
	const uint64_t *old = &p->charge[(size_t)owner * (size_t)t->nr_nodes];

	for (int n = 0; n < t->nr_nodes; n++) {
		uint64_t avail = node_memory_free(p, n) + old[n];
		char want[32], need[32], have[32];

		if (charge[n] <= old[n] || charge[n] <= avail)
			continue;
		cpool_format_size(bytes, want, sizeof(want));
		cpool_format_size(charge[n], need, sizeof(need));
		cpool_format_size(avail, have, sizeof(have));
		return fail(why, len, -ENOSPC,
			    "vserver %s: memory=%s needs %s on node %d; %s is free there", name,
			    want, need, t->nodes[n].os, have);
	}
	return 0;
}

static void memory_commit(struct cpool_planner *p, int owner, const uint64_t *charge)
{
	size_t nn = (size_t)p->t->nr_nodes;
	uint64_t *mine = &p->charge[(size_t)owner * nn];

	for (size_t n = 0; n < nn; n++) {
		p->mem_used[n] = p->mem_used[n] - mine[n] + charge[n];
		mine[n] = charge[n];
	}
}

uint64_t cpool_planner_memory_free(const struct cpool_planner *p, int node)
{
	if (node < 0 || node >= p->t->nr_nodes)
		return 0;
	return node_memory_free(p, node);
}

uint64_t cpool_planner_memory_charged(const struct cpool_planner *p, const char *name, int node)
{
	int i = find_vs(p, name);

	if (i < 0 || node < 0 || node >= p->t->nr_nodes)
		return 0;
	return p->charge[(size_t)i * (size_t)p->t->nr_nodes + (size_t)node];
}

/* ---- choosing ------------------------------------------------------------- */

static int cap_of(bool whole, int free_pus, int whole_pus)
{
	return whole ? whole_pus : free_pus;
}

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
static int take_core(struct cpool_planner *p, int c, int need, int owner)
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
static int pick_in_group(struct cpool_planner *p, int g, int need, bool whole, int owner)
{
	const struct cpool_topology *t = p->t;
	const struct cpool_topo_l3 *l3 = &t->l3[g];
	int end = l3->first_core + l3->nr_cores;

	/* Whole free cores first: SMT siblings stay together. */
	for (int c = l3->first_core; c < end && need > 0; c++)
		if (p->core_free[c] == t->cores[c].nr_pus && t->cores[c].nr_pus <= need)
			need -= take_core(p, c, need, owner);
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
			return need - take_core(p, best, need, owner);
	}
	while (need > 0) {
		int best = -1;

		for (int c = l3->first_core; c < end; c++)
			if (p->core_free[c] > 0 &&
			    (best < 0 || p->core_free[c] > p->core_free[best]))
				best = c;
		if (best < 0)
			break;
		need -= take_core(p, best, need, owner);
	}
	return need;
}

static int pick_in_node(struct cpool_planner *p, int n, int need, bool whole, enum cpool_fit fit,
			int owner)
{
	const struct cpool_topology *t = p->t;
	const struct cpool_topo_node *node = &t->nodes[n];
	int first = node->first_l3, end = node->first_l3 + node->nr_l3;
	int cand[node->nr_l3 + 1], cap[node->nr_l3 + 1], size[node->nr_l3 + 1];

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
		       pick_in_group(p, best, t->l3[best].nr_cpus, whole, owner);
		if (need == 0)
			return 0;
	}
	/* The rest from one group, chosen by the fit algorithm. */
	{
		int nc = 0, pick;

		for (int g = first; g < end; g++) {
			int c = cap_of(whole, p->l3_free[g], p->l3_whole[g]);

			if (c >= need) {
				cand[nc] = g;
				cap[nc] = c;
				size[nc] = t->l3[g].nr_cpus;
				nc++;
			}
		}
		pick = choose(fit, cap, size, nc);
		if (pick >= 0)
			return pick_in_group(p, cand[pick], need, whole, owner);
	}
	/* Or from several: the roomiest first, so as few as possible. */
	while (need > 0) {
		int best = -1, bc = 0;

		for (int g = first; g < end; g++) {
			int c = cap_of(whole, p->l3_free[g], p->l3_whole[g]);

			if (c > bc) {
				best = g;
				bc = c;
			}
		}
		if (best < 0)
			break;
		int left = pick_in_group(p, best, need < bc ? need : bc, whole, owner);

		need -= (need < bc ? need : bc) - left;
		if (left)
			break;
	}
	return need;
}

struct want {
	int node;
	int cpus;
};

static int node_cap(const struct cpool_planner *p, int n, bool whole)
{
	return cap_of(whole, p->node_free[n], p->node_whole[n]);
}

/*
 * Nodes a VS may take CPUs from: those with CPUs, within explicit mems when
 * it names nodes with CPUs; when it names only memory-only nodes (MCDRAM,
 * CXL), the CPU nodes nearest to those.
 */
static int eligible_nodes(const struct cpool_planner *p, const struct cpool_vs_spec *s, int *out)
{
	const struct cpool_topology *t = p->t;
	bool want[t->nr_nodes], any = false;
	int n = 0;

	memset(want, 0, sizeof(want));
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
	return n;
}

static int choose_nodes(struct cpool_planner *p, const int *elig, int ne, const int *want_cap,
			enum cpool_fit fit, int need)
{
	int cand[ne > 0 ? ne : 1], cap[ne > 0 ? ne : 1], size[ne > 0 ? ne : 1];
	int nc = 0, pick;

	for (int i = 0; i < ne; i++)
		if (want_cap[i] >= need) {
			cand[nc] = i;
			cap[nc] = want_cap[i];
			size[nc] = p->t->nodes[elig[i]].nr_cpus;
			nc++;
		}
	pick = choose(fit, cap, size, nc);
	return pick < 0 ? -1 : cand[pick];
}

/* numa=any across nodes: as few packages, then as few nodes, as possible. */
static int plan_any_multi(struct cpool_planner *p, const int *elig, int ne, const int *caps,
			  enum cpool_fit fit, int need, struct want *w, int *nw)
{
	const struct cpool_topology *t = p->t;
	int np = t->nr_packages + 1; /* slot np-1: nodes without a package */
	int pkcap[np], used[ne];

	memset(used, 0, sizeof(used));
	*nw = 0;
	while (need > 0) {
		int bestk = 0, bestp = -1;
		int kp[np], pcap[np], psize[np], cand[np], nc = 0;

		memset(pkcap, 0, sizeof(pkcap));
		for (int i = 0; i < ne; i++)
			if (!used[i]) {
				int pk = t->nodes[elig[i]].package;

				pkcap[pk >= 0 && pk < np - 1 ? pk : np - 1] += caps[i];
			}
		/* Per package, how many nodes (largest first) cover the need. */
		for (int pk = 0; pk < np; pk++) {
			int sorted[ne], ns = 0, sum = 0, k = 0;

			kp[pk] = 0;
			if (pkcap[pk] < need)
				continue;
			for (int i = 0; i < ne; i++) {
				int q = t->nodes[elig[i]].package;

				if (!used[i] && (q >= 0 && q < np - 1 ? q : np - 1) == pk)
					sorted[ns++] = caps[i];
			}
			while (sum < need) {
				int m = 0;

				for (int j = 1; j < ns; j++)
					if (sorted[j] > sorted[m])
						m = j;
				sum += sorted[m];
				sorted[m] = -1;
				k++;
			}
			kp[pk] = k;
			if (!bestk || k < bestk)
				bestk = k;
		}
		if (!bestk) {
			/* No package holds the rest: take the roomiest package whole. */
			for (int pk = 0; pk < np; pk++)
				if (pkcap[pk] > 0 && (bestp < 0 || pkcap[pk] > pkcap[bestp]))
					bestp = pk;
			if (bestp < 0)
				return -ENOSPC;
			for (int i = 0; i < ne; i++) {
				int q = t->nodes[elig[i]].package;

				if (!used[i] && caps[i] > 0 &&
				    (q >= 0 && q < np - 1 ? q : np - 1) == bestp) {
					used[i] = 1;
					w[(*nw)++] = (struct want){ elig[i], caps[i] };
					need -= caps[i];
				}
			}
			continue;
		}
		for (int pk = 0; pk < np; pk++)
			if (kp[pk] == bestk) {
				cand[nc] = pk;
				pcap[nc] = pkcap[pk];
				psize[nc] = 0;
				for (int i = 0; i < ne; i++) {
					int q = t->nodes[elig[i]].package;

					if ((q >= 0 && q < np - 1 ? q : np - 1) == pk)
						psize[nc] += t->nodes[elig[i]].nr_cpus;
				}
				nc++;
			}
		bestp = cand[choose(fit, pcap, psize, nc)];
		/* Its largest bestk-1 nodes whole, the last one by the fit algorithm. */
		for (int k = 0; k < bestk - 1; k++) {
			int m = -1;

			for (int i = 0; i < ne; i++) {
				int q = t->nodes[elig[i]].package;

				if (!used[i] && (q >= 0 && q < np - 1 ? q : np - 1) == bestp &&
				    (m < 0 || caps[i] > caps[m]))
					m = i;
			}
			used[m] = 1;
			w[(*nw)++] = (struct want){ elig[m], caps[m] };
			need -= caps[m];
		}
		{
			int sub[ne], subcap[ne], ns = 0, pick;

			memset(sub, 0, sizeof(sub));
			memset(subcap, 0, sizeof(subcap));

			for (int i = 0; i < ne; i++) {
				int q = t->nodes[elig[i]].package;

				if (!used[i] && (q >= 0 && q < np - 1 ? q : np - 1) == bestp) {
					sub[ns] = elig[i];
					subcap[ns] = caps[i];
					ns++;
				}
			}
			pick = choose_nodes(p, sub, ns, subcap, fit, need);
			if (pick < 0)
				return -ENOSPC;
			for (int i = 0; i < ne; i++)
				if (elig[i] == sub[pick])
					used[i] = 1;
			w[(*nw)++] = (struct want){ sub[pick], need };
			need = 0;
		}
	}
	return 0;
}

/*
 * numa=spread: k nodes, each an equal share (differing by at most one
 * core, or one thread with smt=threads); as many nodes as the request has
 * cores, up to every eligible node.
 */
static int plan_spread(struct cpool_planner *p, const int *elig, int ne, const int *caps,
		       enum cpool_fit fit, int need, int gran, struct want *w, int *nw)
{
	int units = need / gran;
	int order[ne], taken[ne];

	/* Eligible nodes in the fit algorithm's order of preference. */
	memset(taken, 0, sizeof(taken));
	for (int k = 0; k < ne; k++) {
		int cand[ne], cap[ne], size[ne], nc = 0, pick;

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
		if (extra == 0)
			return 0;
	}
	return -ENOSPC;
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
			  int owner, char *why, size_t len)
{
	const struct cpool_topology *t = p->t;
	int home = -1;

	for (int c = cpool_cpuset_first(&s->cpu_list); c >= 0;
	     c = cpool_cpuset_next(&s->cpu_list, c)) {
		int pu = c < t->pu_of_cpu_max ? t->pu_of_cpu[c] : -1;
		char all[128];

		if (pu < 0) {
			format_list(&t->cpus, all, sizeof(all));
			return fail(why, len, -EINVAL,
				    "vserver %s: CPU %d does not exist; the machine has CPUs %s",
				    s->name, c, all);
		}
		if (p->owner[pu] == PU_RESERVED)
			return fail(why, len, -EBUSY,
				    "vserver %s: CPU %d is reserved (reserved_cpus)", s->name, c);
		if (p->owner[pu] == PU_UNAVAILABLE)
			return fail(why, len, -EBUSY, "vserver %s: CPU %d is not available",
				    s->name, c);
		if (p->owner[pu] >= 0)
			return fail(why, len, -EBUSY,
				    "vserver %s: CPU %d already belongs to vserver %s", s->name, c,
				    p->vs[p->owner[pu]].vs.name);
		if (s->numa == CPOOL_NUMA_LOCAL) {
			int n = t->cores[t->pus[pu].core].node;

			if (home >= 0 && n != home)
				return fail(why, len, -EINVAL,
					    "vserver %s: numa=local but cpus spans nodes %d and %d",
					    s->name, t->nodes[home].os, t->nodes[n].os);
			home = n;
		}
		if (whole) {
			const struct cpool_topo_core *core = &t->cores[t->pus[pu].core];

			for (int i = core->first_pu; i < core->first_pu + core->nr_pus; i++)
				if (!cpool_cpuset_isset(&s->cpu_list, t->pus[i].os))
					return fail(
						why, len, -EINVAL,
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

static int check_mems(const struct cpool_planner *p, const struct cpool_vs_spec *s, char *why,
		      size_t len)
{
	struct cpool_cpuset extra;
	char bad[128], all[128];

	if (!s->mems_explicit)
		return 0;
	if (cpool_cpuset_empty(&s->mems))
		return fail(why, len, -EINVAL, "vserver %s: mems is empty", s->name);
	cpool_cpuset_andnot(&extra, &s->mems, &p->t->mems);
	if (cpool_cpuset_empty(&extra))
		return 0;
	format_list(&extra, bad, sizeof(bad));
	format_list(&p->t->mems, all, sizeof(all));
	return fail(why, len, -EINVAL, "vserver %s: mems names unknown node %s; the nodes are %s",
		    s->name, bad, all);
}

/* Memory nodes that hold @bytes: the VS's mems must add up to at least that. */
static int check_memory(const struct cpool_planner *p, const char *name,
			const struct cpool_cpuset *mems, uint64_t bytes, char *why, size_t len)
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
	format_list(mems, list, sizeof(list));
	return fail(why, len, -ENOSPC, "vserver %s: memory=%s exceeds the %s of its nodes %s", name,
		    want, have, list);
}

static int largest(const struct cpool_planner *p, const int *elig, int ne, bool whole, int *node)
{
	int best = 0;

	*node = ne ? elig[0] : 0;
	for (int i = 0; i < ne; i++)
		if (node_cap(p, elig[i], whole) > best) {
			best = node_cap(p, elig[i], whole);
			*node = elig[i];
		}
	return best;
}

/*
 * How many of this VS's CPUs node elig[i] can take without overcommitting
 * its memory, assuming memory follows CPUs (memory_charge): a node with F
 * bytes free holds F / (bytes / cpus) of them.  Nodes outside explicit mems
 * charge nothing, so only their CPUs count.
 */
static void memory_caps(const struct cpool_planner *p, const struct cpool_vs_spec *s,
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
		fit = mul_div(node_memory_free(p, elig[i]), (uint64_t)s->cpus, bytes);
		if (fit < (uint64_t)mcaps[i])
			mcaps[i] = (int)fit / gran * gran;
	}
}

/* Which nodes give how many CPUs; 0, or -ENOSPC when @caps cannot hold it. */
static int plan_nodes(struct cpool_planner *p, const struct cpool_vs_spec *s, const int *elig,
		      int ne, const int *caps, enum cpool_fit fit, int gran, struct want *w,
		      int *nw)
{
	int i;

	*nw = 0;
	switch (s->numa) {
	case CPOOL_NUMA_LOCAL:
		i = choose_nodes(p, elig, ne, caps, fit, s->cpus);
		if (i < 0)
			return -ENOSPC;
		w[(*nw)++] = (struct want){ elig[i], s->cpus };
		return 0;
	case CPOOL_NUMA_SPREAD:
		return plan_spread(p, elig, ne, caps, fit, s->cpus, gran, w, nw);
	case CPOOL_NUMA_ANY:
	default:
		i = choose_nodes(p, elig, ne, caps, fit, s->cpus);
		if (i >= 0) {
			w[(*nw)++] = (struct want){ elig[i], s->cpus };
			return 0;
		}
		return plan_any_multi(p, elig, ne, caps, fit, s->cpus, w, nw);
	}
}

static int place_count(struct cpool_planner *p, const struct cpool_vs_spec *s, enum cpool_fit fit,
		       bool whole, int owner, char *why, size_t len)
{
	const struct cpool_topology *t = p->t;
	int ne, elig[t->nr_nodes], caps[t->nr_nodes], mcaps[t->nr_nodes],
		total = 0, nw = 0, err, bn, big, gran = whole ? t->smt : 1;
	struct want w[t->nr_nodes];
	const char *unit = whole && t->smt > 1 ? " in whole cores" : "";

	ne = eligible_nodes(p, s, elig);
	for (int i = 0; i < ne; i++) {
		caps[i] = node_cap(p, elig[i], whole);
		total += caps[i];
	}
	big = largest(p, elig, ne, whole, &bn);
	if (total < s->cpus) {
		int all = 0;

		for (int i = 0; i < ne; i++)
			all += t->nodes[elig[i]].nr_cpus;
		return fail(why, len, -ENOSPC,
			    "vserver %s: needs %d CPUs%s; only %d of the %d CPUs%s are free",
			    s->name, s->cpus, unit, total, all,
			    ne < t->nr_nodes ? " of its nodes" : "");
	}
	/* Nodes with room for its memory too, when there are such. */
	memory_caps(p, s, elig, ne, caps, gran, mcaps);
	err = plan_nodes(p, s, elig, ne, mcaps, fit, gran, w, &nw);
	if (err && s->limits.memory_max && s->numa == CPOOL_NUMA_LOCAL &&
	    !plan_nodes(p, s, elig, ne, caps, fit, gran, w, &nw)) {
		/* The CPUs are there but not the memory: name the roomiest such node. */
		int m = -1;
		char want[32], have[32];

		for (int i = 0; i < ne; i++)
			if (caps[i] >= s->cpus &&
			    (m < 0 || node_memory_free(p, elig[i]) > node_memory_free(p, m)))
				m = elig[i];
		cpool_format_size(s->limits.memory_max, want, sizeof(want));
		cpool_format_size(node_memory_free(p, m), have, sizeof(have));
		return fail(why, len, -ENOSPC,
			    "vserver %s: memory=%s needs %s on node %d; %s is free there", s->name,
			    want, want, t->nodes[m].os, have);
	}
	/* Otherwise by CPUs alone; the ledger then says which node lacks memory. */
	if (err && s->limits.memory_max)
		err = plan_nodes(p, s, elig, ne, caps, fit, gran, w, &nw);
	if (err) {
		if (s->numa == CPOOL_NUMA_LOCAL)
			return fail(why, len, -ENOSPC,
				    "vserver %s: numa=local needs %d CPUs on one node; the "
				    "largest free is %d (node %d)%s",
				    s->name, s->cpus, big, t->nodes[bn].os,
				    unit[0] ? ", counting whole cores" : "");
		if (s->numa == CPOOL_NUMA_SPREAD)
			return fail(
				why, len, err,
				"vserver %s: numa=spread cannot split %d CPUs%s evenly over the "
				"free nodes",
				s->name, s->cpus, unit);
		return fail(why, len, err, "vserver %s: needs %d CPUs%s; no set of nodes has them",
			    s->name, s->cpus, unit);
	}
	for (int i = 0; i < nw; i++)
		if (pick_in_node(p, w[i].node, w[i].cpus, whole, fit, owner))
			return fail(
				why, len, -ENOSPC,
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
static void default_mems(const struct cpool_topology *t, enum cpool_numa numa,
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
			struct cpool_vserver *out, char *why, size_t whylen)
{
	const struct cpool_topology *t = p->t;
	bool whole = s->smt == CPOOL_SMT_FULL_CORES && s->exclusive;
	uint64_t charge[t->nr_nodes];
	int slot, err;
	struct placed *pl;

	if (cpool_vs_name_check(s->name))
		return fail(why, whylen, -EINVAL,
			    "vserver '%s': a name is 1-%d characters of A-Z a-z 0-9 _ . - and does "
			    "not start with '.'",
			    s->name, CPOOL_VS_NAME_MAX);
	if (find_vs(p, s->name) >= 0)
		return fail(why, whylen, -EEXIST, "vserver %s: already placed", s->name);
	err = check_mems(p, s, why, whylen);
	if (err)
		return err;
	if (!s->cpus_explicit) {
		if (s->cpus <= 0)
			return fail(why, whylen, -EINVAL, "vserver %s: cpus must be at least 1",
				    s->name);
		if (whole && t->smt > 1 && s->cpus % t->smt)
			return fail(
				why, whylen, -EINVAL,
				"vserver %s: cpus=%d is not a whole number of cores (%d threads "
				"each); ask for a multiple of %d or set smt=threads",
				s->name, s->cpus, t->smt, t->smt);
	}
	slot = new_slot(p);
	if (slot < 0)
		return fail(why, whylen, slot, "out of memory");
	p->nr_journal = 0;
	if (s->cpus_explicit)
		err = check_explicit(p, s, whole, slot, why, whylen);
	else
		err = place_count(p, s, fit, whole, slot, why, whylen);
	pl = &p->vs[slot];
	memset(pl, 0, sizeof(*pl));
	if (!err) {
		snprintf(pl->vs.name, sizeof(pl->vs.name), "%s", s->name);
		journal_cpus(p, &pl->vs.cpus);
		if (s->mems_explicit)
			pl->vs.mems = s->mems;
		else
			default_mems(t, s->numa, &pl->vs.cpus, &pl->vs.mems);
		err = check_memory(p, s->name, &pl->vs.mems, s->limits.memory_max, why, whylen);
	}
	if (!err) {
		memory_charge(t, &pl->vs.cpus, &pl->vs.mems, s->limits.memory_max, charge);
		err = memory_check(p, slot, s->name, s->limits.memory_max, charge, why, whylen);
	}
	if (err) {
		undo(p);
		return err;
	}
	memory_commit(p, slot, charge);
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
			char *why, size_t whylen)
{
	uint64_t charge[p->t->nr_nodes];
	struct cpool_vs_spec s;
	int slot, err;

	cpool_vs_spec_init(&s, vs->name);
	if (find_vs(p, vs->name) >= 0)
		return fail(why, whylen, -EEXIST, "vserver %s: already placed", vs->name);
	s.cpus_explicit = true;
	s.cpu_list = vs->cpus;
	s.cpus = cpool_cpuset_count(&vs->cpus);
	slot = new_slot(p);
	if (slot < 0)
		return fail(why, whylen, slot, "out of memory");
	p->nr_journal = 0;
	err = check_explicit(p, &s, false, slot, why, whylen);
	if (!err) {
		memory_charge(p->t, &vs->cpus, &vs->mems, vs->limits.memory_max, charge);
		err = memory_check(p, slot, vs->name, vs->limits.memory_max, charge, why, whylen);
	}
	if (err) {
		undo(p);
		return err;
	}
	memory_commit(p, slot, charge);
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
	int i = find_vs(p, name);
	uint64_t none[p->t->nr_nodes > 0 ? p->t->nr_nodes : 1];

	if (i < 0)
		return -ENOENT;
	memset(none, 0, sizeof(none));
	memory_commit(p, i, none);
	for (int pu = 0; pu < p->t->nr_pus; pu++)
		if (p->owner[pu] == i)
			give_pu(p, pu);
	p->vs[i].in_use = false;
	return 0;
}

/* ---- resizing ------------------------------------------------------------- */

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

static int grow(struct cpool_planner *p, int owner, int need, bool whole, char *why, size_t len)
{
	const struct cpool_topology *t = p->t;
	struct placed *pl = &p->vs[owner];
	int home = home_node(p, owner);

	/* Same core: the free siblings of its threads. */
	if (!whole)
		for (int pu = 0; pu < t->nr_pus && need > 0; pu++)
			if (p->owner[pu] == owner)
				need -= take_core(p, t->pus[pu].core, need, owner);
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

				need -= ask - pick_in_group(p, g, ask, whole, owner);
			}
		}
	}
	/* Same node, then the nearest nodes (numa=local stays home). */
	{
		int order[t->nr_nodes], no = 0;
		bool done[t->nr_nodes];

		memset(done, 0, sizeof(done));
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
			int c = node_cap(p, order[i], whole);

			if (c > 0) {
				int ask = need < c ? need : c;

				need -= ask - pick_in_node(p, order[i], ask, whole, CPOOL_FIT_BEST,
							   owner);
			}
		}
	}
	if (need > 0)
		return fail(why, len, -ENOSPC, "vserver %s: %d more CPUs%s are not free%s",
			    pl->vs.name, need, whole ? " in whole cores" : "",
			    pl->numa == CPOOL_NUMA_LOCAL ? " on its node (numa=local)" : "");
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
					give_pu(p, i);
					p->journal[p->nr_journal++] = i;
					drop--;
				}
		} else {
			give_pu(p, best);
			p->journal[p->nr_journal++] = best;
			drop--;
		}
	}
}

/* Take back what shrink() gave, when the memory ledger refuses the result. */
static void unshrink(struct cpool_planner *p, int owner)
{
	while (p->nr_journal)
		take_pu(p, p->journal[--p->nr_journal], owner);
}

int cpool_planner_resize(struct cpool_planner *p, const char *name, int cpus,
			 struct cpool_vserver *out, char *why, size_t whylen)
{
	const struct cpool_topology *t = p->t;
	int i = find_vs(p, name), have, err = 0;
	uint64_t charge[t->nr_nodes];
	struct cpool_cpuset cpus_now, mems_now;
	struct placed *pl;
	bool whole;

	if (i < 0)
		return fail(why, whylen, -ENOENT, "vserver %s: not placed", name);
	pl = &p->vs[i];
	whole = pl->smt == CPOOL_SMT_FULL_CORES;
	have = cpool_cpuset_count(&pl->vs.cpus);
	if (cpus <= 0)
		return fail(why, whylen, -EINVAL, "vserver %s: cpus must be at least 1", name);
	if (whole && t->smt > 1 && cpus % t->smt)
		return fail(why, whylen, -EINVAL,
			    "vserver %s: cpus=%d is not a whole number of cores (%d threads each)",
			    name, cpus, t->smt);
	p->nr_journal = 0;
	if (cpus > have) {
		err = grow(p, i, cpus - have, whole, why, whylen);
		if (err)
			undo(p);
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
		default_mems(t, pl->numa, &cpus_now, &mems_now);
	memory_charge(t, &cpus_now, &mems_now, pl->vs.limits.memory_max, charge);
	err = memory_check(p, i, name, pl->vs.limits.memory_max, charge, why, whylen);
	if (err) {
		if (cpus > have)
			undo(p);
		else
			unshrink(p, i);
		p->nr_journal = 0;
		return err;
	}
	p->nr_journal = 0;
	memory_commit(p, i, charge);
	pl->vs.cpus = cpus_now;
	pl->vs.mems = mems_now;
	if (out)
		*out = pl->vs;
	return 0;
}

/* ---- whole plans ---------------------------------------------------------- */

int cpool_planner_place_all(struct cpool_planner *p, const struct cpool_vs_spec *specs, int n,
			    enum cpool_fit fit, struct cpool_vserver *out, char (*errs)[256])
{
	int *order = malloc(sizeof(int) * (size_t)(n > 0 ? n : 1)), failed = 0;
	char why[256];

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

		why[0] = '\0';
		memset(&out[i], 0, sizeof(out[i]));
		if (cpool_planner_place(p, &specs[i], fit, &out[i], why, sizeof(why)))
			failed++;
		if (errs)
			snprintf(errs[i], sizeof(errs[i]), "%s", why);
	}
	free(order);
	return failed;
}
