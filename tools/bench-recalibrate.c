// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * cpool bench's calibration again, off line, on the measurements a run
 * kept in its results.json: what a change to bench_calibrate.c (or to how
 * the daemon's counters are read) does to the same lab data, without
 * another lab run, whose host load moves the figures more than the change.
 *
 *   build/tools/bench-recalibrate RESULTS.JSON... [--policy NAME]   (make bench)
 *
 * One line per run: calibrated and measured mean wait and makespan, their
 * difference in per cent, and the simulated beside the daemon's
 * preemptions.  The calibration's inputs are the ones results.json holds
 * (each job's measured submit, start, end, CPU time, run time, launch and
 * launch idle; the daemon's switch counters over the run): a field that
 * the report did not write is taken as not reported, as from an older
 * daemon.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../userspace/cpool/bench_calibrate.c"
#include "../userspace/cpool/bench_report.c"
#include "../userspace/cpool/cli_common.c"
#include "../userspace/cpool/cli_options.c"

static double num(json_t *o, const char *key, double missing)
{
	json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : missing;
}

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key)) ?: "";
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
	return 0;
}

static void load_switches(json_t *o, struct bench_switches *s)
{
	const struct {
		const char *key;
		double *v;
	} f[] = {
		{ "launches", &s->launches },
		{ "launch_wait", &s->launch_wait },
		{ "end_handovers", &s->end_handovers },
		{ "end_handover_wait", &s->end_handover_wait },
		{ "preemptions", &s->preemptions },
		{ "late", &s->late },
		{ "freezes", &s->freezes },
		{ "freeze_wait", &s->freeze_wait },
		{ "freeze_ran", &s->freeze_ran },
		{ "handovers", &s->handovers },
		{ "handover_wait", &s->handover_wait },
		{ "thaws", &s->thaws },
		{ "thaw_wait", &s->thaw_wait },
		{ "thaw_ran", &s->thaw_ran },
		{ "launch_turns", &s->launch_turns },
		{ "launch_turn", &s->launch_turn },
		{ "launch_turn_idle", &s->launch_turn_idle },
		{ "resume_turns", &s->resume_turns },
		{ "resume_turn", &s->resume_turn },
		{ "resume_turn_idle", &s->resume_turn_idle },
	};

	s->have = json_is_object(o);
	for (size_t i = 0; s->have && i < sizeof(f) / sizeof(f[0]); i++)
		*f[i].v = num(o, f[i].key, 0);
}

static int load_run(json_t *rj, struct bench_run *r)
{
	json_t *jobs = json_object_get(rj, "jobs"), *jj;
	size_t i;

	cpool_policy_init(&r->policy);
	if (cpool_sched_parse(str(rj, "policy"), &r->policy.sched) ||
	    cpool_place_parse(str(rj, "placement"), &r->policy.place))
		return -EINVAL;
	if (num(rj, "quantum", 0) > 0)
		r->policy.quantum_us = llround(num(rj, "quantum", 0) * CPOOL_USEC_PER_SEC);
	r->policy.admit_p99_us = llround(num(rj, "admit_p99", 0) * CPOOL_USEC_PER_SEC);
	r->repeat = (int)num(rj, "repeat", 0);
	r->n_jobs = json_array_size(jobs);
	r->jobs = calloc(r->n_jobs ?: 1, sizeof(*r->jobs));
	if (!r->jobs)
		return -ENOMEM;
	load_switches(json_object_get(json_object_get(rj, "calibrated"), "switches"), &r->sw);
	json_array_foreach(jobs, i, jj) {
		struct cpool_job *job = calloc(1, sizeof(*job));
		struct bench_job *j = &r->jobs[i];
		json_t *m = json_object_get(jj, "measured"), *p = json_object_get(jj, "predicted");

		if (!job)
			return -ENOMEM;
		snprintf(job->id, sizeof(job->id), "%s", str(jj, "id"));
		job->submit_us = llround(num(jj, "submit", 0) * CPOOL_USEC_PER_SEC);
		job->runtime_us = llround(num(jj, "runtime", 0) * CPOOL_USEC_PER_SEC);
		job->estimate_us = llround(num(jj, "estimate", 0) * CPOOL_USEC_PER_SEC);
		job->cpus = (int)num(jj, "cpus", 1);
		job->priority = (int)num(jj, "priority", 0);
		job->index = i;
		j->job = job;
		j->p_vs = -1;
		j->c_vs = -1;
		j->m_run_time = j->m_launch = -1;
		j->m_rq_mean_us = j->m_rq_p99_us = -1;
		if (json_is_object(p)) {
			j->p_start = num(p, "start", 0);
			j->p_end = num(p, "end", 0);
			/* Which VS does not enter the summary: that it ran does. */
			j->p_vs = 0;
		}
		if (!json_is_object(m) || !json_object_get(m, "start"))
			continue;
		j->m_ended = true;
		j->m_ok = strcmp(str(m, "state"), "done") == 0 || !*str(m, "state");
		j->m_submit = num(m, "submit", 0);
		j->m_start = num(m, "start", 0);
		j->m_end = num(m, "end", 0);
		j->m_cpu_time = num(m, "cpu_time", 0);
		j->m_run_time = num(m, "run_time", -1);
		j->m_launch = num(m, "launch", -1);
		j->m_launch_idle = num(m, "launch_idle", 0);
		j->m_seen_running = (unsigned)num(m, "seen_running", 0);
		j->m_seen_frozen = (unsigned)num(m, "seen_frozen", 0);
		snprintf(j->m_vs, sizeof(j->m_vs), "%s", str(m, "vs"));
		snprintf(j->m_state, sizeof(j->m_state), "%s", str(m, "state"));
	}
	r->measured = true;
	return 0;
}

static double pct(double c, double m)
{
	return m > 0 ? 100 * (c - m) / m : NAN;
}

int main(int argc, char **argv)
{
	const char *only = NULL;
	int status = 0;

	for (int a = 1; a < argc; a++)
		if (strcmp(argv[a], "--policy") == 0 && a + 1 < argc)
			only = argv[++a];
	if (argc < 2) {
		fprintf(stderr, "usage: bench-recalibrate RESULTS.JSON... [--policy NAME]\n");
		return 2;
	}
	printf("%-40s %-5s %8s %8s %7s  %8s %8s %7s  %5s %5s\n", "results", "run", "wait_c",
	       "wait_m", "diff%", "span_c", "span_m", "diff%", "pre_s", "pre_m");
	for (int a = 1; a < argc; a++) {
		struct bench b = { 0 };
		json_error_t jerr;
		json_t *root, *runs, *rj;
		size_t i;

		if (strcmp(argv[a], "--policy") == 0) {
			a++;
			continue;
		}
		root = json_load_file(argv[a], 0, &jerr);
		if (!root || load_pool(root, &b)) {
			fprintf(stderr, "bench-recalibrate: %s: %s\n", argv[a],
				root ? "bad pool" : jerr.text);
			status = 1;
			json_decref(root);
			continue;
		}
		runs = json_object_get(root, "runs");
		json_array_foreach(runs, i, rj) {
			struct bench_run r = { 0 };
			const char *name = str(rj, "policy");
			int ret;

			if (only && strcmp(only, name) != 0)
				continue;
			ret = load_run(rj, &r);
			if (!ret)
				ret = bench_run_calibrate(&b, &r);
			if (ret) {
				fprintf(stderr, "bench-recalibrate: %s: %s: %s\n", argv[a], name,
					strerror(-ret));
				status = 1;
			} else {
				printf("%-40.40s %-5s %8.3f %8.3f %+7.1f  %8.3f %8.3f %+7.1f  %5llu %5.0f\n",
				       argv[a] + (strlen(argv[a]) > 40 ? strlen(argv[a]) - 40 : 0),
				       name, r.cal.mean_wait, r.meas.mean_wait,
				       pct(r.cal.mean_wait, r.meas.mean_wait), r.cal.makespan,
				       r.meas.makespan, pct(r.cal.makespan, r.meas.makespan),
				       r.cal_preemptions, r.sw.preemptions);
			}
			for (size_t k = 0; k < r.n_jobs; k++)
				free((void *)r.jobs[k].job);
			free(r.jobs);
		}
		free(b.vs);
		json_decref(root);
	}
	return status;
}
