// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The simulator on big workloads: a generated SWF-shaped trace (always)
 * and the three real logs (when CPOOL_SHARED has them), under every
 * policy.  What must hold whatever the policy: it finishes, work is
 * conserved (busy CPU time = sum of runtime x CPUs), no job starts before
 * it is submitted or ends before its work is done, the pool is never
 * over-committed, non-preemptive policies never preempt, and the same
 * input gives the same output.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "shared_data.h"
#include "cpool/job.h"
#include "cpool/policy.h"
#include "cpool/sim.h"

static uint64_t rng = 88172645463325252ULL;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* An SWF text with the real logs' quirks: -1 fields, zero runtimes, overruns. */
static char *generate_swf(size_t n, int max_cpus)
{
	size_t cap = n * 96 + 64, len = 0;
	char *buf = malloc(cap);
	long submit = 0;

	if (!buf)
		bail_out("out of memory");
	len += (size_t)snprintf(buf, cap, "; generated: %zu jobs\n", n);
	for (size_t i = 0; i < n; i++) {
		int cpus = 1 << (next_rand() % 7);
		long run = (long)(next_rand() % 3600);
		long req = (long)(run + next_rand() % 600);
		int alloc = cpus > max_cpus ? max_cpus : cpus;

		submit += (long)(next_rand() % 120);
		if (i % 97 == 0)
			run = 0; /* zero runtime */
		if (i % 89 == 0)
			req = run / 2; /* ran longer than requested */
		if (i % 83 == 0)
			req = -1; /* no estimate */
		if (i % 211 == 0)
			alloc = -1; /* requested stands in */
		if (i % 1009 == 0)
			alloc = -1, cpus = -1; /* cannot run: skipped */
		len += (size_t)snprintf(buf + len, cap - len,
					"%zu %ld -1 %ld %d -1 -1 %d %ld -1 1 1 1 -1 -1 -1 -1 -1\n",
					i + 1, submit, run, alloc, cpus, req);
	}
	return buf;
}

static struct cpool_policy policy_named(enum cpool_sched s, int64_t quantum_us)
{
	struct cpool_policy p;

	cpool_policy_init(&p);
	p.sched = s;
	p.quantum_us = quantum_us;
	p.aging_us = s == CPOOL_SCHED_PRIORITY_PREEMPT ? 0 : 600 * CPOOL_USEC_PER_SEC;
	p.mlfq_quantum_us[0] = quantum_us;
	p.mlfq_quantum_us[1] = 10 * quantum_us;
	p.mlfq_quantum_us[2] = 0;
	return p;
}

struct span {
	int64_t t;
	int delta;
};

static int by_time(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->delta - y->delta; /* ends (-) before starts (+) at one instant */
}

/* Non-preemptive runs: at no instant more CPUs in use than the pool has. */
static int peak_cpus(const struct cpool_sim_result *r)
{
	struct span *s = malloc((2 * r->n_records + 1) * sizeof(*s));
	int use = 0, peak = 0;

	if (!s)
		bail_out("out of memory");
	for (size_t i = 0; i < r->n_records; i++) {
		s[2 * i] = (struct span){ r->records[i].first_start_us, r->records[i].job->cpus };
		s[2 * i + 1] = (struct span){ r->records[i].end_us, -r->records[i].job->cpus };
	}
	qsort(s, 2 * r->n_records, sizeof(*s), by_time);
	for (size_t i = 0; i < 2 * r->n_records; i++) {
		use += s[i].delta;
		if (use > peak)
			peak = use;
	}
	free(s);
	return peak;
}

static void check_run(const char *what, const struct cpool_trace *t, int slots,
		      const struct cpool_policy *p, bool check_determinism)
{
	struct cpool_vserver vs;
	struct cpool_sim_config cfg = { .vs = &vs, .n_vs = 1, .policy = *p };
	struct cpool_sim_result r, r2;
	const char *name = cpool_sched_name(p->sched);
	bool preemptive = p->sched == CPOOL_SCHED_SRTF || p->sched == CPOOL_SCHED_RR ||
			  p->sched == CPOOL_SCHED_PRIORITY_PREEMPT || p->sched == CPOOL_SCHED_MLFQ;
	int64_t work = 0;
	size_t bad = 0, not_exact = 0;
	int ret;

	cpool_sim_slots(slots, &vs);
	ret = cpool_sim_run(&cfg, t->jobs, t->n_jobs, &r);
	if (!is_int(ret, 0, "sim finishes")) {
		diag("%s under %s: %s", what, name, strerror(-ret));
		cpool_sim_result_free(&r);
		return;
	}
	for (size_t i = 0; i < r.n_records; i++) {
		const struct cpool_sim_record *x = &r.records[i];

		work += x->job->runtime_us * x->job->cpus;
		if (x->first_start_us < x->job->submit_us ||
		    x->end_us - x->first_start_us < x->job->runtime_us)
			bad++;
		if (x->end_us - x->first_start_us != x->job->runtime_us)
			not_exact++;
	}
	ok(r.n_records + r.n_skipped == t->n_jobs, "%s %s: every job simulated or counted", what,
	   name);
	is_int((int64_t)bad, 0, "no job starts before submit or ends before its work is done");
	is_int(r.busy_cpu_us, work, "work conserved: busy CPU time = sum of runtime x CPUs");
	ok(r.summary.rul > 0 && r.summary.rul <= 1, "%s %s: RUL %.4f in (0, 1]", what, name,
	   r.summary.rul);
	if (!preemptive) {
		is_int((int64_t)r.preemptions, 0, "non-preemptive policy never preempts");
		is_int((int64_t)not_exact, 0,
		       "non-preemptive: every job runs start to end in one go");
		ok(peak_cpus(&r) <= slots, "%s %s: never more than %d CPUs in use", what, name,
		   slots);
	}
	if (check_determinism) {
		bool same;

		ret = cpool_sim_run(&cfg, t->jobs, t->n_jobs, &r2);
		same = !ret && r2.n_records == r.n_records;
		for (size_t i = 0; same && i < r.n_records; i++)
			same = r.records[i].first_start_us == r2.records[i].first_start_us &&
			       r.records[i].end_us == r2.records[i].end_us;
		ok(same, "%s %s: a second run gives the same records", what, name);
		cpool_sim_result_free(&r2);
	}
	cpool_sim_result_free(&r);
}

static void generated(void)
{
	char *text = generate_swf(3000, 64);
	FILE *in = fmemopen(text, strlen(text), "r");
	struct cpool_trace t;
	struct cpool_error e;

	is_int(cpool_trace_read(in, CPOOL_TRACE_SWF, &t, &e), 0, "generated SWF parses");
	is_int((int64_t)t.n_skipped, 3, "generated: the 3 jobs without processors are skipped");
	fclose(in);
	free(text);
	for (int s = 0; s < CPOOL_SCHED__COUNT; s++) {
		struct cpool_policy p = policy_named((enum cpool_sched)s, 60 * CPOOL_USEC_PER_SEC);

		check_run("generated", &t, 64, &p, true);
	}
	{
		/* A 48-slot pool cannot hold the 64-CPU jobs: skipped and counted, the rest run. */
		struct cpool_policy p = policy_named(CPOOL_SCHED_EASY, CPOOL_USEC_PER_SEC);
		struct cpool_vserver vs;
		struct cpool_sim_config cfg = { .vs = &vs, .n_vs = 1, .policy = p };
		struct cpool_sim_result r;
		size_t wide = 0;

		for (size_t i = 0; i < t.n_jobs; i++)
			wide += t.jobs[i].cpus > 48;
		cpool_sim_slots(48, &vs);
		is_int(cpool_sim_run(&cfg, t.jobs, t.n_jobs, &r), 0, "small pool: runs");
		is_int((int64_t)r.n_skipped, (int64_t)wide,
		       "small pool: jobs wider than the pool skipped");
		ok(wide > 0 && strstr(r.first_skip, "CPUs"), "small pool: the skip says why (%s)",
		   r.first_skip);
		cpool_sim_result_free(&r);
	}
	cpool_trace_free(&t);
}

/*
 * Several VSs, every placement, with and without admission, under every
 * policy: it always finishes and conserves work.  (Admission once
 * deadlocked rr: preemptions emptied a VS, clearing its latency, after the
 * policy had held jobs for it.)
 */
static void placements(void)
{
	char *text = generate_swf(800, 32);
	FILE *in = fmemopen(text, strlen(text), "r");
	struct cpool_vserver vs[3];
	struct cpool_trace t;
	struct cpool_error e;
	size_t bad = 0, runs = 0;

	if (cpool_trace_read(in, CPOOL_TRACE_SWF, &t, &e))
		bail_out("generated trace does not parse");
	fclose(in);
	free(text);
	memset(vs, 0, sizeof(vs));
	for (int v = 0; v < 3; v++) {
		snprintf(vs[v].name, sizeof(vs[v].name), "vs%d", v);
		cpool_cpuset_set_range(&vs[v].cpus, v * 32, v * 32 + (v == 2 ? 63 : 31));
	}
	for (int pl = 0; pl < CPOOL_PLACE__COUNT; pl++) {
		for (int admit = 0; admit < 2; admit++) {
			for (int sc = 0; sc < CPOOL_SCHED__COUNT; sc++) {
				struct cpool_sim_config cfg = { .vs = vs, .n_vs = 3 };
				struct cpool_sim_result r;
				int64_t work = 0;
				int ret;

				cfg.policy =
					policy_named((enum cpool_sched)sc, 60 * CPOOL_USEC_PER_SEC);
				cfg.policy.place = (enum cpool_place)pl;
				cfg.policy.admit_p99_us = admit ? 600 * CPOOL_USEC_PER_SEC : 0;
				ret = cpool_sim_run(&cfg, t.jobs, t.n_jobs, &r);
				for (size_t i = 0; i < r.n_records; i++)
					work += r.records[i].job->runtime_us *
						r.records[i].job->cpus;
				runs++;
				if (ret || r.busy_cpu_us != work ||
				    r.n_records + r.n_skipped != t.n_jobs) {
					bad++;
					diag("%s %s admission %s: %s",
					     cpool_place_name(cfg.policy.place),
					     cpool_sched_name(cfg.policy.sched),
					     admit ? "on" : "off",
					     ret ? strerror(-ret) : "work not conserved");
				}
				cpool_sim_result_free(&r);
			}
		}
	}
	is_int((int64_t)bad, 0,
	       "3 VSs: every placement x admission x policy finishes, work conserved");
	is_int((int64_t)runs, 2 * CPOOL_PLACE__COUNT * CPOOL_SCHED__COUNT, "all combinations ran");
	cpool_trace_free(&t);
}

static void real(void)
{
	static const struct {
		const char *file;
		int slots;
	} logs[] = {
		{ "KTH-SP2-1996-2.1-cln.swf", 100 },
		{ "NASA-iPSC-1993-3.1-cln.swf", 128 },
		{ "lublin_256.swf", 256 },
	};
	const char *no_data, *traces = shared_data_dir("traces", &no_data);

	for (size_t i = 0; i < 3; i++) {
		struct cpool_trace t;
		struct cpool_error e;
		char path[8192];

		if (!traces) {
			skip(1, no_data);
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", traces, logs[i].file);
		if (!ok(!cpool_trace_load(path, CPOOL_TRACE_AUTO, &t, &e), "%s loads",
			logs[i].file)) {
			diag("%s", e.msg);
			cpool_trace_free(&t);
			continue;
		}
		for (int s = 0; s < CPOOL_SCHED__COUNT; s++) {
			/* A 10-minute quantum: these jobs run for hours; 100 ms would mean billions of slices. */
			struct cpool_policy p =
				policy_named((enum cpool_sched)s, 600 * CPOOL_USEC_PER_SEC);

			check_run(logs[i].file, &t, logs[i].slots, &p, false);
		}
		cpool_trace_free(&t);
	}
}

static void interface(void)
{
	/* One slot busy with R (10 s estimate, 4 done), Q queued: what each policy says at t = 4. */
	struct cpool_job jr = {
		.id = "R", .runtime_us = 10000000, .estimate_us = 10000000, .cpus = 1
	};
	struct cpool_job jq = { .id = "Q",
				.submit_us = 1000000,
				.runtime_us = 2000000,
				.estimate_us = 2000000,
				.cpus = 1,
				.index = 1 };
	struct cpool_pjob r = { .job = &jr,
				.done_us = 4000000,
				.first_start_us = 0,
				.slice_start_us = 0,
				.seq = 0,
				.vs = 0 };
	struct cpool_pjob q = {
		.job = &jq, .first_start_us = -1, .ready_since_us = 1000000, .seq = 1, .vs = -1
	};
	struct cpool_pjob *queued[] = { &q }, *running[] = { &r };
	struct cpool_vs_state vs = { .name = "slots", .cpus = 1, .free_cpus = 0 };
	struct cpool_snapshot s = { .now_us = 4000000,
				    .queued = queued,
				    .n_queued = 1,
				    .running = running,
				    .n_running = 1,
				    .vs = &vs,
				    .n_vs = 1 };
	struct cpool_decision d[4];
	struct cpool_policy p;
	int64_t wake;
	int n;

	cpool_policy_init(&p);
	n = cpool_policy_decide(&p, &s, d, 4, &wake);
	ok(n == 0 && wake == CPOOL_NEVER, "fcfs with no free CPU: nothing to do, no timer");
	p.sched = CPOOL_SCHED_SRTF;
	n = cpool_policy_decide(&p, &s, d, 4, &wake);
	ok(n == 2 && d[0].kind == CPOOL_DECIDE_PREEMPT && d[0].job == &r &&
		   d[1].kind == CPOOL_DECIDE_START && d[1].job == &q && d[1].vs == 0,
	   "srtf: preempt R (6 s left), then start Q (2 s) on VS 0");
	is_int(cpool_policy_decide(&p, &s, d, 1, &wake), -ENOSPC,
	       "too small a decision array: -ENOSPC");
	p.sched = CPOOL_SCHED_RR;
	p.quantum_us = 3000000;
	n = cpool_policy_decide(&p, &s, d, 4, &wake);
	ok(n == 0 && wake == 6000000, "rr q=3s: R's next quantum boundary is at 6 s (got %d, %lld)",
	   n, (long long)wake);
	s.now_us = 6000000;
	r.done_us = 6000000;
	n = cpool_policy_decide(&p, &s, d, 4, &wake);
	ok(n == 2 && d[0].kind == CPOOL_DECIDE_PREEMPT && d[1].job == &q && wake == 9000000,
	   "rr at the boundary: preempt R, start Q, wake at Q's boundary");
	p.sched = (enum cpool_sched)99;
	is_int(cpool_policy_decide(&p, &s, d, 4, &wake), -EINVAL, "unknown policy: -EINVAL");
}

int main(void)
{
	struct cpool_sim_config cfg = { 0 };
	struct cpool_sim_result r;
	enum cpool_sched s;

	interface();
	generated();
	placements();
	real();
	is_int(cpool_sim_run(&cfg, NULL, 0, &r), -EINVAL, "a pool without VSs is refused");
	cpool_sim_result_free(&r);
	for (int i = 0; i < CPOOL_SCHED__COUNT; i++)
		ok(cpool_sched_parse(cpool_sched_name((enum cpool_sched)i), &s) == 0 && (int)s == i,
		   "policy name round trip: %s", cpool_sched_name((enum cpool_sched)i));
	done_testing();
	return exit_status();
}
