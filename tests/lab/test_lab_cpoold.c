// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The harness that starts cpoold for the lab tests (lab_cpoold.h) must
 * never let a suite hang: a daemon that does not come up is shown, killed
 * and reaped, and the test bails out, all within the start limit; a daemon
 * that ignores SIGTERM is ended by the stop helper; and no daemon holds the
 * test's stdout, which is prove's pipe (a daemon left behind holding it once
 * made prove wait for its EOF until the lab's 1200 s timeout).
 *
 * The daemon here is a stand-in that never answers and ignores SIGTERM, the
 * way a cpoold stuck in start-up does; the real cpoold goes through the same
 * helpers in every other lab test.  The real one is started here only to
 * fail: a start that fails after the pool's cgroups were made removes them,
 * unless the pool root was there before (it may hold another daemon's jobs).
 */
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "lab_cpoold.h"

#define STUCK_LIMIT_MS 3000
/* Only a guard against this test hanging itself; nothing is asserted on time. */
#define GUARD_MS 120000

static char dir[] = "/tmp/lab-cpoold.XXXXXX";
static char ini[64], stuck_bin[64], obedient_bin[64], logpath[64];
static const char *root;

static void write_script(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) < 0 || fclose(f) || chmod(path, 0755))
		bail_out("writing %s: %s", path, strerror(errno));
}

/* The log holds "@who @pid starting" (the stand-in's first line), within GUARD_MS. */
static bool log_has(const char *who, pid_t pid)
{
	static char log[1 << 16];
	int64_t deadline = lab_mono_ms() + GUARD_MS;
	char what[64];

	snprintf(what, sizeof(what), "%s %d starting", who, (int)pid);

	while (!strstr(lab_slurp(logpath, log, sizeof(log)), what)) {
		if (lab_mono_ms() >= deadline)
			return false;
		lab_sleep_ms(50);
	}
	return true;
}

/*
 * @pid sleeps in the sleep it exec'd: the stand-in shell, and the script
 * it held open, are gone.  Its name alone is not enough: exec sets it
 * before it closes the close-on-exec descriptors (begin_new_exec()), and
 * a loaded lab caught the script's descriptor still open (4, not 3).
 * Once in nanosleep or clock_nanosleep (x86-64: 35, 230) the exec is over.
 */
static bool in_sleep(pid_t pid)
{
	char path[64], buf[256];
	int nr;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	if (strcmp(lab_read(path, buf, sizeof(buf)), "sleep") != 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
	return sscanf(lab_read(path, buf, sizeof(buf)), "%d", &nr) == 1 && (nr == 35 || nr == 230);
}

static bool became_sleep(pid_t pid)
{
	int64_t deadline = lab_mono_ms() + GUARD_MS;

	while (!in_sleep(pid)) {
		if (lab_mono_ms() >= deadline)
			return false;
		lab_sleep_ms(50);
	}
	return true;
}

static bool pid_gone(pid_t pid)
{
	return kill(pid, 0) < 0 && errno == ESRCH;
}

/*
 * A test whose daemon never answers: run in a child whose stdout is a pipe,
 * as prove's is.  The pipe must reach EOF (nothing left holds it), with the
 * report and a bail-out on it, and the daemon must be gone.
 */
static void test_start_limit(void)
{
	static char out[1 << 16];
	int p[2], status = 0;
	size_t used = 0;
	int64_t t0, deadline;
	bool eof = false;
	const char *at;
	pid_t child, daemon = 0;

	if (pipe2(p, O_CLOEXEC))
		bail_out("pipe: %s", strerror(errno));
	fflush(stdout);
	t0 = lab_mono_ms();
	child = fork();
	if (child == 0) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		lab_start_cpoold_bin(stuck_bin, dir, ini, root, "0666", true, STUCK_LIMIT_MS);
		printf("lab_start_cpoold_bin returned\n");
		fflush(stdout);
		_exit(0);
	}
	close(p[1]);
	deadline = t0 + GUARD_MS;
	while (!eof && used < sizeof(out) - 1) {
		struct pollfd pfd = { .fd = p[0], .events = POLLIN };
		int64_t left = deadline - lab_mono_ms();
		ssize_t n;

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			break;
		n = read(p[0], out + used, sizeof(out) - 1 - used);
		if (n <= 0)
			eof = true;
		else
			used += (size_t)n;
	}
	out[used] = '\0';
	close(p[0]);
	ok(eof, "the test's stdout reaches EOF once it bails out: no daemon holds it");
	if (!lab_reap_within(child, GUARD_MS, &status))
		lab_kill_reap(child, LAB_CPOOLD_REAP_MS, &status);
	diag("the failed start took %.1f s with a limit of %.1f s", (lab_mono_ms() - t0) / 1000.0,
	     STUCK_LIMIT_MS / 1000.0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 255, "the test bails out (status 0x%x)",
	   status);
	ok(strstr(out, "Bail out! cpoold did not start") != NULL, "saying cpoold did not start");
	ok(strstr(out, "did not answer within 3000 ms") != NULL, "and after how long");
	ok(strstr(out, ", wchan ") && !strstr(out, "wchan (unreadable)"),
	   "with where the daemon waits (its wchan)");
	ok(strstr(out, "stuck cpoold ") && strstr(out, " starting"),
	   "and the end of its log, where its stdout went");
	at = strstr(out, "cpoold (pid ");
	if (at)
		daemon = (pid_t)atoi(at + strlen("cpoold (pid "));
	ok(daemon > 0 && strstr(out, "killed") != NULL, "it says it killed the daemon (pid %d)",
	   (int)daemon);
	ok(daemon > 0 && pid_gone(daemon), "and the daemon is gone");
	if (!eof || daemon <= 0)
		diag("what the failed start said:\n%s", out);
}

/* The daemon's descriptors: stdin /dev/null, stdout and stderr its log, nothing of the test's. */
static void test_descriptors(void)
{
	struct stat ours, its;
	char path[64], target[PATH_MAX];
	int fds = 0, status = 0;
	struct dirent *d;
	ssize_t n;
	DIR *fdir;
	pid_t pid;

	pid = lab_spawn_cpoold(stuck_bin, dir, ini, root, "0666", true, NULL);
	ok(log_has("stuck cpoold", pid), "the daemon's stdout goes to its log");
	snprintf(path, sizeof(path), "/proc/%d/fd/1", (int)pid);
	ok(fstat(1, &ours) == 0 && stat(path, &its) == 0 &&
		   (ours.st_dev != its.st_dev || ours.st_ino != its.st_ino),
	   "the daemon's fd 1 is not the test's fd 1");
	n = readlink(path, target, sizeof(target) - 1);
	target[n > 0 ? n : 0] = '\0';
	is_str(target, logpath, "its fd 1 is DIR/cpoold.log");
	snprintf(path, sizeof(path), "/proc/%d/fd/2", (int)pid);
	n = readlink(path, target, sizeof(target) - 1);
	target[n > 0 ? n : 0] = '\0';
	is_str(target, logpath, "and so is its fd 2");
	snprintf(path, sizeof(path), "/proc/%d/fd/0", (int)pid);
	n = readlink(path, target, sizeof(target) - 1);
	target[n > 0 ? n : 0] = '\0';
	is_str(target, "/dev/null", "its stdin is /dev/null");
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	ok(became_sleep(pid), "the stand-in is down to its sleep");
	fdir = opendir(path);
	while (fdir && (d = readdir(fdir)))
		fds += d->d_name[0] != '.';
	if (fdir)
		closedir(fdir);
	is_int(fds, 3, "it holds no other descriptor of the test's");

	is_int(lab_cpoold_stop(pid, 1, &status), LAB_STOPPED_BY_KILL,
	       "the stop helper ends a daemon that ignores SIGTERM: by SIGKILL");
	ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "its status says SIGKILL (0x%x)",
	   status);
	ok(waitpid(pid, NULL, WNOHANG) < 0 && errno == ECHILD, "and it is reaped");
}

static void test_stop_obedient(void)
{
	int status = 0;
	pid_t pid;

	unlink(logpath);
	pid = lab_spawn_cpoold(obedient_bin, dir, ini, root, "0666", true, NULL);
	ok(log_has("obedient cpoold", pid), "a daemon that honours SIGTERM runs");
	is_int(lab_cpoold_stop(pid, LAB_CPOOLD_STOP_S, &status), LAB_STOPPED_BY_TERM,
	       "the stop helper ends it by SIGTERM alone");
	ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM, "its status says SIGTERM (0x%x)",
	   status);
}

/*
 * The real cpoold, failing after its pool's cgroups exist: its socket path
 * is taken by a regular file, which only the API server, opened after the
 * pool, refuses.  Returns the daemon's wait status; -1 if it did not end.
 */
static int failed_start(const char *pool_root)
{
	char bin[PATH_MAX], sock[96];
	int status = 0;
	FILE *f;
	pid_t pid;

	snprintf(bin, sizeof(bin), "%s/cpoold", getenv("CPOOL_BUILD") ?: "build");
	snprintf(sock, sizeof(sock), "%s/cpool.sock", dir);
	f = fopen(sock, "w");
	if (!f || fclose(f))
		bail_out("create %s: %s", sock, strerror(errno));
	f = fopen(ini, "w");
	if (!f || fputs("[pool]\nname = labcpoold\n\n[vserver a]\ncpus = 1\n", f) < 0 || fclose(f))
		bail_out("write %s: %s", ini, strerror(errno));
	unlink(logpath);
	pid = lab_spawn_cpoold(bin, dir, ini, pool_root, "0666", true, NULL);
	if (!lab_reap_within(pid, LAB_CPOOLD_START_MS, &status)) {
		diag("cpoold did not end within %d ms of a start that must fail",
		     LAB_CPOOLD_START_MS);
		lab_show_blocked(pid);
		lab_kill_reap(pid, LAB_CPOOLD_REAP_MS, NULL);
		return -1;
	}
	return status;
}

static void test_failed_start_cleanup(void)
{
	static char log[1 << 16];
	char fresh[96], existing[96], path[160];
	struct cpool_cg_pool pool;
	struct cpool_error e;
	int st;

	snprintf(fresh, sizeof(fresh), "%s-fresh", root);
	st = failed_start(fresh);
	ok(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 1,
	   "cpoold exits 1 when its socket path is taken (status 0x%x)", st);
	lab_slurp(logpath, log, sizeof(log));
	ok(strstr(log, "cpool.sock") && strstr(log, "removed the pool's cgroups"),
	   "after the pool was set up, and says it removed the pool's cgroups");
	snprintf(path, sizeof(path), "%s/%s", CPOOL_CG_MOUNT, fresh);
	ok(!lab_exists(path), "no cgroup of the failed start is left (%s)", path);
	if (!ok(!strstr(log, "stay:"), "and none stayed"))
		lab_cpoold_log_tail(dir, 3000);

	snprintf(existing, sizeof(existing), "%s-existing", root);
	snprintf(path, sizeof(path), "%s/%s", CPOOL_CG_MOUNT, existing);
	if (mkdir(path, 0755))
		bail_out("mkdir %s: %s", path, strerror(errno));
	st = failed_start(existing);
	ok(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 1,
	   "with a pool root that was there before: cpoold exits 1 too (status 0x%x)", st);
	snprintf(path, sizeof(path), "%s/%s/a", CPOOL_CG_MOUNT, existing);
	ok(lab_exists(path), "and leaves that pool's cgroups alone");
	if (cpool_cg_pool_open(&pool, existing, &e) == 0 && cpool_cg_pool_destroy(&pool, 10000, &e))
		diag("cleanup: %s", e.msg);
	if (cpool_cg_pool_open(&pool, fresh, &e) == 0 && cpool_cg_pool_destroy(&pool, 10000, &e))
		diag("cleanup: %s", e.msg);
}

int main(void)
{
	char cmd[128];

	lab_require();
	root = lab_pool_root("labcpoold");
	if (!mkdtemp(dir))
		bail_out("mkdtemp: %s", strerror(errno));
	snprintf(ini, sizeof(ini), "%s/pool.ini", dir);
	snprintf(logpath, sizeof(logpath), "%s/cpoold.log", dir);
	snprintf(stuck_bin, sizeof(stuck_bin), "%s/stuck-cpoold", dir);
	snprintf(obedient_bin, sizeof(obedient_bin), "%s/obedient-cpoold", dir);
	/*
	 * SIG_IGN survives exec: the sleep ignores SIGTERM as the shell did.
	 * The line comes after the trap, so a test that saw it knows SIGTERM
	 * is ignored already.
	 */
	write_script(stuck_bin, "#!/bin/sh\ntrap '' TERM\n"
				"echo \"stuck cpoold $$ starting\"\nexec sleep 600\n");
	write_script(obedient_bin, "#!/bin/sh\necho \"obedient cpoold $$ starting\"\n"
				   "exec sleep 600\n");

	test_start_limit();
	test_descriptors();
	test_stop_obedient();
	test_failed_start_cleanup();

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		diag("cleanup of %s failed", dir);
	done_testing();
	return exit_status();
}
