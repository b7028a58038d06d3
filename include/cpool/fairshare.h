/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Fair share: each user's past CPU time, decayed with a half-life, and the
 * factor the fairshare policy ranks their queued jobs by.
 *
 * The factor is Slurm's classic one, F = 2^(-U/S): U is the user's share
 * of all the decayed usage, S the user's share of the pool.  Every user
 * known to the table (one with usage or with queued jobs) has an equal
 * share, so S = 1/N and F = 2^(-N * usage / total).  F is 1 for a user who
 * has used nothing, 1/2 for one who used exactly their share, and tends to
 * 0 for one who used everything; with equal shares it orders users exactly
 * as their decayed usage does, but unlike raw usage it is a number people
 * coming from Slurm's sshare already read, and unequal shares would slot
 * into S without changing the rule.
 *
 * Decay: usage charged at instant t counts 2^(-(now - t) / half_life) at
 * now; a half-life of 0 means no decay.  Each user keeps one number and the
 * instant it was decayed to, so charging and reading are O(1) per user.
 * Times are microseconds on whatever clock the caller uses (the daemon:
 * wall clock, as usage outlives it; the simulator: simulated time).
 */
#ifndef CPOOL_FAIRSHARE_H
#define CPOOL_FAIRSHARE_H

#include <stddef.h>
#include <stdint.h>

#define CPOOL_FAIRSHARE_HALF_LIFE_DEFAULT_US (7LL * 24 * 3600 * 1000000)

struct cpool_fairshare_user {
	uint32_t uid;
	double usage; /* CPU-seconds, decayed to at_us */
	int64_t at_us;
};

struct cpool_fairshare {
	int64_t half_life_us; /* 0: no decay */
	struct cpool_fairshare_user *users; /* by uid */
	size_t n, cap;
};

void cpool_fairshare_init(struct cpool_fairshare *fs, int64_t half_life_us);
void cpool_fairshare_free(struct cpool_fairshare *fs);

/* Adds @cpu_s CPU-seconds to @uid's usage at @now_us (made known if new); -ENOMEM. */
int cpool_fairshare_charge(struct cpool_fairshare *fs, uint32_t uid, double cpu_s, int64_t now_us);
/* Makes @uid known with no usage (a user with queued jobs counts in N); -ENOMEM. */
int cpool_fairshare_touch(struct cpool_fairshare *fs, uint32_t uid);
/* @uid's usage decayed to @now_us; 0 for an unknown user. */
double cpool_fairshare_usage(const struct cpool_fairshare *fs, uint32_t uid, int64_t now_us);

/*
 * Everyone's factor at @now_us, in one pass: @factor[i] is users[i]'s
 * (the caller gives room for fs->n), *@total_usage the sum of the decayed
 * usages.  Compute once per decision round, look up with _find().
 */
void cpool_fairshare_factors(const struct cpool_fairshare *fs, int64_t now_us, double *factor,
			     double *total_usage);
/* Index of @uid in fs->users, or -1. */
long cpool_fairshare_find(const struct cpool_fairshare *fs, uint32_t uid);

/*
 * Drops users whose usage decayed below @floor_s at @now_us and for whom
 * @keep (may be NULL) says false: a table fed by user ids must not grow
 * without bound.
 */
void cpool_fairshare_prune(struct cpool_fairshare *fs, int64_t now_us, double floor_s,
			   int (*keep)(uint32_t uid, void *arg), void *arg);

/*
 * The table as one JSON document, for the daemon's store:
 * {"users": [[uid, usage, at_us], ...]}.  malloc'd; NULL on ENOMEM.
 */
char *cpool_fairshare_save(const struct cpool_fairshare *fs);
/* Replaces the users with those of @text; -EINVAL for a document that is not one. */
int cpool_fairshare_load(struct cpool_fairshare *fs, const char *text);

#endif /* CPOOL_FAIRSHARE_H */
