// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Fair share in the daemon: each job leaf's CPU time, as the collector
 * measures it every interval, is charged to the job's uid
 * (include/cpool/fairshare.h); before each scheduling round every queued
 * job gets its user's factor.  The table is kept in the store as one
 * setting, written at most every SHARE_STORE_US when something was
 * charged, and at exit, so usage survives a restart; a crash loses at most
 * the last 10 s of usage (never a job: jobs are stored on their own).
 * Writing it every 1 s tick was a SQLite commit per second for a figure
 * that decays over days.
 * Usage is on the wall clock: it must decay across the daemon's downtime.
 */
#include <stdlib.h>

#include "cpoold.h"
#include "cpool/fairshare.h"

#define SHARE_SETTING "fairshare.usage"
/* How often the usage is stored while it changes. */
#define SHARE_STORE_US (10 * 1000000LL)
/* Users whose usage decayed below this, with no live job, are forgotten. */
#define SHARE_FLOOR_S 1e-3

static int64_t share_now(void)
{
	return (int64_t)(now_s() * 1e6);
}

void share_init(struct cpoold *d)
{
	char *text;

	cpool_fairshare_init(&d->fs, (int64_t)(d->cfg.fairshare_half_life * 1e6));
	text = cpool_store_setting_get(d->store, SHARE_SETTING);
	if (text && cpool_fairshare_load(&d->fs, text))
		log_warn("fair share: the stored usage is not readable; starting from none");
	free(text);
}

void share_set_half_life(struct cpoold *d, double seconds)
{
	d->fs.half_life_us = (int64_t)(seconds * 1e6);
}

void share_charge(struct cpoold *d, uid_t uid, uint64_t cpu_ns)
{
	if (!cpu_ns)
		return;
	if (cpool_fairshare_charge(&d->fs, (uint32_t)uid, (double)cpu_ns / 1e9, share_now()))
		log_warn("fair share: out of memory charging uid %u", (unsigned)uid);
	else
		d->fs_dirty = true;
}

static int has_live_job(uint32_t uid, void *arg)
{
	struct cpoold *d = arg;

	for (struct djob *j = d->jobs; j; j = j->next)
		if (j->rec.uid == (uid_t)uid)
			return 1;
	return 0;
}

void share_flush(struct cpoold *d)
{
	char *text;

	if (!d->fs_dirty)
		return;
	/* A failing store is tried again at the next due time, not at every tick. */
	d->fs_stored_us = now_us();
	cpool_fairshare_prune(&d->fs, share_now(), SHARE_FLOOR_S, has_live_job, d);
	text = cpool_fairshare_save(&d->fs);
	if (!text || cpool_store_setting_put(d->store, SHARE_SETTING, text))
		log_warn("fair share: store the usage: %s",
			 text ? cpool_store_errmsg(d->store) : "out of memory");
	else
		d->fs_dirty = false;
	free(text);
}

void share_flush_due(struct cpoold *d)
{
	if (d->fs_dirty && now_us() - d->fs_stored_us >= SHARE_STORE_US)
		share_flush(d);
}

void share_set_factors(struct cpoold *d, struct cpool_pjob *const *queued, size_t n)
{
	int64_t now = share_now();
	double *factor;

	for (size_t i = 0; i < n; i++)
		if (cpool_fairshare_touch(&d->fs, queued[i]->job->user))
			break;
	factor = calloc(d->fs.n + 1, sizeof(*factor));
	cpool_fairshare_factors(&d->fs, now, factor ? factor : &(double){ 0 }, NULL);
	for (size_t i = 0; i < n; i++) {
		long k = cpool_fairshare_find(&d->fs, queued[i]->job->user);

		/* Out of memory: every job ties, and the order is FCFS. */
		queued[i]->fairshare = factor && k >= 0 ? factor[k] : 1.0;
	}
	free(factor);
}

json_t *share_json(struct cpoold *d)
{
	int64_t now = share_now();
	double total = 0, *factor = calloc(d->fs.n + 1, sizeof(*factor));
	json_t *users = json_array();

	if (!factor)
		return NULL;
	cpool_fairshare_factors(&d->fs, now, factor, &total);
	for (size_t i = 0; i < d->fs.n; i++) {
		uint32_t uid = d->fs.users[i].uid;
		int running = 0, queued = 0;

		for (struct djob *j = d->jobs; j; j = j->next) {
			if (j->rec.uid != (uid_t)uid)
				continue;
			running += jobs_running(j);
			queued += j->rec.state == CPOOL_JOB_QUEUED ||
				  j->rec.state == CPOOL_JOB_FROZEN;
		}
		json_array_append_new(
			users,
			json_pack("{s:I, s:f, s:f, s:f, s:f, s:i, s:i}", "uid", (json_int_t)uid,
				  "usage", cpool_fairshare_usage(&d->fs, uid, now), "usage_share",
				  total > 0 ? cpool_fairshare_usage(&d->fs, uid, now) / total : 0.0,
				  "share", 1.0 / (double)d->fs.n, "factor", factor[i], "running",
				  running, "queued", queued));
	}
	free(factor);
	return json_pack("{s:s, s:f, s:f, s:o}", "policy", cpool_sched_name(d->policy.sched),
			 "half_life", (double)d->fs.half_life_us / 1e6, "total_usage", total,
			 "users", users);
}

void share_free(struct cpoold *d)
{
	share_flush(d);
	cpool_fairshare_free(&d->fs);
}
