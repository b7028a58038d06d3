// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The live machine's model (hwloc, no --topology) agrees with what the
 * kernel says in /sys/devices/system/node, and the planner places on it.
 * Runs inside tools/lab, e.g.: tools/lab --numa 2,1 -- build/tests/lab/test_topology_live
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "cpool/planner.h"
#include "cpool/topology.h"

static int read_list(const char *path, struct cpool_cpuset *s)
{
	char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return cpool_cpuset_parse(s, buf, NULL);
}

int main(void)
{
	struct cpool_cpuset online, want;
	struct cpool_topology t;
	struct cpool_planner *p;
	struct cpool_error err;
	char path[256], a[256], b[256];

	if (!getenv("CPOOL_LAB") || strcmp(getenv("CPOOL_LAB"), "1") != 0)
		bail_out("not inside the lab (run through tools/lab)");
	if (read_list("/sys/devices/system/node/online", &online))
		bail_out("cannot read /sys/devices/system/node/online");
	if (cpool_topology_load(&t, NULL, NULL, &err))
		bail_out("cpool_topology_load: %s", err.msg);

	cpool_cpuset_format(&t.mems, a, sizeof(a));
	cpool_cpuset_format(&online, b, sizeof(b));
	is_str(a, b, "the model's nodes are the kernel's online nodes");
	for (int n = 0; n < t.nr_nodes; n++) {
		snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/cpulist",
			 t.nodes[n].os);
		if (read_list(path, &want))
			bail_out("cannot read %s", path);
		cpool_cpuset_format(&t.nodes[n].cpus, a, sizeof(a));
		cpool_cpuset_format(&want, b, sizeof(b));
		is_str(a, b, path);
		ok(t.nodes[n].memory > 0, "node %d has memory (%llu bytes)", t.nodes[n].os,
		   (unsigned long long)t.nodes[n].memory);
	}

	if (cpool_planner_new(&p, &t, NULL, &err))
		bail_out("cpool_planner_new: %s", err.msg);
	for (int n = 0; n < t.nr_nodes; n++) {
		struct cpool_vs_spec s;
		struct cpool_vserver out;
		char name[16];
		int free_here = t.nodes[n].nr_cpus - (n == 0 ? t.nodes[0].smt : 0);

		if (free_here <= 0)
			continue;
		snprintf(name, sizeof(name), "n%d", n);
		cpool_vs_spec_init(&s, name);
		s.cpus = free_here;
		s.numa = CPOOL_NUMA_LOCAL;
		s.smt = CPOOL_SMT_THREADS;
		is_int(cpool_planner_place(p, &s, CPOOL_FIT_FIRST, &out, &err), 0,
		       "a local VS fills what is free of a node");
		ok(cpool_cpuset_subset(&out.cpus, &t.nodes[n].cpus), "on one node (%d)",
		   t.nodes[n].os);
	}
	cpool_planner_free(p);
	cpool_topology_free(&t);
	done_testing();
	return exit_status();
}
