/*
 * storage/pg.c — PostgreSQL through libpq, with the SQLite-shaped interface
 * of storage/pg.h (issue 10).
 *
 * API (pg.h): pg_open, pg_close, pg_exec, pg_in_transaction, pg_errmsg,
 * pg_sqlstate, pg_prepare, pg_finalize, pg_bind_*, pg_step, pg_reset,
 * pg_changes, pg_column_*.
 *
 * Invariants:
 * - One round trip per execution: a statement is prepared once per
 *   connection (PQprepare, named), then each pg_step that starts it sends
 *   PQexecPrepared with text parameters (types inferred by the server when
 *   it prepared the statement) except blobs, which go in binary. Results are
 *   in text format and read in place; bytea columns are decoded from hex
 *   into per-column buffers of the statement, kept and reused across
 *   executions, so reading a row allocates nothing once they have grown.
 * - The parameter arrays are allocated by pg_prepare; binding writes into
 *   them (integers into a per-parameter text buffer) and allocates nothing.
 * - When the server connection breaks, the next failure resets it
 *   (PQreset) and bumps the connection's epoch; each statement prepares
 *   itself again before its next execution on the new session. The failed
 *   call still fails: it may or may not have run.
 * - No error message carries the password of the connection URL.
 */
#include "storage/pg.h"

#include <assert.h>
#include <errno.h>
#include <libpq-fe.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/xalloc.h"

/* pg_type.oid of bytea (src/include/catalog/pg_type.dat): a stable OID. */
#define PG_BYTEA_OID 17

/* A bytea column of the current result, decoded on first read. */
struct pg_col {
	unsigned char *buf;
	size_t cap;
	size_t len;
	int row; /* the row buf holds, -1 for none */
};

struct pg_stmt {
	struct pg_db *db;
	struct pg_stmt *prev, *next; /* in db->stmts */
	char *name;
	char *sql;      /* rewritten ($N), kept to prepare again after a reset */
	unsigned epoch; /* db->epoch it was prepared in */
	int nparams;
	const char **values; /* [nparams]; NULL binds NULL */
	int *lengths;
	int *formats;
	char (*ints)[24]; /* [nparams]: the text of integer bindings */
	PGresult *res;    /* of the current execution, NULL before pg_step */
	int row;          /* current row of res, -1 before the first */
	int nrows;
	int64_t changes;
	struct pg_col *cols;
	int ncols_cap;
};

struct pg_db {
	PGconn *conn;
	struct pg_stmt *stmts;
	unsigned epoch;   /* bumped by every PQreset */
	char *password;   /* from the URL, to scrub from messages; may be NULL */
	char errmsg[512]; /* "" when none */
	char sqlstate[6]; /* "" when none */
};

/* NOTICEs (e.g. "does not exist, skipping") are not errors: dropped. */
static void
notice_drop(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* Replaces every occurrence of secret in msg with "***" (in place, shrinking). */
static void
scrub(char *msg, const char *secret)
{
	size_t n, m;
	char *p;

	if (secret == NULL || secret[0] == '\0')
		return;
	n = strlen(secret);
	while ((p = strstr(msg, secret)) != NULL) {
		m = strlen(p + n);
		if (n >= 3) {
			memcpy(p, "***", 3);
			memmove(p + 3, p + n, m + 1);
		} else {
			memset(p, '*', n);
		}
	}
}

/* Sets the db's error from fmt, dropping a trailing newline (libpq's). */
static void db_set_error(struct pg_db *db, const char *sqlstate, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void
db_set_error(struct pg_db *db, const char *sqlstate, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(db->errmsg, sizeof db->errmsg, fmt, ap);
	va_end(ap);
	n = strlen(db->errmsg);
	while (n > 0 && (db->errmsg[n - 1] == '\n' || db->errmsg[n - 1] == ' '))
		db->errmsg[--n] = '\0';
	scrub(db->errmsg, db->password);
	snprintf(db->sqlstate, sizeof db->sqlstate, "%s", sqlstate != NULL ? sqlstate : "");
}

static void
db_clear_error(struct pg_db *db)
{
	db->errmsg[0] = '\0';
	db->sqlstate[0] = '\0';
}

/*
 * After a failed command: if the connection itself broke, reset it so the
 * next call can work (its statements prepare again, see the invariants).
 */
static void
db_check_connection(struct pg_db *db)
{
	if (PQstatus(db->conn) != CONNECTION_BAD)
		return;
	PQreset(db->conn);
	db->epoch++;
}

/*
 * Maps a failed result (or NULL: out of memory or a broken connection) to
 * a pg_rc and records its message. SQLSTATE class 23 is
 * integrity_constraint_violation; 23505 is unique_violation.
 */
static enum pg_rc
db_fail(struct pg_db *db, const PGresult *res)
{
	const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *primary = res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	enum pg_rc rc = PG_ERROR;

	if (primary != NULL)
		db_set_error(db, state, "%s", primary);
	else if (res != NULL && PQresultErrorMessage(res)[0] != '\0')
		db_set_error(db, state, "%s", PQresultErrorMessage(res));
	else
		db_set_error(db, state, "%s", PQerrorMessage(db->conn));
	if (state != NULL && strncmp(state, "23", 2) == 0)
		rc = strcmp(state, "23505") == 0 ? PG_CONFLICT : PG_CONSTRAINT;
	db_check_connection(db);
	return rc;
}

/*
 * The password in a connection URI "scheme://user:password@host...",
 * percent-decoded as libpq does, or NULL. Only for scrubbing messages.
 */
static char *
url_password(const char *url)
{
	PQconninfoOption *opts, *o;
	char *errmsg = NULL;
	char *pw = NULL;

	opts = PQconninfoParse(url, &errmsg);
	PQfreemem(errmsg);
	if (opts == NULL)
		return NULL;
	for (o = opts; o->keyword != NULL; o++)
		if (strcmp(o->keyword, "password") == 0 && o->val != NULL && o->val[0] != '\0')
			pw = xstrdup(o->val);
	PQconninfoFree(opts);
	return pw;
}

/* The raw (still percent-encoded) password of a URI, or NULL. */
static char *
url_password_raw(const char *url)
{
	const char *p = strstr(url, "://");
	const char *end, *at, *colon;

	if (p == NULL)
		return NULL;
	p += 3;
	end = p + strcspn(p, "/?");
	at = memchr(p, '@', (size_t)(end - p));
	if (at == NULL)
		return NULL;
	colon = memchr(p, ':', (size_t)(at - p));
	if (colon == NULL || colon + 1 == at)
		return NULL;
	return xstrndup(colon + 1, (size_t)(at - colon - 1));
}

enum status
pg_open(const char *url, int busy_timeout_ms, struct pg_db **out, struct err *err)
{
	/* Earlier keywords are defaults the URL may override; later ones win. */
	const char *const keys[] = {"connect_timeout", "application_name", "dbname",
	                            "client_encoding", NULL};
	const char *const vals[] = {"10", "oidcd", url, "UTF8", NULL};
	struct pg_db *db = xcalloc(1, sizeof *db);
	char *raw = url_password_raw(url);
	char setup[160];
	PGresult *res = NULL;
	enum status st;

	db->password = url_password(url);
	db->conn = PQconnectdbParams(keys, vals, 1);
	if (db->conn == NULL) {
		st = ERR_SET(err, ST_IO, "postgres: out of memory");
		goto out;
	}
	if (PQstatus(db->conn) != CONNECTION_OK) {
		db_set_error(db, NULL, "%s", PQerrorMessage(db->conn));
		scrub(db->errmsg, raw);
		st = ERR_SET(err, ST_IO, "postgres: cannot connect: %s", db->errmsg);
		goto out;
	}
	PQsetNoticeProcessor(db->conn, notice_drop, NULL);
	snprintf(setup, sizeof setup,
	         "SET standard_conforming_strings = on; SET bytea_output = 'hex';"
	         " SET statement_timeout = %d",
	         busy_timeout_ms > 0 ? busy_timeout_ms : 0);
	res = PQexec(db->conn, setup);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		(void)db_fail(db, res);
		st = ERR_SET(err, ST_IO, "postgres: session setup: %s", db->errmsg);
		goto out;
	}
	st = ST_OK;
out:
	PQclear(res);
	free(raw);
	if (st != ST_OK) {
		pg_close(db);
		db = NULL;
	}
	*out = db;
	return st;
}

static void
stmt_free(struct pg_stmt *stmt)
{
	int i;

	PQclear(stmt->res);
	for (i = 0; i < stmt->ncols_cap; i++)
		free(stmt->cols[i].buf);
	free(stmt->cols);
	free(stmt->values);
	free(stmt->lengths);
	free(stmt->formats);
	free(stmt->ints);
	free(stmt->name);
	free(stmt->sql);
	free(stmt);
}

void
pg_close(struct pg_db *db)
{
	struct pg_stmt *stmt, *next;

	if (db == NULL)
		return;
	for (stmt = db->stmts; stmt != NULL; stmt = next) {
		next = stmt->next;
		stmt_free(stmt); /* the server forgets them with the session */
	}
	if (db->conn != NULL)
		PQfinish(db->conn);
	if (db->password != NULL) {
		/* not a secret worth a cleanse call from common/, but not left behind */
		memset(db->password, 0, strlen(db->password));
		free(db->password);
	}
	free(db);
}

/*
 * COMMIT of a failed transaction succeeds on the wire but rolls back (its
 * tag says ROLLBACK): that is a failure for the caller, as in SQLite where
 * the statements that failed never left the transaction half done.
 */
static bool
commit_rolled_back(struct pg_db *db, const char *sql, PGresult *res)
{
	if (strncmp(sql, "COMMIT", 6) != 0 || strcmp(PQcmdStatus(res), "ROLLBACK") != 0)
		return false;
	db_set_error(db, "40000", "the transaction was rolled back: a statement in it had failed");
	return true;
}

enum pg_rc
pg_exec(struct pg_db *db, const char *sql)
{
	PGresult *res = PQexec(db->conn, sql);
	ExecStatusType status = PQresultStatus(res);
	enum pg_rc rc = PG_OK;

	if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
		rc = db_fail(db, res);
	else if (commit_rolled_back(db, sql, res))
		rc = PG_ERROR;
	else
		db_clear_error(db);
	PQclear(res);
	return rc;
}

bool
pg_in_transaction(const struct pg_db *db)
{
	PGTransactionStatusType ts = PQtransactionStatus(db->conn);

	return ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR || ts == PQTRANS_ACTIVE;
}

const char *
pg_errmsg(const struct pg_db *db)
{
	return db->errmsg;
}

const char *
pg_sqlstate(const struct pg_db *db)
{
	return db->sqlstate;
}

/*
 * Copies sql with every ?N outside a '...' literal (where '' is a quote)
 * written $N, and returns the largest N. The text keeps its length.
 */
static char *
rewrite_params(const char *sql, int *nparams_out)
{
	char *out = xstrdup(sql);
	bool in_literal = false;
	int max = 0;
	char *p;

	for (p = out; *p != '\0'; p++) {
		if (*p == '\'') {
			in_literal = !in_literal; /* '' toggles twice */
			continue;
		}
		if (in_literal || *p != '?' || p[1] < '0' || p[1] > '9')
			continue;
		*p = '$';
		{
			long n = strtol(p + 1, NULL, 10);

			if (n > max && n <= INT_MAX)
				max = (int)n;
		}
	}
	*nparams_out = max;
	return out;
}

/* Prepares stmt->sql as stmt->name on the current session. */
static enum pg_rc
stmt_prepare_server(struct pg_stmt *stmt)
{
	struct pg_db *db = stmt->db;
	PGresult *res = PQprepare(db->conn, stmt->name, stmt->sql, 0, NULL);
	enum pg_rc rc = PG_OK;

	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		rc = db_fail(db, res);
	else
		stmt->epoch = db->epoch;
	PQclear(res);
	return rc;
}

enum pg_rc
pg_prepare(struct pg_db *db, const char *name, const char *sql, struct pg_stmt **out)
{
	struct pg_stmt *stmt = xcalloc(1, sizeof *stmt);
	enum pg_rc rc;

	*out = NULL;
	stmt->db = db;
	stmt->name = xstrdup(name);
	stmt->sql = rewrite_params(sql, &stmt->nparams);
	stmt->row = -1;
	if (stmt->nparams > 0) {
		stmt->values = xcalloc((size_t)stmt->nparams, sizeof *stmt->values);
		stmt->lengths = xcalloc((size_t)stmt->nparams, sizeof *stmt->lengths);
		stmt->formats = xcalloc((size_t)stmt->nparams, sizeof *stmt->formats);
		stmt->ints = xcalloc((size_t)stmt->nparams, sizeof *stmt->ints);
	}
	rc = stmt_prepare_server(stmt);
	if (rc != PG_OK) {
		stmt_free(stmt);
		return rc;
	}
	stmt->next = db->stmts;
	if (db->stmts != NULL)
		db->stmts->prev = stmt;
	db->stmts = stmt;
	*out = stmt;
	return PG_OK;
}

void
pg_finalize(struct pg_stmt *stmt)
{
	struct pg_db *db;
	char sql[128];
	PGresult *res;

	if (stmt == NULL)
		return;
	db = stmt->db;
	if (stmt->prev != NULL)
		stmt->prev->next = stmt->next;
	else
		db->stmts = stmt->next;
	if (stmt->next != NULL)
		stmt->next->prev = stmt->prev;
	/* The server keeps a named statement until the session ends: free the
	 * name, so it can be prepared again (DEALLOCATE is not transactional).
	 * Best effort: an aborted transaction refuses it. The unnamed
	 * statement ("") is replaced by the next one anyway. */
	if (stmt->name[0] != '\0' && stmt->epoch == db->epoch &&
	    PQstatus(db->conn) == CONNECTION_OK &&
	    PQtransactionStatus(db->conn) != PQTRANS_INERROR) {
		snprintf(sql, sizeof sql, "DEALLOCATE \"%s\"", stmt->name);
		res = PQexec(db->conn, sql);
		PQclear(res);
	}
	stmt_free(stmt);
}

/* The slot of 1-based idx, or -1 (as SQLite, out of range is an error). */
static int
param_slot(const struct pg_stmt *stmt, int idx)
{
	return idx >= 1 && idx <= stmt->nparams ? idx - 1 : -1;
}

enum pg_rc
pg_bind_text(struct pg_stmt *stmt, int idx, const char *text)
{
	int i = param_slot(stmt, idx);

	if (i < 0)
		return PG_ERROR;
	stmt->values[i] = text;
	stmt->lengths[i] = 0;
	stmt->formats[i] = 0;
	return PG_OK;
}

enum pg_rc
pg_bind_int64(struct pg_stmt *stmt, int idx, int64_t v)
{
	int i = param_slot(stmt, idx);

	if (i < 0)
		return PG_ERROR;
	snprintf(stmt->ints[i], sizeof stmt->ints[i], "%lld", (long long)v);
	stmt->values[i] = stmt->ints[i];
	stmt->lengths[i] = 0;
	stmt->formats[i] = 0;
	return PG_OK;
}

enum pg_rc
pg_bind_blob(struct pg_stmt *stmt, int idx, const void *p, size_t len)
{
	int i = param_slot(stmt, idx);

	if (i < 0 || len > INT_MAX)
		return PG_ERROR;
	/* A zero-length blob is not NULL: give libpq a non-NULL pointer. */
	stmt->values[i] = len > 0 ? (const char *)p : "";
	stmt->lengths[i] = (int)len;
	stmt->formats[i] = 1;
	return PG_OK;
}

enum pg_rc
pg_bind_null(struct pg_stmt *stmt, int idx)
{
	int i = param_slot(stmt, idx);

	if (i < 0)
		return PG_ERROR;
	stmt->values[i] = NULL;
	stmt->lengths[i] = 0;
	stmt->formats[i] = 0;
	return PG_OK;
}

/* Makes room for the current result's columns and forgets decoded rows. */
static void
stmt_cols_reset(struct pg_stmt *stmt)
{
	int n = PQnfields(stmt->res);
	int i;

	if (n > stmt->ncols_cap) {
		stmt->cols = xrealloc(stmt->cols, (size_t)n * sizeof *stmt->cols);
		memset(stmt->cols + stmt->ncols_cap, 0,
		       (size_t)(n - stmt->ncols_cap) * sizeof *stmt->cols);
		stmt->ncols_cap = n;
	}
	for (i = 0; i < n; i++)
		stmt->cols[i].row = -1;
}

/*
 * True when the NUL-terminated s is valid UTF-8 (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), as the server demands.
 */
static bool
utf8_valid(const char *str)
{
	const unsigned char *p = (const unsigned char *)str;
	unsigned cp, n, i;

	while (*p != 0) {
		if (*p < 0x80) {
			p++;
			continue;
		}
		if (*p >= 0xc2 && *p <= 0xdf) {
			n = 1;
			cp = *p & 0x1fu;
		} else if (*p >= 0xe0 && *p <= 0xef) {
			n = 2;
			cp = *p & 0x0fu;
		} else if (*p >= 0xf0 && *p <= 0xf4) {
			n = 3;
			cp = *p & 0x07u;
		} else {
			return false;
		}
		for (i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i] & 0x3fu);
		}
		if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return false;
		p += n + 1;
	}
	return true;
}

/*
 * Text the server would refuse (not UTF-8): no stored text can equal it, so
 * a SELECT finds no row (PG_DONE, as SQLite would answer); anything else
 * fails as a constraint (the input is invalid), without a round trip.
 */
static enum pg_rc
stmt_check_text(struct pg_stmt *stmt)
{
	int i;

	for (i = 0; i < stmt->nparams; i++) {
		if (stmt->values[i] == NULL || stmt->formats[i] != 0 ||
		    stmt->values[i] == stmt->ints[i] || utf8_valid(stmt->values[i]))
			continue;
		if (strncmp(stmt->sql, "SELECT", 6) == 0)
			return PG_DONE;
		db_set_error(stmt->db, "22021", "parameter %d is not valid UTF-8", i + 1);
		return PG_CONSTRAINT;
	}
	return PG_OK;
}

/* Runs the statement with its bindings; its rows are then walked by pg_step. */
static enum pg_rc
stmt_execute(struct pg_stmt *stmt)
{
	struct pg_db *db = stmt->db;
	ExecStatusType status;
	const char *tuples;
	enum pg_rc rc;

	stmt->changes = 0;
	rc = stmt_check_text(stmt);
	if (rc != PG_OK)
		return rc;
	if (stmt->epoch != db->epoch) {
		rc = stmt_prepare_server(stmt);
		if (rc != PG_OK)
			return rc;
	}
	stmt->res = PQexecPrepared(db->conn, stmt->name, stmt->nparams, stmt->values, stmt->lengths,
	                           stmt->formats, 0);
	status = PQresultStatus(stmt->res);
	if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
		rc = db_fail(db, stmt->res);
		PQclear(stmt->res);
		stmt->res = NULL;
		stmt->changes = 0;
		return rc;
	}
	if (commit_rolled_back(db, stmt->sql, stmt->res)) {
		PQclear(stmt->res);
		stmt->res = NULL;
		stmt->changes = 0;
		return PG_ERROR;
	}
	tuples = PQcmdTuples(stmt->res);
	stmt->changes = tuples[0] != '\0' ? strtoll(tuples, NULL, 10) : 0;
	stmt->nrows = PQntuples(stmt->res);
	stmt->row = -1;
	stmt_cols_reset(stmt);
	return PG_OK;
}

enum pg_rc
pg_step(struct pg_stmt *stmt)
{
	enum pg_rc rc;

	if (stmt->res == NULL) {
		rc = stmt_execute(stmt);
		if (rc != PG_OK)
			return rc;
	}
	if (stmt->row < stmt->nrows)
		stmt->row++;
	return stmt->row < stmt->nrows ? PG_ROW : PG_DONE;
}

void
pg_reset(struct pg_stmt *stmt)
{
	int i;

	if (stmt == NULL)
		return;
	PQclear(stmt->res);
	stmt->res = NULL;
	stmt->row = -1;
	stmt->nrows = 0;
	for (i = 0; i < stmt->nparams; i++) {
		stmt->values[i] = NULL;
		stmt->lengths[i] = 0;
		stmt->formats[i] = 0;
	}
}

int64_t
pg_changes(const struct pg_stmt *stmt)
{
	return stmt->changes;
}

/* True when (row, col) of the current result can be read. */
static bool
cell_ok(const struct pg_stmt *stmt, int col)
{
	return stmt->res != NULL && stmt->row >= 0 && stmt->row < stmt->nrows && col >= 0 &&
	       col < PQnfields(stmt->res);
}

bool
pg_column_is_null(struct pg_stmt *stmt, int col)
{
	return !cell_ok(stmt, col) || PQgetisnull(stmt->res, stmt->row, col);
}

int64_t
pg_column_int64(struct pg_stmt *stmt, int col)
{
	const char *v;

	if (pg_column_is_null(stmt, col))
		return 0;
	v = PQgetvalue(stmt->res, stmt->row, col);
	if (v[0] == 't' && v[1] == '\0')
		return 1;
	if (v[0] == 'f' && v[1] == '\0')
		return 0;
	return strtoll(v, NULL, 10);
}

const char *
pg_column_text(struct pg_stmt *stmt, int col)
{
	if (pg_column_is_null(stmt, col))
		return NULL;
	return PQgetvalue(stmt->res, stmt->row, col);
}

static int
hex_val(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/*
 * Decodes the bytea cell (col) of the current row into cols[col] once.
 * false when it is not in the hex format (bytea_output is set to hex).
 */
static bool
col_decode(struct pg_stmt *stmt, int col)
{
	struct pg_col *c = &stmt->cols[col];
	const char *v;
	size_t n, i;
	int hi, lo;

	if (c->row == stmt->row)
		return true;
	v = PQgetvalue(stmt->res, stmt->row, col);
	n = (size_t)PQgetlength(stmt->res, stmt->row, col);
	if (n < 2 || v[0] != '\\' || v[1] != 'x' || n % 2 != 0)
		return false;
	n = (n - 2) / 2;
	if (n + 1 > c->cap) {
		c->cap = n + 1 > 64 ? n + 1 : 64;
		c->buf = xrealloc(c->buf, c->cap);
	}
	for (i = 0; i < n; i++) {
		hi = hex_val(v[2 + 2 * i]);
		lo = hex_val(v[3 + 2 * i]);
		if (hi < 0 || lo < 0)
			return false;
		c->buf[i] = (unsigned char)(hi << 4 | lo);
	}
	c->buf[n] = '\0'; /* so a blob read as text is terminated, as in SQLite */
	c->len = n;
	c->row = stmt->row;
	return true;
}

const void *
pg_column_blob(struct pg_stmt *stmt, int col)
{
	if (pg_column_is_null(stmt, col))
		return NULL;
	if (PQftype(stmt->res, col) != PG_BYTEA_OID)
		return PQgetvalue(stmt->res, stmt->row, col);
	if (!col_decode(stmt, col))
		return NULL;
	return stmt->cols[col].buf;
}

size_t
pg_column_bytes(struct pg_stmt *stmt, int col)
{
	if (pg_column_is_null(stmt, col))
		return 0;
	if (PQftype(stmt->res, col) != PG_BYTEA_OID)
		return (size_t)PQgetlength(stmt->res, stmt->row, col);
	if (!col_decode(stmt, col))
		return 0;
	return stmt->cols[col].len;
}

const char *
pg_column_name(const struct pg_stmt *stmt, int col)
{
	const char *name;

	if (stmt->res == NULL)
		return "";
	name = PQfname(stmt->res, col);
	return name != NULL ? name : "";
}
