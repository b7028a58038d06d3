/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * cpool bench: what the replay (cmd_bench.c) hands the report
 * (bench_report.c).  Times of a run are seconds since the run's replay
 * started (its first submission), predicted and measured alike, so the two
 * sit on one axis.
 */
#ifndef CPOOL_CLI_BENCH_H
#define CPOOL_CLI_BENCH_H

#include <stdbool.h>
#include <stddef.h>

#include "cpool/job.h"
#include "cpool/metrics.h"
#include "cpool/policy.h"
#include "cpool/sim.h"
#include "cpool/vserver.h"

#define BENCH_STATE_MAX 16
/*
 * A job's occupancy above its run time by more than this was frozen: a
 * freeze and a thaw take milliseconds at least; the daemon's clock
 * readings, microseconds.
 */
#define BENCH_FROZEN_MIN_S 0.001

/* Which figures: the simulator's on the trace, the live run's, the simulator's re-run on the live one's. */
enum bench_side { BENCH_PREDICTED, BENCH_MEASURED, BENCH_CALIBRATED };

struct bench_job {
	const struct cpool_job *job; /* the scaled trace's job */
	long long daemon_id; /* 0 until submitted */
	/* The simulator's prediction. */
	double p_start, p_end;
	int p_vs; /* index into bench.vs, -1 when the simulator skipped it */
	/* What cpoold recorded. */
	bool m_ended; /* a record came back */
	bool m_ok; /* ... and the job ran to its end with status 0 */
	double m_submit, m_start, m_end;
	double m_cpu_time; /* user + system CPU seconds of its cgroup */
	/*
	 * The daemon's sum of its turns (exec or resume to preemption or
	 * end), seconds; < 0 when the daemon does not report it.  Below
	 * m_end - m_start by its launch, and by more when it was ever frozen.
	 */
	double m_run_time;
	/* From its start to its exec, seconds (the daemon's); < 0 when not reported. */
	double m_launch;
	/* Its first turn's idle when a freeze ended it, seconds per CPU; <= 0 when not reported. */
	double m_launch_idle;
	/*
	 * The daemon started it in the round right after a job's end on its
	 * VS, this many seconds after that end; <= 0 when not (or not reported).
	 */
	double m_handover;
	/*
	 * The daemon's scheduling rounds, seconds into the run as m_start: the
	 * first that had it queued and the one that started it; < 0 when not
	 * reported.
	 */
	double m_first_round, m_start_round;
	/* From its exec to the daemon reading its start report, seconds; < 0 when not reported. */
	double m_start_report;
	/* Times the daemon froze it for another job; < 0 when not reported. */
	int m_preemptions;
	/*
	 * Its turns from a resume to a completed freeze: how many, their
	 * seconds and their idle seconds per CPU (the daemon's);
	 * m_resume_turns < 1: none reported.
	 */
	int m_resume_turns;
	double m_resume_turn, m_resume_turn_idle;
	double m_rq_mean_us; /* < 0: not measured */
	double m_rq_p99_us; /* the job's own run-queue p99 (BPF); < 0: not measured */
	/* `ps` samples (every POLL_PS_S) that found it running or frozen. */
	unsigned m_seen_running, m_seen_frozen;
	/* The simulator re-run with what was measured (bench_run_calibrate). */
	double c_start, c_end;
	double c_held; /* the work it was given: seconds it holds its CPUs, running */
	double c_idle; /* ... of which its CPUs idle while the daemon launches it */
	int c_vs; /* -1: not calibrated */
	unsigned c_preemptions;
	double c_switch_cost; /* seconds charged at each of its dispatches */
	/* The hold after each of its preemptions, and what it works of it, seconds. */
	double c_freeze, c_freeze_ran;
	char m_vs[CPOOL_VS_NAME_MAX + 1];
	char m_state[BENCH_STATE_MAX];
};

/*
 * What the daemon measured of its switches during a run (`stats`, the
 * difference over the run; cpoold's switchcost.c): counts, and seconds
 * summed over them.
 */
struct bench_switches {
	bool have; /* the daemon reports them */
	double preemptions, freezes, handovers, thaws, end_handovers, launches;
	double late, freeze_wait, freeze_ran, handover_wait, thaw_wait, thaw_ran;
	double end_handover_wait, launch_wait;
	/* Turns a freeze ended, from the start or resume: counts, seconds, idle seconds. */
	double launch_turns, launch_turn, launch_turn_idle;
	double resume_turns, resume_turn, resume_turn_idle;
};

struct bench_run {
	struct cpool_policy policy;
	bool place_given; /* --placements: this run's placement is its own */
	char label[64]; /* "fcfs", or "fcfs/lowest-latency" or "fcfs/first-fit+admit:1ms" */
	int repeat; /* 0..bench.n_repeats - 1 */
	struct bench_job *jobs;
	size_t n_jobs;
	double t0; /* unix time of the first submission */
	struct cpool_pool_summary pred, meas, cal;
	/*
	 * The calibration's inputs: each job's occupancy (start to end, which
	 * includes its launch) and the daemon's dispatch delay (a queued
	 * job's start after the end that freed its VS): the mean of what the
	 * daemon measured (`stats`), or with a daemon that does not, the
	 * median of the gaps in the records.
	 */
	double cal_dispatch_s;
	size_t cal_dispatch_n;
	/*
	 * ... and, when the run preempted, the switches: the daemon's mean
	 * delay from a quantum's end to the next job's start (a turn lasts
	 * the quantum plus that) and the CPU time lost per switch (the
	 * simulator's switch cost).
	 */
	struct bench_switches sw;
	double cal_turn_delay_s, cal_switch_cost_s;
	/*
	 * ... the freeze the simulator models (sim.h's freeze_us): how long a
	 * preempted job keeps its CPUs after its quantum's end, and how much
	 * of that it still works; 0 when the run has no turns to take it from.
	 */
	double cal_freeze_s, cal_freeze_ran_s;
	/* A launch's turn less a resume's, idle: what a job's first start costs more. */
	double cal_launch_extra_s;
	/* ... and how much later its first slice starts: its launch, in whole quanta. */
	double cal_launch_slice_s;
	/* The calibrated simulation's preemptions, beside the daemon's (sw.preemptions). */
	unsigned long long cal_preemptions;
	bool calibrated;
	double pred_busy_cpu_s, meas_busy_cpu_s;
	size_t meas_failed; /* jobs without a good record: left out of the summary */
	double meas_rq_mean_us; /* mean of the jobs' means; < 0: not measured */
	/* Utilization per VS from `top`, one row a second: util[i * n_vs + v]. */
	double *util_t;
	double *util;
	size_t n_util, cap_util;
	bool measured;
};

struct bench {
	const char *trace_path;
	double time_scale;
	char out_dir[4096];
	struct cpool_vserver *vs;
	int n_vs;
	int total_cpus;
	struct cpool_job *jobs; /* scaled, first submit at 0 */
	size_t n_jobs;
	/*
	 * Round after round: runs[rep * n_policies + p], so that a drift of the
	 * machine over the session spreads over every policy alike.
	 */
	struct bench_run *runs;
	size_t n_runs;
	size_t n_policies;
	int n_repeats;
	/*
	 * --noise VS:THREADS: during every run a job that asks for one CPU of
	 * VS but spins THREADS threads (a neighbour using more than it
	 * declared).  The simulator sees it as held background load on the
	 * CPU the daemon gives it (noise_bg, n_noise_bg: sim_share.c).
	 */
	char noise_vs[CPOOL_VS_NAME_MAX + 1];
	int noise_threads;
	struct cpool_sim_background noise_bg;
	int n_noise_bg;
	long long noise_id; /* the current run's noise job, 0 when none */
};

/*
 * Per job class (the part of a job's id before its first '-': "lat-3" is
 * of class "lat"), over one run's jobs that ended cleanly: the median of
 * the jobs' mean run-queue latency, the nearest-rank p99 of their
 * run-queue p99s (both BPF, us), the mean response and the throughput
 * (the class's jobs over its first submit to last end), measured and
 * predicted.  An id without a '-' has no class.  Printed after the table
 * and written to classes.csv when the trace has two classes or more.
 */
void bench_print_classes(const struct bench *b, FILE *out);
int bench_write_classes(const struct bench *b);

/*
 * The simulator again, on the measured arrivals, with each job's measured
 * occupancy (start to end) as its runtime (the trace's where the job has
 * no clean record), and its CPUs held for the measured dispatch delay
 * after its end: what is left between this and the measurement is the
 * model's error, not its inputs'.  A job that `ps` found frozen (a
 * preempting policy) runs for its CPU time per CPU instead.  0 or -errno.
 */
int bench_run_calibrate(const struct bench *b, struct bench_run *r);

/*
 * What the gap between calibrated and measured consists of: the jobs whose
 * measured start differs most from the calibrated one (@top, up to @n_top,
 * largest first), how many jobs ran on another VS than the calibrated
 * simulation chose, and how many pairs of jobs started in the other order.
 */
struct bench_gap {
	const struct bench_job *top[3];
	size_t n_top;
	size_t other_vs, swapped;
	/*
	 * Of a preempting policy, where the daemon counts them: the jobs whose
	 * calibrated number of preemptions differs most from the measured one
	 * (largest first), and the sums of both over those that have both.
	 */
	const struct bench_job *turns_top[3];
	size_t n_turns_top;
	long long m_preemptions, c_preemptions;
};

void bench_run_gap(const struct bench *b, const struct bench_run *r, struct bench_gap *g);

/* The run's label, or its policy's name when it has none. */
const char *bench_run_label(const struct bench_run *r);

/* @sum / @n, 0 when n is 0: a mean over the daemon's switch counters. */
double bench_per(double sum, double n);

struct json_t;
void bench_switches_from_json(struct bench_switches *sw, const struct json_t *x);
/*
 * What the daemon's record of a job measured (`history`, or a run's
 * `measured` in results.json, which keeps the same keys), its wall times
 * less @t0 (results.json's are the run's already: 0).  The caller adds
 * what only its source has.
 */
void bench_job_from_record(struct bench_job *j, const struct json_t *rec, double t0);

/* qsort's comparison of doubles, ascending. */
int bench_cmp_double(const void *x, const void *y);

/* The figures compared, per run and per policy over its repeats. */
enum bench_figure {
	BENCH_F_RUL,
	BENCH_F_MEAN_RESPONSE,
	BENCH_F_MEAN_WAIT,
	BENCH_F_P99_WAIT,
	BENCH_F_THROUGHPUT,
	BENCH_F_MAKESPAN,
	BENCH_F_RQLAT,
	BENCH_F__N
};

/* One figure of one run; NAN when the run has no such figure. */
double bench_figure_value(const struct bench_run *r, int f, enum bench_side side);

/* A figure over a policy's repeats: the runs that have it (n), mean, sample SD (NAN below 2). */
struct bench_stat {
	double mean, sd;
	size_t n;
};

void bench_policy_stat(const struct bench *b, size_t policy, int f, enum bench_side side,
		       struct bench_stat *s);

/*
 * Per-job predicted, measured or calibrated metrics by metrics.h; false
 * when the job has no such figures.
 */
bool bench_job_metrics(const struct bench_job *j, enum bench_side side,
		       struct cpool_job_metrics *m);

/* The summaries of a finished run, from its jobs, by cpool_metrics_summary(). */
int bench_run_summarise(const struct bench *b, struct bench_run *r);

/* results.json, results.csv, the gnuplot data and script, the plots. */
int bench_write_results(const struct bench *b, const char *prog);
/* The comparison table on @out. */
void bench_print_table(const struct bench *b, FILE *out);

#endif /* CPOOL_CLI_BENCH_H */
