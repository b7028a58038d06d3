// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* cpool plan: what the planner would give each virtual server; touches nothing. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_options.h"
#include "command.h"
#include "cpool/config.h"
#include "cpool/planner.h"
#include "cpool/topology.h"
#include "cpool/units.h"

#define PROG "cpool plan"

static const struct cli_spec cmd_spec = {
	.prog = PROG,
	.usage =
		"usage: cpool plan --config POOL.ini [--topology FILE.xml | --synthetic DESC]\n"
		"                  [--free CPULIST] [--fit NAME] [--json]\n"
		"       cpool plan [--topology FILE.xml | --synthetic DESC] [--free CPULIST]\n"
		"                  --vs 'cpus=N,numa=any,exclusive=yes[,smt=threads]' [--fit NAME] "
		"[--json]",
	.about = "Print which CPUs and memory nodes each virtual server would get, without\n"
		 "touching the kernel.  With --vs, answer for one VS (keys as in [vserver] of\n"
		 "docs/config.md, comma-separated); there nothing is reserved, and only the\n"
		 "CPUs of --free are available.",
	.json_help = "JSON; with --vs {\"cpus\": LIST, \"mems\": LIST} or {\"error\": ...}",
};

static void list(const struct cpool_cpuset *s, char *buf, size_t len)
{
	cpool_cpuset_format(s, buf, len);
}

/* "64G", or "-" when not set. */
static void size_text(uint64_t bytes, char *buf, size_t len)
{
	if (bytes)
		cpool_format_size(bytes, buf, len);
	else
		snprintf(buf, len, "-");
}

/* Per node: its memory, what the plan charges there and what is left. */
static json_t *nodes_json(const struct cpool_topology *t, const struct cpool_planner *p)
{
	json_t *arr = json_array();

	for (int n = 0; n < t->nr_nodes; n++) {
		uint64_t mem = t->nodes[n].memory, left = cpool_planner_memory_free(p, n);

		json_array_append_new(arr, json_pack("{s:i,s:I,s:I,s:I}", "node", t->nodes[n].os,
						     "memory", (json_int_t)mem, "charged",
						     (json_int_t)(mem - left), "free",
						     (json_int_t)left));
	}
	return arr;
}

/* Node sizes are rarely round: "370.5G" reads better than "388492316K". */
static void node_size(uint64_t bytes, char *buf, size_t len)
{
	if (bytes < ((uint64_t)1 << 30) || bytes % ((uint64_t)1 << 30) == 0)
		cpool_format_size(bytes, buf, len);
	else
		snprintf(buf, len, "%.1fG", (double)bytes / (double)((uint64_t)1 << 30));
}

static void nodes_text(const struct cpool_topology *t, const struct cpool_planner *p)
{
	printf("\n%-6s %10s %10s %10s\n", "NODE", "MEMORY", "CHARGED", "FREE");
	for (int n = 0; n < t->nr_nodes; n++) {
		uint64_t mem = t->nodes[n].memory, left = cpool_planner_memory_free(p, n);
		char a[32], b[32], c[32];

		node_size(mem, a, sizeof(a));
		node_size(mem - left, b, sizeof(b));
		node_size(left, c, sizeof(c));
		printf("%-6d %10s %10s %10s\n", t->nodes[n].os, a, b, c);
	}
}

/* "cpus=4-7,12,numa=local": a piece without '=' continues the previous value. */
static int parse_vs_arg(const char *arg, struct cpool_vs_spec *s, struct cpool_error *e)
{
	char *copy = strdup(arg), *save = NULL, *tok, key[32] = "", value[1024] = "";
	int err = 0;

	if (!copy)
		return -ENOMEM;
	cpool_vs_spec_init(s, "vs");
	for (tok = strtok_r(copy, ",", &save);; tok = strtok_r(NULL, ",", &save)) {
		char *eq = tok ? strchr(tok, '=') : NULL;

		if (tok && !eq) {
			if (!key[0]) {
				err = cpool_error_set(e, -EINVAL, "--vs: '%s' is not KEY=VALUE",
						      tok);
				break;
			}
			strncat(value, ",", sizeof(value) - strlen(value) - 1);
			strncat(value, tok, sizeof(value) - strlen(value) - 1);
			continue;
		}
		if (key[0]) {
			err = cpool_vs_spec_set(s, key, value, e);
			if (err) {
				cpool_error_prefix(e, "--vs%s%s", err == -ENOENT ? "" : ": ",
						   err == -ENOENT ? "" : key);
				break;
			}
		}
		if (!tok)
			break;
		*eq = '\0';
		if (!tok[0]) {
			err = cpool_error_set(e, -EINVAL, "--vs: '=%s' has no key; keys: %s",
					      eq + 1, cpool_vs_spec_keys());
			break;
		}
		snprintf(key, sizeof(key), "%s", tok);
		snprintf(value, sizeof(value), "%s", eq + 1);
	}
	free(copy);
	if (!err && !s->cpus) {
		err = cpool_error_set(e, -EINVAL, "--vs: needs cpus=N or cpus=LIST");
	}
	return err;
}

static int one_question(const struct cpool_topology *t, const char *vs_arg,
			const struct cpool_cpuset *avail, const char *fit_name, bool json)
{
	struct cpool_planner *p = NULL;
	struct cpool_vs_spec spec;
	struct cpool_vserver out;
	struct cpool_cpuset none;
	enum cpool_fit fit = CPOOL_FIT_FIRST;
	struct cpool_error why = { 0 };
	char cpus[4096], mems[1024];
	int err;

	cpool_cpuset_zero(&none);
	err = parse_vs_arg(vs_arg, &spec, &why);
	if (!err && fit_name && cpool_fit_parse(fit_name, &fit))
		err = cpool_error_set(&why, -EINVAL, "--fit: '%s' is not valid; use %s", fit_name,
				      cpool_fit_names());
	if (!err)
		err = cpool_planner_new(&p, t, &none, &why);
	if (!err) {
		if (avail)
			cpool_planner_restrict(p, avail);
		err = cpool_planner_place(p, &spec, fit, &out, &why);
	}
	cpool_planner_free(p);
	if (err) {
		if (json) {
			json_t *o = json_pack("{s:s}", "error", why.msg);

			json_dumpf(o, stdout, 0);
			printf("\n");
			json_decref(o);
		} else {
			fprintf(stderr, "cpool plan: %s\n", why.msg);
		}
		return 1;
	}
	list(&out.cpus, cpus, sizeof(cpus));
	list(&out.mems, mems, sizeof(mems));
	if (json) {
		json_t *o = json_pack("{s:s,s:s}", "cpus", cpus, "mems", mems);

		json_dumpf(o, stdout, 0);
		printf("\n");
		json_decref(o);
	} else {
		printf("cpus %s mems %s\n", cpus, mems);
	}
	return 0;
}

static int whole_plan(const struct cpool_topology *t, const char *config,
		      const struct cpool_cpuset *avail, const char *fit_name, bool json)
{
	struct cpool_pool_config c;
	struct cpool_planner *p = NULL;
	struct cpool_vserver *out = NULL;
	char(*errs)[256] = NULL;
	struct cpool_error why;
	char cpus[4096], mems[1024], reserved[1024], mem[32];
	enum cpool_fit fit;
	int failed = 0, ret = 1;

	if (cpool_config_load(&c, config, &why)) {
		fprintf(stderr, "cpool plan: %s\n", why.msg);
		return 1;
	}
	fit = c.placement;
	if (fit_name && cpool_fit_parse(fit_name, &fit)) {
		fprintf(stderr, "cpool plan: --fit: '%s' is not valid; use %s\n", fit_name,
			cpool_fit_names());
		goto out;
	}
	if (cpool_planner_new(&p, t, c.reserved_set ? &c.reserved : NULL, &why)) {
		fprintf(stderr, "cpool plan: %s: %s\n", config, why.msg);
		goto out;
	}
	if (avail)
		cpool_planner_restrict(p, avail);
	out = calloc((size_t)(c.nr_vs ? c.nr_vs : 1), sizeof(*out));
	errs = calloc((size_t)(c.nr_vs ? c.nr_vs : 1), sizeof(*errs));
	if (!out || !errs) {
		fprintf(stderr, "cpool plan: out of memory\n");
		goto out;
	}
	failed = cpool_planner_place_all(p, c.vs, c.nr_vs, fit, out, errs);
	list(cpool_planner_reserved(p), reserved, sizeof(reserved));
	if (json) {
		json_t *root = json_object(), *arr = json_array(), *earr = json_array();

		json_object_set_new(root, "pool", json_string(c.name));
		json_object_set_new(root, "topology", json_string(t->source));
		json_object_set_new(root, "reserved_cpus", json_string(reserved));
		json_object_set_new(root, "placement", json_string(cpool_fit_name(fit)));
		for (int i = 0; i < c.nr_vs; i++) {
			const struct cpool_vs_spec *s = &c.vs[i];
			json_t *o;

			if (errs[i][0]) {
				json_array_append_new(earr, json_string(errs[i]));
				continue;
			}
			list(&out[i].cpus, cpus, sizeof(cpus));
			list(&out[i].mems, mems, sizeof(mems));
			o = json_pack("{s:s,s:s,s:s,s:i,s:s,s:s,s:b}", "name", s->name, "cpus",
				      cpus, "mems", mems, "count", cpool_cpuset_count(&out[i].cpus),
				      "numa", cpool_numa_name(s->numa), "smt",
				      cpool_smt_name(s->smt), "exclusive", s->exclusive);
			/* Bytes, null when the VS sets no memory (nothing charged). */
			json_object_set_new(o, "memory",
					    s->limits.memory_max ?
						    json_integer((json_int_t)s->limits.memory_max) :
						    json_null());
			json_array_append_new(arr, o);
		}
		json_object_set_new(root, "vservers", arr);
		json_object_set_new(root, "nodes", nodes_json(t, p));
		json_object_set_new(root, "errors", earr);
		json_dumpf(root, stdout, JSON_INDENT(2));
		printf("\n");
		json_decref(root);
	} else {
		printf("pool %s on %s: reserved CPUs %s, placement %s\n", c.name, t->source,
		       reserved[0] ? reserved : "none", cpool_fit_name(fit));
		printf("%-20s %5s %-8s %-10s %7s %-24s %s\n", "VSERVER", "CPUS", "NUMA", "SMT",
		       "MEMORY", "CPU LIST", "MEMS");
		for (int i = 0; i < c.nr_vs; i++) {
			const struct cpool_vs_spec *s = &c.vs[i];

			if (errs[i][0])
				continue;
			list(&out[i].cpus, cpus, sizeof(cpus));
			list(&out[i].mems, mems, sizeof(mems));
			size_text(s->limits.memory_max, mem, sizeof(mem));
			printf("%-20s %5d %-8s %-10s %7s %-24s %s\n", s->name,
			       cpool_cpuset_count(&out[i].cpus), cpool_numa_name(s->numa),
			       cpool_smt_name(s->smt), mem, cpus, mems);
		}
		nodes_text(t, p);
	}
	for (int i = 0; i < c.nr_vs; i++)
		if (errs[i][0])
			fprintf(stderr, "cpool plan: %s\n", errs[i]);
	ret = failed ? 1 : 0;
out:
	free(out);
	free(errs);
	cpool_planner_free(p);
	cpool_config_free(&c);
	return ret;
}

static int cmd_plan(int argc, char **argv)
{
	const char *config = NULL, *xml = NULL, *synthetic = NULL, *vs = NULL, *fit = NULL,
		   *free_arg = NULL;
	struct cpool_cpuset avail;
	char fit_help[256];
	const struct cli_option opts[] = {
		CLI_STRING('c', "config", "FILE", &config,
			   "the pool configuration (docs/config.md)"),
		CLI_STRING('t', "topology", "FILE", &xml,
			   "an hwloc XML export instead of this machine"),
		CLI_STRING('s', "synthetic", "DESC", &synthetic,
			   "an hwloc synthetic machine, e.g. \"pack:2 numa:2 core:8 pu:2\""),
		CLI_STRING('f', "free", "CPULIST", &free_arg,
			   "only these CPUs may be given out (default: all)"),
		CLI_STRING('v', "vs", "SPEC", &vs,
			   "one VS: cpus=N or cpus=LIST, numa=, mems=, exclusive=, smt="),
		CLI_STRING('F', "fit", "NAME", &fit, fit_help),
		CLI_END,
	};
	struct cpool_topology t;
	struct cli_args a;
	struct cpool_error err;
	int ret;

	snprintf(fit_help, sizeof(fit_help), "%s (default: the config's placement, or first-fit)",
		 cpool_fit_names());
	ret = cli_parse(&cmd_spec, opts, argc, argv, &a);
	if (ret != CLI_PARSED)
		return ret;
	if (xml && synthetic)
		return cli_usage_error(PROG, "--topology and --synthetic exclude each other");
	if (!!config == !!vs)
		return cli_usage_error(PROG, "give either --config or --vs");
	if (free_arg) {
		const char *bad = NULL;

		if (cpool_cpuset_parse(&avail, free_arg, &bad))
			return cli_usage_error(PROG, "--free: '%s' is not a CPU list (at '%s')",
					       free_arg, bad ? bad : free_arg);
	}
	if (cpool_topology_load(&t, xml, synthetic, &err))
		return cli_fail(PROG, "%s", err.msg);
	if (vs)
		ret = one_question(&t, vs, free_arg ? &avail : NULL, fit, a.json);
	else
		ret = whole_plan(&t, config, free_arg ? &avail : NULL, fit, a.json);
	cpool_topology_free(&t);
	return ret;
}

CPOOL_COMMAND(plan, "plan", "show which CPUs and memory nodes each virtual server would get",
	      cmd_plan);
