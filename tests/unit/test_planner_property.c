// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Thousands of random requests (place, release, grow, shrink) on random
 * machines, every invariant checked after every step:
 *   no CPU in two VSs; reserved CPUs never given; the count asked is the
 *   count given; numa=local on one node; exclusive full-core VSs own whole
 *   cores; mems are the nodes of the CPUs (local, spread) or never a
 *   memory-only node (any); spread shares differ by at most one core; the
 *   free list is exactly what nobody has; a request fails only when it
 *   truly cannot fit; a full-node request gets a whole node; growth keeps
 *   the old CPUs, shrinking keeps a subset; the same run twice gives the
 *   same plans; the memory ledger: per node the VSs' charges add up to what
 *   the planner says is used and never pass the node's memory, each VS's
 *   charges add up to its memory and fall only on its mems.
 * Failures are counted and the first few described, so a broken invariant
 * shows as one failed test with its seed.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "../tap.h"
#include "shared_data.h"
#include "cpool/planner.h"
#include "handmade_topo.h"

#define MAX_VS 48
#define MAX_NODES 256 /* per-node arrays; every topology here has fewer */
#define OPS 40

static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
	/* xorshift64*: fast, and the same sequence on every machine. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return n ? (uint32_t)((rng_state * 2685821657736338717ULL) >> 33) % n : 0;
}

struct vs_rec {
	bool live;
	struct cpool_vs_spec spec;
	struct cpool_vserver vs;
	bool whole;
};

struct counters {
	long places, placed, releases, resizes, checks;
	long placed_memory, refused_memory; /* VSs with a memory size */
};

static int violations;
static struct counters total;

static __attribute__((format(printf, 2, 3))) void violation(uint64_t seed, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (violations++ >= 10)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diag("seed %llu: %s", (unsigned long long)seed, msg);
}

static void node_counts(const struct cpool_topology *t, const struct cpool_cpuset *cpus, int *per)
{
	if (t->nr_nodes > MAX_NODES)
		bail_out("%d NUMA nodes: raise MAX_NODES", t->nr_nodes);
	memset(per, 0, sizeof(int) * (size_t)t->nr_nodes);
	for (int c = cpool_cpuset_first(cpus); c >= 0; c = cpool_cpuset_next(cpus, c))
		per[cpool_topology_node_of_cpu(t, c)]++;
}

static int nodes_used(const struct cpool_topology *t, const struct cpool_cpuset *cpus)
{
	int per[MAX_NODES], n = 0;

	node_counts(t, cpus, per);
	for (int i = 0; i < t->nr_nodes; i++)
		n += per[i] > 0;
	return n;
}

static bool whole_cores(const struct cpool_topology *t, const struct cpool_cpuset *cpus)
{
	for (int c = cpool_cpuset_first(cpus); c >= 0; c = cpool_cpuset_next(cpus, c)) {
		const struct cpool_topo_core *core = &t->cores[cpool_topology_core_of_cpu(t, c)];

		for (int i = core->first_pu; i < core->first_pu + core->nr_pus; i++)
			if (!cpool_cpuset_isset(cpus, t->pus[i].os))
				return false;
	}
	return true;
}

/* Free CPUs per node, counting whole free cores only when @whole. */
static void capacity(const struct cpool_topology *t, const struct cpool_cpuset *free_cpus,
		     bool whole, int *cap)
{
	if (t->nr_nodes > MAX_NODES)
		bail_out("%d NUMA nodes: raise MAX_NODES", t->nr_nodes);
	memset(cap, 0, sizeof(int) * (size_t)t->nr_nodes);
	for (int c = 0; c < t->nr_cores; c++) {
		const struct cpool_topo_core *core = &t->cores[c];
		int n = 0;

		for (int i = core->first_pu; i < core->first_pu + core->nr_pus; i++)
			n += cpool_cpuset_isset(free_cpus, t->pus[i].os);
		cap[core->node] += whole ? (n == core->nr_pus ? n : 0) : n;
	}
}

static void check_state(const struct cpool_topology *t, struct cpool_planner *p,
			const struct vs_rec *v, uint64_t seed)
{
	struct cpool_cpuset used, expect_free, got_free;
	const struct cpool_cpuset *reserved = cpool_planner_reserved(p);

	total.checks++;
	cpool_cpuset_zero(&used);
	for (int i = 0; i < MAX_VS; i++) {
		const struct cpool_cpuset *c = &v[i].vs.cpus;

		if (!v[i].live)
			continue;
		if (cpool_cpuset_intersects(&used, c))
			violation(seed, "vserver %s shares a CPU with another", v[i].vs.name);
		if (cpool_cpuset_intersects(reserved, c))
			violation(seed, "vserver %s has a reserved CPU", v[i].vs.name);
		if (!cpool_cpuset_subset(c, &t->cpus))
			violation(seed, "vserver %s has CPUs the machine lacks", v[i].vs.name);
		if (v[i].spec.numa == CPOOL_NUMA_LOCAL && nodes_used(t, c) != 1)
			violation(seed, "vserver %s is numa=local on %d nodes", v[i].vs.name,
				  nodes_used(t, c));
		if (v[i].whole && !whole_cores(t, c))
			violation(seed, "vserver %s (full-cores) splits a core", v[i].vs.name);
		if (!v[i].spec.mems_explicit) {
			struct cpool_cpuset own;

			cpool_cpuset_zero(&own);
			for (int x = cpool_cpuset_first(c); x >= 0; x = cpool_cpuset_next(c, x))
				cpool_cpuset_set(&own,
						 t->nodes[cpool_topology_node_of_cpu(t, x)].os);
			if (v[i].spec.numa != CPOOL_NUMA_ANY &&
			    !cpool_cpuset_equal(&own, &v[i].vs.mems))
				violation(seed, "vserver %s: mems are not the nodes of its CPUs",
					  v[i].vs.name);
			if (v[i].spec.numa == CPOOL_NUMA_ANY &&
			    !cpool_cpuset_subset(&own, &v[i].vs.mems))
				violation(seed, "vserver %s: numa=any mems lack its own nodes",
					  v[i].vs.name);
			for (int n = 0; n < t->nr_nodes; n++)
				if (!t->nodes[n].nr_cpus &&
				    cpool_cpuset_isset(&v[i].vs.mems, t->nodes[n].os))
					violation(seed,
						  "vserver %s got memory-only node %d unasked",
						  v[i].vs.name, t->nodes[n].os);
		}
		cpool_cpuset_or(&used, &used, c);
	}
	/* The memory ledger. */
	for (int n = 0; n < t->nr_nodes; n++) {
		uint64_t sum = 0, mem = t->nodes[n].memory;

		for (int i = 0; i < MAX_VS; i++)
			if (v[i].live)
				sum += cpool_planner_memory_charged(p, v[i].vs.name, n);
		if (sum > mem)
			violation(seed, "node %d: %llu bytes charged, it has %llu", t->nodes[n].os,
				  (unsigned long long)sum, (unsigned long long)mem);
		if (sum + cpool_planner_memory_free(p, n) != mem)
			violation(seed, "node %d: charges %llu + free %llu != memory %llu",
				  t->nodes[n].os, (unsigned long long)sum,
				  (unsigned long long)cpool_planner_memory_free(p, n),
				  (unsigned long long)mem);
	}
	for (int i = 0; i < MAX_VS; i++) {
		uint64_t sum = 0;

		if (!v[i].live)
			continue;
		for (int n = 0; n < t->nr_nodes; n++) {
			uint64_t c = cpool_planner_memory_charged(p, v[i].vs.name, n);

			sum += c;
			if (c && !cpool_cpuset_isset(&v[i].vs.mems, t->nodes[n].os))
				violation(seed, "vserver %s charged on node %d outside its mems",
					  v[i].vs.name, t->nodes[n].os);
		}
		if (sum != v[i].vs.limits.memory_max)
			violation(seed, "vserver %s: charges add up to %llu, memory is %llu",
				  v[i].vs.name, (unsigned long long)sum,
				  (unsigned long long)v[i].vs.limits.memory_max);
	}
	cpool_cpuset_andnot(&expect_free, &t->cpus, &used);
	cpool_cpuset_andnot(&expect_free, &expect_free, reserved);
	cpool_planner_free_cpus(p, &got_free);
	if (!cpool_cpuset_equal(&expect_free, &got_free))
		violation(seed, "the free list is not what nobody has");
}

static void random_spec(const struct cpool_topology *t, struct cpool_vs_spec *s, int idx)
{
	char name[16];
	int max = t->nr_pus / 3 + 1;

	snprintf(name, sizeof(name), "vs%d", idx);
	cpool_vs_spec_init(s, name);
	s->numa = (enum cpool_numa)rnd(3);
	s->smt = rnd(4) == 0 ? CPOOL_SMT_THREADS : CPOOL_SMT_FULL_CORES;
	s->exclusive = rnd(8) != 0;
	s->cpus = 1 + (int)rnd((uint32_t)max);
	if (s->exclusive && s->smt == CPOOL_SMT_FULL_CORES && t->smt > 1) {
		s->cpus = (s->cpus + t->smt - 1) / t->smt * t->smt;
		if (rnd(20) == 0)
			s->cpus += 1; /* sometimes not whole cores: must be refused */
	}
	if (rnd(3) == 0) {
		/* Up to half the largest node: enough to run some nodes dry. */
		uint64_t most = 0;

		for (int n = 0; n < t->nr_nodes; n++)
			if (t->nodes[n].memory > most)
				most = t->nodes[n].memory;
		s->limits.memory_max = most / 2 / 64 * (1 + rnd(64)) + rnd(4096);
	}
	if (rnd(10) == 0) {
		s->mems_explicit = true;
		cpool_cpuset_zero(&s->mems);
		cpool_cpuset_set(&s->mems, t->nodes[rnd((uint32_t)t->nr_nodes)].os);
		if (rnd(5) == 0)
			cpool_cpuset_set(&s->mems, 99); /* unknown node: must be refused */
	}
	if (rnd(20) == 0) {
		/* An explicit list: a free whole core, so it is valid. */
		int c = (int)rnd((uint32_t)t->nr_cores);
		const struct cpool_topo_core *core = &t->cores[c];

		s->cpus_explicit = true;
		cpool_cpuset_zero(&s->cpu_list);
		for (int i = core->first_pu; i < core->first_pu + core->nr_pus; i++)
			cpool_cpuset_set(&s->cpu_list, t->pus[i].os);
		s->cpus = core->nr_pus;
	}
}

/* One random run; appends every outcome to @log so runs can be compared. */
static void run(const struct cpool_topology *t, uint64_t seed, char *log, size_t loglen)
{
	struct vs_rec *v = calloc(MAX_VS, sizeof(*v));
	struct cpool_planner *p;
	struct cpool_cpuset reserved;
	size_t at = 0;
	struct cpool_error why;
	char buf[1024];
	int r;

	rng_state = seed * 0x9E3779B97F4A7C15ULL + 1;
	log[0] = '\0';
	switch (rnd(3)) {
	case 0:
		r = cpool_planner_new(&p, t, NULL, &why);
		break;
	case 1:
		cpool_cpuset_zero(&reserved);
		r = cpool_planner_new(&p, t, &reserved, &why);
		break;
	default:
		cpool_cpuset_zero(&reserved);
		cpool_cpuset_set(&reserved, t->pus[rnd((uint32_t)t->nr_pus)].os);
		r = cpool_planner_new(&p, t, &reserved, &why);
		break;
	}
	if (r)
		bail_out("cpool_planner_new: %s", why.msg);
	for (int op = 0; op < OPS; op++) {
		int i = (int)rnd(MAX_VS), kind = (int)rnd(20);
		struct vs_rec *x = &v[i];

		if (!x->live && kind < 17) {
			struct cpool_cpuset free_cpus;
			enum cpool_fit fit = (enum cpool_fit)rnd(CPOOL_FIT__COUNT);
			int cap[MAX_NODES], best = 0, sum = 0, nsize = -1;
			bool uniform = true, full_free = false;

			cpool_planner_free_cpus(p, &free_cpus);
			random_spec(t, &x->spec, i);
			x->whole = x->spec.exclusive && x->spec.smt == CPOOL_SMT_FULL_CORES;
			capacity(t, &free_cpus, x->whole, cap);
			for (int n = 0; n < t->nr_nodes; n++) {
				if (!t->nodes[n].nr_cpus)
					continue;
				if (cap[n] > best)
					best = cap[n];
				sum += cap[n];
				if (nsize >= 0 && nsize != t->nodes[n].nr_cpus)
					uniform = false;
				nsize = t->nodes[n].nr_cpus;
				if (cap[n] == t->nodes[n].nr_cpus)
					full_free = true;
			}
			total.places++;
			r = cpool_planner_place(p, &x->spec, fit, &x->vs, &why);
			at += (size_t)snprintf(log + at, at < loglen ? loglen - at : 0, "P%d:%d;",
					       i, r);
			if (r == 0) {
				int per[MAX_NODES], lo = 1 << 30, hi = 0;

				total.placed++;
				total.placed_memory += x->spec.limits.memory_max != 0;
				x->live = true;
				cpool_cpuset_format(&x->vs.cpus, buf, sizeof(buf));
				at += (size_t)snprintf(log + at, at < loglen ? loglen - at : 0,
						       "%s;", buf);
				if (cpool_cpuset_count(&x->vs.cpus) != x->spec.cpus)
					violation(seed, "%s asked %d CPUs, got %d", x->vs.name,
						  x->spec.cpus, cpool_cpuset_count(&x->vs.cpus));
				if (x->spec.cpus_explicit &&
				    !cpool_cpuset_equal(&x->vs.cpus, &x->spec.cpu_list))
					violation(seed, "%s: explicit list not honoured",
						  x->vs.name);
				if (x->spec.numa == CPOOL_NUMA_SPREAD && !x->spec.cpus_explicit) {
					node_counts(t, &x->vs.cpus, per);
					for (int n = 0; n < t->nr_nodes; n++)
						if (per[n]) {
							lo = per[n] < lo ? per[n] : lo;
							hi = per[n] > hi ? per[n] : hi;
						}
					if (hi - lo > (x->whole ? t->smt : 1))
						violation(seed,
							  "%s: spread shares %d..%d are uneven",
							  x->vs.name, lo, hi);
				}
				if (uniform && full_free && !x->spec.mems_explicit &&
				    !x->spec.cpus_explicit && x->spec.numa != CPOOL_NUMA_SPREAD &&
				    x->spec.cpus == nsize) {
					int n = cpool_topology_node_of_cpu(
						t, cpool_cpuset_first(&x->vs.cpus));

					if (!cpool_cpuset_equal(&x->vs.cpus, &t->nodes[n].cpus))
						violation(
							seed,
							"%s: a full-node request got a partial node",
							x->vs.name);
				}
			} else if (r == -ENOSPC && !x->spec.mems_explicit &&
				   !x->spec.cpus_explicit && !x->spec.limits.memory_max &&
				   t->smt == t->nodes[t->cores[0].node].smt) {
				/* Refused: it must truly not fit. */
				if (x->spec.numa == CPOOL_NUMA_LOCAL && best >= x->spec.cpus)
					violation(seed,
						  "%s: local %d refused though a node has %d free",
						  x->vs.name, x->spec.cpus, best);
				if (x->spec.numa == CPOOL_NUMA_ANY && sum >= x->spec.cpus)
					violation(seed,
						  "%s: any %d refused though %d are free (%s)",
						  x->vs.name, x->spec.cpus, sum, why.msg);
			} else if (r == -EINVAL) {
				bool bad_mems = x->spec.mems_explicit &&
						cpool_cpuset_isset(&x->spec.mems, 99);
				bool odd = x->whole && t->smt > 1 && x->spec.cpus % t->smt &&
					   !x->spec.cpus_explicit;

				if (!bad_mems && !odd)
					violation(seed, "%s: refused as invalid: %s", x->vs.name,
						  why.msg);
			} else if (r != -ENOSPC && r != -EBUSY) {
				violation(seed, "%s: unexpected error %d: %s", x->vs.name, r,
					  why.msg);
			}
			if (r && strstr(why.msg, " free there"))
				total.refused_memory++;
			if (r == -EBUSY && !x->spec.cpus_explicit)
				violation(seed, "%s: -EBUSY without an explicit list", x->vs.name);
		} else if (x->live && kind < 6) {
			total.releases++;
			if (cpool_planner_release(p, x->vs.name))
				violation(seed, "release of live %s failed", x->vs.name);
			x->live = false;
			at += (size_t)snprintf(log + at, at < loglen ? loglen - at : 0, "R%d;", i);
		} else if (x->live) {
			struct cpool_vserver old = x->vs, out;
			int gran = x->whole ? t->smt : 1;
			int want = gran * (1 + (int)rnd((uint32_t)(t->nr_pus / 4 / gran + 1)));

			total.resizes++;
			r = cpool_planner_resize(p, x->vs.name, want, &out, &why);
			at += (size_t)snprintf(log + at, at < loglen ? loglen - at : 0,
					       "Z%d:%d:%d;", i, want, r);
			if (r == 0) {
				x->vs = out;
				if (cpool_cpuset_count(&out.cpus) != want)
					violation(seed, "%s resized to %d has %d", out.name, want,
						  cpool_cpuset_count(&out.cpus));
				if (want >= cpool_cpuset_count(&old.cpus) &&
				    !cpool_cpuset_subset(&old.cpus, &out.cpus))
					violation(seed, "%s: growth moved existing CPUs", out.name);
				if (want < cpool_cpuset_count(&old.cpus) &&
				    !cpool_cpuset_subset(&out.cpus, &old.cpus))
					violation(seed, "%s: shrinking took new CPUs", out.name);
			} else {
				const struct cpool_vserver *now = cpool_planner_find(p, x->vs.name);

				if (!now || !cpool_cpuset_equal(&now->cpus, &old.cpus))
					violation(seed, "%s: a failed resize changed the VS",
						  x->vs.name);
				if (r != -ENOSPC)
					violation(seed, "%s: resize error %d: %s", x->vs.name, r,
						  why.msg);
				if (strstr(why.msg, " free there"))
					total.refused_memory++;
			}
		}
		check_state(t, p, v, seed);
	}
	cpool_planner_free(p);
	free(v);
}

static void run_twice(const struct cpool_topology *t, uint64_t seed, int *nondet)
{
	static char a[1 << 16], b[1 << 16];

	run(t, seed, a, sizeof(a));
	run(t, seed, b, sizeof(b));
	if (strcmp(a, b) != 0)
		(*nondet)++;
}

static void random_handmade(struct cpool_topology *t, uint64_t seed)
{
	struct hm_node spec[8];
	int n, smt, pk = 0, in_pk = 0, per_pk;
	bool any_cpus = false;

	rng_state = seed * 0xD1B54A32D192ED03ULL + 7;
	n = 1 + (int)rnd(8);
	smt = (int[]){ 1, 2, 4 }[rnd(3)];
	per_pk = 1 + (int)rnd(3);
	for (int i = 0; i < n; i++) {
		spec[i].cores = rnd(8) == 0 ? 0 : 1 + (int)rnd(12);
		spec[i].smt = smt;
		spec[i].l3 = 1 + (int)rnd(3);
		spec[i].package = pk;
		spec[i].memory = (uint64_t)(1 + rnd(64)) << 30;
		any_cpus = any_cpus || spec[i].cores;
		if (++in_pk == per_pk) {
			pk++;
			in_pk = 0;
		}
	}
	if (!any_cpus)
		spec[0].cores = 2;
	if (handmade_topology(t, spec, n, rnd(2)))
		bail_out("handmade topology for seed %llu", (unsigned long long)seed);
}

int main(void)
{
	const char *no_data, *dir = shared_data_dir("topologies", &no_data);
	static const char *const shared[] = {
		"memorysidecaches.xml",	      "28intel64-2p2g7c-CoDgroups.v1tov2.xml",
		"16amd64-4distances.xml",     "64intel64-fakeKNL-SNC4-hybrid.xml",
		"8ia64-2n2s2c+1n.v1tov2.xml", "16amd64-8n2c-cpusets.xml",
	};
	int nondet = 0, runs = 0;
	struct cpool_topology t;
	struct cpool_error err;

	/* Hand-built machines: uneven nodes, memory-only nodes, interleaved numbering. */
	for (uint64_t seed = 1; seed <= 120; seed++, runs++) {
		random_handmade(&t, seed);
		run_twice(&t, seed, &nondet);
		cpool_topology_free(&t);
	}
	/* hwloc synthetic machines: uniform nodes, so full-node requests are checked. */
	for (uint64_t seed = 1000; seed < 1030; seed++, runs++) {
		char desc[128];

		rng_state = seed;
		snprintf(desc, sizeof(desc), "pack:%u numa:%u l3:%u core:%u pu:%u", 1 + rnd(2),
			 1 + rnd(4), 1 + rnd(2), 1 + rnd(6), (unsigned[]){ 1, 2, 4 }[rnd(3)]);
		if (cpool_topology_load(&t, NULL, desc, &err))
			bail_out("%s", err.msg);
		run_twice(&t, seed, &nondet);
		cpool_topology_free(&t);
	}
	is_int(violations, 0, "no invariant broken on random hand-built and synthetic machines");
	is_int(nondet, 0, "every run repeated gives the same plans");

	if (!dir) {
		skip(2, no_data);
	} else {
		int before = violations, loaded = 0;

		for (size_t i = 0; i < sizeof(shared) / sizeof(shared[0]); i++) {
			char path[8192];

			snprintf(path, sizeof(path), "%s/%s", dir, shared[i]);
			if (cpool_topology_load(&t, path, NULL, &err)) {
				diag("%s", err.msg);
				continue;
			}
			loaded++;
			for (uint64_t seed = 1; seed <= 25; seed++, runs++)
				run_twice(&t, 5000 + seed * 7 + i, &nondet);
			cpool_topology_free(&t);
		}
		is_int(loaded, 6, "all six real topologies loaded");
		is_int(violations - before, 0, "no invariant broken on the real topologies");
	}
	is_int(nondet, 0, "deterministic everywhere");
	ok(total.placed > 1000 && total.releases > 100 && total.resizes > 300,
	   "the runs exercised enough: %ld placements tried, %ld placed, %ld releases, %ld resizes",
	   total.places, total.placed, total.releases, total.resizes);
	ok(total.placed_memory > 300 && total.refused_memory > 30,
	   "the memory ledger was exercised: %ld placed with memory, %ld refused for memory",
	   total.placed_memory, total.refused_memory);
	diag("%d runs, %ld state checks", runs, total.checks);
	done_testing();
	return exit_status();
}
