// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * bench-ps: cpoold's own request code (api.c, jobs.c, sched.c, jobctl.c)
 * and event loop, in this process, on a socket of its own, without root
 * or cgroups: --queued N jobs (default 10 000) wait behind a VS whose CPUs
 * are all busy, submitted one request at a time by a client process; then
 * root's `stats` is timed every 20 ms with the loop otherwise idle (the
 * baseline) and while --hostile N client processes (default 2) ask `ps`
 * over the whole queue in a loop, for --seconds S each (default 5).
 * Printed: the loop's longest round during the submissions and under the
 * ps loop (and the callback it ran), one ps alone, and root's waits with
 * their ratio to the baseline.  --policy NAME (default fcfs) sets the
 * policy, whose simulated expected starts ps shows (rr: seconds of CPU a
 * replay with a few hundred queued jobs).
 *
 * --ended N (default 0: none) puts N ended jobs in the store, every fourth
 * an array element with a job-control row, and adds a history phase: one
 * page alone, then root's `stats` timed while the --hostile clients page
 * through the whole history (pages of 500, the default) in a loop; and
 * the page of a user with no ended job (uid 4242), which looks at every row.
 *
 *	build/tools/bench-ps --queued 10000
 *	build/tools/bench-ps --queued 499 --policy rr --hostile 1
 *	build/tools/bench-ps --queued 1000 --ended 100000
 */
#include <getopt.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../tests/unit/cpoold_fixture.h"
#include "cpool/store_jobctl.h"

static char dir[] = "/tmp/bench-ps.XXXXXX";
static char sock[100];
static struct cpoold d;
static char *line;
static size_t line_cap = 1 << 26;

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int connect_sock(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", sock);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror("bench-ps: connect");
		_exit(1);
	}
	return fd;
}

/* One request and its whole reply line (in a client process); seconds. */
static double ask(int fd, const char *req)
{
	double t0 = mono_s();
	size_t len = 0;

	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req))
		_exit(1);
	do {
		ssize_t n = read(fd, line + len, line_cap - 1 - len);

		if (n <= 0)
			_exit(1);
		len += (size_t)n;
	} while (line[len - 1] != '\n');
	line[len] = '\0';
	return mono_s() - t0;
}

/* Runs the daemon's loop until child @pid has exited. */
static void serve_until(pid_t pid)
{
	while (waitpid(pid, NULL, WNOHANG) == 0)
		cpool_evloop_once(d.loop, 10);
}

/* The loop's longest round since the last call, and what it ran. */
static double window_ms(const char **what)
{
	struct cpool_evloop_stats st;

	cpool_evloop_stats(d.loop, &st, true);
	*what = st.stall_window_what ?: "-";
	return (double)st.stall_window_ns / 1e6;
}

/* A client process timing root's stats every 20 ms for @seconds: mean and max ms, via a pipe. */
static pid_t time_root(double seconds, int out)
{
	pid_t pid = fork();

	if (pid == 0) {
		double sum = 0, max = 0, t0, r[2];
		int fd = connect_sock(), n = 0;

		usleep(200000);
		t0 = mono_s();
		while (mono_s() - t0 < seconds) {
			double s = ask(fd, "{\"v\":1,\"id\":2,\"op\":\"stats\"}\n") * 1000;

			sum += s;
			max = s > max ? s : max;
			n++;
			usleep(20000);
		}
		r[0] = n ? sum / n : -1;
		r[1] = max;
		if (write(out, r, sizeof(r)) != sizeof(r))
			_exit(1);
		_exit(0);
	}
	return pid;
}

/* @n ended jobs in the store, as retention keeps them; every fourth in an array. */
static int store_ended(int n)
{
	int r = cpool_store_begin(d.store);

	for (int i = 0; i < n && !r; i++) {
		struct cpool_jobrec rec = { .name = (char *)"ended",
					    .uid = i % 3 ? 0 : 1000,
					    .argv_json = (char *)"[\"/bin/true\"]",
					    .cwd = (char *)"/",
					    .stdout_path = (char *)"/dev/null",
					    .stderr_path = (char *)"/dev/null",
					    .vs = (char *)"a",
					    .cpus = 1,
					    .state = i % 10 ? CPOOL_JOB_DONE : CPOOL_JOB_FAILED,
					    .submit_time = 1e9 + i,
					    .first_start = 1e9 + i + 1,
					    .start_time = 1e9 + i + 1,
					    .end_time = 1e9 + i + 2,
					    .run_time = 1 };

		r = cpool_store_job_insert(d.store, &rec);
		if (!r && i % 4 == 0) {
			struct cpool_jobctl_row row = { .id = rec.id,
							.array_id = rec.id - (i % 16),
							.array_task = i % 16 / 4,
							.reason = i % 8 ? NULL :
									  (char *)"ArrayTask" };

			r = cpool_store_jobctl_put(d.store, &row);
		}
	}
	if (r) {
		cpool_store_rollback(d.store);
		return r;
	}
	return cpool_store_commit(d.store);
}

/* Pages through the whole history on @fd; the pages read. */
static int history_pass(int fd, double *max_ms)
{
	char req[160];
	long long after = 0;
	int pages = 0;

	do {
		const char *next;
		double s;

		snprintf(req, sizeof(req),
			 "{\"v\":1,\"id\":4,\"op\":\"history\",\"args\":{\"after\":%lld}}\n",
			 after);
		s = ask(fd, req) * 1000;
		if (max_ms && s > *max_ms)
			*max_ms = s;
		pages++;
		next = strstr(line, "\"next\":");
		after = next ? atoll(next + 7) : 0;
	} while (after);
	return pages;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "queued", required_argument, NULL, 'q' },
					      { "hostile", required_argument, NULL, 'H' },
					      { "seconds", required_argument, NULL, 's' },
					      { "policy", required_argument, NULL, 'p' },
					      { "ended", required_argument, NULL, 'e' },
					      { 0 } };
	struct cpool_apiserver_opts o = { .mode = 0600,
					  .gid = (gid_t)-1,
					  .handler = api_handle,
					  .on_close = api_client_closed,
					  .data = &d,
					  .rate = 1e6,
					  .burst = 1e6 };
	int queued = 10000, hostile = 2, ended = 0, c, p[2];
	double seconds = 5, idle[2], busy[2], t0, stall_ms;
	const char *policy = "fcfs", *what;
	struct cpool_error err;
	struct vsrv vs = { 0 };
	pid_t pid, kids[16];

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'q')
			queued = atoi(optarg);
		else if (c == 'H')
			hostile = atoi(optarg) > 16 ? 16 : atoi(optarg);
		else if (c == 's')
			seconds = atof(optarg);
		else if (c == 'p')
			policy = optarg;
		else if (c == 'e')
			ended = atoi(optarg);
		else
			return 2;
	}
	line = malloc(line_cap);
	fixture_open(&d, dir);
	snprintf(vs.vs.name, sizeof(vs.vs.name), "a");
	cpool_cpuset_set_range(&vs.vs.cpus, 0, 1);
	cpool_cpuset_set_range(&vs.busy, 0, 1); /* nothing starts: every job stays queued */
	d.vs = &vs;
	d.n_vs = 1;
	cpool_user_limits_default(&d.cfg.limits);
	d.cfg.limits.submit_rate = 1e9;
	d.cfg.limits.queued_jobs_per_user = 0;
	cpool_policy_init(&d.policy);
	if (!line || cpool_sched_parse(policy, &d.policy.sched) || cpool_evloop_new(&d.loop)) {
		fprintf(stderr, "bench-ps: policy %s, or out of memory\n", policy);
		return 2;
	}
	sched_init(&d);
	snprintf(sock, sizeof(sock), "%s/cpool.sock", dir);
	o.path = sock;
	if (cpool_apiserver_open(d.loop, &o, &d.api, &err)) {
		fprintf(stderr, "bench-ps: %s\n", err.msg);
		return 1;
	}
	if (pipe(p) < 0)
		return 1;

	if (ended > 0 && store_ended(ended)) {
		fprintf(stderr, "bench-ps: store %d ended jobs: %s\n", ended,
			cpool_store_errmsg(d.store));
		return 1;
	}
	t0 = mono_s();
	pid = fork();
	if (pid == 0) {
		int fd = connect_sock();
		char req[512];
		double ps;

		for (int i = 0; i < queued; i++) {
			snprintf(req, sizeof(req),
				 "{\"v\":1,\"id\":%d,\"op\":\"submit\",\"args\":{\"argv\":[\"/bin/"
				 "true\"],\"vs\":\"a\",\"cwd\":\"/\",\"stdout\":\"/dev/null\","
				 "\"stderr\":\"/dev/null\"}}\n",
				 i + 1);
			ask(fd, req);
		}
		ps = ask(fd, "{\"v\":1,\"id\":1,\"op\":\"ps\"}\n") * 1000;
		printf("  one ps alone       %8.1f ms wall, %zu bytes\n", ps, strlen(line));
		fflush(stdout);
		_exit(0);
	}
	printf("cpoold's request code, %d jobs queued, policy %s\n", queued, policy);
	fflush(stdout);
	serve_until(pid);
	stall_ms = window_ms(&what);
	printf("  submissions        %8.1f s, longest loop round %.2f ms (%s)\n", mono_s() - t0,
	       stall_ms, what);

	serve_until(time_root(seconds, p[1]));
	if (read(p[0], idle, sizeof(idle)) != sizeof(idle))
		return 1;
	window_ms(&what);
	for (int i = 0; i < hostile; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			int fd = connect_sock();

			prctl(PR_SET_PDEATHSIG, SIGKILL);
			for (;;)
				ask(fd, "{\"v\":1,\"id\":3,\"op\":\"ps\"}\n");
		}
	}
	serve_until(time_root(seconds, p[1]));
	if (read(p[0], busy, sizeof(busy)) != sizeof(busy))
		return 1;
	stall_ms = window_ms(&what);
	for (int i = 0; i < hostile; i++)
		kill(kids[i], SIGKILL);
	for (int i = 0; i < hostile; i++)
		waitpid(kids[i], NULL, 0);
	printf("  root stats, idle   %8.2f ms mean, %.2f ms max (baseline)\n", idle[0], idle[1]);
	printf("  root stats, %d ps loops %6.2f ms mean x%.1f of baseline, %.2f ms max x%.1f  "
	       "target < 50 ms: %s\n",
	       hostile, busy[0], busy[0] / (idle[0] > 0 ? idle[0] : 1e-9), busy[1],
	       busy[1] / (idle[1] > 0 ? idle[1] : 1e-9), busy[1] < 50 ? "met" : "missed");
	printf("  longest loop round under the ps loops %.2f ms (%s)\n", stall_ms, what);

	if (ended > 0) {
		fflush(stdout);
		window_ms(&what);
		pid = fork();
		if (pid == 0) {
			int fd = connect_sock(), pages;
			double one, max = 0;

			one = ask(fd, "{\"v\":1,\"id\":5,\"op\":\"history\"}\n") * 1000;
			printf("  one history page   %8.1f ms wall, %zu bytes\n", one,
			       strlen(line));
			t0 = mono_s();
			pages = history_pass(fd, &max);
			printf("  whole history      %8.1f ms wall, %d pages, longest %.1f ms\n",
			       (mono_s() - t0) * 1000, pages, max);
			fflush(stdout);
			_exit(0);
		}
		serve_until(pid);
		stall_ms = window_ms(&what);
		printf("  longest loop round reading it alone %.2f ms (%s)\n", stall_ms, what);
		/* A user with no ended job: the whole table looked at for an empty page. */
		fflush(stdout);
		pid = fork();
		if (pid == 0) {
			double one = ask(connect_sock(), "{\"v\":1,\"id\":6,\"op\":\"history\","
							 "\"args\":{\"uid\":4242}}\n") *
				     1000;

			printf("  an empty user's page %6.1f ms wall, %zu bytes\n", one,
			       strlen(line));
			fflush(stdout);
			_exit(0);
		}
		serve_until(pid);
		stall_ms = window_ms(&what);
		printf("  longest loop round for it %.2f ms (%s)\n", stall_ms, what);
		for (int i = 0; i < hostile; i++) {
			kids[i] = fork();
			if (kids[i] == 0) {
				int fd = connect_sock();

				prctl(PR_SET_PDEATHSIG, SIGKILL);
				for (;;)
					history_pass(fd, NULL);
			}
		}
		serve_until(time_root(seconds, p[1]));
		if (read(p[0], busy, sizeof(busy)) != sizeof(busy))
			return 1;
		stall_ms = window_ms(&what);
		for (int i = 0; i < hostile; i++)
			kill(kids[i], SIGKILL);
		for (int i = 0; i < hostile; i++)
			waitpid(kids[i], NULL, 0);
		printf("  root stats, %d history loops %6.2f ms mean x%.1f of baseline, %.2f ms max "
		       "x%.1f  target < 50 ms: %s\n",
		       hostile, busy[0], busy[0] / (idle[0] > 0 ? idle[0] : 1e-9), busy[1],
		       busy[1] / (idle[1] > 0 ? idle[1] : 1e-9), busy[1] < 50 ? "met" : "missed");
		printf("  longest loop round under the history loops %.2f ms (%s)\n", stall_ms,
		       what);
	}

	for (int i = 0; i < 100; i++)
		cpool_evloop_once(d.loop, 1); /* the clients' ends */
	cpool_apiserver_close(d.api);
	jobctl_estimate_close();
	fixture_close(&d, dir);
	return 0;
}
