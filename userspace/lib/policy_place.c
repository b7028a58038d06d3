// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Placement: which VS a job starts on.  The four fit names are the
 * planner's (fit.h); least-loaded and lowest-latency read the measured
 * state.  A VS without measurements counts as unloaded: no evidence of
 * load is no reason to avoid it.  Ties go to the lowest VS index.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cpool/fit.h"
#include "cpool/policy.h"
#include "policy_impl.h"

bool cpool_policy_admits(const struct cpool_policy *p, const struct cpool_vs_state *vs)
{
	return !p->admit_p99_us || !vs->measured || vs->rq_p99_us <= p->admit_p99_us;
}

static bool name_matches(const struct cpool_vs_state *v, const char *want)
{
	return !want[0] || (v->name && strcmp(v->name, want) == 0);
}

bool policy_vs_eligible(const struct cpool_policy *p, const struct cpool_vs_state *v,
			const struct cpool_job *job)
{
	return v->cpus >= job->cpus && name_matches(v, job->vs) && cpool_policy_admits(p, v);
}

bool cpool_policy_runnable(const struct cpool_vs_state *vs, int n_vs, int cpus, const char *vs_name)
{
	for (int i = 0; i < n_vs; i++)
		if (vs[i].cpus >= cpus && name_matches(&vs[i], vs_name))
			return true;
	return false;
}

int *policy_free_copy(const struct cpool_snapshot *s)
{
	int *f = malloc(((size_t)s->n_vs + 1) * sizeof(*f));

	if (f)
		for (int i = 0; i < s->n_vs; i++)
			f[i] = s->vs[i].free_cpus;
	return f;
}

/* Lower is better for the measured placements. */
static double measured_key(enum cpool_place place, const struct cpool_vs_state *v)
{
	if (!v->measured)
		return 0;
	return place == CPOOL_PLACE_LEAST_LOADED ? v->rul : (double)v->rq_p99_us;
}

/* first-, best- and worst-fit are the planner's (fit.h), over the VSs this job may use. */
static int place_fit(const struct cpool_policy *p, const struct cpool_snapshot *s, const int *avail,
		     int cpus, const char *vs_name)
{
	long stack[64] = { 0 }, *cand = stack;
	int pick;

	if (s->n_vs > 64) {
		cand = malloc((size_t)s->n_vs * sizeof(*cand));
		if (!cand)
			return -1;
	}
	for (int i = 0; i < s->n_vs; i++) {
		const struct cpool_vs_state *v = &s->vs[i];

		cand[i] = name_matches(v, vs_name) && cpool_policy_admits(p, v) ? avail[i] : -1;
	}
	pick = cpool_fit_choose((enum cpool_fit)p->place, cand, s->n_vs, cpus);
	if (cand != stack)
		free(cand);
	return pick;
}

int cpool_policy_place(const struct cpool_policy *p, const struct cpool_snapshot *s,
		       const int *avail, int cpus, const char *vs_name)
{
	int pick = -1;

	if (!avail) {
		/* NULL: the snapshot's own free counts. */
		int *f = policy_free_copy(s);

		if (!f)
			return -1;
		pick = cpool_policy_place(p, s, f, cpus, vs_name);
		free(f);
		return pick;
	}
	if (s->n_vs == 1) {
		/* One VS (a pool of slots): every placement agrees; skip the candidate array. */
		const struct cpool_vs_state *v = &s->vs[0];

		return avail[0] >= cpus && name_matches(v, vs_name) && cpool_policy_admits(p, v) ?
			       0 :
			       -1;
	}
	switch (p->place) {
	case CPOOL_PLACE_FIRST_FIT:
	case CPOOL_PLACE_BEST_FIT:
	case CPOOL_PLACE_WORST_FIT:
		return place_fit(p, s, avail, cpus, vs_name);
	case CPOOL_PLACE_BALANCED:
		/* Keep the fraction of each VS left free even: the largest (free - need) / cpus. */
		for (int i = 0; i < s->n_vs; i++) {
			const struct cpool_vs_state *v = &s->vs[i];

			if (avail[i] < cpus || !name_matches(v, vs_name) ||
			    !cpool_policy_admits(p, v))
				continue;
			if (pick < 0 || (long long)(avail[i] - cpus) * s->vs[pick].cpus >
						(long long)(avail[pick] - cpus) * v->cpus)
				pick = i;
		}
		return pick;
	case CPOOL_PLACE_LEAST_LOADED:
	case CPOOL_PLACE_LOWEST_LATENCY:
		for (int i = 0; i < s->n_vs; i++) {
			const struct cpool_vs_state *v = &s->vs[i];

			if (avail[i] < cpus || !name_matches(v, vs_name) ||
			    !cpool_policy_admits(p, v))
				continue;
			if (pick < 0 ||
			    measured_key(p->place, v) < measured_key(p->place, &s->vs[pick]))
				pick = i;
		}
		return pick;
	default:
		return -1;
	}
}
