// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* Trace readers: CSV and SWF, errors with line and field, skipped jobs, the real logs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "shared_data.h"
#include "cpool/job.h"

static int read_text(const char *text, enum cpool_trace_format f, struct cpool_trace *t,
		     struct cpool_error *e)
{
	FILE *in = fmemopen((void *)text, strlen(text), "r");
	int ret;

	if (!in)
		bail_out("fmemopen: %s", strerror(errno));
	ret = cpool_trace_read(in, f, t, e);
	fclose(in);
	return ret;
}

/* The message starts "field NAME: ", the field the reader refused. */
static bool names_field(const struct cpool_error *e, const char *field)
{
	char want[64];

	snprintf(want, sizeof(want), "field %s: ", field);
	return strncmp(e->msg, want, strlen(want)) == 0;
}

static void csv_good(void)
{
	struct cpool_trace t;
	struct cpool_error e;
	/* Columns in any order, optional estimate and vs, comments and blank lines. */
	const char *text = "# a comment\n"
			   "priority, id ,cpus,submit,runtime,mem,estimate,vs\n"
			   "\n"
			   "3,job-a,2,0,1.5,512M,,\n"
			   "-2,job-b,1,0.25,100ms,4096,2,db\n"
			   "0,c,4,1m,2s,1G,3,\n";
	int ret = read_text(text, CPOOL_TRACE_AUTO, &t, &e);

	is_int(ret, 0, "csv: reads");
	is_int((int64_t)t.n_jobs, 3, "csv: three jobs");
	if (t.n_jobs == 3) {
		is_str(t.jobs[0].id, "job-a", "csv: id");
		is_int(t.jobs[0].priority, 3, "csv: priority");
		is_int(t.jobs[0].cpus, 2, "csv: cpus");
		is_int(t.jobs[0].runtime_us, 1500000, "csv: decimal seconds");
		is_int(t.jobs[0].estimate_us, 1500000, "csv: empty estimate = runtime");
		is_int((int64_t)t.jobs[0].mem, 512LL << 20, "csv: mem with suffix");
		is_str(t.jobs[0].vs, "", "csv: empty vs = any");
		is_int(t.jobs[1].submit_us, 250000, "csv: submit 0.25 s");
		is_int(t.jobs[1].runtime_us, 100000, "csv: runtime with a unit");
		is_int(t.jobs[1].estimate_us, 2000000, "csv: estimate given");
		is_int(t.jobs[1].priority, -2, "csv: negative priority (nice-like)");
		is_str(t.jobs[1].vs, "db", "csv: vs");
		is_int((int64_t)t.jobs[1].mem, 4096, "csv: mem in bytes");
		is_int(t.jobs[2].submit_us, 60000000, "csv: submit 1m");
		is_int((int64_t)t.jobs[2].index, 2, "csv: input order kept");
	}
	cpool_trace_free(&t);
}

struct bad_csv {
	const char *text;
	size_t line;
	const char *field;
};

static void csv_errors(void)
{
	static const struct bad_csv bad[] = {
		{ "id,submit,runtime,cpus,mem,priority\na,0,1,1,0,0\nb,0,x,1,0,0\n", 3, "runtime" },
		{ "id,submit,runtime,cpus,mem,priority\n\n\na,zero,1,1,0,0\n", 4, "submit" },
		{ "id,submit,runtime,cpus,mem,priority\na,0,1,0,0,0\n", 2, "cpus" },
		{ "id,submit,runtime,cpus,mem,priority\na,0,1,1,lots,0\n", 2, "mem" },
		{ "id,submit,runtime,cpus,mem,priority\na,0,1,1,0,high\n", 2, "priority" },
		{ "id,submit,runtime,cpus,mem,priority\na,-1,1,1,0,0\n", 2, "submit" },
		{ "id,submit,runtime,cpus,mem,priority\na,0,1,1,0\n", 2, "line" },
		{ "id,submit,runtime,cpus,mem,priority,vs\na,0,1,1,0,0,../x\n", 2, "vs" },
		{ "id,submit,runtime,cpus,mem,priority,estimate\na,0,1,1,0,0,soon\n", 2,
		  "estimate" },
		{ "id,submit,runtime,cpus,mem\n", 1, "priority" },
		{ "id,submit,runtime,cpus,mem,priority,colour\n", 1, "colour" },
		{ "id,submit,runtime,cpus,mem,priority,cpus\n", 1, "cpus" },
		{ "# only a comment\n", 1, "header" },
		{ "id,submit,runtime,cpus,mem,priority\n,0,1,1,0,0\n", 2, "id" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cpool_trace t;
		struct cpool_error e;
		int ret = read_text(bad[i].text, CPOOL_TRACE_CSV, &t, &e);

		ok(ret == -EINVAL && e.line == bad[i].line && names_field(&e, bad[i].field),
		   "csv error %zu: line %zu field %s", i, bad[i].line, bad[i].field);
		if (ret != -EINVAL || e.line != bad[i].line || !names_field(&e, bad[i].field))
			diag("got %d at line %zu: %s", ret, e.line, e.msg);
		ok(strlen(e.msg) > strlen("field : ") + strlen(bad[i].field),
		   "csv error %zu has a message (%s)", i, e.msg);
		cpool_trace_free(&t);
	}
	{
		struct cpool_trace t;
		struct cpool_error e;

		read_text("id,submit,runtime,cpus,mem,priority,colour\n", CPOOL_TRACE_CSV, &t, &e);
		ok(strstr(e.msg, "unknown column (known: id, submit, runtime, cpus, mem, priority, "
				 "estimate, vs, user)") != NULL,
		   "csv: an unknown column's message offers every known one (%s)", e.msg);
		cpool_trace_free(&t);
	}
}

static void swf(void)
{
	struct cpool_trace t;
	struct cpool_error e;
	const char *text =
		"; Version: 2.2\n"
		";   MaxProcs: 100\n"
		/* ordinary, with requested time as the estimate and memory per processor */
		"    1   10  5  100  4  -1  -1  4  200  1024  1 1 1 -1 -1 -1 -1 -1\n"
		/* allocated -1: requested processors stand in; requested time -1: estimate = runtime */
		"2 20 -1 50 -1 -1 2048 8 -1 -1 1 1 1 -1 -1 -1 -1 -1\n"
		/* both processor fields -1: cannot run, skipped */
		"3 30 -1 50 -1 -1 -1 -1 -1 -1 1 1 1 -1 -1 -1 -1 -1\n"
		/* zero runtime: runs, takes no time */
		"4 40 -1 0 1 -1 -1 -1 -1 -1 1 1 1 -1 -1 -1 -1 -1\n"
		/* runtime unknown: skipped */
		"5 50 -1 -1 1 -1 -1 -1 -1 -1 5 1 1 -1 -1 -1 -1 -1\n"
		/* submit unknown: skipped */
		"6 -1 -1 9 1 -1 -1 -1 -1 -1 1 1 1 -1 -1 -1 -1 -1\n"
		/* runs longer than requested: kept, estimate stays the (short) request */
		"7\t70\t0\t500\t2\t-1\t-1\t2\t300\t-1\t1\t1\t1\t-1\t-1\t-1\t-1\t-1\n";
	int ret = read_text(text, CPOOL_TRACE_AUTO, &t, &e);

	is_int(ret, 0, "swf: reads");
	is_int((int64_t)t.n_jobs, 4, "swf: four runnable jobs");
	is_int((int64_t)t.n_skipped, 3, "swf: three skipped and counted");
	ok(strstr(t.first_skip, "line 5") && strstr(t.first_skip, "processors"),
	   "swf: first skip names line and field (%s)", t.first_skip);
	if (t.n_jobs == 4) {
		is_str(t.jobs[0].id, "1", "swf: id");
		is_int(t.jobs[0].submit_us, 10000000, "swf: submit");
		is_int(t.jobs[0].runtime_us, 100000000, "swf: runtime");
		is_int(t.jobs[0].estimate_us, 200000000, "swf: requested time is the estimate");
		is_int(t.jobs[0].cpus, 4, "swf: allocated processors");
		is_int((int64_t)t.jobs[0].mem, 4 * 1024 * 1024,
		       "swf: requested memory per processor x cpus");
		is_int(t.jobs[1].cpus, 8, "swf: requested processors when allocated is -1");
		is_int(t.jobs[1].estimate_us, t.jobs[1].runtime_us, "swf: estimate -1 = runtime");
		is_int((int64_t)t.jobs[1].mem, 8LL * 2048 * 1024,
		       "swf: used memory when requested is -1");
		is_int(t.jobs[2].runtime_us, 0, "swf: zero runtime kept");
		is_int(t.jobs[3].estimate_us, 300000000, "swf: overrunning job keeps its request");
		is_int(t.jobs[3].runtime_us, 500000000, "swf: and its real runtime");
	}
	cpool_trace_free(&t);

	ret = read_text("; c\n1 2 3\n", CPOOL_TRACE_SWF, &t, &e);
	ok(ret == -EINVAL && e.line == 2 && names_field(&e, "line"),
	   "swf: short line refused with its line (%zu: %s)", e.line, e.msg);
	cpool_trace_free(&t);
	ret = read_text("1 2 -1 x 1 -1 -1 -1 -1 -1 1 1 1 -1 -1 -1 -1 -1\n", CPOOL_TRACE_SWF, &t,
			&e);
	ok(ret == -EINVAL && e.line == 1 && strstr(e.msg, "run time"),
	   "swf: bad number names the field (%s)", e.msg);
	cpool_trace_free(&t);
	ret = read_text("1 2 -1 5 1 -1 -1 -1 -1 -1 1 1 1 -1 -1 -1 -1 -1 7\n", CPOOL_TRACE_SWF, &t,
			&e);
	ok(ret == -EINVAL && e.line == 1, "swf: 19 fields refused");
	cpool_trace_free(&t);
}

struct real {
	const char *file;
	size_t jobs, skipped;
};

static void real_traces(void)
{
	static const struct real logs[] = {
		/* README: 28,476 job lines; job 27313 has -1 in both processor fields. */
		{ "KTH-SP2-1996-2.1-cln.swf", 28475, 1 },
		{ "NASA-iPSC-1993-3.1-cln.swf", 18239, 0 },
		{ "lublin_256.swf", 10000, 0 },
	};
	const char *no_data, *traces = shared_data_dir("traces", &no_data);

	for (size_t i = 0; i < 3; i++) {
		struct cpool_trace t;
		struct cpool_error e;
		char path[8192];
		int ret;

		if (!traces) {
			skip(3, no_data);
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", traces, logs[i].file);
		ret = cpool_trace_load(path, CPOOL_TRACE_AUTO, &t, &e);
		is_int(ret, 0, logs[i].file);
		if (ret)
			diag("%s", e.msg);
		is_int((int64_t)t.n_jobs, (int64_t)logs[i].jobs, "jobs read");
		is_int((int64_t)t.n_skipped, (int64_t)logs[i].skipped, "jobs skipped");
		if (t.n_skipped)
			diag("%s: %s", logs[i].file, t.first_skip);
		cpool_trace_free(&t);
	}
}

/*
 * Garbage never crashes a reader (ASan and UBSan watch): random bytes,
 * and random mutations of valid lines, in both formats.
 */
static void garbage(void)
{
	static const char *const seeds[] = {
		"id,submit,runtime,cpus,mem,priority,estimate,vs\na,0,1.5,2,1G,-3,2,db\n",
		"1 10 5 100 4 -1 -1 4 200 1024 1 1 1 -1 -1 -1 -1 -1\n",
	};
	static const char alphabet[] = "0123456789-.,; \t\neEx:KMGms#[]";
	uint64_t x = 0x2545f4914f6cdd1dULL;
	size_t failures = 0, runs = 0;

	for (int round = 0; round < 400; round++) {
		char buf[256];
		size_t len = strlen(seeds[round % 2]);
		struct cpool_trace t;
		struct cpool_error e;
		int ret;

		memcpy(buf, seeds[round % 2], len + 1);
		for (int k = 0; k < 1 + round % 8; k++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			if (round < 200)
				buf[x % len] = alphabet[(x >> 20) % (sizeof(alphabet) - 1)];
			else
				buf[x % len] = (char)(1 + (x >> 20) % 255);
		}
		ret = read_text(buf, round % 3 ? CPOOL_TRACE_AUTO : CPOOL_TRACE_SWF, &t, &e);
		runs++;
		/* Either it reads, or it says where it stopped. */
		if (ret && !(ret == -EINVAL && e.line >= 1 && strncmp(e.msg, "field ", 6) == 0)) {
			failures++;
			diag("ret %d line %zu message '%s' for: %s", ret, e.line, e.msg, buf);
		}
		cpool_trace_free(&t);
	}
	is_int((int64_t)failures, 0, "garbage: every failure names a line and field");
	ok(runs == 400, "garbage: 400 mutated traces read without a crash");
}

int main(void)
{
	struct cpool_trace t;
	struct cpool_error e;

	csv_good();
	csv_errors();
	swf();
	real_traces();
	garbage();
	is_int(cpool_trace_load("/nonexistent/trace.swf", CPOOL_TRACE_AUTO, &t, &e), -ENOENT,
	       "missing file: -ENOENT");
	cpool_trace_free(&t);
	done_testing();
	return exit_status();
}
