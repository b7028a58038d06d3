// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * cpoold's job control on its own code: arrays stored whole with their
 * %MAX, holds stored and released, dependencies judged from the table and
 * the store (a hopeless one cancels the job with its reason), why a job
 * waits, the filters of ps, and a job's output names and environment.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpool/store_jobctl.h"
#include "cpoold_fixture.h"

static char dir[] = "/tmp/cpool-test-cpoold-jobctl.XXXXXX";
static char err[CPOOL_ERROR_MSG_MAX];
static struct cpool_error cerr;

static const char *argv_true[] = { "/bin/true", NULL };

static int submit(struct cpoold *d, uid_t uid, const char *after, const char *array, bool hold,
		  int64_t *id)
{
	struct cpool_submit_req s = {
		.argv = argv_true, .argc = 1, .vs = "v", .cpus = 1, .cwd = "/home/ann", .hold = hold
	};
	struct cpool_error e = { 0 };
	json_t *result = NULL;
	int r;

	if (after && cpool_deps_parse(after, &s.deps, &s.n_deps, &e))
		bail_out("%s", e.msg);
	if (array && cpool_array_parse(array, &s.array, &e))
		bail_out("%s", e.msg);
	s.is_array = array != NULL;
	err[0] = '\0';
	r = jobctl_submit(d, &s, uid, uid, &result, &cerr);
	if (r)
		snprintf(err, sizeof(err), "%s", cerr.msg);
	free(s.deps);
	if (!r)
		*id = json_integer_value(json_object_get(result, "job"));
	json_decref(result);
	return r;
}

/* A request as the API would hand it over. */
static json_t *request(struct cpoold *d, uid_t uid, const char *line)
{
	struct cpool_peer peer = { .pid = 1, .uid = uid, .gid = uid };
	struct cpool_request req;
	json_t *reply;

	if (cpool_request_parse(line, strlen(line), &req, &cerr))
		bail_out("parse %s: %s", line, cerr.msg);
	reply = api_handle(NULL, &peer, &req, d);
	cpool_request_free(&req);
	return reply;
}

static bool reply_ok(json_t *reply)
{
	bool ok = json_is_true(json_object_get(reply, "ok"));

	if (!ok)
		diag("%s", json_string_value(
				   json_object_get(json_object_get(reply, "error"), "message")));
	return ok;
}

static int admitted(struct cpoold *d)
{
	int n = 0;

	jobctl_round_begin(d);
	for (struct djob *j = d->jobs; j; j = j->next)
		n += j->rec.state == CPOOL_JOB_QUEUED && jobctl_admit(d, j);
	return n;
}

static const char *reason_of(struct djob *j)
{
	json_t *o = json_object();
	static char buf[64];

	jobctl_json(j, o);
	snprintf(buf, sizeof(buf), "%s", json_string_value(json_object_get(o, "reason")) ?: "-");
	json_decref(o);
	return buf;
}

static void test_array(struct cpoold *d)
{
	struct cpool_jobctl_row row;
	int64_t id;
	json_t *reply;
	int n = 0;

	is_int(submit(d, 1000, NULL, "0-8:2%2", false, &id), 0, "an array of 5, at most 2 running");
	for (struct djob *j = d->jobs; j; j = j->next)
		n++;
	is_int(n, 5, "five jobs queued");
	is_int(cpool_store_jobctl_get(d->store, id + 4, &row), 0, "the last element's row stored");
	is_int(row.array_id, id, "in the array");
	is_int(row.array_task, 8, "index 8 (0, 2, 4, 6, 8)");
	is_int(row.array_max, 2, "%%2");
	cpool_jobctl_row_free(&row);
	is_int(admitted(d), 2, "only %%MAX = 2 are shown to the policy");
	is_str(reason_of(jobs_find(d, id + 2)), "ArrayTaskLimit", "the others say why");
	jobs_find(d, id)->rec.state = CPOOL_JOB_RUNNING;
	is_int(admitted(d), 1, "one running: one more may start");
	jobs_find(d, id)->rec.state = CPOOL_JOB_QUEUED;

	reply = request(d, 1000, "{\"v\":1,\"id\":1,\"op\":\"array\",\"args\":{\"job\":1}}");
	ok(reply_ok(reply), "the array op answers");
	is_int((int64_t)json_array_size(
		       json_object_get(json_object_get(reply, "result"), "elements")),
	       5, "with the five elements");
	json_decref(reply);
	reply = request(d, 1001, "{\"v\":1,\"id\":1,\"op\":\"array\",\"args\":{\"job\":1}}");
	ok(!reply_ok(reply), "another user does not see them");
	json_decref(reply);

	reply = request(d, 1000,
			"{\"v\":1,\"id\":1,\"op\":\"cancel\",\"args\":{\"job\":1,\"task\":4}}");
	ok(reply_ok(reply), "cancel ID_N");
	ok(!jobs_find(d, id + 2), "element 4 (the third job) is gone");
	ok(jobs_find(d, id + 1) && jobs_find(d, id + 3), "its neighbours are not");
	json_decref(reply);
	reply = request(d, 1000,
			"{\"v\":1,\"id\":1,\"op\":\"wait\",\"args\":{\"job\":1,\"task\":4}}");
	{
		json_t *rec = json_object_get(reply, "result");

		ok(reply_ok(reply), "wait ID_4 on the ended element: its stored record");
		is_int(json_integer_value(json_object_get(rec, "array_task")), 4,
		       "which says it is element 4");
		is_int(json_integer_value(json_object_get(rec, "array_job")), id, "of the array");
	}
	json_decref(reply);
	reply = request(d, 1000, "{\"v\":1,\"id\":1,\"op\":\"wait\",\"args\":{\"job\":1}}");
	is_str(json_string_value(json_object_get(json_object_get(reply, "error"), "errno")),
	       "EINVAL", "wait on a whole array: refused, its elements are waited one by one");
	json_decref(reply);
	reply = request(d, 1000, "{\"v\":1,\"id\":1,\"op\":\"cancel\",\"args\":{\"job\":1}}");
	ok(reply_ok(reply), "cancel the array's id");
	is_int((int64_t)json_array_size(json_object_get(json_object_get(reply, "result"), "jobs")),
	       4, "the four live elements cancelled");
	ok(!d->jobs, "none left");
	json_decref(reply);

	d->cfg.limits.max_array_size = 10;
	is_int(submit(d, 1000, NULL, "0-10", false, &id), -E2BIG, "11 elements > max_array_size");
	ok(strstr(err, "max_array_size") != NULL, "named: %s", err);
	d->cfg.limits.queued_jobs_per_user = 6;
	is_int(submit(d, 1000, NULL, "0-6", false, &id), -EDQUOT,
	       "7 elements > queued_jobs_per_user");
	is_int(submit(d, 0, NULL, "0-6", false, &id), 0, "root is not bound by the queue limit");
	while (d->jobs)
		jobs_cancel(d, d->jobs, &cerr);
}

static void test_hold(struct cpoold *d)
{
	struct cpool_jobctl_row row;
	int64_t id;
	json_t *reply;
	char line[256];

	is_int(submit(d, 1000, NULL, NULL, true, &id), 0, "submit --hold");
	is_int(admitted(d), 0, "a held job is not shown to the policy");
	is_str(reason_of(jobs_find(d, id)), "Held", "REASON Held");
	snprintf(line, sizeof(line),
		 "{\"v\":1,\"id\":1,\"op\":\"release\",\"args\":{\"job\":%lld}}", (long long)id);
	reply = request(d, 1001, line);
	ok(!reply_ok(reply), "another user may not release it");
	json_decref(reply);
	reply = request(d, 1000, line);
	ok(reply_ok(reply), "its owner may");
	json_decref(reply);
	is_int(cpool_store_jobctl_get(d->store, id, &row), 0, "its row");
	ok(!row.held, "stores the release");
	cpool_jobctl_row_free(&row);
	is_int(admitted(d), 1, "released: shown to the policy");
	snprintf(line, sizeof(line), "{\"v\":1,\"id\":1,\"op\":\"hold\",\"args\":{\"job\":%lld}}",
		 (long long)id);
	reply = request(d, 0, line);
	ok(reply_ok(reply), "root holds it again");
	json_decref(reply);
	{
		/* As after a restart: the hold comes back from the store. */
		struct djob *j = jobs_find(d, id);

		jobctl_free(j);
		jobctl_loaded(d, j);
		is_int(admitted(d), 0, "reloaded from the store, still held");
	}
	jobs_find(d, id)->rec.state = CPOOL_JOB_RUNNING;
	reply = request(d, 0, line);
	is_str(json_string_value(json_object_get(json_object_get(reply, "error"), "errno")),
	       "EBUSY", "a running job is not held");
	json_decref(reply);
	jobs_find(d, id)->rec.state = CPOOL_JOB_QUEUED;
	jobs_cancel(d, jobs_find(d, id), &cerr);
}

static void test_deps(struct cpoold *d)
{
	struct cpool_jobctl_row row;
	struct cpool_jobrec rec;
	int64_t a, b, c, arr, red;
	char after[64];

	is_int(submit(d, 1000, "99999", NULL, false, &b), -ENOENT, "--after an unknown job");
	ok(strstr(err, "no job 99999") != NULL, "refused, named: %s", err);
	is_int(submit(d, 1000, NULL, NULL, false, &a), 0, "job a");
	is_int(submit(d, 1001, NULL, NULL, false, &c), 0, "another user's job c");
	snprintf(after, sizeof(after), "%lld", (long long)c);
	is_int(submit(d, 1000, after, NULL, false, &b), -ENOENT,
	       "--after another user's job: as unknown");
	snprintf(after, sizeof(after), "%lld:ok", (long long)a);
	is_int(submit(d, 1000, after, NULL, false, &b), 0, "b --after a:ok");
	is_int(admitted(d), 2, "a and c may start, b waits");
	is_str(reason_of(jobs_find(d, b)), "Dependency", "REASON Dependency");
	jobs_cancel(d, jobs_find(d, a), &cerr);
	admitted(d);
	ok(!jobs_find(d, b), "a cancelled: b can never start, and is gone");
	is_int(cpool_store_job_get(d->store, b, &rec), 0, "b's record");
	is_str(cpool_job_state_name(rec.state), "cancelled", "b ended cancelled");
	ok(rec.error && strstr(rec.error, "dependency never satisfied"), "with the reason: %s",
	   rec.error ?: "");
	cpool_jobrec_free(&rec);
	is_int(cpool_store_jobctl_get(d->store, b, &row), 0, "b's row");
	is_str(row.reason, "DependencyNeverSatisfied", "the reason stored");
	cpool_jobctl_row_free(&row);

	/* --after an array: all of its elements. */
	is_int(submit(d, 1000, NULL, "0-2", false, &arr), 0, "an array of 3");
	snprintf(after, sizeof(after), "%lld:any", (long long)arr);
	is_int(submit(d, 1000, after, NULL, false, &red), 0, "a reduction --after the array:any");
	{
		json_t *o = json_object();

		jobctl_json(jobs_find(d, red), o);
		snprintf(after, sizeof(after), "%lld:any,%lld:any,%lld:any", (long long)arr,
			 (long long)arr + 1, (long long)arr + 2);
		is_str(json_string_value(json_object_get(o, "after")), after,
		       "the array's id stands for its three elements");
		json_decref(o);
	}
	for (int i = 0; i < 3; i++)
		jobs_cancel(d, jobs_find(d, arr + i), &cerr);
	is_int(admitted(d), 2, "every element ended (any): the reduction may start, with c");
	while (d->jobs)
		jobs_cancel(d, d->jobs, &cerr);
}

static void test_launch_prepare(struct cpoold *d)
{
	char out[4096], errp[4096];
	struct cpool_error e = { 0 };
	char **env = calloc(3, sizeof(*env));
	int64_t id;
	struct djob *j;
	bool job_id = false, array = false, stale = false;

	env[0] = strdup("CPOOL_JOB_ID=stale");
	env[1] = strdup("HOME=/home/ann");
	is_int(submit(d, 1000, NULL, "3-4", false, &id), 0, "an array of 2");
	j = jobs_find(d, id + 1);
	is_str(j->rec.stdout_path, "/home/ann/cpool-%A_%a.out", "an array's default output");
	is_str(j->rec.stderr_path, j->rec.stdout_path, "stderr: the same file");
	is_int(jobctl_launch_prepare(d, j, "v", "2-3", &env, out, errp, sizeof(out), &e), 0,
	       "prepared");
	snprintf(err, sizeof(err), "/home/ann/cpool-%lld_4.out", (long long)id);
	is_str(out, err, "expanded: the array's id and the index");
	for (int i = 0; env[i]; i++) {
		job_id |= strncmp(env[i], "CPOOL_JOB_ID=", 13) == 0 && atoll(env[i] + 13) == id + 1;
		stale |= strcmp(env[i], "CPOOL_JOB_ID=stale") == 0;
		array |= strcmp(env[i], "CPOOL_ARRAY_TASK_ID=4") == 0;
	}
	ok(job_id && !stale, "CPOOL_JOB_ID is the job's, the submitter's is replaced");
	ok(array, "CPOOL_ARRAY_TASK_ID");
	for (int i = 0; env[i]; i++)
		free(env[i]);
	free(env);
	{
		struct cpool_job_select sel = { .uid = -1, .state = -1, .job = id, .task = 4 };

		ok(jobctl_selected(j, &sel), "selected as ID_4");
		sel.task = 3;
		ok(!jobctl_selected(j, &sel), "not as ID_3");
		sel = (struct cpool_job_select){ .uid = 1001, .state = -1, .task = -1 };
		ok(!jobctl_selected(j, &sel), "not another uid's");
	}
	while (d->jobs)
		jobs_cancel(d, d->jobs, &cerr);
}

/* Under easy: the job that does not fit holds the reservation, one that would delay it waits. */
static void test_reasons(struct cpoold *d)
{
	struct cpool_pjob *queued[2], *running[1];
	struct cpool_decision dec[8];
	struct cpool_vs_state vs = { .name = "v", .cpus = 8, .free_cpus = 2 };
	struct cpool_snapshot snap;
	struct djob *run, *big, *small;
	int64_t ids[3], wake;
	json_t *o;
	int n;

	for (int i = 0; i < 3; i++)
		if (submit(d, 1000, NULL, NULL, false, &ids[i]))
			bail_out("submit: %s", err);
	run = jobs_find(d, ids[0]);
	big = jobs_find(d, ids[1]);
	small = jobs_find(d, ids[2]);
	run->rec.state = CPOOL_JOB_RUNNING;
	run->pol.cpus = 6;
	run->pol.estimate_us = 100 * 1000000LL;
	run->pj.done_us = 0;
	run->pj.vs = 0;
	big->pol.cpus = 8;
	small->pol.estimate_us = 1000 * 1000000LL;
	running[0] = &run->pj;
	queued[0] = &big->pj;
	queued[1] = &small->pj;
	d->policy.sched = CPOOL_SCHED_EASY;
	jobctl_round_begin(d);
	snap = (struct cpool_snapshot){ .now_us = now_us(),
					.queued = queued,
					.n_queued = 2,
					.running = running,
					.n_running = 1,
					.vs = &vs,
					.n_vs = 1 };
	n = cpool_policy_decide(&d->policy, &snap, dec, 8, &wake);
	is_int(n, 0, "easy starts nothing: the 8-CPU job waits, the long one may not backfill");
	jobctl_round_end(d, &snap, dec, n);
	is_str(reason_of(big), "Resources", "the job that does not fit: Resources");
	is_str(reason_of(small), "Reservation", "the one that would delay it: Reservation");
	o = json_object();
	jobctl_json(big, o);
	ok(json_is_number(json_object_get(o, "expected_start")), "the reserved job has a start");
	is_double(json_number_value(json_object_get(o, "expected_start")) - now_s(), 100, 5,
		  "in 100 s, when the running job's estimate is up");
	json_decref(o);
	/* The others: the simulator replays the pool; the 8-CPU job runs its hour first. */
	run->rec.start_time = now_s();
	jobctl_estimate(d);
	o = json_object();
	jobctl_json(small, o);
	is_str(json_string_value(json_object_get(o, "expected_start_by")), "simulator",
	       "the job behind the reservation: the simulator's guess");
	is_double(json_number_value(json_object_get(o, "expected_start")) - now_s(), 3700, 5,
		  "after the running job's 100 s and the reserved job's hour (its default)");
	json_decref(o);
	o = json_object();
	jobctl_json(big, o);
	is_str(json_string_value(json_object_get(o, "expected_start_by")), "reservation",
	       "the reserved job keeps easy's answer");
	json_decref(o);
	d->policy.sched = CPOOL_SCHED_FCFS;
	jobctl_round_begin(d);
	n = cpool_policy_decide(&d->policy, &snap, dec, 8, &wake);
	jobctl_round_end(d, &snap, dec, n);
	is_str(reason_of(small), "Priority", "fcfs: the job behind it waits for Priority");
	run->rec.state = CPOOL_JOB_QUEUED;
	while (d->jobs)
		jobs_cancel(d, d->jobs, &cerr);
}

/* A job whose end the store refused (unsaved.c) has ended all the same for its dependents. */
static void test_unsaved_dep(struct cpoold *d)
{
	struct cpool_submit_req s = { .argv = argv_true, .argc = 1, .vs = "v", .cpus = 1 };
	struct cpool_error e;
	char after[32];
	int64_t a, b;

	if (jobs_submit(d, &s, 1000, 1000, &a, &e))
		bail_out("submit: %s", e.msg);
	snprintf(after, sizeof(after), "%lld:any", (long long)a);
	is_int(submit(d, 1000, after, NULL, false, &b), 0, "b --after a:any");
	is_int(cpool_store_refuse_writes(d->store, true), 0, "the store refuses writes");
	is_int(jobs_cancel(d, jobs_find(d, a), &e), 0, "a cancelled, its end unsaved");
	ok(unsaved_find(d, a) && !jobs_find(d, a), "a is kept in memory only");
	jobctl_round_begin(d);
	is_str(reason_of(jobs_find(d, b)), "-",
	       "b waits on nothing: a ended, whatever the store says");
	is_int(cpool_store_refuse_writes(d->store, false), 0, "the store takes writes again");
	is_int(jobs_cancel(d, jobs_find(d, b), &e), 0, "b cancelled");
	is_int(unsaved_retry(d), 0, "a's end stored");
}

int main(void)
{
	struct cpoold d;
	struct vsrv vs = { 0 };

	fixture_open(&d, dir);
	snprintf(vs.vs.name, sizeof(vs.vs.name), "v");
	cpool_cpuset_set_range(&vs.vs.cpus, 0, 7);
	d.vs = &vs;
	d.n_vs = 1;
	cpool_user_limits_default(&d.cfg.limits);
	d.cfg.limits.submit_rate = 1e6;
	cpool_policy_init(&d.policy);

	test_array(&d);
	test_hold(&d);
	test_deps(&d);
	test_launch_prepare(&d);
	test_reasons(&d);
	test_unsaved_dep(&d);
	fixture_close(&d, dir);
	done_testing();
	return exit_status();
}
