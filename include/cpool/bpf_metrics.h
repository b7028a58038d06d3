/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Map layouts shared by bpf/metrics.bpf.c and the collector.  Only __u64 /
 * __u32 members so the same structs compile under vmlinux.h (BPF side) and
 * <linux/types.h> (userspace) with identical layout.
 */
#ifndef CPOOL_BPF_METRICS_H
#define CPOOL_BPF_METRICS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/*
 * Run-queue latency in ns, log-linear: every power of two is cut into
 * CPOOL_BPF_HIST_SUB equal sub-buckets.  Values below 2 * SUB have
 * buckets of width 1 (exact); above, bucket width / lower bound <= 1 / SUB,
 * so any value inside a bucket is within 25 % of the true one (log2
 * buckets: 100 %).  Bucket 0 holds exactly the waits that took no time on
 * the kernel's clock.  The last bucket also takes everything longer
 * (2^36 ns is 69 s).  cpool_hist_slot() and cpool_hist_lower() are the
 * only definitions of the layout, for the BPF side and userspace alike.
 */
#define CPOOL_BPF_HIST_SUB_BITS 2
#define CPOOL_BPF_HIST_SUB (1 << CPOOL_BPF_HIST_SUB_BITS)
#define CPOOL_BPF_HIST_MAX_LOG2 35
#define CPOOL_BPF_HIST_SLOTS \
	((CPOOL_BPF_HIST_MAX_LOG2 - CPOOL_BPF_HIST_SUB_BITS + 2) * CPOOL_BPF_HIST_SUB)

/* floor(log2(v)) for v > 0, branch-free (the verifier sees no loop). */
static inline __attribute__((always_inline)) __u32 cpool_log2_u64(__u64 v)
{
	__u32 r, shift;

	r = (v > 0xffffffffULL) << 5;
	v >>= r;
	shift = (v > 0xffff) << 4;
	v >>= shift;
	r |= shift;
	shift = (v > 0xff) << 3;
	v >>= shift;
	r |= shift;
	shift = (v > 0xf) << 2;
	v >>= shift;
	r |= shift;
	shift = (v > 0x3) << 1;
	v >>= shift;
	r |= shift;
	r |= (__u32)(v >> 1);
	return r;
}

/* The bucket of @v ns. */
static inline __attribute__((always_inline)) __u32 cpool_hist_slot(__u64 v)
{
	__u32 e, slot;

	if (v < 2 * CPOOL_BPF_HIST_SUB)
		return (__u32)v;
	e = cpool_log2_u64(v);
	slot = ((e - CPOOL_BPF_HIST_SUB_BITS + 1) << CPOOL_BPF_HIST_SUB_BITS) |
	       (__u32)((v >> (e - CPOOL_BPF_HIST_SUB_BITS)) & (CPOOL_BPF_HIST_SUB - 1));
	return slot < CPOOL_BPF_HIST_SLOTS ? slot : CPOOL_BPF_HIST_SLOTS - 1;
}

/* The smallest value in bucket @slot (cpool_hist_lower(slot + 1) is past its end). */
static inline __u64 cpool_hist_lower(__u32 slot)
{
	__u32 e;

	if (slot < 2 * CPOOL_BPF_HIST_SUB)
		return slot;
	e = (slot >> CPOOL_BPF_HIST_SUB_BITS) + CPOOL_BPF_HIST_SUB_BITS - 1;
	return (__u64)(CPOOL_BPF_HIST_SUB + (slot & (CPOOL_BPF_HIST_SUB - 1)))
	       << (e - CPOOL_BPF_HIST_SUB_BITS);
}

/* Default map sizes; the collector may change them before load. */
#define CPOOL_BPF_MAX_CGROUPS 1024
#define CPOOL_BPF_MAX_PREEMPT_PAIRS 8192
/*
 * Saved arrival cache entries (metrics.bpf.c evicted_arrivals) per
 * possible CPU: a per-CPU LRU splits its entries between the CPUs.
 */
#define CPOOL_BPF_EVICTED_PER_CPU 512

/*
 * The tasks that last arrived on a CPU, direct-mapped by task address:
 * what the switch needs of next without its task local storage (the
 * dearest part of the switch; docs/metrics.md "Arrival cache").  An entry
 * is next's when task, pid and the kernel's sched_info.pcount all match:
 * pcount grows at every arrival, so a match means none since this one.
 */
#define CPOOL_BPF_ARRIVAL_BITS 5
#define CPOOL_BPF_ARRIVALS (1 << CPOOL_BPF_ARRIVAL_BITS)

struct cpool_bpf_arrival {
	__u64 task; /* task_struct address, as a tag (0: empty) */
	__u64 pcount; /* its sched_info.pcount until its next arrival */
	__u64 run_delay; /* its sched_info.run_delay after this arrival: the next wait's baseline */
	__u64 cgroup_id; /* its cgroup when it arrived, and that cgroup's slot */
	__u32 slot;
	__u32 pid; /* with task: a task_struct freed and reused by another task does not match */
	__u64 hits; /* arrivals served here since its task storage was last written (0: storage current) */
};

/*
 * One per CPU (a BPF_MAP_TYPE_PERCPU_ARRAY of one element): written only on
 * that CPU, by its sched_switch (interrupts off) and its idle-loop hooks
 * (which never run inside a switch), so plain adds suffice.  last_switch_ns and
 * cur_cgroup let the reader add the time of whatever runs right now.
 */
struct cpool_bpf_cpu {
	__u64 busy_ns;
	__u64 idle_ns;
	__u64 switches;
	/*
	 * bpf_ktime_get_ns() (CLOCK_MONOTONIC) of the last switch that took
	 * the clock: one to or from the idle task, or an unmatched one (0 =
	 * none yet).  A switch between two tasks leaves it, so while the CPU
	 * is busy it is when the CPU last became busy.
	 */
	__u64 last_switch_ns;
	__u64 cur_cgroup; /* cgroup v2 id of the running task; 0 = the idle task */
	__u64 failed_updates; /* map updates that failed (map full, no memory) */
	__u64 cur_exec_start; /* se.sum_exec_runtime of the running task when it came in */
	__u64 cur_task; /* that task (its address, as a tag) */
	__u64 unmatched; /* switches whose prev was not the task last switched in here */
	__u64 cur_slot; /* slot of cur_cgroup in the cgroup array (0xffffffff: none) */
	__u64 cur_pid; /* that task's pid (0: the idle task) */
	/*
	 * NO_HZ idle, kept like the kernel's tick_sched (see metrics.bpf.c):
	 * when the current idle span began (0 = none open), whether the idle
	 * loop is between tick_nohz_idle_enter and _exit, and idle_ns when
	 * the idle task was switched in (what it accrued since is idle, the
	 * rest of its time busy).
	 */
	__u64 nohz_idle_start;
	__u64 nohz_inidle;
	__u64 idle_at_switch_in;
	/* Switches whose next was not in arrivals[] (its task storage was taken). */
	__u64 arrival_misses;
	/*
	 * Queued tasks moved to another CPU, seen by the migration program on
	 * this CPU, whose wait's baseline was found nowhere: the part of their
	 * wait before the move is not counted (docs/metrics.md "Arrival cache").
	 */
	__u64 lost_baselines;
	struct cpool_bpf_arrival arrivals[CPOOL_BPF_ARRIVALS];
};

/*
 * Per cgroup: a BPF_MAP_TYPE_PERCPU_ARRAY indexed by slot, the slot given
 * by a hash of cgroup v2 id -> __u32 slot (cgroup_slots).  The switch
 * finds a slot without that hash: from the task's local storage, or the
 * CPU's cur_slot for the task that ran.  Slots come from a queue of free
 * ones (free_slots) that the collector fills at load and to which it
 * returns the slots of cgroups that are gone.  Each CPU's copy says whose
 * it is (id): a copy of another id is that CPU's stale count from before
 * the slot changed hands, which the program starts again from zero and
 * the collector does not add.
 */
struct cpool_bpf_cgroup {
	__u64 id; /* cgroup v2 id this CPU's copy counts for; 0 = none yet */
	__u64 run_ns; /* time its tasks ran, between switches */
	__u64 scheduled; /* times one of its tasks was switched in */
	__u64 preempted; /* times one of its tasks was switched out still runnable */
	__u64 rqlat_count; /* waits measured (wakeup or preemption -> running) */
	__u64 rqlat_sum_ns;
	__u64 rqlat_hist[CPOOL_BPF_HIST_SLOTS];
};

/* Key of the preemption map (BPF_MAP_TYPE_PERCPU_HASH, value: __u64 count). */
struct cpool_bpf_preempt_key {
	__u64 victim; /* cgroup of the task switched out while runnable */
	__u64 preemptor; /* cgroup of the task that took the CPU */
};

#endif /* CPOOL_BPF_METRICS_H */
