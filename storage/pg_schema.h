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

/* The text of migration version + 1 (0-based, as migrate.c counts), or NULL. */
const char *pg_schema_migration(int version);

/*
 * Run first in each migration's transaction (migrate.c): no statement
 * timeout (waiting for another instance's migration is not a stuck
 * statement), a transaction-scoped advisory lock so instances starting at
 * once apply each migration once, and the table that records versions.
 */
#define PG_SCHEMA_MIGRATE_LOCK                                                                     \
	"SET LOCAL statement_timeout = 0; SELECT pg_advisory_xact_lock(111542699796580);"          \
	"CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY,"                  \
	" applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
/* Records version %d as applied (migrate.c formats it with its own integer). */
#define PG_SCHEMA_RECORD "INSERT INTO schema_version (version) VALUES (%d)"

/*
 * The PostgreSQL text of statement id when its stmt_sql[] text (store.c)
 * does not run there or means something else, else NULL.
 */
const char *pg_stmt_sql_override(enum store_stmt id);

#endif
