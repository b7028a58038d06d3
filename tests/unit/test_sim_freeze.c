// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The freeze in the simulator (sim.h's freeze_us): a preempted job keeps
 * its CPUs until its freeze completes and they change hands in a round of
 * their own, as in cpoold (jobs.c).  Without it, rr's turns on two VSs
 * last exactly as long and end on one instant, and where the head of the
 * queue waits for the other VS one VS idles a whole turn in every few.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>

#include "../tap.h"
#include "sim_case.h"

static struct cpool_policy rr(int64_t quantum_us)
{
	struct cpool_policy p = policy_of(CPOOL_SCHED_RR);

	p.quantum_us = quantum_us;
	return p;
}

/* Charged at every dispatch by run_two(). */
static int64_t switch_cost_us;

/* wide (CPUs 0-1) and narrow (CPU 2), first-fit: wide first. */
static int run_two(struct sim_case *c, const struct cpool_policy *p, int64_t freeze_us,
		   int64_t freeze_ran_us, const struct tjob *t, size_t n)
{
	case_jobs(c, t, n);
	memset(&c->cfg, 0, sizeof(c->cfg));
	memset(c->vs, 0, sizeof(c->vs));
	snprintf(c->vs[0].name, sizeof(c->vs[0].name), "wide");
	cpool_cpuset_set_range(&c->vs[0].cpus, 0, 1);
	snprintf(c->vs[1].name, sizeof(c->vs[1].name), "narrow");
	cpool_cpuset_set(&c->vs[1].cpus, 2);
	c->cfg.vs = c->vs;
	c->cfg.n_vs = 2;
	c->cfg.policy = *p;
	c->cfg.freeze_us = freeze_us;
	c->cfg.freeze_ran_us = freeze_ran_us;
	c->cfg.switch_cost_us = switch_cost_us;
	c->ret = cpool_sim_run(&c->cfg, c->jobs, n, &c->res);
	return c->ret;
}

static double end_of(const struct sim_case *c, const char *id)
{
	const struct cpool_sim_record *r = find_rec(c, id);

	return r ? cpool_us_to_s(r->end_us) : -1;
}

/*
 * Three two-CPU jobs take turns on wide, two one-CPU jobs on narrow, all
 * submitted at 0 in the order W1 N1 W2 N2 W3.  Without the freeze every
 * turn ends on the same instant on both VSs; every third one, narrow's job
 * is preempted for a queue whose head is a wide job that waits for wide's
 * next turn, and narrow idles that whole turn: its 2 s of work end at
 * 2.9 s.  With a freeze of 20 ms, narrow's CPU is given back 20 ms after
 * its quantum's end and the next narrow job starts then or at the wide
 * turn's end: its turns are 120 ms for 100 ms of work, 2.4 s for 2 s.
 */
static void lockstep(void)
{
	static const struct tjob t[] = {
		{ "W1", 0, 3, 2 }, { "N1", 0, 1 },    { "W2", 0, 3, 2 },
		{ "N2", 0, 1 },	   { "W3", 0, 3, 2 },
	};
	struct cpool_policy p = rr(100000);
	struct sim_case c;
	double before, after;

	run_two(&c, &p, 0, 0, t, N_OF(t));
	is_int(c.ret, 0, "lockstep: simulated without freezes");
	before = fmax(end_of(&c, "N1"), end_of(&c, "N2"));
	ok(before > 2.8,
	   "lockstep: without freezes narrow idles a turn in three: its 2 s end after 2.8 s (%.3f)",
	   before);
	case_free(&c);

	run_two(&c, &p, 20000, 0, t, N_OF(t));
	is_int(c.ret, 0, "lockstep: simulated with 20 ms freezes");
	after = fmax(end_of(&c, "N1"), end_of(&c, "N2"));
	ok(after <= 2.4 + 0.12 + 1e-9,
	   "lockstep: with freezes narrow's 2 s end by 2.52 s (turns of 120 ms, one spare): %.3f s",
	   after);
	ok(find_rec(&c, "N1")->vs == 1 && find_rec(&c, "W1")->vs == 0,
	   "lockstep: each job stays on its VS");
	/* Wide's work takes the freezes too, and no more: 9 s in turns of 120 ms, 10.8 s. */
	ok(fmax(end_of(&c, "W1"), fmax(end_of(&c, "W2"), end_of(&c, "W3"))) <= 10.8 + 0.12 + 1e-9,
	   "lockstep: wide's 9 s end by 10.92 s (%.3f)",
	   fmax(end_of(&c, "W1"), fmax(end_of(&c, "W2"), end_of(&c, "W3"))));
	case_free(&c);
}

/*
 * One CPU, A (0.15 s) and B (1 s) at 0, quantum 0.1 s, a freeze of 80 ms
 * of which the job still works 60 ms.  A is preempted at 0.1 with 50 ms
 * left, which it works while the daemon freezes it: it ends at 0.15 and
 * gives its CPU back then, never queued again; B starts at 0.15 and runs
 * alone to 1.15.
 */
static void ends_while_freezing(void)
{
	static const struct tjob t[] = { { "A", 0, 0.15 }, { "B", 0, 1 } };
	static const struct texp e[] = {
		{ "A", 0, 0.15, 0, 0, 0.15 },
		{ "B", 0.15, 1.15, 0.15, 0.15, 1.15 },
	};
	struct cpool_policy p = rr(100000);
	struct sim_case c;

	case_jobs(&c, t, N_OF(t));
	memset(&c.cfg, 0, sizeof(c.cfg));
	cpool_sim_slots(1, &c.vs[0]);
	c.cfg.vs = c.vs;
	c.cfg.n_vs = 1;
	c.cfg.policy = p;
	c.cfg.freeze_us = 80000;
	c.cfg.freeze_ran_us = 60000;
	c.ret = cpool_sim_run(&c.cfg, c.jobs, N_OF(t), &c.res);
	expect_jobs(&c, "ends while freezing", e, N_OF(e));
	is_int((int)c.res.preemptions, 1, "ends while freezing: A was preempted once");
	case_free(&c);
}

/*
 * One VS of two CPUs, A, B and C (1 s each) at 0, quantum 0.1 s, freezes
 * of 20 ms in which the job does no work.  At 0.1 A and B expire: A is
 * preempted for C, whose start waits for A's CPU (the daemon's start
 * fails, jobs_start()); B is preempted for A, which is still freezing:
 * resumed, it gives its CPU back first and runs on at 0.1.  C starts at
 * 0.12, when B's freeze completes.  A's turns lose nothing at 0.1.
 */
static void resumed_while_freezing(void)
{
	static const struct tjob t[] = { { "A", 0, 1 }, { "B", 0, 1 }, { "C", 0, 1 } };
	struct cpool_policy p = rr(100000);
	struct sim_case c;
	const struct cpool_sim_record *a, *cc;

	case_jobs(&c, t, N_OF(t));
	memset(&c.cfg, 0, sizeof(c.cfg));
	cpool_sim_slots(2, &c.vs[0]);
	c.cfg.vs = c.vs;
	c.cfg.n_vs = 1;
	c.cfg.policy = p;
	c.cfg.freeze_us = 20000;
	c.ret = cpool_sim_run(&c.cfg, c.jobs, N_OF(t), &c.res);
	is_int(c.ret, 0, "resumed while freezing: simulated");
	a = find_rec(&c, "A");
	cc = find_rec(&c, "C");
	ok(cc && cc->first_start_us == 120000, "resumed while freezing: C starts at 0.12 s (%.3f)",
	   cc ? cpool_us_to_s(cc->first_start_us) : -1);
	ok(a && a->end_us < end_of(&c, "B") * 1e6 && a->end_us < cc->end_us,
	   "resumed while freezing: A, resumed at once, ends first (%.3f, B %.3f, C %.3f)",
	   a ? cpool_us_to_s(a->end_us) : -1, end_of(&c, "B"), end_of(&c, "C"));
	case_free(&c);
}

/*
 * Every policy, preemptive or not, on 60 generated jobs (1 or 2 CPUs, 0.05
 * to 3 s, arrivals 0.2 s apart on average, random priorities) on the two
 * VSs, with freezes of 20 ms (5 ms of it worked) and a 3 ms switch cost:
 * the run completes (no start onto held CPUs taken for a policy error, no
 * job lost in a hold), every job ends, none sooner than its work allows,
 * and each stays on its VS.  Without preemptions the freeze changes
 * nothing: the same run as without it.
 */
static void every_policy(void)
{
	struct tjob t[60];
	char ids[60][8];
	uint32_t x = 12345;

	for (size_t i = 0; i < N_OF(t); i++) {
		x = x * 1103515245 + 12345;
		snprintf(ids[i], sizeof(ids[i]), "j%zu", i);
		t[i] = (struct tjob){ .id = ids[i],
				      .submit = (double)i * 0.2,
				      .runtime = 0.05 + (double)(x >> 16 & 1023) / 1023 * 2.95,
				      .cpus = 1 + (int)(x >> 8 & 1),
				      .priority = (int)(x >> 4 & 3) };
	}
	switch_cost_us = 3000;
	for (int sched = 0; sched < CPOOL_SCHED__COUNT; sched++) {
		struct cpool_policy p = rr(100000);
		struct sim_case c, plain;
		bool good = true;
		const char *name;

		p.sched = (enum cpool_sched)sched;
		name = cpool_sched_name(p.sched);
		case_jobs(&plain, t, N_OF(t));
		run_two(&plain, &p, 0, 0, t, N_OF(t));
		run_two(&c, &p, 20000, 5000, t, N_OF(t));
		if (!ok(c.ret == 0, "every policy: %s with freezes runs (%d)", name, c.ret)) {
			case_free(&c);
			case_free(&plain);
			continue;
		}
		ok(c.res.n_records == N_OF(t), "every policy: %s: every job ended (%zu)", name,
		   c.res.n_records);
		for (size_t i = 0; i < c.res.n_records; i++) {
			const struct cpool_sim_record *r = &c.res.records[i];

			good &= r->end_us >= r->first_start_us + r->job->runtime_us;
		}
		ok(good, "every policy: %s: no job ends sooner than its work", name);
		if (!plain.res.preemptions) {
			bool same = plain.ret == 0 && plain.res.n_records == c.res.n_records;

			for (size_t i = 0; same && i < c.res.n_records; i++)
				same = plain.res.records[i].end_us == c.res.records[i].end_us &&
				       plain.res.records[i].vs == c.res.records[i].vs;
			ok(same, "every policy: %s never preempts: the freeze changes nothing",
			   name);
		} else {
			ok(c.res.preemptions > 0,
			   "every policy: %s preempts with freezes too (%llu)", name,
			   (unsigned long long)c.res.preemptions);
		}
		case_free(&c);
		case_free(&plain);
	}
	switch_cost_us = 0;
}

static void config(void)
{
	static const struct tjob t[] = { { "A", 0, 1 } };
	struct cpool_policy p = rr(100000);
	struct sim_case c;

	is_int(run_two(&c, &p, -1, 0, t, N_OF(t)), -EINVAL, "a negative freeze is refused");
	case_free(&c);
	is_int(run_two(&c, &p, 0, -1, t, N_OF(t)), -EINVAL, "a negative freeze's work is refused");
	case_free(&c);
}

/* Three one-CPU jobs on one VS of two CPUs: someone always waits, every turn ends in a hold. */
static int run_wide(struct sim_case *c, int64_t freeze_ran_us, const int64_t *each)
{
	static const struct tjob t[] = { { "N1", 0, 1 }, { "N2", 0, 1 }, { "N3", 0, 1 } };

	case_jobs(c, t, N_OF(t));
	memset(&c->cfg, 0, sizeof(c->cfg));
	memset(c->vs, 0, sizeof(c->vs));
	snprintf(c->vs[0].name, sizeof(c->vs[0].name), "wide");
	cpool_cpuset_set_range(&c->vs[0].cpus, 0, 1);
	c->cfg.vs = c->vs;
	c->cfg.n_vs = 1;
	c->cfg.policy = rr(100000);
	c->cfg.freeze_us = 50000;
	c->cfg.freeze_ran_us = freeze_ran_us;
	c->cfg.freeze_ran_each_us = each;
	c->ret = cpool_sim_run(&c->cfg, c->jobs, N_OF(t), &c->res);
	return c->ret;
}

/*
 * Each job's own work in the hold (freeze_ran_each_us): the same for
 * every job as the common figure gives the same run; a job that works
 * none of its holds ends later than with the common 30 ms.
 */
static void ran_each(void)
{
	static const int64_t same[] = { 30000, 30000, 30000 }, none1[] = { 0, 30000, 30000 };
	static const char *const id[] = { "N1", "N2", "N3" };
	double common[3], each[3];
	struct sim_case c;

	is_int(run_wide(&c, 30000, NULL), 0, "ran each: simulated with the common figure");
	for (int k = 0; k < 3; k++)
		common[k] = end_of(&c, id[k]);
	case_free(&c);
	is_int(run_wide(&c, 0, same), 0, "ran each: simulated with each job's");
	for (int k = 0; k < 3; k++)
		each[k] = end_of(&c, id[k]);
	case_free(&c);
	ok(common[0] > 1.2 && each[0] == common[0] && each[1] == common[1] && each[2] == common[2],
	   "ran each: 30 ms for every job is the common 30 ms (%.3f %.3f %.3f)", each[0], each[1],
	   each[2]);
	is_int(run_wide(&c, 30000, none1), 0, "ran each: N1 works none of its holds");
	ok(end_of(&c, "N1") > common[0] + 0.05,
	   "ran each: N1 ends later, its holds all idle (%.3f, %.3f)", end_of(&c, "N1"), common[0]);
	case_free(&c);
}

int main(void)
{
	lockstep();
	ends_while_freezing();
	resumed_while_freezing();
	every_policy();
	config();
	ran_each();
	done_testing();
	return exit_status();
}
