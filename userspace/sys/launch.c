// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/keyctl.h>
#include <linux/sched.h>

#include "cpool/launch.h"

/* glibc 2.36 has neither a clone3 wrapper nor P_PIDFD in idtype_t. */
#define CPOOL_P_PIDFD 3
#define MAX_GROUPS 1024

enum stage {
	STAGE_SIGNALS = 1,
	STAGE_RLIMIT,
	STAGE_GROUPS,
	STAGE_GID,
	STAGE_UID,
	STAGE_CHDIR,
	STAGE_STDIN,
	STAGE_STDOUT,
	STAGE_STDERR,
	STAGE_FDS,
	STAGE_EXEC,
	STAGE_CGROUP,
	STAGE_KEYRING,
};

struct child_report {
	int stage;
	int err;
	unsigned int refused_type; /* S_IFMT of a refused stdout/stderr; 0 = errno says why */
};

struct child_ctx {
	const struct cpool_launch_spec *spec;
	gid_t groups[MAX_GROUPS];
	int nr_groups;
	int report_fd; /* write end of the CLOEXEC pipe: EOF at exec means success */
	int procs_fd; /* fallback only: the leaf's cgroup.procs */
};

static __attribute__((noreturn)) void child_report_send(const struct child_ctx *c,
							const struct child_report *r)
{
	if (write(c->report_fd, r, sizeof(*r)) < 0)
		_exit(126);
	_exit(127);
}

static __attribute__((noreturn)) void child_fail(const struct child_ctx *c, int stage, int err)
{
	struct child_report r = { stage, err, 0 };

	child_report_send(c, &r);
}

/* The kernel's /dev/null: the one device a job's output may go to. */
static bool is_dev_null(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && major(st->st_rdev) == 1 && minor(st->st_rdev) == 3;
}

/*
 * Open a job's stdin/stdout/stderr as the job's user.  O_NONBLOCK: opening a
 * FIFO without a peer would otherwise wait forever (a writer gets ENXIO
 * instead).  The type is checked on the opened fd, so a path swapped after
 * submission cannot slip a FIFO, socket or device past the check.  Returns
 * the fd, -errno, or -EINVAL with *refused set to the S_IFMT of a refused file.
 */
static int open_job_file(const char *path, int flags, unsigned int *refused)
{
	struct stat st;
	int fd, fl;

	*refused = 0;
	fd = open(path ? path : "/dev/null",
		  flags | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | (path ? O_NOFOLLOW : 0), 0644);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		fl = -errno;
		close(fd);
		return fl;
	}
	if (!S_ISREG(st.st_mode) && !is_dev_null(&st)) {
		*refused = st.st_mode & S_IFMT;
		close(fd);
		return -EINVAL;
	}
	/* The job gets ordinary blocking I/O. */
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		fl = -errno;
		close(fd);
		return fl;
	}
	return fd;
}

static void redirect(const struct child_ctx *c, int stage, const char *path, int target, int flags)
{
	struct child_report r = { stage, 0, 0 };
	int fd = open_job_file(path, flags, &r.refused_type);

	if (fd < 0) {
		r.err = -fd;
		child_report_send(c, &r);
	}
	if (dup2(fd, target) < 0) /* dup2 clears CLOEXEC on @target: wanted for 0-2 */
		child_fail(c, stage, errno);
	if (fd != target)
		close(fd);
}

/* getdents64 records, read raw: opendir() allocates, which the child must not. */
struct dirent64_head {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* Close every fd >= @lowest but @keep by walking /proc/self/fd (kernels before 5.9). */
int cpool_close_fds_walk(int lowest, int keep)
{
	char buf[4096] __attribute__((aligned(8)));
	bool closed_any;
	long n;
	int dfd;

	do {
		closed_any = false;
		dfd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0)
			return -errno;
		while ((n = syscall(SYS_getdents64, dfd, buf, sizeof(buf))) > 0) {
			for (long off = 0; off < n;) {
				struct dirent64_head *d = (struct dirent64_head *)(buf + off);
				const char *p = d->d_name;
				long fd = 0;

				off += d->d_reclen;
				if (*p < '0' || *p > '9')
					continue;
				for (; *p >= '0' && *p <= '9'; p++)
					fd = fd * 10 + (*p - '0');
				if (fd >= lowest && fd != keep && fd != dfd) {
					close((int)fd);
					closed_any = true;
				}
			}
		}
		close(dfd);
		if (n < 0)
			return -errno;
		/* Closing while reading the directory may hide entries: read it again. */
	} while (closed_any);
	return 0;
}

int cpool_close_fds_from(int lowest, int keep)
{
	unsigned int first = (unsigned int)lowest;

	if (keep > lowest) {
		if (syscall(SYS_close_range, first, (unsigned int)keep - 1, 0U) < 0)
			return errno == ENOSYS ? cpool_close_fds_walk(lowest, keep) : -errno;
		first = (unsigned int)keep + 1;
	} else if (keep == lowest) {
		first = (unsigned int)keep + 1;
	}
	if (syscall(SYS_close_range, first, ~0U, 0U) < 0)
		return errno == ENOSYS ? cpool_close_fds_walk(lowest, keep) : -errno;
	return 0;
}

static const char *env_path(char *const *envp)
{
	for (; envp && *envp; envp++)
		if (strncmp(*envp, "PATH=", 5) == 0)
			return *envp + 5;
	return "/usr/local/bin:/usr/bin:/bin";
}

/* execvpe() searches the caller's PATH; the job's own environment decides here. */
static int exec_search(const char *file, char *const *argv, char *const *envp)
{
	static char *const empty[] = { NULL };
	char *const *env = envp ? envp : empty;
	char buf[PATH_MAX];
	const char *p;
	int saved = ENOENT;

	if (strchr(file, '/')) {
		execve(file, argv, env);
		return errno;
	}
	for (p = env_path(envp);; p++) {
		size_t n = strcspn(p, ":");
		size_t flen = strlen(file);

		if (n + flen + 2 <= sizeof(buf)) {
			memcpy(buf, n ? p : ".", n ? n : 1);
			buf[n ? n : 1] = '/';
			memcpy(buf + (n ? n : 1) + 1, file, flen + 1);
			execve(buf, argv, env);
			if (errno == EACCES)
				saved = EACCES;
			else if (errno != ENOENT && errno != ENOTDIR)
				return errno;
		}
		p += n;
		if (!*p)
			break;
	}
	return saved;
}

/*
 * The child, between clone and exec.  It is a copy of a possibly threaded
 * parent, so only async-signal-safe calls; the id changes are raw
 * syscalls because glibc's setuid() would try to synchronise the parent's
 * other threads, which do not exist here.
 */
static __attribute__((noreturn)) void child_run(struct child_ctx *c)
{
	const struct cpool_launch_spec *s = c->spec;
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;
	int err, cwd_fd;

	if (c->procs_fd >= 0 && write(c->procs_fd, "0", 1) != 1)
		child_fail(c, STAGE_CGROUP, errno);
	/* Ignored signals stay ignored across exec: give the job a clean slate. */
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &dfl, NULL);
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
		child_fail(c, STAGE_SIGNALS, errno);
	setsid();
	umask(022); /* not cpoold's 077: the user's files as a login would make them */
	/* Limits before dropping privileges, so a hard limit may be raised. */
	for (int i = 0; i < s->nr_rlimits; i++)
		if (setrlimit(s->rlimits[i].resource, &s->rlimits[i].limit) < 0)
			child_fail(c, STAGE_RLIMIT, errno);
	if (!s->as_caller) {
		if (syscall(SYS_setgroups, c->nr_groups, c->groups) < 0)
			child_fail(c, STAGE_GROUPS, errno);
		if (syscall(SYS_setresgid, s->gid, s->gid, s->gid) < 0)
			child_fail(c, STAGE_GID, errno);
		if (syscall(SYS_setresuid, s->uid, s->uid, s->uid) < 0)
			child_fail(c, STAGE_UID, errno);
	}
	/*
	 * A session keyring of its own, created as the job's user: a forked
	 * process shares its parent's, so every job would otherwise hold the
	 * daemon's (and each other's) keys.  A kernel without keys has none to share.
	 */
	if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0 && errno != ENOSYS)
		child_fail(c, STAGE_KEYRING, errno);
	/* As the job's user from here: it may only reach what the user may. */
	cwd_fd = open(s->cwd ? s->cwd : "/",
		      O_RDONLY | O_DIRECTORY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (cwd_fd < 0 || fchdir(cwd_fd) < 0)
		child_fail(c, STAGE_CHDIR, errno);
	close(cwd_fd);
	if (s->stdio_fds) {
		/* Above 2 in the supervisor (it keeps 0-4), so no dup2 clobbers the next. */
		for (int i = 0; i < 3; i++)
			if (dup2(s->stdio_fds[i], i) < 0)
				child_fail(c, STAGE_STDIN + i, errno);
	} else {
		redirect(c, STAGE_STDIN, NULL, 0, O_RDONLY);
		redirect(c, STAGE_STDOUT, s->stdout_path, 1, O_WRONLY | O_CREAT | O_TRUNC);
		redirect(c, STAGE_STDERR, s->stderr_path, 2, O_WRONLY | O_CREAT | O_TRUNC);
	}
	/* The job holds fds 0-2 and nothing else of ours; the report fd closes at exec. */
	err = cpool_close_fds_from(3, c->report_fd);
	if (err)
		child_fail(c, STAGE_FDS, -err);
	err = exec_search(s->argv[0], s->argv, s->envp);
	child_fail(c, STAGE_EXEC, err);
}

static int user_groups(const struct cpool_launch_spec *s, struct child_ctx *c,
		       struct cpool_error *e)
{
	struct passwd pw, *res = NULL;
	char buf[16384];
	int n = MAX_GROUPS;

	c->groups[0] = s->gid;
	c->nr_groups = 1;
	if (s->as_caller)
		return 0;
	if (getpwuid_r(s->uid, &pw, buf, sizeof(buf), &res) != 0 || !res)
		return 0; /* a uid without a passwd entry has only its primary group */
	if (getgrouplist(pw.pw_name, s->gid, c->groups, &n) < 0)
		return cpool_cg_fail(e, E2BIG, "groups of user %s: more than %d", pw.pw_name,
				     MAX_GROUPS);
	c->nr_groups = n;
	return 0;
}

static const char *stage_text(int stage, const struct cpool_launch_spec *s, char *buf, size_t len)
{
	switch (stage) {
	case STAGE_SIGNALS:
		return "reset signals";
	case STAGE_RLIMIT:
		return "setrlimit";
	case STAGE_GROUPS:
		return "setgroups";
	case STAGE_GID:
		snprintf(buf, len, "setresgid %u", (unsigned)s->gid);
		return buf;
	case STAGE_UID:
		snprintf(buf, len, "setresuid %u", (unsigned)s->uid);
		return buf;
	case STAGE_CHDIR:
		snprintf(buf, len, "chdir %s", s->cwd ? s->cwd : "/");
		return buf;
	case STAGE_STDIN:
		return "open /dev/null for stdin";
	case STAGE_STDOUT:
		snprintf(buf, len, "open stdout %s", s->stdout_path ? s->stdout_path : "/dev/null");
		return buf;
	case STAGE_STDERR:
		snprintf(buf, len, "open stderr %s", s->stderr_path ? s->stderr_path : "/dev/null");
		return buf;
	case STAGE_FDS:
		return "close inherited file descriptors";
	case STAGE_EXEC:
		snprintf(buf, len, "execve %s", s->argv[0]);
		return buf;
	case STAGE_CGROUP:
		snprintf(buf, len, "join %s/cgroup.procs", s->cgroup);
		return buf;
	case STAGE_KEYRING:
		return "join a new session keyring";
	}
	return "start job";
}

static const char *file_type_name(unsigned int type)
{
	switch (type) {
	case S_IFIFO:
		return "a FIFO";
	case S_IFSOCK:
		return "a socket";
	case S_IFCHR:
		return "a character device";
	case S_IFBLK:
		return "a block device";
	case S_IFDIR:
		return "a directory";
	}
	return "not a regular file";
}

/* The reason a child gave, as one sentence naming the path and what is wrong with it. */
static int child_error(const struct cpool_launch_spec *spec, const struct child_report *r,
		       struct cpool_error *e)
{
	const char *which = r->stage == STAGE_STDOUT ? "stdout" : "stderr";
	const char *path = r->stage == STAGE_STDOUT ? spec->stdout_path : spec->stderr_path;
	bool output = r->stage == STAGE_STDOUT || r->stage == STAGE_STDERR;
	char what[PATH_MAX + 64];

	if (output && r->refused_type)
		return cpool_cg_fail(e, EINVAL,
				     "start %s: %s %s is %s: a job's output must be a regular "
				     "file or /dev/null",
				     spec->argv[0], which, path, file_type_name(r->refused_type));
	/* Only a FIFO without a reader or a socket file answers a non-blocking open so. */
	if (output && r->err == ENXIO)
		return cpool_cg_fail(e, EINVAL,
				     "start %s: %s %s is a FIFO or a socket: a job's output must "
				     "be a regular file or /dev/null",
				     spec->argv[0], which, path);
	if (output && r->err == ELOOP)
		return cpool_cg_fail(
			e, ELOOP, "start %s: %s %s is a symbolic link: give the file it points to",
			spec->argv[0], which, path);
	return cpool_cg_fail(e, r->err, "start %s: %s: %s", spec->argv[0],
			     stage_text(r->stage, spec, what, sizeof(what)), strerror(r->err));
}

static pid_t spawn_clone3(struct child_ctx *c, int cgroup_fd, int *pidfd)
{
	struct clone_args args;

	memset(&args, 0, sizeof(args));
	args.flags = CLONE_PIDFD | CLONE_INTO_CGROUP;
	args.pidfd = (uint64_t)(uintptr_t)pidfd;
	args.exit_signal = SIGCHLD;
	args.cgroup = (uint64_t)cgroup_fd;
	return (pid_t)syscall(SYS_clone3, &args, sizeof(args));
}

int cpool_launch(const struct cpool_launch_spec *spec, struct cpool_job_proc *job,
		 struct cpool_error *e)
{
	struct child_ctx *c;
	struct child_report r;
	int pipefd[2], cgroup_fd, pidfd = -1, err;
	ssize_t n;
	pid_t pid;

	memset(job, 0, sizeof(*job));
	job->pid = -1;
	job->pidfd = -1;
	if (!spec->cgroup || !spec->argv || !spec->argv[0] || !spec->argv[0][0])
		return cpool_cg_fail(e, EINVAL, "launch: cgroup and a non-empty argv are required");
	if ((size_t)snprintf(job->cgroup, sizeof(job->cgroup), "%s", spec->cgroup) >=
	    sizeof(job->cgroup))
		return cpool_cg_fail(e, ENAMETOOLONG, "launch: cgroup path too long");
	/* On the heap: the group list is too big for a comfortable stack frame. */
	c = calloc(1, sizeof(*c));
	if (!c)
		return cpool_cg_fail(e, ENOMEM, "launch %s: out of memory", spec->argv[0]);
	c->spec = spec;
	c->procs_fd = -1;
	err = user_groups(spec, c, e);
	if (err)
		goto out_free;
	cgroup_fd = open(spec->cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgroup_fd < 0) {
		err = cpool_cg_fail(e, errno, "open cgroup %s: %s", spec->cgroup, strerror(errno));
		goto out_free;
	}
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		err = cpool_cg_fail(e, errno, "pipe2: %s", strerror(errno));
		goto out_cg;
	}
	c->report_fd = pipefd[1];
	if (spec->force_fork) {
		pid = -1;
		errno = ENOSYS;
	} else {
		pid = spawn_clone3(c, cgroup_fd, &pidfd);
		if (pid == 0)
			child_run(c);
		if (pid > 0)
			job->via_clone3 = true;
	}
	/* ENOSYS: no clone3 (< 5.3); E2BIG: a clone3 without CLONE_INTO_CGROUP (< 5.7). */
	if (pid < 0 && (errno == ENOSYS || errno == E2BIG)) {
		c->procs_fd = openat(cgroup_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
		if (c->procs_fd < 0) {
			err = cpool_cg_fail(e, errno, "open %s/cgroup.procs: %s", spec->cgroup,
					    strerror(errno));
			goto out_pipe;
		}
		pid = fork();
		if (pid == 0)
			child_run(c);
		if (pid > 0)
			pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
		close(c->procs_fd);
	}
	if (pid < 0) {
		err = cpool_cg_fail(e, errno, "clone3 into %s: %s", spec->cgroup, strerror(errno));
		goto out_pipe;
	}
	close(pipefd[1]);
	pipefd[1] = -1;
	do
		n = read(pipefd[0], &r, sizeof(r));
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(r)) {
		/* The child said why it could not exec: reap it, report the step. */
		waitpid(pid, NULL, 0);
		if (pidfd >= 0)
			close(pidfd);
		err = child_error(spec, &r, e);
		goto out_pipe;
	}
	job->pid = pid;
	job->pidfd = pidfd;
	err = 0;
out_pipe:
	close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
out_cg:
	close(cgroup_fd);
out_free:
	free(c);
	return err;
}

static int read_leaf(const char *dir, const char *file, char *buf, size_t len)
{
	char path[PATH_MAX + 32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -EIO;
	buf[n] = '\0';
	return 0;
}

int cpool_launch_wait(struct cpool_job_proc *job, int timeout_ms, struct cpool_job_exit *x,
		      struct cpool_error *e)
{
	struct cpool_cg_memory_events mev;
	struct cpool_cg_cpu_stat cs;
	char text[2048];
	siginfo_t si;
	int rc;

	memset(x, 0, sizeof(*x));
	memset(&si, 0, sizeof(si));
	if (job->pidfd >= 0) {
		struct pollfd pfd = { .fd = job->pidfd, .events = POLLIN };

		do
			rc = poll(&pfd, 1, timeout_ms);
		while (rc < 0 && errno == EINTR);
		if (rc == 0)
			return cpool_cg_fail(e, ETIMEDOUT,
					     "wait for pid %d: still running after %d ms", job->pid,
					     timeout_ms);
		rc = waitid((idtype_t)CPOOL_P_PIDFD, (id_t)job->pidfd, &si, WEXITED);
	} else {
		rc = waitid(P_PID, (id_t)job->pid, &si, WEXITED | (timeout_ms >= 0 ? WNOHANG : 0));
		if (rc == 0 && si.si_pid == 0)
			return cpool_cg_fail(e, ETIMEDOUT, "wait for pid %d: still running",
					     job->pid);
	}
	if (rc < 0)
		return cpool_cg_fail(e, errno, "waitid pid %d: %s", job->pid, strerror(errno));
	x->exited = si.si_code == CLD_EXITED;
	x->status = x->exited ? si.si_status : 0;
	x->signal = x->exited ? 0 : si.si_status;
	x->core_dumped = si.si_code == CLD_DUMPED;
	/* Reaped, so the leaf now holds the whole job's final accounting. */
	if (read_leaf(job->cgroup, "cpu.stat", text, sizeof(text)) == 0 &&
	    cpool_cg_cpu_stat_parse(text, &cs) == 0)
		x->cpu_usec = cs.usage_usec;
	if (read_leaf(job->cgroup, "memory.events", text, sizeof(text)) == 0 &&
	    cpool_cg_memory_events_parse(text, &mev) == 0)
		x->oom_killed = mev.oom_kill > 0;
	if (read_leaf(job->cgroup, "memory.peak", text, sizeof(text)) == 0) {
		x->memory_peak = strtoull(text, NULL, 10);
		x->have_memory_peak = true;
	}
	cpool_launch_release(job);
	return 0;
}

void cpool_launch_release(struct cpool_job_proc *job)
{
	if (job->pidfd >= 0)
		close(job->pidfd);
	job->pidfd = -1;
}
