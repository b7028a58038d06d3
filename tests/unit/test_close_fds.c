// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * A job holds exactly fds 0-2 of ours: cpool_close_fds_from() (close_range)
 * and its /proc/self/fd fallback close everything from a bound but the one
 * fd kept.  Each case runs in a child, which reports the open fds it has
 * left through a pipe.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../tap.h"
#include "cpool/launch.h"

#define HIGH_FD 200

static bool is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

/* In a child: open fds 3.. and HIGH_FD, close from @lowest keeping @keep; the survivors in @out. */
static int survivors(bool walk, int lowest, int keep, char *out, size_t len)
{
	int pfd[2], status;
	ssize_t n;
	pid_t pid;

	if (pipe(pfd) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		char buf[256] = "";
		size_t used = 0;
		int report = fcntl(pfd[1], F_DUPFD, 150);

		close(pfd[0]);
		close(pfd[1]);
		for (int i = 0; i < 6; i++)
			if (open("/dev/null", O_RDONLY) < 0)
				_exit(3);
		if (dup2(0, HIGH_FD) < 0)
			_exit(3);
		if ((walk ? cpool_close_fds_walk(lowest, keep) :
			    cpool_close_fds_from(lowest, keep)) != 0)
			_exit(4);
		/* The report fd is closed too unless kept: write through a copy below @lowest. */
		for (int fd = 0; fd <= HIGH_FD; fd++)
			if (fd != report && is_open(fd))
				used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%d ", fd);
		if (is_open(report) && write(report, buf, strlen(buf)) < 0)
			_exit(5);
		_exit(0);
	}
	close(pfd[1]);
	n = read(pfd[0], out, len - 1);
	close(pfd[0]);
	out[n > 0 ? n : 0] = '\0';
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int main(void)
{
	char got[256];

	for (int walk = 0; walk <= 1; walk++) {
		const char *how = walk ? "/proc/self/fd walk" : "close_range";

		/* fd 150 (the report copy) is kept so that the child can answer. */
		is_int(survivors(walk, 3, 150, got, sizeof(got)), 0, "child ran");
		is_str(got, "0 1 2 ", how);
		is_int(survivors(walk, 5, 150, got, sizeof(got)), 0, "child ran");
		is_str(got, "0 1 2 3 4 ", "  from 5: 3 and 4 stay");
	}
	done_testing();
	return exit_status();
}
