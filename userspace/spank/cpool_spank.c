// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * cpool_spank.so: Slurm runs a step's tasks inside a cpool virtual server.
 *
 * srun/sbatch --cpool-vs=NAME [--cpool-mem=SIZE].  In slurmstepd, each
 * task's process, forked and not yet exec'd, asks cpoold (the attach
 * request, root only) to become a job of VS NAME: its pidfd travels with
 * the request, cpoold takes CPUs of the VS, makes a leaf and moves the
 * process in, and the task then exec's the user's program inside it.
 * docs/slurm.md is the administrator's side.
 *
 * plugstack.conf arguments:
 *   socket=PATH      cpoold's socket (default /run/cpool/cpool.sock)
 *   unconfined=yes   when cpoold cannot be reached, run the task outside
 *                    the pool (logged) instead of failing it
 *   vs=NAME          the VS of steps that name none (default: none, such
 *                    steps are left alone)
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <slurm/slurm.h>
#include <slurm/spank.h>

#include "cpool/apiclient.h"
#include "cpool/units.h"
#include "cpool/vserver.h"

#pragma GCC visibility push(default)
SPANK_PLUGIN(cpool, 1);
#pragma GCC visibility pop

#define EXPORT __attribute__((visibility("default")))
/* A task's wait for cpoold's answer: the attach is a few writes, not a queue. */
#define ATTACH_TIMEOUT_MS 30000
/* attach.started only refines the run's start: a slow daemon must not hold the task. */
#define STARTED_TIMEOUT_MS 5000

static char opt_vs[CPOOL_VS_NAME_MAX + 1];
static uint64_t opt_mem;
static char conf_socket[PATH_MAX];
static char conf_vs[CPOOL_VS_NAME_MAX + 1];
static int conf_unconfined;
/* Set in the task's process once it is attached; read there again in task_init. */
static int task_attached;

/* The user's value, checked where it is typed (srun, sbatch) and again in slurmstepd. */
static int take_vs(int val, const char *optarg, int remote)
{
	(void)val;
	(void)remote;
	if (!optarg || !optarg[0] || strlen(optarg) > CPOOL_VS_NAME_MAX ||
	    strspn(optarg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") !=
		    strlen(optarg)) {
		slurm_error("cpool: --cpool-vs=%s: not a virtual server name (letters, digits, "
			    "'_', '.', '-'; at most %d)",
			    optarg ? optarg : "", CPOOL_VS_NAME_MAX);
		return -1;
	}
	snprintf(opt_vs, sizeof(opt_vs), "%s", optarg);
	return 0;
}

static int take_mem(int val, const char *optarg, int remote)
{
	(void)val;
	(void)remote;
	if (!optarg || cpool_parse_size(optarg, &opt_mem) || opt_mem == 0) {
		slurm_error("cpool: --cpool-mem=%s: expected a size such as 512M or 2G",
			    optarg ? optarg : "");
		return -1;
	}
	return 0;
}

static struct spank_option options[] = {
	{ "cpool-vs", "NAME", "Run each task in a leaf of cpool virtual server NAME", 1, 0,
	  take_vs },
	{ "cpool-mem", "SIZE", "Memory limit of each task's cpool leaf (e.g. 2G)", 1, 0, take_mem },
	SPANK_OPTIONS_TABLE_END
};

static int parse_args(int ac, char **av)
{
	snprintf(conf_socket, sizeof(conf_socket), "%s", CPOOL_DEFAULT_SOCKET);
	for (int i = 0; i < ac; i++) {
		if (strncmp(av[i], "socket=", 7) == 0) {
			snprintf(conf_socket, sizeof(conf_socket), "%s", av[i] + 7);
		} else if (strncmp(av[i], "vs=", 3) == 0) {
			snprintf(conf_vs, sizeof(conf_vs), "%s", av[i] + 3);
		} else if (strcmp(av[i], "unconfined=yes") == 0) {
			conf_unconfined = 1;
		} else if (strcmp(av[i], "unconfined=no") == 0) {
			conf_unconfined = 0;
		} else {
			slurm_error("cpool: plugstack.conf: unknown argument '%s' (socket=PATH, "
				    "vs=NAME, unconfined=yes|no)",
				    av[i]);
			return -1;
		}
	}
	return 0;
}

EXPORT int slurm_spank_init(spank_t sp, int ac, char **av)
{
	for (struct spank_option *o = options; o->name; o++)
		if (spank_option_register(sp, o) != ESPANK_SUCCESS) {
			slurm_error("cpool: cannot register --%s", o->name);
			return -1;
		}
	return parse_args(ac, av);
}

/* Said to the user (the task's stderr goes to srun) and to slurmd's log. */
static void tell(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void tell(const char *fmt, ...)
{
	char msg[CPOOL_ERROR_MSG_MAX + 256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	slurm_error("%s", msg);
	fprintf(stderr, "%s\n", msg);
}

static const char *task_name(spank_t sp, char *buf, size_t len)
{
	char **argv = NULL;
	int argc = 0;
	const char *base;

	if (spank_get_item(sp, S_JOB_ARGV, &argc, &argv) != ESPANK_SUCCESS || argc < 1 || !argv[0])
		return NULL;
	base = strrchr(argv[0], '/');
	snprintf(buf, len, "%s", base ? base + 1 : argv[0]);
	return buf;
}

/*
 * In the task's own process, forked by slurmstepd, still root, before it
 * becomes the user and exec's: attach it, or fail it.
 */
EXPORT int slurm_spank_task_init_privileged(spank_t sp, int ac, char **av)
{
	const char *vs = opt_vs[0] ? opt_vs : conf_vs;
	struct cpool_error e = { 0 };
	struct cpool_apiclient *cl = NULL;
	uint32_t job = 0, step = 0, cpus = 1, task = 0;
	uid_t uid = 0;
	gid_t gid = 0;
	char name[64];
	json_t *args, *result = NULL;
	int pidfd, r;

	(void)ac;
	(void)av;
	if (!vs[0])
		return 0;
	spank_get_item(sp, S_JOB_ID, &job);
	spank_get_item(sp, S_JOB_STEPID, &step);
	spank_get_item(sp, S_TASK_GLOBAL_ID, &task);
	if (step == SLURM_BATCH_SCRIPT || step == SLURM_EXTERN_CONT)
		return 0; /* the script only launches the steps, which are attached themselves */
	if (spank_get_item(sp, S_JOB_UID, &uid) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_GID, &gid) != ESPANK_SUCCESS) {
		tell("cpool: job %u.%u task %u: Slurm did not give the job's user", job, step,
		     task);
		return -1;
	}
	if (spank_get_item(sp, S_STEP_CPUS_PER_TASK, &cpus) != ESPANK_SUCCESS || cpus < 1)
		cpus = 1;
	pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	if (pidfd < 0) {
		tell("cpool: job %u.%u task %u: pidfd_open: %s (Linux 5.3 or later is needed)", job,
		     step, task, strerror(errno));
		return -1;
	}
	r = cpool_apiclient_connect(conf_socket, &cl, &e);
	if (r) {
		close(pidfd);
		if (conf_unconfined) {
			slurm_info(
				"cpool: job %u.%u task %u runs unconfined, outside vserver %s: %s "
				"(plugstack.conf unconfined=yes)",
				job, step, task, vs, e.msg);
			return 0;
		}
		tell("cpool: job %u.%u task %u: not started: %s (plugstack.conf unconfined=yes would "
		     "run it outside the pool)",
		     job, step, task, e.msg);
		return -1;
	}
	args = json_pack("{s:s, s:i, s:I, s:I, s:I, s:I}", "vs", vs, "cpus", (int)cpus, "uid",
			 (json_int_t)uid, "gid", (json_int_t)gid, "slurm_job", (json_int_t)job,
			 "slurm_step", (json_int_t)step);
	if (task_name(sp, name, sizeof(name)))
		json_object_set_new(args, "name", json_string(name));
	if (opt_mem)
		json_object_set_new(args, "mem", json_integer((json_int_t)opt_mem));
	r = cpool_apiclient_call_fds(cl, CPOOL_OP_ATTACH, args, &pidfd, 1, &result,
				     ATTACH_TIMEOUT_MS, &e);
	close(pidfd);
	cpool_apiclient_close(cl);
	if (r) {
		/* A refusal is an answer, not an outage: never unconfined. */
		tell("cpool: job %u.%u task %u: not started in vserver %s: %s", job, step, task, vs,
		     e.msg);
		return -1;
	}
	slurm_verbose("cpool: job %u.%u task %u is cpool job %lld in %s (CPUs %s)", job, step, task,
		      (long long)json_integer_value(json_object_get(result, "job")),
		      json_string_value(json_object_get(result, "cgroup")) ?: "?",
		      json_string_value(json_object_get(result, "cpus")) ?: "?");
	json_decref(result);
	task_attached = 1;
	return 0;
}

/*
 * In the task's process, now the user, after slurmstepd released the
 * step's tasks together, just before exec: the run starts here, not at
 * the attach, which may be a second earlier while the task waited for
 * the others (time cpu.stat does not count).  Not fatal: without it the
 * run counts from the attach, as with an older plugin.
 */
EXPORT int slurm_spank_task_init(spank_t sp, int ac, char **av)
{
	struct cpool_error e = { 0 };
	struct cpool_apiclient *cl = NULL;
	json_t *result = NULL;
	uint32_t job = 0, step = 0, task = 0;
	int r;

	(void)ac;
	(void)av;
	if (!task_attached)
		return 0;
	spank_get_item(sp, S_JOB_ID, &job);
	spank_get_item(sp, S_JOB_STEPID, &step);
	spank_get_item(sp, S_TASK_GLOBAL_ID, &task);
	r = cpool_apiclient_connect(conf_socket, &cl, &e);
	if (!r) {
		r = cpool_apiclient_call(cl, CPOOL_OP_ATTACH_STARTED, NULL, &result,
					 STARTED_TIMEOUT_MS, &e);
		cpool_apiclient_close(cl);
	}
	if (r)
		slurm_info("cpool: job %u.%u task %u: its run counts from its attach: %s", job,
			   step, task, e.msg);
	json_decref(result);
	return 0;
}
