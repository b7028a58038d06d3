// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * ps over the API socket, sent in parts (api.c, cpool_client_stream): the
 * line is byte for byte the one reply of old, everyone else is answered
 * between its parts, a job that ends meanwhile is listed once or not at
 * all, what is owed the client follows the line, and a client that goes
 * away mid-listing leaves nothing behind (ASan).
 */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "api_test_client.h"

static char dir[] = "/tmp/cpool-test-cpoold-ps.XXXXXX";
static char sock[100];
static struct cpoold d;

static const char *argv_true[] = { "/bin/true", NULL };

static int64_t submit(uid_t uid, bool hold, const char *name)
{
	struct cpool_submit_req s = { .argv = argv_true,
				      .argc = 1,
				      .vs = "v",
				      .cpus = 1,
				      .cwd = "/",
				      .hold = hold,
				      .name = name };
	struct cpool_error e;
	json_t *result = NULL;
	int64_t id;

	if (jobctl_submit(&d, &s, uid, uid, &result, &e))
		bail_out("submit: %s", e.msg);
	id = json_integer_value(json_object_get(result, "job"));
	json_decref(result);
	return id;
}

static int connect_client(void)
{
	return api_test_connect(sock);
}

/* The one reply ps gave before it was sent in parts: built whole, encoded once. */
static char *reference(uid_t uid, const struct cpool_job_select *sel, json_int_t id)
{
	json_t *jobs = json_array(), *reply;
	char *line;

	jobctl_estimate(&d);
	for (struct djob *j = d.jobs; j; j = j->next) {
		json_t *o;

		if ((uid && j->rec.uid != uid) || !jobctl_selected(j, sel))
			continue;
		o = jobs_json(&j->rec);
		jobctl_json(j, o);
		json_array_append_new(jobs, o);
	}
	for (struct djob *j = d.unsaved; j; j = j->next) {
		json_t *o;

		if ((uid && j->rec.uid != uid) || !jobctl_selected(j, sel))
			continue;
		o = jobs_json(&j->rec);
		jobctl_json(j, o);
		json_object_set_new(o, "unsaved", json_true());
		json_array_append_new(jobs, o);
	}
	reply = cpool_reply_ok(id, json_pack("{s:o}", "jobs", jobs));
	line = cpool_message_encode(reply);
	json_decref(reply);
	if (!line)
		bail_out("encode");
	return line;
}

/* An ended job whose end the store has not taken (unsaved.c). */
static void add_unsaved(int64_t id, uid_t uid)
{
	struct djob *j = calloc(1, sizeof(*j));

	j->rec.id = id;
	j->rec.uid = uid;
	j->rec.name = strdup("gone");
	j->rec.vs = strdup("v");
	j->rec.state = CPOOL_JOB_DONE;
	j->rec.submit_time = 1000;
	j->rec.first_start = 1001;
	j->rec.end_time = 1002;
	j->freeze_fd = -1;
	unsaved_keep(&d, j);
}

static void test_identical(void)
{
	struct cpool_job_select all = { .uid = -1, .state = -1, .task = -1 };
	struct cpool_job_select queued = { .uid = -1, .state = CPOOL_JOB_QUEUED, .task = -1 };
	struct inbox a = { 0 }, b = { 0 };
	int fa = connect_client(), fb = connect_client();
	char *want;
	int rounds;

	/* Root's ps and, at once, another client's stats. */
	send_str(fa, "{\"v\":1,\"id\":7,\"op\":\"ps\"}\n");
	send_str(fb, "{\"v\":1,\"id\":8,\"op\":\"stats\"}\n");
	pump_until(d.loop, fb, &b, 1);
	pump_started(d.loop, fa, &a);
	send_str(fb, "{\"v\":1,\"id\":8,\"op\":\"stats\"}\n");
	pump_until(d.loop, fb, &b, 2);
	take(fa, &a);
	ok(lines(&a) == 0 && a.len > 0,
	   "another client is answered while ps is half sent (%zu bytes of it so far)", a.len);
	rounds = pump_until(d.loop, fa, &a, 1);
	want = reference(0, &all, 7);
	ok(rounds >= 3, "ps over 300 jobs takes several loop iterations (%d)", rounds);
	is_int((int)a.len, (int)strlen(want), "ps: as long as the one reply of old");
	ok(a.len == strlen(want) && memcmp(a.p, want, a.len) == 0,
	   "ps: byte for byte the one reply of old, unsaved job and expected starts included");
	free(want);
	free(a.p);
	a = (struct inbox){ 0 };

	/* A user's ps with a filter: their own queued jobs. */
	close(fa);
	free(b.p);
	close(fb);
	{
		json_t *reply, *jobs;
		char *got;

		fa = connect_client();
		/* The test runs as root: the peer is root; the filter is the user's. */
		send_str(
			fa,
			"{\"v\":1,\"id\":9,\"op\":\"ps\",\"args\":{\"uid\":1000,\"state\":\"queued\"}}\n");
		pump_until(d.loop, fa, &a, 1);
		queued.uid = 1000;
		want = reference(0, &queued, 9);
		ok(a.len == strlen(want) && memcmp(a.p, want, a.len) == 0,
		   "ps --user --state: byte for byte the one reply of old");
		reply = json_loadb(a.p, a.len, 0, NULL);
		jobs = json_object_get(json_object_get(reply, "result"), "jobs");
		ok(json_array_size(jobs) > 100, "and it lists the user's jobs (%zu)",
		   json_array_size(jobs));
		json_decref(reply);
		free(want);
		/* The daemon's tests ask without a connection: the same parts, one reply. */
		reply = fixture_ask(&d, 0,
				    "{\"v\":1,\"id\":9,\"op\":\"ps\",\"args\":{\"uid\":1000,"
				    "\"state\":\"queued\"}}");
		got = cpool_message_encode(reply);
		want = reference(0, &queued, 9);
		is_str(got, want, "without a connection: the same reply");
		free(got);
		free(want);
		json_decref(reply);
	}
	free(a.p);
	close(fa);
}

/* Jobs that end while the listing is sent: listed once, in order, or not at all. */
static void test_ends_meanwhile(void)
{
	struct inbox a = { 0 };
	int fa = connect_client(), cancelled = 0, kept = 0, listed_kept = 0;
	int64_t first = d.jobs->rec.id, last_seen = 0;
	bool ascending = true;
	json_t *reply, *jobs, *o;
	size_t i;

	send_str(fa, "{\"v\":1,\"id\":11,\"op\":\"ps\"}\n");
	pump_started(d.loop, fa, &a);
	ok(!memchr(a.p, '\n', a.len), "ps has begun, and not ended");
	/* Every third job, from the head (listed already) to the tail (not yet), ends. */
	for (struct djob *j = d.jobs, *next; j; j = next) {
		struct cpool_error e;

		next = j->next;
		if ((j->rec.id - first) % 3 == 1 && j->rec.state == CPOOL_JOB_QUEUED) {
			jobs_cancel(&d, j, &e);
			cancelled++;
		}
		if (cancelled && cancelled % 20 == 0)
			cpool_evloop_once(d.loop, 10);
	}
	pump_until(d.loop, fa, &a, 1);
	reply = json_loadb(a.p, a.len, 0, NULL);
	ok(json_is_true(json_object_get(reply, "ok")),
	   "ps with jobs ending meanwhile: one valid line");
	jobs = json_object_get(json_object_get(reply, "result"), "jobs");
	json_array_foreach(jobs, i, o) {
		int64_t id = json_integer_value(json_object_get(o, "id"));

		if (json_is_true(json_object_get(o, "unsaved")))
			continue;
		ascending &= id > last_seen;
		last_seen = id;
		listed_kept += jobs_find(&d, id) != NULL;
	}
	for (struct djob *j = d.jobs; j; j = j->next)
		kept++;
	ok(cancelled > 50, "%d jobs ended while it was sent", cancelled);
	ok(ascending, "no job listed twice, in id order");
	is_int(listed_kept, kept, "every job live throughout is listed");
	json_decref(reply);
	free(a.p);
	close(fa);
}

/* A wait's answer that comes while ps is sent follows the ps line, not inside it. */
static void test_owed_after(void)
{
	struct inbox a = { 0 };
	int fa = connect_client();
	int64_t id = submit(1000, true, "waited");
	char req[200];
	char *nl;
	json_t *first, *second;
	struct cpool_error e;

	snprintf(req, sizeof(req),
		 "{\"v\":1,\"id\":21,\"op\":\"wait\",\"args\":{\"job\":%lld}}\n"
		 "{\"v\":1,\"id\":22,\"op\":\"ps\"}\n",
		 (long long)id);
	send_str(fa, req);
	pump_started(d.loop, fa, &a);
	jobs_cancel(&d, jobs_find(&d, id), &e);
	pump_until(d.loop, fa, &a, 2);
	nl = memchr(a.p, '\n', a.len);
	first = nl ? json_loadb(a.p, (size_t)(nl - a.p), 0, NULL) : NULL;
	second = nl ? json_loads(nl + 1, 0, NULL) : NULL;
	is_int(json_integer_value(json_object_get(first, "id")), 22,
	       "the ps line comes whole first");
	is_int(json_integer_value(json_object_get(second, "id")), 21,
	       "the wait's answer, given meanwhile, after it");
	json_decref(first);
	json_decref(second);
	free(a.p);
	close(fa);
}

/* A client gone mid-listing: its stream is released (ASan would see a leak). */
static void test_gone(void)
{
	struct inbox a = { 0 };
	int fa = connect_client();

	send_str(fa, "{\"v\":1,\"id\":31,\"op\":\"ps\"}\n");
	pump_started(d.loop, fa, &a);
	ok(!memchr(a.p, '\n', a.len), "ps has begun, and not ended");
	free(a.p);
	close(fa);
	for (int i = 0; i < 50; i++)
		cpool_evloop_once(d.loop, 1);
	is_int(cpool_apiserver_client_count(d.api), 0, "a client gone mid-listing is freed");
}

/* A scheduling round as sched.c runs it, with every CPU of the VS busy: nothing starts. */
static void round_all_busy(void)
{
	struct cpool_pjob **queued = calloc(1024, sizeof(*queued));
	struct cpool_vs_state vstate = { .name = "v", .cpus = 8, .free_cpus = 0 };
	struct cpool_decision dec[8];
	struct cpool_snapshot snap;
	size_t n = 0;
	int64_t wake;
	int k;

	jobctl_round_begin(&d);
	for (struct djob *j = d.jobs; j && n < 1024; j = j->next)
		if (jobctl_admit(&d, j))
			queued[n++] = &j->pj;
	snap = (struct cpool_snapshot){
		.now_us = now_us(), .queued = queued, .n_queued = n, .vs = &vstate, .n_vs = 1
	};
	k = cpool_policy_decide(&d.policy, &snap, dec, 8, &wake);
	jobctl_round_end(&d, &snap, dec, k);
	free(queued);
}

/* Each listed job's expected start from now, in hours (-1: none), by the socket's ps. */
static int ps_starts(int64_t *ids, double *hours, int max)
{
	struct inbox a = { 0 };
	int fa = connect_client(), n = 0;
	double now = now_s();
	json_t *reply, *o;
	size_t i;

	send_str(fa, "{\"v\":1,\"id\":41,\"op\":\"ps\"}\n");
	pump_until(d.loop, fa, &a, 1);
	reply = json_loadb(a.p, a.len, 0, NULL);
	json_array_foreach(json_object_get(json_object_get(reply, "result"), "jobs"), i, o) {
		json_t *at = json_object_get(o, "expected_start");

		if (n == max)
			break;
		ids[n] = json_integer_value(json_object_get(o, "id"));
		hours[n++] = at ? (json_number_value(at) - now) / 3600 : -1;
	}
	json_decref(reply);
	free(a.p);
	close(fa);
	return n;
}

/*
 * The simulator's expected starts, now computed off the loop and kept per
 * round: right after a submission, a cancel, and only once per round.
 * Eight CPUs, jobs of an hour (the default estimate): the k-th waiting job
 * starts in k / 8 hours.
 */
static void test_estimate(void)
{
	int64_t ids[64], held;
	double h[64];
	uint64_t runs;
	int n, bad = 0;
	struct cpool_error e;

	while (d.jobs)
		jobs_cancel(&d, d.jobs, &e);
	for (int i = 0; i < 20; i++)
		submit(1000, false, "est");
	held = submit(1000, true, "held");
	round_all_busy();
	n = ps_starts(ids, h, 64);
	is_int(n, 22, "20 waiting, one held, one unsaved");
	for (int k = 0; k < 20; k++)
		bad += fabs(h[k] - (double)(k / 8)) > 0.01;
	ok(bad == 0, "the k-th waiting job is expected in k/8 hours (first %.3f, last %.3f)", h[0],
	   h[19]);
	ok(ids[20] == held && h[20] < 0, "the held job has no expected start");
	runs = jobctl_estimate_runs();
	ps_starts(ids, h, 64);
	is_int((int)(jobctl_estimate_runs() - runs), 0,
	       "a second ps in the same round replays nothing");

	/* Eight end: everyone moves up an hour, once the round has seen it. */
	for (int k = 0; k < 8; k++)
		jobs_cancel(&d, jobs_find(&d, ids[k]), &e);
	round_all_busy();
	n = ps_starts(ids, h, 64);
	is_int((int)(jobctl_estimate_runs() - runs), 1, "a new round: one new replay");
	bad = 0;
	for (int k = 0; k < 12; k++)
		bad += fabs(h[k] - (double)(k / 8)) > 0.01;
	is_int(bad, 0, "after 8 cancels the k-th waiting job is expected in k/8 hours");

	/* A new job queues behind them: 12 before it, so in an hour. */
	{
		int64_t late = submit(1000, false, "late");
		int at = -1;

		round_all_busy();
		n = ps_starts(ids, h, 64);
		for (int k = 0; k < n; k++)
			if (ids[k] == late)
				at = k;
		ok(at >= 0 && fabs(h[at] - 1) < 0.01, "a job submitted after them: in 1 h (%.3f)",
		   at >= 0 ? h[at] : -1);
	}
}

/* The table stays in id order with its last job found at once (jobs.c link_job). */
static void test_table_order(void)
{
	struct cpool_error e;
	struct djob *last = NULL;
	int64_t prev = 0, a, b, c;
	bool ascending = true;
	int n = 0;

	a = submit(1000, false, "t");
	b = submit(1000, false, "t");
	jobs_cancel(&d, jobs_find(&d, b), &e); /* the last one goes */
	c = submit(1000, false, "t");
	jobs_cancel(&d, jobs_find(&d, a), &e);
	submit(1000, false, "t");
	for (struct djob *j = d.jobs; j; j = j->next) {
		ascending &= j->rec.id > prev;
		prev = j->rec.id;
		last = j;
		n++;
	}
	ok(ascending && jobs_find(&d, c) && !jobs_find(&d, a) && !jobs_find(&d, b),
	   "the table in id order after its last and a middle job went");
	ok(last && last->rec.id == prev && last->rec.id > c, "the newest job is last");
	is_int(n, 12 + 1 + 1 + 2, "and nothing is lost (12 waiting, held, late, 2 new)");
}

int main(void)
{
	struct cpool_apiserver_opts o = { .mode = 0600,
					  .gid = (gid_t)-1,
					  .handler = api_handle,
					  .on_close = api_client_closed,
					  .data = &d };
	struct cpool_error err;
	struct vsrv vs = { 0 };

	fixture_open(&d, dir);
	snprintf(vs.vs.name, sizeof(vs.vs.name), "v");
	cpool_cpuset_set_range(&vs.vs.cpus, 0, 7);
	cpool_cpuset_set_range(&vs.busy, 0, 7); /* all busy: every job stays queued */
	d.vs = &vs;
	d.n_vs = 1;
	cpool_user_limits_default(&d.cfg.limits);
	d.cfg.limits.submit_rate = 1e6;
	d.cfg.limits.queued_jobs_per_user = 0;
	cpool_policy_init(&d.policy);
	if (cpool_evloop_new(&d.loop))
		bail_out("evloop");
	snprintf(sock, sizeof(sock), "%s/cpool.sock", dir);
	o.path = sock;
	if (cpool_apiserver_open(d.loop, &o, &d.api, &err))
		bail_out("%s", err.msg);

	for (int i = 0; i < 300; i++)
		submit(i % 3 ? 1000 : 1001, i % 7 == 0, i % 2 ? "odd" : "even");
	{
		/* Why they wait and when they may start, as a round leaves them. */
		struct cpool_pjob *queued[400];
		struct cpool_vs_state vstate = { .name = "v", .cpus = 8, .free_cpus = 0 };
		struct cpool_decision dec[8];
		struct cpool_snapshot snap;
		size_t n = 0;
		int64_t wake;
		int k;

		jobctl_round_begin(&d);
		for (struct djob *j = d.jobs; j; j = j->next)
			if (jobctl_admit(&d, j))
				queued[n++] = &j->pj;
		snap = (struct cpool_snapshot){ .now_us = now_us(),
						.queued = queued,
						.n_queued = n,
						.vs = &vstate,
						.n_vs = 1 };
		k = cpool_policy_decide(&d.policy, &snap, dec, 8, &wake);
		jobctl_round_end(&d, &snap, dec, k);
	}
	add_unsaved(100000, 1000);

	test_identical();
	test_ends_meanwhile();
	test_owed_after();
	test_gone();
	test_estimate();
	test_table_order();

	cpool_apiserver_close(d.api);
	jobctl_estimate_close();
	unsaved_free(&d);
	fixture_close(&d, dir);
	cpool_evloop_free(d.loop);
	done_testing();
	return exit_status();
}
