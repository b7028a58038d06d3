// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The pool tree against the live kernel: controllers, VS knobs read back,
 * resize, partitions, bad input refused with nothing half-created, adopt
 * after a simulated restart, a delegated root's processes moved out, and
 * destroy leaving nothing.
 */
#include <sys/wait.h>
#include <sys/xattr.h>

#include "lab_cpoold.h"

/* A child getting into place: seconds under a loaded TCG guest, never more. */
#define WAIT_MS 30000

static struct cpool_cg_pool pool;
static struct cpool_error err;
static int ncpus;

/*
 * Reaps @pid, which a destroy just killed: bounded, so that a destroy that
 * left it alive fails the test (its status is then not SIGKILL's, or 0)
 * instead of hanging it.
 */
static void reap_killed(pid_t pid, int *status)
{
	*status = 0;
	if (lab_reap_within(pid, 10000, status))
		return;
	diag("pid %d still running 10 s after the destroy", (int)pid);
	lab_show_blocked(pid);
	lab_kill_reap(pid, LAB_CPOOLD_REAP_MS, NULL);
	*status = 0;
}

static int count_vs(void)
{
	char(*names)[CPOOL_VS_NAME_MAX + 1];
	int n;

	if (cpool_cg_vs_list(&pool, &names, &n, &err))
		return -1;
	free(names);
	return n;
}

static void knob(const char *vs, const char *file, const char *want)
{
	char dir[PATH_MAX], buf[256], name[128];

	snprintf(dir, sizeof(dir), "%s/%s", pool.path, vs);
	snprintf(name, sizeof(name), "%s %s", vs, file);
	is_str(lab_read2(dir, file, buf, sizeof(buf)), want, name);
}

static void test_open(void)
{
	char buf[256], rootbuf[256];
	struct cpool_cg_pool bad;

	is_int(cpool_cg_require_v2(&err), 0, "cgroup v2 detected");
	is_int(cpool_cg_pool_open(&bad, "../etc", &err), -EINVAL, "pool root '../etc' refused");
	ok(strstr(err.msg, "..") != NULL, "  says why: %s", err.msg);
	is_int(cpool_cg_pool_open(&bad, "/abs", &err), -EINVAL, "absolute pool root refused");
	is_int(cpool_cg_pool_open(&bad, "", &err), -EINVAL, "empty pool root refused");

	if (!ok(cpool_cg_pool_open(&pool, lab_pool_root("tree"), &err) == 0, "pool opened"))
		bail_out("%s", err.msg);
	ok(lab_exists(pool.path), "pool root %s created", pool.path);
	lab_read(CPOOL_CG_MOUNT "/cgroup.subtree_control", rootbuf, sizeof(rootbuf));
	ok(strstr(rootbuf, "cpuset") && strstr(rootbuf, "cpu ") && strstr(rootbuf, "memory") &&
		   strstr(rootbuf, "pids"),
	   "root subtree_control has cpuset cpu memory pids: %s", rootbuf);
	lab_read2(pool.path, "cgroup.subtree_control", buf, sizeof(buf));
	ok(strstr(buf, "cpuset") && strstr(buf, "memory") && strstr(buf, "pids") &&
		   (!pool.have_io || strstr(buf, "io")),
	   "pool root subtree_control: %s", buf);
	is_int(cpool_cpuset_count(&pool.machine_cpus), ncpus, "machine CPUs read from the root");
	ok(cpool_cpuset_count(&pool.machine_mems) >= 2, "machine has >= 2 memory nodes");
}

static void test_create_resize(void)
{
	struct cpool_cpuset c0 = lab_node_cpus(0);
	struct cpool_vserver a = lab_vs("a", &c0, "0"), back;
	struct cpool_cg_vs_state st;
	char list[64];

	a.limits.memory_max = 256ULL << 20;
	a.limits.memory_high = 200ULL << 20;
	a.limits.memory_min = 16ULL << 20;
	a.limits.cpu_weight = 300;
	a.limits.cpu_max_quota_us = 50000;
	a.limits.cpu_max_period_us = 100000;
	a.limits.pids_max = 64;
	if (!is_int(cpool_cg_vs_create(&pool, &a, &st, &err), 0, "VS a created"))
		diag("%s", err.msg);
	cpool_cpuset_format(&c0, list, sizeof(list));
	knob("a", "cpuset.cpus", list);
	knob("a", "cpuset.mems", "0");
	knob("a", "memory.max", "268435456");
	knob("a", "memory.high", "209715200");
	knob("a", "memory.min", "16777216");
	knob("a", "cpu.weight", "300");
	knob("a", "cpu.max", "50000 100000");
	knob("a", "pids.max", "64");
	ok(cpool_cpuset_equal(&st.cpus_effective, &c0), "state: cpus.effective is node 0's");
	is_int(st.partition.kind, CPOOL_CG_PART_MEMBER, "shared VS is a partition member");
	ok(!st.partition_refused, "no partition asked, none refused");
	is_int(cpool_cg_vs_read(&pool, "a", &back, NULL, &err), 0, "read back");
	is_int(cpool_cg_vs_drift(&a, &back), 0, "read back equals the record");

	a.limits.memory_max = 0;
	a.limits.memory_high = 0;
	a.limits.memory_min = 0;
	a.limits.cpu_weight = 50;
	a.limits.cpu_max_quota_us = 0;
	a.limits.pids_max = 0;
	a.mems = lab_set("0-1");
	if (!is_int(cpool_cg_vs_resize(&pool, &a, &st, &err), 0, "resize a"))
		diag("%s", err.msg);
	knob("a", "memory.max", "max");
	knob("a", "memory.high", "max");
	knob("a", "cpu.weight", "50");
	knob("a", "cpu.max", "max 100000");
	knob("a", "pids.max", "max");
	knob("a", "cpuset.mems", "0-1");
	cpool_cg_vs_read(&pool, "a", &back, NULL, &err);
	is_int(cpool_cg_vs_drift(&a, &back), 0, "resized values read back");
	/* Back to plain, as the adopt test configures it. */
	memset(&a.limits, 0, sizeof(a.limits));
	a.mems = lab_set("0");
	is_int(cpool_cg_vs_resize(&pool, &a, &st, &err), 0, "a back to defaults");
}

/* Nothing half-created: the same VSs, and no directory for the refused one. */
static void refused(int rc, int want_err, const char *what, const char *name, int before)
{
	char path[PATH_MAX];

	is_int(rc, want_err, what);
	ok(err.msg[0] != '\0', "  clear error: %s", err.msg);
	is_int(count_vs(), before, "  no VS added");
	if (name && !strchr(name, '/') && strcmp(name, "..") != 0) {
		snprintf(path, sizeof(path), "%s/%s", pool.path, name);
		ok(!lab_exists(path), "  no %s left behind", path);
	}
}

static void test_bad_input(void)
{
	struct cpool_cpuset c0 = lab_node_cpus(0), wide = lab_set("0-63");
	struct cpool_vserver v;
	struct cpool_cg_vs_state st;
	int before = count_vs();

	v = lab_vs("wide", &wide, "0");
	err.msg[0] = '\0';
	refused(cpool_cg_vs_create(&pool, &v, &st, &err), -EINVAL, "cpuset outside the machine",
		"wide", before);
	ok(strstr(err.msg, "not on this machine") != NULL, "  names the problem");

	v = lab_vs("zero", &c0, "0");
	v.limits.memory_max = 1; /* 0 means "unset" in the record: the smallest limit there is */
	err.msg[0] = '\0';
	refused(cpool_cg_vs_create(&pool, &v, &st, &err), -EINVAL, "zero memory limit", "zero",
		before);

	v = lab_vs("x", &c0, "0");
	snprintf(v.name, sizeof(v.name), "a/b");
	err.msg[0] = '\0';
	refused(cpool_cg_vs_create(&pool, &v, &st, &err), -EINVAL, "name with /", v.name, before);
	ok(!lab_exists("/sys/fs/cgroup/a/b") && !lab_exists(CPOOL_CG_MOUNT "/b"),
	   "  nothing outside the pool either");
	snprintf(v.name, sizeof(v.name), "..");
	err.msg[0] = '\0';
	refused(cpool_cg_vs_create(&pool, &v, &st, &err), -EINVAL, "name ..", v.name, before);

	v = lab_vs("excl", &c0, "0");
	v.exclusive = true;
	err.msg[0] = '\0';
	refused(cpool_cg_vs_create(&pool, &v, &st, &err), -EINVAL, "exclusive VS overlapping a",
		"excl", before);
	ok(strstr(err.msg, "overlap") != NULL, "  says overlap");

	v = lab_vs("a", &c0, "0");
	err.msg[0] = '\0';
	refused(cpool_cg_vs_create(&pool, &v, &st, &err), -EEXIST, "an existing name", NULL,
		before);

	/* Valid for us, refused by the kernel (pids.max above PID_MAX_LIMIT): rolled back. */
	v = lab_vs("kbad", &c0, "0");
	v.limits.pids_max = 4000000000u;
	err.msg[0] = '\0';
	refused(cpool_cg_vs_create(&pool, &v, &st, &err), -EINVAL,
		"kernel-refused value rolled back", "kbad", before);
	ok(strstr(err.msg, "pids.max") && strstr(err.msg, pool.path),
	   "  error names the file and path");
}

static void test_partition(void)
{
	int last = cpool_cpuset_last(&pool.machine_cpus);
	struct cpool_cpuset one, rest, c0 = lab_node_cpus(0);
	struct cpool_vserver x, y;
	struct cpool_cg_vs_state st;
	struct cpool_cg_partition_state kst;
	char buf[256], list[64], dir[PATH_MAX];
	int rc;

	cpool_cpuset_zero(&one);
	cpool_cpuset_set(&one, last);
	x = lab_vs("x", &one, "0");
	x.exclusive = true;
	if (!is_int(cpool_cg_vs_create(&pool, &x, &st, &err), 0, "exclusive VS x created"))
		diag("%s", err.msg);
	snprintf(dir, sizeof(dir), "%s/x", pool.path);
	lab_read2(dir, "cpuset.cpus.partition", buf, sizeof(buf));
	cpool_cg_partition_parse(buf, &kst);
	is_int(st.partition.kind, kst.kind, "reported partition state is the kernel's");
	diag("x partition: %s; pool root partition: %s", buf,
	     lab_read2(pool.path, "cpuset.cpus.partition", list, sizeof(list)));
	/* The pool root leaves the cgroup2 root a CPU (no VS here covers it), so this is valid. */
	ok(!st.partition_refused && st.partition.kind == CPOOL_CG_PART_ROOT,
	   "x is a valid partition root");
	ok(cpool_cpuset_equal(&st.cpus_effective, &one), "x's effective CPUs are its own");
	lab_read2(CPOOL_CG_MOUNT, "cpuset.cpus.effective", buf, sizeof(buf));
	{
		struct cpool_cpuset root_eff = lab_set(buf);

		ok(!cpool_cpuset_isset(&root_eff, last),
		   "the cgroup2 root gave CPU %d to the partition (root effective: %s)", last, buf);
	}

	/*
	 * A partition the kernel cannot make: y takes every CPU left, so the
	 * pool root would need all of the (populated) cgroup2 root's CPUs.
	 * Either the kernel refuses the write (error, y rolled back) or it
	 * accepts and marks a partition invalid (y exists, refusal reported):
	 * never a silent success.
	 */
	cpool_cpuset_andnot(&rest, &pool.machine_cpus, &c0);
	cpool_cpuset_andnot(&rest, &rest, &one);
	y = lab_vs("y", &rest, "0");
	y.exclusive = true;
	err.msg[0] = '\0';
	rc = cpool_cg_vs_create(&pool, &y, &st, &err);
	snprintf(dir, sizeof(dir), "%s/y", pool.path);
	if (rc) {
		diag("kernel refused: %s", err.msg);
		ok(!lab_exists(dir) && err.msg[0], "impossible partition: error and nothing left");
	} else {
		diag("y: %s (%s)", cpool_cg_partition_name(st.partition.kind), st.partition.reason);
		ok(st.partition_refused && st.partition.reason[0],
		   "impossible partition: reported refused with the reason");
		is_int(cpool_cg_vs_destroy(&pool, "y", 10000, &err), 0, "y destroyed");
	}

	x.exclusive = false;
	is_int(cpool_cg_vs_resize(&pool, &x, &st, &err), 0, "x back to a member");
	is_int(st.partition.kind, CPOOL_CG_PART_MEMBER, "x is a member again");
	is_str(lab_read2(pool.path, "cpuset.cpus.partition", buf, sizeof(buf)), "member",
	       "no exclusive VS left: the pool root is a member again");
}

static pid_t spawn_sleeper_in(const char *dir)
{
	char procs[PATH_MAX];
	pid_t pid = fork();

	if (pid == 0) {
		FILE *f;

		snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
		f = fopen(procs, "we");
		if (!f || fprintf(f, "0") < 0 || fclose(f) != 0)
			_exit(2);
		execl("/bin/sleep", "sleep", "60", (char *)NULL);
		_exit(3);
	}
	/* Its exec follows the move: a fixed wait lost that race on a loaded host. */
	if (pid > 0)
		lab_wait_comm(pid, "sleep", WAIT_MS);
	return pid;
}

static void test_adopt(void)
{
	struct cpool_cpuset c0 = lab_node_cpus(0), c1 = lab_node_cpus(1);
	struct cpool_vserver cfg[3];
	struct cpool_cg_adopt_report rep;
	struct cpool_cg_pool again;
	char leaf[PATH_MAX], dir[PATH_MAX], stray[PATH_MAX], buf[64], list[64];
	struct cpool_cg_vs_state st;
	pid_t job;
	int status;

	cfg[0] = lab_vs("a", &c0, "0");
	cfg[1] = lab_vs("b", &c1, "1");
	cfg[2] = lab_vs("c", &c1, "1");
	is_int(cpool_cg_vs_create(&pool, &cfg[1], &st, &err), 0, "VS b created");
	is_int(cpool_cg_job_create(&pool, "a", "j1", leaf, sizeof(leaf), &err), 0, "job leaf a/j1");
	job = spawn_sleeper_in(leaf);
	ok(lab_alive(job), "a job runs in a/j1");

	/* Behind our back: b's cpuset changed, and a VS nobody configured. */
	snprintf(dir, sizeof(dir), "%s/b", pool.path);
	cpool_cpuset_format(&c0, list, sizeof(list));
	ok(lab_write(dir, "cpuset.cpus", list), "b's cpuset.cpus changed behind our back");
	snprintf(stray, sizeof(stray), "%s/stray", pool.path);
	ok(mkdir(stray, 0755) == 0, "a stray VS made behind our back");

	/* Simulated restart: a fresh pool handle on the same root. */
	if (!is_int(cpool_cg_pool_open(&again, pool.root, &err), 0, "pool reopened"))
		diag("%s", err.msg);
	if (!is_int(cpool_cg_adopt(&again, cfg, 3, &rep, &err), 0, "adopt"))
		diag("%s", err.msg);
	for (int i = 0; i < rep.count; i++) {
		struct cpool_cg_adopt_entry *en = &rep.entries[i];
		char drift[128];

		cpool_cg_drift_format(en->drift, drift, sizeof(drift));
		diag("adopt: %s %s drift=%s jobs=%d running=%d", en->name,
		     cpool_cg_adopt_action_name(en->action), drift, en->jobs, en->running);
		if (strcmp(en->name, "a") == 0) {
			is_int(en->action, CPOOL_CG_ADOPT_KEPT, "a kept");
			is_int(en->jobs, 1, "a's job found");
			is_int(en->running, 1, "a's job found running");
		} else if (strcmp(en->name, "b") == 0) {
			is_int(en->action, CPOOL_CG_ADOPT_CORRECTED, "b corrected");
			is_int((int)en->drift, CPOOL_CG_DRIFT_CPUS, "b's drift: cpus");
		} else if (strcmp(en->name, "c") == 0) {
			is_int(en->action, CPOOL_CG_ADOPT_CREATED, "c created");
		} else if (strcmp(en->name, "stray") == 0) {
			is_int(en->action, CPOOL_CG_ADOPT_UNKNOWN, "stray reported unknown");
		}
	}
	is_int(rep.count, 5, "adopt reported a, b, c, stray and x");
	free(rep.entries);
	cpool_cpuset_format(&c1, list, sizeof(list));
	is_str(lab_read2(dir, "cpuset.cpus", buf, sizeof(buf)), list, "b's cpus restored");
	ok(lab_alive(job), "a's job untouched by adopt");
	ok(lab_exists(stray), "stray left alone");
	rmdir(stray);
	is_int(cpool_cg_vs_destroy(&pool, "a", 10000, &err), 0, "destroy a (with its job)");
	reap_killed(job, &status);
	ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "a's job was killed");
	ok(!lab_exists(leaf), "a/j1 removed");
}

static void test_delegated(void)
{
	struct cpool_cg_pool dp;
	char path[PATH_MAX], root[128], buf[256], want[PATH_MAX];
	pid_t job;
	int status;

	/* A root that holds processes, as systemd's Delegate=yes service cgroup does. */
	snprintf(root, sizeof(root), "%s-deleg", lab_pool_root("tree"));
	snprintf(path, sizeof(path), "%s/%s", CPOOL_CG_MOUNT, root);
	ok(mkdir(path, 0755) == 0, "delegated-style root made");
	job = spawn_sleeper_in(path);
	if (!is_int(cpool_cg_pool_open(&dp, root, &err), 0, "pool opened on a populated root"))
		diag("%s", err.msg);
	snprintf(want, sizeof(want), "0::/%s/system/cpoold", root);
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)job);
	is_str(lab_read(path, buf, sizeof(buf)), want, "its process moved to system/cpoold");
	lab_read2(dp.path, "cgroup.subtree_control", buf, sizeof(buf));
	ok(strstr(buf, "cpuset") && strstr(buf, "memory"), "controllers enabled after the move: %s",
	   buf);
	is_int(cpool_cg_pool_destroy(&dp, 10000, &err), 0, "destroyed");
	reap_killed(job, &status);
	ok(!lab_exists(dp.path), "nothing left of it");
}

/*
 * cpool_cg_default_root: our own cgroup when systemd started us
 * (INVOCATION_ID) with Delegate=yes (trusted.delegate=1 on it), else
 * <pool name> below the root.  The child plays the service.
 */
static void test_default_root(void)
{
	char svc[128], path[PATH_MAX], procs[PATH_MAX + 16];
	int status;
	pid_t pid;

	snprintf(svc, sizeof(svc), "%s-svc", lab_pool_root("tree"));
	snprintf(path, sizeof(path), "%s/%s", CPOOL_CG_MOUNT, svc);
	ok(mkdir(path, 0755) == 0, "a service-like cgroup made");
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", path);
	pid = fork();
	if (pid == 0) {
		struct cpool_error e;
		char root[256];
		FILE *f = fopen(procs, "we");

		if (!f || fprintf(f, "0") < 0 || fclose(f) != 0)
			_exit(10);
		unsetenv("INVOCATION_ID");
		if (cpool_cg_default_root("cpool", root, sizeof(root), &e) || strcmp(root, "cpool"))
			_exit(11); /* not under systemd */
		setenv("INVOCATION_ID", "0123456789abcdef", 1);
		if (cpool_cg_default_root("cpool", root, sizeof(root), &e) || strcmp(root, "cpool"))
			_exit(12); /* under systemd, not delegated */
		if (setxattr(path, "trusted.delegate", "1", 1, 0) < 0)
			_exit(13);
		if (cpool_cg_default_root("cpool", root, sizeof(root), &e) || strcmp(root, svc))
			_exit(14); /* delegated: our own cgroup */
		if (cpool_cg_default_root("../x", root, sizeof(root), &e) != -EINVAL)
			_exit(15);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status), "child ran");
	is_int(WEXITSTATUS(status), 0,
	       "pool root: 'cpool' without systemd or delegation, the service cgroup with it "
	       "(exit code says which step failed)");
	ok(rmdir(path) == 0, "service-like cgroup removed");
}

/* The daemon's own place: system/cpoold, on the reserved CPUs. */
static void test_enter_system(void)
{
	struct cpool_cpuset reserved;
	char want[PATH_MAX], buf[PATH_MAX], list[64];
	int status, ready[2];
	pid_t pid;

	cpool_cpuset_zero(&reserved);
	cpool_cpuset_set(&reserved, cpool_cpuset_first(&pool.machine_cpus));
	if (pipe(ready))
		bail_out("pipe: %s", strerror(errno));
	pid = fork();
	if (pid == 0) {
		struct cpool_cg_pool own;
		struct cpool_error e;

		close(ready[0]);
		/* A fresh handle, as the daemon has at start. */
		if (cpool_cg_pool_open(&own, pool.root, &e) ||
		    cpool_cg_enter_system(&own, &reserved, &e))
			_exit(1);
		/* Destroying its own VS would kill the daemon: refused. */
		if (cpool_cg_vs_destroy(&own, CPOOL_CG_SYSTEM_VS, 1000, &e) != -EBUSY)
			_exit(2);
		if (write(ready[1], "r", 1) != 1)
			_exit(3);
		pause();
		_exit(0);
	}
	/* Until it says it is in place (a fixed 500 ms lost that race on a loaded host). */
	close(ready[1]);
	lab_wait_readable(ready[0], WAIT_MS);
	close(ready[0]);
	snprintf(want, sizeof(want), "0::/%s/system/cpoold", pool.root);
	snprintf(list, sizeof(list), "/proc/%d/cgroup", (int)pid);
	is_str(lab_read(list, buf, sizeof(buf)), want, "the daemon moved itself to system/cpoold");
	cpool_cpuset_format(&reserved, list, sizeof(list));
	is_str(lab_status(pid, "Cpus_allowed_list", buf, sizeof(buf)), list,
	       "and runs on the reserved CPUs only");
	ok(lab_alive(pid), "it refused to destroy its own VS (and is alive)");
	is_int(cpool_cg_vs_destroy(&pool, CPOOL_CG_SYSTEM_VS, 10000, &err), 0,
	       "system VS destroyed");
	reap_killed(pid, &status);
	ok(WIFSIGNALED(status), "its process was killed with it");
}

int main(void)
{
	lab_require();
	ncpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
	diag("kernel %s, shape %s", getenv("CPOOL_LAB_KERNEL") ?: "?",
	     getenv("CPOOL_LAB_SHAPE") ?: "?");
	test_open();
	test_create_resize();
	test_bad_input();
	test_partition();
	test_adopt();
	test_delegated();
	test_enter_system();
	test_default_root();
	if (!is_int(cpool_cg_pool_destroy(&pool, 10000, &err), 0, "pool destroyed"))
		diag("%s", err.msg);
	ok(!lab_exists(pool.path), "destroy leaves no cgroup behind");
	done_testing();
	return exit_status();
}
