// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * bench-recalibrate: cpool bench's calibration re-run off line on the
 * measurements of a results.json, so that a change of the model (sim.c,
 * bench_calibrate.c) is judged on the SAME live data as the code before
 * it, and not on a new lab run whose spread (the host's load, TCG) is as
 * large as the change.  Prints, per run, the calibrated mean wait and
 * makespan against the measured ones and the simulated preemptions
 * against the daemon's, and the mean error over the runs shown.
 *
 *   build/tools/bench-recalibrate [--policy NAME] [--verbose] results.json...
 *
 * --verbose (-v) adds each job's measured and calibrated VS, start and
 * end, and the work the calibration gave it beside its CPU time per CPU.
 *
 * Only what the live run measured is read (the jobs' records, the
 * daemon's switch counters); the calibrated figures in the file are
 * printed beside the new ones ("file") for reference.
 */
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../userspace/cpool/bench.h"
#include "cpool/cpuset.h"

static double num(const json_t *o, const char *key, double dflt)
{
	const json_t *x = json_object_get(o, key);

	return json_is_number(x) ? json_number_value(x) : dflt;
}

static const char *str(const json_t *o, const char *key, const char *dflt)
{
	const json_t *x = json_object_get(o, key);

	return json_is_string(x) ? json_string_value(x) : dflt;
}

static int load_pool(struct bench *b, const json_t *root, const char *path)
{
	const json_t *pool = json_object_get(root, "pool"), *v;
	size_t i;

	b->n_vs = (int)json_array_size(pool);
	b->vs = calloc((size_t)b->n_vs + 1, sizeof(*b->vs));
	if (!b->n_vs || !b->vs) {
		fprintf(stderr, "%s: no pool\n", path);
		return -1;
	}
	json_array_foreach(pool, i, v) {
		const char *bad;

		snprintf(b->vs[i].name, sizeof(b->vs[i].name), "%s", str(v, "name", "?"));
		if (cpool_cpuset_parse(&b->vs[i].cpus, str(v, "cpus", ""), &bad)) {
			fprintf(stderr, "%s: VS %s: bad CPUs\n", path, b->vs[i].name);
			return -1;
		}
		b->total_cpus += cpool_cpuset_count(&b->vs[i].cpus);
	}
	return 0;
}

/* One run of the file: its trace jobs (@jobs, owned by the caller) and what was measured. */
static int load_run(struct bench_run *r, struct cpool_job **jobs, const json_t *run)
{
	const json_t *js = json_object_get(run, "jobs"), *j;
	size_t i;

	memset(r, 0, sizeof(*r));
	cpool_policy_init(&r->policy);
	if (cpool_sched_parse(str(run, "policy", ""), &r->policy.sched) ||
	    cpool_place_parse(str(run, "placement", "first-fit"), &r->policy.place))
		return -1;
	if (num(run, "quantum", 0) > 0)
		r->policy.quantum_us = llround(num(run, "quantum", 0) * CPOOL_USEC_PER_SEC);
	r->policy.admit_p99_us = llround(num(run, "admit_p99", 0) * CPOOL_USEC_PER_SEC);
	r->repeat = (int)num(run, "repeat", 0);
	r->n_jobs = json_array_size(js);
	*jobs = calloc(r->n_jobs + 1, sizeof(**jobs));
	r->jobs = calloc(r->n_jobs + 1, sizeof(*r->jobs));
	if (!*jobs || !r->jobs)
		return -1;
	json_array_foreach(js, i, j) {
		struct cpool_job *t = &(*jobs)[i];
		struct bench_job *bj = &r->jobs[i];
		const json_t *m = json_object_get(j, "measured");

		snprintf(t->id, sizeof(t->id), "%s", str(j, "id", "?"));
		t->index = i;
		t->cpus = (int)num(j, "cpus", 1);
		t->submit_us = llround(num(j, "submit", 0) * CPOOL_USEC_PER_SEC);
		t->runtime_us = llround(num(j, "runtime", 0) * CPOOL_USEC_PER_SEC);
		t->estimate_us = llround(num(j, "estimate", 0) * CPOOL_USEC_PER_SEC);
		t->priority = (int)num(j, "priority", 0);
		bj->job = t;
		bj->p_vs = -1;
		bj->c_vs = -1;
		bj->m_preemptions = -1;
		if (!json_is_object(m))
			continue;
		bench_job_from_record(bj, m, 0);
		bj->m_rq_p99_us = -1;
		bj->m_seen_running = (unsigned)num(m, "seen_running", 0);
		bj->m_seen_frozen = (unsigned)num(m, "seen_frozen", 0);
		/* Only clean ends have their times in the file (job_side_json). */
		bj->m_ok = strcmp(bj->m_state, "done") == 0 && json_object_get(m, "wait");
	}
	bench_switches_from_json(&r->sw,
				 json_object_get(json_object_get(run, "calibrated"), "switches"));
	r->measured = json_is_true(json_object_get(run, "measured_ok"));
	return 0;
}

/* The last @n characters of @s: the run's directory, not the common prefix. */
static const char *tail(const char *s, size_t n)
{
	size_t len = strlen(s);

	return len > n ? s + len - n : s;
}

static double pct(double c, double m)
{
	return m > 0 ? 100 * (c - m) / m : NAN;
}

int main(int argc, char **argv)
{
	const char *only = NULL;
	bool verbose = false;
	double sum_w = 0, sum_m = 0;
	int n = 0, opt;

	static const struct option longopts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};

	while ((opt = getopt_long(argc, argv, "p:vh", longopts, NULL)) != -1) {
		if (opt == 'p') {
			only = optarg;
			continue;
		}
		if (opt == 'v') {
			verbose = true;
			continue;
		}
		fprintf(stderr, "usage: %s [--policy NAME] [--verbose] results.json...\n", argv[0]);
		return opt == 'h' ? 0 : 2;
	}
	printf("%-28s %-6s %3s  %21s %8s  %21s %8s  %9s\n", "file", "policy", "rep",
	       "wait cal/meas (s)", "CALIB%", "makespan cal/meas (s)", "CALIB%", "preempt");
	for (int a = optind; a < argc; a++) {
		json_error_t err;
		json_t *root = json_load_file(argv[a], 0, &err), *run;
		struct bench b = { 0 };
		size_t i;

		if (!root) {
			fprintf(stderr, "%s:%d: %s\n", argv[a], err.line, err.text);
			return 1;
		}
		if (load_pool(&b, root, argv[a]))
			return 1;
		json_array_foreach(json_object_get(root, "runs"), i, run) {
			struct bench_run r;
			struct cpool_job *jobs = NULL;
			const json_t *old = json_object_get(run, "calibrated");
			double w, m;
			int ret;

			if (only && strcmp(str(run, "policy", ""), only) != 0)
				continue;
			if (load_run(&r, &jobs, run)) {
				fprintf(stderr, "%s: run %zu: cannot read it\n", argv[a], i);
				return 1;
			}
			ret = bench_run_calibrate(&b, &r);
			if (ret || !r.measured) {
				fprintf(stderr, "%s: run %zu: not calibrated (%d)\n", argv[a], i,
					ret);
				free(jobs);
				free(r.jobs);
				continue;
			}
			w = pct(r.cal.mean_wait, r.meas.mean_wait);
			m = pct(r.cal.makespan, r.meas.makespan);
			printf("%-28s %-6s %3d  %10.3f/%10.3f %+8.1f  %10.3f/%10.3f %+8.1f  %4.0f/%4llu"
			       "  (file %+.1f / %+.1f)\n",
			       tail(argv[a], 28), str(run, "policy", ""), r.repeat, r.cal.mean_wait,
			       r.meas.mean_wait, w, r.cal.makespan, r.meas.makespan, m,
			       r.sw.preemptions, r.cal_preemptions,
			       pct(num(old, "mean_wait", NAN), r.meas.mean_wait),
			       pct(num(old, "makespan", NAN), r.meas.makespan));
			for (size_t k = 0; verbose && k < r.n_jobs; k++) {
				const struct bench_job *j = &r.jobs[k];

				printf("  job %-4s %d CPU(s)  measured %-8s %7.3f-%7.3f  calibrated %-8s "
				       "%7.3f-%7.3f  start %+.3f end %+.3f  work %.3f (CPU %.3f) s"
				       "  preemptions %d/%u\n",
				       j->job->id, j->job->cpus, j->m_vs, j->m_start, j->m_end,
				       j->c_vs >= 0 ? b.vs[j->c_vs].name : "-", j->c_start,
				       j->c_end, j->c_start - j->m_start, j->c_end - j->m_end,
				       j->c_held, j->m_cpu_time / j->job->cpus, j->m_preemptions,
				       j->c_preemptions);
			}
			sum_w += w;
			sum_m += m;
			n++;
			free(jobs);
			free(r.jobs);
		}
		json_decref(root);
		free(b.vs);
	}
	if (n)
		printf("mean over %d run(s): wait %+.2f %%, makespan %+.2f %%\n", n, sum_w / n,
		       sum_m / n);
	return 0;
}
