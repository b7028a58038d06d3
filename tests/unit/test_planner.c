// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* Hand-checked plans: each expected CPU list was worked out on paper. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "../tap.h"
#include "shared_data.h"
#include "cpool/planner.h"
#include "handmade_topo.h"
#include "planner_util.h"

#define FF CPOOL_FIT_FIRST

/*
 * 2 packages x 2 nodes x 8 cores x 2 threads, contiguous numbering: node k
 * holds CPUs 16k..16k+15, core c holds 2c and 2c+1, L3 groups of 4 cores
 * (0-7, 8-15, ...).
 */
static void two_socket_smt(void)
{
	const struct hm_node spec[] = {
		{ 8, 2, 2, 0, 0 }, { 8, 2, 2, 0, 0 }, { 8, 2, 2, 1, 0 }, { 8, 2, 2, 1, 0 }
	};
	struct cpool_topology t;
	struct cpool_planner *p;
	struct cpool_cpuset r;
	char buf[64];

	if (handmade_topology(&t, spec, 4, false))
		bail_out("handmade topology");

	cpool_planner_default_reserved(&t, &r);
	cpool_cpuset_format(&r, buf, sizeof(buf));
	is_str(buf, "0-1", "default reserved: the first core of node 0");
	p = planner_with(&t, NULL);
	is_str(place_str(p, "a", "cpus=2", FF), "2-3", "reserved CPUs are skipped");
	cpool_planner_free(p);

	p = planner_with(&t, "");
	is_str(place_str(p, "a", "cpus=16", FF), "0-15", "16 CPUs: one whole node");
	is_str(planner_util_mems, "0-3", "numa=any: every node with CPUs for memory");
	cpool_planner_free(p);

	p = planner_with(&t, "");
	is_str(place_str(p, "a", "cpus=32", FF), "0-31", "32 CPUs: both nodes of package 0");
	cpool_planner_free(p);

	p = planner_with(&t, "");
	is_str(place_str(p, "a", "cpus=24", FF), "0-23",
	       "24 CPUs: a whole node and a whole L3 group of its neighbour");
	cpool_planner_free(p);

	p = planner_with(&t, "");
	is_str(place_str(p, "a", "cpus=16;numa=local", FF), "0-15", "local node 0");
	is_str(planner_util_mems, "0", "numa=local: mems is its node");
	is_str(place_str(p, "b", "cpus=20", FF), "32-51",
	       "20 CPUs go to package 1 (2 nodes, 1 package) not across packages");
	cpool_planner_free(p);

	p = planner_with(&t, "");
	is_str(place_str(p, "a", "cpus=4;numa=local", FF), "0-3", "4 CPUs in L3 group 0");
	is_str(place_str(p, "b", "cpus=8;numa=local", FF), "8-15",
	       "8 CPUs: the whole free L3 group, not 4+4 across groups");
	is_str(place_str(p, "c", "cpus=4;numa=local", FF), "4-7", "4 more fill group 0");
	cpool_planner_free(p);

	p = planner_with(&t, "");
	is_str(place_str(p, "a", "cpus=3", FF),
	       "ERR: vserver a: cpus=3 is not a whole number of cores (2 threads each); ask for a "
	       "multiple of 2 or set smt=threads",
	       "full-cores refuses an odd count");
	is_str(place_str(p, "a", "cpus=3;smt=threads", FF), "0-2", "smt=threads: 3 threads");
	is_str(place_str(p, "b", "cpus=1;smt=threads", FF), "3",
	       "a single thread fills the half-used core");
	is_str(place_str(p, "c", "cpus=2;smt=threads", FF), "4-5",
	       "two threads: SMT siblings of one core");
	is_str(place_str(p, "d", "cpus=1;exclusive=no", FF), "6",
	       "exclusive=no may take a single thread");
	is_str(place_str(p, "e", "cpus=2", FF), "8-9", "full-cores skips the half-used core 6-7");
	cpool_planner_free(p);

	p = planner_with(&t, "");
	is_str(place_str(p, "a", "cpus=8;numa=spread", FF), "0-1,16-17,32-33,48-49",
	       "spread 8: one core on each of 4 nodes");
	is_str(planner_util_mems, "0-3", "spread: mems are its nodes");
	is_str(place_str(p, "b", "cpus=12;numa=spread", FF), "2-5,18-21,34-35,50-51",
	       "spread 12 = 6 cores: 2,2,1,1");
	is_str(place_str(p, "c", "cpus=4;numa=spread", FF), "6-7,22-23",
	       "spread 4 = 2 cores on 2 nodes");
	cpool_planner_free(p);

	/* Incremental operations. */
	p = planner_with(&t, "");
	{
		struct cpool_vserver out;
		struct cpool_error why;

		is_str(place_str(p, "a", "cpus=4;numa=local", FF), "0-3", "grow: start with 4");
		is_int(cpool_planner_resize(p, "a", 8, &out, &why), 0, "grow to 8");
		cpool_cpuset_format(&out.cpus, buf, sizeof(buf));
		is_str(buf, "0-7", "growth stays in the same L3 group");
		is_int(cpool_planner_resize(p, "a", 16, &out, &why), 0, "grow to 16");
		cpool_cpuset_format(&out.cpus, buf, sizeof(buf));
		is_str(buf, "0-15", "then the same node");
		is_int(cpool_planner_resize(p, "a", 18, &out, &why), -ENOSPC,
		       "numa=local cannot grow past its node");
		is_str(why.msg,
		       "vserver a: 2 more CPUs in whole cores are not free on its node (numa=local)",
		       "and says why");
		cpool_cpuset_format(&cpool_planner_find(p, "a")->cpus, buf, sizeof(buf));
		is_str(buf, "0-15", "a failed growth changes nothing");
		is_int(cpool_planner_resize(p, "a", 3, &out, &why), -EINVAL,
		       "full-cores cannot shrink to an odd count");

		is_str(place_str(p, "t", "cpus=1;smt=threads", FF), "16", "one thread on node 1");
		is_int(cpool_planner_resize(p, "t", 2, &out, &why), 0, "grow the thread");
		cpool_cpuset_format(&out.cpus, buf, sizeof(buf));
		is_str(buf, "16-17", "growth takes the sibling first");

		is_str(place_str(p, "w", "cpus=24", FF), "32-55", "w: 24 CPUs over nodes 2 and 3");
		is_int(cpool_planner_resize(p, "w", 16, &out, &why), 0, "shrink w to 16");
		cpool_cpuset_format(&out.cpus, buf, sizeof(buf));
		is_str(buf, "32-47", "shrinking gives back the CPUs away from its main node");
		is_str(planner_util_mems, "0-3", "(mems of numa=any unchanged)");
		is_int(cpool_planner_resize(p, "w", 26, &out, &why), 0, "grow w to 26");
		cpool_cpuset_format(&out.cpus, buf, sizeof(buf));
		is_str(buf, "32-57",
		       "growth past the node takes the nearest node: node 3, same package");

		is_int(cpool_planner_release(p, "a"), 0, "release a");
		is_int(cpool_planner_release(p, "a"), -ENOENT, "release twice: -ENOENT");
		ok(cpool_planner_find(p, "a") == NULL, "a is gone");
		is_str(place_str(p, "a2", "cpus=16;numa=local", FF), "0-15",
		       "its node is whole again");
		is_str(place_str(p, "a2", "cpus=2", FF), "ERR: vserver a2: already placed",
		       "duplicate name refused");
		is_int(cpool_planner_resize(p, "zz", 2, &out, &why), -ENOENT,
		       "resize unknown: -ENOENT");
	}
	cpool_planner_free(p);
	cpool_topology_free(&t);
}

/*
 * SMT-less nodes of 16, 8, 16 and 32 CPUs (packages 0,0,1,1), contiguous:
 * node 0 0-15, node 1 16-23, node 2 24-39, node 3 40-71.  Occupants leave
 * 8, 6, 10 and 12 free.
 */
static struct cpool_planner *uneven(const struct cpool_topology *t)
{
	struct cpool_planner *p = planner_with(t, "");

	adopt(p, "o0", "0-7");
	adopt(p, "o1", "16-17");
	adopt(p, "o2", "24-29");
	adopt(p, "o3", "40-59");
	return p;
}

static void fits(void)
{
	const struct hm_node spec[] = {
		{ 16, 1, 1, 0, 0 }, { 8, 1, 1, 0, 0 }, { 16, 1, 1, 1, 0 }, { 32, 1, 1, 1, 0 }
	};
	static const struct {
		enum cpool_fit fit;
		const char *kv, *want, *what;
	} cases[] = {
		{ CPOOL_FIT_FIRST, "cpus=4;numa=local", "8-11",
		  "first-fit: the first node that fits" },
		{ CPOOL_FIT_BEST, "cpus=4;numa=local", "18-21", "best-fit: the fullest (6 free)" },
		{ CPOOL_FIT_WORST, "cpus=4;numa=local", "60-63",
		  "worst-fit: the emptiest (12 free)" },
		{ CPOOL_FIT_BALANCED, "cpus=4;numa=local", "18-21",
		  "balanced: the largest free fraction (6/8)" },
		{ CPOOL_FIT_FIRST, "cpus=7;numa=local", "8-14", "first-fit, 7: node 0" },
		{ CPOOL_FIT_BEST, "cpus=7;numa=local", "8-14", "best-fit, 7: node 0 (8 free)" },
		{ CPOOL_FIT_WORST, "cpus=7;numa=local", "60-66", "worst-fit, 7: node 3" },
		{ CPOOL_FIT_BALANCED, "cpus=7;numa=local", "30-36",
		  "balanced, 7: node 2 (10/16 beats 8/16 and 12/32)" },
		{ CPOOL_FIT_FIRST, "cpus=13;numa=local",
		  "ERR: vserver db: numa=local needs 13 CPUs on one node; the largest free is 12 "
		  "(node 3)",
		  "impossible local: the reason names the largest free node" },
		{ CPOOL_FIT_FIRST, "cpus=40",
		  "ERR: vserver db: needs 40 CPUs; only 36 of the 72 CPUs are free",
		  "overcommit: the reason gives what is free" },
		{ CPOOL_FIT_FIRST, "cpus=2;mems=9",
		  "ERR: vserver db: mems names unknown node 9; the nodes are 0-3", "unknown node" },
		{ CPOOL_FIT_FIRST, "cpus=100-101",
		  "ERR: vserver db: CPU 100 does not exist; the machine has CPUs 0-71",
		  "explicit CPU the machine lacks" },
		{ CPOOL_FIT_FIRST, "cpus=7-9",
		  "ERR: vserver db: CPU 7 already belongs to vserver o0", "explicit CPU taken" },
		{ CPOOL_FIT_FIRST, "cpus=14-17;numa=local",
		  "ERR: vserver db: CPU 16 already belongs to vserver o1", "explicit, taken" },
		{ CPOOL_FIT_FIRST, "cpus=14-15,18;numa=local",
		  "ERR: vserver db: numa=local but cpus spans nodes 0 and 1",
		  "explicit list off one node with numa=local" },
		{ CPOOL_FIT_FIRST, "cpus=14-15,18", "14-15,18", "explicit list placed as given" },
		{ CPOOL_FIT_FIRST, "cpus=18;numa=any", "30-35,60-71",
		  "18: two nodes of package 1 (12+6), not three nodes over two packages" },
		{ CPOOL_FIT_FIRST, "cpus=20", "30-37,60-71",
		  "20: the roomier node whole (12), the rest (8) from its package neighbour" },
		{ CPOOL_FIT_FIRST, "cpus=4;mems=2", "30-33", "mems names a node: CPUs from it" },
	};
	struct cpool_topology t;

	if (handmade_topology(&t, spec, 4, false))
		bail_out("handmade topology");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cpool_planner *p = uneven(&t);

		is_str(place_str(p, "db", cases[i].kv, cases[i].fit), cases[i].want, cases[i].what);
		cpool_planner_free(p);
	}
	{
		struct cpool_planner *p = planner_with(&t, "");

		adopt(p, "x", "0");
		is_str(place_str(p, "full", "cpus=16", FF), "24-39",
		       "a full-node request gets a whole free node");
		is_str(place_str(p, "full2", "cpus=16", CPOOL_FIT_BEST), "40-55",
		       "best-fit: the smallest that fits, node 3 (32 free) over node 0 (15)");
		cpool_planner_free(p);
	}
	cpool_topology_free(&t);
}

static void memory_only_nodes(void)
{
	const struct hm_node spec[] = {
		{ 4, 2, 1, 0, (uint64_t)16 << 30 },
		{ 0, 0, 0, 0, (uint64_t)8 << 30 },
		{ 4, 2, 1, 1, (uint64_t)16 << 30 },
	};
	struct cpool_topology t;
	struct cpool_planner *p;

	if (handmade_topology(&t, spec, 3, false))
		bail_out("handmade topology");
	p = planner_with(&t, "");
	is_str(place_str(p, "a", "cpus=12", FF), "0-11", "12 CPUs over the two CPU nodes");
	is_str(planner_util_mems, "0,2", "numa=any never takes the memory-only node by default");
	is_str(place_str(p, "b", "cpus=2;numa=local;mems=1", FF),
	       "ERR: vserver b: needs 2 CPUs in whole cores; only 0 of the 8 CPUs of its nodes are "
	       "free",
	       "mems naming only a memory-only node: CPUs come from the node nearest it (full)");
	cpool_planner_release(p, "a");
	is_str(place_str(p, "b", "cpus=2;numa=local;mems=1", FF), "0-1",
	       "with node 0 free again, b gets its CPUs there");
	is_str(planner_util_mems, "1", "and mems is as asked");
	is_str(place_str(p, "c", "cpus=2;numa=local;memory=20G", FF),
	       "ERR: vserver c: memory=20G needs 20G on node 0; 16G is free there",
	       "memory beyond its node's is refused");
	is_str(place_str(p, "c", "cpus=2;mems=0;memory=20G", FF),
	       "ERR: vserver c: memory=20G exceeds the 16G of its nodes 0",
	       "memory beyond all of its explicit nodes is refused as such");
	is_str(place_str(p, "d", "cpus=2;numa=local;memory=8G", FF), "2-3",
	       "memory within its node's is fine");
	cpool_planner_free(p);
	cpool_topology_free(&t);
}

static void whole_plan(void)
{
	const struct hm_node spec[] = { { 8, 1, 1, 0, 0 }, { 8, 1, 1, 1, 0 } };
	struct cpool_vs_spec specs[4];
	struct cpool_vserver out[4];
	char errs[4][256], buf[64];
	struct cpool_topology t;
	struct cpool_planner *p;

	if (handmade_topology(&t, spec, 2, false))
		bail_out("handmade topology");
	spec_from(&specs[0], "small", "cpus=2");
	spec_from(&specs[1], "big", "cpus=8;numa=local");
	spec_from(&specs[2], "pinned", "cpus=1-2");
	spec_from(&specs[3], "huge", "cpus=9;numa=local");
	p = planner_with(&t, "0");
	is_int(cpool_planner_place_all(p, specs, 4, FF, out, errs), 1, "one of four fails");
	cpool_cpuset_format(&out[2].cpus, buf, sizeof(buf));
	is_str(buf, "1-2", "explicit lists are placed first");
	cpool_cpuset_format(&out[1].cpus, buf, sizeof(buf));
	is_str(buf, "8-15", "then the largest: big takes the whole free node 1");
	cpool_cpuset_format(&out[0].cpus, buf, sizeof(buf));
	is_str(buf, "3-4", "small last, beside the pinned one");
	is_str(errs[3],
	       "vserver huge: numa=local needs 9 CPUs on one node; the largest free is 8 (node 1)",
	       "huge fails with its reason");
	is_str(errs[0], "", "no error for small");
	cpool_planner_free(p);

	{
		struct cpool_planner *p1 = planner_with(&t, "0"), *p2 = planner_with(&t, "0");
		struct cpool_vserver o1[4], o2[4];
		bool same = true;

		cpool_planner_place_all(p1, specs, 4, CPOOL_FIT_BALANCED, o1, NULL);
		cpool_planner_place_all(p2, specs, 4, CPOOL_FIT_BALANCED, o2, NULL);
		for (int i = 0; i < 4; i++)
			same = same && cpool_cpuset_equal(&o1[i].cpus, &o2[i].cpus) &&
			       cpool_cpuset_equal(&o1[i].mems, &o2[i].mems);
		ok(same, "deterministic: the same input gives the same plan");
		cpool_planner_free(p1);
		cpool_planner_free(p2);
	}
	{
		struct cpool_cpuset bad;
		struct cpool_error why;

		cpool_cpuset_parse(&bad, "0,99", NULL);
		is_int(cpool_planner_new(&p, &t, &bad, &why), -EINVAL,
		       "reserved CPUs the machine lacks are refused");
		is_str(why.msg, "reserved_cpus: CPUs 99 do not exist; the machine has 0-15",
		       "saying which");
	}
	cpool_topology_free(&t);
}

static void shared_machines(void)
{
	const char *no_data, *dir = shared_data_dir("topologies", &no_data);
	struct cpool_topology t;
	struct cpool_planner *p;
	struct cpool_error err;
	char path[8192];

	if (!dir) {
		skip(8, no_data);
		return;
	}
	snprintf(path, sizeof(path), "%s/memorysidecaches.xml", dir);
	if (cpool_topology_load(&t, path, NULL, &err))
		bail_out("%s", err.msg);
	p = planner_with(&t, NULL);
	is_str(place_str(p, "a", "cpus=20;numa=local", FF),
	       "1,5,9,13,17,21,25,29,33,37,41,45,49,53,57,61,65,69,73,77",
	       "memorysidecaches: 20 local go to node 1, node 0 lost a core to the reserve");
	is_str(planner_util_mems, "1", "memorysidecaches: mems 1");
	is_str(place_str(p, "b", "cpus=4;numa=local", FF), "4,8,44,48",
	       "memorysidecaches: siblings i and i+40 together");
	{
		struct cpool_vs_spec sp;
		struct cpool_vserver out;
		struct cpool_cpuset nodes;
		struct cpool_error why;
		char buf[64];

		spec_from(&sp, "c", "cpus=24");
		is_int(cpool_planner_place(p, &sp, FF, &out, &why), 0,
		       "memorysidecaches: 24 more CPUs fit");
		cpool_cpuset_zero(&nodes);
		for (int c = cpool_cpuset_first(&out.cpus); c >= 0;
		     c = cpool_cpuset_next(&out.cpus, c))
			cpool_cpuset_set(&nodes, t.nodes[cpool_topology_node_of_cpu(&t, c)].os);
		cpool_cpuset_format(&nodes, buf, sizeof(buf));
		is_str(buf, "0,2",
		       "memorysidecaches: on nodes 0 and 2, one socket (its ids are not consecutive)");
	}
	cpool_planner_free(p);
	cpool_topology_free(&t);

	snprintf(path, sizeof(path), "%s/64intel64-fakeKNL-SNC4-hybrid.xml", dir);
	if (cpool_topology_load(&t, path, NULL, &err))
		bail_out("%s", err.msg);
	p = planner_with(&t, NULL);
	is_str(place_str(p, "a", "cpus=4;numa=local", FF), "1,17,33,49",
	       "KNL: one 4-thread core beside the reserved core 0");
	is_str(planner_util_mems, "0", "KNL: its DRAM node");
	is_str(place_str(p, "b", "cpus=8;numa=local;mems=4", FF), "4-5,20-21,36-37,52-53",
	       "KNL: mems=4 (MCDRAM) puts the CPUs in node 1's cluster");
	is_str(place_str(p, "c", "cpus=16;numa=any", FF), "8-11,24-27,40-43,56-59",
	       "KNL: a whole cluster for 16");
	cpool_planner_free(p);
	cpool_topology_free(&t);
}

#define GIB ((uint64_t)1 << 30)

static uint64_t charged(const struct cpool_planner *p, const char *name, int node)
{
	return cpool_planner_memory_charged(p, name, node) / GIB;
}

/*
 * Memory is one budget per node shared by all VSs: two nodes of 4 cores
 * (CPUs 0-3, 4-7) and 32G each.
 */
static void memory_ledger(void)
{
	const struct hm_node spec[] = { { 4, 1, 1, 0, 32 * GIB }, { 4, 1, 1, 1, 32 * GIB } };
	struct cpool_topology t;
	struct cpool_planner *p;
	struct cpool_vserver out, vs;
	struct cpool_error why;

	if (handmade_topology(&t, spec, 2, false))
		bail_out("handmade topology");
	p = planner_with(&t, "");
	is_str(place_str(p, "a", "cpus=2;numa=local;memory=24G", FF), "0-1",
	       "a: first fit, node 0");
	is_int((int)(cpool_planner_memory_free(p, 0) / GIB), 8, "node 0 has 8G left");
	is_str(place_str(p, "b", "cpus=2;numa=local;memory=16G", FF), "4-5",
	       "b: node 0 has the CPUs but not the memory, so node 1");
	is_str(planner_util_mems, "1", "b: mems follow");
	is_str(place_str(p, "c", "cpus=1;numa=local;memory=20G", FF),
	       "ERR: vserver c: memory=20G needs 20G on node 1; 16G is free there",
	       "c: no node has 20G free; the reason names the roomiest");
	is_str(place_str(p, "c", "cpus=2;numa=any;memory=28G", FF),
	       "ERR: vserver c: memory=28G needs 28G on node 0; 8G is free there",
	       "c (any): no split of 28G fits; first fit names node 0");
	is_str(place_str(p, "c", "cpus=2;numa=spread;memory=28G", FF),
	       "ERR: vserver c: memory=28G needs 14G on node 0; 8G is free there",
	       "c (spread): split by CPU share, node 0 would be overcommitted");
	is_str(place_str(p, "c", "cpus=1;numa=any;memory=8G", FF), "2",
	       "c: 8G still fits node 0 exactly");
	is_int((int)charged(p, "c", 0), 8, "c: all of it on the node of its CPU");
	is_int((int)charged(p, "c", 1), 0, "c: none on the other node, though mems has both");
	is_int((int)cpool_planner_memory_free(p, 0), 0, "node 0 is full");
	cpool_planner_release(p, "a");
	is_int((int)(cpool_planner_memory_free(p, 0) / GIB), 24, "release gives a's 24G back");
	is_int(cpool_planner_release(p, "c"), 0, "release c");
	is_int(cpool_planner_release(p, "b"), 0, "release b");
	is_int((int)(cpool_planner_memory_free(p, 1) / GIB), 32, "node 1 is whole again");

	/* Shrinking moves memory with the CPUs: refused when the node is full. */
	is_str(place_str(p, "x", "cpus=4;numa=spread;memory=32G", FF), "0-1,4-5", "x: spread 2+2");
	is_int((int)charged(p, "x", 0), 16, "x: half its memory on node 0");
	is_int((int)charged(p, "x", 1), 16, "x: half on node 1");
	is_str(place_str(p, "y", "cpus=1;numa=local;memory=16G", FF), "2", "y: node 0's last 16G");
	is_int(cpool_planner_resize(p, "x", 2, &out, &why), -ENOSPC,
	       "x cannot shrink onto node 0 alone");
	is_str(why.msg, "vserver x: memory=32G needs 32G on node 0; 16G is free there",
	       "and says why");
	cpool_cpuset_format(&cpool_planner_find(p, "x")->cpus, why.msg, sizeof(why.msg));
	is_str(why.msg, "0-1,4-5", "x keeps its CPUs");
	is_int((int)(cpool_planner_memory_free(p, 0) / GIB), 0, "node 0's ledger is unchanged");
	is_int((int)(cpool_planner_memory_free(p, 1) / GIB), 16, "node 1's too");
	is_int(cpool_planner_resize(p, "x", 6, &out, &why), 0, "x grows to 6");
	is_int((int)charged(p, "x", 0) + (int)charged(p, "x", 1), 32,
	       "x: its charges still add up to 32G");
	ok(cpool_planner_memory_free(p, 0) + cpool_planner_memory_free(p, 1) == 16 * GIB,
	   "the ledger still holds 32G + 16G of 64G");

	/* A live VS that does not fit the ledger is refused. */
	memset(&vs, 0, sizeof(vs));
	snprintf(vs.name, sizeof(vs.name), "live");
	cpool_cpuset_parse(&vs.cpus, "7", NULL);
	cpool_cpuset_parse(&vs.mems, "1", NULL);
	vs.limits.memory_max = 40 * GIB;
	is_int(cpool_planner_adopt(p, &vs, CPOOL_SMT_THREADS, &why), -ENOSPC,
	       "adopting 40G onto a 32G node fails");
	ok(cpool_planner_find(p, "live") == NULL, "and leaves nothing behind");
	vs.limits.memory_max = 2 * GIB;
	is_int(cpool_planner_adopt(p, &vs, CPOOL_SMT_THREADS, &why), 0, "adopting 2G fits");
	is_int((int)charged(p, "live", 1), 2, "and is charged");
	cpool_planner_release(p, "x");
	snprintf(vs.name, sizeof(vs.name), "nomems");
	cpool_cpuset_parse(&vs.cpus, "0", NULL);
	cpool_cpuset_zero(&vs.mems);
	is_int(cpool_planner_adopt(p, &vs, CPOOL_SMT_THREADS, &why), 0,
	       "adopting a VS with empty mems");
	is_int((int)charged(p, "nomems", 0), 2, "is charged where its CPU is, as mems inherit all");
	cpool_planner_free(p);
	cpool_topology_free(&t);
}

int main(void)
{
	two_socket_smt();
	fits();
	memory_only_nodes();
	memory_ledger();
	whole_plan();
	shared_machines();
	done_testing();
	return exit_status();
}
