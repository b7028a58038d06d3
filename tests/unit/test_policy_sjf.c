// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* sjf (non-preemptive, shortest estimate) and srtf on one slot: textbook numbers. */
#include "sim_case.h"

static void sjf(void)
{
	struct cpool_policy p = policy_of(CPOOL_SCHED_SJF);
	struct sim_case c;

	{
		/*
		 * Silberschatz SJF: P1 6, P2 8, P3 7, P4 3 at 0.
		 * P4 0-3, P1 3-9, P3 9-16, P2 16-24: waits 3, 16, 9, 0 (mean 7).
		 */
		static const struct tjob t[] = {
			{ "P1", 0, 6 },
			{ "P2", 0, 8 },
			{ "P3", 0, 7 },
			{ "P4", 0, 3 },
		};
		static const struct texp e[] = {
			{ "P1", 3, 9, 3, 3, 9 },
			{ "P2", 16, 24, 16, 16, 24 },
			{ "P3", 9, 16, 9, 9, 16 },
			{ "P4", 0, 3, 0, 0, 3 },
		};

		run_slots(&c, &p, 1, t, N_OF(t));
		expect_jobs(&c, "sjf silberschatz", e, N_OF(e));
		is_double(c.res.summary.mean_wait, 7, 1e-9, "sjf silberschatz: mean wait 7");
		case_free(&c);
	}
	{
		/*
		 * Stallings SPN: A 0/3, B 2/6, C 4/4, D 6/5, E 8/2.
		 * A 0-3; at 3 only B: B 3-9 (no preemption); at 9 E(2) < C(4) < D(5):
		 * E 9-11, C 11-15, D 15-20.
		 */
		static const struct tjob t[] = {
			{ "A", 0, 3 }, { "B", 2, 6 }, { "C", 4, 4 }, { "D", 6, 5 }, { "E", 8, 2 },
		};
		static const struct texp e[] = {
			{ "A", 0, 3, 0, 0, 3 },	   { "B", 3, 9, 1, 1, 7 },
			{ "C", 11, 15, 7, 7, 11 }, { "D", 15, 20, 9, 9, 14 },
			{ "E", 9, 11, 1, 1, 3 },
		};

		run_slots(&c, &p, 1, t, N_OF(t));
		expect_jobs(&c, "sjf stallings", e, N_OF(e));
		case_free(&c);
	}
	{
		/*
		 * The estimate decides, not the runtime; equal estimates go by
		 * submit time, then input order.  L(0, 10) runs first (alone).
		 * At 10: G(est 1, runtime 4, submit 1), Z(est 2, submit 3),
		 * Y(est 2, submit 2), X(est 2, submit 3, listed after Z).
		 * G 10-14, Y 14-16, Z 16-18, X 18-20.
		 */
		static const struct tjob t[] = {
			{ "L", 0, 10 }, { "G", 1, 4, 1, 0, 1 }, { "Z", 3, 2 },
			{ "Y", 2, 2 },	{ "X", 3, 2 },
		};
		static const struct texp e[] = {
			{ "L", 0, 10, 0, 0, 10 },    { "G", 10, 14, 9, 9, 13 },
			{ "Y", 14, 16, 12, 12, 14 }, { "Z", 16, 18, 13, 13, 15 },
			{ "X", 18, 20, 15, 15, 17 },
		};

		run_slots(&c, &p, 1, t, N_OF(t));
		expect_jobs(&c, "sjf estimate and ties", e, N_OF(e));
		case_free(&c);
	}
}

static void srtf(void)
{
	struct cpool_policy p = policy_of(CPOOL_SCHED_SRTF);
	struct sim_case c;

	{
		/*
		 * Silberschatz SRTF: P1 0/8, P2 1/4, P3 2/9, P4 3/5.
		 * P1 0-1; P2 (4 < 7) preempts: P2 1-5; P4 5-10; P1 10-17; P3 17-26.
		 * Waits: P1 17-8=9, P2 0, P3 24-9=15, P4 7-5=2 (mean 6.5).
		 */
		static const struct tjob t[] = {
			{ "P1", 0, 8 },
			{ "P2", 1, 4 },
			{ "P3", 2, 9 },
			{ "P4", 3, 5 },
		};
		static const struct texp e[] = {
			{ "P1", 0, 17, 9, 0, 17 },
			{ "P2", 1, 5, 0, 0, 4 },
			{ "P3", 17, 26, 15, 15, 24 },
			{ "P4", 5, 10, 2, 2, 7 },
		};

		run_slots(&c, &p, 1, t, N_OF(t));
		expect_jobs(&c, "srtf silberschatz", e, N_OF(e));
		is_double(c.res.summary.mean_wait, 6.5, 1e-9, "srtf silberschatz: mean wait 6.5");
		is_int((int64_t)c.res.preemptions, 1, "srtf silberschatz: one preemption");
		case_free(&c);
	}
	{
		/*
		 * Stallings SRT: A 0/3, B 2/6, C 4/4, D 6/5, E 8/2.
		 * A 0-3 (B's 6 is not < A's 1); B 3-4; C (4 < 5) preempts: C 4-8;
		 * at 8 E(2): E 8-10; B(5) and D(5) tie, B submitted first: B 10-15,
		 * D 15-20.
		 */
		static const struct tjob t[] = {
			{ "A", 0, 3 }, { "B", 2, 6 }, { "C", 4, 4 }, { "D", 6, 5 }, { "E", 8, 2 },
		};
		static const struct texp e[] = {
			{ "A", 0, 3, 0, 0, 3 },	   { "B", 3, 15, 7, 1, 13 }, { "C", 4, 8, 0, 0, 4 },
			{ "D", 15, 20, 9, 9, 14 }, { "E", 8, 10, 0, 0, 2 },
		};

		run_slots(&c, &p, 1, t, N_OF(t));
		expect_jobs(&c, "srtf stallings", e, N_OF(e));
		case_free(&c);
	}
	{
		/*
		 * A newcomer preempts only when strictly shorter: A(0, 4) has 2
		 * left when B(2, 2) arrives: a tie, A keeps the CPU.
		 * A 0-4, B 4-6.
		 */
		static const struct tjob t[] = { { "A", 0, 4 }, { "B", 2, 2 } };
		static const struct texp e[] = {
			{ "A", 0, 4, 0, 0, 4 },
			{ "B", 4, 6, 2, 2, 4 },
		};

		run_slots(&c, &p, 1, t, N_OF(t));
		expect_jobs(&c, "srtf tie does not preempt", e, N_OF(e));
		is_int((int64_t)c.res.preemptions, 0, "srtf tie: no preemption");
		case_free(&c);
	}
	{
		/*
		 * Two slots: the newcomer preempts the running job with the
		 * most remaining.  A(0, 10), B(0, 6), C(1, 2).
		 * At 1: A has 9, B 5 left; C(2) preempts A.  C 1-3, A resumes
		 * 3-12 (9 left).  B 0-6.
		 */
		static const struct tjob t[] = { { "A", 0, 10 }, { "B", 0, 6 }, { "C", 1, 2 } };
		static const struct texp e[] = {
			{ "A", 0, 12, 2, 0, 12 },
			{ "B", 0, 6, 0, 0, 6 },
			{ "C", 1, 3, 0, 0, 2 },
		};

		run_slots(&c, &p, 2, t, N_OF(t));
		expect_jobs(&c, "srtf two slots", e, N_OF(e));
		case_free(&c);
	}
}

int main(void)
{
	sjf();
	srtf();
	done_testing();
	return exit_status();
}
