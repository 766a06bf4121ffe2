/*
 * server/users_test.c — the user service: the validation table of the
 * OIDC Core §5.1 claims, usernames and passwords; create/replace/password/
 * delete on a ":memory:" store (passwords only as scrypt hashes, never in a
 * view); the --dev demo user made once; and /admin/users driven through the
 * router with in-memory requests (no sockets).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "crypto/secret.h"
#include "server/handlers.h"
#include "server/users.h"

#define NOW 1800000000

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
	struct store_options so = {0};
	struct err err;

	assert_int_equal(config_load(NULL, NULL, o, 2, false, &f->cfg, &err), ST_OK);
	assert_int_equal(store_open(":memory:", &so, &f->app.store, &err), ST_OK);
	assert_int_equal(store_migrate(f->app.store, NULL, &err), ST_OK);
	f->app.cfg = &f->cfg;
	f->app.issuer = f->cfg.issuer;
	f->app.clock.fixed_secs = NOW;
	f->arena = arena_new();
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	arena_free(f->arena);
	store_close(f->app.store);
	config_free(&f->cfg);
	test_free(f);
	return 0;
}

static json_t *
parse(const char *text)
{
	json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, NULL);

	assert_non_null(j);
	return j;
}

/* ---- validation ---- */

static void
test_username_syntax_is_1_to_64_of_a_small_alphabet(void **state)
{
	static const char *const good[] = {"a", "alice", "Alice.Smith", "a_b-c+d@example.com",
	                                   "0123456789"};
	static const char *const bad[] = {"",       "with space", "tab\t",   "slash/",
	                                  "colon:", "ünï",        "quote\"", NULL};
	char max[USERS_USERNAME_MAX + 2];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof good / sizeof good[0]; i++)
		assert_true(users_is_valid_username(good[i]));
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_false(users_is_valid_username(bad[i]));
	memset(max, 'x', sizeof max);
	max[USERS_USERNAME_MAX] = '\0';
	assert_true(users_is_valid_username(max));
	max[USERS_USERNAME_MAX] = 'x';
	max[USERS_USERNAME_MAX + 1] = '\0';
	assert_false(users_is_valid_username(max));
}

static void
test_password_is_8_to_1024_bytes_without_nul(void **state)
{
	static char pw[USERS_PASSWORD_MAX + 1];
	struct user_problem p;

	(void)state;
	memset(pw, 'p', sizeof pw);
	assert_int_equal(users_check_password(pw, 7, &p), ST_INVALID);
	assert_non_null(strstr(p.description, "password"));
	assert_int_equal(users_check_password(pw, 8, &p), ST_OK);
	assert_int_equal(users_check_password(pw, USERS_PASSWORD_MAX, &p), ST_OK);
	assert_int_equal(users_check_password(pw, USERS_PASSWORD_MAX + 1, &p), ST_INVALID);
	assert_int_equal(users_check_password("abcd\0efgh", 9, &p), ST_INVALID);
	assert_non_null(strstr(p.description, "NUL"));
}

struct claims_case {
	const char *doc;
	const char *problem; /* NULL: accepted; else a substring of the description */
};

static const struct claims_case claims_cases[] = {
        {"{}",                                                                                NULL                                          },
        {"{\"name\":\"Jane Doe\",\"given_name\":\"Jane\",\"family_name\":\"Doe\","
         "\"middle_name\":\"Q\",\"nickname\":\"JD\",\"preferred_username\":\"j.doe\","
         "\"gender\":\"female\"}",                                                   NULL                                          },
        {"{\"profile\":\"https://example.com/jane\",\"picture\":\"http://example.com/j.png\","
         "\"website\":\"https://jane.example.org/\"}",                               NULL                                          },
        {"{\"email\":\"jane@example.com\",\"email_verified\":true}",                          NULL                                          },
        {"{\"phone_number\":\"+1 (425) 555-1212;ext=5678\",\"phone_number_verified\":false}", NULL                                          },
        {"{\"birthdate\":\"1999\"}",                                                          NULL                                          },
        {"{\"birthdate\":\"2000-02-29\"}",                                                    NULL                                          },
        {"{\"birthdate\":\"0000-12-24\"}",                                                    NULL                                          },
        {"{\"zoneinfo\":\"America/Argentina/Buenos_Aires\",\"locale\":\"zh-Hant-TW\"}",       NULL                                          },
        {"{\"zoneinfo\":\"Etc/GMT+5\",\"locale\":\"en_US\"}",                                 NULL                                          },
        {"{\"address\":{\"formatted\":\"1 Main St\\nSpringfield\",\"street_address\":"
         "\"1 Main St\\r\\nApt 2\",\"locality\":\"Springfield\",\"region\":\"IL\","
         "\"postal_code\":\"62701\",\"country\":\"US\"}}",                           NULL                                          },
        {"{\"name\":null,\"address\":null}",                                                  NULL                                          },
 /* types */
        {"{\"name\":42}",                                                                     "name: must be a string"                      },
        {"{\"email_verified\":\"true\"}",                                                     "email_verified: must be true or false"       },
        {"{\"phone_number_verified\":1}",                                                     "phone_number_verified: must be true or false"},
        {"{\"address\":\"1 Main St\"}",                                                       "address: must be an object"                  },
        {"{\"address\":{\"locality\":7}}",                                                    "address.locality: must be a string"          },
        {"{\"address\":{\"planet\":\"Earth\"}}",                                              "address.planet: unknown member"              },
        {"{\"given_name\":[\"Jane\"]}",                                                       "given_name: must be a string"                },
 /* unknown members, named */
        {"{\"favourite_colour\":\"blue\"}",                                                   "favourite_colour: unknown member"            },
        {"{\"sub\":\"x\"}",                                                                   "sub: unknown member"                         },
        {"{\"updated_at\":1}",                                                                "updated_at: unknown member"                  },
 /* text */
        {"{\"name\":\"\"}",                                                                   "name: must not be empty"                     },
        {"{\"name\":\"a\\u0000b\"}",                                                          "name: must not contain NUL"                  },
        {"{\"name\":\"line\\nbreak\"}",                                                       "name: must not contain control characters"   },
        {"{\"address\":{\"locality\":\"a\\nb\"}}",                                            "address.locality: must not contain"          },
 /* URLs */
        {"{\"profile\":\"example.com/jane\"}",                                                "profile: must be an absolute http or https"  },
        {"{\"picture\":\"ftp://example.com/j.png\"}",                                         "picture: must be an absolute http"           },
        {"{\"website\":\"javascript:alert(1)\"}",                                             "website: must be an absolute http"           },
        {"{\"website\":\"https:///nohost\"}",                                                 "website: must be an absolute http"           },
        {"{\"profile\":\"https://exa mple.com/\"}",                                           "profile: must be an absolute http"           },
 /* email */
        {"{\"email\":\"jane.example.com\"}",                                                  "email: must be an e-mail address"            },
        {"{\"email\":\"a@b@c\"}",                                                             "email: must be an e-mail address"            },
        {"{\"email\":\"@example.com\"}",                                                      "email: must be an e-mail address"            },
        {"{\"email\":\"jane@\"}",                                                             "email: must be an e-mail address"            },
        {"{\"email\":\"ja ne@example.com\"}",                                                 "email: must be an e-mail address"            },
 /* birthdate */
        {"{\"birthdate\":\"0000\"}",                                                          "birthdate: must be YYYY or YYYY-MM-DD"       },
        {"{\"birthdate\":\"99\"}",                                                            "birthdate:"                                  },
        {"{\"birthdate\":\"1999-13-01\"}",                                                    "birthdate:"                                  },
        {"{\"birthdate\":\"1999-02-29\"}",                                                    "birthdate:"                                  },
        {"{\"birthdate\":\"1999-04-31\"}",                                                    "birthdate:"                                  },
        {"{\"birthdate\":\"1999/01/01\"}",                                                    "birthdate:"                                  },
        {"{\"birthdate\":\"1999-1-1\"}",                                                      "birthdate:"                                  },
 /* zoneinfo, locale, phone */
        {"{\"zoneinfo\":\"Europe/Paris Time\"}",                                              "zoneinfo:"                                   },
        {"{\"zoneinfo\":\"/etc/localtime\"}",                                                 "zoneinfo:"                                   },
        {"{\"locale\":\"e\"}",                                                                "locale:"                                     },
        {"{\"locale\":\"en--US\"}",                                                           "locale:"                                     },
        {"{\"locale\":\"en-US-\"}",                                                           "locale:"                                     },
        {"{\"locale\":\"1en\"}",                                                              "locale:"                                     },
        {"{\"phone_number\":\"call me\"}",                                                    "phone_number:"                               },
        {"{\"phone_number\":\"+1 555 \\u00e9\"}",                                             "phone_number:"                               },
 /* not an object */
        {"[]",                                                                                "must be a JSON object"                       },
        {"\"name\"",                                                                          "must be a JSON object"                       },
};

static void
test_claims_validation_table(void **state)
{
	struct fixture *f = *state;
	size_t i;

	for (i = 0; i < sizeof claims_cases / sizeof claims_cases[0]; i++) {
		const struct claims_case *c = &claims_cases[i];
		json_t *in = json_loads(c->doc, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
		json_t *out = NULL;
		struct user_problem p;
		enum status st;

		if (in == NULL)
			fail_msg("case %zu does not parse: %s", i, c->doc);
		memset(&p, 0, sizeof p);
		st = users_validate_claims(in, f->arena, &out, &p);
		if (c->problem == NULL && st != ST_OK)
			fail_msg("case %zu %s: rejected: %s", i, c->doc, p.description);
		if (c->problem != NULL && st != ST_INVALID)
			fail_msg("case %zu %s: accepted", i, c->doc);
		if (c->problem != NULL && strstr(p.description, c->problem) == NULL)
			fail_msg("case %zu %s: \"%s\" lacks \"%s\"", i, c->doc, p.description,
			         c->problem);
		if (c->problem != NULL)
			assert_int_equal(p.error, OAUTH_INVALID_REQUEST);
		json_decref(out);
		json_decref(in);
	}
}

static void
test_claims_drop_nulls_and_an_empty_address(void **state)
{
	struct fixture *f = *state;
	json_t *in = parse("{\"name\":\"N\",\"nickname\":null,\"address\":{\"country\":null}}");
	json_t *out = NULL;
	struct user_problem p;

	assert_int_equal(users_validate_claims(in, f->arena, &out, &p), ST_OK);
	assert_int_equal(json_object_size(out), 1);
	assert_string_equal(json_string_value(json_object_get(out, "name")), "N");
	json_decref(out);
	json_decref(in);
}

static void
test_claims_reject_overlong_strings(void **state)
{
	struct fixture *f = *state;
	char big[2050];
	json_t *in, *out = NULL;
	struct user_problem p;

	memset(big, 'a', sizeof big);
	big[2048] = '\0';
	in = json_pack("{s:s}", "name", big);
	assert_int_equal(users_validate_claims(in, f->arena, &out, &p), ST_OK);
	json_decref(out);
	json_decref(in);
	big[2048] = 'a';
	big[2049] = '\0';
	in = json_pack("{s:s}", "name", big);
	assert_int_equal(users_validate_claims(in, f->arena, &out, &p), ST_INVALID);
	assert_non_null(strstr(p.description, "at most 2048 bytes"));
	json_decref(in);
}

/* ---- the service on a store ---- */

/* Creates a user from a document; asserts success. */
static json_t *
create(struct fixture *f, const char *doc)
{
	json_t *in = parse(doc), *out = NULL;
	struct user_problem p;
	struct err err;
	enum status st = users_create(&f->app, in, NULL, 0, f->arena, &out, &p, &err);

	if (st != ST_OK)
		fail_msg("create %s: %s %s", doc, p.description, err.msg);
	json_decref(in);
	return out;
}

/* hashers.scrypt_log_n sets the cost of new hashes (cheap logins in test suites). */
static void
test_scrypt_cost_follows_the_config(void **state)
{
	struct fixture *f = *state;
	json_t *view;
	struct store_user row;
	struct err err;
	bool ok = false;

	f->cfg.hashers_scrypt_log_n = 10;
	view = create(f, "{\"username\":\"cheap\",\"password\":\"correct horse\"}");
	assert_int_equal(store_user_get(f->app.store,
	                                json_string_value(json_object_get(view, "id")), f->arena,
	                                &row, &err),
	                 ST_OK);
	assert_int_equal(strncmp(row.password_hash, "$scrypt$ln=10,", 14), 0);
	assert_int_equal(secret_scrypt_verify("correct horse", 13, row.password_hash, &ok, &err),
	                 ST_OK);
	assert_true(ok);
	json_decref(view);
}

static void
test_create_stores_a_scrypt_hash_and_never_renders_the_password(void **state)
{
	struct fixture *f = *state;
	json_t *view = create(f, "{\"username\":\"alice\",\"password\":\"correct horse\","
	                         "\"name\":\"Alice\",\"email\":\"alice@example.com\"}");
	struct store_user row;
	struct err err;
	bool ok = false;
	char *text;

	assert_string_equal(json_string_value(json_object_get(view, "username")), "alice");
	assert_string_equal(json_string_value(json_object_get(view, "name")), "Alice");
	assert_int_equal(json_integer_value(json_object_get(view, "created_at")), NOW);
	assert_int_equal(json_integer_value(json_object_get(view, "updated_at")), NOW);
	assert_int_equal(strlen(json_string_value(json_object_get(view, "id"))), 36);
	text = json_dumps(view, 0);
	assert_null(strstr(text, "password"));
	assert_null(strstr(text, "correct horse"));
	assert_null(strstr(text, "scrypt"));
	free(text);

	assert_int_equal(store_user_get(f->app.store,
	                                json_string_value(json_object_get(view, "id")), f->arena,
	                                &row, &err),
	                 ST_OK);
	/* The default cost (hashers.scrypt_log_n = 15). */
	assert_int_equal(strncmp(row.password_hash, "$scrypt$ln=15,", 14), 0);
	assert_null(strstr(row.claims, "password"));
	assert_int_equal(secret_scrypt_verify("correct horse", 13, row.password_hash, &ok, &err),
	                 ST_OK);
	assert_true(ok);
	json_decref(view);
}

static void
test_create_refuses_missing_or_bad_account_members(void **state)
{
	static const struct claims_case cases[] = {
	        {"{\"password\":\"long enough\"}",                                         "username: is required"      },
	        {"{\"username\":\"bob\"}",	                                         "password: is required"      },
	        {"{\"username\":\"bob\",\"password\":\"short\"}",                          "password: must be 8 to 1024"},
	        {"{\"username\":\"bob\",\"password\":12345678}",                           "password: must be a string" },
	        {"{\"username\":\"b o b\",\"password\":\"long enough\"}",                  "username: must be"          },
	        {"{\"username\":7,\"password\":\"long enough\"}",                          "username: must be"          },
	        {"{\"id\":\"x\",\"username\":\"bob\",\"password\":\"long enough\"}",
	         "id: is chosen by the server"	                                                                  },
	        {"{\"username\":\"bob\",\"password\":\"long enough\",\"role\":\"admin\"}",
	         "role: unknown member"	                                                                         },
	};
	struct fixture *f = *state;
	struct user_change c;
	int64_t count = -1;
	struct err err;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_t *in = parse(cases[i].doc);
		struct user_problem p;

		memset(&p, 0, sizeof p);
		assert_int_equal(users_prepare_create(&f->app, in, NULL, 0, f->arena, &c, &p, &err),
		                 ST_INVALID);
		if (strstr(p.description, cases[i].problem) == NULL)
			fail_msg("%s: \"%s\" lacks \"%s\"", cases[i].doc, p.description,
			         cases[i].problem);
		json_decref(in);
	}
	assert_int_equal(store_user_count(f->app.store, &count, &err), ST_OK);
	assert_int_equal(count, 0);
}

static void
test_create_with_an_outside_password_refuses_one_in_the_document(void **state)
{
	struct fixture *f = *state;
	json_t *in = parse("{\"username\":\"bob\",\"password\":\"in the document\"}");
	struct user_change c;
	struct user_problem p;
	struct err err;

	assert_int_equal(
	        users_prepare_create(&f->app, in, "from a prompt", 13, f->arena, &c, &p, &err),
	        ST_INVALID);
	assert_non_null(strstr(p.description, "password:"));
	json_decref(in);
}

static void
test_duplicate_username_ignoring_case_is_a_conflict(void **state)
{
	struct fixture *f = *state;
	json_t *a = create(f, "{\"username\":\"alice\",\"password\":\"password-1\"}");
	json_t *in = parse("{\"username\":\"ALICE\",\"password\":\"password-2\"}"), *out = NULL;
	struct user_problem p;
	struct err err;

	assert_int_equal(users_create(&f->app, in, NULL, 0, f->arena, &out, &p, &err), ST_INVALID);
	assert_int_equal(p.error, OAUTH_CONFLICT);
	assert_non_null(strstr(p.description, "username"));
	assert_null(out);
	json_decref(in);
	json_decref(a);
}

static void
test_replace_is_full_for_claims_and_keeps_username_and_password_when_absent(void **state)
{
	struct fixture *f = *state;
	json_t *a = create(f, "{\"username\":\"alice\",\"password\":\"password-1\","
	                      "\"name\":\"Alice\",\"nickname\":\"Al\"}");
	const char *id = json_string_value(json_object_get(a, "id"));
	json_t *in, *out = NULL;
	struct store_user before, after;
	struct user_problem p;
	struct err err;

	assert_int_equal(store_user_get(f->app.store, id, f->arena, &before, &err), ST_OK);
	f->app.clock.fixed_secs = NOW + 60;
	/* A rendered user fed back: id, created_at and updated_at are echoes. */
	json_object_set_new(a, "name", json_string("Alice B."));
	json_object_del(a, "nickname");
	json_object_del(a, "username");
	assert_int_equal(users_replace(&f->app, &before, a, f->arena, &out, &p, &err), ST_OK);
	assert_string_equal(json_string_value(json_object_get(out, "name")), "Alice B.");
	assert_null(json_object_get(out, "nickname"));
	assert_string_equal(json_string_value(json_object_get(out, "username")), "alice");
	assert_int_equal(json_integer_value(json_object_get(out, "created_at")), NOW);
	assert_int_equal(json_integer_value(json_object_get(out, "updated_at")), NOW + 60);
	assert_int_equal(store_user_get(f->app.store, id, f->arena, &after, &err), ST_OK);
	assert_string_equal(after.password_hash, before.password_hash);
	assert_string_equal(after.username, "alice");
	json_decref(out);

	in = parse("{\"id\":\"someone-else\"}");
	assert_int_equal(users_replace(&f->app, &after, in, f->arena, &out, &p, &err), ST_INVALID);
	assert_non_null(strstr(p.description, "id: does not match"));
	json_decref(in);
	json_decref(a);
}

static void
test_rename_to_a_taken_username_is_a_conflict(void **state)
{
	struct fixture *f = *state;
	json_t *a = create(f, "{\"username\":\"alice\",\"password\":\"password-1\"}");
	json_t *b = create(f, "{\"username\":\"bob\",\"password\":\"password-2\"}");
	json_t *in = parse("{\"username\":\"Alice\"}"), *out = NULL;
	struct store_user row;
	struct user_problem p;
	struct err err;

	assert_int_equal(store_user_get_by_username(f->app.store, "bob", f->arena, &row, &err),
	                 ST_OK);
	assert_int_equal(users_replace(&f->app, &row, in, f->arena, &out, &p, &err), ST_INVALID);
	assert_int_equal(p.error, OAUTH_CONFLICT);
	json_decref(in);
	json_decref(a);
	json_decref(b);
}

static void
test_new_password_replaces_the_hash_and_ends_sessions(void **state)
{
	struct fixture *f = *state;
	json_t *a = create(f, "{\"username\":\"alice\",\"password\":\"password-1\"}");
	const char *id = json_string_value(json_object_get(a, "id"));
	unsigned char hash[STORE_HASH_LEN] = {1};
	struct store_session sess = {0}, got;
	struct store_user row;
	struct user_problem p;
	struct err err;
	bool ok = true;

	sess.id_hash = hash;
	sess.sid = "sid-1";
	sess.user_id = id;
	sess.auth_time = NOW;
	sess.amr = "pwd";
	sess.acr = "0";
	sess.created_at = NOW;
	sess.expires_at = NOW + 3600;
	assert_int_equal(store_session_insert(f->app.store, &sess, &err), ST_OK);

	assert_int_equal(users_set_password(&f->app, id, "short", 5, f->arena, &p, &err),
	                 ST_INVALID);
	assert_int_equal(users_set_password(&f->app, id, "password-2", 10, f->arena, &p, &err),
	                 ST_OK);
	assert_int_equal(store_user_get(f->app.store, id, f->arena, &row, &err), ST_OK);
	assert_int_equal(secret_scrypt_verify("password-1", 10, row.password_hash, &ok, &err),
	                 ST_OK);
	assert_false(ok);
	assert_int_equal(
	        store_session_get_active(f->app.store, hash, NOW + 1, f->arena, &got, &err),
	        ST_NOT_FOUND);
	assert_int_equal(
	        users_set_password(&f->app, "nobody", "password-3", 10, f->arena, &p, &err),
	        ST_NOT_FOUND);
	json_decref(a);
}

static void
test_delete_removes_the_user_once(void **state)
{
	struct fixture *f = *state;
	json_t *a = create(f, "{\"username\":\"alice\",\"password\":\"password-1\"}");
	const char *id = json_string_value(json_object_get(a, "id"));
	struct err err;

	assert_int_equal(users_delete(&f->app, id, &err), ST_OK);
	assert_int_equal(users_delete(&f->app, id, &err), ST_NOT_FOUND);
	json_decref(a);
}

static void
test_claims_of_a_user_carry_updated_at_and_no_account_members(void **state)
{
	struct store_user row = {"id-1", "alice", "$scrypt$x", "{\"name\":\"A\"}", 10, 20};
	json_t *c = NULL;
	struct err err;

	(void)state;
	assert_int_equal(users_claims(&row, &c, &err), ST_OK);
	assert_int_equal(json_object_size(c), 2);
	assert_string_equal(json_string_value(json_object_get(c, "name")), "A");
	assert_int_equal(json_integer_value(json_object_get(c, "updated_at")), 20);
	json_decref(c);
	row.claims = "[1]";
	assert_int_equal(users_claims(&row, &c, &err), ST_IO);
	assert_int_equal(users_render(&row, &c, &err), ST_IO);
}

static void
test_forget_password_wipes_the_member_in_place(void **state)
{
	json_t *doc = parse("{\"password\":\"hunter22\"}");
	const char *s = json_string_value(json_object_get(doc, "password"));

	(void)state;
	users_forget_password(doc);
	assert_memory_equal(s, "\0\0\0\0\0\0\0\0", 8);
	users_forget_password(NULL);
	json_decref(doc);
}

static void
test_dev_bootstrap_creates_the_demo_user_only_in_an_empty_store(void **state)
{
	struct fixture *f = *state;
	struct config dev = f->cfg;
	struct store_user row;
	int64_t count = 0;
	struct err err;

	assert_int_equal(users_dev_bootstrap(&f->cfg, f->app.store, NOW, &err), ST_OK);
	assert_int_equal(store_user_count(f->app.store, &count, &err), ST_OK);
	assert_int_equal(count, 0); /* not --dev */

	dev.is_dev = true;
	assert_int_equal(users_dev_bootstrap(&dev, f->app.store, NOW, &err), ST_OK);
	assert_int_equal(store_user_get_by_username(f->app.store, "demo", f->arena, &row, &err),
	                 ST_OK);
	assert_non_null(strstr(row.claims, "\"email_verified\":true"));
	assert_non_null(strstr(row.claims, "Demo User"));
	assert_int_equal(users_dev_bootstrap(&dev, f->app.store, NOW, &err), ST_OK);
	assert_int_equal(store_user_count(f->app.store, &count, &err), ST_OK);
	assert_int_equal(count, 1);
}

/* ---- /admin/users through the router ---- */

static struct response
dispatch(struct fixture *f, enum http_method method, const char *path, const char *query,
         const char *body, struct request *req)
{
	struct response res;

	memset(req, 0, sizeof *req);
	req->arena = f->arena;
	req->method = method;
	req->path = path;
	req->is_admin = true;
	strcpy(req->id, "test");
	if (query != NULL)
		assert_int_equal(form_parse(query, strlen(query), f->arena, &req->query, NULL),
		                 ST_OK);
	if (body != NULL) {
		/* The handler wipes the body: it must be the request's own copy. */
		req->body = arena_strdup(f->arena, body);
		req->body_len = strlen(body);
		req->content_type = "application/json";
	}
	router_dispatch(&f->app, routes_admin, routes_admin_count, req, &res);
	return res;
}

static json_t *
body_json(const struct response *res)
{
	json_t *j = json_loadb(res->body, res->body_len, 0, NULL);

	assert_non_null(j);
	return j;
}

static const char *
header(const struct response *res, const char *name)
{
	size_t i;

	for (i = 0; i < res->nheaders; i++)
		if (strcmp(res->headers[i].name, name) == 0)
			return res->headers[i].value;
	return NULL;
}

static void
test_admin_create_answers_201_with_location_and_wipes_the_body(void **state)
{
	static const char body[] = "{\"username\":\"carol\",\"password\":\"s3cret-passw0rd\"}";
	struct fixture *f = *state;
	struct request req;
	struct response res = dispatch(f, HTTP_POST, "/admin/users", NULL, body, &req);
	json_t *j;
	char want[64];
	size_t i;

	assert_int_equal(res.status, 201);
	j = body_json(&res);
	snprintf(want, sizeof want, "/admin/users/%s", json_string_value(json_object_get(j, "id")));
	assert_string_equal(header(&res, "Location"), want);
	assert_null(strstr(res.body, "s3cret"));
	assert_null(json_object_get(j, "password"));
	for (i = 0; i < req.body_len; i++)
		assert_int_equal(req.body[i], 0);
	json_decref(j);

	res = dispatch(f, HTTP_POST, "/admin/users", NULL, body, &req);
	assert_int_equal(res.status, 409);
	res = dispatch(f, HTTP_POST, "/admin/users", NULL, "{\"username\":\"dave\"}", &req);
	assert_int_equal(res.status, 400);
	res = dispatch(f, HTTP_POST, "/admin/users", NULL, "not json", &req);
	assert_int_equal(res.status, 400);
}

static void
test_admin_list_pages_by_username_with_link_and_total(void **state)
{
	struct fixture *f = *state;
	struct request req;
	struct response res;
	const char *link;
	char query[128];
	json_t *j;

	json_decref(create(f, "{\"username\":\"bravo\",\"password\":\"password-1\"}"));
	json_decref(create(f, "{\"username\":\"Alpha\",\"password\":\"password-2\"}"));
	res = dispatch(f, HTTP_GET, "/admin/users", "page_size=1", NULL, &req);
	assert_int_equal(res.status, 200);
	assert_string_equal(header(&res, "X-Total-Count"), "2");
	j = body_json(&res);
	assert_int_equal(json_array_size(j), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "username")),
	                    "Alpha");
	json_decref(j);
	link = header(&res, "Link");
	assert_non_null(link);
	assert_int_equal(sscanf(link, "</admin/users?%127[^>]>", query), 1);

	res = dispatch(f, HTTP_GET, "/admin/users", query, NULL, &req);
	assert_int_equal(res.status, 200);
	assert_null(header(&res, "Link"));
	j = body_json(&res);
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "username")),
	                    "bravo");
	json_decref(j);

	res = dispatch(f, HTTP_GET, "/admin/users", "page_size=0", NULL, &req);
	assert_int_equal(res.status, 400);
	res = dispatch(f, HTTP_GET, "/admin/users", "page_token=%25%25", NULL, &req);
	assert_int_equal(res.status, 400);
}

static void
test_admin_get_update_delete_and_404(void **state)
{
	struct fixture *f = *state;
	json_t *a = create(f, "{\"username\":\"erin\",\"password\":\"password-1\"}");
	const char *id = json_string_value(json_object_get(a, "id"));
	const char *path = arena_printf(f->arena, "/admin/users/%s", id);
	struct request req;
	struct response res;

	res = dispatch(f, HTTP_GET, path, NULL, NULL, &req);
	assert_int_equal(res.status, 200);
	assert_null(strstr(res.body, "scrypt"));
	res = dispatch(f, HTTP_PUT, path, NULL,
	               "{\"username\":\"erin2\",\"password\":\"password-2\",\"locale\":\"fr-CA\"}",
	               &req);
	assert_int_equal(res.status, 200);
	assert_non_null(strstr(res.body, "\"erin2\""));
	assert_null(strstr(res.body, "password"));
	res = dispatch(f, HTTP_PUT, path, NULL, "{\"locale\":1}", &req);
	assert_int_equal(res.status, 400);
	res = dispatch(f, HTTP_DELETE, path, NULL, NULL, &req);
	assert_int_equal(res.status, 204);
	res = dispatch(f, HTTP_GET, path, NULL, NULL, &req);
	assert_int_equal(res.status, 404);
	res = dispatch(f, HTTP_PUT, path, NULL, "{}", &req);
	assert_int_equal(res.status, 404);
	res = dispatch(f, HTTP_DELETE, path, NULL, NULL, &req);
	assert_int_equal(res.status, 404);
	json_decref(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_username_syntax_is_1_to_64_of_a_small_alphabet),
	        cmocka_unit_test(test_password_is_8_to_1024_bytes_without_nul),
	        cmocka_unit_test_setup_teardown(test_claims_validation_table, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_claims_drop_nulls_and_an_empty_address, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_claims_reject_overlong_strings, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(
	                test_create_stores_a_scrypt_hash_and_never_renders_the_password, setup,
	                teardown),
	        cmocka_unit_test_setup_teardown(test_scrypt_cost_follows_the_config, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_create_refuses_missing_or_bad_account_members,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_create_with_an_outside_password_refuses_one_in_the_document, setup,
	                teardown),
	        cmocka_unit_test_setup_teardown(test_duplicate_username_ignoring_case_is_a_conflict,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_replace_is_full_for_claims_and_keeps_username_and_password_when_absent,
	                setup, teardown),
	        cmocka_unit_test_setup_teardown(test_rename_to_a_taken_username_is_a_conflict,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_new_password_replaces_the_hash_and_ends_sessions, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_delete_removes_the_user_once, setup, teardown),
	        cmocka_unit_test(test_claims_of_a_user_carry_updated_at_and_no_account_members),
	        cmocka_unit_test(test_forget_password_wipes_the_member_in_place),
	        cmocka_unit_test_setup_teardown(
	                test_dev_bootstrap_creates_the_demo_user_only_in_an_empty_store, setup,
	                teardown),
	        cmocka_unit_test_setup_teardown(
	                test_admin_create_answers_201_with_location_and_wipes_the_body, setup,
	                teardown),
	        cmocka_unit_test_setup_teardown(
	                test_admin_list_pages_by_username_with_link_and_total, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_admin_get_update_delete_and_404, setup,
	                                        teardown),
	};

	log_setup(LOG_ERROR, LOG_FORMAT_TEXT); /* the demo user's warning is not test output */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
