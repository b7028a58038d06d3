// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The hostile launches of issue 11, as an unprivileged user would try them:
 * a FIFO as the job's stdout (the daemon must not block in its open), the
 * job's own view of its fds (only 0, 1 and 2 may come from us), and a job
 * that writes a forged start report to fd 3 (it must change nothing); and
 * what a supervisor holds while another job is launched.
 *
 * "Still answers" is a liveness bound (LIVENESS_MS), far above any honest
 * reply time under the lab's emulation: this is not a timing assertion.
 */
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>

#include "lab_cpoold.h"

#define NOBODY 65534
#define LIVENESS_MS 10000

static char dir[] = "/tmp/hostile-lab.XXXXXX";
static char sock[256], ini[256];
static const char *root;

static json_t *sh_job(const char *script, const char *stdout_path)
{
	json_t *a = json_pack("{s:[s,s,s], s:[s], s:s, s:s}", "argv", "/bin/sh", "-c", script,
			      "env", "PATH=/usr/bin:/bin", "cwd", dir, "vs", "a");

	if (stdout_path)
		json_object_set_new(a, "stdout", json_string(stdout_path));
	return a;
}

/* The id of a job submitted as @uid, or the negative errno of the refusal (its message in @why). */
static int64_t submit_as(uid_t uid, json_t *args, char *why, size_t whylen)
{
	json_t *res;
	int r = lab_request(sock, uid, "submit", args, &res, LIVENESS_MS);
	int64_t id = r ? r : lab_jint(res, "job");

	if (why)
		snprintf(why, whylen, "%s", r ? lab_jstr(res, "message") : "");
	json_decref(res);
	return id;
}

/* The ended job's record (NULL when the wait gave none within @timeout_ms). */
static json_t *wait_job(uid_t uid, int64_t id, int timeout_ms)
{
	json_t *res;

	if (lab_request(sock, uid, "wait", json_pack("{s:I}", "job", (json_int_t)id), &res,
			timeout_ms))
		return NULL;
	return res;
}

static bool root_ps_answers(const char *when)
{
	json_t *res;
	int r = lab_request(sock, 0, "ps", NULL, &res, LIVENESS_MS);

	json_decref(res);
	if (r)
		diag("root's ps %s: %s", when, strerror(-r));
	return r == 0;
}

/* The job's pid as the daemon's ps shows it; 0 when not listed. */
static long ps_pid(int64_t id)
{
	json_t *res, *j;
	long pid = 0;
	size_t i;

	if (lab_request(sock, 0, "ps", NULL, &res, LIVENESS_MS))
		return 0;
	json_array_foreach(json_object_get(res, "jobs"), i, j)
		if (lab_jint(j, "id") == id)
			pid = (long)lab_jint(j, "pid");
	json_decref(res);
	return pid;
}

static void make_fifo_as_nobody(const char *path)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
			_exit(1);
		_exit(mkfifo(path, 0600) ? 2 : 0);
	}
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		bail_out("mkfifo %s as nobody", path);
}

/* (a) mkfifo /tmp/f; cpool submit --stdout /tmp/f -- true, as nobody. */
static void test_fifo_stdout(void)
{
	char fifo[300], why[512] = "";
	json_t *rec = NULL;
	int64_t id;
	bool answered;
	int reader = -1;

	snprintf(fifo, sizeof(fifo), "%s/f", dir);
	make_fifo_as_nobody(fifo);
	id = submit_as(NOBODY,
		       json_pack("{s:[s], s:s, s:s, s:s}", "argv", "/bin/true", "cwd", dir,
				 "stdout", fifo, "vs", "a"),
		       why, sizeof(why));
	if (id < 0)
		diag("the FIFO submission was refused: %s (%s)", strerror((int)-id), why);
	/* Give a blocking launch time to block: the job is queued, then started. */
	lab_sleep_ms(1500);
	answered = root_ps_answers("while nobody's job has a FIFO for stdout");
	ok(answered, "root's ps answers while nobody's job has a FIFO with no reader as stdout");
	if (!answered) {
		/* Today's daemon is stuck in open(): a reader lets it go on. */
		reader = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	}
	if (id > 0) {
		rec = wait_job(NOBODY, id, 30000);
		ok(rec != NULL, "the FIFO job ends on its own");
		if (rec) {
			const char *state = lab_jstr(rec, "state");
			const char *err = lab_jstr(rec, "error");

			ok((strcmp(state, "failed") == 0 && strstr(err, fifo)) ||
				   (strcmp(state, "done") == 0 && lab_jint(rec, "exit_code") == 0),
			   "it either fails saying which file (%s: %s) or runs", state, err);
		}
	} else {
		ok(id == -EINVAL || id == -EPERM || id == -ENXIO || id == -EOPNOTSUPP,
		   "the submission is refused with a clear reason (%s)", strerror((int)-id));
		ok(strstr(why, fifo) != NULL, "which names the file: %s", why);
	}
	json_decref(rec);
	if (reader >= 0)
		close(reader);
	ok(root_ps_answers("after the FIFO job"), "the daemon serves root afterwards");
}

/*
 * (b) sh -c 'ls -l /proc/$$/fd': 0, 1 and 2, and the directory ls opens
 * to read (when the shell exec'd ls, $$ is ls itself).
 */
static void test_job_fds(void)
{
	char out[300], buf[8192], *line, *save;
	int64_t id;
	json_t *rec;
	int std = 0, other = 0;

	snprintf(out, sizeof(out), "%s/fds.out", dir);
	id = submit_as(NOBODY, sh_job("ls -l /proc/$$/fd", out), NULL, 0);
	ok(id > 0, "nobody submits sh -c 'ls -l /proc/$$/fd'");
	rec = id > 0 ? wait_job(NOBODY, id, 60000) : NULL;
	ok(rec && strcmp(lab_jstr(rec, "state"), "done") == 0 && lab_jint(rec, "exit_code") == 0,
	   "the job ran");
	json_decref(rec);
	lab_slurp(out, buf, sizeof(buf));
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *arrow = strstr(line, " -> ");
		char *fd;

		if (!arrow)
			continue; /* "total 0" */
		*arrow = '\0';
		fd = strrchr(line, ' ') + 1;
		if (strcmp(fd, "0") == 0 || strcmp(fd, "1") == 0 || strcmp(fd, "2") == 0) {
			std++;
		} else if (strncmp(arrow + 4, "/proc/", 6) == 0 && strstr(arrow + 4, "/fd")) {
			/* ls reading the directory it lists */
		} else {
			other++;
			diag("the job holds fd %s -> %s", fd, arrow + 4);
		}
	}
	is_int(std, 3, "the job has fds 0, 1 and 2");
	is_int(other, 0, "and no other fd of the daemon or its supervisor");
}

/* The parent of @pid (its supervisor, for a job's pid); 0 when gone. */
static pid_t parent_of(long pid)
{
	char path[64], buf[512], *close_paren;
	long ppid = 0;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	close_paren = strrchr(lab_slurp(path, buf, sizeof(buf)), ')');
	if (close_paren && sscanf(close_paren + 1, " %*c %ld", &ppid) != 1)
		ppid = 0;
	return (pid_t)ppid;
}

/* True when @sup's fd @fd is a pidfd of @job (its fdinfo's "Pid:"). */
static bool pidfd_of(pid_t sup, const char *fd, long job)
{
	char path[300], buf[1024];
	const char *pid;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", (int)sup, fd);
	pid = strstr(lab_slurp(path, buf, sizeof(buf)), "\nPid:");
	return pid && atol(pid + 5) == job;
}

/*
 * How many fds supervisor @sup holds beyond its own: /dev/null as 0-2, its
 * job's lock file in the record directory and a pidfd of its job @job.
 * Another job's report pipe, the daemon's sockets or database would each
 * count (and be named).
 */
static int foreign_fds(pid_t sup, long job)
{
	char fddir[64], records[300];
	struct dirent *de;
	int foreign = 0;
	DIR *d;

	snprintf(fddir, sizeof(fddir), "/proc/%d/fd", (int)sup);
	snprintf(records, sizeof(records), "%s/records/", dir);
	d = opendir(fddir);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		char path[sizeof(fddir) + sizeof(de->d_name)], target[PATH_MAX];
		ssize_t n;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", fddir, de->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n < 0)
			continue; /* closed while we looked */
		target[n] = '\0';
		if ((atoi(de->d_name) <= 2 && strcmp(target, "/dev/null") == 0) ||
		    strncmp(target, records, strlen(records)) == 0 ||
		    (strcmp(target, "anon_inode:[pidfd]") == 0 && pidfd_of(sup, de->d_name, job)))
			continue;
		diag("supervisor %d holds fd %s -> %s", (int)sup, de->d_name, target);
		foreign++;
	}
	closedir(d);
	return foreign;
}

/*
 * (d) Two jobs alive at once, on two VSs: neither supervisor holds any fd
 * of the daemon's, the other job's report pipe included (the second was
 * forked while the daemon still held the first's).
 */
static void test_supervisor_fds(void)
{
	int64_t ids[2];
	pid_t sups[2] = { 0 };
	long jobs[2] = { 0 };

	ids[0] = submit_as(NOBODY, sh_job("exec sleep 60", NULL), NULL, 0);
	ids[1] = submit_as(
		NOBODY,
		json_pack("{s:[s,s], s:s, s:s}", "argv", "/bin/sleep", "60", "cwd", dir, "vs", "b"),
		NULL, 0);
	ok(ids[0] > 0 && ids[1] > 0, "nobody submits a job to a and one to b");
	for (int64_t end = lab_mono_ms() + 30000; lab_mono_ms() < end && !(sups[0] && sups[1]);) {
		for (int i = 0; i < 2; i++) {
			long pid = ids[i] > 0 && !sups[i] ? ps_pid(ids[i]) : 0;

			if (pid > 0) {
				jobs[i] = pid;
				sups[i] = parent_of(pid);
			}
		}
		lab_sleep_ms(100);
	}
	ok(sups[0] > 1 && sups[1] > 1, "both run, each under its supervisor (%d, %d)", (int)sups[0],
	   (int)sups[1]);
	for (int i = 0; i < 2; i++) {
		int n = sups[i] > 1 ? foreign_fds(sups[i], jobs[i]) : -1;

		ok(n == 0,
		   "the supervisor of job %lld holds no fd but /dev/null, its lock and its job's "
		   "pidfd (%d more)",
		   (long long)ids[i], n);
	}
	for (int i = 0; i < 2; i++) {
		json_t *res;

		if (ids[i] > 0) {
			lab_request(sock, NOBODY, "cancel",
				    json_pack("{s:I}", "job", (json_int_t)ids[i]), &res,
				    LIVENESS_MS);
			json_decref(res);
			json_decref(wait_job(NOBODY, ids[i], 30000));
		}
	}
}

/* A start report as the supervisor writes it: {int err; pid_t job_pid; char msg[1024]}. */
static void write_forged_report(const char *path, int err, pid_t pid)
{
	char rep[8 + 1024] = { 0 };
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	memcpy(rep, &err, 4);
	memcpy(rep + 4, &pid, 4);
	snprintf(rep + 8, 1024, "forged by the job");
	if (fd < 0 || write(fd, rep, sizeof(rep)) != (ssize_t)sizeof(rep))
		bail_out("write %s", path);
	close(fd);
}

/*
 * (c) The job writes a report to fd 3 in one write (cat of a prepared
 * file, so the pipe gets it whole): one claims another process is the job,
 * one claims the launch failed while the job goes on.
 */
static void test_forged_report(void)
{
	char forged_pid[300], forged_fail[300], pidfile[300], script[1024], buf[64];
	pid_t decoy = fork();
	int64_t liar, staller;
	json_t *rec;
	long shown = 0;

	if (decoy == 0) {
		execl("/bin/sleep", "sleep", "120", (char *)NULL);
		_exit(127);
	}
	snprintf(forged_pid, sizeof(forged_pid), "%s/forged-pid", dir);
	snprintf(forged_fail, sizeof(forged_fail), "%s/forged-fail", dir);
	snprintf(pidfile, sizeof(pidfile), "%s/liar.pid", dir);
	write_forged_report(forged_pid, 0, decoy);
	write_forged_report(forged_fail, EPERM, 0);

	snprintf(script, sizeof(script), "echo $$ > %s; cat %s >&3 2>/dev/null; sleep 3; exit 7",
		 pidfile, forged_pid);
	liar = submit_as(NOBODY, sh_job(script, NULL), NULL, 0);
	ok(liar > 0, "nobody submits a job that writes a start report naming pid %d", (int)decoy);
	for (int t = 0; t < 40 && !atoi(lab_read(pidfile, buf, sizeof(buf))); t++)
		lab_sleep_ms(100);
	lab_sleep_ms(500);
	shown = ps_pid(liar);
	ok(shown != decoy, "ps does not take the forged pid (shows %ld, the job is %s)", shown,
	   lab_read(pidfile, buf, sizeof(buf)));
	rec = liar > 0 ? wait_job(NOBODY, liar, 60000) : NULL;
	ok(rec && strcmp(lab_jstr(rec, "state"), "done") == 0 && lab_jint(rec, "exit_code") == 7,
	   "the job is accounted as what it did: done, exit 7 (%s, exit %lld)",
	   rec ? lab_jstr(rec, "state") : "no record",
	   rec ? (long long)lab_jint(rec, "exit_code") : 0);
	json_decref(rec);
	ok(lab_alive(decoy), "the process the forged report named is untouched");
	kill(decoy, SIGKILL);
	waitpid(decoy, NULL, 0);

	snprintf(script, sizeof(script), "cat %s >&3 2>/dev/null; sleep 20; exit 8", forged_fail);
	staller = submit_as(NOBODY, sh_job(script, NULL), NULL, 0);
	ok(staller > 0, "nobody submits a job that reports its own launch as failed");
	lab_sleep_ms(2000);
	ok(root_ps_answers("while a job claims its launch failed"),
	   "root's ps answers while that job runs on");
	lab_request(sock, NOBODY, "cancel", json_pack("{s:I}", "job", (json_int_t)staller), &rec,
		    LIVENESS_MS);
	json_decref(rec);
	rec = staller > 0 ? wait_job(NOBODY, staller, 60000) : NULL;
	ok(rec && strcmp(lab_jstr(rec, "state"), "cancelled") == 0 &&
		   !strstr(lab_jstr(rec, "error"), "forged"),
	   "it ends as cancelled, not as the failure it forged (%s: %s)",
	   rec ? lab_jstr(rec, "state") : "no record", rec ? lab_jstr(rec, "error") : "");
	json_decref(rec);
}

int main(void)
{
	struct cpool_cg_pool pool;
	struct cpool_error e;
	char cmd[512];
	pid_t daemon_pid;
	FILE *f;

	lab_require();
	root = lab_pool_root("hostile");
	if (!mkdtemp(dir) || chmod(dir, 01777))
		bail_out("mkdtemp: %s", strerror(errno));
	snprintf(sock, sizeof(sock), "%s/cpool.sock", dir);
	snprintf(ini, sizeof(ini), "%s/pool.ini", dir);
	f = fopen(ini, "w");
	fprintf(f, "[pool]\nname = hostile\n\n[vserver a]\ncpus = 1\nexclusive = no\n"
		   "smt = threads\n\n[vserver b]\ncpus = 1\nexclusive = no\nsmt = threads\n");
	fclose(f);
	daemon_pid = lab_start_cpoold(dir, ini, root, "0666", true);

	test_job_fds();
	test_supervisor_fds();
	test_forged_report();
	test_fifo_stdout();

	lab_cpoold_stop(daemon_pid, LAB_CPOOLD_STOP_S, NULL);
	if (cpool_cg_pool_open(&pool, root, &e) == 0 && cpool_cg_pool_destroy(&pool, 10000, &e))
		diag("cleanup: %s", e.msg);
	if (exit_status())
		lab_cpoold_log_tail(dir, 6000);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		diag("cleanup of %s failed", dir);
	done_testing();
	return exit_status();
}
