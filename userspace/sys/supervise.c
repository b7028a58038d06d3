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
#include "cpool/supervise.h"

/* What the supervisor tells cpoold once the job runs or has failed to. */
struct start_report {
	int err;
	pid_t job_pid;
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

/* write + fsync + rename + fsync(dir): a reader sees the old file or the whole new one. */
static int write_record(const char *dir, const struct cpool_job_record *rec, const char *kind)
{
	char path[4096], tmp[4100];
	char *text = cpool_job_record_encode(rec);
	size_t len, off = 0;
	int fd, dfd, r = 0;

	if (!text)
		return -ENOMEM;
	record_path(path, sizeof(path), dir, rec->job_id, kind);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		free(text);
		return -errno;
	}
	len = strlen(text);
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			r = -errno;
			break;
		}
		off += (size_t)w;
	}
	free(text);
	if (!r && fsync(fd) < 0)
		r = -errno;
	close(fd);
	if (!r && rename(tmp, path) < 0)
		r = -errno;
	if (r) {
		unlink(tmp);
		return r;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
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
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull >= 0) {
		dup2(devnull, 0);
		dup2(devnull, 1);
		dup2(devnull, 2);
	}
	dup3(report_fd, 3, O_CLOEXEC);
	dup3(lock_fd, 4, O_CLOEXEC);
	report_fd = 3;
	cpool_close_fds_from(5, -1);

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
	r = cpool_launch(spec, &proc, &e);
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
	int r = cpool_mkdir_p(record_dir, 0700), fd;

	if (r)
		return cpool_cg_fail(e, -r, "create the job record directory %s: %s", record_dir,
				     strerror(-r));
	lock_path(lock, len, record_dir, job_id);
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return cpool_cg_fail(e, errno, "create %s: %s", lock, strerror(errno));
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
	if (rep.err)
		return cpool_cg_fail(e, rep.err < 0 ? -rep.err : EIO, "%s", rep.msg);
	return 0;
}

int cpool_supervise_alive(const char *record_dir, int64_t job_id)
{
	char lock[4096];
	int fd, r;

	lock_path(lock, sizeof(lock), record_dir, job_id);
	fd = open(lock, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
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

static char *slurp(const char *path)
{
	char *buf;
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

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
	char path[4096];

	for (size_t i = 0; i < 2; i++) {
		char *text;
		int r;

		record_path(path, sizeof(path), record_dir, job_id, kinds[i]);
		text = slurp(path);
		if (!text)
			continue;
		r = cpool_job_record_decode(text, rec);
		free(text);
		return r;
	}
	return -ENOENT;
}

int cpool_job_cancel_mark(const char *record_dir, int64_t job_id)
{
	char path[4096];
	int fd;

	record_path(path, sizeof(path), record_dir, job_id, "cancel");
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

bool cpool_job_cancel_marked(const char *record_dir, int64_t job_id)
{
	char path[4096];

	record_path(path, sizeof(path), record_dir, job_id, "cancel");
	return access(path, F_OK) == 0;
}

void cpool_job_record_remove(const char *record_dir, int64_t job_id)
{
	char path[4096];

	record_path(path, sizeof(path), record_dir, job_id, "exit");
	unlink(path);
	record_path(path, sizeof(path), record_dir, job_id, "start");
	unlink(path);
	record_path(path, sizeof(path), record_dir, job_id, "cancel");
	unlink(path);
	lock_path(path, sizeof(path), record_dir, job_id);
	unlink(path);
}
