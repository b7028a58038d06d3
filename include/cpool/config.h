/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The pool configuration (/etc/cpool/pool.ini, docs/config.md): one [pool]
 * section and one [vserver NAME] section per virtual server.  Parsed with
 * libinih; every error names the file, the line and the key, and says
 * what would be valid.
 */
#ifndef CPOOL_CONFIG_H
#define CPOOL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "cpool/cpuset.h"
#include "cpool/fit.h"
#include "cpool/planner.h"
#include "cpool/vserver.h"
#include "cpool/error.h"

/*
 * [limits]: what one user (uid) may take of a shared pool.  Root is bound
 * only by max_connections; 0 in a per-user count means no limit.
 */
struct cpool_user_limits {
	int max_connections; /* API connections in all; default 256 */
	int root_connections; /* of those, kept for root; default 4 */
	int connections_per_user; /* default 32 */
	int queued_jobs_per_user; /* queued or frozen; default 1000 */
	int running_cpus_per_user; /* CPUs of running jobs; default 0 (none) */
	int max_array_size; /* elements of one job array; default 1000 */
	double submit_rate; /* submissions per second per user; default 10 */
	int submit_burst; /* default 100 */
	double idle_timeout; /* seconds a silent connection is kept; default 300 */
};

void cpool_user_limits_default(struct cpool_user_limits *l);

struct cpool_pool_config {
	char name[CPOOL_VS_NAME_MAX + 1]; /* cgroup subtree; default "cpool" */
	bool reserved_set; /* false: the planner's default */
	struct cpool_cpuset reserved;
	enum cpool_fit placement; /* default first-fit */
	bool placement_set; /* given in the file (a reload compares it) */
	int sched; /* [pool] policy: an enum cpool_sched, or -1 when not given */
	double quantum; /* [pool] quantum, seconds; 0 when not given */
	/* [pool] admit_p99: the policies' admission bound, seconds; 0 = off, -1 when not given */
	double admit_p99;
	double fairshare_half_life; /* seconds; 0 = no decay; default 7 days */
	int nr_vs;
	struct cpool_vs_spec *vs; /* in file order */
	struct cpool_user_limits limits;
	/* [metrics] listen: "HOST:PORT" of cpoold's /metrics, "" = off */
	char metrics_listen[64];
	/* [pool] retention: samples and ended jobs older than this are pruned; 0 = kept */
	double retention_s;
};

#define CPOOL_RETENTION_DEFAULT_S (30 * 86400.0)

#define CPOOL_METRICS_LISTEN_DEFAULT "127.0.0.1:9464"

/*
 * "IPv4:PORT" or "[IPv6]:PORT" into @addr (a struct sockaddr_in or
 * sockaddr_in6 in @addr's storage); -EINVAL when it is neither.
 */
struct sockaddr_storage;
int cpool_listen_parse(const char *text, struct sockaddr_storage *addr);

/*
 * Parse @path.  Returns 0, or a negative errno with "FILE:LINE: ..." in
 * @e (-ENOENT etc. for an unreadable file, -EINVAL for bad content).
 */
int cpool_config_load(struct cpool_pool_config *c, const char *path, struct cpool_error *e);
/* The same over text in memory; @name stands for the file in messages. */
int cpool_config_parse_string(struct cpool_pool_config *c, const char *text, const char *name,
			      struct cpool_error *e);
void cpool_config_free(struct cpool_pool_config *c);

/*
 * Set one [vserver] key on @spec: cpus, memory, numa, mems, exclusive,
 * smt, cpu_weight, cpu_max, memory_high, pids_max.  Shared by the config
 * file and "cpool plan --vs".  Returns 0, or -EINVAL (-ENOENT for an
 * unknown key) with what is wrong and what is valid in @e (without the
 * file:line prefix).
 */
int cpool_vs_spec_set(struct cpool_vs_spec *spec, const char *key, const char *value,
		      struct cpool_error *e);
/* "cpus, memory, numa, ...": for messages. */
const char *cpool_vs_spec_keys(void);

#endif /* CPOOL_CONFIG_H */
