// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * bench-dispatch: how long cpoold's event loop is held up, and how late a
 * queued job starts once a slot frees, with 100 jobs queued on a one-CPU
 * VS; then the same while an unprivileged user submits jobs whose stdout
 * is a FIFO nobody reads.  All along a probe client asks `ps` every 10 ms
 * and records how long each answer took.
 *
 * Baselines, measured in the same run:
 *  - the longest loop stall and the probe's latencies over an idle period
 *    of the same daemon (the empty loop, measured the same way);
 *  - the slot-to-exec delay of a plain chain of fork+exec of the same job
 *    program: the parent starts the next as soon as the previous exited.
 *
 * A job is this binary in "stamp" mode: it writes CLOCK_REALTIME at the
 * top of main() and again just before it exits.  With one CPU, jobs run
 * one after the other, so job k+1's first stamp minus job k's last is the
 * delay from the freed slot to the next exec (it includes the exit, which
 * the baseline pays too).
 *
 * The stall figures come from the daemon's `stats` request
 * (loop_stall_window_us, read-and-reset); a daemon without it gets the
 * other figures only.  Needs root and cgroup v2: tools/bench-dispatch runs
 * it in the lab.
 *
 *   build/tools/bench-dispatch [--jobs N] [--cpoold PATH]
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_cpoold.h"

#define NOBODY 65534
#define PROBE_EVERY_MS 10
#define PROBE_TARGET_MS 50.0
#define IDLE_MS 3000
#define FIFO_JOBS 3

static struct bench_cpoold bd = { .dir = "/tmp/bench-dispatch.XXXXXX" };
static char self[PATH_MAX];
/* The pool: a, the small VS the queue waits on; b, where the FIFO jobs go. */
static const char pool_ini[] = "[pool]\nname = benchpool\n\n"
			       "[vserver a]\ncpus = 1\nexclusive = no\nsmt = threads\n\n"
			       "[vserver b]\ncpus = 1\nexclusive = no\nsmt = threads\n";

static double mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* The job.  --hold PATH: wait for PATH first (the blocker that lets the queue fill). */
static int stamp(const char *hold)
{
	struct timespec start, end;

	clock_gettime(CLOCK_REALTIME, &start);
	while (hold && access(hold, F_OK) != 0)
		sleep_ms(5);
	printf("%lld.%09ld ", (long long)start.tv_sec, start.tv_nsec);
	fflush(stdout);
	clock_gettime(CLOCK_REALTIME, &end);
	printf("%lld.%09ld\n", (long long)end.tv_sec, end.tv_nsec);
	return fflush(stdout) == 0 ? 0 : 1;
}

/*
 * The daemon's `stats`, asked by name on the wire (the request is newer
 * than some daemons this may run against): the longest stall of the loop
 * since the last ask, in ms; -1 when the daemon has no such request.
 */
static double stall_window_ms(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	static const char req[] = "{\"v\":1,\"id\":1,\"op\":\"stats\"}\n";
	char buf[4096];
	size_t used = 0;
	double ms = -1;
	json_t *reply;
	int fd;

	memcpy(a.sun_path, bd.sock, strlen(bd.sock) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    write(fd, req, sizeof(req) - 1) != (ssize_t)sizeof(req) - 1)
		goto out;
	while (used < sizeof(buf) - 1 && !memchr(buf, '\n', used)) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 30000) != 1)
			goto out;
		n = read(fd, buf + used, sizeof(buf) - 1 - used);
		if (n <= 0)
			goto out;
		used += (size_t)n;
	}
	buf[used] = '\0';
	reply = json_loads(buf, JSON_DISABLE_EOF_CHECK, NULL);
	if (json_is_true(json_object_get(reply, "ok")))
		ms = json_number_value(json_object_get(json_object_get(reply, "result"),
						       "loop_stall_window_us")) /
		     1e3;
	json_decref(reply);
out:
	if (fd >= 0)
		close(fd);
	return ms;
}

/*
 * The probe: a child that asks `ps` every PROBE_EVERY_MS on one connection
 * until SIGUSR1, then writes each answer's latency in ms (a timeout counts
 * as its full 2 s) to @out, one a line.
 */
static volatile sig_atomic_t probe_stop;

static void on_usr1(int sig)
{
	(void)sig;
	probe_stop = 1;
}

static pid_t probe_start(const char *out)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	{
		struct sigaction sa = { .sa_handler = on_usr1 };
		struct cpool_apiclient *c;
		static double lat[100000];
		int n = 0;
		struct cpool_error err;
		FILE *f;

		sigaction(SIGUSR1, &sa, NULL);
		if (cpool_apiclient_connect(bd.sock, &c, &err))
			_exit(1);
		while (!probe_stop && n < 100000) {
			double t0 = mono_ms();
			json_t *res = NULL;

			if (cpool_apiclient_call(c, CPOOL_OP_PS, NULL, &res, 2000, &err) ==
				    -ETIMEDOUT ||
			    !res) {
				lat[n++] = 2000;
				cpool_apiclient_close(c);
				if (cpool_apiclient_connect(bd.sock, &c, &err))
					_exit(1);
			} else {
				lat[n++] = mono_ms() - t0;
			}
			json_decref(res);
			sleep_ms(PROBE_EVERY_MS);
		}
		f = fopen(out, "we");
		for (int i = 0; f && i < n; i++)
			fprintf(f, "%.3f\n", lat[i]);
		_exit(f && fclose(f) == 0 ? 0 : 1);
	}
}

struct probe_result {
	double *lat;
	int n, late; /* late: answered after PROBE_TARGET_MS, or not at all */
};

static void probe_finish(pid_t pid, const char *out, struct probe_result *pr)
{
	FILE *f;
	double v;

	kill(pid, SIGUSR1);
	waitpid(pid, NULL, 0);
	memset(pr, 0, sizeof(*pr));
	pr->lat = calloc(100000, sizeof(double));
	f = fopen(out, "re");
	while (f && pr->n < 100000 && fscanf(f, "%lf", &v) == 1) {
		pr->lat[pr->n++] = v;
		pr->late += v > PROBE_TARGET_MS;
	}
	if (f)
		fclose(f);
	qsort(pr->lat, (size_t)pr->n, sizeof(double), bench_cmp_double);
}

static int read_stamps(const char *path, double *start, double *end)
{
	FILE *f = fopen(path, "re");
	int ok = f && fscanf(f, "%lf %lf", start, end) == 2;

	if (f)
		fclose(f);
	return ok ? 0 : -1;
}

/* The gaps between one job's last stamp and the next one's first, sorted; how many. */
static int gaps_from(double (*st)[2], int n, double *gaps)
{
	int g = 0;

	qsort(st, (size_t)n, sizeof(*st), bench_cmp_double);
	for (int i = 0; i + 1 < n; i++)
		gaps[g++] = (st[i + 1][0] - st[i][1]) * 1e3;
	qsort(gaps, (size_t)g, sizeof(double), bench_cmp_double);
	return g;
}

/* The baseline chain: fork+exec the job, wait, at once the next. */
static int baseline_gaps(int n, double *gaps)
{
	double(*st)[2] = calloc((size_t)n, sizeof(*st));
	char path[300];
	int g;

	snprintf(path, sizeof(path), "%s/base", bd.dir);
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();
		int status;

		if (pid == 0) {
			int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

			if (fd < 0 || dup2(fd, 1) < 0)
				_exit(126);
			execl(self, self, "--stamp", (char *)NULL);
			_exit(127);
		}
		if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status) || read_stamps(path, &st[i][0], &st[i][1])) {
			free(st);
			return -1;
		}
	}
	g = gaps_from(st, n, gaps);
	free(st);
	return g;
}

static int submit(struct cpool_apiclient *c, const char *vs, const char *out, const char *hold,
		  json_int_t *id)
{
	json_t *args, *res;
	struct cpool_error err;
	int r;

	args = json_pack("{s:[s,s], s:[s], s:s, s:s, s:s}", "argv", self, "--stamp", "env",
			 "PATH=/usr/bin:/bin", "cwd", bd.dir, "stdout", out, "vs", vs);
	if (hold) {
		json_array_append_new(json_object_get(args, "argv"), json_string("--hold"));
		json_array_append_new(json_object_get(args, "argv"), json_string(hold));
	}
	r = cpool_apiclient_call(c, CPOOL_OP_SUBMIT, args, &res, 30000, &err);
	if (r) {
		fprintf(stderr, "bench-dispatch: submit: %s\n", err.msg);
		return r;
	}
	*id = json_integer_value(json_object_get(res, "job"));
	json_decref(res);
	return 0;
}

/*
 * The FIFO user: nobody makes FIFO_JOBS FIFOs and submits `true` with each
 * as stdout, one every two seconds.  Just before the next it opens the
 * FIFO to read (non-blocking) and closes it again: that frees a daemon
 * that blocked in the open, so the run ends whatever the daemon does.
 */
static pid_t fifo_user_start(void)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
		_exit(1);
	for (int i = 0; i < FIFO_JOBS; i++) {
		struct cpool_apiclient *c;
		struct cpool_error err;
		char fifo[300];
		json_t *res = NULL;
		int fd;

		snprintf(fifo, sizeof(fifo), "%s/fifo-%d", bd.dir, i);
		if (mkfifo(fifo, 0600) || cpool_apiclient_connect(bd.sock, &c, &err))
			_exit(1);
		/* Refused or accepted, both are fine: only the daemon's liveness is measured. */
		cpool_apiclient_call(c, CPOOL_OP_SUBMIT,
				     json_pack("{s:[s], s:s, s:s, s:s}", "argv", "/bin/true", "cwd",
					       bd.dir, "stdout", fifo, "vs", "b"),
				     &res, 30000, &err);
		json_decref(res);
		cpool_apiclient_close(c);
		sleep_ms(2000);
		fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd >= 0) {
			sleep_ms(100);
			close(fd);
		}
	}
	_exit(0);
}

struct phase {
	const char *name;
	double stall_ms; /* -1: no stats */
	struct probe_result probe;
	double *gaps;
	int n_gaps;
};

/* @n jobs queued behind a held blocker on VS a; with @fifo, nobody's FIFO jobs meanwhile. */
static int run_phase(struct phase *ph, int n, bool fifo)
{
	struct cpool_apiclient *c;
	struct cpool_error err;
	char hold[300], out[300], probe_out[300];
	double(*st)[2] = calloc((size_t)n, sizeof(*st));
	json_int_t id, last = 0;
	pid_t probe, fifo_user = 0;
	json_t *res;
	int r = -1;

	snprintf(hold, sizeof(hold), "%s/go-%s", bd.dir, ph->name);
	snprintf(probe_out, sizeof(probe_out), "%s/probe-%s", bd.dir, ph->name);
	if (cpool_apiclient_connect(bd.sock, &c, &err)) {
		fprintf(stderr, "bench-dispatch: %s\n", err.msg);
		return -1;
	}
	snprintf(out, sizeof(out), "%s/%s-blocker", bd.dir, ph->name);
	if (submit(c, "a", out, hold, &id))
		goto out;
	for (int i = 0; i < n; i++) {
		snprintf(out, sizeof(out), "%s/%s-%d", bd.dir, ph->name, i);
		if (submit(c, "a", out, NULL, &last))
			goto out;
	}
	fprintf(stderr, "bench-dispatch:   %d jobs queued behind the blocker\n", n);
	stall_window_ms(); /* the window starts now */
	probe = probe_start(probe_out);
	if (fifo)
		fifo_user = fifo_user_start();
	if (creat(hold, 0644) < 0)
		goto out;
	r = cpool_apiclient_call(c, CPOOL_OP_WAIT, json_pack("{s:I}", "job", last), &res, 600000,
				 &err);
	json_decref(res);
	fprintf(stderr, "bench-dispatch:   the last job has ended\n");
	if (fifo_user > 0)
		waitpid(fifo_user, NULL, 0);
	ph->stall_ms = stall_window_ms();
	probe_finish(probe, probe_out, &ph->probe);
	if (r) {
		fprintf(stderr, "bench-dispatch: wait for job %lld: %s\n", (long long)last,
			err.msg);
		goto out;
	}
	for (int i = 0; i < n; i++) {
		snprintf(out, sizeof(out), "%s/%s-%d", bd.dir, ph->name, i);
		if (read_stamps(out, &st[i][0], &st[i][1])) {
			fprintf(stderr, "bench-dispatch: job %d of %s left no stamps\n", i,
				ph->name);
			r = -1;
			goto out;
		}
	}
	ph->gaps = calloc((size_t)n, sizeof(double));
	ph->n_gaps = gaps_from(st, n, ph->gaps);
	r = 0;
out:
	free(st);
	cpool_apiclient_close(c);
	return r;
}

/* The idle daemon: its longest stall and the probe, over IDLE_MS. */
static void run_idle(struct phase *ph)
{
	char probe_out[300];
	pid_t probe;

	snprintf(probe_out, sizeof(probe_out), "%s/probe-idle", bd.dir);
	stall_window_ms();
	probe = probe_start(probe_out);
	sleep_ms(IDLE_MS);
	ph->stall_ms = stall_window_ms();
	probe_finish(probe, probe_out, &ph->probe);
}

static double ratio(double x, double base)
{
	return base > 0 ? x / base : 0;
}

static void print_phase(const struct phase *ph, const struct phase *idle, const double *base_gaps,
			int n_base)
{
	const struct probe_result *p = &ph->probe, *ip = &idle->probe;

	printf("\n%s\n", ph->name);
	if (ph->stall_ms >= 0)
		printf("  %-34s %10.3f ms   x%.1f the idle loop's %.3f ms\n", "longest loop stall",
		       ph->stall_ms, ratio(ph->stall_ms, idle->stall_ms), idle->stall_ms);
	else
		printf("  %-34s %10s      (the daemon has no stats request)\n",
		       "longest loop stall", "n/a");
	if (ph->n_gaps)
		printf("  %-34s %10.3f ms   x%.1f fork+exec's %.3f ms (p90 %.3f ms, x%.1f; max "
		       "%.3f ms)\n",
		       "freed slot -> next exec, p50", bench_pct(ph->gaps, ph->n_gaps, 50),
		       ratio(bench_pct(ph->gaps, ph->n_gaps, 50), bench_pct(base_gaps, n_base, 50)),
		       bench_pct(base_gaps, n_base, 50), bench_pct(ph->gaps, ph->n_gaps, 90),
		       ratio(bench_pct(ph->gaps, ph->n_gaps, 90), bench_pct(base_gaps, n_base, 90)),
		       ph->gaps[ph->n_gaps - 1]);
	printf("  %-34s %10.3f ms   x%.1f idle's %.3f ms (p99 %.3f ms, max %.3f ms)\n",
	       "ps answered in, p50", bench_pct(p->lat, p->n, 50),
	       ratio(bench_pct(p->lat, p->n, 50), bench_pct(ip->lat, ip->n, 50)),
	       bench_pct(ip->lat, ip->n, 50), bench_pct(p->lat, p->n, 99),
	       p->n ? p->lat[p->n - 1] : 0);
	printf("  %-34s %10d of %d   (target: 0)\n", "ps answered after 50 ms", p->late, p->n);
}

static void usage(FILE *out)
{
	fprintf(out, "usage: bench-dispatch [--jobs N] [--cpoold PATH]\n"
		     "\n"
		     "  --jobs N       jobs queued on the one-CPU VS in each phase (default 100)\n"
		     "  --cpoold PATH  the daemon (default: cpoold next to build/tools/)\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "jobs", required_argument, NULL, 'n' },
		{ "cpoold", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct phase idle = { .name = "idle daemon (baseline)" };
	struct phase queued = { .name = "jobs queued on a one-CPU VS" };
	struct phase fifo = { .name = "the same, while nobody submits FIFO-stdout jobs" };
	char cpoold[PATH_MAX];
	double *base_gaps;
	struct utsname u;
	int n = 100, opt, n_base, r;

	if (argc >= 2 && strcmp(argv[1], "--stamp") == 0)
		return stamp(argc == 4 && strcmp(argv[2], "--hold") == 0 ? argv[3] : NULL);
	if (bench_paths("bench-dispatch", self, sizeof(self), cpoold, sizeof(cpoold)))
		return 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			n = atoi(optarg);
			if (n < 2 || n > 10000) {
				fprintf(stderr, "bench-dispatch: --jobs %s: 2 to 10000\n", optarg);
				return 2;
			}
			break;
		case 'd':
			snprintf(cpoold, sizeof(cpoold), "%s", optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (geteuid() != 0) {
		fprintf(stderr, "bench-dispatch: needs root and cgroup v2: run it through "
				"tools/bench-dispatch (the lab)\n");
		return 1;
	}
	/* nobody makes its FIFOs here; the jobs (root's) write their stamps here. */
	if (!mkdtemp(bd.dir) || chmod(bd.dir, 01777)) {
		perror("bench-dispatch: mkdtemp");
		return 1;
	}
	/* 0666: nobody submits too. */
	r = bench_cpoold_start(&bd, cpoold, "bench-dispatch", pool_ini, "0666");
	if (r) {
		bench_cpoold_failed(&bd, "bench-dispatch", cpoold, r);
		bench_cpoold_stop(&bd, "bench-dispatch");
		return 1;
	}
	base_gaps = calloc((size_t)n, sizeof(double));
	fprintf(stderr, "bench-dispatch: baseline: %d fork+exec in a chain\n", n);
	n_base = baseline_gaps(n, base_gaps);
	fprintf(stderr, "bench-dispatch: baseline: the idle daemon for %d ms\n", IDLE_MS);
	run_idle(&idle);
	fprintf(stderr, "bench-dispatch: %s\n", queued.name);
	r = n_base < 1 || run_phase(&queued, n, false);
	if (!r)
		fprintf(stderr, "bench-dispatch: %s\n", fifo.name);
	r = r || run_phase(&fifo, n, true);
	bench_cpoold_stop(&bd, "bench-dispatch");
	if (r) {
		fprintf(stderr, "bench-dispatch: a phase failed\n");
		return 1;
	}
	uname(&u);
	printf("dispatch: %d jobs per phase (kernel %s, NUMA shape %s%s)\n", n, u.release,
	       getenv("CPOOL_LAB_SHAPE") ?: "of the host",
	       bench_under_tcg() ? ", TCG emulation" : "");
	printf("baseline: fork+exec chain, freed slot -> next exec p50 %.3f ms, p90 %.3f ms\n",
	       bench_pct(base_gaps, n_base, 50), bench_pct(base_gaps, n_base, 90));
	if (idle.stall_ms >= 0)
		printf("baseline: idle loop's longest stall over %d ms: %.3f ms\n", IDLE_MS,
		       idle.stall_ms);
	print_phase(&queued, &idle, base_gaps, n_base);
	print_phase(&fifo, &idle, base_gaps, n_base);
	printf("\ntargets: every ps answered within %.0f ms (%s); longest stall under 10 ms "
	       "on real hardware only (%s)\n",
	       PROBE_TARGET_MS, queued.probe.late + fifo.probe.late ? "not met" : "met",
	       bench_under_tcg() ? "this is TCG emulation: not comparable" :
				   "see the figures above");
	free(base_gaps);
	return 0;
}
