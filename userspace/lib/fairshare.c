// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* Decayed per-user usage and the fair-share factor (include/cpool/fairshare.h). */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cpool/fairshare.h"

void cpool_fairshare_init(struct cpool_fairshare *fs, int64_t half_life_us)
{
	memset(fs, 0, sizeof(*fs));
	fs->half_life_us = half_life_us > 0 ? half_life_us : 0;
}

void cpool_fairshare_free(struct cpool_fairshare *fs)
{
	free(fs->users);
	fs->users = NULL;
	fs->n = fs->cap = 0;
}

static double decayed(const struct cpool_fairshare *fs, const struct cpool_fairshare_user *u,
		      int64_t now_us)
{
	/* A clock that went back (a wall-clock step) never makes usage grow. */
	if (!fs->half_life_us || now_us <= u->at_us)
		return u->usage;
	return u->usage * exp2(-(double)(now_us - u->at_us) / (double)fs->half_life_us);
}

/* The slot of @uid: its index, or where it would be inserted (*found false). */
static size_t locate(const struct cpool_fairshare *fs, uint32_t uid, int *found)
{
	size_t lo = 0, hi = fs->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (fs->users[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < fs->n && fs->users[lo].uid == uid;
	return lo;
}

long cpool_fairshare_find(const struct cpool_fairshare *fs, uint32_t uid)
{
	int found;
	size_t i = locate(fs, uid, &found);

	return found ? (long)i : -1;
}

static struct cpool_fairshare_user *get(struct cpool_fairshare *fs, uint32_t uid)
{
	int found;
	size_t i = locate(fs, uid, &found);

	if (found)
		return &fs->users[i];
	if (fs->n == fs->cap) {
		size_t cap = fs->cap ? fs->cap * 2 : 8;
		struct cpool_fairshare_user *u = realloc(fs->users, cap * sizeof(*u));

		if (!u)
			return NULL;
		fs->users = u;
		fs->cap = cap;
	}
	memmove(&fs->users[i + 1], &fs->users[i], (fs->n - i) * sizeof(*fs->users));
	fs->users[i] = (struct cpool_fairshare_user){ .uid = uid };
	fs->n++;
	return &fs->users[i];
}

int cpool_fairshare_charge(struct cpool_fairshare *fs, uint32_t uid, double cpu_s, int64_t now_us)
{
	struct cpool_fairshare_user *u = get(fs, uid);

	if (!u)
		return -ENOMEM;
	if (!(cpu_s > 0))
		cpu_s = 0;
	if (now_us > u->at_us) {
		u->usage = decayed(fs, u, now_us);
		u->at_us = now_us;
	}
	u->usage += cpu_s;
	return 0;
}

int cpool_fairshare_touch(struct cpool_fairshare *fs, uint32_t uid)
{
	return get(fs, uid) ? 0 : -ENOMEM;
}

double cpool_fairshare_usage(const struct cpool_fairshare *fs, uint32_t uid, int64_t now_us)
{
	long i = cpool_fairshare_find(fs, uid);

	return i < 0 ? 0 : decayed(fs, &fs->users[i], now_us);
}

void cpool_fairshare_factors(const struct cpool_fairshare *fs, int64_t now_us, double *factor,
			     double *total_usage)
{
	double total = 0;

	for (size_t i = 0; i < fs->n; i++) {
		factor[i] = decayed(fs, &fs->users[i], now_us);
		total += factor[i];
	}
	for (size_t i = 0; i < fs->n; i++)
		factor[i] = total > 0 ? exp2(-(double)fs->n * factor[i] / total) : 1.0;
	if (total_usage)
		*total_usage = total;
}

void cpool_fairshare_prune(struct cpool_fairshare *fs, int64_t now_us, double floor_s,
			   int (*keep)(uint32_t uid, void *arg), void *arg)
{
	size_t k = 0;

	for (size_t i = 0; i < fs->n; i++) {
		const struct cpool_fairshare_user *u = &fs->users[i];

		if (decayed(fs, u, now_us) >= floor_s || (keep && keep(u->uid, arg)))
			fs->users[k++] = *u;
	}
	fs->n = k;
}

char *cpool_fairshare_save(const struct cpool_fairshare *fs)
{
	json_t *users = json_array(), *doc;
	char *text;

	for (size_t i = 0; users && i < fs->n; i++)
		json_array_append_new(users, json_pack("[I, f, I]", (json_int_t)fs->users[i].uid,
						       fs->users[i].usage,
						       (json_int_t)fs->users[i].at_us));
	doc = json_pack("{s:o}", "users", users);
	text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	return text;
}

int cpool_fairshare_load(struct cpool_fairshare *fs, const char *text)
{
	struct cpool_fairshare next;
	json_t *doc = json_loads(text, 0, NULL), *users, *u;
	size_t i;
	int r = 0;

	users = doc ? json_object_get(doc, "users") : NULL;
	if (!json_is_array(users)) {
		json_decref(doc);
		return -EINVAL;
	}
	cpool_fairshare_init(&next, fs->half_life_us);
	json_array_foreach(users, i, u) {
		json_int_t uid, at;
		double usage;
		struct cpool_fairshare_user *slot;

		if (json_unpack(u, "[I, F, I!]", &uid, &usage, &at) || uid < 0 ||
		    uid > (json_int_t)UINT32_MAX || !(usage >= 0) || !isfinite(usage)) {
			r = -EINVAL;
			break;
		}
		slot = get(&next, (uint32_t)uid);
		if (!slot) {
			r = -ENOMEM;
			break;
		}
		slot->usage = usage;
		slot->at_us = at;
	}
	json_decref(doc);
	if (r) {
		cpool_fairshare_free(&next);
		return r;
	}
	cpool_fairshare_free(fs);
	*fs = next;
	return 0;
}
