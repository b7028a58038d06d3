// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * bench-sim: the simulator's speed and memory on a 100 000-job synthetic
 * SWF-shaped trace under every policy, and on the real logs in
 * $CPOOL_SHARED/traces when present.
 *
 * Speed is reported against a baseline measured in the same run: a plain
 * sort-by-submit strict-FCFS loop (a heap of running jobs' ends), the
 * least any simulator of the same workload must do.  It also checks the
 * simulator's fcfs against it: the start times must be identical.
 * Target: under 1 s per policy, at offered load 0.7 (the real logs' load)
 * and 0.9 (long queues: the ranked policies' scans and rr's slices grow
 * with them); --load runs one load.  Memory: peak RSS per 10k jobs,
 * measured in fresh processes at two trace sizes; equal figures mean linear.
 *
 *   build/tools/bench-sim [--jobs N] [--slots N] [--load L] [--policy NAME]
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cpool/job.h"
#include "cpool/policy.h"
#include "cpool/sim.h"

/* rr and mlfq slices: see the note printed with the results. */
#define BENCH_QUANTUM_US (60 * CPOOL_USEC_PER_SEC)

/*
 * CPU time of this process, not wall time: the machine is shared, and a
 * neighbour's compile should not count against the simulator.
 */
static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#define RNG_SEED 0x9e3779b97f4a7c15ULL

static uint64_t rng_state = RNG_SEED;

static double uniform(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (double)(rng_state >> 11) * 0x1.0p-53;
}

/*
 * SWF-shaped like the archive's logs: power-of-two job sizes skewed to
 * small, log-uniform runtimes from seconds to a day, users' estimates
 * that over-estimate (and now and then under-), Poisson arrivals at an
 * offered load (the real logs ran at 0.47 to 0.70).  Written as SWF text and
 * read back through the SWF reader, so parsing is part of what is measured.
 */
static double offered_load = 0.7;
static const double default_loads[] = { 0.7, 0.9 };
static int only_policy = -1; /* --policy NAME: just that one */

static char *synthetic_swf(size_t n, int slots)
{
	size_t cap = n * 100 + 128, len = 0;
	char *buf = malloc(cap);
	double t = 0, mean_work = 0;
	int max_log = 0;

	if (!buf)
		return NULL;
	/* The same jobs at every load, in this process or alone with --load. */
	rng_state = RNG_SEED;
	while ((2 << max_log) <= slots / 4 && max_log < 10)
		max_log++;
	/* Mean work per job, estimated from the same distributions, sets the arrival rate. */
	for (int i = 0; i < 10000; i++)
		mean_work += exp(log(10) + uniform() * (log(86400) - log(10))) *
			     (1 << (int)(pow(uniform(), 2) * (max_log + 1)));
	mean_work /= 10000;
	len += (size_t)snprintf(buf, cap, "; synthetic SWF-shaped trace: %zu jobs, %d slots\n", n,
				slots);
	for (size_t i = 0; i < n; i++) {
		int cpus = 1 << (int)(pow(uniform(), 2) * (max_log + 1));
		long run = lround(exp(log(10) + uniform() * (log(86400) - log(10))));
		long req = lround((double)run * (1 + 3 * uniform()));

		if (uniform() < 0.05)
			req = lround((double)run * 0.8); /* ran past its request */
		t += -log(1 - uniform()) * mean_work / (offered_load * slots);
		len += (size_t)snprintf(
			buf + len, cap - len,
			"%6zu %10ld -1 %7ld %4d -1 -1 %4d %7ld -1 1 1 1 -1 -1 -1 -1 -1\n", i + 1,
			lround(t), run, cpus, cpus, req);
	}
	return buf;
}

static int load_synthetic(size_t n, int slots, struct cpool_trace *t)
{
	struct cpool_error e;
	char *text = synthetic_swf(n, slots);
	FILE *in;
	int ret;

	if (!text)
		return -ENOMEM;
	in = fmemopen(text, strlen(text), "r");
	if (!in) {
		free(text);
		return -errno;
	}
	ret = cpool_trace_read(in, CPOOL_TRACE_SWF, t, &e);
	fclose(in);
	free(text);
	return ret;
}

/* ---- baseline: strict FCFS by hand ---- */

struct end {
	int64_t at;
	int cpus;
};

static int by_submit(const void *a, const void *b)
{
	const struct cpool_job *x = *(const struct cpool_job *const *)a;
	const struct cpool_job *y = *(const struct cpool_job *const *)b;

	if (x->submit_us != y->submit_us)
		return x->submit_us < y->submit_us ? -1 : 1;
	return (x->index > y->index) - (x->index < y->index);
}

static void heap_push(struct end *h, size_t *n, struct end e)
{
	size_t i = (*n)++;

	while (i && h[(i - 1) / 2].at > e.at) {
		h[i] = h[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h[i] = e;
}

static struct end heap_pop(struct end *h, size_t *n)
{
	struct end top = h[0], last = h[--*n];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= *n)
			break;
		if (c + 1 < *n && h[c + 1].at < h[c].at)
			c++;
		if (h[c].at >= last.at)
			break;
		h[i] = h[c];
		i = c;
	}
	if (*n)
		h[i] = last;
	return top;
}

/* Start time of every job (by index) under strict FCFS on @slots CPUs. */
static int baseline_fcfs(const struct cpool_trace *t, int slots, int64_t *start)
{
	const struct cpool_job **order = malloc(t->n_jobs * sizeof(*order));
	struct end *heap = malloc((t->n_jobs + 1) * sizeof(*heap));
	size_t n_heap = 0;
	int64_t clock = 0;
	int free_cpus = slots;

	if (!order || !heap) {
		free(order);
		free(heap);
		return -ENOMEM;
	}
	for (size_t i = 0; i < t->n_jobs; i++)
		order[i] = &t->jobs[i];
	qsort(order, t->n_jobs, sizeof(*order), by_submit);
	for (size_t i = 0; i < t->n_jobs; i++) {
		const struct cpool_job *j = order[i];

		if (j->submit_us > clock)
			clock = j->submit_us;
		/* Jobs ending by now free their CPUs; then wait for more if needed. */
		while (n_heap && (heap[0].at <= clock || free_cpus < j->cpus)) {
			struct end e = heap_pop(heap, &n_heap);

			if (e.at > clock)
				clock = e.at;
			free_cpus += e.cpus;
		}
		start[j->index] = clock;
		free_cpus -= j->cpus;
		heap_push(heap, &n_heap, (struct end){ clock + j->runtime_us, j->cpus });
	}
	free(order);
	free(heap);
	return 0;
}

/* ---- the policies ---- */

static struct cpool_policy policy_for(enum cpool_sched s)
{
	struct cpool_policy p;

	cpool_policy_init(&p);
	p.sched = s;
	p.quantum_us = BENCH_QUANTUM_US;
	p.mlfq_levels = 3;
	p.mlfq_quantum_us[0] = BENCH_QUANTUM_US;
	p.mlfq_quantum_us[1] = 10 * BENCH_QUANTUM_US;
	p.mlfq_quantum_us[2] = 0;
	if (s == CPOOL_SCHED_PRIORITY || s == CPOOL_SCHED_PRIORITY_PREEMPT)
		p.aging_us = 600 * CPOOL_USEC_PER_SEC;
	return p;
}

static int bench_trace(const char *name, const struct cpool_trace *t, int slots, bool *all_fast)
{
	int64_t *base_start = malloc((t->n_jobs + 1) * sizeof(*base_start));
	struct cpool_vserver vs;
	double t0, base;
	int ret;

	if (!base_start)
		return -ENOMEM;
	t0 = now_s();
	ret = baseline_fcfs(t, slots, base_start);
	base = now_s() - t0;
	if (ret) {
		free(base_start);
		return ret;
	}
	printf("\n%s: %zu jobs on %d slots; baseline (sort + strict FCFS loop) %.4f s\n", name,
	       t->n_jobs, slots, base);
	printf("  %-20s %9s %9s %11s %12s %9s %12s\n", "policy", "cpu s", "x base", "events",
	       "preemptions", "RUL", "mean wait s");
	cpool_sim_slots(slots, &vs);
	for (int s = 0; s < CPOOL_SCHED__COUNT; s++) {
		struct cpool_sim_config cfg = { .vs = &vs,
						.n_vs = 1,
						.policy = policy_for((enum cpool_sched)s) };
		struct cpool_sim_result r;
		double dt;

		if (only_policy >= 0 && s != only_policy)
			continue;
		t0 = now_s();
		ret = cpool_sim_run(&cfg, t->jobs, t->n_jobs, &r);
		dt = now_s() - t0;
		if (ret) {
			printf("  %-20s FAILED: %s\n", cpool_sched_name((enum cpool_sched)s),
			       strerror(-ret));
			cpool_sim_result_free(&r);
			free(base_start);
			return ret;
		}
		printf("  %-20s %9.4f %9.1f %11llu %12llu %9.4f %12.1f%s\n",
		       cpool_sched_name((enum cpool_sched)s), dt, base > 0 ? dt / base : 0,
		       (unsigned long long)r.events, (unsigned long long)r.preemptions,
		       r.summary.rul, r.summary.mean_wait,
		       dt < 1.0 ? "" : "  (over the 1 s target)");
		if (dt >= 1.0)
			*all_fast = false;
		if (s == CPOOL_SCHED_FCFS) {
			size_t differ = 0;

			for (size_t i = 0; i < r.n_records; i++)
				differ += r.records[i].first_start_us !=
					  base_start[r.records[i].job->index];
			printf("  %-20s %s (%zu of %zu start times differ)\n", "  fcfs = baseline?",
			       differ || r.n_records != t->n_jobs ? "NO" : "yes", differ,
			       r.n_records);
			if (differ || r.n_records != t->n_jobs)
				ret = -EPROTO;
		}
		cpool_sim_result_free(&r);
		if (ret)
			break;
	}
	free(base_start);
	return ret;
}

/* ---- memory, in a fresh process per size ---- */

/*
 * VmHWM, the peak RSS of this address space: unlike getrusage's
 * ru_maxrss it starts afresh at exec, not at the parent's peak.
 */
static long max_rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static int rss_child(size_t n, int slots)
{
	struct cpool_trace t;
	struct cpool_vserver vs;
	long before = max_rss_kb(), peak = 0;

	if (load_synthetic(n, slots, &t))
		return 1;
	cpool_sim_slots(slots, &vs);
	for (int s = 0; s < CPOOL_SCHED__COUNT; s++) {
		struct cpool_sim_config cfg = { .vs = &vs,
						.n_vs = 1,
						.policy = policy_for((enum cpool_sched)s) };
		struct cpool_sim_result r;

		if (cpool_sim_run(&cfg, t.jobs, t.n_jobs, &r))
			return 1;
		cpool_sim_result_free(&r);
	}
	peak = max_rss_kb();
	printf("  %7zu jobs: peak RSS %6ld KiB above start, %7.1f KiB per 10k jobs\n", n,
	       peak - before, (double)(peak - before) / ((double)n / 10000));
	cpool_trace_free(&t);
	return 0;
}

static int measure_rss(size_t n, int slots)
{
	char jobs[32], sl[32], load[32];
	int status;
	pid_t pid;

	snprintf(jobs, sizeof(jobs), "%zu", n);
	snprintf(sl, sizeof(sl), "%d", slots);
	snprintf(load, sizeof(load), "%g", offered_load);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execl("/proc/self/exe", "bench-sim", "--rss-child", jobs, sl, load, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *file;
		int slots;
	} logs[] = {
		{ "KTH-SP2-1996-2.1-cln.swf", 100 },
		{ "NASA-iPSC-1993-3.1-cln.swf", 128 },
		{ "lublin_256.swf", 256 },
	};
	size_t n = 100000;
	int slots = 256, ret;
	const char *shared = getenv("CPOOL_SHARED");
	struct cpool_trace t;
	bool all_fast = true, one_load = false;
	double t0;

	if (argc == 5 && strcmp(argv[1], "--rss-child") == 0) {
		offered_load = atof(argv[4]);
		return rss_child(strtoul(argv[2], NULL, 10), atoi(argv[3]));
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--jobs") == 0 && i + 1 < argc) {
			n = strtoul(argv[++i], NULL, 10);
		} else if (strcmp(argv[i], "--slots") == 0 && i + 1 < argc) {
			slots = atoi(argv[++i]);
		} else if (strcmp(argv[i], "--policy") == 0 && i + 1 < argc) {
			enum cpool_sched sc;

			if (cpool_sched_parse(argv[++i], &sc)) {
				fprintf(stderr, "bench-sim: --policy: one of %s\n",
					cpool_sched_names());
				return 2;
			}
			only_policy = (int)sc;
		} else if (strcmp(argv[i], "--load") == 0 && i + 1 < argc) {
			offered_load = atof(argv[++i]);
			one_load = true;
		} else {
			fprintf(stderr,
				"usage: bench-sim [--jobs N] [--slots N] [--load L] [--policy NAME]\n");
			return 2;
		}
	}
	if (n < 10 || slots < 1 || slots > CPOOL_MAX_CPUS ||
	    !(offered_load > 0 && offered_load < 10)) {
		fprintf(stderr, "bench-sim: --jobs >= 10, --slots 1..%d, --load in (0, 10)\n",
			CPOOL_MAX_CPUS);
		return 2;
	}
	printf("bench-sim: rr and mlfq slice at %lld s (levels %lld s, %lld s, FCFS): one event per\n"
	       "slice, and at 100 ms these day-long jobs would take billions of slices.\n",
	       (long long)(BENCH_QUANTUM_US / CPOOL_USEC_PER_SEC),
	       (long long)(BENCH_QUANTUM_US / CPOOL_USEC_PER_SEC),
	       (long long)(10 * BENCH_QUANTUM_US / CPOOL_USEC_PER_SEC));
	for (size_t k = 0; k < (one_load ? 1 : sizeof(default_loads) / sizeof(*default_loads));
	     k++) {
		char name[64];

		if (!one_load)
			offered_load = default_loads[k];
		t0 = now_s();
		ret = load_synthetic(n, slots, &t);
		if (ret) {
			fprintf(stderr, "bench-sim: generating the trace: %s\n", strerror(-ret));
			return 1;
		}
		printf("\nsynthetic trace (offered load %g) generated and parsed in %.3f s\n",
		       offered_load, now_s() - t0);
		snprintf(name, sizeof(name), "synthetic at load %g", offered_load);
		ret = bench_trace(name, &t, slots, &all_fast);
		cpool_trace_free(&t);
		if (ret)
			return 1;
	}
	if (!one_load)
		offered_load = default_loads[0];
	if (!shared || !*shared) {
		printf("\nreal traces: skipped, CPOOL_SHARED is not set\n");
	} else {
		for (size_t i = 0; i < 3; i++) {
			struct cpool_error e;
			char path[4096];

			snprintf(path, sizeof(path), "%s/traces/%s", shared, logs[i].file);
			t0 = now_s();
			ret = cpool_trace_load(path, CPOOL_TRACE_AUTO, &t, &e);
			if (ret) {
				printf("\n%s: cannot read (%s)\n", path, strerror(-ret));
				cpool_trace_free(&t);
				continue;
			}
			printf("\n%s parsed in %.3f s (%zu skipped)", logs[i].file, now_s() - t0,
			       t.n_skipped);
			ret = bench_trace(logs[i].file, &t, logs[i].slots, &all_fast);
			cpool_trace_free(&t);
			if (ret)
				return 1;
		}
	}

	printf("\nmemory (fresh process per size; all policies run in turn):\n");
	if (measure_rss(n / 2, slots) || measure_rss(n, slots)) {
		fprintf(stderr, "bench-sim: the memory probe failed\n");
		return 1;
	}
	printf("\n%s\n", all_fast ? "every policy under 1 s on every trace" :
				    "some policy took 1 s or more (marked above)");
	return 0;
}
