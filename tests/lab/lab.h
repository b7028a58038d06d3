/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Shared by the C lab tests: they run as root inside tools/lab (cgroup v2
 * alone, NUMA nodes) and fail, never skip, anywhere else.
 */
#ifndef CPOOL_TESTS_LAB_H
#define CPOOL_TESTS_LAB_H

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../tap.h"
#include "cpool/cgroup.h"
#include "cpool/cpuset.h"

static inline void lab_require(void)
{
	const char *lab = getenv("CPOOL_LAB");

	if (!lab || strcmp(lab, "1") != 0) {
		plan(1);
		ok(0, "inside the lab (CPOOL_LAB=1): run through tools/lab-check");
		exit(1);
	}
}

static inline void lab_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* The first line of a file, without its newline; "" when unreadable. */
static inline const char *lab_read(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");

	buf[0] = '\0';
	if (f) {
		if (!fgets(buf, (int)len, f))
			buf[0] = '\0';
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

static inline const char *lab_read2(const char *dir, const char *file, char *buf, size_t len)
{
	char path[PATH_MAX + 128];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return lab_read(path, buf, len);
}

/* The whole of a small file. */
static inline const char *lab_slurp(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	size_t n = 0;

	if (f) {
		n = fread(buf, 1, len - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

/* Write a cgroup file as an outsider would (behind the library's back). */
static inline bool lab_write(const char *dir, const char *file, const char *value)
{
	char path[PATH_MAX + 128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "we");
	if (!f)
		return false;
	if (fputs(value, f) < 0) {
		fclose(f);
		return false;
	}
	return fclose(f) == 0;
}

static inline bool lab_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static inline struct cpool_cpuset lab_set(const char *list)
{
	struct cpool_cpuset s;

	if (cpool_cpuset_parse(&s, list, NULL))
		bail_out("bad cpu list in test: %s", list);
	return s;
}

/* CPUs of NUMA node @node, from sysfs. */
static inline struct cpool_cpuset lab_node_cpus(int node)
{
	char path[128], buf[256];

	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/cpulist", node);
	return lab_set(lab_read(path, buf, sizeof(buf)));
}

static inline struct cpool_vserver lab_vs(const char *name, const struct cpool_cpuset *cpus,
					  const char *mems)
{
	struct cpool_vserver v;

	memset(&v, 0, sizeof(v));
	snprintf(v.name, sizeof(v.name), "%s", name);
	v.cpus = *cpus;
	v.mems = lab_set(mems);
	return v;
}

/* A pool root of the test's own, so tests never meet each other or a real pool. */
static inline const char *lab_pool_root(const char *test)
{
	static char root[96];

	snprintf(root, sizeof(root), "cpool-lab-%s-%d", test, (int)getpid());
	return root;
}

/* Field 39 of /proc/PID/stat: the CPU the task last ran on; -1 when gone. */
static inline int lab_task_cpu(pid_t pid)
{
	char path[64], buf[1024], *p;
	int field = 2;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	lab_slurp(path, buf, sizeof(buf));
	p = strrchr(buf, ')'); /* comm may hold spaces */
	if (!p)
		return -1;
	for (p++; *p && field < 39; p++)
		if (*p == ' ')
			field++;
	return *p ? atoi(p) : -1;
}

/* The value of "Key:" in /proc/PID/status, tabs turned into spaces. */
static inline const char *lab_status(pid_t pid, const char *key, char *out, size_t len)
{
	char path[64], buf[8192], *line;
	size_t klen = strlen(key);

	out[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	lab_slurp(path, buf, sizeof(buf));
	for (line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
			char *v = line + klen + 1;
			size_t n;

			while (*v == ' ' || *v == '\t')
				v++;
			n = strcspn(v, "\n");
			if (n >= len)
				n = len - 1;
			memcpy(out, v, n);
			out[n] = '\0';
			for (char *q = out; *q; q++)
				if (*q == '\t')
					*q = ' ';
			break;
		}
	}
	return out;
}

static inline bool lab_alive(pid_t pid)
{
	char st[64];

	/* A zombie is dead for our purposes: kill(pid, 0) would still succeed. */
	lab_status(pid, "State", st, sizeof(st));
	return st[0] && st[0] != 'Z' && st[0] != 'X';
}

#endif /* CPOOL_TESTS_LAB_H */
