// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* rr on one slot: textbook numbers and the quantum edge rules. */
#include <errno.h>

#include "sim_case.h"

static struct cpool_policy rr(double q)
{
	struct cpool_policy p = policy_of(CPOOL_SCHED_RR);

	p.quantum_us = sec_us(q);
	return p;
}

int main(void)
{
	struct cpool_policy p;
	struct sim_case c;

	cpool_policy_init(&p);
	is_int(p.quantum_us, 100000, "default quantum is 100 ms");
	{
		/*
		 * Silberschatz, q = 4: P1 24, P2 3, P3 3 at 0.
		 * P1 0-4, P2 4-7, P3 7-10, P1 10-30 (alone, never preempted).
		 * Waits 6, 4, 7 (mean 17/3); responses 0, 4, 7.
		 */
		static const struct tjob t[] = { { "P1", 0, 24 }, { "P2", 0, 3 }, { "P3", 0, 3 } };
		static const struct texp e[] = {
			{ "P1", 0, 30, 6, 0, 30 },
			{ "P2", 4, 7, 4, 4, 7 },
			{ "P3", 7, 10, 7, 7, 10 },
		};

		p = rr(4);
		run_slots(&c, &p, 1, t, N_OF(t));
		expect_jobs(&c, "rr q=4 silberschatz", e, N_OF(e));
		is_double(c.res.summary.mean_wait, 17.0 / 3, 1e-9,
			  "rr silberschatz: mean wait 17/3");
		is_int((int64_t)c.res.preemptions, 1, "rr silberschatz: P1 preempted once");
		case_free(&c);
	}
	{
		/*
		 * Stallings, q = 1: A 0/3, B 2/6, C 4/4, D 6/5, E 8/2.  An arrival
		 * at an expiry instant is queued ahead of the preempted job.
		 * 0-2 A (alone); 2: queue [B, A]; B 2-3; A 3-4 (A done 4);
		 * 4: [B, C]: B 4-5; C 5-6; 6: [B, D, C]: B 6-7, D 7-8;
		 * 8: [C, B, E, D]: C 8-9, B 9-10, E 10-11, D 11-12, C 12-13,
		 * B 13-14, E 14-15 (E done 15), D 15-16, C 16-17 (C done 17),
		 * B 17-18 (B done 18), D 18-20 (D done 20).
		 * Finish 4, 18, 17, 20, 15; turnaround 4, 16, 13, 14, 7;
		 * wait 1, 10, 9, 9, 5; first start 0, 2, 5, 7, 10.
		 */
		static const struct tjob t[] = {
			{ "A", 0, 3 }, { "B", 2, 6 }, { "C", 4, 4 }, { "D", 6, 5 }, { "E", 8, 2 },
		};
		static const struct texp e[] = {
			{ "A", 0, 4, 1, 0, 4 },	  { "B", 2, 18, 10, 0, 16 },
			{ "C", 5, 17, 9, 1, 13 }, { "D", 7, 20, 9, 1, 14 },
			{ "E", 10, 15, 5, 2, 7 },
		};

		p = rr(1);
		run_slots(&c, &p, 1, t, N_OF(t));
		expect_jobs(&c, "rr q=1 stallings", e, N_OF(e));
		case_free(&c);
	}
	{
		/*
		 * Stallings, q = 4: A 0-3 (done early, frees at once); B 3-7;
		 * 7: [C, D, B]: C 7-11; 11: [D, B, E]: D 11-15; B 15-17;
		 * E 17-19; D 19-20.  Finish 3, 17, 11, 20, 19.
		 */
		static const struct tjob t[] = {
			{ "A", 0, 3 }, { "B", 2, 6 }, { "C", 4, 4 }, { "D", 6, 5 }, { "E", 8, 2 },
		};
		static const struct texp e[] = {
			{ "A", 0, 3, 0, 0, 3 },	   { "B", 3, 17, 9, 1, 15 },
			{ "C", 7, 11, 3, 3, 7 },   { "D", 11, 20, 9, 5, 14 },
			{ "E", 17, 19, 9, 9, 11 },
		};

		p = rr(4);
		run_slots(&c, &p, 1, t, N_OF(t));
		expect_jobs(&c, "rr q=4 stallings", e, N_OF(e));
		case_free(&c);
	}
	{
		/*
		 * The arrival-at-expiry rule decides the outcome: q = 2,
		 * A(0, 4), B(0, 4), C(2, 1).  At 2 A expires and C arrives:
		 * queue [B, C, A] (C ahead of A).  B 2-4; [C, A, B]: C 4-5,
		 * A 5-7, B 7-9.  (A ahead of C would give C 6-7.)
		 */
		static const struct tjob t[] = { { "A", 0, 4 }, { "B", 0, 4 }, { "C", 2, 1 } };
		static const struct texp e[] = {
			{ "A", 0, 7, 3, 0, 7 },
			{ "B", 2, 9, 5, 2, 9 },
			{ "C", 4, 5, 2, 2, 3 },
		};

		p = rr(2);
		run_slots(&c, &p, 1, t, N_OF(t));
		expect_jobs(&c, "rr arrival at expiry queued first", e, N_OF(e));
		case_free(&c);
	}
	{
		/*
		 * Early finish frees the CPU at once and the next job gets a
		 * full quantum: q = 2, A(0, 1), B(0, 3).  A 0-1; B 1-3, alone
		 * at its expiry so it continues: B done 4.
		 */
		static const struct tjob t[] = { { "A", 0, 1 }, { "B", 0, 3 } };
		static const struct texp e[] = {
			{ "A", 0, 1, 0, 0, 1 },
			{ "B", 1, 4, 1, 1, 4 },
		};

		p = rr(2);
		run_slots(&c, &p, 1, t, N_OF(t));
		expect_jobs(&c, "rr early finish", e, N_OF(e));
		is_int((int64_t)c.res.preemptions, 0, "rr early finish: no preemption");
		case_free(&c);
	}
	{
		/*
		 * A job finishing exactly at its quantum's end is not preempted:
		 * q = 2, A(0, 2), B(0, 2): A 0-2, B 2-4, no preemption.
		 */
		static const struct tjob t[] = { { "A", 0, 2 }, { "B", 0, 2 } };
		static const struct texp e[] = {
			{ "A", 0, 2, 0, 0, 2 },
			{ "B", 2, 4, 2, 2, 4 },
		};

		p = rr(2);
		run_slots(&c, &p, 1, t, N_OF(t));
		expect_jobs(&c, "rr finish at expiry", e, N_OF(e));
		is_int((int64_t)c.res.preemptions, 0, "rr finish at expiry: no preemption");
		case_free(&c);
	}
	{
		/*
		 * A newcomer mid-quantum waits for the running job's next
		 * quantum boundary, counted from its dispatch: q = 2,
		 * A(0, 10) alone through boundaries 2 and 4; B(5.5, 1) waits
		 * until 6.  B 6-7; A 7-11 (4 left).  Wait A 1, B 0.5.
		 */
		static const struct tjob t[] = { { "A", 0, 10 }, { "B", 5.5, 1 } };
		static const struct texp e[] = {
			{ "A", 0, 11, 1, 0, 11 },
			{ "B", 6, 7, 0.5, 0.5, 1.5 },
		};

		p = rr(2);
		run_slots(&c, &p, 1, t, N_OF(t));
		expect_jobs(&c, "rr mid-quantum arrival", e, N_OF(e));
		case_free(&c);
	}
	{
		/* 100 ms default on sub-second jobs: A(0, 0.25), B(0, 0.1).
		 * A 0-0.1, B 0.1-0.2 (done), A 0.2-0.35. */
		static const struct tjob t[] = { { "A", 0, 0.25 }, { "B", 0, 0.1 } };
		static const struct texp e[] = {
			{ "A", 0, 0.35, 0.1, 0, 0.35 },
			{ "B", 0.1, 0.2, 0.1, 0.1, 0.2 },
		};

		p = policy_of(CPOOL_SCHED_RR);
		run_slots(&c, &p, 1, t, N_OF(t));
		expect_jobs(&c, "rr default quantum", e, N_OF(e));
		case_free(&c);
	}
	{
		/*
		 * A first slice 2 s late (cpoold: a launch that is not the
		 * policy's until its exec), q = 2: A(0, 5), B(0, 3).  A's
		 * first quantum ends at 4, B's at 8; resumed, a slice is
		 * the quantum: A 0-4, B 4-7 (done), A 7-8.
		 */
		static const struct tjob t[] = { { "A", 0, 5 }, { "B", 0, 3 } };
		static const struct texp e[] = {
			{ "A", 0, 8, 3, 0, 8 },
			{ "B", 4, 7, 4, 4, 7 },
		};

		case_jobs(&c, t, N_OF(t));
		memset(&c.cfg, 0, sizeof(c.cfg));
		cpool_sim_slots(1, &c.vs[0]);
		c.cfg.vs = c.vs;
		c.cfg.n_vs = 1;
		c.cfg.policy = rr(2);
		c.cfg.launch_slice_us = 2000000;
		c.ret = cpool_sim_run(&c.cfg, c.jobs, N_OF(t), &c.res);
		expect_jobs(&c, "rr first slice late", e, N_OF(e));
		case_free(&c);
	}
	{
		/*
		 * Each job its own first slice (launches differ), q = 2:
		 * A(0, 5) none, B(0, 3) 2 s late.  A 0-2; B's first quantum
		 * ends at 2 + 2 + 2 = 6, so B 2-5 (done in one turn), A 5-8.
		 * With 2 s for both, as above, A 0-4, B 4-7, A 7-8; with
		 * neither, A 0-2, B 2-4, A 4-6, B 6-7, A 7-8.  An entry out
		 * of range is refused.
		 */
		static const struct tjob t[] = { { "A", 0, 5 }, { "B", 0, 3 } };
		static const struct texp e[] = {
			{ "A", 0, 8, 3, 0, 8 },
			{ "B", 2, 5, 2, 2, 5 },
		};
		static const int64_t each[] = { 0, 2000000 };
		static const int64_t bad[] = { 0, -1 };

		case_jobs(&c, t, N_OF(t));
		memset(&c.cfg, 0, sizeof(c.cfg));
		cpool_sim_slots(1, &c.vs[0]);
		c.cfg.vs = c.vs;
		c.cfg.n_vs = 1;
		c.cfg.policy = rr(2);
		c.cfg.launch_slice_us = 5000000; /* overridden */
		c.cfg.launch_slice_each_us = each;
		c.ret = cpool_sim_run(&c.cfg, c.jobs, N_OF(t), &c.res);
		expect_jobs(&c, "rr first slice per job", e, N_OF(e));
		cpool_sim_result_free(&c.res);
		c.cfg.launch_slice_each_us = bad;
		is_int(cpool_sim_run(&c.cfg, c.jobs, N_OF(t), &c.res), -EINVAL,
		       "rr first slice per job: a negative one is refused");
		case_free(&c);
	}
	{
		/*
		 * A preempted job resumes on its own VS, as in cpoold (its
		 * cgroup lives there).  VSs a and b of one CPU, q = 1:
		 * A(0, 2.5) on a, B(0, 10) on b, C(0.5, 0.5).  At 1 both
		 * expire: A is preempted and C takes a; B is preempted for A,
		 * which may not move to b, so b idles until C ends at 1.5:
		 * then A on a (ends 3), B on b (ends 10.5).  Were A free to
		 * move it would resume on b at 1 and end at 2.5 there.
		 */
		static const struct tjob t[] = { { "A", 0, 2.5 },
						 { "B", 0, 10 },
						 { "C", 0.5, 0.5 } };
		static const struct texp e[] = {
			{ "A", 0, 3, 0.5, 0, 3 },
			{ "B", 0, 10.5, 0.5, 0, 10.5 },
			{ "C", 1, 1.5, 0.5, 0.5, 1 },
		};
		const struct cpool_sim_record *a, *b;

		case_jobs(&c, t, N_OF(t));
		memset(&c.cfg, 0, sizeof(c.cfg));
		memset(c.vs, 0, 2 * sizeof(c.vs[0]));
		strcpy(c.vs[0].name, "a");
		cpool_cpuset_set_range(&c.vs[0].cpus, 0, 0);
		strcpy(c.vs[1].name, "b");
		cpool_cpuset_set_range(&c.vs[1].cpus, 1, 1);
		c.cfg.vs = c.vs;
		c.cfg.n_vs = 2;
		c.cfg.policy = rr(1);
		c.ret = cpool_sim_run(&c.cfg, c.jobs, N_OF(t), &c.res);
		expect_jobs(&c, "rr preempted job stays on its VS", e, N_OF(e));
		a = find_rec(&c, "A");
		b = find_rec(&c, "B");
		ok(a && b && a->vs == 0 && b->vs == 1 && a->job == &c.jobs[0],
		   "rr preempted job stays on its VS: A ends on a, B on b, records point at the input");
		case_free(&c);
	}
	done_testing();
	return exit_status();
}
