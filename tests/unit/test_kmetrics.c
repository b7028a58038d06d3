// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* Kernel-metrics math on hand-computed snapshots. */
#include <errno.h>
#include <math.h>

#include "../tap.h"
#include "cpool/kmetrics.h"

#define SLOTS CPOOL_KMETRICS_HIST_SLOTS

static struct cpool_kmetrics_cpu cpus_prev[] = {
	{ .cpu = 1, .busy_ns = 50, .idle_ns = 50, .switches = 5 },
	{ .cpu = 0, .busy_ns = 100, .idle_ns = 900, .switches = 10 },
};
static struct cpool_kmetrics_cpu cpus_cur[] = {
	{ .cpu = 2, .busy_ns = 10, .idle_ns = 0, .switches = 1 }, /* came online */
	{ .cpu = 0, .busy_ns = 400, .idle_ns = 1600, .switches = 30 },
	{ .cpu = 1, .busy_ns = 550, .idle_ns = 550, .switches = 25 },
};

static void snap_init(struct cpool_kmetrics_snapshot *s, uint64_t t,
		      struct cpool_kmetrics_cpu *cpus, size_t ncpus,
		      struct cpool_kmetrics_cgroup *cgs, size_t ncgs,
		      struct cpool_kmetrics_preempt *pre, size_t npre)
{
	*s = (struct cpool_kmetrics_snapshot){ .time_ns = t };
	s->cpus = cpus;
	s->ncpus = ncpus;
	s->cgroups = cgs;
	s->ncgroups = ncgs;
	s->preempts = pre;
	s->npreempts = npre;
	cpool_kmetrics_snapshot_sort(s);
}

static void test_cpus(void)
{
	struct cpool_kmetrics_snapshot prev, cur, d;
	struct cpool_kmetrics_cpu_sum sum;
	struct cpool_cpuset set;

	snap_init(&prev, 1000000000, cpus_prev, 2, NULL, 0, NULL, 0);
	snap_init(&cur, 1500000000, cpus_cur, 3, NULL, 0, NULL, 0);
	prev.failed_updates = 2;
	cur.failed_updates = 5;
	prev.unmatched_switches = 1;
	cur.unmatched_switches = 4;
	prev.arrival_misses = 10;
	cur.arrival_misses = 25;
	prev.lost_baselines = 0;
	cur.lost_baselines = 2;
	is_int(prev.cpus[0].cpu, 0, "sort puts cpu 0 first");
	is_int(cpool_kmetrics_diff(&prev, &cur, &d), 0, "diff succeeds");
	is_int((int64_t)d.time_ns, 500000000, "window is the time between snapshots");
	is_int((int64_t)d.failed_updates, 3, "failed updates in the window");
	is_int((int64_t)d.unmatched_switches, 3, "unmatched switches in the window");
	is_int((int64_t)d.arrival_misses, 15, "arrival misses in the window");
	is_int((int64_t)d.lost_baselines, 2, "lost baselines in the window");
	is_int((int64_t)d.ncpus, 3, "every CPU of the newer snapshot");
	is_int((int64_t)d.cpus[0].busy_ns, 300, "cpu0 busy delta");
	is_int((int64_t)d.cpus[0].idle_ns, 700, "cpu0 idle delta");
	is_int((int64_t)d.cpus[0].switches, 20, "cpu0 switches delta");
	is_int((int64_t)d.cpus[1].busy_ns, 500, "cpu1 busy delta");
	is_int((int64_t)d.cpus[2].busy_ns, 10, "a CPU new in the window counts from zero");

	cpool_cpuset_zero(&set);
	cpool_cpuset_set(&set, 0);
	is_double(cpool_kmetrics_rul(&d, &set), 0.3, 1e-12, "RUL of cpu0 = 300 / 1000");
	cpool_cpuset_set(&set, 1);
	is_double(cpool_kmetrics_rul(&d, &set), 0.4, 1e-12,
		  "RUL of {0,1} = 800 / 2000, not a mean of ratios");
	is_double(cpool_kmetrics_rul(&d, NULL), 810.0 / 2010.0, 1e-12, "RUL of all CPUs");
	cpool_cpuset_zero(&set);
	cpool_cpuset_set(&set, 7);
	ok(isnan(cpool_kmetrics_rul(&d, &set)), "RUL of CPUs without data is NaN");
	cpool_kmetrics_cpu_sum(&d, NULL, &sum);
	is_int(sum.ncpus, 3, "sum counts CPUs");
	is_int((int64_t)sum.switches, 41, "sum of switches");
	is_double(cpool_kmetrics_rate(sum.switches, d.time_ns), 82.0, 1e-9,
		  "41 switches in 0.5 s = 82/s");
	ok(isnan(cpool_kmetrics_rate(5, 0)), "rate over an empty window is NaN");
	cpool_kmetrics_snapshot_free(&d);
	is_int((int64_t)d.ncpus, 0, "free empties the snapshot");
}

static void test_cgroups(void)
{
	struct cpool_kmetrics_cgroup prev_cg[3] = { 0 }, cur_cg[3] = { 0 };
	struct cpool_kmetrics_preempt prev_pre[] = {
		{ .victim = 5, .preemptor = 9, .count = 2 },
		{ .victim = 5, .preemptor = 11, .count = 4 },
	};
	struct cpool_kmetrics_preempt cur_pre[] = {
		{ .victim = 6, .preemptor = 9, .count = 100 },
		{ .victim = 5, .preemptor = 13, .count = 1 },
		{ .victim = 5, .preemptor = 12, .count = 7 },
		{ .victim = 5, .preemptor = 11, .count = 11 },
		{ .victim = 5, .preemptor = 9, .count = 5 },
	};
	struct cpool_kmetrics_preempt top[3];
	struct cpool_kmetrics_snapshot prev, cur, d;
	const struct cpool_kmetrics_cgroup *cg;
	char path5[] = "/pool/vs1", path9[] = "/pool/vs2";

	prev_cg[0] = (struct cpool_kmetrics_cgroup){
		.id = 5, .run_ns = 1000, .scheduled = 10, .rqlat_count = 4, .rqlat_sum_ns = 400
	};
	prev_cg[0].rqlat_hist[6] = 4;
	prev_cg[0].stat = (struct cpool_kmetrics_cgstat){
		.have_cpu_stat = true, .usage_usec = 1, .have_psi = true, .psi_some_usec = 10
	};
	prev_cg[1] =
		(struct cpool_kmetrics_cgroup){ .id = 7, .rqlat_count = 10, .rqlat_sum_ns = 1000 };
	prev_cg[1].rqlat_hist[3] = 10;
	prev_cg[2] = (struct cpool_kmetrics_cgroup){ .id = 8, .run_ns = 5 }; /* gone by now */

	cur_cg[0] = (struct cpool_kmetrics_cgroup){ .id = 9, .run_ns = 70, .path = path9 };
	cur_cg[0].stat = (struct cpool_kmetrics_cgstat){ .have_cpu_stat = true,
							 .usage_usec = 123456789,
							 .have_psi = true,
							 .psi_some_usec = 99 };
	cur_cg[1] = (struct cpool_kmetrics_cgroup){ .id = 5,
						    .run_ns = 3000,
						    .scheduled = 15,
						    .preempted = 2,
						    .rqlat_count = 7,
						    .rqlat_sum_ns = 1000,
						    .path = path5 };
	cur_cg[1].rqlat_hist[6] = 5;
	cur_cg[1].rqlat_hist[8] = 2;
	cur_cg[1].stat = (struct cpool_kmetrics_cgstat){
		.have_cpu_stat = true, .usage_usec = 3, .have_psi = true, .psi_some_usec = 25
	};
	/* Entry of id 7 was recreated: its counters restarted below the old ones. */
	cur_cg[2] = (struct cpool_kmetrics_cgroup){ .id = 7, .rqlat_count = 3, .rqlat_sum_ns = 30 };
	cur_cg[2].rqlat_hist[2] = 3;

	snap_init(&prev, 0, NULL, 0, prev_cg, 3, prev_pre, 2);
	snap_init(&cur, 1000000000, NULL, 0, cur_cg, 3, cur_pre, 5);
	cur.degraded = true;
	snprintf(cur.reason, sizeof(cur.reason), "test");
	is_int(cpool_kmetrics_diff(&prev, &cur, &d), 0, "diff succeeds");
	ok(d.degraded, "degraded flag carried into the delta");
	is_str(d.reason, "test", "reason carried");
	is_int((int64_t)d.ncgroups, 3, "cgroups of the newer snapshot only");

	cg = cpool_kmetrics_find_cgroup(&d, 5);
	ok(cg != NULL, "cgroup 5 found");
	if (!cg)
		bail_out("no cgroup 5");
	is_str(cg->path, "/pool/vs1", "path copied");
	ok(cg->path != path5, "path is a copy");
	is_int((int64_t)cg->run_ns, 2000, "run time delta");
	is_int((int64_t)cg->scheduled, 5, "scheduled delta");
	is_int((int64_t)cg->preempted, 2, "preempted delta");
	is_int((int64_t)cg->rqlat_count, 3, "latency count delta");
	is_int((int64_t)cg->rqlat_sum_ns, 600, "latency sum delta");
	is_int((int64_t)cg->rqlat_hist[6], 1, "histogram bucket delta");
	is_int((int64_t)cg->rqlat_hist[8], 2, "histogram bucket new in window");
	is_double(cpool_kmetrics_mean(cg->rqlat_sum_ns, cg->rqlat_count), 200.0, 1e-12,
		  "mean = 600 / 3");
	is_int((int64_t)cg->stat.usage_usec, 2, "cpu.stat usage delta");
	is_int((int64_t)cg->stat.psi_some_usec, 15, "PSI some delta");
	ok(cg->stat.have_cpu_stat && cg->stat.have_psi, "cgroup file flags kept");

	cg = cpool_kmetrics_find_cgroup(&d, 7);
	ok(cg && cg->rqlat_count == 3 && cg->rqlat_sum_ns == 30 && cg->rqlat_hist[2] == 3 &&
		   cg->rqlat_hist[3] == 0,
	   "a reset entry counts from zero, histogram included");
	cg = cpool_kmetrics_find_cgroup(&d, 9);
	ok(cg && cg->run_ns == 70, "a cgroup new in the window counts from zero");
	ok(cg && !cg->stat.have_cpu_stat && !cg->stat.have_psi && cg->stat.usage_usec == 0,
	   "but its cpu.stat and cpu.pressure, which have no baseline, are left out");
	ok(cpool_kmetrics_find_cgroup(&d, 8) == NULL,
	   "a cgroup gone from the newer snapshot is dropped");

	is_int((int64_t)d.npreempts, 5, "every pair with preemptions in the window (6->9 is new)");
	is_int((int64_t)cpool_kmetrics_top_preemptors(&d, 5, top, 3), 3, "three preemptors of 5");
	is_int((int64_t)top[0].preemptor, 11, "top preemptor: 11 (7 new preemptions)");
	is_int((int64_t)top[0].count, 7, "its count is the delta");
	is_int((int64_t)top[1].preemptor, 12, "tie at 7 broken by id: 12 after 11");
	is_int((int64_t)top[2].preemptor, 9, "then 9 with 3");
	is_int((int64_t)cpool_kmetrics_top_preemptors(&d, 5, top, 1), 1, "max 1");
	is_int((int64_t)top[0].preemptor, 11, "max 1 keeps the largest");
	is_int((int64_t)cpool_kmetrics_top_preemptors(&d, 42, top, 3), 0,
	       "no preemptions of an unknown cgroup");
	cpool_kmetrics_snapshot_free(&d);

	/* Same snapshot twice: nothing happened. */
	is_int(cpool_kmetrics_diff(&cur, &cur, &d), 0, "diff with itself");
	is_int((int64_t)d.npreempts, 0, "no preemption pair has a delta");
	cg = cpool_kmetrics_find_cgroup(&d, 5);
	ok(cg && cg->run_ns == 0 && cg->rqlat_count == 0, "all counters zero");
	cpool_kmetrics_snapshot_free(&d);
}

static void test_quantiles(void)
{
	uint64_t h[SLOTS] = { 0 };
	int s1024 = (int)cpool_hist_slot(1024), bad = 0;
	double worst = 0;

	ok(isnan(cpool_kmetrics_hist_quantile(h, SLOTS, 0.5)), "empty histogram: NaN");
	ok(isnan(cpool_kmetrics_mean(0, 0)), "mean of nothing: NaN");
	is_int((int64_t)cpool_kmetrics_hist_lower(0), 0, "bucket 0 holds exactly 0");
	is_int((int64_t)cpool_kmetrics_hist_lower(1), 1, "bucket 1 holds exactly 1");
	is_int((int64_t)cpool_kmetrics_hist_lower(8), 8, "bucket 8 starts at 8");
	is_int((int64_t)cpool_kmetrics_hist_lower(9), 10, "bucket 9 starts at 10: width 2");
	is_int((int64_t)cpool_kmetrics_hist_lower(s1024), 1024, "1024 starts its bucket");
	is_int((int64_t)cpool_kmetrics_hist_lower(s1024 + 1), 1280,
	       "four sub-buckets per power of two");
	is_int((int64_t)cpool_kmetrics_hist_lower(SLOTS), (int64_t)UINT64_MAX,
	       "past the last bucket");
	is_int(cpool_hist_slot(UINT64_MAX), SLOTS - 1, "the last bucket takes everything longer");

	/* Every value lies in its bucket, and the bucket is at most 1/4 of its lower bound wide. */
	for (uint64_t v = 1; v < (1ULL << 36); v = v * 5 / 4 + 1) {
		int k = (int)cpool_hist_slot(v);
		uint64_t lo = cpool_kmetrics_hist_lower(k), hi = cpool_kmetrics_hist_lower(k + 1);
		double err = (double)(hi - lo - 1) / (double)lo;

		if (v < lo || v >= hi)
			bad++;
		if (k + 1 < SLOTS && err > worst)
			worst = err;
	}
	is_int(bad, 0, "each value within its bucket's bounds");
	ok(worst <= 0.25, "worst-case relative width %.3f <= 0.25", worst);

	h[s1024] = 100; /* [1024, 1280) */
	is_double(cpool_kmetrics_hist_quantile(h, SLOTS, 0.5), 1152.0, 1e-9, "p50 mid-bucket");
	is_double(cpool_kmetrics_hist_quantile(h, SLOTS, 0.9), 1024 + 0.9 * 256, 1e-9,
		  "p90 interpolated");
	is_double(cpool_kmetrics_hist_quantile(h, SLOTS, 1.0), 1280.0, 1e-9, "p100 = bucket end");
	ok(isnan(cpool_kmetrics_hist_quantile(h, SLOTS, 0)), "q = 0 refused");
	ok(isnan(cpool_kmetrics_hist_quantile(h, SLOTS, 1.5)), "q > 1 refused");

	h[s1024] = 0;
	h[cpool_hist_slot(12)] = 50; /* [12, 14) */
	h[cpool_hist_slot(1 << 20)] = 50; /* [1 Mi, 1.25 Mi) */
	is_double(cpool_kmetrics_hist_quantile(h, SLOTS, 0.5), 14.0, 1e-9,
		  "p50 at the end of the lower mode");
	is_double(cpool_kmetrics_hist_quantile(h, SLOTS, 0.9), 1048576.0 * (1 + 0.25 * 0.8), 1e-6,
		  "p90 in the upper mode");

	for (int i = 0; i < SLOTS; i++)
		h[i] = 0;
	/* An idle host: most waits end in the switch right after their wakeup, timed 0. */
	h[0] = 60;
	h[cpool_hist_slot(2000)] = 40;
	is_double(cpool_kmetrics_hist_quantile(h, SLOTS, 0.5), 0.0, 0,
		  "waits timed 0 give p50 = 0, not 1.2 ns");
	h[0] = 0;
	h[cpool_hist_slot(2000)] = 0;
	h[5] = 4;
	is_double(cpool_kmetrics_hist_quantile(h, SLOTS, 0.5), 5.0, 0,
		  "a bucket of width 1 is exact");
}

static void test_parsers(void)
{
	struct cpool_kmetrics_cgstat st = { 0 };
	struct cpool_kmetrics_cpu *cpus = NULL;
	const char *stat = "cpu  10 0 5 100 1 0 0 0 0 0\n"
			   "cpu0 4 1 2 50 1 1 1 2 3 0\n"
			   "cpu2 6 0 3 50 0 0 0 0 0 0\n"
			   "intr 12345 0 0\nctxt 999\n";

	is_int(cpool_kmetrics_parse_cpu_stat("usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n"
					     "nr_periods 10\nnr_throttled 3\nthrottled_usec 2500\n",
					     &st),
	       0, "cpu.stat parses");
	ok(st.have_cpu_stat && st.usage_usec == 1500 && st.nr_throttled == 3 &&
		   st.throttled_usec == 2500,
	   "cpu.stat: usage, throttling");
	st = (struct cpool_kmetrics_cgstat){ 0 };
	is_int(cpool_kmetrics_parse_cpu_stat("usage_usec 7\nuser_usec 7\nsystem_usec 0\n", &st), 0,
	       "cpu.stat without the cpu controller (no throttling keys)");
	ok(st.usage_usec == 7 && st.nr_throttled == 0 && st.throttled_usec == 0,
	   "throttling then reads 0");
	st = (struct cpool_kmetrics_cgstat){ 0 };
	is_int(cpool_kmetrics_parse_cpu_stat("user_usec 7\n", &st), -EINVAL,
	       "no usage_usec: refused");
	ok(!st.have_cpu_stat, "and nothing set");
	is_int(cpool_kmetrics_parse_cpu_stat("usage_usec x\n", &st), -EINVAL,
	       "garbage value refused");
	is_int(cpool_kmetrics_parse_cpu_stat("usage_usec_total 5\n", &st), -EINVAL,
	       "key prefix is no match");

	is_int(cpool_kmetrics_parse_pressure("some avg10=0.00 avg60=0.00 avg300=0.00 total=4242\n"
					     "full avg10=0.00 avg60=0.00 avg300=0.00 total=17\n",
					     &st),
	       0, "cpu.pressure parses");
	ok(st.have_psi && st.psi_some_usec == 4242, "PSI some total, not full");
	st = (struct cpool_kmetrics_cgstat){ 0 };
	is_int(cpool_kmetrics_parse_pressure("full avg10=0.00 total=17\n", &st), -EINVAL,
	       "no some line: refused");
	ok(!st.have_psi, "and nothing set");

	is_int(cpool_kmetrics_parse_proc_stat(stat, 100, &cpus), 2,
	       "two per-CPU lines, total line skipped");
	if (cpus) {
		is_int(cpus[0].cpu, 0, "cpu0");
		is_int((int64_t)cpus[0].busy_ns, (4 + 1 + 2 + 1 + 1 + 2) * 10000000LL,
		       "busy = user+nice+system+irq+softirq+steal, 10 ms ticks");
		is_int((int64_t)cpus[0].idle_ns, (50 + 1) * 10000000LL, "idle = idle+iowait");
		is_int(cpus[1].cpu, 2, "numbering kept (cpu1 offline)");
		is_int((int64_t)cpus[1].busy_ns, 9 * 10000000LL, "cpu2 busy");
	}
	free(cpus);
	is_int(cpool_kmetrics_parse_proc_stat("intr 1\n", 100, &cpus), -EINVAL,
	       "no CPU lines: refused");
	is_int(cpool_kmetrics_parse_proc_stat(stat, 0, &cpus), -EINVAL, "no tick rate: refused");
}

/*
 * One CPU read at @now from @st, through the reader's open span and the
 * monotonic guard, as the collector does; checks that nothing went back
 * from the last reading and that busy + idle is the CPU's time since its
 * first switch (at 850 in every case below) up to max(@now, the state's
 * last switch).
 */
#define FIRST_SWITCH 850

static void read_at(struct cpool_kmetrics_cpu *shown, const struct cpool_kmetrics_cpu_state *st,
		    uint64_t now, const char *what)
{
	struct cpool_kmetrics_cpu before = *shown, r;
	uint64_t upto = now > st->last_switch_ns ? now : st->last_switch_ns;

	cpool_kmetrics_cpu_at(st, now, &r);
	cpool_kmetrics_cpu_monotonic(shown, &r);
	ok(r.busy_ns >= before.busy_ns && r.idle_ns >= before.idle_ns,
	   "%s: busy %llu, idle %llu, not less than %llu, %llu", what,
	   (unsigned long long)r.busy_ns, (unsigned long long)r.idle_ns,
	   (unsigned long long)before.busy_ns, (unsigned long long)before.idle_ns);
	is_int((int64_t)(r.busy_ns + r.idle_ns), (int64_t)(upto - FIRST_SWITCH), "  busy + idle");
	ok(shown->busy_ns == r.busy_ns && shown->idle_ns == r.idle_ns, "  remembered as shown");
}

static void test_open_span(void)
{
	/* A task runs since 1000; before it, 100 busy and 50 idle since 850. */
	const struct cpool_kmetrics_cpu_state busy = { .busy_ns = 100,
						       .idle_ns = 50,
						       .last_switch_ns = 1000 };
	struct cpool_kmetrics_cpu_state st;
	struct cpool_kmetrics_cpu shown = { 0 }, r;

	cpool_kmetrics_cpu_at(&busy, 1300, &r);
	is_int((int64_t)r.busy_ns, 400, "a busy span open since 1000, read at 1300: 300 more busy");
	is_int((int64_t)r.idle_ns, 50, "  and idle as charged");
	cpool_kmetrics_cpu_at(&busy, 900, &r);
	is_int((int64_t)(r.busy_ns + r.idle_ns), 150,
	       "a span that began after the clock was read adds nothing");

	/* The span closes at 1500 (the idle task comes in); read at 1300, then 1600. */
	read_at(&shown, &busy, 1300, "busy span open");
	st = (struct cpool_kmetrics_cpu_state){
		.busy_ns = 600, .idle_ns = 50, .last_switch_ns = 1500, .idle_task = true
	};
	read_at(&shown, &st, 1600, "after it closed at 1500");
	is_int((int64_t)shown.busy_ns, 600, "  the closed span's 500 busy");

	/* The clock is read at 1300, then the state, in which the span closed at 1350. */
	shown = (struct cpool_kmetrics_cpu){ 0 };
	read_at(&shown, &busy, 1290, "busy span open, read at 1290");
	st = (struct cpool_kmetrics_cpu_state){
		.busy_ns = 450, .idle_ns = 50, .last_switch_ns = 1350, .idle_task = true
	};
	read_at(&shown, &st, 1300, "span closed between the clock (1300) and the state");
	is_int((int64_t)shown.busy_ns, 450, "  busy is the closed span's, no more");
	read_at(&shown, &st, 1400, "the same state at 1400");
	is_int((int64_t)shown.idle_ns, 100, "  the idle span since 1350 shows");
	/*
	 * The other order (the state at 1290, then the clock at 1400) would
	 * have shown 500 busy, 50 more than the span ever had: why the clock
	 * comes first.
	 */
	cpool_kmetrics_cpu_at(&busy, 1400, &r);
	ok(r.busy_ns > 450, "state before clock would overshoot the closed span (%llu > 450)",
	   (unsigned long long)r.busy_ns);

	/* A span opened after the previous read: the idle task since 1310. */
	shown = (struct cpool_kmetrics_cpu){ 0 };
	read_at(&shown, &busy, 1300, "busy span open");
	st = (struct cpool_kmetrics_cpu_state){
		.busy_ns = 410, .idle_ns = 50, .last_switch_ns = 1310, .idle_task = true
	};
	read_at(&shown, &st, 1330, "a span opened at 1310, after the previous read");
	is_int((int64_t)shown.idle_ns, 70, "  its 20 idle");

	/* Clock skew: the CPU stamped its switch at 2000, the reader's clock says 1990. */
	st = (struct cpool_kmetrics_cpu_state){
		.busy_ns = 1000, .idle_ns = 150, .last_switch_ns = 2000, .idle_task = true
	};
	read_at(&shown, &st, 1990, "the CPU's clock ahead of the reader's");
	read_at(&shown, &st, 2100, "then the reader's clock past it");

	/*
	 * Idle from switches: the idle task since 1000, read at 1300 (300
	 * idle); the task that ends it was queued at 1200 and switched in at
	 * 1400, so idle really ended at 1200 and the switch charges 200 busy.
	 */
	shown = (struct cpool_kmetrics_cpu){ 0 };
	st = (struct cpool_kmetrics_cpu_state){
		.busy_ns = 100, .idle_ns = 50, .last_switch_ns = 1000, .idle_task = true
	};
	read_at(&shown, &st, 1300, "idle task since 1000");
	is_int((int64_t)shown.idle_ns, 350, "  read as idle");
	st = (struct cpool_kmetrics_cpu_state){ .busy_ns = 300,
						.idle_ns = 250,
						.last_switch_ns = 1400 };
	read_at(&shown, &st, 1500, "after a wakeup at 1200 and its switch at 1400");
	is_int((int64_t)shown.idle_ns, 350, "  idle held at what was shown (the kernel's: 250)");
	is_int((int64_t)shown.busy_ns, 300, "  busy takes the rest");
	st = (struct cpool_kmetrics_cpu_state){
		.busy_ns = 800, .idle_ns = 250, .last_switch_ns = 1900, .idle_task = true
	};
	read_at(&shown, &st, 2100, "the idle task again since 1900");
	is_int((int64_t)shown.idle_ns, 450, "  idle follows the kernel's again once past");
	is_int((int64_t)shown.busy_ns, 800, "  and busy too");

	/*
	 * NO_HZ idle: the idle task since 1000, an idle span open since 1010.
	 * The kernel ends the span at 1250 (its timestamp) but the hook
	 * stores it after a reader read the state at 1300.
	 */
	shown = (struct cpool_kmetrics_cpu){ 0 };
	st = (struct cpool_kmetrics_cpu_state){ .busy_ns = 100,
						.idle_ns = 50,
						.last_switch_ns = 1000,
						.idle_task = true,
						.nohz = true,
						.nohz_idle_start = 1010,
						.idle_at_switch_in = 50 };
	read_at(&shown, &st, 1300, "NO_HZ span open since 1010");
	is_int((int64_t)shown.idle_ns, 340, "  the open span is idle");
	is_int((int64_t)shown.busy_ns, 110, "  the idle task's time before it busy");
	st.idle_ns = 290;
	st.nohz_idle_start = 0;
	read_at(&shown, &st, 1350, "the span stored as ended at 1250 (an interrupt)");
	is_int((int64_t)shown.idle_ns, 340, "  idle held");
	is_int((int64_t)shown.busy_ns, 160, "  busy the rest");
	st.nohz_idle_start = 1400;
	read_at(&shown, &st, 1500, "a span open again since 1400");
	is_int((int64_t)shown.idle_ns, 390, "  idle: 240 closed + 100 open since the switch-in");

	/* A state torn by the copy (idle below its value at switch-in) must not wrap. */
	st.idle_at_switch_in = 1000;
	cpool_kmetrics_cpu_at(&st, 1500, &r);
	ok(r.busy_ns <= st.busy_ns + 500, "a torn state adds at most the span (busy %llu)",
	   (unsigned long long)r.busy_ns);
}

int main(void)
{
	test_parsers();
	test_cpus();
	test_open_span();
	test_cgroups();
	test_quantiles();
	done_testing();
	return exit_status();
}
