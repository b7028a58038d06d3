// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* Prometheus text 0.0.4 and OpenMetrics 1.0 writer (see promtext.h). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cpool/bpf_metrics.h"
#include "cpool/promtext.h"

const double cpool_prom_job_bounds[CPOOL_PROM_JOB_BUCKETS] = {
	0.01, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 600, 1800, 3600, 14400, 86400,
};

void cpool_prom_init(struct cpool_prom *p, bool openmetrics)
{
	memset(p, 0, sizeof(*p));
	p->openmetrics = openmetrics;
}

void cpool_prom_free(struct cpool_prom *p)
{
	free(p->buf);
	p->buf = NULL;
	p->len = p->cap = 0;
}

static __attribute__((format(printf, 2, 3))) void put(struct cpool_prom *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->err)
		return;
	for (;;) {
		size_t room = p->cap - p->len;

		va_start(ap, fmt);
		n = vsnprintf(p->buf ? p->buf + p->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			p->err = -EINVAL;
			return;
		}
		if ((size_t)n < room) {
			p->len += (size_t)n;
			return;
		}
		{
			size_t ncap = p->cap ? 2 * p->cap : 4096;
			char *nb;

			while (ncap - p->len <= (size_t)n)
				ncap *= 2;
			nb = realloc(p->buf, ncap);
			if (!nb) {
				p->err = -ENOMEM;
				return;
			}
			p->buf = nb;
			p->cap = ncap;
		}
	}
}

/* Label values escape backslash, double quote and newline; HELP text the first and last. */
static void put_escaped(struct cpool_prom *p, const char *s, bool quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			put(p, "\\\\");
		else if (*s == '\n')
			put(p, "\\n");
		else if (*s == '"' && quote)
			put(p, "\\\"");
		else
			put(p, "%c", *s);
	}
}

void cpool_prom_family(struct cpool_prom *p, const char *name, enum cpool_prom_type type,
		       const char *help)
{
	static const char *const names[] = { "counter", "gauge", "histogram" };
	/* Text 0.0.4 names a counter family by its samples; OpenMetrics without the suffix. */
	const char *suffix = type == CPOOL_PROM_COUNTER && !p->openmetrics ? "_total" : "";

	put(p, "# HELP %s%s ", name, suffix);
	put_escaped(p, help, false);
	put(p, "\n# TYPE %s%s %s\n", name, suffix, names[type]);
}

static void put_value(struct cpool_prom *p, double v)
{
	if (isnan(v))
		put(p, "NaN\n");
	else if (isinf(v))
		put(p, v > 0 ? "+Inf\n" : "-Inf\n");
	else if (v == floor(v) && fabs(v) < 1e15)
		put(p, "%.0f\n", v);
	else
		put(p, "%.17g\n", v);
}

static void put_sample(struct cpool_prom *p, const char *name, const char *suffix,
		       const struct cpool_prom_label *l, size_t nl, const char *le, double v)
{
	put(p, "%s%s", name, suffix);
	if (nl || le) {
		put(p, "{");
		for (size_t i = 0; i < nl; i++) {
			put(p, "%s%s=\"", i ? "," : "", l[i].key);
			put_escaped(p, l[i].value, true);
			put(p, "\"");
		}
		if (le)
			put(p, "%sle=\"%s\"", nl ? "," : "", le);
		put(p, "}");
	}
	put(p, " ");
	put_value(p, v);
}

void cpool_prom_gauge(struct cpool_prom *p, const char *name, const struct cpool_prom_label *l,
		      size_t nl, double v)
{
	put_sample(p, name, "", l, nl, NULL, v);
}

void cpool_prom_counter(struct cpool_prom *p, const char *name, const struct cpool_prom_label *l,
			size_t nl, double v)
{
	put_sample(p, name, "_total", l, nl, NULL, v);
}

void cpool_prom_histogram(struct cpool_prom *p, const char *name, const struct cpool_prom_label *l,
			  size_t nl, const double *bounds, const uint64_t *bucket, size_t nbounds,
			  uint64_t count, double sum)
{
	uint64_t cum = 0;
	char le[32];

	for (size_t i = 0; i < nbounds; i++) {
		cum += bucket[i];
		/* OpenMetrics wants a float in le: %g of a whole number has no dot. */
		snprintf(le, sizeof(le), "%.12g", bounds[i]);
		if (!strpbrk(le, ".e"))
			strcat(le, ".0");
		put_sample(p, name, "_bucket", l, nl, le, (double)cum);
	}
	put_sample(p, name, "_bucket", l, nl, "+Inf", (double)count);
	put_sample(p, name, "_count", l, nl, NULL, (double)count);
	put_sample(p, name, "_sum", l, nl, NULL, sum);
}

/* Exported edges: the log-linear bucket edges 4 * 2^k and 6 * 2^k ns, from 1 us to 17 s. */
#define RQ_EXPORT_MIN_LOG2 10
#define RQ_EXPORT_MAX_LOG2 34
#define RQ_EXPORT_EDGES (2 * (RQ_EXPORT_MAX_LOG2 - RQ_EXPORT_MIN_LOG2) + 1)

void cpool_prom_rqlat_histogram(struct cpool_prom *p, const char *name,
				const struct cpool_prom_label *l, size_t nl, const uint64_t *hist,
				uint64_t count, uint64_t sum_ns)
{
	double bounds[RQ_EXPORT_EDGES];
	uint64_t bucket[RQ_EXPORT_EDGES] = { 0 };
	uint64_t edge_ns[RQ_EXPORT_EDGES];
	size_t n = 0, e = 0;

	for (int k = RQ_EXPORT_MIN_LOG2; k <= RQ_EXPORT_MAX_LOG2 && n < RQ_EXPORT_EDGES; k++) {
		edge_ns[n++] = 1ULL << k;
		if (k < RQ_EXPORT_MAX_LOG2)
			edge_ns[n++] = 3ULL << (k - 1);
	}
	/* le is inclusive, a bucket's upper end exclusive: value v goes under the first edge > v. */
	for (uint32_t s = 0; s < CPOOL_BPF_HIST_SLOTS; s++) {
		uint64_t end = s + 1 < CPOOL_BPF_HIST_SLOTS ? cpool_hist_lower(s + 1) : UINT64_MAX;

		while (e < n && edge_ns[e] < end)
			e++;
		if (e < n)
			bucket[e] += hist[s];
	}
	for (size_t i = 0; i < n; i++)
		bounds[i] = (double)edge_ns[i] / 1e9;
	cpool_prom_histogram(p, name, l, nl, bounds, bucket, n, count, (double)sum_ns / 1e9);
}

int cpool_prom_finish(struct cpool_prom *p)
{
	if (p->openmetrics)
		put(p, "# EOF\n");
	else
		put(p, "%s", ""); /* an empty document is still a buffer */
	return p->err;
}

bool cpool_prom_accepts_openmetrics(const char *accept)
{
	return accept && strcasestr(accept, "application/openmetrics-text");
}

const char *cpool_prom_content_type(bool openmetrics)
{
	return openmetrics ? "application/openmetrics-text; version=1.0.0; charset=utf-8" :
			     "text/plain; version=0.0.4; charset=utf-8";
}

void cpool_prom_seconds_observe(struct cpool_prom_seconds *h, double seconds)
{
	size_t i = 0;

	if (!(seconds >= 0))
		seconds = 0;
	while (i < CPOOL_PROM_JOB_BUCKETS && seconds > cpool_prom_job_bounds[i])
		i++;
	if (i < CPOOL_PROM_JOB_BUCKETS)
		h->bucket[i]++;
	h->count++;
	h->sum += seconds;
}

void cpool_prom_seconds_histogram(struct cpool_prom *p, const char *name,
				  const struct cpool_prom_label *l, size_t nl,
				  const struct cpool_prom_seconds *h)
{
	cpool_prom_histogram(p, name, l, nl, cpool_prom_job_bounds, h->bucket,
			     CPOOL_PROM_JOB_BUCKETS, h->count, h->sum);
}
