// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * A turn and the handover after it tile the time, whatever the leaf's
 * reading costs.  cpoold gives a preempted job's CPUs back (the handover
 * starts) and then ends its turn, reading the frozen leaf's CPU time in
 * between: five cgroup files, 2 ms median and up to 42 ms in the lab under
 * TCG.  The turn's end was read after that, so every turn overlapped the
 * handover that follows and its idle was counted twice: in one-VS rr runs
 * the daemon's idle counters added up to more idle than the run had.  Here
 * the leaf's cpu.stat is a FIFO that a child fills 200 ms after the read
 * begins, so a turn that ends after the reading comes out 200 ms long.
 */
#include <math.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include "cpoold_fixture.h"

static char dir[] = "/tmp/cpool-test-cpoold-switchcost-tile.XXXXXX";

#define SLOW_READ_S 0.2

static void leaf_path(char *path, size_t len)
{
	snprintf(path, len, "%s/v/job-1/cpu.stat", dir);
}

/* @cpu_s of CPU time so far in the fake leaf v/job-1, a plain file. */
static void leaf_cpu(double cpu_s)
{
	char path[4096];
	FILE *f;

	leaf_path(path, sizeof(path));
	unlink(path);
	f = fopen(path, "w");
	if (!f)
		bail_out("%s: %s", path, strerror(errno));
	fprintf(f, "usage_usec %lld\nuser_usec 0\nsystem_usec 0\n", (long long)(cpu_s * 1e6));
	fclose(f);
}

/* The same, but the read waits SLOW_READ_S for it: a FIFO a child writes. */
static pid_t leaf_cpu_slow(double cpu_s)
{
	char path[4096];
	pid_t pid;

	leaf_path(path, sizeof(path));
	unlink(path);
	if (mkfifo(path, 0600))
		bail_out("mkfifo %s: %s", path, strerror(errno));
	pid = fork();
	if (pid < 0)
		bail_out("fork: %s", strerror(errno));
	if (pid == 0) {
		char text[128];
		int fd, n;

		usleep((useconds_t)(SLOW_READ_S * 1e6));
		fd = open(path, O_WRONLY);
		n = snprintf(text, sizeof(text), "usage_usec %lld\nuser_usec 0\nsystem_usec 0\n",
			     (long long)(cpu_s * 1e6));
		_exit(fd >= 0 && write(fd, text, (size_t)n) == n ? 0 : 1);
	}
	return pid;
}

int main(void)
{
	struct cpoold d;
	struct vsrv vs = { 0 };
	struct djob j = { .rec = { .cpus = 1 } };
	double resumed, released, started;
	char path[4096];
	int status = -1;
	pid_t child;

	plan(6);
	fixture_open(&d, dir);
	snprintf(vs.vs.name, sizeof(vs.vs.name), "v");
	d.vs = &vs;
	d.n_vs = 1;
	snprintf(j.leaf, sizeof(j.leaf), "v/job-1");
	snprintf(path, sizeof(path), "%s/v", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/v/job-1", dir);
	mkdir(path, 0700);

	/* Resumed 0.3 s ago, frozen with 1 s in its leaf; 0.25 s of work since. */
	leaf_cpu(1.0);
	resumed = now_s() - 0.3;
	switchcost_asked(&d, &j, false, resumed);
	switchcost_done(&d, &j, false);
	switchcost_turn_begun(&d, &j, true);
	leaf_cpu(1.25);
	switchcost_asked(&d, &j, true, now_s());

	/* Its freeze completes: the CPUs go back, then the turn ends over a slow reading. */
	child = leaf_cpu_slow(1.25);
	switchcost_released(&vs);
	released = vs.released_at;
	switchcost_done(&d, &j, true);
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status))
		bail_out("the FIFO's writer failed (status %d)", status);
	started = now_s();
	ok(started - released >= SLOW_READ_S * 0.9,
	   "the leaf's reading took its time (%.3f s from the give-back to the next start)",
	   started - released);
	switchcost_started(&d, &vs, started);

	is_int((int)d.switches.resume_turns, 1, "the freeze ended a resume turn");
	is_double(d.switches.resume_turn_s, released - resumed, 0.02,
		  "the turn ends where its CPUs were given back, not after the leaf's reading");
	is_double(d.switches.resume_turn_idle_s, released - resumed - 0.25, 0.02,
		  "its idle: its length less the 0.25 s the job ran");
	diag("turn %.3f s + handover %.3f s", d.switches.resume_turn_s, d.switches.handover_wait_s);
	is_double(
		d.switches.resume_turn_s + d.switches.handover_wait_s, started - resumed, 0.02,
		"the turn and the handover after it tile the time from the resume to the next start");
	is_double(d.switches.freeze_wait_s, released - j.switch_asked_at, 0.02,
		  "and the freeze's wait ends at the same reading");

	fixture_close(&d, dir);
	return exit_status();
}
