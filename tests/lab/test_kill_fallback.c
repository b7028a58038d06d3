// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The kill of kernels without cgroup.kill (< 5.14), forced on any kernel
 * in the test build (cpoold-crash, CPOOL_TEST_KILL_FALLBACK=1): a cancel,
 * a walltime kill and a VS destroy must each leave no process behind, and
 * the daemon must answer root throughout (the fallback freezes without
 * waiting in the loop).  LIVENESS_MS is a liveness bound under the lab's
 * emulation, not a timing assertion.
 */
#include "lab_cpoold.h"

#define NOBODY 65534
#define LIVENESS_MS 10000
#define END_MS 60000

static char dir[] = "/tmp/killfb-lab.XXXXXX";
static char sock[256], ini[256];
static const char *root;

static int64_t submit(const char *vs, double time_limit, const char *script)
{
	json_t *a = json_pack("{s:[s,s,s], s:[s], s:s, s:s}", "argv", "/bin/sh", "-c", script,
			      "env", "PATH=/usr/bin:/bin", "cwd", dir, "vs", vs);
	json_t *res;
	int64_t id;

	if (time_limit > 0)
		json_object_set_new(a, "time", json_real(time_limit));
	id = lab_request(sock, NOBODY, "submit", a, &res, LIVENESS_MS) ? 0 : lab_jint(res, "job");
	json_decref(res);
	return id;
}

static const char *end_state(int64_t id, char *buf, size_t len)
{
	json_t *res;

	buf[0] = '\0';
	if (id > 0 && lab_request(sock, NOBODY, "wait", json_pack("{s:I}", "job", (json_int_t)id),
				  &res, END_MS) == 0)
		snprintf(buf, len, "%s/%lld", lab_jstr(res, "state"),
			 (long long)lab_jint(res, "signal"));
	json_decref(res);
	return buf;
}

/* Processes whose command line names @tag: the job's own, wherever they went. */
static int count_tagged(const char *tag)
{
	char cmd[256], out[64];
	FILE *p;
	int n = -1;

	/* [x]yz: the pattern does not match the shell that runs pgrep. */
	snprintf(cmd, sizeof(cmd), "pgrep -fc '[%c]%s' 2>/dev/null", tag[0], tag + 1);
	p = popen(cmd, "r");
	if (p && fgets(out, sizeof(out), p))
		n = atoi(out);
	if (p)
		pclose(p);
	return n;
}

static bool running(int64_t id)
{
	for (int i = 0; i < 200; i++) {
		json_t *res, *j;
		size_t k;
		bool yes = false;

		if (lab_request(sock, 0, "ps", NULL, &res, LIVENESS_MS) == 0)
			json_array_foreach(json_object_get(res, "jobs"), k, j)
				yes |= lab_jint(j, "id") == id &&
				       !strcmp(lab_jstr(j, "state"), "running");
		json_decref(res);
		if (yes)
			return true;
		lab_sleep_ms(100);
	}
	return false;
}

static bool root_answers(void)
{
	json_t *res;
	int r = lab_request(sock, 0, "ps", NULL, &res, LIVENESS_MS);

	json_decref(res);
	return r == 0;
}

int main(void)
{
	char bin[PATH_MAX], state[64], log[1 << 16], path[PATH_MAX];
	int64_t id;
	json_t *res;
	pid_t daemon_pid;
	FILE *f;
	int r;

	lab_require();
	root = lab_pool_root("killfb");
	if (!mkdtemp(dir) || chmod(dir, 01777))
		bail_out("mkdtemp: %s", strerror(errno));
	snprintf(sock, sizeof(sock), "%s/cpool.sock", dir);
	snprintf(ini, sizeof(ini), "%s/pool.ini", dir);
	f = fopen(ini, "w");
	fprintf(f, "[pool]\nname = killfb\n\n[vserver a]\ncpus = 1\nexclusive = no\n"
		   "smt = threads\nkill_grace = 1s\n");
	fclose(f);
	snprintf(bin, sizeof(bin), "%s/cpoold-crash", getenv("CPOOL_BUILD") ?: "build");
	setenv("CPOOL_TEST_KILL_FALLBACK", "1", 1);
	daemon_pid = lab_spawn_cpoold(bin, dir, ini, root, "0666", true, NULL);
	if (!lab_cpoold_up(dir, daemon_pid)) {
		lab_cpoold_log_tail(dir, 4000);
		bail_out("cpoold-crash did not start");
	}

	/* A cancel of a job that forked five children. */
	id = submit("a", 0, "for i in 1 2 3 4 5; do sleep 601 & done; wait");
	ok(running(id), "a job with five children runs");
	r = lab_request(sock, NOBODY, "cancel", json_pack("{s:I}", "job", (json_int_t)id), &res,
			LIVENESS_MS);
	json_decref(res);
	ok(r == 0 && root_answers(), "it is cancelled, and root is answered meanwhile");
	ok(!strncmp(end_state(id, state, sizeof(state)), "cancelled/9", 11),
	   "it ends cancelled by SIGKILL (%s)", state);
	is_int(count_tagged("sleep 601"), 0, "none of its children is left");

	/* A walltime kill of a job that ignores SIGTERM. */
	id = submit("a", 1, "trap '' TERM; for i in 1 2 3; do sleep 602 & done; wait");
	ok(!strncmp(end_state(id, state, sizeof(state)), "timeout/9", 9),
	   "a job ignoring SIGTERM is killed at its limit + kill_grace (%s)", state);
	is_int(count_tagged("sleep 602"), 0, "none of its children is left");

	/* A VS destroyed under a running job. */
	r = lab_request(sock, 0, "vs.create",
			json_pack("{s:s, s:{s:s, s:s, s:s}}", "name", "t", "spec", "cpus", "1",
				  "exclusive", "no", "smt", "threads"),
			&res, LIVENESS_MS);
	json_decref(res);
	id = r == 0 ? submit("t", 0, "for i in 1 2; do sleep 603 & done; wait") : 0;
	ok(running(id), "a job runs on a VS created for it");
	r = lab_request(sock, 0, "vs.destroy", json_pack("{s:s}", "name", "t"), &res, END_MS);
	ok(r == 0, "vs destroy answers once the VS is empty (%s)",
	   r ? lab_jstr(res, "message") : "ok");
	json_decref(res);
	ok(!strncmp(end_state(id, state, sizeof(state)), "cancelled", 9),
	   "its job ended cancelled (%s)", state);
	is_int(count_tagged("sleep 603"), 0, "no process of it is left");
	ok(root_answers(), "root is answered after all of it");

	snprintf(path, sizeof(path), "%s/cpoold.log", dir);
	lab_slurp(path, log, sizeof(log));
	ok(strstr(log, "no cgroup.kill: frozen and killed") != NULL,
	   "the kills went through the fallback");

	if (waitpid(daemon_pid, &r, WNOHANG) == daemon_pid) {
		ok(0, "cpoold-crash is still running");
		diag("it ended: %s %d", WIFSIGNALED(r) ? "signal" : "exit status",
		     WIFSIGNALED(r) ? WTERMSIG(r) : WEXITSTATUS(r));
		if (system("dmesg | tail -n 20 | sed 's/^/# dmesg: /'"))
			diag("no dmesg");
	} else {
		lab_cpoold_stop(daemon_pid, LAB_CPOOLD_STOP_S, NULL);
	}
	lab_cpoold_cleanup(dir, root);
	done_testing();
	return exit_status();
}
