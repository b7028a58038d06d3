// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* Living cgroups: freeze, kill, wait, counters, job leaves. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "cgroup_internal.h"

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int dir_of(const struct cpool_cg_pool *pool, const char *rel, char *dir, size_t len,
		  struct cpool_error *e)
{
	int err = cg_rel_check(rel, e);

	if (err)
		return err;
	if (cg_abs_path(pool, rel, dir, len))
		return cpool_cg_fail(e, ENAMETOOLONG, "cgroup %s/%s: path too long", pool->path,
				     rel);
	if (access(dir, F_OK) < 0)
		return cpool_cg_fail(e, errno, "cgroup %s: %s", dir, strerror(errno));
	return 0;
}

/*
 * Wait until cgroup.events shows @key = @want.  The kernel signals every
 * change of that file to inotify (IN_MODIFY), so we sleep in poll() rather
 * than re-reading on a timer; the watch is set before the first read so no
 * change slips between them.
 */
static int wait_events(const char *dir, bool frozen_key, bool want, int timeout_ms,
		       struct cpool_error *e)
{
	char path[PATH_MAX], text[256], ibuf[4096];
	long long deadline = now_ms() + timeout_ms;
	struct cpool_cg_events ev;
	int fd, err;

	snprintf(path, sizeof(path), "%s/cgroup.events", dir);
	fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (fd < 0)
		return cpool_cg_fail(e, errno, "inotify_init1 for %s: %s", path, strerror(errno));
	if (inotify_add_watch(fd, path, IN_MODIFY) < 0) {
		err = cpool_cg_fail(e, errno, "inotify_add_watch %s: %s", path, strerror(errno));
		close(fd);
		return err;
	}
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long long left;

		err = cg_read_file(dir, "cgroup.events", text, sizeof(text), e);
		if (err)
			break;
		if (cpool_cg_events_parse(text, &ev)) {
			err = cpool_cg_fail(e, EINVAL, "parse %s: unexpected content", path);
			break;
		}
		if ((frozen_key ? ev.frozen : ev.populated) == want)
			break;
		left = deadline - now_ms();
		if (left <= 0) {
			err = cpool_cg_fail(
				e, ETIMEDOUT, "wait for '%s %d' in %s: no change after %d ms",
				frozen_key ? "frozen" : "populated", want, path, timeout_ms);
			break;
		}
		if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR) {
			err = cpool_cg_fail(e, errno, "poll %s: %s", path, strerror(errno));
			break;
		}
		while (read(fd, ibuf, sizeof(ibuf)) > 0)
			;
	}
	close(fd);
	return err;
}

int cpool_cg_freeze(const struct cpool_cg_pool *pool, const char *rel, bool freeze, int timeout_ms,
		    struct cpool_error *e)
{
	char dir[PATH_MAX];
	int err = dir_of(pool, rel, dir, sizeof(dir), e);

	/* libcgroup 2.0.2 has no freezer call for v2: cgroup.freeze is written directly. */
	if (!err)
		err = cg_write_file(dir, "cgroup.freeze", freeze ? "1" : "0", e);
	if (!err)
		err = wait_events(dir, true, freeze, timeout_ms, e);
	return err;
}

int cpool_cg_freeze_request(const struct cpool_cg_pool *pool, const char *rel, bool freeze,
			    struct cpool_error *e)
{
	char dir[PATH_MAX];
	int err = dir_of(pool, rel, dir, sizeof(dir), e);

	return err ? err : cg_write_file(dir, "cgroup.freeze", freeze ? "1" : "0", e);
}

int cpool_cg_events_watch(const struct cpool_cg_pool *pool, const char *rel, int *fd,
			  struct cpool_error *e)
{
	char dir[PATH_MAX], path[PATH_MAX + 16];
	int err = dir_of(pool, rel, dir, sizeof(dir), e);

	if (err)
		return err;
	snprintf(path, sizeof(path), "%s/cgroup.events", dir);
	*fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (*fd < 0)
		return cpool_cg_fail(e, errno, "inotify_init1 for %s: %s", path, strerror(errno));
	if (inotify_add_watch(*fd, path, IN_MODIFY) < 0) {
		err = cpool_cg_fail(e, errno, "inotify_add_watch %s: %s", path, strerror(errno));
		close(*fd);
		*fd = -1;
	}
	return err;
}

void cpool_cg_events_drain(int fd)
{
	char buf[4096];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

int cpool_cg_remove(const struct cpool_cg_pool *pool, const char *rel, struct cpool_error *e)
{
	char dir[PATH_MAX];
	int err = cg_rel_check(rel, e);

	if (err)
		return err;
	if (cg_abs_path(pool, rel, dir, sizeof(dir)))
		return cpool_cg_fail(e, ENAMETOOLONG, "cgroup %s/%s: path too long", pool->path,
				     rel);
	if (rmdir(dir) < 0)
		return cpool_cg_fail(e, errno, "remove %s: %s", dir, strerror(errno));
	return 0;
}

int cpool_cg_wait_empty(const struct cpool_cg_pool *pool, const char *rel, int timeout_ms,
			struct cpool_error *e)
{
	char dir[PATH_MAX];
	int err = dir_of(pool, rel, dir, sizeof(dir), e);

	return err ? err : wait_events(dir, false, false, timeout_ms, e);
}

int cpool_cg_read_events(const struct cpool_cg_pool *pool, const char *rel,
			 struct cpool_cg_events *ev, struct cpool_error *e)
{
	char dir[PATH_MAX], text[256];
	int err = dir_of(pool, rel, dir, sizeof(dir), e);

	if (!err)
		err = cg_read_file(dir, "cgroup.events", text, sizeof(text), e);
	if (!err && cpool_cg_events_parse(text, ev))
		err = cpool_cg_fail(e, EINVAL, "parse %s/cgroup.events: unexpected content", dir);
	return err;
}

int cpool_cg_kill_pids(const struct cpool_cg_pool *pool, const char *rel, struct cpool_error *e)
{
	char dir[PATH_MAX];
	int err = dir_of(pool, rel, dir, sizeof(dir), e);

	return err ? err : cg_signal_tree(dir, SIGKILL, e);
}

int cpool_cg_kill_start(const struct cpool_cg_pool *pool, const char *rel, bool no_kill_file,
			bool *again, struct cpool_error *e)
{
	char dir[PATH_MAX];
	int err = dir_of(pool, rel, dir, sizeof(dir), e);

	*again = false;
	if (err)
		return err;
	if (!no_kill_file) {
		err = cg_write_file(dir, "cgroup.kill", "1", e);
		if (err != -ENOENT)
			return err;
	}
	/*
	 * No cgroup.kill (< 5.14): ask for a freeze, without waiting for it,
	 * and kill what is there now.  A process forked meanwhile is caught by
	 * the second pass, which the caller makes once cgroup.events says
	 * frozen: from then nothing forks, and SIGKILL still ends frozen tasks.
	 */
	err = cg_write_file(dir, "cgroup.freeze", "1", e);
	if (err)
		return err;
	err = cg_signal_tree(dir, SIGKILL, e);
	if (err < 0)
		return err;
	*again = true;
	return 0;
}

int cpool_cg_kill(const struct cpool_cg_pool *pool, const char *rel, struct cpool_error *e)
{
	char dir[PATH_MAX];
	int err = dir_of(pool, rel, dir, sizeof(dir), e);

	if (err)
		return err;
	/* cgroup.kill (5.14+) kills the whole subtree atomically, forks in flight included. */
	err = cg_write_file(dir, "cgroup.kill", "1", e);
	if (err != -ENOENT)
		return err;
	return cpool_cg_kill_signal(pool, rel, e);
}

int cpool_cg_kill_signal(const struct cpool_cg_pool *pool, const char *rel, struct cpool_error *e)
{
	char dir[PATH_MAX];
	int err = dir_of(pool, rel, dir, sizeof(dir), e);

	if (err)
		return err;
	/* Frozen, nothing forks while we walk the tree; SIGKILL still reaches frozen tasks. */
	err = cpool_cg_freeze(pool, rel, true, 5000, e);
	if (!err)
		err = cg_signal_tree(dir, SIGKILL, e);
	if (err >= 0)
		err = cg_write_file(dir, "cgroup.freeze", "0", e);
	return err < 0 ? err : 0;
}

static int read_flat(const char *dir, const char *file, char *buf, size_t len, bool *present,
		     struct cpool_error *e)
{
	int err = cg_read_file(dir, file, buf, len, e);

	*present = !err;
	/* A controller not enabled above this cgroup has no files here: not an error. */
	return err == -ENOENT ? 0 : err;
}

/* @dir's cpu.stat into @st: both reads below start with it. */
static int read_cpu_stat_in(const char *dir, struct cpool_cg_cpu_stat *st, struct cpool_error *e)
{
	char text[2048];
	int err = cg_read_file(dir, "cpu.stat", text, sizeof(text), e);

	if (!err && cpool_cg_cpu_stat_parse(text, st))
		err = cpool_cg_fail(e, EINVAL, "parse %s/cpu.stat: no usage_usec", dir);
	return err;
}

int cpool_cg_read_usage(const struct cpool_cg_pool *pool, const char *rel, struct cpool_cg_usage *u,
			struct cpool_error *e)
{
	char dir[PATH_MAX], text[2048];
	bool present;
	int err = dir_of(pool, rel, dir, sizeof(dir), e);

	memset(u, 0, sizeof(*u));
	if (err)
		return err;
	err = read_cpu_stat_in(dir, &u->cpu, e);
	if (!err)
		err = read_flat(dir, "memory.events", text, sizeof(text), &present, e);
	if (!err && present && cpool_cg_memory_events_parse(text, &u->memory))
		err = cpool_cg_fail(e, EINVAL, "parse %s/memory.events: unexpected content", dir);
	if (!err)
		err = read_flat(dir, "pids.events", text, sizeof(text), &present, e);
	if (!err && present && cpool_cg_pids_events_parse(text, &u->pids_max_events))
		err = cpool_cg_fail(e, EINVAL, "parse %s/pids.events: unexpected content", dir);
	if (!err)
		err = read_flat(dir, "memory.current", text, sizeof(text), &present, e);
	if (!err && present)
		u->memory_current = strtoull(text, NULL, 10);
	if (!err)
		err = read_flat(dir, "memory.peak", text, sizeof(text), &present, e);
	if (!err && present) {
		u->memory_peak = strtoull(text, NULL, 10);
		u->have_memory_peak = true;
	}
	return err;
}

int cpool_cg_read_cpu_stat(const struct cpool_cg_pool *pool, const char *rel,
			   struct cpool_cg_cpu_stat *st, struct cpool_error *e)
{
	char dir[PATH_MAX];
	int err = dir_of(pool, rel, dir, sizeof(dir), e);

	memset(st, 0, sizeof(*st));
	return err ? err : read_cpu_stat_in(dir, st, e);
}

int cpool_cg_job_create(const struct cpool_cg_pool *pool, const char *vs, const char *job,
			char *path, size_t path_len, struct cpool_error *e)
{
	char rel[2 * CPOOL_VS_NAME_MAX + 2], dir[PATH_MAX];
	int err;

	if (strchr(vs, '/') || strchr(job, '/'))
		return cpool_cg_fail(e, EINVAL,
				     "create job '%s' in vserver '%s': names hold no '/'", job, vs);
	if (snprintf(rel, sizeof(rel), "%s/%s", vs, job) >= (int)sizeof(rel))
		return cpool_cg_fail(e, EINVAL, "create job %s/%s: name too long", vs, job);
	err = cg_rel_check(rel, e);
	if (!err)
		err = dir_of(pool, vs, dir, sizeof(dir), e);
	if (err)
		return err;
	/* The path first: a caller reusing a leaf left by a crash (-EEXIST) needs it too. */
	cg_abs_path(pool, rel, dir, sizeof(dir));
	if ((size_t)snprintf(path, path_len, "%s", dir) >= path_len)
		return cpool_cg_fail(e, ENAMETOOLONG, "create job %s: path too long", dir);
	return cg_mkdir(pool, rel, true, e);
}

int cpool_cg_job_destroy(const struct cpool_cg_pool *pool, const char *vs, const char *job,
			 int timeout_ms, struct cpool_error *e)
{
	char rel[2 * CPOOL_VS_NAME_MAX + 2], dir[PATH_MAX];
	int err;

	if (strchr(vs, '/') || strchr(job, '/') ||
	    snprintf(rel, sizeof(rel), "%s/%s", vs, job) >= (int)sizeof(rel))
		return cpool_cg_fail(e, EINVAL, "destroy job '%s' in vserver '%s': bad name", job,
				     vs);
	err = dir_of(pool, rel, dir, sizeof(dir), e);
	if (!err)
		err = cpool_cg_kill(pool, rel, e);
	if (!err)
		err = cpool_cg_wait_empty(pool, rel, timeout_ms, e);
	if (!err && rmdir(dir) < 0)
		err = cpool_cg_fail(e, errno, "remove %s: %s", dir, strerror(errno));
	return err;
}

int cpool_cg_job_list(const struct cpool_cg_pool *pool, const char *vs,
		      char (**names)[CPOOL_VS_NAME_MAX + 1], int *count, struct cpool_error *e)
{
	char dir[PATH_MAX];
	int err = strchr(vs, '/') ? cpool_cg_fail(e, EINVAL, "vserver name '%s' holds '/'", vs) :
				    dir_of(pool, vs, dir, sizeof(dir), e);

	return err ? err : cg_list_children(dir, names, count, e);
}
