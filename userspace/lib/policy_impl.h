/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/* Internal to the policy_*.c files. */
#ifndef CPOOL_POLICY_IMPL_H
#define CPOOL_POLICY_IMPL_H

#include <stdbool.h>
#include <stddef.h>

#include "cpool/policy.h"

struct policy_out {
	struct cpool_decision *d;
	size_t n, max;
	bool overflow;
};

static inline void policy_emit(struct policy_out *o, enum cpool_decision_kind kind,
			       struct cpool_pjob *job, int vs, int level, int64_t level_used_us)
{
	if (o->n == o->max) {
		o->overflow = true;
		return;
	}
	o->d[o->n++] = (struct cpool_decision){
		.kind = kind,
		.job = job,
		.vs = vs,
		.level = level,
		.level_used_us = level_used_us,
	};
}

static inline bool policy_any_free(const struct cpool_snapshot *s)
{
	for (int v = 0; v < s->n_vs; v++)
		if (s->vs[v].free_cpus > 0)
			return true;
	return false;
}

/* Free CPUs per VS, copied from the snapshot so decisions can spend them. */
int *policy_free_copy(const struct cpool_snapshot *s);

int policy_ordered(const struct cpool_policy *p, const struct cpool_snapshot *s,
		   struct policy_out *o, int64_t *wake_at);
int policy_feedback(const struct cpool_policy *p, const struct cpool_snapshot *s,
		    struct policy_out *o, int64_t *wake_at);
int policy_easy(const struct cpool_policy *p, const struct cpool_snapshot *s, struct policy_out *o);

/* Could @job run on VS @v at all (target name, size, admission)? */
bool policy_vs_eligible(const struct cpool_policy *p, const struct cpool_vs_state *v,
			const struct cpool_job *job);

#endif /* CPOOL_POLICY_IMPL_H */
