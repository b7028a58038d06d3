// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#include <errno.h>

#include "../tap.h"
#include "cpool/cgroup.h"

static void test_flat(void)
{
	uint64_t v = 7;

	is_int(cpool_cg_flat_get("a 1\nbb 22\n", "bb", &v), 0, "flat: second key");
	is_int((int64_t)v, 22, "flat: its value");
	is_int(cpool_cg_flat_get("abc 1\n", "ab", &v), -ENOENT, "flat: a prefix is not the key");
	is_int(cpool_cg_flat_get("x 1\n", "y", &v), -ENOENT, "flat: missing key");
	is_int(cpool_cg_flat_get("x -1\n", "x", &v), -EINVAL, "flat: negative refused");
	is_int(cpool_cg_flat_get("x 12z\n", "x", &v), -EINVAL, "flat: trailing garbage refused");
	is_int(cpool_cg_flat_get("x 18446744073709551615", "x", &v), 0,
	       "flat: u64 max, no newline");
	ok(v == UINT64_MAX, "flat: u64 max value");
	is_int(cpool_cg_flat_get("x 18446744073709551616\n", "x", &v), -EINVAL, "flat: overflow");
	is_int(cpool_cg_flat_get("", "x", &v), -ENOENT, "flat: empty text");
}

static void test_events(void)
{
	struct cpool_cg_events ev;

	is_int(cpool_cg_events_parse("populated 1\nfrozen 0\n", &ev), 0, "events: parsed");
	ok(ev.populated && !ev.frozen, "events: populated, not frozen");
	is_int(cpool_cg_events_parse("populated 0\nfrozen 1\n", &ev), 0, "events: frozen empty");
	ok(!ev.populated && ev.frozen, "events: values");
	is_int(cpool_cg_events_parse("populated 1\n", &ev), 0, "events: no frozen key (pre-5.2)");
	ok(!ev.frozen, "events: frozen defaults to 0");
	is_int(cpool_cg_events_parse("frozen 1\n", &ev), -EINVAL,
	       "events: no populated key refused");
	is_int(cpool_cg_events_parse("populated 2\n", &ev), -EINVAL, "events: not a boolean");
}

static void test_cpu_stat(void)
{
	struct cpool_cg_cpu_stat st;
	const char *k61 = "usage_usec 1234\nuser_usec 1000\nsystem_usec 234\n";
	const char *k612 =
		"usage_usec 99\nuser_usec 90\nsystem_usec 9\ncore_sched.force_idle_usec 0\n"
		"nr_periods 10\nnr_throttled 3\nthrottled_usec 4500\nnr_bursts 0\n"
		"burst_usec 0\n";

	is_int(cpool_cg_cpu_stat_parse(k61, &st), 0, "cpu.stat: without cpu.max lines");
	is_int((int64_t)st.usage_usec, 1234, "cpu.stat: usage");
	is_int((int64_t)st.system_usec, 234, "cpu.stat: system");
	is_int((int64_t)st.nr_throttled, 0, "cpu.stat: absent throttling reads 0");
	is_int(cpool_cg_cpu_stat_parse(k612, &st), 0, "cpu.stat: 6.12 layout");
	is_int((int64_t)st.throttled_usec, 4500, "cpu.stat: throttled_usec");
	is_int((int64_t)st.nr_periods, 10, "cpu.stat: nr_periods");
	is_int(cpool_cg_cpu_stat_parse("user_usec 1\n", &st), -EINVAL,
	       "cpu.stat: no usage refused");
}

static void test_memory_events(void)
{
	struct cpool_cg_memory_events ev;

	is_int(cpool_cg_memory_events_parse("low 0\nhigh 5\nmax 7\noom 2\noom_kill 1\n"
					    "oom_group_kill 0\n",
					    &ev),
	       0, "memory.events: parsed");
	is_int((int64_t)ev.high, 5, "memory.events: high");
	is_int((int64_t)ev.max, 7, "memory.events: max");
	is_int((int64_t)ev.oom, 2, "memory.events: oom");
	is_int((int64_t)ev.oom_kill, 1, "memory.events: oom_kill");
	is_int(cpool_cg_memory_events_parse("populated 1\n", &ev), -EINVAL,
	       "memory.events: another file refused");

	uint64_t max = 9;

	is_int(cpool_cg_pids_events_parse("max 3\n", &max), 0, "pids.events: parsed");
	is_int((int64_t)max, 3, "pids.events: max");
	is_int(cpool_cg_pids_events_parse("", &max), -EINVAL, "pids.events: empty refused");
}

static void test_partition(void)
{
	struct cpool_cg_partition_state st;

	is_int(cpool_cg_partition_parse("member\n", &st), 0, "partition: member");
	is_int(st.kind, CPOOL_CG_PART_MEMBER, "partition: member kind");
	ok(!cpool_cg_partition_is_valid_root(&st), "partition: member is no root");
	is_int(cpool_cg_partition_parse("root\n", &st), 0, "partition: root");
	ok(cpool_cg_partition_is_valid_root(&st), "partition: root is valid");
	is_int(cpool_cg_partition_parse("isolated\n", &st), 0, "partition: isolated");
	is_int(st.kind, CPOOL_CG_PART_ISOLATED, "partition: isolated kind");
	is_int(cpool_cg_partition_parse("root invalid\n", &st), 0, "partition: 6.1 invalid");
	is_int(st.kind, CPOOL_CG_PART_ROOT_INVALID, "partition: root invalid kind");
	ok(!cpool_cg_partition_is_valid_root(&st), "partition: invalid is not valid");
	is_str(st.reason, "", "partition: no reason given");
	is_int(cpool_cg_partition_parse("root invalid (Parent is not a partition root)\n", &st), 0,
	       "partition: invalid with reason");
	is_str(st.reason, "Parent is not a partition root", "partition: reason kept");
	is_int(cpool_cg_partition_parse("isolated invalid (Cpu list in cpuset.cpus not exclusive)",
					&st),
	       0, "partition: isolated invalid");
	is_int(st.kind, CPOOL_CG_PART_ISOLATED_INVALID, "partition: isolated invalid kind");
	is_int(cpool_cg_partition_parse("member invalid\n", &st), -EINVAL,
	       "partition: member cannot be invalid");
	is_int(cpool_cg_partition_parse("rooted\n", &st), -EINVAL, "partition: unknown word");
	is_int(cpool_cg_partition_parse("root invalid (unterminated\n", &st), -EINVAL,
	       "partition: unterminated reason");
	is_str(cpool_cg_partition_name(CPOOL_CG_PART_ROOT_INVALID), "root invalid",
	       "partition name");
	ok(cpool_cg_partition_name((enum cpool_cg_partition)99) == NULL,
	   "partition name: out of range");
}

int main(void)
{
	test_flat();
	test_events();
	test_cpu_stat();
	test_memory_events();
	test_partition();
	done_testing();
	return exit_status();
}
