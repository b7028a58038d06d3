// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * cpoold's reload: every refusal leaves the pool as it was (VSs, planner,
 * configuration), and policy, placement and quantum follow the file only
 * where the file changed them.  The pool's cgroup path is a temporary
 * directory, so nothing here reaches the kernel: the cases are those
 * decided before any cgroup is touched.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpoold_fixture.h"
#include "handmade_topo.h"

static char dir[] = "/tmp/cpool-test-cpoold-reload.XXXXXX";
static char ini[4200];

static void write_ini(const char *text)
{
	FILE *f = fopen(ini, "w");

	if (!f || fputs(text, f) < 0 || fclose(f))
		bail_out("write %s", ini);
}

#define BASE "[pool]\nreserved_cpus = none\n"
#define TWO_VS "[vserver a]\ncpus = 2\n[vserver b]\ncpus = 2\n"

static void setup_pool(struct cpoold *d)
{
	static const struct hm_node nodes[] = { { .cores = 4, .smt = 1 },
						{ .cores = 4, .smt = 1, .package = 1 } };
	struct cpool_vserver placed[2];
	struct cpool_error err;

	snprintf(ini, sizeof(ini), "%s/pool.ini", dir);
	write_ini(BASE TWO_VS);
	d->config_path = ini;
	if (cpool_config_load(&d->cfg, ini, &err))
		bail_out("%s", err.msg);
	d->topo = calloc(1, sizeof(*d->topo));
	if (!d->topo || handmade_topology(d->topo, nodes, 2, false))
		bail_out("topology");
	if (cpool_planner_new(&d->planner, d->topo, &d->cfg.reserved, &err))
		bail_out("%s", err.msg);
	cpool_cpuset_set_range(&d->pool.machine_cpus, 0, 7);
	cpool_planner_restrict(d->planner, &d->pool.machine_cpus);
	if (cpool_planner_place_all(d->planner, d->cfg.vs, 2, d->cfg.placement, placed, NULL))
		bail_out("place");
	for (int i = 0; i < 2; i++)
		pool_vs_add(d, &d->cfg.vs[i], &placed[i]);
	cpool_policy_init(&d->policy);
	share_init(d);
}

/* Refused, with @want in the reason, and the pool untouched. */
static void refused(struct cpoold *d, const char *text, int err, const char *want, const char *what)
{
	struct cpool_error why;
	json_t *result;
	int r;

	write_ini(text);
	r = reload_run(d, &result, &why);
	if (!ok(r == err, "%s: refused", what))
		diag("got %d, want %d", r, err);
	if (!ok(strstr(why.msg, want) != NULL, "%s: says '%s'", what, want))
		diag("said: %s", why.msg);
	ok(d->n_vs == 2 && pool_find(d, "a") && pool_find(d, "b") && d->cfg.nr_vs == 2 &&
		   !cpool_planner_find(d->planner, "c") && strcmp(d->cfg.name, "cpool") == 0,
	   "%s: nothing changed", what);
	ok(d->last_reload && json_is_false(json_object_get(d->last_reload, "ok")),
	   "%s: stats will show the refusal", what);
}

static void refusals(struct cpoold *d)
{
	const char *argv[] = { "/bin/true", NULL };
	struct cpool_submit_req s = { .argv = argv, .argc = 1, .vs = "a", .cpus = 1 };
	struct vsrv *b = pool_find(d, "b");
	struct cpool_error err;
	int64_t id;

	if (jobs_submit(d, &s, 1000, 1000, &id, &err))
		bail_out("submit: %s", err.msg);
	/* b's two CPUs run jobs. */
	b->busy = b->vs.cpus;

	refused(d, BASE TWO_VS "[vserver c]\ncpus = lots\n", -EINVAL,
		"pool.ini:8:", "a syntax error");
	refused(d, "[pool]\nname = other\nreserved_cpus = none\n" TWO_VS, -EINVAL,
		"[pool] name changed: it takes effect only at a restart", "a new pool name");
	refused(d, BASE TWO_VS "[metrics]\nlisten = off\n", -EINVAL, "[metrics] listen changed",
		"a new metrics address");
	refused(d, BASE "[vserver b]\ncpus = 2\n", -EBUSY,
		"vserver a is gone from the configuration but has 0 running and 1 queued jobs",
		"removing a VS with a queued job");
	refused(d, BASE "[vserver a]\ncpus = 2\n[vserver b]\ncpus = 1\n", -EBUSY,
		"vserver b: 2 CPUs are in use by running jobs; it cannot shrink to 1",
		"shrinking below the running jobs");
	refused(d, BASE "[vserver a]\ncpus = 2\nnuma = spread\n[vserver b]\ncpus = 2\n", -EBUSY,
		"vserver a: numa, smt, exclusive, mems or an explicit CPU list changed",
		"re-placing a VS with jobs");
	refused(d, BASE TWO_VS "[vserver c]\ncpus = 6\n", -ENOSPC,
		"vserver c:", "a VS that does not fit");
	/* The new VS fits, but an unrelated key needs a restart: all or nothing. */
	refused(d, BASE TWO_VS "[vserver c]\ncpus = 2\n[limits]\nmax_connections = 100\n", -EINVAL,
		"[limits] max_connections changed", "a good change next to a bad one");
}

static int reload_ok(struct cpoold *d, const char *text, const char *what)
{
	struct cpool_error why;
	json_t *result;
	int r;

	write_ini(text);
	r = reload_run(d, &result, &why);
	if (!ok(r == 0, "%s: applied", what))
		diag("%d: %s", r, why.msg);
	json_decref(result);
	return r;
}

static void precedence(struct cpoold *d)
{
	char *v;

	reload_ok(d, BASE "policy = sjf\nquantum = 50ms\n" TWO_VS, "policy in the file");
	is_str(cpool_sched_name(d->policy.sched), "sjf", "the file's policy applies");
	is_int(d->policy.quantum_us, 50000, "and its quantum");
	v = cpool_store_setting_get(d->store, "policy");
	is_str(v, "sjf", "stored as the policy in force");
	free(v);

	/* cpool policy set at run time (what op_policy_set stores). */
	d->policy.sched = CPOOL_SCHED_RR;
	cpool_store_setting_put(d->store, "policy", "rr");
	reload_ok(d, BASE "policy = sjf\nquantum = 50ms\n" TWO_VS, "the same file again");
	is_str(cpool_sched_name(d->policy.sched), "rr",
	       "a runtime policy set wins while the file's policy is unchanged");
	reload_ok(d, BASE "policy = sjf\nquantum = 20ms\n" TWO_VS, "only the quantum changed");
	is_str(cpool_sched_name(d->policy.sched), "rr", "... still, for the policy");
	is_int(d->policy.quantum_us, 20000, "the changed quantum applies");
	reload_ok(d, BASE "policy = fairshare\nfairshare_half_life = 1h\n" TWO_VS,
		  "the file's policy changed");
	is_str(cpool_sched_name(d->policy.sched), "fairshare", "the file wins again");
	is_int(d->fs.half_life_us, 3600000000LL, "the half-life follows the file");
	is_int(d->policy.quantum_us, 20000, "a key dropped from the file leaves the value");
}

int main(void)
{
	struct cpoold d;

	fixture_open(&d, dir);
	setup_pool(&d);
	refusals(&d);
	precedence(&d);
	json_decref(d.last_reload);
	share_free(&d);
	fixture_close(&d, dir);
	cpool_planner_free(d.planner);
	cpool_topology_free(d.topo);
	free(d.topo);
	cpool_config_free(&d.cfg);
	free(d.vs);
	done_testing();
	return exit_status();
}
