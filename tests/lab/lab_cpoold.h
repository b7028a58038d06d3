/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Starting the built cpoold for a lab test: everything it keeps lives in
 * the test's own directory (DIR/cpool.sock, DIR/state, DIR/records,
 * DIR/cpoold.log) and its pool under the test's own cgroup root.
 */
#ifndef CPOOL_TESTS_LAB_CPOOLD_H
#define CPOOL_TESTS_LAB_CPOOLD_H

#include <fcntl.h>
#include <sys/wait.h>

#include "cpool/apiclient.h"
#include "lab.h"

/* Bails out, with the end of the daemon's log, when it does not come up. */
static inline pid_t lab_start_cpoold(const char *dir, const char *ini, const char *root,
				     const char *socket_mode, bool verbose)
{
	char bin[PATH_MAX], sock[PATH_MAX], state[PATH_MAX], rec[PATH_MAX], logpath[PATH_MAX];
	pid_t pid;

	snprintf(bin, sizeof(bin), "%s/cpoold", getenv("CPOOL_BUILD") ?: "build");
	snprintf(sock, sizeof(sock), "%s/cpool.sock", dir);
	snprintf(state, sizeof(state), "%s/state", dir);
	snprintf(rec, sizeof(rec), "%s/records", dir);
	snprintf(logpath, sizeof(logpath), "%s/cpoold.log", dir);
	pid = fork();
	if (pid == 0) {
		int fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0644);

		dup2(fd, 2);
		execl(bin, "cpoold", "-c", ini, "--foreground", "--socket", sock, "--state-dir",
		      state, "--record-dir", rec, "--cgroup-root", root, "--socket-mode",
		      socket_mode, verbose ? "-v" : "-q", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 300; i++) {
		struct cpool_apiclient *c;
		char err[256];

		if (cpool_apiclient_connect(sock, &c, err, sizeof(err)) == 0) {
			cpool_apiclient_close(c);
			return pid;
		}
		if (waitpid(pid, NULL, WNOHANG) == pid)
			break;
		lab_sleep_ms(100);
	}
	{
		static char log[1 << 20];
		size_t n = strlen(lab_slurp(logpath, log, sizeof(log)));

		diag("the end of the daemon's log:\n%s", log + (n > 4000 ? n - 4000 : 0));
	}
	bail_out("cpoold did not start");
}

/*
 * After the daemon has stopped: the pool's cgroups destroyed, the end of
 * DIR/cpoold.log shown when a test failed, DIR removed.
 */
static inline void lab_cpoold_cleanup(const char *dir, const char *root)
{
	struct cpool_cg_pool pool;
	struct cpool_cg_error e;
	char path[PATH_MAX], cmd[PATH_MAX + 16];

	if (cpool_cg_pool_open(&pool, root, &e) == 0 && cpool_cg_pool_destroy(&pool, 10000, &e))
		diag("cleanup: %s", e.msg);
	if (exit_status()) {
		static char log[1 << 20];
		size_t n;

		snprintf(path, sizeof(path), "%s/cpoold.log", dir);
		n = strlen(lab_slurp(path, log, sizeof(log)));
		diag("the end of the daemon's log:\n%s", log + (n > 8000 ? n - 8000 : 0));
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		diag("cleanup of %s failed", dir);
}

#endif /* CPOOL_TESTS_LAB_CPOOLD_H */
