// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * cpool run: a job whose stdin, stdout and stderr are the caller's own,
 * passed with the submit request (SCM_RIGHTS), and whose life is tied to
 * the connection that submitted it: when that connection closes (Ctrl-C
 * kills cpool run, its terminal hangs up), the job is cancelled.
 *
 * The daemon never reads or writes these descriptors, so a FIFO without a
 * peer or a terminal that never answers cannot block it; it only checks
 * (fstat, F_GETFL: neither blocks) that each is a file, terminal, pipe or
 * socket open the right way, holds them while the job is queued, hands
 * them to the job's supervisor when it forks, and closes its own copies at
 * once.  What it may hold is bounded: one attached job per connection, and
 * RUN_FD_BUDGET descriptors for all the queued ones together.
 *
 * Across a restart the descriptors and the connection are gone: a queued
 * attached job then fails at its launch ("the terminal of cpool run is
 * gone"), while one already started runs on with what its supervisor holds.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cpoold.h"

/* Well below the 1024 descriptors of systemd's default soft limit. */
#define RUN_FD_BUDGET 192

static int held_fds(struct cpoold *d)
{
	int n = 0;

	for (struct djob *j = d->jobs; j; j = j->next)
		n += j->has_stdio ? 3 : 0;
	return n;
}

/* 0, or why @fd cannot be the job's descriptor @which (0 stdin, 1 stdout, 2 stderr). */
static int check_fd(int fd, int which, struct cpool_error *e)
{
	static const char *const names[] = { "stdin", "stdout", "stderr" };
	struct stat st;
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fstat(fd, &st) < 0)
		return cpool_error_set(e, -EBADF, "%s: %s", names[which], strerror(errno));
	if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode) && !S_ISFIFO(st.st_mode) &&
	    !S_ISSOCK(st.st_mode))
		return cpool_error_set(e, -EINVAL, "%s: not a file, terminal, pipe or socket",
				       names[which]);
	if (which == 0 ? (fl & O_ACCMODE) == O_WRONLY : (fl & O_ACCMODE) == O_RDONLY)
		return cpool_error_set(e, -EBADF, "%s: not open for %s", names[which],
				       which == 0 ? "reading" : "writing");
	return 0;
}

static bool has_attached(struct cpoold *d, const struct cpool_client *c)
{
	for (struct djob *j = d->jobs; j; j = j->next)
		if (j->attached == c)
			return true;
	return false;
}

json_t *run_submit(struct cpoold *d, struct cpool_client *c, const struct cpool_peer *p,
		   const struct cpool_request *req)
{
	struct cpool_submit_req s = req->u.submit;
	int fds[CPOOL_API_MAX_FDS], n = cpool_client_take_fds(c, fds, CPOOL_API_MAX_FDS);
	struct djob *j = NULL;
	struct cpool_error err;
	int64_t id;
	int r = 0;

	if (n != 3)
		r = cpool_error_set(&err, -EINVAL,
				    "attach: send stdin, stdout and stderr with the request "
				    "(SCM_RIGHTS); %d came",
				    n < 0 ? 0 : n);
	for (int i = 0; !r && i < 3; i++)
		r = check_fd(fds[i], i, &err);
	if (!r && has_attached(d, c))
		r = cpool_error_set(&err, -EBUSY,
				    "this connection has an attached job already; one per "
				    "connection");
	if (!r && held_fds(d) + 3 > RUN_FD_BUDGET)
		r = cpool_error_set(&err, -EAGAIN,
				    "too many attached jobs are waiting (%d); try again later",
				    RUN_FD_BUDGET / 3);
	if (!r)
		r = limits_check_submit(d, p->uid, &s, &err);
	if (!r) {
		/* Marks the job as attached in the store, for a restart. */
		s.stdout_path = s.stderr_path = RUN_ATTACHED_PATH;
		r = jobs_submit(d, &s, p->uid, p->gid, &id, &err);
	}
	if (!r)
		j = jobs_find(d, id);
	if (!r && !j)
		r = cpool_error_set(&err, -ENOENT, "job %lld vanished", (long long)id);
	if (r || !j) {
		for (int i = 0; i < n; i++)
			close(fds[i]);
		return cpool_reply_error(req->id, r, "%s", err.msg);
	}
	memcpy(j->stdio, fds, sizeof(j->stdio));
	j->has_stdio = true;
	j->attached = c;
	return cpool_reply_ok(req->id, json_pack("{s:I}", "job", (json_int_t)id));
}

void run_client_closed(struct cpoold *d, struct cpool_client *c)
{
	for (struct djob *j = d->jobs, *next; j; j = next) {
		struct cpool_error why;

		next = j->next; /* a queued job is freed by its cancel */
		if (j->attached != c)
			continue;
		j->attached = NULL;
		if (j->cancel_requested)
			continue;
		log_info("job %lld: its cpool run went away; cancelling it", (long long)j->rec.id);
		if (jobs_cancel(d, j, &why))
			log_warn("job %lld: cancel: %s", (long long)j->rec.id, why.msg);
	}
}

int run_launch_stdio(struct djob *j, struct cpool_launch_spec *spec, struct cpool_error *e)
{
	if (j->has_stdio) {
		spec->stdio_fds = j->stdio;
		return 0;
	}
	if (j->rec.stdout_path && strcmp(j->rec.stdout_path, RUN_ATTACHED_PATH) == 0)
		return cpool_cg_fail(e, ENXIO,
				     "the terminal of cpool run is gone (cpoold restarted before "
				     "the job started)");
	return 0;
}

void run_release_stdio(struct djob *j)
{
	if (!j->has_stdio)
		return;
	for (int i = 0; i < 3; i++)
		close(j->stdio[i]);
	j->has_stdio = false;
}
