// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * bench-daemon: the built cpoold under the load of issue 12 — 10 000
 * queued submissions, then 1 000 live processes — with its RSS, its CPU
 * while idle and its event loop's longest stall, each beside the same
 * daemon's empty baseline measured in the same run, and the targets
 * (RSS < 64 MB, idle CPU < 1 % of a core, stall < 10 ms on real
 * hardware).  Needs root and cgroup v2: run it in the lab,
 *
 *	/work/bin/labslot tools/lab --kernel 6.12 -- build/tools/bench-daemon
 *
 * or on a host with a unified hierarchy.  --queued N and --live N change
 * the sizes, --idle S the length of each idle measurement (default 5 s;
 * longer smooths the once-a-second tick out), --hostile N the clients that
 * ask ps over the whole queue in a loop for --hostile-time S (default 2
 * for 20 s) while root's hello is timed.  Idle CPU is shown as
 * /proc/PID/stat counts it (clock ticks) and as the scheduler does
 * (schedstat, ns), with the threads' wakeups per second.
 */
#include <getopt.h>

#include "../tests/lab/daemon_load.h"

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "queued", required_argument, NULL, 'q' },
					      { "live", required_argument, NULL, 'l' },
					      { "idle", required_argument, NULL, 'i' },
					      { "hostile", required_argument, NULL, 'H' },
					      { "hostile-time", required_argument, NULL, 'T' },
					      { 0 } };
	struct daemon_load L = {
		.queued = 10000, .live = 1000, .idle_s = 5, .hostile = 2, .hostile_s = 20
	};
	char dir[] = "/tmp/bench-daemon.XXXXXX", cmd[256];
	const char *root = lab_pool_root("bench-daemon");
	struct cpool_cg_pool pool;
	struct cpool_error e;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'q')
			L.queued = atoi(optarg);
		else if (c == 'l')
			L.live = atoi(optarg);
		else if (c == 'i')
			L.idle_s = atof(optarg);
		else if (c == 'H')
			L.hostile = atoi(optarg);
		else if (c == 'T')
			L.hostile_s = atof(optarg);
		else
			return 2;
	}
	if (L.idle_s < 1) {
		fprintf(stderr, "bench-daemon: --idle must be at least 1 s\n");
		return 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "bench-daemon: needs root (it runs cpoold and its cgroups)\n");
		return 2;
	}
	if (!mkdtemp(dir)) {
		perror("bench-daemon: mkdtemp");
		return 1;
	}
	daemon_load_run(&L, dir, root);

	printf("cpoold under %d queued submissions, then %d live processes\n", L.queued, L.live);
	printf("  submissions accepted %d, seen queued %d, cancelled %d; live ended ok %d\n",
	       L.accepted, L.seen_queued, L.cancelled, L.ended_ok);
	printf("  RSS empty          %8.1f MB (baseline)\n", L.rss_empty_kb / 1024.0);
	printf("  RSS with queue     %8.1f MB  x%.2f of baseline\n", L.rss_queued_kb / 1024.0,
	       (double)L.rss_queued_kb / (double)(L.rss_empty_kb ?: 1));
	printf("  RSS peak           %8.1f MB  x%.2f of baseline  target < 64 MB: %s\n",
	       L.rss_peak_kb / 1024.0, (double)L.rss_peak_kb / (double)(L.rss_empty_kb ?: 1),
	       L.rss_peak_kb < 64 * 1024 ? "met" : "MISSED");
	printf("  idle CPU empty     %8.3f %% of a core (baseline; %.0f s, /proc/PID/stat)\n",
	       L.idle_cpu_empty * 100, L.idle_s);
	printf("  idle CPU queued    %8.3f %% of a core  target < 1 %%: %s\n",
	       L.idle_cpu_queued * 100, L.idle_cpu_queued < 0.01 ? "met" : "MISSED");
	printf("  idle sched empty   %8.3f %% of a core (baseline; schedstat)\n",
	       L.idle_sched_empty * 100);
	printf("  idle sched queued  %8.3f %% of a core  x%.2f of baseline  target < 1 %%: %s\n",
	       L.idle_sched_queued * 100, L.idle_sched_queued / (L.idle_sched_empty ?: 1e-9),
	       L.idle_sched_queued < 0.01 ? "met" : "MISSED");
	printf("  wakeups empty      %8.1f /s (baseline)\n", L.wakeups_empty);
	printf("  wakeups queued     %8.1f /s  x%.2f of baseline\n", L.wakeups_queued,
	       L.wakeups_queued / (L.wakeups_empty ?: 1e-9));
	printf("  metrics tick       %8.0f us CPU empty, %.0f us with the queue (mean per tick)\n",
	       L.tick_us_empty, L.tick_us_queued);
	printf("  ps over the queue  %8.1f ms wall\n", L.ps_ms);
	printf("  root hello, queue  %8.2f ms mean, %.2f ms max (baseline)\n", L.root_ms,
	       L.root_ms_max);
	if (L.hostile > 0)
		printf("  root hello, %d ps loops %6.2f ms mean x%.2f of baseline, %.2f ms max  "
		       "target < 50 ms: %s (%d ps done; longest round %.1f ms in %s)\n",
		       L.hostile, L.root_ms_hostile, L.root_ms_hostile / (L.root_ms ?: 1e-9),
		       L.root_ms_hostile_max, L.root_ms_hostile_max < 50 ? "met" : "missed here",
		       L.hostile_ps, L.stall_hostile_ms, L.stall_hostile_what);
	printf("  longest loop stall %8.1f ms  target < 10 ms on real hardware: %s (in: %s)\n",
	       L.stall_ms, L.stall_ms >= 0 && L.stall_ms < 10 ? "met" : "missed here",
	       L.stall_what[0] ? L.stall_what : "not logged");
	printf("  longest metrics tick %6.1f ms: read %.1f ms, fold %.1f ms, store %.1f ms\n",
	       L.tick_max_ms, L.tick_max_read_ms, L.tick_max_fold_ms, L.tick_max_store_ms);
	printf("  cgroup ids         %lld by handle, %lld by walk (%lld walks), %lld stale, "
	       "%lld pending retry\n",
	       L.ids_by_handle, L.ids_by_walk, L.ids_walks, L.ids_stale, L.ids_pending);
	printf("  submit %.0f/s, cancel %.0f/s, live %.1f processes/s\n", L.queued / L.submit_s,
	       L.queued / L.cancel_s, L.live / L.live_s);

	if (cpool_cg_pool_open(&pool, root, &e) == 0 && cpool_cg_pool_destroy(&pool, 10000, &e))
		fprintf(stderr, "bench-daemon: cleanup: %s\n", e.msg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "bench-daemon: cleanup of %s failed\n", dir);
	return L.accepted == L.queued && L.ended_ok == L.live ? 0 : 1;
}
