// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * cpool burn: a job that does a known amount of CPU work, the unit of
 * cpool bench.  Each thread stops when its own CPU clock
 * (CLOCK_THREAD_CPUTIME_ID) has advanced by the budget, never by the wall
 * clock: a job that is frozen, preempted or shares its CPUs really
 * finishes later, as a real job would.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "cli_common.h"
#include "command.h"
#include "cpool/units.h"

#define PROG "cpool burn"
#define BURN_MAX_THREADS 1024

static const struct cli_spec cmd_spec = {
	.prog = PROG,
	.usage = "usage: cpool burn --cpu-seconds S [--cpus N] [--mem SIZE]",
	.about = "Does S seconds of CPU work on each of N threads (measured by each\n"
		 "thread's own CPU clock, so time spent preempted or frozen does not\n"
		 "count) and touches SIZE bytes of memory once, then exits 0.",
};

static double thread_cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct burner {
	pthread_t tid;
	double budget;
	volatile uint64_t sink; /* keeps the arithmetic from being optimised away */
};

static void *burn(void *arg)
{
	struct burner *b = arg;
	double start = thread_cpu_seconds();
	uint64_t x = (uint64_t)(uintptr_t)b | 1;

	/* Reading the clock costs a syscall or vDSO call: read it every few thousand steps. */
	while (thread_cpu_seconds() - start < b->budget) {
		for (int i = 0; i < 4096; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
		}
	}
	b->sink = x;
	return NULL;
}

static int cmd_burn(int argc, char **argv)
{
	double seconds = -1;
	uint64_t mem = 0;
	long long cpus = 1;
	const struct cli_option opts[] = {
		CLI_DURATION(0, "cpu-seconds", "S", &seconds, 0, 1e7,
			     "CPU time per thread (a duration: 2, 2.5s, 300ms)"),
		CLI_INT(0, "cpus", "N", &cpus, 1, BURN_MAX_THREADS, "threads (default 1)"),
		CLI_SIZE(0, "mem", "SIZE", &mem, SIZE_MAX / 2,
			 "memory to touch once and hold until the end (64M)"),
		CLI_END,
	};
	struct burner *b;
	void *region = NULL;
	struct cli_args a;
	int ret;
	bool failed = false;

	ret = cli_parse(&cmd_spec, opts, argc, argv, &a);
	if (ret != CLI_PARSED)
		return ret;
	if (seconds < 0)
		return cli_usage_error(PROG, "--cpu-seconds is required");

	if (mem) {
		long page = sysconf(_SC_PAGESIZE);

		region = mmap(NULL, (size_t)mem, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (region == MAP_FAILED)
			return cli_fail(PROG, "mapping %llu bytes: %s", (unsigned long long)mem,
					strerror(errno));
		/* One write per page is what makes the memory resident. */
		for (uint64_t off = 0; off < mem; off += (uint64_t)page)
			((volatile char *)region)[off] = 1;
	}

	b = calloc((size_t)cpus, sizeof(*b));
	if (!b)
		return cli_fail(PROG, "out of memory");
	for (long long i = 0; i < cpus; i++) {
		b[i].budget = seconds;
		if (i == 0)
			continue; /* the main thread is burner 0 */
		ret = pthread_create(&b[i].tid, NULL, burn, &b[i]);
		if (ret) {
			fprintf(stderr, "%s: starting thread %lld: %s\n", PROG, i, strerror(ret));
			/* Still join the ones started, then fail. */
			cpus = i;
			failed = true;
			break;
		}
	}
	burn(&b[0]);
	for (long long i = 1; i < cpus; i++)
		pthread_join(b[i].tid, NULL);
	free(b);
	if (region)
		munmap(region, (size_t)mem);
	return failed ? CLI_EXIT_FAILED : CLI_EXIT_OK;
}

CPOOL_COMMAND(burn, "burn", "do a given amount of CPU work (the unit of cpool bench)", cmd_burn);
