// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The workload generator.  xoshiro256** (Blackman and Vigna) for its
 * period and speed, seeded through splitmix64 so that close seeds (1, 2,
 * 3) give unrelated streams.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cpool/error.h"
#include "cpool/cpuset.h"
#include "cpool/gen.h"

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void cpool_rng_seed(struct cpool_rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t cpool_rng_next(struct cpool_rng *r)
{
	uint64_t *s = r->s, result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

double cpool_rng_uniform(struct cpool_rng *r)
{
	return (double)(cpool_rng_next(r) >> 11) * 0x1.0p-53;
}

double cpool_rng_normal(struct cpool_rng *r)
{
	/* 1 - u is in (0, 1]: log never sees 0. */
	double u1 = 1.0 - cpool_rng_uniform(r), u2 = cpool_rng_uniform(r);

	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

/* A whole-text number; for @integer a whole number too. */
static int number(const char *text, int integer, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(text, &end);
	if (errno || end == text || *end || !isfinite(*v))
		return -EINVAL;
	if (integer && *v != floor(*v))
		return -EINVAL;
	return 0;
}

int cpool_dist_parse(const char *text, int integer, struct cpool_dist *d, struct cpool_error *e)
{
	const char *colon = strchr(text, ':'), *p;
	char buf[512], *dash;
	size_t klen;

	memset(d, 0, sizeof(*d));
	d->integer = integer;
	if (!colon)
		return cpool_error_set(e, -EINVAL, "\'%s\': %s", text, "expected KIND:PARAMETERS");
	klen = (size_t)(colon - text);
	p = colon + 1;
	if (strlen(p) >= sizeof(buf))
		return cpool_error_set(e, -EINVAL, "\'%s\': %s", text, "too long");
	strcpy(buf, p);
	if (klen == 5 && strncmp(text, "fixed", 5) == 0) {
		d->kind = CPOOL_DIST_FIXED;
		if (number(buf, integer, &d->a) || d->a < 0)
			return cpool_error_set(e, -EINVAL, "\'%s\': %s", text,
					       integer ? "fixed:N needs a whole number >= 0" :
							 "fixed:V needs a number >= 0");
	} else if (!integer && klen == 3 && strncmp(text, "exp", 3) == 0) {
		d->kind = CPOOL_DIST_EXP;
		if (number(buf, 0, &d->a) || d->a <= 0)
			return cpool_error_set(e, -EINVAL, "\'%s\': %s", text,
					       "exp:MEAN needs a mean > 0");
	} else if (!integer && klen == 9 && strncmp(text, "lognormal", 9) == 0) {
		char *comma = strchr(buf, ',');

		d->kind = CPOOL_DIST_LOGNORMAL;
		if (!comma)
			return cpool_error_set(e, -EINVAL, "\'%s\': %s", text,
					       "lognormal:MU,SIGMA needs two numbers");
		*comma = '\0';
		if (number(buf, 0, &d->a) || number(comma + 1, 0, &d->b) || d->b < 0 || d->a > 20)
			return cpool_error_set(e, -EINVAL, "\'%s\': %s", text,
					       "lognormal:MU,SIGMA needs MU <= 20 and SIGMA >= 0");
	} else if (klen == 7 && strncmp(text, "uniform", 7) == 0) {
		/* A '-' after the first character: "-1-3" is -1..3 for priorities. */
		d->kind = CPOOL_DIST_UNIFORM;
		dash = buf[0] ? strchr(buf + 1, '-') : NULL;
		if (!dash)
			return cpool_error_set(e, -EINVAL, "\'%s\': %s", text,
					       "uniform:A-B needs two numbers");
		*dash = '\0';
		if (number(buf, integer, &d->a) || number(dash + 1, integer, &d->b) ||
		    d->b < d->a || (!integer && d->a < 0))
			return cpool_error_set(e, -EINVAL, "\'%s\': %s", text,
					       integer ? "uniform:A-B needs whole numbers A <= B" :
							 "uniform:A-B needs numbers 0 <= A <= B");
	} else if (klen == 6 && strncmp(text, "choice", 6) == 0) {
		char *save = NULL;

		d->kind = CPOOL_DIST_CHOICE;
		for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			if (d->n_choices == CPOOL_DIST_MAX_CHOICES)
				return cpool_error_set(e, -EINVAL, "\'%s\': %s", text,
						       "at most 32 choices");
			if (number(tok, integer, &d->choice[d->n_choices]) ||
			    (!integer && d->choice[d->n_choices] < 0))
				return cpool_error_set(
					e, -EINVAL, "\'%s\': %s", text,
					integer ? "choice:V,V,... needs whole numbers" :
						  "choice:V,V,... needs numbers >= 0");
			d->n_choices++;
		}
		if (!d->n_choices)
			return cpool_error_set(e, -EINVAL, "\'%s\': %s", text,
					       "choice: needs at least one value");
	} else {
		return cpool_error_set(
			e, -EINVAL, "\'%s\': %s", text,
			integer ?
				"known: fixed:N, uniform:A-B, choice:A,B,..." :
				"known: fixed:S, exp:MEAN, lognormal:MU,SIGMA, uniform:A-B, choice:A,B,...");
	}
	return 0;
}

double cpool_dist_sample(const struct cpool_dist *d, struct cpool_rng *r)
{
	switch (d->kind) {
	case CPOOL_DIST_FIXED:
		return d->a;
	case CPOOL_DIST_EXP:
		return -d->a * log(1.0 - cpool_rng_uniform(r));
	case CPOOL_DIST_LOGNORMAL:
		return exp(d->a + d->b * cpool_rng_normal(r));
	case CPOOL_DIST_UNIFORM:
		if (d->integer)
			return d->a + (double)(cpool_rng_next(r) % (uint64_t)(d->b - d->a + 1));
		return d->a + (d->b - d->a) * cpool_rng_uniform(r);
	case CPOOL_DIST_CHOICE:
		return d->choice[cpool_rng_next(r) % (uint64_t)d->n_choices];
	}
	return 0;
}

int cpool_estimate_error_parse(const char *text, struct cpool_estimate_error *ee,
			       struct cpool_error *e)
{
	double v;

	memset(ee, 0, sizeof(*ee));
	if (strncmp(text, "lognormal:", 10) == 0) {
		if (number(text + 10, 0, &v) || v <= 0 || v > CPOOL_ESTIMATE_SIGMA_MAX)
			return cpool_error_set(e, -EINVAL, "\'%s\': %s", text,
					       "lognormal:SIGMA needs 0 < SIGMA <= 3");
		ee->kind = CPOOL_ESTIMATE_LOGNORMAL;
	} else if (strncmp(text, "over:", 5) == 0) {
		if (number(text + 5, 0, &v) || v < 1 || v > CPOOL_ESTIMATE_FACTOR_MAX)
			return cpool_error_set(e, -EINVAL, "\'%s\': %s", text,
					       "over:FACTOR needs 1 <= FACTOR <= 100");
		ee->kind = CPOOL_ESTIMATE_OVER;
	} else {
		return cpool_error_set(e, -EINVAL, "\'%s\': %s", text,
				       "expected lognormal:SIGMA or over:FACTOR");
	}
	ee->param = v;
	return 0;
}

int64_t cpool_estimate_noisy(const struct cpool_estimate_error *ee, int64_t runtime_us,
			     struct cpool_rng *r)
{
	double us;

	switch (ee->kind) {
	case CPOOL_ESTIMATE_LOGNORMAL:
		us = (double)runtime_us * exp(ee->param * cpool_rng_normal(r));
		break;
	case CPOOL_ESTIMATE_OVER:
		us = (double)runtime_us * ee->param;
		break;
	default:
		return runtime_us;
	}
	/* Whole milliseconds, like every time the generator writes. */
	us = fmin(fmax(us, (double)CPOOL_ESTIMATE_MIN_US), (double)CPOOL_ESTIMATE_MAX_US);
	return (int64_t)llround(us / 1000.0) * 1000;
}

void cpool_gen_init(struct cpool_gen_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->jobs = 10;
	cfg->arrival = CPOOL_ARRIVAL_POISSON;
	cfg->rate = 1;
	cfg->runtime.kind = CPOOL_DIST_EXP;
	cfg->runtime.a = 10;
	cfg->cpus.kind = CPOOL_DIST_FIXED;
	cfg->cpus.a = 1;
	cfg->cpus.integer = 1;
	cfg->priority.kind = CPOOL_DIST_FIXED;
	cfg->priority.integer = 1;
	cfg->seed = 1;
}

int cpool_gen_parse_arrival(const char *text, struct cpool_gen_config *cfg, struct cpool_error *e)
{
	double v;

	if (strncmp(text, "poisson:", 8) == 0 && !number(text + 8, 0, &v) && v > 0 && v < 1e6) {
		cfg->arrival = CPOOL_ARRIVAL_POISSON;
		cfg->rate = v;
		return 0;
	}
	if (strncmp(text, "fixed:", 6) == 0 && !number(text + 6, 0, &v) && v > 0 && v < 1e9) {
		cfg->arrival = CPOOL_ARRIVAL_FIXED;
		cfg->rate = 1.0 / v;
		return 0;
	}
	return cpool_error_set(
		e, -EINVAL, "\'%s\': %s", text,
		"expected poisson:RATE (jobs per second > 0) or fixed:INTERVAL (seconds > 0)");
}

static int64_t ms_to_us(double seconds)
{
	return (int64_t)llround(seconds * 1000.0) * 1000;
}

int cpool_gen_trace(const struct cpool_gen_config *cfg, struct cpool_trace *trace)
{
	struct cpool_rng r, noise;
	double t = 0;
	int ret;

	memset(trace, 0, sizeof(*trace));
	cpool_rng_seed(&r, cfg->seed);
	/*
	 * The estimate noise has a stream of its own, so that adding it leaves
	 * the arrivals, runtimes and CPU counts of a seed as they were.
	 */
	cpool_rng_seed(&noise, cfg->seed ^ 0x6573746e6f697365ULL);
	for (size_t i = 0; i < cfg->jobs; i++) {
		struct cpool_job job;
		double rt, cpus, prio;

		memset(&job, 0, sizeof(job));
		/* Draw in a fixed order so that one knob does not shift the others' streams. */
		if (i > 0)
			t += cfg->arrival == CPOOL_ARRIVAL_POISSON ?
				     -log(1.0 - cpool_rng_uniform(&r)) / cfg->rate :
				     1.0 / cfg->rate;
		rt = cpool_dist_sample(&cfg->runtime, &r);
		cpus = cpool_dist_sample(&cfg->cpus, &r);
		prio = cpool_dist_sample(&cfg->priority, &r);
		if (cpus < 1 || cpus > CPOOL_MAX_CPUS || prio < -1000000 || prio > 1000000) {
			cpool_trace_free(trace);
			return -EINVAL;
		}
		snprintf(job.id, sizeof(job.id), "%zu", i + 1);
		job.submit_us = ms_to_us(t);
		job.runtime_us = ms_to_us(fmin(rt, 1e9));
		if (job.runtime_us < 1000)
			job.runtime_us = 1000;
		job.estimate_us =
			cpool_estimate_noisy(&cfg->estimate_error, job.runtime_us, &noise);
		job.cpus = (int)cpus;
		job.priority = (int)prio;
		job.mem = cfg->mem;
		ret = cpool_trace_append(trace, &job);
		if (ret) {
			cpool_trace_free(trace);
			return ret;
		}
	}
	return 0;
}

/* Seconds with as many decimals as the microseconds need. */
static void put_seconds(FILE *out, int64_t us)
{
	char buf[48], *e;

	snprintf(buf, sizeof(buf), "%s%lld.%06lld", us < 0 ? "-" : "", llabs(us) / 1000000LL,
		 llabs(us) % 1000000LL);
	e = buf + strlen(buf) - 1;
	while (*e == '0')
		*e-- = '\0';
	if (*e == '.')
		*e = '\0';
	fputs(buf, out);
}

int cpool_trace_write_csv(FILE *out, const struct cpool_job *jobs, size_t n)
{
	fputs("id,submit,runtime,cpus,mem,priority,estimate\n", out);
	for (size_t i = 0; i < n; i++) {
		fprintf(out, "%s,", jobs[i].id);
		put_seconds(out, jobs[i].submit_us);
		fputc(',', out);
		put_seconds(out, jobs[i].runtime_us);
		fprintf(out, ",%d,%" PRIu64 ",%d,", jobs[i].cpus, jobs[i].mem, jobs[i].priority);
		put_seconds(out, jobs[i].estimate_us);
		fputc('\n', out);
	}
	return ferror(out) ? -EIO : 0;
}
