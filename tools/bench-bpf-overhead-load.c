// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * bench-bpf-overhead-load: loads and attaches cpool's switch program cut
 * after a given part, for tools/bench-bpf-overhead, which measures what
 * each part adds to a context switch.  Prints "attached" and holds the
 * programs until SIGINT or SIGTERM.  Needs root.
 *
 *   build/tools/bench-bpf-overhead-load [--parts N] [--no-rqlat] [--no-preemptors]
 *
 * --parts N runs the first N - 1 parts of the switch program (1: an empty
 * program, the cost of the dispatch alone; 0, the default: all of it; see
 * bench_parts in bpf/metrics.bpf.c).  Idle is taken from the switches, as
 * `cpool metrics` does where the kernel refuses fentry/fexit programs.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cpool/bpf_metrics.h"
#include "cpool/collector.h"
#include "cpool/skel/metrics.skel.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: bench-bpf-overhead-load [--parts N] [--no-rqlat] [--no-preemptors]\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct metrics_bpf *skel;
	unsigned long parts = 0;
	bool rqlat = true, preemptors = true;
	char *end;
	int err;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--parts") == 0 && i + 1 < argc) {
			parts = strtoul(argv[++i], &end, 10);
			if (*end || parts > 100)
				return usage();
		} else if (strcmp(argv[i], "--no-rqlat") == 0) {
			rqlat = false;
		} else if (strcmp(argv[i], "--no-preemptors") == 0) {
			preemptors = false;
		} else {
			return usage();
		}
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	skel = metrics_bpf__open();
	if (!skel) {
		fprintf(stderr, "bench-bpf-overhead-load: opening the BPF object: %s\n",
			strerror(errno));
		return 1;
	}
	skel->rodata->bench_parts = (__u32)parts;
	skel->rodata->track_rqlat = rqlat;
	skel->rodata->track_preemptors = preemptors;
	bpf_program__set_autoload(skel->progs.cpool_wakeup, false);
	bpf_program__set_autoload(skel->progs.cpool_wakeup_new, false);
	bpf_program__set_autoload(skel->progs.cpool_idle_enter, false);
	bpf_program__set_autoload(skel->progs.cpool_idle_irq_enter, false);
	bpf_program__set_autoload(skel->progs.cpool_idle_irq_exit, false);
	bpf_program__set_autoload(skel->progs.cpool_idle_exit, false);
	err = metrics_bpf__load(skel);
	/* As the collector does: every cgroup slot free. */
	for (__u32 slot = 0; slot < CPOOL_BPF_MAX_CGROUPS && !err; slot++)
		if (bpf_map_update_elem(bpf_map__fd(skel->maps.free_slots), NULL, &slot, 0))
			err = -errno;
	if (!err)
		err = metrics_bpf__attach(skel);
	/* As the collector does: storage for every task (the switch only looks it up). */
	if (!err)
		err = cpool_collector_prime_task_storage(skel);
	if (err) {
		fprintf(stderr, "bench-bpf-overhead-load: loading and attaching: %s\n",
			strerror(-err));
		metrics_bpf__destroy(skel);
		return 1;
	}
	printf("attached\n");
	fflush(stdout);
	while (!stop)
		sleep(1); /* not pause(): a signal before it would be missed */
	metrics_bpf__destroy(skel);
	return 0;
}
