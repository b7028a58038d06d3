// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * cpoold against a hostile unprivileged user (issue 12): planted state
 * and socket directories, 256 idle sockets, a flood of submissions, a
 * client that never reads, a negative priority, a huge estimate and log
 * injection.  Throughout, root is answered (liveness is checked with a
 * generous bound: TCG is slow; the figures are printed), every refusal is
 * a clear error, and every job that runs runs as its submitter.
 */
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "cpool/apiclient.h"
#include "lab_cpoold.h"

#define EVIL 65534 /* nobody */
#define OTHER 1 /* daemon: an innocent user */
/* Root's answer within this, even under TCG; real hardware is held to 50 ms by the issue. */
#define LIVENESS_MS 3000

static char dir[] = "/tmp/cpoold-hostile.XXXXXX";
static char sock[100], ini[256], logpath[256];
static const char *root;
static pid_t daemon_pid;
static double worst_root_ms;

static double mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Root connects and says hello: true when answered within LIVENESS_MS. */
static bool root_answered(const char *when)
{
	struct cpool_apiclient *c;
	double t0 = mono_ms(), ms;
	json_t *res = NULL;
	struct cpool_error err;
	int r = cpool_apiclient_connect(sock, &c, &err);

	if (!r) {
		r = cpool_apiclient_call(c, CPOOL_OP_HELLO, NULL, &res, LIVENESS_MS, &err);
		cpool_apiclient_close(c);
	}
	json_decref(res);
	ms = mono_ms() - t0;
	if (ms > worst_root_ms)
		worst_root_ms = ms;
	diag("root's hello %s: %.1f ms%s%s", when, ms, r ? ": " : "", r ? err.msg : "");
	return r == 0 && ms < LIVENESS_MS;
}

static int call(struct cpool_apiclient *c, enum cpool_op op, json_t *args, json_t **res,
		struct cpool_error *e)
{
	*res = NULL;
	return cpool_apiclient_call(c, op, args, res, 10000, e);
}

/*
 * A child as @uid: runs @fn, which writes one JSON line of findings to
 * @out, then (holding whatever it opened) waits for a byte from the
 * parent before it exits.  The parent gets the line back.
 */
struct user_proc {
	pid_t pid;
	int go; /* write a byte: the child may exit */
	json_t *report;
};

static void as_user(struct user_proc *u, uid_t uid, void (*fn)(FILE *out, void *arg), void *arg)
{
	int rep[2], go[2];

	if (pipe(rep) || pipe(go))
		bail_out("pipe: %s", strerror(errno));
	u->pid = fork();
	if (u->pid < 0)
		bail_out("fork: %s", strerror(errno));
	if (u->pid == 0) {
		FILE *out;
		char b;

		close(rep[0]);
		close(go[1]);
		if (setgroups(0, NULL) || setgid(uid) || setuid(uid))
			_exit(100);
		out = fdopen(rep[1], "w");
		fn(out, arg);
		fputc('\n', out);
		fflush(out);
		if (read(go[0], &b, 1) < 0)
			_exit(101);
		_exit(0);
	}
	close(rep[1]);
	close(go[0]);
	u->go = go[1];
	{
		char buf[1 << 16];
		ssize_t n, used = 0;

		while (used < (ssize_t)sizeof(buf) - 1 &&
		       (n = read(rep[0], buf + used, sizeof(buf) - 1 - (size_t)used)) > 0) {
			used += n;
			if (memchr(buf, '\n', (size_t)used))
				break;
		}
		buf[used] = '\0';
		u->report = json_loads(buf, JSON_DISABLE_EOF_CHECK, NULL);
	}
	close(rep[0]);
}

static void let_go(struct user_proc *u)
{
	if (write(u->go, "x", 1) < 0)
		diag("let_go: %s", strerror(errno));
	close(u->go);
	waitpid(u->pid, NULL, 0);
	json_decref(u->report);
}

static int64_t report_int(struct user_proc *u, const char *key)
{
	return json_integer_value(json_object_get(u->report, key));
}

static const char *report_str(struct user_proc *u, const char *key)
{
	return json_string_value(json_object_get(u->report, key)) ?: "";
}

/* ---- what the hostile user does ---------------------------------------- */

static int idle_fds[256];

/* 256 connections, kept open: how many did the daemon keep, and what did it say to the rest? */
static void open_many(FILE *out, void *arg)
{
	int kept = 0, refused = 0;
	char said[512] = "";

	(void)arg;
	for (int i = 0; i < 256; i++) {
		struct sockaddr_un a = { .sun_family = AF_UNIX };

		idle_fds[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		snprintf(a.sun_path, sizeof(a.sun_path), "%s", sock);
		if (connect(idle_fds[i], (struct sockaddr *)&a, sizeof(a)) < 0) {
			close(idle_fds[i]);
			idle_fds[i] = -1;
		}
	}
	/* Time for the daemon to accept them all: a refused one is told so and closed. */
	lab_sleep_ms(3000);
	for (int i = 0; i < 256; i++) {
		struct pollfd p = { .fd = idle_fds[i], .events = POLLIN };
		char buf[512];
		ssize_t n;

		if (idle_fds[i] < 0) {
			refused++;
			continue;
		}
		if (poll(&p, 1, 0) == 0) {
			kept++; /* accepted, and silent: idle */
			continue;
		}
		n = recv(idle_fds[i], buf, sizeof(buf) - 1, MSG_DONTWAIT);
		buf[n > 0 ? n : 0] = '\0';
		if (!said[0])
			snprintf(said, sizeof(said), "%s", buf);
		refused++;
		close(idle_fds[i]);
		idle_fds[i] = -1;
	}
	fprintf(out, "{\"kept\":%d,\"refused\":%d,\"said\":", kept, refused);
	json_dumpf(json_string(said), out, JSON_ENCODE_ANY);
	fprintf(out, "}");
}

/* As many submissions as it can: what was accepted, and what each refusal said. */
static void flood(FILE *out, void *arg)
{
	int ok_n = 0, again = 0, quota = 0, other = 0;
	char said_again[512] = "", said_quota[512] = "", out_env[300];
	struct cpool_error err;
	struct cpool_apiclient *c = NULL;

	(void)arg;
	snprintf(out_env, sizeof(out_env), "OUT=%s/who", dir);
	for (int i = 0; i < 300; i++) {
		json_t *res;
		int r;

		if (!c && cpool_apiclient_connect(sock, &c, &err))
			break;
		r = call(c, CPOOL_OP_SUBMIT,
			 json_pack("{s:[s,s,s], s:[s,s], s:s, s:s}", "argv", "/bin/sh", "-c",
				   "id -u > \"$OUT\"-$$", "env", "PATH=/usr/bin:/bin", out_env,
				   "cwd", dir, "vs", "a"),
			 &res, &err);
		json_decref(res);
		if (r == 0)
			ok_n++;
		else if (r == -EAGAIN && !strstr(err.msg, "requests per second"))
			again++, snprintf(said_again, sizeof(said_again), "%.511s", err.msg);
		else if (r == -EDQUOT)
			quota++, snprintf(said_quota, sizeof(said_quota), "%.511s", err.msg);
		else
			other++;
	}
	cpool_apiclient_close(c);
	fprintf(out, "{\"ok\":%d,\"again\":%d,\"quota\":%d,\"other\":%d,\"said_again\":", ok_n,
		again, quota, other);
	json_dumpf(json_string(said_again), out, JSON_ENCODE_ANY);
	fprintf(out, ",\"said_quota\":");
	json_dumpf(json_string(said_quota), out, JSON_ENCODE_ANY);
	fprintf(out, "}");
}

/* Thousands of requests, never a reply read. */
static void never_reads(FILE *out, void *arg)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), sent = 0;
	double t0 = mono_ms();

	(void)arg;
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", sock);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
		/* Until the socket is full, for at most 3 s. */
		while (mono_ms() - t0 < 3000) {
			static const char req[] = "{\"v\":1,\"id\":1,\"op\":\"ps\"}\n";

			if (send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) ==
			    (ssize_t)sizeof(req) - 1)
				sent++;
			else if (errno == EAGAIN)
				lab_sleep_ms(10);
			else
				break;
		}
	}
	idle_fds[0] = fd; /* held open, unread, until let go */
	fprintf(out, "{\"sent\":%d}", sent);
}

struct one_submit {
	json_t *args;
};

/* One submission: its errno and message. */
static void submit_one(FILE *out, void *arg)
{
	struct one_submit *s = arg;
	struct cpool_apiclient *c;
	struct cpool_error err = { 0 };
	json_t *res = NULL;
	int r = cpool_apiclient_connect(sock, &c, &err);

	if (!r) {
		r = call(c, CPOOL_OP_SUBMIT, s->args, &res, &err);
		cpool_apiclient_close(c);
	}
	fprintf(out, "{\"r\":%d,\"job\":%lld,\"said\":", r,
		(long long)json_integer_value(json_object_get(res, "job")));
	json_dumpf(json_string(err.msg), out, JSON_ENCODE_ANY);
	fprintf(out, "}");
	json_decref(res);
}

static int submit_as(uid_t uid, json_t *args, char *said, size_t len, int64_t *job)
{
	struct one_submit s = { .args = args };
	struct user_proc u;
	int r;

	as_user(&u, uid, submit_one, &s);
	r = (int)report_int(&u, "r");
	snprintf(said, len, "%s", report_str(&u, "said"));
	if (job)
		*job = report_int(&u, "job");
	let_go(&u);
	return r;
}

/* ---- the test -------------------------------------------------------------- */

static void write_ini(void)
{
	FILE *f = fopen(ini, "w");

	fprintf(f, "[pool]\nname = labpool\n\n"
		   "[limits]\nconnections_per_user = 32\nroot_connections = 4\n"
		   "queued_jobs_per_user = 40\nsubmit_rate = 2\nsubmit_burst = 25\n"
		   "idle_timeout = 20s\n\n"
		   "[vserver a]\ncpus = 1\n");
	fclose(f);
}

/* cpoold with these directories: its exit status, and the end of what it said. */
static int daemon_with_dirs(const char *state, const char *socket, char *said, size_t len)
{
	char bin[PATH_MAX], rec[PATH_MAX], lp[PATH_MAX];
	int status;
	pid_t pid;

	snprintf(bin, sizeof(bin), "%s/cpoold", getenv("CPOOL_BUILD") ?: "build");
	snprintf(rec, sizeof(rec), "%s/records", dir);
	snprintf(lp, sizeof(lp), "%s/refused.log", dir);
	unlink(lp);
	pid = fork();
	if (pid == 0) {
		int fd = open(lp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int null = open("/dev/null", O_RDONLY);

		/* Not the test's stdout: a daemon that wrongly stays up must not hold prove's pipe. */
		if (fd < 0 || null < 0 || dup2(null, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(126);
		close_range(3, ~0U, 0);
		execl(bin, "cpoold", "-c", ini, "--foreground", "--socket", socket, "--state-dir",
		      state, "--record-dir", rec, "--cgroup-root", root, (char *)NULL);
		_exit(127);
	}
	if (!lab_reap_within(pid, LAB_CPOOLD_START_MS, &status)) {
		diag("cpoold with refused directories still runs after %d ms", LAB_CPOOLD_START_MS);
		lab_show_blocked(pid);
		lab_kill_reap(pid, LAB_CPOOLD_REAP_MS, &status);
		lab_slurp(lp, said, len);
		return -1;
	}
	lab_slurp(lp, said, len);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_planted_dirs(void)
{
	char planted[256], state[PATH_MAX], s2[PATH_MAX], said[4096];

	snprintf(planted, sizeof(planted), "%s/planted", dir);
	if (mkdir(planted, 0755) || chown(planted, EVIL, EVIL))
		bail_out("plant: %s", strerror(errno));
	snprintf(state, sizeof(state), "%s/state", planted);
	snprintf(s2, sizeof(s2), "%s/ok-socket", dir);
	isnt_int(daemon_with_dirs(state, s2, said, sizeof(said)), 0,
		 "cpoold refuses a state directory below one another user owns");
	ok(strstr(said, "owned by uid 65534") != NULL, "and says whose it is: %s", said);
	ok(!lab_exists(state), "it created nothing there");

	snprintf(state, sizeof(state), "%s/good-state", dir);
	snprintf(s2, sizeof(s2), "%s/cpool.sock", planted);
	isnt_int(daemon_with_dirs(state, s2, said, sizeof(said)), 0,
		 "and a socket directory another user owns");
	ok(strstr(said, "owned by uid 65534") != NULL, "saying so: %s", said);
	ok(!lab_exists(s2), "no socket was made there");
}

int main(void)
{
	struct user_proc idle, second, flooder, mute, other_idle;
	char said[1024], cmd[512];
	struct cpool_error e;
	int64_t blocker, job;
	int r;

	lab_require();
	root = lab_pool_root("hostile");
	if (!mkdtemp(dir) || chmod(dir, 01777))
		bail_out("mkdtemp: %s", strerror(errno));
	snprintf(sock, sizeof(sock), "%s/cpool.sock", dir);
	snprintf(ini, sizeof(ini), "%s/pool.ini", dir);
	snprintf(logpath, sizeof(logpath), "%s/cpoold.log", dir);
	write_ini();

	test_planted_dirs();

	daemon_pid = lab_start_cpoold(dir, ini, root, "0666", true);
	ok(root_answered("at start"), "root is answered at start");

	/* A job of root's holds the VS's one CPU, so what the user submits queues. */
	{
		struct cpool_apiclient *c;
		json_t *res;

		if (cpool_apiclient_connect(sock, &c, &e))
			bail_out("%s", e.msg);
		r = call(c, CPOOL_OP_SUBMIT,
			 json_pack("{s:[s,s], s:s, s:s}", "argv", "/bin/sleep", "600", "vs", "a",
				   "cwd", "/"),
			 &res, &e);
		blocker = json_integer_value(json_object_get(res, "job"));
		json_decref(res);
		cpool_apiclient_close(c);
		is_int(r, 0, "root's blocker job is queued");
	}

	/* Log injection: a job whose program and name carry a forged journal line. */
	r = submit_as(EVIL,
		      json_pack("{s:[s], s:s, s:s, s:s}", "argv",
				"/nonexistent\n<0>cpoold: emergency: forged by a user", "cwd", "/",
				"vs", "a", "name", "x\n<0>forged"),
		      said, sizeof(said), &job);
	is_int(r, 0, "the injection job is queued (its launch will fail and be logged)");

	/* 256 idle sockets. */
	as_user(&idle, EVIL, open_many, NULL);
	is_int(report_int(&idle, "kept"), 32,
	       "of 256 connections the user keeps 32 (connections_per_user)");
	ok(strstr(report_str(&idle, "said"), "connections_per_user"),
	   "the rest are told which limit: %s", report_str(&idle, "said"));
	ok(root_answered("with 32 idle sockets held"), "root is answered");
	as_user(&other_idle, OTHER, open_many, NULL);
	is_int(report_int(&other_idle, "kept"), 32, "another user still gets their 32");
	ok(root_answered("with 64 idle sockets held"), "root is answered");
	let_go(&other_idle);

	/* The held sockets time out (20 s): the user's slots come free while it still holds them. */
	lab_sleep_ms(26000);
	ok(root_answered("after the idle timeout"), "root is answered");
	as_user(&second, EVIL, open_many, NULL);
	is_int(report_int(&second, "kept"), 32,
	       "after the idle timeout the user has 32 slots again, though it never closed a socket");
	let_go(&second);
	let_go(&idle);

	/* A client that never reads. */
	as_user(&mute, EVIL, never_reads, NULL);
	diag("the mute client sent %lld requests before its socket filled",
	     (long long)report_int(&mute, "sent"));
	ok(report_int(&mute, "sent") > 0, "the mute client got requests in");
	ok(root_answered("while a client does not read"), "root is answered");

	/* A flood of submissions. */
	as_user(&flooder, EVIL, flood, NULL);
	diag("flood: %lld accepted, %lld EAGAIN, %lld EDQUOT, %lld other",
	     (long long)report_int(&flooder, "ok"), (long long)report_int(&flooder, "again"),
	     (long long)report_int(&flooder, "quota"), (long long)report_int(&flooder, "other"));
	ok(report_int(&flooder, "ok") >= 20 && report_int(&flooder, "ok") <= 39,
	   "the burst and what the rate adds are accepted, never past the queue limit of 40");
	is_int(report_int(&flooder, "other"), 0, "every refusal is EAGAIN or EDQUOT");
	ok(report_int(&flooder, "again") > 0 &&
		   strstr(report_str(&flooder, "said_again"), "submit_rate"),
	   "the rate refusal names submit_rate: %s", report_str(&flooder, "said_again"));
	if (report_int(&flooder, "quota"))
		ok(strstr(report_str(&flooder, "said_quota"), "queued_jobs_per_user"),
		   "the queue refusal names queued_jobs_per_user: %s",
		   report_str(&flooder, "said_quota"));
	ok(root_answered("after the flood"), "root is answered");
	let_go(&flooder);

	/* Priority, estimate, log injection: one request each, after the bucket refills. */
	lab_sleep_ms(2000);
	r = submit_as(
		EVIL,
		json_pack("{s:[s], s:i, s:s}", "argv", "/bin/true", "priority", -5, "vs", "a"),
		said, sizeof(said), NULL);
	is_int(r, -EPERM, "a negative priority is refused to a user");
	ok(strstr(said, "only root"), "saying it is root's: %s", said);
	r = submit_as(
		EVIL,
		json_pack("{s:[s], s:f, s:s}", "argv", "/bin/true", "estimate", 1e300, "vs", "a"),
		said, sizeof(said), NULL);
	is_int(r, -ERANGE, "an estimate of 1e300 s is refused");
	ok(strstr(said, "366 days"), "with the bound: %s", said);

	let_go(&mute);

	/* The blocker goes: every queued job runs, each as its submitter. */
	{
		struct cpool_apiclient *c;
		json_t *res;
		int running = 1;

		if (cpool_apiclient_connect(sock, &c, &e))
			bail_out("%s", e.msg);
		call(c, CPOOL_OP_CANCEL, json_pack("{s:I}", "job", (json_int_t)blocker), &res, &e);
		json_decref(res);
		for (int i = 0; i < 600 && running; i++) {
			lab_sleep_ms(500);
			if (call(c, CPOOL_OP_PS, NULL, &res, &e))
				break;
			running = (int)json_array_size(json_object_get(res, "jobs"));
			json_decref(res);
		}
		is_int(running, 0, "every queued job ran to its end");
		cpool_apiclient_close(c);
	}
	{
		int files = 0, wrong = 0;
		FILE *ls;

		snprintf(cmd, sizeof(cmd), "cat %s/who-* 2>/dev/null", dir);
		ls = popen(cmd, "r");
		while (ls && fgets(said, sizeof(said), ls)) {
			files++;
			wrong += atoi(said) != EVIL;
		}
		if (ls)
			pclose(ls);
		ok(files > 0, "the flood's jobs wrote who they ran as (%d files)", files);
		is_int(wrong, 0, "every one ran as the user who submitted it");
	}

	lab_cpoold_stop(daemon_pid, LAB_CPOOLD_STOP_S, NULL);
	{
		static char log[1 << 20];
		bool forged = false;
		char *line, *save = NULL;

		lab_slurp(logpath, log, sizeof(log));
		ok(strstr(log, "\\x0a<0>") != NULL, "the injected text reached the log escaped");
		for (line = strtok_r(log, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
			forged |= strncmp(line, "<0>", 3) == 0 ||
				  strstr(line, "cpoold: emergency") == line;
		ok(!forged, "no log line was forged");
	}
	diag("root's slowest answer: %.1f ms (bound here %d ms; the issue's target on real "
	     "hardware is 50 ms)",
	     worst_root_ms, LIVENESS_MS);

	lab_cpoold_cleanup(dir, root);
	done_testing();
	return exit_status();
}
