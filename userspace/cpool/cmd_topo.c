// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* cpool topo: the machine as the planner sees it. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_options.h"
#include "command.h"
#include "cpool/topology.h"
#include "cpool/units.h"

#define PROG "cpool topo"

static const struct cli_spec cmd_spec = {
	.prog = PROG,
	.usage = "usage: cpool topo [--topology FILE.xml | --synthetic DESC] [--json]",
	.about = "Print the machine: per NUMA node its CPUs (Linux numbers), memory, SMT and\n"
		 "L3 groups, then the node distance matrix.",
	.json_help = "one JSON object",
};

static char *cpulist(const struct cpool_cpuset *s)
{
	int len = cpool_cpuset_format(s, NULL, 0);
	char *buf = malloc((size_t)len + 1);

	if (buf)
		cpool_cpuset_format(s, buf, (size_t)len + 1);
	return buf;
}

static json_t *topo_json(const struct cpool_topology *t)
{
	json_t *root = json_object(), *nodes = json_array(), *dist = json_array();

	json_object_set_new(root, "source", json_string(t->source));
	json_object_set_new(root, "packages", json_integer(t->nr_packages));
	json_object_set_new(root, "nodes_count", json_integer(t->nr_nodes));
	json_object_set_new(root, "cores", json_integer(t->nr_cores));
	json_object_set_new(root, "pus", json_integer(t->nr_pus));
	json_object_set_new(root, "smt", json_integer(t->smt));
	for (int n = 0; n < t->nr_nodes; n++) {
		const struct cpool_topo_node *node = &t->nodes[n];
		json_t *o = json_object(), *groups = json_array(), *row = json_array();
		char *s;

		json_object_set_new(o, "node", json_integer(node->os));
		json_object_set_new(o, "package",
				    node->package >= 0 ? json_integer(node->package) : json_null());
		json_object_set_new(o, "memory", json_integer((json_int_t)node->memory));
		json_object_set_new(o, "subtype",
				    node->subtype ? json_string(node->subtype) : json_null());
		json_object_set_new(o, "memory_only", json_boolean(node->nr_cpus == 0));
		s = cpulist(&node->cpus);
		json_object_set_new(o, "cpus", json_string(s ? s : ""));
		free(s);
		s = cpulist(&node->adopted_cpus);
		json_object_set_new(o, "cpus_without_local_memory", json_string(s ? s : ""));
		free(s);
		json_object_set_new(o, "cores", json_integer(node->nr_cores));
		json_object_set_new(o, "smt", json_integer(node->smt));
		for (int g = node->first_l3; g < node->first_l3 + node->nr_l3; g++) {
			s = cpulist(&t->l3[g].cpus);
			json_array_append_new(groups, json_string(s ? s : ""));
			free(s);
		}
		json_object_set_new(o, "l3_groups", groups);
		json_array_append_new(nodes, o);
		for (int m = 0; m < t->nr_nodes; m++)
			json_array_append_new(row, json_integer(cpool_topology_distance(t, n, m)));
		json_array_append_new(dist, row);
	}
	json_object_set_new(root, "nodes", nodes);
	json_object_set_new(root, "distances", dist);
	json_object_set_new(root, "distances_measured", json_boolean(t->distance_measured));
	return root;
}

static void topo_print(const struct cpool_topology *t)
{
	printf("%s: %d packages, %d NUMA nodes, %d cores, %d PUs, SMT %d\n", t->source,
	       t->nr_packages, t->nr_nodes, t->nr_cores, t->nr_pus, t->smt);
	for (int n = 0; n < t->nr_nodes; n++) {
		const struct cpool_topo_node *node = &t->nodes[n];
		char mem[32], *s;

		cpool_format_size(node->memory, mem, sizeof(mem));
		printf("node %-3d", node->os);
		if (node->package >= 0)
			printf(" package %d", node->package);
		printf(" memory %s", mem);
		if (node->subtype)
			printf(" (%s)", node->subtype);
		if (node->nr_cpus == 0) {
			printf(" memory-only\n");
			continue;
		}
		s = cpulist(&node->cpus);
		printf(" cpus %s (%d cores, SMT %d)", s ? s : "?", node->nr_cores, node->smt);
		free(s);
		if (!cpool_cpuset_empty(&node->adopted_cpus)) {
			s = cpulist(&node->adopted_cpus);
			printf(" of which without local memory %s", s ? s : "?");
			free(s);
		}
		printf("\n  L3 groups:");
		for (int g = node->first_l3; g < node->first_l3 + node->nr_l3; g++) {
			s = cpulist(&t->l3[g].cpus);
			printf(" [%s]", s ? s : "?");
			free(s);
		}
		printf("\n");
	}
	printf("distances%s:\n     ",
	       t->distance_measured ? "" : " (none in the source: 10 local, 20 remote)");
	for (int m = 0; m < t->nr_nodes; m++)
		printf(" %4d", t->nodes[m].os);
	printf("\n");
	for (int n = 0; n < t->nr_nodes; n++) {
		printf(" %4d", t->nodes[n].os);
		for (int m = 0; m < t->nr_nodes; m++)
			printf(" %4d", cpool_topology_distance(t, n, m));
		printf("\n");
	}
}

static int cmd_topo(int argc, char **argv)
{
	const char *xml = NULL, *synthetic = NULL;
	const struct cli_option opts[] = {
		CLI_STRING('t', "topology", "FILE", &xml,
			   "an hwloc XML export (lstopo FILE.xml) instead of this machine"),
		CLI_STRING('s', "synthetic", "DESC", &synthetic,
			   "an hwloc synthetic machine, e.g. \"pack:2 numa:2 core:8 pu:2\""),
		CLI_END,
	};
	struct cpool_topology t;
	struct cli_args a;
	struct cpool_error err;
	int r;

	r = cli_parse(&cmd_spec, opts, argc, argv, &a);
	if (r != CLI_PARSED)
		return r;
	if (xml && synthetic)
		return cli_usage_error(PROG, "--topology and --synthetic exclude each other");
	if (cpool_topology_load(&t, xml, synthetic, &err))
		return cli_fail(PROG, "%s", err.msg);
	if (a.json) {
		json_t *root = topo_json(&t);

		json_dumpf(root, stdout, JSON_INDENT(2));
		printf("\n");
		json_decref(root);
	} else {
		topo_print(&t);
	}
	cpool_topology_free(&t);
	return 0;
}

CPOOL_COMMAND(topo, "topo", "show the machine's NUMA nodes, L3 groups, cores and distances",
	      cmd_topo);
