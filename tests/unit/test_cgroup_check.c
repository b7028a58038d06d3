// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#include <errno.h>
#include <linux/magic.h>

#include "../tap.h"
#include "cpool/cgroup.h"

static struct cpool_cpuset machine_cpus, machine_mems;

static struct cpool_vserver vs(const char *name, const char *cpus, const char *mems, bool excl)
{
	struct cpool_vserver v;

	memset(&v, 0, sizeof(v));
	snprintf(v.name, sizeof(v.name), "%s", name);
	cpool_cpuset_parse(&v.cpus, cpus, NULL);
	cpool_cpuset_parse(&v.mems, mems, NULL);
	v.exclusive = excl;
	return v;
}

static int check(const struct cpool_vserver *v, const struct cpool_vserver *others, int n,
		 char *why)
{
	struct cpool_error e = { 0 };
	int r = cpool_cg_vs_check(v, &machine_cpus, &machine_mems, others, n, &e);

	snprintf(why, 256, "%.255s", e.msg);
	return r;
}

static void test_check(void)
{
	struct cpool_vserver a = vs("a", "0-3", "0", false);
	struct cpool_vserver others[2] = { vs("b", "4-5", "1", true), vs("c", "6-7", "1", false) };
	char why[256];

	is_int(check(&a, others, 2, why), 0, "valid VS accepted");

	a = vs("a", "0-3", "0", false);
	snprintf(a.name, sizeof(a.name), "a/b");
	is_int(check(&a, NULL, 0, why), -EINVAL, "name with / refused");
	ok(strstr(why, "a/b") != NULL, "the reason names it: %s", why);
	snprintf(a.name, sizeof(a.name), "..");
	is_int(check(&a, NULL, 0, why), -EINVAL, "name .. refused");
	snprintf(a.name, sizeof(a.name), "%s", "");
	is_int(check(&a, NULL, 0, why), -EINVAL, "empty name refused");

	a = vs("a", "6-9", "0", false);
	is_int(check(&a, NULL, 0, why), -EINVAL, "cpus outside the machine refused");
	ok(strstr(why, "cpus 8-9 not on this machine") != NULL, "reason lists them: %s", why);
	a = vs("a", "", "0", false);
	is_int(check(&a, NULL, 0, why), -EINVAL, "empty cpus refused");
	a = vs("a", "0", "2", false);
	is_int(check(&a, NULL, 0, why), -EINVAL, "mems outside the machine refused");
	ok(strstr(why, "mems 2") != NULL, "reason: %s", why);

	a = vs("a", "0", "0", false);
	a.limits.memory_max = 1;
	is_int(check(&a, NULL, 0, why), -EINVAL, "a (near-)zero memory.max refused");
	ok(strstr(why, "memory.max") != NULL, "reason: %s", why);
	a.limits.memory_max = CPOOL_CG_MEMORY_FLOOR;
	is_int(check(&a, NULL, 0, why), 0, "memory.max at the floor accepted");
	a.limits.memory_high = 4096;
	is_int(check(&a, NULL, 0, why), -EINVAL, "tiny memory.high refused");
	a.limits.memory_high = 0;
	a.limits.memory_min = CPOOL_CG_MEMORY_FLOOR * 2;
	is_int(check(&a, NULL, 0, why), -EINVAL, "memory.min above memory.max refused");
	a.limits.memory_min = 0;
	a.limits.cpu_weight = 10001;
	is_int(check(&a, NULL, 0, why), -EINVAL, "cpu.weight 10001 refused");
	a.limits.cpu_weight = 10000;
	is_int(check(&a, NULL, 0, why), 0, "cpu.weight 10000 accepted");
	a.limits.cpu_max_period_us = 999;
	is_int(check(&a, NULL, 0, why), -EINVAL, "cpu.max period below 1 ms refused");
	a.limits.cpu_max_period_us = 100000;
	a.limits.cpu_max_quota_us = 10;
	is_int(check(&a, NULL, 0, why), -EINVAL, "cpu.max quota below 1 ms refused");

	a = vs("a", "3-4", "0", false);
	is_int(check(&a, others, 2, why), -EINVAL, "overlapping an exclusive VS refused");
	ok(strstr(why, "overlap exclusive vserver b") != NULL, "reason: %s", why);
	a = vs("a", "5-6", "0", true);
	is_int(check(&a, &others[1], 1, why), -EINVAL, "exclusive overlapping a shared VS refused");
	a = vs("a", "6", "0", false);
	is_int(check(&a, &others[1], 1, why), 0, "shared VSs may overlap");
	a = vs("b", "4-5", "1", true);
	is_int(check(&a, others, 2, why), 0, "a VS is not checked against its own old record");
}

static void test_drift(void)
{
	struct cpool_vserver want = vs("a", "0-3", "0", true), have = want;
	char buf[128];

	is_int(cpool_cg_vs_drift(&want, &have), 0, "no drift");
	have.limits.cpu_weight = 100;
	have.limits.cpu_max_period_us = 100000;
	is_int(cpool_cg_vs_drift(&want, &have), 0, "kernel defaults equal unset");
	cpool_cpuset_parse(&have.cpus, "0-2", NULL);
	have.limits.pids_max = 10;
	is_int(cpool_cg_vs_drift(&want, &have), CPOOL_CG_DRIFT_CPUS | CPOOL_CG_DRIFT_PIDS_MAX,
	       "cpus and pids.max drift");
	cpool_cg_drift_format(CPOOL_CG_DRIFT_CPUS | CPOOL_CG_DRIFT_PIDS_MAX, buf, sizeof(buf));
	is_str(buf, "cpus,pids.max", "drift text");
	is_int(cpool_cg_drift_format(CPOOL_CG_DRIFT_MEMS | CPOOL_CG_DRIFT_EXCLUSIVE, buf, 6), 14,
	       "drift text: snprintf length");
	is_str(buf, "mems,", "drift text: truncated");
	cpool_cg_drift_format(0, buf, sizeof(buf));
	is_str(buf, "", "no drift text");
}

static void test_refusal(void)
{
	char buf[512];

	cpool_cg_v2_refusal(TMPFS_MAGIC, buf, sizeof(buf));
	ok(strstr(buf, "v1 or hybrid") != NULL, "hybrid named");
	ok(strstr(buf, "systemd.unified_cgroup_hierarchy=1 cgroup_no_v1=all") != NULL,
	   "fix given: %s", buf);
	ok(strstr(buf, "tools/lab") != NULL, "lab suggested");
	cpool_cg_v2_refusal(CGROUP_SUPER_MAGIC, buf, sizeof(buf));
	ok(strstr(buf, "cgroup v1") != NULL, "v1 named");
}

int main(void)
{
	cpool_cpuset_parse(&machine_cpus, "0-7", NULL);
	cpool_cpuset_parse(&machine_mems, "0-1", NULL);
	test_check();
	test_drift();
	test_refusal();
	done_testing();
	return exit_status();
}
