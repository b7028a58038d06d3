// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* Adopt: a restarted daemon reads its pool back and reconciles it with the configuration. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup_internal.h"
#include "cpool/enum_names.h"

static const char *const adopt_action_table[] = {
	[CPOOL_CG_ADOPT_KEPT] = "kept",
	[CPOOL_CG_ADOPT_CREATED] = "created",
	[CPOOL_CG_ADOPT_CORRECTED] = "corrected",
	[CPOOL_CG_ADOPT_UNKNOWN] = "unknown",
};
static struct cpool_enum_names adopt_action_names = CPOOL_ENUM_NAMES(adopt_action_table);

const char *cpool_cg_adopt_action_name(enum cpool_cg_adopt_action a)
{
	return cpool_enum_name(&adopt_action_names, (int)a);
}

static int count_jobs(struct cpool_cg_pool *pool, struct cpool_cg_adopt_entry *ent,
		      struct cpool_error *e)
{
	char(*jobs)[CPOOL_VS_NAME_MAX + 1];
	char rel[2 * CPOOL_VS_NAME_MAX + 2];
	struct cpool_cg_events ev;
	int n, err;

	err = cpool_cg_job_list(pool, ent->name, &jobs, &n, e);
	if (err)
		return err;
	ent->jobs = n;
	for (int i = 0; i < n && !err; i++) {
		if (snprintf(rel, sizeof(rel), "%s/%s", ent->name, jobs[i]) >= (int)sizeof(rel))
			continue;
		err = cpool_cg_read_events(pool, rel, &ev, e);
		if (!err && ev.populated)
			ent->running++;
	}
	free(jobs);
	return err;
}

int cpool_cg_adopt(struct cpool_cg_pool *pool, const struct cpool_vserver *cfg, int nr_cfg,
		   struct cpool_cg_adopt_report *rep, struct cpool_error *e)
{
	char(*names)[CPOOL_VS_NAME_MAX + 1];
	struct cpool_cg_adopt_entry *ents;
	struct cpool_cg_vs_state st;
	int n, k = 0, err;

	memset(rep, 0, sizeof(*rep));
	/* The whole configuration is checked first, so a bad one changes nothing. */
	for (int i = 0; i < nr_cfg; i++)
		if (cpool_cg_vs_check(&cfg[i], &pool->machine_cpus, &pool->machine_mems, cfg,
				      nr_cfg, e))
			return cpool_error_prefix(e, "adopt %s", pool->path);
	err = cpool_cg_vs_list(pool, &names, &n, e);
	if (err)
		return err;
	ents = calloc((size_t)(n + nr_cfg) + 1, sizeof(*ents));
	if (!ents) {
		free(names);
		return cpool_cg_fail(e, ENOMEM, "adopt %s: out of memory", pool->path);
	}
	/* What is there: compare, never touch a job leaf. */
	for (int i = 0; i < n && !err; i++) {
		struct cpool_cg_adopt_entry *ent = &ents[k++];
		const struct cpool_vserver *want = NULL;

		memcpy(ent->name, names[i], sizeof(ent->name));
		for (int j = 0; j < nr_cfg; j++)
			if (strcmp(cfg[j].name, names[i]) == 0)
				want = &cfg[j];
		err = cpool_cg_vs_read(pool, names[i], &ent->found, NULL, e);
		if (!err)
			err = count_jobs(pool, ent, e);
		if (err)
			break;
		if (!want) {
			ent->action = CPOOL_CG_ADOPT_UNKNOWN;
			continue;
		}
		ent->drift = cpool_cg_vs_drift(want, &ent->found);
		ent->action = ent->drift ? CPOOL_CG_ADOPT_CORRECTED : CPOOL_CG_ADOPT_KEPT;
	}
	/* Corrections after all reads, so each resize is checked against the adopted tree. */
	for (int i = 0; i < k && !err; i++) {
		if (ents[i].action != CPOOL_CG_ADOPT_CORRECTED)
			continue;
		for (int j = 0; j < nr_cfg; j++)
			if (strcmp(cfg[j].name, ents[i].name) == 0)
				err = cpool_cg_vs_resize(pool, &cfg[j], &st, e);
	}
	/* What is missing: create. */
	for (int j = 0; j < nr_cfg && !err; j++) {
		bool found = false;

		for (int i = 0; i < n; i++)
			found |= strcmp(cfg[j].name, names[i]) == 0;
		if (found)
			continue;
		err = cpool_cg_vs_create(pool, &cfg[j], &st, e);
		if (!err) {
			memcpy(ents[k].name, cfg[j].name, sizeof(ents[k].name));
			ents[k].found = cfg[j];
			ents[k++].action = CPOOL_CG_ADOPT_CREATED;
		}
	}
	free(names);
	if (err) {
		free(ents);
		return err;
	}
	rep->entries = ents;
	rep->count = k;
	return 0;
}
