// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The virtual servers: planned from the configuration (and from VSs created
 * through the API, which the store remembers), made real as cgroups, and
 * the CPUs of each VS handed to its running jobs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpoold.h"
#include "cpool/units.h"

struct vsrv *pool_find(struct cpoold *d, const char *name)
{
	int i = pool_index(d, name);

	return i < 0 ? NULL : &d->vs[i];
}

int pool_index(struct cpoold *d, const char *name)
{
	for (int i = 0; i < d->n_vs; i++)
		if (strcmp(d->vs[i].vs.name, name) == 0)
			return i;
	return -1;
}

int pool_take_cpus(struct vsrv *v, int n, struct cpool_cpuset *out)
{
	struct cpool_cpuset free;
	int got = 0;

	cpool_cpuset_andnot(&free, &v->vs.cpus, &v->busy);
	if (cpool_cpuset_count(&free) < n)
		return -ENOSPC;
	cpool_cpuset_zero(out);
	/* Lowest first: the planner numbered SMT siblings and L3 groups together. */
	for (int c = cpool_cpuset_first(&free); c >= 0 && got < n;
	     c = cpool_cpuset_next(&free, c)) {
		cpool_cpuset_set(out, c);
		got++;
	}
	cpool_cpuset_or(&v->busy, &v->busy, out);
	return 0;
}

void pool_give_cpus(struct vsrv *v, const struct cpool_cpuset *cpus)
{
	cpool_cpuset_andnot(&v->busy, &v->busy, cpus);
}

static void put_job_key(const char *key, const char *value, void *ctx)
{
	json_object_set_new(ctx, key, json_string(value));
}

/* The spec as config-style strings: what the store keeps and vs.list shows. */
static json_t *spec_json(const struct cpool_vs_spec *s)
{
	char buf[8192];
	json_t *o = json_object();

	if (s->cpus_explicit)
		cpool_cpuset_format(&s->cpu_list, buf, sizeof(buf));
	else
		snprintf(buf, sizeof(buf), "%d", s->cpus);
	json_object_set_new(o, "cpus", json_string(buf));
	json_object_set_new(o, "numa", json_string(cpool_numa_name(s->numa)));
	if (s->mems_explicit) {
		cpool_cpuset_format(&s->mems, buf, sizeof(buf));
		json_object_set_new(o, "mems", json_string(buf));
	}
	json_object_set_new(o, "exclusive", json_string(s->exclusive ? "yes" : "no"));
	json_object_set_new(o, "smt", json_string(cpool_smt_name(s->smt)));
	if (s->limits.memory_max) {
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)s->limits.memory_max);
		json_object_set_new(o, "memory", json_string(buf));
	}
	if (s->limits.memory_high) {
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)s->limits.memory_high);
		json_object_set_new(o, "memory_high", json_string(buf));
	}
	if (s->limits.cpu_weight) {
		snprintf(buf, sizeof(buf), "%u", s->limits.cpu_weight);
		json_object_set_new(o, "cpu_weight", json_string(buf));
	}
	if (s->limits.cpu_max_quota_us) {
		snprintf(buf, sizeof(buf), "%llu %llu",
			 (unsigned long long)s->limits.cpu_max_quota_us,
			 (unsigned long long)(s->limits.cpu_max_period_us ?: 100000));
		json_object_set_new(o, "cpu_max", json_string(buf));
	}
	if (s->limits.pids_max) {
		snprintf(buf, sizeof(buf), "%u", s->limits.pids_max);
		json_object_set_new(o, "pids_max", json_string(buf));
	}
	cpool_job_limits_each(&s->job, put_job_key, o);
	return o;
}

/* Apply config-style keys (strings, integers or booleans) to @spec. */
int pool_spec_apply(struct cpool_vs_spec *spec, json_t *keys, struct cpool_error *error)
{
	const char *key;
	json_t *v;

	json_object_foreach(keys, key, v) {
		struct cpool_error why;
		char val[64];
		const char *text = val;
		int r;

		if (json_is_string(v))
			text = json_string_value(v);
		else if (json_is_integer(v))
			snprintf(val, sizeof(val), "%lld", (long long)json_integer_value(v));
		else if (json_is_boolean(v))
			snprintf(val, sizeof(val), "%s", json_is_true(v) ? "yes" : "no");
		else
			val[0] = '\0';
		r = cpool_vs_spec_set(spec, key, text, &why);
		if (r)
			return cpool_error_set(error, r, "vserver %s: %s", spec->name, why.msg);
	}
	return 0;
}

static int persist_vs(struct cpoold *d, const struct vsrv *v)
{
	char cpus[8192], mems[1024], *spec;
	json_t *o = spec_json(&v->spec);
	int r;

	cpool_cpuset_format(&v->vs.cpus, cpus, sizeof(cpus));
	cpool_cpuset_format(&v->vs.mems, mems, sizeof(mems));
	spec = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	r = cpool_store_vs_put(d->store, v->vs.name, spec, cpus, mems);
	free(spec);
	return r;
}

static void log_partition(const struct vsrv *v)
{
	if (v->cg.partition_refused)
		log_warn("vserver %s: the kernel refused the exclusive cpuset partition (%s%s%s); "
			 "it runs confined to its CPUs without one",
			 v->vs.name, cpool_cg_partition_name(v->cg.partition.kind),
			 v->cg.partition.reason[0] ? ": " : "", v->cg.partition.reason);
}

static int add_vs(struct cpoold *d, const struct cpool_vs_spec *spec,
		  const struct cpool_vserver *vs)
{
	struct vsrv *arr = realloc(d->vs, (size_t)(d->n_vs + 1) * sizeof(*arr));

	if (!arr)
		return -ENOMEM;
	d->vs = arr;
	memset(&arr[d->n_vs], 0, sizeof(arr[0]));
	arr[d->n_vs].spec = *spec;
	arr[d->n_vs].vs = *vs;
	d->n_vs++;
	return 0;
}

/* VSs the API created in an earlier life: not in the config, but in the store. */
static int load_api_vservers(struct cpoold *d)
{
	char *list = cpool_store_setting_get(d->store, "api_vservers");
	json_t *names, *n;
	size_t i;
	int r = 0;

	if (!list)
		return 0;
	names = json_loads(list, 0, NULL);
	free(list);
	json_array_foreach(names, i, n) {
		const char *name = json_string_value(n);
		struct cpool_error err;
		char key[128], *spec_text;
		struct cpool_vs_spec spec;
		struct cpool_vserver out;
		json_t *spec_obj;

		if (!name || pool_find(d, name))
			continue;
		snprintf(key, sizeof(key), "vs_spec:%s", name);
		spec_text = cpool_store_setting_get(d->store, key);
		spec_obj = spec_text ? json_loads(spec_text, 0, NULL) : NULL;
		free(spec_text);
		cpool_vs_spec_init(&spec, name);
		r = spec_obj ? pool_spec_apply(&spec, spec_obj, &err) : -EINVAL;
		json_decref(spec_obj);
		if (!r)
			r = cpool_planner_place(d->planner, &spec, d->cfg.placement, &out, &err);
		if (r) {
			log_err("vserver %s (created through the API) cannot be placed again: %s",
				name, err.msg);
			continue;
		}
		add_vs(d, &spec, &out);
	}
	json_decref(names);
	return 0;
}

static int save_api_vservers(struct cpoold *d)
{
	json_t *names = json_array();
	char *text;
	int r;

	for (int i = 0; i < d->n_vs; i++) {
		bool in_config = false;

		for (int k = 0; k < d->cfg.nr_vs; k++)
			in_config |= strcmp(d->cfg.vs[k].name, d->vs[i].vs.name) == 0;
		if (in_config)
			continue;
		json_array_append_new(names, json_string(d->vs[i].vs.name));
		{
			char key[128], *spec;
			json_t *o = spec_json(&d->vs[i].spec);

			snprintf(key, sizeof(key), "vs_spec:%s", d->vs[i].vs.name);
			spec = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
			json_decref(o);
			cpool_store_setting_put(d->store, key, spec);
			free(spec);
		}
	}
	text = json_dumps(names, JSON_COMPACT);
	json_decref(names);
	r = cpool_store_setting_put(d->store, "api_vservers", text);
	free(text);
	return r;
}

int pool_setup(struct cpoold *d)
{
	struct cpool_error err;
	char root[PATH_MAX / 2];
	char(*errs)[256] = NULL;
	struct cpool_vserver *placed = NULL;
	struct cpool_cg_adopt_report rep = { 0 };
	struct cpool_vserver *all = NULL;
	struct cpool_error e = { 0 };
	struct cpool_cpuset reserved;
	int r, failed;

	r = cpool_config_load(&d->cfg, d->config_path, &err);
	if (r) {
		log_err("%s", err.msg);
		return r;
	}
	d->topo = calloc(1, sizeof(*d->topo));
	if (!d->topo)
		return -ENOMEM;
	r = cpool_topology_load(d->topo, NULL, NULL, &err);
	if (r) {
		log_err("read the machine's topology: %s", err.msg);
		return r;
	}
	r = cpool_cg_require_v2(&e);
	if (r) {
		log_err("%s", e.msg);
		return r;
	}
	if (d->cgroup_root)
		snprintf(root, sizeof(root), "%s", d->cgroup_root);
	else if ((r = cpool_cg_default_root(d->cfg.name, root, sizeof(root), &e))) {
		log_err("%s", e.msg);
		return r;
	}
	{
		char abs[PATH_MAX];

		snprintf(abs, sizeof(abs), "%s/%s", CPOOL_CG_MOUNT, root);
		d->pool_created = access(abs, F_OK) < 0 && errno == ENOENT;
	}
	r = cpool_cg_pool_open(&d->pool, root, &e);
	if (r) {
		d->pool_created = false;
		log_err("%s", e.msg);
		return r;
	}
	if (d->cfg.reserved_set)
		reserved = d->cfg.reserved;
	else
		cpool_planner_default_reserved(d->topo, &reserved);
	r = cpool_planner_new(&d->planner, d->topo, &reserved, &err);
	if (r) {
		log_err("%s: reserved_cpus: %s", d->config_path, err.msg);
		return r;
	}
	/* Only what the cgroup2 root may hand out can be planned. */
	cpool_planner_restrict(d->planner, &d->pool.machine_cpus);

	placed = calloc((size_t)d->cfg.nr_vs + 1, sizeof(*placed));
	errs = calloc((size_t)d->cfg.nr_vs + 1, sizeof(*errs));
	if (!placed || !errs) {
		r = -ENOMEM;
		goto out;
	}
	failed = cpool_planner_place_all(d->planner, d->cfg.vs, d->cfg.nr_vs, d->cfg.placement,
					 placed, errs);
	if (failed) {
		for (int i = 0; i < d->cfg.nr_vs; i++)
			if (errs[i][0])
				log_err("%s: %s", d->config_path, errs[i]);
		r = -ENOSPC;
		goto out;
	}
	for (int i = 0; i < d->cfg.nr_vs; i++)
		if ((r = add_vs(d, &d->cfg.vs[i], &placed[i])))
			goto out;
	load_api_vservers(d);

	/* Make the kernel's tree match, leaving running jobs alone. */
	all = calloc((size_t)d->n_vs + 1, sizeof(*all));
	if (!all) {
		r = -ENOMEM;
		goto out;
	}
	for (int i = 0; i < d->n_vs; i++)
		all[i] = d->vs[i].vs;
	r = cpool_cg_adopt(&d->pool, all, d->n_vs, &rep, &e);
	if (r) {
		log_err("%s", e.msg);
		goto out;
	}
	for (int i = 0; i < rep.count; i++) {
		const struct cpool_cg_adopt_entry *a = &rep.entries[i];
		char drift[256];

		cpool_cg_drift_format(a->drift, drift, sizeof(drift));
		if (a->action == CPOOL_CG_ADOPT_CORRECTED)
			log_warn(
				"vserver %s: changed behind cpool's back (%s); configuration re-applied",
				a->name, drift);
		else if (a->action == CPOOL_CG_ADOPT_UNKNOWN &&
			 strcmp(a->name, CPOOL_CG_SYSTEM_VS) != 0)
			log_warn(
				"vserver %s: in the pool's cgroup tree but not configured; left alone "
				"(%d jobs)",
				a->name, a->jobs);
		else if (a->action != CPOOL_CG_ADOPT_UNKNOWN)
			log_info("vserver %s: %s", a->name, cpool_cg_adopt_action_name(a->action));
	}
	for (int i = 0; i < d->n_vs; i++) {
		struct cpool_vserver back;

		if (cpool_cg_vs_read(&d->pool, d->vs[i].vs.name, &back, &d->vs[i].cg, &e) == 0)
			log_partition(&d->vs[i]);
		persist_vs(d, &d->vs[i]);
	}
	r = cpool_cg_enter_system(&d->pool, cpool_planner_reserved(d->planner), &e);
	if (r) {
		log_err("%s", e.msg);
		goto out;
	}
	log_info("pool %s at %s: %d virtual servers on %d CPUs; reserved for the system: %d CPUs",
		 d->cfg.name, d->pool.path, d->n_vs, cpool_cpuset_count(&d->pool.machine_cpus),
		 cpool_cpuset_count(cpool_planner_reserved(d->planner)));
out:
	free(rep.entries);
	free(all);
	free(placed);
	free(errs);
	return r;
}

void pool_teardown(struct cpoold *d)
{
	cpool_planner_free(d->planner);
	if (d->topo)
		cpool_topology_free(d->topo);
	free(d->topo);
	cpool_config_free(&d->cfg);
	free(d->vs);
}

int pool_vs_create(struct cpoold *d, const char *name, json_t *keys, struct cpool_error *error)
{
	struct cpool_error e = { 0 };
	struct cpool_vs_spec spec;
	struct cpool_vserver out;
	struct vsrv *v;
	int r;

	if (cpool_vs_name_check(name))
		return cpool_error_set(error, -EINVAL,
				       "vserver name '%s': use letters, digits, '-', '_' and '.', "
				       "not starting with '.'",
				       name);
	if (pool_find(d, name) || strcmp(name, CPOOL_CG_SYSTEM_VS) == 0)
		return cpool_error_set(error, -EEXIST, "vserver %s exists already", name);
	cpool_vs_spec_init(&spec, name);
	if ((r = pool_spec_apply(&spec, keys, error)))
		return r;
	r = cpool_planner_place(d->planner, &spec, d->cfg.placement, &out, error);
	if (r)
		return r;
	r = add_vs(d, &spec, &out);
	if (r) {
		cpool_planner_release(d->planner, name);
		return r;
	}
	v = &d->vs[d->n_vs - 1];
	r = cpool_cg_vs_create(&d->pool, &out, &v->cg, &e);
	if (r) {
		cpool_error_set(error, r, "%s", e.msg);
		cpool_planner_release(d->planner, name);
		d->n_vs--;
		return r;
	}
	log_partition(v);
	persist_vs(d, v);
	save_api_vservers(d);
	log_info("vserver %s created", name);
	return 0;
}

int pool_vs_resize(struct cpoold *d, const char *name, json_t *keys, struct cpool_error *error)
{
	struct cpool_error e = { 0 };
	struct vsrv *v = pool_find(d, name);
	struct cpool_vs_spec spec;
	struct cpool_vserver out;
	int r;

	if (!v)
		return cpool_error_set(error, -ENOENT, "no vserver %s", name);
	spec = v->spec;
	if ((r = pool_spec_apply(&spec, keys, error)))
		return r;
	if (spec.numa != v->spec.numa || spec.smt != v->spec.smt || spec.cpus_explicit ||
	    spec.mems_explicit != v->spec.mems_explicit) {
		return cpool_error_set(
			error, -EINVAL,
			"vserver %s: resize changes cpus and limits; numa, smt, mems "
			"and explicit CPU lists need destroy and create",
			name);
	}
	out = v->vs;
	if (spec.cpus != v->spec.cpus) {
		if (spec.cpus < cpool_cpuset_count(&v->busy)) {
			return cpool_error_set(
				error, -EBUSY,
				"vserver %s: %d CPUs are in use by running jobs; cannot "
				"shrink to %d",
				name, cpool_cpuset_count(&v->busy), spec.cpus);
		}
		r = cpool_planner_resize(d->planner, name, spec.cpus, &out, error);
		if (r)
			return r;
		/* Running jobs keep their CPUs: shrinking gives back free ones only. */
		if (!cpool_cpuset_subset(&v->busy, &out.cpus)) {
			struct cpool_vserver undo;

			cpool_planner_resize(d->planner, name, v->spec.cpus, &undo, error);
			return cpool_error_set(
				error, -EBUSY,
				"vserver %s: shrinking would take CPUs running jobs use", name);
		}
	}
	out.limits = spec.limits;
	r = cpool_cg_vs_resize(&d->pool, &out, &v->cg, &e);
	if (r) {
		struct cpool_vserver undo;

		if (spec.cpus != v->spec.cpus)
			cpool_planner_resize(d->planner, name, v->spec.cpus, &undo, error);
		return cpool_error_set(error, r, "%s", e.msg);
	}
	crash_point(CRASH_VS_RESIZE_CGROUP_APPLIED);
	v->spec = spec;
	v->vs = out;
	persist_vs(d, v);
	save_api_vservers(d);
	crash_point(CRASH_VS_RESIZE_STORED);
	log_info("vserver %s resized", name);
	return 0;
}

int pool_vs_destroy(struct cpoold *d, const char *name, struct cpool_client *c, json_int_t req_id,
		    struct cpool_error *error)
{
	int i = pool_index(d, name);

	if (i < 0)
		return cpool_error_set(error, -ENOENT, "no vserver %s", name);
	if (d->vs[i].destroying)
		return cpool_error_set(error, -EALREADY, "vserver %s is being destroyed already",
				       name);
	/* Its jobs end first, through the normal path, so each is accounted. */
	for (struct djob *j = d->jobs, *next; j; j = next) {
		struct cpool_error why;

		next = j->next; /* a queued job is retired (freed) at once */
		if (strcmp(j->rec.vs ?: "", name) == 0 || strcmp(j->pol.vs, name) == 0)
			jobs_cancel(d, j, &why);
	}
	crash_point(CRASH_VS_DESTROY_JOBS_KILLED);
	/* Answered (pool_vs_remove) once cgroup.events says it is empty. */
	return vs_destroy_start(d, &d->vs[i], c, req_id, error);
}

int pool_vs_remove(struct cpoold *d, const char *name, struct cpool_error *error)
{
	struct cpool_error e = { 0 };
	int i = pool_index(d, name);
	int r;

	if (i < 0)
		return cpool_error_set(error, -ENOENT, "no vserver %s", name);
	/* Empty already: no wait. */
	r = cpool_cg_vs_destroy(&d->pool, name, 0, &e);
	if (r)
		return cpool_error_set(error, r, "%s", e.msg);
	crash_point(CRASH_VS_DESTROY_CGROUP_REMOVED);
	cpool_planner_release(d->planner, name);
	cpool_store_vs_delete(d->store, name);
	memmove(&d->vs[i], &d->vs[i + 1], (size_t)(d->n_vs - i - 1) * sizeof(d->vs[0]));
	d->n_vs--;
	save_api_vservers(d);
	crash_point(CRASH_VS_DESTROY_STORED);
	log_info("vserver %s destroyed", name);
	return 0;
}

void pool_vs_jobs(struct cpoold *d, const struct vsrv *v, int *running, int *queued)
{
	*running = *queued = 0;
	for (struct djob *j = d->jobs; j; j = j->next) {
		if (strcmp(j->pol.vs, v->vs.name) != 0)
			continue;
		*running += jobs_running(j);
		*queued += !jobs_running(j);
	}
}

json_t *pool_vs_json(struct cpoold *d, const struct vsrv *v)
{
	char cpus[8192], mems[1024];
	int running, queued;
	json_t *o;

	pool_vs_jobs(d, v, &running, &queued);
	cpool_cpuset_format(&v->vs.cpus, cpus, sizeof(cpus));
	cpool_cpuset_format(&v->vs.mems, mems, sizeof(mems));
	o = json_pack("{s:s, s:s, s:s, s:b, s:s, s:I, s:i, s:i, s:i, s:i, s:o}", "name", v->vs.name,
		      "cpus", cpus, "mems", mems, "exclusive", v->vs.exclusive, "partition",
		      cpool_cg_partition_name(v->cg.partition.kind), "memory_max",
		      (json_int_t)v->vs.limits.memory_max, "cpu_weight",
		      (int)(v->vs.limits.cpu_weight ?: 100), "running", running, "queued", queued,
		      "free_cpus", cpool_cpuset_count(&v->vs.cpus) - cpool_cpuset_count(&v->busy),
		      "spec", spec_json(&v->spec));
	if (v->measured) {
		json_object_set_new(o, "rul", json_real(v->rul));
		json_object_set_new(o, "rq_p99_us", json_integer(v->rq_p99_us));
	}
	return o;
}

int pool_vs_add(struct cpoold *d, const struct cpool_vs_spec *spec, const struct cpool_vserver *vs)
{
	return add_vs(d, spec, vs);
}

int pool_vs_persist(struct cpoold *d, const struct vsrv *v)
{
	return persist_vs(d, v);
}

void pool_vs_log_partition(const struct vsrv *v)
{
	log_partition(v);
}

int pool_save_api_vservers(struct cpoold *d)
{
	return save_api_vservers(d);
}
