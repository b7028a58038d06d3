// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * What switching jobs costs, as cpoold counts it (switchcost.c) and `stats`
 * reports it: CPUs given back by a freeze or an end count as a handover
 * only when the round after starts a job on them; a round that starts
 * none there forgets them (the policy held them, it was no switch).
 */
#include "cpoold_fixture.h"

static char dir[] = "/tmp/cpool-test-cpoold-switchcost.XXXXXX";

int main(void)
{
	struct cpoold d;
	struct vsrv vs = { 0 };
	json_t *reply, *sw;

	plan(9);
	fixture_open(&d, dir);
	snprintf(vs.vs.name, sizeof(vs.vs.name), "v");
	d.vs = &vs;
	d.n_vs = 1;
	if (cpool_evloop_new(&d.loop))
		bail_out("evloop");

	switchcost_released(&vs);
	switchcost_started(&d, &vs, now_s());
	is_int((int)d.switches.handovers, 1, "a start after a freeze gave CPUs back: a handover");
	ok(d.switches.handover_wait_s >= 0 && d.switches.handover_wait_s < 1,
	   "timed from the give-back (%.6f s)", d.switches.handover_wait_s);
	switchcost_started(&d, &vs, now_s());
	is_int((int)d.switches.handovers, 1, "a start onto CPUs nobody gave back: none");

	switchcost_ended(&vs, now_s() - 0.5);
	switchcost_started(&d, &vs, now_s());
	ok(d.switches.end_handovers == 1 && d.switches.end_handover_wait_s >= 0.5 &&
		   d.switches.end_handover_wait_s < 1.5,
	   "a start after an end: timed from the job's end (%.3f s)",
	   d.switches.end_handover_wait_s);

	switchcost_released(&vs);
	switchcost_ended(&vs, now_s());
	switchcost_round_end(&d);
	switchcost_started(&d, &vs, now_s());
	ok(d.switches.handovers == 1 && d.switches.end_handovers == 1,
	   "CPUs the round after did not hand to anyone are forgotten");

	switchcost_launched(&d, 0.25);
	switchcost_late(&d, now_us() - 20000);
	ok(d.switches.preemptions == 1 && d.switches.late_s >= 0.02 && d.switches.late_s < 1,
	   "a preemption 20 ms after its decision is 20 ms late (%.3f s)", d.switches.late_s);

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
		   json_integer_value(json_object_get(sw, "preemptions")) == 1 &&
		   json_integer_value(json_object_get(sw, "end_handovers")) == 1,
	   "stats: and the seconds, each under its name");
	json_decref(reply);
	cpool_evloop_free(d.loop);
	d.loop = NULL;
	fixture_close(&d, dir);
	return exit_status();
}
