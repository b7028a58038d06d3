// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* Per-job supervisor processes: see include/cpool/supervise.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cpool/fsutil.h"
#include "cpool/safedir.h"
#include "cpool/supervise.h"

/* What the supervisor tells cpoold once the job runs or has failed to. */
struct start_report {
	int err;
	pid_t job_pid;
	double exec_time; /* unix seconds, once cpool_launch saw the exec */
	char msg[1024];
};

static double now_real(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Field 22 of /proc/PID/stat: with the pid, it names one process for good. */
static int proc_starttime(pid_t pid, uint64_t *start)
{
	char path[64], buf[1024], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	/* The command name may hold spaces and ')': fields start after the last ')'. */
	p = strrchr(buf, ')');
	if (!p)
		return -EIO;
	p++;
	for (int field = 3; field < 22; field++) {
		p = strchr(p + 1, ' ');
		if (!p)
			return -EIO;
	}
	*start = strtoull(p + 1, NULL, 10);
	return 0;
}

static void record_path(char *buf, size_t len, const char *dir, int64_t id, const char *kind)
{
	snprintf(buf, len, "%s/%lld.%s", dir, (long long)id, kind);
}

static void record_name(char *buf, size_t len, int64_t id, const char *kind)
{
	snprintf(buf, len, "%lld.%s", (long long)id, kind);
}

/*
 * The record directory as a checked fd (safedir.h): every record is
 * reached by name from it, never through a path a symlink could bend.
 * An O_PATH fd, or a negative errno.
 */
static int record_dir_open(const char *dir)
{
	return cpool_safe_dir_open(dir, 0700, geteuid(), 0, NULL);
}

/* One of job @id's files (@kind: lock, cancel, ...), by name from the checked directory. */
static int record_open(const char *dir, int64_t id, const char *kind, int flags)
{
	int dfd = record_dir_open(dir), fd;
	char name[64];

	if (dfd < 0)
		return dfd;
	record_name(name, sizeof(name), id, kind);
	fd = cpool_safe_open_at(dfd, name, flags, 0600);
	close(dfd);
	return fd;
}

/* Atomic and durable: a reader sees the old record or the whole new one (safedir.h). */
static int write_record(const char *dir, const struct cpool_job_record *rec, const char *kind)
{
	char name[64];
	char *text = cpool_job_record_encode(rec);
	int dfd, r;

	if (!text)
		return -ENOMEM;
	dfd = record_dir_open(dir);
	if (dfd < 0) {
		free(text);
		return dfd;
	}
	record_name(name, sizeof(name), rec->job_id, kind);
	r = cpool_safe_write_at(dfd, name, text, strlen(text), 0600);
	close(dfd);
	free(text);
	return r;
}

static void send_report(int fd, const struct start_report *rep)
{
	ssize_t w;

	do
		w = write(fd, rep, sizeof(*rep));
	while (w < 0 && errno == EINTR);
}

static void lock_path(char *buf, size_t len, const char *dir, int64_t id)
{
	record_path(buf, len, dir, id, "lock");
}

/* The supervisor itself: never returns. */
static void __attribute__((noreturn))
supervisor_main(const struct cpool_launch_spec *spec, const struct cpool_job_place *place,
		int64_t job_id, const char *dir, int report_fd, int lock_fd)
{
	struct cpool_job_record rec = { .job_id = job_id };
	struct start_report rep = { 0 };
	struct cpool_job_proc proc;
	struct cpool_error e = { 0 };
	struct cpool_launch_spec job_spec = *spec;
	int stdio[3] = { -1, -1, -1 };
	sigset_t all;
	int r, devnull;

	/*
	 * Outlive the daemon: a session of its own (no terminal or process-group
	 * signals), TERM/INT/HUP ignored so that only the job's end ends us.
	 * The daemon may block signals for its signalfd: undo that.
	 */
	setsid();
	prctl(PR_SET_NAME, "cpool-sup", 0, 0, 0);
	signal(SIGTERM, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	/*
	 * Keep only the report pipe (fd 3) and the job's lock (fd 4), both
	 * close-on-exec (dup2 would clear that, and the job would inherit them):
	 * the daemon's sockets and database are not ours.
	 */
	report_fd = fcntl(report_fd, F_DUPFD_CLOEXEC, 10);
	lock_fd = fcntl(lock_fd, F_DUPFD_CLOEXEC, 10);
	/* cpool run's descriptors for the job, out of the way of what follows, then 5-7. */
	if (spec->stdio_fds)
		for (int i = 0; i < 3; i++)
			stdio[i] = fcntl(spec->stdio_fds[i], F_DUPFD_CLOEXEC, 10);
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull >= 0) {
		dup2(devnull, 0);
		dup2(devnull, 1);
		dup2(devnull, 2);
	}
	dup3(report_fd, 3, O_CLOEXEC);
	dup3(lock_fd, 4, O_CLOEXEC);
	report_fd = 3;
	if (spec->stdio_fds) {
		for (int i = 0; i < 3; i++) {
			dup3(stdio[i], 5 + i, O_CLOEXEC);
			stdio[i] = 5 + i;
		}
		job_spec.stdio_fds = stdio;
	}
	cpool_close_fds_from(spec->stdio_fds ? 8 : 5, -1);

	rec.supervisor_pid = getpid();
	proc_starttime(rec.supervisor_pid, &rec.supervisor_start);
	rec.start_time = now_real();
	snprintf(rec.vs, sizeof(rec.vs), "%s", place->vs ?: "");
	snprintf(rec.leaf, sizeof(rec.leaf), "%s", spec->cgroup);
	snprintf(rec.cpus, sizeof(rec.cpus), "%s", place->cpus ?: "");
	rec.mem = place->mem;
	/* Before the job process exists: a restart then knows whom to watch. */
	r = write_record(dir, &rec, "start");
	if (r) {
		rep.err = r;
		snprintf(rep.msg, sizeof(rep.msg), "write the start record in %s: %s", dir,
			 strerror(-r));
		send_report(report_fd, &rep);
		_exit(0);
	}
	r = cpool_launch(&job_spec, &proc, &e);
	/* The job has its own copies: holding these would keep a pipe's reader waiting. */
	for (int i = 0; i < 3; i++)
		if (stdio[i] >= 0)
			close(stdio[i]);
	if (r) {
		rec.launch_failed = true;
		rec.ended = true;
		rec.end_time = now_real();
		snprintf(rec.error, sizeof(rec.error), "%s", e.msg);
		write_record(dir, &rec, "exit");
		rep.err = r;
		snprintf(rep.msg, sizeof(rep.msg), "%s", e.msg);
		send_report(report_fd, &rep);
		_exit(0);
	}
	rep.exec_time = now_real();
	rec.job_pid = proc.pid;
	proc_starttime(proc.pid, &rec.job_start);
	r = write_record(dir, &rec, "start");
	rep.job_pid = proc.pid;
	if (r) {
		/* The launching record still names us: a restart finds the job through it. */
		rep.err = r;
		snprintf(rep.msg, sizeof(rep.msg), "rewrite the start record in %s: %s", dir,
			 strerror(-r));
	}
	send_report(report_fd, &rep);
	close(report_fd);

	r = cpool_launch_wait(&proc, -1, &rec.exit, &e);
	rec.ended = true;
	rec.end_time = now_real();
	if (r)
		snprintf(rec.error, sizeof(rec.error), "%s", e.msg);
	write_record(dir, &rec, "exit");
	_exit(0);
}

/* Create (when missing) the record directory and the job's lock file; the open fd, or -errno. */
static int open_lock(const char *record_dir, int64_t job_id, char *lock, size_t len,
		     struct cpool_error *e)
{
	int dfd = cpool_safe_dir_open(record_dir, 0700, geteuid(), 0, e), fd;

	if (dfd < 0)
		return cpool_error_prefix(e, "the job record directory");
	close(dfd);
	lock_path(lock, len, record_dir, job_id);
	fd = record_open(record_dir, job_id, "lock", O_RDWR | O_CREAT);
	if (fd < 0)
		return cpool_cg_fail(e, -fd, "create %s: %s", lock, strerror(-fd));
	return fd;
}

int cpool_supervise_prepare(const char *record_dir, int64_t job_id, struct cpool_error *e)
{
	char lock[4096];
	int fd = open_lock(record_dir, job_id, lock, sizeof(lock), e);

	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

int cpool_supervise_spawn(const struct cpool_launch_spec *spec, const struct cpool_job_place *place,
			  int64_t job_id, const char *record_dir, struct cpool_supervisor *sup,
			  struct cpool_error *e)
{
	char lock[4096];
	int pfd[2], lock_fd, r;
	pid_t pid;

	memset(sup, 0, sizeof(*sup));
	sup->pidfd = sup->report_fd = -1;
	lock_fd = open_lock(record_dir, job_id, lock, sizeof(lock), e);
	if (lock_fd < 0)
		return lock_fd;
	if (flock(lock_fd, LOCK_EX | LOCK_NB) < 0) {
		r = errno == EWOULDBLOCK ? EBUSY : errno;
		close(lock_fd);
		return cpool_cg_fail(e, r, "lock %s: %s", lock,
				     r == EBUSY ? "a supervisor of this job is alive" :
						  strerror(r));
	}
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		r = errno;
		close(lock_fd);
		return cpool_cg_fail(e, r, "pipe for job %lld: %s", (long long)job_id, strerror(r));
	}
	pid = fork();
	if (pid < 0) {
		r = errno;
		close(pfd[0]);
		close(pfd[1]);
		close(lock_fd);
		return cpool_cg_fail(e, r, "fork the supervisor of job %lld: %s", (long long)job_id,
				     strerror(r));
	}
	if (pid == 0) {
		close(pfd[0]);
		supervisor_main(spec, place, job_id, record_dir, pfd[1], lock_fd);
	}
	/* The supervisor holds the lock now (same open file); ours goes. */
	close(lock_fd);
	close(pfd[1]);
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);
	sup->job_id = job_id;
	sup->pid = pid;
	sup->is_child = true;
	sup->report_fd = pfd[0];
	sup->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	return 0;
}

int cpool_supervise_read_report(struct cpool_supervisor *sup, struct cpool_error *e)
{
	struct start_report rep;
	ssize_t n;

	if (sup->report_fd < 0)
		return cpool_cg_fail(e, EPIPE, "the start report of job %lld was read already",
				     (long long)sup->job_id);
	do
		n = read(sup->report_fd, &rep, sizeof(rep));
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return -EAGAIN;
	close(sup->report_fd);
	sup->report_fd = -1;
	/* One write of less than PIPE_BUF: all of it or nothing. */
	if (n != (ssize_t)sizeof(rep))
		return cpool_cg_fail(e, EPIPE,
				     "the supervisor of job %lld ended without reporting its start",
				     (long long)sup->job_id);
	rep.msg[sizeof(rep.msg) - 1] = '\0';
	sup->job_pid = rep.job_pid;
	sup->exec_time = rep.exec_time;
	if (rep.err)
		return cpool_cg_fail(e, rep.err < 0 ? -rep.err : EIO, "%s", rep.msg);
	return 0;
}

int cpool_supervise_alive(const char *record_dir, int64_t job_id)
{
	int fd = record_open(record_dir, job_id, "lock", O_RDWR), r;

	if (fd < 0)
		return fd;
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		r = 0;
	else
		r = errno == EWOULDBLOCK ? 1 : -errno;
	/* Closing drops a lock we took: no supervisor of this job is started meanwhile. */
	close(fd);
	return r;
}

int cpool_supervise_reattach(const struct cpool_job_record *rec, struct cpool_supervisor *sup)
{
	uint64_t start;

	memset(sup, 0, sizeof(*sup));
	sup->pidfd = sup->report_fd = -1;
	if (rec->supervisor_pid <= 0 || proc_starttime(rec->supervisor_pid, &start) ||
	    start != rec->supervisor_start)
		return -ESRCH;
	sup->job_id = rec->job_id;
	sup->pid = rec->supervisor_pid;
	sup->job_pid = rec->job_pid;
	sup->pidfd = (int)syscall(SYS_pidfd_open, rec->supervisor_pid, 0);
	if (sup->pidfd < 0)
		return -ESRCH;
	/* The pid could have been reused between the check and pidfd_open. */
	if (proc_starttime(rec->supervisor_pid, &start) || start != rec->supervisor_start) {
		close(sup->pidfd);
		sup->pidfd = -1;
		return -ESRCH;
	}
	return 0;
}

void cpool_supervise_release(struct cpool_supervisor *sup)
{
	/* Called once its pidfd is readable: the zombie is there, this does not wait. */
	if (sup->is_child && sup->pid > 0)
		waitpid(sup->pid, NULL, WNOHANG);
	if (sup->pidfd >= 0)
		close(sup->pidfd);
	if (sup->report_fd >= 0)
		close(sup->report_fd);
	sup->pidfd = sup->report_fd = -1;
	sup->pid = 0;
}

/* A record (at most 1 MiB), read through @dfd without following a symlink. */
static char *slurp_at(int dfd, const char *name)
{
	char *buf;
	struct stat st;
	ssize_t n;
	int fd = cpool_safe_open_at(dfd, name, O_RDONLY, 0);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || st.st_size > (1 << 20)) {
		close(fd);
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	n = buf ? read(fd, buf, (size_t)st.st_size) : -1;
	close(fd);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

int cpool_job_record_read(const char *record_dir, int64_t job_id, struct cpool_job_record *rec)
{
	static const char *const kinds[] = { "exit", "start" };
	int dfd = record_dir_open(record_dir);
	char name[64];

	if (dfd < 0)
		return dfd == -ENOTDIR ? -ENOENT : dfd;
	for (size_t i = 0; i < 2; i++) {
		char *text;
		int r;

		record_name(name, sizeof(name), job_id, kinds[i]);
		text = slurp_at(dfd, name);
		if (!text)
			continue;
		close(dfd);
		r = cpool_job_record_decode(text, rec);
		free(text);
		return r;
	}
	close(dfd);
	return -ENOENT;
}

int cpool_job_cancel_mark(const char *record_dir, int64_t job_id)
{
	int fd = record_open(record_dir, job_id, "cancel", O_WRONLY | O_CREAT);

	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

bool cpool_job_cancel_marked(const char *record_dir, int64_t job_id)
{
	int fd = record_open(record_dir, job_id, "cancel", O_RDONLY);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

void cpool_job_record_remove(const char *record_dir, int64_t job_id)
{
	static const char *const kinds[] = { "exit", "start", "cancel", "lock" };
	int dfd = record_dir_open(record_dir);
	char name[64];

	if (dfd < 0)
		return;
	/* unlinkat removes a name, a planted symlink included, never its target. */
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		record_name(name, sizeof(name), job_id, kinds[i]);
		unlinkat(dfd, name, 0);
	}
	close(dfd);
}
