/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The partition planner: decides which CPUs and memory nodes each virtual
 * server gets, the way a careful person who knows the machine would.
 *
 * Packing: whole NUMA nodes when the request is at least a node, then whole
 * L3 groups, then whole cores, then single threads (only when the VS
 * allows threads); as few nodes and packages as possible; SMT siblings
 * together.  The fit algorithm (fit.h) chooses among candidate nodes and
 * groups.  Same input, same plan.
 *
 * Pure: works on a struct cpool_topology and its own bookkeeping, never on
 * the system.
 */
#ifndef CPOOL_PLANNER_H
#define CPOOL_PLANNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpool/cpuset.h"
#include "cpool/fit.h"
#include "cpool/topology.h"
#include "cpool/job_limits.h"
#include "cpool/vserver.h"
#include "cpool/error.h"

enum cpool_numa {
	CPOOL_NUMA_ANY, /* "any": as few nodes and packages as possible */
	CPOOL_NUMA_LOCAL, /* "local": every CPU on one node */
	CPOOL_NUMA_SPREAD, /* "spread": an equal share on each node used */
};

enum cpool_smt {
	CPOOL_SMT_FULL_CORES, /* "full-cores": whole cores only */
	CPOOL_SMT_THREADS, /* "threads": single hardware threads allowed */
};

/* What a user asks for; the planner turns it into a struct cpool_vserver. */
struct cpool_vs_spec {
	char name[CPOOL_VS_NAME_MAX + 1];
	int cpus; /* count; with cpus_explicit, the size of cpu_list */
	bool cpus_explicit; /* cpu_list says exactly which CPUs */
	struct cpool_cpuset cpu_list; /* Linux CPU numbers */
	enum cpool_numa numa;
	bool mems_explicit;
	struct cpool_cpuset mems; /* Linux node numbers, with mems_explicit */
	bool exclusive; /* default true */
	enum cpool_smt smt;
	struct cpool_vs_limits limits; /* memory_max is the "memory" key */
	struct cpool_job_limits job; /* what each of its jobs gets (job_limits.h) */
	int line; /* config line of its section, 0 when not from a file */
};

void cpool_vs_spec_init(struct cpool_vs_spec *spec, const char *name);
const char *cpool_numa_name(enum cpool_numa numa);
int cpool_numa_parse(const char *text, enum cpool_numa *numa);
const char *cpool_smt_name(enum cpool_smt smt);
int cpool_smt_parse(const char *text, enum cpool_smt *smt);
/* Every value's name, "a, b, c", for the messages that offer them. */
const char *cpool_numa_names(void);
const char *cpool_smt_names(void);

struct cpool_planner;

/*
 * A planner over @t (which must outlive it).  @reserved: CPUs never given
 * out, or NULL for the default, the first core of the first node with CPUs
 * (cpool_planner_default_reserved).  CPUs of @reserved the machine lacks
 * are an error (-EINVAL, reason in @e).
 */
int cpool_planner_new(struct cpool_planner **out, const struct cpool_topology *t,
		      const struct cpool_cpuset *reserved, struct cpool_error *e);
void cpool_planner_free(struct cpool_planner *p);
void cpool_planner_default_reserved(const struct cpool_topology *t, struct cpool_cpuset *out);
const struct cpool_cpuset *cpool_planner_reserved(const struct cpool_planner *p);

/* Only CPUs in @avail may be given out from now on (the --free of "cpool plan"). */
void cpool_planner_restrict(struct cpool_planner *p, const struct cpool_cpuset *avail);

/*
 * Record a VS that is already placed (the live pool): its CPUs become
 * taken.  -EEXIST for a known name, -EBUSY when a CPU is taken or reserved,
 * -EINVAL for CPUs the machine lacks.
 */
int cpool_planner_adopt(struct cpool_planner *p, const struct cpool_vserver *vs, enum cpool_smt smt,
			struct cpool_error *e);

/*
 * Place one VS.  On success fills @out (name, cpus, mems, exclusive,
 * limits) and returns 0.  On failure returns a negative errno (-ENOSPC
 * when it does not fit, -EINVAL for a spec that can never be met,
 * -EEXIST for a duplicate name) and writes the reason, starting with
 * "vserver NAME: ", to @e.
 */
int cpool_planner_place(struct cpool_planner *p, const struct cpool_vs_spec *spec,
			enum cpool_fit fit, struct cpool_vserver *out, struct cpool_error *e);

/* Give back a VS's CPUs and memory.  -ENOENT when unknown. */
int cpool_planner_release(struct cpool_planner *p, const char *name);

/*
 * Grow or shrink a placed VS in place to @cpus CPUs.  Growth takes the
 * nearest free CPUs (same core, same L3 group, same node, nearest node);
 * shrinking gives back the CPUs farthest from the VS's main node first,
 * whole cores before threads.  numa=local stays on its node.  Updates @out.
 */
int cpool_planner_resize(struct cpool_planner *p, const char *name, int cpus,
			 struct cpool_vserver *out, struct cpool_error *e);

/* The placed VS called @name, or NULL. */
const struct cpool_vserver *cpool_planner_find(const struct cpool_planner *p, const char *name);

/*
 * The memory ledger.  A VS's memory (its limits.memory_max, the "memory"
 * key) is charged to the nodes of its mems by CPU share: each memory node
 * of its mems gets the fraction of the memory that its CPUs there are of
 * all its CPUs on memory nodes of its mems (first-touch allocation puts
 * memory next to the CPU that touches it); when none of its CPUs is on a
 * node of its mems (mems names only, say, an MCDRAM node), evenly across
 * its mems nodes that have memory.  A placement, adoption or resize that
 * would charge a node past its memory fails (-ENOSPC, "vserver db:
 * memory=48G needs 48G on node 1; 32G is free there"); placement prefers
 * nodes with room for both CPUs and memory.  @node is a node index.
 */
uint64_t cpool_planner_memory_free(const struct cpool_planner *p, int node);
/* What VS @name is charged on node index @node; 0 for an unknown VS. */
uint64_t cpool_planner_memory_charged(const struct cpool_planner *p, const char *name, int node);

/* CPUs nobody has and that may be given out. */
void cpool_planner_free_cpus(const struct cpool_planner *p, struct cpool_cpuset *out);

/*
 * Plan many VSs at once (a whole config): explicit CPU lists first, then
 * the largest requests first, ties in the given order.  Every VS is tried;
 * out[i] receives spec i's placement, errs[i] (a caller array of
 * @errlen-byte strings, may be NULL) its reason or "".  Returns the number
 * of VSs that failed.
 */
int cpool_planner_place_all(struct cpool_planner *p, const struct cpool_vs_spec *specs, int n,
			    enum cpool_fit fit, struct cpool_vserver *out, char (*errs)[256]);

#endif /* CPOOL_PLANNER_H */
