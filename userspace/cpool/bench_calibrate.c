// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The calibrated prediction of cpool bench: the simulator re-run with the
 * runtimes and the dispatch cost the live run showed, and what still
 * separates it from the measurement.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "cpool/sim.h"

/*
 * The job whose end on @i's VS came last before @i's start (SIZE_MAX:
 * none): the end that freed the CPUs it started on, if any did.
 */
static size_t freed_by(const struct bench_run *r, size_t i)
{
	const struct bench_job *j = &r->jobs[i];
	size_t freed = SIZE_MAX;

	for (size_t k = 0; k < r->n_jobs; k++) {
		const struct bench_job *x = &r->jobs[k];

		if (k != i && x->m_ok && strcmp(x->m_vs, j->m_vs) == 0 && x->m_end <= j->m_start &&
		    (freed == SIZE_MAX || x->m_end > r->jobs[freed].m_end))
			freed = k;
	}
	return freed;
}

/*
 * The daemon's dispatch delay: for each job that was queued when a job on
 * its VS ended, its start minus the latest such end before it; their
 * median.  Not the mean: where the policy holds a job back after an end
 * (fcfs behind a wide job that does not fit yet) the gap is the policy's
 * wait, seconds long, not the daemon's reaction, and the simulator models
 * that wait itself.
 */
static int dispatch_delay(const struct bench_run *r, double *median, size_t *n)
{
	double *gap = calloc(r->n_jobs ?: 1, sizeof(*gap));

	if (!gap)
		return -ENOMEM;
	*n = 0;
	for (size_t i = 0; i < r->n_jobs; i++) {
		const struct bench_job *j = &r->jobs[i];
		size_t k = j->m_ok ? freed_by(r, i) : SIZE_MAX;

		if (k != SIZE_MAX && r->jobs[k].m_end > j->m_submit)
			gap[(*n)++] = j->m_start - r->jobs[k].m_end;
	}
	qsort(gap, *n, sizeof(*gap), bench_cmp_double);
	*median = !*n ? 0 : *n % 2 ? gap[*n / 2] : (gap[*n / 2 - 1] + gap[*n / 2]) / 2;
	free(gap);
	return 0;
}

/*
 * Whether the daemon ever froze the job: its record's run time (the sum of
 * its turns, from each start or resume to the preemption or the end; the
 * first from its exec) and its launch (start to exec) fall short of its
 * occupancy.  That is the daemon's own count; the `ps` samples (4 a
 * second) stand in only for a daemon that does not report both, as they
 * miss freezes shorter than a poll: in the demo's rr runs a job that
 * shared its VS for one or two 100 ms turns was often never seen frozen,
 * and its occupancy, its frozen time in it, made it seconds longer in the
 * simulation, which froze it again.
 */
static bool was_frozen(const struct bench_job *j)
{
	if (j->m_run_time > 0 && j->m_launch >= 0)
		return j->m_end - j->m_start - j->m_launch - j->m_run_time > BENCH_FROZEN_MIN_S;
	return j->m_seen_frozen > 0;
}

/*
 * A resumed turn's idle per CPU: the job's own where the daemon reports
 * its turns (they differ job by job: per_job_switches()), else the run's
 * mean.
 */
static double resume_idle_of(const struct bench_run *r, const struct bench_job *j)
{
	if (j->m_resume_turns >= 1)
		return j->m_resume_turn_idle / j->m_resume_turns;
	return bench_per(r->sw.resume_turn_idle, r->sw.resume_turns);
}

/*
 * What a job held its CPUs for, in seconds.  Its occupancy (start to end),
 * unless it was frozen (a preempting policy, was_frozen()): then the
 * occupancy also counts the time it sat frozen, which the simulator models
 * itself, and its CPU time per CPU (its cgroup's usage, the kernel's count
 * of when it ran) stands in, plus what its first turn idled more than a
 * resumed one (@launch_extra_s, switch_cost(): the run's mean), mostly its
 * launch up to the exec.  Where the daemon reports the job's own first
 * turn's idle, that is used, and failing that its own launch about the
 * mean: launches under the lab's TCG took 0.04 to 0.5 s in one run, and
 * part of one is CPU time in the job's cgroup (the work before the exec),
 * so a job given the mean did up to a quarter second more or less work in
 * its first turn than it had.  The share of `ps` samples that found it
 * running was tried first and undercounted by half under rr with 100 ms
 * quanta.
 */
static double held_s(const struct bench_run *r, const struct bench_job *j, double launch_extra_s)
{
	const struct bench_switches *s = &r->sw;

	if (!was_frozen(j) || !(j->m_cpu_time > 0))
		return j->m_end - j->m_start;
	if (j->m_launch_idle > 0 && s->have && s->resume_turns >= 1)
		launch_extra_s = j->m_launch_idle - resume_idle_of(r, j);
	else if (j->m_launch >= 0 && s->have && s->launches > 0)
		launch_extra_s += j->m_launch - bench_per(s->launch_wait, s->launches);
	return fmax(j->m_cpu_time / j->job->cpus + launch_extra_s, 1e-6);
}

/*
 * Of held_s(), what its CPUs spent idle while the daemon launched it:
 * from the round that started it to its exec, the work (the supervisor's
 * fork, its records, the clone into the job's cgroup) is the daemon's, on
 * the system's CPUs.  Never frozen, its run time (the daemon's, from the
 * exec) is the rest of its occupancy; frozen, the launch turn's extra
 * idle added above.  Only the calibrated RUL leaves it out of the busy
 * time: the job still holds its CPUs for it.
 */
static double launch_idle_s(const struct bench_job *j, double launch_extra_s)
{
	if (j->m_seen_frozen && j->m_cpu_time > 0)
		return fmax(0, launch_extra_s);
	if (j->m_run_time > 0 && j->m_run_time <= j->m_end - j->m_start)
		return j->m_end - j->m_start - j->m_run_time;
	return 0;
}

double bench_per(double sum, double n)
{
	return n > 0 ? sum / n : 0;
}

/*
 * What the run's switches cost, from the daemon's own measurement
 * (cpoold's switchcost.c), for the simulator.  The daemon starts a job's
 * slice when it starts the job, after the previous job's freeze has
 * completed and its CPUs were handed over, so a turn lasts the quantum
 * plus the delay from the quantum's end to that start (the round's
 * lateness up to the freeze request, the freeze, the handover): the
 * simulator's quantum is made that long.  Of a turn, the CPUs did no work
 * for the handover before it and for the part of the turn its job did not
 * run: the daemon times each turn from the start or resume to the
 * completed freeze and reads the leaf's CPU time at those two ends only.
 * A resume's is the simulator's switch cost, charged at every dispatch.
 * A job's first turn (its launch, the exec included) idles longer: the
 * simulator charges it the switch cost like any other, so the difference
 * goes into the job's work (held_s()), once.  A daemon without the turns
 * gives the freeze's and thaw's windows less what the job ran in them,
 * read while it ran, and the launch to the exec.  Nothing here is fitted
 * to the outcome.
 */
static void switch_cost(struct bench_run *r)
{
	const struct bench_switches *s = &r->sw;
	double resume_idle;

	r->cal_turn_delay_s = r->cal_switch_cost_s = 0;
	r->cal_launch_extra_s = s->have ? bench_per(s->launch_wait, s->launches) : 0;
	if (!s->have || s->preemptions < 1)
		return;
	r->cal_turn_delay_s = bench_per(s->late, s->preemptions) +
			      bench_per(s->freeze_wait, s->freezes) +
			      bench_per(s->handover_wait, s->handovers);
	if (s->resume_turns < 1) {
		r->cal_switch_cost_s =
			fmax(0, bench_per(s->freeze_wait - s->freeze_ran, s->freezes)) +
			bench_per(s->handover_wait, s->handovers) +
			fmax(0, bench_per(s->thaw_wait - s->thaw_ran, s->thaws));
		return;
	}
	resume_idle = bench_per(s->resume_turn_idle, s->resume_turns);
	r->cal_switch_cost_s = resume_idle + bench_per(s->handover_wait, s->handovers);
	if (s->launch_turns >= 1)
		r->cal_launch_extra_s =
			bench_per(s->launch_turn_idle, s->launch_turns) - resume_idle;
}

/*
 * The freeze in the simulator instead of a longer quantum.  With a quantum
 * of its own length plus the delay (switch_cost()), every simulated turn
 * lasts the same and the CPUs change hands in the round at its end: on
 * two VSs two quantum ends that fall on one instant stay together, and
 * where rr's head of the queue waits for the other VS, the first idles a
 * whole turn every other turn.  The daemon decides at the quantum's end,
 * queues the job then, and hands its CPUs on when its freeze completes,
 * in a round of its own (jobs.c).  So: the job keeps its CPUs for the
 * round's lateness and the freeze (freeze_us), working through the late
 * round and what it ran during the freeze (freeze_ran_us); the next job
 * starts when they are given back, its handover charged to it, and its
 * quantum ends that much later, as the daemon counts its slice from its
 * start.  The switch cost loses the freeze's idle, now in the hold; a
 * turn lasts and works what it did.  Only from the daemon's turns (a
 * daemon without them keeps the longer quantum).
 */
static void freeze_hold(struct bench_run *r, struct cpool_sim_config *cfg)
{
	const struct bench_switches *s = &r->sw;
	double late, freeze, ran, handover;

	r->cal_freeze_s = r->cal_freeze_ran_s = 0;
	if (!s->have || s->preemptions < 1 || s->freezes < 1 || s->resume_turns < 1 ||
	    r->policy.quantum_us <= 0)
		return;
	late = bench_per(s->late, s->preemptions);
	freeze = bench_per(s->freeze_wait, s->freezes);
	ran = fmin(bench_per(s->freeze_ran, s->freezes), freeze);
	handover = bench_per(s->handover_wait, s->handovers);
	r->cal_freeze_s = late + freeze;
	r->cal_freeze_ran_s = late + ran;
	r->cal_switch_cost_s = fmax(0, r->cal_switch_cost_s - (freeze - ran));
	cfg->freeze_us = llround(r->cal_freeze_s * CPOOL_USEC_PER_SEC);
	cfg->freeze_ran_us = llround(r->cal_freeze_ran_s * CPOOL_USEC_PER_SEC);
	cfg->switch_cost_us = llround(r->cal_switch_cost_s * CPOOL_USEC_PER_SEC);
	cfg->policy.quantum_us = r->policy.quantum_us + llround(handover * CPOOL_USEC_PER_SEC);
}

/*
 * Each job's switch cost and hold after a preemption, as switch_cost()
 * and freeze_hold() make the run's, from its own resumed turns: the hold
 * is its turn's mean length past the quantum (the late round and the
 * freeze, as the daemon times the turn from the resume to the completed
 * freeze), and a simulated turn idles what its turns idled, plus the
 * handover before each, the hold idling the run's share of it.  In the
 * lab's demo a two-CPU job's turns idled 13-24 ms a CPU where one-CPU
 * jobs' idled 40-200 ms, and the run's means gave every job the same.
 * The arrays stay NULL (the run's figures for all) where no job reports
 * its turns or the run has no hold.
 */
static int per_job_switches(struct bench_run *r, int64_t **switch_cost, int64_t **freeze,
			    int64_t **freeze_ran)
{
	const struct bench_switches *s = &r->sw;
	double q = cpool_us_to_s(r->policy.quantum_us), handover, idle_share;
	bool any = false;

	*switch_cost = *freeze = *freeze_ran = NULL;
	for (size_t i = 0; i < r->n_jobs; i++) {
		r->jobs[i].c_switch_cost = r->cal_switch_cost_s;
		r->jobs[i].c_freeze = r->cal_freeze_s;
		r->jobs[i].c_freeze_ran = r->cal_freeze_ran_s;
		any |= r->jobs[i].m_ok && r->jobs[i].m_resume_turns >= 1;
	}
	if (!any || !s->have || s->resume_turns < 1 || !(r->cal_freeze_s > 0))
		return 0;
	*switch_cost = calloc(r->n_jobs, sizeof(**switch_cost));
	*freeze = calloc(r->n_jobs, sizeof(**freeze));
	*freeze_ran = calloc(r->n_jobs, sizeof(**freeze_ran));
	if (!*switch_cost || !*freeze || !*freeze_ran)
		return -ENOMEM;
	handover = bench_per(s->handover_wait, s->handovers);
	idle_share = (r->cal_freeze_s - r->cal_freeze_ran_s) / r->cal_freeze_s;
	for (size_t i = 0; i < r->n_jobs; i++) {
		struct bench_job *j = &r->jobs[i];

		if (j->m_ok && j->m_resume_turns >= 1) {
			double idle = resume_idle_of(r, j) + handover;
			double hold = fmax(0, j->m_resume_turn / j->m_resume_turns - q);
			double hold_idle = fmin(idle, hold * idle_share);

			j->c_freeze = hold;
			j->c_freeze_ran = hold - hold_idle;
			j->c_switch_cost = idle - hold_idle;
		}
		(*switch_cost)[i] = llround(j->c_switch_cost * CPOOL_USEC_PER_SEC);
		(*freeze)[i] = llround(j->c_freeze * CPOOL_USEC_PER_SEC);
		(*freeze_ran)[i] = llround(j->c_freeze_ran * CPOOL_USEC_PER_SEC);
	}
	return 0;
}

/* In whole quanta after the first: 0 when a launch is shorter than a quantum. */
static double slice_after(double launch, double q)
{
	return q > 0 && launch > q ? (ceil(launch / q) - 1) * q : 0;
}

/*
 * A launched job is not the policy's until its exec (cpoold's sched.c
 * leaves a starting job out of the snapshot), and its slice counts from
 * its start: its first quantum ends at the first quantum boundary at or
 * after the exec, not one quantum after its start as a resumed job's.
 * The simulator's turn is already the quantum and the turn delay, so the
 * first slice starts that many whole quanta later.  From the daemon's
 * mean launch to the exec; 0 when a launch is shorter than a quantum.
 */
static int64_t launch_slice_us(struct bench_run *r)
{
	double q = cpool_us_to_s(r->policy.quantum_us),
	       launch = r->sw.have ? bench_per(r->sw.launch_wait, r->sw.launches) : 0;

	r->cal_launch_slice_s = slice_after(launch, q);
	return llround(r->cal_launch_slice_s * CPOOL_USEC_PER_SEC);
}

/*
 * The same job by job, where the daemon reports each job's launch (the
 * run's mean for a job it does not): NULL when it reports none.  A job is
 * the policy's only once the daemon has read its start report, which
 * under load comes after the exec (one job ran 0.49 s past its exec
 * unpreempted in a loaded demo): where the daemon reports that read, the
 * first slice runs to the first boundary after it.
 */
static int64_t *launch_slice_each_us(const struct bench_run *r)
{
	double q = cpool_us_to_s(r->policy.quantum_us);
	int64_t *each;
	bool any = false;

	for (size_t i = 0; i < r->n_jobs; i++)
		any |= r->jobs[i].m_ok && r->jobs[i].m_launch >= 0;
	if (!any || !(each = calloc(r->n_jobs, sizeof(*each))))
		return NULL;
	for (size_t i = 0; i < r->n_jobs; i++) {
		const struct bench_job *j = &r->jobs[i];

		double until = j->m_launch + fmax(0, j->m_start_report);

		each[i] = j->m_ok && j->m_launch >= 0 ?
				  llround(slice_after(until, q) * CPOOL_USEC_PER_SEC) :
				  llround(r->cal_launch_slice_s * CPOOL_USEC_PER_SEC);
	}
	return each;
}

/*
 * Seconds into the run as the simulator's microseconds, rounded once per
 * value: the daemon reports one round's wall time on every job that round
 * saw (first_round, start_round), so equal rounds stay equal instants.
 */
static int64_t round_us(double s)
{
	return llround(s * CPOOL_USEC_PER_SEC);
}

/*
 * How long each job's CPUs stayed its own after its end, until the daemon
 * started the next job there, in microseconds: the run's mean
 * (@mean_us) gave every end the same delay, and they differ by a hundred
 * times (17 ms to 1.9 s in one sjf run of the demo, host load blips and
 * launches beside them), so a single slow handover moved every later
 * start of the simulation.  An end's own is the gap to the first start on
 * its VS after it, with no other end there between, of a job the daemon
 * says it started in the round right after an end (m_handover): a start
 * in a later round waited for the policy, which the simulator decides
 * itself, and a gap from the records alone would hide where it decides
 * otherwise.  The other ends keep the mean.  Only in a run nobody was
 * frozen in: there every start in the records is a first start.  NULL
 * when no end has its own.
 */
static int64_t *end_hold_each_us(const struct bench_run *r, int64_t mean_us)
{
	int64_t *each;
	bool any = false;

	for (size_t i = 0; i < r->n_jobs; i++)
		if (r->jobs[i].m_ok && was_frozen(&r->jobs[i]))
			return NULL;
	if (!(each = malloc((r->n_jobs ?: 1) * sizeof(*each))))
		return NULL;
	for (size_t i = 0; i < r->n_jobs; i++)
		each[i] = -1;
	for (size_t i = 0; i < r->n_jobs; i++) {
		const struct bench_job *j = &r->jobs[i];
		size_t freed;
		int64_t gap;

		if (!j->m_ok || !(j->m_handover > 0))
			continue;
		freed = freed_by(r, i);
		/*
		 * Not only a job queued at the end: one submitted after it and
		 * read in the same turn of the daemon's loop is handed the CPUs
		 * by the same round.
		 */
		if (freed == SIZE_MAX)
			continue;
		/* To the round that started the next job, where the daemon reports it (round_us()). */
		gap = round_us(j->m_start_round > 0 ? j->m_start_round : j->m_start) -
		      round_us(r->jobs[freed].m_end);

		if (each[freed] < 0 || gap < each[freed])
			each[freed] = gap;
		any = true;
	}
	for (size_t i = 0; i < r->n_jobs; i++)
		if (each[i] < 0)
			each[i] = mean_us;
	if (!any) {
		free(each);
		return NULL;
	}
	return each;
}

/* Job @i's hold after its end: its own, or the mean when no end has one. */
static int64_t hold_of(const int64_t *hold, size_t i, int64_t mean_us)
{
	return hold ? hold[i] : mean_us;
}

int bench_run_calibrate(const struct bench *b, struct bench_run *r)
{
	struct cpool_sim_config cfg = { .vs = b->vs,
					.n_vs = b->n_vs,
					.policy = r->policy,
					.background = &b->noise_bg,
					.n_background = b->n_noise_bg };
	struct cpool_sim_result res = { 0 };
	struct cpool_job *jobs = calloc(r->n_jobs ?: 1, sizeof(*jobs));
	int64_t delay_us, *each = NULL, *hold, *switch_cost_each, *freeze_each, *freeze_ran_each;
	int ret;

	if (!jobs || dispatch_delay(r, &r->cal_dispatch_s, &r->cal_dispatch_n)) {
		free(jobs);
		return -ENOMEM;
	}
	/*
	 * The daemon's own measure when it has one: the records cannot tell
	 * a job started after an end from one started at a quantum's end
	 * under rr, where the gap is the policy's wait (0.4-0.5 s in the
	 * demo's rr runs, against 0.04-0.1 s under fcfs).
	 */
	if (r->sw.have && r->sw.end_handovers > 0) {
		r->cal_dispatch_s = r->sw.end_handover_wait / r->sw.end_handovers;
		r->cal_dispatch_n = (size_t)r->sw.end_handovers;
	}
	delay_us = llround(fmax(0, r->cal_dispatch_s) * CPOOL_USEC_PER_SEC);
	hold = end_hold_each_us(r, delay_us);
	switch_cost(r);
	cfg.switch_cost_us = llround(r->cal_switch_cost_s * CPOOL_USEC_PER_SEC);
	if (cfg.policy.quantum_us > 0) {
		cfg.launch_slice_us = launch_slice_us(r);
		cfg.launch_slice_each_us = each = launch_slice_each_us(r);
		cfg.policy.quantum_us += llround(r->cal_turn_delay_s * CPOOL_USEC_PER_SEC);
		freeze_hold(r, &cfg);
	}
	if (per_job_switches(r, &switch_cost_each, &freeze_each, &freeze_ran_each)) {
		free(switch_cost_each);
		free(freeze_each);
		free(freeze_ran_each);
		free(jobs);
		free(each);
		free(hold);
		return -ENOMEM;
	}
	cfg.switch_cost_each_us = switch_cost_each;
	cfg.freeze_each_us = freeze_each;
	cfg.freeze_ran_each_us = freeze_ran_each;
	for (size_t i = 0; i < r->n_jobs; i++) {
		const struct bench_job *j = &r->jobs[i];

		jobs[i] = *j->job;
		/*
		 * The arrival the daemon saw, not the trace's: under load the
		 * replay submits late (by up to seconds under the lab's TCG),
		 * and the measured wait counts from the daemon's submit time.
		 */
		if (j->m_ok && j->m_submit > 0)
			jobs[i].submit_us = round_us(j->m_submit);
		/*
		 * Better, the round that first had it queued: cpoold decides in
		 * rounds, each after it has read what came in (submissions,
		 * ends), so a submission and an end one round saw together are
		 * decided together.  Seen apart (the arrival at its submission,
		 * the CPUs when the next job started), the simulator had put a
		 * short sjf job on the other VS, 9 ms before the CPUs the
		 * daemon gave it were free, and a wide job before it; mean wait
		 * +36.6 % in that repeat of the demo.
		 */
		if (j->m_ok && j->m_first_round > 0)
			jobs[i].submit_us = round_us(j->m_first_round);
		/*
		 * Occupancy, not CPU time: under a policy that never preempts
		 * it is how long the job held its CPUs, launch included.  Its
		 * CPUs stay unavailable for the dispatch delay after it ends,
		 * until the daemon starts the next job: the simulated job holds
		 * them that much longer, and its own end is that much earlier.
		 */
		if (j->m_ok && j->m_end > j->m_start)
			jobs[i].runtime_us =
				llround(held_s(r, j, r->cal_launch_extra_s) * CPOOL_USEC_PER_SEC);
		/* From the round that started it, on the rounds' clock (round_us()). */
		if (hold && j->m_ok && j->m_start_round > 0 && j->m_end > j->m_start_round)
			jobs[i].runtime_us = round_us(j->m_end) - round_us(j->m_start_round);
		r->jobs[i].c_held = cpool_us_to_s(jobs[i].runtime_us);
		r->jobs[i].c_idle = j->m_ok && j->m_end > j->m_start ?
					    launch_idle_s(j, r->cal_launch_extra_s) :
					    0;
		jobs[i].runtime_us += hold_of(hold, i, delay_us);
		r->jobs[i].c_vs = -1;
	}
	ret = cpool_sim_run(&cfg, jobs, r->n_jobs, &res);
	/*
	 * On shared CPUs a job's measured time already holds its slowdown,
	 * which the model applies again: give it its measured time divided
	 * by the slowdown the model found for it (times its mean rate), once.
	 */
	if (!ret && res.shared) {
		for (size_t i = 0; i < res.n_records; i++) {
			const struct cpool_sim_record *x = &res.records[i];
			size_t k = (size_t)(x->job - jobs);

			if (!r->jobs[k].m_ok || !(x->mean_rate < 1))
				continue;
			jobs[k].runtime_us =
				llround((double)(jobs[k].runtime_us - hold_of(hold, k, delay_us)) *
					x->mean_rate) +
				hold_of(hold, k, delay_us);
			r->jobs[k].c_held =
				cpool_us_to_s(jobs[k].runtime_us - hold_of(hold, k, delay_us));
		}
		cpool_sim_result_free(&res);
		ret = cpool_sim_run(&cfg, jobs, r->n_jobs, &res);
	}
	r->cal_preemptions = res.preemptions;
	for (size_t i = 0; !ret && i < res.n_records; i++) {
		const struct cpool_sim_record *x = &res.records[i];
		struct bench_job *j = &r->jobs[x->job - jobs];

		j->c_start = cpool_us_to_s(x->first_start_us);
		j->c_end =
			cpool_us_to_s(x->end_us - hold_of(hold, (size_t)(x->job - jobs), delay_us));
		j->c_vs = x->vs;
		j->c_preemptions = x->preemptions;
	}
	cpool_sim_result_free(&res);
	free(jobs);
	free(each);
	free(hold);
	free(switch_cost_each);
	free(freeze_each);
	free(freeze_ran_each);
	if (ret)
		return ret;
	r->calibrated = true;
	return bench_run_summarise(b, r);
}

static double start_gap(const struct bench_job *j)
{
	return fabs(j->m_start - j->c_start);
}

static double turns_gap(const struct bench_job *j)
{
	return fabs((double)j->c_preemptions - j->m_preemptions);
}

/* @j into @top (at most 3, largest @gap first) if it is among the three largest. */
static void top3_insert(const struct bench_job **top, size_t *n,
			double (*gap)(const struct bench_job *), const struct bench_job *j)
{
	double d = gap(j);
	size_t at;

	for (at = *n; at > 0 && gap(top[at - 1]) < d; at--)
		;
	if (at >= 3)
		return;
	memmove(&top[at + 1], &top[at], (size_t)(*n - at - (*n == 3)) * sizeof(top[0]));
	top[at] = j;
	if (*n < 3)
		(*n)++;
}

void bench_run_gap(const struct bench *b, const struct bench_run *r, struct bench_gap *g)
{
	memset(g, 0, sizeof(*g));
	for (size_t i = 0; i < r->n_jobs; i++) {
		const struct bench_job *j = &r->jobs[i];

		if (!j->m_ok || j->c_vs < 0)
			continue;
		g->other_vs += strcmp(b->vs[j->c_vs].name, j->m_vs) != 0;
		for (size_t k = i + 1; k < r->n_jobs; k++) {
			const struct bench_job *x = &r->jobs[k];

			if (x->m_ok && x->c_vs >= 0 &&
			    (j->c_start - x->c_start) * (j->m_start - x->m_start) < 0)
				g->swapped++;
		}
		top3_insert(g->top, &g->n_top, start_gap, j);
		if (j->m_preemptions < 0)
			continue;
		g->m_preemptions += j->m_preemptions;
		g->c_preemptions += j->c_preemptions;
		if (turns_gap(j) > 0)
			top3_insert(g->turns_top, &g->n_turns_top, turns_gap, j);
	}
}
