// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#include <errno.h>
#include <hwloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpool/error.h"
#include "cpool/topology.h"

#define DIST_LOCAL 10
#define DIST_REMOTE 20

/*
 * A Linux CPU belongs to exactly one node, but hwloc gives CPU-less nodes
 * (MCDRAM, CXL, PMEM) their locality's cpuset, so several nodes can claim a
 * CPU.  The node that really owns it is the plain-memory one: no subtype or
 * "DRAM" beats "MCDRAM"/"HBM"/"NVM"; then the most local (smallest cpuset);
 * then the lowest number, as Linux numbers CPU nodes before hot-plugged ones.
 */
static bool is_plain_memory(const char *subtype)
{
	return !subtype || strcmp(subtype, "DRAM") == 0;
}

struct raw_node {
	hwloc_obj_t obj;
	int os;
	int weight; /* hwloc cpuset weight */
};

static bool node_better(const struct raw_node *a, const struct raw_node *b)
{
	bool pa = is_plain_memory(a->obj->subtype), pb = is_plain_memory(b->obj->subtype);

	if (pa != pb)
		return pa;
	if (a->weight != b->weight)
		return a->weight < b->weight;
	return a->os < b->os;
}

static int by_os(const void *x, const void *y)
{
	const struct raw_node *a = x, *b = y;

	return (a->os > b->os) - (a->os < b->os);
}

struct raw_core {
	int node; /* node index */
	int l3; /* hwloc logical index of its L3, -1 without */
	int package; /* hwloc logical index or -1 */
	int order; /* hwloc logical order of its first PU */
	int first, nr; /* into the raw PU list */
};

static int by_group(const void *x, const void *y)
{
	const struct raw_core *a = x, *b = y;

	if (a->node != b->node)
		return (a->node > b->node) - (a->node < b->node);
	if (a->l3 != b->l3)
		return (a->l3 > b->l3) - (a->l3 < b->l3);
	if (a->package != b->package)
		return (a->package > b->package) - (a->package < b->package);
	return (a->order > b->order) - (a->order < b->order);
}

static hwloc_obj_t cpu_l3(hwloc_topology_t topo, hwloc_obj_t pu)
{
	for (hwloc_obj_t o = pu->parent; o; o = o->parent)
		if (o->type == HWLOC_OBJ_L3CACHE &&
		    !(o->subtype && strstr(o->subtype, "MemorySide")))
			return o;
	return NULL;
}

static hwloc_obj_t core_of(hwloc_obj_t pu)
{
	for (hwloc_obj_t o = pu->parent; o; o = o->parent)
		if (o->type == HWLOC_OBJ_CORE)
			return o;
	return pu;
}

static int package_of(hwloc_obj_t o)
{
	for (; o; o = o->parent)
		if (o->type == HWLOC_OBJ_PACKAGE)
			return (int)o->logical_index;
	return -1;
}

static char *keep_string(struct cpool_topology *t, const char *s)
{
	char **grown;

	if (!s)
		return NULL;
	grown = realloc(t->strings, sizeof(*grown) * (size_t)(t->nr_strings + 1));
	if (!grown)
		return NULL;
	t->strings = grown;
	t->strings[t->nr_strings] = strdup(s);
	return t->strings[t->nr_strings] ? t->strings[t->nr_strings++] : NULL;
}

static void read_distances(struct cpool_topology *t, hwloc_topology_t topo)
{
	struct hwloc_distances_s *d[8];
	unsigned nr = 8, pick = 0;
	int n = t->nr_nodes;

	for (int a = 0; a < n; a++)
		for (int b = 0; b < n; b++)
			t->distance[a * n + b] = a == b ? DIST_LOCAL : DIST_REMOTE;
	t->distance_measured = false;
	if (hwloc_distances_get_by_type(topo, HWLOC_OBJ_NUMANODE, &nr, d, 0, 0) < 0 || nr == 0)
		return;
	if (nr > 8)
		nr = 8;
	/* Latency is what "near" means for memory; take it over bandwidth. */
	for (unsigned i = 0; i < nr; i++)
		if (d[i]->kind & HWLOC_DISTANCES_KIND_MEANS_LATENCY) {
			pick = i;
			break;
		}
	for (unsigned i = 0; i < d[pick]->nbobjs; i++) {
		int a = cpool_topology_node_index(t, (int)d[pick]->objs[i]->os_index);

		for (unsigned j = 0; a >= 0 && j < d[pick]->nbobjs; j++) {
			int b = cpool_topology_node_index(t, (int)d[pick]->objs[j]->os_index);
			hwloc_uint64_t v = d[pick]->values[i * d[pick]->nbobjs + j];

			if (b >= 0 && v > 0 && v < 1000000)
				t->distance[a * n + b] = (int)v;
		}
	}
	t->distance_measured = true;
	for (unsigned i = 0; i < nr; i++)
		hwloc_distances_release(topo, d[i]);
}

static bool has_memory(const struct raw_node *r)
{
	return r->obj->attr && r->obj->attr->numanode.local_memory > 0;
}

/*
 * The NUMA locality nearest a CPU without local memory, in @local (per node
 * index): the nodes hwloc calls local to the CPU itself (memoryless nodes
 * that hold it), else those local to its nearest ancestor -- nodes whose
 * CPUs lie within or around the ancestor's and share some with it (a node
 * without CPUs shares none, so a CPU-less memory node is never the
 * locality).  With @want_cpus the walk goes on until the locality holds a
 * node in @cpu_node: without a distance matrix only the tree says "near".
 * @objs: scratch of nr_nodes entries.
 */
static bool nearest_locality(hwloc_topology_t topo, hwloc_obj_t pu, const struct cpool_topology *t,
			     const bool *cpu_node, bool want_cpus, bool *local, hwloc_obj_t *objs)
{
	for (hwloc_obj_t o = pu; o; o = o->parent) {
		struct hwloc_location loc = { .type = HWLOC_LOCATION_TYPE_CPUSET };
		unsigned long flags = HWLOC_LOCAL_NUMANODE_FLAG_LARGER_LOCALITY;
		unsigned nr = (unsigned)t->nr_nodes;
		bool any = false, cpus = false;

		if (!o->cpuset)
			continue;
		if (o != pu)
			flags |= HWLOC_LOCAL_NUMANODE_FLAG_SMALLER_LOCALITY;
		loc.location.cpuset = o->cpuset;
		if (hwloc_get_local_numanode_objs(topo, &loc, &nr, objs, flags) < 0)
			continue;
		memset(local, 0, sizeof(*local) * (size_t)t->nr_nodes);
		for (unsigned k = 0; k < nr && k < (unsigned)t->nr_nodes; k++) {
			int n = cpool_topology_node_index(t, (int)objs[k]->os_index);

			if (n < 0 || !objs[k]->cpuset ||
			    !hwloc_bitmap_intersects(objs[k]->cpuset, o->cpuset))
				continue;
			local[n] = any = true;
			cpus = cpus || cpu_node[n];
		}
		if (any && (cpus || !want_cpus))
			return true;
	}
	return false;
}

/*
 * The node that gives out a CPU without local memory: among nodes with CPUs
 * (and memory) of their own, the one nearest its locality by the distance
 * matrix -- the smallest distance from any node of the locality -- ties to
 * node_better().  Without a matrix the fallback 10/20 makes this "a node of
 * the locality", found by walking up the tree.
 */
static int home_of_orphan(hwloc_topology_t topo, hwloc_obj_t pu, const struct cpool_topology *t,
			  const struct raw_node *raw, const bool *cpu_node, bool *local,
			  hwloc_obj_t *objs)
{
	int best = -1, best_d = 0;

	if (!nearest_locality(topo, pu, t, cpu_node, !t->distance_measured, local, objs))
		memset(local, 0, sizeof(*local) * (size_t)t->nr_nodes);
	for (int m = 0; m < t->nr_nodes; m++) {
		int d = -1;

		if (!cpu_node[m])
			continue;
		for (int l = 0; l < t->nr_nodes; l++)
			if (local[l] && (d < 0 || cpool_topology_distance(t, l, m) < d))
				d = cpool_topology_distance(t, l, m);
		if (d < 0)
			d = 1 << 30; /* no locality at all: node_better() alone decides */
		if (best < 0 || d < best_d || (d == best_d && node_better(&raw[m], &raw[best]))) {
			best = m;
			best_d = d;
		}
	}
	return best;
}

static int build(struct cpool_topology *t, hwloc_topology_t topo, struct cpool_error *e)
{
	int nr_nodes = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);
	int nr_pus = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
	struct raw_node *raw = NULL;
	struct raw_core *rc = NULL;
	hwloc_obj_t *pu_objs = NULL, *core_objs = NULL, *node_objs = NULL;
	int *pu_node = NULL;
	bool *cpu_node = NULL, *local = NULL, memory_known = false;
	int nr_cores = 0, ret = -ENOMEM;

	if (nr_nodes <= 0 || nr_pus <= 0)
		return cpool_error_set(e, -EINVAL, "the topology has %d NUMA nodes and %d PUs",
				       nr_nodes, nr_pus);
	raw = calloc((size_t)nr_nodes, sizeof(*raw));
	pu_objs = calloc((size_t)nr_pus, sizeof(*pu_objs));
	core_objs = calloc((size_t)nr_pus, sizeof(*core_objs));
	pu_node = calloc((size_t)nr_pus, sizeof(*pu_node));
	rc = calloc((size_t)nr_pus, sizeof(*rc));
	cpu_node = calloc((size_t)nr_nodes, sizeof(*cpu_node));
	/* Scratch for home_of_orphan(). */
	local = calloc((size_t)nr_nodes, sizeof(*local));
	node_objs = calloc((size_t)nr_nodes, sizeof(*node_objs));
	t->nodes = calloc((size_t)nr_nodes, sizeof(*t->nodes));
	t->distance = calloc((size_t)nr_nodes * (size_t)nr_nodes, sizeof(*t->distance));
	t->pus = calloc((size_t)nr_pus, sizeof(*t->pus));
	t->cores = calloc((size_t)nr_pus, sizeof(*t->cores));
	t->l3 = calloc((size_t)nr_pus, sizeof(*t->l3));
	if (!raw || !pu_objs || !core_objs || !pu_node || !rc || !cpu_node || !local ||
	    !node_objs || !t->nodes || !t->distance || !t->pus || !t->cores || !t->l3)
		goto out;

	for (int i = 0; i < nr_nodes; i++) {
		hwloc_obj_t o = hwloc_get_obj_by_type(topo, HWLOC_OBJ_NUMANODE, (unsigned)i);

		raw[i].obj = o;
		raw[i].os = (int)o->os_index;
		raw[i].weight = o->cpuset ? hwloc_bitmap_weight(o->cpuset) : 0;
		if (raw[i].os >= CPOOL_MAX_CPUS) {
			ret = cpool_error_set(e, -ERANGE,
					      "NUMA node %d is past the %d cpool supports",
					      raw[i].os, CPOOL_MAX_CPUS);
			goto out;
		}
	}
	qsort(raw, (size_t)nr_nodes, sizeof(*raw), by_os);
	t->nr_nodes = nr_nodes;
	for (int i = 0; i < nr_nodes; i++) {
		struct cpool_topo_node *n = &t->nodes[i];

		n->os = raw[i].os;
		n->memory = raw[i].obj->attr ? raw[i].obj->attr->numanode.local_memory : 0;
		n->subtype = keep_string(t, raw[i].obj->subtype);
		n->package = package_of(raw[i].obj);
		cpool_cpuset_set(&t->mems, n->os);
		memory_known = memory_known || has_memory(&raw[i]);
	}
	/* Orphan CPUs go by distance, so the matrix comes first. */
	read_distances(t, topo);

	/*
	 * Home node of each PU: first the nodes with memory that claim it; a
	 * memoryless node's CPUs are orphans like CPUs no node claims, since
	 * cpuset.mems cannot name a node without memory.  A source that gives
	 * no node memory (or no node both CPUs and memory) keeps the claims.
	 */
again:
	/* Home node of each PU: first those some node claims, then the orphans. */
	for (int i = 0; i < nr_pus; i++) {
		hwloc_obj_t pu = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PU, (unsigned)i);
		int best = -1;

		pu_objs[i] = pu;
		if (pu->os_index >= CPOOL_MAX_CPUS) {
			ret = cpool_error_set(e, -ERANGE, "CPU %u is past the %d cpool supports",
					      pu->os_index, CPOOL_MAX_CPUS);
			goto out;
		}
		for (int n = 0; n < nr_nodes; n++)
			if (raw[n].obj->cpuset &&
			    hwloc_bitmap_isset(raw[n].obj->cpuset, pu->os_index) &&
			    (has_memory(&raw[n]) || !memory_known) &&
			    (best < 0 || node_better(&raw[n], &raw[best])))
				best = n;
		pu_node[i] = best;
		if (best >= 0) {
			cpool_cpuset_set(&t->nodes[best].cpus, (int)pu->os_index);
			cpu_node[best] = true;
		}
	}
	if (memory_known) {
		bool any = false;

		for (int n = 0; n < nr_nodes; n++)
			any = any || cpu_node[n];
		if (!any) {
			memory_known = false;
			goto again;
		}
	}
	for (int i = 0; i < nr_pus; i++) {
		int best;

		if (pu_node[i] >= 0)
			continue;
		best = home_of_orphan(topo, pu_objs[i], t, raw, cpu_node, local, node_objs);
		if (best < 0) {
			ret = cpool_error_set(e, -EINVAL,
					      "CPU %u has no NUMA node with CPUs to belong to",
					      pu_objs[i]->os_index);
			goto out;
		}
		pu_node[i] = best;
		cpool_cpuset_set(&t->nodes[best].adopted_cpus, (int)pu_objs[i]->os_index);
	}

	/* Cores, in hwloc order of their first PU. */
	for (int i = 0; i < nr_pus; i++) {
		hwloc_obj_t core = core_of(pu_objs[i]);
		hwloc_obj_t l3 = cpu_l3(topo, pu_objs[i]);
		int c;

		for (c = 0; c < nr_cores; c++)
			if (core_objs[c] == core)
				break;
		if (c == nr_cores) {
			core_objs[c] = core;
			rc[c].node = pu_node[i];
			rc[c].l3 = l3 ? (int)l3->logical_index : -1;
			rc[c].package = package_of(pu_objs[i]);
			rc[c].order = c;
			nr_cores++;
		}
		rc[c].nr++;
	}
	/* Reuse the core slots to list PU objects core by core. */
	{
		int at = 0;

		for (int c = 0; c < nr_cores; c++) {
			rc[c].first = at;
			at += rc[c].nr;
			rc[c].nr = 0;
		}
		for (int i = 0; i < nr_pus; i++) {
			hwloc_obj_t core = core_of(pu_objs[i]);
			int c;

			for (c = 0; core_objs[c] != core; c++)
				;
			t->pus[rc[c].first + rc[c].nr].os = (int)pu_objs[i]->os_index;
			rc[c].nr++;
		}
	}
	qsort(rc, (size_t)nr_cores, sizeof(*rc), by_group);

	{
		struct cpool_topo_pu *pus = calloc((size_t)nr_pus, sizeof(*pus));
		int at = 0;

		if (!pus)
			goto out;
		t->nr_l3 = 0;
		for (int c = 0; c < nr_cores; c++) {
			struct cpool_topo_core *core = &t->cores[c];

			/* Without an L3, cores still never share a group across packages. */
			if (c == 0 || rc[c].node != rc[c - 1].node || rc[c].l3 != rc[c - 1].l3 ||
			    rc[c].package != rc[c - 1].package) {
				struct cpool_topo_l3 *g = &t->l3[t->nr_l3++];

				g->node = rc[c].node;
				g->package = rc[c].package;
				g->first_core = c;
			}
			t->l3[t->nr_l3 - 1].nr_cores++;
			core->l3 = t->nr_l3 - 1;
			core->node = rc[c].node;
			core->package = rc[c].package;
			core->first_pu = at;
			core->nr_pus = rc[c].nr;
			for (int k = 0; k < rc[c].nr; k++) {
				pus[at].os = t->pus[rc[c].first + k].os;
				pus[at].core = c;
				at++;
			}
		}
		free(t->pus);
		t->pus = pus;
	}
	t->nr_cores = nr_cores;
	t->nr_pus = nr_pus;
	t->nr_packages = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PACKAGE);
	/* A node outside any package takes its own CPUs' package, not adopted ones'. */
	for (int pass = 0; pass < 2; pass++)
		for (int n = 0; n < nr_nodes; n++)
			for (int c = 0; t->nodes[n].package < 0 && c < nr_cores; c++)
				if (t->cores[c].node == n &&
				    (pass || !cpool_cpuset_isset(&t->nodes[n].adopted_cpus,
								 t->pus[t->cores[c].first_pu].os)))
					t->nodes[n].package = t->cores[c].package;
	ret = cpool_topology_finish(t);
	/* A memory-only node is near the CPUs hwloc attaches it to. */
	for (int n = 0; !ret && n < nr_nodes; n++) {
		struct cpool_topo_node *node = &t->nodes[n];

		if (node->nr_cpus || !raw[n].obj->cpuset)
			continue;
		for (int c = 0; c < nr_pus; c++)
			if (hwloc_bitmap_isset(raw[n].obj->cpuset, pu_objs[c]->os_index)) {
				node->near = pu_node[c];
				break;
			}
	}
out:
	free(raw);
	free(pu_objs);
	free(core_objs);
	free(pu_node);
	free(cpu_node);
	free(local);
	free(node_objs);
	free(rc);
	if (ret == -ENOMEM)
		cpool_error_set(e, ret, "out of memory");
	return ret;
}

int cpool_topology_finish(struct cpool_topology *t)
{
	int maxcpu = 0;

	cpool_cpuset_zero(&t->cpus);
	cpool_cpuset_zero(&t->mems);
	t->smt = 0;
	for (int n = 0; n < t->nr_nodes; n++) {
		struct cpool_topo_node *node = &t->nodes[n];

		cpool_cpuset_set(&t->mems, node->os);
		cpool_cpuset_zero(&node->cpus);
		node->nr_cpus = node->nr_cores = node->smt = 0;
		node->first_l3 = -1;
		node->nr_l3 = 0;
	}
	for (int g = 0; g < t->nr_l3; g++) {
		struct cpool_topo_l3 *l3 = &t->l3[g];
		struct cpool_topo_node *node = &t->nodes[l3->node];

		if (node->first_l3 < 0)
			node->first_l3 = g;
		else if (node->first_l3 + node->nr_l3 != g)
			return -EINVAL; /* groups of a node must be consecutive */
		node->nr_l3++;
		cpool_cpuset_zero(&l3->cpus);
		l3->nr_cpus = 0;
		for (int c = l3->first_core; c < l3->first_core + l3->nr_cores; c++) {
			struct cpool_topo_core *core = &t->cores[c];

			if (core->l3 != g || core->node != l3->node)
				return -EINVAL;
			for (int p = core->first_pu; p < core->first_pu + core->nr_pus; p++) {
				cpool_cpuset_set(&l3->cpus, t->pus[p].os);
				if (t->pus[p].os + 1 > maxcpu)
					maxcpu = t->pus[p].os + 1;
			}
			l3->nr_cpus += core->nr_pus;
			node->nr_cores++;
			if (core->nr_pus > node->smt)
				node->smt = core->nr_pus;
		}
		cpool_cpuset_or(&node->cpus, &node->cpus, &l3->cpus);
		node->nr_cpus += l3->nr_cpus;
	}
	for (int n = 0; n < t->nr_nodes; n++) {
		struct cpool_topo_node *node = &t->nodes[n];

		node->near = node->nr_cpus ? n : -1;
		for (int m = 0; !node->nr_cpus && m < t->nr_nodes; m++)
			if (t->nodes[m].nr_cpus && t->distance &&
			    (node->near < 0 || cpool_topology_distance(t, n, m) <
						       cpool_topology_distance(t, n, node->near)))
				node->near = m;
		cpool_cpuset_or(&t->cpus, &t->cpus, &t->nodes[n].cpus);
		if (t->nodes[n].smt > t->smt)
			t->smt = t->nodes[n].smt;
		if (t->nodes[n].first_l3 < 0)
			t->nodes[n].first_l3 = 0;
	}
	free(t->pu_of_cpu);
	t->pu_of_cpu_max = maxcpu;
	t->pu_of_cpu = malloc(sizeof(int) * (size_t)(maxcpu ? maxcpu : 1));
	if (!t->pu_of_cpu)
		return -ENOMEM;
	for (int i = 0; i < maxcpu; i++)
		t->pu_of_cpu[i] = -1;
	for (int p = 0; p < t->nr_pus; p++) {
		if (t->pu_of_cpu[t->pus[p].os] >= 0)
			return -EINVAL; /* a CPU listed twice */
		t->pu_of_cpu[t->pus[p].os] = p;
	}
	return 0;
}

int cpool_topology_load(struct cpool_topology *t, const char *xml_file, const char *synthetic,
			struct cpool_error *e)
{
	hwloc_topology_t topo;
	int ret;

	memset(t, 0, sizeof(*t));
	if (hwloc_topology_init(&topo) < 0)
		return cpool_error_set(e, -ENOMEM, "hwloc_topology_init: %s", strerror(errno));
	/* Another machine's XML: do not check it against this system. */
	hwloc_topology_set_io_types_filter(topo, HWLOC_TYPE_FILTER_KEEP_NONE);
	/*
	 * The whole machine, not the CPUs the calling process may use: cpoold
	 * may run where cpuset partitions (its own pool's, after a restart)
	 * have taken most CPUs away from it.
	 */
	if (!xml_file && !synthetic)
		hwloc_topology_set_flags(topo, HWLOC_TOPOLOGY_FLAG_INCLUDE_DISALLOWED);
	if (xml_file && hwloc_topology_set_xml(topo, xml_file) < 0) {
		ret = errno ? -errno : -EINVAL;
		cpool_error_set(e, ret, "%s: cannot read as hwloc XML: %s", xml_file,
				strerror(-ret));
		goto out;
	}
	if (synthetic && hwloc_topology_set_synthetic(topo, synthetic) < 0) {
		ret = -EINVAL;
		cpool_error_set(
			e, ret,
			"'%s' is not an hwloc synthetic description (e.g. \"pack:2 numa:2 core:8 "
			"pu:2\")",
			synthetic);
		goto out;
	}
	if (hwloc_topology_load(topo) < 0) {
		ret = errno ? -errno : -EINVAL;
		cpool_error_set(e, ret, "%s: hwloc cannot load the topology: %s",
				xml_file  ? xml_file :
				synthetic ? synthetic :
					    "this machine",
				strerror(-ret));
		goto out;
	}
	ret = build(t, topo, e);
	if (!ret) {
		t->source = strdup(xml_file ? xml_file : synthetic ? synthetic : "this machine");
		if (!t->source)
			ret = -ENOMEM;
	}
out:
	hwloc_topology_destroy(topo);
	if (ret)
		cpool_topology_free(t);
	return ret;
}

void cpool_topology_free(struct cpool_topology *t)
{
	free(t->nodes);
	free(t->l3);
	free(t->cores);
	free(t->pus);
	free(t->distance);
	free(t->pu_of_cpu);
	free(t->source);
	for (int i = 0; i < t->nr_strings; i++)
		free(t->strings[i]);
	free(t->strings);
	memset(t, 0, sizeof(*t));
}

int cpool_topology_node_index(const struct cpool_topology *t, int os)
{
	for (int i = 0; i < t->nr_nodes; i++)
		if (t->nodes[i].os == os)
			return i;
	return -1;
}

int cpool_topology_core_of_cpu(const struct cpool_topology *t, int cpu)
{
	if (cpu < 0 || cpu >= t->pu_of_cpu_max || t->pu_of_cpu[cpu] < 0)
		return -1;
	return t->pus[t->pu_of_cpu[cpu]].core;
}

int cpool_topology_node_of_cpu(const struct cpool_topology *t, int cpu)
{
	int c = cpool_topology_core_of_cpu(t, cpu);

	return c < 0 ? -1 : t->cores[c].node;
}
