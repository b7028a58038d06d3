// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The TAP harness itself (tests/tap.h): a passing assertion is one "ok"
 * line, a failing one says where and shows what it compared.  The failing
 * cases run in a child whose output is captured, so this test stays green.
 */
#include <sys/wait.h>
#include <unistd.h>

#include "../tap.h"

/* Runs @fn in a child with stdout in @buf; returns the child's exit status. */
static int captured(void (*fn)(void), char *buf, size_t len)
{
	int fds[2], status;
	size_t used = 0;
	ssize_t n;
	pid_t pid;

	if (pipe(fds))
		bail_out("pipe");
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		bail_out("fork");
	if (pid == 0) {
		close(fds[0]);
		dup2(fds[1], STDOUT_FILENO);
		tap_run = tap_failed = 0;
		fn();
		fflush(stdout);
		_exit(exit_status());
	}
	close(fds[1]);
	while (used + 1 < len && (n = read(fds[0], buf + used, len - 1 - used)) > 0)
		used += (size_t)n;
	buf[used] = '\0';
	close(fds[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void failing_cmp(void)
{
	cmp_ok(7, <, 3, "seven below three");
}

static void passing_cmp(void)
{
	cmp_ok(3, <=, 3, "three at most three");
	cmp_ok(-5, !=, 5, "signs differ");
}

static void failing_todo(void)
{
	todo_start("a known defect");
	ok(false, "not yet");
	todo_end();
	ok(true, "after it");
}

int main(void)
{
	char buf[4096];

	ok(cmp_ok(2, <, 3, "two below three"), "cmp_ok returns true when it passes");
	cmp_ok(INT64_MAX, >, INT64_MIN, "the whole int64 range compares");

	is_int(captured(passing_cmp, buf, sizeof(buf)), 0, "passing cmp_ok: exit 0");
	is_str(buf, "ok 1 - three at most three\nok 2 - signs differ\n", "one ok line each");

	is_int(captured(failing_cmp, buf, sizeof(buf)), 1, "failing cmp_ok: exit 1");
	ok(strstr(buf, "not ok 1 - seven below three\n") != NULL, "said not ok, with its name");
	ok(strstr(buf, "#   Failed test at tests/unit/test_tap.c line ") != NULL,
	   "says where it failed");
	ok(strstr(buf, "#     7\n#         <\n#     3\n") != NULL,
	   "shows both values and the operator");
	if (!strstr(buf, "#     7\n"))
		diag("captured:\n%s", buf);

	is_int(captured(failing_todo, buf, sizeof(buf)), 0,
	       "a failing TODO does not fail the test");
	ok(strstr(buf, "not ok 1 - not yet # TODO a known defect\n") != NULL,
	   "it is printed as not ok, with its reason");
	ok(strstr(buf, "\nok 2 - after it\n") != NULL, "the next one is plain again");
	done_testing();
	return exit_status();
}
