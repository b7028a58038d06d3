// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The Prometheus / OpenMetrics renderer: exact lines for the parts a
 * scraper depends on, and the whole output of both formats fed to the
 * real linter, `promtool check metrics` (Debian's prometheus package,
 * installed by tools/deps.sh).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tap.h"
#include "cpool/promfamilies.h"

static const uint64_t *sample_hist(void)
{
	static uint64_t h[CPOOL_KMETRICS_HIST_SLOTS];

	h[0] = 7; /* timed 0 by the kernel */
	h[cpool_hist_slot(1500)] = 3; /* between 1.024 us and 1.536 us */
	h[cpool_hist_slot(5000000)] = 2; /* 5 ms */
	h[CPOOL_KMETRICS_HIST_SLOTS - 1] = 1; /* past 17 s */
	return h;
}

static void render(struct cpool_prom *p, bool openmetrics, bool daemon)
{
	static const struct cpool_kmetrics_cpu cpus[] = {
		{ .cpu = 0, .busy_ns = 1500000000, .idle_ns = 500000000 },
		{ .cpu = 3, .busy_ns = 0, .idle_ns = 2000000000 }
	};
	struct cpool_prom_vs vs[] = {
		{ .name = "web",
		  .have_rul = true,
		  .rul = 0.75,
		  .run_ns = 2500000000,
		  .preempted = 9,
		  .rq_count = 13,
		  .rq_sum_ns = 17000000000ULL + 10004500,
		  .rq_hist = sample_hist() },
		{ .name = "we\"ird\\vs", .have_rul = false, .rq_hist = sample_hist() },
	};
	static const struct cpool_prom_state_count live[] = { { "queued", 2 }, { "running", 1 } };
	static const struct cpool_prom_state_count ended[] = { { "done", 4 }, { "failed", 0 } };
	struct cpool_prom_seconds wait = { 0 }, resp = { 0 };
	struct cpool_prom_input in = { .cpus = cpus,
				       .ncpus = 2,
				       .vs = vs,
				       .nvs = 2,
				       .failed_updates = 1,
				       .arrival_misses = 40,
				       .lost_baselines = 3,
				       .daemon = daemon,
				       .queue_length = 2,
				       .live = live,
				       .nlive = 2,
				       .ended = ended,
				       .nended = 2,
				       .job_wait = &wait,
				       .job_response = &resp,
				       .evloop_stall_max_s = 0.0042,
				       .store_write_s = 0.0001 };

	cpool_prom_seconds_observe(&wait, 0.5);
	cpool_prom_seconds_observe(&wait, 100000);
	cpool_prom_seconds_observe(&resp, 2);
	cpool_prom_init(p, openmetrics);
	cpool_prom_render(p, &in);
}

static bool has_line(const struct cpool_prom *p, const char *line)
{
	size_t n = strlen(line);

	for (const char *s = p->buf; s && (s = strstr(s, line)); s++)
		if ((s == p->buf || s[-1] == '\n') && s[n] == '\n')
			return true;
	return false;
}

/* -1: no promtool here; else its exit status on @p's text. */
static int promtool(const struct cpool_prom *p, char *out, size_t outlen)
{
	char path[] = "/tmp/cpool-promtext-XXXXXX", cmd[256];
	FILE *f;
	int fd, st;
	size_t n;

	if (system("command -v promtool >/dev/null 2>&1") != 0)
		return -1;
	fd = mkstemp(path);
	if (fd < 0 || write(fd, p->buf, p->len) != (ssize_t)p->len)
		return -2;
	close(fd);
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s 2>&1", path);
	f = popen(cmd, "r");
	n = f ? fread(out, 1, outlen - 1, f) : 0;
	out[n] = '\0';
	st = f ? pclose(f) : -2;
	unlink(path);
	return st;
}

static void lint(const struct cpool_prom *p, const char *what)
{
	char out[4096];
	int st = promtool(p, out, sizeof(out));

	if (st == -1)
		skip(1, "promtool is not installed (tools/deps.sh installs prometheus)");
	else
		ok(st == 0, "promtool check metrics accepts %s%s%s", what, st ? ": " : "",
		   st ? out : "");
}

int main(void)
{
	struct cpool_prom p;

	render(&p, false, true);
	is_int(cpool_prom_finish(&p), 0, "text format renders");
	ok(has_line(&p, "# TYPE cpool_cpu_busy_seconds_total counter"),
	   "text: a counter's TYPE names its samples");
	ok(has_line(&p, "cpool_cpu_busy_seconds_total{cpu=\"0\"} 1.5"), "busy seconds of CPU 0");
	ok(has_line(&p, "cpool_cpu_idle_seconds_total{cpu=\"3\"} 2"), "idle seconds of CPU 3");
	ok(has_line(&p, "cpool_vs_rul{vs=\"web\"} 0.75"), "RUL gauge of a measured VS");
	ok(!strstr(p.buf, "cpool_vs_rul{vs=\"we\\\""), "no RUL sample for a VS not measured");
	ok(has_line(&p, "cpool_vs_run_seconds_total{vs=\"we\\\"ird\\\\vs\"} 0"),
	   "label values escaped");
	ok(has_line(&p, "cpool_vs_runqueue_latency_seconds_bucket{vs=\"web\",le=\"1.024e-06\"} 7"),
	   "first bucket: the waits timed 0");
	ok(has_line(&p, "cpool_vs_runqueue_latency_seconds_bucket{vs=\"web\",le=\"1.536e-06\"} 10"),
	   "buckets are cumulative, edges are bucket edges");
	ok(has_line(&p,
		    "cpool_vs_runqueue_latency_seconds_bucket{vs=\"web\",le=\"0.006291456\"} 12"),
	   "5 ms under the 6.29 ms edge");
	ok(has_line(&p,
		    "cpool_vs_runqueue_latency_seconds_bucket{vs=\"web\",le=\"17.179869184\"} 12"),
	   "the last finite edge: 2^34 ns");
	ok(has_line(&p, "cpool_vs_runqueue_latency_seconds_bucket{vs=\"web\",le=\"+Inf\"} 13"),
	   "+Inf holds every wait");
	ok(has_line(&p, "cpool_vs_runqueue_latency_seconds_count{vs=\"web\"} 13"), "_count");
	ok(has_line(&p, "cpool_vs_runqueue_latency_seconds_sum{vs=\"web\"} 17.010004500000001"),
	   "_sum in seconds");
	ok(has_line(&p, "cpool_jobs{state=\"queued\"} 2"), "jobs by state");
	ok(has_line(&p, "cpool_job_wait_seconds_bucket{le=\"0.5\"} 1"), "job wait histogram");
	ok(has_line(&p, "cpool_job_wait_seconds_bucket{le=\"+Inf\"} 2"),
	   "a wait past a day is in +Inf");
	ok(has_line(&p, "cpool_queue_length 2"), "queue length");
	ok(has_line(&p, "# TYPE cpool_bpf_arrival_misses_total counter") &&
		   has_line(&p, "cpool_bpf_arrival_misses_total 40"),
	   "arrival cache misses, a counter");
	ok(has_line(&p, "# TYPE cpool_bpf_lost_baselines_total counter") &&
		   has_line(&p, "cpool_bpf_lost_baselines_total 3"),
	   "lost wait baselines, a counter");
	ok(!strstr(p.buf, "# EOF"), "no # EOF in text 0.0.4");
	lint(&p, "text format");
	cpool_prom_free(&p);

	render(&p, true, true);
	is_int(cpool_prom_finish(&p), 0, "OpenMetrics renders");
	ok(has_line(&p, "# TYPE cpool_cpu_busy_seconds counter"),
	   "OpenMetrics: a counter's TYPE is the family name");
	ok(has_line(&p, "cpool_cpu_busy_seconds_total{cpu=\"0\"} 1.5"), "samples keep _total");
	ok(has_line(&p, "cpool_job_wait_seconds_bucket{le=\"1.0\"} 1"), "le is a float");
	ok(p.len > 6 && strcmp(p.buf + p.len - 6, "# EOF\n") == 0, "ends with # EOF");
	/*
	 * promtool check metrics (2.42) lints with the 0.0.4 text parser: it
	 * reads OpenMetrics' counter TYPE (no _total) as a family without
	 * samples and flags each _total sample "no help text".  So the
	 * OpenMetrics output is checked line by line above, and the same
	 * families in text 0.0.4 by promtool.
	 */
	cpool_prom_free(&p);

	render(&p, false, false);
	is_int(cpool_prom_finish(&p), 0, "textfile output (no daemon) renders");
	ok(!strstr(p.buf, "cpool_jobs") && !strstr(p.buf, "cpool_vs_rul"),
	   "without the daemon: no job families, no RUL");
	ok(has_line(&p, "cpool_bpf_lost_baselines_total 3") &&
		   has_line(&p, "cpool_bpf_arrival_misses_total 40"),
	   "the textfile output has the BPF program's counters too");
	lint(&p, "textfile output");
	cpool_prom_free(&p);

	ok(cpool_prom_accepts_openmetrics(
		   "application/openmetrics-text;version=1.0.0,text/plain;q=0.5"),
	   "Prometheus's Accept asks for OpenMetrics");
	ok(!cpool_prom_accepts_openmetrics("text/plain") && !cpool_prom_accepts_openmetrics(NULL),
	   "plain Accept or none: text format");
	done_testing();
	return exit_status();
}
