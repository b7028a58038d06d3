// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The report of cpool bench: summaries by metrics.h (the one definition the
 * simulator and the daemon use too), results.json and results.csv, the
 * comparison table, and gnuplot scripts with their data, rendered to PNG
 * and SVG when gnuplot is there.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "cli_common.h"

/* A job's times on one side, as metrics.h takes them; false when it has none. */
static bool job_times(const struct bench_job *j, enum bench_side side, struct cpool_job_times *t)
{
	*t = (struct cpool_job_times){ .submit = cpool_us_to_s(j->job->submit_us),
				       .runtime = cpool_us_to_s(j->job->runtime_us) };
	switch (side) {
	case BENCH_MEASURED:
		if (!j->m_ok)
			return false;
		t->submit = j->m_submit;
		t->first_start = j->m_start;
		t->end = j->m_end;
		break;
	case BENCH_CALIBRATED:
		if (j->c_vs < 0)
			return false;
		/* The calibration's arrival (bench_run_calibrate). */
		if (j->m_ok && j->m_submit > 0)
			t->submit = j->m_submit;
		t->first_start = j->c_start;
		t->end = j->c_end;
		break;
	default:
		if (j->p_vs < 0)
			return false;
		t->first_start = j->p_start;
		t->end = j->p_end;
	}
	return true;
}

bool bench_job_metrics(const struct bench_job *j, enum bench_side side, struct cpool_job_metrics *m)
{
	struct cpool_job_times t;

	if (!job_times(j, side, &t))
		return false;
	cpool_metrics_job(&t, m);
	return true;
}

static int summarise(const struct bench *b, struct bench_run *r, enum bench_side side)
{
	struct cpool_job_times *t = calloc(r->n_jobs ?: 1, sizeof(*t));
	double busy = 0, rq = 0;
	size_t n = 0, n_rq = 0;
	int ret;

	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < r->n_jobs; i++) {
		const struct bench_job *j = &r->jobs[i];

		if (!job_times(j, side, &t[n]))
			continue;
		if (side == BENCH_MEASURED) {
			busy += j->m_cpu_time;
			if (j->m_rq_mean_us >= 0) {
				rq += j->m_rq_mean_us;
				n_rq++;
			}
		} else if (side == BENCH_CALIBRATED) {
			/*
			 * The work the calibration gave it (its occupancy, or under
			 * preemption its CPU time) less its launch: until its exec
			 * the launch is the daemon's work, on the system's CPUs,
			 * and the job's CPUs idle.
			 */
			busy += fmax(0, j->c_held - j->c_idle) * j->job->cpus;
		} else {
			busy += t[n].runtime * j->job->cpus;
		}
		n++;
	}
	if (side == BENCH_MEASURED) {
		r->meas_busy_cpu_s = busy;
		r->meas_failed = r->n_jobs - n;
		r->meas_rq_mean_us = n_rq ? rq / (double)n_rq : -1;
		ret = cpool_metrics_summary(t, n, b->total_cpus, busy, &r->meas);
	} else if (side == BENCH_CALIBRATED) {
		ret = cpool_metrics_summary(t, n, b->total_cpus, busy, &r->cal);
	} else {
		r->pred_busy_cpu_s = busy;
		ret = cpool_metrics_summary(t, n, b->total_cpus, busy, &r->pred);
	}
	free(t);
	return ret;
}

/*
 * The daemon's switch counters as `stats` reports them (and results.json
 * keeps them, under each run's `calibrated`); all 0 and have false when @x
 * is not an object (a daemon without them).
 */
void bench_switches_from_json(struct bench_switches *sw, const json_t *x)
{
	static const struct {
		const char *key;
		size_t off;
	} fields[] = {
#define SW(f) { #f, offsetof(struct bench_switches, f) }
		SW(preemptions),       SW(freezes),	  SW(handovers),    SW(thaws),
		SW(end_handovers),     SW(launches),	  SW(late),	    SW(freeze_wait),
		SW(freeze_ran),	       SW(handover_wait), SW(thaw_wait),    SW(thaw_ran),
		SW(end_handover_wait), SW(launch_wait),	  SW(launch_turns), SW(launch_turn),
		SW(launch_turn_idle),  SW(resume_turns),  SW(resume_turn),  SW(resume_turn_idle),
#undef SW
	};

	memset(sw, 0, sizeof(*sw));
	if (!json_is_object(x))
		return;
	sw->have = true;
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const json_t *v = json_object_get(x, fields[i].key);

		*(double *)((char *)sw + fields[i].off) =
			json_is_number(v) ? json_number_value(v) : 0;
	}
}

/* @key's number less @t0, or -1 when there is none. */
static double time_or_none(const json_t *rec, const char *key, double t0)
{
	return json_is_number(json_object_get(rec, key)) ? cli_json_num(rec, key, 0) - t0 : -1;
}

void bench_job_from_record(struct bench_job *j, const json_t *rec, double t0)
{
	j->m_ended = true;
	snprintf(j->m_state, sizeof(j->m_state), "%s", cli_json_str(rec, "state", "?"));
	snprintf(j->m_vs, sizeof(j->m_vs), "%s", cli_json_str(rec, "vs", ""));
	j->m_submit = cli_json_num(rec, "submit", 0) - t0;
	j->m_start = cli_json_num(rec, "start", 0) - t0;
	j->m_end = cli_json_num(rec, "end", 0) - t0;
	j->m_cpu_time = cli_json_num(rec, "cpu_time", 0);
	j->m_run_time = cli_json_num(rec, "run_time", -1);
	j->m_launch = cli_json_num(rec, "launch", -1);
	j->m_launch_idle = cli_json_num(rec, "launch_idle", -1);
	j->m_handover = cli_json_num(rec, "handover", -1);
	j->m_start_report = cli_json_num(rec, "start_report", -1);
	j->m_preemptions = (int)cli_json_int(rec, "preemptions", -1);
	j->m_resume_turns = (int)cli_json_int(rec, "resume_turns", 0);
	j->m_resume_turn = cli_json_num(rec, "resume_turn", 0);
	j->m_resume_turn_idle = cli_json_num(rec, "resume_turn_idle", 0);
	j->m_first_round = time_or_none(rec, "first_round", t0);
	j->m_start_round = time_or_none(rec, "start_round", t0);
	j->m_rq_mean_us = cli_json_num(rec, "rq_latency_mean_us", -1);
}

const char *bench_run_label(const struct bench_run *r)
{
	return r->label[0] ? r->label : cpool_sched_name(r->policy.sched);
}

int bench_run_summarise(const struct bench *b, struct bench_run *r)
{
	int ret = summarise(b, r, BENCH_PREDICTED);

	if (!ret && r->calibrated)
		ret = summarise(b, r, BENCH_CALIBRATED);
	if (!ret && r->measured) {
		ret = summarise(b, r, BENCH_MEASURED);
		if (!ret && r->meas_failed)
			fprintf(stderr,
				"cpool bench: %s: %zu job(s) did not run to a clean end; left out of the measured figures\n",
				bench_run_label(r), r->meas_failed);
	}
	return ret;
}

/* ---- the figures compared ---------------------------------------------------- */

struct figure {
	const char *key; /* JSON and CSV name */
	const char *label; /* table */
	const char *unit;
	double scale; /* shown = value * scale */
};

static const struct figure figures[BENCH_F__N] = {
	[BENCH_F_RUL] = { "rul", "RUL", "%", 100 },
	[BENCH_F_MEAN_RESPONSE] = { "mean_response", "mean response", "s", 1 },
	[BENCH_F_MEAN_WAIT] = { "mean_wait", "mean wait", "s", 1 },
	[BENCH_F_P99_WAIT] = { "p99_wait", "p99 wait", "s", 1 },
	[BENCH_F_THROUGHPUT] = { "throughput", "throughput", "jobs/s", 1 },
	[BENCH_F_MAKESPAN] = { "makespan", "makespan", "s", 1 },
	[BENCH_F_RQLAT] = { "mean_rq_latency_us", "mean run-queue latency", "us", 1 },
};

/* NAN: no such figure (the simulator does not model the kernel's run queue). */
double bench_figure_value(const struct bench_run *r, int f, enum bench_side side)
{
	const struct cpool_pool_summary *s = side == BENCH_MEASURED   ? &r->meas :
					     side == BENCH_CALIBRATED ? &r->cal :
									&r->pred;
	bool measured = side == BENCH_MEASURED;

	if ((measured && !r->measured) || (side == BENCH_CALIBRATED && !r->calibrated))
		return NAN;
	switch (f) {
	case BENCH_F_RUL:
		return s->rul;
	case BENCH_F_MEAN_RESPONSE:
		return s->mean_response;
	case BENCH_F_MEAN_WAIT:
		return s->mean_wait;
	case BENCH_F_P99_WAIT:
		return s->p99_wait;
	case BENCH_F_THROUGHPUT:
		return s->throughput;
	case BENCH_F_MAKESPAN:
		return s->makespan;
	case BENCH_F_RQLAT:
		return measured && r->meas_rq_mean_us >= 0 ? r->meas_rq_mean_us : NAN;
	}
	return NAN;
}

/* Older callers and tests that fill runs[] alone: one run per policy. */
static size_t n_policies(const struct bench *b)
{
	return b->n_policies ? b->n_policies : b->n_runs;
}

void bench_policy_stat(const struct bench *b, size_t policy, int f, enum bench_side side,
		       struct bench_stat *s)
{
	double sum = 0, sq = 0;

	s->n = 0;
	for (size_t i = policy; i < b->n_runs; i += n_policies(b)) {
		double v = bench_figure_value(&b->runs[i], f, side);

		if (isnan(v))
			continue;
		sum += v;
		s->n++;
	}
	s->mean = s->n ? sum / (double)s->n : NAN;
	for (size_t i = policy; s->n > 1 && i < b->n_runs; i += n_policies(b)) {
		double v = bench_figure_value(&b->runs[i], f, side);

		if (!isnan(v))
			sq += (v - s->mean) * (v - s->mean);
	}
	s->sd = s->n > 1 ? sqrt(sq / (double)(s->n - 1)) : NAN;
}

/* "-" for no figure; @sign: a difference (+/-). */
static void number_cell(struct cli_table *t, bool sign, int decimals, double v)
{
	if (isnan(v))
		cli_table_cell(t, "-");
	else
		cli_table_cell(t, sign ? "%+.*f" : "%.*f", decimals, v);
}

/* "job 7 +1.234 s, job 3 -0.500 s; 2 on another VS; 1 pair in the other order" */
static void gap_line(const struct bench *b, const struct bench_run *r, FILE *out)
{
	struct bench_gap g;

	bench_run_gap(b, r, &g);
	fprintf(out,
		"  %-8s repeat %d: dispatch delay %.3f s (%zu samples); measured start - calibrated:",
		bench_run_label(r), r->repeat + 1, r->cal_dispatch_s, r->cal_dispatch_n);
	for (size_t k = 0; k < g.n_top; k++)
		fprintf(out, "%s job %s %+.3f s", k ? "," : "", g.top[k]->job->id,
			g.top[k]->m_start - g.top[k]->c_start);
	fprintf(out, "; %zu job(s) on another VS; %zu pair(s) started in the other order\n",
		g.other_vs, g.swapped);
	if (g.m_preemptions > 0 || g.c_preemptions > 0) {
		fprintf(out, "           preemptions %lld, calibrated %lld", g.m_preemptions,
			g.c_preemptions);
		for (size_t k = 0; k < g.n_turns_top; k++)
			fprintf(out, "%s job %s %d to %u", k ? "," : ";", g.turns_top[k]->job->id,
				g.turns_top[k]->m_preemptions, g.turns_top[k]->c_preemptions);
		fputc('\n', out);
	}
	if (r->sw.have && r->sw.preemptions > 0)
		fprintf(out,
			"           %.0f switches (%llu simulated): turn +%.3f s (late %.3f, freeze %.3f, "
			"handover %.3f), "
			"switch cost %.3f s, CPUs held %.3f s after a quantum (%.3f of it worked); "
			"resume turns %.0f of %.3f s, %.3f idle; launch turns "
			"%.0f of %.3f s, %.3f idle (launch to exec %.3f s): +%.3f s a job, first slice +%.3f s\n",
			r->sw.preemptions, r->cal_preemptions, r->cal_turn_delay_s,
			bench_per(r->sw.late, r->sw.preemptions),
			bench_per(r->sw.freeze_wait, r->sw.freezes),
			bench_per(r->sw.handover_wait, r->sw.handovers), r->cal_switch_cost_s,
			r->cal_freeze_s, r->cal_freeze_ran_s, r->sw.resume_turns,
			bench_per(r->sw.resume_turn, r->sw.resume_turns),
			bench_per(r->sw.resume_turn_idle, r->sw.resume_turns), r->sw.launch_turns,
			bench_per(r->sw.launch_turn, r->sw.launch_turns),
			bench_per(r->sw.launch_turn_idle, r->sw.launch_turns),
			bench_per(r->sw.launch_wait, r->sw.launches), r->cal_launch_extra_s,
			r->cal_launch_slice_s);
}

void bench_print_table(const struct bench *b, FILE *out)
{
	static const struct cli_column cols[] = {
		{ "POLICY", false },  { "METRIC", false },    { "UNIT", false },
		{ "A PRIORI", true }, { "CALIBRATED", true }, { "MEASURED", true },
		{ "SD", true },	      { "RUNS", true },	      { "PRIORI%", true },
		{ "CALIB%", true },
	};
	struct cli_table *t = cli_table_new(cols, 10);
	bool any_cal = false;

	for (size_t i = 0; i < n_policies(b); i++) {
		for (int f = 0; f < BENCH_F__N; f++) {
			struct bench_stat p, c, m;
			double sc = figures[f].scale;

			bench_policy_stat(b, i, f, BENCH_PREDICTED, &p);
			bench_policy_stat(b, i, f, BENCH_CALIBRATED, &c);
			bench_policy_stat(b, i, f, BENCH_MEASURED, &m);
			cli_table_cell(t, "%s", f == 0 ? bench_run_label(&b->runs[i]) : "");
			cli_table_cell(t, "%s", figures[f].label);
			cli_table_cell(t, "%s", figures[f].unit);
			number_cell(t, false, 3, p.mean * sc);
			number_cell(t, false, 3, c.mean * sc);
			number_cell(t, false, 3, m.mean * sc);
			number_cell(t, false, 3, m.sd * sc);
			cli_table_cell(t, "%zu", m.n);
			number_cell(t, true, 1,
				    p.mean == 0 ? NAN : (p.mean - m.mean) / fabs(m.mean) * 100);
			number_cell(t, true, 1,
				    c.mean == 0 ? NAN : (c.mean - m.mean) / fabs(m.mean) * 100);
		}
	}
	fprintf(out,
		"A PRIORI: the simulator on the trace's runtimes; CALIBRATED: on the measured ones\n"
		"and dispatch delay; MEASURED: the mean over RUNS repeats, SD their standard\n"
		"deviation; PRIORI%% and CALIB%%: the prediction's error against the measurement.\n");
	cli_table_print(t, out);
	cli_table_free(t);
	for (size_t i = 0; i < b->n_runs; i++)
		any_cal |= b->runs[i].calibrated && b->runs[i].measured;
	if (!any_cal)
		return;
	fprintf(out, "\nWhat separates the calibrated prediction from the measurement, per run:\n");
	for (size_t i = 0; i < b->n_runs; i++)
		if (b->runs[i].calibrated && b->runs[i].measured)
			gap_line(b, &b->runs[i], out);
}

/* ---- results.json ------------------------------------------------------------ */

static json_t *num_or_null(double v)
{
	return isnan(v) ? json_null() : json_real(v);
}

static json_t *summary_json(const struct bench_run *r, bool measured)
{
	json_t *o;

	if (measured && !r->measured)
		return json_null();
	o = json_object();
	for (int f = 0; f < BENCH_F__N; f++)
		json_object_set_new(o, figures[f].key,
				    num_or_null(bench_figure_value(r, f, measured)));
	json_object_set_new(o, "jobs",
			    json_integer((json_int_t)(measured ? r->meas.jobs : r->pred.jobs)));
	json_object_set_new(
		o, "mean_turnaround",
		json_real(measured ? r->meas.mean_turnaround : r->pred.mean_turnaround));
	json_object_set_new(o, "p50_wait",
			    json_real(measured ? r->meas.p50_wait : r->pred.p50_wait));
	json_object_set_new(o, "p90_wait",
			    json_real(measured ? r->meas.p90_wait : r->pred.p90_wait));
	json_object_set_new(o, "mean_bounded_slowdown",
			    json_real(measured ? r->meas.mean_bounded_slowdown :
						 r->pred.mean_bounded_slowdown));
	json_object_set_new(o, "busy_cpu_s",
			    json_real(measured ? r->meas_busy_cpu_s : r->pred_busy_cpu_s));
	if (measured)
		json_object_set_new(o, "failed", json_integer((json_int_t)r->meas_failed));
	return o;
}

static json_t *job_side_json(const struct bench *b, const struct bench_job *j, bool measured)
{
	struct cpool_job_metrics m;
	json_t *o;

	if (!bench_job_metrics(j, measured, &m)) {
		if (!measured || !j->m_ended)
			return json_null();
		return json_pack("{s:s}", "state", j->m_state);
	}
	o = json_pack("{s:f, s:f, s:f, s:f, s:f, s:f}", "submit",
		      measured ? j->m_submit : cpool_us_to_s(j->job->submit_us), "start",
		      measured ? j->m_start : j->p_start, "end", measured ? j->m_end : j->p_end,
		      "wait", m.wait, "response", m.response, "turnaround", m.turnaround);
	json_object_set_new(o, "vs", json_string(measured ? j->m_vs : b->vs[j->p_vs].name));
	if (measured) {
		json_object_set_new(o, "state", json_string(j->m_state));
		json_object_set_new(o, "cpu_time", json_real(j->m_cpu_time));
		json_object_set_new(o, "run_time",
				    j->m_run_time >= 0 ? json_real(j->m_run_time) : json_null());
		json_object_set_new(o, "launch",
				    j->m_launch >= 0 ? json_real(j->m_launch) : json_null());
		json_object_set_new(o, "launch_idle",
				    j->m_launch_idle > 0 ? json_real(j->m_launch_idle) :
							   json_null());
		json_object_set_new(o, "handover",
				    j->m_handover > 0 ? json_real(j->m_handover) : json_null());
		json_object_set_new(o, "start_report",
				    j->m_start_report > 0 ? json_real(j->m_start_report) :
							    json_null());
		json_object_set_new(o, "preemptions",
				    j->m_preemptions >= 0 ? json_integer(j->m_preemptions) :
							    json_null());
		if (j->m_resume_turns > 0) {
			json_object_set_new(o, "resume_turns", json_integer(j->m_resume_turns));
			json_object_set_new(o, "resume_turn", json_real(j->m_resume_turn));
			json_object_set_new(o, "resume_turn_idle",
					    json_real(j->m_resume_turn_idle));
		}
		json_object_set_new(o, "first_round",
				    j->m_first_round > 0 ? json_real(j->m_first_round) :
							   json_null());
		json_object_set_new(o, "start_round",
				    j->m_start_round > 0 ? json_real(j->m_start_round) :
							   json_null());
		json_object_set_new(o, "rq_latency_mean_us",
				    j->m_rq_mean_us >= 0 ? json_real(j->m_rq_mean_us) :
							   json_null());
		json_object_set_new(o, "daemon_id", json_integer(j->daemon_id));
		json_object_set_new(o, "seen_running", json_integer(j->m_seen_running));
		json_object_set_new(o, "seen_frozen", json_integer(j->m_seen_frozen));
	}
	return o;
}

/* Per policy: the prediction, and each measured figure's mean, SD and count over the repeats. */
static json_t *policies_json(const struct bench *b)
{
	json_t *all = json_array();

	for (size_t i = 0; i < n_policies(b); i++) {
		json_t *pred = json_object(), *meas = json_object(), *cal = json_object();

		for (int f = 0; f < BENCH_F__N; f++) {
			struct bench_stat p, c, m;

			bench_policy_stat(b, i, f, BENCH_PREDICTED, &p);
			bench_policy_stat(b, i, f, BENCH_CALIBRATED, &c);
			bench_policy_stat(b, i, f, BENCH_MEASURED, &m);
			json_object_set_new(pred, figures[f].key, num_or_null(p.mean));
			json_object_set_new(cal, figures[f].key, num_or_null(c.mean));
			json_object_set_new(meas, figures[f].key,
					    json_pack("{s:o, s:o, s:I}", "mean",
						      num_or_null(m.mean), "sd", num_or_null(m.sd),
						      "runs", (json_int_t)m.n));
		}
		json_array_append_new(all, json_pack("{s:s, s:o, s:o, s:o}", "policy",
						     bench_run_label(&b->runs[i]), "predicted",
						     pred, "calibrated", cal, "measured", meas));
	}
	return all;
}

static int write_json(const struct bench *b, const char *path)
{
	json_t *root = json_object(), *pool = json_array(), *runs = json_array();
	int ret;

	for (int v = 0; v < b->n_vs; v++) {
		char cpus[512];

		cpool_cpuset_format(&b->vs[v].cpus, cpus, sizeof(cpus));
		json_array_append_new(pool, json_pack("{s:s, s:s, s:i}", "name", b->vs[v].name,
						      "cpus", cpus, "n_cpus",
						      cpool_cpuset_count(&b->vs[v].cpus)));
	}
	for (size_t i = 0; i < b->n_runs; i++) {
		const struct bench_run *r = &b->runs[i];
		json_t *jobs = json_array(), *util = json_array(), *cal = json_null();

		for (size_t k = 0; k < r->n_jobs; k++) {
			const struct bench_job *j = &r->jobs[k];

			json_t *o = json_pack(
				"{s:s, s:i, s:f, s:f, s:f, s:i, s:o, s:o}", "id", j->job->id,
				"cpus", j->job->cpus, "submit", cpool_us_to_s(j->job->submit_us),
				"runtime", cpool_us_to_s(j->job->runtime_us), "estimate",
				cpool_us_to_s(j->job->estimate_us), "priority", j->job->priority,
				"predicted", job_side_json(b, j, false), "measured",
				job_side_json(b, j, true));

			json_object_set_new(
				o, "calibrated",
				j->c_vs < 0 ? json_null() :
					      json_pack("{s:f, s:f, s:s, s:i, s:f, s:f, s:f}",
							"start", j->c_start, "end", j->c_end, "vs",
							b->vs[j->c_vs].name, "preemptions",
							(json_int_t)j->c_preemptions, "switch_cost",
							j->c_switch_cost, "freeze", j->c_freeze,
							"freeze_ran", j->c_freeze_ran));
			json_array_append_new(jobs, o);
		}
		for (size_t s = 0; s < r->n_util; s++) {
			json_t *row = json_object();

			for (int v = 0; v < b->n_vs; v++)
				json_object_set_new(
					row, b->vs[v].name,
					num_or_null(r->util[s * (size_t)b->n_vs + (size_t)v]));
			json_array_append_new(
				util, json_pack("{s:f, s:o}", "t", r->util_t[s], "rul", row));
		}
		if (r->calibrated) {
			struct bench_gap g;
			json_t *top = json_array();

			bench_run_gap(b, r, &g);
			for (size_t k = 0; k < g.n_top; k++)
				json_array_append_new(
					top, json_pack("{s:s, s:f, s:f}", "id", g.top[k]->job->id,
						       "measured_start", g.top[k]->m_start,
						       "calibrated_start", g.top[k]->c_start));
			cal = json_object();
			for (int f = 0; f < BENCH_F__N; f++)
				json_object_set_new(
					cal, figures[f].key,
					num_or_null(bench_figure_value(r, f, BENCH_CALIBRATED)));
			json_object_set_new(cal, "dispatch_delay", json_real(r->cal_dispatch_s));
			json_object_set_new(cal, "dispatch_samples",
					    json_integer((json_int_t)r->cal_dispatch_n));
			json_object_set_new(cal, "largest_start_differences", top);
			json_object_set_new(cal, "turn_delay", json_real(r->cal_turn_delay_s));
			json_object_set_new(cal, "switch_cost", json_real(r->cal_switch_cost_s));
			json_object_set_new(cal, "freeze", json_real(r->cal_freeze_s));
			json_object_set_new(cal, "freeze_ran", json_real(r->cal_freeze_ran_s));
			json_object_set_new(cal, "launch_extra", json_real(r->cal_launch_extra_s));
			json_object_set_new(cal, "launch_slice", json_real(r->cal_launch_slice_s));
			json_object_set_new(cal, "preemptions",
					    json_integer((json_int_t)r->cal_preemptions));
			if (r->sw.have)
				json_object_set_new(
					cal, "switches",
					json_pack(
						"{s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, "
						"s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f}",
						"launches", r->sw.launches, "launch_wait",
						r->sw.launch_wait, "end_handovers",
						r->sw.end_handovers, "end_handover_wait",
						r->sw.end_handover_wait, "preemptions",
						r->sw.preemptions, "late", r->sw.late, "freezes",
						r->sw.freezes, "freeze_wait", r->sw.freeze_wait,
						"freeze_ran", r->sw.freeze_ran, "handovers",
						r->sw.handovers, "handover_wait",
						r->sw.handover_wait, "thaws", r->sw.thaws,
						"thaw_wait", r->sw.thaw_wait, "thaw_ran",
						r->sw.thaw_ran, "launch_turns", r->sw.launch_turns,
						"launch_turn", r->sw.launch_turn,
						"launch_turn_idle", r->sw.launch_turn_idle,
						"resume_turns", r->sw.resume_turns, "resume_turn",
						r->sw.resume_turn, "resume_turn_idle",
						r->sw.resume_turn_idle));
			json_object_set_new(cal, "jobs_on_another_vs",
					    json_integer((json_int_t)g.other_vs));
			json_object_set_new(cal, "pairs_started_in_other_order",
					    json_integer((json_int_t)g.swapped));
			top = json_array();
			for (size_t k = 0; k < g.n_turns_top; k++)
				json_array_append_new(
					top, json_pack("{s:s, s:i, s:i}", "id",
						       g.turns_top[k]->job->id, "measured",
						       (json_int_t)g.turns_top[k]->m_preemptions,
						       "calibrated",
						       (json_int_t)g.turns_top[k]->c_preemptions));
			json_object_set_new(cal, "largest_preemption_differences", top);
		}
		json_array_append_new(
			runs,
			json_pack("{s:s, s:i, s:s, s:f, s:f, s:b, s:f, s:o, s:o, s:o, s:o, s:o}",
				  "policy", cpool_sched_name(r->policy.sched), "repeat", r->repeat,
				  "placement", cpool_place_name(r->policy.place), "quantum",
				  cpool_us_to_s(r->policy.quantum_us), "admit_p99",
				  cpool_us_to_s(r->policy.admit_p99_us), "measured_ok", r->measured,
				  "start_time", r->t0, "predicted", summary_json(r, false),
				  "calibrated", cal, "measured", summary_json(r, true),
				  "utilization", util, "jobs", jobs));
	}
	json_object_set_new(root, "trace", json_string(b->trace_path));
	json_object_set_new(root, "time_scale", json_real(b->time_scale));
	json_object_set_new(root, "cpus", json_integer(b->total_cpus));
	json_object_set_new(root, "pool", pool);
	json_object_set_new(root, "runs", runs);
	json_object_set_new(root, "repeats", json_integer(b->n_repeats ?: 1));
	json_object_set_new(root, "policies", policies_json(b));
	ret = json_dump_file(root, path, JSON_INDENT(2) | JSON_REAL_PRECISION(9));
	json_decref(root);
	return ret ? -EIO : 0;
}

/* ---- results.csv: one row per (policy, job or pool, metric) ------------------ */

static void csv_row(FILE *f, const char *policy, int repeat, const char *job, const char *metric,
		    double p, double m)
{
	fprintf(f, "%s,%s,%s,", policy, job, metric);
	if (!isnan(p))
		fprintf(f, "%.9g", p);
	fputc(',', f);
	if (!isnan(m))
		fprintf(f, "%.9g", m);
	fputc(',', f);
	if (!isnan(p) && !isnan(m))
		fprintf(f, "%.9g", m - p);
	fprintf(f, ",%d\n", repeat);
}

static int write_csv(const struct bench *b, const char *path)
{
	FILE *f = fopen(path, "we");

	if (!f)
		return -errno;
	fputs("policy,job,metric,predicted,measured,difference,repeat\n", f);
	for (size_t i = 0; i < b->n_runs; i++) {
		const struct bench_run *r = &b->runs[i];
		const char *pol = bench_run_label(r);

		for (int fi = 0; fi < BENCH_F__N; fi++)
			csv_row(f, pol, r->repeat, "", figures[fi].key,
				bench_figure_value(r, fi, false), bench_figure_value(r, fi, true));
		for (size_t k = 0; k < r->n_jobs; k++) {
			const struct bench_job *j = &r->jobs[k];
			struct cpool_job_metrics p, m;
			bool hp = bench_job_metrics(j, false, &p),
			     hm = bench_job_metrics(j, true, &m);

			csv_row(f, pol, r->repeat, j->job->id, "start", hp ? j->p_start : NAN,
				hm ? j->m_start : NAN);
			csv_row(f, pol, r->repeat, j->job->id, "end", hp ? j->p_end : NAN,
				hm ? j->m_end : NAN);
			csv_row(f, pol, r->repeat, j->job->id, "wait", hp ? p.wait : NAN,
				hm ? m.wait : NAN);
			csv_row(f, pol, r->repeat, j->job->id, "response", hp ? p.response : NAN,
				hm ? m.response : NAN);
			csv_row(f, pol, r->repeat, j->job->id, "turnaround",
				hp ? p.turnaround : NAN, hm ? m.turnaround : NAN);
		}
	}
	if (ferror(f)) {
		fclose(f);
		return -EIO;
	}
	return fclose(f) ? -errno : 0;
}

/* ---- plots --------------------------------------------------------------------- */

static FILE *open_in(const struct bench *b, const char *name)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/%s", b->out_dir, name);
	return fopen(path, "we");
}

int bench_cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, c = *(const double *)y;

	return (a > c) - (a < c);
}

/* Mean and SD (0 below two values) of @n values @stride apart. */
static void mean_sd(const double *v, size_t n, size_t stride, double *mean, double *sd)
{
	double sum = 0, sq = 0;

	for (size_t i = 0; i < n; i++)
		sum += v[i * stride];
	*mean = n ? sum / (double)n : NAN;
	for (size_t i = 0; n > 1 && i < n; i++)
		sq += (v[i * stride] - *mean) * (v[i * stride] - *mean);
	*sd = n > 1 ? sqrt(sq / (double)(n - 1)) : 0;
}

/*
 * Utilization per policy: the 1 s samples of its repeats binned by whole
 * second, one block per policy (gnuplot "index p"): t, then per VS the
 * mean and SD in %.
 */
static int write_utilization(const struct bench *b, FILE *f)
{
	for (size_t p = 0; p < n_policies(b); p++) {
		size_t bins = 1, nv = (size_t)b->n_vs;
		double *sum, *sq, *cnt;

		for (size_t i = p; i < b->n_runs; i += n_policies(b))
			for (size_t k = 0; k < b->runs[i].n_util; k++)
				if (b->runs[i].util_t[k] >= 0 &&
				    (size_t)b->runs[i].util_t[k] + 1 > bins)
					bins = (size_t)b->runs[i].util_t[k] + 1;
		sum = calloc(bins * nv, sizeof(*sum));
		sq = calloc(bins * nv, sizeof(*sq));
		cnt = calloc(bins * nv, sizeof(*cnt));
		if (!sum || !sq || !cnt) {
			free(sum);
			free(sq);
			free(cnt);
			return -ENOMEM;
		}
		for (size_t i = p; i < b->n_runs; i += n_policies(b)) {
			const struct bench_run *r = &b->runs[i];

			for (size_t k = 0; k < r->n_util; k++) {
				size_t bin = r->util_t[k] >= 0 ? (size_t)r->util_t[k] : 0;

				for (size_t v = 0; v < nv; v++) {
					double u = r->util[k * nv + v] * 100;

					if (isnan(u))
						continue;
					sum[bin * nv + v] += u;
					sq[bin * nv + v] += u * u;
					cnt[bin * nv + v]++;
				}
			}
		}
		fprintf(f, "# %s: t", bench_run_label(&b->runs[p]));
		for (size_t v = 0; v < nv; v++)
			fprintf(f, " %s sd", b->vs[v].name);
		fputc('\n', f);
		for (size_t bin = 0; bin < bins; bin++) {
			fprintf(f, "%zu", bin);
			for (size_t v = 0; v < nv; v++) {
				double n = cnt[bin * nv + v], m = n ? sum[bin * nv + v] / n : 0;
				double var = n > 1 ? (sq[bin * nv + v] - n * m * m) / (n - 1) : 0;

				if (!n)
					fputs(" ? ?", f);
				else
					fprintf(f, " %.4f %.4f", m, sqrt(fmax(0, var)));
			}
			fputc('\n', f);
		}
		fputs("\n\n", f);
		free(sum);
		free(sq);
		free(cnt);
	}
	return 0;
}

/* Sorted waits of a run's jobs (measured or predicted) into @w; their count. */
static size_t sorted_waits(const struct bench_run *r, bool measured, double *w)
{
	size_t n = 0;

	for (size_t k = 0; k < r->n_jobs; k++) {
		struct cpool_job_metrics m;

		if (bench_job_metrics(&r->jobs[k], measured, &m))
			w[n++] = fmax(0, m.wait);
	}
	qsort(w, n, sizeof(*w), bench_cmp_double);
	return n;
}

/*
 * Wait CDF per policy: block 2p measured, 2p+1 predicted; rows "wait
 * fraction sd".  The measured curve is the mean, rank by rank, of the
 * repeats where every job has a figure (a run with failures has fewer
 * ranks and would mix quantiles); sd is the spread of that rank's wait.
 */
static int write_wait_cdf(const struct bench *b, FILE *f)
{
	size_t reps = (size_t)(b->n_repeats > 0 ? b->n_repeats : 1), nj = b->n_jobs ?: 1;
	double *w = malloc(reps * nj * sizeof(*w)), mean, sd;

	if (!w)
		return -ENOMEM;
	for (size_t p = 0; p < n_policies(b); p++) {
		const char *name = bench_run_label(&b->runs[p]);
		size_t used = 0, n = 0;

		for (size_t i = p; i < b->n_runs && used < reps; i += n_policies(b)) {
			size_t got = sorted_waits(&b->runs[i], true, &w[used * nj]);

			if (b->runs[i].measured && got == b->n_jobs) {
				n = got;
				used++;
			}
		}
		fprintf(f, "# %s measured (%zu complete repeats): wait fraction sd\n", name, used);
		if (!used || !n)
			fputs("0 ? ?\n", f);
		for (size_t k = 0; used && k < n; k++) {
			mean_sd(&w[k], used, nj, &mean, &sd);
			/* From (first wait, 0), so each step function starts on the axis. */
			if (k == 0)
				fprintf(f, "%.6f 0 0\n", mean);
			fprintf(f, "%.6f %.6f %.6f\n", mean, (double)(k + 1) / (double)n, sd);
		}
		fputs("\n\n", f);
		n = sorted_waits(&b->runs[p], false, w);
		fprintf(f, "# %s predicted: wait fraction sd\n", name);
		fprintf(f, n ? "%.6f 0 0\n" : "0 ? ?\n", n ? w[0] : 0.0);
		for (size_t k = 0; k < n; k++)
			fprintf(f, "%.6f %.6f 0\n", w[k], (double)(k + 1) / (double)n);
		fputs("\n\n", f);
	}
	free(w);
	return 0;
}

static int write_data_file(const struct bench *b, const char *name,
			   int (*write)(const struct bench *b, FILE *f))
{
	FILE *f = open_in(b, name);
	int ret;

	if (!f)
		return -errno;
	ret = write(b, f);
	if (fclose(f) && !ret)
		ret = -errno;
	return ret;
}

static int write_plot_data(const struct bench *b)
{
	static const int fs[] = { BENCH_F_MEAN_WAIT, BENCH_F_MEAN_RESPONSE, BENCH_F_MAKESPAN,
				  BENCH_F_RUL };
	int ret = write_data_file(b, "utilization.dat", write_utilization);
	FILE *f;

	if (!ret)
		ret = write_data_file(b, "wait-cdf.dat", write_wait_cdf);
	if (ret)
		return ret;
	f = open_in(b, "compare.dat");
	if (!f)
		return -errno;
	fputs("# policy, then for mean wait, mean response, makespan, RUL: a priori, "
	      "calibrated (mean over the repeats), measured mean, measured SD (0 with one repeat)\n",
	      f);
	for (size_t i = 0; i < n_policies(b); i++) {
		fputs(bench_run_label(&b->runs[i]), f);
		for (int k = 0; k < 4; k++) {
			struct bench_stat p, c, m;
			double sc = figures[fs[k]].scale;

			bench_policy_stat(b, i, fs[k], BENCH_PREDICTED, &p);
			bench_policy_stat(b, i, fs[k], BENCH_CALIBRATED, &c);
			bench_policy_stat(b, i, fs[k], BENCH_MEASURED, &m);
			if (isnan(p.mean))
				fputs(" ?", f);
			else
				fprintf(f, " %.6f", p.mean * sc);
			if (isnan(c.mean))
				fputs(" ?", f);
			else
				fprintf(f, " %.6f", c.mean * sc);
			if (isnan(m.mean))
				fputs(" ? ?", f);
			else
				fprintf(f, " %.6f %.6f", m.mean * sc, isnan(m.sd) ? 0 : m.sd * sc);
		}
		fputc('\n', f);
	}
	return fclose(f) ? -errno : 0;
}

static int write_plot_scripts(const struct bench *b)
{
	FILE *f = open_in(b, "utilization.gp");
	int h = 220 * (int)n_policies(b) + 60;

	if (!f)
		return -errno;
	fputs("set datafile missing '?'\nset grid\nset key outside right top\n"
	      "set yrange [0:105]\n",
	      f);
	fprintf(f,
		"set multiplot layout %zu,1 title 'utilization per VS over time (cpool top, 1 s bins: mean and SD over %d repeat(s))'\n",
		n_policies(b), b->n_repeats ?: 1);
	for (size_t i = 0; i < n_policies(b); i++) {
		fprintf(f, "set title '%s'\nset ylabel 'RUL %%'\n", bench_run_label(&b->runs[i]));
		fprintf(f, "set xlabel '%s'\n",
			i + 1 == n_policies(b) ? "seconds since the first submission" : "");
		fputs("plot ", f);
		for (int v = 0; v < b->n_vs; v++)
			fprintf(f,
				"%s'utilization.dat' index %zu using 1:%d:%d with yerrorlines lw 2 pt 7 ps 0.4 lc %d title '%s'",
				v ? ", " : "", i, 2 * v + 2, 2 * v + 3, v + 1, b->vs[v].name);
		fputc('\n', f);
	}
	fputs("unset multiplot\n", f);
	fclose(f);

	f = open_in(b, "wait-cdf.gp");
	if (!f)
		return -errno;
	fputs("set datafile missing '?'\nset grid\nset key bottom right\n"
	      "set title 'wait time CDF: measured (solid, mean and SD of each rank over the repeats) and predicted (dashed)'\n"
	      "set xlabel 'wait (s)'\nset ylabel 'fraction of jobs'\nset yrange [0:1.02]\nplot ",
	      f);
	for (size_t i = 0; i < n_policies(b); i++) {
		const char *n = bench_run_label(&b->runs[i]);

		fprintf(f,
			"%s'wait-cdf.dat' index %zu using 1:2 with steps lw 2 lc %zu title '%s measured', "
			"'wait-cdf.dat' index %zu using 1:2:3 with xerrorbars pt 7 ps 0.3 lc %zu notitle, "
			"'wait-cdf.dat' index %zu using 1:2 with steps lw 1 dt 2 lc %zu title '%s predicted'",
			i ? ", \\\n     " : "", 2 * i, i + 1, n, 2 * i, i + 1, 2 * i + 1, i + 1, n);
	}
	fputc('\n', f);
	fclose(f);

	f = open_in(b, "compare.gp");
	if (!f)
		return -errno;
	fputs("set datafile missing '?'\nset style data histogram\n"
	      "set style histogram errorbars gap 1 lw 1\nset style fill solid 0.8 border -1\n"
	      "set boxwidth 0.9\nset grid ytics\nset key top left horizontal\n"
	      "set yrange [0:*]\nset offsets 0, 0, graph 0.2, 0\n"
	      "set multiplot layout 2,2 title 'a priori, calibrated and measured (mean and SD over the repeats)'\n",
	      f);
	{
		const char *titles[] = { "mean wait (s)", "mean response (s)", "makespan (s)",
					 "RUL (%)" };

		for (int k = 0; k < 4; k++)
			fprintf(f,
				"set title '%s'\nplot 'compare.dat' using %d:(0):xtic(1) title 'a priori' lc rgb '#7f9fbf', "
				"'' using %d:(0) title 'calibrated' lc rgb '#1b9e77', "
				"'' using %d:%d title 'measured' lc rgb '#d95f02'\n",
				titles[k], 2 + 4 * k, 3 + 4 * k, 4 + 4 * k, 5 + 4 * k);
	}
	fputs("unset multiplot\n", f);
	fclose(f);

	f = open_in(b, "plots.gp");
	if (!f)
		return -errno;
	fputs("# Renders the bench plots: cd to this directory, then 'gnuplot plots.gp'.\n", f);
	{
		const char *names[] = { "utilization", "wait-cdf", "compare" };
		int heights[] = { h, 480, 600 };

		for (int k = 0; k < 3; k++) {
			fprintf(f,
				"set terminal pngcairo size 900,%d font ',10'\nset output '%s.png'\nload '%s.gp'\nreset\n"
				"set terminal svg size 900,%d dynamic font ',10'\nset output '%s.svg'\nload '%s.gp'\nreset\n",
				heights[k], names[k], names[k], heights[k], names[k], names[k]);
		}
	}
	fputs("set output\n", f);
	return fclose(f) ? -errno : 0;
}

/* 0 drawn; 1 gnuplot missing or failing (a warning: the data and scripts are there). */
static int render(const struct bench *b, const char *prog)
{
	char log[4200];
	int status;
	pid_t pid;

	snprintf(log, sizeof(log), "%s/gnuplot.log", b->out_dir);
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (chdir(b->out_dir))
			_exit(126);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execlp("gnuplot", "gnuplot", "plots.gp", (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return 1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
		fprintf(stderr,
			"%s: gnuplot is not installed (tools/deps.sh installs gnuplot-nox): plots not drawn; 'cd %s && gnuplot plots.gp' draws them\n",
			prog, b->out_dir);
		return 1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "%s: gnuplot failed drawing the plots: see %s\n", prog, log);
		return 1;
	}
	return 0;
}

int bench_write_results(const struct bench *b, const char *prog)
{
	char path[4200];
	int ret;

	snprintf(path, sizeof(path), "%s/results.json", b->out_dir);
	ret = write_json(b, path);
	if (ret) {
		cli_fail(prog, "writing %s: %s", path, strerror(-ret));
		return ret;
	}
	snprintf(path, sizeof(path), "%s/results.csv", b->out_dir);
	ret = write_csv(b, path);
	if (ret) {
		cli_fail(prog, "writing %s: %s", path, strerror(-ret));
		return ret;
	}
	ret = write_plot_data(b);
	if (!ret)
		ret = write_plot_scripts(b);
	if (ret) {
		cli_fail(prog, "writing the plot data to %s: %s", b->out_dir, strerror(-ret));
		return ret;
	}
	render(b, prog);
	return 0;
}
