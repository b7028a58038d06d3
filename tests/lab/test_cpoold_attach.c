// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * cpoold's attach request without Slurm: a child of this test stands for
 * the task slurmstepd forked, sent as a pidfd.  It lands in a leaf of the
 * VS and shows in ps with its Slurm ids; a full VS, a non-root caller and
 * a request without a pidfd are refused; a kill -9 of cpoold adopts a
 * running one and ends one that ended while it was down; cancel kills it.
 * A task's attach.started (the plugin's, after Slurm's release) moves the
 * run's start once, from the task's leaf and uid only, across a restart.
 */
#include <math.h>
#include <sys/syscall.h>

#include "lab_cpoold.h"

static char dir[] = "/tmp/cpool-attach.XXXXXX";
static char sock[PATH_MAX], ini[PATH_MAX];
static const char *root;
static pid_t daemon_pid;

/* What a task's attach.started got: the op's result and the start it set. */
struct mark {
	int r;
	double start;
};

static struct mark mark_now(void)
{
	struct cpool_apiclient *c;
	struct cpool_error e = { 0 };
	struct mark m = { 0 };
	json_t *res = NULL;

	m.r = cpool_apiclient_connect(sock, &c, &e);
	if (!m.r) {
		m.r = cpool_apiclient_call(c, CPOOL_OP_ATTACH_STARTED, NULL, &res, 10000, &e);
		cpool_apiclient_close(c);
	}
	if (!m.r)
		m.start = lab_jnum(res, "start");
	json_decref(res);
	return m;
}

/*
 * A process standing for a task: on 'm' it sends attach.started (on 'u'
 * as uid 65534) and writes what it got to its reply pipe; on 'x' it exits
 * 0, at end of file 3.
 */
static pid_t spawn_task_replying(int *release, int *reply)
{
	int p[2], q[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) || pipe2(q, O_CLOEXEC))
		bail_out("pipe: %s", strerror(errno));
	pid = fork();
	if (pid == 0) {
		char c;

		close(p[1]);
		close(q[0]);
		while (read(p[0], &c, 1) == 1) {
			struct mark m;

			if (c == 'x')
				_exit(0);
			if (c == 'u' && setuid(65534))
				_exit(4);
			m = mark_now();
			if (write(q[1], &m, sizeof(m)) != sizeof(m))
				_exit(5);
		}
		_exit(3);
	}
	close(p[0]);
	close(q[1]);
	*release = p[1];
	*reply = q[0];
	return pid;
}

static pid_t spawn_task(int *release)
{
	int reply;
	pid_t pid = spawn_task_replying(release, &reply);

	close(reply);
	return pid;
}

/* Task @pid's attach.started ('m', or 'u' as another uid). */
static struct mark task_mark(int release, int reply, char how)
{
	struct mark m = { .r = -EIO };

	if (write(release, &how, 1) != 1 || read(reply, &m, sizeof(m)) != sizeof(m))
		bail_out("a task's attach.started: no answer");
	return m;
}

static void end_task(pid_t pid, int release)
{
	if (write(release, "x", 1) != 1)
		diag("release %d: %s", (int)pid, strerror(errno));
	close(release);
	waitpid(pid, NULL, 0);
}

static int attach(pid_t pid, int cpus, int64_t slurm_job, json_t **result, struct cpool_error *e)
{
	struct cpool_apiclient *c;
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0), r;

	*result = NULL;
	if (pidfd < 0)
		bail_out("pidfd_open %d: %s", (int)pid, strerror(errno));
	r = cpool_apiclient_connect(sock, &c, e);
	if (r)
		bail_out("connect: %s", e->msg);
	r = cpool_apiclient_call_fds(c, CPOOL_OP_ATTACH,
				     json_pack("{s:s, s:i, s:i, s:I, s:i, s:s}", "vs", "a", "cpus",
					       cpus, "uid", 0, "slurm_job", (json_int_t)slurm_job,
					       "slurm_step", 0, "name", "task"),
				     &pidfd, 1, result, 10000, e);
	close(pidfd);
	cpool_apiclient_close(c);
	return r;
}

/* The live job @id in ps, or NULL (a new reference). */
static json_t *ps_job(int64_t id)
{
	json_t *res, *j, *found = NULL;
	size_t i;

	if (lab_request(sock, 0, "ps", NULL, &res, 10000))
		return NULL;
	json_array_foreach(json_object_get(res, "jobs"), i, j)
		if (lab_jint(j, "id") == id)
			found = json_incref(j);
	json_decref(res);
	return found;
}

/* The ended record of job @id, waiting up to 20 s for it. */
static json_t *ended(int64_t id)
{
	for (int i = 0; i < 200; i++) {
		json_t *res;

		if (lab_request(sock, 0, "wait", json_pack("{s:I}", "job", (json_int_t)id), &res,
				200) == 0)
			return res;
		json_decref(res);
		lab_sleep_ms(100);
	}
	return NULL;
}

int main(void)
{
	struct cpool_error e = { 0 };
	char path[PATH_MAX], buf[512], want[256];
	json_t *res, *j;
	int rel_a, rep_a, rel_b, rel_c, rel_d, rel_e, rep_e;
	pid_t a, b, c, d, e_pid;
	int64_t id_a, id_c, id_d, id_e;
	struct mark mark;
	double attached_at;
	FILE *f;
	int r;

	lab_require();
	plan(33);
	root = lab_pool_root("attach");
	if (!mkdtemp(dir) || chmod(dir, 01777))
		bail_out("mkdtemp: %s", strerror(errno));
	snprintf(sock, sizeof(sock), "%s/cpool.sock", dir);
	snprintf(ini, sizeof(ini), "%s/pool.ini", dir);
	f = fopen(ini, "w");
	fprintf(f, "[pool]\nname = attachpool\n\n[vserver a]\ncpus = 2\n");
	fclose(f);
	daemon_pid = lab_start_cpoold(dir, ini, root, "0666", true);

	a = spawn_task_replying(&rel_a, &rep_a);
	r = attach(a, 1, 41, &res, &e);
	if (r)
		diag("attach: %s", e.msg);
	is_int(r, 0, "attach of a waiting process: accepted");
	id_a = lab_jint(res, "job");
	json_decref(res);
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)a);
	snprintf(want, sizeof(want), "0::/%s/a/job-%lld", root, (long long)id_a);
	is_str(lab_read(path, buf, sizeof(buf)), want, "the process is in the job's leaf");
	j = ps_job(id_a);
	is_str(lab_jstr(j, "state"), "running", "ps: running");
	is_str(lab_jstr(j, "origin"), "slurm", "ps: origin slurm");
	ok(lab_jint(j, "slurm_job") == 41 && json_is_integer(json_object_get(j, "slurm_step")) &&
		   lab_jint(j, "slurm_step") == 0,
	   "ps: its Slurm job and step ids");
	is_int(lab_jint(j, "pid"), a, "ps: its pid");
	attached_at = lab_jnum(j, "start");
	json_decref(j);

	is_int(mark_now().r, -ESRCH, "attach.started from outside the job's leaf: ESRCH");
	mark = task_mark(rel_a, rep_a, 'm');
	is_int(mark.r, 0, "attach.started from the task in its leaf: accepted");
	ok(mark.start > attached_at,
	   "its run now starts at the mark (%.6f), after the attach (%.6f)", mark.start,
	   attached_at);
	is_int(task_mark(rel_a, rep_a, 'm').r, -EALREADY, "a second attach.started: EALREADY");

	is_int(attach(a, 1, 45, &res, &e), -EBUSY, "the same process again: EBUSY");
	ok(strstr(e.msg, "already in the pool") != NULL, "it is already in the pool: %s", e.msg);
	json_decref(res);

	b = spawn_task(&rel_b);
	is_int(attach(b, 2, 42, &res, &e), -ENOSPC,
	       "2 more CPUs of a 2-CPU VS with 1 busy: ENOSPC");
	ok(strstr(e.msg, "1 free CPUs of 2") != NULL, "the message says what is free: %s", e.msg);
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)b);
	ok(strstr(lab_read(path, buf, sizeof(buf)), "/a/job-") == NULL,
	   "the refused process was not moved");
	end_task(b, rel_b);

	is_int(lab_request(sock, 65534, "attach", json_pack("{s:s, s:i}", "vs", "a", "uid", 65534),
			   &res, 10000),
	       -EPERM, "a non-root caller: EPERM");
	json_decref(res);
	is_int(lab_request(sock, 0, "attach", json_pack("{s:s, s:i}", "vs", "a", "uid", 0), &res,
			   10000),
	       -EINVAL, "root without a pidfd: EINVAL");
	ok(strstr(lab_jstr(res, "message"), "pidfd") != NULL, "the message says why: %s",
	   lab_jstr(res, "message"));
	json_decref(res);

	e_pid = spawn_task_replying(&rel_e, &rep_e);
	is_int(attach(e_pid, 1, 46, &res, &e), 0, "a task of uid 0 takes the second CPU");
	id_e = lab_jint(res, "job");
	json_decref(res);
	is_int(task_mark(rel_e, rep_e, 'u').r, -ESRCH,
	       "attach.started from its leaf by another uid: ESRCH");
	end_task(e_pid, rel_e);
	close(rep_e);
	res = ended(id_e);
	is_str(lab_jstr(res, "state"), "done", "that task's record ends");
	json_decref(res);

	/* kill -9 with a running attached job; another ends while no daemon is there. */
	c = spawn_task(&rel_c);
	is_int(attach(c, 1, 43, &res, &e), 0, "a second attach takes the second CPU");
	id_c = lab_jint(res, "job");
	json_decref(res);
	lab_kill_reap(daemon_pid, LAB_CPOOLD_REAP_MS, NULL);
	end_task(c, rel_c);
	daemon_pid = lab_start_cpoold(dir, ini, root, "0666", true);
	j = ps_job(id_a);
	is_str(lab_jstr(j, "state"), "running", "after kill -9: the running one is adopted");
	json_decref(j);
	is_int(task_mark(rel_a, rep_a, 'm').r, -EALREADY,
	       "after the restart the mark is still taken: EALREADY");
	res = ended(id_c);
	is_str(lab_jstr(res, "state"), "done", "the one that ended meanwhile is ended at restart");
	ok(lab_jint(res, "slurm_job") == 43 && lab_jint(res, "exit_code") == -1,
	   "with its Slurm id and an unknown exit status");
	json_decref(res);

	end_task(a, rel_a);
	close(rep_a);
	res = ended(id_a);
	is_str(lab_jstr(res, "state"), "done", "the adopted one ends when its leaf empties");
	ok(lab_jnum(res, "run_time") > 0 && json_is_number(json_object_get(res, "cpu_time")),
	   "with its run time and the leaf's CPU time");
	ok(fabs(lab_jnum(res, "run_time") - (lab_jnum(res, "end") - mark.start)) < 1e-3,
	   "its run time counts from the mark: %.6f = %.6f - %.6f", lab_jnum(res, "run_time"),
	   lab_jnum(res, "end"), mark.start);
	json_decref(res);

	d = spawn_task(&rel_d);
	is_int(attach(d, 2, 44, &res, &e), 0, "both CPUs are free again: 2 CPUs attach");
	id_d = lab_jint(res, "job");
	json_decref(res);
	is_int(lab_request(sock, 0, "cancel", json_pack("{s:I}", "job", (json_int_t)id_d), &res,
			   10000),
	       0, "cancel of an attached job");
	json_decref(res);
	{
		int status = 0;

		/* Bounded: a cancel that missed it must fail here, not hang the test. */
		if (!lab_reap_within(d, 10000, &status)) {
			diag("pid %d still running 10 s after the cancel", (int)d);
			lab_kill_reap(d, LAB_CPOOLD_REAP_MS, NULL);
			status = 0;
		}
		close(rel_d);
		ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		   "its process is killed (status 0x%x)", status);
	}
	res = ended(id_d);
	is_str(lab_jstr(res, "state"), "cancelled", "and its record ends cancelled");
	json_decref(res);

	lab_cpoold_stop(daemon_pid, LAB_CPOOLD_STOP_S, NULL);
	lab_cpoold_cleanup(dir, root);
	return exit_status();
}
