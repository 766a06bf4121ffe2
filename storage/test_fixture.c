/*
 * storage/test_fixture.c — the shared setup of the storage tests (see
 * test_fixture.h).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
/* cmocka.h needs stdarg.h, stddef.h and setjmp.h before it. */
#include <cmocka.h>

#include "common/arena.h"
#include "common/err.h"
#include "storage/store.h"
#include "storage/test_fixture.h"

#define SIDE_FILE_SUFFIXES 3

static const char *const side_suffixes[SIDE_FILE_SUFFIXES] = {"-wal", "-shm", "-journal"};

int
fixture_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	struct err err = {0};

	if (f == NULL)
		return -1;
	if (store_open(":memory:", NULL, &f->s, &err) != ST_OK ||
	    store_migrate(f->s, NULL, &err) != ST_OK) {
		store_close(f->s);
		free(f);
		return -1;
	}
	f->arena = arena_new();
	*state = f;
	return 0;
}

int
fixture_teardown(void **state)
{
	struct fixture *f = *state;

	store_close(f->s);
	arena_free(f->arena);
	free(f);
	return 0;
}

struct store *
fixture_store(void **state)
{
	struct fixture *f = *state;

	return f->s;
}

/* mkdtemp under /tmp, named after the test program; false when it fails. */
static bool
tmpdb_mkdtemp(struct tmpdb *t)
{
	snprintf(t->dir, sizeof t->dir, "/tmp/%s-XXXXXX", program_invocation_short_name);
	if (mkdtemp(t->dir) == NULL)
		return false;
	snprintf(t->path, sizeof t->path, "%s/oidcd.db", t->dir);
	return true;
}

/* Unlinks the database and its side files; returns rmdir's result. */
static int
tmpdb_unlink_all(const struct tmpdb *t)
{
	char side[160];
	int i;

	unlink(t->path);
	for (i = 0; i < SIDE_FILE_SUFFIXES; i++) {
		snprintf(side, sizeof side, "%s%s", t->path, side_suffixes[i]);
		unlink(side);
	}
	return rmdir(t->dir);
}

void
tmpdb_make(struct tmpdb *t)
{
	assert_true(tmpdb_mkdtemp(t));
}

void
tmpdb_remove(const struct tmpdb *t)
{
	assert_int_equal(tmpdb_unlink_all(t), 0);
}

struct store *
tmpdb_open(const struct tmpdb *t, const struct store_options *opts)
{
	struct store *s = NULL;
	struct err err = {0};

	assert_int_equal(store_open(t->path, opts, &s, &err), ST_OK);
	assert_int_equal(store_migrate(s, NULL, &err), ST_OK);
	return s;
}

int
tmpdb_setup(void **state)
{
	struct tmpdb *t = calloc(1, sizeof *t);

	if (t == NULL)
		return -1;
	if (!tmpdb_mkdtemp(t)) {
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

int
tmpdb_teardown(void **state)
{
	struct tmpdb *t = *state;

	(void)tmpdb_unlink_all(t);
	free(t);
	return 0;
}
