/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * A synthetic workload generator: Poisson (or evenly spaced) arrivals,
 * runtimes and CPU counts drawn from simple distributions, written as a CSV
 * trace (job.h).  It carries its own PRNG (xoshiro256**, seeded through
 * splitmix64) so that one seed gives the same trace on every machine and
 * libc, and nothing depends on the clock.
 */
#ifndef CPOOL_GEN_H
#define CPOOL_GEN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cpool/job.h"
#include "cpool/error.h"

struct cpool_rng {
	uint64_t s[4];
};

void cpool_rng_seed(struct cpool_rng *r, uint64_t seed);
uint64_t cpool_rng_next(struct cpool_rng *r);
/* Uniform in [0, 1), 53 bits. */
double cpool_rng_uniform(struct cpool_rng *r);
/* Standard normal (Box-Muller, one value per two uniforms: no state beyond the PRNG). */
double cpool_rng_normal(struct cpool_rng *r);

enum cpool_dist_kind {
	CPOOL_DIST_FIXED, /* fixed:V */
	CPOOL_DIST_EXP, /* exp:MEAN */
	CPOOL_DIST_LOGNORMAL, /* lognormal:MU,SIGMA (of the log) */
	CPOOL_DIST_UNIFORM, /* uniform:A-B (integers: both ends included) */
	CPOOL_DIST_CHOICE, /* choice:V,V,... each equally likely */
};

#define CPOOL_DIST_MAX_CHOICES 32

struct cpool_dist {
	enum cpool_dist_kind kind;
	double a, b; /* fixed: a; exp: a = mean; lognormal: a = mu, b = sigma; uniform: a..b */
	double choice[CPOOL_DIST_MAX_CHOICES];
	int n_choices;
	int integer; /* values are whole numbers (CPU counts, priorities) */
};

/*
 * Parse "KIND:PARAMS".  @integer: only whole values (fixed, uniform,
 * choice).  Returns 0, or -EINVAL with a sentence in @e.
 */
int cpool_dist_parse(const char *text, int integer, struct cpool_dist *d, struct cpool_error *e);
double cpool_dist_sample(const struct cpool_dist *d, struct cpool_rng *r);

/*
 * Noise on the estimates, because a user's requested time is rarely the
 * runtime and exact estimates flatter sjf and easy.
 */
enum cpool_estimate_error_kind {
	CPOOL_ESTIMATE_EXACT, /* estimate = runtime */
	CPOOL_ESTIMATE_LOGNORMAL, /* lognormal:SIGMA: runtime x e^(SIGMA N(0,1)), median 1 */
	CPOOL_ESTIMATE_OVER, /* over:FACTOR: runtime x FACTOR, always an overestimate */
};

#define CPOOL_ESTIMATE_SIGMA_MAX 3.0
#define CPOOL_ESTIMATE_FACTOR_MAX 100.0
/* A noisy estimate is at least 1 s (what a user asks for) and at most this. */
#define CPOOL_ESTIMATE_MIN_US 1000000LL
#define CPOOL_ESTIMATE_MAX_US (1000000000LL * 1000000LL)

struct cpool_estimate_error {
	enum cpool_estimate_error_kind kind;
	double param; /* lognormal: sigma; over: factor */
};

/* "lognormal:SIGMA" (0 < SIGMA <= 3) or "over:FACTOR" (1 <= FACTOR <= 100); -EINVAL with @e. */
int cpool_estimate_error_parse(const char *text, struct cpool_estimate_error *ee,
			       struct cpool_error *e);
/* The estimate for @runtime_us, within CPOOL_ESTIMATE_MIN_US..MAX_US unless exact. */
int64_t cpool_estimate_noisy(const struct cpool_estimate_error *ee, int64_t runtime_us,
			     struct cpool_rng *r);

enum cpool_arrival_kind {
	CPOOL_ARRIVAL_POISSON, /* poisson:RATE jobs per second */
	CPOOL_ARRIVAL_FIXED, /* fixed:INTERVAL seconds between jobs */
};

struct cpool_gen_config {
	size_t jobs;
	enum cpool_arrival_kind arrival;
	double rate; /* poisson: jobs/s; fixed: 1 / interval */
	struct cpool_dist runtime; /* seconds */
	struct cpool_dist cpus;
	struct cpool_dist priority; /* integers */
	uint64_t mem; /* bytes per job, 0 = none */
	uint64_t seed;
	struct cpool_estimate_error estimate_error; /* drawn from its own stream of @seed */
};

/* Defaults: poisson 1/s, exp:10 s runtimes, 1 CPU, priority 0, no memory, seed 1. */
void cpool_gen_init(struct cpool_gen_config *cfg);
/* "poisson:RATE" or "fixed:INTERVAL": 0 or -EINVAL with @e. */
int cpool_gen_parse_arrival(const char *text, struct cpool_gen_config *cfg, struct cpool_error *e);

/*
 * The workload: jobs "1".."N", the first submitted at 0, times rounded to
 * the millisecond, runtimes at least 1 ms, estimate = runtime unless
 * @cfg->estimate_error says otherwise.  Returns 0,
 * -EINVAL (a CPU count or priority out of range), -ENOMEM; @trace is then
 * released with cpool_trace_free().
 */
int cpool_gen_trace(const struct cpool_gen_config *cfg, struct cpool_trace *trace);

/* The CSV trace format of job.h: header id,submit,runtime,cpus,mem,priority,estimate. */
int cpool_trace_write_csv(FILE *out, const struct cpool_job *jobs, size_t n);

#endif /* CPOOL_GEN_H */
