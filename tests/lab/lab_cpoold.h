/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Starting the built cpoold for a lab test: everything it keeps lives in
 * the test's own directory (DIR/cpool.sock, DIR/state, DIR/records,
 * DIR/cpoold.log) and its pool under the test's own cgroup root.
 */
#ifndef CPOOL_TESTS_LAB_CPOOLD_H
#define CPOOL_TESTS_LAB_CPOOLD_H

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "cpool/apiclient.h"
#include "lab.h"

/* How long a daemon may take to answer before the harness gives up on it. */
#define LAB_CPOOLD_START_MS 60000
/* How long a stopped daemon may take to exit on SIGTERM, and then on SIGKILL. */
#define LAB_CPOOLD_STOP_S 30
#define LAB_CPOOLD_REAP_MS 10000

/*
 * Starts @bin (a cpoold build) on @dir's files without waiting for it;
 * @crash_at, when set, goes to the daemon as CPOOL_CRASH_AT (cpoold-crash).
 * The daemon's stdout and stderr go to DIR/cpoold.log and it keeps none of
 * the test's other descriptors: a daemon left behind by a failed test must
 * not hold prove's pipe, or prove waits for its EOF for ever.
 */
static inline pid_t lab_spawn_cpoold(const char *bin, const char *dir, const char *ini,
				     const char *root, const char *socket_mode, bool verbose,
				     const char *crash_at)
{
	char sock[PATH_MAX], state[PATH_MAX], rec[PATH_MAX], logpath[PATH_MAX];
	pid_t pid;

	snprintf(sock, sizeof(sock), "%s/cpool.sock", dir);
	snprintf(state, sizeof(state), "%s/state", dir);
	snprintf(rec, sizeof(rec), "%s/records", dir);
	snprintf(logpath, sizeof(logpath), "%s/cpoold.log", dir);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		bail_out("fork: %s", strerror(errno));
	if (pid == 0) {
		int fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

		/* Exit statuses 126: no log to write to, so nothing else could say why. */
		if (fd < 0 || null < 0 || dup2(null, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(126);
		close_range(3, ~0U, 0);
		/* A test that dies does not leave its daemon behind. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() == 1)
			_exit(126);
		if (crash_at)
			setenv("CPOOL_CRASH_AT", crash_at, 1);
		else
			unsetenv("CPOOL_CRASH_AT");
		execl(bin, "cpoold", "-c", ini, "--foreground", "--socket", sock, "--state-dir",
		      state, "--record-dir", rec, "--cgroup-root", root, "--socket-mode",
		      socket_mode, verbose ? "-v" : "-q", (char *)NULL);
		fprintf(stderr, "exec %s: %s\n", bin, strerror(errno));
		_exit(127);
	}
	return pid;
}

static inline int64_t lab_mono_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* True once @pid has ended (it stays unreaped: the caller learns how it died). */
static inline bool lab_child_ended(pid_t pid)
{
	siginfo_t si = { 0 };

	return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid;
}

/* True once @fd has something to read (or its writer closed it) within @limit_ms. */
static inline bool lab_wait_readable(int fd, int limit_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int64_t deadline = lab_mono_ms() + limit_ms;
	int n;

	do
		n = poll(&p, 1, (int)(deadline - lab_mono_ms() > 0 ? deadline - lab_mono_ms() : 0));
	while (n < 0 && errno == EINTR);
	return n > 0;
}

/* True once the child @pid is named @comm (it exec'd it) within @limit_ms; false if it ended. */
static inline bool lab_wait_comm(pid_t pid, const char *comm, int limit_ms)
{
	int64_t deadline = lab_mono_ms() + limit_ms;
	char path[64], buf[64];

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	while (strcmp(lab_read(path, buf, sizeof(buf)), comm) != 0) {
		if (lab_child_ended(pid) || lab_mono_ms() >= deadline)
			return false;
		lab_sleep_ms(20);
	}
	return true;
}

/*
 * True once the daemon @pid answers on @dir/cpool.sock; false when it died,
 * or did not answer within @limit_ms.
 */
static inline bool lab_cpoold_up_within(const char *dir, pid_t pid, int limit_ms)
{
	int64_t deadline = lab_mono_ms() + limit_ms;
	char sock[PATH_MAX];

	snprintf(sock, sizeof(sock), "%s/cpool.sock", dir);
	for (;;) {
		struct cpool_apiclient *c;
		struct cpool_error err;

		if (cpool_apiclient_connect(sock, &c, &err) == 0) {
			cpool_apiclient_close(c);
			return true;
		}
		if (lab_child_ended(pid) || lab_mono_ms() >= deadline)
			return false;
		lab_sleep_ms(100);
	}
}

static inline bool lab_cpoold_up(const char *dir, pid_t pid)
{
	return lab_cpoold_up_within(dir, pid, LAB_CPOOLD_START_MS);
}

static inline void lab_cpoold_log_tail(const char *dir, size_t bytes)
{
	static char log[1 << 20];
	char logpath[PATH_MAX];
	size_t n;

	snprintf(logpath, sizeof(logpath), "%s/cpoold.log", dir);
	n = strlen(lab_slurp(logpath, log, sizeof(log)));
	diag("the end of the daemon's log:\n%s", log + (n > bytes ? n - bytes : 0));
}

/* What a live process is waiting in: its wchan and, where readable, its kernel stack. */
static inline void lab_show_blocked(pid_t pid)
{
	static char stack[16384];
	char path[64], wchan[256], state[64];

	snprintf(path, sizeof(path), "/proc/%d/wchan", (int)pid);
	lab_read(path, wchan, sizeof(wchan));
	lab_status(pid, "State", state, sizeof(state));
	diag("pid %d: state %s, wchan %s", (int)pid, state[0] ? state : "(gone)",
	     wchan[0] ? wchan : "(unreadable)");
	snprintf(path, sizeof(path), "/proc/%d/stack", (int)pid);
	if (lab_slurp(path, stack, sizeof(stack))[0])
		diag("pid %d: kernel stack:\n%s", (int)pid, stack);
}

/* Reaps the child @pid if it ends within @limit_ms: true then, and *status (may be NULL). */
static inline bool lab_reap_within(pid_t pid, int limit_ms, int *status)
{
	int64_t deadline = lab_mono_ms() + limit_ms;
	int st = 0;
	pid_t r;

	while ((r = waitpid(pid, &st, WNOHANG)) == 0) {
		if (lab_mono_ms() >= deadline)
			return false;
		lab_sleep_ms(20);
	}
	if (r == pid && status)
		*status = st;
	return r == pid;
}

/*
 * SIGKILL to @pid, then reap it, waiting at most @limit_ms (a task stuck in
 * the kernel may not die at once).  True when it was reaped; *status its
 * wait status.
 */
static inline bool lab_kill_reap(pid_t pid, int limit_ms, int *status)
{
	kill(pid, SIGKILL);
	if (lab_reap_within(pid, limit_ms, status))
		return true;
	diag("pid %d did not end %d ms after SIGKILL", (int)pid, limit_ms);
	lab_show_blocked(pid);
	return false;
}

/* How lab_cpoold_stop ended a daemon. */
enum lab_stop {
	LAB_STOPPED_BY_TERM, /* it exited on SIGTERM */
	LAB_STOPPED_BY_KILL, /* it ignored SIGTERM for @term_s and was SIGKILLed */
	LAB_STOP_STUCK, /* not even SIGKILL ended it within LAB_CPOOLD_REAP_MS */
};

/*
 * Stops the daemon @pid without ever waiting unboundedly: SIGTERM, up to
 * @term_s seconds for it to exit, then SIGKILL and a bounded reap.  Says
 * which in a diag line when SIGTERM was not enough; *status (may be NULL)
 * is the wait status once reaped.
 */
static inline enum lab_stop lab_cpoold_stop(pid_t pid, int term_s, int *status)
{
	if (pid <= 0)
		return LAB_STOPPED_BY_TERM;
	kill(pid, SIGTERM);
	if (lab_reap_within(pid, term_s * 1000, status))
		return LAB_STOPPED_BY_TERM;
	diag("cpoold (pid %d) still running %d s after SIGTERM: SIGKILL", (int)pid, term_s);
	lab_show_blocked(pid);
	if (!lab_kill_reap(pid, LAB_CPOOLD_REAP_MS, status))
		return LAB_STOP_STUCK;
	return LAB_STOPPED_BY_KILL;
}

/*
 * Starts @bin and waits @limit_ms for it to answer.  When it does not:
 * what it is doing (wchan, kernel stack, the end of its log), then it is
 * killed and reaped, then the test bails out.
 */
static inline pid_t lab_start_cpoold_bin(const char *bin, const char *dir, const char *ini,
					 const char *root, const char *socket_mode, bool verbose,
					 int limit_ms)
{
	pid_t pid = lab_spawn_cpoold(bin, dir, ini, root, socket_mode, verbose, NULL);
	int status = 0;

	if (lab_cpoold_up_within(dir, pid, limit_ms))
		return pid;
	if (lab_child_ended(pid)) {
		waitpid(pid, &status, 0);
		diag("cpoold (pid %d) ended before it answered: %s %d", (int)pid,
		     WIFSIGNALED(status) ? "signal" : "exit status",
		     WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
		lab_cpoold_log_tail(dir, 4000);
	} else {
		diag("cpoold (pid %d) did not answer within %d ms; what it is doing:", (int)pid,
		     limit_ms);
		lab_show_blocked(pid);
		lab_cpoold_log_tail(dir, 4000);
		if (lab_kill_reap(pid, LAB_CPOOLD_REAP_MS, NULL))
			diag("cpoold (pid %d) killed", (int)pid);
	}
	bail_out("cpoold did not start");
}

/* Bails out, with what the daemon was doing, when it does not come up. */
static inline pid_t lab_start_cpoold(const char *dir, const char *ini, const char *root,
				     const char *socket_mode, bool verbose)
{
	char bin[PATH_MAX];

	snprintf(bin, sizeof(bin), "%s/cpoold", getenv("CPOOL_BUILD") ?: "build");
	return lab_start_cpoold_bin(bin, dir, ini, root, socket_mode, verbose, LAB_CPOOLD_START_MS);
}

/*
 * One request on the wire, by the operation's name (so a test can ask for
 * an operation this checkout's client does not know yet), as user @uid:
 * root asks from this process, anyone else from a child that has taken the
 * user's ids, so SO_PEERCRED sees that user.  Returns 0 and *result (the
 * reply's "result"); or the reply's negative errno and *result its "error"
 * object (for the message); or -ETIMEDOUT when no reply came within
 * @timeout_ms, or another -errno of the transport, and *result NULL.
 */
static inline int lab_request_once(const char *sock, const char *op, json_t *args, json_t **result,
				   int timeout_ms)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	json_t *msg = json_pack("{s:i, s:i, s:s, s:o}", "v", 1, "id", 1, "op", op, "args",
				args ? args : json_object());
	char *line = json_dumps(msg, JSON_COMPACT), buf[1 << 16];
	struct timespec t0, t;
	size_t used = 0;
	int fd, r = 0;

	json_decref(msg);
	*result = NULL;
	if (strlen(sock) >= sizeof(a.sun_path)) {
		r = -ENAMETOOLONG;
		fd = -1;
		goto out;
	}
	memcpy(a.sun_path, sock, strlen(sock) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		r = -errno;
		goto out;
	}
	/*
	 * MSG_NOSIGNAL: a daemon that dies meanwhile (the crash points kill it
	 * on purpose) must give EPIPE, not a SIGPIPE that silently ends the test.
	 */
	if (send(fd, line, strlen(line), MSG_NOSIGNAL) < 0 ||
	    send(fd, "\n", 1, MSG_NOSIGNAL) != 1) {
		r = -errno;
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!memchr(buf, '\n', used)) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int left;
		ssize_t n;

		clock_gettime(CLOCK_MONOTONIC, &t);
		left = timeout_ms -
		       (int)((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0 || poll(&p, 1, left) == 0) {
			r = -ETIMEDOUT;
			goto out;
		}
		n = read(fd, buf + used, sizeof(buf) - 1 - used);
		if (n <= 0) {
			r = n < 0 ? -errno : -ECONNRESET;
			goto out;
		}
		used += (size_t)n;
		if (used == sizeof(buf) - 1) {
			r = -EMSGSIZE;
			goto out;
		}
	}
	buf[used] = '\0';
	msg = json_loads(buf, JSON_DISABLE_EOF_CHECK, NULL);
	if (json_is_true(json_object_get(msg, "ok"))) {
		*result = json_incref(json_object_get(msg, "result"));
	} else {
		json_t *error = json_object_get(msg, "error");
		json_t *code = json_object_get(error, "code");

		r = code ? -(int)json_integer_value(code) : -EPROTO;
		*result = json_incref(error);
	}
	json_decref(msg);
out:
	if (fd >= 0)
		close(fd);
	free(line);
	return r;
}

static inline int lab_request(const char *sock, uid_t uid, const char *op, json_t *args,
			      json_t **result, int timeout_ms)
{
	int p[2], status;
	char buf[1 << 16];
	ssize_t n, used = 0;
	pid_t pid;

	if (uid == 0)
		return lab_request_once(sock, op, args, result, timeout_ms);
	*result = NULL;
	if (pipe2(p, O_CLOEXEC))
		bail_out("pipe: %s", strerror(errno));
	pid = fork();
	if (pid == 0) {
		json_t *res;
		char *text;
		int r;

		/* Exit statuses carry the errno; EPERM says the ids could not be taken. */
		if (setgroups(0, NULL) || setgid(uid) || setuid(uid))
			_exit(EPERM);
		r = lab_request_once(sock, op, args, &res, timeout_ms);
		text = res ? json_dumps(res, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
		if (text && write(p[1], text, strlen(text)) < 0)
			_exit(EPIPE);
		_exit(-r & 0xff);
	}
	json_decref(args);
	close(p[1]);
	while ((n = read(p[0], buf + used, sizeof(buf) - 1 - (size_t)used)) > 0)
		used += n;
	buf[used] = '\0';
	close(p[0]);
	waitpid(pid, &status, 0);
	if (used)
		*result = json_loads(buf, JSON_DECODE_ANY, NULL);
	return WIFEXITED(status) ? -WEXITSTATUS(status) : -EIO;
}

/* The members of a JSON result, or a neutral value when absent. */
static inline int64_t lab_jint(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static inline double lab_jnum(const json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

static inline const char *lab_jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key)) ?: "";
}

/*
 * After the daemon has stopped: the pool's cgroups destroyed, the end of
 * DIR/cpoold.log shown when a test failed, DIR removed.
 */
static inline void lab_cpoold_cleanup(const char *dir, const char *root)
{
	struct cpool_cg_pool pool;
	struct cpool_error e;
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
