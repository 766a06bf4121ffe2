/*
 * server/cli_clients.c — `oidcd clients create|list|get|update|delete`: the
 * admin client API for an operator on the box, on the same store and with
 * the same service (clients.c) and policy (admin) as /admin/clients.
 * Output is JSON on stdout; errors are one readable line on stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "server/cli.h"
#include "server/clients.h"
#include "server/keys.h"

#define MAX_INPUT_BYTES (1024 * 1024)

/* The JSON document: --file FILE, else standard input. */
static json_t *
read_input(const struct cli_opts *opts)
{
	json_error_t jerr;
	json_t *j;

	if (opts->file != NULL && strcmp(opts->file, "-") != 0)
		j = json_load_file(opts->file, JSON_REJECT_DUPLICATES, &jerr);
	else
		j = json_loadf(stdin, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL)
		fprintf(stderr, "oidcd: %s: line %d: %s\n",
		        opts->file != NULL ? opts->file : "stdin", jerr.line, jerr.text);
	return j;
}

static int
rejected(const struct client_problem *p)
{
	fprintf(stderr, "oidcd: %s: %s\n", oauth_error_code(p->error), p->description);
	return 1;
}

static const char *
one_id(const struct cli_opts *opts, const char *cmd)
{
	if (opts->nargs != 1) {
		fprintf(stderr, "oidcd: clients %s: expected one client id\n", cmd);
		return NULL;
	}
	return opts->args[0];
}

int
cli_clients_create(const struct cli_opts *opts)
{
	struct cli_env e;
	struct client_problem problem;
	struct err err;
	json_t *in = NULL, *out = NULL;
	enum status st;
	int rc;

	if (opts->nargs != 0) {
		fprintf(stderr, "oidcd: clients create: unexpected argument '%s'\n", opts->args[0]);
		return 2;
	}
	rc = cli_env_open(opts, &e);
	if (rc != 0)
		goto out;
	in = read_input(opts);
	if (in == NULL) {
		rc = 1;
		goto out;
	}
	st = clients_create(&e.app, CLIENT_POLICY_ADMIN, in, e.arena, &out, &problem, &err);
	if (st == ST_INVALID)
		rc = rejected(&problem);
	else if (st != ST_OK)
		rc = cli_failed(&err);
	else
		rc = cli_print_json(out);
out:
	json_decref(in);
	cli_env_close(&e);
	return rc;
}

int
cli_clients_list(const struct cli_opts *opts)
{
	struct cli_env e;
	struct store_client *rows = NULL;
	const char *after = NULL;
	json_t *list = json_array();
	struct err err;
	size_t n, i;
	bool more = true;
	int rc;

	rc = cli_env_open(opts, &e);
	while (rc == 0 && more) {
		if (store_client_list(e.store, after, 500, e.arena, &rows, &n, &more, &err) !=
		    ST_OK) {
			rc = cli_failed(&err);
			break;
		}
		for (i = 0; i < n; i++) {
			struct client_record rec;

			rec.row = rows[i];
			rec.doc = json_loads(rows[i].metadata, 0, NULL);
			json_array_append_new(
			        list, clients_render(&e.app, &rec, CLIENT_VIEW_ADMIN, e.arena));
			clients_record_clear(&rec);
		}
		if (n > 0)
			after = rows[n - 1].id;
	}
	if (rc == 0)
		rc = cli_print_json(list);
	else
		json_decref(list);
	cli_env_close(&e);
	return rc;
}

int
cli_clients_get(const struct cli_opts *opts)
{
	const char *id = one_id(opts, "get");
	struct cli_env e;
	struct client_record rec;
	struct err err;
	enum status st;
	int rc;

	if (id == NULL)
		return 2;
	rc = cli_env_open(opts, &e);
	if (rc == 0) {
		st = clients_load(&e.app, id, e.arena, &rec, &err);
		if (st == ST_NOT_FOUND) {
			fprintf(stderr, "oidcd: not_found: no client with id %s\n", id);
			rc = 1;
		} else if (st != ST_OK) {
			rc = cli_failed(&err);
		} else {
			rc = cli_print_json(
			        clients_render(&e.app, &rec, CLIENT_VIEW_ADMIN, e.arena));
		}
		clients_record_clear(&rec);
	}
	cli_env_close(&e);
	return rc;
}

int
cli_clients_update(const struct cli_opts *opts)
{
	const char *id = one_id(opts, "update");
	struct cli_env e;
	struct client_record rec;
	struct client_problem problem;
	struct err err;
	json_t *in = NULL, *out = NULL;
	enum status st;
	int rc;

	if (id == NULL)
		return 2;
	memset(&rec, 0, sizeof rec);
	rc = cli_env_open(opts, &e);
	if (rc != 0)
		goto out;
	st = clients_load(&e.app, id, e.arena, &rec, &err);
	if (st == ST_NOT_FOUND) {
		fprintf(stderr, "oidcd: not_found: no client with id %s\n", id);
		rc = 1;
		goto out;
	}
	if (st != ST_OK) {
		rc = cli_failed(&err);
		goto out;
	}
	in = read_input(opts);
	if (in == NULL) {
		rc = 1;
		goto out;
	}
	st = clients_replace(&e.app, CLIENT_POLICY_ADMIN, &rec, in, e.arena, &out, &problem, &err);
	if (st == ST_INVALID)
		rc = rejected(&problem);
	else if (st != ST_OK)
		rc = cli_failed(&err);
	else
		rc = cli_print_json(out);
out:
	clients_record_clear(&rec);
	json_decref(in);
	cli_env_close(&e);
	return rc;
}

int
cli_clients_delete(const struct cli_opts *opts)
{
	const char *id = one_id(opts, "delete");
	struct cli_env e;
	struct err err;
	enum status st;
	int rc;

	if (id == NULL)
		return 2;
	rc = cli_env_open(opts, &e);
	if (rc == 0) {
		st = clients_delete(&e.app, id, NULL, &err);
		if (st == ST_NOT_FOUND) {
			fprintf(stderr, "oidcd: not_found: no client with id %s\n", id);
			rc = 1;
		} else if (st != ST_OK) {
			rc = cli_failed(&err);
		} else {
			printf("deleted client %s\n", id);
		}
	}
	cli_env_close(&e);
	return rc;
}
