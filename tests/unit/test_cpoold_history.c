// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* cpoold answers history in pages: a limit, a cursor, and every job once. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpoold_fixture.h"

static char dir[] = "/tmp/cpool-test-cpoold-history.XXXXXX";

int main(void)
{
	struct cpoold d;
	char line[256];
	json_t *reply, *jobs;
	int64_t after = 0, seen = 0, last = 0, pages = 0;
	bool ordered = true;

	plan(9);
	fixture_open(&d, dir);
	/* 1 200 ended jobs, every third of uid 1000. */
	for (int i = 0; i < 1200; i++) {
		struct cpool_jobrec r = { .name = (char *)"j",
					  .uid = i % 3 ? 0 : 1000,
					  .argv_json = (char *)"[\"/bin/true\"]",
					  .cwd = (char *)"/",
					  .cpus = 1,
					  .state = CPOOL_JOB_DONE,
					  .submit_time = 1000 + i,
					  .end_time = 2000 + i };

		if (cpool_store_job_insert(d.store, &r))
			bail_out("insert: %s", cpool_store_errmsg(d.store));
	}

	reply = fixture_ask(&d, 0, "{\"v\":1,\"id\":1,\"op\":\"history\"}");
	jobs = json_object_get(json_object_get(reply, "result"), "jobs");
	is_int((int64_t)json_array_size(jobs), CPOOL_PROTO_HISTORY_PAGE,
	       "without a limit, a page of the default size");
	is_int(json_integer_value(json_object_get(json_object_get(reply, "result"), "next")),
	       CPOOL_PROTO_HISTORY_PAGE, "and the cursor of the next page");
	json_decref(reply);

	do {
		snprintf(
			line, sizeof(line),
			"{\"v\":1,\"id\":2,\"op\":\"history\",\"args\":{\"limit\":70,\"after\":%lld}}",
			(long long)after);
		reply = fixture_ask(&d, 0, line);
		jobs = json_object_get(json_object_get(reply, "result"), "jobs");
		for (size_t i = 0; i < json_array_size(jobs); i++) {
			int64_t id =
				json_integer_value(json_object_get(json_array_get(jobs, i), "id"));

			ordered &= id > last;
			last = id;
			seen++;
		}
		pages++;
		after = json_integer_value(
			json_object_get(json_object_get(reply, "result"), "next"));
		json_decref(reply);
	} while (after && pages < 100);
	is_int(seen, 1200, "paging with limit 70 gives every job");
	ok(ordered, "once each, in id order");
	is_int(pages, 18, "in 18 pages (17 full, one of 10)");

	reply = fixture_ask(&d, 1000,
			    "{\"v\":1,\"id\":3,\"op\":\"history\",\"args\":{\"limit\":1000}}");
	jobs = json_object_get(json_object_get(reply, "result"), "jobs");
	is_int((int64_t)json_array_size(jobs), 400, "a user's page holds only their jobs");
	ok(!json_object_get(json_object_get(reply, "result"), "next"), "and, all there, no cursor");
	json_decref(reply);

	reply = fixture_ask(
		&d, 0,
		"{\"v\":1,\"id\":4,\"op\":\"history\",\"args\":{\"limit\":1200,\"after\":3}}");
	ok(json_is_false(json_object_get(reply, "ok")), "a limit past the maximum is refused");
	ok(strstr(json_string_value(json_object_get(json_object_get(reply, "error"), "message")) ?:
												   "",
		  "args.limit"),
	   "naming the key");
	json_decref(reply);

	fixture_close(&d, dir);
	return exit_status();
}
