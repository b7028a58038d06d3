// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Reloading pool.ini into the live pool (SIGHUP, systemctl reload, cpool
 * reload).  A reload is all or nothing: the new file is parsed, compared
 * with the pool, and planned on a scratch planner that holds the VSs that
 * stay where they are; only when every VS fits, no job would lose its VS
 * or the CPUs it runs on, and nothing needs a restart, does it touch the
 * kernel.  Running jobs are never killed: a VS that has jobs cannot be
 * removed or remade, and a shrink that would take a running job's CPUs is
 * refused (not deferred: a deferred change would leave pool.ini saying one
 * thing and the pool another for an unknown time).
 *
 * The kernel is changed in the order that frees CPUs before they are
 * taken (removals, shrinks, grows, creations), each step stored once
 * applied.  A crash in between is mended by the next start, which plans
 * the same pool.ini and makes the cgroup tree match it (pool_setup).
 *
 * policy, placement and quantum: a value in pool.ini applies when it
 * differs from the value the file had at the last load or reload (kept
 * in the store as config.KEY); otherwise what `cpool policy set` chose
 * last stays.  So a runtime change wins until the file's own value for
 * that key changes, and a restart or an unrelated reload never undoes it.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpoold.h"

enum vs_action { VS_KEEP, VS_RESIZE, VS_CREATE, VS_DESTROY, VS_REMAKE };

struct vs_plan {
	enum vs_action action;
	int live; /* index in d->vs, or -1 */
	int spec; /* index in the new config, or -1 */
	struct cpool_vserver out; /* the placement, for RESIZE, CREATE, REMAKE */
	bool shrink; /* RESIZE to fewer CPUs: done before the grows */
};

struct reload {
	struct cpoold *d;
	struct cpool_pool_config nc;
	struct vs_plan *plan;
	int n_plan;
	json_t *changes; /* what was (or would be) done, one sentence each */
	struct cpool_error why; /* why it is refused, or stopped part-way */
};

static void change(struct reload *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void change(struct reload *r, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_array_append_new(r->changes, json_string(buf));
}

static bool same_limits(const struct cpool_vs_limits *a, const struct cpool_vs_limits *b)
{
	return a->memory_max == b->memory_max && a->memory_high == b->memory_high &&
	       a->memory_min == b->memory_min && a->cpu_weight == b->cpu_weight &&
	       a->cpu_max_quota_us == b->cpu_max_quota_us &&
	       a->cpu_max_period_us == b->cpu_max_period_us && a->pids_max == b->pids_max;
}

/* What only a new placement can change (a resize keeps the VS where it is). */
static bool same_shape(const struct cpool_vs_spec *a, const struct cpool_vs_spec *b)
{
	return a->numa == b->numa && a->smt == b->smt && a->exclusive == b->exclusive &&
	       a->cpus_explicit == b->cpus_explicit &&
	       (!a->cpus_explicit || cpool_cpuset_equal(&a->cpu_list, &b->cpu_list)) &&
	       a->mems_explicit == b->mems_explicit &&
	       (!a->mems_explicit || cpool_cpuset_equal(&a->mems, &b->mems));
}

static bool in_config(const struct cpool_pool_config *c, const char *name, int *index)
{
	for (int i = 0; i < c->nr_vs; i++)
		if (strcmp(c->vs[i].name, name) == 0) {
			if (index)
				*index = i;
			return true;
		}
	return false;
}

/* What needs a restart: settings read once, at start-up. */
static int check_restart_only(struct reload *r)
{
	const struct cpool_pool_config *o = &r->d->cfg, *n = &r->nc;
	const struct cpool_user_limits *ol = &o->limits, *nl = &n->limits;
	const char *key = NULL;

	if (strcmp(o->name, n->name) != 0)
		key = "[pool] name";
	else if (o->reserved_set != n->reserved_set ||
		 (n->reserved_set && !cpool_cpuset_equal(&o->reserved, &n->reserved)))
		key = "[pool] reserved_cpus";
	else if (strcmp(o->metrics_listen, n->metrics_listen) != 0)
		key = "[metrics] listen";
	else if (ol->max_connections != nl->max_connections)
		key = "[limits] max_connections";
	else if (ol->root_connections != nl->root_connections)
		key = "[limits] root_connections";
	else if (ol->connections_per_user != nl->connections_per_user)
		key = "[limits] connections_per_user";
	else if (ol->idle_timeout != nl->idle_timeout)
		key = "[limits] idle_timeout";
	if (key)
		return cpool_error_set(&r->why, -EINVAL,
				       "%s changed: it takes effect only at a restart of cpoold",
				       key);
	return 0;
}

static int add_plan(struct reload *r, enum vs_action a, int live, int spec)
{
	r->plan[r->n_plan++] = (struct vs_plan){ .action = a, .live = live, .spec = spec };
	return 0;
}

/* Each VS's fate, and the refusals that need no planner. */
static int diff_vservers(struct reload *r)
{
	struct cpoold *d = r->d;

	r->plan = calloc((size_t)(d->n_vs + r->nc.nr_vs + 1), sizeof(*r->plan));
	if (!r->plan)
		return cpool_error_set(&r->why, -ENOMEM, "out of memory");
	for (int i = 0; i < d->n_vs; i++) {
		const struct vsrv *v = &d->vs[i];
		int running, queued, k;

		pool_vs_jobs(d, v, &running, &queued);
		if (!in_config(&r->nc, v->vs.name, &k)) {
			/* A VS made with `cpool vs create` is the API's, not the file's. */
			if (in_config(&d->cfg, v->vs.name, NULL)) {
				if (running + queued)
					return cpool_error_set(
						&r->why, -EBUSY,
						"vserver %s is gone from the configuration but "
						"has %d running and %d queued jobs; a reload "
						"never ends jobs: cancel them or let them end, "
						"then reload",
						v->vs.name, running, queued);
				add_plan(r, VS_DESTROY, i, -1);
			}
			continue;
		}
		if (!same_shape(&v->spec, &r->nc.vs[k])) {
			if (running + queued)
				return cpool_error_set(
					&r->why, -EBUSY,
					"vserver %s: numa, smt, exclusive, mems or an "
					"explicit CPU list changed, which places it anew, but it "
					"has %d running and %d queued jobs; a reload never ends "
					"jobs",
					v->vs.name, running, queued);
			add_plan(r, VS_REMAKE, i, k);
		} else if (v->spec.cpus != r->nc.vs[k].cpus ||
			   !same_limits(&v->spec.limits, &r->nc.vs[k].limits)) {
			if (r->nc.vs[k].cpus < cpool_cpuset_count(&v->busy))
				return cpool_error_set(
					&r->why, -EBUSY,
					"vserver %s: %d CPUs are in use by running jobs; it "
					"cannot shrink to %d",
					v->vs.name, cpool_cpuset_count(&v->busy), r->nc.vs[k].cpus);
			add_plan(r, VS_RESIZE, i, k);
			r->plan[r->n_plan - 1].shrink = r->nc.vs[k].cpus < v->spec.cpus;
		} else {
			add_plan(r, VS_KEEP, i, k);
		}
	}
	for (int k = 0; k < r->nc.nr_vs; k++)
		if (pool_index(d, r->nc.vs[k].name) < 0)
			add_plan(r, VS_CREATE, -1, k);
	return 0;
}

/* Shrinks (pass 0) before grows (pass 1), so a grow can take what a shrink gives back. */
static int resize_order(const struct vs_plan *p)
{
	return p->shrink ? 0 : 1;
}

/*
 * The whole new pool on a scratch planner: the VSs that stay are adopted
 * where they are, resized in place, then the new ones placed.  On success
 * *@out is the planner of the new pool.
 */
static int plan_scratch(struct reload *r, struct cpool_planner **out)
{
	struct cpoold *d = r->d;
	struct cpool_planner *p;
	struct cpool_vs_spec *specs = NULL;
	struct cpool_vserver *placed = NULL;
	char(*errs)[256] = NULL;
	int n_new = 0, ret, failed;
	ret = cpool_planner_new(&p, d->topo, cpool_planner_reserved(d->planner), &r->why);
	if (ret) {
		cpool_error_prefix(&r->why, "plan");
		return ret;
	}
	cpool_planner_restrict(p, &d->pool.machine_cpus);
	for (int i = 0; i < r->n_plan; i++) {
		struct vs_plan *pl = &r->plan[i];
		struct cpool_vserver vs;

		if (pl->action != VS_KEEP && pl->action != VS_RESIZE)
			continue; /* placed anew below, or gone */
		vs = d->vs[pl->live].vs;
		if (pl->action == VS_RESIZE)
			vs.limits = r->nc.vs[pl->spec].limits; /* the memory ledger checks it */
		ret = cpool_planner_adopt(p, &vs, d->vs[pl->live].spec.smt, &r->why);
		if (ret) {
			cpool_error_prefix(&r->why, "vserver %s", vs.name);
			goto fail;
		}
		pl->out = vs;
	}
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < r->n_plan; i++) {
			struct vs_plan *pl = &r->plan[i];
			const struct vsrv *v;
			struct cpool_vserver got;

			if (pl->action != VS_RESIZE || resize_order(pl) != pass)
				continue;
			v = &d->vs[pl->live];
			if (r->nc.vs[pl->spec].cpus == v->spec.cpus)
				continue;
			ret = cpool_planner_resize(p, v->vs.name, r->nc.vs[pl->spec].cpus, &got,
						   &r->why);
			if (ret)
				goto fail;
			if (!cpool_cpuset_subset(&v->busy, &got.cpus)) {
				cpool_error_set(
					&r->why, -EBUSY,
					"vserver %s: shrinking to %d CPUs would take CPUs its running "
					"jobs use",
					v->vs.name, r->nc.vs[pl->spec].cpus);
				goto fail;
			}
			got.limits = r->nc.vs[pl->spec].limits;
			pl->out = got;
		}
	specs = calloc((size_t)r->n_plan + 1, sizeof(*specs));
	placed = calloc((size_t)r->n_plan + 1, sizeof(*placed));
	errs = calloc((size_t)r->n_plan + 1, sizeof(*errs));
	if (!specs || !placed || !errs) {
		cpool_error_set(&r->why, -ENOMEM, "out of memory");
		goto fail;
	}
	for (int i = 0; i < r->n_plan; i++)
		if (r->plan[i].action == VS_CREATE || r->plan[i].action == VS_REMAKE)
			specs[n_new++] = r->nc.vs[r->plan[i].spec];
	failed = cpool_planner_place_all(p, specs, n_new, r->nc.placement, placed, errs);
	if (failed) {
		for (int i = 0; i < n_new; i++)
			if (errs[i][0]) {
				cpool_error_set(&r->why, -ENOSPC, "%s", errs[i]);
				break;
			}
		goto fail;
	}
	for (int i = 0, k = 0; i < r->n_plan; i++)
		if (r->plan[i].action == VS_CREATE || r->plan[i].action == VS_REMAKE)
			r->plan[i].out = placed[k++];
	free(specs);
	free(placed);
	free(errs);
	*out = p;
	return 0;
fail:
	free(specs);
	free(placed);
	free(errs);
	cpool_planner_free(p);
	return ret ? ret : -ENOSPC;
}

static int destroy_vs(struct reload *r, const char *name)
{
	struct cpoold *d = r->d;
	int i = pool_index(d, name), ret;

	ret = cpool_cg_vs_destroy(&d->pool, name, 10000, &r->why);
	if (ret)
		return ret;
	cpool_store_vs_delete(d->store, name);
	memmove(&d->vs[i], &d->vs[i + 1], (size_t)(d->n_vs - i - 1) * sizeof(d->vs[0]));
	d->n_vs--;
	crash_point(CRASH_RELOAD_VS_DESTROYED);
	return 0;
}

static int create_vs(struct reload *r, const struct cpool_vs_spec *spec,
		     const struct cpool_vserver *out)
{
	struct cpoold *d = r->d;
	struct vsrv *v;
	int ret = pool_vs_add(d, spec, out);

	if (ret)
		return cpool_error_set(&r->why, ret, "out of memory");
	v = &d->vs[d->n_vs - 1];
	ret = cpool_cg_vs_create(&d->pool, out, &v->cg, &r->why);
	if (ret) {
		d->n_vs--;
		return ret;
	}
	pool_vs_log_partition(v);
	pool_vs_persist(d, v);
	crash_point(CRASH_RELOAD_VS_CREATED);
	return 0;
}

/* The kernel and the store, in the order that frees CPUs before they are taken. */
static int apply_vservers(struct reload *r)
{
	struct cpoold *d = r->d;
	char cpus[1024];
	int ret;

	for (int i = 0; i < r->n_plan; i++) {
		struct vs_plan *pl = &r->plan[i];
		char name[CPOOL_VS_NAME_MAX + 1];

		if (pl->action != VS_DESTROY && pl->action != VS_REMAKE)
			continue;
		snprintf(name, sizeof(name), "%s", d->vs[pl->live].vs.name);
		/* Indexes of the VSs after it move down. */
		for (int k = 0; k < r->n_plan; k++)
			if (r->plan[k].live > pl->live)
				r->plan[k].live--;
		pl->live = -1;
		if ((ret = destroy_vs(r, name)))
			return ret;
		if (pl->action == VS_DESTROY)
			change(r, "vserver %s destroyed", name);
	}
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < r->n_plan; i++) {
			struct vs_plan *pl = &r->plan[i];
			struct vsrv *v;

			if (pl->action != VS_RESIZE || resize_order(pl) != pass)
				continue;
			v = &d->vs[pl->live];
			ret = cpool_cg_vs_resize(&d->pool, &pl->out, &v->cg, &r->why);
			if (ret)
				return ret;
			v->spec = r->nc.vs[pl->spec];
			v->vs = pl->out;
			pool_vs_persist(d, v);
			crash_point(CRASH_RELOAD_VS_RESIZED);
			cpool_cpuset_format(&v->vs.cpus, cpus, sizeof(cpus));
			change(r, "vserver %s resized: CPUs %s", v->vs.name, cpus);
		}
	for (int i = 0; i < r->n_plan; i++) {
		struct vs_plan *pl = &r->plan[i];

		if (pl->action != VS_CREATE && pl->action != VS_REMAKE)
			continue;
		if ((ret = create_vs(r, &r->nc.vs[pl->spec], &pl->out)))
			return ret;
		cpool_cpuset_format(&pl->out.cpus, cpus, sizeof(cpus));
		change(r, "vserver %s %s: CPUs %s", pl->out.name,
		       pl->action == VS_CREATE ? "created" : "placed anew", cpus);
	}
	return 0;
}

/*
 * One of policy, placement, quantum, admit_p99: the file's value when it
 * changed since it was last seen.
 */
static void policy_key(struct cpoold *d, const char *key, const char *file_value, json_t *changes)
{
	char skey[64], *last;

	snprintf(skey, sizeof(skey), "config.%s", key);
	last = cpool_store_setting_get(d->store, skey);
	if (!file_value) {
		if (last && *last)
			cpool_store_setting_put(d->store, skey, "");
		free(last);
		return;
	}
	if (last && strcmp(last, file_value) == 0) {
		free(last);
		return;
	}
	free(last);
	if (strcmp(key, "policy") == 0)
		cpool_sched_parse(file_value, &d->policy.sched);
	else if (strcmp(key, "placement") == 0)
		cpool_place_parse(file_value, &d->policy.place);
	else if (strcmp(key, "quantum") == 0)
		d->policy.quantum_us = atoll(file_value);
	else
		d->policy.admit_p99_us = atoll(file_value);
	snprintf(skey, sizeof(skey), "%s%s", key,
		 strcmp(key, "quantum") && strcmp(key, "admit_p99") ? "" : "_us");
	cpool_store_setting_put(d->store, skey, file_value);
	snprintf(skey, sizeof(skey), "config.%s", key);
	cpool_store_setting_put(d->store, skey, file_value);
	if (changes)
		json_array_append_new(changes,
				      json_sprintf("%s %s (pool.ini changed it)", key, file_value));
}

void reload_policy_settings(struct cpoold *d, const struct cpool_pool_config *c, json_t *changes)
{
	char quantum[32], admit[32];

	policy_key(d, "policy", c->sched >= 0 ? cpool_sched_name((enum cpool_sched)c->sched) : NULL,
		   changes);
	policy_key(d, "placement",
		   c->placement_set ? cpool_place_name((enum cpool_place)c->placement) : NULL,
		   changes);
	snprintf(quantum, sizeof(quantum), "%lld", (long long)llround(c->quantum * 1e6));
	policy_key(d, "quantum", c->quantum > 0 ? quantum : NULL, changes);
	snprintf(admit, sizeof(admit), "%lld", (long long)llround(c->admit_p99 * 1e6));
	policy_key(d, "admit_p99", c->admit_p99 >= 0 ? admit : NULL, changes);
	share_set_half_life(d, c->fairshare_half_life);
}

static void remember(struct cpoold *d, int err, const char *message, json_t *changes)
{
	json_decref(d->last_reload);
	d->last_reload = json_pack("{s:f, s:b, s:s, s:O}", "time", now_s(), "ok", !err, "message",
				   message, "changes", changes);
}

int reload_run(struct cpoold *d, json_t **result, struct cpool_error *e)
{
	struct reload r = { .d = d, .changes = json_array() };
	struct cpool_planner *planner = NULL;
	int ret;

	*result = NULL;
	ret = cpool_config_load(&r.nc, d->config_path, &r.why);
	if (!ret)
		ret = check_restart_only(&r);
	if (!ret)
		ret = diff_vservers(&r);
	if (!ret)
		ret = plan_scratch(&r, &planner);
	if (ret) {
		log_err("reload of %s refused, nothing changed: %s", d->config_path, r.why.msg);
		remember(d, ret, r.why.msg, r.changes);
		cpool_error_set(e, ret, "reload of %s refused, nothing changed: %s", d->config_path,
				r.why.msg);
		goto out;
	}
	ret = apply_vservers(&r);
	/*
	 * From here the new plan is the pool's, even after a kernel step
	 * failed: the planner must keep the CPUs of what was applied.
	 */
	cpool_planner_free(d->planner);
	d->planner = planner;
	if (ret) {
		log_err("reload of %s stopped part-way: %s; restart cpoold to make the pool match "
			"the file",
			d->config_path, r.why.msg);
		remember(d, ret, r.why.msg, r.changes);
		cpool_error_set(e, ret, "reload of %s stopped part-way: %s", d->config_path,
				r.why.msg);
		goto out;
	}
	reload_policy_settings(d, &r.nc, r.changes);
	cpool_config_free(&d->cfg);
	d->cfg = r.nc;
	r.nc.vs = NULL;
	pool_save_api_vservers(d);
	crash_point(CRASH_RELOAD_STORED);
	log_info("reloaded %s: %zu changes", d->config_path, json_array_size(r.changes));
	for (size_t i = 0; i < json_array_size(r.changes); i++)
		log_info("reload: %s", json_string_value(json_array_get(r.changes, i)));
	remember(d, 0, "applied", r.changes);
	*result = json_pack("{s:s, s:O}", "config", d->config_path, "changes", r.changes);
	sched_kick(d);
out:
	cpool_config_free(&r.nc);
	json_decref(r.changes);
	free(r.plan);
	return ret;
}
