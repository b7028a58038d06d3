// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* priority, priority-preemptive and hrrn on one slot; aging. */
#include "sim_case.h"

static void priority(void)
{
	struct cpool_policy p = policy_of(CPOOL_SCHED_PRIORITY);
	struct sim_case c;

	{
		/*
		 * Silberschatz: P1 10/prio 3, P2 1/1, P3 2/4, P4 1/5, P5 5/2 at 0.
		 * P2 0-1, P5 1-6, P1 6-16, P3 16-18, P4 18-19.
		 * Waits 6, 0, 16, 18, 1 (mean 8.2).
		 */
		static const struct tjob t[] = {
			{ "P1", 0, 10, 1, 3 }, { "P2", 0, 1, 1, 1 }, { "P3", 0, 2, 1, 4 },
			{ "P4", 0, 1, 1, 5 },  { "P5", 0, 5, 1, 2 },
		};
		static const struct texp e[] = {
			{ "P1", 6, 16, 6, 6, 16 },    { "P2", 0, 1, 0, 0, 1 },
			{ "P3", 16, 18, 16, 16, 18 }, { "P4", 18, 19, 18, 18, 19 },
			{ "P5", 1, 6, 1, 1, 6 },
		};

		run_slots(&c, &p, 1, t, N_OF(t));
		expect_jobs(&c, "priority silberschatz", e, N_OF(e));
		is_double(c.res.summary.mean_wait, 8.2, 1e-9,
			  "priority silberschatz: mean wait 8.2");
		case_free(&c);
	}
	{
		/*
		 * Non-preemptive: an urgent newcomer waits.  A(0, 5, prio 3),
		 * B(1, 2, prio 1), C(2, 1, prio 2).  A 0-5, B 5-7, C 7-8.
		 */
		static const struct tjob t[] = {
			{ "A", 0, 5, 1, 3 },
			{ "B", 1, 2, 1, 1 },
			{ "C", 2, 1, 1, 2 },
		};
		static const struct texp e[] = {
			{ "A", 0, 5, 0, 0, 5 },
			{ "B", 5, 7, 4, 4, 6 },
			{ "C", 7, 8, 5, 5, 6 },
		};

		run_slots(&c, &p, 1, t, N_OF(t));
		expect_jobs(&c, "priority arrivals", e, N_OF(e));
		case_free(&c);
	}
	{
		/*
		 * Aging decides: A(0, 4, prio 0) runs 0-4.  L(0, 1, prio 5) and
		 * M(3, 1, prio 2) wait.  Without aging at 4: M (2) before L (5):
		 * M 4-5, L 5-6.
		 */
		static const struct tjob t[] = {
			{ "A", 0, 4, 1, 0 },
			{ "L", 0, 1, 1, 5 },
			{ "M", 3, 1, 1, 2 },
		};
		static const struct texp plain[] = {
			{ "A", 0, 4, 0, 0, 4 },
			{ "L", 5, 6, 5, 5, 6 },
			{ "M", 4, 5, 1, 1, 2 },
		};
		/*
		 * With aging one level per 0.5 s waited: at 4, L has waited 4 s:
		 * 5 - 8 = -3; M waited 1 s: 2 - 2 = 0.  L 4-5, M 5-6.
		 */
		static const struct texp aged[] = {
			{ "A", 0, 4, 0, 0, 4 },
			{ "L", 4, 5, 4, 4, 5 },
			{ "M", 5, 6, 2, 2, 3 },
		};

		run_slots(&c, &p, 1, t, N_OF(t));
		expect_jobs(&c, "priority without aging", plain, N_OF(plain));
		case_free(&c);
		p.aging_us = 500000;
		run_slots(&c, &p, 1, t, N_OF(t));
		expect_jobs(&c, "priority with aging", aged, N_OF(aged));
		case_free(&c);
	}
}

static void priority_preemptive(void)
{
	struct cpool_policy p = policy_of(CPOOL_SCHED_PRIORITY_PREEMPT);
	struct sim_case c;

	{
		/*
		 * A(0, 5, prio 3), B(1, 2, prio 1), C(2, 2, prio 3), D(3, 1, prio 2).
		 * A 0-1; B (1 < 3) preempts: B 1-3; at 3 D (2): D 3-4; A and C
		 * tie at 3, A submitted first: A 4-8 (4 left); C 8-10.
		 */
		static const struct tjob t[] = {
			{ "A", 0, 5, 1, 3 },
			{ "B", 1, 2, 1, 1 },
			{ "C", 2, 2, 1, 3 },
			{ "D", 3, 1, 1, 2 },
		};
		static const struct texp e[] = {
			{ "A", 0, 8, 3, 0, 8 },
			{ "B", 1, 3, 0, 0, 2 },
			{ "C", 8, 10, 6, 6, 8 },
			{ "D", 3, 4, 0, 0, 1 },
		};

		run_slots(&c, &p, 1, t, N_OF(t));
		expect_jobs(&c, "priority-preemptive", e, N_OF(e));
		is_int((int64_t)c.res.preemptions, 1, "priority-preemptive: A preempted once");
		case_free(&c);
	}
	{
		/* Equal priority never preempts: E(0, 4, 2), F(1, 1, 2): E 0-4, F 4-5. */
		static const struct tjob t[] = { { "E", 0, 4, 1, 2 }, { "F", 1, 1, 1, 2 } };
		static const struct texp e[] = {
			{ "E", 0, 4, 0, 0, 4 },
			{ "F", 4, 5, 3, 3, 4 },
		};

		run_slots(&c, &p, 1, t, N_OF(t));
		expect_jobs(&c, "priority-preemptive tie", e, N_OF(e));
		case_free(&c);
	}
	{
		/*
		 * Starvation without aging: A(0, 10, prio 1), B(0, 2, prio 4):
		 * A 0-10, B 10-12.
		 */
		static const struct tjob t[] = { { "A", 0, 10, 1, 1 }, { "B", 0, 2, 1, 4 } };
		static const struct texp plain[] = {
			{ "A", 0, 10, 0, 0, 10 },
			{ "B", 10, 12, 10, 10, 12 },
		};
		/*
		 * Aging 1 s: B's priority is 4 - floor(waited); it beats A's 1
		 * when 4 - k < 1, k = 4: at 4 B preempts A and runs at level 0:
		 * B 4-6.  A re-queued at 4 (prio 1, aging from 4): at 5 it is
		 * 0, not < 0; B ends 6; A 6-12.
		 */
		static const struct texp aged[] = {
			{ "A", 0, 12, 2, 0, 12 },
			{ "B", 4, 6, 4, 4, 6 },
		};

		run_slots(&c, &p, 1, t, N_OF(t));
		expect_jobs(&c, "priority-preemptive without aging", plain, N_OF(plain));
		case_free(&c);
		p.aging_us = 1000000;
		run_slots(&c, &p, 1, t, N_OF(t));
		expect_jobs(&c, "priority-preemptive with aging", aged, N_OF(aged));
		is_int((int64_t)c.res.preemptions, 1, "aging: one preemption, no ping-pong");
		case_free(&c);
	}
}

static void hrrn(void)
{
	struct cpool_policy p = policy_of(CPOOL_SCHED_HRRN);
	struct sim_case c;

	{
		/*
		 * Stallings HRRN: A 0/3, B 2/6, C 4/4, D 6/5, E 8/2.
		 * A 0-3; B 3-9; at 9 ratios (w+s)/s: C (5+4)/4 = 2.25,
		 * D (3+5)/5 = 1.6, E (1+2)/2 = 1.5: C 9-13; at 13 D (7+5)/5 = 2.4,
		 * E (5+2)/2 = 3.5: E 13-15, D 15-20.
		 */
		static const struct tjob t[] = {
			{ "A", 0, 3 }, { "B", 2, 6 }, { "C", 4, 4 }, { "D", 6, 5 }, { "E", 8, 2 },
		};
		static const struct texp e[] = {
			{ "A", 0, 3, 0, 0, 3 },	  { "B", 3, 9, 1, 1, 7 },
			{ "C", 9, 13, 5, 5, 9 },  { "D", 15, 20, 9, 9, 14 },
			{ "E", 13, 15, 5, 5, 7 },
		};

		run_slots(&c, &p, 1, t, N_OF(t));
		expect_jobs(&c, "hrrn stallings", e, N_OF(e));
		case_free(&c);
	}
	{
		/*
		 * Equal ratios tie by submit: L(0, 4); at 4, X(1, 3) has
		 * (3 + 3) / 3 = 2 and Y(2, 2) has (2 + 2) / 2 = 2.  X was
		 * submitted first (though listed last): X 4-7, Y 7-9.
		 */
		static const struct tjob t[] = { { "L", 0, 4 }, { "Y", 2, 2 }, { "X", 1, 3 } };
		static const struct texp e[] = {
			{ "L", 0, 4, 0, 0, 4 },
			{ "X", 4, 7, 3, 3, 6 },
			{ "Y", 7, 9, 5, 5, 7 },
		};

		run_slots(&c, &p, 1, t, N_OF(t));
		expect_jobs(&c, "hrrn tie", e, N_OF(e));
		case_free(&c);
	}
}

int main(void)
{
	priority();
	priority_preemptive();
	hrrn();
	done_testing();
	return exit_status();
}
