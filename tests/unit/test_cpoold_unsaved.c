// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * A job's end the store refuses (an injected failure: every write refused,
 * as on a full or read-only disk) is never forgotten: the job is kept,
 * `ps` shows it unsaved, `wait` and `cancel` answer from memory, and the
 * retry on the loop's timer stores it once the store takes writes again.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpoold_fixture.h"

static char dir[] = "/tmp/cpool-test-cpoold-unsaved.XXXXXX";

static const char *stored_state(struct cpoold *d, int64_t id, char *buf, size_t len)
{
	struct cpool_jobrec rec;

	if (cpool_store_job_get(d->store, id, &rec))
		return "?";
	snprintf(buf, len, "%s", cpool_job_state_name(rec.state));
	cpool_jobrec_free(&rec);
	return buf;
}

int main(void)
{
	static const char *argv_true[] = { "/bin/true", NULL };
	struct cpool_submit_req s = { .argv = argv_true, .argc = 1, .vs = "v", .cpus = 1 };
	struct cpoold d;
	struct vsrv vs = { 0 };
	struct cpool_error err;
	char line[256], state[32];
	json_t *reply, *jobs, *job;
	int64_t id;

	plan(16);
	fixture_open(&d, dir);
	if (cpool_evloop_new(&d.loop))
		bail_out("evloop");
	snprintf(vs.vs.name, sizeof(vs.vs.name), "v");
	cpool_cpuset_set_range(&vs.vs.cpus, 0, 1);
	d.vs = &vs;
	d.n_vs = 1;
	cpool_user_limits_default(&d.cfg.limits);

	if (jobs_submit(&d, &s, 1000, 1000, &id, &err))
		bail_out("submit: %s", err.msg);
	is_int(cpool_store_refuse_writes(d.store, true), 0, "the store refuses writes from now on");
	is_int(jobs_cancel(&d, jobs_find(&d, id), &err), 0,
	       "a queued job is cancelled while the store refuses its end");
	ok(!jobs_find(&d, id) && unsaved_find(&d, id), "it left the job table, not memory");
	is_str(stored_state(&d, id, state, sizeof(state)), "queued", "the store still says queued");

	reply = fixture_ask(&d, 1000, "{\"v\":1,\"id\":1,\"op\":\"ps\"}");
	jobs = json_object_get(json_object_get(reply, "result"), "jobs");
	job = json_array_get(jobs, 0);
	ok(json_array_size(jobs) == 1 &&
		   json_integer_value(json_object_get(job, "id")) == (json_int_t)id,
	   "ps lists it");
	ok(json_is_true(json_object_get(job, "unsaved")) &&
		   strcmp(json_string_value(json_object_get(job, "state")) ?: "", "cancelled") == 0,
	   "as cancelled and unsaved");
	json_decref(reply);
	reply = fixture_ask(&d, 0, "{\"v\":1,\"id\":1,\"op\":\"ps\"}");
	is_int((int64_t)json_array_size(json_object_get(json_object_get(reply, "result"), "jobs")),
	       1, "root sees it too");
	json_decref(reply);
	reply = fixture_ask(&d, 2000, "{\"v\":1,\"id\":1,\"op\":\"ps\"}");
	is_int((int64_t)json_array_size(json_object_get(json_object_get(reply, "result"), "jobs")),
	       0, "another user does not");
	json_decref(reply);

	snprintf(line, sizeof(line), "{\"v\":1,\"id\":2,\"op\":\"wait\",\"args\":{\"job\":%lld}}",
		 (long long)id);
	reply = fixture_ask(&d, 1000, line);
	is_str(json_string_value(json_object_get(json_object_get(reply, "result"), "state")),
	       "cancelled", "wait answers its end from memory, not the store's 'queued'");
	json_decref(reply);
	snprintf(line, sizeof(line), "{\"v\":1,\"id\":3,\"op\":\"cancel\",\"args\":{\"job\":%lld}}",
		 (long long)id);
	reply = fixture_ask(&d, 1000, line);
	is_int(json_integer_value(json_object_get(json_object_get(reply, "error"), "code")),
	       EALREADY, "cancel says it has ended");
	json_decref(reply);

	is_int(unsaved_retry(&d), 1, "a retry while the store still refuses keeps it");
	ok(d.unsaved_backoff_ns >= 2000000000ULL, "and backs off (%llu ns)",
	   (unsigned long long)d.unsaved_backoff_ns);
	cpool_store_refuse_writes(d.store, false);
	/* The timer's own retry, through the loop (its backoff is 4 s by now). */
	for (int i = 0; i < 100 && d.unsaved; i++)
		cpool_evloop_once(d.loop, 100);
	ok(!d.unsaved, "the loop's retry stored it once the store took writes again");
	is_str(stored_state(&d, id, state, sizeof(state)), "cancelled", "the store says cancelled");
	is_int(d.unsaved_backoff_ns, 0, "the backoff starts afresh next time");
	reply = fixture_ask(&d, 1000, "{\"v\":1,\"id\":1,\"op\":\"ps\"}");
	is_int((int64_t)json_array_size(json_object_get(json_object_get(reply, "result"), "jobs")),
	       0, "ps no longer lists it");
	json_decref(reply);

	unsaved_free(&d);
	fixture_close(&d, dir);
	cpool_evloop_free(d.loop);
	return exit_status();
}
