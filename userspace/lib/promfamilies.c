// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* cpool's metric families (see promfamilies.h). */
#include <stdio.h>

#include "cpool/promfamilies.h"

const char *const cpool_prom_family_names[] = {
	"cpool_cpu_busy_seconds_total",
	"cpool_cpu_idle_seconds_total",
	"cpool_vs_rul",
	"cpool_vs_run_seconds_total",
	"cpool_vs_preemptions_total",
	"cpool_vs_runqueue_latency_seconds",
	"cpool_collector_degraded",
	"cpool_bpf_failed_updates_total",
	"cpool_bpf_arrival_misses_total",
	"cpool_bpf_lost_baselines_total",
	"cpool_queue_length",
	"cpool_jobs",
	"cpool_jobs_ended_total",
	"cpool_job_wait_seconds",
	"cpool_job_response_seconds",
	"cpool_evloop_stall_max_seconds",
	"cpool_store_write_seconds",
	NULL,
};

static void cpu_family(struct cpool_prom *p, const struct cpool_prom_input *in, bool idle)
{
	cpool_prom_family(
		p, idle ? "cpool_cpu_idle_seconds" : "cpool_cpu_busy_seconds", CPOOL_PROM_COUNTER,
		idle ? "Time the CPU was idle (NO_HZ idle, or the idle task's time in cpoold)" :
		       "Time the CPU was not idle");
	for (size_t i = 0; i < in->ncpus; i++) {
		char cpu[16];
		struct cpool_prom_label l = { "cpu", cpu };
		uint64_t ns = idle ? in->cpus[i].idle_ns : in->cpus[i].busy_ns;

		snprintf(cpu, sizeof(cpu), "%d", in->cpus[i].cpu);
		cpool_prom_counter(p, idle ? "cpool_cpu_idle_seconds" : "cpool_cpu_busy_seconds",
				   &l, 1, (double)ns / 1e9);
	}
}

static void vs_families(struct cpool_prom *p, const struct cpool_prom_input *in)
{
	if (in->daemon) {
		cpool_prom_family(
			p, "cpool_vs_rul", CPOOL_PROM_GAUGE,
			"Resource utilization level of the VS's CPUs over the last interval, 0..1");
		for (size_t i = 0; i < in->nvs; i++) {
			struct cpool_prom_label l = { "vs", in->vs[i].name };

			if (in->vs[i].have_rul)
				cpool_prom_gauge(p, "cpool_vs_rul", &l, 1, in->vs[i].rul);
		}
	}
	cpool_prom_family(p, "cpool_vs_run_seconds", CPOOL_PROM_COUNTER,
			  "CPU time of the VS's tasks");
	for (size_t i = 0; i < in->nvs; i++) {
		struct cpool_prom_label l = { "vs", in->vs[i].name };

		cpool_prom_counter(p, "cpool_vs_run_seconds", &l, 1,
				   (double)in->vs[i].run_ns / 1e9);
	}
	cpool_prom_family(p, "cpool_vs_preemptions", CPOOL_PROM_COUNTER,
			  "Times a task of the VS was switched out while still runnable");
	for (size_t i = 0; i < in->nvs; i++) {
		struct cpool_prom_label l = { "vs", in->vs[i].name };

		cpool_prom_counter(p, "cpool_vs_preemptions", &l, 1, (double)in->vs[i].preempted);
	}
	if (in->degraded)
		return; /* no run-queue latency without BPF */
	cpool_prom_family(p, "cpool_vs_runqueue_latency_seconds", CPOOL_PROM_HISTOGRAM,
			  "Run-queue waits (runnable to running) of the VS's tasks");
	for (size_t i = 0; i < in->nvs; i++) {
		struct cpool_prom_label l = { "vs", in->vs[i].name };

		cpool_prom_rqlat_histogram(p, "cpool_vs_runqueue_latency_seconds", &l, 1,
					   in->vs[i].rq_hist, in->vs[i].rq_count,
					   in->vs[i].rq_sum_ns);
	}
}

static void state_family(struct cpool_prom *p, const char *name, enum cpool_prom_type type,
			 const char *help, const struct cpool_prom_state_count *s, size_t n)
{
	cpool_prom_family(p, name, type, help);
	for (size_t i = 0; i < n; i++) {
		struct cpool_prom_label l = { "state", s[i].state };

		if (type == CPOOL_PROM_COUNTER)
			cpool_prom_counter(p, name, &l, 1, (double)s[i].n);
		else
			cpool_prom_gauge(p, name, &l, 1, (double)s[i].n);
	}
}

static void daemon_families(struct cpool_prom *p, const struct cpool_prom_input *in)
{
	cpool_prom_family(p, "cpool_queue_length", CPOOL_PROM_GAUGE,
			  "Jobs waiting for CPUs (queued or frozen)");
	cpool_prom_gauge(p, "cpool_queue_length", NULL, 0, (double)in->queue_length);
	state_family(p, "cpool_jobs", CPOOL_PROM_GAUGE, "Live jobs by state", in->live, in->nlive);
	state_family(p, "cpool_jobs_ended", CPOOL_PROM_COUNTER,
		     "Jobs that ended since cpoold started, by final state", in->ended, in->nended);
	if (in->job_wait) {
		cpool_prom_family(p, "cpool_job_wait_seconds", CPOOL_PROM_HISTOGRAM,
				  "Wait of ended jobs: turnaround minus run time");
		cpool_prom_seconds_histogram(p, "cpool_job_wait_seconds", NULL, 0, in->job_wait);
	}
	if (in->job_response) {
		cpool_prom_family(p, "cpool_job_response_seconds", CPOOL_PROM_HISTOGRAM,
				  "Response of ended jobs: first start minus submit");
		cpool_prom_seconds_histogram(p, "cpool_job_response_seconds", NULL, 0,
					     in->job_response);
	}
	cpool_prom_family(p, "cpool_evloop_stall_max_seconds", CPOOL_PROM_GAUGE,
			  "Longest round of cpoold's event loop in the last window");
	cpool_prom_gauge(p, "cpool_evloop_stall_max_seconds", NULL, 0, in->evloop_stall_max_s);
	cpool_prom_family(p, "cpool_store_write_seconds", CPOOL_PROM_GAUGE,
			  "Duration of the last metrics-sample write to the store");
	cpool_prom_gauge(p, "cpool_store_write_seconds", NULL, 0, in->store_write_s);
}

void cpool_prom_render(struct cpool_prom *p, const struct cpool_prom_input *in)
{
	cpu_family(p, in, false);
	cpu_family(p, in, true);
	vs_families(p, in);
	cpool_prom_family(p, "cpool_collector_degraded", CPOOL_PROM_GAUGE,
			  "1 when the collector runs without BPF (/proc/stat and cgroup files)");
	cpool_prom_gauge(p, "cpool_collector_degraded", NULL, 0, in->degraded ? 1 : 0);
	cpool_prom_family(p, "cpool_bpf_failed_updates", CPOOL_PROM_COUNTER,
			  "BPF map updates that failed (map full, no memory): counts may be low");
	cpool_prom_counter(p, "cpool_bpf_failed_updates", NULL, 0, (double)in->failed_updates);
	if (!in->degraded) {
		cpool_prom_family(
			p, "cpool_bpf_arrival_misses", CPOOL_PROM_COUNTER,
			"Switches whose next task was not in the CPU's arrival cache (dearer switches)");
		cpool_prom_counter(p, "cpool_bpf_arrival_misses", NULL, 0,
				   (double)in->arrival_misses);
		cpool_prom_family(
			p, "cpool_bpf_lost_baselines", CPOOL_PROM_COUNTER,
			"Queued tasks moved between CPUs whose wait before the move was not counted");
		cpool_prom_counter(p, "cpool_bpf_lost_baselines", NULL, 0,
				   (double)in->lost_baselines);
	}
	if (in->daemon)
		daemon_families(p, in);
}
