// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* The planned pool in the simulator: config + topology -> planner -> VSs -> sim. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "shared_data.h"
#include "cpool/config.h"
#include "cpool/sim.h"
#include "cpool/topology.h"

static int plan_text(const char *text, const char *xml, const char *synth,
		     struct cpool_vserver **vs, int *n, enum cpool_fit *placement,
		     struct cpool_error *e)
{
	struct cpool_pool_config c;
	struct cpool_topology t;
	int ret;

	ret = cpool_config_parse_string(&c, text, "test.ini", e);
	if (ret)
		return ret;
	ret = cpool_topology_load(&t, xml, synth, e);
	if (ret) {
		cpool_config_free(&c);
		return ret;
	}
	if (placement)
		*placement = c.placement;
	ret = cpool_sim_pool_plan(&c, &t, vs, n, e);
	cpool_topology_free(&t);
	cpool_config_free(&c);
	return ret;
}

int main(void)
{
	/* 2 nodes x 4 cores, no SMT; CPU 0 reserved. */
	const char *synth = "pack:1 numa:2 core:4 pu:1";
	const char *text = "[pool]\nreserved_cpus = 0\nplacement = worst-fit\n"
			   "[vserver db]\ncpus = 3\nnuma = local\n"
			   "[vserver web]\ncpus = 2\n";
	struct cpool_vserver *vs = NULL;
	enum cpool_fit fit = CPOOL_FIT_FIRST;
	struct cpool_error why = { 0 };
	int n = 0, ret;

	ret = plan_text(text, NULL, synth, &vs, &n, &fit, &why);
	if (!is_int(ret, 0, "the pool is planned"))
		diag("%s", why.msg);
	is_int(n, 2, "two VSs, in file order");
	if (n == 2) {
		struct cpool_cpuset both;

		is_str(vs[0].name, "db", "db first");
		is_int(cpool_cpuset_count(&vs[0].cpus), 3, "db has its 3 CPUs");
		is_int(cpool_cpuset_count(&vs[1].cpus), 2, "web has its 2 CPUs");
		ok(!cpool_cpuset_isset(&vs[0].cpus, 0) && !cpool_cpuset_isset(&vs[1].cpus, 0),
		   "the reserved CPU 0 is in no VS");
		cpool_cpuset_and(&both, &vs[0].cpus, &vs[1].cpus);
		ok(cpool_cpuset_empty(&both), "no CPU in two VSs");
	}
	is_int(fit, CPOOL_FIT_WORST, "[pool] placement comes through");
	if (n == 2) {
		/*
		 * Run on the plan with worst-fit: a and b (1 CPU) go to the
		 * emptiest VS each time: db (3), then db (2) vs web (2) tie ->
		 * db; c names web; d needs 3: only db can hold it, waits for a,b.
		 * a 0-10 db, b 0-10 db, c 0-5 web, d 10-12 db.
		 */
		struct cpool_job jobs[4] = {
			{ .id = "a",
			  .runtime_us = 10000000,
			  .estimate_us = 10000000,
			  .cpus = 1,
			  .index = 0 },
			{ .id = "b",
			  .runtime_us = 10000000,
			  .estimate_us = 10000000,
			  .cpus = 1,
			  .index = 1 },
			{ .id = "c",
			  .runtime_us = 5000000,
			  .estimate_us = 5000000,
			  .cpus = 1,
			  .vs = "web",
			  .index = 2 },
			{ .id = "d",
			  .runtime_us = 2000000,
			  .estimate_us = 2000000,
			  .cpus = 3,
			  .index = 3 },
		};
		struct cpool_sim_config cfg = { .vs = vs, .n_vs = n };
		struct cpool_sim_result r;

		cpool_policy_init(&cfg.policy);
		cfg.policy.place = (enum cpool_place)fit;
		is_int(cpool_sim_run(&cfg, jobs, 4, &r), 0, "simulates on the planned pool");
		if (r.n_records == 4) {
			is_str(vs[r.records[0].vs].name, "db", "a on db (emptiest)");
			is_str(vs[r.records[1].vs].name, "db",
			       "b on db (tie with web: lower index)");
			is_str(vs[r.records[2].vs].name, "web", "c where it asked");
			is_str(vs[r.records[3].vs].name, "db", "d (3 CPUs) only fits db");
			is_int(r.records[3].first_start_us, 10000000, "d waits for a and b");
		}
		is_int(r.total_cpus, 5, "the pool has the planned 5 CPUs");
		cpool_sim_result_free(&r);
	}
	free(vs);

	ret = plan_text("[vserver big]\ncpus = 6\nnuma = local\n", NULL, synth, &vs, &n, NULL,
			&why);
	ok(ret < 0 && strstr(why.msg, "vserver big"),
	   "a VS the machine cannot hold: the planner's reason (%s)", why.msg);
	ret = plan_text("[pool]\nname = x\n", NULL, synth, &vs, &n, NULL, &why);
	ok(ret == -EINVAL && strstr(why.msg, "vserver"), "a pool without VSs is refused (%s)",
	   why.msg);

	{
		const char *no_data, *topologies = shared_data_dir("topologies", &no_data);
		char path[8192];

		if (!topologies) {
			skip(1, no_data);
		} else {
			snprintf(path, sizeof(path), "%s/16amd64-4distances.xml", topologies);
			ret = plan_text(
				"[vserver a]\ncpus = 2\nnuma = local\n[vserver b]\ncpus = 4\n",
				path, NULL, &vs, &n, NULL, &why);
			ok(ret == 0 && n == 2 && cpool_cpuset_count(&vs[1].cpus) == 4,
			   "planned on a real machine's topology (%s)", ret ? why.msg : "ok");
			if (!ret)
				free(vs);
		}
	}
	done_testing();
	return exit_status();
}
