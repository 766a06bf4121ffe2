/*
 * server/notify_test.c — notify_send against real AF_UNIX datagram sockets:
 * a path in a mkdtemp directory and an abstract name, as a service manager
 * would bind them; and the refusals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
/* cmocka.h needs stdarg.h, stddef.h and setjmp.h before it. */
#include <cmocka.h>

#include "common/err.h"
#include "server/notify.h"

/* Binds a datagram socket at name ('@' = abstract) and returns it. */
static int
bind_dgram(const char *name)
{
	struct sockaddr_un sa;
	size_t len = strlen(name);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_true(len < sizeof sa.sun_path);
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, name, len);
	if (name[0] == '@')
		sa.sun_path[0] = '\0';
	assert_int_equal(bind(fd, (struct sockaddr *)&sa,
	                      (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)),
	                 0);
	return fd;
}

/* The next datagram on fd, without waiting (notify_send has returned: it is queued). */
static void
assert_received(int fd, const char *want)
{
	char buf[128];
	ssize_t n = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT);

	assert_true(n >= 0);
	buf[n] = '\0';
	assert_string_equal(buf, want);
}

static void
test_send_to_path_socket_delivers_ready(void **state)
{
	char dir[] = "/tmp/notify_test-XXXXXX";
	char path[128];
	struct err err = {0};
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/notify", dir);
	fd = bind_dgram(path);
	assert_int_equal(notify_send(path, "READY=1", &err), ST_OK);
	assert_received(fd, "READY=1");
	assert_int_equal(notify_send(path, "STOPPING=1", &err), ST_OK);
	assert_received(fd, "STOPPING=1");
	close(fd);
	unlink(path);
	rmdir(dir);
}

static void
test_send_to_abstract_socket_delivers_ready(void **state)
{
	char name[64];
	struct err err = {0};
	int fd;

	(void)state;
	snprintf(name, sizeof name, "@oidcd-notify-test-%ld", (long)getpid());
	fd = bind_dgram(name);
	assert_int_equal(notify_send(name, "READY=1", &err), ST_OK);
	assert_received(fd, "READY=1");
	close(fd);
}

static void
test_no_socket_is_a_silent_no_op(void **state)
{
	struct err err = {0};

	(void)state;
	assert_int_equal(notify_send(NULL, "READY=1", &err), ST_OK);
	assert_int_equal(notify_send("", "READY=1", &err), ST_OK);
}

static void
test_relative_or_overlong_name_is_invalid(void **state)
{
	char longname[200];
	struct err err = {0};

	(void)state;
	assert_int_equal(notify_send("run/notify", "READY=1", &err), ST_INVALID);
	memset(longname, 'a', sizeof longname - 1);
	longname[0] = '/';
	longname[sizeof longname - 1] = '\0';
	assert_int_equal(notify_send(longname, "READY=1", &err), ST_INVALID);
}

static void
test_missing_socket_is_io_error(void **state)
{
	struct err err = {0};

	(void)state;
	assert_int_equal(notify_send("/nonexistent/oidcd/notify", "READY=1", &err), ST_IO);
	assert_non_null(strstr(err.msg, "/nonexistent/oidcd/notify"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_send_to_path_socket_delivers_ready),
	        cmocka_unit_test(test_send_to_abstract_socket_delivers_ready),
	        cmocka_unit_test(test_no_socket_is_a_silent_no_op),
	        cmocka_unit_test(test_relative_or_overlong_name_is_invalid),
	        cmocka_unit_test(test_missing_socket_is_io_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
