/*
 * storage/db.h — the statement interface the storage/ record files use, the
 * same on every database backend (issue 10): SQLite today, PostgreSQL
 * through storage/pg.h when built with OIDCD_HAVE_PG.
 *
 * A struct db_stmt is a prepared statement of one struct conn (slot
 * conn.stmt[id], prepared by store_stmt); record files treat it as opaque
 * and only pass it to the functions below. Each function is a switch on the
 * backend, with no allocation.
 *
 * Semantics follow SQLite's C API, which the record files were written
 * against:
 * - Parameters are 1-based. Text and blob pointers must stay valid until the
 *   statement is done (store_stmt_done): SQLITE_STATIC semantics. A NULL
 *   text binds SQL NULL.
 * - db_step runs the statement on its first call and gives each row
 *   (DB_ROW) then DB_DONE, or a failure: DB_CONFLICT (primary key or unique
 *   index), DB_CONSTRAINT (any other constraint), DB_ERROR. After a failure
 *   STORE_FAIL(c, err) turns the connection's last error into a struct err.
 * - Column reads are 0-based, of the current row; a pointer read stays valid
 *   until the next db_step or the end of the statement. NULL reads as NULL
 *   (text, blob) or 0 (integers, bytes). Read a column's bytes after its text
 *   or blob (SQLite converts on the first read).
 * - db_changes is the number of rows the statement's last execution
 *   inserted, updated or deleted (not counting triggers); read it before the
 *   statement is done.
 *
 * Included by storage/ only (through store_internal.h).
 */
#ifndef STORAGE_DB_H
#define STORAGE_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conn;
struct pg_stmt;
struct sqlite3_stmt;

enum db_backend {
	DB_SQLITE = 0,
	DB_PG,
};

enum db_rc {
	DB_OK = 0,
	DB_ROW,        /* db_step: a row is ready */
	DB_DONE,       /* db_step: the statement finished */
	DB_CONFLICT,   /* primary key or unique index violated */
	DB_CONSTRAINT, /* another constraint (CHECK, NOT NULL, foreign key) violated */
	DB_ERROR,      /* anything else */
};

/* Opaque to the record files; all-zero is "not prepared". */
struct db_stmt {
	enum db_backend backend;
	union {
		struct sqlite3_stmt *lite;
		struct pg_stmt *pg;
	};
};

/* Prepares sql as c's statement number id (a stable name for PG); DB_ERROR on failure. */
enum db_rc db_prepare(struct conn *c, unsigned id, const char *sql, struct db_stmt *out);
bool db_stmt_is_prepared(const struct db_stmt *stmt);
/* Finalizes a prepared statement and zeroes *stmt; a no-op when not prepared. */
void db_finalize(struct db_stmt *stmt);
/* Drops the result and the bindings: the statement may be bound again. */
void db_reset(struct db_stmt *stmt);

enum db_rc db_bind_text(struct db_stmt *stmt, int idx, const char *text);
enum db_rc db_bind_int64(struct db_stmt *stmt, int idx, int64_t v);
/* p may be NULL only when len is 0 (SQLite then binds NULL: pass "" for an empty blob). */
enum db_rc db_bind_blob(struct db_stmt *stmt, int idx, const void *p, size_t len);
enum db_rc db_bind_null(struct db_stmt *stmt, int idx);

enum db_rc db_step(struct db_stmt *stmt);
int64_t db_changes(struct db_stmt *stmt);

bool db_column_is_null(struct db_stmt *stmt, int col);
int64_t db_column_int64(struct db_stmt *stmt, int col);
const char *db_column_text(struct db_stmt *stmt, int col);
const void *db_column_blob(struct db_stmt *stmt, int col);
size_t db_column_bytes(struct db_stmt *stmt, int col);
const char *db_column_name(struct db_stmt *stmt, int col);

/* Runs one or more ;-separated statements that return no rows, outside the statement table. */
enum db_rc db_exec(struct conn *c, const char *sql);
/* True inside BEGIN ... COMMIT (SQLite: not in autocommit mode). */
bool db_in_transaction(struct conn *c);
/* The connection's last error message ("" or "not an error" when none). */
const char *db_errmsg(struct conn *c);
/*
 * After DB_CONFLICT: true when the violated constraint is the table's
 * primary key (false for another unique index), for callers that name the
 * duplicate value.
 */
bool db_conflict_is_primary_key(struct conn *c);

#endif
