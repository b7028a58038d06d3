// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* fcfs on one one-CPU slot: the textbook numbers, exactly. */
#include "sim_case.h"

/* @t on one CPU, 0.5 s charged at every dispatch, or each job's own (@each, NULL: none). */
static void run_switch_cost(struct sim_case *c, const struct cpool_policy *p, const struct tjob *t,
			    size_t n, const int64_t *each)
{
	case_jobs(c, t, n);
	memset(&c->cfg, 0, sizeof(c->cfg));
	cpool_sim_slots(1, &c->vs[0]);
	c->cfg.vs = c->vs;
	c->cfg.n_vs = 1;
	c->cfg.policy = *p;
	c->cfg.switch_cost_us = 500000;
	c->cfg.switch_cost_each_us = each;
	c->ret = cpool_sim_run(&c->cfg, c->jobs, n, &c->res);
}

int main(void)
{
	struct cpool_policy p = policy_of(CPOOL_SCHED_FCFS);
	struct sim_case c;

	{
		/*
		 * Silberschatz: P1 24, P2 3, P3 3, all at 0.
		 * P1 0-24, P2 24-27, P3 27-30: waits 0, 24, 27 (mean 17).
		 */
		static const struct tjob t[] = { { "P1", 0, 24 }, { "P2", 0, 3 }, { "P3", 0, 3 } };
		static const struct texp e[] = {
			{ "P1", 0, 24, 0, 0, 24 },
			{ "P2", 24, 27, 24, 24, 27 },
			{ "P3", 27, 30, 27, 27, 30 },
		};

		run_slots(&c, &p, 1, t, N_OF(t));
		expect_jobs(&c, "silberschatz", e, N_OF(e));
		is_double(c.res.summary.mean_wait, 17, 1e-9, "silberschatz: mean wait 17");
		is_double(c.res.summary.rul, 1, 1e-9, "silberschatz: RUL 1 (never idle)");
		case_free(&c);
	}
	{
		/*
		 * Stallings' five processes, arriving during runs:
		 * A 0/3, B 2/6, C 4/4, D 6/5, E 8/2.
		 * A 0-3, B 3-9, C 9-13, D 13-18, E 18-20.
		 * Turnaround 3, 7, 9, 12, 12; wait = TAT - service: 0, 1, 5, 7, 10.
		 */
		static const struct tjob t[] = {
			{ "A", 0, 3 }, { "B", 2, 6 }, { "C", 4, 4 }, { "D", 6, 5 }, { "E", 8, 2 },
		};
		static const struct texp e[] = {
			{ "A", 0, 3, 0, 0, 3 },	     { "B", 3, 9, 1, 1, 7 },
			{ "C", 9, 13, 5, 5, 9 },     { "D", 13, 18, 7, 7, 12 },
			{ "E", 18, 20, 10, 10, 12 },
		};

		run_slots(&c, &p, 1, t, N_OF(t));
		expect_jobs(&c, "stallings", e, N_OF(e));
		is_double(c.res.summary.makespan, 20, 1e-9, "stallings: makespan 20");
		is_double(c.res.summary.throughput, 5.0 / 20, 1e-12, "stallings: throughput 5/20");
		case_free(&c);
	}
	{
		/*
		 * Ties: Y(5, 1) is listed first but submitted last; X(0, 2) and
		 * Z(0, 1) share a submit time and input order puts X first.
		 * X 0-2, Z 2-3, idle 3-5, Y 5-6.
		 * RUL = busy 4 / (1 CPU * 6 s) = 2/3.
		 */
		static const struct tjob t[] = { { "Y", 5, 1 }, { "X", 0, 2 }, { "Z", 0, 1 } };
		static const struct texp e[] = {
			{ "X", 0, 2, 0, 0, 2 },
			{ "Z", 2, 3, 2, 2, 3 },
			{ "Y", 5, 6, 0, 0, 1 },
		};

		run_slots(&c, &p, 1, t, N_OF(t));
		expect_jobs(&c, "ties and an idle gap", e, N_OF(e));
		is_double(c.res.summary.rul, 4.0 / 6, 1e-9, "idle gap: RUL = (6 - 2) / 6");
		case_free(&c);
	}
	{
		/*
		 * Strict FCFS with wide jobs on 4 slots: W needs 4 while N runs
		 * on 3; S (1 CPU) fits now but must wait behind W.
		 * N 0-10, W 10-15, S 15-20.
		 */
		static const struct tjob t[] = {
			{ "N", 0, 10, 3 },
			{ "W", 1, 5, 4 },
			{ "S", 2, 5, 1 },
		};
		static const struct texp e[] = {
			{ "N", 0, 10, 0, 0, 10 },
			{ "W", 10, 15, 9, 9, 14 },
			{ "S", 15, 20, 13, 13, 18 },
		};

		run_slots(&c, &p, 4, t, N_OF(t));
		expect_jobs(&c, "strict order with wide jobs", e, N_OF(e));
		case_free(&c);
	}
	{
		/* Switch cost 0.5 s per dispatch: A 0-2.5, B 2.5-5. */
		static const struct tjob t[] = { { "A", 0, 2 }, { "B", 0, 2 } };
		static const struct texp e[] = {
			{ "A", 0, 2.5, 0.5, 0, 2.5 },
			{ "B", 2.5, 5, 3, 2.5, 5 },
		};

		run_switch_cost(&c, &p, t, N_OF(t), NULL);
		expect_jobs(&c, "switch cost", e, N_OF(e));
		case_free(&c);
	}
	{
		/* Each its own: A's 0 and B's 1 s, over the common 0.5 s: A 0-2, B 2-5. */
		static const struct tjob t[] = { { "A", 0, 2 }, { "B", 0, 2 } };
		static const struct texp e[] = {
			{ "A", 0, 2, 0, 0, 2 },
			{ "B", 2, 5, 3, 2, 5 },
		};
		static const int64_t each[] = { 0, 1000000 };

		run_switch_cost(&c, &p, t, N_OF(t), each);
		expect_jobs(&c, "switch cost per job", e, N_OF(e));
		case_free(&c);
	}
	done_testing();
	return exit_status();
}
