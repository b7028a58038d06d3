// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * cpool top: live per-VS and per-CPU utilisation from cpoold, redrawn every
 * interval.  Plain ANSI (clear screen, hide the cursor) and termios, no
 * curses: it has to work in any terminal, over ssh, and leave the terminal
 * as it found it however it ends.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli_common.h"
#include "command.h"
#include "cpool/units.h"

#define PROG "cpool top"
/* Short, so that ^C (handled between frames) is never long delayed by a stuck daemon. */
#define TOP_TIMEOUT_MS 5000

static const struct cli_spec cmd_spec = {
	.prog = PROG,
	.usage = "usage: cpool top [--interval DURATION] [--once] [--json]",
	.about = "Live view of the pool: per virtual server its run utilisation (RUL), run-queue\n"
		 "latency (p50, p99), queued and running jobs; per CPU a utilisation bar.\n"
		 "Refreshes every interval; q quits.",
	.json_help = "print one snapshot as the daemon gives it, and exit",
	.socket = true,
};

static volatile sig_atomic_t stop_signal;
static struct termios saved_termios;
static bool terminal_changed;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void restore_terminal(void)
{
	if (!terminal_changed)
		return;
	terminal_changed = false;
	tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
	fputs("\033[?25h", stdout); /* the cursor back */
	fflush(stdout);
}

/* Keys arrive one by one, unechoed; ^C still raises SIGINT (ISIG is kept). */
static void raw_terminal(void)
{
	struct termios t;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_termios))
		return;
	t = saved_termios;
	t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &t))
		return;
	terminal_changed = true;
	atexit(restore_terminal);
	fputs("\033[?25l", stdout);
}

static void terminal_size(int *cols, int *rows)
{
	struct winsize ws;

	*cols = 80;
	*rows = 24;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col && ws.ws_row) {
		*cols = ws.ws_col;
		*rows = ws.ws_row;
	}
}

static const struct cli_column vs_columns[] = {
	{ "VS", false },    { "CPUS", false },	{ "RUL", true },     { "RQ-P50", true },
	{ "RQ-P99", true }, { "QUEUED", true }, { "RUNNING", true },
};

static void draw_vservers(FILE *f, const json_t *list)
{
	struct cli_table *t = cli_table_new(vs_columns, sizeof(vs_columns) / sizeof(vs_columns[0]));
	size_t i;
	json_t *v;

	json_array_foreach(list, i, v) {
		double rul = cli_json_num(v, "rul", -1);
		char p50[32], p99[32];

		cli_format_usec(cli_json_num(v, "rq_p50_us", -1), p50, sizeof(p50));
		cli_format_usec(cli_json_num(v, "rq_p99_us", -1), p99, sizeof(p99));
		cli_table_cell(t, "%s", cli_json_str(v, "name", "?"));
		cli_table_cell(t, "%s", cli_json_str(v, "cpus", "-"));
		if (rul >= 0)
			cli_table_cell(t, "%.1f%%", rul * 100);
		else
			cli_table_cell(t, "-");
		cli_table_cell(t, "%s", p50);
		cli_table_cell(t, "%s", p99);
		cli_table_cell(t, "%lld", cli_json_int(v, "queued", 0));
		cli_table_cell(t, "%lld", cli_json_int(v, "running", 0));
	}
	cli_table_print(t, f);
	cli_table_free(t);
}

static double cpu_util(const json_t *c)
{
	double util = cli_json_num(c, "util", 0);

	return util < 0 ? 0 : util > 1 ? 1 : util;
}

/* One character per CPU, for machines whose bars would not fit the screen. */
static void draw_cpu_map(FILE *f, const json_t *cpus, int cols)
{
	static const char shades[] = " .:-=+*#%@";
	size_t n = json_array_size(cpus), i;
	int per_line = cols - 12 >= 8 ? (cols - 12) / 8 * 8 : 8;
	json_t *c;

	fprintf(f, "(one character per CPU, idle ' ' .:-=+*#%% '@' busy)\n");
	json_array_foreach(cpus, i, c) {
		if (i % (size_t)per_line == 0)
			fprintf(f, "%5lld-%-5lld ", cli_json_int(c, "cpu", (long long)i),
				cli_json_int(json_array_get(cpus, i + (size_t)per_line - 1 < n ?
									  i + (size_t)per_line - 1 :
									  n - 1),
					     "cpu", (long long)n - 1));
		fputc(shades[(int)(cpu_util(c) * 9 + 0.5)], f);
		if ((i + 1) % (size_t)per_line == 0 || i + 1 == n)
			fputc('\n', f);
	}
}

/*
 * As many bars per line as fit; narrower bars, then a map of one character
 * per CPU, when the lines would not fit the screen (a redraw that scrolls
 * flickers and hides the top).
 */
static void draw_cpus(FILE *f, const json_t *cpus, int cols, int rows_left)
{
	size_t n = json_array_size(cpus), i;
	int bar = 20, per_line = 1;
	json_t *c;

	if (!n) {
		fprintf(f, "(cpoold sent no per-CPU measurements)\n");
		return;
	}
	for (;; bar = 8) {
		int cell = bar + 14; /* "%4d [" bar "] %3d%%" and a gap */

		per_line = cols / cell > 0 ? cols / cell : 1;
		if (rows_left <= 0 ||
		    (n + (size_t)per_line - 1) / (size_t)per_line <= (size_t)rows_left)
			break;
		if (bar == 8) {
			draw_cpu_map(f, cpus, cols);
			return;
		}
	}
	json_array_foreach(cpus, i, c) {
		double util = cpu_util(c);
		int fill = (int)(util * bar + 0.5);

		fprintf(f, "%4lld [%.*s%*s] %3.0f%%", cli_json_int(c, "cpu", (long long)i), fill,
			"####################", bar - fill, "", util * 100);
		fputs((i + 1) % (size_t)per_line == 0 || i + 1 == n ? "\n" : "   ", f);
	}
}

static void draw(const json_t *snap, bool clear)
{
	json_t *vservers = json_object_get(snap, "vservers");
	double t = cli_json_num(snap, "time", cli_now());
	time_t secs = (time_t)t;
	char *frame = NULL, when[32], interval[64];
	size_t len = 0;
	struct tm tm;
	int cols, rows;
	FILE *f;

	terminal_size(&cols, &rows);
	f = open_memstream(&frame, &len);
	if (!f)
		return;
	localtime_r(&secs, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	interval[0] = '\0';
	if (json_is_number(json_object_get(snap, "interval"))) {
		strcpy(interval, "  measured over ");
		cli_format_duration(cli_json_num(snap, "interval", 0), interval + strlen(interval),
				    sizeof(interval) - strlen(interval));
	}
	if (clear)
		fputs("\033[H\033[2J", f);
	/* One line that fits 80 columns: a wrapped header would push the frame off screen. */
	fprintf(f, "cpool top  %s%s%s%s\n\n", when, interval,
		json_is_true(json_object_get(snap, "degraded")) ? "  degraded: no BPF" : "",
		clear ? "  (q quits)" : "");
	draw_vservers(f, vservers);
	fprintf(f, "\nCPU utilisation\n");
	/* A frame for a script (--once) may be as long as it needs. */
	draw_cpus(f, json_object_get(snap, "cpus"), cols,
		  clear ? rows - 6 - (int)json_array_size(vservers) : 0);
	fclose(f);
	fwrite(frame, 1, len, stdout);
	fflush(stdout);
	free(frame);
}

/* Waits up to @ms for a key; returns true when it is time to quit. */
static bool wait_for_key(bool *watch_stdin, int ms, const sigset_t *unblocked)
{
	struct timespec end, now;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += ms / 1000;
	end.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (end.tv_nsec >= 1000000000L) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000L;
	}
	for (;;) {
		struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
		struct timespec left;
		char keys[64];
		ssize_t n;
		int r;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left.tv_sec = end.tv_sec - now.tv_sec;
		left.tv_nsec = end.tv_nsec - now.tv_nsec;
		if (left.tv_nsec < 0) {
			left.tv_sec--;
			left.tv_nsec += 1000000000L;
		}
		if (left.tv_sec < 0)
			return false;
		/* ppoll unblocks the signals only while it sleeps: none is missed. */
		r = ppoll(&p, *watch_stdin ? 1 : 0, &left, unblocked);
		if (stop_signal)
			return true;
		if (r < 0 && errno != EINTR)
			return false;
		if (r <= 0)
			continue;
		n = read(STDIN_FILENO, keys, sizeof(keys));
		if (n <= 0) {
			*watch_stdin = false; /* EOF: no keyboard, run until a signal */
			continue;
		}
		if (memchr(keys, 'q', (size_t)n) || memchr(keys, 'Q', (size_t)n))
			return true;
	}
}

static int cmd_top(int argc, char **argv)
{
	bool once = false, watch_stdin = true;
	double interval = 1;
	const struct cli_option opts[] = {
		CLI_DURATION(0, "interval", "DUR", &interval, 0.1, 3600,
			     "between refreshes (default 1s, at least 100ms)"),
		CLI_FLAG(0, "once", &once,
			 "print one frame, without clearing the screen, and exit"),
		CLI_END,
	};
	struct sigaction sa = { .sa_handler = on_signal };
	struct cpool_apiclient *client;
	sigset_t block, unblocked;
	struct cli_args a;
	json_t *snap;
	int ret = CLI_EXIT_OK;

	ret = cli_parse(&cmd_spec, opts, argc, argv, &a);
	if (ret != CLI_PARSED)
		return ret;
	ret = CLI_EXIT_OK;
	client = cli_connect(PROG, a.socket);
	if (!client)
		return CLI_EXIT_FAILED;
	if (a.json || once) {
		if (cli_request(client, PROG, CPOOL_OP_TOP, NULL, &snap, CLI_TIMEOUT_MS)) {
			cpool_apiclient_close(client);
			return CLI_EXIT_FAILED;
		}
		if (a.json)
			cli_print_json(snap);
		else
			draw(snap, false);
		json_decref(snap);
		cpool_apiclient_close(client);
		return CLI_EXIT_OK;
	}

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &unblocked);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	raw_terminal();
	for (;;) {
		struct cpool_error err;
		int r = cpool_apiclient_call(client, CPOOL_OP_TOP, NULL, &snap, TOP_TIMEOUT_MS,
					     &err);

		if (r) {
			/* The terminal first, so the message is on a sane screen. */
			restore_terminal();
			ret = cli_fail(PROG, "%s", err.msg);
			break;
		}
		draw(snap, true);
		json_decref(snap);
		if (wait_for_key(&watch_stdin, (int)(interval * 1000), &unblocked))
			break;
	}
	restore_terminal();
	cpool_apiclient_close(client);
	if (stop_signal)
		ret = 128 + stop_signal;
	return ret;
}

CPOOL_COMMAND(top, "top", "live per-VS and per-CPU utilisation", cmd_top);
