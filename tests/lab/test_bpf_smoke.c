// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Foundation smoke test: the BPF object built from bpf/ loads on this
 * kernel (CO-RE), attaches to tp_btf/sched_switch and counts switches.
 * Uses the skeleton directly, so a failure here is the object's, not the
 * collector's.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "../tap.h"
#include "cpool/bpf_metrics.h"
#include "cpool/skel/metrics.skel.h"

static int print_warnings(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char buf[1024];

	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	diag("libbpf: %s", buf);
	return 0;
}

int main(void)
{
	struct metrics_bpf *skel = NULL;
	struct cpool_bpf_cpu *vals = NULL;
	struct utsname u;
	__u64 switches = 0;
	__u32 zero = 0;
	int ncpus, err;

	if (!getenv("CPOOL_LAB")) {
		plan(1);
		ok(0, "runs only inside the lab (tools/lab sets CPOOL_LAB)");
		return exit_status();
	}
	plan(5);
	uname(&u);
	diag("kernel %s", u.release);
	libbpf_set_print(print_warnings);

	skel = metrics_bpf__open_and_load();
	if (!ok(skel != NULL, "metrics.bpf.o opens and loads (CO-RE relocations, verifier)")) {
		skip(4, "object did not load");
		goto cleanup;
	}
	err = metrics_bpf__attach(skel);
	if (!ok(err == 0, "attaches to tp_btf/sched_switch and sched_wakeup(_new)")) {
		diag("attach: %s", strerror(-err));
		skip(3, "not attached");
		goto cleanup;
	}
	ok(skel->links.cpool_switch != NULL, "sched_switch link exists");

	/* Sleeping forces at least two switches on this CPU. */
	for (int i = 0; i < 20; i++)
		usleep(1000);

	ncpus = libbpf_num_possible_cpus();
	vals = calloc((size_t)(ncpus > 0 ? ncpus : 1), sizeof(*vals));
	err = vals ? bpf_map_lookup_elem(bpf_map__fd(skel->maps.cpu_stats), &zero, vals) : -ENOMEM;
	if (!ok(err == 0, "per-CPU counters readable")) {
		skip(1, "no counters");
		goto cleanup;
	}
	for (int i = 0; i < ncpus; i++)
		switches += vals[i].switches;
	diag("%llu context switches counted on %d possible CPUs", (unsigned long long)switches,
	     ncpus);
	ok(switches > 0, "context switches counted");

cleanup:
	free(vals);
	metrics_bpf__destroy(skel);
	return exit_status();
}
