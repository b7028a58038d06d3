// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * libFuzzer target: the path of a vs.create request up to the kernel.  Any
 * request line is parsed as the API parses it; a vs.create's spec is
 * applied by cpoold's own code (pool_spec_apply) and planned on a fixed
 * synthetic machine beside a VS already placed, then released.  Only the
 * cgroup writes that would follow are left out.
 *   make fuzz && build/fuzz/fuzz_cpoold_vs_create -max_total_time=60 \
 *	tests/fuzz/corpus/cpoold_vs_create
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "../../userspace/cpoold/cpoold.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct cpool_topology topo;
static struct cpool_planner *planner;

static void setup(void)
{
	struct cpool_vs_spec first;
	struct cpool_vserver out;
	struct cpool_error err;

	if (cpool_topology_load(&topo, NULL, "pack:2 numa:2 l3:2 core:4 pu:2", &err) ||
	    cpool_planner_new(&planner, &topo, NULL, &err))
		abort();
	cpool_vs_spec_init(&first, "existing");
	first.cpus = 8;
	if (cpool_planner_place(planner, &first, CPOOL_FIT_FIRST, &out, &err))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cpool_request req;
	struct cpool_vs_spec spec;
	struct cpool_vserver out;
	struct cpool_error err;

	if (!planner)
		setup();
	if (cpool_request_parse((const char *)data, size, &req, &err) == 0 &&
	    req.op == CPOOL_OP_VS_CREATE && cpool_vs_name_check(req.u.vs.name) == 0) {
		cpool_vs_spec_init(&spec, req.u.vs.name);
		if (pool_spec_apply(&spec, req.u.vs.spec, &err) == 0 &&
		    cpool_planner_place(planner, &spec, CPOOL_FIT_FIRST, &out, &err) == 0)
			cpool_planner_release(planner, req.u.vs.name);
	}
	cpool_request_free(&req);
	return 0;
}
