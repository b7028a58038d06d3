// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Kernel-metrics collector: BPF skeleton lifecycle, map reads, cgroup id to
 * path resolution, and the degraded mode from /proc/stat and cgroup files.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <inttypes.h>
#include <limits.h>
#include <mntent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "cpool/bpf_metrics.h"
#include "cpool/cgroup_ids.h"
#include "cpool/collector.h"
#include "cpool/cpuset.h"
#include "cpool/skel/metrics.skel.h"

_Static_assert(CPOOL_BPF_HIST_SLOTS == CPOOL_KMETRICS_HIST_SLOTS, "histogram sizes differ");

/* The kernel's "operation not supported" (not in userspace's errno.h): no batch ops. */
#ifndef ENOTSUPP
#define ENOTSUPP 524
#endif

/* Degraded mode reports at most this many cgroups per read. */
#define DEGRADED_MAX_CGROUPS 4096

struct cgroup_name {
	uint64_t id;
	char *path;
};

struct cpool_collector {
	struct metrics_bpf *skel;
	int ncpus_possible;
	uint32_t max_cgroups;
	char reason[CPOOL_KMETRICS_REASON_MAX];
	char *cgroup_root;
	size_t root_len; /* of cgroup_root, without a trailing '/' */
	/* The map's ids and their paths, resolved by handle or by a walk. */
	struct cpool_cgid_table ids;
	/*
	 * The mount for open_by_handle_at(); -1 when the ids are resolved by
	 * walking the tree instead (why in walk_reason).
	 */
	int mount_fd;
	char walk_reason[160];
	struct cpool_collector_ids id_stats;
	/* The last walk's id -> path, sorted by id (degraded mode, and the fallback). */
	struct cgroup_name *names;
	size_t nnames;
	bool rescanned; /* during the current read */
	bool walked; /* a rescan during the current read succeeded */
	bool no_cgroup_files; /* BPF mode reads no cpu.stat / cpu.pressure */
	char *stat_subtree; /* "/cpool": cgroup files read only here; NULL: everywhere */
	/* per possible CPU: the counters last shown, kept monotonic (show_monotonic()) */
	struct cpool_kmetrics_cpu *shown;
	/*
	 * The tick's files, kept open and re-read with pread at offset 0
	 * (sysfs, procfs and cgroup files generate their text afresh): an
	 * idle daemon's tick was mostly opening and closing them.
	 */
	int online_fd; /* /sys/devices/system/cpu/online */
	struct task_file *task_files; /* per possible CPU: its running task's schedstat */
	struct cgroup_files *cg_files;
	size_t ncg_files;
	/*
	 * The cgroup files of the map's cgroups, read right before the
	 * counters (read_slot_files()), sorted by id; a cgroup not in them
	 * has its files read after the counters.
	 */
	struct slot_stat *slot_stats;
	size_t nslot_stats;
	/* The map walk's buffers, kept between reads. */
	__u64 *slot_ids;
	__u32 *slot_of;
	void *cg_vals;
	/*
	 * Batched reads of cgroup_stats: per slot, the id holding it (0: none)
	 * during a read; the keys and values of one batch of slots.
	 */
	__u64 *slot_owner;
	__u32 *batch_keys;
	void *batch_vals;
	__u32 batch_slots; /* slots per batch; 0: no batch ops (per-slot reads) */
};

/* /proc/PID/schedstat of the task a CPU was running at the last read. */
struct task_file {
	uint64_t pid;
	int fd;
};

/* A cgroup's cpu.stat and cpu.pressure as read before the counters. */
struct slot_stat {
	uint64_t id;
	struct cpool_kmetrics_cgstat stat;
};

/* A cgroup's cpu.stat and cpu.pressure, open while the cgroup is reported. */
struct cgroup_files {
	uint64_t id;
	int stat_fd, pressure_fd;
	bool seen; /* during the current read */
};

/*
 * At most this many cgroups' files are kept open (two fds each); the
 * others are opened and closed at each read, as before.  A daemon's
 * fds are also its clients', its jobs' pidfds and pipes.
 */
#define CG_FILES_MAX 128

/*
 * Walks that must miss an id before it counts as gone: two, at least the
 * first back-off (1 s) apart, so that a walk that raced the cgroup's
 * mkdir cannot drop it.  (By handle, the kernel's answer is final.)
 */
#define WALK_MISSES_GONE 2

/* libbpf's last warning, to explain a failed load in one line. */
static char libbpf_last_msg[200];

static int libbpf_capture(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[sizeof(libbpf_last_msg)];
	va_list copy;
	size_t n;

	if (level == LIBBPF_DEBUG)
		return 0;
	if (getenv("CPOOL_BPF_DEBUG")) {
		va_copy(copy, ap);
		vfprintf(stderr, fmt, copy);
		va_end(copy);
	}
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == ' '))
		line[--n] = '\0';
	/* Keep the first real complaint: later lines are usually "failed to load object". */
	if (!libbpf_last_msg[0] && n)
		memcpy(libbpf_last_msg, line, n + 1);
	return 0;
}

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static char *find_cgroup2_mount(void)
{
	FILE *f = setmntent("/proc/self/mounts", "r");
	struct mntent *m;
	char *dir = NULL;

	if (!f)
		return NULL;
	while ((m = getmntent(f))) {
		if (strcmp(m->mnt_type, "cgroup2") == 0) {
			dir = strdup(m->mnt_dir);
			break;
		}
	}
	endmntent(f);
	return dir;
}

static bool btf_has_member(const struct btf *btf, const char *type, const char *member)
{
	int id = btf__find_by_name_kind(btf, type, BTF_KIND_STRUCT);
	const struct btf_type *t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	const struct btf_member *m = t ? btf_members(t) : NULL;

	for (int i = 0; t && i < btf_vlen(t); i++)
		if (strcmp(btf__name_by_offset(btf, m[i].name_off), member) == 0)
			return true;
	return false;
}

/*
 * Can the program read run-queue waits from the kernel's own bookkeeping?
 * Needs sched_info.last_queued (CONFIG_SCHED_INFO) and the se.cfs_rq->rq
 * path to rq->clock (CONFIG_FAIR_GROUP_SCHED).
 */
/*
 * The idle-loop hooks of metrics.bpf.c ("NO_HZ idle"): all four or none,
 * or spans would open and never close.
 */
static bool kernel_has_nohz_hooks(void)
{
	static const char *const fns[] = { "tick_nohz_idle_enter", "tick_irq_enter",
					   "tick_nohz_irq_exit", "tick_nohz_idle_exit" };
	struct btf *btf = btf__load_vmlinux_btf();
	bool ok = btf != NULL;

	for (size_t i = 0; ok && i < sizeof(fns) / sizeof(fns[0]); i++)
		ok = btf__find_by_name_kind(btf, fns[i], BTF_KIND_FUNC) > 0;
	btf__free(btf);
	return ok;
}

static bool kernel_has_sched_info(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	bool ok;

	if (!btf)
		return false;
	ok = btf_has_member(btf, "sched_info", "last_queued") &&
	     btf_has_member(btf, "sched_entity", "cfs_rq") && btf_has_member(btf, "cfs_rq", "rq") &&
	     btf_has_member(btf, "rq", "clock");
	btf__free(btf);
	return ok;
}

/*
 * A CPU's times start at its first switch after attach; one that idles
 * without a switch would show nothing at all.  Visiting every CPU makes a
 * switch on each (to us, then back to what ran).
 */
static void prime_cpus(void)
{
	cpu_set_t saved, one;
	long n = sysconf(_SC_NPROCESSORS_CONF);

	if (sched_getaffinity(0, sizeof(saved), &saved))
		return;
	for (long cpu = 0; cpu < n && cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &saved))
			continue;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		if (sched_setaffinity(0, sizeof(one), &one) == 0)
			sched_yield();
	}
	sched_setaffinity(0, sizeof(saved), &saved);
}

/*
 * Every task that exists gets its storage from cpool_iter_tasks, read
 * once after attaching (cpool_newtask covers the tasks created since):
 * the scheduler's programs only look storage up, never create it
 * (bpf/metrics.bpf.c, task_wait_of).
 */
int cpool_collector_prime_task_storage(struct metrics_bpf *skel)
{
	char buf[64];
	ssize_t n;
	int fd, err = 0;

	fd = bpf_iter_create(bpf_link__fd(skel->links.cpool_iter_tasks));
	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	if (n < 0)
		err = -errno;
	close(fd);
	if (!err)
		skel->bss->tasks_primed = true;
	return err;
}

static int load_bpf_once(struct cpool_collector *c, const struct cpool_collector_opts *o,
			 bool nohz_idle)
{
	struct metrics_bpf *skel;
	int err;

	libbpf_last_msg[0] = '\0';
	skel = metrics_bpf__open();
	if (!skel) {
		err = -errno;
		snprintf(c->reason, sizeof(c->reason), "opening the BPF object: %s",
			 strerror(-err));
		goto cleanup;
	}
	skel->rodata->track_rqlat = !o->no_rqlat;
	skel->rodata->track_preemptors = !o->no_preemptors;
	skel->rodata->use_sched_info = !o->rqlat_from_wakeups && kernel_has_sched_info();
	if (skel->rodata->use_sched_info || o->no_rqlat) {
		/* Waits come from the kernel's own bookkeeping: no wakeup hooks to pay for. */
		bpf_program__set_autoload(skel->progs.cpool_wakeup, false);
		bpf_program__set_autoload(skel->progs.cpool_wakeup_new, false);
	}
	/* The migration program keeps the sched_info waits' baselines; nothing else needs it. */
	if (!skel->rodata->use_sched_info || o->no_rqlat)
		bpf_program__set_autoload(skel->progs.cpool_migrate, false);
	skel->rodata->nohz_idle = nohz_idle;
	if (!skel->rodata->nohz_idle) {
		bpf_program__set_autoload(skel->progs.cpool_idle_enter, false);
		bpf_program__set_autoload(skel->progs.cpool_idle_irq_enter, false);
		bpf_program__set_autoload(skel->progs.cpool_idle_irq_exit, false);
		bpf_program__set_autoload(skel->progs.cpool_idle_exit, false);
	}
	err = bpf_map__set_max_entries(skel->maps.cgroup_stats, c->max_cgroups);
	if (!err)
		err = bpf_map__set_max_entries(skel->maps.cgroup_slots, c->max_cgroups);
	if (!err)
		err = bpf_map__set_max_entries(skel->maps.free_slots, c->max_cgroups);
	/* A per-CPU LRU splits its entries between the possible CPUs. */
	if (!err)
		err = bpf_map__set_max_entries(skel->maps.evicted_arrivals,
					       (__u32)c->ncpus_possible *
						       CPOOL_BPF_EVICTED_PER_CPU);
	if (err) {
		snprintf(c->reason, sizeof(c->reason), "sizing the maps: %s", strerror(-err));
		goto cleanup;
	}

	err = metrics_bpf__load(skel);
	if (err) {
		snprintf(c->reason, sizeof(c->reason), "loading the BPF programs: %s%s%s%s",
			 strerror(-err),
			 err == -EPERM ? " (needs root, or CAP_BPF and CAP_PERFMON)" : "",
			 libbpf_last_msg[0] ? ": " : "", libbpf_last_msg);
		goto cleanup;
	}
	/* Every slot is free; the programs take them as cgroups show up. */
	for (__u32 slot = 0; slot < c->max_cgroups && !err; slot++)
		if (bpf_map_update_elem(bpf_map__fd(skel->maps.free_slots), NULL, &slot, 0))
			err = -errno;
	if (err) {
		snprintf(c->reason, sizeof(c->reason), "filling the free cgroup slots: %s",
			 strerror(-err));
		goto cleanup;
	}
	err = metrics_bpf__attach(skel);
	if (err) {
		snprintf(c->reason, sizeof(c->reason), "attaching to the sched tracepoints: %s%s%s",
			 strerror(-err), libbpf_last_msg[0] ? ": " : "", libbpf_last_msg);
		goto cleanup;
	}
	err = cpool_collector_prime_task_storage(skel);
	if (err) {
		snprintf(c->reason, sizeof(c->reason),
			 "creating the tasks' storage (task iterator): %s", strerror(-err));
		goto cleanup;
	}
	c->skel = skel;
	prime_cpus();
	return 0;

cleanup:
	metrics_bpf__destroy(skel);
	return err;
}

static int load_bpf(struct cpool_collector *c, const struct cpool_collector_opts *o)
{
	bool nohz_idle = !o->idle_from_switches && kernel_has_nohz_hooks();
	int err;

	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
		snprintf(
			c->reason, sizeof(c->reason),
			"kernel BTF /sys/kernel/btf/vmlinux is unavailable (%s): CONFIG_DEBUG_INFO_BTF=y is needed",
			strerror(errno));
		return -ENOENT;
	}
	libbpf_set_print(libbpf_capture);
	err = load_bpf_once(c, o, nohz_idle);
	/*
	 * The idle-loop programs are fentry/fexit, which some kernels refuse
	 * (no BPF trampolines: the 6.18 Firecracker guest here answers EPERM)
	 * where tp_btf loads: idle from the switches beats no BPF at all.
	 */
	if (err && nohz_idle)
		err = load_bpf_once(c, o, false);
	return err;
}

static void open_handles(struct cpool_collector *c, bool walk_requested);

#define CG_BATCH_BYTES (256 * 1024)
#define CG_BATCH_GAP 4

static int alloc_read_buffers(struct cpool_collector *c)
{
	size_t n = (size_t)c->ncpus_possible;

	c->task_files = calloc(n, sizeof(*c->task_files));
	c->slot_ids = calloc(c->max_cgroups, sizeof(*c->slot_ids));
	c->slot_of = calloc(c->max_cgroups, sizeof(*c->slot_of));
	/* cpoold reads no cgroup files: nothing to keep for it. */
	if (!c->no_cgroup_files)
		c->slot_stats = calloc(c->max_cgroups, sizeof(*c->slot_stats));
	c->cg_vals = calloc(n, sizeof(struct cpool_bpf_cgroup));
	/* Batches of at most 256 KiB of values: a few of them cover the map. */
	c->batch_slots = (__u32)(CG_BATCH_BYTES / (n * sizeof(struct cpool_bpf_cgroup)));
	if (c->batch_slots < 1)
		c->batch_slots = 1;
	if (c->batch_slots > c->max_cgroups)
		c->batch_slots = c->max_cgroups;
	c->slot_owner = calloc(c->max_cgroups, sizeof(*c->slot_owner));
	c->batch_keys = calloc(c->batch_slots, sizeof(*c->batch_keys));
	c->batch_vals = calloc((size_t)c->batch_slots * n, sizeof(struct cpool_bpf_cgroup));
	if (!c->task_files || !c->slot_ids || !c->slot_of || !c->cg_vals || !c->slot_owner ||
	    !c->batch_keys || !c->batch_vals || (!c->no_cgroup_files && !c->slot_stats))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		c->task_files[i].fd = -1;
	return 0;
}

static void prime_map_reads(struct cpool_collector *c);

int cpool_collector_open(const struct cpool_collector_opts *opts, struct cpool_collector **out)
{
	static const struct cpool_collector_opts defaults;
	const struct cpool_collector_opts *o = opts ? opts : &defaults;
	struct cpool_collector *c;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->max_cgroups = o->max_cgroups ? o->max_cgroups : CPOOL_BPF_MAX_CGROUPS;
	c->online_fd = -1;
	c->cgroup_root = o->cgroup_root ? strdup(o->cgroup_root) : find_cgroup2_mount();
	if (o->stat_subtree) {
		size_t n = strlen(o->stat_subtree);

		c->stat_subtree = malloc(n + 2);
		if (c->stat_subtree)
			snprintf(c->stat_subtree, n + 2, "/%s",
				 o->stat_subtree + strspn(o->stat_subtree, "/"));
	}
	c->no_cgroup_files = o->no_cgroup_files;
	if (c->cgroup_root) {
		c->root_len = strlen(c->cgroup_root);
		while (c->root_len > 1 && c->cgroup_root[c->root_len - 1] == '/')
			c->root_len--;
	}
	if ((o->cgroup_root && !c->cgroup_root) || (o->stat_subtree && !c->stat_subtree)) {
		free(c->cgroup_root);
		free(c);
		return -ENOMEM;
	}
	c->ncpus_possible = libbpf_num_possible_cpus();
	if (c->ncpus_possible <= 0) {
		snprintf(c->reason, sizeof(c->reason), "counting possible CPUs: %s",
			 strerror(-c->ncpus_possible));
		c->ncpus_possible = 0;
	} else if (!(c->shown = calloc((size_t)c->ncpus_possible, sizeof(*c->shown)))) {
		free(c->cgroup_root);
		free(c->stat_subtree);
		free(c);
		return -ENOMEM;
	} else if (o->no_bpf) {
		snprintf(c->reason, sizeof(c->reason), "BPF disabled by request");
	} else {
		load_bpf(c, o);
	}
	open_handles(c, o->resolve_by_walk);
	if (c->skel && alloc_read_buffers(c)) {
		cpool_collector_close(c);
		return -ENOMEM;
	}
	if (c->skel)
		prime_map_reads(c);
	*out = c;
	return 0;
}

void cpool_collector_close(struct cpool_collector *c)
{
	if (!c)
		return;
	metrics_bpf__destroy(c->skel);
	for (size_t i = 0; i < c->nnames; i++)
		free(c->names[i].path);
	free(c->names);
	if (c->online_fd >= 0)
		close(c->online_fd);
	for (int i = 0; c->task_files && i < c->ncpus_possible; i++)
		if (c->task_files[i].fd >= 0)
			close(c->task_files[i].fd);
	free(c->task_files);
	for (size_t i = 0; i < c->ncg_files; i++) {
		close(c->cg_files[i].stat_fd);
		close(c->cg_files[i].pressure_fd);
	}
	free(c->cg_files);
	free(c->slot_stats);
	free(c->slot_ids);
	free(c->slot_of);
	free(c->cg_vals);
	free(c->slot_owner);
	free(c->batch_keys);
	free(c->batch_vals);
	free(c->cgroup_root);
	free(c->stat_subtree);
	cpool_cgid_table_free(&c->ids);
	if (c->mount_fd >= 0)
		close(c->mount_fd);
	free(c->shown);
	free(c);
}

bool cpool_collector_degraded(const struct cpool_collector *c)
{
	return !c->skel;
}

const char *cpool_collector_reason(const struct cpool_collector *c)
{
	return c->skel ? "" : c->reason;
}

const char *cpool_collector_idle_source(const struct cpool_collector *c)
{
	if (!c->skel)
		return "proc-stat";
	return c->skel->rodata->nohz_idle ? "nohz" : "switches";
}

const char *cpool_collector_cgroup_root(const struct cpool_collector *c)
{
	return c->cgroup_root;
}

/* ---- cgroup ids and paths -------------------------------------------------- */

/* nftw has no user pointer: the walk in progress is held here. */
static struct {
	struct cgroup_name *names;
	size_t n, cap;
	size_t root_len;
	bool nomem;
} walk;

static int walk_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	const char *rel = path + walk.root_len;

	(void)ftw;
	if (type != FTW_D)
		return 0;
	if (walk.n == walk.cap) {
		size_t cap = walk.cap ? 2 * walk.cap : 256;
		struct cgroup_name *n = realloc(walk.names, cap * sizeof(*n));

		if (!n)
			goto nomem;
		walk.names = n;
		walk.cap = cap;
	}
	walk.names[walk.n].id = (uint64_t)st->st_ino;
	walk.names[walk.n].path = strdup(*rel ? rel : "/");
	if (!walk.names[walk.n].path)
		goto nomem;
	walk.n++;
	return 0;
nomem:
	walk.nomem = true;
	return 1;
}

static int by_name_id(const void *a, const void *b)
{
	const struct cgroup_name *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static void free_names(struct cgroup_name *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i].path);
	free(names);
}

/* The cgroup id is the inode number of the cgroup's directory. */
static int rescan_cgroups(struct cpool_collector *c)
{
	int err;

	if (!c->cgroup_root)
		return -ENOENT;
	memset(&walk, 0, sizeof(walk));
	walk.root_len = strlen(c->cgroup_root);
	while (walk.root_len > 1 && c->cgroup_root[walk.root_len - 1] == '/')
		walk.root_len--;
	err = nftw(c->cgroup_root, walk_one, 32, FTW_PHYS | FTW_MOUNT);
	if (walk.nomem || err) {
		free_names(walk.names, walk.n);
		return walk.nomem ? -ENOMEM : -errno;
	}
	if (walk.n)
		qsort(walk.names, walk.n, sizeof(*walk.names), by_name_id);
	free_names(c->names, c->nnames);
	c->names = walk.names;
	c->nnames = walk.n;
	c->id_stats.walks++;
	return 0;
}

static const char *lookup_name(const struct cpool_collector *c, uint64_t id)
{
	struct cgroup_name key = { .id = id }, *hit;

	if (!c->nnames)
		return NULL;
	hit = bsearch(&key, c->names, c->nnames, sizeof(key), by_name_id);
	return hit ? hit->path : NULL;
}

/* The kernel's handle type for kernfs nodes: the 64-bit node id is the whole handle. */
#define CPOOL_FILEID_KERNFS 0xfe

/*
 * The path of cgroup @id by its file handle: a cgroup's id is its kernfs
 * node id, which is its handle (the kernel's kernfs_encode_fh()), so one
 * open_by_handle_at() and a readlink of the fd answer what a walk of the
 * whole tree would.  0 and the path relative to the mount in @rel, or a
 * negative errno: -ESTALE or -ENOENT when the cgroup is gone.
 */
static int path_by_handle(const struct cpool_collector *c, uint64_t id, char *rel, size_t size)
{
	_Alignas(struct file_handle) char buf[sizeof(struct file_handle) + sizeof(id)];
	struct file_handle *fh = (struct file_handle *)buf;
	char link[64], abs[PATH_MAX];
	ssize_t n;
	int fd, err = 0;

	fh->handle_bytes = sizeof(id);
	fh->handle_type = CPOOL_FILEID_KERNFS;
	memcpy(fh->f_handle, &id, sizeof(id));
	fd = open_by_handle_at(c->mount_fd, fh, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, abs, sizeof(abs) - 1);
	if (n < 0)
		err = -errno;
	close(fd);
	if (n < 0)
		return err;
	abs[n] = '\0';
	/* Removed between the open and the readlink. */
	if (n > 10 && strcmp(abs + n - 10, " (deleted)") == 0)
		return -ESTALE;
	if (strncmp(abs, c->cgroup_root, c->root_len) != 0 ||
	    (abs[c->root_len] != '/' && abs[c->root_len] != '\0'))
		return -EXDEV; /* not under the mount as this process sees it */
	snprintf(rel, size, "%s", abs[c->root_len] ? abs + c->root_len : "/");
	return 0;
}

static void release_cgroup_slot(struct cpool_collector *c, uint64_t id);

/* @id's cgroup is gone (ids are never reused): its entry and its map slot go too. */
static void forget_gone(struct cpool_collector *c, uint64_t id)
{
	c->id_stats.stale++;
	cpool_cgid_remove(&c->ids, id);
	if (c->skel)
		release_cgroup_slot(c, id);
}

/* Handles cannot be used: ids are resolved by walking the tree from now on. */
static void fall_back_to_walks(struct cpool_collector *c, const char *why, int err)
{
	snprintf(c->walk_reason, sizeof(c->walk_reason), "%s: %s%s", why, strerror(-err),
		 err == -EPERM ? " (needs CAP_DAC_READ_SEARCH)" : "");
	if (c->mount_fd >= 0)
		close(c->mount_fd);
	c->mount_fd = -1;
}

/* Errors that say handles do not work here at all, rather than for this id. */
static bool handles_refused(int err)
{
	return err == -EPERM || err == -EACCES || err == -EOPNOTSUPP || err == -ENOSYS ||
	       err == -EINVAL;
}

/*
 * @e found at @rel: a first resolution is counted, and its existence check
 * is due at the next idle read; a confirmed one is checked again later.
 */
static struct cpool_cgid *found_at(struct cpool_collector *c, struct cpool_cgid *e, const char *rel,
				   uint64_t now, uint64_t *counter)
{
	bool known = e->path != NULL;

	if (!known)
		(*counter)++;
	if ((!known || strcmp(e->path, rel) != 0) && cpool_cgid_set_path(e, rel))
		return e; /* out of memory: tried again at the next read */
	e->misses = 0;
	if (known)
		cpool_backoff_failed(&e->retry, now);
	return e;
}

/*
 * One try to resolve @id, or to confirm that its cgroup still exists.
 * Its entry afterwards; NULL when the cgroup is gone.  A failure that is
 * not an answer waits its back-off (1, 2, 4 .. 64 s) before the next try.
 */
static struct cpool_cgid *resolve_id(struct cpool_collector *c, uint64_t id, uint64_t now)
{
	struct cpool_cgid *e = cpool_cgid_find(&c->ids, id);
	char rel[PATH_MAX];
	const char *walked;
	int err;

	if (!e)
		return NULL;
	if (c->mount_fd >= 0) {
		err = path_by_handle(c, id, rel, sizeof(rel));
		if (!err)
			return found_at(c, e, rel, now, &c->id_stats.by_handle);
		if (err == -ESTALE || err == -ENOENT) {
			forget_gone(c, id);
			return NULL;
		}
		if (!handles_refused(err)) {
			cpool_backoff_failed(&e->retry, now);
			return e;
		}
		fall_back_to_walks(c, "open_by_handle_at on the cgroup2 mount", err);
	}
	/*
	 * A new id is looked for in the last walk first (ids are never reused,
	 * so what it found is still that id's), then in a new one; a known id
	 * is checked only against a walk of this read.  At most one walk per
	 * read, shared by every id due in it.
	 */
	walked = !e->path || c->walked ? lookup_name(c, id) : NULL;
	if (!walked && !c->rescanned) {
		c->rescanned = true;
		c->walked = rescan_cgroups(c) == 0;
		walked = c->walked ? lookup_name(c, id) : NULL;
	}
	if (!walked && !c->walked) {
		cpool_backoff_failed(&e->retry, now);
		return e;
	}
	if (walked)
		return found_at(c, e, walked, now, &c->id_stats.by_walk);
	if (++e->misses >= WALK_MISSES_GONE) {
		forget_gone(c, id);
		return NULL;
	}
	cpool_backoff_failed(&e->retry, now);
	return e;
}

const char *cpool_collector_cgroup_path(struct cpool_collector *c, uint64_t id)
{
	struct cpool_cgid *e = cpool_cgid_find(&c->ids, id);
	uint64_t now;

	if (e && e->path)
		return e->path;
	if (!c->cgroup_root || (!e && !(e = cpool_cgid_add(&c->ids, id))))
		return NULL;
	now = monotonic_ns();
	if (!cpool_backoff_due(&e->retry, now))
		return NULL;
	/* Outside a read: each call may walk (the back-off still spaces an id's). */
	c->rescanned = c->walked = false;
	e = resolve_id(c, id, now);
	return e ? e->path : NULL;
}

void cpool_collector_id_stats(const struct cpool_collector *c, struct cpool_collector_ids *out)
{
	*out = c->id_stats;
	out->known = c->ids.n;
	out->pending = cpool_cgid_unresolved(&c->ids);
	out->walk_reason = c->mount_fd >= 0 ? NULL : c->walk_reason;
}

/*
 * Opens the mount for handles and proves they work on the mount's own
 * root, so that a kernel which cannot decode them is told from a cgroup
 * that is gone; otherwise ids are resolved by walks, and why is kept.
 */
static void open_handles(struct cpool_collector *c, bool walk_requested)
{
	char rel[8];
	struct stat st;
	int err;

	c->mount_fd = -1;
	if (!c->cgroup_root) {
		snprintf(c->walk_reason, sizeof(c->walk_reason), "no cgroup2 mount");
		return;
	}
	if (walk_requested) {
		snprintf(c->walk_reason, sizeof(c->walk_reason), "walks requested");
		return;
	}
	c->mount_fd = open(c->cgroup_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->mount_fd < 0) {
		fall_back_to_walks(c, c->cgroup_root, -errno);
		return;
	}
	if (fstat(c->mount_fd, &st)) {
		fall_back_to_walks(c, c->cgroup_root, -errno);
		return;
	}
	err = path_by_handle(c, (uint64_t)st.st_ino, rel, sizeof(rel));
	if (!err && strcmp(rel, "/") != 0)
		err = -EXDEV;
	if (err)
		fall_back_to_walks(c, "open_by_handle_at on the cgroup2 mount's root", err);
}

/* ---- cgroup files ---------------------------------------------------------- */

/* Reads a small kernel text file whole; NULL when it cannot. */
static char *read_text(const char *path)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	FILE *f = fopen(path, "re");

	if (!f)
		return NULL;
	for (;;) {
		size_t got;

		if (cap - len < 1024) {
			char *n = realloc(buf, cap + 4096);

			if (!n)
				break;
			buf = n;
			cap += 4096;
		}
		got = fread(buf + len, 1, cap - len - 1, f);
		len += got;
		if (got == 0)
			break;
	}
	fclose(f);
	if (buf)
		buf[len] = '\0';
	return buf;
}

/*
 * Reads a kernel text file from its start through a kept fd: procfs,
 * sysfs and cgroup files generate their text again at offset 0.  The
 * length, or a negative errno (ENODEV: the cgroup is gone; ESRCH: the
 * task is).
 */
static ssize_t pread_text(int fd, char *buf, size_t size)
{
	size_t len = 0;

	while (len < size - 1) {
		ssize_t got = pread(fd, buf + len, size - 1 - len, (off_t)len);

		if (got < 0)
			return -errno;
		if (got == 0)
			break;
		len += (size_t)got;
	}
	buf[len] = '\0';
	return (ssize_t)len;
}

static int open_cgroup_file(const struct cpool_collector *c, const char *rel, const char *file)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s%s/%s", c->cgroup_root, strcmp(rel, "/") ? rel : "",
		     file) >= (int)sizeof(path))
		return -1;
	return open(path, O_RDONLY | O_CLOEXEC);
}

static struct cgroup_files *cgroup_files_of(struct cpool_collector *c, uint64_t id)
{
	for (size_t i = 0; i < c->ncg_files; i++)
		if (c->cg_files[i].id == id)
			return &c->cg_files[i];
	return NULL;
}

/* Keeps @id's two files open if there is room; NULL: read them the old way. */
static struct cgroup_files *cgroup_files_open(struct cpool_collector *c, uint64_t id,
					      const char *rel)
{
	struct cgroup_files *f;

	if (c->ncg_files == CG_FILES_MAX)
		return NULL;
	if (!c->cg_files && !(c->cg_files = calloc(CG_FILES_MAX, sizeof(*c->cg_files))))
		return NULL;
	f = &c->cg_files[c->ncg_files];
	f->id = id;
	f->stat_fd = open_cgroup_file(c, rel, "cpu.stat");
	f->pressure_fd = open_cgroup_file(c, rel, "cpu.pressure");
	if (f->stat_fd < 0 && f->pressure_fd < 0)
		return NULL;
	c->ncg_files++;
	return f;
}

static void cgroup_files_drop(struct cpool_collector *c, struct cgroup_files *f)
{
	if (f->stat_fd >= 0)
		close(f->stat_fd);
	if (f->pressure_fd >= 0)
		close(f->pressure_fd);
	*f = c->cg_files[--c->ncg_files];
}

/* Closes the files of cgroups this read did not report (gone, or idle and pruned). */
static void cgroup_files_sweep(struct cpool_collector *c)
{
	for (size_t i = 0; i < c->ncg_files;) {
		if (c->cg_files[i].seen) {
			c->cg_files[i++].seen = false;
			continue;
		}
		cgroup_files_drop(c, &c->cg_files[i]);
	}
}

/* One file, through @fd when kept open, else by path; false when unreadable. */
static bool read_cgroup_text(const struct cpool_collector *c, int fd, const char *rel,
			     const char *file, char *buf, size_t size)
{
	bool ok;

	if (fd >= 0)
		return pread_text(fd, buf, size) >= 0;
	fd = open_cgroup_file(c, rel, file);
	if (fd < 0)
		return false;
	ok = pread_text(fd, buf, size) >= 0;
	close(fd);
	return ok;
}

static void read_cgstat(struct cpool_collector *c, uint64_t id, const char *rel,
			struct cpool_kmetrics_cgstat *st)
{
	struct cgroup_files *f;
	char text[4096];
	bool stat_ok, pressure_ok;

	memset(st, 0, sizeof(*st));
	if (!c->cgroup_root || !rel)
		return;
	f = cgroup_files_of(c, id);
	if (!f)
		f = cgroup_files_open(c, id, rel);
	/* cpu.stat last: the counters are read next, and it is what they are compared with. */
	pressure_ok = read_cgroup_text(c, f ? f->pressure_fd : -1, rel, "cpu.pressure", text,
				       sizeof(text));
	if (pressure_ok)
		cpool_kmetrics_parse_pressure(text, st);
	stat_ok = read_cgroup_text(c, f ? f->stat_fd : -1, rel, "cpu.stat", text, sizeof(text));
	if (stat_ok)
		cpool_kmetrics_parse_cpu_stat(text, st);
	if (!f)
		return;
	/* Gone (ENODEV): closed now, or the fds would pin a dying cgroup. */
	if ((f->stat_fd >= 0 && !stat_ok) || (f->pressure_fd >= 0 && !pressure_ok))
		cgroup_files_drop(c, f);
	else
		f->seen = true;
}

static bool in_stat_subtree(const struct cpool_collector *c, const char *rel)
{
	size_t n;

	if (!c->stat_subtree)
		return true;
	n = strlen(c->stat_subtree);
	return rel && strncmp(rel, c->stat_subtree, n) == 0 && (rel[n] == '\0' || rel[n] == '/');
}

static int by_slot_stat_id(const void *a, const void *b)
{
	const struct slot_stat *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/*
 * The cgroup files of the map's cgroups whose paths are known, read
 * right before the counters, so that cpu.stat is as of a moment before
 * the snapshot's instant, however long what follows it takes.  Read
 * after the running tasks' schedstat and the other cgroups' files, a
 * cgroup's cpu.stat came 13-60 ms after the instant in the lab, 2-17 ms
 * later still at the first read (every file opened, every path run for
 * the first time): a busy cgroup's cpu.stat baseline was that much too
 * high, and the first interval's run time read up to 1.8 % over the
 * kernel's (docs/metrics.md, "Run time against cpu.stat").
 */
static void read_slot_files(struct cpool_collector *c, size_t nslots)
{
	c->nslot_stats = 0;
	if (c->no_cgroup_files || !c->cgroup_root)
		return;
	/*
	 * Opened first, all of them: a first open took up to 5 ms in the
	 * lab, and one between a cgroup's cpu.stat and the counters would
	 * age that cpu.stat as much.
	 */
	for (size_t k = 0; k < nslots; k++) {
		struct cpool_cgid *e =
			c->slot_ids[k] ? cpool_cgid_find(&c->ids, c->slot_ids[k]) : NULL;

		if (e && e->path && in_stat_subtree(c, e->path) && !cgroup_files_of(c, e->id))
			cgroup_files_open(c, e->id, e->path);
	}
	for (size_t k = 0; k < nslots; k++) {
		struct cpool_cgid *e =
			c->slot_ids[k] ? cpool_cgid_find(&c->ids, c->slot_ids[k]) : NULL;
		struct slot_stat *ss;

		if (!e || !e->path || !in_stat_subtree(c, e->path))
			continue;
		ss = &c->slot_stats[c->nslot_stats++];
		ss->id = e->id;
		read_cgstat(c, e->id, e->path, &ss->stat);
	}
	if (c->nslot_stats > 1)
		qsort(c->slot_stats, c->nslot_stats, sizeof(*c->slot_stats), by_slot_stat_id);
}

/* @id's files as read_slot_files() read them; false when it did not. */
static bool slot_files_of(const struct cpool_collector *c, uint64_t id,
			  struct cpool_kmetrics_cgstat *st)
{
	struct slot_stat key = { .id = id }, *hit = NULL;

	if (c->nslot_stats)
		hit = bsearch(&key, c->slot_stats, c->nslot_stats, sizeof(key), by_slot_stat_id);
	if (hit)
		*st = hit->stat;
	return hit != NULL;
}

/* ---- snapshot assembly ----------------------------------------------------- */

static struct cpool_kmetrics_cgroup *add_cgroup(struct cpool_kmetrics_snapshot *s, size_t *cap,
						uint64_t id)
{
	struct cpool_kmetrics_cgroup *cg;

	if (s->ncgroups == *cap) {
		size_t ncap = *cap ? 2 * *cap : 64;
		struct cpool_kmetrics_cgroup *n = realloc(s->cgroups, ncap * sizeof(*n));

		if (!n)
			return NULL;
		s->cgroups = n;
		*cap = ncap;
	}
	cg = &s->cgroups[s->ncgroups++];
	memset(cg, 0, sizeof(*cg));
	cg->id = id;
	return cg;
}

static int online_cpus(struct cpool_collector *c, struct cpool_cpuset *set)
{
	char buf[4096];

	if (c->online_fd < 0 &&
	    (c->online_fd = open("/sys/devices/system/cpu/online", O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	if (pread_text(c->online_fd, buf, sizeof(buf)) <= 0)
		return -EIO;
	buf[strcspn(buf, "\n")] = '\0';
	return cpool_cpuset_parse(set, buf, NULL);
}

/*
 * Every (cgroup id, slot) pair of the map into c->slot_ids/slot_of: one
 * batch look-up for the whole map where the kernel has them (5.6), else
 * a key-by-key walk.  Returns how many.
 */
static size_t read_cgroup_slots(struct cpool_collector *c)
{
	int fd = bpf_map__fd(c->skel->maps.cgroup_slots);
	__u64 token = 0, key, next, *pkey = NULL;
	size_t n = 0;

	for (;;) {
		__u32 count = c->max_cgroups - (__u32)n;
		int err = bpf_map_lookup_batch(fd, n ? &token : NULL, &token, c->slot_ids + n,
					       c->slot_of + n, &count, NULL);

		n += count;
		if (!err && n < c->max_cgroups)
			continue;
		if (!err || errno == ENOENT)
			return n; /* the whole map */
		if (n || (errno != EINVAL && errno != ENOTSUPP && errno != EOPNOTSUPP))
			return n;
		break;
	}
	while (n < c->max_cgroups && bpf_map_get_next_key(fd, pkey, &next) == 0) {
		key = next;
		pkey = &key;
		if (bpf_map_lookup_elem(fd, &key, &c->slot_of[n]) == 0)
			c->slot_ids[n++] = key;
	}
	return n;
}

/* One cgroup's per-CPU copies, as counted since @key got the slot, into the snapshot. */
static int add_cgroup_counts(struct cpool_collector *c, struct cpool_kmetrics_snapshot *s,
			     size_t *cap, __u64 key, const struct cpool_bpf_cgroup *vals)
{
	struct cpool_kmetrics_cgroup *cg = add_cgroup(s, cap, key);

	if (!cg)
		return -ENOMEM;
	for (int i = 0; i < c->ncpus_possible; i++) {
		const struct cpool_bpf_cgroup *v = &vals[i];

		/* A CPU that has not counted for this cgroup since it got the slot. */
		if (v->id != key)
			continue;
		cg->run_ns += v->run_ns;
		cg->scheduled += v->scheduled;
		cg->preempted += v->preempted;
		cg->rqlat_count += v->rqlat_count;
		cg->rqlat_sum_ns += v->rqlat_sum_ns;
		for (int k = 0; k < CPOOL_BPF_HIST_SLOTS; k++)
			cg->rqlat_hist[k] += v->rqlat_hist[k];
	}
	return 0;
}

/*
 * The slots in use, read in batches of consecutive slots (one system call
 * per batch, not per cgroup: a thousand cgroups were a thousand calls per
 * tick).  -EOPNOTSUPP when the kernel has no batch ops for arrays (before
 * 5.6) and nothing was read.
 */
static int read_bpf_cgroups_batched(struct cpool_collector *c, size_t nslots,
				    struct cpool_kmetrics_snapshot *s, size_t *cap)
{
	int fd = bpf_map__fd(c->skel->maps.cgroup_stats);
	size_t stride = (size_t)c->ncpus_possible;
	const struct cpool_bpf_cgroup *vals = c->batch_vals;
	__u32 start = 0, last, prev, next;
	bool first = true;
	int err = 0;

	for (size_t n = 0; n < nslots; n++)
		if (c->slot_of[n] < c->max_cgroups)
			c->slot_owner[c->slot_of[n]] = c->slot_ids[n]; /* 0: gone, skipped */
	while (!err && start < c->max_cgroups) {
		__u32 count;
		int r;

		while (start < c->max_cgroups && !c->slot_owner[start])
			start++;
		if (start == c->max_cgroups)
			break;
		/*
		 * A cluster of used slots, gaps of at most CG_BATCH_GAP unused
		 * ones: every slot in a batch is copied, used or not, and
		 * freed slots return to the back of the queue, so after a
		 * while the used ones are spread over the whole map.
		 */
		last = start;
		for (__u32 k = start + 1;
		     k < c->max_cgroups && k - start < c->batch_slots && k - last <= CG_BATCH_GAP;
		     k++)
			if (c->slot_owner[k])
				last = k;
		count = last - start + 1;
		/* An array's batch starts after the key given: the slot before. */
		prev = start - 1;
		r = bpf_map_lookup_batch(fd, start ? &prev : NULL, &next, c->batch_keys,
					 c->batch_vals, &count, NULL);
		if (r && errno != ENOENT) {
			if (first && (errno == EINVAL || errno == ENOTSUPP || errno == EOPNOTSUPP))
				err = -EOPNOTSUPP;
			else
				err = -errno;
			break;
		}
		first = false;
		for (__u32 k = 0; k < count && !err; k++) {
			__u32 slot = c->batch_keys[k];

			if (slot < c->max_cgroups && c->slot_owner[slot])
				err = add_cgroup_counts(c, s, cap, c->slot_owner[slot],
							&vals[k * stride]);
		}
		if (!count || r)
			break;
		start = c->batch_keys[count - 1] + 1;
	}
	for (size_t n = 0; n < nslots; n++)
		if (c->slot_of[n] < c->max_cgroups)
			c->slot_owner[c->slot_of[n]] = 0;
	return err;
}

static int read_bpf_cgroups(struct cpool_collector *c, size_t nslots,
			    struct cpool_kmetrics_snapshot *s, size_t *cap)
{
	int fd = bpf_map__fd(c->skel->maps.cgroup_stats);
	struct cpool_bpf_cgroup *vals = c->cg_vals;
	int err = 0;

	if (c->batch_slots) {
		err = read_bpf_cgroups_batched(c, nslots, s, cap);
		if (err != -EOPNOTSUPP)
			return err;
		c->batch_slots = 0; /* this kernel has none: per slot from now on */
		err = 0;
	}
	for (size_t n = 0; n < nslots && !err; n++) {
		if (!c->slot_ids[n] || bpf_map_lookup_elem(fd, &c->slot_of[n], vals))
			continue;
		err = add_cgroup_counts(c, s, cap, c->slot_ids[n], vals);
	}
	return err;
}

static int read_bpf_preempts(struct cpool_collector *c, struct cpool_kmetrics_snapshot *s)
{
	int fd = bpf_map__fd(c->skel->maps.preemptions);
	struct cpool_bpf_preempt_key key, next, *pkey = NULL;
	size_t cap = 0;
	__u64 *vals;
	int err = 0;

	vals = calloc((size_t)c->ncpus_possible, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	while (bpf_map_get_next_key(fd, pkey, &next) == 0) {
		struct cpool_kmetrics_preempt *p;

		key = next;
		pkey = &key;
		if (bpf_map_lookup_elem(fd, &key, vals))
			continue;
		if (s->npreempts == cap) {
			size_t ncap = cap ? 2 * cap : 64;
			struct cpool_kmetrics_preempt *n = realloc(s->preempts, ncap * sizeof(*n));

			if (!n) {
				err = -ENOMEM;
				break;
			}
			s->preempts = n;
			cap = ncap;
		}
		p = &s->preempts[s->npreempts++];
		p->victim = key.victim;
		p->preemptor = key.preemptor;
		p->count = 0;
		for (int i = 0; i < c->ncpus_possible; i++)
			p->count += vals[i];
	}
	free(vals);
	return err;
}

/*
 * Cgroups that are gone keep their slots: when three quarters are taken,
 * return the slots of ids with no directory left (ids are never reused).
 * A task or CPU that still holds such a slot finds it another cgroup's (or
 * no one's) and looks its own up again (metrics.bpf.c, slot_entry()).
 */
static void release_cgroup_slot(struct cpool_collector *c, uint64_t id)
{
	int slots_fd = bpf_map__fd(c->skel->maps.cgroup_slots);
	int free_fd = bpf_map__fd(c->skel->maps.free_slots);
	__u32 slot;

	if (bpf_map_lookup_elem(slots_fd, &id, &slot) || bpf_map_delete_elem(slots_fd, &id))
		return;
	bpf_map_update_elem(free_fd, NULL, &slot, 0);
}

static void prune_dead_cgroups(struct cpool_collector *c, const struct cpool_kmetrics_snapshot *s)
{
	if (s->ncgroups < (size_t)c->max_cgroups * 3 / 4 || !c->cgroup_root)
		return;
	for (size_t i = 0; i < s->ncgroups; i++)
		if (!s->cgroups[i].path)
			release_cgroup_slot(c, s->cgroups[i].id);
}

/*
 * Marks the map's ids seen and resolves those not known yet that are due,
 * before the counters are read: resolving is the slow part, and it must not
 * fall between the counters and what is read beside them.
 */
static void resolve_slots(struct cpool_collector *c, size_t nslots, uint64_t now)
{
	for (size_t k = 0; k < nslots; k++) {
		struct cpool_cgid *e = cpool_cgid_add(&c->ids, c->slot_ids[k]);

		if (!e)
			continue;
		e->seen = true;
		/* Gone: its slot was just freed; its counters are not read (id 0). */
		if (!e->path && c->cgroup_root && cpool_backoff_due(&e->retry, now) &&
		    !resolve_id(c, c->slot_ids[k], now))
			c->slot_ids[k] = 0;
	}
}

/*
 * The path of @cg, checking that a cgroup whose tasks were not switched
 * in since the last read still exists (its back-off spaces the checks of
 * one that stays idle), so that a removed cgroup's slot returns to the
 * map within a read or two of its last run.  By walk, the check waits for
 * a walk that new ids make anyway.  NULL when unknown or gone.
 */
static const char *snapshot_path(struct cpool_collector *c, const struct cpool_kmetrics_cgroup *cg,
				 uint64_t now)
{
	struct cpool_cgid *e = cpool_cgid_find(&c->ids, cg->id);

	if (!c->cgroup_root)
		return NULL;
	if (!e) {
		/* Running on a CPU without a slot (the map is full). */
		if (!(e = cpool_cgid_add(&c->ids, cg->id)))
			return NULL;
		e->seen = true;
	}
	if (!e->path) {
		if (cpool_backoff_due(&e->retry, now))
			e = resolve_id(c, cg->id, now);
		return e ? e->path : NULL;
	}
	if (e->activity != cg->scheduled) {
		e->activity = cg->scheduled;
		cpool_backoff_reset(&e->retry);
	} else if (cpool_backoff_due(&e->retry, now) && (c->mount_fd >= 0 || c->walked)) {
		e = resolve_id(c, cg->id, now);
	}
	return e ? e->path : NULL;
}

/*
 * What the task running on a CPU had run since it came in, up to @at (the
 * snapshot's instant, read before the per-CPU map): its sum_exec_runtime
 * now (the first field of /proc/PID/schedstat, brought up to date by the
 * kernel as it is read) less the value the switch recorded, less the time
 * since @at, which it ran at most of.  A lower bound, and exact for a task
 * that ran throughout: a reader stalled after the map (a vCPU under TCG,
 * tens of ms) must not count the stall as run time of this snapshot, or
 * the interval's run time exceeds the interval.  The scheduler's clock,
 * like the run time the switches charge, and no clock read in the switch:
 * a switch between two tasks takes none, so last_switch_ns is not when the
 * running task came in.  0 when the task is gone (its time was charged at
 * its last switch).
 */
static uint64_t running_task_inflight(struct cpool_collector *c, int cpu,
				      const struct cpool_bpf_cpu *v, uint64_t at)
{
	struct task_file *tf = &c->task_files[cpu];
	unsigned long long exec;
	uint64_t ran, late;
	char path[64], text[128];

	if (!v->cur_pid)
		return 0;
	/* Often the same task as last time (this process, on the CPU that reads). */
	if (tf->fd >= 0 && tf->pid != v->cur_pid) {
		close(tf->fd);
		tf->fd = -1;
	}
	if (tf->fd < 0) {
		snprintf(path, sizeof(path), "/proc/%llu/schedstat",
			 (unsigned long long)v->cur_pid);
		tf->fd = open(path, O_RDONLY | O_CLOEXEC);
		tf->pid = v->cur_pid;
		if (tf->fd < 0)
			return 0;
	}
	/* ESRCH: the task is gone (its pid perhaps reused); the next read opens anew. */
	if (pread_text(tf->fd, text, sizeof(text)) < 0) {
		close(tf->fd);
		tf->fd = -1;
		return 0;
	}
	late = monotonic_ns() - at;
	ran = sscanf(text, "%llu", &exec) == 1 && exec > v->cur_exec_start ?
		      exec - v->cur_exec_start :
		      0;
	return ran > late ? ran - late : 0;
}

/* The online CPUs; all the possible ones when that cannot be read. */
static void read_online(struct cpool_collector *c, struct cpool_cpuset *online)
{
	if (online_cpus(c, online))
		cpool_cpuset_set_range(online, 0, c->ncpus_possible - 1);
}

/*
 * The per-CPU state of the @online CPUs, each CPU's open span added up to
 * the snapshot's instant (cpool_kmetrics_cpu_at(): the clock is read
 * before the map), and the program's own counters.  *@raw (freed by the caller) keeps the
 * elements read, for the running tasks' in-flight run time.
 */
static int read_bpf_cpus(struct cpool_collector *c, struct cpool_kmetrics_snapshot *s,
			 const struct cpool_cpuset *online, struct cpool_bpf_cpu **raw)
{
	int fd = bpf_map__fd(c->skel->maps.cpu_stats);
	struct cpool_bpf_cpu *vals;
	__u32 zero = 0;
	int err;

	*raw = NULL;
	vals = calloc((size_t)c->ncpus_possible, sizeof(*vals));
	s->cpus = calloc((size_t)c->ncpus_possible, sizeof(*s->cpus));
	if (!vals || !s->cpus) {
		free(vals);
		return -ENOMEM;
	}
	/* The clock right before the map: the instant the CPUs are shown at. */
	s->time_ns = monotonic_ns();
	if (bpf_map_lookup_elem(fd, &zero, vals)) {
		err = -errno;
		free(vals);
		return err;
	}
	for (int i = 0; i < c->ncpus_possible; i++) {
		const struct cpool_bpf_cpu *v = &vals[i];
		struct cpool_kmetrics_cpu_state st = {
			.cpu = i,
			.busy_ns = v->busy_ns,
			.idle_ns = v->idle_ns,
			.switches = v->switches,
			.last_switch_ns = v->last_switch_ns,
			.idle_task = !v->cur_cgroup,
			.nohz = c->skel->rodata->nohz_idle,
			.nohz_idle_start = v->nohz_idle_start,
			.idle_at_switch_in = v->idle_at_switch_in,
		};

		s->failed_updates += v->failed_updates;
		s->unmatched_switches += v->unmatched;
		s->arrival_misses += v->arrival_misses;
		s->lost_baselines += v->lost_baselines;
		if (cpool_cpuset_isset(online, i))
			cpool_kmetrics_cpu_at(&st, s->time_ns, &s->cpus[s->ncpus++]);
	}
	*raw = vals;
	return 0;
}

/*
 * Whether another online CPU shows @v's task as running too, having taken
 * it in later: the map's CPUs are copied one after another, so a task
 * that moved meanwhile can be current in two of them, and its schedstat
 * would be counted twice (once more than the switches will ever charge,
 * and a counter that goes back reads as a reset).  The later arrival
 * counts it.
 */
static bool left_for_later(const struct cpool_bpf_cpu *vals,
			   const struct cpool_kmetrics_snapshot *s, const struct cpool_bpf_cpu *v)
{
	for (size_t k = 0; k < s->ncpus; k++) {
		const struct cpool_bpf_cpu *o = &vals[s->cpus[k].cpu];

		if (o != v && o->cur_cgroup && o->cur_task == v->cur_task &&
		    (o->cur_exec_start > v->cur_exec_start ||
		     (o->cur_exec_start == v->cur_exec_start && o > v)))
			return true;
	}
	return false;
}

/*
 * The maps read once at open, and thrown away: what lies between a read's
 * cgroup files and its instant (the cgroups' map, the CPUs') is then not
 * done for the first time at the first read, the baseline.  Done the first
 * time it took up to 22 ms in the lab (the buffers' pages faulted in, the
 * emulator translating the code), against 0.2-0.7 ms after; the baseline's
 * cpu.stat was that much older than its instant, and the first interval
 * read under the kernel by up to 0.7 %.  Nothing else is touched: no path
 * is resolved and no file read, so the ids' statistics stay the reads'.
 */
static void prime_map_reads(struct cpool_collector *c)
{
	struct cpool_kmetrics_snapshot s = { 0 };
	struct cpool_bpf_cpu *raw = NULL;
	struct cpool_cpuset online;
	size_t cap = 0;

	read_online(c, &online);
	read_bpf_cgroups(c, read_cgroup_slots(c), &s, &cap);
	read_bpf_cpus(c, &s, &online, &raw);
	free(raw);
	cpool_kmetrics_snapshot_free(&s);
}

static int read_bpf(struct cpool_collector *c, struct cpool_kmetrics_snapshot *s)
{
	struct cpool_bpf_cpu *vals;
	struct cpool_cpuset online;
	size_t cap = 0, nslots;
	uint64_t now;
	int err;

	/*
	 * What can wait is read first: from the cgroup files to the CPUs'
	 * map, nothing but the cgroups' map (why in read_slot_files()).
	 */
	read_online(c, &online);
	nslots = read_cgroup_slots(c);
	now = monotonic_ns();
	resolve_slots(c, nslots, now);
	read_slot_files(c, nslots);
	/*
	 * Cgroups before CPUs: time charged after this read shows as in-flight
	 * below, unless its task switched out before the CPUs' read: that span
	 * is then in neither (the CPU shows the next task) and shows in the
	 * next snapshot's cgroups, one interval that much low and the next as
	 * much high (the two reads are a few ms apart; never seen in the lab).
	 */
	err = read_bpf_cgroups(c, nslots, s, &cap);
	if (!err)
		err = read_bpf_cpus(c, s, &online, &vals);
	if (err)
		return err;
	/* Whatever runs now has not been charged to its cgroup yet. */
	for (size_t i = 0; i < s->ncpus; i++) {
		const struct cpool_bpf_cpu *v = &vals[s->cpus[i].cpu];
		struct cpool_kmetrics_cgroup *cg = NULL;

		if (!v->cur_cgroup || !v->last_switch_ns || left_for_later(vals, s, v))
			continue;
		for (size_t k = 0; k < s->ncgroups && !cg; k++)
			if (s->cgroups[k].id == v->cur_cgroup)
				cg = &s->cgroups[k];
		if (!cg)
			cg = add_cgroup(s, &cap, v->cur_cgroup);
		if (cg)
			cg->run_ns += running_task_inflight(c, s->cpus[i].cpu, v, s->time_ns);
	}
	free(vals);
	/*
	 * Nothing to read when the program does not count them (cpoold has no
	 * use for them).  Read last: they are compared with nothing, and a
	 * walk of the hash between the cgroups' map and the CPUs' widened the
	 * window in which a switch ends a span that neither then shows (charged
	 * after the cgroups' map was read, no longer in flight in the CPUs').
	 */
	if (c->skel->rodata->track_preemptors) {
		err = read_bpf_preempts(c, s);
		if (err)
			return err;
	}

	for (size_t i = 0; i < s->ncgroups; i++) {
		const char *p = snapshot_path(c, &s->cgroups[i], now);

		if (p && !(s->cgroups[i].path = strdup(p)))
			return -ENOMEM;
		/* A cgroup resolved just now, or running without a slot: its files now. */
		if (!c->no_cgroup_files && p && in_stat_subtree(c, p) &&
		    !slot_files_of(c, s->cgroups[i].id, &s->cgroups[i].stat))
			read_cgstat(c, s->cgroups[i].id, p, &s->cgroups[i].stat);
	}
	cgroup_files_sweep(c);
	cpool_cgid_sweep(&c->ids);
	prune_dead_cgroups(c, s);
	return 0;
}

static int read_proc_stat(struct cpool_kmetrics_snapshot *s)
{
	char *text = read_text("/proc/stat");
	int n;

	if (!text)
		return -errno ? -errno : -EIO;
	n = cpool_kmetrics_parse_proc_stat(text, sysconf(_SC_CLK_TCK), &s->cpus);
	free(text);
	if (n < 0)
		return n;
	s->ncpus = (size_t)n;
	return 0;
}

static int read_degraded(struct cpool_collector *c, struct cpool_kmetrics_snapshot *s)
{
	size_t cap = 0;
	int err;

	s->degraded = true;
	snprintf(s->reason, sizeof(s->reason), "%s", c->reason);
	err = read_proc_stat(s);
	s->time_ns = monotonic_ns();
	if (err)
		return err;
	if (!c->cgroup_root || rescan_cgroups(c))
		return 0; /* no cgroup2: CPU rows only */
	for (size_t i = 0; i < c->nnames && i < DEGRADED_MAX_CGROUPS; i++) {
		struct cpool_kmetrics_cgroup *cg = add_cgroup(s, &cap, c->names[i].id);

		if (!cg)
			return -ENOMEM;
		cg->path = strdup(c->names[i].path);
		if (!cg->path)
			return -ENOMEM;
		if (in_stat_subtree(c, cg->path))
			read_cgstat(c, cg->id, cg->path, &cg->stat);
		cg->run_ns = cg->stat.usage_usec * 1000;
	}
	cgroup_files_sweep(c);
	return 0;
}

/*
 * Every reading of a CPU, from either read function, goes through here:
 * what is shown never goes back (cpool_kmetrics_cpu_monotonic()).
 */
static void show_monotonic(struct cpool_collector *c, struct cpool_kmetrics_snapshot *s)
{
	for (size_t i = 0; i < s->ncpus; i++)
		if (s->cpus[i].cpu >= 0 && s->cpus[i].cpu < c->ncpus_possible)
			cpool_kmetrics_cpu_monotonic(&c->shown[s->cpus[i].cpu], &s->cpus[i]);
}

int cpool_collector_read(struct cpool_collector *c, struct cpool_kmetrics_snapshot *snap)
{
	int err;

	memset(snap, 0, sizeof(*snap));
	c->rescanned = c->walked = false;
	err = c->skel ? read_bpf(c, snap) : read_degraded(c, snap);
	if (err) {
		cpool_kmetrics_snapshot_free(snap);
		return err;
	}
	show_monotonic(c, snap);
	cpool_kmetrics_snapshot_sort(snap);
	return 0;
}

int cpool_collector_read_cpus(struct cpool_collector *c, struct cpool_kmetrics_snapshot *snap)
{
	struct cpool_bpf_cpu *raw = NULL;
	int err;

	memset(snap, 0, sizeof(*snap));
	if (c->skel) {
		struct cpool_cpuset online;

		read_online(c, &online);
		err = read_bpf_cpus(c, snap, &online, &raw);
		free(raw);
	} else {
		snap->degraded = true;
		snprintf(snap->reason, sizeof(snap->reason), "%s", c->reason);
		snap->time_ns = monotonic_ns();
		err = read_proc_stat(snap);
	}
	if (err) {
		cpool_kmetrics_snapshot_free(snap);
		return err;
	}
	show_monotonic(c, snap);
	cpool_kmetrics_snapshot_sort(snap);
	return 0;
}
