/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * What the tools/bench-* programs that measure a live cpoold share: a
 * daemon of their own (its own directory, socket, state, records and
 * cgroup root, no -v so logging is not measured), its removal, where the
 * programs are, and the order statistics they print.
 */
#ifndef CPOOL_TOOLS_BENCH_CPOOLD_H
#define CPOOL_TOOLS_BENCH_CPOOLD_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cpool/apiclient.h"
#include "cpool/cgroup.h"

struct bench_cpoold {
	char dir[64]; /* made by the caller (mkdtemp), removed by bench_cpoold_stop() */
	char sock[256], logpath[256], root[64];
	pid_t pid;
};

/*
 * /proc/self/exe into @self (the jobs re-execute it) and, unless the user
 * gave one, the cpoold beside build/tools/ into @cpoold.
 */
static inline int bench_paths(const char *prog, char *self, size_t self_len, char *cpoold,
			      size_t cpoold_len)
{
	ssize_t len = readlink("/proc/self/exe", self, self_len - 1);
	char *slash;

	if (len <= 0) {
		fprintf(stderr, "%s: /proc/self/exe: %s\n", prog, strerror(errno));
		return -1;
	}
	self[len] = '\0';
	snprintf(cpoold, cpoold_len, "%s", self);
	slash = strrchr(cpoold, '/');
	*slash = '\0';
	slash = strrchr(cpoold, '/'); /* build/tools -> build */
	if (slash)
		snprintf(slash, cpoold_len - (size_t)(slash - cpoold), "/cpoold");
	return 0;
}

/* Starts @cpoold on the pool @ini_text in b->dir; 0 once it answers. */
static inline int bench_cpoold_start(struct bench_cpoold *b, const char *cpoold, const char *tag,
				     const char *ini_text, const char *socket_mode)
{
	char ini[256], statedir[256], recdir[256];
	FILE *f;

	snprintf(b->sock, sizeof(b->sock), "%s/cpool.sock", b->dir);
	snprintf(ini, sizeof(ini), "%s/pool.ini", b->dir);
	snprintf(statedir, sizeof(statedir), "%s/state", b->dir);
	snprintf(recdir, sizeof(recdir), "%s/records", b->dir);
	snprintf(b->logpath, sizeof(b->logpath), "%s/cpoold.log", b->dir);
	snprintf(b->root, sizeof(b->root), "cpool-%s-%d", tag, (int)getpid());
	f = fopen(ini, "w");
	if (!f)
		return -errno;
	fputs(ini_text, f);
	fclose(f);
	b->pid = fork();
	if (b->pid < 0)
		return -errno;
	if (b->pid == 0) {
		int fd = open(b->logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

		if (fd >= 0)
			dup2(fd, 2);
		execl(cpoold, "cpoold", "-c", ini, "--foreground", "--socket", b->sock,
		      "--state-dir", statedir, "--record-dir", recdir, "--cgroup-root", b->root,
		      "--socket-mode", socket_mode, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 600; i++) {
		struct timespec tenth = { .tv_nsec = 100000000 };
		struct cpool_apiclient *c;
		struct cpool_error err;

		if (cpool_apiclient_connect(b->sock, &c, &err) == 0) {
			cpool_apiclient_close(c);
			return 0;
		}
		if (waitpid(b->pid, NULL, WNOHANG) == b->pid) {
			b->pid = 0;
			break;
		}
		nanosleep(&tenth, NULL);
	}
	return -ETIMEDOUT;
}

/* Says why the daemon did not start, with its log. */
static inline void bench_cpoold_failed(const struct bench_cpoold *b, const char *prog,
				       const char *cpoold, int err)
{
	char cmd[600];

	fprintf(stderr, "%s: %s did not start (%s); its log:\n", prog, cpoold, strerror(-err));
	snprintf(cmd, sizeof(cmd), "cat '%s' >&2", b->logpath);
	if (system(cmd))
		fprintf(stderr, "(no log)\n");
}

/* SIGTERM, then the pool's cgroups and the directory go. */
static inline void bench_cpoold_stop(struct bench_cpoold *b, const char *prog)
{
	struct cpool_cg_pool pool;
	struct cpool_error e;
	char cmd[512];

	if (b->pid > 0) {
		kill(b->pid, SIGTERM);
		waitpid(b->pid, NULL, 0);
		b->pid = 0;
	}
	if (b->root[0] && cpool_cg_pool_open(&pool, b->root, &e) == 0 &&
	    cpool_cg_pool_destroy(&pool, 10000, &e))
		fprintf(stderr, "%s: remove the pool cgroup %s: %s\n", prog, b->root, e.msg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", b->dir);
	if (system(cmd))
		fprintf(stderr, "%s: could not remove %s\n", prog, b->dir);
}

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted @v; 0 when empty. */
static inline double bench_pct(const double *v, int n, double p)
{
	int k = (int)(p / 100.0 * n + 0.999999);

	if (n <= 0)
		return 0;
	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return v[k - 1];
}

/* The lab's TCG guest shows itself in the CPU model name. */
static inline bool bench_under_tcg(void)
{
	char line[512];
	bool tcg = false;
	FILE *f = fopen("/proc/cpuinfo", "re");

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "model name", 10) == 0) {
			tcg = strstr(line, "TCG") != NULL;
			break;
		}
	if (f)
		fclose(f);
	return tcg;
}

#endif /* CPOOL_TOOLS_BENCH_CPOOLD_H */
