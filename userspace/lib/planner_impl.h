/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Internal to planner*.c: the planner's bookkeeping and the steps that
 * placing (planner.c), the memory ledger (planner_memory.c) and resizing
 * (planner_resize.c) share.
 */
#ifndef CPOOL_PLANNER_IMPL_H
#define CPOOL_PLANNER_IMPL_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpool/planner.h"

/* owner[] of a PU that no VS has */
#define PU_FREE (-1)
#define PU_RESERVED (-2)
#define PU_UNAVAILABLE (-3)

/* A VS the planner knows: how it was asked for, as resize must keep to it. */
struct placed {
	struct cpool_vserver vs;
	enum cpool_numa numa;
	enum cpool_smt smt;
	bool mems_explicit;
	bool in_use;
};

/* Node @node is to give @cpus CPUs. */
struct want {
	int node;
	int cpus;
};

struct cpool_planner {
	const struct cpool_topology *t;
	struct cpool_cpuset reserved;
	int *owner; /* per PU index: PU_* or a slot, an index into vs[] */
	int *core_free; /* free PUs per core */
	int *l3_free, *l3_whole; /* free PUs; PUs in wholly free cores */
	int *node_free, *node_whole; /* the same per node */
	struct placed *vs;
	int nr_vs;
	/* The PUs taken for the VS being placed, to undo a failed attempt. */
	int *journal;
	int nr_journal;
	int *node_count; /* per node, for home_node() */
	/*
	 * The memory ledger: bytes charged per node index, and per VS slot
	 * what it was charged (charge_of()), so release and resize give back
	 * exactly what was taken.
	 */
	uint64_t *mem_used;
	uint64_t *charge;
	/*
	 * Scratch, sized for the topology at creation, so no step sizes an
	 * array by the machine on the stack: per node a charge being weighed
	 * and the CPU weights it is split by, the nodes a VS is to use, and a
	 * stack of int arrays that each step takes and gives back on return.
	 */
	uint64_t *new_charge, *weight;
	struct want *wants;
	int *ints;
	size_t ints_top, ints_cap;
};

/* Slot @slot's charge per node index. */
static inline uint64_t *charge_of(const struct cpool_planner *p, int slot)
{
	return &p->charge[(size_t)slot * (size_t)p->t->nr_nodes];
}

/* @n ints of scratch, until scratch_give_back(p, mark) with mark = p->ints_top before. */
static inline int *scratch_take(struct cpool_planner *p, int n)
{
	int *a = p->ints + p->ints_top;

	p->ints_top += (size_t)(n > 0 ? n : 1);
	/* Sized at creation for the deepest chain of steps; see planner_new(). */
	assert(p->ints_top <= p->ints_cap);
	return a;
}

static inline void scratch_give_back(struct cpool_planner *p, size_t mark)
{
	p->ints_top = mark;
}

static inline int cap_of(bool whole, int free_pus, int whole_pus)
{
	return whole ? whole_pus : free_pus;
}

void planner_format_list(const struct cpool_cpuset *s, char *buf, size_t len);
int planner_find_vs(const struct cpool_planner *p, const char *name);

/* PU bookkeeping: take, give back, and undo what the journal recorded. */
void planner_take_pu(struct cpool_planner *p, int pu, int owner);
void planner_give_pu(struct cpool_planner *p, int pu);
void planner_undo(struct cpool_planner *p);

/* Taking CPUs from a core, an L3 group, a node; each returns the PUs still missing. */
int planner_take_core(struct cpool_planner *p, int c, int need, int owner);
int planner_pick_in_group(struct cpool_planner *p, int g, int need, bool whole, int owner);
int planner_pick_in_node(struct cpool_planner *p, int n, int need, bool whole, enum cpool_fit fit,
			 int owner);
int planner_node_cap(const struct cpool_planner *p, int n, bool whole);
void planner_default_mems(const struct cpool_topology *t, enum cpool_numa numa,
			  const struct cpool_cpuset *cpus, struct cpool_cpuset *mems);

/* The memory ledger (planner_memory.c). */
void planner_memory_charge(struct cpool_planner *p, const struct cpool_cpuset *cpus,
			   const struct cpool_cpuset *mems, uint64_t bytes, uint64_t *out);
uint64_t planner_node_memory_free(const struct cpool_planner *p, int n);
int planner_memory_check(const struct cpool_planner *p, int owner, const char *name, uint64_t bytes,
			 const uint64_t *charge, struct cpool_error *e);
void planner_memory_commit(struct cpool_planner *p, int owner, const uint64_t *charge);
int planner_check_memory(const struct cpool_planner *p, const char *name,
			 const struct cpool_cpuset *mems, uint64_t bytes, struct cpool_error *e);
void planner_memory_caps(const struct cpool_planner *p, const struct cpool_vs_spec *s,
			 const int *elig, int ne, const int *caps, int gran, int *mcaps);

#endif /* CPOOL_PLANNER_IMPL_H */
