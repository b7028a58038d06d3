// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Live processes in virtual servers: launched with cpool_launch() into job
 * leaves, then watched through /proc and the cgroup files.  The job
 * programs are this binary re-executed with "job MODE" (spin, alloc, oom,
 * forkbomb), so the test needs nothing installed.
 */
#include <grp.h>
#include <pwd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "cpool/launch.h"
#include "lab.h"

static struct cpool_cg_pool pool;
static struct cpool_error err;
static char self[PATH_MAX];
static struct cpool_cpuset node0, others;
static char *env[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL };

/* ---- the job programs ---------------------------------------------------- */

static int job_main(int argc, char **argv)
{
	const char *mode = argv[2];
	size_t mib = argc > 3 ? strtoul(argv[3], NULL, 10) : 0;

	if (strcmp(mode, "spin") == 0) {
		for (volatile unsigned long n = 0;; n++)
			;
	}
	if (strcmp(mode, "alloc") == 0 || strcmp(mode, "oom") == 0) {
		char *p = mmap(NULL, mib << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			       -1, 0);

		if (p == MAP_FAILED)
			return 2;
		for (size_t i = 0; i < mib << 20; i += 4096)
			p[i] = 1;
		if (strcmp(mode, "oom") == 0)
			return 0; /* the test fails if we ever get here */
		printf("ready\n");
		fflush(stdout);
		for (;;)
			pause();
	}
	if (strcmp(mode, "forkbomb") == 0) {
		for (;;)
			if (fork() < 0)
				usleep(20000);
	}
	return 1;
}

/* ---- helpers ------------------------------------------------------------- */

static int start(const char *vs, const char *job, char **argv, struct cpool_job_proc *p,
		 const char *out)
{
	struct cpool_launch_spec s = { 0 };
	char leaf[PATH_MAX];
	int rc;

	rc = cpool_cg_job_create(&pool, vs, job, leaf, sizeof(leaf), &err);
	if (rc) {
		diag("%s", err.msg);
		return rc;
	}
	s.cgroup = leaf;
	s.argv = argv;
	s.envp = env;
	s.as_caller = true;
	s.stdout_path = out;
	rc = cpool_launch(&s, p, &err);
	if (rc)
		diag("%s", err.msg);
	return rc;
}

static int start_self(const char *vs, const char *job, const char *mode, const char *arg,
		      struct cpool_job_proc *p, const char *out)
{
	char *argv[] = { self, "job", (char *)mode, (char *)arg, NULL };

	return start(vs, job, argv, p, out);
}

static uint64_t usage_usec(const char *rel)
{
	struct cpool_cg_usage u;

	if (cpool_cg_read_usage(&pool, rel, &u, &err))
		return 0;
	return u.cpu.usage_usec;
}

static void make_vs(const char *name, const struct cpool_cpuset *cpus, const char *mems,
		    uint64_t memory_max, uint32_t pids_max)
{
	struct cpool_vserver v = lab_vs(name, cpus, mems);
	struct cpool_cg_vs_state st;

	v.limits.memory_max = memory_max;
	v.limits.pids_max = pids_max;
	if (cpool_cg_vs_create(&pool, &v, &st, &err))
		bail_out("create VS %s: %s", name, err.msg);
}

/* ---- tests --------------------------------------------------------------- */

static void test_exit_report(void)
{
	char *argv[] = { "sh", "-c", "echo hello; exit 3", NULL };
	char out[128], buf[64];
	struct cpool_job_proc p;
	struct cpool_job_exit x;

	snprintf(out, sizeof(out), "/tmp/cpool-lab-out-%d", (int)getpid());
	is_int(start("a", "hello", argv, &p, out), 0, "sh found in the job's PATH and started");
	ok(p.via_clone3, "started with clone3(CLONE_INTO_CGROUP)");
	ok(p.pidfd >= 0, "with a pidfd");
	if (!is_int(cpool_launch_wait(&p, 60000, &x, &err), 0, "waited through the pidfd"))
		diag("%s", err.msg);
	ok(x.exited && x.status == 3, "exit status 3 reported (exited=%d status=%d)", x.exited,
	   x.status);
	is_int(x.signal, 0, "no signal");
	ok(!x.oom_killed, "no OOM kill");
	ok(x.cpu_usec > 0, "CPU time from the leaf's cpu.stat: %llu us",
	   (unsigned long long)x.cpu_usec);
	ok(x.have_memory_peak && x.memory_peak > 0, "memory.peak read: %llu bytes",
	   (unsigned long long)x.memory_peak);
	is_str(lab_read(out, buf, sizeof(buf)), "hello", "stdout went to the file");
	unlink(out);
	is_int(cpool_cg_job_destroy(&pool, "a", "hello", 10000, &err), 0, "leaf removed");
}

static void test_launch_errors(void)
{
	char *missing[] = { "/nonexistent/prog", NULL };
	char *nocmd[] = { "no-such-command-xyz", NULL };
	char *sleeper[] = { "/bin/sleep", "30", NULL };
	struct cpool_launch_spec s = { 0 };
	struct cpool_job_proc p;
	char leaf[PATH_MAX];

	cpool_cg_job_create(&pool, "a", "bad", leaf, sizeof(leaf), &err);
	s.cgroup = leaf;
	s.envp = env;
	s.as_caller = true;
	s.argv = missing;
	is_int(cpool_launch(&s, &p, &err), -ENOENT, "exec failure reported to the parent");
	ok(strstr(err.msg, "execve /nonexistent/prog") != NULL, "  with the step: %s", err.msg);
	s.argv = nocmd;
	is_int(cpool_launch(&s, &p, &err), -ENOENT, "command not in PATH reported");
	s.argv = sleeper;
	s.cwd = "/nonexistent-dir";
	is_int(cpool_launch(&s, &p, &err), -ENOENT, "bad cwd reported");
	ok(strstr(err.msg, "chdir /nonexistent-dir") != NULL, "  with the step: %s", err.msg);
	s.cwd = NULL;
	s.cgroup = "/sys/fs/cgroup/no-such-cgroup";
	is_int(cpool_launch(&s, &p, &err), -ENOENT, "missing cgroup reported");
	is_int(cpool_cg_job_destroy(&pool, "a", "bad", 10000, &err), 0,
	       "leaf of failed starts empty");
}

static void test_uid(void)
{
	char *argv[] = { "/bin/sleep", "60", NULL };
	struct cpool_rlimit rl = { RLIMIT_NOFILE, { 64, 64 } };
	struct cpool_launch_spec s = { 0 };
	struct cpool_job_proc p;
	struct cpool_job_exit x;
	char leaf[PATH_MAX], buf[256], want[256], priv[128], out[192], limits[4096], path[64];
	gid_t groups[64];
	int ng = 64, n = 0;
	struct passwd *pw = getpwuid(65534);

	cpool_cg_job_create(&pool, "a", "nobody", leaf, sizeof(leaf), &err);
	s.cgroup = leaf;
	s.argv = argv;
	s.envp = env;
	s.uid = 65534;
	s.gid = 65534;
	s.rlimits = &rl;
	s.nr_rlimits = 1;
	if (!is_int(cpool_launch(&s, &p, &err), 0, "job started for uid 65534"))
		diag("%s", err.msg);
	is_str(lab_status(p.pid, "Uid", buf, sizeof(buf)), "65534 65534 65534 65534",
	       "runs as uid 65534 (real, effective, saved, fs)");
	is_str(lab_status(p.pid, "Gid", buf, sizeof(buf)), "65534 65534 65534 65534",
	       "with gid 65534");
	/* Exactly the user's own groups: none of the daemon's. */
	if (pw && getgrouplist(pw->pw_name, 65534, groups, &ng) >= 0)
		for (int i = 0; i < ng; i++)
			n += snprintf(want + n, sizeof(want) - (size_t)n, "%u ",
				      (unsigned)groups[i]);
	else
		snprintf(want, sizeof(want), "65534 ");
	lab_status(p.pid, "Groups", buf, sizeof(buf));
	strcat(buf, buf[0] && buf[strlen(buf) - 1] != ' ' ? " " : "");
	is_str(buf, want, "supplementary groups are the user's");
	snprintf(path, sizeof(path), "/proc/%d/limits", (int)p.pid);
	lab_slurp(path, limits, sizeof(limits));
	ok(strstr(limits, "Max open files            64                   64") != NULL,
	   "rlimit NOFILE 64 applied");
	kill(p.pid, SIGTERM);
	cpool_launch_wait(&p, 30000, &x, &err);
	is_int(x.signal, SIGTERM, "signal reported");

	/* The job's files are opened as the job's user: no writing where it may not. */
	snprintf(priv, sizeof(priv), "/tmp/cpool-lab-priv-%d", (int)getpid());
	mkdir(priv, 0700);
	snprintf(out, sizeof(out), "%s/out", priv);
	s.stdout_path = out;
	is_int(cpool_launch(&s, &p, &err), -EACCES,
	       "stdout in root's private dir refused to 65534");
	ok(strstr(err.msg, "open stdout") != NULL, "  with the step: %s", err.msg);
	ok(!lab_exists(out), "  and no file created there");
	rmdir(priv);
	is_int(cpool_cg_job_destroy(&pool, "a", "nobody", 10000, &err), 0, "leaf removed");
}

static void check_confined(pid_t pid, const struct cpool_cpuset *allowed, const char *what,
			   int samples)
{
	char list[64], buf[128];
	int bad = -1, seen = 0;

	cpool_cpuset_format(allowed, list, sizeof(list));
	is_str(lab_status(pid, "Cpus_allowed_list", buf, sizeof(buf)), list, what);
	for (int i = 0; i < samples; i++) {
		int cpu = lab_task_cpu(pid);

		if (cpu >= 0)
			seen++;
		if (cpu >= 0 && !cpool_cpuset_isset(allowed, cpu))
			bad = cpu;
		lab_sleep_ms(5);
	}
	ok(seen == samples && bad < 0, "  %d samples of /proc/%d/stat all on CPUs %s%s", samples,
	   (int)pid, list, bad >= 0 ? " (one was not)" : "");
	if (bad >= 0)
		diag("ran on CPU %d", bad);
}

static void test_cpu(struct cpool_job_proc *a, struct cpool_job_proc *b)
{
	struct cpool_vserver va = lab_vs("a", &node0, "0");
	struct cpool_cg_vs_state st;
	struct cpool_cpuset moved;
	char want[PATH_MAX], path[64], buf[PATH_MAX];
	uint64_t u0, u1, u2, u3;
	struct cpool_cg_events ev;

	is_int(start_self("a", "spin", "spin", NULL, a, NULL), 0, "spinner started in a");
	is_int(start_self("b", "spin", "spin", NULL, b, NULL), 0, "spinner started in b");
	snprintf(want, sizeof(want), "0::/%s/a/spin", pool.root);
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)a->pid);
	is_str(lab_read(path, buf, sizeof(buf)), want, "born in its leaf cgroup");
	lab_sleep_ms(300);
	check_confined(a->pid, &node0, "a's job: Cpus_allowed_list is a's cpus", 200);
	check_confined(b->pid, &others, "b's job: Cpus_allowed_list is b's cpus", 100);

	/* Resize: the running job follows, same process. */
	cpool_cpuset_zero(&moved);
	cpool_cpuset_set(&moved, cpool_cpuset_last(&others));
	va.cpus = moved;
	if (!is_int(cpool_cg_vs_resize(&pool, &va, &st, &err), 0, "a resized to another CPU"))
		diag("%s", err.msg);
	lab_sleep_ms(300);
	ok(lab_alive(a->pid), "a's job still the same process");
	check_confined(a->pid, &moved, "a's job now allowed only the new CPU", 50);
	va.cpus = node0;
	is_int(cpool_cg_vs_resize(&pool, &va, &st, &err), 0, "a resized back");

	/* Freeze stops progress; thaw resumes it. */
	u0 = usage_usec("a/spin");
	if (!is_int(cpool_cg_freeze(&pool, "a/spin", true, 20000, &err), 0,
		    "frozen (cgroup.events frozen 1)"))
		diag("%s", err.msg);
	cpool_cg_read_events(&pool, "a/spin", &ev, &err);
	ok(ev.frozen && ev.populated, "cgroup.events: frozen and populated");
	lab_sleep_ms(200);
	u1 = usage_usec("a/spin");
	lab_sleep_ms(700);
	u2 = usage_usec("a/spin");
	ok(u1 > u0, "it had run before the freeze (%llu -> %llu us)", (unsigned long long)u0,
	   (unsigned long long)u1);
	ok(u2 == u1, "no CPU time while frozen (%llu -> %llu us)", (unsigned long long)u1,
	   (unsigned long long)u2);
	{
		struct cpool_cg_cpu_stat cs;

		/* Frozen, the count stands still: the two reads must agree exactly. */
		is_int(cpool_cg_read_cpu_stat(&pool, "a/spin", &cs, &err), 0,
		       "cpu.stat alone read");
		is_int((int64_t)cs.usage_usec, (int64_t)u2,
		       "cpu.stat alone gives the usage the whole read does");
		is_int(cpool_cg_read_cpu_stat(&pool, "a/no-such-leaf", &cs, &err), -ENOENT,
		       "cpu.stat alone of a missing leaf: -ENOENT");
		ok(strstr(err.msg, "no-such-leaf") != NULL, "its error names the path: %s",
		   err.msg);
	}
	if (!is_int(cpool_cg_freeze(&pool, "a/spin", false, 20000, &err), 0, "thawed"))
		diag("%s", err.msg);
	lab_sleep_ms(700);
	u3 = usage_usec("a/spin");
	ok(u3 > u2, "runs again after thaw (%llu -> %llu us)", (unsigned long long)u2,
	   (unsigned long long)u3);
}

static void test_numa(void)
{
	struct cpool_cpuset c1 = lab_node_cpus(1);
	struct cpool_job_proc p;
	struct cpool_job_exit x;
	char out[128], buf[64], dir[PATH_MAX], stat[8192], *line;
	unsigned long long n0 = 0, n1 = 0;
	int i;

	make_vs("local1", &c1, "1", 0, 0);
	snprintf(out, sizeof(out), "/tmp/cpool-lab-numa-%d", (int)getpid());
	is_int(start_self("local1", "alloc", "alloc", "48", &p, out), 0,
	       "allocator started on node 1");
	for (i = 0; i < 600 && strcmp(lab_read(out, buf, sizeof(buf)), "ready") != 0; i++)
		lab_sleep_ms(50);
	ok(i < 600, "48 MiB touched");
	snprintf(dir, sizeof(dir), "%s/local1/alloc/memory.numa_stat", pool.path);
	lab_slurp(dir, stat, sizeof(stat));
	/* "anon N0=<bytes> N1=<bytes> ..." */
	line = strstr(stat, "anon ");
	if (line) {
		char *eol = strchr(line, '\n');

		for (char *t = strstr(line, " N"); t && (!eol || t < eol);
		     t = strstr(t + 1, " N")) {
			int node = atoi(t + 2);
			unsigned long long v = strtoull(strchr(t, '=') + 1, NULL, 10);

			if (node == 0)
				n0 = v;
			if (node == 1)
				n1 = v;
		}
	}
	diag("memory.numa_stat anon: N0 %llu, N1 %llu", n0, n1);
	ok(n1 >= 40ULL << 20, "at least 40 MiB anon on node 1");
	ok(n0 + n1 > 0 && n1 * 100 >= (n0 + n1) * 95, "95%%+ of it on node 1");
	kill(p.pid, SIGKILL);
	cpool_launch_wait(&p, 30000, &x, &err);
	unlink(out);
	is_int(cpool_cg_vs_destroy(&pool, "local1", 10000, &err), 0, "node-1 VS destroyed");
}

static void test_oom(const struct cpool_job_proc *bystander)
{
	struct cpool_job_proc p;
	struct cpool_job_exit x;
	struct cpool_cg_usage u;
	char buf[512], path[PATH_MAX];
	uint64_t kills = 1;

	make_vs("small", &node0, "0", 32ULL << 20, 0);
	is_int(start_self("small", "hog", "oom", "96", &p, NULL), 0,
	       "96 MiB hog started in a 32 MiB VS");
	if (!is_int(cpool_launch_wait(&p, 120000, &x, &err), 0, "it ended"))
		diag("%s", err.msg);
	ok(!x.exited && x.signal == SIGKILL, "killed by SIGKILL (exited=%d signal=%d)", x.exited,
	   x.signal);
	ok(x.oom_killed, "the OOM kill is reported");
	/* The charge may pass memory.max by a batch before reclaim and the OOM killer act. */
	ok(x.have_memory_peak && x.memory_peak >= (16ULL << 20) && x.memory_peak < (48ULL << 20),
	   "peak %llu bytes: up against the 32 MiB memory.max", (unsigned long long)x.memory_peak);
	is_int(cpool_cg_read_usage(&pool, "small", &u, &err), 0, "VS events read");
	ok(u.memory.oom_kill >= 1 && u.memory.max >= 1, "VS memory.events: oom_kill %llu, max %llu",
	   (unsigned long long)u.memory.oom_kill, (unsigned long long)u.memory.max);
	ok(lab_alive(bystander->pid), "the job in VS a is untouched");
	cpool_cg_read_usage(&pool, "a", &u, &err);
	is_int((int64_t)u.memory.oom_kill, 0, "VS a had no OOM kill");
	snprintf(path, sizeof(path), "%s/memory.events.local", pool.path);
	lab_slurp(path, buf, sizeof(buf));
	ok(cpool_cg_flat_get(buf, "oom_kill", &kills) == 0 && kills == 0,
	   "the pool root itself had no OOM kill");
	is_int(cpool_cg_vs_destroy(&pool, "small", 10000, &err), 0, "VS destroyed");
}

static void test_forkbomb(const struct cpool_job_proc *bystander)
{
	struct cpool_job_proc p;
	struct cpool_job_exit x;
	struct cpool_cg_usage u = { 0 }, leaf = { 0 };
	char buf[64], dir[PATH_MAX];
	int i;

	make_vs("bomb", &node0, "0", 0, 16);
	is_int(start_self("bomb", "bomb", "forkbomb", NULL, &p, NULL), 0, "fork bomb started");
	/*
	 * 6.1 counts a refused fork in the forking task's own cgroup (the
	 * leaf); later kernels count it where the limit is (the VS).
	 */
	for (i = 0; i < 400; i++) {
		cpool_cg_read_usage(&pool, "bomb", &u, &err);
		cpool_cg_read_usage(&pool, "bomb/bomb", &leaf, &err);
		if (u.pids_max_events + leaf.pids_max_events > 0)
			break;
		lab_sleep_ms(50);
	}
	ok(u.pids_max_events + leaf.pids_max_events > 0,
	   "pids.events max counted refused forks (VS %llu, leaf %llu)",
	   (unsigned long long)u.pids_max_events, (unsigned long long)leaf.pids_max_events);
	snprintf(dir, sizeof(dir), "%s/bomb", pool.path);
	ok(atoi(lab_read2(dir, "pids.current", buf, sizeof(buf))) <= 16, "pids.current %s <= 16",
	   buf);
	ok(lab_alive(bystander->pid), "the job in VS a is untouched");
	if (!is_int(cpool_cg_job_destroy(&pool, "bomb", "bomb", 30000, &err), 0,
		    "the bomb's leaf killed and removed"))
		diag("%s", err.msg);
	cpool_launch_wait(&p, 30000, &x, &err);
	is_int(x.signal, SIGKILL, "its first process died of SIGKILL");
	is_int(cpool_cg_vs_destroy(&pool, "bomb", 10000, &err), 0, "VS destroyed");
}

/* The paths of older kernels: fork + cgroup.procs, and kill by signals. */
static void test_fallbacks(void)
{
	char *argv[] = { "sh", "-c", "sleep 60 & sleep 60 & wait", NULL };
	struct cpool_launch_spec s = { 0 };
	struct cpool_job_proc p;
	struct cpool_job_exit x;
	char leaf[PATH_MAX], want[PATH_MAX], path[64], buf[PATH_MAX];
	struct cpool_cg_events ev;
	int i;

	cpool_cg_job_create(&pool, "a", "forked", leaf, sizeof(leaf), &err);
	s.cgroup = leaf;
	s.argv = argv;
	s.envp = env;
	s.as_caller = true;
	s.force_fork = true;
	if (!is_int(cpool_launch(&s, &p, &err), 0, "fork + cgroup.procs start"))
		diag("%s", err.msg);
	ok(!p.via_clone3 && p.pidfd >= 0, "fallback used, pidfd from pidfd_open");
	snprintf(want, sizeof(want), "0::/%s/a/forked", pool.root);
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)p.pid);
	is_str(lab_read(path, buf, sizeof(buf)), want, "the forked job is in its leaf");
	for (i = 0; i < 200; i++) {
		char procs[PATH_MAX + 16], text[256];
		int lines = 0;

		snprintf(procs, sizeof(procs), "%s/cgroup.procs", leaf);
		lab_slurp(procs, text, sizeof(text));
		for (char *c = text; *c; c++)
			lines += *c == '\n';
		if (lines >= 3)
			break;
		lab_sleep_ms(50);
	}
	ok(i < 200, "three processes in the leaf");
	if (!is_int(cpool_cg_kill_signal(&pool, "a/forked", &err), 0, "killed by signals"))
		diag("%s", err.msg);
	is_int(cpool_cg_wait_empty(&pool, "a/forked", 20000, &err), 0, "the leaf empties");
	cpool_cg_read_events(&pool, "a/forked", &ev, &err);
	ok(!ev.populated && !ev.frozen, "not populated, not left frozen");
	cpool_launch_wait(&p, 30000, &x, &err);
	is_int(x.signal, SIGKILL, "the shell died of SIGKILL");
	is_int(cpool_cg_job_destroy(&pool, "a", "forked", 10000, &err), 0, "leaf removed");
}

int main(int argc, char **argv)
{
	struct cpool_job_proc a, b;
	struct cpool_job_exit x;
	ssize_t n;

	if (argc > 2 && strcmp(argv[1], "job") == 0)
		return job_main(argc, argv);
	lab_require();
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		bail_out("readlink /proc/self/exe: %s", strerror(errno));
	self[n] = '\0';
	diag("kernel %s, shape %s", getenv("CPOOL_LAB_KERNEL") ?: "?",
	     getenv("CPOOL_LAB_SHAPE") ?: "?");
	if (cpool_cg_pool_open(&pool, lab_pool_root("jobs"), &err))
		bail_out("%s", err.msg);
	node0 = lab_node_cpus(0);
	cpool_cpuset_andnot(&others, &pool.machine_cpus, &node0);
	make_vs("a", &node0, "0", 0, 0);
	make_vs("b", &others, "1", 0, 0);

	test_exit_report();
	test_launch_errors();
	test_uid();
	test_fallbacks();
	test_cpu(&a, &b);
	test_numa();
	test_oom(&a);
	test_forkbomb(&a);

	if (!is_int(cpool_cg_pool_destroy(&pool, 20000, &err), 0,
		    "pool destroyed with jobs running"))
		diag("%s", err.msg);
	cpool_launch_wait(&a, 30000, &x, &err);
	is_int(x.signal, SIGKILL, "a's spinner was killed by destroy");
	cpool_launch_wait(&b, 30000, &x, &err);
	is_int(x.signal, SIGKILL, "b's spinner was killed by destroy");
	ok(!lab_exists(pool.path), "destroy leaves no cgroup behind");
	done_testing();
	return exit_status();
}
