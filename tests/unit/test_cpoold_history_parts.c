// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * history over the API socket, a page sent in parts (api.c hist_next): the
 * line is byte for byte the one reply of old, with filters and a user's
 * uid too, everyone else is answered between its parts, a job that ends
 * meanwhile is listed once or not at all, and a client that goes away
 * mid-page leaves nothing behind (ASan).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "api_test_client.h"
#include "cpool/store_jobctl.h"

static char dir[] = "/tmp/cpool-test-cpoold-history-parts.XXXXXX";
static char sock[100];
static struct cpoold d;
static int64_t first_active, n_active;

static int connect_client(void)
{
	return api_test_connect(sock);
}

/* The page as op_history built it before it was sent in parts: one read, one encoding. */
struct old_page {
	json_t *jobs;
	int limit;
	int64_t next;
};

static int old_add(const struct cpool_jobrec *r, void *ctx)
{
	struct old_page *h = ctx;
	json_t *o;

	if ((int)json_array_size(h->jobs) == h->limit) {
		h->next = json_integer_value(
			json_object_get(json_array_get(h->jobs, (size_t)h->limit - 1), "id"));
		return 1;
	}
	o = jobs_json(r);
	jobctl_json_stored(&d, r->id, o);
	json_array_append_new(h->jobs, o);
	return 0;
}

static char *reference(struct cpool_job_filter f, int limit, json_int_t id)
{
	struct old_page h = { .jobs = json_array(), .limit = limit ? limit : 500 };
	json_t *result, *reply;
	char *line;

	f.finished_only = true;
	if (cpool_store_job_foreach(d.store, &f, old_add, &h) < 0)
		bail_out("reference: %s", cpool_store_errmsg(d.store));
	result = json_pack("{s:o}", "jobs", h.jobs);
	if (h.next)
		json_object_set_new(result, "next", json_integer(h.next));
	reply = cpool_reply_ok(id, result);
	line = cpool_message_encode(reply);
	json_decref(reply);
	if (!line)
		bail_out("encode");
	return line;
}

/* One request on a connection of its own, its whole line. */
static char *ask_socket(const char *req, int *rounds)
{
	struct inbox in = { 0 };
	int fd = connect_client(), n;

	send_str(fd, req);
	n = pump_until(d.loop, fd, &in, 1);
	if (rounds)
		*rounds = n;
	close(fd);
	return in.p;
}

static void same(const char *req, struct cpool_job_filter f, int limit, json_int_t id,
		 const char *what)
{
	char *got = ask_socket(req, NULL), *want = reference(f, limit, id);

	ok(got && strcmp(got, want) == 0, "%s: byte for byte the page of old (%zu bytes)", what,
	   strlen(want));
	if (got && strcmp(got, want))
		diag("got  %.300s\nwant %.300s", got, want);
	free(got);
	free(want);
}

static void test_identical(void)
{
	struct cpool_job_filter all = { .uid = -1, .task = -1 };
	struct inbox a = { 0 }, b = { 0 };
	int fa = connect_client(), fb = connect_client(), rounds;
	char *want;

	/* Root's default page and, at once, another client's stats. */
	send_str(fa, "{\"v\":1,\"id\":7,\"op\":\"history\"}\n");
	pump_started(d.loop, fa, &a);
	send_str(fb, "{\"v\":1,\"id\":8,\"op\":\"stats\"}\n");
	pump_until(d.loop, fb, &b, 1);
	take(fa, &a);
	ok(lines(&a) == 0 && a.len > 0,
	   "another client is answered while a history page is half sent (%zu bytes so far)",
	   a.len);
	rounds = pump_until(d.loop, fa, &a, 1);
	want = reference(all, 0, 7);
	ok(rounds >= 3, "a page of 500 takes several loop iterations (%d more)", rounds);
	ok(a.len == strlen(want) && memcmp(a.p, want, a.len) == 0,
	   "history: byte for byte the page of old, cursor and job control included");
	ok(strstr(want, "\"next\":") && strstr(want, "\"array_job\":") &&
		   strstr(want, "\"reason\":") && strstr(want, "\"after\":"),
	   "and that page has a cursor, arrays, reasons and dependencies to show");
	free(want);
	free(a.p);
	free(b.p);
	close(fa);
	close(fb);

	all.after_id = 1234;
	same("{\"v\":1,\"id\":9,\"op\":\"history\",\"args\":{\"limit\":70,\"after\":1234}}\n", all,
	     70, 9, "limit 70 after 1234");
	all.after_id = 0;
	all.uid = 1000;
	same("{\"v\":1,\"id\":10,\"op\":\"history\",\"args\":{\"uid\":1000}}\n", all, 0, 10,
	     "a user's history (every third job)");
	all.uid = -1;
	all.state = "failed";
	same("{\"v\":1,\"id\":11,\"op\":\"history\",\"args\":{\"state\":\"failed\",\"limit\":"
	     "1000}}\n",
	     all, 1000, 11, "state failed, sparse (one job in ten)");
	all.state = NULL;
	all.name = "odd";
	all.vs = "v";
	same("{\"v\":1,\"id\":12,\"op\":\"history\",\"args\":{\"name\":\"odd\",\"vs\":\"v\"}}\n",
	     all, 0, 12, "name and vs");
	all.name = NULL;
	all.vs = NULL;
	all.job = 17;
	same("{\"v\":1,\"id\":13,\"op\":\"history\",\"args\":{\"job\":17}}\n", all, 0, 13,
	     "an array's elements");
	all.job = 0;
	all.since = 1000 + 2500;
	same("{\"v\":1,\"id\":14,\"op\":\"history\",\"args\":{\"since\":3500}}\n", all, 0, 14,
	     "since");
	all.since = 0;
	all.after_id = 100000;
	same("{\"v\":1,\"id\":15,\"op\":\"history\",\"args\":{\"after\":100000}}\n", all, 0, 15,
	     "after the last job: an empty page");

	/* A user asking, with no connection (the daemon's tests): the same page. */
	{
		json_t *reply = fixture_ask(&d, 1000,
					    "{\"v\":1,\"id\":16,\"op\":\"history\",\"args\":"
					    "{\"limit\":300}}");
		char *got = cpool_message_encode(reply);
		struct cpool_job_filter mine = { .uid = 1000, .task = -1 };

		want = reference(mine, 300, 16);
		is_str(got, want, "a user's page, without a connection: the page of old");
		free(got);
		free(want);
		json_decref(reply);
		reply = fixture_ask(&d, 1000,
				    "{\"v\":1,\"id\":17,\"op\":\"history\",\"args\":{\"uid\":0}}");
		is_int(json_integer_value(json_object_get(json_object_get(reply, "error"), "code")),
		       EPERM, "another user's history is refused");
		json_decref(reply);
	}
}

/* Paging with the cursor gives every ended job once, over the socket. */
static void test_paging(void)
{
	int64_t after = 0, seen = 0, last = 0;
	int pages = 0;
	bool ordered = true;

	do {
		char req[160], *line;
		json_t *reply, *jobs, *o;
		size_t i;

		snprintf(req, sizeof(req),
			 "{\"v\":1,\"id\":2,\"op\":\"history\",\"args\":{\"limit\":130,\"after\":"
			 "%lld}}\n",
			 (long long)after);
		line = ask_socket(req, NULL);
		reply = line ? json_loads(line, 0, NULL) : NULL;
		jobs = json_object_get(json_object_get(reply, "result"), "jobs");
		json_array_foreach(jobs, i, o) {
			int64_t id = json_integer_value(json_object_get(o, "id"));

			ordered &= id > last;
			last = id;
			seen++;
		}
		after = json_integer_value(
			json_object_get(json_object_get(reply, "result"), "next"));
		json_decref(reply);
		free(line);
		pages++;
	} while (after && pages < 100);
	is_int(seen, 3000, "paging by 130 over the socket gives every ended job");
	ok(ordered, "once each, in id order, in %d pages", pages);
}

/* Jobs that end while the page is sent: listed once, in order, or not at all. */
static void test_ends_meanwhile(void)
{
	struct inbox a = { 0 };
	int fa = connect_client(), ended = 0, listed_new = 0;
	int64_t last = 0;
	bool ascending = true;
	json_t *reply, *o;
	size_t i;

	/* From job 2400: 100 ended, the 1 500 active, 500 ended: 600 and those ended meanwhile. */
	send_str(fa, "{\"v\":1,\"id\":21,\"op\":\"history\",\"args\":{\"after\":2400,"
		     "\"limit\":1000}}\n");
	pump_started(d.loop, fa, &a);
	ok(!memchr(a.p, '\n', a.len), "the page has begun, and not ended");
	/* Every active job, those before the slice being read and those after it, ends. */
	for (int64_t id = first_active; id < first_active + n_active; id++) {
		struct cpool_jobrec r;

		if (cpool_store_job_get(d.store, id, &r))
			bail_out("get %lld", (long long)id);
		r.state = CPOOL_JOB_DONE;
		r.end_time = 9999;
		if (cpool_store_job_update(d.store, &r))
			bail_out("update");
		cpool_jobrec_free(&r);
		ended++;
		if (ended % 10 == 0)
			cpool_evloop_once(d.loop, 10);
	}
	pump_until(d.loop, fa, &a, 1);
	reply = json_loadb(a.p, a.len, 0, NULL);
	ok(json_is_true(json_object_get(reply, "ok")),
	   "a page with jobs ending meanwhile: one valid line");
	json_array_foreach(json_object_get(json_object_get(reply, "result"), "jobs"), i, o) {
		int64_t id = json_integer_value(json_object_get(o, "id"));

		ascending &= id > last;
		last = id;
		listed_new += id >= first_active && id < first_active + n_active;
	}
	ok(ascending, "no job listed twice, in id order");
	is_int((int)json_array_size(json_object_get(json_object_get(reply, "result"), "jobs")),
	       600 + listed_new,
	       "every job ended throughout is listed, and those that ended since");
	ok(listed_new > 0 && listed_new < n_active,
	   "of the %lld that ended meanwhile, those not yet read (%d)", (long long)n_active,
	   listed_new);
	json_decref(reply);
	free(a.p);
	close(fa);
}

/* A client gone mid-page: its stream is released (ASan would see a leak). */
static void test_gone(void)
{
	struct inbox a = { 0 };
	int fa = connect_client();

	send_str(fa, "{\"v\":1,\"id\":31,\"op\":\"history\",\"args\":{\"name\":\"odd\"}}\n");
	pump_started(d.loop, fa, &a);
	ok(!memchr(a.p, '\n', a.len), "the page has begun, and not ended");
	free(a.p);
	close(fa);
	for (int i = 0; i < 50; i++)
		cpool_evloop_once(d.loop, 1);
	is_int(cpool_apiserver_client_count(d.api), 0, "a client gone mid-page is freed");
}

static void insert(int i, enum cpool_job_state state)
{
	struct cpool_jobrec r = { .name = (char *)(i % 2 ? "odd" : "even"),
				  .uid = i % 3 ? 0 : 1000,
				  .argv_json = (char *)"[\"/bin/true\"]",
				  .cwd = (char *)"/",
				  .vs = (char *)(i % 5 ? "v" : "w"),
				  .cpus = 1,
				  .state = state,
				  .submit_time = 1000 + i,
				  .first_start = 1001 + i,
				  .start_time = 1001 + i,
				  .end_time = state == CPOOL_JOB_QUEUED ? 0 : 1002 + i,
				  .run_time = 1,
				  .exit_code = i % 10 ? 0 : 3 };

	if (cpool_store_job_insert(d.store, &r))
		bail_out("insert: %s", cpool_store_errmsg(d.store));
	if (i % 4 == 0) {
		/* Arrays of four from job 17 on, reasons and dependencies between. */
		struct cpool_jobctl_row row = {
			.id = r.id,
			.array_id = i >= 16 ? 17 + (i - 16) / 16 * 16 : 0,
			.array_task = i >= 16 ? (i - 16) % 16 / 4 : -1,
			.after = i % 8 ? NULL : (char *)"3:ok",
			.reason = i % 12 ? NULL : (char *)"DependencyNeverSatisfied",
		};

		if (cpool_store_jobctl_put(d.store, &row))
			bail_out("jobctl: %s", cpool_store_errmsg(d.store));
	}
}

int main(void)
{
	struct cpool_apiserver_opts o = { .mode = 0600,
					  .gid = (gid_t)-1,
					  .handler = api_handle,
					  .on_close = api_client_closed,
					  .data = &d };
	struct cpool_error err;

	fixture_open(&d, dir);
	if (cpool_evloop_new(&d.loop))
		bail_out("evloop");
	snprintf(sock, sizeof(sock), "%s/cpool.sock", dir);
	o.path = sock;
	if (cpool_apiserver_open(d.loop, &o, &d.api, &err))
		bail_out("%s", err.msg);

	/*
	 * 3 000 ended jobs (one in ten failed), then 1 500 still active (to end
	 * mid-page), then 500 ended: 5 000 rows, several slices of the table.
	 */
	if (cpool_store_begin(d.store))
		bail_out("begin");
	for (int i = 0; i < 2500; i++)
		insert(i, i % 10 ? CPOOL_JOB_DONE : CPOOL_JOB_FAILED);
	for (int i = 2500; i < 4000; i++)
		insert(i, CPOOL_JOB_QUEUED);
	for (int i = 4000; i < 4500; i++)
		insert(i, i % 10 ? CPOOL_JOB_DONE : CPOOL_JOB_FAILED);
	if (cpool_store_commit(d.store))
		bail_out("commit");
	first_active = 2501;
	n_active = 1500;

	test_identical();
	test_paging();
	test_gone();
	test_ends_meanwhile();

	cpool_apiserver_close(d.api);
	fixture_close(&d, dir);
	cpool_evloop_free(d.loop);
	done_testing();
	return exit_status();
}
