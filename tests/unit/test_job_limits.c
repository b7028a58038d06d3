// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* Per-VS job limits: keys, defaults, the time limit's resolution, min(estimate, time). */
#include <errno.h>
#include <string.h>

#include "../tap.h"
#include "cpool/config.h"
#include "cpool/job_limits.h"

static char seen[1024];

static void collect(const char *key, const char *value, void *ctx)
{
	(void)ctx;
	snprintf(seen + strlen(seen), sizeof(seen) - strlen(seen), "%s=%s;", key, value);
}

static void defaults(void)
{
	struct cpool_job_limits l = { 0 };
	struct rlimit r;

	r = cpool_job_rlimit_get(&l, CPOOL_JOB_RLIMIT_NOFILE);
	ok(r.rlim_cur == 1024 && r.rlim_max == 524288, "nofile defaults to 1024:524288");
	r = cpool_job_rlimit_get(&l, CPOOL_JOB_RLIMIT_MEMLOCK);
	ok(r.rlim_cur == 8 << 20 && r.rlim_max == 8 << 20,
	   "memlock defaults to 8M, never the daemon's infinity");
	r = cpool_job_rlimit_get(&l, CPOOL_JOB_RLIMIT_CORE);
	ok(r.rlim_cur == 0 && r.rlim_max == RLIM_INFINITY, "core defaults to 0:infinity");
	r = cpool_job_rlimit_get(&l, CPOOL_JOB_RLIMIT_NPROC);
	ok(r.rlim_cur == RLIM_INFINITY, "nproc defaults to infinity (pids.max bounds a job)");
	is_int((int)cpool_job_pids_max(&l), CPOOL_JOB_PIDS_MAX_DEFAULT, "job_pids_max default");
	is_double(cpool_job_kill_grace(&l), 10.0, 1e-9, "kill_grace defaults to 10 s");
	is_int(cpool_job_rlimit_resource(CPOOL_JOB_RLIMIT_NOFILE), RLIMIT_NOFILE,
	       "the nofile key maps to RLIMIT_NOFILE");
}

static void keys(void)
{
	struct cpool_job_limits l = { 0 }, back = { 0 };
	struct cpool_error e = { 0 };
	struct rlimit r;
	char copy[1024], *tok, *save = NULL;

	is_int(cpool_job_limits_set(&l, "job_rlimit_nofile", "4096", &e), 0, "nofile 4096");
	r = cpool_job_rlimit_get(&l, CPOOL_JOB_RLIMIT_NOFILE);
	ok(r.rlim_cur == 4096 && r.rlim_max == 4096, "one value sets soft and hard");
	is_int(cpool_job_limits_set(&l, "job_rlimit_memlock", "64K:1M", &e), 0, "memlock 64K:1M");
	r = cpool_job_rlimit_get(&l, CPOOL_JOB_RLIMIT_MEMLOCK);
	ok(r.rlim_cur == 65536 && r.rlim_max == 1048576, "sizes with suffixes");
	is_int(cpool_job_limits_set(&l, "job_rlimit_core", "unlimited", &e), 0, "core unlimited");
	is_int(cpool_job_limits_set(&l, "job_rlimit_nofile", "10:5", &e), -EINVAL,
	       "soft above hard is refused");
	ok(strstr(e.msg, "soft limit is above"), "and says so: %s", e.msg);
	is_int(cpool_job_limits_set(&l, "job_rlimit_nproc", "lots", &e), -EINVAL,
	       "a word is refused");
	is_int(cpool_job_limits_set(&l, "job_pids_max", "0", &e), -EINVAL, "job_pids_max 0");
	is_int(cpool_job_limits_set(&l, "job_pids_max", "512", &e), 0, "job_pids_max 512");
	is_int((int)cpool_job_pids_max(&l), 512, "applies");
	is_int(cpool_job_limits_set(&l, "kill_grace", "2s", &e), 0, "kill_grace 2s");
	is_int(cpool_job_limits_set(&l, "max_time", "1h", &e), 0, "max_time 1h");
	is_int(cpool_job_limits_set(&l, "default_time", "2h", &e), -EINVAL,
	       "default_time above max_time is refused");
	ok(strstr(e.msg, "max_time"), "naming max_time: %s", e.msg);
	l.default_time = 0;
	is_int(cpool_job_limits_set(&l, "default_time", "10m", &e), 0, "default_time 10m");
	is_int(cpool_job_limits_set(&l, "max_time", "400d", &e), -EINVAL,
	       "max_time past the protocol's 366 days is refused");
	is_int(cpool_job_limits_set(&l, "memory", "1G", &e), -ENOENT, "not a job key: -ENOENT");

	seen[0] = '\0';
	cpool_job_limits_each(&l, collect, NULL);
	ok(strstr(seen, "max_time=3600;") && strstr(seen, "default_time=600;") &&
		   strstr(seen, "job_rlimit_memlock=65536:1048576;") &&
		   strstr(seen, "job_rlimit_core=infinity:infinity;"),
	   "the set keys come back as config strings: %s", seen);
	snprintf(copy, sizeof(copy), "%s", seen);
	for (tok = strtok_r(copy, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
		char *eq = strchr(tok, '=');

		*eq = '\0';
		if (cpool_job_limits_set(&back, tok, eq + 1, &e))
			diag("%s: %s", tok, e.msg);
	}
	ok(memcmp(&back, &l, sizeof(l)) == 0, "and parse back to the same limits");
}

static void time_limits(void)
{
	struct cpool_job_limits l = { 0 }, a = { 0 }, b = { 0 }, out;
	const struct cpool_job_limits *both[] = { &a, &b };
	struct cpool_error e = { 0 };
	double t = -1;

	is_int(cpool_job_time_resolve(&l, 0, &t, &e), 0, "no limits, no --time");
	is_double(t, 0, 0, "unlimited");
	l.default_time = 600;
	l.max_time = 3600;
	cpool_job_time_resolve(&l, 0, &t, &e);
	is_double(t, 600, 0, "no --time: the VS's default_time");
	cpool_job_time_resolve(&l, 1800, &t, &e);
	is_double(t, 1800, 0, "--time within max_time is kept");
	is_int(cpool_job_time_resolve(&l, 7200, &t, &e), -EINVAL, "--time 2h over max_time 1h");
	ok(strstr(e.msg, "max_time") && strstr(e.msg, "1h") && strstr(e.msg, "2h"),
	   "the refusal names the limit and both values: %s", e.msg);
	l.default_time = 0;
	cpool_job_time_resolve(&l, 0, &t, &e);
	is_double(t, 3600, 0, "no --time, no default_time: max_time bounds the job (as Slurm)");

	a.default_time = 600;
	b.max_time = 300;
	cpool_job_limits_strictest(both, 2, &out);
	is_double(out.max_time, 300, 0, "without --vs the smallest max_time holds");
	is_double(out.default_time, 300, 0, "and a default above it is cut to it");

	is_double(cpool_job_policy_estimate(100, 60, 3600), 60, 0, "min(estimate, time)");
	is_double(cpool_job_policy_estimate(30, 60, 3600), 30, 0, "the estimate when smaller");
	is_double(cpool_job_policy_estimate(0, 60, 3600), 60, 0, "no estimate: the time limit");
	is_double(cpool_job_policy_estimate(0, 0, 3600), 3600, 0, "neither: the fallback");
	ok(!cpool_job_time_exceeded(0, 1e9), "no limit is never exceeded");
	ok(cpool_job_time_exceeded(60, 60) && !cpool_job_time_exceeded(60, 59.9),
	   "exceeded at the limit, not before");
}

/* A start report read after the job ended (cancelled at once, loop busy) gave a run of -0.002 s. */
static void run_span(void)
{
	is_double(cpool_job_run_start(100.0, 100.5), 100.0, 1e-9,
		  "a run starts at the supervisor's exec, not when the daemon read the report");
	is_double(cpool_job_run_start(0, 100.5), 100.5, 1e-9,
		  "without an exec instant, at the daemon's reading");
	is_double(cpool_job_run_start(101.0, 100.5), 100.5, 1e-9,
		  "never later than the daemon's reading");
	is_double(cpool_job_run_span(100.0, 100.25), 0.25, 1e-9, "a run is end minus start");
	is_double(cpool_job_run_span(100.5, 100.498), 0, 0,
		  "an end read before the start (the clock stepped, or read late) adds nothing");
}

/* attach.started: once per job, never before the attach, even when the clock stepped back. */
static void mark_started(void)
{
	double start = 100.0;

	is_int(cpool_job_mark_started(100.0, &start, 100.7), 0, "a first mark is accepted");
	is_double(start, 100.7, 1e-9, "and moves the start to the mark");
	is_int(cpool_job_mark_started(100.0, &start, 105.0), -EALREADY, "a second is refused");
	is_double(start, 100.7, 1e-9, "and leaves the start");
	start = 100.0;
	is_int(cpool_job_mark_started(100.0, &start, 99.0), 0,
	       "a mark read before the attach (clock stepped back) is accepted");
	ok(start > 100.0 && start < 100.001, "but starts the run just after the attach (%.9f)",
	   start);
	is_int(cpool_job_mark_started(100.0, &start, 120.0), -EALREADY,
	       "and still counts as the one mark");
}

static void config(void)
{
	struct cpool_pool_config c;
	struct cpool_error err = { 0 };
	int r;

	r = cpool_config_parse_string(&c,
				      "[vserver a]\ncpus = 2\nmax_time = 2h\ndefault_time = 1h\n"
				      "job_rlimit_nofile = 256:1024\njob_pids_max = 100\n",
				      "pool.ini", &err);
	if (r)
		diag("%s", err.msg);
	is_int(r, 0, "job keys in a [vserver] section");
	if (!r) {
		ok(c.vs[0].job.max_time == 7200 && c.vs[0].job.default_time == 3600 &&
			   c.vs[0].job.pids_max == 100 &&
			   c.vs[0].job.rlimit[CPOOL_JOB_RLIMIT_NOFILE].rlim_cur == 256,
		   "are parsed into the VS's spec");
		cpool_config_free(&c);
	}
	r = cpool_config_parse_string(&c, "[vserver a]\ncpus = 2\nmax_time = soon\n", "pool.ini",
				      &err);
	ok(r == -EINVAL && strstr(err.msg, "pool.ini:3") && strstr(err.msg, "max_time"),
	   "a bad value names file, line and key: %s", err.msg);
	if (!r)
		cpool_config_free(&c);
}

int main(void)
{
	plan(57);
	defaults();
	keys();
	time_limits();
	run_span();
	mark_started();
	config();
	done_testing();
	return exit_status();
}
