// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* Placement policies and the admission rule, on hand-built snapshots and in the simulator. */
#include <errno.h>

#include "sim_case.h"

static struct cpool_snapshot snap_of(struct cpool_vs_state *vs, int n)
{
	return (struct cpool_snapshot){ .vs = vs, .n_vs = n };
}

static int place(enum cpool_place pl, const struct cpool_snapshot *s, int cpus, const char *vs)
{
	struct cpool_policy p;

	cpool_policy_init(&p);
	p.place = pl;
	return cpool_policy_place(&p, s, NULL, cpus, vs);
}

static void fits(void)
{
	/* free 3/4, 8/8, 2/4, 8/16, 5/8 */
	struct cpool_vs_state vs[] = {
		{ "a", 4, 3 }, { "b", 8, 8 }, { "c", 4, 2 }, { "d", 16, 8 }, { "e", 8, 5 },
	};
	struct cpool_snapshot s = snap_of(vs, 5);

	is_int(place(CPOOL_PLACE_FIRST_FIT, &s, 3, ""), 0,
	       "first-fit: a (3 free) is first to fit 3");
	is_int(place(CPOOL_PLACE_FIRST_FIT, &s, 4, ""), 1, "first-fit: b is first to fit 4");
	is_int(place(CPOOL_PLACE_BEST_FIT, &s, 4, ""), 4,
	       "best-fit: e (5 free) is the tightest for 4");
	is_int(place(CPOOL_PLACE_BEST_FIT, &s, 1, ""), 2, "best-fit: c (2 free) for 1");
	is_int(place(CPOOL_PLACE_WORST_FIT, &s, 1, ""), 1, "worst-fit: b and d have 8, b first");
	/* balanced: (free - 2) / cpus: a 1/4, b 6/8, c 0, d 6/16, e 3/8 -> b */
	is_int(place(CPOOL_PLACE_BALANCED, &s, 2, ""), 1,
	       "balanced: b keeps the largest fraction free");
	is_int(place(CPOOL_PLACE_FIRST_FIT, &s, 9, ""), -1, "nothing fits 9");
	is_int(place(CPOOL_PLACE_FIRST_FIT, &s, 1, "d"), 3, "a named VS is the only candidate");
	is_int(place(CPOOL_PLACE_FIRST_FIT, &s, 1, "zz"), -1, "an unknown VS name fits nowhere");
}

static void balanced_differs(void)
{
	/* x: 8 of 16 free, y: 6 of 6.  Worst-fit takes x (8 > 6); balanced y (5/6 > 7/16). */
	struct cpool_vs_state vs[] = { { "x", 16, 8 }, { "y", 6, 6 } };
	struct cpool_snapshot s = snap_of(vs, 2);

	is_int(place(CPOOL_PLACE_WORST_FIT, &s, 1, ""), 0, "worst-fit: most CPUs free");
	is_int(place(CPOOL_PLACE_BALANCED, &s, 1, ""), 1, "balanced: largest fraction free");
}

static void measured(void)
{
	struct cpool_vs_state vs[] = {
		{ "a", 4, 4, true, 0.9, 500 },
		{ "b", 4, 1, true, 0.2, 100 },
		{ "c", 4, 4, true, 0.5, 50 },
	};
	struct cpool_snapshot s = snap_of(vs, 3);
	struct cpool_policy p;

	is_int(place(CPOOL_PLACE_LEAST_LOADED, &s, 1, ""), 1, "least-loaded: b has the lowest RUL");
	is_int(place(CPOOL_PLACE_LEAST_LOADED, &s, 2, ""), 2,
	       "least-loaded: b cannot fit 2, c next");
	is_int(place(CPOOL_PLACE_LOWEST_LATENCY, &s, 1, ""), 2,
	       "lowest-latency: c has the lowest p99");
	vs[2].measured = false;
	is_int(place(CPOOL_PLACE_LOWEST_LATENCY, &s, 1, ""), 2, "unmeasured counts as unloaded");
	vs[2].measured = true;

	cpool_policy_init(&p);
	p.admit_p99_us = 200;
	ok(!cpool_policy_admits(&p, &vs[0]), "admission: a (p99 500 > 200) is held");
	ok(cpool_policy_admits(&p, &vs[1]), "admission: b (p99 100) is admitted");
	is_int(cpool_policy_place(&p, &s, NULL, 1, ""), 1, "first-fit skips the held VS a");
	is_int(cpool_policy_place(&p, &s, NULL, 1, "a"), -1, "a job for a held VS waits");
	p.admit_p99_us = 10;
	is_int(cpool_policy_place(&p, &s, NULL, 1, ""), -1, "all VSs above the bound: jobs held");
}

static void in_sim(void)
{
	struct sim_case c;
	struct cpool_policy p = policy_of(CPOOL_SCHED_FCFS);
	/* Four 1-CPU jobs of 10 s at 0 on VSs of 2 and 2 CPUs. */
	static const struct tjob t[] = {
		{ "A", 0, 10 },
		{ "B", 0, 10 },
		{ "C", 0, 10 },
		{ "D", 0, 10 },
		{ "T", 0, 1, 1, 0, 0, "v1" },
	};
	const char *first[] = { "v0", "v0", "v1", "v1" };
	const char *worst[] = { "v0", "v1", "v0", "v1" };

	case_jobs(&c, t, N_OF(t));
	memset(c.vs, 0, sizeof(c.vs));
	strcpy(c.vs[0].name, "v0");
	cpool_cpuset_set_range(&c.vs[0].cpus, 0, 1);
	strcpy(c.vs[1].name, "v1");
	cpool_cpuset_set_range(&c.vs[1].cpus, 2, 3);
	memset(&c.cfg, 0, sizeof(c.cfg));
	c.cfg.vs = c.vs;
	c.cfg.n_vs = 2;
	c.cfg.policy = p;
	c.ret = cpool_sim_run(&c.cfg, c.jobs, 4, &c.res);
	is_int(c.ret, 0, "two-VS pool runs");
	for (int i = 0; i < 4; i++)
		is_str(c.vs[c.res.records[i].vs].name, first[i], "first-fit fills v0 first");
	case_free(&c);
	c.cfg.policy.place = CPOOL_PLACE_WORST_FIT;
	c.ret = cpool_sim_run(&c.cfg, c.jobs, 4, &c.res);
	for (int i = 0; i < 4; i++)
		is_str(c.vs[c.res.records[i].vs].name, worst[i], "worst-fit alternates");
	case_free(&c);
	/* T names v1; A-D fill both VSs at 0, so T waits for v1 (until 10), strict order. */
	c.cfg.policy.place = CPOOL_PLACE_FIRST_FIT;
	c.ret = cpool_sim_run(&c.cfg, c.jobs, 5, &c.res);
	is_int(c.ret, 0, "targeted job simulated");
	is_str(c.vs[c.res.records[4].vs].name, "v1", "a job naming a VS runs there");
	is_int(c.res.records[4].first_start_us, sec_us(10), "and waits for it (strict order)");
	case_free(&c);
	/* A job for a VS the pool lacks is skipped and counted, not an error. */
	c.jobs[4].vs[1] = '9';
	c.ret = cpool_sim_run(&c.cfg, c.jobs, 5, &c.res);
	is_int(c.ret, 0, "job for a missing VS: the run goes on");
	is_int((int64_t)c.res.n_skipped, 1, "and the job is counted as skipped");
	case_free(&c);
}

static void admission_progress(void)
{
	/*
	 * A bound no VS can meet once jobs have waited: jobs are held
	 * while the VS reports a high p99, released when it goes idle.
	 * Everything still finishes (no deadlock), and later than without.
	 */
	static struct tjob t[40];
	struct sim_case c;
	struct cpool_policy p = policy_of(CPOOL_SCHED_FCFS);
	int64_t free_end, held_end = 0;

	static char ids[40][16];

	for (int i = 0; i < 40; i++) {
		snprintf(ids[i], sizeof(ids[i]), "J%d", i);
		t[i] = (struct tjob){ ids[i], i * 0.5, 3 + (i % 4), 1 + i % 2 };
	}
	run_slots(&c, &p, 4, t, 40);
	is_int(c.ret, 0, "no admission: runs");
	free_end = (int64_t)(c.res.summary.makespan * 1e6);
	case_free(&c);
	p.place = CPOOL_PLACE_LEAST_LOADED;
	p.admit_p99_us = 1000000;
	run_slots(&c, &p, 4, t, 40);
	is_int(c.ret, 0, "admission with a tight bound: no deadlock");
	is_int((int64_t)c.res.n_records, 40, "admission: every job ran");
	held_end = (int64_t)(c.res.summary.makespan * 1e6);
	ok(held_end > free_end, "admission: holding jobs costs makespan (%lld > %lld us)",
	   (long long)held_end, (long long)free_end);
	case_free(&c);
}

int main(void)
{
	enum cpool_place pl;

	fits();
	balanced_differs();
	measured();
	in_sim();
	admission_progress();
	for (int i = 0; i < CPOOL_PLACE__COUNT; i++)
		ok(cpool_place_parse(cpool_place_name((enum cpool_place)i), &pl) == 0 &&
			   (int)pl == i,
		   "placement name round trip: %s", cpool_place_name((enum cpool_place)i));
	for (int i = 0; i < CPOOL_FIT__COUNT; i++)
		is_str(cpool_place_name((enum cpool_place)i), cpool_fit_name((enum cpool_fit)i),
		       "placement and planner share the fit names");
	is_int(cpool_place_parse("random", &pl), -EINVAL, "unknown placement refused");
	done_testing();
	return exit_status();
}
