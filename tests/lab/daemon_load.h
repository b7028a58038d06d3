/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * A load on the built cpoold, shared by the lab test test_cpoold_load (a
 * small size, checked for correctness) and tools/bench-daemon (the full
 * size, figures against targets): N queued submissions behind a job that
 * holds the VS, then, once they are cancelled, M live processes run
 * through the pool.  Measured: the daemon's RSS, its CPU while idle (with
 * and without the queue) and its event loop's longest stall, as cpoold
 * logs it at exit.  Every job writes to /dev/null by name: the default
 * output, cpool-%j.out in the cwd "/", is not writable in the lab, and
 * jobs that cannot open it fail at once; the "queue" was then a storm of
 * failed launches, and the "idle" daemon was busy failing them.
 */
#ifndef CPOOL_TESTS_DAEMON_LOAD_H
#define CPOOL_TESTS_DAEMON_LOAD_H

#include <dirent.h>
#include <fcntl.h>
#include <sys/prctl.h>

#include "lab_cpoold.h"

struct daemon_load {
	int queued; /* submissions that wait */
	int live; /* processes run through the pool */
	double idle_s; /* length of each idle measurement */
	double hostile_s; /* length of the phase with clients asking ps in a loop */
	int hostile; /* how many such clients */
	/* results */
	int accepted, seen_queued, cancelled, ended_ok, history;
	long rss_empty_kb, rss_queued_kb, rss_peak_kb;
	double idle_cpu_empty, idle_cpu_queued; /* fraction of one core, from /proc/PID/stat */
	/*
	 * The same from the scheduler's own run time of every thread
	 * (/proc/PID/task/TID/schedstat, ns: /proc/PID/stat counts clock
	 * ticks, too coarse for a daemon that runs a few ms a second), and
	 * how often its threads were switched in per second: wakeups.
	 */
	double idle_sched_empty, idle_sched_queued;
	double wakeups_empty, wakeups_queued;
	/* The metrics tick's own CPU time (stats op), mean over each idle window */
	double tick_us_empty, tick_us_queued;
	double submit_s, cancel_s, live_s;
	double stall_ms;
	/* From the stats op at the end: the longest metrics tick and its parts, in ms */
	double tick_max_ms, tick_max_read_ms, tick_max_fold_ms, tick_max_store_ms;
	/* and how the collector resolved cgroup ids (-1: the daemon did not say) */
	long long ids_by_handle, ids_by_walk, ids_walks, ids_stale, ids_pending;
	char stall_what[64]; /* the callback of the longest round, as cpoold logs it */
	/* One ps listing the queue (wall ms); root's hello with the queue, loop otherwise idle */
	double ps_ms, root_ms, root_ms_max;
	/* ... and while the hostile clients ask ps in a loop; their ps done; the longest round then */
	double root_ms_hostile, root_ms_hostile_max, stall_hostile_ms;
	int hostile_ps;
	char stall_hostile_what[64];
	int daemon_status; /* cpoold's wait status */
};

static double load_mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long load_status_kb(pid_t pid, const char *key)
{
	char buf[128];

	return atol(lab_status(pid, key, buf, sizeof(buf)));
}

/* utime + stime of @pid, in seconds. */
static double load_cpu_s(pid_t pid)
{
	char path[64], buf[4096], *p;
	unsigned long ut = 0, st = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	lab_slurp(path, buf, sizeof(buf));
	p = strrchr(buf, ')');
	if (!p ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return 0;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* Run time (s) and times switched in, summed over @pid's threads, from their schedstat. */
static void load_schedstat(pid_t pid, double *run_s, double *switched_in)
{
	char dir[64], path[400], buf[256];
	unsigned long long run, wait, slices;
	struct dirent *de;
	DIR *d;

	*run_s = *switched_in = 0;
	snprintf(dir, sizeof(dir), "/proc/%d/task", (int)pid);
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/schedstat", dir, de->d_name);
		lab_slurp(path, buf, sizeof(buf));
		if (sscanf(buf, "%llu %llu %llu", &run, &wait, &slices) == 3) {
			*run_s += (double)run / 1e9;
			*switched_in += (double)slices;
		}
	}
	closedir(d);
}

/* A connection per 900 requests: each has a burst of 1000 before its rate limit. */
struct load_conn {
	const char *sock;
	struct cpool_apiclient *c;
	int used;
};

static int load_call(struct load_conn *lc, enum cpool_op op, json_t *args, json_t **res)
{
	struct cpool_error err;
	int r;

	if (lc->c && lc->used >= 900) {
		cpool_apiclient_close(lc->c);
		lc->c = NULL;
	}
	if (!lc->c) {
		if ((r = cpool_apiclient_connect(lc->sock, &lc->c, &err))) {
			json_decref(args);
			diag("connect: %s", err.msg);
			return r;
		}
		lc->used = 0;
	}
	lc->used++;
	*res = NULL;
	r = cpool_apiclient_call(lc->c, op, args, res, 60000, &err);
	if (r)
		diag("%s: %s", cpool_op_name(op), err.msg);
	return r;
}

/* The metrics ticks so far and their CPU time in µs, from the stats op; 0 ticks when unknown. */
static void load_tick_cost(struct load_conn *lc, json_int_t *ticks, json_int_t *cpu_us)
{
	json_t *res, *t;

	*ticks = *cpu_us = 0;
	if (load_call(lc, CPOOL_OP_STATS, NULL, &res))
		return;
	t = json_object_get(res, "metrics_tick");
	*ticks = json_integer_value(json_object_get(t, "ticks"));
	*cpu_us = json_integer_value(json_object_get(t, "cpu_us"));
	json_decref(res);
}

/*
 * The daemon's CPU over @seconds idle (fraction of a core); *tick_us: its
 * ticks' mean cost; *sched: the same CPU from schedstat; *wakeups: its
 * threads' switches in per second.
 */
static double load_idle_cpu(struct load_conn *lc, pid_t pid, double seconds, double *tick_us,
			    double *sched, double *wakeups)
{
	json_int_t n0, us0, n1, us1;
	double c0, t0, cpu, r0, w0, r1, w1, dt;

	load_tick_cost(lc, &n0, &us0);
	c0 = load_cpu_s(pid);
	load_schedstat(pid, &r0, &w0);
	t0 = load_mono_s();
	lab_sleep_ms((int)(seconds * 1000));
	load_schedstat(pid, &r1, &w1);
	dt = load_mono_s() - t0;
	cpu = (load_cpu_s(pid) - c0) / dt;
	*sched = (r1 - r0) / dt;
	*wakeups = (w1 - w0) / dt;
	load_tick_cost(lc, &n1, &us1);
	*tick_us = n1 > n0 ? (double)(us1 - us0) / (double)(n1 - n0) : -1;
	return cpu;
}

static int load_count_jobs(struct load_conn *lc, const char *state)
{
	json_t *res, *j;
	size_t i;
	int n = 0;

	if (load_call(lc, CPOOL_OP_PS, NULL, &res))
		return -1;
	json_array_foreach(json_object_get(res, "jobs"), i, j)
		n += !state ||
		     strcmp(json_string_value(json_object_get(j, "state")) ?: "", state) == 0;
	json_decref(res);
	return n;
}

/* Every ended job, page by page as the CLI reads them. */
static int load_count_history(struct load_conn *lc)
{
	json_int_t after = 0;
	int n = 0;

	do {
		json_t *res, *args = json_object();

		if (after)
			json_object_set_new(args, "after", json_integer(after));
		if (load_call(lc, CPOOL_OP_HISTORY, args, &res))
			return -1;
		n += (int)json_array_size(json_object_get(res, "jobs"));
		after = json_integer_value(json_object_get(res, "next"));
		json_decref(res);
	} while (after);
	return n;
}

/* Root's hello, @n times @gap_ms apart: mean and max wall ms. */
static void load_root_latency(struct load_conn *lc, int n, int gap_ms, double *mean, double *max)
{
	double sum = 0;
	int got = 0;

	*mean = *max = -1;
	for (int i = 0; i < n; i++) {
		double t0 = load_mono_s(), ms;
		json_t *res;

		if (load_call(lc, CPOOL_OP_HELLO, NULL, &res))
			continue;
		ms = (load_mono_s() - t0) * 1000;
		json_decref(res);
		sum += ms;
		got++;
		if (ms > *max)
			*max = ms;
		lab_sleep_ms(gap_ms);
	}
	if (got)
		*mean = sum / got;
}

/* The longest loop round since the last stats request, and what it ran. */
static double load_stall_window(struct load_conn *lc, char *what, size_t len)
{
	json_t *res;
	double ms;

	if (load_call(lc, CPOOL_OP_STATS, NULL, &res))
		return -1;
	ms = json_integer_value(json_object_get(res, "loop_stall_window_us")) / 1000.0;
	snprintf(what, len, "%s",
		 json_string_value(json_object_get(res, "loop_stall_window_what")) ?: "-");
	json_decref(res);
	return ms;
}

/*
 * @n clients ask ps (the whole queue) in a loop for @seconds, each a
 * process of its own, while root says hello every 100 ms: how long root
 * waits, beside the same with the loop otherwise idle.
 */
static void load_hostile(struct daemon_load *L, struct load_conn *lc, int n, double seconds)
{
	pid_t kids[16];
	int pipefd[2], nk = 0, samples;
	char what[64], c;

	if (n > 16)
		n = 16;
	if (pipe(pipefd) < 0)
		return;
	load_stall_window(lc, what, sizeof(what)); /* a new window */
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			struct load_conn mine = { .sock = lc->sock };

			prctl(PR_SET_PDEATHSIG, SIGKILL);
			close(pipefd[0]);
			for (;;) {
				json_t *res;

				if (load_call(&mine, CPOOL_OP_PS, NULL, &res))
					_exit(1);
				json_decref(res);
				if (write(pipefd[1], "p", 1) != 1)
					_exit(1);
			}
		}
		if (pid > 0)
			kids[nk++] = pid;
	}
	close(pipefd[1]);
	lab_sleep_ms(500); /* they are asking */
	samples = (int)(seconds * 10);
	load_root_latency(lc, samples, 100, &L->root_ms_hostile, &L->root_ms_hostile_max);
	L->stall_hostile_ms =
		load_stall_window(lc, L->stall_hostile_what, sizeof(L->stall_hostile_what));
	for (int i = 0; i < nk; i++)
		kill(kids[i], SIGKILL);
	for (int i = 0; i < nk; i++)
		waitpid(kids[i], NULL, 0);
	fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
	while (read(pipefd[0], &c, 1) == 1)
		L->hostile_ps++;
	close(pipefd[0]);
}

static void daemon_load_run(struct daemon_load *L, const char *dir, const char *cg_root)
{
	char ini[PATH_MAX], sock[PATH_MAX], logpath[PATH_MAX];
	struct load_conn lc = { .sock = sock };
	int64_t blocker = 0, *ids;
	double t0;
	json_t *res;
	pid_t pid;
	FILE *f;

	snprintf(ini, sizeof(ini), "%s/pool.ini", dir);
	snprintf(sock, sizeof(sock), "%s/cpool.sock", dir);
	snprintf(logpath, sizeof(logpath), "%s/cpoold.log", dir);
	f = fopen(ini, "w");
	if (!f)
		bail_out("%s: %s", ini, strerror(errno));
	fprintf(f, "[pool]\nname = load\n\n[vserver a]\ncpus = 2\nexclusive = no\nsmt = threads\n");
	fclose(f);
	/* Verbose: the loop's figures are logged at info level when it stops. */
	pid = lab_start_cpoold(dir, ini, cg_root, "0600", true);

	/* The baseline: the same daemon, empty. */
	lab_sleep_ms(1000);
	L->rss_empty_kb = load_status_kb(pid, "VmRSS");
	L->idle_cpu_empty = load_idle_cpu(&lc, pid, L->idle_s, &L->tick_us_empty,
					  &L->idle_sched_empty, &L->wakeups_empty);

	if (load_call(&lc, CPOOL_OP_SUBMIT,
		      json_pack("{s:[s,s], s:s, s:i, s:s, s:s, s:s}", "argv", "/bin/sleep",
				"100000", "vs", "a", "cpus", 2, "cwd", "/", "stdout", "/dev/null",
				"stderr", "/dev/null"),
		      &res) == 0)
		blocker = json_integer_value(json_object_get(res, "job"));
	json_decref(res);

	ids = calloc((size_t)L->queued, sizeof(*ids));
	t0 = load_mono_s();
	for (int i = 0; i < L->queued; i++) {
		if (load_call(&lc, CPOOL_OP_SUBMIT,
			      json_pack("{s:[s], s:s, s:s, s:[s], s:s, s:s}", "argv", "/bin/true",
					"vs", "a", "cwd", "/", "env", "PATH=/usr/bin:/bin",
					"stdout", "/dev/null", "stderr", "/dev/null"),
			      &res))
			break;
		ids[L->accepted++] = json_integer_value(json_object_get(res, "job"));
		json_decref(res);
	}
	L->submit_s = load_mono_s() - t0;
	L->seen_queued = load_count_jobs(&lc, "queued");
	lab_sleep_ms(1000);
	L->rss_queued_kb = load_status_kb(pid, "VmRSS");
	L->idle_cpu_queued = load_idle_cpu(&lc, pid, L->idle_s, &L->tick_us_queued,
					   &L->idle_sched_queued, &L->wakeups_queued);
	/* ps over the whole queue, root's wait beside it, and under ps asked in a loop. */
	t0 = load_mono_s();
	load_count_jobs(&lc, NULL);
	L->ps_ms = (load_mono_s() - t0) * 1000;
	load_root_latency(&lc, 20, 100, &L->root_ms, &L->root_ms_max);
	if (L->hostile > 0 && L->hostile_s > 0)
		load_hostile(L, &lc, L->hostile, L->hostile_s);

	t0 = load_mono_s();
	for (int i = 0; i < L->accepted; i++) {
		if (load_call(&lc, CPOOL_OP_CANCEL, json_pack("{s:I}", "job", (json_int_t)ids[i]),
			      &res) == 0)
			L->cancelled++;
		json_decref(res);
	}
	L->cancel_s = load_mono_s() - t0;
	free(ids);
	load_call(&lc, CPOOL_OP_CANCEL, json_pack("{s:I}", "job", (json_int_t)blocker), &res);
	json_decref(res);
	for (int i = 0; i < 600 && load_count_jobs(&lc, NULL) > 0; i++)
		lab_sleep_ms(100);

	/* Live processes: all submitted, then waited for. */
	t0 = load_mono_s();
	for (int i = 0; i < L->live; i++) {
		if (load_call(&lc, CPOOL_OP_SUBMIT,
			      json_pack("{s:[s], s:s, s:s, s:s, s:s}", "argv", "/bin/true", "vs",
					"a", "cwd", "/", "stdout", "/dev/null", "stderr",
					"/dev/null"),
			      &res))
			break;
		json_decref(res);
	}
	for (int i = 0; i < 36000 && load_count_jobs(&lc, NULL) > 0; i++)
		lab_sleep_ms(100);
	L->live_s = load_mono_s() - t0;
	L->history = load_count_history(&lc);
	/* The live ones ended "done" with exit 0; the cancelled ones as cancelled. */
	{
		json_int_t after = 0;

		do {
			json_t *args = json_object(), *j;
			size_t i;

			if (after)
				json_object_set_new(args, "after", json_integer(after));
			if (load_call(&lc, CPOOL_OP_HISTORY, args, &res))
				break;
			json_array_foreach(json_object_get(res, "jobs"), i, j)
				L->ended_ok +=
					strcmp(json_string_value(json_object_get(j, "state")) ?: "",
					       "done") == 0 &&
					json_integer_value(json_object_get(j, "exit_code")) == 0;
			after = json_integer_value(json_object_get(res, "next"));
			json_decref(res);
		} while (after);
	}
	L->rss_peak_kb = load_status_kb(pid, "VmHWM");
	L->ids_by_handle = L->ids_by_walk = L->ids_walks = L->ids_stale = L->ids_pending = -1;
	if (load_call(&lc, CPOOL_OP_STATS, NULL, &res) == 0) {
		const json_t *l = json_object_get(json_object_get(res, "metrics_tick"), "longest");
		const json_t *cg = json_object_get(res, "cgroup_ids");

		L->tick_max_ms = json_integer_value(json_object_get(l, "wall_us")) / 1000.0;
		L->tick_max_read_ms = json_integer_value(json_object_get(l, "read_us")) / 1000.0;
		L->tick_max_fold_ms = json_integer_value(json_object_get(l, "fold_us")) / 1000.0;
		L->tick_max_store_ms = json_integer_value(json_object_get(l, "store_us")) / 1000.0;
		if (json_is_object(cg)) {
			L->ids_by_handle = json_integer_value(json_object_get(cg, "by_handle"));
			L->ids_by_walk = json_integer_value(json_object_get(cg, "by_walk"));
			L->ids_walks = json_integer_value(json_object_get(cg, "walks"));
			L->ids_stale = json_integer_value(json_object_get(cg, "stale"));
			L->ids_pending = json_integer_value(json_object_get(cg, "pending_retry"));
		}
		json_decref(res);
	}
	if (lc.c)
		cpool_apiclient_close(lc.c);

	{
		int status = 0;

		lab_cpoold_stop(pid, LAB_CPOOLD_STOP_S, &status);
		L->daemon_status = status;
		if (WIFSIGNALED(status) && WTERMSIG(status) != SIGTERM)
			diag("cpoold was killed by signal %d%s", WTERMSIG(status),
			     WCOREDUMP(status) ? " (core dumped)" : "");
		else if (WIFEXITED(status) && WEXITSTATUS(status))
			diag("cpoold exited with status %d", WEXITSTATUS(status));
	}
	{
		static char log[1 << 22];
		const char *p, *what;

		lab_slurp(logpath, log, sizeof(log));
		p = strstr(log, "longest stall ");
		L->stall_ms = p ? atof(p + strlen("longest stall ")) : -1;
		if (p && (what = strstr(p, " ms (")))
			sscanf(what + 5, "%63[^)\n]", L->stall_what);
		/* No figures: the daemon did not stop cleanly; its last words say why. */
		if (!p) {
			size_t n = strlen(log);

			diag("cpoold did not log its loop figures; the end of its log:\n%s",
			     log + (n > 4000 ? n - 4000 : 0));
		}
	}
}

#endif /* CPOOL_TESTS_DAEMON_LOAD_H */
