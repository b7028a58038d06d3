// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * cpool gen, cpool burn and cpool bench's input checks, as a user runs
 * them: a trace that is the same for a seed, a burner that does its CPU
 * work, and bad input answered with a usage error before anything is
 * touched.  The live bench itself runs in the lab (tests/lab/test_bench.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../tap.h"
#include "cpool/job.h"
/* The report on synthetic records, without a daemon: its sources, built in. */
#include "../../userspace/cpool/bench_calibrate.c"
#include "../../userspace/cpool/bench_report.c"
#include "../../userspace/cpool/cli_common.c"
#include "../../userspace/cpool/cli_options.c"

static char cpool[1024], out[1 << 16];

/* Read @dir/@name into @buf (a string); "" when it is not there. */
static const char *slurp(const char *dir, const char *name, char *buf, size_t len)
{
	char path[4200];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "re");
	if (f) {
		n = fread(buf, 1, len - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

/* Run "cpool ARGS" (a shell fragment); stdout in out[], returns the exit status. */
static int run(const char *args)
{
	char cmd[2048];
	size_t n;
	FILE *f;
	int st;

	/* stderr is dropped unless the caller asked for it ("2>&1"). */
	snprintf(cmd, sizeof(cmd), "%s %s%s", cpool, args,
		 strstr(args, "2>&1") ? "" : " 2>/dev/null");
	f = popen(cmd, "r");
	if (!f)
		bail_out("popen %s", cmd);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void gen(void)
{
	const char *args = "gen --jobs 50 --arrival poisson:2 --runtime lognormal:0,1 "
			   "--cpus uniform:1-4 --priority choice:-5,0,5 --mem 1M --seed 11";
	struct cpool_trace t;
	struct cpool_error e;
	char *first;
	FILE *in;
	int bad = 0;

	is_int(run(args), 0, "gen: exit 0");
	first = strdup(out);
	is_int(run(args), 0, "gen: again");
	is_str(out, first, "gen: the same trace for the same seed");
	in = fmemopen(first, strlen(first), "r");
	is_int(cpool_trace_read(in, CPOOL_TRACE_CSV, &t, &e), 0, "gen: the trace reader takes it");
	fclose(in);
	is_int((int64_t)t.n_jobs, 50, "gen: 50 jobs");
	for (size_t i = 0; i < t.n_jobs; i++)
		bad += t.jobs[i].cpus < 1 || t.jobs[i].cpus > 4 || t.jobs[i].mem != 1 << 20 ||
		       (t.jobs[i].priority != -5 && t.jobs[i].priority != 0 &&
			t.jobs[i].priority != 5);
	is_int(bad, 0, "gen: every job within --cpus, --priority and --mem");
	cpool_trace_free(&t);
	is_int(run("gen --jobs 50 --arrival poisson:2 --runtime lognormal:0,1 --cpus uniform:1-4 "
		   "--priority choice:-5,0,5 --mem 1M --seed 12"),
	       0, "gen: another seed");
	isnt_str(out, first, "gen: another seed, another trace");
	free(first);

	is_int(run("gen"), 2, "gen: --jobs is required");
	is_int(run("gen --jobs 3 --arrival poisson:0"), 2, "gen: a zero rate is a usage error");
	is_int(run("gen --jobs 3 --runtime normal:1"), 2, "gen: an unknown distribution");
	is_int(run("gen --jobs 3 --cpus fixed:0"), 2, "gen: zero CPUs");
	is_int(run("gen --jobs 3 --seed -1"), 2, "gen: a negative seed");
	is_int(run("gen --jobs 3 extra"), 2, "gen: a stray argument");
	is_int(run("gen --jobs 3 --estimate-error lognormal:0 2>&1"), 2,
	       "gen: a zero estimate sigma is a usage error");
	ok(strstr(out, "--estimate-error") && strstr(out, "lognormal:0"),
	   "gen: ... naming the option and the value");
	is_int(run("gen --jobs 3 --estimate-error over:0.9"), 2, "gen: an underestimating factor");
	is_int(run("gen --jobs 3 --estimate-error normal:1"), 2, "gen: an unknown estimate error");
	is_int(run("gen --jobs 20 --seed 3 --estimate-error over:2"), 0, "gen: over:2");
	ok(strstr(out, "id,submit,runtime,cpus,mem,priority,estimate\n") == out,
	   "gen: over:2 writes a trace");
}

/* CPU time of the children reaped so far, user + system, seconds. */
static double children_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_CHILDREN, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void burn(void)
{
	double before = children_cpu(), used;

	is_int(run("burn --cpu-seconds 0.3 --cpus 2 --mem 8M"), 0, "burn: exit 0");
	used = children_cpu() - before;
	/* Two threads of 0.3 s each; sharing CPUs with others only makes it slower, not less. */
	ok(used >= 0.58, "burn: two threads did 0.6 CPU-seconds (%.3f s)", used);
	ok(used < 3.0, "burn: and stopped (%.3f s)", used);
	is_int(run("burn"), 2, "burn: --cpu-seconds is required");
	is_int(run("burn --cpu-seconds soon"), 2, "burn: not a duration");
	is_int(run("burn --cpu-seconds 1 --cpus 0"), 2, "burn: zero threads");
	is_int(run("burn --cpu-seconds 1 --mem lots"), 2, "burn: not a size");
}

static void bench_input(void)
{
	char path[] = "/tmp/cpool-bench-unit.XXXXXX", args[512];
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, "id,submit,runtime\n1,0,1\n", 24) != 24)
		bail_out("writing %s", path);
	close(fd);
	/* All refused before connecting: the socket does not exist. */
	is_int(run("bench --policies fcfs --socket /nonexistent"), 2, "bench: --trace is required");
	is_int(run("bench --trace x.csv --socket /nonexistent"), 2,
	       "bench: --policies is required");
	is_int(run("bench --trace x.csv --policies fcfs,nope --socket /nonexistent"), 2,
	       "bench: an unknown policy");
	is_int(run("bench --trace x.csv --policies fcfs --placement nope --socket /nonexistent"), 2,
	       "bench: an unknown placement");
	is_int(run("bench --trace x.csv --policies fcfs --time-scale 0 --socket /nonexistent"), 2,
	       "bench: a zero time scale");
	snprintf(args, sizeof(args), "bench --trace %s --policies fcfs --socket /nonexistent 2>&1",
		 path);
	is_int(run(args), 1, "bench: a trace without the required columns fails");
	ok(strstr(out, path) != NULL, "bench: and names the trace: %.200s", out);
	is_int(run("bench --trace /nonexistent.csv --policies fcfs --socket /nonexistent"), 1,
	       "bench: a missing trace fails");
	unlink(path);
}

/*
 * Two jobs of 1 s on a 1-CPU VS, both submitted at 0: the simulator runs
 * them back to back.  fcfs measured: the second starts at 1, 1.5 and 2 s
 * in three repeats (waits 0.5, 0.75, 1 s on average: mean 0.75, SD 0.25;
 * makespans 2, 2.5, 3: mean 2.5, SD 0.5); sjf measured: always at 1 s.
 */
static void report_repeats(void)
{
	static const double fcfs_start[] = { 1, 1.5, 2 };
	struct cpool_job jobs[2] = {
		{ .id = "1", .runtime_us = 1000000, .estimate_us = 1000000, .cpus = 1 },
		{ .id = "2", .runtime_us = 1000000, .estimate_us = 1000000, .cpus = 1 },
	};
	struct cpool_vserver vs = { .name = "a" };
	struct bench_run runs[6];
	struct bench_job bj[6][2];
	double util_t[2] = { 0.1, 1.1 }, util[6][2];
	struct bench b = { .vs = &vs,
			   .n_vs = 1,
			   .total_cpus = 1,
			   .jobs = jobs,
			   .n_jobs = 2,
			   .runs = runs,
			   .n_runs = 6,
			   .n_policies = 2,
			   .n_repeats = 3,
			   .time_scale = 1,
			   .trace_path = "synthetic.csv" };
	struct bench_stat st;
	char dir[] = "/tmp/cpool-bench-report.XXXXXX", text[1 << 15], line[256], *table = NULL;
	size_t table_len = 0;
	json_t *res;
	FILE *f;
	int good = 1;

	cpool_cpuset_parse(&vs.cpus, "0", NULL);
	memset(runs, 0, sizeof(runs));
	memset(bj, 0, sizeof(bj));
	for (int i = 0; i < 6; i++) {
		struct bench_run *r = &runs[i];
		bool fcfs = i % 2 == 0;

		cpool_policy_init(&r->policy);
		r->policy.sched = fcfs ? CPOOL_SCHED_FCFS : CPOOL_SCHED_SJF;
		r->repeat = i / 2;
		r->jobs = bj[i];
		r->n_jobs = 2;
		r->measured = true;
		util[i][0] = 1;
		util[i][1] = 0.5 + 0.1 * r->repeat;
		r->util_t = util_t;
		r->util = util[i];
		r->n_util = r->cap_util = 2;
		for (int k = 0; k < 2; k++) {
			struct bench_job *j = &bj[i][k];

			j->job = &jobs[k];
			j->p_vs = 0;
			j->c_vs = -1;
			j->p_start = k;
			j->p_end = k + 1;
			j->m_ok = j->m_ended = true;
			j->m_start = k ? (fcfs ? fcfs_start[r->repeat] : 1) : 0;
			j->m_end = j->m_start + 1;
			j->m_cpu_time = 1;
			j->m_rq_mean_us = 10 * (r->repeat + 1);
			snprintf(j->m_state, sizeof(j->m_state), "done");
			snprintf(j->m_vs, sizeof(j->m_vs), "a");
		}
		good &= bench_run_calibrate(&b, r) == 0 && r->calibrated;
	}
	ok(good, "report: six synthetic runs calibrated and summarised");
	ok(fabs(runs[2].cal_dispatch_s - 0.5) < 1e-9 && runs[2].cal_dispatch_n == 1,
	   "calibration: fcfs repeat 2's dispatch delay is 0.5 s after job 1's end (%.3f, %zu)",
	   runs[2].cal_dispatch_s, runs[2].cal_dispatch_n);
	ok(fabs(bj[2][1].c_start - 1.5) < 1e-6 && fabs(bj[2][1].c_end - 2.5) < 1e-6 &&
		   fabs(bj[2][0].c_end - 1) < 1e-6,
	   "calibration: the re-run starts job 2 at 1.5 s and ends it at 2.5 s (%.3f..%.3f)",
	   bj[2][1].c_start, bj[2][1].c_end);
	bench_policy_stat(&b, 0, BENCH_F_MEAN_WAIT, BENCH_CALIBRATED, &st);
	ok(st.n == 3 && fabs(st.mean - 0.75) < 1e-6,
	   "calibration: fcfs calibrated mean wait is the measured 0.75 s (%.4f)", st.mean);
	bench_policy_stat(&b, 0, BENCH_F_MAKESPAN, BENCH_CALIBRATED, &st);
	ok(fabs(st.mean - 2.5) < 1e-6, "calibration: and makespan 2.5 s (%.4f)", st.mean);
	bench_policy_stat(&b, 0, BENCH_F_MEAN_WAIT, BENCH_MEASURED, &st);
	ok(st.n == 3 && fabs(st.mean - 0.75) < 1e-9 && fabs(st.sd - 0.25) < 1e-9,
	   "report: fcfs measured mean wait over 3 repeats: %zu runs, %.4f +- %.4f", st.n, st.mean,
	   st.sd);
	bench_policy_stat(&b, 0, BENCH_F_MAKESPAN, BENCH_MEASURED, &st);
	ok(fabs(st.mean - 2.5) < 1e-9 && fabs(st.sd - 0.5) < 1e-9,
	   "report: fcfs makespan 2.5 +- 0.5 (%.4f +- %.4f)", st.mean, st.sd);
	bench_policy_stat(&b, 0, BENCH_F_MEAN_WAIT, BENCH_PREDICTED, &st);
	ok(fabs(st.mean - 0.5) < 1e-9 && st.sd == 0, "report: the prediction 0.5 s, no spread");
	bench_policy_stat(&b, 1, BENCH_F_MEAN_WAIT, BENCH_MEASURED, &st);
	ok(fabs(st.mean - 0.5) < 1e-9 && st.sd == 0, "report: sjf measured 0.5 s every time");
	bench_policy_stat(&b, 1, BENCH_F_RQLAT, BENCH_PREDICTED, &st);
	ok(st.n == 0 && isnan(st.mean), "report: no predicted run-queue latency");
	runs[4].measured = false; /* an interrupted last round */
	bench_policy_stat(&b, 0, BENCH_F_MEAN_WAIT, BENCH_MEASURED, &st);
	ok(st.n == 2 && fabs(st.mean - 0.625) < 1e-9,
	   "report: a run that did not finish is left out (%zu runs, %.4f)", st.n, st.mean);
	runs[4].measured = true;

	f = open_memstream(&table, &table_len);
	bench_print_table(&b, f);
	fclose(f);
	snprintf(line, sizeof(line), "mean wait");
	if (!ok(strstr(table, "SD") && strstr(table, "RUNS") && strstr(table, "0.750") &&
			strstr(table, "0.250") && strstr(table, "-33.3") &&
			strstr(table, "CALIBRATED") && strstr(table, "A PRIORI") &&
			strstr(table, "pair(s) started in the other order"),
		"report: the table has mean, SD, runs and the difference"))
		diag("%s", table);
	free(table);

	if (!mkdtemp(dir))
		bail_out("mkdtemp");
	snprintf(b.out_dir, sizeof(b.out_dir), "%s", dir);
	is_int(bench_write_results(&b, "test"), 0, "report: written");
	slurp(dir, "compare.dat", text, sizeof(text));
	ok(strstr(text, "\nfcfs 0.500000 0.750000 0.750000 0.250000 ") != NULL,
	   "report: compare.dat has fcfs's mean wait a priori, calibrated, mean and SD");
	res = json_loads(slurp(dir, "results.json", text, sizeof(text)), 0, NULL);
	ok(res && json_integer_value(json_object_get(res, "repeats")) == 3,
	   "report: results.json says 3 repeats");
	ok(res && fabs(json_real_value(json_object_get(
			       json_object_get(
				       json_object_get(
					       json_array_get(json_object_get(res, "policies"), 0),
					       "measured"),
				       "mean_wait"),
			       "sd")) -
		       0.25) < 1e-9,
	   "report: results.json has fcfs's mean wait SD");
	json_decref(res);
	slurp(dir, "results.csv", text, sizeof(text));
	ok(strncmp(text, "policy,job,metric,predicted,measured,difference,repeat\n", 55) == 0 &&
		   strstr(text, "fcfs,,mean_wait,0.5,1,0.5,2\n"),
	   "report: results.csv rows carry their repeat");
	slurp(dir, "wait-cdf.dat", text, sizeof(text));
	ok(strstr(text, "# fcfs measured (3 complete repeats)") &&
		   strstr(text, "1.500000 1.000000 0.500000"),
	   "report: the measured wait CDF is the mean and SD of each rank");
	slurp(dir, "utilization.gp", text, sizeof(text));
	ok(strstr(text, "yerrorlines") != NULL, "report: utilization has error bars");
	slurp(dir, "utilization.dat", text, sizeof(text));
	ok(strstr(text, "\n1 60.0000 10.0000\n") != NULL,
	   "report: utilization binned by second, mean and SD over the repeats");
	slurp(dir, "compare.gp", text, sizeof(text));
	ok(strstr(text, "histogram errorbars") != NULL, "report: the comparison has error bars");
	if (access("/usr/bin/gnuplot", X_OK) == 0) {
		snprintf(line, sizeof(line), "%s/compare.png", dir);
		ok(access(line, F_OK) == 0, "report: gnuplot drew the comparison");
		ok(slurp(dir, "gnuplot.log", text, sizeof(text))[0] == '\0',
		   "report: and said nothing: %s", text);
	} else {
		skip(2, "gnuplot is not installed");
	}

	/* The live run took job 2 first: a decision the calibrated fcfs did not take. */
	bj[0][1].m_start = 0;
	bj[0][1].m_end = 1;
	bj[0][0].m_start = 1;
	bj[0][0].m_end = 2;
	is_int(bench_run_calibrate(&b, &runs[0]), 0, "gap: calibrated again");
	{
		struct bench_gap g;

		bench_run_gap(&b, &runs[0], &g);
		ok(g.swapped == 1 && g.other_vs == 0,
		   "gap: one pair started in the other order, none on another VS (%zu, %zu)",
		   g.swapped, g.other_vs);
		ok(g.n_top == 2 && fabs(fabs(g.top[0]->m_start - g.top[0]->c_start) - 1) < 1e-6,
		   "gap: the largest start differences are the two swapped jobs, 1 s each");
	}
	snprintf(line, sizeof(line), "rm -rf %s", dir);
	if (system(line))
		diag("could not remove %s", dir);
}

/*
 * A measured run for the calibration tests: @n one-CPU jobs of 1 s, all
 * arriving at 0, on one VS "a" of CPUs @cpus, under @sched; each ran to
 * its end.  The caller fills in what was measured.
 */
struct cal_case {
	struct cpool_job jobs[4];
	struct cpool_vserver vs;
	struct bench_job bj[4];
	struct bench_run r;
	struct bench b;
};

static void cal_case_init(struct cal_case *c, size_t n, const char *cpus, enum cpool_sched sched)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->vs.name, sizeof(c->vs.name), "a");
	cpool_cpuset_parse(&c->vs.cpus, cpus, NULL);
	c->r = (struct bench_run){ .jobs = c->bj, .n_jobs = n, .measured = true };
	cpool_policy_init(&c->r.policy);
	c->r.policy.sched = sched;
	c->b = (struct bench){ .vs = &c->vs,
			       .n_vs = 1,
			       .total_cpus = cpool_cpuset_count(&c->vs.cpus),
			       .jobs = c->jobs,
			       .n_jobs = n,
			       .runs = &c->r,
			       .n_runs = 1 };
	for (size_t k = 0; k < n; k++) {
		snprintf(c->jobs[k].id, sizeof(c->jobs[k].id), "%zu", k + 1);
		c->jobs[k].runtime_us = c->jobs[k].estimate_us = 1000000;
		c->jobs[k].cpus = 1;
		c->jobs[k].index = k;
		c->bj[k] = (struct bench_job){ .job = &c->jobs[k],
					       .p_vs = -1,
					       .c_vs = -1,
					       .m_ok = true,
					       .m_ended = true,
					       .m_launch = -1,
					       .m_preemptions = -1,
					       .m_rq_mean_us = -1 };
		snprintf(c->bj[k].m_vs, sizeof(c->bj[k].m_vs), "a");
	}
}

/* Three gaps after an end, 0.1, 0.1 and 3 s: the delay is their median, not the policy's 3 s wait. */
static void dispatch_median(void)
{
	static const double start[] = { 0, 1.1, 2.2, 6.2 };
	struct cal_case c;

	cal_case_init(&c, 4, "0", CPOOL_SCHED_FCFS);
	for (int k = 0; k < 4; k++) {
		c.bj[k].m_start = start[k];
		c.bj[k].m_end = start[k] + 1;
	}
	is_int(bench_run_calibrate(&c.b, &c.r), 0, "dispatch delay: calibrated");
	ok(c.r.cal_dispatch_n == 3 && fabs(c.r.cal_dispatch_s - 0.1) < 1e-9,
	   "dispatch delay: the median 0.1 s of 3 gaps (%.3f s, %zu)", c.r.cal_dispatch_s,
	   c.r.cal_dispatch_n);
	/* The daemon measured its own: 2 starts 0.1 s after an end, 0.06 s in all. */
	c.r.sw = (struct bench_switches){ .have = true,
					  .end_handovers = 2,
					  .end_handover_wait = 0.06 };
	is_int(bench_run_calibrate(&c.b, &c.r), 0, "dispatch delay: calibrated again");
	ok(c.r.cal_dispatch_n == 2 && fabs(c.r.cal_dispatch_s - 0.03) < 1e-9,
	   "dispatch delay: the daemon's mean 0.03 s over its 2, not the records' (%.3f s, %zu)",
	   c.r.cal_dispatch_s, c.r.cal_dispatch_n);
}

/*
 * The replay submitted job 2 0.7 s late, after job 1 had ended: the
 * calibration starts it at its measured arrival, as the daemon did, and
 * its calibrated wait counts from there (0), as the measured one does.
 */
static void late_arrival(void)
{
	struct cpool_job_metrics m;
	struct cal_case c;

	cal_case_init(&c, 2, "0", CPOOL_SCHED_FCFS);
	c.jobs[1].submit_us = 500000;
	c.bj[0].m_submit = c.bj[0].m_start = 0.001;
	c.bj[0].m_end = 1.001;
	c.bj[1].m_submit = c.bj[1].m_start = 1.2;
	c.bj[1].m_end = 2.2;
	is_int(bench_run_calibrate(&c.b, &c.r), 0, "late arrival: calibrated");
	ok(fabs(c.bj[1].c_start - 1.2) < 1e-6 && fabs(c.bj[1].c_end - 2.2) < 1e-6,
	   "late arrival: job 2 starts at its measured arrival 1.2 s and ends at 2.2 s (%.3f..%.3f)",
	   c.bj[1].c_start, c.bj[1].c_end);
	m.response = NAN;
	bench_job_metrics(&c.bj[1], BENCH_CALIBRATED, &m);
	ok(fabs(m.response) < 1e-6,
	   "late arrival: its calibrated response counts from that arrival (%.3f s)", m.response);
}

/*
 * fcfs on one CPU: two jobs of 2 s of occupancy each, back to back, of
 * which the first 0.5 s was the daemon's launch (the run time counts from
 * the exec).  Both hold the CPU for all of it in the simulation (makespan
 * 4 s), but the CPU works only from each exec: the calibrated RUL is
 * 3 / 4, not 1.  Without a recorded run time the occupancy counts whole.
 */
static void launch_idle(void)
{
	struct cal_case c;

	cal_case_init(&c, 2, "0", CPOOL_SCHED_FCFS);
	for (int k = 0; k < 2; k++) {
		c.bj[k].m_start = 2.0 * k;
		c.bj[k].m_end = 2.0 * k + 2;
		c.bj[k].m_cpu_time = 1.5;
		c.bj[k].m_run_time = 1.5;
	}
	is_int(bench_run_calibrate(&c.b, &c.r), 0, "launch idle: calibrated");
	ok(fabs(c.r.cal.makespan - 4) < 1e-3 && fabs(c.r.cal.rul - 0.75) < 1e-6,
	   "launch idle: the jobs hold the CPU 4 s, busy from their exec: RUL 0.75 (%.4f s, %.4f)",
	   c.r.cal.makespan, c.r.cal.rul);
	for (int k = 0; k < 2; k++)
		c.bj[k].m_run_time = -1;
	is_int(bench_run_calibrate(&c.b, &c.r), 0, "launch idle: calibrated without run times");
	ok(fabs(c.r.cal.rul - 1) < 1e-6, "launch idle: no run time, the occupancy is busy (%.4f)",
	   c.r.cal.rul);
}

/*
 * rr: job 1 was seen frozen, so its 4 s of occupancy count only its 1.5 s
 * of CPU time; job 2, never seen frozen, all of its own 2 s.
 */
static void frozen_share(void)
{
	struct cal_case c;

	cal_case_init(&c, 2, "0-1", CPOOL_SCHED_RR);
	for (int k = 0; k < 2; k++) {
		c.bj[k].m_submit = c.bj[k].m_start = 0.001;
		c.bj[k].m_end = k ? 2.001 : 4.001;
		c.bj[k].m_cpu_time = k ? 1.9 : 1.5;
		c.bj[k].m_seen_running = k ? 8 : 6;
		c.bj[k].m_seen_frozen = k ? 0 : 1;
	}
	is_int(bench_run_calibrate(&c.b, &c.r), 0, "frozen share: calibrated");
	ok(fabs(c.bj[0].c_end - 1.501) < 1e-5 && fabs(c.bj[1].c_end - 2.001) < 1e-5,
	   "frozen share: job 1 runs its 1.5 CPU-s, job 2 its 2 s of occupancy (ends %.4f, %.4f)",
	   c.bj[0].c_end, c.bj[1].c_end);
}

/*
 * rr: the daemon's run time and launch say who was frozen, not the `ps`
 * samples.  Both launched in 0.2 s.  Job 1 ran 2 s after its exec in
 * its 4 s occupancy (its record's run time) but no poll caught it frozen:
 * it runs its 1.5 CPU-s.  Job 2's launch and run time make up its 2 s
 * occupancy, as for any job never preempted (run time counts from the
 * exec), though a poll caught it "frozen" (a state read just before its
 * start): all of its 2 s.  A daemon that reports no run time falls back
 * to the samples.
 */
static void frozen_by_run_time(void)
{
	struct cal_case c;

	cal_case_init(&c, 2, "0-1", CPOOL_SCHED_RR);
	for (int k = 0; k < 2; k++) {
		c.bj[k].m_submit = c.bj[k].m_start = 0.001;
		c.bj[k].m_end = k ? 2.001 : 4.001;
		c.bj[k].m_launch = 0.2;
		c.bj[k].m_run_time = k ? 1.8 : 2;
		c.bj[k].m_cpu_time = k ? 1.9 : 1.5;
		c.bj[k].m_seen_running = 8;
		c.bj[k].m_seen_frozen = k ? 1 : 0;
	}
	is_int(bench_run_calibrate(&c.b, &c.r), 0, "frozen by run time: calibrated");
	ok(fabs(c.bj[0].c_end - 1.501) < 1e-5 && fabs(c.bj[1].c_end - 2.001) < 1e-5,
	   "frozen by run time: job 1 runs its 1.5 CPU-s, job 2 its 2 s of occupancy (ends %.4f, "
	   "%.4f)",
	   c.bj[0].c_end, c.bj[1].c_end);
	for (int k = 0; k < 2; k++)
		c.bj[k].m_run_time = -1;
	is_int(bench_run_calibrate(&c.b, &c.r), 0, "frozen by run time: calibrated without it");
	ok(fabs(c.bj[0].c_end - 4.001) < 1e-5 && fabs(c.bj[1].c_end - 1.901) < 1e-5,
	   "frozen by run time: without it the samples decide (ends %.4f, %.4f)", c.bj[0].c_end,
	   c.bj[1].c_end);
}

/*
 * rr with the daemon's switch counters: 10 preemptions, each 5 ms late,
 * freezes of 30 ms of which the job ran 10, handovers of 10 ms, thaws of
 * 20 ms of which it ran 10.  A turn lasts the quantum + 45 ms, of which
 * 40 ms are lost: two 1 s jobs on one CPU then take 10 turns of 105 ms of
 * work each, alternating, and the second ends at 18 x 145 + 2 x 95 ms.
 */
static void switches(void)
{
	struct cal_case c;

	cal_case_init(&c, 2, "0", CPOOL_SCHED_RR);
	c.r.policy.quantum_us = 100000;
	for (int k = 0; k < 2; k++) {
		c.bj[k].m_submit = c.bj[k].m_start = 0.001;
		c.bj[k].m_end = 3;
		c.bj[k].m_cpu_time = 1;
		c.bj[k].m_seen_frozen = 5;
	}
	c.r.sw = (struct bench_switches){ .have = true,
					  .preemptions = 10,
					  .late = 0.05,
					  .freezes = 10,
					  .freeze_wait = 0.3,
					  .freeze_ran = 0.1,
					  .handovers = 10,
					  .handover_wait = 0.1,
					  .thaws = 8,
					  .thaw_wait = 0.16,
					  .thaw_ran = 0.08 };
	is_int(bench_run_calibrate(&c.b, &c.r), 0, "switches: calibrated");
	ok(fabs(c.r.cal_turn_delay_s - 0.045) < 1e-9 && fabs(c.r.cal_switch_cost_s - 0.04) < 1e-9,
	   "switches: a turn is 45 ms longer than the quantum, 40 ms of it lost (%.4f, %.4f)",
	   c.r.cal_turn_delay_s, c.r.cal_switch_cost_s);
	ok(fabs(c.r.cal.makespan - 2.8) < 1e-3,
	   "switches: the simulator charges them: calibrated makespan 2.8 s (%.4f)",
	   c.r.cal.makespan);
	ok(c.bj[0].c_preemptions == 9 && c.bj[1].c_preemptions == 9,
	   "switches: each job preempted 9 times in the simulation, its 10th turn its end (%u, %u)",
	   c.bj[0].c_preemptions, c.bj[1].c_preemptions);
	{
		/* The daemon froze job 2 three times less: the gap names it, and only it. */
		struct bench_gap g;
		char *text = NULL;
		size_t len = 0;
		FILE *f;

		c.bj[0].m_preemptions = 9;
		c.bj[1].m_preemptions = 6;
		bench_run_gap(&c.b, &c.r, &g);
		ok(g.m_preemptions == 15 && g.c_preemptions == 18 && g.n_turns_top == 1 &&
			   g.turns_top[0] == &c.bj[1],
		   "gap: preemptions 15 live, 18 calibrated, job 2 the one that differs (%lld, %lld, "
		   "%zu)",
		   g.m_preemptions, g.c_preemptions, g.n_turns_top);
		f = open_memstream(&text, &len);
		bench_print_table(&c.b, f);
		fclose(f);
		if (!ok(strstr(text, "preemptions 15, calibrated 18; job 2 6 to 9\n") != NULL,
			"gap: the report says so under the table"))
			diag("%s", text);
		free(text);
		c.bj[1].m_preemptions = -1;
		bench_run_gap(&c.b, &c.r, &g);
		ok(g.m_preemptions == 9 && g.c_preemptions == 9 && g.n_turns_top == 0,
		   "gap: a job without the daemon's count is left out of both sums");
	}
	c.r.sw.have = false;
	is_int(bench_run_calibrate(&c.b, &c.r), 0, "switches: calibrated without the counters");
	ok(c.r.cal_switch_cost_s == 0 && fabs(c.r.cal.makespan - 2.0) < 1e-3,
	   "switches: a daemon that does not report them costs nothing (%.4f s)", c.r.cal.makespan);
}

/*
 * The same with the daemon's turns (switchcost.c): 8 resume turns idle 20
 * ms each, 2 launch turns idle 200 ms each (the exec included).  A turn
 * is the quantum, 5 ms late, a 30 ms freeze (10 ms of it run) and a 10 ms
 * handover: 145 ms.  The simulator holds a preempted job's CPUs for the
 * late round and the freeze, 35 ms, in which it works 15; the next job's
 * quantum is 110 ms from the release, the handover in it, and its switch
 * cost is a resume's idle less the freeze's (now in the hold) plus the
 * handover, 10 ms: 115 ms of work a 145 ms turn.  A job's first turn
 * idles 180 ms more, counted once, in its work: 1.18 s each.  A launch
 * takes 150 ms to the exec, so a job's first quantum ends at the second
 * boundary, 100 ms later than a resumed one's: a first turn of 245 ms,
 * 215 ms of work.  Then 8 turns each, alternating, and 45 ms of work after
 * a switch, the last turn of each with no freeze at its end: the second
 * ends at 2 x 245 + 16 x 145 + 2 x 55 ms.  With the launch also charged
 * as the old launch-to-exec it would be longer, as it would with the
 * thaw's window as the switch cost.  (Before the freeze was modelled the
 * freeze's idle was charged at every start, the last turns' too: 2.96 s.)
 */
static void turns_case(struct cal_case *c)
{
	cal_case_init(c, 2, "0", CPOOL_SCHED_RR);
	c->r.policy.quantum_us = 100000;
	for (int k = 0; k < 2; k++) {
		c->bj[k].m_submit = c->bj[k].m_start = 0.001;
		c->bj[k].m_end = 3;
		c->bj[k].m_cpu_time = 1;
		c->bj[k].m_seen_frozen = 5;
	}
	c->r.sw = (struct bench_switches){ .have = true,
					   .launches = 2,
					   .launch_wait = 0.3,
					   .preemptions = 10,
					   .late = 0.05,
					   .freezes = 10,
					   .freeze_wait = 0.3,
					   .freeze_ran = 0.1,
					   .handovers = 10,
					   .handover_wait = 0.1,
					   .thaws = 8,
					   .thaw_wait = 0.4,
					   .thaw_ran = 0,
					   .launch_turns = 2,
					   .launch_turn = 0.8,
					   .launch_turn_idle = 0.4,
					   .resume_turns = 8,
					   .resume_turn = 1.2,
					   .resume_turn_idle = 0.16 };
}

static void turns(void)
{
	struct cal_case c;

	turns_case(&c);
	is_int(bench_run_calibrate(&c.b, &c.r), 0, "turns: calibrated");
	ok(fabs(c.r.cal_turn_delay_s - 0.045) < 1e-9 && fabs(c.r.cal_switch_cost_s - 0.01) < 1e-9,
	   "turns: the switch cost is a resume turn's idle less the freeze's, and the handover "
	   "(%.4f, %.4f)",
	   c.r.cal_turn_delay_s, c.r.cal_switch_cost_s);
	ok(fabs(c.r.cal_freeze_s - 0.035) < 1e-9 && fabs(c.r.cal_freeze_ran_s - 0.015) < 1e-9,
	   "turns: a preempted job holds its CPUs for the late round and the freeze, working "
	   "through the lateness and what it ran in the freeze (%.4f, %.4f)",
	   c.r.cal_freeze_s, c.r.cal_freeze_ran_s);
	ok(fabs(c.r.cal_launch_extra_s - 0.18) < 1e-9 && fabs(c.bj[0].c_held - 1.18) < 1e-6,
	   "turns: a launch turn's extra idle is in each job's work, once (%.4f, %.4f)",
	   c.r.cal_launch_extra_s, c.bj[0].c_held);
	ok(fabs(c.r.cal_launch_slice_s - 0.1) < 1e-9,
	   "turns: a 150 ms launch starts the first slice one 100 ms quantum later (%.4f)",
	   c.r.cal_launch_slice_s);
	ok(fabs(c.r.cal.makespan - 2.92) < 1e-3, "turns: calibrated makespan 2.92 s (%.4f)",
	   c.r.cal.makespan);
}

/*
 * turns() with each job's own resumed turns, 135 ms each as the run's
 * (its hold after a preemption is 35 ms): job 1's idled nothing, job 2's
 * 40 ms each, about the run's mean of 20.  A simulated turn idles the
 * job's switch cost and the hold's share (the run's: 20 ms of 35), and
 * the daemon's turns idled their own and a 10 ms handover: 10 and 50 ms.
 * Job 2's switch cost is 30 ms, its hold idles 20 as the run's; job 1's
 * switch cost is 0 and it works 25 ms of each hold, idling 10.  Job 1's
 * turns 10 ms shorter hold it 25 ms, 15 worked.  A job the daemon reports
 * no turns of keeps the run's.  The first turn's extra idle is over the
 * job's own resume: 200 and 160 ms.
 */
static void switch_each(void)
{
	struct cal_case c;

	turns_case(&c);
	c.bj[0].m_resume_turns = 4;
	c.bj[0].m_resume_turn = 0.54;
	c.bj[0].m_resume_turn_idle = 0;
	c.bj[0].m_launch_idle = 0.2;
	c.bj[1].m_resume_turns = 4;
	c.bj[1].m_resume_turn = 0.54;
	c.bj[1].m_resume_turn_idle = 0.16;
	c.bj[1].m_launch_idle = 0.2;
	is_int(bench_run_calibrate(&c.b, &c.r), 0, "switch each: calibrated");
	ok(fabs(c.r.cal_switch_cost_s - 0.01) < 1e-9 && c.bj[0].c_switch_cost == 0 &&
		   fabs(c.bj[1].c_switch_cost - 0.03) < 1e-9,
	   "switch each: the run's 10 ms, job 1's 0 and job 2's 30 ms (%.4f, %.4f, %.4f)",
	   c.r.cal_switch_cost_s, c.bj[0].c_switch_cost, c.bj[1].c_switch_cost);
	ok(fabs(c.bj[0].c_freeze - 0.035) < 1e-9 && fabs(c.bj[1].c_freeze - 0.035) < 1e-9 &&
		   fabs(c.bj[0].c_freeze_ran - 0.025) < 1e-9 &&
		   fabs(c.bj[1].c_freeze_ran - 0.015) < 1e-9,
	   "switch each: 35 ms holds; job 1 works 25 ms of one, job 2 the run's 15 (%.4f, %.4f)",
	   c.bj[0].c_freeze_ran, c.bj[1].c_freeze_ran);
	ok(fabs(c.bj[0].c_held - 1.2) < 1e-6 && fabs(c.bj[1].c_held - 1.16) < 1e-6,
	   "switch each: a first turn's extra idle is over the job's own resumes (%.4f, %.4f)",
	   c.bj[0].c_held, c.bj[1].c_held);
	c.bj[0].m_resume_turn = 0.5;
	c.bj[1].m_resume_turns = 0;
	is_int(bench_run_calibrate(&c.b, &c.r), 0, "switch each: calibrated again");
	ok(fabs(c.bj[0].c_freeze - 0.025) < 1e-9 && fabs(c.bj[0].c_freeze_ran - 0.015) < 1e-9 &&
		   c.bj[0].c_switch_cost == 0,
	   "switch each: job 1's shorter turns hold it 25 ms, 15 worked (%.4f, %.4f, %.4f)",
	   c.bj[0].c_freeze, c.bj[0].c_freeze_ran, c.bj[0].c_switch_cost);
	ok(fabs(c.bj[1].c_switch_cost - 0.01) < 1e-9 && fabs(c.bj[1].c_freeze - 0.035) < 1e-9 &&
		   fabs(c.bj[1].c_freeze_ran - 0.015) < 1e-9,
	   "switch each: a job without its turns keeps the run's (%.4f, %.4f)",
	   c.bj[1].c_switch_cost, c.bj[1].c_freeze_ran);
}

/*
 * turns() with each job's own launch (history's `launch`): 50 and 250 ms
 * about the mean of 150.  Job 1's work is 100 ms less than with the mean,
 * job 2's 100 ms more, and job 2's first slice starts two quanta late,
 * job 1's at once.  Without them both get the mean, as in turns().
 */
static void launch_each(void)
{
	struct cal_case c;
	double before;

	turns_case(&c);
	c.bj[0].m_launch = 0.05;
	c.bj[1].m_launch = 0.25;
	is_int(bench_run_calibrate(&c.b, &c.r), 0, "launch each: calibrated");
	ok(fabs(c.bj[0].c_held - 1.08) < 1e-6 && fabs(c.bj[1].c_held - 1.28) < 1e-6,
	   "launch each: a job's work has its own launch, not the mean (%.4f, %.4f)",
	   c.bj[0].c_held, c.bj[1].c_held);
	ok(c.bj[1].c_start > c.bj[0].c_start && c.bj[1].c_start - c.bj[0].c_start > 0.1,
	   "launch each: job 1, launched in 50 ms, is preempted after its first quantum "
	   "(job 2 starts at %.4f)",
	   c.bj[1].c_start);
	/*
	 * Its first turn's own idle, where the daemon reports it, rather
	 * than the launch: 100 and 350 ms, less a resume turn's 20.
	 */
	c.bj[0].m_launch_idle = 0.1;
	c.bj[1].m_launch_idle = 0.35;
	is_int(bench_run_calibrate(&c.b, &c.r), 0, "launch each: calibrated with the idles");
	ok(fabs(c.bj[0].c_held - 1.08) < 1e-6 && fabs(c.bj[1].c_held - 1.33) < 1e-6,
	   "launch each: a job's work has its first turn's idle less a resume's (%.4f, %.4f)",
	   c.bj[0].c_held, c.bj[1].c_held);
	/*
	 * The daemon read job 1's start report 0.2 s after its exec: not the
	 * policy's until then, its first slice runs to the boundary after it,
	 * two quanta later, and job 2 starts that much later.
	 */
	before = c.bj[1].c_start;
	c.bj[0].m_start_report = 0.2;
	is_int(bench_run_calibrate(&c.b, &c.r), 0, "launch each: calibrated with a late report");
	is_double(c.bj[1].c_start - before, 0.2, 1e-6,
		  "launch each: job 1's first slice runs past its start report's read");
}

/*
 * fcfs on one CPU, four jobs of 1 s queued at 0: the daemon handed the
 * CPU on 50 ms, 1 s and 50 ms after each end (its mean 0.367 s).  Each
 * end keeps its CPU for its own delay, so the calibrated starts are the
 * measured ones; a start the daemon does not call a handover (a later
 * round: the policy's wait) leaves its end the mean.
 */
static void end_hold_each(void)
{
	static const double start[] = { 0, 1.05, 3.05, 4.1 }, handover[] = { 0, 0.05, 1.0, 0.05 };
	struct cal_case c;

	cal_case_init(&c, 4, "0", CPOOL_SCHED_FCFS);
	for (int k = 0; k < 4; k++) {
		c.bj[k].m_start = start[k];
		c.bj[k].m_end = start[k] + 1;
		c.bj[k].m_handover = handover[k];
	}
	c.r.sw = (struct bench_switches){ .have = true,
					  .end_handovers = 3,
					  .end_handover_wait = 1.1 };
	is_int(bench_run_calibrate(&c.b, &c.r), 0, "end hold: calibrated");
	ok(fabs(c.bj[1].c_start - 1.05) < 1e-6 && fabs(c.bj[2].c_start - 3.05) < 1e-6 &&
		   fabs(c.bj[3].c_start - 4.1) < 1e-6,
	   "end hold: each end keeps its CPU its own delay (starts %.4f, %.4f, %.4f)",
	   c.bj[1].c_start, c.bj[2].c_start, c.bj[3].c_start);
	ok(fabs(c.bj[2].c_end - 4.05) < 1e-6,
	   "end hold: a job's calibrated end is its own, not its hold's (%.4f)", c.bj[2].c_end);
	c.bj[2].m_handover = 0;
	is_int(bench_run_calibrate(&c.b, &c.r), 0, "end hold: calibrated, job 3 no handover");
	ok(fabs(c.bj[1].c_start - 1.05) < 1e-6 && fabs(c.bj[2].c_start - (2.05 + 1.1 / 3)) < 1e-6,
	   "end hold: job 2's end, followed by no handover, keeps the mean (job 3 starts %.4f)",
	   c.bj[2].c_start);
}

/*
 * The race of the demo's sjf repeat: job 1 (two CPUs) ends on `wide` at
 * 1.0 s; job 3 (one CPU, short) is submitted at 1.02 s, and the round that
 * first has it queued, at 1.04 s, is also the one that learnt of job 1's
 * end: sjf starts job 3 first, first-fit puts it on `wide`, and job 2
 * (two CPUs, queued since 0.5 s) waits for job 3's end.  Given the
 * submission time and the end's hold apart, the simulation put job 3 on
 * `narrow` at 1.02 s and job 2 on `wide`.
 */
static void same_round(void)
{
	static const double submit[] = { 0, 0.5, 1.02 }, first[] = { 0.001, 0.5, 1.04 },
			    start_round[] = { 0.001, 1.27, 1.04 },
			    start[] = { 0.0012, 1.2701, 1.0401 }, end[] = { 1.0, 2.27, 1.25 },
			    handover[] = { 0, 0.0201, 0.0401 };
	static const int cpus[] = { 2, 2, 1 };
	static const double runtime[] = { 1, 1, 0.2 }, estimate[] = { 1, 5, 0.2 };
	struct cpool_vserver vs[2] = { 0 };
	struct cpool_job jobs[3] = { 0 };
	struct bench_job bj[3];
	struct bench_run r = { .jobs = bj, .n_jobs = 3, .measured = true };
	struct bench b = { .vs = vs,
			   .n_vs = 2,
			   .total_cpus = 3,
			   .jobs = jobs,
			   .n_jobs = 3,
			   .runs = &r,
			   .n_runs = 1 };

	snprintf(vs[0].name, sizeof(vs[0].name), "wide");
	cpool_cpuset_parse(&vs[0].cpus, "0-1", NULL);
	snprintf(vs[1].name, sizeof(vs[1].name), "narrow");
	cpool_cpuset_parse(&vs[1].cpus, "2", NULL);
	cpool_policy_init(&r.policy);
	r.policy.sched = CPOOL_SCHED_SJF;
	r.sw = (struct bench_switches){ .have = true,
					.end_handovers = 2,
					.end_handover_wait = 0.0602 };
	for (int k = 0; k < 3; k++) {
		snprintf(jobs[k].id, sizeof(jobs[k].id), "%d", k + 1);
		jobs[k].submit_us = llround(submit[k] * 1e6);
		jobs[k].runtime_us = llround(runtime[k] * 1e6);
		jobs[k].estimate_us = llround(estimate[k] * 1e6);
		jobs[k].cpus = cpus[k];
		jobs[k].index = (size_t)k;
		bj[k] = (struct bench_job){ .job = &jobs[k],
					    .p_vs = -1,
					    .c_vs = -1,
					    .m_ok = true,
					    .m_ended = true,
					    .m_launch = -1,
					    .m_rq_mean_us = -1,
					    .m_submit = submit[k],
					    .m_start = start[k],
					    .m_end = end[k],
					    .m_handover = handover[k],
					    .m_first_round = first[k],
					    .m_start_round = start_round[k] };
		snprintf(bj[k].m_vs, sizeof(bj[k].m_vs), "wide");
	}
	is_int(bench_run_calibrate(&b, &r), 0, "same round: calibrated");
	ok(bj[2].c_vs == 0 && fabs(bj[2].c_start - 1.04) < 1e-6,
	   "same round: job 3 starts on wide at 1.04 s, with job 1's end (vs %d, %.4f)", bj[2].c_vs,
	   bj[2].c_start);
	ok(fabs(bj[1].c_start - 1.27) < 1e-6,
	   "same round: job 2 waits for job 3's end and its round, 1.27 s (%.4f)", bj[1].c_start);
	for (int k = 0; k < 3; k++)
		bj[k].m_first_round = bj[k].m_start_round = -1;
	is_int(bench_run_calibrate(&b, &r), 0, "same round: calibrated without the rounds");
	ok(bj[2].c_vs == 1,
	   "same round: without them job 3 goes to narrow at its submission (vs %d)", bj[2].c_vs);
}

/* The daemon's switch counters from `stats` (and results.json): every field, by name. */
static void switches_json(void)
{
	struct bench_switches sw;
	json_t *x = json_pack("{s:i, s:f, s:f}", "preemptions", 3, "resume_turn_idle", 0.5,
			      "end_handover_wait", 0.25);

	bench_switches_from_json(&sw, x);
	ok(sw.have && sw.preemptions == 3 && sw.resume_turn_idle == 0.5 &&
		   sw.end_handover_wait == 0.25 && sw.freezes == 0,
	   "switches: read by name, the missing ones 0");
	json_decref(x);
	bench_switches_from_json(&sw, NULL);
	ok(!sw.have && sw.preemptions == 0, "switches: none from a daemon without them");
}

int main(void)
{
	const char *build = getenv("CPOOL_BUILD");

	report_repeats();
	dispatch_median();
	late_arrival();
	launch_idle();
	frozen_share();
	frozen_by_run_time();
	switches();
	turns();
	switch_each();
	launch_each();
	end_hold_each();
	same_round();
	switches_json();

	snprintf(cpool, sizeof(cpool), "%s/cpool", build ? build : "build");
	if (access(cpool, X_OK)) {
		skip(1, "build/cpool is not built (make builds it; CPOOL_BUILD points at it)");
		done_testing();
		return exit_status();
	}
	gen();
	burn();
	bench_input();
	done_testing();
	return exit_status();
}
