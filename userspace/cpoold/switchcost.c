// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * What a switch between jobs costs, measured: a preempting policy (rr,
 * srtf, mlfq, ...) hands a VS's CPUs from one job to another by freezing
 * the first job's leaf and starting or thawing the next, and none of that
 * is instant (tens of milliseconds each under the lab's TCG, against
 * 100 ms quanta).  The simulator can charge a switch cost; this is where
 * the daemon says what the cost really was, so that cpool bench can give
 * the simulator the measured figure instead of a guessed or fitted one.
 *
 * Per switch, on the daemon's clock:
 *   late      the round that preempts runs after the quantum's end, which
 *             is when the policy decided;
 *   freeze    from the freeze request to cgroup.events saying frozen, and
 *             the CPU time per CPU the job still used in that window;
 *   handover  from the CPUs given back (the freeze completed) to the start
 *             or resume of the next job on them (the instant jobs_start()
 *             is called: its slice starts then);
 *   thaw      from there (the leaf's cpuset is set first) to cgroup.events
 *             saying thawed, and the CPU time per CPU the job used in
 *             that window.
 * And, under any policy, each launch: from the start (the job's CPUs are
 * its own from then) to its exec, which its leaf's CPU time does not
 * count; and the dispatch after an end: from a job's end (its
 * supervisor's clock) to the start or resume of the next job on its CPUs,
 * when the round after the end started one there (a policy that holds the
 * CPUs back, as fcfs before a wide job, is not the daemon's delay).
 * Cumulative since the daemon started, in `stats` (docs/protocol.md): a
 * reader takes the difference over its interval.
 */
#include <math.h>

#include "cpoold.h"

/* The leaf's CPU time in seconds; < 0 when it cannot be read. */
static double leaf_cpu_s(struct cpoold *d, const struct djob *j)
{
	struct cpool_cg_cpu_stat st;
	struct cpool_error e = { 0 };

	if (cpool_cg_read_cpu_stat(&d->pool, j->leaf, &st, &e))
		return -1;
	return (double)st.usage_usec / 1e6;
}

/* Before the request: cgroup.events may say it is done before request_freeze() returns. */
void switchcost_asked(struct cpoold *d, struct djob *j, bool freeze, double at)
{
	j->switch_asked_at = at;
	j->switch_cpu_s = leaf_cpu_s(d, j);
	j->switch_timed = true;
	j->switch_freeze = freeze;
}

void switchcost_done(struct cpoold *d, struct djob *j, bool frozen)
{
	struct switch_cost *s = &d->switches;
	double at, wait, cpu, ran = 0;

	/* A thaw to kill it, after a timed freeze, is no switch. */
	if (!j->switch_timed || j->switch_freeze != frozen)
		return;
	j->switch_timed = false;
	/*
	 * One reading of the clock ends both the freeze's wait and the turn.
	 * The CPUs were given back just before (the handover that follows
	 * starts there), and the leaf's reading below takes milliseconds
	 * under load (five cgroup files: 2 ms median, up to 42 ms in the
	 * lab) while the job is frozen: a second reading after it made the
	 * turn overlap that handover, and its idle was counted in both.
	 */
	at = now_s();
	wait = at - j->switch_asked_at;
	cpu = leaf_cpu_s(d, j);
	if (cpu >= 0 && j->switch_cpu_s >= 0 && cpu > j->switch_cpu_s && j->rec.cpus > 0)
		ran = (cpu - j->switch_cpu_s) / j->rec.cpus;
	if (frozen && j->turn_open && cpu >= 0 && j->rec.cpus > 0) {
		double len = at - j->turn_at;
		double idle = fmax(0, len - (cpu - j->turn_cpu_s) / j->rec.cpus);

		j->turn_open = false;
		if (j->turn_launch) {
			/*
			 * The job's own, in its record (history's
			 * `launch_idle`): a launch's idle is its wait for
			 * the exec less what its leaf ran before it, and
			 * both differ job by job.
			 */
			j->rec.launch_idle = fmax(idle, 1e-6);
			s->launch_turns++;
			s->launch_turn_s += len;
			s->launch_turn_idle_s += idle;
		} else {
			s->resume_turns++;
			s->resume_turn_s += len;
			s->resume_turn_idle_s += idle;
			j->rec.resume_turns++;
			j->rec.resume_turn += len;
			j->rec.resume_turn_idle += idle;
		}
	}
	if (frozen) {
		s->freezes++;
		s->freeze_wait_s += wait;
		s->freeze_ran_s += ran;
	} else {
		s->thaws++;
		s->thaw_wait_s += wait;
		s->thaw_ran_s += ran;
	}
}

void switchcost_late(struct cpoold *d, int64_t decided_us, int64_t asked_us)
{
	int64_t late = asked_us - decided_us;

	d->switches.preemptions++;
	if (late > 0)
		d->switches.late_s += (double)late / 1e6;
}

/*
 * A turn is read at its two ends only, when its leaf is still: at a resume
 * the job is frozen until the thaw asked for after the reading
 * (jobs_start() takes it for the thaw's timing), at a launch its leaf has
 * no CPU time yet (the supervisor creates it), and at the end the freeze
 * has completed.  Read in between, while the job runs, the CPU time moves
 * under the reading.
 */
void switchcost_turn_begun(struct cpoold *d, struct djob *j, bool resume)
{
	(void)d;
	/* A resume's thaw may be confirmed already: switch_timed is cleared, the reading kept. */
	j->turn_open = !resume || (!j->switch_freeze && j->switch_cpu_s >= 0);
	j->turn_launch = !resume;
	j->turn_at = resume ? j->switch_asked_at : j->rec.start_time;
	j->turn_cpu_s = resume ? j->switch_cpu_s : 0;
}

void switchcost_released(struct vsrv *v)
{
	if (!v->n_released++)
		v->released_at = now_s();
}

void switchcost_ended(struct vsrv *v, double end)
{
	if (!v->n_ended++)
		v->ended_at = end;
}

/* Returns the end handover's wait, seconds, when this start was one; < 0 otherwise. */
double switchcost_started(struct cpoold *d, struct vsrv *v, double at)
{
	if (v->n_released) {
		v->n_released--;
		d->switches.handovers++;
		d->switches.handover_wait_s += at - v->released_at;
	} else if (v->n_ended) {
		v->n_ended--;
		d->switches.end_handovers++;
		d->switches.end_handover_wait_s += at - v->ended_at;
		return at - v->ended_at;
	}
	return -1;
}

/*
 * CPUs given back that the round after did not hand to anyone were not
 * a switch: the next start there is a start onto idle CPUs.
 */
void switchcost_round_end(struct cpoold *d)
{
	for (int i = 0; i < d->n_vs; i++)
		d->vs[i].n_released = d->vs[i].n_ended = 0;
}

void switchcost_launched(struct cpoold *d, double wait)
{
	d->switches.launches++;
	if (wait > 0)
		d->switches.launch_wait_s += wait;
}

json_t *switchcost_json(const struct cpoold *d)
{
	const struct switch_cost *s = &d->switches;
	const struct {
		const char *name;
		long long n;
	} counts[] = {
		{ "launches", s->launches },
		{ "preemptions", s->preemptions },
		{ "freezes", s->freezes },
		{ "handovers", s->handovers },
		{ "thaws", s->thaws },
		{ "end_handovers", s->end_handovers },
		{ "launch_turns", s->launch_turns },
		{ "resume_turns", s->resume_turns },
	};
	const struct {
		const char *name;
		double s;
	} secs[] = {
		{ "launch_wait", s->launch_wait_s },
		{ "late", s->late_s },
		{ "freeze_wait", s->freeze_wait_s },
		{ "freeze_ran", s->freeze_ran_s },
		{ "handover_wait", s->handover_wait_s },
		{ "thaw_wait", s->thaw_wait_s },
		{ "thaw_ran", s->thaw_ran_s },
		{ "end_handover_wait", s->end_handover_wait_s },
		{ "launch_turn", s->launch_turn_s },
		{ "launch_turn_idle", s->launch_turn_idle_s },
		{ "resume_turn", s->resume_turn_s },
		{ "resume_turn_idle", s->resume_turn_idle_s },
	};
	json_t *o = json_object();

	for (size_t i = 0; o && i < sizeof(counts) / sizeof(counts[0]); i++)
		json_object_set_new(o, counts[i].name, json_integer(counts[i].n));
	for (size_t i = 0; o && i < sizeof(secs) / sizeof(secs[0]); i++)
		json_object_set_new(o, secs[i].name, json_real(secs[i].s));
	return o;
}
