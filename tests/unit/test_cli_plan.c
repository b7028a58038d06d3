// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* cpool topo and cpool plan as a user runs them: exit codes and JSON. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../tap.h"
#include "shared_data.h"

static char cpool[1024], out[1 << 16];

/* Run "cpool ARGS" (a shell fragment); stdout in out[], returns the exit status. */
static int run(const char *args)
{
	char cmd[2048];
	size_t n;
	FILE *f;
	int st;

	snprintf(cmd, sizeof(cmd), "%s %s 2>/dev/null", cpool, args);
	f = popen(cmd, "r");
	if (!f)
		bail_out("popen %s", cmd);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static const char *json_str(const char *key)
{
	static char value[4096];
	json_t *root = json_loads(out, 0, NULL);
	json_t *v = root ? json_object_get(root, key) : NULL;

	snprintf(value, sizeof(value), "%s",
		 json_is_string(v) ? json_string_value(v) : "<missing>");
	json_decref(root);
	return value;
}

int main(void)
{
	const char *build = getenv("CPOOL_BUILD"), *src = getenv("CPOOL_SRCDIR");
	const char *syn = "--synthetic 'pack:2 numa:2 core:2 pu:2'";
	char args[1024];

	snprintf(cpool, sizeof(cpool), "%s/cpool", build ? build : "build");
	if (access(cpool, X_OK)) {
		skip(1, "build/cpool is not built (make builds it; CPOOL_BUILD points at it)");
		done_testing();
		return exit_status();
	}

	snprintf(args, sizeof(args), "plan %s --vs cpus=4,numa=local --json", syn);
	is_int(run(args), 0, "plan --vs: exit 0");
	is_str(json_str("cpus"), "0-3", "plan --vs: cpus");
	is_str(json_str("mems"), "0", "plan --vs: mems of numa=local");

	snprintf(args, sizeof(args), "plan %s --free 9-15 --vs cpus=4,numa=any --json", syn);
	is_int(run(args), 0, "plan --free: exit 0");
	is_str(json_str("cpus"), "12-15", "plan --free: only free whole cores, on one node");

	snprintf(args, sizeof(args), "plan %s --vs cpus=3,smt=threads,exclusive=yes --json", syn);
	is_int(run(args), 0, "plan smt=threads: exit 0");
	is_str(json_str("cpus"), "0-2", "plan smt=threads: 3 threads");

	snprintf(args, sizeof(args), "plan %s --vs cpus=4-5,8-9,numa=any --json", syn);
	is_int(run(args), 0, "plan with an explicit list (commas inside the value)");
	is_str(json_str("cpus"), "4-5,8-9", "the list is kept");

	snprintf(args, sizeof(args), "plan %s --vs cpus=10,numa=local --json", syn);
	is_int(run(args), 1, "plan impossible local: exit 1");
	is_str(json_str("error"),
	       "vserver vs: numa=local needs 10 CPUs on one node; the largest free is 4 (node 0), "
	       "counting whole cores",
	       "plan impossible local: the reason");

	snprintf(args, sizeof(args), "plan %s --vs cpus=4,numa=near --json", syn);
	is_int(run(args), 1, "plan bad --vs: exit 1");
	is_str(json_str("error"), "--vs: numa: 'near' is not valid; use one of any, local, spread",
	       "plan bad --vs: says what is valid");

	snprintf(args, sizeof(args), "plan %s --vs cpus=4 --fit tightest --json", syn);
	is_int(run(args), 1, "plan bad --fit: exit 1");

	snprintf(args, sizeof(args), "plan %s --free 4-x --vs cpus=4", syn);
	is_int(run(args), 2, "plan bad --free: usage error");

	is_int(run("plan --help"), 0, "plan --help: exit 0");
	ok(strstr(out, "--vs") != NULL, "plan --help describes --vs");
	is_int(run("plan --vs cpus=1 --config x.ini"), 2, "plan --vs with --config: usage error");
	is_int(run("topo --bogus"), 2, "topo with an unknown option: usage error");

	snprintf(args, sizeof(args), "topo %s --json", syn);
	is_int(run(args), 0, "topo --json: exit 0");
	{
		json_t *root = json_loads(out, 0, NULL);
		json_t *nodes = json_object_get(root, "nodes");
		json_t *n1 = json_array_get(nodes, 1);

		is_int(json_integer_value(json_object_get(root, "pus")), 16, "topo: 16 PUs");
		is_int((int64_t)json_array_size(nodes), 4, "topo: 4 nodes");
		is_str(json_string_value(json_object_get(n1, "cpus")), "4-7", "topo: node 1 CPUs");
		is_int(json_integer_value(json_array_get(
			       json_array_get(json_object_get(root, "distances"), 0), 1)),
		       20, "topo: fallback distance");
		json_decref(root);
	}
	snprintf(args, sizeof(args), "topo %s", syn);
	is_int(run(args), 0, "topo text: exit 0");
	ok(strstr(out, "node 1") && strstr(out, "cpus 4-7"), "topo text lists node 1's CPUs");

	/* The plan shows each VS's memory and what every node has left. */
	{
		char path[] = "/tmp/cpool-plan-XXXXXX";
		int fd = mkstemp(path);
		FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
		const char *mem_syn = "--synthetic 'pack:2 numa:2(memory=8GiB) core:2 pu:2'";

		if (!f)
			bail_out("cannot write a temporary config");
		fputs("[pool]\nreserved_cpus = none\n"
		      "[vserver db]\ncpus = 2\nnuma = local\nmemory = 6G\n"
		      "[vserver app]\ncpus = 2\nnuma = local\nmemory = 6G\n"
		      "[vserver web]\ncpus = 2\nnuma = local\n"
		      "[vserver big]\ncpus = 2\nnuma = local\nmemory = 9G\n",
		      f);
		fclose(f);
		snprintf(args, sizeof(args), "plan --config %s %s --json", path, mem_syn);
		is_int(run(args), 1, "plan --config with a VS that cannot fit: exit 1");
		{
			json_t *root = json_loads(out, 0, NULL);
			json_t *vss = json_object_get(root, "vservers");
			json_t *nodes = json_object_get(root, "nodes");
			json_t *app = json_array_get(vss, 1), *web = json_array_get(vss, 2);

			is_str(json_string_value(json_object_get(app, "mems")), "1",
			       "app: node 0 has the CPUs but not 6G more, so node 1");
			is_int(json_integer_value(json_object_get(app, "memory")), (int64_t)6 << 30,
			       "app: its memory in bytes");
			ok(json_is_null(json_object_get(web, "memory")),
			   "web: no memory set is null");
			is_int(json_integer_value(
				       json_object_get(json_array_get(nodes, 0), "free")),
			       (int64_t)2 << 30, "node 0: 2G left");
			is_int(json_integer_value(
				       json_object_get(json_array_get(nodes, 1), "charged")),
			       (int64_t)6 << 30, "node 1: 6G charged");
			is_int(json_integer_value(
				       json_object_get(json_array_get(nodes, 3), "free")),
			       (int64_t)8 << 30, "node 3: untouched");
			is_str(json_string_value(
				       json_array_get(json_object_get(root, "errors"), 0)),
			       "vserver big: memory=9G needs 9G on node 2; 8G is free there",
			       "big: the reason names the node and what is free");
			json_decref(root);
		}
		snprintf(args, sizeof(args), "plan --config %s %s", path, mem_syn);
		run(args);
		ok(strstr(out, "MEMORY") && strstr(out, " 6G ") && strstr(out, "FREE"),
		   "plan text: a MEMORY column and the per-node table");
		ok(strstr(out, "\n0              8G         6G         2G\n") != NULL,
		   "plan text: node 0 has 8G, 6G charged, 2G free");
		unlink(path);
	}

	const char *no_data, *topologies = shared_data_dir("topologies", &no_data);

	if (!src) {
		skip(3, "CPOOL_SRCDIR is not set: docs/pool.ini.example is not at hand");
	} else if (!topologies) {
		skip(3, no_data);
	} else {
		int len = snprintf(args, sizeof(args),
				   "plan --config %s/docs/pool.ini.example --topology %s/%s --json",
				   src, topologies, "memorysidecaches.xml");

		if (len >= (int)sizeof(args))
			bail_out("the plan command for %s is over %zu bytes", topologies,
				 sizeof(args));
		is_int(run(args), 0, "the documented example plans on memorysidecaches");
		{
			json_t *root = json_loads(out, 0, NULL);

			is_int((int64_t)json_array_size(json_object_get(root, "vservers")), 4,
			       "all four of its VSs placed");
			is_int((int64_t)json_array_size(json_object_get(root, "errors")), 0,
			       "no errors");
			json_decref(root);
		}
	}
	done_testing();
	return exit_status();
}
