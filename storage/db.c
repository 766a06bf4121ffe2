/*
 * storage/db.c — the backend switch behind storage/db.h: every function
 * passes its call to SQLite or, when built with OIDCD_HAVE_PG, to the libpq
 * wrapper of storage/pg.h, and maps the result codes.
 *
 * Without OIDCD_HAVE_PG no connection is ever DB_PG, and its cases abort().
 * Nothing here allocates: the hot paths (token insert, token lookup) pay one
 * switch per call.
 */
#include "storage/db.h"

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/store_internal.h"

#ifdef OIDCD_HAVE_PG
#include "storage/pg.h"
#endif

/*
 * An SQLite result code (extended: connections are opened with
 * SQLITE_OPEN_EXRESCODE) as a db_rc; the constraint split is the one
 * store_fail makes.
 */
static enum db_rc
lite_rc(int rc)
{
	switch (rc) {
	case SQLITE_OK:
		return DB_OK;
	case SQLITE_ROW:
		return DB_ROW;
	case SQLITE_DONE:
		return DB_DONE;
	case SQLITE_CONSTRAINT_PRIMARYKEY:
	case SQLITE_CONSTRAINT_UNIQUE:
		return DB_CONFLICT;
	default:
		return (rc & 0xff) == SQLITE_CONSTRAINT ? DB_CONSTRAINT : DB_ERROR;
	}
}

#ifdef OIDCD_HAVE_PG
static enum db_rc
pg_rc(enum pg_rc rc)
{
	switch (rc) {
	case PG_OK:
		return DB_OK;
	case PG_ROW:
		return DB_ROW;
	case PG_DONE:
		return DB_DONE;
	case PG_CONFLICT:
		return DB_CONFLICT;
	case PG_CONSTRAINT:
		return DB_CONSTRAINT;
	case PG_ERROR:
		break;
	}
	return DB_ERROR;
}
#endif

enum db_rc
db_prepare(struct conn *c, unsigned id, const char *sql, struct db_stmt *out)
{
	out->backend = c->backend;
	switch (c->backend) {
	case DB_SQLITE:
		/* PERSISTENT: kept for the connection's life. */
		return lite_rc(sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
		                                  &out->lite, NULL));
	case DB_PG:
#ifdef OIDCD_HAVE_PG
	{
		char name[16];

		snprintf(name, sizeof name, "s%u", id);
		return pg_rc(pg_prepare(c->pg, name, sql, &out->pg));
	}
#endif
	break;
	}
	(void)id;
	abort();
}

bool
db_stmt_is_prepared(const struct db_stmt *stmt)
{
	return stmt->backend == DB_SQLITE ? stmt->lite != NULL : stmt->pg != NULL;
}

void
db_finalize(struct db_stmt *stmt)
{
	if (!db_stmt_is_prepared(stmt))
		return;
	switch (stmt->backend) {
	case DB_SQLITE:
		sqlite3_finalize(stmt->lite);
		break;
	case DB_PG:
#ifdef OIDCD_HAVE_PG
		pg_finalize(stmt->pg);
		break;
#endif
		abort();
	}
	memset(stmt, 0, sizeof *stmt);
}

void
db_reset(struct db_stmt *stmt)
{
	switch (stmt->backend) {
	case DB_SQLITE:
		sqlite3_reset(stmt->lite);
		sqlite3_clear_bindings(stmt->lite);
		return;
	case DB_PG:
#ifdef OIDCD_HAVE_PG
		pg_reset(stmt->pg);
		return;
#endif
		break;
	}
	abort();
}

enum db_rc
db_bind_text(struct db_stmt *stmt, int idx, const char *text)
{
	switch (stmt->backend) {
	case DB_SQLITE:
		/* A NULL pointer binds NULL. */
		return lite_rc(sqlite3_bind_text(stmt->lite, idx, text, -1, SQLITE_STATIC));
	case DB_PG:
#ifdef OIDCD_HAVE_PG
		return pg_rc(pg_bind_text(stmt->pg, idx, text));
#endif
		break;
	}
	abort();
}

enum db_rc
db_bind_int64(struct db_stmt *stmt, int idx, int64_t v)
{
	switch (stmt->backend) {
	case DB_SQLITE:
		return lite_rc(sqlite3_bind_int64(stmt->lite, idx, v));
	case DB_PG:
#ifdef OIDCD_HAVE_PG
		return pg_rc(pg_bind_int64(stmt->pg, idx, v));
#endif
		break;
	}
	abort();
}

enum db_rc
db_bind_blob(struct db_stmt *stmt, int idx, const void *p, size_t len)
{
	switch (stmt->backend) {
	case DB_SQLITE:
		return lite_rc(sqlite3_bind_blob64(stmt->lite, idx, p, len, SQLITE_STATIC));
	case DB_PG:
#ifdef OIDCD_HAVE_PG
		return pg_rc(pg_bind_blob(stmt->pg, idx, p, len));
#endif
		break;
	}
	abort();
}

enum db_rc
db_bind_null(struct db_stmt *stmt, int idx)
{
	switch (stmt->backend) {
	case DB_SQLITE:
		return lite_rc(sqlite3_bind_null(stmt->lite, idx));
	case DB_PG:
#ifdef OIDCD_HAVE_PG
		return pg_rc(pg_bind_null(stmt->pg, idx));
#endif
		break;
	}
	abort();
}

enum db_rc
db_step(struct db_stmt *stmt)
{
	switch (stmt->backend) {
	case DB_SQLITE:
		return lite_rc(sqlite3_step(stmt->lite));
	case DB_PG:
#ifdef OIDCD_HAVE_PG
		return pg_rc(pg_step(stmt->pg));
#endif
		break;
	}
	abort();
}

int64_t
db_changes(struct db_stmt *stmt)
{
	switch (stmt->backend) {
	case DB_SQLITE:
		/* The connection's last INSERT/UPDATE/DELETE: this statement's, when
		 * read right after it ran. */
		return sqlite3_changes64(sqlite3_db_handle(stmt->lite));
	case DB_PG:
#ifdef OIDCD_HAVE_PG
		return pg_changes(stmt->pg);
#endif
		break;
	}
	abort();
}

bool
db_column_is_null(struct db_stmt *stmt, int col)
{
	switch (stmt->backend) {
	case DB_SQLITE:
		return sqlite3_column_type(stmt->lite, col) == SQLITE_NULL;
	case DB_PG:
#ifdef OIDCD_HAVE_PG
		return pg_column_is_null(stmt->pg, col);
#endif
		break;
	}
	abort();
}

int64_t
db_column_int64(struct db_stmt *stmt, int col)
{
	switch (stmt->backend) {
	case DB_SQLITE:
		return sqlite3_column_int64(stmt->lite, col);
	case DB_PG:
#ifdef OIDCD_HAVE_PG
		return pg_column_int64(stmt->pg, col);
#endif
		break;
	}
	abort();
}

const char *
db_column_text(struct db_stmt *stmt, int col)
{
	switch (stmt->backend) {
	case DB_SQLITE:
		return (const char *)sqlite3_column_text(stmt->lite, col);
	case DB_PG:
#ifdef OIDCD_HAVE_PG
		return pg_column_text(stmt->pg, col);
#endif
		break;
	}
	abort();
}

const void *
db_column_blob(struct db_stmt *stmt, int col)
{
	switch (stmt->backend) {
	case DB_SQLITE:
		return sqlite3_column_blob(stmt->lite, col);
	case DB_PG:
#ifdef OIDCD_HAVE_PG
		return pg_column_blob(stmt->pg, col);
#endif
		break;
	}
	abort();
}

size_t
db_column_bytes(struct db_stmt *stmt, int col)
{
	switch (stmt->backend) {
	case DB_SQLITE:
		return (size_t)sqlite3_column_bytes(stmt->lite, col);
	case DB_PG:
#ifdef OIDCD_HAVE_PG
		return pg_column_bytes(stmt->pg, col);
#endif
		break;
	}
	abort();
}

const char *
db_column_name(struct db_stmt *stmt, int col)
{
	switch (stmt->backend) {
	case DB_SQLITE:
		return sqlite3_column_name(stmt->lite, col);
	case DB_PG:
#ifdef OIDCD_HAVE_PG
		return pg_column_name(stmt->pg, col);
#endif
		break;
	}
	abort();
}

enum db_rc
db_exec(struct conn *c, const char *sql)
{
	switch (c->backend) {
	case DB_SQLITE:
		return lite_rc(sqlite3_exec(c->db, sql, NULL, NULL, NULL));
	case DB_PG:
#ifdef OIDCD_HAVE_PG
		return pg_rc(pg_exec(c->pg, sql));
#endif
		break;
	}
	abort();
}

bool
db_in_transaction(struct conn *c)
{
	switch (c->backend) {
	case DB_SQLITE:
		return !sqlite3_get_autocommit(c->db);
	case DB_PG:
#ifdef OIDCD_HAVE_PG
		return pg_in_transaction(c->pg);
#endif
		break;
	}
	abort();
}

const char *
db_errmsg(struct conn *c)
{
	switch (c->backend) {
	case DB_SQLITE:
		return sqlite3_errmsg(c->db);
	case DB_PG:
#ifdef OIDCD_HAVE_PG
		return pg_errmsg(c->pg);
#endif
		break;
	}
	abort();
}

bool
db_conflict_is_primary_key(struct conn *c)
{
	switch (c->backend) {
	case DB_SQLITE:
		return sqlite3_extended_errcode(c->db) == SQLITE_CONSTRAINT_PRIMARYKEY;
	case DB_PG:
#ifdef OIDCD_HAVE_PG
		/* pg.h gives no constraint name: PostgreSQL names a primary key
		 * "<table>_pkey" and quotes the name in its unique_violation message. */
		return strstr(pg_errmsg(c->pg), "_pkey\"") != NULL;
#endif
		break;
	}
	abort();
}
