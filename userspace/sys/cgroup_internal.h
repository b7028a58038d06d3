/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/* Shared by userspace/sys/cgroup_*.c only. */
#ifndef CPOOL_SYS_CGROUP_INTERNAL_H
#define CPOOL_SYS_CGROUP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "cpool/cgroup.h"

/* libcgroup must be initialised once per process; later calls are free. */
int cg_lib_init(struct cpool_error *e);

/* "<pool>/<rel>" relative to the mount (libcgroup's names) and absolute. */
int cg_rel_name(const struct cpool_cg_pool *pool, const char *rel, char *buf, size_t len);
int cg_abs_path(const struct cpool_cg_pool *pool, const char *rel, char *buf, size_t len);
/* @rel is "vs" or "vs/job" with valid names (no escape from the pool). */
int cg_rel_check(const char *rel, struct cpool_error *e);

/* Set one knob through libcgroup: cgroup_modify_cgroup on a one-value cgroup. */
int cg_set(const struct cpool_cg_pool *pool, const char *rel, const char *controller,
	   const char *file, const char *value, struct cpool_error *e);
/*
 * Create the cgroup @rel (libcgroup); @controllers: enable ours in the
 * parents' cgroup.subtree_control on the way down.  -EEXIST when present.
 */
int cg_mkdir(const struct cpool_cg_pool *pool, const char *rel, bool controllers,
	     struct cpool_error *e);
/* Every pid in @dir/cgroup.procs; *@pids malloc'ed. */
int cg_read_pids(const char *dir, int **pids, int *count, struct cpool_error *e);
/*
 * @sig to every process of the cgroup directory @dir and below, each pinned
 * by a pidfd and checked to be still in it (cgroup_signal.c); the count.
 */
int cg_signal_tree(const char *dir, int sig, struct cpool_error *e);

/* Direct file access, for what libcgroup 2.0.2 has no call for (see each caller). */
int cg_read_file(const char *dir, const char *file, char *buf, size_t len, struct cpool_error *e);
int cg_write_file(const char *dir, const char *file, const char *value, struct cpool_error *e);
/* A CPU or node list file (cpuset.cpus, cpuset.mems.effective, ...). */
int cg_read_set(const char *dir, const char *file, struct cpool_cpuset *set, struct cpool_error *e);

/* Sorted names of the sub-cgroups of @dir. */
int cg_list_children(const char *dir, char (**names)[CPOOL_VS_NAME_MAX + 1], int *count,
		     struct cpool_error *e);

/* True when the calling process lives in @rel of the pool ("" = anywhere in it). */
bool cg_self_inside(const struct cpool_cg_pool *pool, const char *rel);

/* Controllers a VS distributes to its job leaves. */
extern const char *const cg_controllers[];
extern const int cg_nr_controllers;

#endif
