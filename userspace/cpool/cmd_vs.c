// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* cpool vs: list the virtual servers; root creates, resizes and destroys them. */
#include <string.h>

#include "cli_common.h"
#include "command.h"
#include "cpool/enum_names.h"
#include "cpool/units.h"

static const struct cli_spec cmd_spec = {
	.prog = "cpool vs",
	.usage = "usage: cpool vs list [--json]\n"
		 "       cpool vs create NAME KEY=VALUE... [--json]\n"
		 "       cpool vs resize NAME KEY=VALUE... [--json]\n"
		 "       cpool vs destroy NAME",
	.about = "The pool's virtual servers.  KEY=VALUE are the keys of a [vserver] section\n"
		 "of pool.ini (docs/config.md), e.g. cpus=4 memory=2G numa=local; resize\n"
		 "changes only the keys given.  destroy kills the VS's jobs and gives its\n"
		 "CPUs back.  Only root changes the pool.",
	.json_help = "the daemon's answer as JSON",
	.socket = true,
	.operands = true,
};

static const struct cli_column columns[] = {
	{ "NAME", false },   { "CPUS", false },	  { "MEMS", false },  { "EXCL", false },
	{ "MEM-MAX", true }, { "RUNNING", true }, { "QUEUED", true }, { "FREE-CPUS", true },
	{ "RUL", true },     { "RQ-P99", true },
};

static void print_vservers(const json_t *list)
{
	struct cli_table *t = cli_table_new(columns, sizeof(columns) / sizeof(columns[0]));
	size_t i;
	json_t *v;

	json_array_foreach(list, i, v) {
		long long max = cli_json_int(v, "memory_max", 0);
		double rul = cli_json_num(v, "rul", -1), p99 = cli_json_num(v, "rq_p99_us", -1);
		char mem[32] = "max", lat[32];

		if (max > 0)
			cpool_format_size((uint64_t)max, mem, sizeof(mem));
		cli_format_usec(p99, lat, sizeof(lat));
		cli_table_cell(t, "%s", cli_json_str(v, "name", "?"));
		cli_table_cell(t, "%s", cli_json_str(v, "cpus", "-"));
		cli_table_cell(t, "%s", cli_json_str(v, "mems", "-"));
		cli_table_cell(t, "%s",
			       json_is_true(json_object_get(v, "exclusive")) ? "yes" : "no");
		cli_table_cell(t, "%s", mem);
		cli_table_cell(t, "%lld", cli_json_int(v, "running", 0));
		cli_table_cell(t, "%lld", cli_json_int(v, "queued", 0));
		cli_table_cell(t, "%lld", cli_json_int(v, "free_cpus", 0));
		if (rul >= 0)
			cli_table_cell(t, "%.0f%%", rul * 100);
		else
			cli_table_cell(t, "-");
		cli_table_cell(t, "%s", lat);
	}
	cli_table_print(t, stdout);
	cli_table_free(t);
}

/* "cpus=4" "memory=2G" -> {"cpus": "4", "memory": "2G"}; NULL after a usage error. */
static json_t *parse_spec(const char *prog, char **kv, int n)
{
	json_t *keys = json_object();

	for (int i = 0; i < n; i++) {
		const char *eq = strchr(kv[i], '=');
		char key[128];

		if (!eq || eq == kv[i] || (size_t)(eq - kv[i]) >= sizeof(key)) {
			cli_usage_error(prog, "'%s' is not KEY=VALUE (e.g. cpus=4 memory=2G)",
					kv[i]);
			json_decref(keys);
			return NULL;
		}
		snprintf(key, sizeof(key), "%.*s", (int)(eq - kv[i]), kv[i]);
		if (json_object_get(keys, key)) {
			cli_usage_error(prog, "'%s' is given twice", key);
			json_decref(keys);
			return NULL;
		}
		json_object_set_new(keys, key, json_string(eq + 1));
	}
	return keys;
}

enum vs_verb { VS_LIST, VS_CREATE, VS_RESIZE, VS_DESTROY, VS__COUNT };

static const char *const verb_table[VS__COUNT] = {
	[VS_LIST] = "list",
	[VS_CREATE] = "create",
	[VS_RESIZE] = "resize",
	[VS_DESTROY] = "destroy",
};
static struct cpool_enum_names verb_names = CPOOL_ENUM_NAMES(verb_table);

static int cmd_vs(int argc, char **argv)
{
	static const struct {
		enum cpool_op op;
		int min_args, max_args; /* after the verb */
		const char *synopsis;
	} verbs[VS__COUNT] = {
		[VS_LIST] = { CPOOL_OP_VS_LIST, 0, 0, "[--json]" },
		[VS_CREATE] = { CPOOL_OP_VS_CREATE, 2, 1 << 20,
				"NAME KEY=VALUE... (e.g. cpus=4 memory=2G)" },
		[VS_RESIZE] = { CPOOL_OP_VS_RESIZE, 2, 1 << 20,
				"NAME KEY=VALUE... (only the keys to change)" },
		[VS_DESTROY] = { CPOOL_OP_VS_DESTROY, 1, 1, "NAME" },
	};
	struct cli_spec verb_spec = cmd_spec;
	const char *verb;
	char prog[64];
	struct cli_args a;
	json_t *args = NULL, *result;
	int v, n, r;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		cli_help(&cmd_spec, NULL, argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	verb = argv[1];
	if (cpool_enum_parse(&verb_names, verb, &v))
		return cli_usage_error(cmd_spec.prog, "'%s' is not one of %s", verb,
				       cpool_enum_list(&verb_names));
	snprintf(prog, sizeof(prog), "cpool vs %s", verb);
	verb_spec.prog = prog;
	r = cli_parse(&verb_spec, NULL, argc - 1, argv + 1, &a);
	if (r != CLI_PARSED)
		return r;
	n = a.argc;
	if (n < verbs[v].min_args || n > verbs[v].max_args)
		return cli_usage_error(prog, "expected: %s %s", prog, verbs[v].synopsis);
	if (n && !a.argv[0][0])
		return cli_usage_error(prog, "the name is empty");
	if (verbs[v].op == CPOOL_OP_VS_CREATE || verbs[v].op == CPOOL_OP_VS_RESIZE) {
		json_t *keys = parse_spec(prog, a.argv + 1, n - 1);

		if (!keys)
			return CLI_EXIT_USAGE;
		args = json_pack("{s:s, s:o}", "name", a.argv[0], "spec", keys);
	} else if (verbs[v].op == CPOOL_OP_VS_DESTROY) {
		args = json_pack("{s:s}", "name", a.argv[0]);
	}
	r = cli_call(prog, a.socket, verbs[v].op, args, &result);
	if (r)
		return r;
	if (a.json) {
		cli_print_json(result);
	} else if (verbs[v].op == CPOOL_OP_VS_LIST) {
		print_vservers(json_object_get(result, "vservers"));
	} else if (verbs[v].op == CPOOL_OP_VS_DESTROY) {
		printf("vs %s destroyed\n", a.argv[0]);
	} else {
		json_t *one = json_pack("[O]", result);

		print_vservers(one);
		json_decref(one);
	}
	json_decref(result);
	return CLI_EXIT_OK;
}

CPOOL_COMMAND(vs, "vs", "list, create, resize or destroy virtual servers", cmd_vs);
