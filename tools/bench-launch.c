// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * bench-launch: submit -> exec latency of cpoold, against a plain
 * fork+exec of the same program measured in the same run.
 *
 * It starts its own cpoold (a two-VS pool, its own socket, state, records
 * and cgroup root), then for each of N jobs, one after the other: reads
 * CLOCK_REALTIME, sends `submit`, and waits for the end.  The job is this
 * binary again in "stamp" mode, which writes CLOCK_REALTIME at the top of
 * main() to its stdout (a file the daemon opens for it).  The baseline,
 * interleaved with the jobs so both see the same machine, forks, points
 * stdout at a file the same way and execs the same stamp program.
 *
 * Needs root and cgroup v2 (run it in the lab: tools/bench-launch).
 *
 *   build/tools/bench-launch [--jobs N] [--cpoold PATH] [--vs NAME]
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_cpoold.h"

static double realtime_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The job: nothing may run before the clock is read. */
static int stamp(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	printf("%lld.%09ld\n", (long long)ts.tv_sec, ts.tv_nsec);
	return fflush(stdout) == 0 ? 0 : 1;
}

static struct bench_cpoold bd = { .dir = "/tmp/bench-launch.XXXXXX" };
static char self[PATH_MAX];
static const char pool_ini[] = "[pool]\nname = benchpool\n\n[vserver a]\ncpus = 1\n\n"
			       "[vserver b]\ncpus = 2\nexclusive = no\nsmt = threads\n";

/* The stamp in @path; 0 when it is missing or unreadable. */
static double read_stamp(const char *path)
{
	FILE *f = fopen(path, "re");
	double t = 0;

	if (f) {
		if (fscanf(f, "%lf", &t) != 1)
			t = 0;
		fclose(f);
	}
	unlink(path);
	return t;
}

/* One fork+exec of the stamp program with stdout on @path: seconds to its stamp. */
static double baseline_once(const char *path)
{
	double t0 = realtime_s();
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (fd < 0 || dup2(fd, 1) < 0)
			_exit(126);
		execl(self, self, "--stamp", (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		return -1;
	return read_stamp(path) - t0;
}

/* One job through cpoold: seconds from just before the submit to its stamp. */
static double cpool_once(struct cpool_apiclient *c, const char *vs, const char *path)
{
	json_t *args, *res;
	struct cpool_error err;
	double t0;
	json_int_t id;
	int r;

	args = json_pack("{s:[s,s], s:[s], s:s, s:s, s:s}", "argv", self, "--stamp", "env",
			 "PATH=/usr/bin:/bin", "cwd", bd.dir, "stdout", path, "vs", vs);
	t0 = realtime_s();
	r = cpool_apiclient_call(c, CPOOL_OP_SUBMIT, args, &res, 30000, &err);
	if (r) {
		fprintf(stderr, "bench-launch: submit: %s\n", err.msg);
		return -1;
	}
	id = json_integer_value(json_object_get(res, "job"));
	json_decref(res);
	r = cpool_apiclient_call(c, CPOOL_OP_WAIT, json_pack("{s:I}", "job", id), &res, 120000,
				 &err);
	if (r) {
		fprintf(stderr, "bench-launch: wait for job %lld: %s\n", (long long)id, err.msg);
		return -1;
	}
	r = strcmp(json_string_value(json_object_get(res, "state")) ?: "", "done") ||
	    json_integer_value(json_object_get(res, "exit_code")) != 0;
	json_decref(res);
	if (r) {
		fprintf(stderr, "bench-launch: job %lld did not end well\n", (long long)id);
		return -1;
	}
	return read_stamp(path) - t0;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: bench-launch [--jobs N] [--cpoold PATH] [--vs NAME]\n"
		     "\n"
		     "  --jobs N       jobs, one after the other (default 1000)\n"
		     "  --cpoold PATH  the daemon (default: cpoold next to build/tools/)\n"
		     "  --vs NAME      the virtual server the jobs go to (default a)\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "jobs", required_argument, NULL, 'n' },
		{ "cpoold", required_argument, NULL, 'd' },
		{ "vs", required_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct cpool_error err;
	char cpoold[PATH_MAX], path[512];
	const char *vs = "a";
	struct cpool_apiclient *c;
	struct utsname u;
	double *lat_c, *lat_b, p50c, p50b;
	int n = 1000, opt, bad = 0, r;

	if (argc == 2 && strcmp(argv[1], "--stamp") == 0)
		return stamp();

	if (bench_paths("bench-launch", self, sizeof(self), cpoold, sizeof(cpoold)))
		return 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			n = atoi(optarg);
			if (n < 1 || n > 1000000) {
				fprintf(stderr, "bench-launch: --jobs %s: 1 to 1000000\n", optarg);
				return 2;
			}
			break;
		case 'd':
			snprintf(cpoold, sizeof(cpoold), "%s", optarg);
			break;
		case 'v':
			vs = optarg;
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
		fprintf(stderr, "bench-launch: needs root and cgroup v2: run it through "
				"tools/bench-launch (the lab)\n");
		return 1;
	}
	if (!mkdtemp(bd.dir) || chmod(bd.dir, 0755)) {
		perror("bench-launch: mkdtemp");
		return 1;
	}
	r = bench_cpoold_start(&bd, cpoold, "bench-launch", pool_ini, "0660");
	if (r) {
		bench_cpoold_failed(&bd, "bench-launch", cpoold, r);
		bench_cpoold_stop(&bd, "bench-launch");
		return 1;
	}
	if (cpool_apiclient_connect(bd.sock, &c, &err)) {
		fprintf(stderr, "bench-launch: %s\n", err.msg);
		bench_cpoold_stop(&bd, "bench-launch");
		return 1;
	}
	lat_c = calloc((size_t)n, sizeof(*lat_c));
	lat_b = calloc((size_t)n, sizeof(*lat_b));
	snprintf(path, sizeof(path), "%s/stamp", bd.dir);
	for (int i = 0; i < n && !bad; i++) {
		lat_b[i] = baseline_once(path);
		lat_c[i] = cpool_once(c, vs, path);
		bad = lat_b[i] <= 0 || lat_c[i] <= 0;
		if (bad)
			fprintf(stderr,
				"bench-launch: run %d failed (baseline %.6f s, cpool %.6f s)\n", i,
				lat_b[i], lat_c[i]);
	}
	cpool_apiclient_close(c);
	bench_cpoold_stop(&bd, "bench-launch");
	if (bad) {
		free(lat_c);
		free(lat_b);
		return 1;
	}
	qsort(lat_c, (size_t)n, sizeof(*lat_c), bench_cmp_double);
	qsort(lat_b, (size_t)n, sizeof(*lat_b), bench_cmp_double);
	p50c = bench_pct(lat_c, n, 50);
	p50b = bench_pct(lat_b, n, 50);
	uname(&u);
	printf("launch latency: %d jobs, one at a time, on vs %s (kernel %s, NUMA shape %s)\n", n,
	       vs, u.release, getenv("CPOOL_LAB_SHAPE") ?: "of the host");
	printf("%-30s %10s %10s %10s\n", "", "p50 ms", "p90 ms", "p99 ms");
	printf("%-30s %10.3f %10.3f %10.3f\n", "cpool submit -> exec", p50c * 1e3,
	       bench_pct(lat_c, n, 90) * 1e3, bench_pct(lat_c, n, 99) * 1e3);
	printf("%-30s %10.3f %10.3f %10.3f\n", "baseline fork -> exec", p50b * 1e3,
	       bench_pct(lat_b, n, 90) * 1e3, bench_pct(lat_b, n, 99) * 1e3);
	printf("%-30s %10.1f %10.1f %10.1f\n", "ratio cpool/baseline", p50c / p50b,
	       bench_pct(lat_c, n, 90) / bench_pct(lat_b, n, 90),
	       bench_pct(lat_c, n, 99) / bench_pct(lat_b, n, 99));
	/* Both pay the same exec and dynamic linking; this is what cpoold adds. */
	printf("%-30s %10.3f %10.3f %10.3f\n", "difference cpool-baseline", (p50c - p50b) * 1e3,
	       (bench_pct(lat_c, n, 90) - bench_pct(lat_b, n, 90)) * 1e3,
	       (bench_pct(lat_c, n, 99) - bench_pct(lat_b, n, 99)) * 1e3);
	printf("target: p50 <= 1 ms: %s (%ssee docs/performance.md)\n",
	       p50c <= 1e-3 ? "met" : "not met", bench_under_tcg() ? "TCG emulation; " : "");
	free(lat_c);
	free(lat_b);
	return 0;
}
