// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * What a job gets and how long it may run (issue 12), through cpoold:
 *  - its rlimits are its VS's (or the documented defaults), not the
 *    daemon's: this test raises its own RLIMIT_MEMLOCK to infinity and
 *    RLIMIT_NOFILE before it starts cpoold, as a unit's Limit*= would;
 *  - its leaf has the VS's job_pids_max;
 *  - it has a session keyring of its own, not the daemon's (which is this
 *    test's, named here so that the job would see it if it shared it);
 *  - at its time limit it gets SIGTERM, then SIGKILL after kill_grace, and
 *    ends "timeout"; the VS's default_time applies without --time; more
 *    than max_time is refused naming the limit; a kill -9 of cpoold does
 *    not lose the deadline.
 * The bounds below are liveness bounds under the lab's emulation, not
 * timing assertions.
 */
#include <linux/keyctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "lab_cpoold.h"

#define NOBODY 65534
#define REPLY_MS 10000
#define END_MS 60000

static char dir[] = "/tmp/joblimits-lab.XXXXXX";
static char sock[256], ini[256];
static const char *root;

static int64_t submit(const char *vs, double time_limit, const char *script, char *why,
		      size_t whylen)
{
	json_t *a = json_pack("{s:[s,s,s], s:[s], s:s, s:s}", "argv", "/bin/sh", "-c", script,
			      "env", "PATH=/usr/bin:/bin", "cwd", dir, "vs", vs);
	json_t *res;
	int64_t id;
	int r;

	if (time_limit > 0)
		json_object_set_new(a, "time", json_real(time_limit));
	r = lab_request(sock, NOBODY, "submit", a, &res, REPLY_MS);
	id = r ? r : lab_jint(res, "job");
	if (why)
		snprintf(why, whylen, "%s", r ? lab_jstr(res, "message") : "");
	json_decref(res);
	return id;
}

static json_t *wait_job(int64_t id)
{
	json_t *res;

	if (lab_request(sock, NOBODY, "wait", json_pack("{s:I}", "job", (json_int_t)id), &res,
			END_MS)) {
		json_decref(res);
		return NULL;
	}
	return res;
}

/* "Max open files  300  600  files" -> soft and hard, as text. */
static bool limit_line(const char *limits, const char *name, char *soft, char *hard)
{
	const char *p = strstr(limits, name);

	return p && sscanf(p + strlen(name), " %31s %31s", soft, hard) == 2;
}

static void test_what_jobs_get(void)
{
	char limits[8192], pids[64] = "", keys[8192], path[512], soft[32], hard[32], cg[512] = "";
	int64_t id;
	json_t *rec;

	/* It waits for "go": its leaf (not readable by the job's user) is read meanwhile. */
	id = submit("a", 0,
		    "cat /proc/self/limits > limits; cat /proc/keys > keys; "
		    "sed -n 's/^0:://p' /proc/self/cgroup > cg.tmp; mv cg.tmp cg; "
		    "while ! [ -e go ]; do sleep 0.1; done",
		    NULL, 0);
	snprintf(path, sizeof(path), "%s/cg", dir);
	for (int i = 0; i < 300 && id > 0 && !lab_slurp(path, cg, sizeof(cg))[0]; i++)
		lab_sleep_ms(100);
	cg[strcspn(cg, "\n")] = '\0';
	snprintf(path, sizeof(path), "/sys/fs/cgroup%s", cg);
	lab_read2(path, "pids.max", pids, sizeof(pids));
	snprintf(path, sizeof(path), "%s/go", dir);
	lab_write(dir, "go", "1");
	rec = id > 0 ? wait_job(id) : NULL;
	ok(rec && strcmp(lab_jstr(rec, "state"), "done") == 0, "the probe job ran (%s)",
	   rec ? lab_jstr(rec, "state") : "no record");
	json_decref(rec);
	snprintf(path, sizeof(path), "%s/limits", dir);
	lab_slurp(path, limits, sizeof(limits));
	ok(limit_line(limits, "Max open files", soft, hard) && !strcmp(soft, "300") &&
		   !strcmp(hard, "600"),
	   "nofile is the VS's 300:600, not the daemon's 65536 (%s:%s)", soft, hard);
	ok(limit_line(limits, "Max locked memory", soft, hard) && !strcmp(soft, "8388608") &&
		   !strcmp(hard, "8388608"),
	   "memlock is the default 8M, not the daemon's unlimited (%s:%s)", soft, hard);
	ok(limit_line(limits, "Max core file size", soft, hard) && !strcmp(soft, "0") &&
		   !strcmp(hard, "unlimited"),
	   "core is the default 0:unlimited (%s:%s)", soft, hard);
	ok(limit_line(limits, "Max processes", soft, hard) && !strcmp(soft, "unlimited"),
	   "nproc is the default unlimited (%s:%s)", soft, hard);
	if (!is_int(atoi(pids), 77, "its leaf's pids.max is the VS's job_pids_max"))
		diag("its cgroup: %s; pids.max: %s", cg, pids);
	snprintf(path, sizeof(path), "%s/keys", dir);
	lab_slurp(path, keys, sizeof(keys));
	ok(!strstr(keys, "lab-daemon-ses"), "it does not hold the daemon's session keyring");
	ok(strstr(keys, "_ses") != NULL, "it has a session keyring of its own");
	if (exit_status())
		diag("/proc/keys of the job:\n%s", keys);
}

static void test_time_limit(void)
{
	char why[512], path[512], buf[256] = "";
	int64_t term_id, ignore_id, dflt_id;
	json_t *rec, *res;

	ok(submit("a", 7200, "true", why, sizeof(why)) < 0 && strstr(why, "max_time") &&
		   strstr(why, "1h"),
	   "--time 2h on a VS with max_time 1h is refused: %s", why);

	term_id = submit("a", 1, "sleep 60", NULL, 0);
	ignore_id = submit("b", 1, "trap 'echo term > term' TERM; while :; do sleep 0.2; done",
			   NULL, 0);
	rec = term_id > 0 ? wait_job(term_id) : NULL;
	ok(rec && !strcmp(lab_jstr(rec, "state"), "timeout") && lab_jint(rec, "signal") == 15,
	   "a job at its limit gets SIGTERM and ends timeout (%s, signal %lld)",
	   rec ? lab_jstr(rec, "state") : "no record",
	   rec ? (long long)lab_jint(rec, "signal") : 0);
	ok(rec && lab_jnum(rec, "run_time") >= 1.0, "after its limit of 1 s (ran %.2f s)",
	   rec ? lab_jnum(rec, "run_time") : 0);
	json_decref(rec);
	rec = ignore_id > 0 ? wait_job(ignore_id) : NULL;
	snprintf(path, sizeof(path), "%s/term", dir);
	ok(rec && !strcmp(lab_jstr(rec, "state"), "timeout") && lab_jint(rec, "signal") == 9 &&
		   strstr(lab_slurp(path, buf, sizeof(buf)), "term"),
	   "one that handles SIGTERM and goes on is killed after kill_grace (%s, signal %lld)",
	   rec ? lab_jstr(rec, "state") : "no record",
	   rec ? (long long)lab_jint(rec, "signal") : 0);
	if (exit_status() && rec) {
		char *text = json_dumps(rec, JSON_COMPACT);

		diag("its record: %s; the term file: '%s'", text, buf);
		free(text);
	}
	json_decref(rec);

	/* b: default_time 2s applies without --time, and shows in ps. */
	dflt_id = submit("b", 0, "sleep 60", NULL, 0);
	if (lab_request(sock, NOBODY, "ps", NULL, &res, REPLY_MS) == 0) {
		json_t *j;
		size_t i;
		double t = 0;

		json_array_foreach(json_object_get(res, "jobs"), i, j)
			if (lab_jint(j, "id") == dflt_id)
				t = lab_jnum(j, "time");
		is_double(t, 2, 1e-9, "without --time the VS's default_time is its limit");
	} else {
		ok(0, "ps answers");
	}
	json_decref(res);
	rec = dflt_id > 0 ? wait_job(dflt_id) : NULL;
	ok(rec && !strcmp(lab_jstr(rec, "state"), "timeout"), "and it is enforced (%s)",
	   rec ? lab_jstr(rec, "state") : "no record");
	json_decref(rec);
}

/* The deadline survives a kill -9: the next cpoold recomputes it from the store. */
static pid_t test_restart(pid_t daemon_pid)
{
	int64_t id = submit("a", 4, "sleep 60", NULL, 0);
	json_t *rec, *res;
	bool running = false;

	for (int i = 0; i < 100 && !running && id > 0; i++) {
		json_t *j;
		size_t k;

		if (lab_request(sock, 0, "ps", NULL, &res, REPLY_MS) == 0)
			json_array_foreach(json_object_get(res, "jobs"), k, j)
				running |= lab_jint(j, "id") == id &&
					   !strcmp(lab_jstr(j, "state"), "running");
		json_decref(res);
		if (!running)
			lab_sleep_ms(100);
	}
	ok(running, "a job with --time 4s runs");
	lab_kill_reap(daemon_pid, LAB_CPOOLD_REAP_MS, NULL);
	daemon_pid = lab_start_cpoold(dir, ini, root, "0666", true);
	rec = id > 0 ? wait_job(id) : NULL;
	ok(rec && !strcmp(lab_jstr(rec, "state"), "timeout") && lab_jint(rec, "signal") == 15,
	   "after a kill -9 of cpoold it still ends timeout at its limit (%s)",
	   rec ? lab_jstr(rec, "state") : "no record");
	json_decref(rec);
	return daemon_pid;
}

int main(void)
{
	struct rlimit inf = { RLIM_INFINITY, RLIM_INFINITY }, many = { 65536, 65536 };
	pid_t daemon_pid;
	FILE *f;

	lab_require();
	root = lab_pool_root("joblimits");
	if (!mkdtemp(dir) || chmod(dir, 01777))
		bail_out("mkdtemp: %s", strerror(errno));
	snprintf(sock, sizeof(sock), "%s/cpool.sock", dir);
	snprintf(ini, sizeof(ini), "%s/pool.ini", dir);
	f = fopen(ini, "w");
	fprintf(f, "[pool]\nname = joblimits\n\n"
		   "[vserver a]\ncpus = 1\nexclusive = no\nsmt = threads\nmax_time = 1h\n"
		   "kill_grace = 1s\njob_rlimit_nofile = 300:600\njob_pids_max = 77\n\n"
		   "[vserver b]\ncpus = 1\nexclusive = no\nsmt = threads\ndefault_time = 2s\n"
		   "kill_grace = 1s\n");
	fclose(f);
	/* What a unit's LimitMEMLOCK=infinity and LimitNOFILE=65536 give the daemon. */
	if (setrlimit(RLIMIT_MEMLOCK, &inf) || setrlimit(RLIMIT_NOFILE, &many))
		bail_out("setrlimit: %s", strerror(errno));
	if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, "lab-daemon-ses") < 0)
		diag("no session keyring for the daemon (%s): the keyring check proves less",
		     strerror(errno));
	daemon_pid = lab_start_cpoold(dir, ini, root, "0666", true);

	test_what_jobs_get();
	test_time_limit();
	daemon_pid = test_restart(daemon_pid);

	lab_cpoold_stop(daemon_pid, LAB_CPOOLD_STOP_S, NULL);
	lab_cpoold_cleanup(dir, root);
	done_testing();
	return exit_status();
}
