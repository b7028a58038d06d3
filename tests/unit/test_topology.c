// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#include <errno.h>
#include <hwloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../tap.h"
#include "shared_data.h"
#include "cpool/topology.h"
#include "handmade_topo.h"

static char buf[4096];

static const char *fmt(const struct cpool_cpuset *s)
{
	cpool_cpuset_format(s, buf, sizeof(buf));
	return buf;
}

static int node_by_os(const struct cpool_topology *t, int os)
{
	int n = cpool_topology_node_index(t, os);

	if (n < 0)
		bail_out("node %d missing", os);
	return n;
}

static int memory_only(const struct cpool_topology *t)
{
	int n = 0;

	for (int i = 0; i < t->nr_nodes; i++)
		n += t->nodes[i].nr_cpus == 0;
	return n;
}

/* Invariants every model must keep, whatever the source. */
static void check_model(const struct cpool_topology *t, const char *what)
{
	struct cpool_cpuset seen;
	bool ok_cores = true, ok_pus = true, ok_nodes = true, ok_l3 = true;
	int sum = 0;

	cpool_cpuset_zero(&seen);
	for (int c = 0; c < t->nr_cores; c++) {
		const struct cpool_topo_core *core = &t->cores[c];

		if (core->node != t->l3[core->l3].node || t->nodes[core->node].nr_cpus == 0)
			ok_cores = false;
		for (int p = core->first_pu; p < core->first_pu + core->nr_pus; p++) {
			if (t->pus[p].core != c || cpool_cpuset_isset(&seen, t->pus[p].os))
				ok_pus = false;
			cpool_cpuset_set(&seen, t->pus[p].os);
			if (!cpool_cpuset_isset(&t->nodes[core->node].cpus, t->pus[p].os))
				ok_nodes = false;
		}
	}
	for (int n = 0; n < t->nr_nodes; n++) {
		sum += t->nodes[n].nr_cpus;
		for (int m = 0; m < t->nr_nodes; m++)
			if (m != n && cpool_cpuset_intersects(&t->nodes[n].cpus, &t->nodes[m].cpus))
				ok_nodes = false;
		if (!cpool_cpuset_subset(&t->nodes[n].adopted_cpus, &t->nodes[n].cpus))
			ok_nodes = false;
		for (int g = t->nodes[n].first_l3; g < t->nodes[n].first_l3 + t->nodes[n].nr_l3;
		     g++)
			if (t->l3[g].node != n ||
			    !cpool_cpuset_subset(&t->l3[g].cpus, &t->nodes[n].cpus))
				ok_l3 = false;
	}
	ok(ok_cores, "%s: every core is in a node with CPUs and in that node's L3 group", what);
	ok(ok_pus, "%s: every PU is listed once, under its core", what);
	ok(ok_nodes && sum == t->nr_pus && cpool_cpuset_equal(&seen, &t->cpus),
	   "%s: every CPU belongs to exactly one node", what);
	ok(ok_l3, "%s: L3 groups lie within their node", what);
}

/* The matrix's smallest distance from a node of @local to node @os; -1 when absent. */
static int from_locality(const struct hwloc_distances_s *d, hwloc_obj_t *local, int nl, int os)
{
	int to = -1, best = -1;

	for (unsigned j = 0; j < d->nbobjs; j++)
		if ((int)d->objs[j]->os_index == os)
			to = (int)j;
	for (int l = 0; l < nl && to >= 0; l++)
		for (unsigned j = 0; j < d->nbobjs; j++) {
			int v = (int)d->values[j * d->nbobjs + (unsigned)to];

			if (d->objs[j] == local[l] && (best < 0 || v < best))
				best = v;
		}
	return best;
}

static int check_orphans_by_matrix(const char *path, const struct cpool_topology *t,
				   const char *what)
{
	struct hwloc_distances_s *d = NULL;
	unsigned nr = 1, npu;
	hwloc_topology_t topo;
	int checked = 0, bad = 0, nn;

	if (hwloc_topology_init(&topo) || hwloc_topology_set_xml(topo, path) ||
	    hwloc_topology_load(topo))
		bail_out("%s: hwloc cannot load %s", what, path);
	if (hwloc_distances_get_by_type(topo, HWLOC_OBJ_NUMANODE, &nr, &d,
					HWLOC_DISTANCES_KIND_MEANS_LATENCY, 0) ||
	    nr == 0)
		bail_out("%s: no NUMA latency matrix", what);
	nn = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);
	npu = (unsigned)hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
	for (unsigned i = 0; i < npu; i++) {
		hwloc_obj_t pu = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PU, i), local[64];
		int nl = 0, got, best = -1, n = cpool_topology_node_of_cpu(t, (int)pu->os_index);
		bool has_local = false;

		for (int k = 0; k < nn; k++) {
			hwloc_obj_t node =
				hwloc_get_obj_by_type(topo, HWLOC_OBJ_NUMANODE, (unsigned)k);

			has_local = has_local || (node->attr->numanode.local_memory &&
						  hwloc_bitmap_isset(node->cpuset, pu->os_index));
		}
		if (has_local)
			continue;
		checked++;
		for (hwloc_obj_t o = pu; o && !nl; o = o->parent)
			for (int k = 0; k < nn && nl < 64; k++) {
				hwloc_obj_t node = hwloc_get_obj_by_type(topo, HWLOC_OBJ_NUMANODE,
									 (unsigned)k);

				if (hwloc_bitmap_intersects(node->cpuset, o->cpuset))
					local[nl++] = node;
			}
		got = from_locality(d, local, nl, n < 0 ? -1 : t->nodes[n].os);
		for (int m = 0; m < t->nr_nodes; m++) {
			struct cpool_cpuset own;
			int dm;

			cpool_cpuset_andnot(&own, &t->nodes[m].cpus, &t->nodes[m].adopted_cpus);
			if (cpool_cpuset_empty(&own) || !t->nodes[m].memory)
				continue;
			dm = from_locality(d, local, nl, t->nodes[m].os);
			if (dm >= 0 && (best < 0 || dm < best))
				best = dm;
		}
		if (n < 0 || !t->nodes[n].memory || got < 0 || got != best) {
			if (bad++ < 5)
				diag("%s: CPU %u went to node %d at distance %d; the nearest memory "
				     "node is at %d",
				     what, pu->os_index, n < 0 ? -1 : t->nodes[n].os, got, best);
		}
	}
	ok(bad == 0,
	   "%s: each of its %d CPUs without local memory went to the nearest memory node by the matrix",
	   what, checked);
	hwloc_distances_release(topo, d);
	hwloc_topology_destroy(topo);
	return checked;
}

static int load_shared(struct cpool_topology *t, const char *dir, const char *file)
{
	struct cpool_error err;
	char path[8192];
	int r;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	r = cpool_topology_load(t, path, NULL, &err);
	if (!ok(r == 0, "%s loads", file))
		diag("%s", err.msg);
	return r;
}

static void shared_topologies(void)
{
	const char *no_data, *dir = shared_data_dir("topologies", &no_data);
	struct cpool_topology t;

	if (!dir) {
		skip(72, no_data);
		return;
	}

	if (!load_shared(&t, dir, "memorysidecaches.xml")) {
		int n0 = node_by_os(&t, 0);

		is_int(t.nr_nodes, 4, "memorysidecaches: 4 nodes");
		is_int(t.nr_pus, 80, "memorysidecaches: 80 PUs");
		is_int(t.nr_cores, 40, "memorysidecaches: 40 cores");
		is_int(t.smt, 2, "memorysidecaches: SMT 2");
		is_int(t.nr_packages, 2, "memorysidecaches: 2 packages");
		is_str(fmt(&t.nodes[n0].cpus),
		       "0,4,8,12,16,20,24,28,32,36,40,44,48,52,56,60,64,68,72,76",
		       "memorysidecaches: node 0 has every fourth PU");
		is_int(t.cores[cpool_topology_core_of_cpu(&t, 0)].nr_pus, 2,
		       "memorysidecaches: CPU 0 is in a 2-thread core");
		is_int(cpool_topology_core_of_cpu(&t, 0), cpool_topology_core_of_cpu(&t, 40),
		       "memorysidecaches: CPUs 0 and 40 are siblings");
		is_int(cpool_topology_distance(&t, n0, node_by_os(&t, 2)), 11,
		       "memorysidecaches: 11 to the other SNC node of the socket");
		is_int(cpool_topology_distance(&t, n0, node_by_os(&t, 1)), 21,
		       "memorysidecaches: 21 across sockets");
		is_int(t.nodes[n0].package, t.nodes[node_by_os(&t, 2)].package,
		       "memorysidecaches: nodes 0 and 2 share a package");
		ok(t.distance_measured, "memorysidecaches: the distance matrix is read");
		check_model(&t, "memorysidecaches");
		cpool_topology_free(&t);
	} else {
		skip(15, "did not load");
	}

	if (!load_shared(&t, dir, "28intel64-2p2g7c-CoDgroups.v1tov2.xml")) {
		is_int(t.nr_nodes, 4, "CoD: 4 nodes");
		is_int(t.nr_pus, 28, "CoD: 28 PUs");
		is_int(t.smt, 1, "CoD: no SMT");
		is_str(fmt(&t.nodes[node_by_os(&t, 3)].cpus), "21-27", "CoD: node 3 is 21-27");
		is_int(cpool_topology_distance(&t, 0, 3), 31, "CoD: 31 remote");
		check_model(&t, "CoD");
		cpool_topology_free(&t);
	} else {
		skip(9, "did not load");
	}

	if (!load_shared(&t, dir, "16amd64-4distances.xml")) {
		is_int(t.nr_nodes, 8, "4distances: 8 nodes");
		is_int(t.nr_packages, 8, "4distances: 8 packages");
		is_str(fmt(&t.nodes[node_by_os(&t, 1)].cpus), "0-1",
		       "4distances: node 1 holds PUs 0-1 (ids permuted)");
		is_str(fmt(&t.nodes[node_by_os(&t, 5)].cpus), "6-7",
		       "4distances: node 5 holds 6-7");
		is_int(cpool_topology_distance(&t, 0, 7), 20,
		       "4distances: the NUMA matrix, not the made-up package ones");
		check_model(&t, "4distances");
		cpool_topology_free(&t);
	} else {
		skip(9, "did not load");
	}

	if (!load_shared(&t, dir, "64intel64-fakeKNL-SNC4-hybrid.xml")) {
		int n4 = node_by_os(&t, 4);

		is_int(t.nr_nodes, 8, "KNL: 8 nodes");
		is_int(memory_only(&t), 4, "KNL: 4 of them memory-only");
		is_int(t.nodes[n4].nr_cpus, 0, "KNL: MCDRAM node 4 has no CPUs");
		is_str(t.nodes[n4].subtype, "MCDRAM", "KNL: node 4 is MCDRAM");
		is_int(t.nodes[n4].near, node_by_os(&t, 1), "KNL: MCDRAM node 4 sits with node 1");
		is_str(fmt(&t.nodes[node_by_os(&t, 1)].cpus), "4-7,20-23,36-39,52-55",
		       "KNL: node 1's CPUs");
		is_int(t.smt, 4, "KNL: SMT 4");
		is_int(t.nodes[0].nr_l3, 1, "KNL: memory-side caches are not L3 groups");
		ok(!t.distance_measured, "KNL: no matrix, the 10/20 fallback");
		is_int(cpool_topology_distance(&t, 0, 1), 20, "KNL: fallback remote is 20");
		check_model(&t, "KNL");
		cpool_topology_free(&t);
	} else {
		skip(14, "did not load");
	}

	if (!load_shared(&t, dir, "8ia64-2n2s2c+1n.v1tov2.xml")) {
		is_int(t.nr_nodes, 3, "ia64: 3 nodes");
		is_int(t.nodes[node_by_os(&t, 16)].nr_cpus, 0, "ia64: node 16 is memory-only");
		is_str(fmt(&t.cpus), "0-3,16-19", "ia64: sparse CPU numbers");
		is_str(fmt(&t.mems), "0,2,16", "ia64: sparse node numbers");
		check_model(&t, "ia64");
		cpool_topology_free(&t);
	} else {
		skip(8, "did not load");
	}

	if (!load_shared(&t, dir, "16amd64-8n2c-cpusets.xml")) {
		struct cpool_cpuset adopted;

		cpool_cpuset_zero(&adopted);
		for (int n = 0; n < t.nr_nodes; n++)
			cpool_cpuset_or(&adopted, &adopted, &t.nodes[n].adopted_cpus);
		is_int(t.nr_nodes, 5, "8n2c: 5 nodes");
		is_int(t.nr_pus, 10, "8n2c: 10 PUs");
		is_int(memory_only(&t), 2, "8n2c: nodes 4 and 5 are memory-only");
		is_str(fmt(&adopted), "0-1,12-15", "8n2c: CPUs without local memory are adopted");
		is_str(fmt(&t.nodes[node_by_os(&t, 1)].adopted_cpus), "",
		       "8n2c: node 1's own CPUs are local");
		is_int(t.nodes[node_by_os(&t, 2)].nr_l3, 4,
		       "8n2c: adopted CPUs of other packages form their own groups");
		{
			char xml[8192];

			snprintf(xml, sizeof(xml), "%s/16amd64-8n2c-cpusets.xml", dir);
			is_int(check_orphans_by_matrix(xml, &t, "8n2c"), 6,
			       "8n2c: CPUs 0-1 and 12-15 checked against the matrix");
		}
		check_model(&t, "8n2c");
		cpool_topology_free(&t);
	} else {
		skip(11, "did not load");
	}
}

/*
 * A tiny machine hwloc synthetic cannot describe: SMT siblings numbered
 * apart (0/2, 1/3), a package whose CPUs have no local memory, a CPU-less
 * CXL node, and a distance matrix.
 */
static const char tiny_xml[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<!DOCTYPE topology SYSTEM \"hwloc2.dtd\">\n"
	"<topology version=\"2.0\">\n"
	" <object type=\"Machine\" os_index=\"0\" cpuset=\"0x000000ff\" complete_cpuset=\"0x000000ff\""
	" allowed_cpuset=\"0x000000ff\" nodeset=\"0x0000000b\" complete_nodeset=\"0x0000000b\""
	" allowed_nodeset=\"0x0000000b\" gp_index=\"1\">\n"
	"  <object type=\"Package\" os_index=\"0\" cpuset=\"0x0000000f\" complete_cpuset=\"0x0000000f\""
	" nodeset=\"0x00000001\" complete_nodeset=\"0x00000001\" gp_index=\"2\">\n"
	"   <object type=\"NUMANode\" os_index=\"0\" cpuset=\"0x0000000f\" complete_cpuset=\"0x0000000f\""
	" nodeset=\"0x00000001\" complete_nodeset=\"0x00000001\" gp_index=\"3\" local_memory=\"2147483648\"/>\n"
	"   <object type=\"L3Cache\" cpuset=\"0x0000000f\" complete_cpuset=\"0x0000000f\" nodeset=\"0x00000001\""
	" complete_nodeset=\"0x00000001\" gp_index=\"4\" cache_size=\"8388608\" depth=\"3\" cache_linesize=\"64\""
	" cache_associativity=\"0\" cache_type=\"0\">\n"
	"    <object type=\"Core\" os_index=\"0\" cpuset=\"0x00000005\" complete_cpuset=\"0x00000005\""
	" nodeset=\"0x00000001\" complete_nodeset=\"0x00000001\" gp_index=\"5\">\n"
	"     <object type=\"PU\" os_index=\"0\" cpuset=\"0x00000001\" complete_cpuset=\"0x00000001\""
	" nodeset=\"0x00000001\" complete_nodeset=\"0x00000001\" gp_index=\"6\"/>\n"
	"     <object type=\"PU\" os_index=\"2\" cpuset=\"0x00000004\" complete_cpuset=\"0x00000004\""
	" nodeset=\"0x00000001\" complete_nodeset=\"0x00000001\" gp_index=\"7\"/>\n"
	"    </object>\n"
	"    <object type=\"Core\" os_index=\"1\" cpuset=\"0x0000000a\" complete_cpuset=\"0x0000000a\""
	" nodeset=\"0x00000001\" complete_nodeset=\"0x00000001\" gp_index=\"8\">\n"
	"     <object type=\"PU\" os_index=\"1\" cpuset=\"0x00000002\" complete_cpuset=\"0x00000002\""
	" nodeset=\"0x00000001\" complete_nodeset=\"0x00000001\" gp_index=\"9\"/>\n"
	"     <object type=\"PU\" os_index=\"3\" cpuset=\"0x00000008\" complete_cpuset=\"0x00000008\""
	" nodeset=\"0x00000001\" complete_nodeset=\"0x00000001\" gp_index=\"10\"/>\n"
	"    </object>\n"
	"   </object>\n"
	"  </object>\n"
	"  <object type=\"Package\" os_index=\"1\" cpuset=\"0x00000030\" complete_cpuset=\"0x00000030\""
	" nodeset=\"0x00000002\" complete_nodeset=\"0x00000002\" gp_index=\"11\">\n"
	"   <object type=\"NUMANode\" os_index=\"1\" cpuset=\"0x00000030\" complete_cpuset=\"0x00000030\""
	" nodeset=\"0x00000002\" complete_nodeset=\"0x00000002\" gp_index=\"12\" local_memory=\"1073741824\"/>\n"
	"   <object type=\"Core\" os_index=\"2\" cpuset=\"0x00000010\" complete_cpuset=\"0x00000010\""
	" nodeset=\"0x00000002\" complete_nodeset=\"0x00000002\" gp_index=\"13\">\n"
	"    <object type=\"PU\" os_index=\"4\" cpuset=\"0x00000010\" complete_cpuset=\"0x00000010\""
	" nodeset=\"0x00000002\" complete_nodeset=\"0x00000002\" gp_index=\"14\"/>\n"
	"   </object>\n"
	"   <object type=\"Core\" os_index=\"3\" cpuset=\"0x00000020\" complete_cpuset=\"0x00000020\""
	" nodeset=\"0x00000002\" complete_nodeset=\"0x00000002\" gp_index=\"15\">\n"
	"    <object type=\"PU\" os_index=\"5\" cpuset=\"0x00000020\" complete_cpuset=\"0x00000020\""
	" nodeset=\"0x00000002\" complete_nodeset=\"0x00000002\" gp_index=\"16\"/>\n"
	"   </object>\n"
	"  </object>\n"
	"  <object type=\"Package\" os_index=\"2\" cpuset=\"0x000000c0\" complete_cpuset=\"0x000000c0\""
	" nodeset=\"0x0\" complete_nodeset=\"0x0\" gp_index=\"17\">\n"
	"   <object type=\"Core\" os_index=\"4\" cpuset=\"0x00000040\" complete_cpuset=\"0x00000040\""
	" nodeset=\"0x0\" complete_nodeset=\"0x0\" gp_index=\"18\">\n"
	"    <object type=\"PU\" os_index=\"6\" cpuset=\"0x00000040\" complete_cpuset=\"0x00000040\""
	" nodeset=\"0x0\" complete_nodeset=\"0x0\" gp_index=\"19\"/>\n"
	"   </object>\n"
	"   <object type=\"Core\" os_index=\"5\" cpuset=\"0x00000080\" complete_cpuset=\"0x00000080\""
	" nodeset=\"0x0\" complete_nodeset=\"0x0\" gp_index=\"20\">\n"
	"    <object type=\"PU\" os_index=\"7\" cpuset=\"0x00000080\" complete_cpuset=\"0x00000080\""
	" nodeset=\"0x0\" complete_nodeset=\"0x0\" gp_index=\"21\"/>\n"
	"   </object>\n"
	"  </object>\n"
	"  <object type=\"Group\" cpuset=\"0x0\" complete_cpuset=\"0x0\" nodeset=\"0x00000008\""
	" complete_nodeset=\"0x00000008\" gp_index=\"22\" kind=\"1001\" subkind=\"0\">\n"
	"   <object type=\"NUMANode\" os_index=\"3\" cpuset=\"0x0\" complete_cpuset=\"0x0\" nodeset=\"0x00000008\""
	" complete_nodeset=\"0x00000008\" gp_index=\"23\" local_memory=\"4294967296\" subtype=\"CXL\"/>\n"
	"  </object>\n"
	" </object>\n"
	" <distances2 type=\"NUMANode\" nbobjs=\"3\" kind=\"5\" indexing=\"os\">\n"
	"  <indexes length=\"6\">0 1 3 </indexes>\n"
	"  <u64values length=\"27\">10 20 30 20 10 25 30 25 10 </u64values>\n"
	" </distances2>\n"
	"</topology>\n";

static void tiny_machine(void)
{
	char path[] = "/tmp/cpool-topo-XXXXXX";
	struct cpool_error err;
	struct cpool_topology t;
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;

	if (!f)
		bail_out("cannot write a temporary XML");
	fputs(tiny_xml, f);
	fclose(f);
	if (!ok(cpool_topology_load(&t, path, NULL, &err) == 0, "tiny XML loads")) {
		diag("%s", err.msg);
		unlink(path);
		skip(11, "did not load");
		return;
	}
	unlink(path);
	is_int(t.nr_nodes, 3, "tiny: 3 nodes");
	is_int(t.nr_pus, 8, "tiny: 8 PUs");
	is_int(t.nodes[node_by_os(&t, 3)].nr_cpus, 0, "tiny: the CXL node has no CPUs");
	is_str(fmt(&t.nodes[node_by_os(&t, 1)].adopted_cpus), "6-7",
	       "tiny: CPUs without local memory go to a node with CPUs");
	is_str(fmt(&t.nodes[node_by_os(&t, 1)].cpus), "4-7", "tiny: node 1 gives out 4-7");
	is_int(cpool_topology_core_of_cpu(&t, 0), cpool_topology_core_of_cpu(&t, 2),
	       "tiny: CPUs 0 and 2 are SMT siblings");
	isnt_int(cpool_topology_core_of_cpu(&t, 0), cpool_topology_core_of_cpu(&t, 1),
		 "tiny: CPUs 0 and 1 are not");
	is_int(cpool_topology_distance(&t, 1, 2), 25, "tiny: distance node 1 to node 3");
	is_int(t.nodes[node_by_os(&t, 3)].near, node_by_os(&t, 1),
	       "tiny: the CXL node is nearest node 1 by distance");
	is_int(cpool_topology_core_of_cpu(&t, 9), -1, "tiny: no CPU 9");
	check_model(&t, "tiny");
	cpool_topology_free(&t);
}

/*
 * Where CPUs without local memory went, checked against the source's NUMA
 * latency matrix straight from hwloc, independently of the model's code:
 * such a CPU's locality is the nodes sharing CPUs with its smallest
 * ancestor that shares any (its own memoryless node, else its package's,
 * its group's, ...); it must go to a node with memory and CPUs of its own
 * whose distance from that locality is the smallest any such node has.
 * Returns how many such CPUs there were.
 */
/*
 * CPUs 4-5 sit on node 2, which has no memory; CPUs 6-7 on no node at all.
 * In the tree node 2 and its CPUs share a group with node 0, but the matrix
 * puts node 2 at 12 from node 1 and 30 from node 0.
 */
static const char memless_xml[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<!DOCTYPE topology SYSTEM \"hwloc2.dtd\">\n"
	"<topology version=\"2.0\">\n"
	" <object type=\"Machine\" os_index=\"0\" cpuset=\"0x000000ff\" complete_cpuset=\"0x000000ff\" allowed_cpuset=\"0x000000ff\" nodeset=\"0x00000007\" complete_nodeset=\"0x00000007\" allowed_nodeset=\"0x00000007\" gp_index=\"1\">\n"
	"  <object type=\"Group\" cpuset=\"0x000000f3\" complete_cpuset=\"0x000000f3\" nodeset=\"0x00000005\" complete_nodeset=\"0x00000005\" gp_index=\"19\" kind=\"1001\" subkind=\"0\">\n"
	"   <object type=\"Package\" os_index=\"0\" cpuset=\"0x00000003\" complete_cpuset=\"0x00000003\" nodeset=\"0x00000001\" complete_nodeset=\"0x00000001\" gp_index=\"7\">\n"
	"    <object type=\"NUMANode\" os_index=\"0\" cpuset=\"0x00000003\" complete_cpuset=\"0x00000003\" nodeset=\"0x00000001\" complete_nodeset=\"0x00000001\" gp_index=\"2\" local_memory=\"4294967296\"/>\n"
	"    <object type=\"Core\" os_index=\"0\" cpuset=\"0x00000001\" complete_cpuset=\"0x00000001\" nodeset=\"0x00000001\" complete_nodeset=\"0x00000001\" gp_index=\"4\">\n"
	"     <object type=\"PU\" os_index=\"0\" cpuset=\"0x00000001\" complete_cpuset=\"0x00000001\" nodeset=\"0x00000001\" complete_nodeset=\"0x00000001\" gp_index=\"3\"/>\n"
	"    </object>\n"
	"    <object type=\"Core\" os_index=\"1\" cpuset=\"0x00000002\" complete_cpuset=\"0x00000002\" nodeset=\"0x00000001\" complete_nodeset=\"0x00000001\" gp_index=\"6\">\n"
	"     <object type=\"PU\" os_index=\"1\" cpuset=\"0x00000002\" complete_cpuset=\"0x00000002\" nodeset=\"0x00000001\" complete_nodeset=\"0x00000001\" gp_index=\"5\"/>\n"
	"    </object>\n"
	"   </object>\n"
	"   <object type=\"Package\" os_index=\"2\" cpuset=\"0x00000030\" complete_cpuset=\"0x00000030\" nodeset=\"0x00000004\" complete_nodeset=\"0x00000004\" gp_index=\"13\">\n"
	"    <object type=\"NUMANode\" os_index=\"2\" cpuset=\"0x00000030\" complete_cpuset=\"0x00000030\" nodeset=\"0x00000004\" complete_nodeset=\"0x00000004\" gp_index=\"8\"/>\n"
	"    <object type=\"Core\" os_index=\"4\" cpuset=\"0x00000010\" complete_cpuset=\"0x00000010\" nodeset=\"0x00000004\" complete_nodeset=\"0x00000004\" gp_index=\"10\">\n"
	"     <object type=\"PU\" os_index=\"4\" cpuset=\"0x00000010\" complete_cpuset=\"0x00000010\" nodeset=\"0x00000004\" complete_nodeset=\"0x00000004\" gp_index=\"9\"/>\n"
	"    </object>\n"
	"    <object type=\"Core\" os_index=\"5\" cpuset=\"0x00000020\" complete_cpuset=\"0x00000020\" nodeset=\"0x00000004\" complete_nodeset=\"0x00000004\" gp_index=\"12\">\n"
	"     <object type=\"PU\" os_index=\"5\" cpuset=\"0x00000020\" complete_cpuset=\"0x00000020\" nodeset=\"0x00000004\" complete_nodeset=\"0x00000004\" gp_index=\"11\"/>\n"
	"    </object>\n"
	"   </object>\n"
	"   <object type=\"Package\" os_index=\"3\" cpuset=\"0x000000c0\" complete_cpuset=\"0x000000c0\" nodeset=\"0x00000000\" complete_nodeset=\"0x00000000\" gp_index=\"18\">\n"
	"    <object type=\"Core\" os_index=\"6\" cpuset=\"0x00000040\" complete_cpuset=\"0x00000040\" nodeset=\"0x00000000\" complete_nodeset=\"0x00000000\" gp_index=\"15\">\n"
	"     <object type=\"PU\" os_index=\"6\" cpuset=\"0x00000040\" complete_cpuset=\"0x00000040\" nodeset=\"0x00000000\" complete_nodeset=\"0x00000000\" gp_index=\"14\"/>\n"
	"    </object>\n"
	"    <object type=\"Core\" os_index=\"7\" cpuset=\"0x00000080\" complete_cpuset=\"0x00000080\" nodeset=\"0x00000000\" complete_nodeset=\"0x00000000\" gp_index=\"17\">\n"
	"     <object type=\"PU\" os_index=\"7\" cpuset=\"0x00000080\" complete_cpuset=\"0x00000080\" nodeset=\"0x00000000\" complete_nodeset=\"0x00000000\" gp_index=\"16\"/>\n"
	"    </object>\n"
	"   </object>\n"
	"  </object>\n"
	"  <object type=\"Package\" os_index=\"1\" cpuset=\"0x0000000c\" complete_cpuset=\"0x0000000c\" nodeset=\"0x00000002\" complete_nodeset=\"0x00000002\" gp_index=\"25\">\n"
	"   <object type=\"NUMANode\" os_index=\"1\" cpuset=\"0x0000000c\" complete_cpuset=\"0x0000000c\" nodeset=\"0x00000002\" complete_nodeset=\"0x00000002\" gp_index=\"20\" local_memory=\"4294967296\"/>\n"
	"   <object type=\"Core\" os_index=\"2\" cpuset=\"0x00000004\" complete_cpuset=\"0x00000004\" nodeset=\"0x00000002\" complete_nodeset=\"0x00000002\" gp_index=\"22\">\n"
	"    <object type=\"PU\" os_index=\"2\" cpuset=\"0x00000004\" complete_cpuset=\"0x00000004\" nodeset=\"0x00000002\" complete_nodeset=\"0x00000002\" gp_index=\"21\"/>\n"
	"   </object>\n"
	"   <object type=\"Core\" os_index=\"3\" cpuset=\"0x00000008\" complete_cpuset=\"0x00000008\" nodeset=\"0x00000002\" complete_nodeset=\"0x00000002\" gp_index=\"24\">\n"
	"    <object type=\"PU\" os_index=\"3\" cpuset=\"0x00000008\" complete_cpuset=\"0x00000008\" nodeset=\"0x00000002\" complete_nodeset=\"0x00000002\" gp_index=\"23\"/>\n"
	"   </object>\n"
	"  </object>\n"
	" </object>\n"
	" <distances2 type=\"NUMANode\" nbobjs=\"3\" kind=\"5\" indexing=\"os\">\n"
	"  <indexes length=\"6\">0 1 2 </indexes>\n"
	"  <u64values length=\"27\">10 30 30 30 10 12 30 12 10 </u64values>\n"
	" </distances2>\n"
	"</topology>\n";

static void memoryless_node(void)
{
	char path[] = "/tmp/cpool-topo-XXXXXX";
	struct cpool_error err;
	struct cpool_topology t;
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;

	if (!f)
		bail_out("cannot write a temporary XML");
	fputs(memless_xml, f);
	fclose(f);
	if (!ok(cpool_topology_load(&t, path, NULL, &err) == 0, "memless XML loads")) {
		diag("%s", err.msg);
		unlink(path);
		skip(7, "did not load");
		return;
	}
	is_str(fmt(&t.nodes[node_by_os(&t, 1)].adopted_cpus), "4-5",
	       "memless: a memoryless node's CPUs go to the memory node nearest it by distance");
	is_str(fmt(&t.nodes[node_by_os(&t, 0)].adopted_cpus), "6-7",
	       "memless: CPUs on no node go to the nearest memory node of their group");
	is_int(t.nodes[node_by_os(&t, 2)].nr_cpus, 0, "memless: node 2 gives out no CPUs");
	is_int(t.nodes[node_by_os(&t, 2)].near, node_by_os(&t, 1),
	       "memless: node 2 is near node 1");
	is_int(check_orphans_by_matrix(path, &t, "memless"), 4, "memless: 4 such CPUs");
	check_model(&t, "memless");
	unlink(path);
	cpool_topology_free(&t);
}

static void synthetic(void)
{
	struct cpool_topology t;
	struct cpool_error err;

	if (!ok(cpool_topology_load(&t, NULL, "pack:2 numa:2 l3:2 core:4 pu:2", &err) == 0,
		"synthetic 2-socket SMT loads")) {
		diag("%s", err.msg);
		skip(8, "did not load");
	} else {
		is_int(t.nr_nodes, 4, "synthetic: 4 nodes");
		is_int(t.nr_l3, 8, "synthetic: 8 L3 groups");
		is_int(t.nr_cores, 32, "synthetic: 32 cores");
		is_int(t.nodes[1].package, 0, "synthetic: node 1 in package 0");
		is_int(t.nodes[2].package, 1, "synthetic: node 2 in package 1");
		ok(!t.distance_measured && cpool_topology_distance(&t, 0, 0) == 10 &&
			   cpool_topology_distance(&t, 0, 3) == 20,
		   "synthetic: without a matrix, 10 local and 20 remote");
		check_model(&t, "synthetic");
		cpool_topology_free(&t);
	}
	if (!ok(cpool_topology_load(&t, NULL, "pack:2 core:4 pu:1", &err) == 0,
		"synthetic without NUMA level loads")) {
		diag("%s", err.msg);
	} else {
		is_int(t.nr_nodes, 1, "no NUMA level: one node holds every CPU");
		is_int(t.nodes[0].nr_cpus, 8, "no NUMA level: 8 CPUs in it");
		is_int(t.nodes[0].nr_l3, 2,
		       "no L3: a node's CPUs form one group per package (never across packages)");
		cpool_topology_free(&t);
	}
	is_int(cpool_topology_load(&t, NULL, "bogus:3", &err), -EINVAL,
	       "a bad synthetic description is refused");
	ok(strstr(err.msg, "bogus:3") != NULL, "and the error quotes it");
	ok(cpool_topology_load(&t, "/nonexistent/topo.xml", NULL, &err) < 0,
	   "a missing XML file is an error");
	ok(strstr(err.msg, "/nonexistent/topo.xml") != NULL, "naming the file");
}

static void handmade(void)
{
	const struct hm_node spec[] = {
		{ .cores = 4, .smt = 2, .l3 = 2, .package = 0 },
		{ .cores = 2, .smt = 2, .l3 = 1, .package = 0 },
		{ .cores = 0, .package = 1 },
		{ .cores = 6, .smt = 2, .l3 = 3, .package = 1 },
	};
	struct cpool_topology t;

	if (!ok(handmade_topology(&t, spec, 4, true) == 0, "handmade uneven model builds"))
		return;
	is_int(t.nr_pus, 24, "handmade: 24 PUs");
	is_int(t.nodes[2].nr_cpus, 0, "handmade: node 2 memory-only");
	is_int(t.nodes[2].near, 3, "handmade: node 2 nearest node 3 (same package)");
	is_int(cpool_topology_core_of_cpu(&t, 0), cpool_topology_core_of_cpu(&t, 12),
	       "handmade interleaved: CPUs 0 and 12 are siblings");
	check_model(&t, "handmade");
	cpool_topology_free(&t);
}

int main(void)
{
	shared_topologies();
	tiny_machine();
	memoryless_node();
	synthetic();
	handmade();
	done_testing();
	return exit_status();
}
