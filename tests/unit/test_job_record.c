// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* Job states and the supervisor's start/exit records: text forms both ways. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "cpool/job_record.h"

static void test_states(void)
{
	enum cpool_job_state s;

	for (int i = 0; i < CPOOL_JOB__COUNT; i++) {
		const char *name = cpool_job_state_name((enum cpool_job_state)i);

		ok(cpool_job_state_parse(name, &s) == 0 && s == (enum cpool_job_state)i,
		   "state %s parses back", name);
	}
	is_str(cpool_job_state_name(CPOOL_JOB_STARTING), "starting", "STARTING is 'starting'");
	is_int(cpool_job_state_parse("runing", &s), -EINVAL, "a misspelt state is refused");
	ok(cpool_job_state_ended(CPOOL_JOB_CANCELLED) && !cpool_job_state_ended(CPOOL_JOB_STARTING),
	   "cancelled has ended, starting has not");
}

static void test_start_record(void)
{
	struct cpool_job_record r = { .job_id = 42,
				      .mem = 1 << 30,
				      .supervisor_pid = 100,
				      .supervisor_start = 123456,
				      .start_time = 1700000000.5 };
	struct cpool_job_record back;
	char *text;

	strcpy(r.vs, "batch");
	strcpy(r.leaf, "/sys/fs/cgroup/cpool/batch/job-42");
	strcpy(r.cpus, "2-3,6");
	text = cpool_job_record_encode(&r);
	if (!ok(text != NULL, "a launching start record encodes"))
		return;
	is_int(cpool_job_record_decode(text, &back), 0, "and decodes");
	is_int(back.job_id, 42, "  job id");
	is_str(back.vs, "batch", "  vs");
	is_str(back.leaf, r.leaf, "  leaf");
	is_str(back.cpus, "2-3,6", "  cpus");
	is_int((int64_t)back.mem, 1 << 30, "  mem");
	is_int(back.supervisor_pid, 100, "  supervisor pid");
	is_int((int64_t)back.supervisor_start, 123456, "  supervisor start time");
	is_int(back.job_pid, 0, "  no job pid yet: not exec'd");
	ok(!back.ended, "  not ended");
	free(text);

	r.job_pid = 101;
	r.job_start = 123460;
	r.ended = true;
	r.end_time = 1700000010.25;
	r.exit.exited = true;
	r.exit.status = 7;
	r.exit.cpu_usec = 5000000;
	text = cpool_job_record_encode(&r);
	is_int(cpool_job_record_decode(text, &back), 0, "an exit record decodes");
	is_int(back.job_pid, 101, "  job pid");
	is_int((int64_t)back.job_start, 123460, "  job start time");
	ok(back.ended && back.exit.exited && back.exit.status == 7, "  exit status 7");
	is_int((int64_t)back.exit.cpu_usec, 5000000, "  cpu time");
	is_double(back.end_time, 1700000010.25, 1e-6, "  end time");
	free(text);
}

static void test_bad_records(void)
{
	struct cpool_job_record r;

	is_int(cpool_job_record_decode("{", &r), -EINVAL, "truncated JSON is refused");
	is_int(cpool_job_record_decode("{\"job\": 1}", &r), -EINVAL,
	       "a record without its placement is refused");
}

int main(void)
{
	test_states();
	test_start_record();
	test_bad_records();
	done_testing();
	return exit_status();
}
