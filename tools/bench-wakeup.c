// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * bench-wakeup: how late a periodic timer wakes a thread on one CPU (the
 * system's, where cpoold runs: --cpu, default 0), first with the other
 * CPUs idle (the baseline), then with a CPU hog pinned on each of them
 * (--busy LIST, default every other online CPU), as jobs in the VSs are.
 * Every --period-ms (default 100, rr's default quantum) for --seconds
 * (default 20) per phase, the thread sleeps to an absolute deadline on
 * CLOCK_MONOTONIC and notes how long after it it ran.  Printed: each
 * phase's mean, standard deviation, median, p90, p99 and maximum, and the
 * busy phase's mean and p99 as ratios to the baseline's.
 *
 * Why: cpoold decides rr's preemptions in a round its timer starts at
 * the quantum's end, and how late that round runs moves every later
 * boundary.  On metal the kernel wakes a timer within tens of
 * microseconds whatever the other CPUs do; under the lab's TCG one host
 * thread runs all the vCPUs in turn, so the system CPU's wakeup waits for
 * the busy vCPUs' turns.  This prints what the lab does to it, so that
 * figures which depend on it are read as the emulator's (docs/lab.md).
 *
 *	build/tools/bench-wakeup
 *	tools/lab --numa 2x2 -- build/tools/bench-wakeup --seconds 30
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cpool/cpuset.h"
#include "cpool/metrics.h"

#define MAX_HOGS 1024

struct lateness {
	double mean, sd, p50, p90, p99, max;
	size_t n;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

static int64_t ns_of(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

/* @n wakeups every @period_ns on the calling thread; lateness in ms into @late. */
static int measure(int64_t period_ns, size_t n, double *late)
{
	struct timespec now, due;
	int64_t next;

	clock_gettime(CLOCK_MONOTONIC, &now);
	next = ns_of(&now) + period_ns;
	for (size_t i = 0; i < n; i++, next += period_ns) {
		int ret;

		due.tv_sec = next / 1000000000;
		due.tv_nsec = next % 1000000000;
		do
			ret = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due, NULL);
		while (ret == EINTR);
		if (ret)
			return -ret;
		clock_gettime(CLOCK_MONOTONIC, &now);
		late[i] = (double)(ns_of(&now) - next) / 1e6;
		/* A wakeup later than a whole period: the next deadline is already past. */
		while (next + period_ns < ns_of(&now))
			next += period_ns;
	}
	return 0;
}

static void summarise(double *late, size_t n, struct lateness *l)
{
	double sum = 0, sq = 0;

	qsort(late, n, sizeof(*late), cmp_double);
	for (size_t i = 0; i < n; i++)
		sum += late[i];
	l->n = n;
	l->mean = sum / (double)n;
	for (size_t i = 0; i < n; i++)
		sq += (late[i] - l->mean) * (late[i] - l->mean);
	l->sd = n > 1 ? sqrt(sq / (double)(n - 1)) : 0;
	l->p50 = cpool_percentile_sorted(late, n, 50);
	l->p90 = cpool_percentile_sorted(late, n, 90);
	l->p99 = cpool_percentile_sorted(late, n, 99);
	l->max = late[n - 1];
}

static void print_phase(const char *name, const struct lateness *l)
{
	printf("%-9s %6zu %9.3f %9.3f %9.3f %9.3f %9.3f %9.3f\n", name, l->n, l->mean, l->sd,
	       l->p50, l->p90, l->p99, l->max);
}

static pid_t start_hog(int cpu)
{
	pid_t pid = fork();

	if (pid)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (pin(cpu) < 0) {
		fprintf(stderr, "bench-wakeup: pin a hog to CPU %d: %s\n", cpu, strerror(errno));
		_exit(1);
	}
	for (volatile unsigned long x = 0;; x++)
		;
}

/* @text as a number from @lo to @hi into @out, or -EINVAL with a message. */
static int parse_between(const char *opt, const char *text, double lo, double hi, double *out)
{
	char *end;
	double v = strtod(text, &end);

	if (end == text || *end || !(v >= lo && v <= hi)) {
		fprintf(stderr, "bench-wakeup: %s '%s': want %g to %g\n", opt, text, lo, hi);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static void usage(FILE *f)
{
	fputs("usage: bench-wakeup [--cpu N] [--busy LIST] [--period-ms MS] [--seconds S]\n", f);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "cpu", required_argument, NULL, 'c' },
					      { "busy", required_argument, NULL, 'b' },
					      { "period-ms", required_argument, NULL, 'p' },
					      { "seconds", required_argument, NULL, 's' },
					      { "help", no_argument, NULL, 'h' },
					      { 0 } };
	const char *busy_list = NULL;
	long ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	double period_ms = 100, seconds = 20;
	struct lateness base, busy;
	pid_t hogs[MAX_HOGS];
	size_t n_hogs = 0, n;
	struct cpool_cpuset set;
	double *late;
	char name[32];
	int cpu = 0, c, ret;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		char *end;

		switch (c) {
		case 'c':
			cpu = (int)strtol(optarg, &end, 10);
			if (*end || cpu < 0 || cpu >= ncpus) {
				fprintf(stderr, "bench-wakeup: --cpu '%s': want 0 to %ld\n", optarg,
					ncpus - 1);
				return 2;
			}
			break;
		case 'b':
			busy_list = optarg;
			break;
		case 'p':
			if (parse_between("--period-ms", optarg, 1, 10000, &period_ms))
				return 2;
			break;
		case 's':
			if (parse_between("--seconds", optarg, 1, 3600, &seconds))
				return 2;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	cpool_cpuset_zero(&set);
	if (busy_list) {
		ret = cpool_cpuset_parse(&set, busy_list, NULL);
		if (ret < 0) {
			fprintf(stderr, "bench-wakeup: --busy '%s': %s\n", busy_list,
				strerror(-ret));
			return 2;
		}
	} else {
		for (int i = 0; i < ncpus; i++)
			if (i != cpu)
				cpool_cpuset_set(&set, i);
	}
	n = (size_t)(seconds * 1000 / period_ms);
	if (n < 1 || !(late = calloc(n, sizeof(*late)))) {
		fprintf(stderr, "bench-wakeup: %zu wakeups: out of memory\n", n);
		return 1;
	}
	ret = pin(cpu);
	if (ret < 0) {
		fprintf(stderr, "bench-wakeup: pin to CPU %d: %s\n", cpu, strerror(-ret));
		return 1;
	}
	printf("# bench-wakeup: a %g ms timer on CPU %d, %zu wakeups a phase; lateness in ms\n",
	       period_ms, cpu, n);
	printf("%-9s %6s %9s %9s %9s %9s %9s %9s\n", "phase", "n", "mean", "sd", "p50", "p90",
	       "p99", "max");
	fflush(stdout);
	ret = measure(llround(period_ms * 1e6), n, late);
	if (ret < 0)
		goto fail;
	summarise(late, n, &base);
	print_phase("idle", &base);
	fflush(stdout);
	for (int i = 0; i < CPOOL_MAX_CPUS && n_hogs < MAX_HOGS; i++) {
		if (!cpool_cpuset_isset(&set, i) || i == cpu)
			continue;
		hogs[n_hogs] = start_hog(i);
		if (hogs[n_hogs] < 0) {
			ret = -errno;
			goto fail;
		}
		n_hogs++;
	}
	ret = measure(llround(period_ms * 1e6), n, late);
	for (size_t i = 0; i < n_hogs; i++)
		kill(hogs[i], SIGKILL);
	for (size_t i = 0; i < n_hogs; i++)
		waitpid(hogs[i], NULL, 0);
	if (ret < 0)
		goto fail;
	summarise(late, n, &busy);
	snprintf(name, sizeof(name), "busy(%zu)", n_hogs);
	print_phase(name, &busy);
	printf("ratio busy/idle: mean %.1fx, p99 %.1fx\n", busy.mean / fmax(base.mean, 1e-6),
	       busy.p99 / fmax(base.p99, 1e-6));
	free(late);
	return 0;
fail:
	fprintf(stderr, "bench-wakeup: %s\n", strerror(-ret));
	free(late);
	return 1;
}
