// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The collector resolves cgroup ids by file handle: the id the BPF map
 * keys by is the cgroup's kernfs handle (FILEID_KERNFS, 8 bytes) and its
 * directory's inode number, so open_by_handle_at() on the mount finds its
 * path without a walk of the tree.  A removed cgroup is found stale and
 * its map slot freed; with walks forced (the fallback where handles are
 * not permitted), an id not found is retried after its back-off, not at
 * every call.
 */
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab.h"
#include "cpool/collector.h"

#define NCG 4

#define MOUNT "/sys/fs/cgroup"

static char root_rel[96], root_dir[128], dirs[NCG + 1][160];

static uint64_t dir_id(const char *dir)
{
	struct stat st;

	return stat(dir, &st) == 0 ? (uint64_t)st.st_ino : 0;
}

/* The handle the kernel gives the directory: its type and its 8 bytes as a number. */
static int dir_handle(const char *dir, int *type, uint64_t *id)
{
	_Alignas(struct file_handle) char buf[sizeof(struct file_handle) + 64];
	struct file_handle *fh = (struct file_handle *)buf;
	int mnt;

	fh->handle_bytes = 64;
	if (name_to_handle_at(AT_FDCWD, dir, fh, &mnt, 0))
		return -errno;
	*type = fh->handle_type;
	*id = 0;
	if (fh->handle_bytes == sizeof(*id))
		memcpy(id, fh->f_handle, sizeof(*id));
	return (int)fh->handle_bytes;
}

/* A child that spins in @dir until killed; its pid. */
static pid_t spin_in(const char *dir)
{
	char pid[32];
	pid_t p = fork();

	if (p == 0) {
		snprintf(pid, sizeof(pid), "%d", (int)getpid());
		if (!lab_write(dir, "cgroup.procs", pid))
			_exit(1);
		/*
		 * Not a bare spin: the map learns a cgroup at a context switch,
		 * and a task moved into it while running, alone on its CPU, may
		 * never be switched out (seen on 6.12: c0 never in the map).
		 * Each sleep is a switch out of c0 and back in.
		 */
		for (;;) {
			for (volatile int i = 0; i < 1000000; i++)
				;
			usleep(1000);
		}
	}
	return p;
}

static bool snapshot_has(const struct cpool_kmetrics_snapshot *s, uint64_t id, const char **path)
{
	for (size_t i = 0; i < s->ncgroups; i++)
		if (s->cgroups[i].id == id) {
			*path = s->cgroups[i].path;
			return true;
		}
	return false;
}

static void by_handle(void)
{
	struct cpool_collector_opts o = { .idle_from_switches = true, .no_preemptors = true };
	struct cpool_collector_ids st;
	struct cpool_kmetrics_snapshot snap;
	struct cpool_collector *c;
	char want[PATH_MAX];
	const char *p = NULL;
	bool all = true, found = false, gone = false;
	uint64_t id, stale0;
	pid_t child;
	int status;

	if (!ok(cpool_collector_open(&o, &c) == 0 && !cpool_collector_degraded(c),
		"the BPF collector opens")) {
		diag("reason: %s", c ? cpool_collector_reason(c) : "-");
		bail_out("no BPF collector");
	}
	cpool_collector_id_stats(c, &st);
	if (!ok(st.walk_reason == NULL, "ids are resolved by handle as root"))
		diag("walks because: %s", st.walk_reason);
	for (int i = 0; i < NCG; i++) {
		const char *got = cpool_collector_cgroup_path(c, dir_id(dirs[i]));

		snprintf(want, sizeof(want), "/%s/c%d", root_rel, i);
		all &= got && strcmp(got, want) == 0;
		if (!got || strcmp(got, want))
			diag("c%d: %s, want %s", i, got ?: "(null)", want);
	}
	ok(all, "each of %d cgroups' ids gives its path", NCG);
	cpool_collector_id_stats(c, &st);
	ok(st.by_handle >= NCG && st.walks == 0,
	   "resolved by handle (%llu), no walk of the tree (%llu)",
	   (unsigned long long)st.by_handle, (unsigned long long)st.walks);

	/* A cgroup whose id is gone before anyone asked: stale, not retried. */
	id = dir_id(dirs[NCG]);
	rmdir(dirs[NCG]);
	stale0 = st.stale;
	ok(cpool_collector_cgroup_path(c, id) == NULL, "a removed cgroup's id has no path");
	cpool_collector_id_stats(c, &st);
	ok(st.stale == stale0 + 1 && st.walks == 0, "it is counted stale, without a walk");

	/* Through the map: a task in c0 puts c0's id there; removing c0 frees its slot. */
	child = spin_in(dirs[0]);
	lab_sleep_ms(300);
	id = dir_id(dirs[0]);
	for (int i = 0; i < 20 && !found; i++) {
		if (cpool_collector_read(c, &snap) == 0) {
			found = snapshot_has(&snap, id, &p) && p;
			snprintf(want, sizeof(want), "%s", p ?: "");
			cpool_kmetrics_snapshot_free(&snap);
		}
		if (!found)
			lab_sleep_ms(100);
	}
	ok(found && strcmp(want, dirs[0] + strlen(MOUNT)) == 0,
	   "the map's id for c0 (its inode) reads as %s", want);
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
	ok(rmdir(dirs[0]) == 0, "c0 removed once its task is gone");
	cpool_collector_id_stats(c, &st);
	stale0 = st.stale;
	/* Reads, not time: the first may still see c0's last switches; a later one is idle. */
	for (int i = 0; i < 10 && !gone; i++) {
		if (cpool_collector_read(c, &snap) == 0) {
			gone = !snapshot_has(&snap, id, &p);
			cpool_kmetrics_snapshot_free(&snap);
		}
	}
	cpool_collector_id_stats(c, &st);
	ok(gone && st.stale == stale0 + 1,
	   "the removed c0 is found stale by handle and its slot freed (stale %llu -> %llu)",
	   (unsigned long long)stale0, (unsigned long long)st.stale);
	cpool_collector_close(c);
}

static void by_walk(void)
{
	struct cpool_collector_opts o = { .idle_from_switches = true,
					  .no_preemptors = true,
					  .resolve_by_walk = true };
	struct cpool_collector_ids st;
	struct cpool_collector *c;
	char want[PATH_MAX];
	const char *got;
	uint64_t walks;

	if (!ok(cpool_collector_open(&o, &c) == 0, "a collector with walks forced opens"))
		return;
	cpool_collector_id_stats(c, &st);
	ok(st.walk_reason && strstr(st.walk_reason, "requested"), "it says why it walks: %s",
	   st.walk_reason ?: "(null)");
	got = cpool_collector_cgroup_path(c, dir_id(dirs[1]));
	snprintf(want, sizeof(want), "/%s/c1", root_rel);
	ok(got && strcmp(got, want) == 0, "c1 resolved by a walk: %s", got ?: "(null)");
	cpool_collector_id_stats(c, &st);
	ok(st.by_walk == 1 && st.walks == 1 && st.by_handle == 0, "one walk, one id by walk");
	walks = st.walks;
	/* An id no walk finds (c0's, removed): the first miss walks, the retry waits. */
	ok(cpool_collector_cgroup_path(c, 1ULL << 60) == NULL, "an id no cgroup has: no path");
	cpool_collector_id_stats(c, &st);
	ok(st.walks == walks + 1 && st.pending == 1, "one more walk, the id pending its retry");
	ok(cpool_collector_cgroup_path(c, 1ULL << 60) == NULL &&
		   cpool_collector_cgroup_path(c, 1ULL << 60) == NULL,
	   "asked again at once");
	cpool_collector_id_stats(c, &st);
	is_int((int64_t)st.walks, (int64_t)(walks + 1), "no walk before its back-off ends");
	cpool_collector_close(c);
}

int main(void)
{
	int type = 0, n;
	uint64_t hid = 0;
	bool made = true;

	lab_require();
	snprintf(root_rel, sizeof(root_rel), "%s", lab_pool_root("ids"));
	snprintf(root_dir, sizeof(root_dir), MOUNT "/%.90s", root_rel);
	if (mkdir(root_dir, 0755))
		bail_out("mkdir %s: %s", root_dir, strerror(errno));
	for (int i = 0; i <= NCG; i++) {
		snprintf(dirs[i], sizeof(dirs[i]), "%.120s/c%d", root_dir, i);
		made &= mkdir(dirs[i], 0755) == 0;
	}
	ok(made, "%d cgroups made under /%s", NCG + 1, root_rel);
	n = dir_handle(dirs[1], &type, &hid);
	ok(n == 8 && type == 0xfe && hid == dir_id(dirs[1]),
	   "a cgroup's handle is FILEID_KERNFS, 8 bytes, its inode number (%d bytes, type %#x)", n,
	   type);
	by_handle();
	by_walk();
	for (int i = 1; i < NCG; i++)
		rmdir(dirs[i]);
	rmdir(root_dir);
	done_testing();
	return exit_status();
}
