// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* Kernel-metrics math: differencing snapshots, RUL, histogram quantiles. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cpool/kmetrics.h"

void cpool_kmetrics_snapshot_free(struct cpool_kmetrics_snapshot *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->ncgroups; i++)
		free(s->cgroups[i].path);
	free(s->cpus);
	free(s->cgroups);
	free(s->preempts);
	s->cpus = NULL;
	s->cgroups = NULL;
	s->preempts = NULL;
	s->ncpus = s->ncgroups = s->npreempts = 0;
}

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

static int by_cpu(const void *a, const void *b)
{
	const struct cpool_kmetrics_cpu *x = a, *y = b;

	return x->cpu < y->cpu ? -1 : x->cpu > y->cpu;
}

static int by_cgroup(const void *a, const void *b)
{
	const struct cpool_kmetrics_cgroup *x = a, *y = b;

	return cmp_u64(x->id, y->id);
}

static int by_pair(const void *a, const void *b)
{
	const struct cpool_kmetrics_preempt *x = a, *y = b;

	return x->victim != y->victim ? cmp_u64(x->victim, y->victim) :
					cmp_u64(x->preemptor, y->preemptor);
}

void cpool_kmetrics_snapshot_sort(struct cpool_kmetrics_snapshot *s)
{
	if (s->ncpus)
		qsort(s->cpus, s->ncpus, sizeof(*s->cpus), by_cpu);
	if (s->ncgroups)
		qsort(s->cgroups, s->ncgroups, sizeof(*s->cgroups), by_cgroup);
	if (s->npreempts)
		qsort(s->preempts, s->npreempts, sizeof(*s->preempts), by_pair);
}

/* A counter that went backwards was reset: everything since counts. */
static uint64_t sub(uint64_t cur, uint64_t prev)
{
	return cur >= prev ? cur - prev : cur;
}

static void diff_cgroup(struct cpool_kmetrics_cgroup *o, const struct cpool_kmetrics_cgroup *p,
			const struct cpool_kmetrics_cgroup *c)
{
	o->id = c->id;
	o->run_ns = sub(c->run_ns, p->run_ns);
	o->scheduled = sub(c->scheduled, p->scheduled);
	o->preempted = sub(c->preempted, p->preempted);
	/*
	 * The histogram, its count and sum reset together (one map entry), so
	 * a reset is judged once, on the count, and applied to all three.
	 */
	if (c->rqlat_count >= p->rqlat_count) {
		o->rqlat_count = c->rqlat_count - p->rqlat_count;
		o->rqlat_sum_ns = sub(c->rqlat_sum_ns, p->rqlat_sum_ns);
		for (int i = 0; i < CPOOL_KMETRICS_HIST_SLOTS; i++)
			o->rqlat_hist[i] = sub(c->rqlat_hist[i], p->rqlat_hist[i]);
	} else {
		o->rqlat_count = c->rqlat_count;
		o->rqlat_sum_ns = c->rqlat_sum_ns;
		memcpy(o->rqlat_hist, c->rqlat_hist, sizeof(o->rqlat_hist));
	}
	o->stat.have_cpu_stat = c->stat.have_cpu_stat && p->stat.have_cpu_stat;
	o->stat.usage_usec = sub(c->stat.usage_usec, p->stat.usage_usec);
	o->stat.nr_throttled = sub(c->stat.nr_throttled, p->stat.nr_throttled);
	o->stat.throttled_usec = sub(c->stat.throttled_usec, p->stat.throttled_usec);
	o->stat.have_psi = c->stat.have_psi && p->stat.have_psi;
	o->stat.psi_some_usec = sub(c->stat.psi_some_usec, p->stat.psi_some_usec);
}

int cpool_kmetrics_diff(const struct cpool_kmetrics_snapshot *prev,
			const struct cpool_kmetrics_snapshot *cur,
			struct cpool_kmetrics_snapshot *out)
{
	static const struct cpool_kmetrics_cgroup none_cg;
	size_t i, j;

	memset(out, 0, sizeof(*out));
	out->time_ns = sub(cur->time_ns, prev->time_ns);
	out->degraded = cur->degraded;
	memcpy(out->reason, cur->reason, sizeof(out->reason));
	out->failed_updates = sub(cur->failed_updates, prev->failed_updates);
	out->unmatched_switches = sub(cur->unmatched_switches, prev->unmatched_switches);
	out->arrival_misses = sub(cur->arrival_misses, prev->arrival_misses);
	out->lost_baselines = sub(cur->lost_baselines, prev->lost_baselines);
	out->cpus = calloc(cur->ncpus ? cur->ncpus : 1, sizeof(*out->cpus));
	out->cgroups = calloc(cur->ncgroups ? cur->ncgroups : 1, sizeof(*out->cgroups));
	out->preempts = calloc(cur->npreempts ? cur->npreempts : 1, sizeof(*out->preempts));
	if (!out->cpus || !out->cgroups || !out->preempts)
		goto nomem;

	for (i = 0, j = 0; i < cur->ncpus; i++) {
		const struct cpool_kmetrics_cpu *c = &cur->cpus[i];
		struct cpool_kmetrics_cpu *o = &out->cpus[out->ncpus++];
		struct cpool_kmetrics_cpu zero = { 0 };
		const struct cpool_kmetrics_cpu *p = &zero;

		while (j < prev->ncpus && prev->cpus[j].cpu < c->cpu)
			j++;
		if (j < prev->ncpus && prev->cpus[j].cpu == c->cpu)
			p = &prev->cpus[j];
		o->cpu = c->cpu;
		o->busy_ns = sub(c->busy_ns, p->busy_ns);
		o->idle_ns = sub(c->idle_ns, p->idle_ns);
		o->switches = sub(c->switches, p->switches);
	}

	for (i = 0, j = 0; i < cur->ncgroups; i++) {
		const struct cpool_kmetrics_cgroup *c = &cur->cgroups[i], *p = &none_cg;
		struct cpool_kmetrics_cgroup *o = &out->cgroups[out->ncgroups];

		while (j < prev->ncgroups && prev->cgroups[j].id < c->id)
			j++;
		if (j < prev->ncgroups && prev->cgroups[j].id == c->id)
			p = &prev->cgroups[j];
		diff_cgroup(o, p, c);
		/*
		 * New in the window: BPF counters started at zero, but cpu.stat
		 * and cpu.pressure count since the cgroup was made and have no
		 * baseline here: left out rather than shown as a burst.
		 */
		if (p == &none_cg)
			memset(&o->stat, 0, sizeof(o->stat));
		if (c->path) {
			o->path = strdup(c->path);
			if (!o->path)
				goto nomem;
		}
		out->ncgroups++;
	}

	for (i = 0, j = 0; i < cur->npreempts; i++) {
		const struct cpool_kmetrics_preempt *c = &cur->preempts[i];
		uint64_t before = 0;

		while (j < prev->npreempts && by_pair(&prev->preempts[j], c) < 0)
			j++;
		if (j < prev->npreempts && by_pair(&prev->preempts[j], c) == 0)
			before = prev->preempts[j].count;
		if (sub(c->count, before) == 0)
			continue;
		out->preempts[out->npreempts++] =
			(struct cpool_kmetrics_preempt){ .victim = c->victim,
							 .preemptor = c->preemptor,
							 .count = sub(c->count, before) };
	}
	return 0;

nomem:
	cpool_kmetrics_snapshot_free(out);
	return -ENOMEM;
}

/*
 * The span a reader adds, and why the counters it shows never go back.
 *
 * The program charges a CPU's time at its clocked switches (to or from
 * the idle task, or unmatched): at a switch at s it adds s - L to busy +
 * idle (L: last_switch_ns, the previous clocked switch) and sets L = s.
 * So busy + idle = L - L0 (L0: the CPU's first switch), and a reader whose
 * clock says r shows busy + idle + max(0, r - L) = max(L, r) - L0.  A
 * later reader shows max(L', r') - L0 with L' >= L (the CPU's own clock)
 * and r' >= r (the reader's): never less.  A CPU whose clock runs ahead of
 * the reader's (L > r: skew between CPUs, or a switch after the clock
 * was read) adds nothing rather than a negative span.  Between readings
 * the sum grows by the reader's clock, one second a second per CPU.
 *
 * Busy: the reader reads the clock (r) BEFORE the state (at m >= r).  A
 * busy span open in the state closes at a switch s > m >= r and adds s - L
 * >= r - L, what the reader added; the other way round, a span closing
 * between the state and the clock would have been shown r - s too long.
 * With NO_HZ idle, an idle task's span shows busy = its time since L not
 * in idle spans: closed spans and the open one (start to r) are idle, so
 * what the reader shows busy is fixed by the kernel's span edges, which
 * only ever add busy later (s - e >= the spans after an edge e).
 *
 * Idle can show more than its closing counts, by a bounded amount: from
 * switches, the idle task's span is idle only up to the queueing of the
 * task that ends it, which the reader cannot see (a reading between that
 * wakeup and the switch shows the wait as idle); from NO_HZ spans, the
 * kernel stamps a span's end before the hook stores it (a reading in
 * between shows the span to r).  cpool_kmetrics_cpu_monotonic() holds
 * idle at what was shown until the kernel's count passes it and shows the
 * rest of the sum as busy: both monotonic, and the sum still the
 * reading's.
 */
void cpool_kmetrics_cpu_at(const struct cpool_kmetrics_cpu_state *st, uint64_t now,
			   struct cpool_kmetrics_cpu *out)
{
	uint64_t inflight, open, counted;

	*out = (struct cpool_kmetrics_cpu){ .cpu = st->cpu,
					    .busy_ns = st->busy_ns,
					    .idle_ns = st->idle_ns,
					    .switches = st->switches };
	if (!st->last_switch_ns || now <= st->last_switch_ns)
		return;
	inflight = now - st->last_switch_ns;
	if (!st->idle_task) {
		out->busy_ns += inflight;
	} else if (!st->nohz) {
		out->idle_ns += inflight;
	} else {
		/* The same split the next switch will make. */
		open = st->nohz_idle_start && now > st->nohz_idle_start ?
			       now - st->nohz_idle_start :
			       0;
		counted = open;
		if (st->idle_ns > st->idle_at_switch_in)
			counted += st->idle_ns - st->idle_at_switch_in;
		out->idle_ns += open;
		out->busy_ns += counted < inflight ? inflight - counted : 0;
	}
}

void cpool_kmetrics_cpu_monotonic(struct cpool_kmetrics_cpu *shown, struct cpool_kmetrics_cpu *read)
{
	uint64_t total = read->busy_ns + read->idle_ns;
	uint64_t idle = read->idle_ns > shown->idle_ns ? read->idle_ns : shown->idle_ns;
	uint64_t busy = total > idle ? total - idle : 0;

	read->idle_ns = idle;
	read->busy_ns = busy > shown->busy_ns ? busy : shown->busy_ns;
	if (read->switches < shown->switches)
		read->switches = shown->switches;
	*shown = *read;
}

void cpool_kmetrics_cpu_sum(const struct cpool_kmetrics_snapshot *d,
			    const struct cpool_cpuset *cpus, struct cpool_kmetrics_cpu_sum *sum)
{
	memset(sum, 0, sizeof(*sum));
	for (size_t i = 0; i < d->ncpus; i++) {
		const struct cpool_kmetrics_cpu *c = &d->cpus[i];

		if (cpus && !cpool_cpuset_isset(cpus, c->cpu))
			continue;
		sum->ncpus++;
		sum->busy_ns += c->busy_ns;
		sum->idle_ns += c->idle_ns;
		sum->switches += c->switches;
	}
}

double cpool_kmetrics_rul(const struct cpool_kmetrics_snapshot *d, const struct cpool_cpuset *cpus)
{
	struct cpool_kmetrics_cpu_sum s;
	double total;

	cpool_kmetrics_cpu_sum(d, cpus, &s);
	total = (double)s.busy_ns + (double)s.idle_ns;
	if (total <= 0)
		return NAN;
	return (total - (double)s.idle_ns) / total;
}

double cpool_kmetrics_rate(uint64_t count, uint64_t window_ns)
{
	if (!window_ns)
		return NAN;
	return (double)count * 1e9 / (double)window_ns;
}

uint64_t cpool_kmetrics_hist_lower(int slot)
{
	if (slot <= 0)
		return 0;
	if (slot >= CPOOL_KMETRICS_HIST_SLOTS)
		return UINT64_MAX;
	return cpool_hist_lower((uint32_t)slot);
}

/* Past the end of bucket @slot; the last one, open-ended, is given one more sub-bucket's width. */
static double hist_upper(int slot)
{
	if (slot + 1 < CPOOL_KMETRICS_HIST_SLOTS)
		return (double)cpool_hist_lower((uint32_t)slot + 1);
	return 2.0 * (double)cpool_hist_lower((uint32_t)slot) -
	       (double)cpool_hist_lower((uint32_t)slot - 1);
}

double cpool_kmetrics_hist_quantile(const uint64_t *hist, int slots, double q)
{
	uint64_t total = 0, seen = 0;
	double rank;

	if (slots > CPOOL_KMETRICS_HIST_SLOTS)
		slots = CPOOL_KMETRICS_HIST_SLOTS;
	for (int i = 0; i < slots; i++)
		total += hist[i];
	if (!total || !(q > 0) || q > 1)
		return NAN;
	/* The smallest value v with at least q*total samples <= v. */
	rank = q * (double)total;
	for (int i = 0; i < slots; i++) {
		double lo, hi;

		if (!hist[i])
			continue;
		if ((double)(seen + hist[i]) >= rank) {
			lo = (double)cpool_kmetrics_hist_lower(i);
			hi = hist_upper(i);
			/* Waits are whole ns: a bucket of width 1 holds one value. */
			if (hi - lo <= 1.0)
				return lo;
			return lo + (hi - lo) * (rank - (double)seen) / (double)hist[i];
		}
		seen += hist[i];
	}
	return NAN; /* not reached: rank <= total */
}

double cpool_kmetrics_mean(uint64_t sum, uint64_t count)
{
	return count ? (double)sum / (double)count : NAN;
}

const struct cpool_kmetrics_cgroup *
cpool_kmetrics_find_cgroup(const struct cpool_kmetrics_snapshot *s, uint64_t id)
{
	struct cpool_kmetrics_cgroup key = { .id = id };

	if (!s->ncgroups)
		return NULL;
	return bsearch(&key, s->cgroups, s->ncgroups, sizeof(key), by_cgroup);
}

size_t cpool_kmetrics_top_preemptors(const struct cpool_kmetrics_snapshot *d, uint64_t victim,
				     struct cpool_kmetrics_preempt *out, size_t max)
{
	size_t n = 0;

	if (!max)
		return 0;
	for (size_t i = 0; i < d->npreempts; i++) {
		const struct cpool_kmetrics_preempt *p = &d->preempts[i];
		size_t k;

		if (p->victim != victim || !p->count)
			continue;
		/* Insertion into the short sorted list; preemptors come in id order. */
		for (k = n; k > 0 && out[k - 1].count < p->count; k--)
			if (k < max)
				out[k] = out[k - 1];
		if (k < max) {
			out[k] = *p;
			if (n < max)
				n++;
		}
	}
	return n;
}

/* The value after "key " at the start of a line, or -EINVAL. */
static int keyed_u64(const char *text, const char *key, uint64_t *v)
{
	size_t klen = strlen(key);

	for (const char *line = text; line && *line;
	     line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		char *end;

		if (strncmp(line, key, klen) != 0 || line[klen] != ' ')
			continue;
		errno = 0;
		*v = strtoull(line + klen + 1, &end, 10);
		if (errno || end == line + klen + 1)
			return -EINVAL;
		return 0;
	}
	return -EINVAL;
}

int cpool_kmetrics_parse_cpu_stat(const char *text, struct cpool_kmetrics_cgstat *st)
{
	uint64_t usage, v;

	if (keyed_u64(text, "usage_usec", &usage))
		return -EINVAL;
	st->have_cpu_stat = true;
	st->usage_usec = usage;
	st->nr_throttled = keyed_u64(text, "nr_throttled", &v) ? 0 : v;
	st->throttled_usec = keyed_u64(text, "throttled_usec", &v) ? 0 : v;
	return 0;
}

int cpool_kmetrics_parse_pressure(const char *text, struct cpool_kmetrics_cgstat *st)
{
	for (const char *line = text; line && *line;
	     line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		const char *eol = strchr(line, '\n'), *t;
		unsigned long long v;

		if (strncmp(line, "some ", 5) != 0)
			continue;
		t = strstr(line, "total=");
		if (!t || (eol && t > eol) || sscanf(t, "total=%llu", &v) != 1)
			return -EINVAL;
		st->psi_some_usec = v;
		st->have_psi = true;
		return 0;
	}
	return -EINVAL;
}

int cpool_kmetrics_parse_proc_stat(const char *text, long hz, struct cpool_kmetrics_cpu **cpus)
{
	struct cpool_kmetrics_cpu *out = NULL;
	size_t n = 0, cap = 0;
	uint64_t ns_per_tick;

	*cpus = NULL;
	if (hz <= 0)
		return -EINVAL;
	ns_per_tick = 1000000000ull / (uint64_t)hz;
	for (const char *line = text; line && *line;
	     line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		unsigned long long user, nice, sys, idle, iowait = 0, irq = 0, softirq = 0,
							  steal = 0;
		int cpu, got;

		if (strncmp(line, "cpu", 3) != 0 || line[3] < '0' || line[3] > '9')
			continue;
		got = sscanf(line, "cpu%d %llu %llu %llu %llu %llu %llu %llu %llu", &cpu, &user,
			     &nice, &sys, &idle, &iowait, &irq, &softirq, &steal);
		if (got < 5 || cpu < 0)
			continue;
		if (n == cap) {
			size_t ncap = cap ? 2 * cap : 16;
			struct cpool_kmetrics_cpu *m = realloc(out, ncap * sizeof(*m));

			if (!m) {
				free(out);
				return -ENOMEM;
			}
			out = m;
			cap = ncap;
		}
		/* guest and guest_nice are already inside user and nice. */
		out[n++] = (struct cpool_kmetrics_cpu){
			.cpu = cpu,
			.busy_ns = (user + nice + sys + irq + softirq + steal) * ns_per_tick,
			.idle_ns = (idle + iowait) * ns_per_tick,
		};
	}
	if (!n) {
		free(out);
		return -EINVAL;
	}
	*cpus = out;
	return (int)n;
}
