// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The simulator's decisions, pinned: every policy on a generated trace long
 * enough to queue (offered load about 0.9), on one pool of slots and on two
 * VSs, digested job by job (first start, end, VS, preemptions).  The digests
 * were taken from the code before the speed work on rr and the ranked
 * policies (commit 6e802de); a speed-up that changes a single decision
 * changes a digest.  A deliberate change of a policy's behaviour updates
 * them, and says so in its commit.  The preemptive policies' digests on two
 * VSs changed once so (2026-12-03): a started job now stays on its VS, as
 * in cpoold, instead of resuming wherever placement found room.
 *
 * The trace uses integers only (no libm), so it is the same on every machine.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "cpool/policy.h"
#include "cpool/sim.h"

#define N_JOBS 2000

static uint64_t rng = 0x2545f4914f6cdd1dULL;

static uint64_t next_u64(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint64_t below(uint64_t n)
{
	return next_u64() % n;
}

/*
 * 2000 jobs on 32 CPUs: sizes 1-8 skewed small (mean about 1.8), runtimes
 * 10 s to about a day (10 s times a power of two, plus up to as much
 * again: mean about 9500 s), estimates that mostly overestimate, five
 * priorities, arrivals a mean of 590 s apart: offered load about 0.9.
 */
static void make_trace(struct cpool_job *jobs)
{
	int64_t t = 0;

	rng = 0x2545f4914f6cdd1dULL;
	for (size_t i = 0; i < N_JOBS; i++) {
		struct cpool_job *j = &jobs[i];
		int64_t run = (int64_t)10 << below(13);

		memset(j, 0, sizeof(*j));
		snprintf(j->id, sizeof(j->id), "%zu", i + 1);
		run += (int64_t)below((uint64_t)run);
		j->runtime_us = run * CPOOL_USEC_PER_SEC;
		j->estimate_us = below(20) ? j->runtime_us * (int64_t)(100 + below(300)) / 100 :
					     j->runtime_us * 8 / 10;
		j->cpus = 1 << (below(4) * below(5) / 3);
		j->priority = (int)below(5);
		t += (int64_t)below(1180) * CPOOL_USEC_PER_SEC + (int64_t)below(1000000);
		j->submit_us = t;
		/* Four users, one submitting a third of the jobs: for fairshare. */
		j->user = i % 3 == 0 ? 1000 : 1001 + (uint32_t)(i % 5 % 3);
		j->index = i;
	}
}

static struct cpool_policy policy_for(enum cpool_sched s)
{
	struct cpool_policy p;

	cpool_policy_init(&p);
	p.sched = s;
	p.quantum_us = 60 * CPOOL_USEC_PER_SEC;
	p.mlfq_levels = 3;
	p.mlfq_quantum_us[0] = 60 * CPOOL_USEC_PER_SEC;
	p.mlfq_quantum_us[1] = 600 * CPOOL_USEC_PER_SEC;
	p.mlfq_quantum_us[2] = 0;
	p.aging_us = 1800 * CPOOL_USEC_PER_SEC;
	return p;
}

/* FNV-1a over each record's decisions, in record order. */
static uint64_t digest(const struct cpool_sim_result *r)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < r->n_records; i++) {
		int64_t v[4] = { r->records[i].first_start_us, r->records[i].end_us,
				 r->records[i].vs, r->records[i].preemptions };

		for (int k = 0; k < 4; k++) {
			h ^= (uint64_t)v[k];
			h *= 0x100000001b3ULL;
		}
	}
	return h;
}

struct pinned {
	const char *policy;
	uint64_t slots, two_vs; /* digests on 32 slots, and on VSs of 8 and 24 CPUs */
};

static const struct pinned pinned[] = {
	{ "fcfs", 0x66135895dca02cc7ULL, 0x6b74798b88259fe6ULL },
	{ "sjf", 0x231fb80f3e3a3a47ULL, 0x7e3b559b11e9213aULL },
	{ "srtf", 0xfa347e07e59b69f6ULL, 0x879ef7e28076236dULL },
	{ "rr", 0xc8ec3de7b5b9fb9fULL, 0x35da090d5902634fULL },
	{ "priority", 0x5a23e37ed07430a5ULL, 0x57e610109c3dfc0aULL },
	{ "priority-preemptive", 0x7a574ee7cdd2a3ceULL, 0x0c5414eb9b329fe5ULL },
	{ "hrrn", 0x1581073fef605f33ULL, 0x9e63014662cc5777ULL },
	{ "mlfq", 0x8a0dec3e236cb679ULL, 0x960bf7a8ad3f512bULL },
	{ "easy", 0x65b7b7bdb6938c53ULL, 0x4cedde2aaa84e0ddULL },
	{ "fairshare", 0xf0015741d0f4dd5bULL, 0x639c9559d2416a03ULL },
};

/*
 * The paths the speed work on rr (running jobs kept in quantum-end order,
 * slices left out of the completion heap) and on the shared fill() of rr
 * and mlfq took, beyond the defaults above: a switch cost (slices end
 * later than the quantum), a long quantum (jobs pass quantum ends while
 * nobody waits, and the order must be rebuilt), measured placement and
 * admission (decisions asked again at one instant), and srtf and
 * fairshare under a measured placement.  Digests from the code before
 * that work (547a712).
 */
struct variant {
	const char *name;
	const char *policy;
	enum cpool_place place;
	int64_t admit_p99_us, quantum_us, switch_cost_us;
	bool two_vs;
	uint64_t digest;
};

static const struct variant variants[] = {
	{ "rr, switch cost 2 s, two VSs", "rr", CPOOL_PLACE_FIRST_FIT, 0, 60000000, 2000000, true,
	  0x86ad055c2dfca407ULL },
	{ "rr, quantum 1 h, 32 slots", "rr", CPOOL_PLACE_FIRST_FIT, 0, 3600000000LL, 0, false,
	  0x65c34c1c562f6adeULL },
	{ "rr, quantum 10 s, 32 slots", "rr", CPOOL_PLACE_FIRST_FIT, 0, 10000000, 0, false,
	  0x6ba8df98d536c7e3ULL },
	{ "rr, least-loaded, two VSs", "rr", CPOOL_PLACE_LEAST_LOADED, 0, 60000000, 0, true,
	  0x8dfcf11ffadc92ecULL },
	{ "rr, lowest-latency + admission 2 h, two VSs", "rr", CPOOL_PLACE_LOWEST_LATENCY,
	  7200000000LL, 60000000, 0, true, 0x103bd2b5b4ec0921ULL },
	{ "mlfq, switch cost 2 s, two VSs", "mlfq", CPOOL_PLACE_FIRST_FIT, 0, 60000000, 2000000,
	  true, 0xaf1424a071550269ULL },
	{ "mlfq, lowest-latency, two VSs", "mlfq", CPOOL_PLACE_LOWEST_LATENCY, 0, 60000000, 0, true,
	  0x56d2a6db242b5c67ULL },
	{ "srtf, least-loaded, two VSs", "srtf", CPOOL_PLACE_LEAST_LOADED, 0, 60000000, 0, true,
	  0xf1b3b5a16c733c23ULL },
	{ "fairshare, lowest-latency, two VSs", "fairshare", CPOOL_PLACE_LOWEST_LATENCY, 0,
	  60000000, 0, true, 0x1e7810fa0dbeeb2dULL },
};

static void check_variants(const struct cpool_job *jobs, const struct cpool_vserver *vs, bool print)
{
	for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
		const struct variant *x = &variants[i];
		struct cpool_vserver slots;
		struct cpool_sim_config cfg = { 0 };
		struct cpool_sim_result r;
		enum cpool_sched s;
		uint64_t got;
		int ret;

		if (cpool_sched_parse(x->policy, &s))
			bail_out("unknown policy %s", x->policy);
		cpool_sim_slots(32, &slots);
		cfg.vs = x->two_vs ? vs : &slots;
		cfg.n_vs = x->two_vs ? 2 : 1;
		cfg.policy = policy_for(s);
		cfg.policy.place = x->place;
		cfg.policy.admit_p99_us = x->admit_p99_us;
		cfg.policy.quantum_us = x->quantum_us;
		cfg.switch_cost_us = x->switch_cost_us;
		ret = cpool_sim_run(&cfg, jobs, N_JOBS, &r);
		got = ret ? 0 : digest(&r);
		if (ret)
			diag("%s: cpool_sim_run returned %d", x->name, ret);
		else
			diag("%s: mean wait %.0f s, %llu preemptions", x->name, r.summary.mean_wait,
			     (unsigned long long)r.preemptions);
		cpool_sim_result_free(&r);
		if (print)
			printf("# \t%s: 0x%016" PRIx64 "ULL\n", x->name, got);
		ok(got == x->digest, "%s: decisions as pinned", x->name);
	}
}

int main(void)
{
	static struct cpool_job jobs[N_JOBS];
	struct cpool_vserver vs[2];
	bool print = getenv("CPOOL_SIM_DECISIONS_PRINT") != NULL;

	plan(2 * (int)(sizeof(pinned) / sizeof(pinned[0])) + 1 +
	     (int)(sizeof(variants) / sizeof(variants[0])));
	make_trace(jobs);
	is_int((long long)(sizeof(pinned) / sizeof(pinned[0])), CPOOL_SCHED__COUNT,
	       "a digest for every policy");
	memset(vs, 0, sizeof(vs));
	strcpy(vs[0].name, "small");
	cpool_cpuset_set_range(&vs[0].cpus, 0, 7);
	strcpy(vs[1].name, "big");
	cpool_cpuset_set_range(&vs[1].cpus, 8, 31);
	for (size_t i = 0; i < sizeof(pinned) / sizeof(pinned[0]); i++) {
		enum cpool_sched s;
		struct cpool_vserver slots;
		uint64_t got[2];

		if (cpool_sched_parse(pinned[i].policy, &s))
			bail_out("unknown policy %s", pinned[i].policy);
		cpool_sim_slots(32, &slots);
		for (int pool = 0; pool < 2; pool++) {
			struct cpool_sim_config cfg = {
				.vs = pool ? vs : &slots,
				.n_vs = pool ? 2 : 1,
				.policy = policy_for(s),
			};
			struct cpool_sim_result r;
			int ret = cpool_sim_run(&cfg, jobs, N_JOBS, &r);

			got[pool] = ret ? 0 : digest(&r);
			if (!ret && pool == 0)
				diag("%s: mean wait %.0f s, %llu preemptions", pinned[i].policy,
				     r.summary.mean_wait, (unsigned long long)r.preemptions);
			if (ret)
				diag("%s: cpool_sim_run returned %d", pinned[i].policy, ret);
			cpool_sim_result_free(&r);
		}
		if (print)
			printf("# \t{ \"%s\", 0x%016" PRIx64 "ULL, 0x%016" PRIx64 "ULL },\n",
			       pinned[i].policy, got[0], got[1]);
		ok(got[0] == pinned[i].slots, "%s on 32 slots: decisions as pinned",
		   pinned[i].policy);
		ok(got[1] == pinned[i].two_vs, "%s on two VSs: decisions as pinned",
		   pinned[i].policy);
	}
	check_variants(jobs, vs, print);
	return exit_status();
}
