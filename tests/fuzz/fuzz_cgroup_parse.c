// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * libFuzzer target: the parsers of cgroup files (cgroup.events,
 * cpu.stat, memory.events, pids.events, cpuset.cpus.partition, the flat
 * "key value" files and CPU lists such as cpuset.cpus.effective) take any
 * text a kernel, or a process that delegated cgroups let write there, could
 * leave, and answer a value or an error, never a crash.
 *   make fuzz && build/fuzz/fuzz_cgroup_parse -max_total_time=60 tests/fuzz/corpus/cgroup_parse
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cpool/cgroup.h"
#include "cpool/cpuset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = { "usage_usec", "max", "populated", "oom_kill", "" };
	struct cpool_cg_events ev;
	struct cpool_cg_cpu_stat cpu;
	struct cpool_cg_memory_events mem;
	struct cpool_cg_partition_state part;
	struct cpool_cpuset set;
	char *text = malloc(size + 1), out[512];
	const char *bad;
	uint64_t v;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		cpool_cg_flat_get(text, keys[i], &v);
	cpool_cg_events_parse(text, &ev);
	cpool_cg_cpu_stat_parse(text, &cpu);
	cpool_cg_memory_events_parse(text, &mem);
	cpool_cg_pids_events_parse(text, &v);
	if (cpool_cg_partition_parse(text, &part) == 0)
		cpool_cg_partition_is_valid_root(&part);
	if (cpool_cpuset_parse(&set, text, &bad) == 0)
		cpool_cpuset_format(&set, out, sizeof(out));
	free(text);
	return 0;
}
