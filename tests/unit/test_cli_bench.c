// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * cpool gen, cpool burn and cpool bench's input checks, as a user runs
 * them: a trace that is the same for a seed, a burner that does its CPU
 * work, and bad input answered with a usage error before anything is
 * touched.  The live bench itself runs in the lab (tests/lab/test_bench.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../tap.h"
#include "cpool/job.h"

static char cpool[1024], out[1 << 16];

/* Run "cpool ARGS" (a shell fragment); stdout in out[], returns the exit status. */
static int run(const char *args)
{
	char cmd[2048];
	size_t n;
	FILE *f;
	int st;

	/* stderr is dropped unless the caller asked for it ("2>&1"). */
	snprintf(cmd, sizeof(cmd), "%s %s%s", cpool, args,
		 strstr(args, "2>&1") ? "" : " 2>/dev/null");
	f = popen(cmd, "r");
	if (!f)
		bail_out("popen %s", cmd);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void gen(void)
{
	const char *args = "gen --jobs 50 --arrival poisson:2 --runtime lognormal:0,1 "
			   "--cpus uniform:1-4 --priority choice:-5,0,5 --mem 1M --seed 11";
	struct cpool_trace t;
	struct cpool_error e;
	char *first;
	FILE *in;
	int bad = 0;

	is_int(run(args), 0, "gen: exit 0");
	first = strdup(out);
	is_int(run(args), 0, "gen: again");
	is_str(out, first, "gen: the same trace for the same seed");
	in = fmemopen(first, strlen(first), "r");
	is_int(cpool_trace_read(in, CPOOL_TRACE_CSV, &t, &e), 0, "gen: the trace reader takes it");
	fclose(in);
	is_int((int64_t)t.n_jobs, 50, "gen: 50 jobs");
	for (size_t i = 0; i < t.n_jobs; i++)
		bad += t.jobs[i].cpus < 1 || t.jobs[i].cpus > 4 || t.jobs[i].mem != 1 << 20 ||
		       (t.jobs[i].priority != -5 && t.jobs[i].priority != 0 &&
			t.jobs[i].priority != 5);
	is_int(bad, 0, "gen: every job within --cpus, --priority and --mem");
	cpool_trace_free(&t);
	is_int(run("gen --jobs 50 --arrival poisson:2 --runtime lognormal:0,1 --cpus uniform:1-4 "
		   "--priority choice:-5,0,5 --mem 1M --seed 12"),
	       0, "gen: another seed");
	isnt_str(out, first, "gen: another seed, another trace");
	free(first);

	is_int(run("gen"), 2, "gen: --jobs is required");
	is_int(run("gen --jobs 3 --arrival poisson:0"), 2, "gen: a zero rate is a usage error");
	is_int(run("gen --jobs 3 --runtime normal:1"), 2, "gen: an unknown distribution");
	is_int(run("gen --jobs 3 --cpus fixed:0"), 2, "gen: zero CPUs");
	is_int(run("gen --jobs 3 --seed -1"), 2, "gen: a negative seed");
	is_int(run("gen --jobs 3 extra"), 2, "gen: a stray argument");
	is_int(run("gen --jobs 3 --estimate-error lognormal:0 2>&1"), 2,
	       "gen: a zero estimate sigma is a usage error");
	ok(strstr(out, "--estimate-error") && strstr(out, "lognormal:0"),
	   "gen: ... naming the option and the value");
	is_int(run("gen --jobs 3 --estimate-error over:0.9"), 2, "gen: an underestimating factor");
	is_int(run("gen --jobs 3 --estimate-error normal:1"), 2, "gen: an unknown estimate error");
	is_int(run("gen --jobs 20 --seed 3 --estimate-error over:2"), 0, "gen: over:2");
	ok(strstr(out, "id,submit,runtime,cpus,mem,priority,estimate\n") == out,
	   "gen: over:2 writes a trace");
}

/* CPU time of the children reaped so far, user + system, seconds. */
static double children_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_CHILDREN, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void burn(void)
{
	double before = children_cpu(), used;

	is_int(run("burn --cpu-seconds 0.3 --cpus 2 --mem 8M"), 0, "burn: exit 0");
	used = children_cpu() - before;
	/* Two threads of 0.3 s each; sharing CPUs with others only makes it slower, not less. */
	ok(used >= 0.58, "burn: two threads did 0.6 CPU-seconds (%.3f s)", used);
	ok(used < 3.0, "burn: and stopped (%.3f s)", used);
	is_int(run("burn"), 2, "burn: --cpu-seconds is required");
	is_int(run("burn --cpu-seconds soon"), 2, "burn: not a duration");
	is_int(run("burn --cpu-seconds 1 --cpus 0"), 2, "burn: zero threads");
	is_int(run("burn --cpu-seconds 1 --mem lots"), 2, "burn: not a size");
}

static void bench_input(void)
{
	char path[] = "/tmp/cpool-bench-unit.XXXXXX", args[512];
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, "id,submit,runtime\n1,0,1\n", 24) != 24)
		bail_out("writing %s", path);
	close(fd);
	/* All refused before connecting: the socket does not exist. */
	is_int(run("bench --policies fcfs --socket /nonexistent"), 2, "bench: --trace is required");
	is_int(run("bench --trace x.csv --socket /nonexistent"), 2,
	       "bench: --policies is required");
	is_int(run("bench --trace x.csv --policies fcfs,nope --socket /nonexistent"), 2,
	       "bench: an unknown policy");
	is_int(run("bench --trace x.csv --policies fcfs --placement nope --socket /nonexistent"), 2,
	       "bench: an unknown placement");
	is_int(run("bench --trace x.csv --policies fcfs --time-scale 0 --socket /nonexistent"), 2,
	       "bench: a zero time scale");
	snprintf(args, sizeof(args), "bench --trace %s --policies fcfs --socket /nonexistent 2>&1",
		 path);
	is_int(run(args), 1, "bench: a trace without the required columns fails");
	ok(strstr(out, path) != NULL, "bench: and names the trace: %.200s", out);
	is_int(run("bench --trace /nonexistent.csv --policies fcfs --socket /nonexistent"), 1,
	       "bench: a missing trace fails");
	unlink(path);
}

int main(void)
{
	const char *build = getenv("CPOOL_BUILD");

	snprintf(cpool, sizeof(cpool), "%s/cpool", build ? build : "build");
	if (access(cpool, X_OK)) {
		skip(1, "build/cpool is not built (make builds it; CPOOL_BUILD points at it)");
		done_testing();
		return exit_status();
	}
	gen();
	burn();
	bench_input();
	done_testing();
	return exit_status();
}
