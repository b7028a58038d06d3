// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * bench-recalibrate: cpool bench's calibration re-run on a results.json
 * already measured, so that two versions of the model are compared on the
 * same live data rather than on two runs of a noisy lab.
 *
 *   build/tools/bench-recalibrate [-v] RESULTS.json...
 *
 * Per run: the calibrated mean wait and makespan against the measured
 * ones and the error in percent; per policy, the error of the means over
 * the runs of every file, as cpool bench's CALIB% column.  -v prints each
 * job's measured and calibrated start and end.  It reads what cpool bench
 * wrote (the trace's jobs, each job's measured record, the daemon's
 * switch counts) and asks nothing of a daemon.
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../userspace/cpool/bench.h"
#include "cpool/cpuset.h"

#define MAX_POLICIES 16

static double num(json_t *o, const char *key, double none)
{
	json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : none;
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static int load_pool(json_t *root, struct bench *b)
{
	json_t *pool = json_object_get(root, "pool"), *v;
	size_t i;

	b->n_vs = (int)json_array_size(pool);
	b->vs = calloc((size_t)b->n_vs ?: 1, sizeof(*b->vs));
	if (!b->vs)
		return -ENOMEM;
	json_array_foreach(pool, i, v) {
		snprintf(b->vs[i].name, sizeof(b->vs[i].name), "%s", str(v, "name"));
		if (cpool_cpuset_parse(&b->vs[i].cpus, str(v, "cpus"), NULL))
			return -EINVAL;
		b->total_cpus += cpool_cpuset_count(&b->vs[i].cpus);
	}
	return b->n_vs > 0 ? 0 : -EINVAL;
}

static void load_switches(json_t *o, struct bench_switches *s)
{
	if (!json_is_object(o))
		return;
	s->have = true;
#define SW(f) s->f = num(o, #f, 0)
	SW(preemptions), SW(freezes), SW(handovers), SW(thaws), SW(end_handovers), SW(launches);
	SW(late), SW(freeze_wait), SW(freeze_ran), SW(handover_wait), SW(thaw_wait), SW(thaw_ran);
	SW(end_handover_wait), SW(launch_wait);
	SW(launch_turns), SW(launch_turn), SW(launch_turn_idle);
	SW(resume_turns), SW(resume_turn), SW(resume_turn_idle);
#undef SW
}

/* One run of results.json into @r, its trace jobs into @jobs (the run's own copy). */
static int load_run(json_t *run, struct bench_run *r, struct cpool_job **jobs)
{
	json_t *js = json_object_get(run, "jobs"), *j;
	size_t i;

	memset(r, 0, sizeof(*r));
	cpool_policy_init(&r->policy);
	if (cpool_sched_parse(str(run, "policy"), &r->policy.sched) ||
	    cpool_place_parse(str(run, "placement"), &r->policy.place))
		return -EINVAL;
	r->policy.quantum_us = llround(num(run, "quantum", 0) * CPOOL_USEC_PER_SEC);
	r->policy.admit_p99_us = llround(num(run, "admit_p99", 0) * CPOOL_USEC_PER_SEC);
	r->repeat = (int)num(run, "repeat", 0);
	r->measured = true;
	r->n_jobs = json_array_size(js);
	*jobs = calloc(r->n_jobs ?: 1, sizeof(**jobs));
	r->jobs = calloc(r->n_jobs ?: 1, sizeof(*r->jobs));
	if (!*jobs || !r->jobs)
		return -ENOMEM;
	load_switches(json_object_get(json_object_get(run, "calibrated"), "switches"), &r->sw);
	json_array_foreach(js, i, j) {
		struct cpool_job *t = &(*jobs)[i];
		struct bench_job *bj = &r->jobs[i];
		json_t *m = json_object_get(j, "measured");

		snprintf(t->id, sizeof(t->id), "%s", str(j, "id"));
		t->submit_us = llround(num(j, "submit", 0) * CPOOL_USEC_PER_SEC);
		t->runtime_us = llround(num(j, "runtime", 0) * CPOOL_USEC_PER_SEC);
		t->estimate_us = llround(num(j, "estimate", 0) * CPOOL_USEC_PER_SEC);
		t->cpus = (int)num(j, "cpus", 1);
		t->priority = (int)num(j, "priority", 0);
		t->index = i;
		*bj = (struct bench_job){ .job = t,
					  .p_vs = -1,
					  .c_vs = -1,
					  .m_launch = -1,
					  .m_run_time = -1,
					  .m_rq_mean_us = -1,
					  .m_rq_p99_us = -1 };
		if (!json_is_object(m))
			continue;
		bj->m_ended = true;
		snprintf(bj->m_state, sizeof(bj->m_state), "%s", str(m, "state"));
		snprintf(bj->m_vs, sizeof(bj->m_vs), "%s", str(m, "vs"));
		bj->m_submit = num(m, "submit", 0);
		bj->m_start = num(m, "start", 0);
		bj->m_end = num(m, "end", 0);
		bj->m_cpu_time = num(m, "cpu_time", 0);
		bj->m_run_time = num(m, "run_time", -1);
		bj->m_launch = num(m, "launch", -1);
		bj->m_launch_idle = num(m, "launch_idle", -1);
		bj->m_handover = num(m, "handover", -1);
		bj->m_first_round = num(m, "first_round", -1);
		bj->m_start_round = num(m, "start_round", -1);
		bj->m_rq_mean_us = num(m, "rq_latency_mean_us", -1);
		bj->m_seen_running = (unsigned)num(m, "seen_running", 0);
		bj->m_seen_frozen = (unsigned)num(m, "seen_frozen", 0);
		/* bench wrote a job's times only for a good record (bench_job_metrics()). */
		bj->m_ok = strcmp(bj->m_state, "done") == 0 && json_object_get(m, "start");
	}
	return 0;
}

struct tally {
	char name[32];
	double cal_wait, meas_wait, cal_span, meas_span;
	int n;
};

static struct tally *tally_of(struct tally *t, int *n, const char *name)
{
	for (int i = 0; i < *n; i++)
		if (strcmp(t[i].name, name) == 0)
			return &t[i];
	if (*n == MAX_POLICIES)
		return NULL;
	snprintf(t[*n].name, sizeof(t[*n].name), "%s", name);
	return &t[(*n)++];
}

static double pct(double cal, double meas)
{
	return meas > 0 ? (cal - meas) / meas * 100 : NAN;
}

static int recalibrate(const char *path, bool verbose, struct tally *t, int *nt)
{
	json_error_t jerr;
	json_t *root = json_load_file(path, 0, &jerr), *run;
	struct bench b = { 0 };
	size_t i;
	int ret;

	if (!root) {
		fprintf(stderr, "bench-recalibrate: %s:%d: %s\n", path, jerr.line, jerr.text);
		return -EINVAL;
	}
	ret = load_pool(root, &b);
	json_array_foreach(json_object_get(root, "runs"), i, run) {
		struct cpool_job *jobs = NULL;
		struct bench_run r;
		struct tally *x;
		double w, s;

		if (ret || (ret = load_run(run, &r, &jobs)))
			break;
		b.jobs = jobs;
		b.n_jobs = r.n_jobs;
		b.runs = &r;
		b.n_runs = b.n_policies = 1;
		ret = bench_run_calibrate(&b, &r);
		if (!ret) {
			w = pct(r.cal.mean_wait, r.meas.mean_wait);
			s = pct(r.cal.makespan, r.meas.makespan);
			printf("%s run %zu: %-6s repeat %d: mean wait %.3f / %.3f s %+.1f %%, makespan %.3f / %.3f s %+.1f %%, preemptions %.0f / %llu\n",
			       path, i, bench_run_label(&r), r.repeat + 1, r.cal.mean_wait,
			       r.meas.mean_wait, w, r.cal.makespan, r.meas.makespan, s,
			       r.sw.preemptions, r.cal_preemptions);
			for (size_t k = 0; verbose && k < r.n_jobs; k++) {
				const struct bench_job *j = &r.jobs[k];

				printf("  job %s: %s measured %.3f..%.3f, calibrated %.3f..%.3f on %s\n",
				       j->job->id, j->m_vs, j->m_start, j->m_end, j->c_start,
				       j->c_end, j->c_vs >= 0 ? b.vs[j->c_vs].name : "-");
			}
			if ((x = tally_of(t, nt, bench_run_label(&r)))) {
				x->cal_wait += r.cal.mean_wait;
				x->meas_wait += r.meas.mean_wait;
				x->cal_span += r.cal.makespan;
				x->meas_span += r.meas.makespan;
				x->n++;
			}
		}
		free(r.jobs);
		free(jobs);
	}
	free(b.vs);
	json_decref(root);
	if (ret)
		fprintf(stderr, "bench-recalibrate: %s: %s\n", path, strerror(-ret));
	return ret;
}

int main(int argc, char **argv)
{
	struct tally t[MAX_POLICIES];
	bool verbose = argc > 1 && strcmp(argv[1], "-v") == 0;
	int nt = 0, rc = 0;

	if (argc < 2 + verbose) {
		fprintf(stderr, "usage: bench-recalibrate [-v] RESULTS.json...\n");
		return 2;
	}
	for (int i = 1 + verbose; i < argc; i++)
		rc |= recalibrate(argv[i], verbose, t, &nt) != 0;
	for (int i = 0; i < nt; i++)
		printf("%-6s %d runs: calibrated against measured means (CALIB%%): mean wait %+.1f %%, makespan %+.1f %%\n",
		       t[i].name, t[i].n, pct(t[i].cal_wait, t[i].meas_wait),
		       pct(t[i].cal_span, t[i].meas_span));
	return rc;
}
