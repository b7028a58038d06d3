// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * smt=threads takes whole free cores before lone threads: a request spans
 * as few cores as it can, on no more nodes than it must, and takes threads
 * whose sibling is busy only for what whole cores leave over.  Half-busy
 * cores are made by adopting one thread of each.
 */
#include "handmade_topo.h"
#include "planner_util.h"

#define FF CPOOL_FIT_FIRST
#define BF CPOOL_FIT_BEST

/* Cores (of 2 threads, numbered 2c and 2c+1) that @list touches. */
static int cores_spanned(const char *list)
{
	struct cpool_cpuset s, cores;

	if (cpool_cpuset_parse(&s, list, NULL))
		return -1;
	cpool_cpuset_zero(&cores);
	for (int c = cpool_cpuset_first(&s); c >= 0; c = cpool_cpuset_next(&s, c))
		cpool_cpuset_set(&cores, c / 2);
	return cpool_cpuset_count(&cores);
}

/*
 * 3 nodes of 8 cores x 2 threads in one package, two L3 groups of 4 cores
 * per node: node k holds CPUs 16k..16k+15, L3 groups 16k..16k+7 and
 * 16k+8..16k+15.
 */
int main(void)
{
	const struct hm_node spec[] = { { 8, 2, 2, 0, 0 }, { 8, 2, 2, 0, 0 }, { 8, 2, 2, 0, 0 } };
	struct cpool_topology t;
	struct cpool_planner *p;
	const char *got;

	if (handmade_topology(&t, spec, 3, false))
		bail_out("handmade topology");

	/* One node: its first L3 group half busy, its second whole. */
	for (int fit = FF; fit <= BF; fit++) {
		p = planner_with(&t, "");
		adopt(p, "busy", "0,2,4,6");
		got = place_str(p, "a", "cpus=4;smt=threads;numa=local", (enum cpool_fit)fit);
		is_str(got, "8-11",
		       fit == FF ? "first-fit: 4 threads as 2 whole cores of the whole group, "
				   "not 4 lone threads" :
				   "best-fit: the same, though the half-busy group fits tighter");
		cpool_planner_free(p);
	}

	/* Whole cores for the bulk, a lone thread of the same group for the rest. */
	p = planner_with(&t, "");
	adopt(p, "busy", "0,2,4,6,8");
	got = place_str(p, "a", "cpus=5;smt=threads;numa=local", FF);
	is_str(got, "9-13", "5 threads: 2 whole cores and the lone thread beside them");
	is_int(cores_spanned(got), 3, "5 threads span 3 cores, the least possible");
	cpool_planner_free(p);

	/* Several nodes: node 0 all half busy, nodes 1 and 2 whole. */
	p = planner_with(&t, "");
	adopt(p, "busy", "0,2,4,6,8,10,12,14");
	got = place_str(p, "a", "cpus=6;smt=threads", FF);
	is_str(got, "16-21", "numa=any: the node with whole cores, not node 0's 8 lone threads");
	is_int(cores_spanned(got), 3, "6 threads span 3 cores");
	got = place_str(p, "b", "cpus=3;smt=threads", FF);
	is_str(got, "24-26", "3 threads: a whole core and a thread of one, in one L3 group");
	got = place_str(p, "c", "cpus=23;smt=threads", FF);
	is_str(got, "22-23,27-47",
	       "2 nodes: node 2 and the rest of node 1, whose whole "
	       "cores hold all but a thread, not node 0's lone threads");
	cpool_planner_free(p);

	/* Lone threads are still taken when nothing else is left. */
	p = planner_with(&t, "");
	adopt(p, "busy", "0,2,4,6,8,10,12,14,16-47");
	got = place_str(p, "a", "cpus=3;smt=threads", FF);
	is_str(got, "1,3,5", "only lone threads free: they are taken");
	cpool_planner_free(p);

	/* A request that needs 2 nodes spans no more, whole cores first. */
	p = planner_with(&t, "");
	adopt(p, "busy", "0,2,4,6,8,10,12,14");
	got = place_str(p, "a", "cpus=20;smt=threads", FF);
	is_str(got, "16-35",
	       "20 threads: node 1 and 2 whole cores of node 2, "
	       "not node 0's lone threads");
	cpool_planner_free(p);

	/* smt=full-cores is unchanged: whole cores only. */
	p = planner_with(&t, "");
	adopt(p, "busy", "0,2,4,6");
	got = place_str(p, "a", "cpus=4;numa=local", FF);
	is_str(got, "8-11", "full-cores: whole cores of the whole group");
	cpool_planner_free(p);

	cpool_topology_free(&t);
	done_testing();
	return exit_status();
}
