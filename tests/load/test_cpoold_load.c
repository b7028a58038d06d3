// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * cpoold under load, at a size TCG runs in minutes: 2 000 queued
 * submissions, then 100 live processes (tools/bench-daemon runs the full
 * 10 000 and 1 000 and holds the figures to their targets).  Here nothing
 * may be lost: every submission queued, cancelled and in the history,
 * every live job ended with exit 0.  The figures are printed, not judged:
 * tests never assert on time.
 */
#include "../lab/daemon_load.h"

int main(void)
{
	struct daemon_load L = {
		.queued = 2000, .live = 100, .idle_s = 3, .hostile = 1, .hostile_s = 5
	};
	char dir[] = "/tmp/cpoold-load.XXXXXX", cmd[256];
	const char *root;
	struct cpool_cg_pool pool;
	struct cpool_error e;

	lab_require();
	plan(8);
	root = lab_pool_root("load");
	if (!mkdtemp(dir))
		bail_out("mkdtemp: %s", strerror(errno));
	daemon_load_run(&L, dir, root);

	is_int(L.accepted, L.queued, "every submission accepted");
	is_int(L.seen_queued, L.queued, "and queued behind the blocker");
	is_int(L.cancelled, L.queued, "every one cancelled");
	is_int(L.history, L.queued + 1 + L.live, "the history, read page by page, holds every job");
	is_int(L.ended_ok, L.live, "every live process ended with exit 0");
	ok(L.stall_ms >= 0, "cpoold reported its longest loop stall");
	/* ps over the queue, sent in parts: asked in a loop, root is answered between them. */
	ok(L.hostile_ps > 0, "a client asking ps in a loop got whole listings (%d)", L.hostile_ps);
	ok(L.root_ms_hostile >= 0, "root was answered meanwhile");
	diag("ps over the queue %.1f ms; root's hello %.2f ms mean with the queue, %.2f ms mean "
	     "(%.2f max) under the ps loop; longest round then %.1f ms (%s)",
	     L.ps_ms, L.root_ms, L.root_ms_hostile, L.root_ms_hostile_max, L.stall_hostile_ms,
	     L.stall_hostile_what);
	diag("RSS: %ld kB empty, %ld kB with %d queued, peak %ld kB", L.rss_empty_kb,
	     L.rss_queued_kb, L.queued, L.rss_peak_kb);
	diag("idle CPU: %.2f %% of a core empty, %.2f %% with the queue", L.idle_cpu_empty * 100,
	     L.idle_cpu_queued * 100);
	diag("metrics tick: %.0f us of CPU empty, %.0f us with the queue (mean)", L.tick_us_empty,
	     L.tick_us_queued);
	diag("submit %.1f/s, cancel %.1f/s, %d live processes in %.1f s; longest stall %.1f ms (%s)",
	     L.queued / L.submit_s, L.queued / L.cancel_s, L.live, L.live_s, L.stall_ms,
	     L.stall_what[0] ? L.stall_what : "not logged");

	if (cpool_cg_pool_open(&pool, root, &e) == 0 && cpool_cg_pool_destroy(&pool, 10000, &e))
		diag("cleanup: %s", e.msg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		diag("cleanup of %s failed", dir);
	return exit_status();
}
