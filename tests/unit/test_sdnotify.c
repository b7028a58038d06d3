// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * sd_notify without libsystemd: datagrams reach a socket bound at a path
 * and one in the abstract namespace, byte for byte; addresses of another
 * kind are refused; and the watchdog period is read the way sd_watchdog_enabled(3)
 * reads it (WATCHDOG_PID names the process it is for).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "../tap.h"
#include "cpool/sdnotify.h"

/* Binds a datagram socket at @name ("@x": abstract); returns its fd. */
static int bind_dgram(const char *name)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 5 };
	size_t len = strlen(name);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	memcpy(a.sun_path, name, len);
	if (name[0] == '@')
		a.sun_path[0] = '\0';
	if (fd < 0 || bind(fd, (struct sockaddr *)&a,
			   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)))
		bail_out("bind %s: %s", name, strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static const char *receive(int fd)
{
	static char buf[512];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);

	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

static void test_path_socket(void)
{
	char dir[] = "/tmp/cpool-sdnotify.XXXXXX", path[128];
	int fd;

	if (!mkdtemp(dir))
		bail_out("mkdtemp");
	snprintf(path, sizeof(path), "%s/notify", dir);
	fd = bind_dgram(path);
	is_int(cpool_sd_notify_to(path, "READY=1\nSTATUS=2 virtual servers"), 0, "sent to a path");
	is_str(receive(fd), "READY=1\nSTATUS=2 virtual servers", "received as sent");
	setenv("NOTIFY_SOCKET", path, 1);
	is_int(cpool_sd_notify("WATCHDOG=1"), 0, "sent to $NOTIFY_SOCKET");
	is_str(receive(fd), "WATCHDOG=1", "through the environment");
	close(fd);
	unlink(path);
	is_int(cpool_sd_notify("WATCHDOG=1"), -ENOENT,
	       "the socket is gone: the error (ENOENT), not a crash");
	rmdir(dir);
}

static void test_abstract_socket(void)
{
	char name[64];
	int fd;

	snprintf(name, sizeof(name), "@cpool-test-sdnotify-%d", (int)getpid());
	fd = bind_dgram(name);
	setenv("NOTIFY_SOCKET", name, 1);
	is_int(cpool_sd_notify("STOPPING=1"), 0, "sent to an abstract socket");
	is_str(receive(fd), "STOPPING=1", "received there");
	close(fd);
}

static void test_refusals(void)
{
	unsetenv("NOTIFY_SOCKET");
	is_int(cpool_sd_notify("READY=1"), 0, "no NOTIFY_SOCKET: nothing to do");
	setenv("NOTIFY_SOCKET", "", 1);
	is_int(cpool_sd_notify("READY=1"), 0, "an empty NOTIFY_SOCKET: the same");
	is_int(cpool_sd_notify_to("vsock:2:1234", "READY=1"), -EAFNOSUPPORT,
	       "a vsock address is refused");
	is_int(cpool_sd_notify_to("relative/sock", "READY=1"), -EAFNOSUPPORT,
	       "a relative path is refused");
	is_int(cpool_sd_notify_to("@", "READY=1"), -ENAMETOOLONG, "an empty abstract name");
	{
		char longname[200];

		memset(longname, 'x', sizeof(longname) - 1);
		longname[0] = '/';
		longname[sizeof(longname) - 1] = '\0';
		is_int(cpool_sd_notify_to(longname, "READY=1"), -ENAMETOOLONG,
		       "a path longer than sun_path");
	}
}

static void test_watchdog(void)
{
	is_int((int64_t)cpool_sd_watchdog_parse("30000000", NULL, 42), 30000000, "WATCHDOG_USEC");
	is_int((int64_t)cpool_sd_watchdog_parse("30000000", "42", 42), 30000000,
	       "WATCHDOG_PID is us");
	is_int((int64_t)cpool_sd_watchdog_parse("30000000", "", 42), 30000000,
	       "an empty WATCHDOG_PID is none");
	is_int((int64_t)cpool_sd_watchdog_parse("30000000", "41", 42), 0,
	       "WATCHDOG_PID is another process (our parent's, inherited): no watchdog");
	is_int((int64_t)cpool_sd_watchdog_parse("30000000", "4x", 42), 0, "a malformed pid");
	is_int((int64_t)cpool_sd_watchdog_parse(NULL, NULL, 42), 0, "no WATCHDOG_USEC");
	is_int((int64_t)cpool_sd_watchdog_parse("0", NULL, 42), 0, "WATCHDOG_USEC=0");
	is_int((int64_t)cpool_sd_watchdog_parse("-5", NULL, 42), 0, "a negative period");
	is_int((int64_t)cpool_sd_watchdog_parse("5s", NULL, 42), 0, "a period with a unit");
	is_int((int64_t)cpool_sd_watchdog_parse("99999999999999999999999", NULL, 42), 0,
	       "an overflowing period");
	setenv("WATCHDOG_USEC", "2000000", 1);
	unsetenv("WATCHDOG_PID");
	is_int((int64_t)cpool_sd_watchdog_usec(), 2000000, "from the environment");
	unsetenv("WATCHDOG_USEC");
}

int main(void)
{
	test_path_socket();
	test_abstract_socket();
	test_refusals();
	test_watchdog();
	done_testing();
	return exit_status();
}
