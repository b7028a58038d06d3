// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* The simulated pool from a pool file: VSs by CPU count, errors with line and key. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "cpool/sim.h"

struct bad {
	const char *text;
	size_t line;
	const char *key;
};

int main(void)
{
	struct cpool_sim_pool_error e;
	struct cpool_vserver *vs = NULL;
	enum cpool_place pl = CPOOL_PLACE_FIRST_FIT;
	int n = 0;
	const char *good = "; a pool\n"
			   "[pool]\n"
			   "name = lab\n"
			   "reserved_cpus = 0\n"
			   "placement = balanced\n"
			   "\n"
			   "[vserver db]\n"
			   "cpus = 4\n"
			   "memory = 8G\n"
			   "numa = local\n"
			   "exclusive = yes\n"
			   "[vserver web]\n"
			   "cpus = 8-9,12\n";
	static const struct bad bad[] = {
		{ "[vserver a]\ncpus = 2\nflavour = x\n", 3, "flavour" },
		{ "[vserver a]\ncpus = zero\n", 2, "cpus" },
		{ "[vserver a]\ncpus = 0\n", 2, "cpus" },
		{ "[vserver a]\ncpus = 2\ncpus = 3\n", 3, "cpus" },
		{ "[pool]\nplacement = random\n", 2, "placement" },
		{ "[pool]\ncolour = red\n", 2, "colour" },
		{ "[cluster]\nx = 1\n", 2, "cluster" },
		{ "[vserver ..]\ncpus = 1\n", 2, "vserver .." },
		{ "[vserver a]\nmemory = 1G\n", 0, "vserver a" },
		{ "[pool]\nname = p\n", 0, "vserver" },
		{ "[vserver a]\nthis is not ini\n", 2, "syntax" },
	};

	is_int(cpool_sim_pool_parse(good, &vs, &n, &pl, &e), 0, "a pool file reads");
	is_int(n, 2, "two VSs");
	if (n == 2) {
		is_str(vs[0].name, "db", "first VS name");
		is_int(cpool_cpuset_count(&vs[0].cpus), 4, "cpus = 4: four CPUs");
		is_str(vs[1].name, "web", "second VS name");
		is_int(cpool_cpuset_count(&vs[1].cpus), 3, "cpus = 8-9,12: three CPUs");
		ok(cpool_cpuset_isset(&vs[1].cpus, 12), "an explicit list is kept as given");
	}
	is_int(pl, CPOOL_PLACE_BALANCED, "[pool] placement becomes the default placement");
	free(vs);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int ret = cpool_sim_pool_parse(bad[i].text, &vs, &n, &pl, &e);

		ok(ret == -EINVAL && e.line == bad[i].line && strcmp(e.key, bad[i].key) == 0,
		   "bad pool %zu: line %zu key '%s'", i, bad[i].line, bad[i].key);
		if (ret != -EINVAL || e.line != bad[i].line || strcmp(e.key, bad[i].key))
			diag("got %d, line %zu key '%s': %s", ret, e.line, e.key, e.message);
		ok(e.message[0], "bad pool %zu says why: %s", i, e.message);
	}
	is_int(cpool_sim_pool_load("/nonexistent/pool.ini", &vs, &n, &pl, &e), -ENOENT,
	       "missing file: -ENOENT");
	done_testing();
	return exit_status();
}
