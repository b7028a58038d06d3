// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* easy: FCFS with EASY backfilling, where it must and must not happen. */
#include "sim_case.h"

int main(void)
{
	struct cpool_policy easy = policy_of(CPOOL_SCHED_EASY);
	struct cpool_policy fcfs = policy_of(CPOOL_SCHED_FCFS);
	struct sim_case c;

	{
		/*
		 * 4 slots.  N(0, 10, 3 CPUs) runs; W(1, 5, 4 CPUs) cannot start:
		 * reservation at 10 (N's estimated end), 0 extra CPUs.
		 * S(2, 5, 1 CPU) fits now and ends at 7 <= 10: backfilled 2-7.
		 * W 10-15.  Under fcfs S waits behind W: 15-20.
		 */
		static const struct tjob t[] = { { "N", 0, 10, 3 },
						 { "W", 1, 5, 4 },
						 { "S", 2, 5, 1 } };
		static const struct texp e[] = {
			{ "N", 0, 10, 0, 0, 10 },
			{ "W", 10, 15, 9, 9, 14 },
			{ "S", 2, 7, 0, 0, 5 },
		};
		static const struct texp f[] = {
			{ "N", 0, 10, 0, 0, 10 },
			{ "W", 10, 15, 9, 9, 14 },
			{ "S", 15, 20, 13, 13, 18 },
		};

		run_slots(&c, &easy, 4, t, N_OF(t));
		expect_jobs(&c, "easy backfills a short job", e, N_OF(e));
		case_free(&c);
		run_slots(&c, &fcfs, 4, t, N_OF(t));
		expect_jobs(&c, "fcfs does not", f, N_OF(f));
		case_free(&c);
	}
	{
		/*
		 * Must not backfill: S(2, 9, 1 CPU) would end at 11 > 10 and
		 * there are no extra CPUs at 10: it would delay W.
		 * N 0-10, W 10-15, S 15-24.
		 */
		static const struct tjob t[] = { { "N", 0, 10, 3 },
						 { "W", 1, 5, 4 },
						 { "S", 2, 9, 1 } };
		static const struct texp e[] = {
			{ "N", 0, 10, 0, 0, 10 },
			{ "W", 10, 15, 9, 9, 14 },
			{ "S", 15, 24, 13, 13, 22 },
		};

		run_slots(&c, &easy, 4, t, N_OF(t));
		expect_jobs(&c, "easy does not delay the reservation", e, N_OF(e));
		case_free(&c);
	}
	{
		/*
		 * Backfill on extra CPUs: 4 slots, N(0, 10, 2 CPUs); W(1, 5,
		 * 3 CPUs) reserved at 10, when 4 are free: 1 extra.
		 * L1(2, 20, 1 CPU) ends at 22 > 10 but fits in the extra CPU:
		 * backfilled 2-22.  L2(3, 20, 1 CPU): 1 CPU free now, but no
		 * extra left and it would end after 10: waits.  W 10-15 (3 of 4:
		 * N's 2 + the free 1).  L2 starts at 15 when W ends: 15-35.
		 */
		static const struct tjob t[] = {
			{ "N", 0, 10, 2 },
			{ "W", 1, 5, 3 },
			{ "L1", 2, 20, 1 },
			{ "L2", 3, 20, 1 },
		};
		static const struct texp e[] = {
			{ "N", 0, 10, 0, 0, 10 },
			{ "W", 10, 15, 9, 9, 14 },
			{ "L1", 2, 22, 0, 0, 20 },
			{ "L2", 15, 35, 12, 12, 32 },
		};

		run_slots(&c, &easy, 4, t, N_OF(t));
		expect_jobs(&c, "easy backfills on extra CPUs only", e, N_OF(e));
		case_free(&c);
	}
	{
		/*
		 * Estimates, not runtimes: N(0, runtime 10, estimate 20, 3 CPUs).
		 * W(1, 5, 4 CPUs) reserved at 20 (by the estimate).  S(2, 12,
		 * 1 CPU) ends at 14 <= 20: backfilled 2-14.  N really ends at
		 * 10; W needs S's CPU too: starts 14, ends 19.
		 */
		static const struct tjob t[] = {
			{ "N", 0, 10, 3, 0, 20 },
			{ "W", 1, 5, 4 },
			{ "S", 2, 12, 1 },
		};
		static const struct texp e[] = {
			{ "N", 0, 10, 0, 0, 10 },
			{ "W", 14, 19, 13, 13, 18 },
			{ "S", 2, 14, 0, 0, 12 },
		};

		run_slots(&c, &easy, 4, t, N_OF(t));
		expect_jobs(&c, "easy judges by estimates", e, N_OF(e));
		case_free(&c);
	}
	{
		/*
		 * Only the first waiting job holds a reservation: 4 slots,
		 * N(0, 10, 4 CPUs) holds all.  W1(1, 5, 4) is reserved at 10;
		 * W2(2, 5, 2) and S(3, 2, 1) wait (nothing free).  At 10 W1 runs
		 * 10-15; at 15 W2 15-20 and S 15-17 (both fit, FCFS order).
		 */
		static const struct tjob t[] = {
			{ "N", 0, 10, 4 },
			{ "W1", 1, 5, 4 },
			{ "W2", 2, 5, 2 },
			{ "S", 3, 2, 1 },
		};
		static const struct texp e[] = {
			{ "N", 0, 10, 0, 0, 10 },
			{ "W1", 10, 15, 9, 9, 14 },
			{ "W2", 15, 20, 13, 13, 18 },
			{ "S", 15, 17, 12, 12, 14 },
		};

		run_slots(&c, &easy, 4, t, N_OF(t));
		expect_jobs(&c, "easy with a full pool", e, N_OF(e));
		case_free(&c);
	}
	{
		/* One-CPU jobs on one slot: easy is fcfs (Stallings' FCFS numbers). */
		static const struct tjob t[] = {
			{ "A", 0, 3 }, { "B", 2, 6 }, { "C", 4, 4 }, { "D", 6, 5 }, { "E", 8, 2 },
		};
		static const struct texp e[] = {
			{ "A", 0, 3, 0, 0, 3 },	     { "B", 3, 9, 1, 1, 7 },
			{ "C", 9, 13, 5, 5, 9 },     { "D", 13, 18, 7, 7, 12 },
			{ "E", 18, 20, 10, 10, 12 },
		};

		run_slots(&c, &easy, 1, t, N_OF(t));
		expect_jobs(&c, "easy on one slot is fcfs", e, N_OF(e));
		case_free(&c);
	}
	done_testing();
	return exit_status();
}
