// SPDX-License-Identifier: GPL-2.0-only
/*
 * Scheduler metrics for cpool: per-CPU busy/idle time and switches, per
 * cgroup run time, run-queue latency and who preempted whom.
 *
 * Everything is counted in kernel and read by polling; nothing is sent per
 * event.  The hot path (sched_switch) touches a per-CPU array element
 * for the CPU, whose cache of the tasks that arrived on it usually stands
 * in for next's task local storage, and the per-CPU array element of each
 * cgroup involved (one when prev and next share a cgroup): no hash
 * lookup, no helper call.  A cgroup's element (its slot) is found by hash
 * once, when one of its tasks is first seen, and kept in the task's
 * storage, the CPU's arrival cache and the CPU's state while it runs.
 * Per-CPU values need no atomics.
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
/*
 * For tools/bench-bpf-overhead only, which measures what each part of the
 * switch costs: when not 0, the switch program stops after part
 * bench_parts (see cpool_switch; 1: at once).  The programs cpool
 * loads have it 0, and the verifier drops the tests of a known constant.
 */
const volatile __u32 bench_parts = 0;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cpool_bpf_cpu);
} cpu_stats SEC(".maps");

/* Per cgroup, at the slot cgroup_slots gives it (see bpf_metrics.h). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CPOOL_BPF_MAX_CGROUPS);
	__type(key, __u32);
	__type(value, struct cpool_bpf_cgroup);
} cgroup_stats SEC(".maps");

/* cgroup v2 id -> its slot in cgroup_stats. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CPOOL_BPF_MAX_CGROUPS);
	__type(key, __u64);
	__type(value, __u32);
} cgroup_slots SEC(".maps");

/* Slots no cgroup holds: filled by the collector, which returns the slots of dead cgroups. */
struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, CPOOL_BPF_MAX_CGROUPS);
	__type(value, __u32);
} free_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, CPOOL_BPF_MAX_PREEMPT_PAIRS);
	__type(key, struct cpool_bpf_preempt_key);
	__type(value, __u64);
} preemptions SEC(".maps");

/*
 * Per task.  With sched_info: the baseline of its next wait, run_delay as
 * it stood after its last arrival on a CPU, valid while pcount equals the
 * task's sched_info.pcount (written at an arrival that missed the CPU's
 * arrival cache, or by the migration program); a hit in the cache leaves
 * it behind.  Without sched_info: when it became runnable (0 = not
 * waiting).  And the slot of the cgroup it was in when it last came in.
 */
struct task_wait {
	__u64 since_ns;
	__u64 run_delay;
	__u64 seen;
	__u64 cgroup_id;
	__u32 slot;
	__u32 pad;
	__u64 pcount;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct task_wait);
} task_waits SEC(".maps");

/*
 * Arrival cache entries pushed out while their task's storage was behind
 * them (see cpool_migrate): pid -> what the entry held.  LRU, so entries
 * of tasks that never needed them age out; per-CPU lists, so a CPU's
 * evictions push out its own oldest only (the entries are split between
 * the CPUs).
 */
struct evicted_arrival {
	__u64 task;
	__u64 pcount;
	__u64 run_delay;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(map_flags, BPF_F_NO_COMMON_LRU);
	__uint(max_entries, 8 * CPOOL_BPF_EVICTED_PER_CPU); /* the collector: per possible CPU */
	__type(key, __u32);
	__type(value, struct evicted_arrival);
} evicted_arrivals SEC(".maps");

/* Initial value for new entries: too big for the BPF stack. */
static const struct cpool_bpf_cgroup zero_cgroup;

#define NO_SLOT 0xffffffffu

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

/*
 * This CPU's entry of cgroup @id at @slot, or NULL when this CPU's copy is
 * not (or no longer) that cgroup's: a slot from a task's storage or the
 * CPU's state can be stale once the collector returned it.
 */
static __always_inline struct cpool_bpf_cgroup *slot_entry(__u32 slot, __u64 id)
{
	struct cpool_bpf_cgroup *cg;

	if (slot == NO_SLOT)
		return NULL;
	cg = bpf_map_lookup_elem(&cgroup_stats, &slot);
	return cg && cg->id == id ? cg : NULL;
}

/*
 * The slow path, once per cgroup per CPU (and per task for its cache): the
 * slot of cgroup @id from cgroup_slots, a free one when it has none (a
 * race with another CPU leaves theirs), and this CPU's copy made that
 * cgroup's, from zero, when it was another's.  Returns the entry and
 * stores the slot in *@slot_out; NULL when every slot is taken.
 */
static __noinline struct cpool_bpf_cgroup *claim_slot(__u64 id, struct cpool_bpf_cpu *c,
						      __u32 *slot_out)
{
	struct cpool_bpf_cgroup *cg;
	__u32 *known, slot;
	long err;

	known = bpf_map_lookup_elem(&cgroup_slots, &id);
	if (known) {
		slot = *known;
	} else {
		if (bpf_map_pop_elem(&free_slots, &slot)) {
			c->failed_updates++;
			return NULL;
		}
		err = bpf_map_update_elem(&cgroup_slots, &id, &slot, BPF_NOEXIST);
		if (err) {
			bpf_map_push_elem(&free_slots, &slot, 0);
			known = err == -EEXIST ? bpf_map_lookup_elem(&cgroup_slots, &id) : NULL;
			if (!known) {
				c->failed_updates++;
				return NULL;
			}
			slot = *known;
		}
	}
	cg = bpf_map_lookup_elem(&cgroup_stats, &slot);
	if (!cg)
		return NULL;
	if (cg->id != id) {
		/* Updating a per-CPU array from BPF writes this CPU's copy only. */
		if (bpf_map_update_elem(&cgroup_stats, &slot, &zero_cgroup, BPF_ANY)) {
			c->failed_updates++;
			return NULL;
		}
		cg->id = id;
	}
	*slot_out = slot;
	return cg;
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

/*
 * A task's storage is created where no scheduler lock is held: when the
 * task is created (cpool_newtask) and, for the tasks that existed before,
 * by the collector's one pass of cpool_iter_tasks after attaching.  The
 * scheduler's programs only look it up.  On 6.1 creating it allocates
 * with a memory cgroup charge, and the charge may drop the last reference
 * of a removed memory cgroup, whose release queues work and wakes a
 * kworker: from sched_switch, with this CPU's runqueue locked, that woke a
 * kworker of this CPU and spun for ever on the lock it held (a lab RCU
 * stall, docs/lab.md).  Until the collector's pass is done a missing
 * storage is expected, not a failed update (tasks_primed).
 */
volatile bool tasks_primed = false;

static __always_inline struct task_wait *task_wait_of(struct task_struct *t,
						      struct cpool_bpf_cpu *c)
{
	struct task_wait *w = bpf_task_storage_get(&task_waits, t, NULL, 0);

	if (!w && c && tasks_primed)
		c->failed_updates++;
	return w;
}

SEC("tp_btf/task_newtask")
int BPF_PROG(cpool_newtask, struct task_struct *task, __u64 clone_flags)
{
	bpf_task_storage_get(&task_waits, task, NULL, BPF_LOCAL_STORAGE_GET_F_CREATE);
	return 0;
}

SEC("iter/task")
int cpool_iter_tasks(struct bpf_iter__task *ctx)
{
	struct task_struct *t = ctx->task;

	if (t)
		bpf_task_storage_get(&task_waits, t, NULL, BPF_LOCAL_STORAGE_GET_F_CREATE);
	return 0;
}

static __always_inline void mark_waiting(struct task_struct *t, __u64 now, bool overwrite)
{
	struct task_wait *w;

	w = task_wait_of(t, NULL);
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

static __always_inline void save_evicted(const struct cpool_bpf_arrival *e)
{
	struct evicted_arrival v = { .task = e->task,
				     .pcount = e->pcount,
				     .run_delay = e->run_delay };
	__u32 key = e->pid;

	bpf_map_update_elem(&evicted_arrivals, &key, &v, BPF_ANY);
}

/*
 * Charges what ran on this CPU since the last switch to the CPU: the idle
 * task's time split into idle and busy, anything else busy.  @woke: how
 * long next has been queued (sched_info path), the end of the idle task's
 * idle.
 */
static __always_inline void charge_cpu(struct cpool_bpf_cpu *c, __u64 prev_id, __u64 now,
				       __u64 woke)
{
	__u64 ran = now - c->last_switch_ns, counted;

	if (prev_id) {
		c->busy_ns += ran;
	} else if (nohz_idle) {
		/* A span the idle loop left open (a missed hook) ends here. */
		if (c->nohz_idle_start && now > c->nohz_idle_start)
			c->idle_ns += now - c->nohz_idle_start;
		c->nohz_idle_start = 0;
		c->nohz_inidle = 0;
		/* Of the idle task's time, what the idle hooks did not count is work. */
		counted = c->idle_ns - c->idle_at_switch_in;
		c->busy_ns += counted < ran ? ran - counted : 0;
	} else {
		/*
		 * Like /proc/stat, idle ends when the task that ends it is
		 * woken onto this CPU, not at this switch: the way from the
		 * wakeup through tick restart to here is work.
		 */
		if (woke > ran)
			woke = ran;
		c->idle_ns += ran - woke;
		c->busy_ns += woke;
	}
}

/*
 * The entry of @t in a CPU's arrival cache: a multiplicative hash of its
 * pid (unique among live tasks; the verifier allows no arithmetic on its
 * address).
 */
static __always_inline struct cpool_bpf_arrival *arrival_slot(struct cpool_bpf_cpu *c,
							      struct task_struct *t)
{
	__u64 h = ((__u64)(__u32)t->pid * 0x9e3779b97f4a7c15ULL) >> (64 - CPOOL_BPF_ARRIVAL_BITS);

	return &c->arrivals[h & (CPOOL_BPF_ARRIVALS - 1)];
}

/*
 * Whether @e is @t's last arrival: no arrival of @t since (sched_info_arrive()
 * bumps pcount at every arrival that counts a wait, and changes run_delay
 * at no other), so e->run_delay is still the baseline of @t's next wait.
 */
static __always_inline bool arrival_is(const struct cpool_bpf_arrival *e, struct task_struct *t,
				       __u64 pcount)
{
	return e->task == (__u64)t && e->pid == (__u32)t->pid && e->pcount == pcount;
}

/*
 * The baseline of next's wait from its task storage, on a miss of this
 * CPU's arrival cache.  The storage is current when stamped with next's
 * pcount.  Otherwise next's last arrival was a cache hit somewhere, and
 * since then run_delay moved only if next was moved while queued
 * (sched_info_dequeue()); cpool_migrate stamps the storage at every such
 * move, so an unstamped one still holds the run_delay of that arrival.
 * False at first sight, when the start of next's wait is unknown unless it
 * never ran (the baseline is then 0).
 */
static __always_inline bool baseline_from_storage(struct task_struct *next, struct task_wait *w,
						  __u64 pcount, __u64 *baseline)
{
	__u64 stamped, unmoved;

	if (!w->seen) {
		w->seen = 1;
		*baseline = 0;
		return !pcount;
	}
	/* Both read first: a select of two pointers is one load the verifier refuses. */
	stamped = w->run_delay;
	unmoved = next->sched_info.run_delay;
	barrier_var(stamped);
	barrier_var(unmoved);
	*baseline = w->pcount == pcount ? stamped : unmoved;
	return true;
}

/* next's wait from the wakeup programs' stamp (kernels without sched_info). */
static __always_inline bool wait_from_wakeup(struct task_wait *w, __u64 now, __u64 *wait)
{
	if (!w->since_ns)
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

/*
 * The run time of a prev this CPU did not see come in: its gain since the
 * scheduler last picked it (prev_sum_exec_runtime, kept by the fair
 * class), no more than the time since this CPU's last clocked switch.
 */
static __always_inline __u64 unmatched_run(struct task_struct *prev, __u64 exec, __u64 clocked)
{
	__u64 start = prev->se.prev_sum_exec_runtime;
	__u64 ran = exec > start ? exec - start : 0;

	return ran < clocked ? ran : clocked;
}

/*
 * Parts of the switch, in the order they run, for bench_parts: 1 the
 * dispatch alone (nothing runs); 2 the CPU's state; 3 the kernel fields
 * (cgroup ids, states, sched_info, run time), the clock where idle is
 * involved and the CPU's busy and idle time; 4 the cgroup entries (the
 * arrival cache or task storage, slots, run time, switches, preemptions)
 * and the wait's baseline; 5 the run-queue wait; then the histogram.
 */
#define BENCH_STOP_AFTER(part) (bench_parts && bench_parts <= (part))

SEC("tp_btf/sched_switch")
int BPF_PROG(cpool_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	struct cpool_bpf_cgroup *prev_cg = NULL, *next_cg = NULL;
	__u64 now = 0, next_id = 0, prev_id, pending = 0, wait = 0, exec;
	__u64 pcount = 0, baseline = 0, total, queued = 0;
	__u32 zero = 0, prev_slot, next_slot = NO_SLOT;
	bool prev_runnable, matched, counted, known = false;
	struct cpool_bpf_arrival *arrival = NULL;
	struct cpool_bpf_cpu *c;
	struct task_wait *w = NULL;

	if (BENCH_STOP_AFTER(1))
		return 0;
	c = bpf_map_lookup_elem(&cpu_stats, &zero);
	if (!c)
		return 0;
	if (BENCH_STOP_AFTER(2))
		goto switched;

	/*
	 * prev->__state rather than the tracepoint's prev_state argument: a
	 * sleeper with a signal pending stays runnable although prev_state
	 * says otherwise, and the kernel's run_delay follows __state.
	 */
	prev_runnable = prev->pid && prev->__state == TASK_RUNNING;
	next_id = next->pid ? task_cgroup_id(next) : 0;
	prev_id = c->cur_cgroup;
	prev_slot = (__u32)c->cur_slot;
	/*
	 * What this CPU recorded at the last switch belongs to prev only if
	 * prev is the task switched in then; otherwise (a switch this
	 * program did not see) charge prev's own cgroup by the clock.
	 */
	matched = c->cur_task == (__u64)prev;
	if (!matched && c->last_switch_ns) {
		c->unmatched++;
		prev_id = prev->pid ? task_cgroup_id(prev) : 0;
		prev_slot = NO_SLOT;
	}
	if (next_id && waits_from_sched_info(next)) {
		/*
		 * How long next has been queued, in rq->clock.  Every task's
		 * se.cfs_rq points into its CPU's rq, here this one: rq->clock
		 * without the runqueues ksym (not every kernel puts per-CPU data
		 * in kallsyms).
		 */
		queued = next->sched_info.last_queued;
		if (queued) {
			__u64 clock = next->se.cfs_rq->rq->clock;

			pending = clock > queued ? clock - queued : 0;
		}
	}
	/*
	 * The scheduler updated prev's sum_exec_runtime before this
	 * tracepoint: its gain is exactly what cpu.stat was charged.
	 */
	exec = prev->se.sum_exec_runtime;
	/*
	 * The clock only where it counts: where the idle task comes or goes
	 * (the CPU's busy time runs from one to the other: a switch between
	 * two tasks leaves it running), where prev's run time cannot come
	 * from sum_exec_runtime, and for the wakeup programs' stamps.  Reading
	 * it is the dearest thing here on some hosts (a kvm-clock without a
	 * stable TSC: 100 ns and more).
	 */
	if (!prev_id || !next_id || !matched || !c->last_switch_ns ||
	    (track_rqlat && !use_sched_info)) {
		now = bpf_ktime_get_ns();
		if (c->last_switch_ns)
			charge_cpu(c, prev_id, now, pending);
		else
			prev_id = 0; /* this CPU's first switch: nothing to charge */
	}
	if (BENCH_STOP_AFTER(3))
		goto switched;

	if (prev_id) {
		prev_cg = slot_entry(prev_slot, prev_id);
		if (!prev_cg)
			prev_cg = claim_slot(prev_id, c, &prev_slot);
	}
	if (prev_cg) {
		if (matched)
			prev_cg->run_ns += exec > c->cur_exec_start ? exec - c->cur_exec_start : 0;
		else
			prev_cg->run_ns += unmatched_run(prev, exec, now - c->last_switch_ns);
		if (prev_runnable)
			prev_cg->preempted++;
	}
	if (prev_id && prev_runnable && next_id && track_preemptors)
		count_preemption(prev_id, next_id, c);
	if (!next_id)
		goto switched;

	/*
	 * What the switch needs of next: its wait's baseline and its cgroup's
	 * slot.  From this CPU's arrival cache when next last arrived here;
	 * from its task storage otherwise (a miss), which is then written.
	 * Without sched_info, from the storage (the wakeup programs' stamp).
	 */
	if (waits_from_sched_info(next)) {
		pcount = next->sched_info.pcount;
		arrival = arrival_slot(c, next);
		if (arrival_is(arrival, next, pcount)) {
			known = true;
			baseline = arrival->run_delay;
			arrival->hits++;
			if (arrival->cgroup_id == next_id)
				next_slot = arrival->slot;
		} else {
			c->arrival_misses++;
			/* Its storage is behind it: keep what the entry knew for cpool_migrate. */
			if (arrival->task && arrival->hits)
				save_evicted(arrival);
			w = task_wait_of(next, c);
			arrival->task = (__u64)next;
			arrival->pid = (__u32)next->pid;
			arrival->pcount = ~0ULL; /* matches nothing until written below */
			arrival->hits = 0;
			arrival->cgroup_id = 0;
			if (w) {
				known = baseline_from_storage(next, w, pcount, &baseline);
				if (w->cgroup_id == next_id)
					next_slot = w->slot;
			} else {
				arrival->task = 0; /* nothing to keep it current */
			}
		}
	} else {
		w = task_wait_of(next, c);
		if (w && w->cgroup_id == next_id)
			next_slot = w->slot;
	}
	if (next_id == prev_id && prev_cg) {
		next_cg = prev_cg;
		next_slot = prev_slot;
	} else {
		next_cg = slot_entry(next_slot, next_id);
		if (!next_cg)
			next_cg = claim_slot(next_id, c, &next_slot);
	}
	if (!next_cg)
		goto switched;
	if (arrival && (arrival->cgroup_id != next_id || arrival->slot != next_slot)) {
		arrival->cgroup_id = next_id;
		arrival->slot = next_slot;
	}
	if (w && (w->cgroup_id != next_id || w->slot != next_slot)) {
		w->cgroup_id = next_id;
		w->slot = next_slot;
	}
	next_cg->scheduled++;
	/*
	 * run_delay as sched_info_arrive() is about to leave it (@pending:
	 * rq->clock - last_queued): the baseline of next's next wait.
	 */
	total = 0;
	if (arrival) {
		total = next->sched_info.run_delay + pending;
		/* sched_info_arrive() bumps pcount only when next was queued. */
		arrival->pcount = pcount + (queued ? 1 : 0);
		arrival->run_delay = total;
		if (w) {
			w->pcount = arrival->pcount;
			w->run_delay = total;
		}
	}
	if (!track_rqlat || BENCH_STOP_AFTER(4))
		goto switched;

	/*
	 * next's wait: the growth of run_delay since its last arrival, what
	 * sched_info_arrive() adds now plus what sched_info_dequeue() added
	 * while next was moved between run queues.  Less than the baseline:
	 * not ours to explain, start again.
	 */
	if (arrival) {
		counted = known && total >= baseline;
		wait = total - baseline;
	} else {
		counted = w && wait_from_wakeup(w, now, &wait);
	}
	if (counted && !BENCH_STOP_AFTER(5))
		hist_add(next_cg, wait);

switched:
	if (now)
		c->last_switch_ns = now;
	if (!next_id) {
		c->idle_at_switch_in = c->idle_ns;
		c->nohz_idle_start = 0;
		c->nohz_inidle = 0;
	}
	c->cur_cgroup = next_id;
	c->cur_slot = next_slot;
	c->cur_exec_start = next->se.sum_exec_runtime;
	c->cur_task = (__u64)next;
	c->cur_pid = next->pid;
	c->switches++;
	if (track_rqlat && !use_sched_info && prev->pid && prev->__state == TASK_RUNNING)
		mark_waiting(prev, now, true);
	return 0;
}

/*
 * A task moved to another CPU.  Between two arrivals of a task its
 * run_delay grows only here: sched_info_dequeue() adds the time it waited
 * in the old run queue when a queued task is moved (deactivate_task()
 * before set_task_cpu(), whose tracepoint this is).  The next arrival
 * counts that as part of the wait, from the baseline of the last arrival,
 * which may sit in the old CPU's arrival cache only (a hit there leaves
 * the task storage behind).  This copies it into the task storage, stamped
 * with the task's pcount, where the next arrival's miss finds it.
 *
 * The old CPU's cache is read under that CPU's run-queue lock, which every
 * move of a queued task holds (deactivate_task() needs it) and under
 * which that CPU's switch writes its cache: no torn entry.  A task that is
 * not queued (a wakeup placing a sleeper on another CPU; no rq lock of
 * the old CPU held) needs no cache: it slept since its last arrival, so it
 * was not moved while queued since, and run_delay is still the baseline.
 * Its entry pushed out of the old CPU's cache since, the baseline comes
 * from evicted_arrivals; found nowhere (that LRU map overflowed), the part
 * of the wait before this move is lost and counted in lost_baselines.
 */
SEC("tp_btf/sched_migrate_task")
int BPF_PROG(cpool_migrate, struct task_struct *p, int dest_cpu)
{
	struct cpool_bpf_arrival *e;
	struct evicted_arrival *v;
	struct cpool_bpf_cpu *old, *c;
	struct task_wait *w;
	__u32 zero = 0, key = (__u32)p->pid;
	__u64 pcount;

	if (!waits_from_sched_info(p) || !p->pid)
		return 0;
	w = bpf_task_storage_get(&task_waits, p, NULL, 0);
	if (!w || !w->seen)
		return 0; /* never arrived while we watched: first-sight rules */
	pcount = p->sched_info.pcount;
	if (w->pcount == pcount)
		return 0; /* current already */
	w->pcount = pcount;
	if (!p->on_rq) {
		w->run_delay = p->sched_info.run_delay;
		return 0;
	}
	/* Still the old CPU's: set_task_rq() runs after this tracepoint. */
	old = bpf_map_lookup_percpu_elem(&cpu_stats, &zero, p->se.cfs_rq->rq->cpu);
	if (old) {
		e = arrival_slot(old, p);
		if (arrival_is(e, p, pcount)) {
			w->run_delay = e->run_delay;
			return 0;
		}
	}
	v = bpf_map_lookup_elem(&evicted_arrivals, &key);
	if (v && v->task == (__u64)p && v->pcount == pcount) {
		w->run_delay = v->run_delay;
		return 0;
	}
	w->run_delay = p->sched_info.run_delay;
	c = bpf_map_lookup_elem(&cpu_stats, &zero);
	if (c)
		c->lost_baselines++;
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
