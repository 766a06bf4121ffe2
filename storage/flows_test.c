/*
 * storage/flows_test.c — headless-mode requests: insert and read back,
 * answered once (a second decision, or one after expiry, finds nothing),
 * a verifier honoured once and only for its browser binding, swept when
 * expired; external subjects get a user row once; consents listed and
 * deleted per user, and one without expiry (remember_for 0) kept; forced
 * subjects per client and user, replaced by a later one. On a fresh migrated ":memory:" store.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
/* cmocka.h needs stdarg.h, stddef.h and setjmp.h before it. */
#include <cmocka.h>

#include "common/arena.h"
#include "common/err.h"
#include "storage/store.h"
#include "storage/test_fixture.h"

#define T0  1700000000
#define TTL 1800

static unsigned char chal[STORE_HASH_LEN], ver[STORE_HASH_LEN], bind[STORE_HASH_LEN],
        other[STORE_HASH_LEN];

static int
setup(void **state)
{
	memset(chal, 0xc1, sizeof chal);
	memset(ver, 0xe1, sizeof ver);
	memset(bind, 0xb1, sizeof bind);
	memset(other, 0x0f, sizeof other);
	return fixture_setup(state);
}

static struct store_flow
pending(void)
{
	return (struct store_flow){.challenge_hash = chal,
	                           .kind = STORE_FLOW_LOGIN,
	                           .binding_hash = bind,
	                           .request = "{\"skip\":false}",
	                           .created_at = T0,
	                           .expires_at = T0 + TTL};
}

static void
test_flow_is_answered_once_and_its_verifier_honoured_once_for_its_browser(void **state)
{
	struct fixture *f = *state;
	struct store_flow fl = pending(), out;
	struct err err = {0};

	assert_int_equal(store_flow_insert(f->s, &fl, &err), ST_OK);
	assert_int_equal(store_flow_get(f->s, chal, STORE_FLOW_LOGIN, f->arena, &out, &err), ST_OK);
	assert_int_equal(out.status, STORE_FLOW_PENDING);
	assert_string_equal(out.request, "{\"skip\":false}");
	assert_null(out.verifier_hash);
	/* Another kind with the same challenge is another request. */
	assert_int_equal(store_flow_get(f->s, chal, STORE_FLOW_CONSENT, f->arena, &out, &err),
	                 ST_NOT_FOUND);
	assert_int_equal(store_flow_decide(f->s, chal, STORE_FLOW_LOGIN, T0 + 1,
	                                   STORE_FLOW_ACCEPTED, "{\"subject\":\"u\"}", ver, &err),
	                 ST_OK);
	assert_int_equal(store_flow_decide(f->s, chal, STORE_FLOW_LOGIN, T0 + 2,
	                                   STORE_FLOW_REJECTED, "{}", other, &err),
	                 ST_NOT_FOUND);
	/* The wrong browser, or the wrong kind, gets nothing, and the verifier stays good. */
	assert_int_equal(store_flow_consume(f->s, ver, STORE_FLOW_LOGIN, other, T0 + 3, f->arena,
	                                    &out, &err),
	                 ST_NOT_FOUND);
	assert_int_equal(store_flow_consume(f->s, ver, STORE_FLOW_CONSENT, bind, T0 + 3, f->arena,
	                                    &out, &err),
	                 ST_NOT_FOUND);
	assert_int_equal(
	        store_flow_consume(f->s, ver, STORE_FLOW_LOGIN, bind, T0 + 3, f->arena, &out, &err),
	        ST_OK);
	assert_int_equal(out.status, STORE_FLOW_USED);
	assert_string_equal(out.result, "{\"subject\":\"u\"}");
	assert_int_equal(
	        store_flow_consume(f->s, ver, STORE_FLOW_LOGIN, bind, T0 + 4, f->arena, &out, &err),
	        ST_NOT_FOUND);
}

static void
test_flow_expiry_and_sweep(void **state)
{
	struct fixture *f = *state;
	struct store_flow fl = pending(), out;
	struct err err = {0};
	int64_t deleted = 0;

	assert_int_equal(store_flow_insert(f->s, &fl, &err), ST_OK);
	assert_int_equal(store_flow_decide(f->s, chal, STORE_FLOW_LOGIN, T0 + TTL,
	                                   STORE_FLOW_ACCEPTED, "{}", ver, &err),
	                 ST_NOT_FOUND);
	assert_int_equal(store_flow_decide(f->s, chal, STORE_FLOW_LOGIN, T0 + TTL - 1,
	                                   STORE_FLOW_ACCEPTED, "{}", ver, &err),
	                 ST_OK);
	assert_int_equal(store_flow_consume(f->s, ver, STORE_FLOW_LOGIN, bind, T0 + TTL, f->arena,
	                                    &out, &err),
	                 ST_NOT_FOUND);
	assert_int_equal(store_sweep(f->s, T0 + TTL, 100, &deleted, &err), ST_OK);
	assert_int_equal(store_flow_get(f->s, chal, STORE_FLOW_LOGIN, f->arena, &out, &err),
	                 ST_NOT_FOUND);
}

static void
test_user_ensure_once_and_consents_per_user(void **state)
{
	struct fixture *f = *state;
	struct store_client c = {.id = "c1", .metadata = "{}", .created_at = 1, .updated_at = 1};
	struct store_consent consent = {.user_id = "ext-1",
	                                .client_id = "c1",
	                                .scopes = "openid email",
	                                .granted_at = T0,
	                                .expires_at = T0 + 60};
	struct store_consent *list;
	struct store_user u;
	struct err err = {0};
	size_t n;

	assert_int_equal(store_user_ensure(f->s, "ext-1", "external:x", T0, &err), ST_OK);
	assert_int_equal(store_user_ensure(f->s, "ext-1", "external:x", T0 + 1, &err), ST_OK);
	assert_int_equal(store_user_get(f->s, "ext-1", f->arena, &u, &err), ST_OK);
	assert_string_equal(u.username, "external:x");
	assert_int_equal(store_client_insert(f->s, &c, &err), ST_OK);
	assert_int_equal(store_consent_upsert(f->s, &consent, &err), ST_OK);
	assert_int_equal(store_consent_list(f->s, "ext-1", T0, f->arena, &list, &n, &err), ST_OK);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].scopes, "openid email");
	assert_int_equal(store_consent_list(f->s, "ext-1", T0 + 60, f->arena, &list, &n, &err),
	                 ST_OK);
	assert_int_equal(n, 0); /* expired */
	assert_int_equal(store_consent_delete_user(f->s, "ext-1", &err), ST_OK);
	assert_int_equal(store_consent_list(f->s, "ext-1", T0, f->arena, &list, &n, &err), ST_OK);
	assert_int_equal(n, 0);
}

static void
test_forced_subject_is_kept_per_client_and_user_and_replaced(void **state)
{
	struct fixture *f = *state;
	struct store_client c1 = {.id = "c1", .metadata = "{}", .created_at = 1, .updated_at = 1};
	struct store_client c2 = {.id = "c2", .metadata = "{}", .created_at = 1, .updated_at = 1};
	struct err err = {0};
	const char *sub = NULL;

	assert_int_equal(store_user_ensure(f->s, "ext-1", "external:x", T0, &err), ST_OK);
	assert_int_equal(store_client_insert(f->s, &c1, &err), ST_OK);
	assert_int_equal(store_client_insert(f->s, &c2, &err), ST_OK);
	assert_int_equal(store_forced_subject_get(f->s, "c1", "ext-1", f->arena, &sub, &err),
	                 ST_NOT_FOUND);
	assert_int_equal(store_forced_subject_put(f->s, "c1", "ext-1", "pw-a", T0, &err), ST_OK);
	assert_int_equal(store_forced_subject_get(f->s, "c1", "ext-1", f->arena, &sub, &err),
	                 ST_OK);
	assert_string_equal(sub, "pw-a");
	/* Per client: c2 has none. */
	assert_int_equal(store_forced_subject_get(f->s, "c2", "ext-1", f->arena, &sub, &err),
	                 ST_NOT_FOUND);
	/* A later force replaces the earlier one. */
	assert_int_equal(store_forced_subject_put(f->s, "c1", "ext-1", "pw-b", T0 + 1, &err),
	                 ST_OK);
	assert_int_equal(store_forced_subject_get(f->s, "c1", "ext-1", f->arena, &sub, &err),
	                 ST_OK);
	assert_string_equal(sub, "pw-b");
	/* Unknown client or user: the foreign keys refuse it. */
	assert_int_equal(store_forced_subject_put(f->s, "nope", "ext-1", "pw", T0, &err),
	                 ST_INVALID);
	assert_int_equal(store_forced_subject_put(f->s, "c1", "nobody", "pw", T0, &err),
	                 ST_INVALID);
	/* Deleting the client forgets its forced subjects. */
	assert_int_equal(store_client_delete(f->s, "c1", NULL, &err), ST_OK);
	assert_int_equal(store_forced_subject_get(f->s, "c1", "ext-1", f->arena, &sub, &err),
	                 ST_NOT_FOUND);
}

static void
test_consent_without_expiry_is_listed_forever(void **state)
{
	struct fixture *f = *state;
	struct store_client c = {.id = "c1", .metadata = "{}", .created_at = 1, .updated_at = 1};
	struct store_consent consent = {.user_id = "ext-1",
	                                .client_id = "c1",
	                                .scopes = "openid",
	                                .granted_at = T0,
	                                .expires_at = 0};
	struct store_consent *list, one;
	struct err err = {0};
	int64_t deleted = 0;
	size_t n;

	assert_int_equal(store_user_ensure(f->s, "ext-1", "external:x", T0, &err), ST_OK);
	assert_int_equal(store_client_insert(f->s, &c, &err), ST_OK);
	assert_int_equal(store_consent_upsert(f->s, &consent, &err), ST_OK);
	assert_int_equal(store_sweep(f->s, T0 + 100LL * 365 * 86400, 100, &deleted, &err), ST_OK);
	assert_int_equal(store_consent_get(f->s, "ext-1", "c1", T0 + 100LL * 365 * 86400, f->arena,
	                                   &one, &err),
	                 ST_OK);
	assert_int_equal(one.expires_at, 0);
	assert_int_equal(store_consent_list(f->s, "ext-1", T0 + 100LL * 365 * 86400, f->arena,
	                                    &list, &n, &err),
	                 ST_OK);
	assert_int_equal(n, 1);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, fixture_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        T(test_flow_is_answered_once_and_its_verifier_honoured_once_for_its_browser),
	        T(test_flow_expiry_and_sweep),
	        T(test_user_ensure_once_and_consents_per_user),
	        T(test_forced_subject_is_kept_per_client_and_user_and_replaced),
	        T(test_consent_without_expiry_is_listed_forever),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
