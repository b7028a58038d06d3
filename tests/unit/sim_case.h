/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Helpers for the policy tests: a small workload written inline, run
 * through the simulator, and per-job expectations checked exactly.
 * Times in the tables are seconds; the simulator works in microseconds,
 * so every expected value here is exact, not approximate.
 */
#ifndef CPOOL_TESTS_SIM_CASE_H
#define CPOOL_TESTS_SIM_CASE_H

/* The tables below name only the columns a case needs. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include <math.h>
#include <string.h>

#include "../tap.h"
#include "cpool/metrics.h"
#include "cpool/policy.h"
#include "cpool/sim.h"

struct tjob {
	const char *id;
	double submit, runtime;
	int cpus; /* 0 = 1 */
	int priority;
	double estimate; /* 0 = runtime */
	const char *vs;
	unsigned user; /* fairshare charges it */
};

/* Expected per job: first start, end, and the textbook wait, response, turnaround. */
struct texp {
	const char *id;
	double start, end, wait, response, turnaround;
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_CASE_JOBS 64

static inline int64_t sec_us(double s)
{
	return llround(s * 1e6);
}

struct sim_case {
	struct cpool_job jobs[MAX_CASE_JOBS];
	struct cpool_vserver vs[8];
	struct cpool_sim_config cfg;
	struct cpool_sim_result res;
	int ret;
};

static inline void case_jobs(struct sim_case *c, const struct tjob *t, size_t n)
{
	if (n > MAX_CASE_JOBS)
		bail_out("case too big");
	memset(c->jobs, 0, sizeof(c->jobs));
	for (size_t i = 0; i < n; i++) {
		struct cpool_job *j = &c->jobs[i];

		snprintf(j->id, sizeof(j->id), "%s", t[i].id);
		j->submit_us = sec_us(t[i].submit);
		j->runtime_us = sec_us(t[i].runtime);
		j->estimate_us = t[i].estimate > 0 ? sec_us(t[i].estimate) : j->runtime_us;
		j->cpus = t[i].cpus ? t[i].cpus : 1;
		j->priority = t[i].priority;
		j->user = t[i].user;
		if (t[i].vs)
			snprintf(j->vs, sizeof(j->vs), "%s", t[i].vs);
		j->index = i;
	}
}

/* Run @t on @slots one-CPU slots under @p. */
static inline int run_slots(struct sim_case *c, const struct cpool_policy *p, int slots,
			    const struct tjob *t, size_t n)
{
	case_jobs(c, t, n);
	memset(&c->cfg, 0, sizeof(c->cfg));
	cpool_sim_slots(slots, &c->vs[0]);
	c->cfg.vs = c->vs;
	c->cfg.n_vs = 1;
	c->cfg.policy = *p;
	c->ret = cpool_sim_run(&c->cfg, c->jobs, n, &c->res);
	return c->ret;
}

static inline const struct cpool_sim_record *find_rec(const struct sim_case *c, const char *id)
{
	for (size_t i = 0; i < c->res.n_records; i++)
		if (strcmp(c->res.records[i].job->id, id) == 0)
			return &c->res.records[i];
	return NULL;
}

/* Every job's start and end, and its wait/response/turnaround through metrics.c. */
static inline void expect_jobs(const struct sim_case *c, const char *name, const struct texp *e,
			       size_t n)
{
	if (!is_int(c->ret, 0, "sim ran")) {
		diag("%s: cpool_sim_run returned %d", name, c->ret);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const struct cpool_sim_record *r = find_rec(c, e[i].id);
		struct cpool_job_metrics m;
		bool good;

		if (!ok(r, "%s: job %s was simulated", name, e[i].id))
			continue;
		cpool_sim_record_metrics(r, &m);
		good = r->first_start_us == sec_us(e[i].start) && r->end_us == sec_us(e[i].end) &&
		       fabs(m.wait - e[i].wait) < 1e-9 && fabs(m.response - e[i].response) < 1e-9 &&
		       fabs(m.turnaround - e[i].turnaround) < 1e-9;
		ok(good, "%s: %s start %g end %g wait %g response %g turnaround %g", name, e[i].id,
		   e[i].start, e[i].end, e[i].wait, e[i].response, e[i].turnaround);
		if (!good)
			diag("got start %g end %g wait %g response %g turnaround %g",
			     cpool_us_to_s(r->first_start_us), cpool_us_to_s(r->end_us), m.wait,
			     m.response, m.turnaround);
	}
}

static inline void case_free(struct sim_case *c)
{
	cpool_sim_result_free(&c->res);
}

static inline struct cpool_policy policy_of(enum cpool_sched s)
{
	struct cpool_policy p;

	cpool_policy_init(&p);
	p.sched = s;
	return p;
}

#endif /* CPOOL_TESTS_SIM_CASE_H */
