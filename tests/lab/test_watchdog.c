// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * cpoold under a service manager's watchdog, without systemd (the lab has
 * no systemd as PID 1): the test plays systemd's part as the delegation
 * test does.  It binds the NOTIFY_SOCKET, sets WATCHDOG_USEC, and expects
 * READY=1, STATUS= lines that follow the jobs, and WATCHDOG=1 pings while
 * the event loop turns.  Then it stalls the daemon (SIGSTOP): the pings
 * must stop, and like systemd with WatchdogSec= and Restart=on-failure it
 * kills the daemon with SIGABRT once a period passes without a ping and
 * starts it again.  The job that ran across all this must end as usual,
 * accounted by the new daemon.  WATCHDOG_PID naming another process must
 * keep the pings off.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#include "lab_cpoold.h"

#define WATCHDOG_USEC 2000000 /* 2 s: pings every 0.5 s */

static char dir[] = "/tmp/cpoold-watchdog.XXXXXX";
static char ini[64], notify_path[64], cpool_bin[1024];
static const char *root;
static int notify_fd;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The next datagram within @timeout_s, in @buf; false on timeout. */
static bool receive(char *buf, size_t len, double timeout_s)
{
	struct pollfd p = { .fd = notify_fd, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, (int)(timeout_s * 1000)) <= 0)
		return false;
	n = recv(notify_fd, buf, len - 1, 0);
	buf[n < 0 ? 0 : n] = '\0';
	return n >= 0;
}

/* What arrives during @seconds: the pings counted, the last STATUS= kept. */
/* True once @pid is stopped (state T in /proc/PID/stat) within @seconds. */
static bool wait_stopped(pid_t pid, double seconds)
{
	double end = now_s() + seconds;
	char path[64], buf[512];
	const char *paren;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	do {
		paren = strrchr(lab_read(path, buf, sizeof(buf)), ')');
		if (paren && paren[1] == ' ' && paren[2] == 'T')
			return true;
		lab_sleep_ms(10);
	} while (now_s() < end);
	return false;
}

static int listen_for(double seconds, char *status, size_t status_len, bool *ready)
{
	double end = now_s() + seconds;
	char buf[512];
	int pings = 0;

	if (ready)
		*ready = false;
	for (double left; (left = end - now_s()) > 0;) {
		if (!receive(buf, sizeof(buf), left))
			break;
		for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
			if (strcmp(line, "WATCHDOG=1") == 0)
				pings++;
			else if (strcmp(line, "READY=1") == 0 && ready)
				*ready = true;
			else if (strncmp(line, "STATUS=", 7) == 0 && status)
				snprintf(status, status_len, "%s", line + 7);
		}
	}
	return pings;
}

/* READY=1 within @timeout_s, as systemd waits for a Type=notify service. */
static bool wait_ready(double timeout_s, char *status, size_t len)
{
	bool ready = false;
	double end = now_s() + timeout_s;

	while (!ready && now_s() < end)
		listen_for(0.5, status, len, &ready);
	return ready;
}

static int cli(const char *args)
{
	char cmd[4096];
	int st;

	snprintf(cmd, sizeof(cmd), "CPOOL_SOCKET=%s/cpool.sock %s %s", dir, cpool_bin, args);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static pid_t start(const char *watchdog_pid)
{
	setenv("NOTIFY_SOCKET", notify_path, 1);
	setenv("WATCHDOG_USEC", "2000000", 1);
	if (watchdog_pid)
		setenv("WATCHDOG_PID", watchdog_pid, 1);
	else
		unsetenv("WATCHDOG_PID");
	return lab_start_cpoold(dir, ini, root, "0666", true);
}

int main(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char status[256] = "", cmd[2048], idtext[32] = "";
	double last_ping, stalled_for;
	pid_t pid;
	int st, pings;
	FILE *f;

	lab_require();
	root = lab_pool_root("watchdog");
	if (!mkdtemp(dir))
		bail_out("mkdtemp: %s", strerror(errno));
	snprintf(ini, sizeof(ini), "%s/pool.ini", dir);
	snprintf(notify_path, sizeof(notify_path), "%s/notify", dir);
	snprintf(cpool_bin, sizeof(cpool_bin), "%s/cpool", getenv("CPOOL_BUILD") ?: "build");
	f = fopen(ini, "w");
	fprintf(f, "[pool]\nname = wdpool\n\n[vserver a]\ncpus = 1\n");
	fclose(f);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", notify_path);
	notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (notify_fd < 0 || bind(notify_fd, (struct sockaddr *)&a, sizeof(a)))
		bail_out("bind %s: %s", notify_path, strerror(errno));

	/* Up and pinging. */
	pid = start(NULL);
	ok(wait_ready(30, status, sizeof(status)), "READY=1 once the daemon serves");
	is_str(status, "1 virtual servers, 0 jobs running, 0 queued or frozen",
	       "STATUS= with READY=1: the VSs and jobs");
	pings = listen_for(3, NULL, 0, NULL);
	ok(pings >= 3, "WATCHDOG=1 while the loop turns (%d in 3 s, one every 0.5 s asked)", pings);

	/*
	 * A job that outlives the daemon that started it.  Its output goes to
	 * /dev/null by name: the default, cpool-%j.out in the cwd, would be
	 * the checkout's top directory.
	 */
	snprintf(cmd, sizeof(cmd),
		 "CPOOL_SOCKET=%s/cpool.sock %s submit --vs a --stdout /dev/null -- /bin/sh -c "
		 "'sleep 8; exit 7'",
		 dir, cpool_bin);
	f = popen(cmd, "r");
	if (!f || !fgets(idtext, sizeof(idtext), f))
		bail_out("cpool submit failed");
	pclose(f);
	idtext[strcspn(idtext, "\n")] = '\0';
	listen_for(6, status, sizeof(status), NULL);
	is_str(status, "1 virtual servers, 1 jobs running, 0 queued or frozen",
	       "STATUS= follows the job");

	/*
	 * Stall the loop: systemd's view of it.  SIGSTOP takes effect some
	 * time after kill() returns, and a ping sent meanwhile was counted as
	 * the stalled daemon's (seen once on 6.12): wait until it is stopped,
	 * then take what it sent before.
	 */
	kill(pid, SIGSTOP);
	if (!wait_stopped(pid, 10))
		bail_out("cpoold (pid %d) did not stop within 10 s of SIGSTOP", (int)pid);
	listen_for(0.2, NULL, 0, NULL);
	last_ping = now_s();
	pings = listen_for((double)WATCHDOG_USEC / 1e6 * 1.5, NULL, 0, NULL);
	is_int(pings, 0, "a stalled daemon sends no ping");
	stalled_for = now_s() - last_ping;
	ok(stalled_for > (double)WATCHDOG_USEC / 1e6,
	   "no ping for %.1f s, longer than WATCHDOG_USEC: systemd would kill it", stalled_for);
	/* What systemd does then: WatchdogSignal=SIGABRT, and Restart=on-failure. */
	kill(pid, SIGABRT);
	kill(pid, SIGCONT);
	if (!lab_reap_within(pid, LAB_CPOOLD_STOP_S * 1000, &st))
		lab_kill_reap(pid, LAB_CPOOLD_REAP_MS, &st);
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT, "the watchdog's SIGABRT ended it");

	pid = start(NULL);
	ok(wait_ready(30, status, sizeof(status)), "restarted: READY=1 again");
	ok(listen_for(2, NULL, 0, NULL) >= 2, "and the pings are back");
	snprintf(cmd, sizeof(cmd), "wait %.20s", idtext);
	is_int(cli(cmd), 7, "the job ran through the stall and the restart: its exit status 7");

	ok(lab_cpoold_stop(pid, LAB_CPOOLD_STOP_S, &st) == LAB_STOPPED_BY_TERM && WIFEXITED(st) &&
		   WEXITSTATUS(st) == 0,
	   "SIGTERM: a clean exit");
	{
		bool stopping = false;
		char buf[256];

		while (receive(buf, sizeof(buf), 0.5))
			stopping |= strstr(buf, "STOPPING=1") != NULL;
		ok(stopping, "STOPPING=1 on SIGTERM");
	}

	/* WATCHDOG_PID naming another process: the watchdog is not ours. */
	pid = start("1");
	ok(wait_ready(30, NULL, 0), "WATCHDOG_PID=1: READY=1 still");
	is_int(listen_for(2, NULL, 0, NULL), 0, "WATCHDOG_PID=1: no pings");
	lab_cpoold_stop(pid, LAB_CPOOLD_STOP_S, NULL);

	lab_cpoold_cleanup(dir, root);
	done_testing();
	return exit_status();
}
