// SPDX-License-Identifier: GPL-2.0-only
/*
 * Scheduler metrics for cpool: per-CPU busy/idle time and switches, per
 * cgroup run time, run-queue latency and who preempted whom.
 *
 * Everything is counted in kernel and read by polling; nothing is sent per
 * event.  The hot path (sched_switch) takes one timestamp, touches a
 * per-CPU array, one per-CPU hash entry per cgroup involved (plus one for
 * the pair on a preemption) and the task local storage of next: per-CPU
 * values need no atomics and task storage avoids a pid-keyed hash.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "cpool/bpf_metrics.h"

char LICENSE[] SEC("license") = "GPL";

#define TASK_RUNNING 0
#define EEXIST 17 /* errno values are not in vmlinux.h */

/* Knobs set by the collector before load. */
const volatile bool track_rqlat = true;
const volatile bool track_preemptors = true;
/*
 * Run-queue waits from the kernel's own sched_info.last_queued (set when
 * the task is queued, in rq->clock) instead of wakeup hooks and task
 * storage: cheaper, and the same start and clock as schedstat's run_delay.
 * The collector clears it on kernels without CONFIG_SCHED_INFO or
 * CONFIG_FAIR_GROUP_SCHED (the way to this CPU's rq without a ksym).
 */
const volatile bool use_sched_info = true;
/*
 * Idle as /proc/stat counts it (set by the collector when the four
 * tick-sched functions below exist; see "NO_HZ idle").  Otherwise idle is
 * the idle task's time up to the queueing of the task that ends it.
 */
const volatile bool nohz_idle = false;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cpool_bpf_cpu);
} cpu_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, CPOOL_BPF_MAX_CGROUPS);
	__type(key, __u64);
	__type(value, struct cpool_bpf_cgroup);
} cgroup_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, CPOOL_BPF_MAX_PREEMPT_PAIRS);
	__type(key, struct cpool_bpf_preempt_key);
	__type(value, __u64);
} preemptions SEC(".maps");

/*
 * Per task.  With sched_info: run_delay as it stood after the task's last
 * arrival on a CPU.  Without: when it became runnable (0 = not waiting).
 */
struct task_wait {
	__u64 since_ns;
	__u64 run_delay;
	__u64 seen;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct task_wait);
} task_waits SEC(".maps");

/* Initial value for new entries: too big for the BPF stack. */
static const struct cpool_bpf_cgroup zero_cgroup;

/*
 * The entry of @key, created from @init when missing.  Another CPU may
 * create it between our lookup and update (EEXIST): the lookup after
 * finds theirs.  A failed creation (map full, no memory) is counted.
 */
static __always_inline void *lookup_or_init(void *map, const void *key, const void *init,
					    struct cpool_bpf_cpu *c)
{
	void *val = bpf_map_lookup_elem(map, key);
	long err;

	if (val)
		return val;
	err = bpf_map_update_elem(map, key, init, BPF_NOEXIST);
	if (err && err != -EEXIST) {
		c->failed_updates++;
		return NULL;
	}
	return bpf_map_lookup_elem(map, key);
}

/* The cgroup v2 id, read directly: tp_btf pointers need no probe_read. */
static __always_inline __u64 task_cgroup_id(struct task_struct *t)
{
	return t->cgroups->dfl_cgrp->kn->id;
}

/*
 * Whether waits come from the kernel's sched_info (and this kernel has the
 * fields that path reads); a constant once loaded, so the verifier prunes
 * the other path.
 */
static __always_inline bool waits_from_sched_info(struct task_struct *t)
{
	return use_sched_info && bpf_core_field_exists(t->sched_info.last_queued) &&
	       bpf_core_field_exists(t->se.cfs_rq);
}

static __always_inline void count_preemption(__u64 victim, __u64 preemptor, struct cpool_bpf_cpu *c)
{
	struct cpool_bpf_preempt_key key = { .victim = victim, .preemptor = preemptor };
	__u64 zero = 0, *n;

	n = lookup_or_init(&preemptions, &key, &zero, c);
	if (n)
		(*n)++;
}

static __always_inline void mark_waiting(struct task_struct *t, __u64 now, bool overwrite)
{
	struct task_wait *w;

	w = bpf_task_storage_get(&task_waits, t, NULL, BPF_LOCAL_STORAGE_GET_F_CREATE);
	/* A wakeup of a task already queued (preempted, then woken) keeps the older start. */
	if (w && (overwrite || !w->since_ns))
		w->since_ns = now;
}

/*
 * A task woken while still on a CPU (it had not finished going to sleep)
 * never waits in a run queue: the kernel's run_delay skips it, so do we.
 */
SEC("tp_btf/sched_wakeup")
int BPF_PROG(cpool_wakeup, struct task_struct *p)
{
	if (track_rqlat && !use_sched_info && !p->on_cpu)
		mark_waiting(p, bpf_ktime_get_ns(), false);
	return 0;
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(cpool_wakeup_new, struct task_struct *p)
{
	if (track_rqlat && !use_sched_info)
		mark_waiting(p, bpf_ktime_get_ns(), false);
	return 0;
}

/*
 * Charges what ran on this CPU since the last switch: the idle task's time
 * split into idle and busy, or prev's run time to its cgroup.  @woke: how
 * long next has been queued (sched_info path), the end of the idle task's
 * idle.  Returns prev's cgroup entry (NULL for the idle task or when it
 * cannot be had).
 */
static __always_inline struct cpool_bpf_cgroup *charge_prev(struct cpool_bpf_cpu *c,
							    struct task_struct *prev, __u64 prev_id,
							    bool matched, bool prev_runnable,
							    __u64 now, __u64 woke)
{
	__u64 ran = now - c->last_switch_ns, counted;
	struct cpool_bpf_cgroup *cg;

	if (!prev_id && nohz_idle) {
		/* A span the idle loop left open (a missed hook) ends here. */
		if (c->nohz_idle_start && now > c->nohz_idle_start)
			c->idle_ns += now - c->nohz_idle_start;
		c->nohz_idle_start = 0;
		c->nohz_inidle = 0;
		/* Of the idle task's time, what the idle hooks did not count is work. */
		counted = c->idle_ns - c->idle_at_switch_in;
		c->busy_ns += counted < ran ? ran - counted : 0;
		return NULL;
	}
	if (!prev_id) {
		/*
		 * Like /proc/stat, idle ends when the task that ends it is
		 * woken onto this CPU, not at this switch: the way from the
		 * wakeup through tick restart to here is work.
		 */
		if (woke > ran)
			woke = ran;
		c->idle_ns += ran - woke;
		c->busy_ns += woke;
		return NULL;
	}
	c->busy_ns += ran;
	cg = lookup_or_init(&cgroup_stats, &prev_id, &zero_cgroup, c);
	if (!cg)
		return NULL;
	if (!matched) {
		cg->run_ns += ran;
	} else {
		/*
		 * The scheduler updated prev's sum_exec_runtime before this
		 * tracepoint: its gain is exactly what cpu.stat was charged.
		 */
		__u64 exec = prev->se.sum_exec_runtime;

		if (exec > c->cur_exec_start)
			cg->run_ns += exec - c->cur_exec_start;
	}
	if (prev_runnable)
		cg->preempted++;
	return cg;
}

/*
 * next's wait from sched_info, the kernel's own bookkeeping: the growth of
 * run_delay since next last arrived on a CPU.  That is what
 * sched_info_arrive() is about to add (@pending: rq->clock - last_queued)
 * plus what sched_info_dequeue() added while next was moved between run
 * queues.  Returns false when there is no wait to count.
 */
static __always_inline bool wait_from_sched_info(struct task_struct *next, __u64 pending,
						 struct cpool_bpf_cpu *c, __u64 *wait)
{
	__u64 total = next->sched_info.run_delay + pending;
	struct task_wait *w;

	w = bpf_task_storage_get(&task_waits, next, NULL, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!w) {
		c->failed_updates++;
		return false;
	}
	if (!w->seen) {
		/* First sight: only a task that never ran before has a known start. */
		w->seen = 1;
		w->run_delay = total;
		*wait = total;
		return !next->sched_info.pcount;
	}
	if (total < w->run_delay) { /* not ours to explain: restart */
		w->run_delay = total;
		return false;
	}
	*wait = total - w->run_delay;
	w->run_delay = total;
	return true;
}

/* next's wait from the wakeup programs' stamp (kernels without sched_info). */
static __always_inline bool wait_from_wakeup(struct task_struct *next, __u64 now, __u64 *wait)
{
	struct task_wait *w = bpf_task_storage_get(&task_waits, next, NULL, 0);

	if (!w || !w->since_ns)
		return false;
	*wait = now - w->since_ns;
	w->since_ns = 0;
	return true;
}

static __always_inline void hist_add(struct cpool_bpf_cgroup *cg, __u64 wait)
{
	/* 64-bit and fenced: older verifiers lose the bound of a narrowed copy. */
	__u64 slot = cpool_hist_slot(wait);

	barrier_var(slot);
	if (slot < CPOOL_BPF_HIST_SLOTS)
		cg->rqlat_hist[slot]++;
	cg->rqlat_sum_ns += wait;
	cg->rqlat_count++;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(cpool_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	struct cpool_bpf_cgroup *prev_cg = NULL, *next_cg;
	__u64 now = bpf_ktime_get_ns(), next_id, prev_id, pending = 0, wait = 0;
	/*
	 * prev->__state rather than the tracepoint's prev_state argument: a
	 * sleeper with a signal pending stays runnable although prev_state
	 * says otherwise, and the kernel's run_delay follows __state.
	 */
	bool prev_runnable = prev->pid && prev->__state == TASK_RUNNING, matched, counted;
	struct cpool_bpf_cpu *c;
	__u32 zero = 0;

	c = bpf_map_lookup_elem(&cpu_stats, &zero);
	if (!c)
		return 0;

	next_id = next->pid ? task_cgroup_id(next) : 0;
	prev_id = c->cur_cgroup;
	/*
	 * What this CPU recorded at the last switch belongs to prev only if
	 * prev is the task switched in then; otherwise (a switch this
	 * program did not see) charge prev's own cgroup by the clock.
	 */
	matched = c->cur_task == (__u64)prev;
	if (!matched && c->last_switch_ns) {
		c->unmatched++;
		prev_id = prev->pid ? task_cgroup_id(prev) : 0;
	}
	if (next_id && waits_from_sched_info(next)) {
		/*
		 * How long next has been queued, in rq->clock.  Every task's
		 * se.cfs_rq points into its CPU's rq, here this one: rq->clock
		 * without the runqueues ksym (not every kernel puts per-CPU data
		 * in kallsyms).
		 */
		__u64 queued = next->sched_info.last_queued;

		if (queued) {
			__u64 clock = next->se.cfs_rq->rq->clock;

			pending = clock > queued ? clock - queued : 0;
		}
	}

	if (c->last_switch_ns) {
		prev_cg = charge_prev(c, prev, prev_id, matched, prev_runnable, now, pending);
		if (prev_id && prev_runnable && next_id && track_preemptors)
			count_preemption(prev_id, next_id, c);
	}
	c->last_switch_ns = now;
	if (!next_id) {
		c->idle_at_switch_in = c->idle_ns;
		c->nohz_idle_start = 0;
		c->nohz_inidle = 0;
	}
	c->cur_cgroup = next_id;
	c->cur_exec_start = next->se.sum_exec_runtime;
	c->cur_task = (__u64)next;
	c->switches++;

	if (track_rqlat && !use_sched_info && prev_runnable)
		mark_waiting(prev, now, true);

	if (!next_id)
		return 0;
	next_cg = next_id == prev_id && prev_cg ?
			  prev_cg :
			  lookup_or_init(&cgroup_stats, &next_id, &zero_cgroup, c);
	if (!next_cg)
		return 0;
	next_cg->scheduled++;
	if (!track_rqlat)
		return 0;
	if (waits_from_sched_info(next))
		counted = wait_from_sched_info(next, pending, c, &wait);
	else
		counted = wait_from_wakeup(next, now, &wait);
	if (counted)
		hist_add(next_cg, wait);
	return 0;
}

/*
 * NO_HZ idle.  /proc/stat idle is tick_sched.idle_sleeptime (fs/proc/stat.c
 * get_idle_time -> get_cpu_idle_time_us), not the idle task's time: it
 * opens in tick_nohz_idle_enter, closes at every interrupt taken while idle
 * (irq_enter_rcu -> tick_irq_enter -> tick_nohz_irq_enter ->
 * tick_nohz_stop_idle), reopens at irq exit (tick_irq_exit ->
 * tick_nohz_irq_exit, only while in the idle loop with nothing to run) and
 * closes for good in tick_nohz_idle_exit.  The idle task's time before and
 * after the loop, every interrupt and the softirqs run on its exit fall
 * outside (under emulation, a large part of a window: docs/metrics.md,
 * "Idle").
 *
 * The kernel's per-CPU irq time (cpu_irqtime) cannot close it: Debian
 * builds without CONFIG_IRQ_TIME_ACCOUNTING, and where it exists it does not
 * cover tick_irq_enter..tick_nohz_irq_exit, nor the loop's edges.  Instead
 * this follows the four functions that open and close idle_sleeptime
 * spans.  They run only on an idle CPU (irq_enter_rcu calls tick_irq_enter
 * only when it interrupted the idle task, irq exit tick_nohz_irq_exit only
 * on an idle CPU), so a busy CPU pays nothing; the switch only splits the
 * idle task's time (a few stores, no lookup, no clock read).
 *
 * The span edges are the kernel's own timestamps: tick_nohz_start_idle and
 * tick_nohz_stop_idle both store theirs in tick_sched.idle_entrytime, read
 * here after the call.  A clock read of our own cannot be at the kernel's
 * instant (under emulation the clock read itself is slow; the lab's
 * figures are in docs/metrics.md).  Without
 * the tick_cpu_sched symbol in BTF, our own clock after the call stands
 * in.  Time that idle_sleeptime puts in iowait is idle here: compare with
 * /proc/stat idle + iowait.  Spans count only after this CPU's first
 * switch, where its accounting starts.
 */
extern struct tick_sched tick_cpu_sched __ksym __weak;

static __always_inline struct cpool_bpf_cpu *nohz_cpu(void)
{
	__u32 zero = 0;
	struct cpool_bpf_cpu *c = bpf_map_lookup_elem(&cpu_stats, &zero);

	return c && c->last_switch_ns && !c->cur_cgroup ? c : NULL;
}

/* When the kernel last opened or closed this CPU's idle span. */
static __always_inline __u64 nohz_edge(void)
{
	if (&tick_cpu_sched) {
		struct tick_sched *ts = bpf_this_cpu_ptr(&tick_cpu_sched);

		return ts->idle_entrytime;
	}
	return bpf_ktime_get_ns();
}

static __always_inline void nohz_close(struct cpool_bpf_cpu *c)
{
	__u64 end;

	if (!c->nohz_idle_start)
		return;
	end = nohz_edge();
	if (end > c->nohz_idle_start)
		c->idle_ns += end - c->nohz_idle_start;
	c->nohz_idle_start = 0;
}

SEC("fexit/tick_nohz_idle_enter")
int BPF_PROG(cpool_idle_enter)
{
	struct cpool_bpf_cpu *c = nohz_cpu();

	if (c) {
		c->nohz_inidle = 1;
		c->nohz_idle_start = nohz_edge();
	}
	return 0;
}

SEC("fexit/tick_irq_enter")
int BPF_PROG(cpool_idle_irq_enter)
{
	struct cpool_bpf_cpu *c = nohz_cpu();

	if (c)
		nohz_close(c);
	return 0;
}

SEC("fexit/tick_nohz_irq_exit")
int BPF_PROG(cpool_idle_irq_exit)
{
	struct cpool_bpf_cpu *c = nohz_cpu();

	if (c && c->nohz_inidle)
		c->nohz_idle_start = nohz_edge();
	return 0;
}

SEC("fexit/tick_nohz_idle_exit")
int BPF_PROG(cpool_idle_exit)
{
	struct cpool_bpf_cpu *c = nohz_cpu();

	if (c) {
		nohz_close(c);
		c->nohz_inidle = 0;
	}
	return 0;
}
