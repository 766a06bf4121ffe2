/*
 * storage/pg_schema.h — the PostgreSQL schema (numbered migrations, one for
 * each of storage/migrate.c's SQLite ones) and the PostgreSQL text of the
 * statements whose common-dialect text does not run there (issue 10).
 *
 * Included only by storage/ sources and their tests.
 */
#ifndef STORAGE_PG_SCHEMA_H
#define STORAGE_PG_SCHEMA_H

#include "common/err.h"
#include "storage/pg.h"
#include "storage/store_internal.h"

/* The number of PostgreSQL migrations; equals store_schema_latest(). */
int pg_schema_latest(void);

/*
 * The applied version (0 for an empty database): the largest version in
 * schema_version, read without a lock. ST_IO on failure.
 */
enum status pg_schema_version(struct pg_db *db, int *version_out, struct err *err);

/*
 * Applies the pending migrations, each in its own transaction under a
 * transaction-scoped advisory lock (several instances may start at once:
 * each migration is applied once, the others wait and find it done), and
 * records each in schema_version. A database newer than this binary is
 * refused with ST_UNSUPPORTED (the message SQLite's store_migrate gives).
 * *applied_out (may be NULL) gets how many were applied.
 */
enum status pg_schema_migrate(struct pg_db *db, int *applied_out, struct err *err);

/*
 * The PostgreSQL text of statement id when its stmt_sql[] text (store.c)
 * does not run there or means something else, else NULL.
 */
const char *pg_stmt_sql_override(enum store_stmt id);

#endif
