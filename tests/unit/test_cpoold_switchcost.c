// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * What switching jobs costs, as cpoold counts it (switchcost.c) and `stats`
 * reports it: CPUs given back by a freeze or an end count as a handover
 * only when the round after starts a job on them; a round that starts
 * none there forgets them (the policy held them, it was no switch).
 */
#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cpoold_fixture.h"

static char dir[] = "/tmp/cpool-test-cpoold-switchcost.XXXXXX";

/* @cpu_s of CPU time so far in the fake leaf v/job-1 (a file, as cgroupfs has it). */
static void leaf_cpu(double cpu_s)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/v/job-1/cpu.stat", dir);
	f = fopen(path, "w");
	if (!f)
		bail_out("%s: %s", path, strerror(errno));
	fprintf(f, "usage_usec %lld\nuser_usec 0\nsystem_usec 0\n", (long long)(cpu_s * 1e6));
	fclose(f);
}

/*
 * Turns, launches and resumes apart: each read at its two ends only (the
 * start, the completed freeze), its idle the length less the CPU time per
 * CPU the leaf gained.  The instants are set in the past, the leaf's CPU
 * time written, so the figures are exact but for the microseconds between
 * a call and now_s().
 */
static void turns(struct cpoold *d)
{
	struct djob j = { .rec = { .cpus = 2 } };
	char path[4096];

	snprintf(j.leaf, sizeof(j.leaf), "v/job-1");
	snprintf(path, sizeof(path), "%s/v", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/v/job-1", dir);
	mkdir(path, 0700);

	/* A launch 0.5 s ago; the job ran 0.3 s on each of its 2 CPUs (0.6 s). */
	j.rec.start_time = now_s() - 0.5;
	switchcost_turn_begun(d, &j, false);
	leaf_cpu(0.6);
	switchcost_asked(d, &j, true, now_s());
	switchcost_done(d, &j, true);
	ok(d->switches.launch_turns == 1 && d->switches.resume_turns == 0,
	   "a launch's turn ended by a freeze: a launch turn");
	is_double(d->switches.launch_turn_s, 0.5, 0.05, "its length: from the start");
	is_double(d->switches.launch_turn_idle_s, 0.2, 0.05,
		  "its idle: the length less the CPU time per CPU");
	is_double(j.rec.launch_idle, 0.2, 0.05, "and the job's own, in its record");

	/* Resumed 0.4 s ago with 0.6 s in the leaf; 0.5 s more since (0.25 per CPU). */
	switchcost_asked(d, &j, false, now_s() - 0.4);
	switchcost_done(d, &j, false);
	switchcost_turn_begun(d, &j, true);
	leaf_cpu(1.1);
	switchcost_asked(d, &j, true, now_s());
	switchcost_done(d, &j, true);
	ok(d->switches.launch_turns == 1 && d->switches.resume_turns == 1,
	   "a resume's turn is a resume turn, its thaw confirmed before it began");
	is_double(j.rec.launch_idle, 0.2, 0.05, "the record keeps its first turn's idle");
	is_double(d->switches.resume_turn_s, 0.4, 0.05, "its length: from the thaw's request");
	is_double(d->switches.resume_turn_idle_s, 0.15, 0.05,
		  "its idle: CPU time from the frozen reading at the resume");
	ok(j.rec.resume_turns == 1 && fabs(j.rec.resume_turn - d->switches.resume_turn_s) < 1e-9 &&
		   fabs(j.rec.resume_turn_idle - d->switches.resume_turn_idle_s) < 1e-9,
	   "and the job's own count, length and idle, in its record (%u, %.3f, %.3f)",
	   j.rec.resume_turns, j.rec.resume_turn, j.rec.resume_turn_idle);

	/* A leaf that cannot be read at the turn's end counts no turn. */
	switchcost_asked(d, &j, false, now_s());
	switchcost_done(d, &j, false);
	switchcost_turn_begun(d, &j, true);
	snprintf(path, sizeof(path), "%s/v/job-1/cpu.stat", dir);
	unlink(path);
	switchcost_asked(d, &j, true, now_s());
	switchcost_done(d, &j, true);
	is_int((int)d->switches.resume_turns, 1, "an unreadable leaf counts no turn");
	is_int((int)j.rec.resume_turns, 1, "in the job's record neither");
}

int main(void)
{
	struct cpoold d;
	struct vsrv vs = { 0 };
	json_t *reply, *sw;
	double late, t;
	int64_t t_us;

	plan(24);
	fixture_open(&d, dir);
	snprintf(vs.vs.name, sizeof(vs.vs.name), "v");
	d.vs = &vs;
	d.n_vs = 1;
	if (cpool_evloop_new(&d.loop))
		bail_out("evloop");

	switchcost_released(&vs);
	is_double(switchcost_started(&d, &vs, now_s()), -1, 0,
		  "a start after a freeze is no end's handover for the job's record");
	is_int((int)d.switches.handovers, 1, "a start after a freeze gave CPUs back: a handover");
	ok(d.switches.handover_wait_s >= 0 && d.switches.handover_wait_s < 1,
	   "timed from the give-back (%.6f s)", d.switches.handover_wait_s);
	switchcost_started(&d, &vs, now_s());
	is_int((int)d.switches.handovers, 1, "a start onto CPUs nobody gave back: none");

	/* One clock reading for both ends: the wait is exact however slow the host. */
	t = now_s();
	switchcost_ended(&vs, t - 0.5);
	is_double(switchcost_started(&d, &vs, t), 0.5, 1e-6,
		  "a start after an end: its wait, for the job's record");
	ok(d.switches.end_handovers == 1 && fabs(d.switches.end_handover_wait_s - 0.5) < 1e-6,
	   "a start after an end: timed from the job's end (%.3f s)",
	   d.switches.end_handover_wait_s);

	switchcost_released(&vs);
	switchcost_ended(&vs, now_s());
	switchcost_round_end(&d);
	switchcost_started(&d, &vs, now_s());
	ok(d.switches.handovers == 1 && d.switches.end_handovers == 1,
	   "CPUs the round after did not hand to anyone are forgotten");

	switchcost_launched(&d, 0.25);
	/* Two now_us() in one argument list are read in either order: one reading. */
	t_us = now_us();
	switchcost_late(&d, t_us - 20000, t_us);
	ok(d.switches.preemptions == 1 && fabs(d.switches.late_s - 0.02) < 1e-9,
	   "a preemption 20 ms after its decision is 20 ms late (%.3f s)", d.switches.late_s);
	late = d.switches.late_s;
	switchcost_late(&d, 1000000, 1030000);
	is_double(d.switches.late_s - late, 0.03, 1e-9,
		  "late ends at the freeze request, not when the round is done with it");

	turns(&d);

	reply = fixture_ask(&d, 1000, "{\"v\":1,\"id\":1,\"op\":\"stats\"}");
	sw = json_object_get(json_object_get(reply, "result"), "switches");
	ok(json_is_object(sw), "stats has switches, for any user");
	is_int((int)json_integer_value(json_object_get(sw, "handovers")), 1,
	       "stats: switches.handovers");
	ok(json_is_real(json_object_get(sw, "end_handover_wait")) &&
		   json_is_real(json_object_get(sw, "thaw_ran")) &&
		   json_real_value(json_object_get(sw, "late")) >= 0.02 &&
		   json_integer_value(json_object_get(sw, "launches")) == 1 &&
		   json_real_value(json_object_get(sw, "launch_wait")) == 0.25 &&
		   json_integer_value(json_object_get(sw, "preemptions")) == 2 &&
		   json_integer_value(json_object_get(sw, "end_handovers")) == 1,
	   "stats: and the seconds, each under its name");
	ok(json_integer_value(json_object_get(sw, "launch_turns")) == 1 &&
		   json_integer_value(json_object_get(sw, "resume_turns")) == 1 &&
		   json_is_real(json_object_get(sw, "launch_turn")) &&
		   json_is_real(json_object_get(sw, "launch_turn_idle")) &&
		   json_is_real(json_object_get(sw, "resume_turn")) &&
		   json_is_real(json_object_get(sw, "resume_turn_idle")),
	   "stats: the turns, launches and resumes apart");
	json_decref(reply);
	cpool_evloop_free(d.loop);
	d.loop = NULL;
	fixture_close(&d, dir);
	return exit_status();
}
