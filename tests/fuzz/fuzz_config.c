// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * libFuzzer target: any byte string given to the pool config parser yields
 * a config or a file:line error, never a crash, leak or hang; a config that
 * parses is then planned on a fixed synthetic machine, so fuzzed specs
 * (huge counts, odd lists, memory sizes) reach the planner too.
 *   make fuzz && build/fuzz/fuzz_config -max_total_time=60 tests/fuzz/corpus/config
 * or, without make (from the checkout; LIBSRC is every userspace/lib C file):
 *   clang -fsanitize=fuzzer,address,undefined -g -O1 -Iinclude -D_GNU_SOURCE \
 *	-o fuzz_config tests/fuzz/fuzz_config.c $LIBSRC \
 *	$(pkg-config --cflags --libs inih hwloc jansson)
 * with LIBSRC=$(ls userspace/lib/[a-z]*.c): a slash-star glob inside this
 * comment would trip -Wcomment.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cpool/config.h"
#include "cpool/planner.h"
#include "cpool/topology.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct cpool_topology topo;
static bool topo_loaded;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cpool_pool_config c;
	struct cpool_planner *p;
	struct cpool_error err;
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (!topo_loaded) {
		if (cpool_topology_load(&topo, NULL, "pack:2 numa:2 l3:2 core:4 pu:2", &err))
			abort();
		topo_loaded = true;
	}
	if (cpool_config_parse_string(&c, text, "fuzz.ini", &err) == 0) {
		if (cpool_planner_new(&p, &topo, c.reserved_set ? &c.reserved : NULL, &err) == 0) {
			struct cpool_vserver *out = calloc((size_t)c.nr_vs + 1, sizeof(*out));
			char(*errs)[256] = calloc((size_t)c.nr_vs + 1, sizeof(*errs));

			if (out && errs)
				cpool_planner_place_all(p, c.vs, c.nr_vs, c.placement, out, errs);
			free(out);
			free(errs);
			cpool_planner_free(p);
		}
		cpool_config_free(&c);
	}
	free(text);
	return 0;
}
