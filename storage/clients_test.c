/*
 * storage/clients_test.c — the clients table: insert/get round trips (with
 * and without secret and registration token), conflicts, the update and
 * delete semantics of store.h (keep / replace / clear each hash, expected
 * registration token), cascade to referencing rows, keyset pagination and
 * count, on a fresh migrated ":memory:" store; threads and the RFC 7592
 * PUT-vs-DELETE race on a file under /tmp; the client cache against changes
 * from another store on the file, the writer thread and inside a
 * transaction, and its -gen file; migration from a version-1 file.
 */
#include <pthread.h>
#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
/* cmocka.h needs stdarg.h, stddef.h and setjmp.h before it. */
#include <cmocka.h>

#include "common/arena.h"
#include "common/err.h"
#include "storage/store.h"
#include "storage/store_internal.h"
#include "storage/test_fixture.h"

#define TOKEN_LEN          32
#define THREADS            8
#define INSERTS_PER_THREAD 25
#define RACE_ROUNDS        200

/* A recognisable 32-byte hash: every byte is b. */
static void
token_fill(unsigned char *hash, unsigned char b)
{
	memset(hash, b, TOKEN_LEN);
}

static struct store_client
make_client(const char *id, const char *secret_hash, const unsigned char *token)
{
	return (struct store_client){
	        .id = id,
	        .secret_hash = secret_hash,
	        .reg_token_hash = token,
	        .metadata = "{\"client_name\":\"old\"}",
	        .created_at = 1700000000,
	        .updated_at = 1700000000,
	};
}

static void
insert_ok(struct store *s, const char *id, const char *secret_hash, const unsigned char *token)
{
	struct store_client c = make_client(id, secret_hash, token);
	struct err err = {0};

	assert_int_equal(store_client_insert(s, &c, &err), ST_OK);
}

static struct store_client
get_ok(struct fixture *f, const char *id)
{
	struct store_client c = {0};
	struct err err = {0};

	assert_int_equal(store_client_get(f->s, id, f->arena, &c, &err), ST_OK);
	return c;
}

static void
assert_token(const unsigned char *got, unsigned char b)
{
	unsigned char want[TOKEN_LEN];

	token_fill(want, b);
	assert_non_null(got);
	assert_memory_equal(got, want, TOKEN_LEN);
}

static int64_t
client_count(struct store *s)
{
	struct err err = {0};
	int64_t n = -1;

	assert_int_equal(store_client_count(s, &n, &err), ST_OK);
	return n;
}

static void
test_client_insert_then_get_returns_arena_copies(void **state)
{
	struct fixture *f = *state;
	char id[] = "client-1";
	char secret[] = "hmac:c2VjcmV0";
	char metadata[] = "{\"redirect_uris\":[\"https://rp.example/cb\"]}";
	unsigned char token[TOKEN_LEN];
	struct store_client in, out;
	struct err err = {0};

	token_fill(token, 0xa5);
	in = make_client(id, secret, token);
	in.metadata = metadata;
	in.created_at = 1700000001;
	in.updated_at = 1700000002;
	assert_int_equal(store_client_insert(f->s, &in, &err), ST_OK);
	out = get_ok(f, "client-1");
	/* The caller's buffers change; the record must not. */
	memset(id, 'X', sizeof id - 1);
	memset(secret, 'X', sizeof secret - 1);
	memset(metadata, 'X', sizeof metadata - 1);
	token_fill(token, 0);

	assert_string_equal(out.id, "client-1");
	assert_string_equal(out.secret_hash, "hmac:c2VjcmV0");
	assert_token(out.reg_token_hash, 0xa5);
	assert_string_equal(out.metadata, "{\"redirect_uris\":[\"https://rp.example/cb\"]}");
	assert_int_equal(out.created_at, 1700000001);
	assert_int_equal(out.updated_at, 1700000002);
}

static void
test_client_without_secret_or_token_reads_back_null(void **state)
{
	struct fixture *f = *state;
	struct store_client out;

	insert_ok(f->s, "public", NULL, NULL);
	out = get_ok(f, "public");
	assert_string_equal(out.id, "public");
	assert_null(out.secret_hash);
	assert_null(out.reg_token_hash);
	assert_string_equal(out.metadata, "{\"client_name\":\"old\"}");
}

static void
test_client_insert_duplicate_id_is_conflict_and_keeps_original(void **state)
{
	struct fixture *f = *state;
	struct store_client dup = make_client("dup", "hmac:b", NULL);
	struct store_client out;
	struct err err = {0};

	insert_ok(f->s, "dup", "hmac:a", NULL);
	dup.metadata = "{}";
	assert_int_equal(store_client_insert(f->s, &dup, &err), ST_CONFLICT);
	assert_int_equal(err.st, ST_CONFLICT);
	assert_string_equal(err.msg, "client dup already exists");

	out = get_ok(f, "dup");
	assert_string_equal(out.secret_hash, "hmac:a");
	assert_string_equal(out.metadata, "{\"client_name\":\"old\"}");
	assert_int_equal(client_count(f->s), 1);
}

static void
test_client_get_missing_is_not_found_and_leaves_out_alone(void **state)
{
	struct fixture *f = *state;
	struct store_client out = {.id = "untouched"};
	struct err err = {0};

	assert_int_equal(store_client_get(f->s, "nope", f->arena, &out, &err), ST_NOT_FOUND);
	assert_int_equal(err.st, ST_NOT_FOUND);
	assert_string_equal(out.id, "untouched");
	/* Ids compare exactly: no case folding, no prefix match. */
	insert_ok(f->s, "Abc", NULL, NULL);
	assert_int_equal(store_client_get(f->s, "abc", f->arena, &out, &err), ST_NOT_FOUND);
	assert_int_equal(store_client_get(f->s, "Ab", f->arena, &out, &err), ST_NOT_FOUND);
}

static void
test_client_update_metadata_only_keeps_hashes_and_created_at(void **state)
{
	struct fixture *f = *state;
	unsigned char token[TOKEN_LEN];
	struct store_client_update u = {.metadata = "{\"client_name\":\"new\"}",
	                                .updated_at = 1800000000};
	struct store_client out;
	struct err err = {0};

	token_fill(token, 1);
	insert_ok(f->s, "c", "hmac:s1", token);
	assert_int_equal(store_client_update(f->s, "c", &u, &err), ST_OK);
	out = get_ok(f, "c");
	assert_string_equal(out.metadata, "{\"client_name\":\"new\"}");
	assert_int_equal(out.updated_at, 1800000000);
	assert_int_equal(out.created_at, 1700000000);
	assert_string_equal(out.secret_hash, "hmac:s1");
	assert_token(out.reg_token_hash, 1);
}

static void
test_client_update_new_secret_replaces_it_and_keeps_token(void **state)
{
	struct fixture *f = *state;
	unsigned char token[TOKEN_LEN];
	struct store_client_update u = {
	        .metadata = "{}", .updated_at = 2, .secret_hash = "$scrypt$new"};
	struct store_client out;
	struct err err = {0};

	token_fill(token, 2);
	insert_ok(f->s, "c", "hmac:old", token);
	assert_int_equal(store_client_update(f->s, "c", &u, &err), ST_OK);
	out = get_ok(f, "c");
	assert_string_equal(out.secret_hash, "$scrypt$new");
	assert_token(out.reg_token_hash, 2);

	/* A public client may get a secret too. */
	insert_ok(f->s, "p", NULL, NULL);
	assert_int_equal(store_client_update(f->s, "p", &u, &err), ST_OK);
	assert_string_equal(get_ok(f, "p").secret_hash, "$scrypt$new");
}

static void
test_client_update_clear_secret_makes_it_null_and_keeps_token(void **state)
{
	struct fixture *f = *state;
	unsigned char token[TOKEN_LEN];
	struct store_client_update u = {.metadata = "{}", .updated_at = 2, .clear_secret = true};
	struct store_client out;
	struct err err = {0};

	token_fill(token, 3);
	insert_ok(f->s, "c", "hmac:old", token);
	assert_int_equal(store_client_update(f->s, "c", &u, &err), ST_OK);
	out = get_ok(f, "c");
	assert_null(out.secret_hash);
	assert_token(out.reg_token_hash, 3);
}

static void
test_client_update_new_token_replaces_it_and_keeps_secret(void **state)
{
	struct fixture *f = *state;
	unsigned char old_token[TOKEN_LEN], new_token[TOKEN_LEN];
	struct store_client_update u = {
	        .metadata = "{}", .updated_at = 2, .reg_token_hash = new_token};
	struct store_client out;
	struct err err = {0};

	token_fill(old_token, 4);
	token_fill(new_token, 5);
	insert_ok(f->s, "c", "hmac:keep", old_token);
	assert_int_equal(store_client_update(f->s, "c", &u, &err), ST_OK);
	out = get_ok(f, "c");
	assert_token(out.reg_token_hash, 5);
	assert_string_equal(out.secret_hash, "hmac:keep");

	/* A client without a token (created by an admin) may get one. */
	insert_ok(f->s, "admin-made", NULL, NULL);
	assert_int_equal(store_client_update(f->s, "admin-made", &u, &err), ST_OK);
	assert_token(get_ok(f, "admin-made").reg_token_hash, 5);
}

static void
test_client_update_clear_token_makes_it_null_and_keeps_secret(void **state)
{
	struct fixture *f = *state;
	unsigned char token[TOKEN_LEN];
	struct store_client_update u = {.metadata = "{}", .updated_at = 2, .clear_reg_token = true};
	struct store_client out;
	struct err err = {0};

	token_fill(token, 6);
	insert_ok(f->s, "c", "hmac:keep", token);
	assert_int_equal(store_client_update(f->s, "c", &u, &err), ST_OK);
	out = get_ok(f, "c");
	assert_null(out.reg_token_hash);
	assert_string_equal(out.secret_hash, "hmac:keep");
}

static void
test_client_update_missing_is_not_found(void **state)
{
	struct fixture *f = *state;
	struct store_client_update u = {.metadata = "{}", .updated_at = 2};
	struct err err = {0};

	assert_int_equal(store_client_update(f->s, "nope", &u, &err), ST_NOT_FOUND);
	assert_int_equal(err.st, ST_NOT_FOUND);
	assert_int_equal(client_count(f->s), 0);
}

/* RFC 7592 §2.2: a PUT rotates the registration token; the old one stops working at once. */
static void
test_client_update_with_matching_expected_token_rotates_it(void **state)
{
	struct fixture *f = *state;
	unsigned char old_token[TOKEN_LEN], new_token[TOKEN_LEN], newer_token[TOKEN_LEN];
	struct store_client_update u = {.metadata = "{\"v\":2}",
	                                .updated_at = 2,
	                                .reg_token_hash = new_token,
	                                .expect_reg_token_hash = old_token};
	struct store_client out;
	struct err err = {0};

	token_fill(old_token, 7);
	token_fill(new_token, 8);
	token_fill(newer_token, 9);
	insert_ok(f->s, "c", "hmac:s", old_token);
	assert_int_equal(store_client_update(f->s, "c", &u, &err), ST_OK);
	out = get_ok(f, "c");
	assert_string_equal(out.metadata, "{\"v\":2}");
	assert_token(out.reg_token_hash, 8);

	/* A second PUT with the old token loses. */
	u.metadata = "{\"v\":3}";
	u.reg_token_hash = newer_token;
	assert_int_equal(store_client_update(f->s, "c", &u, &err), ST_NOT_FOUND);
	out = get_ok(f, "c");
	assert_string_equal(out.metadata, "{\"v\":2}");
	assert_token(out.reg_token_hash, 8);
}

static void
test_client_update_with_stale_expected_token_is_not_found_and_changes_nothing(void **state)
{
	struct fixture *f = *state;
	unsigned char token[TOKEN_LEN], other[TOKEN_LEN];
	struct store_client_update u = {.metadata = "{\"v\":2}",
	                                .updated_at = 2,
	                                .clear_secret = true,
	                                .clear_reg_token = true,
	                                .expect_reg_token_hash = other};
	struct store_client out;
	struct err err = {0};

	token_fill(token, 10);
	token_fill(other, 11);
	insert_ok(f->s, "c", "hmac:s", token);
	assert_int_equal(store_client_update(f->s, "c", &u, &err), ST_NOT_FOUND);
	assert_int_equal(err.st, ST_NOT_FOUND);
	out = get_ok(f, "c");
	assert_string_equal(out.metadata, "{\"client_name\":\"old\"}");
	assert_int_equal(out.updated_at, 1700000000);
	assert_string_equal(out.secret_hash, "hmac:s");
	assert_token(out.reg_token_hash, 10);

	/* A client without a token matches no expected token. */
	insert_ok(f->s, "no-token", "hmac:s", NULL);
	assert_int_equal(store_client_update(f->s, "no-token", &u, &err), ST_NOT_FOUND);
	assert_string_equal(get_ok(f, "no-token").secret_hash, "hmac:s");
}

static void
test_client_delete_without_expect_removes_only_that_client(void **state)
{
	struct fixture *f = *state;
	unsigned char token[TOKEN_LEN];
	struct store_client out;
	struct err err = {0};

	token_fill(token, 12);
	insert_ok(f->s, "keep", NULL, NULL);
	insert_ok(f->s, "drop", "hmac:s", token);
	assert_int_equal(store_client_delete(f->s, "drop", NULL, &err), ST_OK);
	assert_int_equal(store_client_get(f->s, "drop", f->arena, &out, &err), ST_NOT_FOUND);
	assert_string_equal(get_ok(f, "keep").id, "keep");
	assert_int_equal(client_count(f->s), 1);

	assert_int_equal(store_client_delete(f->s, "drop", NULL, &err), ST_NOT_FOUND);
	assert_int_equal(err.st, ST_NOT_FOUND);
	assert_int_equal(store_client_delete(f->s, "never", NULL, &err), ST_NOT_FOUND);
}

/* RFC 7592 §2.3: DELETE with the registration access token. */
static void
test_client_delete_with_expected_token_only_when_it_matches(void **state)
{
	struct fixture *f = *state;
	unsigned char token[TOKEN_LEN], other[TOKEN_LEN];
	struct store_client out;
	struct err err = {0};

	token_fill(token, 13);
	token_fill(other, 14);
	insert_ok(f->s, "c", "hmac:s", token);
	insert_ok(f->s, "no-token", NULL, NULL);

	assert_int_equal(store_client_delete(f->s, "c", other, &err), ST_NOT_FOUND);
	assert_int_equal(err.st, ST_NOT_FOUND);
	assert_string_equal(get_ok(f, "c").id, "c");
	assert_int_equal(store_client_delete(f->s, "no-token", other, &err), ST_NOT_FOUND);
	assert_string_equal(get_ok(f, "no-token").id, "no-token");

	assert_int_equal(store_client_delete(f->s, "c", token, &err), ST_OK);
	assert_int_equal(store_client_get(f->s, "c", f->arena, &out, &err), ST_NOT_FOUND);
	assert_int_equal(client_count(f->s), 1);
}

/* Runs SQL on the store's own connection (the test stands in for a later migration). */
static void
exec_on_store(struct store *s, const char *sql)
{
	assert_int_equal(fixture_exec(s, sql), DB_OK);
}

static int64_t
grant_count(struct store *s, const char *client_id)
{
	char sql[128];

	snprintf(sql, sizeof sql, "SELECT count(*) FROM grants WHERE client_id = '%s'", client_id);
	return fixture_query_int(s, sql);
}

static void
test_client_delete_cascades_to_rows_issued_to_it(void **state)
{
	struct fixture *f = *state;
	unsigned char token[TOKEN_LEN], other[TOKEN_LEN];
	struct err err = {0};

	token_fill(token, 15);
	token_fill(other, 16);
	insert_ok(f->s, "a", NULL, token);
	insert_ok(f->s, "b", NULL, NULL);
	/* The shape later migrations use for codes, tokens and sessions. */
	exec_on_store(f->s, fixture_is_pg(f->s)
	                            ? "CREATE TABLE grants (n SERIAL PRIMARY KEY,"
	                              " client_id TEXT NOT NULL REFERENCES clients(id) ON DELETE"
	                              " CASCADE);"
	                              "INSERT INTO grants (client_id) VALUES ('a'), ('a'), ('b');"
	                            : "CREATE TABLE grants (n INTEGER PRIMARY KEY,"
	                              " client_id TEXT NOT NULL REFERENCES clients(id) ON DELETE"
	                              " CASCADE) STRICT;"
	                              "INSERT INTO grants (client_id) VALUES ('a'), ('a'), ('b');");

	/* A refused delete leaves them. */
	assert_int_equal(store_client_delete(f->s, "a", other, &err), ST_NOT_FOUND);
	assert_int_equal(grant_count(f->s, "a"), 2);

	assert_int_equal(store_client_delete(f->s, "a", token, &err), ST_OK);
	assert_int_equal(grant_count(f->s, "a"), 0);
	assert_int_equal(grant_count(f->s, "b"), 1);
}

static void
test_client_schema_refuses_token_hash_of_wrong_length(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(
	        fixture_exec(f->s, fixture_is_pg(f->s)
	                                   ? "INSERT INTO clients VALUES ('short', NULL,"
	                                     " decode(repeat('00', 31), 'hex'), '{}', 1, 1)"
	                                   : "INSERT INTO clients VALUES ('short', NULL,"
	                                     " zeroblob(31), '{}', 1, 1)"),
	        DB_CONSTRAINT);
	assert_int_equal(client_count(f->s), 0);
}

/* Ids that sort the way they are numbered. */
static void
page_id(char *buf, size_t n, int i)
{
	snprintf(buf, n, "client-%04d", i);
}

static void
test_client_list_pages_250_clients_in_id_order(void **state)
{
	struct fixture *f = *state;
	const int total = 250, page_size = 100;
	const char *after = NULL;
	bool seen[250] = {false};
	int expect_next = 0, pages = 0;
	char id[32];
	int i;

	/* Insert out of order, so the order comes from ORDER BY id. */
	for (i = 0; i < total; i++) {
		page_id(id, sizeof id, (i * 7) % total); /* 7 and 250 are coprime */
		insert_ok(f->s, id, NULL, NULL);
	}
	assert_int_equal(client_count(f->s), total);

	for (;;) {
		struct store_client *rows = NULL;
		struct err err = {0};
		bool more = true;
		size_t n = 0, k;

		assert_int_equal(store_client_list(f->s, after, (size_t)page_size, f->arena, &rows,
		                                   &n, &more, &err),
		                 ST_OK);
		pages++;
		assert_int_equal(n, pages < 3 ? 100 : 50);
		assert_int_equal(more, pages < 3);
		for (k = 0; k < n; k++) {
			int num = (int)strtol(rows[k].id + strlen("client-"), NULL, 10);

			assert_in_range(num, 0, total - 1);
			assert_false(seen[num]);
			seen[num] = true;
			assert_int_equal(num, expect_next); /* ordered, nothing skipped */
			expect_next++;
		}
		if (!more)
			break;
		after = rows[n - 1].id;
	}
	assert_int_equal(pages, 3);
	assert_int_equal(expect_next, total);
	for (i = 0; i < total; i++)
		assert_true(seen[i]);
}

static void
test_client_list_full_last_page_says_no_more(void **state)
{
	struct fixture *f = *state;
	struct store_client *rows = NULL;
	struct err err = {0};
	bool more = true;
	size_t n = 0;
	char id[32];
	int i;

	for (i = 0; i < 4; i++) {
		page_id(id, sizeof id, i);
		insert_ok(f->s, id, NULL, NULL);
	}
	assert_int_equal(store_client_list(f->s, NULL, 2, f->arena, &rows, &n, &more, &err), ST_OK);
	assert_int_equal(n, 2);
	assert_true(more);
	assert_int_equal(store_client_list(f->s, rows[1].id, 2, f->arena, &rows, &n, &more, &err),
	                 ST_OK);
	assert_int_equal(n, 2);
	assert_false(more);
	assert_string_equal(rows[0].id, "client-0002");
	assert_string_equal(rows[1].id, "client-0003");

	/* After the last id, or after an id that no longer exists: keyset, not offset. */
	assert_int_equal(
	        store_client_list(f->s, "client-0003", 2, f->arena, &rows, &n, &more, &err), ST_OK);
	assert_int_equal(n, 0);
	assert_null(rows);
	assert_false(more);
	assert_int_equal(
	        store_client_list(f->s, "client-0000x", 10, f->arena, &rows, &n, &more, &err),
	        ST_OK);
	assert_int_equal(n, 3);
	assert_string_equal(rows[0].id, "client-0001");
}

static void
test_client_list_returns_every_field(void **state)
{
	struct fixture *f = *state;
	unsigned char token[TOKEN_LEN];
	struct store_client *rows = NULL;
	struct err err = {0};
	bool more = true;
	size_t n = 0;

	token_fill(token, 17);
	insert_ok(f->s, "b", NULL, NULL);
	insert_ok(f->s, "a", "hmac:s", token);
	assert_int_equal(store_client_list(f->s, NULL, 10, f->arena, &rows, &n, &more, &err),
	                 ST_OK);
	assert_int_equal(n, 2);
	assert_false(more);
	assert_string_equal(rows[0].id, "a");
	assert_string_equal(rows[0].secret_hash, "hmac:s");
	assert_token(rows[0].reg_token_hash, 17);
	assert_string_equal(rows[0].metadata, "{\"client_name\":\"old\"}");
	assert_int_equal(rows[0].created_at, 1700000000);
	assert_string_equal(rows[1].id, "b");
	assert_null(rows[1].secret_hash);
	assert_null(rows[1].reg_token_hash);
}

static void
test_client_list_of_empty_table_is_empty(void **state)
{
	static struct store_client untouched;
	struct fixture *f = *state;
	struct store_client *rows = &untouched;
	struct err err = {0};
	bool more = true;
	size_t n = 99;

	assert_int_equal(store_client_list(f->s, NULL, 100, f->arena, &rows, &n, &more, &err),
	                 ST_OK);
	assert_int_equal(n, 0);
	assert_null(rows);
	assert_false(more);
}

static void
test_client_list_rejects_limit_outside_1_to_1000(void **state)
{
	struct fixture *f = *state;
	struct store_client *rows = NULL;
	struct err err = {0};
	bool more = false;
	size_t n = 0;

	insert_ok(f->s, "a", NULL, NULL);
	assert_int_equal(store_client_list(f->s, NULL, 0, f->arena, &rows, &n, &more, &err),
	                 ST_INVALID);
	assert_int_equal(err.st, ST_INVALID);
	assert_int_equal(store_client_list(f->s, NULL, 1001, f->arena, &rows, &n, &more, &err),
	                 ST_INVALID);
	assert_int_equal(store_client_list(f->s, NULL, SIZE_MAX, f->arena, &rows, &n, &more, &err),
	                 ST_INVALID);
	assert_int_equal(store_client_list(f->s, NULL, 1000, f->arena, &rows, &n, &more, &err),
	                 ST_OK);
	assert_int_equal(n, 1);
	assert_int_equal(store_client_list(f->s, NULL, 1, f->arena, &rows, &n, &more, &err), ST_OK);
	assert_int_equal(n, 1);
	assert_false(more);
}

static void
test_client_count_follows_inserts_and_deletes(void **state)
{
	struct fixture *f = *state;
	struct err err = {0};

	assert_int_equal(client_count(f->s), 0);
	insert_ok(f->s, "a", NULL, NULL);
	insert_ok(f->s, "b", NULL, NULL);
	insert_ok(f->s, "c", NULL, NULL);
	assert_int_equal(client_count(f->s), 3);
	assert_int_equal(store_client_delete(f->s, "b", NULL, &err), ST_OK);
	assert_int_equal(client_count(f->s), 2);
}

struct insert_job {
	struct store *s;
	int index;
	enum status st;
};

static void *
insert_thread(void *arg)
{
	struct insert_job *job = arg;
	struct err err = {0};
	char id[32];
	int i;

	job->st = ST_OK;
	for (i = 0; i < INSERTS_PER_THREAD && job->st == ST_OK; i++) {
		struct store_client c = make_client(id, "hmac:s", NULL);

		snprintf(id, sizeof id, "t%d-c%02d", job->index, i);
		job->st = store_client_insert(job->s, &c, &err);
	}
	return NULL;
}

static void
test_clients_inserted_from_8_threads_all_land(void **state)
{
	struct fixture *f = *state; /* for its arena */
	struct insert_job jobs[THREADS];
	pthread_t tids[THREADS];
	struct store_client c;
	struct store *s = NULL;
	struct tmpdb t;
	struct err err = {0};
	char id[32];
	int i, j;

	tmpdb_make(&t);
	s = tmpdb_open(&t, NULL);
	for (i = 0; i < THREADS; i++) {
		jobs[i] = (struct insert_job){.s = s, .index = i, .st = ST_IO};
		assert_int_equal(pthread_create(&tids[i], NULL, insert_thread, &jobs[i]), 0);
	}
	for (i = 0; i < THREADS; i++)
		assert_int_equal(pthread_join(tids[i], NULL), 0);

	for (i = 0; i < THREADS; i++)
		assert_int_equal(jobs[i].st, ST_OK);
	assert_int_equal(client_count(s), THREADS * INSERTS_PER_THREAD);
	for (i = 0; i < THREADS; i++) {
		for (j = 0; j < INSERTS_PER_THREAD; j++) {
			snprintf(id, sizeof id, "t%d-c%02d", i, j);
			assert_int_equal(store_client_get(s, id, f->arena, &c, &err), ST_OK);
			assert_string_equal(c.id, id);
		}
	}
	store_close(s);
	tmpdb_remove(&t);
}

/*
 * The RFC 7592 race: a PUT (rotating the registration token) and a DELETE,
 * both presenting the same current token. Exactly one may win.
 */
struct race {
	struct store *s;
	pthread_barrier_t start, done; /* updater, deleter and main */
	char id[32];                   /* written by main between rounds */
	char metadata[32];
	unsigned char old_token[TOKEN_LEN], new_token[TOKEN_LEN];
	enum status update_st, delete_st;
};

static void *
race_update_thread(void *arg)
{
	struct race *r = arg;
	struct err err = {0};
	int i;

	for (i = 0; i < RACE_ROUNDS; i++) {
		struct store_client_update u = {.metadata = r->metadata,
		                                .updated_at = 1800000000 + i,
		                                .secret_hash = "hmac:new",
		                                .reg_token_hash = r->new_token,
		                                .expect_reg_token_hash = r->old_token};

		pthread_barrier_wait(&r->start);
		r->update_st = store_client_update(r->s, r->id, &u, &err);
		pthread_barrier_wait(&r->done);
	}
	return NULL;
}

static void *
race_delete_thread(void *arg)
{
	struct race *r = arg;
	struct err err = {0};
	int i;

	for (i = 0; i < RACE_ROUNDS; i++) {
		pthread_barrier_wait(&r->start);
		r->delete_st = store_client_delete(r->s, r->id, r->old_token, &err);
		pthread_barrier_wait(&r->done);
	}
	return NULL;
}

static void
test_client_update_racing_delete_leaves_updated_row_or_none(void **state)
{
	struct fixture *f = *state; /* for its arena */
	struct race *r = calloc(1, sizeof *r);
	pthread_t updater, deleter;
	struct store_client c;
	struct tmpdb t;
	struct err err = {0};
	enum status st;
	int i, updated = 0, deleted = 0;

	assert_non_null(r);
	tmpdb_make(&t);
	r->s = tmpdb_open(&t, NULL);
	token_fill(r->old_token, 0x01);
	token_fill(r->new_token, 0x02);
	assert_int_equal(pthread_barrier_init(&r->start, NULL, 3), 0);
	assert_int_equal(pthread_barrier_init(&r->done, NULL, 3), 0);
	assert_int_equal(pthread_create(&updater, NULL, race_update_thread, r), 0);
	assert_int_equal(pthread_create(&deleter, NULL, race_delete_thread, r), 0);

	for (i = 0; i < RACE_ROUNDS; i++) {
		snprintf(r->id, sizeof r->id, "race-%03d", i);
		snprintf(r->metadata, sizeof r->metadata, "{\"round\":%d}", i);
		insert_ok(r->s, r->id, "hmac:old", r->old_token);
		r->update_st = r->delete_st = ST_IO;
		pthread_barrier_wait(&r->start);
		pthread_barrier_wait(&r->done);

		st = store_client_get(r->s, r->id, f->arena, &c, &err);
		if (r->update_st == ST_OK) {
			/* The PUT won: the DELETE's token is stale, the row is the new one. */
			assert_int_equal(r->delete_st, ST_NOT_FOUND);
			assert_int_equal(st, ST_OK);
			assert_string_equal(c.metadata, r->metadata);
			assert_string_equal(c.secret_hash, "hmac:new");
			assert_int_equal(c.updated_at, 1800000000 + i);
			assert_token(c.reg_token_hash, 0x02);
			updated++;
		} else {
			/* The DELETE won: the PUT found nothing, and nothing is left. */
			assert_int_equal(r->update_st, ST_NOT_FOUND);
			assert_int_equal(r->delete_st, ST_OK);
			assert_int_equal(st, ST_NOT_FOUND);
			deleted++;
		}
	}
	assert_int_equal(pthread_join(updater, NULL), 0);
	assert_int_equal(pthread_join(deleter, NULL), 0);
	print_message("race: the PUT won %d rounds, the DELETE %d\n", updated, deleted);
	assert_int_equal(updated + deleted, RACE_ROUNDS);
	assert_int_equal(client_count(r->s), updated);
	pthread_barrier_destroy(&r->start);
	pthread_barrier_destroy(&r->done);
	store_close(r->s);
	free(r);
	tmpdb_remove(&t);
}

/*
 * Migration 1 exactly as released (migrate.c never edits it): a database
 * that an oidcd with only the keys table left behind.
 */
static const char migration_1_sql[] =
        "CREATE TABLE keys ("
        " kid TEXT PRIMARY KEY,"
        " alg TEXT NOT NULL,"
        " created_at INTEGER NOT NULL,"
        " usable_from INTEGER NOT NULL,"
        " sealed BLOB NOT NULL,"
        " public_jwk TEXT NOT NULL"
        ") STRICT;"
        "CREATE TABLE meta ("
        " name TEXT PRIMARY KEY,"
        " value INTEGER NOT NULL"
        ") STRICT;"
        "INSERT INTO meta (name, value) VALUES ('keys_generation', 0);"
        "CREATE TRIGGER keys_generation_on_insert AFTER INSERT ON keys BEGIN"
        " UPDATE meta SET value = value + 1 WHERE name = 'keys_generation';"
        " END;"
        "CREATE TRIGGER keys_generation_on_delete AFTER DELETE ON keys BEGIN"
        " UPDATE meta SET value = value + 1 WHERE name = 'keys_generation';"
        " END;"
        "CREATE TRIGGER keys_generation_on_update AFTER UPDATE ON keys BEGIN"
        " UPDATE meta SET value = value + 1 WHERE name = 'keys_generation';"
        " END;"
        "INSERT INTO keys VALUES ('old-kid', 'ES256', 1, 1, x'00', '{}');"
        "PRAGMA user_version = 1;";

/* The client cache (clients.c) and the clients generation (gen.c). */

static const char *
meta_of(struct store *s, struct arena *arena, const char *id)
{
	struct store_client c = {0};
	struct err err = {0};

	assert_int_equal(store_client_get(s, id, arena, &c, &err), ST_OK);
	return c.metadata;
}

static void
update_meta(struct store *s, const char *id, const char *metadata)
{
	struct store_client_update u = {.metadata = metadata, .updated_at = 1700000100};
	struct err err = {0};

	assert_int_equal(store_client_update(s, id, &u, &err), ST_OK);
}

/*
 * Two stores on one file stand for the server and the CLI: what the second
 * changes or deletes, the first sees at its next read; a row edited by hand
 * (no bump) is not, which shows the first read was kept.
 */
static void
test_client_cache_follows_changes_made_by_another_store_on_the_file(void **state)
{
	struct fixture *f = *state; /* for its arena */
	struct store_client_update u = {.metadata = "{\"client_name\":\"rotated\"}",
	                                .updated_at = 1700000200,
	                                .secret_hash = "hmac:bmV3"};
	struct store_client c = {0};
	struct store *server, *cli;
	struct err err = {0};
	struct tmpdb t;

	tmpdb_make(&t);
	server = tmpdb_open(&t, NULL);
	cli = tmpdb_open(&t, NULL);
	insert_ok(server, "c1", "hmac:b2xk", NULL);
	assert_string_equal(meta_of(server, f->arena, "c1"), "{\"client_name\":\"old\"}");

	assert_int_equal(fixture_exec(cli, "UPDATE clients SET metadata = '{}' WHERE id = 'c1'"),
	                 DB_OK);
	assert_string_equal(meta_of(server, f->arena, "c1"), "{\"client_name\":\"old\"}");

	update_meta(cli, "c1", "{\"client_name\":\"new\"}");
	assert_string_equal(meta_of(server, f->arena, "c1"), "{\"client_name\":\"new\"}");

	assert_int_equal(store_client_update(cli, "c1", &u, &err), ST_OK);
	assert_int_equal(store_client_get(server, "c1", f->arena, &c, &err), ST_OK);
	assert_string_equal(c.secret_hash, "hmac:bmV3");
	assert_string_equal(c.metadata, "{\"client_name\":\"rotated\"}");

	assert_int_equal(store_client_delete(cli, "c1", NULL, &err), ST_OK);
	assert_int_equal(store_client_get(server, "c1", f->arena, &c, &err), ST_NOT_FOUND);
	store_close(cli);
	store_close(server);
	tmpdb_remove(&t);
}

static enum status
update_in_batch(struct store *s, void *arg, struct err *err)
{
	struct store_client_update u = {.metadata = arg, .updated_at = 1700000300};

	return store_client_update(s, "c1", &u, err);
}

/* A change committed by the group-commit writer's thread is seen by this one. */
static void
test_client_cache_follows_a_change_the_writer_thread_committed(void **state)
{
	struct fixture *f = *state;
	struct store_options opts = {.synchronous_full = true};
	char meta[] = "{\"client_name\":\"from the writer\"}";
	struct err err = {0};
	struct store *s;
	struct tmpdb t;

	tmpdb_make(&t);
	s = tmpdb_open(&t, &opts);
	assert_int_equal(store_writer_start(s, &err), ST_OK);
	insert_ok(s, "c1", NULL, NULL);
	assert_string_equal(meta_of(s, f->arena, "c1"), "{\"client_name\":\"old\"}");
	assert_int_equal(store_write_sync(s, update_in_batch, meta, &err), ST_OK);
	assert_string_equal(meta_of(s, f->arena, "c1"), meta);
	store_close(s);
	tmpdb_remove(&t);
}

/* Inside a transaction the row comes from the database, not the cache. */
static void
test_client_get_inside_a_transaction_reads_the_database(void **state)
{
	struct fixture *f = *state;
	struct store *server, *cli;
	struct err err = {0};
	struct conn *c;
	struct tmpdb t;

	tmpdb_make(&t);
	server = tmpdb_open(&t, NULL);
	cli = tmpdb_open(&t, NULL);
	insert_ok(server, "c1", NULL, NULL);
	assert_string_equal(meta_of(server, f->arena, "c1"), "{\"client_name\":\"old\"}");
	assert_int_equal(fixture_exec(cli, "UPDATE clients SET metadata = '{}' WHERE id = 'c1'"),
	                 DB_OK);
	assert_int_equal(store_conn_acquire(server, &c, &err), ST_OK);
	assert_int_equal(store_tx_begin(c, &err), ST_OK);
	assert_string_equal(meta_of(server, f->arena, "c1"), "{}");
	store_tx_rollback(c);
	store_conn_release(server, c);
	store_close(cli);
	store_close(server);
	tmpdb_remove(&t);
}

/* -gen takes the database file's mode; a read-only open makes none and caches nothing. */
static void
test_client_generation_file_has_the_database_mode_and_read_only_opens_make_none(void **state)
{
	struct fixture *f = *state;
	struct store_options ro = {.read_only = true};
	char gen[200];
	struct stat st;
	struct store *s;
	struct tmpdb t;

	tmpdb_make(&t);
	s = tmpdb_open(&t, NULL);
	insert_ok(s, "c1", NULL, NULL);
	store_close(s);
	snprintf(gen, sizeof gen, "%s-gen", t.path);
	assert_int_equal(unlink(gen), 0);
	assert_int_equal(chmod(t.path, 0640), 0);

	s = tmpdb_open(&t, &ro);
	assert_string_equal(meta_of(s, f->arena, "c1"), "{\"client_name\":\"old\"}");
	assert_int_not_equal(stat(gen, &st), 0);
	store_close(s);

	s = tmpdb_open(&t, NULL);
	assert_int_equal(stat(gen, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	assert_int_equal(st.st_size, 4096);
	store_close(s);
	tmpdb_remove(&t);
}

static void
test_migrate_from_version_1_adds_clients_and_keeps_keys(void **state)
{
	struct fixture *f = *state; /* for its arena */
	struct store_key *keys = NULL;
	struct store_client c;
	struct store *s = NULL;
	sqlite3 *db = NULL;
	struct tmpdb t;
	struct err err = {0};
	int applied = -1, version = -1;
	size_t n = 0;

	tmpdb_make(&t);
	assert_int_equal(sqlite3_open(t.path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, migration_1_sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);

	assert_int_equal(store_open(t.path, NULL, &s, &err), ST_OK);
	assert_int_equal(store_schema_version(s, &version, &err), ST_OK);
	assert_int_equal(version, 1);
	assert_int_equal(store_client_count(s, &(int64_t){0}, &err), ST_IO); /* no table yet */

	assert_true(store_schema_latest() >= 2);
	assert_int_equal(store_migrate(s, &applied, &err), ST_OK);
	assert_int_equal(applied, store_schema_latest() - 1);
	assert_int_equal(store_schema_version(s, &version, &err), ST_OK);
	assert_int_equal(version, store_schema_latest());

	/* The clients table works (its statements were retried after the failure above)... */
	insert_ok(s, "migrated", NULL, NULL);
	assert_int_equal(store_client_get(s, "migrated", f->arena, &c, &err), ST_OK);
	assert_int_equal(client_count(s), 1);
	/* ...and the keys survived. */
	assert_int_equal(store_key_list(s, f->arena, &keys, &n, &err), ST_OK);
	assert_int_equal(n, 1);
	assert_string_equal(keys[0].kid, "old-kid");
	store_close(s);
	tmpdb_remove(&t);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fixture_setup, fixture_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        T(test_client_insert_then_get_returns_arena_copies),
	        T(test_client_without_secret_or_token_reads_back_null),
	        T(test_client_insert_duplicate_id_is_conflict_and_keeps_original),
	        T(test_client_get_missing_is_not_found_and_leaves_out_alone),
	        T(test_client_update_metadata_only_keeps_hashes_and_created_at),
	        T(test_client_update_new_secret_replaces_it_and_keeps_token),
	        T(test_client_update_clear_secret_makes_it_null_and_keeps_token),
	        T(test_client_update_new_token_replaces_it_and_keeps_secret),
	        T(test_client_update_clear_token_makes_it_null_and_keeps_secret),
	        T(test_client_update_missing_is_not_found),
	        T(test_client_update_with_matching_expected_token_rotates_it),
	        T(test_client_update_with_stale_expected_token_is_not_found_and_changes_nothing),
	        T(test_client_delete_without_expect_removes_only_that_client),
	        T(test_client_delete_with_expected_token_only_when_it_matches),
	        T(test_client_delete_cascades_to_rows_issued_to_it),
	        T(test_client_schema_refuses_token_hash_of_wrong_length),
	        T(test_client_list_pages_250_clients_in_id_order),
	        T(test_client_list_full_last_page_says_no_more),
	        T(test_client_list_returns_every_field),
	        T(test_client_list_of_empty_table_is_empty),
	        T(test_client_list_rejects_limit_outside_1_to_1000),
	        T(test_client_count_follows_inserts_and_deletes),
	        T(test_clients_inserted_from_8_threads_all_land),
	        T(test_client_update_racing_delete_leaves_updated_row_or_none),
	        T(test_client_cache_follows_changes_made_by_another_store_on_the_file),
	        T(test_client_cache_follows_a_change_the_writer_thread_committed),
	        T(test_client_get_inside_a_transaction_reads_the_database),
	        T(test_client_generation_file_has_the_database_mode_and_read_only_opens_make_none),
	        T(test_migrate_from_version_1_adds_clients_and_keeps_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
