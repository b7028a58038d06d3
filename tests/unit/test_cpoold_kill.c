// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The kill without cgroup.kill (kill.c) on a fake cgroup tree of plain
 * files: it asks for a freeze, kills, and makes its second pass once
 * cgroup.events says frozen; repeated kills of one leaf share one pending
 * pass; nothing waits.  (The kernel's side is tested in the lab:
 * test_kill_fallback.)
 */
#include <fcntl.h>
#include <sys/stat.h>

#include "cpoold_fixture.h"

static char dir[] = "/tmp/cpool-test-cpoold-kill.XXXXXX";

static void put(const char *rel, const char *file, const char *text)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", dir, rel, file);
	f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f))
		bail_out("write %s", path);
}

static const char *get(const char *rel, const char *file, char *buf, size_t len)
{
	char path[4096];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s/%s", dir, rel, file);
	f = fopen(path, "r");
	n = f ? fread(buf, 1, len - 1, f) : 0;
	buf[n] = '\0';
	if (f)
		fclose(f);
	return buf;
}

int main(void)
{
	struct cpool_error e = { 0 };
	struct cpoold d;
	char path[4096], buf[64];

	plan(8);
	fixture_open(&d, dir);
	if (cpool_evloop_new(&d.loop))
		bail_out("evloop");
	snprintf(path, sizeof(path), "%s/v", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/v/job-1", dir);
	mkdir(path, 0755);
	put("v/job-1", "cgroup.procs", "");
	put("v/job-1", "cgroup.freeze", "0");
	put("v/job-1", "cgroup.events", "populated 1\nfrozen 0\n");

	is_int(kill_cgroup(&d, "v/job-1", &e), 0, "a kill without cgroup.kill returns at once");
	is_str(get("v/job-1", "cgroup.freeze", buf, sizeof(buf)), "1", "having asked for a freeze");
	is_int(kill_cgroup(&d, "v/job-1", &e), 0, "a second kill of the same leaf too");
	is_int(kill_pending(), 1, "both wait for one second pass");
	put("v/job-1", "cgroup.events", "populated 1\nfrozen 1\n");
	for (int i = 0; i < 50; i++)
		cpool_evloop_once(d.loop, 10);
	is_int(kill_pending(), 0, "the second pass ran once cgroup.events said frozen");
	put("v/job-1", "cgroup.events", "populated 1\nfrozen 0\n");
	is_int(kill_cgroup(&d, "v/job-1", &e), 0, "killed again, not frozen yet");
	put("v/job-1", "cgroup.events", "populated 0\nfrozen 0\n");
	for (int i = 0; i < 50; i++)
		cpool_evloop_once(d.loop, 10);
	is_int(kill_pending(), 0, "an empty leaf needs no second pass");
	is_int(kill_cgroup(&d, "v/none", &e), -ENOENT, "a leaf that is not there: ENOENT");

	cpool_evloop_free(d.loop);
	d.loop = NULL;
	fixture_close(&d, dir);
	done_testing();
	return exit_status();
}
