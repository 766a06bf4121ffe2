/*
 * storage/grants_test.c — consents, authorization codes and tokens:
 * round trips, expiry at the caller's now, single-use consumption and the
 * used-code record that makes a replay revocable (RFC 6749 §4.1.2),
 * all-or-none token batches, revocation by token, grant and session, and
 * the cascades when a client or a user is deleted, on a fresh migrated
 * ":memory:" store. On a file under /tmp: 10 threads consuming the same
 * code (exactly one wins), and consume + token insert as one group-commit
 * write followed by a replay that revokes the tokens.
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
#include <unistd.h>
/* cmocka.h needs stdarg.h, stddef.h and setjmp.h before it. */
#include <cmocka.h>

#include "common/arena.h"
#include "common/err.h"
#include "storage/store.h"
#include "storage/store_internal.h"
#include "storage/test_fixture.h"

#define T0           1700000000 /* created_at of every row */
#define CODE_TTL     60
#define TOKEN_TTL    3600
#define RACE_THREADS 10
#define RACE_ROUNDS  20
#define USED_FOR     86400 /* how long a consumed code is remembered */

static void
user_add(struct store *s, const char *id)
{
	struct store_user u = {.id = id,
	                       .username = id,
	                       .password_hash = "$scrypt$x",
	                       .claims = "{}",
	                       .created_at = 1,
	                       .updated_at = 1};
	struct err err = {0};

	assert_int_equal(store_user_insert(s, &u, &err), ST_OK);
}

static void
client_add(struct store *s, const char *id)
{
	struct store_client c = {.id = id, .metadata = "{}", .created_at = 1, .updated_at = 1};
	struct err err = {0};

	assert_int_equal(store_client_insert(s, &c, &err), ST_OK);
}

/* Users u1, u2 and clients c1, c2. */
static void
seed(struct store *s)
{
	user_add(s, "u1");
	user_add(s, "u2");
	client_add(s, "c1");
	client_add(s, "c2");
}

static int
setup(void **state)
{
	if (fixture_setup(state) != 0)
		return -1;
	seed(fixture_store(state));
	return 0;
}

/* A recognisable hash: every byte is b. */
static void
hash_fill(unsigned char *hash, unsigned char b)
{
	memset(hash, b, STORE_HASH_LEN);
}

/* The result of a query returning one integer (a count). */
static int64_t
query_int(struct store *s, const char *sql)
{
	return fixture_query_int(s, sql);
}

/* ---- consents ---- */

static struct store_consent
make_consent(const char *user_id, const char *client_id, int64_t expires_at)
{
	return (struct store_consent){.user_id = user_id,
	                              .client_id = client_id,
	                              .scopes = "email openid profile",
	                              .granted_at = T0,
	                              .expires_at = expires_at};
}

static void
test_consent_upsert_then_get_and_upsert_again_replaces(void **state)
{
	struct fixture *f = *state;
	struct store_consent in = make_consent("u1", "c1", 0), out;
	struct err err = {0};

	assert_int_equal(store_consent_upsert(f->s, &in, &err), ST_OK);
	assert_int_equal(store_consent_get(f->s, "u1", "c1", T0, f->arena, &out, &err), ST_OK);
	assert_string_equal(out.user_id, "u1");
	assert_string_equal(out.client_id, "c1");
	assert_string_equal(out.scopes, "email openid profile");
	assert_int_equal(out.granted_at, T0);
	assert_int_equal(out.expires_at, 0);

	in.scopes = "openid";
	in.granted_at = T0 + 5;
	in.expires_at = T0 + 100;
	assert_int_equal(store_consent_upsert(f->s, &in, &err), ST_OK);
	assert_int_equal(store_consent_get(f->s, "u1", "c1", T0 + 6, f->arena, &out, &err), ST_OK);
	assert_string_equal(out.scopes, "openid");
	assert_int_equal(out.granted_at, T0 + 5);
	assert_int_equal(out.expires_at, T0 + 100);
	assert_int_equal(query_int(f->s, "SELECT count(*) FROM consents"), 1);
}

static void
test_consent_keeps_request_and_result_and_upsert_replaces_them(void **state)
{
	struct fixture *f = *state;
	struct store_consent in = make_consent("u1", "c1", 0), out, *list;
	struct err err = {0};
	size_t n;

	in.request = "{\"challenge\":\"c-1\"}";
	in.result = "{\"session\":{\"id_token\":{\"a\":1}}}";
	assert_int_equal(store_consent_upsert(f->s, &in, &err), ST_OK);
	assert_int_equal(store_consent_get(f->s, "u1", "c1", T0, f->arena, &out, &err), ST_OK);
	assert_string_equal(out.request, in.request);
	assert_string_equal(out.result, in.result);
	assert_int_equal(store_consent_list(f->s, "u1", T0, f->arena, &list, &n, &err), ST_OK);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].result, in.result);

	/* The built-in pages keep neither: NULL replaces what headless mode kept. */
	in.request = NULL;
	in.result = NULL;
	assert_int_equal(store_consent_upsert(f->s, &in, &err), ST_OK);
	assert_int_equal(store_consent_get(f->s, "u1", "c1", T0, f->arena, &out, &err), ST_OK);
	assert_null(out.request);
	assert_null(out.result);
}

static void
test_consent_get_honours_expiry_and_no_expiry_means_never(void **state)
{
	struct fixture *f = *state;
	struct store_consent expiring = make_consent("u1", "c1", T0 + 100);
	struct store_consent forever = make_consent("u1", "c2", 0);
	struct store_consent out;
	struct err err = {0};

	assert_int_equal(store_consent_upsert(f->s, &expiring, &err), ST_OK);
	assert_int_equal(store_consent_upsert(f->s, &forever, &err), ST_OK);
	assert_int_equal(store_consent_get(f->s, "u1", "c1", T0 + 99, f->arena, &out, &err), ST_OK);
	assert_int_equal(store_consent_get(f->s, "u1", "c1", T0 + 100, f->arena, &out, &err),
	                 ST_NOT_FOUND);
	assert_int_equal(err.st, ST_NOT_FOUND);
	assert_int_equal(store_consent_get(f->s, "u1", "c2", INT64_MAX, f->arena, &out, &err),
	                 ST_OK);
}

static void
test_consent_get_and_delete_of_missing_are_not_found(void **state)
{
	struct fixture *f = *state;
	struct store_consent in = make_consent("u1", "c1", 0), out;
	struct err err = {0};

	assert_int_equal(store_consent_get(f->s, "u1", "c1", T0, f->arena, &out, &err),
	                 ST_NOT_FOUND);
	assert_int_equal(store_consent_delete(f->s, "u1", "c1", &err), ST_NOT_FOUND);
	assert_int_equal(store_consent_upsert(f->s, &in, &err), ST_OK);
	/* Per (user, client): other pairs stay unknown. */
	assert_int_equal(store_consent_get(f->s, "u2", "c1", T0, f->arena, &out, &err),
	                 ST_NOT_FOUND);
	assert_int_equal(store_consent_get(f->s, "u1", "c2", T0, f->arena, &out, &err),
	                 ST_NOT_FOUND);
	assert_int_equal(store_consent_delete(f->s, "u1", "c1", &err), ST_OK);
	assert_int_equal(store_consent_get(f->s, "u1", "c1", T0, f->arena, &out, &err),
	                 ST_NOT_FOUND);
	assert_int_equal(store_consent_delete(f->s, "u1", "c1", &err), ST_NOT_FOUND);
}

static void
test_consent_upsert_for_unknown_user_or_client_is_invalid(void **state)
{
	struct fixture *f = *state;
	struct store_consent no_user = make_consent("nobody", "c1", 0);
	struct store_consent no_client = make_consent("u1", "nothing", 0);
	struct err err = {0};

	assert_int_equal(store_consent_upsert(f->s, &no_user, &err), ST_INVALID);
	assert_int_equal(store_consent_upsert(f->s, &no_client, &err), ST_INVALID);
	assert_int_equal(query_int(f->s, "SELECT count(*) FROM consents"), 0);
}

/* ---- authorization codes ---- */

/* A code of u1 for c1 whose hash is all b, valid for CODE_TTL from T0. */
static struct store_code
make_code(const unsigned char *hash)
{
	return (struct store_code){.code_hash = hash,
	                           .client_id = "c1",
	                           .user_id = "u1",
	                           .sid = "sid-1",
	                           .redirect_uri = "https://rp.example/cb",
	                           .scope = "openid profile",
	                           .nonce = "n-0S6_WzA2Mj",
	                           .code_challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
	                           .code_challenge_method = "S256",
	                           .auth_time = T0 - 30,
	                           .acr = "1",
	                           .amr = "pwd",
	                           .claims = "{\"userinfo\":{\"name\":{\"essential\":true}}}",
	                           .created_at = T0,
	                           .expires_at = T0 + CODE_TTL};
}

static void
code_add(struct store *s, unsigned char b)
{
	unsigned char hash[STORE_HASH_LEN];
	struct store_code code = make_code(hash);
	struct err err = {0};

	hash_fill(hash, b);
	assert_int_equal(store_code_insert(s, &code, &err), ST_OK);
}

static enum status
consume(struct fixture *f, unsigned char b, int64_t now, const char *grant_id,
        struct store_code *out)
{
	unsigned char hash[STORE_HASH_LEN];
	struct err err = {0};

	hash_fill(hash, b);
	return store_code_consume(f->s, hash, now, grant_id, now + USED_FOR, f->arena, out, &err);
}

static enum status
used_grant(struct fixture *f, unsigned char b, int64_t now, const char **grant_id)
{
	unsigned char hash[STORE_HASH_LEN];
	struct err err = {0};

	hash_fill(hash, b);
	return store_code_used_grant(f->s, hash, now, f->arena, grant_id, &err);
}

static void
test_code_consume_returns_every_field(void **state)
{
	struct fixture *f = *state;
	unsigned char want[STORE_HASH_LEN];
	struct store_code out;

	code_add(f->s, 0x31);
	assert_int_equal(consume(f, 0x31, T0 + 1, "grant-1", &out), ST_OK);
	hash_fill(want, 0x31);
	assert_memory_equal(out.code_hash, want, STORE_HASH_LEN);
	assert_string_equal(out.client_id, "c1");
	assert_string_equal(out.user_id, "u1");
	assert_string_equal(out.sid, "sid-1");
	assert_string_equal(out.redirect_uri, "https://rp.example/cb");
	assert_string_equal(out.scope, "openid profile");
	assert_string_equal(out.nonce, "n-0S6_WzA2Mj");
	assert_string_equal(out.code_challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
	assert_string_equal(out.code_challenge_method, "S256");
	assert_int_equal(out.auth_time, T0 - 30);
	assert_string_equal(out.acr, "1");
	assert_string_equal(out.amr, "pwd");
	assert_string_equal(out.claims, "{\"userinfo\":{\"name\":{\"essential\":true}}}");
	assert_int_equal(out.created_at, T0);
	assert_int_equal(out.expires_at, T0 + CODE_TTL);
}

static void
test_code_optional_fields_read_back_null(void **state)
{
	struct fixture *f = *state;
	unsigned char hash[STORE_HASH_LEN];
	struct store_code code = {.code_hash = hash,
	                          .client_id = "c1",
	                          .user_id = "u1",
	                          .redirect_uri = "https://rp.example/cb",
	                          .scope = "openid",
	                          .created_at = T0,
	                          .expires_at = T0 + CODE_TTL};
	struct store_code out;
	struct err err = {0};

	hash_fill(hash, 0x32);
	assert_int_equal(store_code_insert(f->s, &code, &err), ST_OK);
	assert_int_equal(consume(f, 0x32, T0, "grant-1", &out), ST_OK);
	assert_null(out.sid);
	assert_null(out.nonce);
	assert_null(out.code_challenge);
	assert_null(out.code_challenge_method);
	assert_int_equal(out.auth_time, 0);
	assert_null(out.acr);
	assert_null(out.amr);
	assert_null(out.claims);
}

static void
test_code_consume_twice_is_not_found_and_used_grant_names_the_grant(void **state)
{
	struct fixture *f = *state;
	struct store_code out = {.scope = "untouched"};
	const char *grant_id = NULL;

	code_add(f->s, 0x33);
	assert_int_equal(used_grant(f, 0x33, T0, &grant_id), ST_NOT_FOUND); /* not used yet */
	assert_int_equal(consume(f, 0x33, T0 + 1, "grant-first", &out), ST_OK);
	out.scope = "untouched";
	assert_int_equal(consume(f, 0x33, T0 + 2, "grant-second", &out), ST_NOT_FOUND);
	assert_string_equal(out.scope, "untouched");

	assert_int_equal(used_grant(f, 0x33, T0 + 2, &grant_id), ST_OK);
	assert_string_equal(grant_id, "grant-first");
	assert_int_equal(query_int(f->s, "SELECT count(*) FROM auth_codes"), 0);
}

static void
test_code_consume_from_expires_at_on_is_not_found_and_not_marked_used(void **state)
{
	struct fixture *f = *state;
	struct store_code out;
	const char *grant_id = NULL;

	code_add(f->s, 0x34);
	code_add(f->s, 0x35);
	assert_int_equal(consume(f, 0x34, T0 + CODE_TTL, "grant-1", &out), ST_NOT_FOUND);
	assert_int_equal(used_grant(f, 0x34, T0 + CODE_TTL, &grant_id), ST_NOT_FOUND);
	assert_int_equal(query_int(f->s, "SELECT count(*) FROM auth_codes"), 2);
	/* One second earlier it is still good. */
	assert_int_equal(consume(f, 0x35, T0 + CODE_TTL - 1, "grant-2", &out), ST_OK);
}

static void
test_code_used_grant_ends_at_used_expires_at(void **state)
{
	struct fixture *f = *state;
	unsigned char hash[STORE_HASH_LEN];
	struct store_code out;
	const char *grant_id = NULL;
	struct err err = {0};

	code_add(f->s, 0x36);
	hash_fill(hash, 0x36);
	assert_int_equal(
	        store_code_consume(f->s, hash, T0, "grant-1", T0 + 500, f->arena, &out, &err),
	        ST_OK);
	assert_int_equal(used_grant(f, 0x36, T0 + 499, &grant_id), ST_OK);
	assert_int_equal(used_grant(f, 0x36, T0 + 500, &grant_id), ST_NOT_FOUND);
	assert_int_equal(used_grant(f, 0x37, T0, &grant_id), ST_NOT_FOUND); /* never seen */
}

static void
test_code_insert_duplicate_is_conflict_and_unknown_client_invalid(void **state)
{
	struct fixture *f = *state;
	unsigned char hash[STORE_HASH_LEN];
	struct store_code code = make_code(hash);
	struct err err = {0};

	code_add(f->s, 0x38);
	hash_fill(hash, 0x38);
	assert_int_equal(store_code_insert(f->s, &code, &err), ST_CONFLICT);
	assert_int_equal(err.st, ST_CONFLICT);
	hash_fill(hash, 0x39);
	code.client_id = "nothing";
	assert_int_equal(store_code_insert(f->s, &code, &err), ST_INVALID);
	code.client_id = "c1";
	code.user_id = "nobody";
	assert_int_equal(store_code_insert(f->s, &code, &err), ST_INVALID);
	assert_int_equal(query_int(f->s, "SELECT count(*) FROM auth_codes"), 1);
}

/* ---- 10 threads, one code ---- */

struct code_race {
	struct store *s;
	pthread_barrier_t start, done;      /* RACE_THREADS consumers and main */
	unsigned char hash[STORE_HASH_LEN]; /* written by main between rounds */
	enum status st[RACE_THREADS];
	struct err err[RACE_THREADS];
};

struct code_racer {
	struct code_race *race;
	int index;
};

static void *
code_race_thread(void *arg)
{
	struct code_racer *me = arg;
	struct code_race *r = me->race;
	struct arena *arena = arena_new(); /* arenas are per thread */
	struct store_code out;
	char grant_id[32];
	int i;

	snprintf(grant_id, sizeof grant_id, "grant-of-thread-%d", me->index);
	for (i = 0; i < RACE_ROUNDS; i++) {
		pthread_barrier_wait(&r->start);
		r->st[me->index] =
		        store_code_consume(r->s, r->hash, T0 + 1, grant_id, T0 + USED_FOR, arena,
		                           &out, &r->err[me->index]);
		pthread_barrier_wait(&r->done);
	}
	arena_free(arena);
	return NULL;
}

static void
test_code_consumed_by_10_threads_at_once_succeeds_exactly_once(void **state)
{
	struct fixture *f = *state; /* for its arena */
	struct code_race *r = calloc(1, sizeof *r);
	struct code_racer racers[RACE_THREADS];
	pthread_t tids[RACE_THREADS];
	const char *grant_id = NULL;
	struct tmpdb t;
	struct err err = {0};
	char want[32];
	int i, round;

	assert_non_null(r);
	tmpdb_make(&t);
	r->s = tmpdb_open(&t, NULL);
	seed(r->s);
	assert_int_equal(pthread_barrier_init(&r->start, NULL, RACE_THREADS + 1), 0);
	assert_int_equal(pthread_barrier_init(&r->done, NULL, RACE_THREADS + 1), 0);
	for (i = 0; i < RACE_THREADS; i++) {
		racers[i] = (struct code_racer){.race = r, .index = i};
		assert_int_equal(pthread_create(&tids[i], NULL, code_race_thread, &racers[i]), 0);
	}
	for (round = 0; round < RACE_ROUNDS; round++) {
		int winners = 0, winner = -1;

		hash_fill(r->hash, (unsigned char)(0x80 + round));
		code_add(r->s, (unsigned char)(0x80 + round));
		pthread_barrier_wait(&r->start);
		pthread_barrier_wait(&r->done);
		for (i = 0; i < RACE_THREADS; i++) {
			if (r->st[i] == ST_OK) {
				winners++;
				winner = i;
			} else {
				if (r->st[i] != ST_NOT_FOUND)
					print_error("thread %d: %s\n", i, r->err[i].msg);
				assert_int_equal(r->st[i], ST_NOT_FOUND);
			}
		}
		assert_int_equal(winners, 1);
		/* The used code names the winner's grant. */
		assert_int_equal(
		        store_code_used_grant(r->s, r->hash, T0 + 2, f->arena, &grant_id, &err),
		        ST_OK);
		snprintf(want, sizeof want, "grant-of-thread-%d", winner);
		assert_string_equal(grant_id, want);
	}
	for (i = 0; i < RACE_THREADS; i++)
		assert_int_equal(pthread_join(tids[i], NULL), 0);
	assert_int_equal(query_int(r->s, "SELECT count(*) FROM auth_codes"), 0);
	assert_int_equal(query_int(r->s, "SELECT count(*) FROM used_codes"), RACE_ROUNDS);
	pthread_barrier_destroy(&r->start);
	pthread_barrier_destroy(&r->done);
	store_close(r->s);
	free(r);
	tmpdb_remove(&t);
}

/* ---- tokens ---- */

static struct store_token
make_token(const unsigned char *hash, enum store_token_kind kind, const char *grant_id)
{
	return (struct store_token){.token_hash = hash,
	                            .kind = kind,
	                            .grant_id = grant_id,
	                            .client_id = "c1",
	                            .user_id = "u1",
	                            .sid = "sid-1",
	                            .scope = "openid offline_access",
	                            .auth_time = T0 - 30,
	                            .acr = "1",
	                            .amr = "pwd",
	                            .claims = "{\"userinfo\":{\"name\":null}}",
	                            .created_at = T0,
	                            .expires_at = T0 + TOKEN_TTL};
}

/* Inserts an access token (hash all a) and a refresh token (all r) of grant_id. */
static void
token_pair_add(struct store *s, unsigned char a, unsigned char r, const char *grant_id,
               const char *sid)
{
	unsigned char ah[STORE_HASH_LEN], rh[STORE_HASH_LEN];
	struct store_token pair[2] = {make_token(ah, STORE_TOKEN_ACCESS, grant_id),
	                              make_token(rh, STORE_TOKEN_REFRESH, grant_id)};
	struct err err = {0};

	hash_fill(ah, a);
	hash_fill(rh, r);
	pair[0].sid = pair[1].sid = sid;
	pair[1].expires_at = T0 + 10 * TOKEN_TTL;
	assert_int_equal(store_token_insert(s, pair, 2, &err), ST_OK);
}

static enum status
token_get(struct fixture *f, unsigned char b, int64_t now, struct store_token *out)
{
	unsigned char hash[STORE_HASH_LEN];
	struct err err = {0};

	hash_fill(hash, b);
	return store_token_get_active(f->s, hash, now, f->arena, out, &err);
}

static enum status
token_revoke(struct fixture *f, unsigned char b, int64_t now)
{
	unsigned char hash[STORE_HASH_LEN];
	struct err err = {0};

	hash_fill(hash, b);
	return store_token_revoke(f->s, hash, now, &err);
}

static void
test_token_pair_insert_then_get_active_returns_every_field(void **state)
{
	struct fixture *f = *state;
	unsigned char want[STORE_HASH_LEN];
	struct store_token out;

	token_pair_add(f->s, 0x41, 0x42, "grant-1", "sid-1");
	assert_int_equal(token_get(f, 0x41, T0 + 1, &out), ST_OK);
	hash_fill(want, 0x41);
	assert_memory_equal(out.token_hash, want, STORE_HASH_LEN);
	assert_int_equal(out.kind, STORE_TOKEN_ACCESS);
	assert_string_equal(out.grant_id, "grant-1");
	assert_string_equal(out.client_id, "c1");
	assert_string_equal(out.user_id, "u1");
	assert_string_equal(out.sid, "sid-1");
	assert_string_equal(out.scope, "openid offline_access");
	assert_int_equal(out.auth_time, T0 - 30);
	assert_string_equal(out.acr, "1");
	assert_string_equal(out.amr, "pwd");
	assert_string_equal(out.claims, "{\"userinfo\":{\"name\":null}}");
	assert_int_equal(out.created_at, T0);
	assert_int_equal(out.expires_at, T0 + TOKEN_TTL);
	assert_int_equal(out.revoked_at, 0);

	assert_int_equal(token_get(f, 0x42, T0 + 1, &out), ST_OK);
	assert_int_equal(out.kind, STORE_TOKEN_REFRESH);
	assert_int_equal(out.expires_at, T0 + 10 * TOKEN_TTL);
}

static void
test_token_of_client_credentials_has_no_user(void **state)
{
	struct fixture *f = *state;
	unsigned char hash[STORE_HASH_LEN];
	struct store_token t = {.token_hash = hash,
	                        .kind = STORE_TOKEN_ACCESS,
	                        .grant_id = "cc-1",
	                        .client_id = "c2",
	                        .scope = "api",
	                        .created_at = T0,
	                        .expires_at = T0 + TOKEN_TTL};
	struct store_token out;
	struct err err = {0};

	hash_fill(hash, 0x43);
	assert_int_equal(store_token_insert(f->s, &t, 1, &err), ST_OK);
	assert_int_equal(token_get(f, 0x43, T0, &out), ST_OK);
	assert_null(out.user_id);
	assert_null(out.sid);
	assert_null(out.acr);
	assert_null(out.amr);
	assert_null(out.claims);
	assert_int_equal(out.auth_time, 0);
	assert_string_equal(out.client_id, "c2");
}

static void
test_token_get_active_is_not_found_when_expired_revoked_or_unknown(void **state)
{
	struct fixture *f = *state;
	struct store_token out = {.scope = "untouched"};

	token_pair_add(f->s, 0x44, 0x45, "grant-1", "sid-1");
	assert_int_equal(token_get(f, 0x44, T0 + TOKEN_TTL - 1, &out), ST_OK);
	out.scope = "untouched";
	assert_int_equal(token_get(f, 0x44, T0 + TOKEN_TTL, &out), ST_NOT_FOUND);
	assert_string_equal(out.scope, "untouched");
	assert_int_equal(token_get(f, 0x46, T0, &out), ST_NOT_FOUND);

	assert_int_equal(token_revoke(f, 0x45, T0 + 5), ST_OK);
	assert_int_equal(token_get(f, 0x45, T0 + 6, &out), ST_NOT_FOUND);
	/* Its access token is a separate row. */
	assert_int_equal(token_get(f, 0x44, T0 + 6, &out), ST_OK);
}

/* /userinfo's joined lookup: the token as token_get gives it, and its owners. */
static void
test_token_get_with_owners_joins_user_and_client(void **state)
{
	struct fixture *f = *state;
	unsigned char hash[STORE_HASH_LEN];
	struct store_token t, alone,
	        cc = {.token_hash = hash,
	              .kind = STORE_TOKEN_ACCESS,
	              .grant_id = "cc-9",
	              .client_id = "c2",
	              .scope = "api",
	              .created_at = T0,
	              .expires_at = T0 + TOKEN_TTL};
	struct store_user user, want_user;
	struct store_client client, want_client;
	struct err err = {0};

	token_pair_add(f->s, 0x51, 0x52, "grant-1", "sid-1");
	hash_fill(hash, 0x51);
	assert_int_equal(
	        store_token_get_with_owners(f->s, hash, T0 + 1, f->arena, &t, &user, &client, &err),
	        ST_OK);
	assert_int_equal(token_get(f, 0x51, T0 + 1, &alone), ST_OK);
	assert_memory_equal(t.token_hash, alone.token_hash, STORE_HASH_LEN);
	assert_int_equal(t.kind, alone.kind);
	assert_string_equal(t.grant_id, alone.grant_id);
	assert_string_equal(t.client_id, "c1");
	assert_string_equal(t.user_id, "u1");
	assert_string_equal(t.sid, alone.sid);
	assert_string_equal(t.scope, alone.scope);
	assert_int_equal(t.auth_time, alone.auth_time);
	assert_string_equal(t.acr, alone.acr);
	assert_string_equal(t.amr, alone.amr);
	assert_string_equal(t.claims, alone.claims);
	assert_int_equal(t.created_at, alone.created_at);
	assert_int_equal(t.expires_at, alone.expires_at);
	assert_null(t.session);

	assert_int_equal(store_user_get(f->s, "u1", f->arena, &want_user, &err), ST_OK);
	assert_string_equal(user.id, "u1");
	assert_string_equal(user.username, want_user.username);
	assert_string_equal(user.claims, want_user.claims);
	assert_int_equal(user.created_at, want_user.created_at);
	assert_int_equal(user.updated_at, want_user.updated_at);
	assert_null(user.password_hash); /* never read here */

	assert_int_equal(store_client_get(f->s, "c1", f->arena, &want_client, &err), ST_OK);
	assert_string_equal(client.id, "c1");
	assert_string_equal(client.metadata, want_client.metadata);
	assert_int_equal(client.created_at, want_client.created_at);
	assert_int_equal(client.updated_at, want_client.updated_at);
	assert_null(client.secret_hash);
	assert_null(client.reg_token_hash);

	/* a refresh token is returned too: the caller tells the kinds apart */
	hash_fill(hash, 0x52);
	assert_int_equal(
	        store_token_get_with_owners(f->s, hash, T0 + 1, f->arena, &t, &user, &client, &err),
	        ST_OK);
	assert_int_equal(t.kind, STORE_TOKEN_REFRESH);

	/* client_credentials: no user */
	hash_fill(hash, 0x53);
	assert_int_equal(store_token_insert(f->s, &cc, 1, &err), ST_OK);
	assert_int_equal(
	        store_token_get_with_owners(f->s, hash, T0 + 1, f->arena, &t, &user, &client, &err),
	        ST_OK);
	assert_null(t.user_id);
	assert_null(user.id);
	assert_string_equal(client.id, "c2");

	/* expired, revoked, unknown */
	hash_fill(hash, 0x51);
	assert_int_equal(store_token_get_with_owners(f->s, hash, T0 + TOKEN_TTL, f->arena, &t,
	                                             &user, &client, &err),
	                 ST_NOT_FOUND);
	assert_int_equal(token_revoke(f, 0x51, T0 + 2), ST_OK);
	assert_int_equal(
	        store_token_get_with_owners(f->s, hash, T0 + 3, f->arena, &t, &user, &client, &err),
	        ST_NOT_FOUND);
	hash_fill(hash, 0x5f);
	assert_int_equal(
	        store_token_get_with_owners(f->s, hash, T0 + 1, f->arena, &t, &user, &client, &err),
	        ST_NOT_FOUND);
}

static void
test_token_insert_is_all_or_none(void **state)
{
	struct fixture *f = *state;
	unsigned char ah[STORE_HASH_LEN], rh[STORE_HASH_LEN];
	struct store_token pair[2] = {make_token(ah, STORE_TOKEN_ACCESS, "grant-2"),
	                              make_token(rh, STORE_TOKEN_REFRESH, "grant-2")};
	struct store_token out;
	struct err err = {0};

	token_pair_add(f->s, 0x47, 0x48, "grant-1", "sid-1");
	/* The second hash exists: the first must not stay behind. */
	hash_fill(ah, 0x49);
	hash_fill(rh, 0x48);
	assert_int_equal(store_token_insert(f->s, pair, 2, &err), ST_CONFLICT);
	assert_int_equal(token_get(f, 0x49, T0, &out), ST_NOT_FOUND);
	/* The same for a client that does not exist. */
	hash_fill(rh, 0x4a);
	pair[1].client_id = "nothing";
	assert_int_equal(store_token_insert(f->s, pair, 2, &err), ST_INVALID);
	assert_int_equal(token_get(f, 0x49, T0, &out), ST_NOT_FOUND);
	assert_int_equal(query_int(f->s, "SELECT count(*) FROM tokens"), 2);
	/* And the store still works (the transaction ended). */
	pair[1].client_id = "c1";
	assert_int_equal(store_token_insert(f->s, pair, 2, &err), ST_OK);
	assert_int_equal(query_int(f->s, "SELECT count(*) FROM tokens"), 4);
}

static void
test_token_revoke_twice_or_unknown_is_not_found(void **state)
{
	struct fixture *f = *state;
	struct store_token out;

	token_pair_add(f->s, 0x4b, 0x4c, "grant-1", "sid-1");
	assert_int_equal(token_revoke(f, 0x4b, T0 + 1), ST_OK);
	assert_int_equal(token_revoke(f, 0x4b, T0 + 2), ST_NOT_FOUND);
	assert_int_equal(token_revoke(f, 0x4d, T0 + 2), ST_NOT_FOUND);
	assert_int_equal(token_get(f, 0x4b, T0 + 3, &out), ST_NOT_FOUND);
	assert_int_equal(query_int(f->s, "SELECT revoked_at FROM tokens WHERE kind = 'access'"),
	                 T0 + 1);
}

static void
test_token_revoke_grant_revokes_that_grant_only_and_counts(void **state)
{
	struct fixture *f = *state;
	struct store_token out;
	struct err err = {0};
	int64_t n = -1;

	token_pair_add(f->s, 0x51, 0x52, "grant-1", "sid-1");
	token_pair_add(f->s, 0x53, 0x54, "grant-2", "sid-1");
	assert_int_equal(token_revoke(f, 0x51, T0 + 1), ST_OK);

	assert_int_equal(store_token_revoke_grant(f->s, "grant-1", T0 + 2, &n, &err), ST_OK);
	assert_int_equal(n, 1); /* the refresh token; the access token was revoked already */
	assert_int_equal(token_get(f, 0x52, T0 + 3, &out), ST_NOT_FOUND);
	assert_int_equal(token_get(f, 0x53, T0 + 3, &out), ST_OK);
	assert_int_equal(token_get(f, 0x54, T0 + 3, &out), ST_OK);

	assert_int_equal(store_token_revoke_grant(f->s, "grant-1", T0 + 4, &n, &err), ST_OK);
	assert_int_equal(n, 0);
	assert_int_equal(store_token_revoke_grant(f->s, "no-grant", T0 + 4, NULL, &err), ST_OK);
}

static void
test_token_revoke_sid_revokes_that_session_only_and_counts(void **state)
{
	struct fixture *f = *state;
	struct store_token out;
	struct err err = {0};
	int64_t n = -1;

	token_pair_add(f->s, 0x55, 0x56, "grant-1", "sid-1");
	token_pair_add(f->s, 0x57, 0x58, "grant-2", "sid-1");
	token_pair_add(f->s, 0x59, 0x5a, "grant-3", "sid-2");
	assert_int_equal(store_token_revoke_sid(f->s, "sid-1", T0 + 1, &n, &err), ST_OK);
	assert_int_equal(n, 4);
	assert_int_equal(token_get(f, 0x55, T0 + 2, &out), ST_NOT_FOUND);
	assert_int_equal(token_get(f, 0x58, T0 + 2, &out), ST_NOT_FOUND);
	assert_int_equal(token_get(f, 0x59, T0 + 2, &out), ST_OK);
	assert_int_equal(token_get(f, 0x5a, T0 + 2, &out), ST_OK);
	assert_int_equal(store_token_revoke_sid(f->s, "sid-1", T0 + 3, &n, &err), ST_OK);
	assert_int_equal(n, 0);
}

/* ---- the replay path through the group-commit writer ---- */

/* One write: consume the code and insert the tokens of its grant (no cmocka here). */
struct redeem {
	unsigned char code_hash[STORE_HASH_LEN];
	unsigned char access_hash[STORE_HASH_LEN], refresh_hash[STORE_HASH_LEN];
	const char *grant_id;
	struct arena *arena;
};

static enum status
redeem_fn(struct store *s, void *arg, struct err *err)
{
	struct redeem *r = arg;
	struct store_token pair[2] = {
	        make_token(r->access_hash, STORE_TOKEN_ACCESS, r->grant_id),
	        make_token(r->refresh_hash, STORE_TOKEN_REFRESH, r->grant_id)};
	struct store_code code;
	enum status st;

	st = store_code_consume(s, r->code_hash, T0 + 1, r->grant_id, T0 + USED_FOR, r->arena,
	                        &code, err);
	if (st != ST_OK)
		return st;
	pair[0].client_id = pair[1].client_id = code.client_id;
	pair[0].user_id = pair[1].user_id = code.user_id;
	return store_token_insert(s, pair, 2, err);
}

static void
test_code_replay_after_group_commit_redeem_revokes_its_tokens(void **state)
{
	struct fixture *f = *state;
	struct redeem r = {.grant_id = "grant-redeemed", .arena = f->arena};
	struct store_token out;
	const char *grant_id = NULL;
	struct store *s;
	struct tmpdb t;
	struct err err = {0};
	int64_t n = -1;

	tmpdb_make(&t);
	s = tmpdb_open(&t, NULL);
	seed(s);
	assert_int_equal(store_writer_start(s, &err), ST_OK);
	hash_fill(r.code_hash, 0x61);
	hash_fill(r.access_hash, 0x62);
	hash_fill(r.refresh_hash, 0x63);
	code_add(s, 0x61);

	assert_int_equal(store_write_sync(s, redeem_fn, &r, &err), ST_OK);
	assert_int_equal(store_token_get_active(s, r.access_hash, T0 + 2, f->arena, &out, &err),
	                 ST_OK);

	/* The replay: the code is gone, its grant is known, its tokens go. */
	r.grant_id = "grant-replayed";
	hash_fill(r.access_hash, 0x64);
	hash_fill(r.refresh_hash, 0x65);
	assert_int_equal(store_write_sync(s, redeem_fn, &r, &err), ST_NOT_FOUND);
	assert_int_equal(store_code_used_grant(s, r.code_hash, T0 + 3, f->arena, &grant_id, &err),
	                 ST_OK);
	assert_string_equal(grant_id, "grant-redeemed");
	assert_int_equal(store_token_revoke_grant(s, grant_id, T0 + 3, &n, &err), ST_OK);
	assert_int_equal(n, 2);
	hash_fill(r.access_hash, 0x62);
	assert_int_equal(store_token_get_active(s, r.access_hash, T0 + 4, f->arena, &out, &err),
	                 ST_NOT_FOUND);
	/* The failed write left nothing behind. */
	assert_int_equal(query_int(s, "SELECT count(*) FROM tokens"), 2);
	store_close(s);
	tmpdb_remove(&t);
}

/* ---- cascades ---- */

static void
test_client_delete_removes_its_codes_tokens_and_consents(void **state)
{
	struct fixture *f = *state;
	unsigned char hash[STORE_HASH_LEN];
	struct store_code code = make_code(hash);
	struct store_consent c1 = make_consent("u1", "c1", 0), c2 = make_consent("u1", "c2", 0);
	struct store_token cc;
	struct err err = {0};

	code_add(f->s, 0x71);
	hash_fill(hash, 0x72);
	code.client_id = "c2";
	assert_int_equal(store_code_insert(f->s, &code, &err), ST_OK);
	token_pair_add(f->s, 0x73, 0x74, "grant-1", "sid-1");
	hash_fill(hash, 0x75);
	cc = make_token(hash, STORE_TOKEN_ACCESS, "cc-1");
	cc.client_id = "c2";
	cc.user_id = NULL;
	assert_int_equal(store_token_insert(f->s, &cc, 1, &err), ST_OK);
	assert_int_equal(store_consent_upsert(f->s, &c1, &err), ST_OK);
	assert_int_equal(store_consent_upsert(f->s, &c2, &err), ST_OK);

	assert_int_equal(store_client_delete(f->s, "c1", NULL, &err), ST_OK);
	assert_int_equal(query_int(f->s, "SELECT count(*) FROM auth_codes WHERE client_id = 'c1'"),
	                 0);
	assert_int_equal(query_int(f->s, "SELECT count(*) FROM tokens WHERE client_id = 'c1'"), 0);
	assert_int_equal(query_int(f->s, "SELECT count(*) FROM consents WHERE client_id = 'c1'"),
	                 0);
	/* The other client's rows and the user stay. */
	assert_int_equal(query_int(f->s, "SELECT count(*) FROM auth_codes"), 1);
	assert_int_equal(query_int(f->s, "SELECT count(*) FROM tokens"), 1);
	assert_int_equal(query_int(f->s, "SELECT count(*) FROM consents"), 1);
	assert_int_equal(query_int(f->s, "SELECT count(*) FROM users"), 2);
}

static void
test_user_delete_removes_their_sessions_consents_codes_and_tokens(void **state)
{
	struct fixture *f = *state;
	unsigned char hash[STORE_HASH_LEN];
	struct store_session sess = {.id_hash = hash,
	                             .sid = "sid-1",
	                             .user_id = "u1",
	                             .auth_time = T0,
	                             .amr = "pwd",
	                             .acr = "0",
	                             .created_at = T0,
	                             .expires_at = T0 + TOKEN_TTL};
	struct store_code code = make_code(hash);
	struct store_consent consent = make_consent("u1", "c1", 0);
	struct store_consent other = make_consent("u2", "c1", 0);
	struct store_token cc;
	struct err err = {0};

	hash_fill(hash, 0x81);
	assert_int_equal(store_session_insert(f->s, &sess, &err), ST_OK);
	hash_fill(hash, 0x82);
	sess.sid = "sid-2";
	sess.user_id = "u2";
	assert_int_equal(store_session_insert(f->s, &sess, &err), ST_OK);
	code_add(f->s, 0x83);
	hash_fill(hash, 0x84);
	code.user_id = "u2";
	assert_int_equal(store_code_insert(f->s, &code, &err), ST_OK);
	token_pair_add(f->s, 0x85, 0x86, "grant-1", "sid-1");
	hash_fill(hash, 0x87);
	cc = make_token(hash, STORE_TOKEN_ACCESS, "cc-1");
	cc.user_id = NULL; /* client_credentials: nobody's */
	assert_int_equal(store_token_insert(f->s, &cc, 1, &err), ST_OK);
	assert_int_equal(store_consent_upsert(f->s, &consent, &err), ST_OK);
	assert_int_equal(store_consent_upsert(f->s, &other, &err), ST_OK);

	assert_int_equal(store_user_delete(f->s, "u1", &err), ST_OK);
	assert_int_equal(query_int(f->s, "SELECT count(*) FROM sessions WHERE user_id = 'u1'"), 0);
	assert_int_equal(query_int(f->s, "SELECT count(*) FROM consents WHERE user_id = 'u1'"), 0);
	assert_int_equal(query_int(f->s, "SELECT count(*) FROM auth_codes WHERE user_id = 'u1'"),
	                 0);
	assert_int_equal(query_int(f->s, "SELECT count(*) FROM tokens WHERE user_id = 'u1'"), 0);
	assert_int_equal(query_int(f->s, "SELECT count(*) FROM sessions"), 1);
	assert_int_equal(query_int(f->s, "SELECT count(*) FROM consents"), 1);
	assert_int_equal(query_int(f->s, "SELECT count(*) FROM auth_codes"), 1);
	assert_int_equal(query_int(f->s, "SELECT count(*) FROM tokens"), 1);
	assert_int_equal(query_int(f->s, "SELECT count(*) FROM clients"), 2);
}

static void
test_token_schema_refuses_unknown_kind_and_short_hash(void **state)
{
	struct fixture *f = *state;
	const char *zero32 =
	        fixture_is_pg(f->s) ? "decode(repeat('00', 32), 'hex')" : "zeroblob(32)";
	const char *zero16 =
	        fixture_is_pg(f->s) ? "decode(repeat('00', 16), 'hex')" : "zeroblob(16)";
	char sql[512];

	snprintf(sql, sizeof sql,
	         "INSERT INTO tokens (token_hash, kind, grant_id, client_id, scope,"
	         " created_at, expires_at) VALUES (%s, 'id', 'g', 'c1', 's', 1, 2)",
	         zero32);
	assert_int_equal(fixture_exec(f->s, sql), DB_CONSTRAINT);
	snprintf(sql, sizeof sql,
	         "INSERT INTO tokens (token_hash, kind, grant_id, client_id, scope,"
	         " created_at, expires_at) VALUES (%s, 'access', 'g', 'c1', 's', 1, 2)",
	         zero16);
	assert_int_equal(fixture_exec(f->s, sql), DB_CONSTRAINT);
}

static void
test_refresh_consume_once_then_not_found_but_still_gettable(void **state)
{
	struct fixture *f = *state;
	unsigned char ah[STORE_HASH_LEN], rh[STORE_HASH_LEN];
	struct store_token out;
	struct err err = {0};

	token_pair_add(f->s, 0x51, 0x52, "grant-r", "sid-1");
	hash_fill(ah, 0x51);
	hash_fill(rh, 0x52);
	/* An access token is not a refresh token. */
	assert_int_equal(store_token_consume_refresh(f->s, ah, T0 + 1, f->arena, &out, &err),
	                 ST_NOT_FOUND);
	assert_int_equal(store_token_consume_refresh(f->s, rh, T0 + 1, f->arena, &out, &err),
	                 ST_OK);
	assert_int_equal(out.kind, STORE_TOKEN_REFRESH);
	assert_string_equal(out.grant_id, "grant-r");
	assert_string_equal(out.scope, "openid offline_access");
	assert_int_equal(out.revoked_at, T0 + 1);
	assert_int_equal(store_token_consume_refresh(f->s, rh, T0 + 2, f->arena, &out, &err),
	                 ST_NOT_FOUND);
	/* Reuse can be told from garbage: the used token is still there, revoked. */
	assert_int_equal(store_token_get(f->s, rh, f->arena, &out, &err), ST_OK);
	assert_int_equal(out.revoked_at, T0 + 1);
	hash_fill(rh, 0x53);
	assert_int_equal(store_token_get(f->s, rh, f->arena, &out, &err), ST_NOT_FOUND);
	/* Expired refresh tokens are not consumed. */
	token_pair_add(f->s, 0x54, 0x55, "grant-s", "sid-1");
	hash_fill(rh, 0x55);
	assert_int_equal(
	        store_token_consume_refresh(f->s, rh, T0 + 10 * TOKEN_TTL, f->arena, &out, &err),
	        ST_NOT_FOUND);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, fixture_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        T(test_consent_upsert_then_get_and_upsert_again_replaces),
	        T(test_consent_keeps_request_and_result_and_upsert_replaces_them),
	        T(test_consent_get_honours_expiry_and_no_expiry_means_never),
	        T(test_consent_get_and_delete_of_missing_are_not_found),
	        T(test_consent_upsert_for_unknown_user_or_client_is_invalid),
	        T(test_code_consume_returns_every_field),
	        T(test_code_optional_fields_read_back_null),
	        T(test_code_consume_twice_is_not_found_and_used_grant_names_the_grant),
	        T(test_code_consume_from_expires_at_on_is_not_found_and_not_marked_used),
	        T(test_code_used_grant_ends_at_used_expires_at),
	        T(test_code_insert_duplicate_is_conflict_and_unknown_client_invalid),
	        T(test_code_consumed_by_10_threads_at_once_succeeds_exactly_once),
	        T(test_token_pair_insert_then_get_active_returns_every_field),
	        T(test_token_of_client_credentials_has_no_user),
	        T(test_token_get_with_owners_joins_user_and_client),
	        T(test_token_get_active_is_not_found_when_expired_revoked_or_unknown),
	        T(test_token_insert_is_all_or_none),
	        T(test_token_revoke_twice_or_unknown_is_not_found),
	        T(test_token_revoke_grant_revokes_that_grant_only_and_counts),
	        T(test_token_revoke_sid_revokes_that_session_only_and_counts),
	        T(test_code_replay_after_group_commit_redeem_revokes_its_tokens),
	        T(test_client_delete_removes_its_codes_tokens_and_consents),
	        T(test_user_delete_removes_their_sessions_consents_codes_and_tokens),
	        T(test_token_schema_refuses_unknown_kind_and_short_hash),
	        T(test_refresh_consume_once_then_not_found_but_still_gettable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
