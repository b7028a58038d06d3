// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* cpool stats: how responsive the daemon's event loop is, and its job counts. */
#include "cli_common.h"
#include "command.h"

static const struct cli_spec cmd_spec = {
	.prog = "cpool stats",
	.usage = "usage: cpool stats [--json]",
	.about = "The daemon's event loop: rounds run, the longest round since it started and\n"
		 "since the last 'stats' (which this read resets), and how many jobs are\n"
		 "queued, starting, running and frozen.  A long round is a stall: every\n"
		 "request waited that long; in parentheses, the callback that held it.\n"
		 "The callbacks that kept the loop busiest since the daemon started.\n"
		 "Then the metrics tick's own CPU time and its wall time by part (reading\n"
		 "the kernel's counters, folding them, storing samples and fair share), on\n"
		 "average and in the longest tick; how the cgroup ids the counters are kept\n"
		 "by were resolved (by file handle, or by walking the cgroup tree where\n"
		 "handles are not permitted); and what launches and preemptions\n"
		 "cost (means per event, as 'cpool bench' charges them).\n"
		 "After a reload, its outcome.  Any user may ask.",
	.json_help = "the daemon's answer",
	.socket = true,
};

/* A sum of seconds over @n events, as milliseconds each; nothing when none. */
static void print_mean_ms(const char *what, const json_t *o, const char *sum, long long n)
{
	if (n > 0)
		printf(", %s %.1f ms", what,
		       1000.0 * json_number_value(json_object_get(o, sum)) / (double)n);
}

static double ms(const json_t *o, const char *key)
{
	return (double)cli_json_int(o, key, 0) / 1000.0;
}

/*
 * The once-a-second metrics tick: its own CPU time (what an idle daemon
 * costs), then its wall time by part, on average and in the longest tick.
 */
static void print_tick(const json_t *t)
{
	long long ticks = cli_json_int(t, "ticks", 0);
	double n = ticks ? (double)ticks : 1.0;
	const json_t *l = json_object_get(t, "longest");

	if (!json_is_object(t))
		return;
	printf("metrics tick         %lld ticks, CPU %.3f ms each on average, last %.3f ms, "
	       "max %.3f ms\n",
	       ticks, ms(t, "cpu_us") / n, ms(t, "last_cpu_us"), ms(t, "max_cpu_us"));
	if (!json_object_get(t, "read_us"))
		return; /* an older daemon */
	printf("  wall, mean         read %.3f ms, fold %.3f ms, store %.3f ms\n",
	       ms(t, "read_us") / n, ms(t, "fold_us") / n, ms(t, "store_us") / n);
	if (json_is_object(l))
		printf("  longest tick       %.3f ms: read %.3f ms, fold %.3f ms, store %.3f ms\n",
		       ms(l, "wall_us"), ms(l, "read_us"), ms(l, "fold_us"), ms(l, "store_us"));
}

/* How the metrics collector found the cgroups behind the ids its BPF map holds. */
static void print_cgroup_ids(const json_t *c)
{
	if (!json_is_object(c))
		return;
	printf("cgroup ids           %lld by handle, %lld by walk (%lld walks), %lld stale, "
	       "%lld held, %lld pending retry\n",
	       cli_json_int(c, "by_handle", 0), cli_json_int(c, "by_walk", 0),
	       cli_json_int(c, "walks", 0), cli_json_int(c, "stale", 0),
	       cli_json_int(c, "known", 0), cli_json_int(c, "pending_retry", 0));
	if (json_is_string(json_object_get(c, "walk_reason")))
		printf("  resolved by walks: %s\n", cli_json_str(c, "walk_reason", "?"));
}

/*
 * What preempting and launching cost, as the daemon measured it (the
 * figures bench's calibration charges): means per event.
 */
static void print_switches(const json_t *sw)
{
	long long launches = cli_json_int(sw, "launches", 0);
	long long preempt = cli_json_int(sw, "preemptions", 0);

	if (!json_is_object(sw))
		return;
	printf("launches             %lld", launches);
	print_mean_ms("to exec", sw, "launch_wait", launches);
	printf("\npreemptions          %lld", preempt);
	print_mean_ms("late", sw, "late", preempt);
	print_mean_ms("freeze", sw, "freeze_wait", cli_json_int(sw, "freezes", 0));
	print_mean_ms("handover", sw, "handover_wait", cli_json_int(sw, "handovers", 0));
	print_mean_ms("thaw", sw, "thaw_wait", cli_json_int(sw, "thaws", 0));
	printf("\n");
}

/* What kept the loop busy since the daemon started, the busiest first. */
static void print_busy(const json_t *a)
{
	const json_t *b;
	size_t i;

	json_array_foreach(a, i, b) {
		long long n = cli_json_int(b, "dispatches", 0);

		printf("%-20s %.3f s in %lld (%.3f ms each, longest %.3f ms): %s\n",
		       i ? "" : "busiest", ms(b, "busy_us") / 1000.0, n,
		       n ? ms(b, "busy_us") / (double)n : 0.0, ms(b, "max_us"),
		       cli_json_str(b, "what", "?"));
	}
}

static void print_stats(const json_t *s)
{
	printf("loop rounds          %lld\n", cli_json_int(s, "loop_rounds", 0));
	printf("longest stall        %.3f ms (%s)\n",
	       (double)cli_json_int(s, "loop_stall_max_us", 0) / 1000.0,
	       cli_json_str(s, "loop_stall_max_what", "-"));
	printf("longest since last   %.3f ms (%s)\n",
	       (double)cli_json_int(s, "loop_stall_window_us", 0) / 1000.0,
	       cli_json_str(s, "loop_stall_window_what", "-"));
	print_busy(json_object_get(s, "loop_busy"));
	printf("jobs                 %lld queued, %lld starting, %lld running, %lld frozen\n",
	       cli_json_int(s, "queued", 0), cli_json_int(s, "starting", 0),
	       cli_json_int(s, "running", 0), cli_json_int(s, "frozen", 0));
	print_tick(json_object_get(s, "metrics_tick"));
	print_cgroup_ids(json_object_get(s, "cgroup_ids"));
	print_switches(json_object_get(s, "switches"));
	if (json_is_object(json_object_get(s, "last_reload"))) {
		const json_t *r = json_object_get(s, "last_reload");

		printf("last reload          %s: %s\n",
		       json_is_true(json_object_get(r, "ok")) ? "applied" : "refused",
		       cli_json_str(r, "message", "?"));
	}
}

static int cmd_stats(int argc, char **argv)
{
	struct cli_args a;
	json_t *result;
	int r;

	r = cli_parse(&cmd_spec, NULL, argc, argv, &a);
	if (r != CLI_PARSED)
		return r;
	r = cli_call(cmd_spec.prog, a.socket, CPOOL_OP_STATS, NULL, &result);
	if (r)
		return r;
	if (a.json)
		cli_print_json(result);
	else
		print_stats(result);
	json_decref(result);
	return CLI_EXIT_OK;
}

CPOOL_COMMAND(stats, "stats", "the daemon's event-loop stalls and job counts", cmd_stats);
