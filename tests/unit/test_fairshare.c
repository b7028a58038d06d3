// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* Fair share: decayed usage, Slurm's classic factor, the policy in the simulator. */
#include <errno.h>
#include <stdlib.h>

#include "cpool/fairshare.h"
#include "sim_case.h"

#define S(x) ((int64_t)(x)*CPOOL_USEC_PER_SEC)

static void usage_and_factor(void)
{
	struct cpool_fairshare fs;
	double f[4], total;

	cpool_fairshare_init(&fs, S(10));
	is_double(cpool_fairshare_usage(&fs, 7, 0), 0, 0, "an unknown user has used nothing");
	ok(cpool_fairshare_charge(&fs, 7, 40, S(0)) == 0, "charge 40 s to uid 7 at 0");
	is_double(cpool_fairshare_usage(&fs, 7, S(10)), 20, 1e-12, "one half-life later: 20");
	is_double(cpool_fairshare_usage(&fs, 7, S(20)), 10, 1e-12, "two half-lives later: 10");
	is_double(cpool_fairshare_usage(&fs, 7, S(-5)), 40, 0,
		  "a clock that went back does not grow usage");
	cpool_fairshare_charge(&fs, 7, 5, S(10));
	is_double(cpool_fairshare_usage(&fs, 7, S(10)), 25, 1e-12, "decayed, then charged: 25");
	cpool_fairshare_charge(&fs, 3, 0, S(10));
	cpool_fairshare_touch(&fs, 9);
	is_int((int64_t)fs.n, 3, "three users known");
	ok(fs.users[0].uid == 3 && fs.users[1].uid == 7 && fs.users[2].uid == 9,
	   "kept in uid order");
	/*
	 * At 10: usages 0, 25, 0; total 25, N = 3.  F = 2^(-3 u / 25):
	 * uid 7: 2^-3 = 0.125; the others 1.
	 */
	cpool_fairshare_factors(&fs, S(10), f, &total);
	is_double(total, 25, 1e-12, "total usage 25");
	is_double(f[0], 1, 0, "uid 3 used nothing: factor 1");
	is_double(f[1], 0.125, 1e-12, "uid 7 used everything of three shares: 2^-3");
	is_double(f[2], 1, 0, "uid 9 (touched) factor 1");
	cpool_fairshare_charge(&fs, 3, 25, S(10));
	cpool_fairshare_factors(&fs, S(10), f, NULL);
	is_double(f[0], exp2(-1.5), 1e-12, "two users at half the usage each: 2^-1.5");
	{
		char *text = cpool_fairshare_save(&fs);
		struct cpool_fairshare back;

		ok(text != NULL, "saved");
		cpool_fairshare_init(&back, S(10));
		is_int(cpool_fairshare_load(&back, text), 0, "loaded again");
		is_int((int64_t)back.n, 3, "the same three users");
		is_double(cpool_fairshare_usage(&back, 7, S(20)), 12.5, 1e-9,
			  "uid 7 decays on from where it was");
		is_int(cpool_fairshare_load(&back, "{\"users\": [[1, -3, 0]]}"), -EINVAL,
		       "negative usage refused");
		is_int(cpool_fairshare_load(&back, "[]"), -EINVAL, "not a table refused");
		is_int((int64_t)back.n, 3, "a refused load keeps the table");
		cpool_fairshare_free(&back);
		free(text);
	}
	/* At 1000 s everything decayed below a millisecond: only uid 9 kept (by keep()). */
	cpool_fairshare_prune(&fs, S(1000), 1e-3, NULL, NULL);
	is_int((int64_t)fs.n, 0, "decayed users pruned");
	cpool_fairshare_free(&fs);

	cpool_fairshare_init(&fs, 0);
	cpool_fairshare_charge(&fs, 1, 10, S(0));
	is_double(cpool_fairshare_usage(&fs, 1, S(1000000)), 10, 0, "half-life 0: no decay");
	cpool_fairshare_free(&fs);
}

/*
 * The textbook case: one CPU, two users, everything submitted at 0 in the
 * order A1 A2 B1 B2 (A = uid 1, B = uid 2).  A1 runs 40 s, the others 10.
 * fcfs: A1 0-40, A2 40-50, B1 50-60, B2 60-70.
 *
 * fairshare, with usage = CPU-seconds charged when they run:
 *   t=0   nobody has used anything: all factors 1, a tie, FCFS: A1 0-40.
 *   t=40  A has 40, B 0: F(A) = 2^(-2*40/40) = 1/4, F(B) = 1: B1 40-50.
 *   t=50  B has 10; A has 40 decayed over 10 s.  Who goes next is who has
 *         the smaller decayed usage (equal shares):
 *           no decay (half-life 0): A 40 > B 10: B2 50-60, A2 60-70
 *           half-life 10 s: A 40/2 = 20 > 10:    B2 50-60, A2 60-70
 *           half-life 5 s:  A 40/4 = 10 = 10: a tie, FCFS (A2 was first):
 *                                                A2 50-60, B2 60-70
 *           half-life 2.5 s: A 40/16 = 2.5 < 10: A2 50-60, B2 60-70
 */
static void textbook(void)
{
	static const struct tjob t[] = {
		{ "A1", 0, 40, 1, 0, 0, NULL, 1 },
		{ "A2", 0, 10, 1, 0, 0, NULL, 1 },
		{ "B1", 0, 10, 1, 0, 0, NULL, 2 },
		{ "B2", 0, 10, 1, 0, 0, NULL, 2 },
	};
	static const struct texp fcfs[] = {
		{ "A1", 0, 40, 0, 0, 40 },
		{ "A2", 40, 50, 40, 40, 50 },
		{ "B1", 50, 60, 50, 50, 60 },
		{ "B2", 60, 70, 60, 60, 70 },
	};
	static const struct texp b_first[] = {
		{ "A1", 0, 40, 0, 0, 40 },
		{ "B1", 40, 50, 40, 40, 50 },
		{ "B2", 50, 60, 50, 50, 60 },
		{ "A2", 60, 70, 60, 60, 70 },
	};
	static const struct texp a_back[] = {
		{ "A1", 0, 40, 0, 0, 40 },
		{ "B1", 40, 50, 40, 40, 50 },
		{ "A2", 50, 60, 50, 50, 60 },
		{ "B2", 60, 70, 60, 60, 70 },
	};
	static const struct {
		const char *name;
		double half_life;
		const struct texp *e;
	} cases[] = {
		{ "fairshare, no decay", 0, b_first },
		{ "fairshare, half-life 10 s", 10, b_first },
		{ "fairshare, half-life 5 s (a tie)", 5, a_back },
		{ "fairshare, half-life 2.5 s", 2.5, a_back },
	};
	struct cpool_policy p = policy_of(CPOOL_SCHED_FCFS);
	struct sim_case c;

	run_slots(&c, &p, 1, t, N_OF(t));
	expect_jobs(&c, "fcfs", fcfs, N_OF(fcfs));
	case_free(&c);
	for (size_t i = 0; i < N_OF(cases); i++) {
		p = policy_of(CPOOL_SCHED_FAIRSHARE);
		p.fairshare_half_life_us = sec_us(cases[i].half_life);
		run_slots(&c, &p, 1, t, N_OF(t));
		expect_jobs(&c, cases[i].name, cases[i].e, 4);
		case_free(&c);
	}
}

/*
 * A user's running job counts while it runs: two CPUs, no decay.
 * L (uid 1, 100 s) and S1 (uid 2, 10 s) start at 0; B's Y arrives at 5,
 * A's X at 6, both wait.  At 10 S1 ends: B has used 10, and A 10 too (L's
 * first 10 s, charged as it runs): a tie, FCFS, so Y (submitted first)
 * runs 10-20, then X 20-30.  Were L charged only at its end, A would look
 * idle at 10 and X would go first.
 */
static void running_usage_counts(void)
{
	static const struct tjob t[] = {
		{ "L", 0, 100, 1, 0, 0, NULL, 1 },
		{ "S1", 0, 10, 1, 0, 0, NULL, 2 },
		{ "Y", 5, 10, 1, 0, 0, NULL, 2 },
		{ "X", 6, 10, 1, 0, 0, NULL, 1 },
	};
	struct cpool_policy p = policy_of(CPOOL_SCHED_FAIRSHARE);
	const struct cpool_sim_record *x, *y;
	struct sim_case c;

	p.fairshare_half_life_us = 0;
	run_slots(&c, &p, 2, t, N_OF(t));
	is_int(c.ret, 0, "running usage: sim ran");
	x = find_rec(&c, "X");
	y = find_rec(&c, "Y");
	ok(x && y && y->first_start_us == S(10) && x->first_start_us == S(20),
	   "L's time so far counts for A: Y (B's) starts at 10, X at 20");
	case_free(&c);
}

int main(void)
{
	usage_and_factor();
	textbook();
	running_usage_counts();
	done_testing();
	return exit_status();
}
