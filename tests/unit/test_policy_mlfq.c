// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* mlfq: demotion, preemption by a better level, round robin at the last level. */
#include <errno.h>

#include "sim_case.h"

static struct cpool_policy mlfq(int levels, const double *q)
{
	struct cpool_policy p = policy_of(CPOOL_SCHED_MLFQ);

	p.mlfq_levels = levels;
	for (int l = 0; l < levels; l++)
		p.mlfq_quantum_us[l] = sec_us(q[l]);
	return p;
}

int main(void)
{
	struct cpool_policy p;
	struct sim_case c;

	{
		/*
		 * Levels 2 s, 4 s, FCFS.  A(0, 10), B(1, 3), C(5, 1).
		 *  0: A starts at level 0.
		 *  1: B arrives at level 0: same level as A, no preemption.
		 *  2: A used its 2 s: down to level 1; B waits at level 0: A is
		 *     preempted; B 2-4.
		 *  4: B used 2 s: down to level 1; A waits at level 1: B is
		 *     preempted, queue [A, B]; A runs at level 1 from 4.
		 *  5: C arrives at level 0 and preempts A (level 1, 1 s used
		 *     there); C 5-6, done.
		 *  6: B (level 1, queued before A) 6-7: its last 1 s, done at 7.
		 *  7: A resumes at level 1 with 1 s used: 3 s left of the 4 s
		 *     quantum, expires at 10, alone: down to level 2 (FCFS) and
		 *     runs on: done 0-2, 4-5, 7-10 = 6 s, 4 left: ends 14.
		 * A: TAT 14, wait 4, response 0.  B: start 2, end 7, TAT 6,
		 * wait 3, response 1.  C: 5-6, wait 0.
		 */
		static const double q[] = { 2, 4, 0 };
		static const struct tjob t[] = { { "A", 0, 10 }, { "B", 1, 3 }, { "C", 5, 1 } };
		static const struct texp e[] = {
			{ "A", 0, 14, 4, 0, 14 },
			{ "B", 2, 7, 3, 1, 6 },
			{ "C", 5, 6, 0, 0, 1 },
		};

		p = mlfq(3, q);
		run_slots(&c, &p, 1, t, N_OF(t));
		expect_jobs(&c, "mlfq demotion and preemption", e, N_OF(e));
		is_int((int64_t)c.res.preemptions, 3, "mlfq: A at 2, B at 4, A at 5");
		case_free(&c);
	}
	{
		/*
		 * Two levels, 1 s then round robin with 2 s.  A(0, 4), B(0, 4).
		 *  0-1 A (level 0), demoted; B waits at level 0: preempted.
		 *  1-2 B (level 0), demoted; A waits at level 1: preempted.
		 *  2-4 A (level 1); 4: expired, B waits: preempted.  4-6 B.
		 *  6: B preempted, A 6-7 (its last 1 s); B 7-8.
		 * A: end 7, wait 3, response 0.  B: start 1, end 8, wait 4.
		 */
		static const double q[] = { 1, 2 };
		static const struct tjob t[] = { { "A", 0, 4 }, { "B", 0, 4 } };
		static const struct texp e[] = {
			{ "A", 0, 7, 3, 0, 7 },
			{ "B", 1, 8, 4, 1, 8 },
		};

		p = mlfq(2, q);
		run_slots(&c, &p, 1, t, N_OF(t));
		expect_jobs(&c, "mlfq last level round robin", e, N_OF(e));
		case_free(&c);
	}
	{
		/*
		 * Short jobs stay on top: levels 1 s, FCFS.  L(0, 10) demoted
		 * at 1 while alone (keeps running); S(3, 0.5) arrives at level
		 * 0 and preempts L: S 3-3.5; L resumes 3.5, ends 10.5.
		 */
		static const double q[] = { 1, 0 };
		static const struct tjob t[] = { { "L", 0, 10 }, { "S", 3, 0.5 } };
		static const struct texp e[] = {
			{ "L", 0, 10.5, 0.5, 0, 10.5 },
			{ "S", 3, 3.5, 0, 0, 0.5 },
		};

		p = mlfq(2, q);
		run_slots(&c, &p, 1, t, N_OF(t));
		expect_jobs(&c, "mlfq short job preempts a demoted one", e, N_OF(e));
		case_free(&c);
	}
	{
		/*
		 * Preempting for one job can make room for the next without
		 * another preemption.  Two slots, levels 1 s, FCFS.  L(0, 10,
		 * 2 CPUs) demoted at 1 while alone.  A(3, 0.5) and B(3, 0.5)
		 * arrive at level 0: nothing is free, so L is preempted for A,
		 * and B takes the CPU L left over: A and B 3-3.5.  L resumes
		 * at 3.5 with 7 s left: ends 10.5.
		 */
		static const double q[] = { 1, 0 };
		static const struct tjob t[] = { { "L", 0, 10, 2 },
						 { "A", 3, 0.5 },
						 { "B", 3, 0.5 } };
		static const struct texp e[] = {
			{ "L", 0, 10.5, 0.5, 0, 10.5 },
			{ "A", 3, 3.5, 0, 0, 0.5 },
			{ "B", 3, 3.5, 0, 0, 0.5 },
		};

		p = mlfq(2, q);
		run_slots(&c, &p, 2, t, N_OF(t));
		expect_jobs(&c, "mlfq preemption leaves room for the next job", e, N_OF(e));
		is_int((int64_t)c.res.preemptions, 1, "mlfq: L preempted once, for A and B");
		case_free(&c);
	}
	{
		/* One level is plain round robin: the Silberschatz q = 4 numbers. */
		static const double q[] = { 4 };
		static const struct tjob t[] = { { "P1", 0, 24 }, { "P2", 0, 3 }, { "P3", 0, 3 } };
		static const struct texp e[] = {
			{ "P1", 0, 30, 6, 0, 30 },
			{ "P2", 4, 7, 4, 4, 7 },
			{ "P3", 7, 10, 7, 7, 10 },
		};

		p = mlfq(1, q);
		run_slots(&c, &p, 1, t, N_OF(t));
		expect_jobs(&c, "mlfq with one level is rr", e, N_OF(e));
		case_free(&c);
	}
	{
		/* A zero quantum above the last level is refused. */
		static const double q[] = { 0, 1 };
		static const struct tjob t[] = { { "A", 0, 1 } };

		p = mlfq(2, q);
		is_int(run_slots(&c, &p, 1, t, N_OF(t)), -EINVAL,
		       "mlfq: zero quantum above the last level refused");
		case_free(&c);
	}
	done_testing();
	return exit_status();
}
