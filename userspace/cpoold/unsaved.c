// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Jobs that ended while the store could not take their end (disk full, a
 * read-only or broken database).  Such a job is never forgotten: it stays
 * here, off the job table (nothing schedules, counts or cancels it), shown
 * by `ps` with "unsaved" and answered to `wait` from memory, while its end
 * is retried on the loop's timer with a backoff from 1 s to 1 min.  Its
 * supervisor's records stay until the end is stored, so a daemon killed
 * meanwhile accounts the job from them at its next start.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cpoold.h"

#define RETRY_FIRST_NS 1000000000ULL
#define RETRY_MAX_NS (60 * 1000000000ULL)

static void on_retry(struct cpool_evsource *src, uint32_t events, void *data);

static void arm(struct cpoold *d)
{
	if (!d->loop)
		return; /* no loop (a unit test without one): retried by unsaved_retry() only */
	if (!d->unsaved_timer && cpool_evloop_add_timer(d->loop, d->unsaved_backoff_ns, 0, on_retry,
							d, &d->unsaved_timer)) {
		log_err("store retry timer: %s", strerror(errno));
		return;
	}
	cpool_evloop_timer_set(d->unsaved_timer, d->unsaved_backoff_ns, 0);
}

void unsaved_keep(struct cpoold *d, struct djob *j)
{
	/* Its waiters have their answer: the job's end, from memory. */
	while (j->waiters) {
		struct waiter *w = j->waiters;

		j->waiters = w->next;
		free(w);
	}
	j->unsaved_tries = 1;
	j->unsaved_seq = ++d->unsaved_seq;
	j->next = d->unsaved;
	d->unsaved = j;
	log_warn("job %lld %s, but its end is not stored yet: kept in memory and retried",
		 (long long)j->rec.id, cpool_job_state_name(j->rec.state));
	if (!d->unsaved_backoff_ns)
		d->unsaved_backoff_ns = RETRY_FIRST_NS;
	arm(d);
}

struct djob *unsaved_find(struct cpoold *d, int64_t id)
{
	for (struct djob *j = d->unsaved; j; j = j->next)
		if (j->rec.id == id)
			return j;
	return NULL;
}

int unsaved_retry(struct cpoold *d)
{
	struct djob **pp = &d->unsaved;
	int left = 0;

	while (*pp) {
		struct djob *j = *pp;

		j->unsaved_tries++;
		if (cpool_store_job_update(d->store, &j->rec)) {
			log_err("job %lld: store its end (try %d): %s", (long long)j->rec.id,
				j->unsaved_tries, cpool_store_errmsg(d->store));
			left++;
			pp = &j->next;
			continue;
		}
		/* The same durable steps as a job's first try at its end. */
		crash_point(CRASH_EXIT_STORED);
		cpool_job_record_remove(d->record_dir, j->rec.id);
		crash_point(CRASH_EXIT_RECORDS_REMOVED);
		log_info("job %lld: its end is stored (try %d)", (long long)j->rec.id,
			 j->unsaved_tries);
		*pp = j->next;
		jobs_free(j);
	}
	if (!left) {
		d->unsaved_backoff_ns = 0;
		return 0;
	}
	d->unsaved_backoff_ns =
		d->unsaved_backoff_ns * 2 > RETRY_MAX_NS ? RETRY_MAX_NS : d->unsaved_backoff_ns * 2;
	arm(d);
	return left;
}

static void on_retry(struct cpool_evsource *src, uint32_t events, void *data)
{
	(void)src;
	(void)events;
	unsaved_retry(data);
}

void unsaved_free(struct cpoold *d)
{
	int n = 0;

	while (d->unsaved) {
		struct djob *j = d->unsaved;

		d->unsaved = j->next;
		jobs_free(j);
		n++;
	}
	if (n)
		log_err("%d job ends were never stored: their records stay, and the next start "
			"accounts them",
			n);
	if (d->unsaved_timer)
		cpool_evloop_remove(d->unsaved_timer);
	d->unsaved_timer = NULL;
}
