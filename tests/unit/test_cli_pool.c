// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * cpool vs, policy and top against a fake cpoold, and the errors every
 * command gives when the daemon is not there or refuses: said once, with
 * the command's name, and the exit code that tells them apart.
 */
#include <poll.h>
#include <pty.h>
#include <sys/ioctl.h>
#include <termios.h>

#include "cli_fake_daemon.h"

static void test_vs(void)
{
	json_t *a, *root;

	is_int(cli(NULL, "vs list"), 0, "vs list: exit 0");
	diag("%s", out);
	is_int(count_lines(out), 3, "vs list: a header and two VSs");
	ok(strstr(out, "NAME") && strstr(out, "RUL") && strstr(out, "RQ-P99"), "vs list: header");
	ok(strstr(out, "batch") && strstr(out, "4-7") && strstr(out, "98%") &&
		   strstr(out, "310us") && strstr(out, "2G"),
	   "vs list: name, CPUs, RUL, run-queue p99, memory");
	is_int(cli(NULL, "vs list --json"), 0, "vs list --json: exit 0");
	root = json_loads(out, 0, NULL);
	is_str(json_string_value(json_object_get(
		       json_array_get(json_object_get(root, "vservers"), 1), "name")),
	       "batch", "vs list --json: the reply's result");
	json_decref(root);

	is_int(cli(NULL, "vs create web cpus=4 memory=2G numa=local"), 0, "vs create: exit 0");
	a = fake_only_args("vs.create");
	is_str(json_string_value(json_object_get(a, "name")), "web", "vs create: the name");
	is_int((int64_t)json_object_size(json_object_get(a, "spec")), 3, "vs create: three keys");
	is_str(json_string_value(json_object_get(json_object_get(a, "spec"), "cpus")), "4",
	       "spec values are strings, as in pool.ini");
	is_str(json_string_value(json_object_get(json_object_get(a, "spec"), "memory")), "2G",
	       "memory=2G");
	is_str(json_string_value(json_object_get(json_object_get(a, "spec"), "numa")), "local",
	       "numa=local");
	json_decref(a);
	ok(strstr(out, "web") && strstr(out, "NAME"), "vs create prints the new VS");

	is_int(cli(NULL, "vs resize web cpus=0-3,8 --json"), 0, "vs resize: exit 0");
	a = fake_only_args("vs.resize");
	is_str(json_string_value(json_object_get(json_object_get(a, "spec"), "cpus")), "0-3,8",
	       "vs resize: a value with commas and '-' is kept whole");
	is_int((int64_t)json_object_size(json_object_get(a, "spec")), 1, "only the key given");
	json_decref(a);
	root = json_loads(out, 0, NULL);
	is_str(json_string_value(json_object_get(root, "cpus")), "0-3,8",
	       "vs resize --json: the VS");
	json_decref(root);

	is_int(cli(NULL, "vs destroy web"), 0, "vs destroy: exit 0");
	a = fake_only_args("vs.destroy");
	is_str(json_string_value(json_object_get(a, "name")), "web", "vs destroy: the name");
	ok(!json_object_get(a, "spec"), "vs destroy: no spec");
	json_decref(a);

	is_int(cli(NULL, "vs create forbidden cpus=2"), 1, "vs create refused: exit 1");
	is_str(err_out, "cpool vs create: only root may change the pool (you are uid 0)\n",
	       "vs create refused: the daemon's reason, once, named after the command");
	is_str(out, "", "and nothing on stdout");

	is_int(cli(NULL, "vs"), 2, "vs without a verb: usage error");
	is_int(cli(NULL, "vs grow web cpus=2"), 2, "vs unknown verb: usage error");
	ok(strstr(err_out, "'grow' is not one of list, create, resize, destroy") != NULL,
	   "vs unknown verb: offers the verbs, from their table");
	is_int(cli(NULL, "vs create web"), 2, "vs create without keys: usage error");
	is_int(cli(NULL, "vs resize web cpus"), 2, "vs resize with a key but no '=': usage error");
	is_int(cli(NULL, "vs resize web =4"), 2, "vs resize with no key: usage error");
	is_int(cli(NULL, "vs create web cpus=2 cpus=3"), 2, "a key twice: usage error");
	is_int(cli(NULL, "vs destroy"), 2, "vs destroy without a name: usage error");
	is_int(cli(NULL, "vs list extra"), 2, "vs list with an argument: usage error");
	is_int(fake_request_count(), 0, "nothing sent on usage errors");
	is_int(cli(NULL, "vs --help"), 0, "vs --help: exit 0");
	ok(strstr(out, "KEY=VALUE") != NULL, "vs --help describes the keys");
}

static void test_policy(void)
{
	json_t *a, *root;

	is_int(cli(NULL, "policy get"), 0, "policy get: exit 0");
	ok(strstr(out, "sjf") && strstr(out, "first-fit") && strstr(out, "100ms"),
	   "policy get prints policy, placement and quantum");
	is_int(cli(NULL, "policy get --json"), 0, "policy get --json");
	root = json_loads(out, 0, NULL);
	is_str(json_string_value(json_object_get(root, "policy")), "sjf", "policy get --json");
	json_decref(root);

	is_int(cli(NULL, "policy set --policy rr --quantum 250ms"), 0, "policy set: exit 0");
	a = fake_only_args("policy.set");
	is_str(json_string_value(json_object_get(a, "policy")), "rr", "policy set: the policy");
	is_double(json_number_value(json_object_get(a, "quantum")), 0.25, 1e-9,
		  "policy set: the quantum in seconds");
	ok(!json_object_get(a, "placement"), "policy set: placement unchanged, not sent");
	json_decref(a);
	ok(strstr(out, "rr") && strstr(out, "250ms"), "policy set prints the policy in force");
	is_int(cli(NULL, "policy set --placement best-fit"), 0, "policy set --placement");
	a = fake_only_args("policy.set");
	is_str(json_string_value(json_object_get(a, "placement")), "best-fit", "placement sent");
	json_decref(a);
	is_int(cli(NULL, "policy set --admit-p99 2ms"), 0, "policy set --admit-p99");
	a = fake_only_args("policy.set");
	is_double(json_number_value(json_object_get(a, "admit_p99")), 0.002, 1e-12,
		  "admit_p99 sent in seconds");
	json_decref(a);
	is_int(cli(NULL, "policy set --admit-p99 off"), 0, "policy set --admit-p99 off");
	a = fake_only_args("policy.set");
	ok(json_is_number(json_object_get(a, "admit_p99")) &&
		   json_number_value(json_object_get(a, "admit_p99")) == 0,
	   "off is sent as 0 (no bound), not left out");
	json_decref(a);

	is_int(cli(NULL, "policy set --policy forbidden"), 1, "policy set refused: exit 1");
	is_str(err_out, "cpool policy set: only root may change the pool (you are uid 0)\n",
	       "policy set refused: the daemon's reason, once");
	is_int(cli(NULL, "policy set"), 2, "policy set with nothing: usage error");
	is_int(cli(NULL, "policy set --quantum 0"), 2, "policy set --quantum 0: usage error");
	is_int(cli(NULL, "policy set --quantum fast"), 2, "policy set bad quantum: usage error");
	is_int(cli(NULL, "policy set --admit-p99 soon"), 2,
	       "policy set bad admit-p99: usage error");
	is_int(cli(NULL, "policy get --policy rr"), 2, "policy get with --policy: usage error");
	is_int(cli(NULL, "policy tweak"), 2, "policy unknown verb: usage error");
	is_int(fake_request_count(), 0, "nothing sent on usage errors");
}

static void test_top(void)
{
	json_t *root;

	is_int(cli(NULL, "top --once"), 0, "top --once: exit 0");
	diag("%s", out);
	ok(strstr(out, "\033") == NULL, "top --once: no escape sequences (no clearing)");
	ok(strstr(out, "db") && strstr(out, "98.0%") && strstr(out, "20us") && strstr(out, "310us"),
	   "top --once: a VS row with RUL and run-queue p50/p99");
	ok(strstr(out, "batch") && strstr(out, "1.5ms") && strstr(out, "2.5s"),
	   "top --once: latencies in readable units");
	ok(strstr(out, "degraded") != NULL, "top --once: says when metrics are degraded");
	ok(strstr(out, "measured over 1.0s") != NULL, "top --once: the daemon's interval");
	ok(strstr(out, "[##########          ]  50%") != NULL, "top --once: cpu 0 half full");
	ok(strstr(out, "[####################] 100%") != NULL, "top --once: cpu 1 full");
	ok(strstr(out, "[                    ]   0%") != NULL, "top --once: cpu 2 idle");
	ok(strstr(out, "QUEUED") && strstr(out, "RUNNING"), "top --once: queue columns");
	is_int(fake_request_count(), 1, "top --once: one snapshot requested");

	is_int(cli(NULL, "top --json"), 0, "top --json: exit 0");
	root = json_loads(out, 0, NULL);
	is_int((int64_t)json_array_size(json_object_get(root, "cpus")), 4,
	       "top --json: the snapshot");
	json_decref(root);

	/* Live mode, no terminal: stdin at EOF must not end it, SIGTERM must. */
	is_int(sh("%s top --interval 200ms </dev/null 2>%s & pid=$!; sleep 1.3; kill -TERM $pid; "
		  "wait $pid",
		  fake.cpool, fake.err),
	       128 + SIGTERM, "top live: ends on SIGTERM with 128+15");
	ok(fake_request_count() >= 3, "top live: polls every interval (%lld snapshots in 1.3 s)",
	   (long long)fake_request_count());
	ok(strstr(out, "\033[H\033[2J") != NULL, "top live: clears the screen between frames");
	ok(strstr(out, "\033[?25l") == NULL, "top live: leaves the cursor alone when not on a tty");
	is_int(cli("printf 'xq' |", "top --interval 5s"), 0, "top live: q quits at once");
	is_int(fake_request_count(), 1, "top live: after one frame");
	is_int(cli(NULL, "top --interval 1ms"), 2, "top too short an interval: usage error");
}

/* Appends what the pty shows within @ms to screen; stops early once @until appears. */
static void pty_read(int master, char *screen, size_t len, const char *until, int ms)
{
	for (int waited = 0; waited < ms; waited += 50) {
		struct pollfd p = { .fd = master, .events = POLLIN };
		size_t used = strlen(screen);
		ssize_t n;

		if (until && strstr(screen, until))
			return;
		if (poll(&p, 1, 50) <= 0)
			continue;
		n = read(master, screen + used, len - used - 1);
		if (n <= 0)
			return;
		screen[used + (size_t)n] = '\0';
	}
}

/*
 * cpool top on a real terminal (a pty): raw mode while it runs, the terminal
 * as it was after it ends by @keys or by @sig.  Returns the exit status.
 */
static char screen[1 << 16];

static int top_on_tty(const char *keys, int sig, const char *how, unsigned short rows)
{
	struct winsize ws = { .ws_row = rows, .ws_col = 80 };
	struct termios before, during, after;
	int master, slave, st = 0;
	char name[128];
	pid_t pid;

	if (openpty(&master, &slave, NULL, NULL, &ws))
		bail_out("openpty: %s", strerror(errno));
	tcgetattr(slave, &before);
	pid = fork();
	if (pid == 0) {
		setsid();
		ioctl(slave, TIOCSCTTY, 0);
		dup2(slave, 0);
		dup2(slave, 1);
		dup2(slave, 2);
		close(master);
		close(slave);
		execl(fake.cpool, "cpool", "top", "--interval", "200ms", (char *)NULL);
		_exit(127);
	}
	screen[0] = '\0';
	pty_read(master, screen, sizeof(screen), "utilisation", 5000);
	tcgetattr(slave, &during);
	snprintf(name, sizeof(name), "top on a tty (%s): raw mode while running", how);
	ok(!(during.c_lflag & ICANON) && !(during.c_lflag & ECHO), "%s", name);
	snprintf(name, sizeof(name), "top on a tty (%s): the frame is drawn, cursor hidden", how);
	ok(strstr(screen, "\033[H\033[2J") && strstr(screen, "\033[?25l") &&
		   strstr(screen, "batch"),
	   "%s", name);
	if (keys) {
		if (write(master, keys, strlen(keys)) < 0)
			bail_out("write to the pty");
	} else {
		kill(pid, sig);
	}
	for (int i = 0; i < 100 && waitpid(pid, &st, WNOHANG) == 0; i++)
		pty_read(master, screen, sizeof(screen), NULL, 50);
	if (waitpid(pid, &st, WNOHANG) == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		diag("top did not end within 5 s");
	}
	pty_read(master, screen, sizeof(screen), "\033[?25h", 200);
	tcgetattr(slave, &after);
	snprintf(name, sizeof(name), "top on a tty (%s): the terminal is restored", how);
	ok((after.c_lflag & (ICANON | ECHO)) == (before.c_lflag & (ICANON | ECHO)) &&
		   strstr(screen, "\033[?25h") != NULL,
	   "%s", name);
	close(master);
	close(slave);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
}

static void test_top_tty(void)
{
	is_int(top_on_tty("q", 0, "q", 24), 0, "top on a tty: q quits with 0");
	ok(strstr(screen, "   2 [                    ]   0%") != NULL, "top on a tty: CPU bars");
	is_int(top_on_tty("\003", 0, "^C", 24), 128 + SIGINT, "top on a tty: ^C ends it with 130");
	is_int(top_on_tty(NULL, SIGTERM, "SIGTERM", 24), 128 + SIGTERM,
	       "top on a tty: SIGTERM ends it with 143");
	is_int(top_on_tty("q", 0, "9 rows", 9), 0, "top on a 9-row terminal");
	ok(strstr(screen, "    0-3     +@ :\r\n") != NULL,
	   "top: one character per CPU when bars would not fit the screen");
}

static void test_errors(void)
{
	static const struct {
		const char *args, *prog;
	} cmds[] = {
		{ "ps", "ps" },
		{ "submit --socket @ -- true", "submit" },
		{ "cancel 1", "cancel" },
		{ "wait 1", "wait" },
		{ "history", "history" },
		{ "vs list", "vs list" },
		{ "vs destroy x", "vs destroy" },
		{ "policy get", "policy get" },
		{ "top --once", "top" },
	};
	char socket[256];

	snprintf(socket, sizeof(socket), "%s/absent.sock", fake.dir);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		const char *at = strchr(cmds[i].args, '@');
		char want[512];

		snprintf(want, sizeof(want), "cpool %s: cannot reach cpoold at %s: ", cmds[i].prog,
			 socket);
		if (at)
			is_int(cli(NULL, "%.*s%s%s", (int)(at - cmds[i].args), cmds[i].args, socket,
				   at + 1),
			       1, cmds[i].args);
		else
			is_int(cli(NULL, "%s --socket %s", cmds[i].args, socket), 1, cmds[i].args);
		ok(strncmp(err_out, want, strlen(want)) == 0 &&
			   strstr(err_out, "is the daemon running?") && count_lines(err_out) == 1,
		   "no daemon: one line, named after the command, with the socket and a hint");
		if (strncmp(err_out, want, strlen(want)))
			diag("got: %s   want: %s...", err_out, want);
	}
	is_int(cli("CPOOL_SOCKET=/nonexistent/c.sock", "ps"), 1, "$CPOOL_SOCKET is used");
	ok(strstr(err_out, "/nonexistent/c.sock") != NULL, "and named in the error");
	is_int(cli("CPOOL_SOCKET=/nonexistent/c.sock", "ps --socket %s", fake.sock), 0,
	       "--socket wins over $CPOOL_SOCKET");
}

int main(void)
{
	if (!fake_cpool_built()) {
		done_testing();
		return exit_status();
	}
	fake_start();
	test_vs();
	test_policy();
	test_top();
	test_top_tty();
	test_errors();
	fake_stop();
	done_testing();
	return exit_status();
}
