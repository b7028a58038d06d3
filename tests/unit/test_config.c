// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tap.h"
#include "cpool/config.h"
#include "cpool/policy.h"

static struct cpool_error err;

/* Parse @text; returns the error text ("" when it parsed) for matching. */
static const char *parse_err(const char *text)
{
	struct cpool_pool_config c;

	err.msg[0] = '\0';
	if (cpool_config_parse_string(&c, text, "pool.ini", &err) == 0) {
		cpool_config_free(&c);
		return "";
	}
	return err.msg;
}

static void error_is(const char *text, const char *want, const char *what)
{
	is_str(parse_err(text), want, what);
}

static void good_file(void)
{
	static const char text[] = "; a pool\n"
				   "[pool]\n"
				   "name = batch\n"
				   "reserved_cpus = 0,40\n"
				   "placement = best-fit\n"
				   "\n"
				   "[vserver db]\n"
				   "cpus = 12\n"
				   "memory = 64G\n"
				   "numa = local\n"
				   "smt = threads\n"
				   "cpu_weight = 200\n"
				   "cpu_max = 250%\n"
				   "memory_high = 60G\n"
				   "pids_max = 4096\n"
				   "\n"
				   "# explicit CPUs and memory\n"
				   "[vserver web.1]\n"
				   "cpus = 4-7,12\n"
				   "mems = 0-1\n"
				   "exclusive = no\n"
				   "numa = spread\n"
				   "cpu_max = 50000 100000\n";
	struct cpool_pool_config c;
	char buf[64];

	if (!ok(cpool_config_parse_string(&c, text, "pool.ini", &err) == 0,
		"a full config parses")) {
		diag("%s", err.msg);
		return;
	}
	is_str(c.name, "batch", "pool name");
	ok(c.reserved_set, "reserved_cpus set");
	cpool_cpuset_format(&c.reserved, buf, sizeof(buf));
	is_str(buf, "0,40", "reserved_cpus list");
	is_int(c.placement, CPOOL_FIT_BEST, "placement best-fit");
	is_int(c.nr_vs, 2, "two vservers");
	is_str(c.vs[0].name, "db", "first is db");
	is_int(c.vs[0].line, 7, "db's section is on line 7");
	is_int(c.vs[0].cpus, 12, "db cpus count");
	ok(!c.vs[0].cpus_explicit, "db cpus is a count");
	is_int((int64_t)c.vs[0].limits.memory_max, (int64_t)64 << 30, "db memory 64G");
	is_int(c.vs[0].numa, CPOOL_NUMA_LOCAL, "db numa local");
	is_int(c.vs[0].smt, CPOOL_SMT_THREADS, "db smt threads");
	ok(c.vs[0].exclusive, "exclusive defaults to yes");
	is_int(c.vs[0].limits.cpu_weight, 200, "cpu_weight");
	is_int((int64_t)c.vs[0].limits.cpu_max_quota_us, 250000,
	       "cpu_max 250% is 250 ms per 100 ms");
	is_int((int64_t)c.vs[0].limits.cpu_max_period_us, 100000, "cpu_max period");
	is_int((int64_t)c.vs[0].limits.memory_high, (int64_t)60 << 30, "memory_high");
	is_int(c.vs[0].limits.pids_max, 4096, "pids_max");
	ok(c.vs[1].cpus_explicit, "web.1 cpus is a list");
	is_int(c.vs[1].cpus, 5, "web.1 has 5 CPUs");
	cpool_cpuset_format(&c.vs[1].cpu_list, buf, sizeof(buf));
	is_str(buf, "4-7,12", "web.1 CPU list");
	ok(c.vs[1].mems_explicit, "web.1 mems explicit");
	ok(!c.vs[1].exclusive, "web.1 not exclusive");
	is_int(c.vs[1].numa, CPOOL_NUMA_SPREAD, "web.1 numa spread");
	is_int((int64_t)c.vs[1].limits.cpu_max_quota_us, 50000, "cpu_max QUOTA PERIOD");
	cpool_config_free(&c);

	ok(cpool_config_parse_string(&c, "", "empty.ini", &err) == 0,
	   "an empty file is a valid empty pool");
	is_str(c.name, "cpool", "default pool name");
	ok(!c.reserved_set, "reserved_cpus left to the planner's default");
	is_int(c.placement, CPOOL_FIT_FIRST, "default placement first-fit");
	cpool_config_free(&c);
}

static void bad_files(void)
{
	error_is("[pool]\nname = a\n[pool]\n",
		 "pool.ini:3: duplicate section [pool]; there is one [pool]", "duplicate [pool]");
	error_is("[vserver a]\ncpus = 2\n\n[vserver a]\ncpus = 4\n",
		 "pool.ini:4: duplicate [vserver a]; the first is on line 1",
		 "duplicate vserver name");
	error_is(
		"[pool]\nnmae = x\n",
		"pool.ini:2: [pool] unknown key 'nmae'; valid keys: name, reserved_cpus, placement, "
		"policy, quantum, admit_p99, fairshare_half_life, retention",
		"unknown pool key");
	error_is(
		"[vserver db]\ncpus = 4\ncpu = 4\n",
		"pool.ini:3: [vserver db] unknown key 'cpu'; valid keys: cpus, memory, numa, mems, "
		"exclusive, smt, cpu_weight, cpu_max, memory_high, pids_max, default_time, "
		"max_time, kill_grace, job_pids_max, job_rlimit_nofile, job_rlimit_nproc, "
		"job_rlimit_memlock, job_rlimit_core",
		"unknown vserver key");
	error_is(
		"[pool]\n[servers]\ncpus = 3\n",
		"pool.ini:2: unknown section [servers]; valid sections: [pool], [limits], [metrics], [vserver NAME]",
		"unknown section, even without keys");
	error_is(
		"[vserver db]\ncpus = 4-x\n",
		"pool.ini:2: [vserver db] key 'cpus': '4-x' is not a CPU count or list (at 'x'); write "
		"a count (8) or a list of CPUs and ranges (4-7,12)",
		"bad cpulist syntax");
	error_is(
		"[vserver db]\ncpus = 0\n",
		"pool.ini:2: [vserver db] key 'cpus': '0' is not valid; cpus is a count of at least 1 "
		"or a CPU list such as 4-7,12",
		"zero CPUs");
	error_is(
		"[vserver db]\ncpus = 4\nnuma = remote\n",
		"pool.ini:3: [vserver db] key 'numa': 'remote' is not valid; use one of any, local, spread",
		"bad numa");
	error_is("[vserver db]\ncpus = 4\nmemory = 12Q\n",
		 "pool.ini:3: [vserver db] key 'memory': '12Q' is not a size; write bytes with an "
		 "optional K, M, G or T suffix, e.g. 16G",
		 "bad memory size");
	error_is("[vserver db]\ncpus = 4\nmemory = 0\n",
		 "pool.ini:3: [vserver db] key 'memory': a limit of 0 bytes would stop every "
		 "process; leave the key out for no limit, or give a size such as 512M",
		 "zero memory limit");
	error_is(
		"[vserver db]\ncpus = 4\nsmt = half\n",
		"pool.ini:3: [vserver db] key 'smt': 'half' is not valid; use one of full-cores, threads",
		"bad smt");
	error_is("[vserver db]\ncpus = 4\nexclusive = maybe\n",
		 "pool.ini:3: [vserver db] key 'exclusive': 'maybe' is not valid; use yes or no",
		 "bad exclusive");
	error_is(
		"[vserver db]\ncpus = 4\ncpu_weight = 0\n",
		"pool.ini:3: [vserver db] key 'cpu_weight': '0' is not valid; use a number from 1 to "
		"10000",
		"cpu_weight out of range");
	ok(strstr(parse_err("[vserver db]\ncpus = 4\ncpu_max = 5 seconds\n"),
		  "pool.ini:3: [vserver db] key 'cpu_max': '5 seconds' is not valid; use max") ==
		   err.msg,
	   "bad cpu_max");
	ok(strstr(parse_err("[vserver db]\ncpus = 4\npids_max = -1\n"), "pool.ini:3:") == err.msg,
	   "bad pids_max");
	error_is(
		"[vserver db]\ncpus = 4\nmems = one\n",
		"pool.ini:3: [vserver db] key 'mems': 'one' is not a NUMA node list (at 'one'); write "
		"nodes and ranges, e.g. 0-1,3",
		"bad mems");
	error_is("[pool]\nplacement = random-fit\n",
		 "pool.ini:2: [pool] key 'placement': 'random-fit' is not valid; use first-fit, "
		 "best-fit, worst-fit, balanced",
		 "bad placement");
	error_is(
		"[pool]\nreserved_cpus = 0-\n",
		"pool.ini:2: [pool] key 'reserved_cpus': '0-' is not a CPU list (at ''); write CPUs "
		"and ranges such as 0,40 or none",
		"bad reserved_cpus");
	error_is(
		"cpus = 4\n",
		"pool.ini:1: key 'cpus' outside any section; put it under [pool] or [vserver NAME]",
		"key before any section");
	error_is("[vserver db]\nnuma = local\n",
		 "pool.ini:1: [vserver db] has no 'cpus' key; give a count (8) or a list (4-7)",
		 "a vserver without cpus");
	error_is(
		"[vserver a/b]\ncpus = 2\n",
		"pool.ini:1: [vserver a/b]: 'a/b' is not a valid name; use 1-64 characters of A-Z a-z "
		"0-9 _ . - not starting with '.'",
		"bad vserver name");
	error_is("[vserver db]\ncpus = 2\ncpus = 4\n",
		 "pool.ini:3: [vserver db] key 'cpus' is set twice", "duplicate key");
	error_is("[pool]\nthis line has no equals sign\n",
		 "pool.ini:2: not a [section] or key = value line", "garbage line");
	error_is("[pool\nname = x\n", "pool.ini:1: section header without ']'", "unclosed section");
	{
		char big[400];

		memset(big, 'x', sizeof(big));
		memcpy(big, "[pool]\nname = ", 14);
		big[sizeof(big) - 2] = '\n';
		big[sizeof(big) - 1] = '\0';
		ok(strstr(parse_err(big), "pool.ini:2: line longer than") == err.msg,
		   "an over-long line is an error, not a silent split");
	}
}

static void file_io(void)
{
	char path[] = "/tmp/cpool-ini-XXXXXX";
	struct cpool_pool_config c;
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;

	if (!f)
		bail_out("cannot write a temporary file");
	fputs("[vserver a]\ncpus = 2\nnuma = bogus\n", f);
	fclose(f);
	is_int(cpool_config_load(&c, path, &err), -EINVAL, "bad file: -EINVAL");
	ok(strncmp(err.msg, path, strlen(path)) == 0 && strstr(err.msg, ":3: ") != NULL,
	   "the message starts with the real file name and line");
	unlink(path);
	is_int(cpool_config_load(&c, "/nonexistent/pool.ini", &err), -ENOENT,
	       "missing file: -ENOENT");
	is_str(err.msg, "/nonexistent/pool.ini: cannot open: No such file or directory",
	       "missing file: says which and why");
}

static void spec_keys(void)
{
	struct cpool_vs_spec s;
	struct cpool_error why;

	cpool_vs_spec_init(&s, "x");
	is_int(cpool_vs_spec_set(&s, "cpus", "8", &why), 0, "spec: cpus=8");
	is_int(cpool_vs_spec_set(&s, "cpu_max", "max", &why), 0, "spec: cpu_max=max");
	is_int((int64_t)s.limits.cpu_max_quota_us, 0, "cpu_max=max is no quota");
	is_int(cpool_vs_spec_set(&s, "cpu_max", "max 50000", &why), 0, "spec: cpu_max=max PERIOD");
	is_int((int64_t)s.limits.cpu_max_period_us, 50000, "period kept");
	is_int(cpool_vs_spec_set(&s, "pids_max", "max", &why), 0, "pids_max=max");
	is_int(cpool_vs_spec_set(&s, "bogus", "1", &why), -ENOENT, "unknown key: -ENOENT");
}

static void documented_example(void)
{
	const char *src = getenv("CPOOL_SRCDIR");
	struct cpool_pool_config c;
	char path[1024];

	if (!src) {
		skip(2, "CPOOL_SRCDIR is not set");
		return;
	}
	snprintf(path, sizeof(path), "%s/docs/pool.ini.example", src);
	if (!ok(cpool_config_load(&c, path, &err) == 0, "docs/pool.ini.example parses")) {
		diag("%s", err.msg);
		skip(1, "did not parse");
		return;
	}
	is_int(c.nr_vs, 4, "docs/pool.ini.example has its four VSs");
	cpool_config_free(&c);
}

/* Random lines from a vocabulary of near-misses: never a crash, always a verdict. */
static void garbage(void)
{
	static const char *const lines[] = {
		"[pool]\n",
		"[vserver a]\n",
		"[vserver b]\n",
		"[vserver]\n",
		"[ vserver  c ]\n",
		"[\n",
		"]\n",
		"cpus = 4\n",
		"cpus = 4-7,12\n",
		"cpus = -1\n",
		"cpus =\n",
		"= 4\n",
		"numa = local\n",
		"mems = 0-\n",
		"memory = 1.5G\n",
		"memory = G\n",
		"cpu_max = 100%\n",
		"cpu_max = %\n",
		"cpu_max = max max\n",
		"pids_max = max\n",
		"name = x\n",
		"reserved_cpus = none\n",
		"placement = balanced\n",
		"; c\n",
		"# c\n",
		"  continued\n",
		"\n",
		"smt = threads ; inline\n",
		"x\n",
		"\xef\xbb\xbf[pool]\n",
		"cpus = 4095\n",
		"cpus = 4096\n",
	};
	unsigned seed = 7;
	int verdicts = 0;

	for (int i = 0; i < 3000; i++) {
		char text[2048] = "";
		struct cpool_pool_config c;
		int n = 1 + (int)((seed = seed * 1103515245u + 12345u) >> 16) % 12, r;

		for (int k = 0; k < n; k++) {
			seed = seed * 1103515245u + 12345u;
			strncat(text, lines[(seed >> 16) % (sizeof(lines) / sizeof(lines[0]))],
				sizeof(text) - strlen(text) - 1);
		}
		err.msg[0] = '\0';
		r = cpool_config_parse_string(&c, text, "fuzz.ini", &err);
		if (r == 0)
			cpool_config_free(&c);
		verdicts += r == 0 || (r == -EINVAL && strncmp(err.msg, "fuzz.ini:", 9) == 0);
	}
	is_int(verdicts, 3000, "3000 random configs: each parses or fails with file:line");
}

static void user_limits(void)
{
	struct cpool_pool_config c;
	static const char text[] = "[limits]\n"
				   "connections_per_user = 8\n"
				   "root_connections = 2\n"
				   "queued_jobs_per_user = 0\n"
				   "running_cpus_per_user = 16\n"
				   "submit_rate = 2.5\n"
				   "submit_burst = 20\n"
				   "idle_timeout = 2m\n";

	is_int(cpool_config_parse_string(&c, "", "pool.ini", &err), 0,
	       "an empty file has default limits");
	is_int(c.limits.max_connections, 256, "default max_connections");
	is_int(c.limits.root_connections, 4, "default root_connections");
	is_int(c.limits.connections_per_user, 32, "default connections_per_user");
	is_int(c.limits.queued_jobs_per_user, 1000, "default queued_jobs_per_user");
	is_int(c.limits.running_cpus_per_user, 0, "default running_cpus_per_user: no limit");
	is_double(c.limits.submit_rate, 10, 0, "default submit_rate");
	is_int(c.limits.submit_burst, 100, "default submit_burst");
	is_double(c.limits.idle_timeout, 300, 0, "default idle_timeout");
	cpool_config_free(&c);

	is_int(cpool_config_parse_string(&c, text, "pool.ini", &err), 0,
	       "a [limits] section parses");
	diag("%s", err.msg);
	is_int(c.limits.connections_per_user, 8, "connections_per_user");
	is_int(c.limits.root_connections, 2, "root_connections");
	is_int(c.limits.queued_jobs_per_user, 0, "queued_jobs_per_user 0: no limit");
	is_int(c.limits.running_cpus_per_user, 16, "running_cpus_per_user");
	is_double(c.limits.submit_rate, 2.5, 0, "submit_rate");
	is_int(c.limits.submit_burst, 20, "submit_burst");
	is_double(c.limits.idle_timeout, 120, 0, "idle_timeout 2m");
	is_int(c.limits.max_connections, 256, "an unset key keeps its default");
	cpool_config_free(&c);

	error_is("[limits]\nsubmit_rate = 0\n",
		 "pool.ini:2: [limits] key 'submit_rate': '0' is not valid; use submissions per "
		 "second, more than 0 and at most 1000000 (e.g. 10 or 0.5)",
		 "a submit_rate of 0 is refused");
	error_is("[limits]\nqueued_jobs_per_user = -1\n",
		 "pool.ini:2: [limits] key 'queued_jobs_per_user': '-1' is not valid; use a number "
		 "from 0 to 10000000 (0: no limit)",
		 "a negative count is refused, with the range");
	error_is("[limits]\nidle_timeout = forever\n",
		 "pool.ini:2: [limits] key 'idle_timeout': 'forever' is not valid; use a duration "
		 "from 1s to 1d, e.g. 300 or 5m",
		 "a bad idle_timeout");
	error_is("[limits]\nmax_jobs = 3\n",
		 "pool.ini:2: [limits] unknown key 'max_jobs'; valid keys: max_connections, "
		 "root_connections, connections_per_user, queued_jobs_per_user, "
		 "running_cpus_per_user, submit_rate, submit_burst, idle_timeout, max_array_size",
		 "an unknown key lists the valid ones");
	error_is("[limits]\nrunning_cpus_per_user = 1\nrunning_cpus_per_user = 2\n",
		 "pool.ini:3: [limits] key 'running_cpus_per_user' is set twice",
		 "a long key given twice is caught");
	error_is("[limits]\n[limits]\n",
		 "pool.ini:2: duplicate section [limits]; the first is on line 1",
		 "a second [limits]");
	error_is("\n[limits]\nmax_connections = 4\nroot_connections = 4\n",
		 "pool.ini:2: [limits] root_connections (4) must be less than max_connections (4), "
		 "or no other user could connect",
		 "root cannot keep every slot");
}

static void metrics_section(void)
{
	struct cpool_pool_config c;

	ok(cpool_config_parse_string(&c, "[pool]\n", "pool.ini", &err) == 0 &&
		   strcmp(c.metrics_listen, CPOOL_METRICS_LISTEN_DEFAULT) == 0,
	   "[metrics] listen defaults to loopback");
	cpool_config_free(&c);
	ok(cpool_config_parse_string(&c, "[metrics]\nlisten = off\n", "pool.ini", &err) == 0 &&
		   c.metrics_listen[0] == '\0',
	   "listen = off disables the endpoint");
	cpool_config_free(&c);
	ok(cpool_config_parse_string(&c, "[metrics]\nlisten = [::1]:9100\n", "pool.ini", &err) ==
			   0 &&
		   strcmp(c.metrics_listen, "[::1]:9100") == 0,
	   "an IPv6 listen address");
	cpool_config_free(&c);
	error_is("[metrics]\nlisten = localhost:9464\n",
		 "pool.ini:2: [metrics] key 'listen': 'localhost:9464' is not valid; use off, "
		 "IPv4:PORT (127.0.0.1:9464) or [IPv6]:PORT ([::1]:9464)",
		 "a host name is refused (no resolver in the daemon's start-up)");
	error_is("[metrics]\nlisten = 127.0.0.1:70000\n",
		 "pool.ini:2: [metrics] key 'listen': '127.0.0.1:70000' is not valid; use off, "
		 "IPv4:PORT (127.0.0.1:9464) or [IPv6]:PORT ([::1]:9464)",
		 "a port out of range is refused");
	error_is("[metrics]\nport = 1\n",
		 "pool.ini:2: [metrics] unknown key 'port'; valid keys: listen",
		 "unknown [metrics] key");
}

static void retention(void)
{
	struct cpool_pool_config c;

	ok(cpool_config_parse_string(&c, "[pool]\n", "pool.ini", &err) == 0 &&
		   c.retention_s == 30 * 86400.0,
	   "retention defaults to 30 days");
	cpool_config_free(&c);
	ok(cpool_config_parse_string(&c, "[pool]\nretention = 90d\n", "pool.ini", &err) == 0 &&
		   c.retention_s == 90 * 86400.0,
	   "retention = 90d");
	cpool_config_free(&c);
	ok(cpool_config_parse_string(&c, "[pool]\nretention = off\n", "pool.ini", &err) == 0 &&
		   c.retention_s == 0,
	   "retention = off keeps everything");
	cpool_config_free(&c);
	error_is("[pool]\nretention = 10s\n",
		 "pool.ini:2: [pool] key 'retention': '10s' is not valid; use a duration from 1h "
		 "to 3650d (30d) or off",
		 "a retention shorter than an hour is refused");
}

static void policy_keys(void)
{
	struct cpool_pool_config c;

	ok(cpool_config_parse_string(&c, "[pool]\n", "pool.ini", &err) == 0 && c.sched == -1 &&
		   c.quantum == 0 && !c.placement_set && c.fairshare_half_life == 7 * 86400.0,
	   "no policy, quantum or placement given; half-life 7 days");
	cpool_config_free(&c);
	ok(cpool_config_parse_string(&c,
				     "[pool]\npolicy = fairshare\nquantum = 50ms\n"
				     "placement = best-fit\nfairshare_half_life = 1d\n",
				     "pool.ini", &err) == 0 &&
		   c.sched == CPOOL_SCHED_FAIRSHARE && c.quantum == 0.05 && c.placement_set &&
		   c.placement == CPOOL_FIT_BEST && c.fairshare_half_life == 86400.0,
	   "policy, quantum, placement and half-life read");
	cpool_config_free(&c);
	ok(cpool_config_parse_string(&c, "[pool]\nfairshare_half_life = 0\n", "pool.ini", &err) ==
			   0 &&
		   c.fairshare_half_life == 0,
	   "half-life 0: no decay");
	cpool_config_free(&c);
	ok(cpool_config_parse_string(&c, "[pool]\n", "pool.ini", &err) == 0 && c.admit_p99 == -1,
	   "no admit_p99 given: -1");
	cpool_config_free(&c);
	ok(cpool_config_parse_string(&c, "[pool]\nadmit_p99 = 2ms\n", "pool.ini", &err) == 0 &&
		   c.admit_p99 == 0.002,
	   "admit_p99 read");
	cpool_config_free(&c);
	ok(cpool_config_parse_string(&c, "[pool]\nadmit_p99 = off\n", "pool.ini", &err) == 0 &&
		   c.admit_p99 == 0,
	   "admit_p99 off: 0, given");
	cpool_config_free(&c);
	error_is("[pool]\nadmit_p99 = 2h\n",
		 "pool.ini:2: [pool] key 'admit_p99': '2h' is not valid; use a duration up to 1h, "
		 "e.g. 2ms, or off",
		 "admit_p99 over 1h refused");
	error_is(
		"[pool]\npolicy = lottery\n",
		"pool.ini:2: [pool] key 'policy': 'lottery' is not valid; use fcfs, sjf, srtf, rr, "
		"priority, priority-preemptive, hrrn, mlfq, easy, fairshare",
		"unknown policy refused");
	error_is("[pool]\nquantum = 0\n",
		 "pool.ini:2: [pool] key 'quantum': '0' is not valid; use a duration from 1ms to "
		 "1h, e.g. 100ms",
		 "zero quantum refused");
	error_is("[pool]\nfairshare_half_life = soon\n",
		 "pool.ini:2: [pool] key 'fairshare_half_life': 'soon' is not valid; use a "
		 "duration up to 10 years, e.g. 7d (0: no decay)",
		 "bad half-life refused");
}

int main(void)
{
	retention();
	policy_keys();
	user_limits();
	metrics_section();
	garbage();
	good_file();
	documented_example();
	bad_files();
	file_io();
	spec_keys();
	done_testing();
	return exit_status();
}
