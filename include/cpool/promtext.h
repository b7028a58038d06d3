/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The Prometheus text exposition format (0.0.4) and OpenMetrics 1.0, written
 * into a memory buffer: what cpoold's /metrics serves and what
 * `cpool metrics --format openmetrics` prints.  Pure: no I/O.
 *
 * The two formats differ here only in a counter's TYPE line (the family
 * name with _total in text 0.0.4, without in OpenMetrics), the content
 * type and OpenMetrics' closing "# EOF".
 */
#ifndef CPOOL_PROMTEXT_H
#define CPOOL_PROMTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cpool_prom {
	char *buf;
	size_t len, cap;
	bool openmetrics;
	int err; /* first error (-ENOMEM); later writes are dropped */
};

struct cpool_prom_label {
	const char *key;
	const char *value; /* escaped on output */
};

enum cpool_prom_type { CPOOL_PROM_COUNTER, CPOOL_PROM_GAUGE, CPOOL_PROM_HISTOGRAM };

void cpool_prom_init(struct cpool_prom *p, bool openmetrics);
void cpool_prom_free(struct cpool_prom *p);

/*
 * HELP and TYPE of a family.  @name is the family name; a counter's samples
 * are written as @name "_total" (cpool_prom_counter()).
 */
void cpool_prom_family(struct cpool_prom *p, const char *name, enum cpool_prom_type type,
		       const char *help);
void cpool_prom_gauge(struct cpool_prom *p, const char *name, const struct cpool_prom_label *l,
		      size_t nl, double v);
void cpool_prom_counter(struct cpool_prom *p, const char *name, const struct cpool_prom_label *l,
			size_t nl, double v);

/*
 * A histogram's samples: @bucket[i] values <= @bounds[i] (not cumulative;
 * this adds them up), @count values in all, @sum their sum.  @bounds
 * ascending, in the family's unit.
 */
void cpool_prom_histogram(struct cpool_prom *p, const char *name, const struct cpool_prom_label *l,
			  size_t nl, const double *bounds, const uint64_t *bucket, size_t nbounds,
			  uint64_t count, double sum);

/*
 * A run-queue histogram of the log-linear layout (cpool_hist_slot(), ns)
 * as seconds, with the buckets merged two to a power of two from 1 us to
 * 17 s: lossless at those edges (each is a bucket edge), 50 % wide.
 */
void cpool_prom_rqlat_histogram(struct cpool_prom *p, const char *name,
				const struct cpool_prom_label *l, size_t nl, const uint64_t *hist,
				uint64_t count, uint64_t sum_ns);

/* Closes the document ("# EOF" in OpenMetrics); returns 0 or p->err. */
int cpool_prom_finish(struct cpool_prom *p);

/* Whether an HTTP Accept header asks for OpenMetrics. */
bool cpool_prom_accepts_openmetrics(const char *accept);
const char *cpool_prom_content_type(bool openmetrics);

/*
 * Job wait and response times (seconds) of ended jobs, as a histogram
 * with fixed buckets from 10 ms to one day.
 */
#define CPOOL_PROM_JOB_BUCKETS 14
extern const double cpool_prom_job_bounds[CPOOL_PROM_JOB_BUCKETS];
struct cpool_prom_seconds {
	uint64_t bucket[CPOOL_PROM_JOB_BUCKETS];
	uint64_t count;
	double sum;
};
void cpool_prom_seconds_observe(struct cpool_prom_seconds *h, double seconds);
void cpool_prom_seconds_histogram(struct cpool_prom *p, const char *name,
				  const struct cpool_prom_label *l, size_t nl,
				  const struct cpool_prom_seconds *h);

#endif /* CPOOL_PROMTEXT_H */
