/*
 * server/tokens_test.c — ordered opaque tokens: their format, their stored
 * keys (order bytes, then the keyed hash) sorting in creation order, and
 * tokens made before ordering keeping their full keyed hash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "crypto/b64url.h"
#include "server/secrets.h"
#include "server/tokens.h"

struct fixture {
	struct config cfg;
	struct app app;
	struct arena *arena;
};

static int
setup(void **state)
{
	static const struct config_override o[] = {
	        {"issuer",         "https://id.example.com"          },
	        {"secrets.system", "0123456789abcdef0123456789abcdef"},
	};
	struct fixture *f = test_calloc(1, sizeof *f);
	struct err err;

	assert_int_equal(config_load(NULL, NULL, o, 2, false, &f->cfg, &err), ST_OK);
	f->app.cfg = &f->cfg;
	f->app.issuer = f->cfg.issuer;
	f->app.clock.fixed_secs = 1800000000;
	f->arena = arena_new();
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	arena_free(f->arena);
	config_free(&f->cfg);
	test_free(f);
	return 0;
}

static char *
make(struct fixture *f, const char *prefix)
{
	char *tok = NULL;
	struct err err;

	assert_int_equal(tokens_random_ordered(&f->app, prefix, f->arena, &tok, &err), ST_OK);
	return tok;
}

static bool
b64url_only(const char *s)
{
	for (; *s != '\0'; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
			return false;
	return true;
}

static void
test_format_is_prefix_order_and_256_random_bits(void **state)
{
	struct fixture *f = *state;
	char *a = make(f, TOKENS_ACCESS_PREFIX), *b = make(f, TOKENS_ACCESS_PREFIX);
	unsigned char order[6];
	size_t n = 0;
	struct err err;

	assert_int_equal(strncmp(a, TOKENS_ACCESS_PREFIX, 9), 0);
	assert_int_equal(strlen(a), 9 + 8 + 43);
	assert_true(b64url_only(a + 9));
	/* The order characters decode to milliseconds << 8 | counter. */
	assert_int_equal(b64url_decode(a + 9, 8, order, sizeof order, &n, &err), ST_OK);
	assert_int_equal(n, 6);
	uint64_t v = 0;
	for (size_t i = 0; i < 6; i++)
		v = v << 8 | order[i];
	assert_int_equal(v >> 8, (uint64_t)(1800000000LL * 1000) & ((1ULL << 40) - 1));
	/* Same millisecond, so the same clock bits; the 256 random bits differ. */
	assert_int_equal(strncmp(a + 9, b + 9, 6), 0);
	assert_string_not_equal(a + 17, b + 17);
}

static void
test_keys_sort_in_creation_order(void **state)
{
	struct fixture *f = *state;
	unsigned char prev[STORE_HASH_LEN], key[STORE_HASH_LEN];

	tokens_hash(&f->app, make(f, TOKENS_REFRESH_PREFIX), prev);
	for (int i = 1; i <= 50; i++) {
		f->app.clock.fixed_secs += 1;
		tokens_hash(&f->app, make(f, i % 2 ? TOKENS_ACCESS_PREFIX : TOKENS_REFRESH_PREFIX),
		            key);
		assert_true(memcmp(prev, key, sizeof key) < 0);
		memcpy(prev, key, sizeof key);
	}
}

static void
test_key_is_order_bytes_then_the_keyed_hash(void **state)
{
	struct fixture *f = *state;
	char *tok = make(f, TOKENS_ACCESS_PREFIX);
	unsigned char key[STORE_HASH_LEN], mac[STORE_HASH_LEN], order[6];
	size_t n = 0;
	struct err err;

	tokens_hash(&f->app, tok, key);
	secrets_token_hash(&f->cfg, tok, mac);
	assert_int_equal(b64url_decode(tok + 9, 8, order, sizeof order, &n, &err), ST_OK);
	assert_memory_equal(key, order, 6);
	assert_memory_equal(key + 6, mac, STORE_HASH_LEN - 6);
	/* One character more or less of the random part: another key. */
	char *changed = arena_strdup(f->arena, tok);
	changed[40] = changed[40] == 'A' ? 'B' : 'A';
	unsigned char other[STORE_HASH_LEN];
	tokens_hash(&f->app, changed, other);
	assert_memory_equal(other, key, 6);
	assert_memory_not_equal(other + 6, key + 6, STORE_HASH_LEN - 6);
	/* A JWT access token's row is keyed by "jti:" + its ordered jti. */
	char *jti = make(f, "");
	tokens_hash(&f->app, arena_printf(f->arena, "jti:%s", jti), key);
	assert_int_equal(b64url_decode(jti, 8, order, sizeof order, &n, &err), ST_OK);
	assert_memory_equal(key, order, 6);
}

static void
test_tokens_made_before_ordering_keep_their_full_hash(void **state)
{
	struct fixture *f = *state;
	/* base64url of 32 bytes: what oidcd issued before ordered tokens. */
	static const char *const old[] = {
	        "oidcd_at_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG",
	        "oidcd_rt_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG",
	        "jti:0123456789abcdefghijklmnopqrstuvwxyzABCDEFG",
	        /* Right length but not base64url where the order is: no order. */
	        "oidcd_at_!!!!!!!!0123456789abcdefghijklmnopqrstuvwxyzABCDEFG",
	        "oidcd_at_unknown",
	        "",
	};
	unsigned char key[STORE_HASH_LEN], mac[STORE_HASH_LEN];

	for (size_t i = 0; i < sizeof old / sizeof old[0]; i++) {
		tokens_hash(&f->app, old[i], key);
		secrets_token_hash(&f->cfg, old[i], mac);
		assert_memory_equal(key, mac, STORE_HASH_LEN);
	}
}

static void
test_tokens_new_keys_rows_by_tokens_hash(void **state)
{
	struct fixture *f = *state;
	struct tokens_issue t;
	unsigned char key[STORE_HASH_LEN];
	struct err err;

	assert_int_equal(tokens_new(&f->app, f->arena, 1800000000, "g1", "c1", true, &t, &err),
	                 ST_OK);
	assert_int_equal(strlen(t.access_token), 9 + 51);
	tokens_hash(&f->app, t.access_token, key);
	assert_memory_equal(t.rows[0].token_hash, key, STORE_HASH_LEN);
	assert_int_equal(strlen(t.refresh_token), 9 + 51);
	tokens_hash(&f->app, t.refresh_token, key);
	assert_memory_equal(t.rows[1].token_hash, key, STORE_HASH_LEN);
}

/* A grant that cannot issue a refresh token makes none, and never counts one. */
static void
test_tokens_new_without_refresh_makes_no_refresh_token(void **state)
{
	struct fixture *f = *state;
	struct store_code code = {.scope = "openid offline_access"};
	struct tokens_issue t;
	struct err err;

	assert_int_equal(tokens_new(&f->app, f->arena, 1800000000, "g1", "c1", false, &t, &err),
	                 ST_OK);
	assert_non_null(t.access_token);
	assert_null(t.refresh_token);
	tokens_for_client(&t, "api.read");
	assert_int_equal(t.count, 1);
	tokens_from_code(&t, &code, true);
	assert_int_equal(t.count, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_format_is_prefix_order_and_256_random_bits,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_keys_sort_in_creation_order, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_key_is_order_bytes_then_the_keyed_hash, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(
	                test_tokens_made_before_ordering_keep_their_full_hash, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_tokens_new_without_refresh_makes_no_refresh_token, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_tokens_new_keys_rows_by_tokens_hash, setup,
	                                        teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
