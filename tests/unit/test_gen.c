// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* The workload generator: determinism, distributions, and a trace the readers take back. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "cpool/gen.h"

static void rng_known(void)
{
	struct cpool_rng a, b, c;
	int same = 1, differ = 0, in_range = 1;

	cpool_rng_seed(&a, 42);
	cpool_rng_seed(&b, 42);
	cpool_rng_seed(&c, 43);
	for (int i = 0; i < 1000; i++) {
		uint64_t x = cpool_rng_next(&a), y = cpool_rng_next(&b);
		double u;

		same &= x == y;
		differ += x != cpool_rng_next(&c);
		u = cpool_rng_uniform(&a);
		cpool_rng_next(&b);
		in_range &= u >= 0 && u < 1;
	}
	ok(same, "rng: one seed, one stream");
	ok(differ > 990, "rng: neighbouring seeds give unrelated streams (%d/1000 differ)", differ);
	ok(in_range, "rng: uniform is in [0, 1)");
}

static void dist_parse(void)
{
	struct cpool_dist d;
	struct cpool_error err;

	is_int(cpool_dist_parse("exp:2.5", 0, &d, &err), 0, "parse exp");
	is_int(d.kind, CPOOL_DIST_EXP, "exp kind");
	is_double(d.a, 2.5, 1e-12, "exp mean");
	is_int(cpool_dist_parse("lognormal:0.5,1", 0, &d, &err), 0, "parse lognormal");
	is_double(d.b, 1, 1e-12, "lognormal sigma");
	is_int(cpool_dist_parse("uniform:1-4", 1, &d, &err), 0, "parse uniform ints");
	is_double(d.b, 4, 0, "uniform upper end");
	is_int(cpool_dist_parse("uniform:-5-3", 1, &d, &err), 0,
	       "parse uniform with a negative start");
	is_double(d.a, -5, 0, "negative lower end");
	is_int(cpool_dist_parse("choice:1,2,4", 1, &d, &err), 0, "parse choice");
	is_int(d.n_choices, 3, "three choices");
	is_int(cpool_dist_parse("fixed:1.5", 1, &d, &err), -EINVAL,
	       "fixed CPU count must be whole");
	ok(strstr(err.msg, "fixed:1.5") != NULL, "the message quotes the input: %s", err.msg);
	is_int(cpool_dist_parse("exp:2", 1, &d, &err), -EINVAL,
	       "exp is not a CPU-count distribution");
	is_int(cpool_dist_parse("exp:-1", 0, &d, &err), -EINVAL, "negative mean");
	is_int(cpool_dist_parse("exp", 0, &d, &err), -EINVAL, "no colon");
	is_int(cpool_dist_parse("uniform:4-1", 1, &d, &err), -EINVAL, "empty range");
	is_int(cpool_dist_parse("choice:", 1, &d, &err), -EINVAL, "empty choice");
	is_int(cpool_dist_parse("lognormal:1", 0, &d, &err), -EINVAL, "lognormal needs sigma");
	is_int(cpool_dist_parse("gamma:1", 0, &d, &err), -EINVAL, "unknown kind");
}

/* Sample means near the distribution's mean: 200000 draws, fixed seed. */
static void dist_means(void)
{
	const char *specs[] = { "exp:3", "lognormal:0.5,0.8", "uniform:2-6", "choice:1,2,4" };
	int integer[] = { 0, 0, 1, 1 };
	/* exp: its mean; lognormal: e^(mu + sigma^2 / 2); uniform: the midpoint; choice: the average. */
	const double means[] = { 3, exp(0.5 + 0.8 * 0.8 / 2), (2 + 6) / 2.0, (1 + 2 + 4) / 3.0 };

	for (int k = 0; k < 4; k++) {
		struct cpool_dist d;
		struct cpool_rng r;
		struct cpool_error err;
		double sum = 0, mean;
		int n = 200000, bad = 0;

		cpool_dist_parse(specs[k], integer[k], &d, &err);
		cpool_rng_seed(&r, 7);
		for (int i = 0; i < n; i++) {
			double v = cpool_dist_sample(&d, &r);

			sum += v;
			bad += v < 0 || (integer[k] && v != floor(v));
		}
		mean = means[k];
		ok(fabs(sum / n - mean) < 0.02 * mean, "%s: sample mean %.4f near %.4f", specs[k],
		   sum / n, mean);
		ok(bad == 0, "%s: every draw in the support (%d outside)", specs[k], bad);
	}
}

static void gen_trace_roundtrip(void)
{
	struct cpool_gen_config cfg;
	struct cpool_trace a, b, back;
	struct cpool_error e;
	struct cpool_error err;
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int sorted = 1, same = 1, ms = 1;

	cpool_gen_init(&cfg);
	cfg.jobs = 2000;
	cfg.seed = 99;
	cpool_gen_parse_arrival("poisson:4", &cfg, &err);
	cpool_dist_parse("exp:2", 0, &cfg.runtime, &err);
	cpool_dist_parse("choice:1,2,4", 1, &cfg.cpus, &err);
	is_int(cpool_gen_trace(&cfg, &a), 0, "gen: 2000 jobs");
	is_int(cpool_gen_trace(&cfg, &b), 0, "gen: again, same seed");
	is_int((int64_t)a.n_jobs, 2000, "gen: count");
	for (size_t i = 0; i < a.n_jobs; i++) {
		same &= memcmp(&a.jobs[i], &b.jobs[i], sizeof(a.jobs[i])) == 0;
		sorted &= i == 0 || a.jobs[i].submit_us >= a.jobs[i - 1].submit_us;
		ms &= a.jobs[i].submit_us % 1000 == 0 && a.jobs[i].runtime_us % 1000 == 0 &&
		      a.jobs[i].runtime_us >= 1000 && a.jobs[i].estimate_us == a.jobs[i].runtime_us;
	}
	ok(same, "gen: deterministic for a seed");
	ok(sorted, "gen: submits never go back in time");
	ok(ms, "gen: times on the millisecond, runtime >= 1 ms, estimate = runtime");
	is_int(a.jobs[0].submit_us, 0, "gen: the first job at 0");
	/* 2000 arrivals at 4/s: the last near 500 s. */
	ok(fabs(cpool_us_to_s(a.jobs[1999].submit_us) - 500) < 40,
	   "gen: poisson rate gives the last arrival near 500 s (%.1f)",
	   cpool_us_to_s(a.jobs[1999].submit_us));

	f = open_memstream(&text, &len);
	is_int(cpool_trace_write_csv(f, a.jobs, a.n_jobs), 0, "csv: written");
	fclose(f);
	ok(strncmp(text, "id,submit,runtime,cpus,mem,priority,estimate\n", 45) == 0,
	   "csv: the header of job.h");
	f = fmemopen(text, len, "r");
	is_int(cpool_trace_read(f, CPOOL_TRACE_CSV, &back, &e), 0, "csv: read back");
	fclose(f);
	same = back.n_jobs == a.n_jobs;
	for (size_t i = 0; same && i < a.n_jobs; i++)
		same &= strcmp(back.jobs[i].id, a.jobs[i].id) == 0 &&
			back.jobs[i].submit_us == a.jobs[i].submit_us &&
			back.jobs[i].runtime_us == a.jobs[i].runtime_us &&
			back.jobs[i].estimate_us == a.jobs[i].estimate_us &&
			back.jobs[i].cpus == a.jobs[i].cpus;
	ok(same, "csv: the reader gets back exactly what was generated");
	free(text);
	cpool_trace_free(&a);
	cpool_trace_free(&b);
	cpool_trace_free(&back);

	cfg.jobs = 3;
	cpool_dist_parse("fixed:0", 1, &cfg.cpus, &err);
	is_int(cpool_gen_trace(&cfg, &a), -EINVAL, "gen: a zero-CPU job is refused");
	ok(a.jobs == NULL && a.n_jobs == 0, "gen: nothing left behind on failure");
}

static void estimate_error_parse(void)
{
	const char *bad[] = { "lognormal:0", "lognormal:-1", "lognormal:3.5", "lognormal:",
			      "lognormal:x", "over:0.5",     "over:101",      "over:",
			      "over:2x",     "gamma:1",	     "lognormal",     "" };
	struct cpool_estimate_error ee;
	struct cpool_error err;

	is_int(cpool_estimate_error_parse("lognormal:0.5", &ee, &err), 0,
	       "estimate error: lognormal parses");
	ok(ee.kind == CPOOL_ESTIMATE_LOGNORMAL && ee.param == 0.5, "lognormal sigma 0.5");
	is_int(cpool_estimate_error_parse("over:2", &ee, &err), 0, "estimate error: over parses");
	ok(ee.kind == CPOOL_ESTIMATE_OVER && ee.param == 2, "over factor 2");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err.msg[0] = '\0';
		ok(cpool_estimate_error_parse(bad[i], &ee, &err) == -EINVAL,
		   "estimate error '%s' refused", bad[i]);
		ok(strstr(err.msg, bad[i]) != NULL && strlen(err.msg) > strlen(bad[i]) + 4,
		   "... with a message quoting it: %s", err.msg);
	}
}

/* Many jobs: the log-ratio of estimate to runtime is N(0, sigma) where no bound applies. */
static void estimate_error_distribution(void)
{
	struct cpool_gen_config cfg;
	struct cpool_trace exact, noisy, again;
	struct cpool_error err;
	double sum = 0, sum2 = 0, mean, sd;
	size_t n = 0, above = 0, same = 1, same_shape = 1, bounded = 1, over_ok = 1;

	cpool_gen_init(&cfg);
	cfg.jobs = 20000;
	cfg.seed = 5;
	/* Runtimes of 100..200 s: the 1 s floor never applies at sigma 0.5. */
	cpool_dist_parse("uniform:100-200", 0, &cfg.runtime, &err);
	is_int(cpool_gen_trace(&cfg, &exact), 0, "gen without estimate noise");
	cpool_estimate_error_parse("lognormal:0.5", &cfg.estimate_error, &err);
	is_int(cpool_gen_trace(&cfg, &noisy), 0, "gen with lognormal:0.5");
	is_int(cpool_gen_trace(&cfg, &again), 0, "gen again, same seed");
	for (size_t i = 0; i < noisy.n_jobs; i++) {
		const struct cpool_job *j = &noisy.jobs[i];
		double lr = log((double)j->estimate_us / (double)j->runtime_us);

		same &= j->estimate_us == again.jobs[i].estimate_us;
		same_shape &= j->submit_us == exact.jobs[i].submit_us &&
			      j->runtime_us == exact.jobs[i].runtime_us &&
			      j->cpus == exact.jobs[i].cpus;
		bounded &= j->estimate_us >= CPOOL_ESTIMATE_MIN_US &&
			   j->estimate_us <= CPOOL_ESTIMATE_MAX_US && j->estimate_us % 1000 == 0;
		above += j->estimate_us > j->runtime_us;
		sum += lr;
		sum2 += lr * lr;
		n++;
	}
	mean = sum / (double)n;
	sd = sqrt(sum2 / (double)n - mean * mean);
	ok(same, "lognormal: one seed, the same estimates");
	ok(same_shape, "lognormal: submits, runtimes and CPUs are those of the exact trace");
	ok(bounded, "lognormal: estimates within 1 s..1e9 s, on the millisecond");
	ok(fabs(mean) < 0.02, "lognormal: median ratio 1 (mean log-ratio %.4f)", mean);
	ok(fabs(sd - 0.5) < 0.02, "lognormal: log-ratio sd %.4f near sigma 0.5", sd);
	ok(above > n * 45 / 100 && above < n * 55 / 100,
	   "lognormal: about half overestimate (%zu of %zu)", above, n);
	cpool_trace_free(&again);

	cfg.seed = 6;
	is_int(cpool_gen_trace(&cfg, &again), 0, "gen with another seed");
	same = 0;
	for (size_t i = 0; i < again.n_jobs; i++)
		same += (double)again.jobs[i].estimate_us / (double)again.jobs[i].runtime_us ==
			(double)noisy.jobs[i].estimate_us / (double)noisy.jobs[i].runtime_us;
	ok(same < 10, "lognormal: another seed, other noise (%zu equal ratios)", same);
	cpool_trace_free(&again);
	cpool_trace_free(&noisy);

	cfg.seed = 5;
	cpool_estimate_error_parse("over:3", &cfg.estimate_error, &err);
	is_int(cpool_gen_trace(&cfg, &noisy), 0, "gen with over:3");
	for (size_t i = 0; i < noisy.n_jobs; i++)
		over_ok &= llabs(noisy.jobs[i].estimate_us - 3 * noisy.jobs[i].runtime_us) <= 500;
	ok(over_ok, "over:3: every estimate is three times the runtime");
	cpool_trace_free(&noisy);
	cpool_trace_free(&exact);

	/* Short jobs: the estimate never drops below 1 s, even at factor 1. */
	cpool_dist_parse("uniform:0.01-0.5", 0, &cfg.runtime, &err);
	cpool_estimate_error_parse("over:1", &cfg.estimate_error, &err);
	cfg.jobs = 1000;
	is_int(cpool_gen_trace(&cfg, &noisy), 0, "gen short jobs with over:1");
	bounded = 1;
	for (size_t i = 0; i < noisy.n_jobs; i++)
		bounded &= noisy.jobs[i].estimate_us == CPOOL_ESTIMATE_MIN_US;
	ok(bounded, "over:1 on sub-second jobs: every estimate is 1 s");
	cpool_trace_free(&noisy);

	/* The largest sigma on the longest runtimes stays bounded. */
	cpool_dist_parse("fixed:1e9", 0, &cfg.runtime, &err);
	cpool_estimate_error_parse("lognormal:3", &cfg.estimate_error, &err);
	is_int(cpool_gen_trace(&cfg, &noisy), 0, "gen 1e9 s jobs with lognormal:3");
	bounded = 1;
	for (size_t i = 0; i < noisy.n_jobs; i++)
		bounded &= noisy.jobs[i].estimate_us >= CPOOL_ESTIMATE_MIN_US &&
			   noisy.jobs[i].estimate_us <= CPOOL_ESTIMATE_MAX_US;
	ok(bounded, "lognormal:3 on 1e9 s jobs: estimates within the bounds");
	cpool_trace_free(&noisy);
}

int main(void)
{
	rng_known();
	dist_parse();
	dist_means();
	gen_trace_roundtrip();
	estimate_error_parse();
	estimate_error_distribution();
	done_testing();
	return exit_status();
}
