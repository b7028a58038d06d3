// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The simulator on shared CPUs (sim_share.c): processor sharing checked on
 * cases computed by hand, the run-queue latency a loaded CPU shows to the
 * measured placements, and, with CPUs shared by no job (background on a
 * CPU outside every VS), decisions identical to the plain simulator's.
 */
#include <stdio.h>
#include <stdlib.h>

#include "sim_case.h"

static void vs_make(struct cpool_vserver *v, const char *name, int first, int last)
{
	memset(v, 0, sizeof(*v));
	snprintf(v->name, sizeof(v->name), "%s", name);
	cpool_cpuset_set_range(&v->cpus, first, last);
}

static struct cpool_sim_background bg_make(int first, int last, double threads, bool held)
{
	struct cpool_sim_background b;

	memset(&b, 0, sizeof(b));
	cpool_cpuset_set_range(&b.cpus, first, last);
	b.threads = threads;
	b.held = held;
	return b;
}

static int run(struct sim_case *c, const struct cpool_policy *p, int n_vs,
	       const struct cpool_sim_background *bg, int n_bg, const struct tjob *t, size_t n)
{
	case_jobs(c, t, n);
	memset(&c->cfg, 0, sizeof(c->cfg));
	c->cfg.vs = c->vs;
	c->cfg.n_vs = n_vs;
	c->cfg.policy = *p;
	c->cfg.background = bg;
	c->cfg.n_background = n_bg;
	c->ret = cpool_sim_run(&c->cfg, c->jobs, n, &c->res);
	return c->ret;
}

static const struct cpool_sim_record *rec(const struct sim_case *c, const char *id)
{
	for (size_t i = 0; i < c->res.n_records; i++)
		if (strcmp(c->res.records[i].job->id, id) == 0)
			return &c->res.records[i];
	bail_out("no record of %s", id);
	return NULL;
}

static void is_end(const struct sim_case *c, const char *id, double end_s, const char *what)
{
	char name[160];

	snprintf(name, sizeof(name), "%s: %s ends at %g s", what, id, end_s);
	is_int(rec(c, id)->end_us, sec_us(end_s), name);
}

/* Two VSs on CPU 0: a job of each shares it, each at half speed. */
static void two_on_one_cpu(const struct cpool_policy *p)
{
	static const struct tjob t[] = {
		{ "a1", 0, 10, .vs = "a" },
		{ "b1", 0, 10, .vs = "b" },
	};
	struct sim_case c;

	vs_make(&c.vs[0], "a", 0, 0);
	vs_make(&c.vs[1], "b", 0, 0);
	is_int(run(&c, p, 2, NULL, 0, t, N_OF(t)), 0, "two jobs on one CPU: run");
	ok(c.res.shared, "overlapping VSs: CPUs shared");
	is_end(&c, "a1", 20, "two jobs on one CPU (2x)");
	is_end(&c, "b1", 20, "two jobs on one CPU (2x)");
	is_double(rec(&c, "a1")->mean_rate, 0.5, 1e-9, "its mean rate is 1/2");
	cpool_sim_result_free(&c.res);
}

/*
 * The sharing changes mid-run: b1 (4 s of work) ends at 8 s, having run at
 * 1/2; a1 has then done 4 of its 10 s and runs the other 6 alone: 14 s.
 */
static void sharing_changes(const struct cpool_policy *p)
{
	static const struct tjob t[] = {
		{ "a1", 0, 10, .vs = "a" },
		{ "b1", 0, 4, .vs = "b" },
	};
	struct sim_case c;

	vs_make(&c.vs[0], "a", 0, 0);
	vs_make(&c.vs[1], "b", 0, 0);
	is_int(run(&c, p, 2, NULL, 0, t, N_OF(t)), 0, "sharing changes: run");
	is_end(&c, "b1", 8, "sharing changes");
	is_end(&c, "a1", 14, "sharing changes");
	cpool_sim_result_free(&c.res);
}

/* A 2-CPU job beside a hog on one of its CPUs runs at that CPU's rate, 1/2. */
static void wide_job_beside_hog(const struct cpool_policy *p)
{
	static const struct tjob t[] = { { "w", 0, 10, .cpus = 2 } };
	struct cpool_sim_background hog = bg_make(1, 1, 1, false);
	struct sim_case c;

	vs_make(&c.vs[0], "wide", 0, 1);
	is_int(run(&c, p, 1, &hog, 1, t, N_OF(t)), 0, "2-CPU job beside a hog: run");
	is_end(&c, "w", 20, "2-CPU job beside a hog on one CPU");
	cpool_sim_result_free(&c.res);
}

/* Background of two threads on the job's CPU: three share it, the job at 1/3. */
static void background_load(const struct cpool_policy *p)
{
	static const struct tjob t[] = { { "j", 0, 10 }, { "k", 30, 3 } };
	struct cpool_sim_background two = bg_make(0, 0, 2, false);
	struct sim_case c;

	vs_make(&c.vs[0], "one", 0, 0);
	is_int(run(&c, p, 1, &two, 1, t, N_OF(t)), 0, "background load: run");
	is_end(&c, "j", 30, "two background threads on its CPU (3x)");
	is_end(&c, "k", 39, "two background threads on its CPU (3x)");
	cpool_sim_result_free(&c.res);
}

/*
 * Held background (cpool bench --noise: a job the daemon counts) on CPU 0
 * of VS noisy (CPUs 0-1): noisy has one free CPU, and jobs there get
 * CPU 1, not slowed.  Its loaded CPU shows a run-queue latency: first-fit
 * still takes noisy (listed first), lowest-latency and admission take
 * quiet.
 */
static void held_noise(void)
{
	static const struct tjob t[] = { { "x", 0, 10 }, { "y", 0, 10 }, { "z", 0, 10 } };
	struct cpool_sim_background noise = bg_make(0, 0, 2, true);
	struct cpool_policy p;
	struct sim_case c;

	cpool_policy_init(&p);
	vs_make(&c.vs[0], "noisy", 0, 1);
	vs_make(&c.vs[1], "quiet", 2, 2);
	is_int(run(&c, &p, 2, &noise, 1, t, N_OF(t)), 0, "held noise, first-fit: run");
	is_int(c.res.total_cpus, 2, "held noise: the daemon counts 2 CPUs free in the pool");
	is_int(rec(&c, "x")->vs, 0, "first-fit: x on noisy");
	is_end(&c, "x", 10, "held noise, a job on noisy's other CPU is not slowed");
	is_int(rec(&c, "y")->vs, 1, "first-fit: y on quiet");
	is_end(&c, "z", 20, "held noise, three jobs on two free CPUs");
	cpool_sim_result_free(&c.res);

	p.place = CPOOL_PLACE_LOWEST_LATENCY;
	is_int(run(&c, &p, 2, &noise, 1, t, N_OF(t)), 0, "held noise, lowest-latency: run");
	is_int(rec(&c, "x")->vs, 1, "lowest-latency: x on quiet (noisy's CPU 0 has 2 threads)");
	cpool_sim_result_free(&c.res);

	p.place = CPOOL_PLACE_FIRST_FIT;
	p.admit_p99_us = 1000;
	is_int(run(&c, &p, 2, &noise, 1, t, N_OF(t)), 0, "held noise, admission 1 ms: run");
	for (size_t i = 0; i < c.res.n_records; i++)
		ok(c.res.records[i].vs == 1, "admission 1 ms: %s on quiet only",
		   c.res.records[i].job->id);
	is_end(&c, "z", 30, "admission 1 ms: one CPU for three jobs");
	cpool_sim_result_free(&c.res);
}

/*
 * With nothing shared by a job (background on a CPU no VS has), the
 * sharing model is on but every rate is 1: records identical to the plain
 * simulator's, under policies that preempt and measure.
 */
static void no_overlap_identical(void)
{
	static const char *const policies[] = { "fcfs", "rr", "srtf", "mlfq", "easy" };
	static const enum cpool_place places[] = { CPOOL_PLACE_FIRST_FIT,
						   CPOOL_PLACE_LEAST_LOADED };
	struct cpool_sim_background far = bg_make(40, 41, 3, false);
	struct tjob t[48];
	char ids[48][16];
	uint64_t rng = 0x9e3779b97f4a7c15ULL;

	for (int i = 0; i < 48; i++) {
		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		snprintf(ids[i], sizeof(ids[i]), "j%d", i);
		t[i] = (struct tjob){ ids[i], i * 3.0 + (double)(rng % 1000) / 1000,
				      5 + (double)(rng % 40), .cpus = 1 + (int)(rng % 3) };
	}
	for (size_t k = 0; k < N_OF(policies); k++) {
		for (size_t pl = 0; pl < N_OF(places); pl++) {
			struct cpool_policy p;
			struct sim_case *plain = calloc(1, sizeof(*plain));
			struct sim_case *shared = calloc(1, sizeof(*shared));
			size_t differ = 0;

			if (!plain || !shared)
				bail_out("out of memory");
			cpool_policy_init(&p);
			cpool_sched_parse(policies[k], &p.sched);
			p.place = places[pl];
			p.quantum_us = 2000000;
			for (int s = 0; s < 2; s++) {
				struct sim_case *c = s ? shared : plain;

				vs_make(&c->vs[0], "small", 0, 1);
				vs_make(&c->vs[1], "big", 2, 5);
				if (run(c, &p, 2, s ? &far : NULL, s, t, N_OF(t)))
					bail_out("%s: run failed: %d", policies[k], c->ret);
			}
			ok(shared->res.shared && !plain->res.shared, "%s/%s: the model on, and off",
			   policies[k], cpool_place_name(p.place));
			for (size_t i = 0; i < plain->res.n_records; i++) {
				const struct cpool_sim_record *a = &plain->res.records[i];
				const struct cpool_sim_record *b = &shared->res.records[i];

				differ += a->first_start_us != b->first_start_us ||
					  a->end_us != b->end_us || a->vs != b->vs ||
					  a->preemptions != b->preemptions || b->mean_rate != 1;
			}
			ok(differ == 0,
			   "%s/%s: background on no job's CPU changes no record (%zu differ)",
			   policies[k], cpool_place_name(p.place), differ);
			ok(shared->res.n_records == 48, "%s: every job ran", policies[k]);
			cpool_sim_result_free(&plain->res);
			cpool_sim_result_free(&shared->res);
			free(plain);
			free(shared);
		}
	}
}

int main(void)
{
	struct cpool_policy p;

	cpool_policy_init(&p);
	two_on_one_cpu(&p);
	sharing_changes(&p);
	wide_job_beside_hog(&p);
	background_load(&p);
	held_noise();
	no_overlap_identical();
	done_testing();
	return exit_status();
}
