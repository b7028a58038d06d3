// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* Policy names, defaults and the dispatch to each scheduling policy. */
#include <errno.h>
#include <string.h>

#include "cpool/enum_names.h"
#include "cpool/fairshare.h"
#include "cpool/policy.h"
#include "policy_impl.h"

static const char *const sched_table[CPOOL_SCHED__COUNT] = {
	[CPOOL_SCHED_FCFS] = "fcfs",	     [CPOOL_SCHED_SJF] = "sjf",
	[CPOOL_SCHED_SRTF] = "srtf",	     [CPOOL_SCHED_RR] = "rr",
	[CPOOL_SCHED_PRIORITY] = "priority", [CPOOL_SCHED_PRIORITY_PREEMPT] = "priority-preemptive",
	[CPOOL_SCHED_HRRN] = "hrrn",	     [CPOOL_SCHED_MLFQ] = "mlfq",
	[CPOOL_SCHED_EASY] = "easy",	     [CPOOL_SCHED_FAIRSHARE] = "fairshare",
};

static const char *const place_table[CPOOL_PLACE__COUNT] = {
	[CPOOL_PLACE_FIRST_FIT] = "first-fit",
	[CPOOL_PLACE_BEST_FIT] = "best-fit",
	[CPOOL_PLACE_WORST_FIT] = "worst-fit",
	[CPOOL_PLACE_BALANCED] = "balanced",
	[CPOOL_PLACE_LEAST_LOADED] = "least-loaded",
	[CPOOL_PLACE_LOWEST_LATENCY] = "lowest-latency",
};

static struct cpool_enum_names sched_names = CPOOL_ENUM_NAMES(sched_table);
static struct cpool_enum_names place_names = CPOOL_ENUM_NAMES(place_table);

const char *cpool_sched_name(enum cpool_sched s)
{
	return cpool_enum_name(&sched_names, (int)s);
}

int cpool_sched_parse(const char *name, enum cpool_sched *s)
{
	int v, err = cpool_enum_parse(&sched_names, name, &v);

	if (!err)
		*s = (enum cpool_sched)v;
	return err;
}

const char *cpool_sched_names(void)
{
	return cpool_enum_list(&sched_names);
}

const char *cpool_place_name(enum cpool_place p)
{
	return cpool_enum_name(&place_names, (int)p);
}

int cpool_place_parse(const char *name, enum cpool_place *p)
{
	int v, err = cpool_enum_parse(&place_names, name, &v);

	if (!err)
		*p = (enum cpool_place)v;
	return err;
}

const char *cpool_place_names(void)
{
	return cpool_enum_list(&place_names);
}

void cpool_policy_init(struct cpool_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->sched = CPOOL_SCHED_FCFS;
	p->place = CPOOL_PLACE_FIRST_FIT;
	p->quantum_us = 100000;
	p->mlfq_levels = 3;
	p->mlfq_quantum_us[0] = 100000;
	p->mlfq_quantum_us[1] = 200000;
	p->mlfq_quantum_us[2] = 0;
	p->fairshare_half_life_us = CPOOL_FAIRSHARE_HALF_LIFE_DEFAULT_US;
}

int cpool_policy_decide(const struct cpool_policy *p, const struct cpool_snapshot *s,
			struct cpool_decision *out, size_t max, int64_t *wake_at)
{
	struct policy_out o = { .d = out, .max = max };
	int ret;

	*wake_at = CPOOL_NEVER;
	if ((unsigned)p->place >= CPOOL_PLACE__COUNT)
		return -EINVAL;
	switch (p->sched) {
	case CPOOL_SCHED_FCFS:
	case CPOOL_SCHED_SJF:
	case CPOOL_SCHED_SRTF:
	case CPOOL_SCHED_PRIORITY:
	case CPOOL_SCHED_PRIORITY_PREEMPT:
	case CPOOL_SCHED_HRRN:
	case CPOOL_SCHED_FAIRSHARE:
		ret = policy_ordered(p, s, &o, wake_at);
		break;
	case CPOOL_SCHED_RR:
	case CPOOL_SCHED_MLFQ:
		ret = policy_feedback(p, s, &o, wake_at);
		break;
	case CPOOL_SCHED_EASY:
		ret = policy_easy(p, s, &o);
		break;
	default:
		return -EINVAL;
	}
	if (ret)
		return ret;
	if (o.overflow)
		return -ENOSPC;
	return (int)o.n;
}
