/*
 * server/cli_users.c — `oidcd users add|list|get|update|passwd|delete`: the
 * admin user API for an operator on the box, on the same store and with the
 * same service (users.c) as /admin/users. Output is JSON on stdout; errors
 * are one line "oidcd: <code>: <description>" on stderr (exit 1; usage
 * errors exit 2).
 *
 * Passwords never come from an argument (argv is visible to every local
 * user): from /dev/tty without echo, asked twice, when standard input is a
 * terminal; else the first line of standard input. They live in a stack
 * buffer, read without stdio (no unwiped copies), and are wiped on every
 * path.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "crypto/secret.h"
#include "server/cli.h"
#include "server/users.h"

/* Room for the longest password, its line end and one byte to detect overlong input. */
#define PASSWORD_BUF (USERS_PASSWORD_MAX + 3)

static int
rejected(const struct user_problem *p)
{
	fprintf(stderr, "oidcd: %s: %s\n", oauth_error_code(p->error), p->description);
	return 1;
}

static int
unknown_user(const char *what)
{
	fprintf(stderr, "oidcd: not_found: no user with id or username %s\n", what);
	return 1;
}

/* The one positional argument of a command; NULL (after the message) otherwise. */
static const char *
one_arg(const struct cli_opts *opts, const char *cmd, const char *what)
{
	if (opts->nargs != 1) {
		fprintf(stderr, "oidcd: users %s: expected one %s\n", cmd, what);
		return NULL;
	}
	return opts->args[0];
}

/* A JSON object from path ("-" = standard input); NULL after the message. */
static json_t *
read_document(const char *path)
{
	json_error_t jerr;
	json_t *j;
	bool is_stdin = path == NULL || strcmp(path, "-") == 0;

	if (is_stdin)
		j = json_loadf(stdin, JSON_REJECT_DUPLICATES, &jerr);
	else
		j = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL) {
		fprintf(stderr, "oidcd: %s: line %d: %s\n", is_stdin ? "stdin" : path, jerr.line,
		        jerr.text);
		return NULL;
	}
	if (!json_is_object(j)) {
		fprintf(stderr, "oidcd: %s: the document must be a JSON object\n",
		        is_stdin ? "stdin" : path);
		json_decref(j);
		return NULL;
	}
	return j;
}

/*
 * Reads one line from fd into buf (cap bytes) one byte at a time, so no
 * stdio buffer keeps a copy. The line end ("\n" or "\r\n") is dropped.
 * Returns the length, or -1 on a read error, -2 when the line is too long.
 */
static long
read_line(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	ssize_t r;
	char c;

	for (;;) {
		r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0 || c == '\n')
			break;
		if (n + 1 >= cap)
			return -2;
		buf[n++] = c;
	}
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	secret_wipe(&c, sizeof c);
	return (long)n;
}

/* Prompts on the terminal with echo off; the length, or a negative value. */
static long
prompt(int tty, const char *text, char *buf, size_t cap)
{
	struct termios saved, quiet;
	bool restore = false;
	long n;

	if (write(tty, text, strlen(text)) < 0)
		return -1;
	if (tcgetattr(tty, &saved) == 0) {
		quiet = saved;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		quiet.c_lflag |= ICANON;
		restore = tcsetattr(tty, TCSAFLUSH, &quiet) == 0;
	}
	n = read_line(tty, buf, cap);
	if (restore)
		tcsetattr(tty, TCSAFLUSH, &saved);
	if (write(tty, "\n", 1) < 0)
		n = n < 0 ? n : -1;
	return n;
}

/*
 * The new password of username into buf: asked twice on /dev/tty when
 * standard input is a terminal, else the first line of standard input.
 * Returns 0 and *len, or the exit code after the message.
 */
static int
read_password(const char *username, char *buf, size_t cap, size_t *len)
{
	char again[PASSWORD_BUF], text[128];
	long n, m;
	int tty = -1, rc = 1;

	if (!isatty(STDIN_FILENO)) {
		n = read_line(STDIN_FILENO, buf, cap);
		if (n == 0) {
			fprintf(stderr, "oidcd: invalid_request: password: expected on the first "
			                "line of standard input\n");
			goto out;
		}
		goto check;
	}
	tty = open("/dev/tty", O_RDWR | O_CLOEXEC);
	if (tty < 0) {
		fprintf(stderr, "oidcd: /dev/tty: %s\n", strerror(errno));
		goto out;
	}
	snprintf(text, sizeof text, "New password for %s: ", username);
	n = prompt(tty, text, buf, cap);
	if (n < 0)
		goto check;
	m = prompt(tty, "Repeat the password: ", again, sizeof again);
	if (m != n || !secret_equal(buf, again, (size_t)n)) {
		fprintf(stderr, "oidcd: invalid_request: password: the two entries differ\n");
		goto out;
	}
check:
	if (n == -2) {
		fprintf(stderr, "oidcd: invalid_request: password: must be %d to %d bytes long\n",
		        USERS_PASSWORD_MIN, USERS_PASSWORD_MAX);
		goto out;
	}
	if (n < 0) {
		fprintf(stderr, "oidcd: cannot read the password: %s\n", strerror(errno));
		goto out;
	}
	*len = (size_t)n;
	rc = 0;
out:
	if (tty >= 0)
		close(tty);
	secret_wipe(again, sizeof again);
	if (rc != 0)
		secret_wipe(buf, cap);
	return rc;
}

/* A user by id, else by username (ignoring ASCII case). Exit code 0, or 1 after the message. */
static int
find_user(struct cli_env *e, const char *key, struct store_user *out)
{
	struct err err;
	enum status st = store_user_get(e->store, key, e->arena, out, &err);

	if (st == ST_NOT_FOUND)
		st = store_user_get_by_username(e->store, key, e->arena, out, &err);
	if (st == ST_NOT_FOUND)
		return unknown_user(key);
	if (st != ST_OK)
		return cli_failed(&err);
	return 0;
}

/* Refuses a bad username or claims before asking for a password. */
static int
check_document(const json_t *doc, struct arena *arena)
{
	struct user_problem problem;
	json_t *claims, *norm = NULL;
	enum status st;

	if (json_object_get(doc, "password") != NULL) {
		fprintf(stderr, "oidcd: invalid_request: password: read from the terminal or "
		                "standard input, not from the document\n");
		return 1;
	}
	if (!users_is_valid_username(json_string_value(json_object_get(doc, "username")))) {
		fprintf(stderr,
		        "oidcd: invalid_request: username: must be 1 to %d characters of "
		        "A-Z a-z 0-9 . _ @ + -\n",
		        USERS_USERNAME_MAX);
		return 1;
	}
	claims = json_deep_copy(doc);
	json_object_del(claims, "username");
	json_object_del(claims, "created_at");
	json_object_del(claims, "updated_at");
	st = users_validate_claims(claims, arena, &norm, &problem);
	json_decref(claims);
	json_decref(norm);
	return st == ST_OK ? 0 : rejected(&problem);
}

int
cli_users_add(const struct cli_opts *opts)
{
	const char *username = one_arg(opts, "add", "username");
	char password[PASSWORD_BUF];
	struct cli_env e;
	struct user_problem problem;
	struct err err;
	json_t *doc = NULL, *out = NULL;
	size_t len = 0;
	enum status st;
	int rc;

	if (username == NULL)
		return 2;
	if (opts->file != NULL && strcmp(opts->file, "-") == 0) {
		fprintf(stderr, "oidcd: users add: standard input carries the password; give the "
		                "claims as --file FILE\n");
		return 2;
	}
	memset(password, 0, sizeof password);
	rc = cli_env_open(opts, &e);
	if (rc != 0)
		goto out;
	doc = opts->file != NULL ? read_document(opts->file) : json_object();
	if (doc == NULL) {
		rc = 1;
		goto out;
	}
	if (json_object_get(doc, "username") != NULL) {
		fprintf(stderr,
		        "oidcd: invalid_request: username: given as the argument; remove "
		        "it from %s\n",
		        opts->file);
		rc = 1;
		goto out;
	}
	json_object_set_new(doc, "username", json_string(username));
	rc = check_document(doc, e.arena);
	if (rc != 0)
		goto out;
	rc = read_password(username, password, sizeof password, &len);
	if (rc != 0)
		goto out;
	st = users_create(&e.app, doc, password, len, e.arena, &out, &problem, &err);
	if (st == ST_INVALID)
		rc = rejected(&problem);
	else if (st != ST_OK)
		rc = cli_failed(&err);
	else
		rc = cli_print_json(out);
out:
	secret_wipe(password, sizeof password);
	users_forget_password(doc);
	json_decref(doc);
	cli_env_close(&e);
	return rc;
}

int
cli_users_list(const struct cli_opts *opts)
{
	struct cli_env e;
	struct store_user *rows = NULL;
	const char *after = NULL;
	json_t *list = json_array(), *user;
	struct err err;
	size_t n, i;
	bool more = true;
	int rc;

	if (opts->nargs != 0) {
		fprintf(stderr, "oidcd: users list: unexpected argument '%s'\n", opts->args[0]);
		json_decref(list);
		return 2;
	}
	rc = cli_env_open(opts, &e);
	while (rc == 0 && more) {
		if (store_user_list(e.store, after, 500, e.arena, &rows, &n, &more, &err) !=
		    ST_OK) {
			rc = cli_failed(&err);
			break;
		}
		for (i = 0; i < n && rc == 0; i++) {
			if (users_render(&rows[i], &user, &err) != ST_OK)
				rc = cli_failed(&err);
			else
				json_array_append_new(list, user);
		}
		if (n > 0)
			after = rows[n - 1].username;
	}
	if (rc == 0)
		rc = cli_print_json(list);
	else
		json_decref(list);
	cli_env_close(&e);
	return rc;
}

int
cli_users_get(const struct cli_opts *opts)
{
	const char *key = one_arg(opts, "get", "user id or username");
	struct cli_env e;
	struct store_user row;
	struct err err;
	json_t *user = NULL;
	int rc;

	if (key == NULL)
		return 2;
	rc = cli_env_open(opts, &e);
	if (rc == 0)
		rc = find_user(&e, key, &row);
	if (rc == 0)
		rc = users_render(&row, &user, &err) == ST_OK ? cli_print_json(user)
		                                              : cli_failed(&err);
	cli_env_close(&e);
	return rc;
}

int
cli_users_update(const struct cli_opts *opts)
{
	const char *id = one_arg(opts, "update", "user id");
	struct cli_env e;
	struct store_user row;
	struct user_problem problem;
	struct err err;
	json_t *in = NULL, *out = NULL;
	enum status st;
	int rc;

	if (id == NULL)
		return 2;
	rc = cli_env_open(opts, &e);
	if (rc != 0)
		goto out;
	st = store_user_get(e.store, id, e.arena, &row, &err);
	if (st == ST_NOT_FOUND) {
		fprintf(stderr, "oidcd: not_found: no user with id %s\n", id);
		rc = 1;
		goto out;
	}
	if (st != ST_OK) {
		rc = cli_failed(&err);
		goto out;
	}
	in = read_document(opts->file);
	if (in == NULL) {
		rc = 1;
		goto out;
	}
	if (json_object_get(in, "password") != NULL) {
		fprintf(stderr, "oidcd: invalid_request: password: not taken from a document; use "
		                "'oidcd users passwd'\n");
		rc = 1;
		goto out;
	}
	st = users_replace(&e.app, &row, in, e.arena, &out, &problem, &err);
	if (st == ST_INVALID)
		rc = rejected(&problem);
	else if (st != ST_OK)
		rc = cli_failed(&err);
	else
		rc = cli_print_json(out);
out:
	users_forget_password(in);
	json_decref(in);
	cli_env_close(&e);
	return rc;
}

int
cli_users_passwd(const struct cli_opts *opts)
{
	const char *key = one_arg(opts, "passwd", "user id or username");
	char password[PASSWORD_BUF];
	struct cli_env e;
	struct store_user row;
	struct user_problem problem;
	struct err err;
	size_t len = 0;
	enum status st;
	int rc;

	if (key == NULL)
		return 2;
	memset(password, 0, sizeof password);
	rc = cli_env_open(opts, &e);
	if (rc == 0)
		rc = find_user(&e, key, &row);
	if (rc == 0)
		rc = read_password(row.username, password, sizeof password, &len);
	if (rc == 0) {
		st = users_set_password(&e.app, row.id, password, len, e.arena, &problem, &err);
		if (st == ST_INVALID)
			rc = rejected(&problem);
		else if (st == ST_NOT_FOUND)
			rc = unknown_user(key);
		else if (st != ST_OK)
			rc = cli_failed(&err);
		else
			printf("password changed for user %s (%s); their login sessions ended\n",
			       row.username, row.id);
	}
	secret_wipe(password, sizeof password);
	cli_env_close(&e);
	return rc;
}

int
cli_users_delete(const struct cli_opts *opts)
{
	const char *id = one_arg(opts, "delete", "user id");
	struct cli_env e;
	struct err err;
	enum status st;
	int rc;

	if (id == NULL)
		return 2;
	rc = cli_env_open(opts, &e);
	if (rc == 0) {
		st = users_delete(&e.app, id, &err);
		if (st == ST_NOT_FOUND) {
			fprintf(stderr, "oidcd: not_found: no user with id %s\n", id);
			rc = 1;
		} else if (st != ST_OK) {
			rc = cli_failed(&err);
		} else {
			printf("deleted user %s\n", id);
		}
	}
	cli_env_close(&e);
	return rc;
}
