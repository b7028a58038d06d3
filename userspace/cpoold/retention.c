// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * [pool] retention: samples and ended jobs older than it are deleted from
 * the store, in batches of RETENTION_BATCH rows, one batch a loop round,
 * so a large backlog (a first start with months of samples) never holds
 * the loop for longer than one small transaction.  A pass runs a minute
 * after start and then every RETENTION_PERIOD_NS; while batches come back
 * full the next one follows after RETENTION_NEXT_BATCH_NS, time for every
 * other event in between.
 */
#include <errno.h>
#include <string.h>

#include "cpoold.h"

#define RETENTION_BATCH 500
#define RETENTION_FIRST_NS (60 * 1000000000ULL)
#define RETENTION_PERIOD_NS (600 * 1000000000ULL)
#define RETENTION_NEXT_BATCH_NS (20 * 1000000ULL)

static void log_pass(struct cpoold *d)
{
	if (d->retention_pruned_samples || d->retention_pruned_jobs)
		log_info("retention %.0fd: deleted %lld samples and %lld ended jobs",
			 d->cfg.retention_s / 86400, d->retention_pruned_samples,
			 d->retention_pruned_jobs);
	d->retention_pruned_samples = d->retention_pruned_jobs = 0;
}

bool retention_batch(struct cpoold *d)
{
	double before = now_s() - d->cfg.retention_s;
	int n, m = 0;

	n = cpool_store_prune_samples(d->store, before, RETENTION_BATCH);
	if (n >= 0 && n < RETENTION_BATCH)
		m = cpool_store_prune_jobs(d->store, before, RETENTION_BATCH - n);
	if (n < 0 || m < 0) {
		log_warn("retention: delete old rows: %s", cpool_store_errmsg(d->store));
		log_pass(d);
		return false;
	}
	d->retention_pruned_samples += n;
	d->retention_pruned_jobs += m;
	if (n + m == RETENTION_BATCH)
		return true;
	log_pass(d);
	return false;
}

static void on_retention(struct cpool_evsource *src, uint32_t events, void *data)
{
	struct cpoold *d = data;

	(void)events;
	cpool_evloop_timer_set(
		src, retention_batch(d) ? RETENTION_NEXT_BATCH_NS : RETENTION_PERIOD_NS, 0);
}

int retention_start(struct cpoold *d)
{
	int r;

	if (d->cfg.retention_s <= 0)
		return 0; /* retention = off */
	r = cpool_evloop_add_timer(d->loop, RETENTION_FIRST_NS, 0, on_retention, d,
				   &d->retention_timer);
	if (r)
		log_err("retention timer: %s", strerror(-r));
	else
		cpool_evsource_set_name(d->retention_timer, "retention batch");
	return r;
}
