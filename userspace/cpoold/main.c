// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * cpoold: builds or adopts the pool, recovers the jobs of an earlier life,
 * then serves the API and runs the scheduler on one event loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cpoold.h"
#include "notify.h"
#include "cpool/apiclient.h"
#include "cpool/safedir.h"
#include "cpool/fsutil.h"
#include "cpool/units.h"
#include "cpool/version.h"

#define DEFAULT_CONFIG "/etc/cpool/pool.ini"
#define DEFAULT_STATE_DIR "/var/lib/cpool"
#define DEFAULT_START_TIMEOUT_MS 30000

static void usage(FILE *out)
{
	fprintf(out,
		"usage: cpoold [-c CONFIG] [--foreground] [OPTIONS]\n"
		"\n"
		"  -c, --config FILE      pool configuration (default " DEFAULT_CONFIG ")\n"
		"  -f, --foreground       stay in the foreground (systemd, tests)\n"
		"      --socket PATH      API socket (default " CPOOL_DEFAULT_SOCKET ")\n"
		"      --socket-mode MODE permissions of the socket (default 0660: root and group\n"
		"                         cpool; 0666 lets every local user submit)\n"
		"      --state-dir DIR    database directory (default " DEFAULT_STATE_DIR ")\n"
		"      --record-dir DIR   job supervisor records (default " CPOOL_DEFAULT_RECORD_DIR
		")\n"
		"      --cgroup-root REL  pool cgroup below /sys/fs/cgroup (default: delegated\n"
		"                         systemd subtree, else the [pool] name)\n"
		"      --start-timeout DUR  a job not exec'd by then fails and its leaf is\n"
		"                         killed (default 30s)\n"
		"  -v, --verbose          debug messages\n"
		"  -q, --quiet            warnings and errors only\n"
		"  -h, --help, -V, --version\n");
}

static void on_signal(struct cpool_evsource *src, uint32_t events, void *data)
{
	struct cpoold *d = data;
	struct signalfd_siginfo si;

	(void)events;
	if (read(cpool_evsource_fd(src), &si, sizeof(si)) != sizeof(si))
		return;
	if (si.ssi_signo == SIGHUP) {
		json_t *result;
		struct cpool_error why;

		/* reload_run logs the outcome; `cpool stats` shows it. */
		if (reload_run(d, &result, &why) == 0)
			json_decref(result);
		return;
	}
	log_info("%s: stopping; running jobs keep running under their supervisors",
		 strsignal((int)si.ssi_signo));
	d->stopping = true;
	notify_stopping();
	cpool_evloop_quit(d->loop, 0);
}

static void load_policy(struct cpoold *d)
{
	char *v;

	cpool_policy_init(&d->policy);
	d->policy.place = (enum cpool_place)d->cfg.placement; /* the fits share their order */
	if ((v = cpool_store_setting_get(d->store, "policy"))) {
		cpool_sched_parse(v, &d->policy.sched);
		free(v);
	}
	if ((v = cpool_store_setting_get(d->store, "placement"))) {
		cpool_place_parse(v, &d->policy.place);
		free(v);
	}
	if ((v = cpool_store_setting_get(d->store, "quantum_us"))) {
		long long q = atoll(v);

		if (q > 0)
			d->policy.quantum_us = q;
		free(v);
	}
	if ((v = cpool_store_setting_get(d->store, "admit_p99_us"))) {
		long long a = atoll(v);

		if (a >= 0)
			d->policy.admit_p99_us = a;
		free(v);
	}
	reload_policy_settings(d, &d->cfg, NULL);
	log_info("policy %s, placement %s, admit_p99 %lld us", cpool_sched_name(d->policy.sched),
		 cpool_place_name(d->policy.place), (long long)d->policy.admit_p99_us);
}

/*
 * The state and record directories, created or checked from "/": one
 * another user controls could swap the database or plant a job record
 * that root would then run (safedir.h).
 */
static int trust_dirs(struct cpoold *d)
{
	const char *const dirs[] = { d->state_dir, d->record_dir };
	const char *const what[] = { "state", "job record" };
	struct cpool_error err;

	for (int i = 0; i < 2; i++) {
		int fd = cpool_safe_dir_open(dirs[i], 0700, geteuid(), 0, &err);

		if (fd < 0) {
			log_err("the %s directory %s: %s", what[i], dirs[i], err.msg);
			return fd;
		}
		close(fd);
	}
	return 0;
}

/* The loop's figures at exit, for tools/bench-daemon until an API request gives them. */
static void log_loop_stats(struct cpoold *d)
{
	struct cpool_evloop_stats st;

	cpool_evloop_stats(d->loop, &st, false);
	log_info("event loop: %llu rounds, %.3f s busy, longest stall %.3f ms (%s)",
		 (unsigned long long)st.rounds, (double)st.busy_ns / 1e9,
		 (double)st.stall_max_ns / 1e6, st.stall_max_what ?: "none");
	{
		struct cpool_evloop_busy b[5];
		size_t n = cpool_evloop_busy(d->loop, b, sizeof(b) / sizeof(b[0]));

		for (size_t i = 0; i < n; i++)
			log_info("event loop: %s: %.3f s in %llu, longest %.3f ms", b[i].what,
				 (double)b[i].busy_ns / 1e9, (unsigned long long)b[i].dispatches,
				 (double)b[i].max_ns / 1e6);
	}
	if (st.stale_sources)
		log_warn("event loop: %llu sources were removed after their fd was closed",
			 (unsigned long long)st.stale_sources);
}

/* The cgroup cpoold was started in (relative to CPOOL_CG_MOUNT): where a failed start goes back to. */
static char start_cgroup[PATH_MAX];

static void remember_start_cgroup(void)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	char line[PATH_MAX + 8];

	start_cgroup[0] = '\0';
	while (f && fgets(line, sizeof(line), f)) {
		size_t n = strcspn(line, "\n");

		if (strncmp(line, "0::", 3) == 0 && n - 3 < sizeof(start_cgroup)) {
			memcpy(start_cgroup, line + 3, n - 3);
			start_cgroup[n - 3] = '\0';
			break;
		}
	}
	if (f)
		fclose(f);
}

/*
 * A start that fails once its pool's cgroups exist must not leave them
 * behind, but only a pool root this start made is removed: one that was
 * there already may hold the jobs of a previous daemon (adopted by the
 * next start) or belong to a daemon that is running.  The daemon itself
 * sits in the pool's system VS by then, so it goes back to the cgroup it
 * was started in first.
 */
static void start_undo(struct cpoold *d)
{
	struct cpool_error err;
	char procs[PATH_MAX + 64];
	int fd;

	if (!d->pool_created)
		return;
	snprintf(procs, sizeof(procs), "%s%s/cgroup.procs", CPOOL_CG_MOUNT, start_cgroup);
	fd = open(procs, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "0", 1) != 1)
		log_warn("leave the pool for %s: %s", procs, strerror(errno));
	if (fd >= 0)
		close(fd);
	if (cpool_cg_pool_destroy(&d->pool, 5000, &err))
		log_err("start failed; its pool's cgroups stay: %s", err.msg);
	else
		log_info("start failed; removed the pool's cgroups %s made by it", d->pool.path);
}

static int start(struct cpoold *d)
{
	struct cpool_apiserver_opts o = { .path = d->socket_path,
					  .mode = d->socket_mode,
					  .gid = (gid_t)-1,
					  .handler = api_handle,
					  .on_close = api_client_closed,
					  .data = d };
	struct cpool_evsource *sigsrc;
	struct cpool_error err;
	char path[4096];
	struct group *grp;
	sigset_t mask;
	int r, sfd;

	if ((r = trust_dirs(d)))
		return r;
	snprintf(path, sizeof(path), "%s/state.db", d->state_dir);
	r = cpool_store_open(path, &d->store, &err);
	if (r) {
		log_err("%s", err.msg);
		return r;
	}
	remember_start_cgroup();
	r = pool_setup(d);
	if (r)
		return r;
	load_policy(d);
	share_init(d);

	r = cpool_evloop_new(&d->loop);
	if (r)
		return r;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0 || cpool_evloop_add(d->loop, sfd, EPOLLIN, on_signal, d, &sigsrc) < 0) {
		log_err("signalfd: %s", strerror(errno));
		return -errno;
	}
	cpool_evsource_set_name(sigsrc, "signal");
	sched_init(d);
	r = metrics_init(d);
	if (r)
		return r;
	r = jobs_recover(d);
	if (r) {
		log_err("recover jobs from the store: %s", cpool_store_errmsg(d->store));
		return r;
	}
	grp = getgrnam("cpool");
	if (grp)
		o.gid = grp->gr_gid;
	o.max_clients = d->cfg.limits.max_connections;
	o.root_clients = d->cfg.limits.root_connections;
	o.max_clients_per_uid = d->cfg.limits.connections_per_user;
	o.idle_timeout = d->cfg.limits.idle_timeout;
	r = cpool_apiserver_open(d->loop, &o, &d->api, &err);
	if (r) {
		log_err("%s", err.msg);
		return r;
	}
	r = retention_start(d);
	if (r)
		return r;
	sched_kick(d);
	log_info("cpoold %s ready on %s", CPOOL_VERSION, d->socket_path);
	return notify_ready(d);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "socket", required_argument, NULL, 'S' },
		{ "socket-mode", required_argument, NULL, 'M' },
		{ "state-dir", required_argument, NULL, 'D' },
		{ "record-dir", required_argument, NULL, 'R' },
		{ "cgroup-root", required_argument, NULL, 'G' },
		{ "start-timeout", required_argument, NULL, 'T' },
#ifdef CPOOL_CRASH_POINTS
		{ "crash-points", no_argument, NULL, 'X' },
#endif
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	struct cpoold d = {
		.config_path = DEFAULT_CONFIG,
		.socket_path = CPOOL_DEFAULT_SOCKET,
		.state_dir = DEFAULT_STATE_DIR,
		.record_dir = CPOOL_DEFAULT_RECORD_DIR,
		.socket_mode = 0660,
		.start_timeout_ms = DEFAULT_START_TIMEOUT_MS,
	};
	int ready[2] = { -1, -1 };
	int c, r;

	/* Whatever the daemon creates (database, records) is its own alone. */
	umask(077);

	while ((c = getopt_long(argc, argv, "c:fvqhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			d.config_path = optarg;
			break;
		case 'f':
			d.foreground = true;
			break;
		case 'S':
			d.socket_path = optarg;
			break;
		case 'M': {
			char *end;
			unsigned long m = strtoul(optarg, &end, 8);

			if (!*optarg || *end || m > 0777) {
				fprintf(stderr,
					"cpoold: --socket-mode %s: an octal mode like 0660\n",
					optarg);
				return 2;
			}
			d.socket_mode = (mode_t)m;
			break;
		}
		case 'D':
			d.state_dir = optarg;
			break;
		case 'R':
			d.record_dir = optarg;
			break;
		case 'G':
			d.cgroup_root = optarg;
			break;
		case 'T': {
			double sec;

			if (cpool_parse_duration(optarg, &sec) || sec < 0.001 || sec > 86400) {
				fprintf(stderr,
					"cpoold: --start-timeout %s: a duration from 1ms to 1d, "
					"like 30s\n",
					optarg);
				return 2;
			}
			d.start_timeout_ms = (int)(sec * 1000);
			break;
		}
#ifdef CPOOL_CRASH_POINTS
		case 'X':
			crash_points_print();
			return 0;
#endif
		case 'v':
			log_threshold = CPOOLD_LOG_DEBUG;
			break;
		case 'q':
			log_threshold = CPOOLD_LOG_WARN;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("cpoold %s\n", CPOOL_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
#ifdef CPOOL_CRASH_POINTS
	if (crash_points_init())
		return 2;
#endif
	if (!d.foreground) {
		pid_t pid;
		char status = 1;

		/* The parent exits only when the daemon is serving, or says why not. */
		if (pipe(ready) < 0 || (pid = fork()) < 0) {
			perror("cpoold: fork");
			return 1;
		}
		if (pid > 0) {
			close(ready[1]);
			if (read(ready[0], &status, 1) != 1)
				status = 1;
			return status;
		}
		close(ready[0]);
		setsid();
	}
	r = start(&d);
	if (ready[1] >= 0) {
		char status = r ? 1 : 0;

		if (write(ready[1], &status, 1) < 0)
			log_debug("report start-up to the parent: %s", strerror(errno));
		close(ready[1]);
	}
	if (r) {
		start_undo(&d);
		return 1;
	}
	r = cpool_evloop_run(d.loop);
	log_loop_stats(&d);
	cpool_apiserver_close(d.api);
	metrics_close(&d);
	pool_teardown(&d);
	limits_free(&d);
	if (d.unsaved)
		unsaved_retry(&d); /* a last try before the records are all that is left */
	unsaved_free(&d);
	share_free(&d);
	json_decref(d.last_reload);
	cpool_store_close(d.store);
	return r ? 1 : 0;
}
