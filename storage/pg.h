/*
 * storage/pg.h — PostgreSQL through libpq, shaped like the part of SQLite's
 * C API that storage/ uses, so storage/db.c can run the same statements and
 * the same record code on either backend (issue 10).
 *
 * Statements are written once, in the common dialect of storage/store.c
 * (numbered parameters ?1..?N, RETURNING, ON CONFLICT, FILTER); pg_prepare
 * rewrites ?N to $N (outside string literals) and prepares the result as a
 * named server-side statement on the connection. Where the dialects really
 * differ (PRAGMA, rowid, BEGIN IMMEDIATE, the schema), pg_schema.c holds the
 * PostgreSQL text for that statement id (pg_stmt_sql_override).
 *
 * Values: text and integers are sent as text parameters with their types
 * inferred by the server; blobs (bytea) are sent in binary. Results come back
 * in text format: integers are parsed, bytea is decoded from its hex form into
 * a buffer owned by the statement. A pointer read from a row stays valid until
 * the next pg_step or pg_reset of that statement.
 *
 * Threading: a struct pg_db (one PGconn) and its statements are used by one
 * thread at a time, like an SQLite connection.
 */
#ifndef STORAGE_PG_H
#define STORAGE_PG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

struct pg_db;
struct pg_stmt;

/* Result codes, named after the SQLite ones they stand in for. */
enum pg_rc {
	PG_OK = 0,
	PG_ROW,        /* pg_step: a row is ready */
	PG_DONE,       /* pg_step: the statement finished */
	PG_CONFLICT,   /* unique_violation (23505) */
	PG_CONSTRAINT, /* any other integrity_constraint_violation (class 23) */
	PG_ERROR,      /* anything else; pg_errmsg says what */
};

/*
 * Connects to url (a libpq connection URI, "postgres://..." or
 * "postgresql://..."): ST_IO with libpq's message (password removed) when it
 * cannot. Sets the session up for storage/: client_encoding UTF8, standard
 * conforming strings, and a statement_timeout of busy_timeout_ms when > 0.
 */
enum status pg_open(const char *url, int busy_timeout_ms, struct pg_db **out, struct err *err);
/* Finalizes the statements still prepared and closes; NULL is a no-op. */
void pg_close(struct pg_db *db);

/* Runs one or more ;-separated statements that return no rows (DDL, SAVEPOINT, ...). */
enum pg_rc pg_exec(struct pg_db *db, const char *sql);
/* True inside BEGIN ... COMMIT (also when the transaction has failed). */
bool pg_in_transaction(const struct pg_db *db);
/* The last failure's message and SQLSTATE ("" when none). */
const char *pg_errmsg(const struct pg_db *db);
const char *pg_sqlstate(const struct pg_db *db);

/*
 * Prepares sql (common dialect, see above). name must be unique on db and
 * stable (e.g. "s12" for statement id 12), or "" for the unnamed statement
 * (one at a time: the next "" replaces it). PG_ERROR on failure.
 */
enum pg_rc pg_prepare(struct pg_db *db, const char *name, const char *sql, struct pg_stmt **out);
void pg_finalize(struct pg_stmt *stmt);

/*
 * Bindings, 1-based like SQLite. Text and blob pointers must stay valid until
 * the statement is reset (SQLITE_STATIC semantics). A NULL text binds NULL.
 */
enum pg_rc pg_bind_text(struct pg_stmt *stmt, int idx, const char *text);
enum pg_rc pg_bind_int64(struct pg_stmt *stmt, int idx, int64_t v);
enum pg_rc pg_bind_blob(struct pg_stmt *stmt, int idx, const void *p, size_t len);
enum pg_rc pg_bind_null(struct pg_stmt *stmt, int idx);

/*
 * The first call executes the statement with its bindings and returns its
 * first row (PG_ROW) or PG_DONE; later calls walk the remaining rows. A
 * failure returns PG_CONFLICT / PG_CONSTRAINT / PG_ERROR and sets the db's
 * error.
 */
enum pg_rc pg_step(struct pg_stmt *stmt);
/* Drops the result and the bindings: the statement can be bound again. */
void pg_reset(struct pg_stmt *stmt);
/* Rows inserted, updated or deleted by the last execution (PQcmdTuples). */
int64_t pg_changes(const struct pg_stmt *stmt);

bool pg_column_is_null(struct pg_stmt *stmt, int col);
int64_t pg_column_int64(struct pg_stmt *stmt, int col); /* 0 for NULL; "t"/"f" read as 1/0 */
const char *pg_column_text(struct pg_stmt *stmt, int col); /* NULL for NULL */
const void *pg_column_blob(struct pg_stmt *stmt, int col); /* bytea decoded; NULL for NULL */
size_t pg_column_bytes(struct pg_stmt *stmt, int col);     /* of the text or the decoded blob */
const char *pg_column_name(const struct pg_stmt *stmt, int col);

#endif
