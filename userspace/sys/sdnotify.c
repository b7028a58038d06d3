// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * sd_notify(3) in a few lines, so cpoold needs no libsystemd: the protocol
 * is one unix datagram per message, and the socket may be abstract.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cpool/sdnotify.h"

int cpool_sd_notify_to(const char *socket_path, const char *state)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	size_t len = strlen(socket_path);
	socklen_t addrlen;
	int fd, r = 0;

	if (socket_path[0] != '/' && socket_path[0] != '@')
		return -EAFNOSUPPORT; /* e.g. systemd 256's vsock: addresses */
	if (len < 2 || len >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	memcpy(addr.sun_path, socket_path, len);
	if (addr.sun_path[0] == '@')
		addr.sun_path[0] = '\0'; /* abstract: the name is exactly len bytes, no NUL */
	addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&addr, addrlen) < 0)
		r = -errno;
	close(fd);
	return r;
}

int cpool_sd_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");

	if (!path || !*path)
		return 0;
	return cpool_sd_notify_to(path, state);
}

static int parse_decimal(const char *text, unsigned long long *out)
{
	char *end;

	if (!text || *text < '0' || *text > '9')
		return -EINVAL;
	errno = 0;
	*out = strtoull(text, &end, 10);
	return errno || *end ? -EINVAL : 0;
}

uint64_t cpool_sd_watchdog_parse(const char *usec, const char *pid, pid_t self)
{
	unsigned long long us, p;

	if (parse_decimal(usec, &us) || us == 0)
		return 0;
	if (pid && *pid && (parse_decimal(pid, &p) || p != (unsigned long long)self))
		return 0;
	return us;
}

uint64_t cpool_sd_watchdog_usec(void)
{
	return cpool_sd_watchdog_parse(getenv("WATCHDOG_USEC"), getenv("WATCHDOG_PID"), getpid());
}
