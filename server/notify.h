/*
 * server/notify.h — service manager readiness notification: the sd_notify(3)
 * datagram protocol in a few lines, without libsystemd
 * (systemd.io/NOTIFY, "The sd_notify protocol").
 *
 * main() reads $NOTIFY_SOCKET (no getenv elsewhere, STYLE rule 8) and sends
 * "READY=1" once the listeners serve, "STOPPING=1" when it starts to stop.
 * Used by Type=notify units (examples/oidcd.service).
 */
#ifndef SERVER_NOTIFY_H
#define SERVER_NOTIFY_H

#include "common/err.h"

/*
 * Sends state (e.g. "READY=1") as one datagram to the AF_UNIX socket
 * socket_path: a filesystem path, or an abstract socket name when it starts
 * with '@' (the '@' becomes the leading NUL). NULL or "" socket_path: no
 * service manager asked, ST_OK without doing anything. ST_INVALID for a
 * path that is neither absolute nor abstract or is too long for sun_path;
 * ST_IO when the datagram cannot be sent.
 */
enum status notify_send(const char *socket_path, const char *state, struct err *err);

#endif
