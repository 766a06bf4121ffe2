/*
 * server/notify.c — the sd_notify protocol: one datagram of "KEY=VALUE\n"
 * lines to the AF_UNIX socket named by $NOTIFY_SOCKET. See notify.h.
 */
#include "server/notify.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

enum status
notify_send(const char *socket_path, const char *state, struct err *err)
{
	struct sockaddr_un sa;
	size_t len;
	socklen_t sa_len;
	enum status st;
	ssize_t n;
	int fd;

	if (socket_path == NULL || socket_path[0] == '\0')
		return ST_OK;
	len = strlen(socket_path);
	if ((socket_path[0] != '/' && socket_path[0] != '@') || len >= sizeof sa.sun_path)
		return ERR_SET(err, ST_INVALID, "NOTIFY_SOCKET: not an absolute or abstract name");
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, socket_path, len);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0'; /* abstract namespace: the length counts, no trailing NUL */
	sa_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return ERR_SET(err, ST_IO, "NOTIFY_SOCKET: socket: %s", strerror(errno));
	n = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (const struct sockaddr *)&sa, sa_len);
	if (n < 0)
		st = ERR_SET(err, ST_IO, "NOTIFY_SOCKET %s: %s", socket_path, strerror(errno));
	else if ((size_t)n != strlen(state))
		st = ERR_SET(err, ST_IO, "NOTIFY_SOCKET %s: short send", socket_path);
	else
		st = ST_OK;
	close(fd);
	return st;
}
