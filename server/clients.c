/*
 * server/clients.c — the client service. See clients.h.
 *
 * Invariants:
 * - A secret or registration token exists in the clear only in the one
 *   response that hands it out; storage keeps keyed hashes (secrets.h).
 * - Every write is one statement (store.h): a replace racing a delete
 *   leaves the replaced client or none.
 * - The stored document never holds id, secret, token or timestamps; they
 *   are added by render().
 */
#include "server/clients.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "crypto/jwk.h"
#include "crypto/random.h"
#include "crypto/secret.h"
#include "server/fetch.h"
#include "server/json_cache.h"
#include "server/json_write.h"
#include "server/secrets.h"

/* Hydra's default scope for clients that ask for none (hydra-behaviour §1.1). */
#define DEFAULT_SCOPE       "offline_access offline openid"
#define REG_TOKEN_PREFIX    "oidcd_rat_"
#define MAX_CLIENT_ID_BYTES 255
#define REG_PATH            "/oauth2/register/"

/* Members only an operator may set; left out of the registrant view. */
#define ADMIN_ONLY(X)                                                                              \
	X("metadata")                                                                              \
	X("owner")                                                                                 \
	X("audience")                                                                              \
	X("allowed_cors_origins")                                                                  \
	X("skip_consent")                                                                          \
	X("skip_logout_consent")                                                                   \
	X("access_token_strategy")                                                                 \
	X("authorization_code_grant_access_token_lifespan")                                        \
	X("authorization_code_grant_id_token_lifespan")                                            \
	X("authorization_code_grant_refresh_token_lifespan")                                       \
	X("client_credentials_grant_access_token_lifespan")                                        \
	X("implicit_grant_access_token_lifespan")                                                  \
	X("implicit_grant_id_token_lifespan")                                                      \
	X("jwt_bearer_grant_access_token_lifespan")                                                \
	X("refresh_token_grant_id_token_lifespan")                                                 \
	X("refresh_token_grant_access_token_lifespan")                                             \
	X("refresh_token_grant_refresh_token_lifespan")                                            \
	X("device_authorization_grant_id_token_lifespan")                                          \
	X("device_authorization_grant_access_token_lifespan")                                      \
	X("device_authorization_grant_refresh_token_lifespan")
#define ADMIN_NAME(s) s,
#define ADMIN_LEN(s)  (sizeof(s) - 1),
/* NOLINTNEXTLINE(bugprone-macro-parentheses): a term of an X-macro list joined by | */
#define ADMIN_LEN_BIT(s) (UINT64_C(1) << (sizeof(s) - 1)) |

static const char *const admin_only[] = {ADMIN_ONLY(ADMIN_NAME)};
static const size_t admin_only_len[] = {ADMIN_ONLY(ADMIN_LEN)};
/* Bit n is set when some operator-only name is n bytes long (all are under 64). */
#define ADMIN_ONLY_LENS (ADMIN_ONLY(ADMIN_LEN_BIT) 0)
#define NADMIN_ONLY     (sizeof admin_only / sizeof admin_only[0])

/* Members a client may echo back that are not metadata (RFC 7592 §2.2). */
static const char *const echoed[] = {
        "registration_access_token",
        "registration_client_uri",
        "client_id_issued_at",
        "client_secret_expires_at",
        "created_at",
        "updated_at",
};

void
clients_record_clear(struct client_record *r)
{
	json_decref(r->doc);
	r->doc = NULL;
}

/*
 * Writes issuer "/oauth2/register/" id to p, the id percent-encoded (RFC
 * 3986 §2.3: unreserved characters stay, everything else is escaped).
 * p needs strlen(issuer) + 17 + 3 * strlen(id) bytes; returns the end.
 */
static char *
put_registration_uri(char *p, const char *issuer, size_t issuer_len, const char *id)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *s;

	memcpy(p, issuer, issuer_len);
	p += issuer_len;
	memcpy(p, REG_PATH, sizeof REG_PATH - 1);
	p += sizeof REG_PATH - 1;
	for (s = id; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			*p++ = (char)c;
		} else {
			*p++ = '%';
			*p++ = hex[c >> 4];
			*p++ = hex[c & 15];
		}
	}
	return p;
}

const char *
clients_registration_uri(const struct app *app, const char *id, struct arena *arena)
{
	size_t issuer_len = strlen(app->issuer);
	char *out = arena_alloc(arena, issuer_len + sizeof REG_PATH + strlen(id) * 3);

	*put_registration_uri(out, app->issuer, issuer_len, id) = '\0';
	return out;
}

/* registration.allowed_scopes joined by spaces, in the arena. */
static const char *
registrant_default_scope(const struct app *app, struct arena *arena)
{
	const struct config *cfg = app->cfg;
	size_t i, n = 0, len;
	char *joined, *p;

	for (i = 0; i < cfg->registration_allowed_scopes_count; i++)
		n += strlen(cfg->registration_allowed_scopes[i]) + 1;
	/* One pass, space-separated (this runs on every registration). */
	p = joined = arena_alloc(arena, n + 1);
	for (i = 0; i < cfg->registration_allowed_scopes_count; i++) {
		if (i > 0)
			*p++ = ' ';
		len = strlen(cfg->registration_allowed_scopes[i]);
		memcpy(p, cfg->registration_allowed_scopes[i], len);
		p += len;
	}
	*p = '\0';
	return joined;
}

/* fo (the caller's) carries http_client.ca_file to fetch_https_cb for sector_identifier_uri. */
static void
validate_opts(const struct app *app, enum client_policy policy, struct arena *arena,
              struct client_validate_opts *o, struct fetch_opts *fo)
{
	const char *alg = jws_alg_name(keyring_signing_alg(app->keyring, clock_now(&app->clock)));

	memset(o, 0, sizeof *o);
	o->policy = policy;
	o->allowed_grant_types = (const char *const *)app->cfg->registration_allowed_grant_types;
	o->allowed_grant_types_count = app->cfg->registration_allowed_grant_types_count;
	o->allowed_scopes = (const char *const *)app->cfg->registration_allowed_scopes;
	o->allowed_scopes_count = app->cfg->registration_allowed_scopes_count;
	o->verify_algs = JWS_ALG_ALL;
	o->signing_alg = alg != NULL ? alg : config_alg_name(app->cfg->keys_algorithm);
	/* Hydra's default for operators; a registrant that names no scope gets
	 * every scope registrants may have, so the usual OIDC scopes work (the
	 * OIDF dynamic plans register without one, then ask for profile). */
	o->default_scope = policy == CLIENT_POLICY_REGISTRANT ? registrant_default_scope(app, arena)
	                                                      : DEFAULT_SCOPE;
	memset(fo, 0, sizeof *fo);
	fo->ca_file = app->cfg->http_client_ca_file;
	o->fetch = fetch_https_cb;
	o->fetch_cls = fo;
}

static enum status
problem_set(struct client_problem *p, enum oauth_error e, const char *description)
{
	if (p == NULL)
		return ST_INVALID;
	p->error = e;
	snprintf(p->description, sizeof p->description, "%s", description);
	return ST_INVALID;
}

/* "YYYY-MM-DDTHH:MM:SSZ" and its NUL. */
#define RFC3339_BYTES 21
/* 9999-12-31T23:59:59Z: the last second with a four-digit year. */
#define RFC3339_FAST_MAX INT64_C(253402300799)

static void
put_digits(char *p, unsigned v, int n)
{
	while (n-- > 0) {
		p[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

/*
 * t as an RFC 3339 UTC date-time (what strftime "%Y-%m-%dT%H:%M:%SZ" of
 * gmtime_r gives) into out[32]; returns the length. Years 1970-9999 are
 * converted here (civil-from-days, H. Hinnant, "chrono-Compatible Low-Level
 * Date Algorithms"): every view renders two of these, and gmtime_r takes
 * glibc's time zone lock on each call.
 */
static size_t
rfc3339_put(int64_t t, char out[32])
{
	int64_t days, secs, doe, yoe, doy, mp;
	unsigned year, month, day;

	if (t < 0 || t > RFC3339_FAST_MAX) {
		time_t tt = (time_t)t;
		struct tm tm;

		gmtime_r(&tt, &tm);
		return strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	days = t / 86400;
	secs = t % 86400;
	days += 719468; /* from 1970-01-01 to 0000-03-01 */
	doe = days % 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	day = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	month = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	year = (unsigned)(yoe + days / 146097 * 400 + (month <= 2));
	put_digits(out, year, 4);
	out[4] = '-';
	put_digits(out + 5, month, 2);
	out[7] = '-';
	put_digits(out + 8, day, 2);
	out[10] = 'T';
	put_digits(out + 11, (unsigned)(secs / 3600), 2);
	out[13] = ':';
	put_digits(out + 14, (unsigned)(secs / 60 % 60), 2);
	out[16] = ':';
	put_digits(out + 17, (unsigned)(secs % 60), 2);
	out[19] = 'Z';
	out[20] = '\0';
	return RFC3339_BYTES - 1;
}

static const char *
rfc3339(struct arena *arena, int64_t t)
{
	char buf[32];

	rfc3339_put(t, buf);
	return arena_strdup(arena, buf);
}

/* Defaults of the operator-only members, as Hydra renders them. */
static json_t *
admin_default(const char *key)
{
	if (strcmp(key, "metadata") == 0)
		return json_object();
	if (strcmp(key, "owner") == 0)
		return json_string("");
	if (strcmp(key, "audience") == 0 || strcmp(key, "allowed_cors_origins") == 0)
		return json_array();
	if (strcmp(key, "skip_consent") == 0)
		return json_false();
	if (strcmp(key, "access_token_strategy") == 0)
		return NULL; /* omitempty */
	return json_null();  /* skip_logout_consent and the lifespans */
}

static json_t *
render(const struct app *app, const struct store_client *row, const json_t *doc,
       enum client_view view, struct arena *arena)
{
	json_t *out = json_deep_copy(doc);
	size_t i;

	if (out == NULL || !json_is_object(out)) {
		json_decref(out);
		out = json_object();
	}
	for (i = 0; i < NADMIN_ONLY; i++) {
		if (view == CLIENT_VIEW_REGISTRANT) {
			json_object_del(out, admin_only[i]);
		} else if (json_object_get(out, admin_only[i]) == NULL) {
			json_t *d = admin_default(admin_only[i]);

			if (d != NULL)
				json_object_set_new(out, admin_only[i], d);
		}
	}
	json_object_set_new(out, "client_id", json_string(row->id));
	json_object_set_new(out, "client_id_issued_at", json_integer(row->created_at));
	/* RFC 7591 §3.2.1: 0 = the secret does not expire. */
	json_object_set_new(out, "client_secret_expires_at", json_integer(0));
	json_object_set_new(out, "created_at", json_string(rfc3339(arena, row->created_at)));
	json_object_set_new(out, "updated_at", json_string(rfc3339(arena, row->updated_at)));
	if (row->reg_token_hash != NULL)
		json_object_set_new(out, "registration_client_uri",
		                    json_string(clients_registration_uri(app, row->id, arena)));
	return out;
}

/* True when s needs no JSON escaping. */
static bool
is_plain(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s == '"' || *s == '\\' || (unsigned char)*s < 0x20)
			return false;
	return true;
}

/*
 * True when the stored text holds "<name>": for an operator-only name
 * anywhere, as strstr() of each would tell, in one pass: a match starts at
 * a quote, and the name (which holds no quote) ends at the next one.
 */
static bool
has_admin_member(const char *doc, size_t n)
{
	const char *end = doc + n, *q = memchr(doc, '"', n);

	while (q != NULL) {
		const char *close = memchr(q + 1, '"', (size_t)(end - q - 1));
		size_t len, i;

		if (close == NULL)
			return false;
		len = (size_t)(close - q - 1);
		if (close + 1 < end && close[1] == ':' && len < 64 && (ADMIN_ONLY_LENS >> len & 1))
			for (i = 0; i < NADMIN_ONLY; i++)
				if (admin_only_len[i] == len &&
				    memcmp(admin_only[i], q + 1, len) == 0)
					return true;
		q = close;
	}
	return false;
}

/* v in decimal at p; returns the end. */
static char *
put_int(char *p, int64_t v)
{
	char tmp[24], *t = tmp + sizeof tmp;
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	size_t len;

	do {
		*--t = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--t = '-';
	len = (size_t)(tmp + sizeof tmp - t);
	memcpy(p, t, len);
	return p + len;
}

static char *
put_str(char *p, const char *s, size_t len)
{
	memcpy(p, s, len);
	return p + len;
}

#define PUT_LIT(p, lit) put_str((p), (lit), sizeof(lit) - 1)

/*
 * The registrant view straight from the stored text: the document plus the
 * row's members, spliced before its closing brace. NULL when the document
 * holds an operator-only member (then the JSON path renders it).
 */
static const char *
render_registrant_text(const struct app *app, const struct store_client *row, struct arena *arena)
{
	const char *doc = row->metadata;
	size_t n = strlen(doc), id_len, issuer_len, cap;
	char created[32], updated[32], *out, *p;
	size_t created_len, updated_len;

	if (n < 2 || doc[0] != '{' || doc[n - 1] != '}' || !is_plain(row->id) ||
	    has_admin_member(doc, n))
		return NULL;
	id_len = strlen(row->id);
	issuer_len = strlen(app->issuer);
	created_len = rfc3339_put(row->created_at, created);
	updated_len = rfc3339_put(row->updated_at, updated);
	/* The document, the members' names and punctuation (under 200 bytes),
	 * the id, a number, two dates and the registration URI. */
	cap = n + 200 + id_len + 24 + created_len + updated_len + issuer_len + sizeof REG_PATH +
	      3 * id_len;
	out = arena_alloc(arena, cap);
	p = put_str(out, doc, n - 1);
	/* An empty stored object has no member to follow: no comma. */
	p = n == 2 ? PUT_LIT(p, "\"client_id\":\"") : PUT_LIT(p, ",\"client_id\":\"");
	p = put_str(p, row->id, id_len);
	p = PUT_LIT(p, "\",\"client_id_issued_at\":");
	p = put_int(p, row->created_at);
	p = PUT_LIT(p, ",\"client_secret_expires_at\":0,\"created_at\":\"");
	p = put_str(p, created, created_len);
	p = PUT_LIT(p, "\",\"updated_at\":\"");
	p = put_str(p, updated, updated_len);
	p = PUT_LIT(p, "\"");
	if (row->reg_token_hash != NULL) {
		p = PUT_LIT(p, ",\"registration_client_uri\":\"");
		p = put_registration_uri(p, app->issuer, issuer_len, row->id);
		p = PUT_LIT(p, "\"");
	}
	p = PUT_LIT(p, "}");
	*p = '\0';
	return out;
}

const char *
clients_registrant_view(const struct app *app, const struct store_client *row, struct arena *arena)
{
	const char *text = render_registrant_text(app, row, arena);
	json_t *doc, *view;

	if (text != NULL)
		return text;
	doc = json_loads(row->metadata, 0, NULL);
	if (doc == NULL)
		return NULL;
	view = render(app, row, doc, CLIENT_VIEW_REGISTRANT, arena);
	json_decref(doc);
	text = json_write_compact(view, arena, NULL);
	json_decref(view);
	return text;
}

/*
 * Adds the member "name":"value" before the closing brace of a JSON object
 * text; value must need no escaping (base64url). memcpy, not a printf: the
 * view is a kilobyte or two, copied on every registration.
 */
static const char *
splice(struct arena *arena, const char *object, const char *name, const char *value)
{
	size_t n = strlen(object);
	char *out = arena_alloc(arena, n + strlen(name) + strlen(value) + 8), *p;

	memcpy(out, object, n - 1); /* all but '}' */
	p = out + n - 1;
	if (n > 2)
		*p++ = ',';
	p = stpcpy(p, "\"");
	p = stpcpy(p, name);
	p = stpcpy(p, "\":\"");
	p = stpcpy(p, value);
	(void)stpcpy(p, "\"}");
	return out;
}

json_t *
clients_render(const struct app *app, const struct client_record *r, enum client_view view,
               struct arena *arena)
{
	return render(app, &r->row, r->doc, view, arena);
}

/* Serialises (and releases) a view: a suspended request must hold no heap objects. */
static const char *
to_arena(struct arena *arena, json_t *view)
{
	const char *out = json_write_compact(view, arena, NULL);

	json_decref(view);
	return out != NULL ? out : "{}";
}

static bool
is_public(const json_t *doc)
{
	const char *m = json_string_value(json_object_get(doc, "token_endpoint_auth_method"));

	/* private_key_jwt clients authenticate with keys, not a shared secret. */
	return m != NULL && (strcmp(m, "none") == 0 || strcmp(m, "private_key_jwt") == 0);
}

/* A fresh 256-bit secret, its stored hash, in the arena. */
static enum status
new_secret(const struct app *app, struct arena *arena, char **secret, char **hash, struct err *err)
{
	enum status st = random_token("", arena, secret, err);

	if (st != ST_OK)
		return st;
	return secrets_client_secret_hash(app->cfg, *secret, true, arena, hash, err);
}

static enum status
new_reg_token(const struct app *app, struct arena *arena, char **token, unsigned char **hash,
              struct err *err)
{
	enum status st = random_token(REG_TOKEN_PREFIX, arena, token, err);

	if (st != ST_OK)
		return st;
	*hash = arena_alloc(arena, DIGEST_SHA256_BYTES);
	secrets_token_hash(app->cfg, *token, *hash);
	return ST_OK;
}

static bool
is_valid_client_id(const char *id)
{
	size_t n = strlen(id), i;

	if (n == 0 || n > MAX_CLIENT_ID_BYTES)
		return false;
	/* RFC 6749 §A.1: client_id = *VSCHAR; we also refuse spaces and
	 * characters that make ids awkward in URLs and logs. */
	for (i = 0; i < n; i++)
		if ((unsigned char)id[i] <= 0x20 || (unsigned char)id[i] >= 0x7f)
			return false;
	return true;
}

enum status
clients_prepare_create(const struct app *app, enum client_policy policy, const json_t *in,
                       struct arena *arena, struct client_change *change,
                       struct client_problem *problem, struct err *err)
{
	struct client_validate_opts o;
	struct fetch_opts fo;
	json_t *body = NULL, *doc = NULL, *view = NULL;
	const char *chosen_id = NULL, *chosen_secret = NULL;
	char uuid[37], *secret = NULL, *secret_hash = NULL, *token = NULL;
	unsigned char *token_hash = NULL;
	int64_t now = clock_now(&app->clock);
	enum status st;

	if (!json_is_object(in))
		return problem_set(problem, OAUTH_INVALID_CLIENT_METADATA,
		                   "the body must be a JSON object");
	body = json_deep_copy(in);
	if (policy == CLIENT_POLICY_ADMIN) {
		json_t *id = json_object_get(body, "client_id");
		json_t *sec = json_object_get(body, "client_secret");

		if (id != NULL && !json_is_null(id) &&
		    (!json_is_string(id) || !is_valid_client_id(json_string_value(id)))) {
			st = problem_set(problem, OAUTH_INVALID_CLIENT_METADATA,
			                 "client_id: must be 1-255 printable ASCII characters");
			goto out;
		}
		if (sec != NULL && !json_is_null(sec) && !json_is_string(sec)) {
			st = problem_set(problem, OAUTH_INVALID_CLIENT_METADATA,
			                 "client_secret: must be a string");
			goto out;
		}
		chosen_id = id != NULL && json_string_length(id) > 0
		                    ? arena_strdup(arena, json_string_value(id))
		                    : NULL;
		if (sec != NULL && json_string_length(sec) > 0) {
			if (json_string_length(sec) < 6) {
				st = problem_set(problem, OAUTH_INVALID_CLIENT_METADATA,
				                 "client_secret: must be at least 6 characters");
				goto out;
			}
			chosen_secret = json_string_value(sec);
		}
		json_object_del(body, "client_id");
	}
	validate_opts(app, policy, arena, &o, &fo);
	st = client_validate(&o, body, arena, &doc, problem, err);
	if (st != ST_OK)
		goto out;

	if (chosen_id == NULL) {
		st = random_uuid(uuid, err);
		if (st != ST_OK)
			goto out;
		chosen_id = arena_strdup(arena, uuid);
	}
	if (!is_public(doc)) {
		if (chosen_secret != NULL) {
			secret = arena_strdup(arena, chosen_secret);
			st = secrets_client_secret_hash(app->cfg, secret, false, arena,
			                                &secret_hash, err);
		} else {
			st = new_secret(app, arena, &secret, &secret_hash, err);
		}
		if (st != ST_OK)
			goto out;
	}
	st = new_reg_token(app, arena, &token, &token_hash, err);
	if (st != ST_OK)
		goto out;

	memset(change, 0, sizeof *change);
	change->kind = CLIENT_CHANGE_INSERT;
	change->row.id = chosen_id;
	change->row.secret_hash = secret_hash;
	change->row.reg_token_hash = token_hash;
	change->row.metadata = json_write_compact(doc, arena, NULL);
	change->row.created_at = change->row.updated_at = now;

	if (policy == CLIENT_POLICY_REGISTRANT) {
		change->view = clients_registrant_view(app, &change->row, arena);
	} else {
		view = render(app, &change->row, doc, CLIENT_VIEW_ADMIN, arena);
		change->view = to_arena(arena, view);
	}
	/* RFC 7591 §3.2.1: the secret and the token are shown once, here
	 * (both are base64url: nothing to escape). */
	if (secret != NULL)
		change->view = splice(arena, change->view, "client_secret", secret);
	change->view = splice(arena, change->view, "registration_access_token", token);
	st = ST_OK;
out:
	json_decref(doc);
	json_decref(body);
	return st;
}

enum status
clients_load_row(const struct app *app, const char *id, struct arena *arena,
                 struct client_record *out, struct err *err)
{
	memset(out, 0, sizeof *out);
	return store_client_get(app->store, id, arena, &out->row, err);
}

static enum status
load(const struct app *app, const char *id, bool is_shared, struct arena *arena,
     struct client_record *out, struct err *err)
{
	json_error_t jerr;
	enum status st;

	memset(out, 0, sizeof *out);
	st = store_client_get(app->store, id, arena, &out->row, err);
	if (st != ST_OK)
		return st;
	/* A shared document is only read by the record's owner (clients_load_shared). */
	out->doc = is_shared ? json_cache_loads_shared(out->row.metadata, &jerr)
	                     : json_cache_loads(out->row.metadata, &jerr);
	if (out->doc == NULL)
		return ERR_SET(err, ST_IO, "client %s: stored metadata is not JSON: %s", id,
		               jerr.text);
	return ST_OK;
}

enum status
clients_load(const struct app *app, const char *id, struct arena *arena, struct client_record *out,
             struct err *err)
{
	return load(app, id, false, arena, out, err);
}

enum status
clients_load_shared(const struct app *app, const char *id, struct arena *arena,
                    struct client_record *out, struct err *err)
{
	return load(app, id, true, arena, out, err);
}

bool
clients_reg_token_matches(const struct app *app, const struct client_record *r, const char *token)
{
	return r->row.reg_token_hash != NULL &&
	       secrets_token_matches(app->cfg, token, r->row.reg_token_hash);
}

/*
 * Removes from body what a client may send back unchanged: the echoed
 * response members, and (registrant) operator-only members whose value is
 * what the client already has, so GET-then-PUT round trips work.
 */
static void
strip_echoes(json_t *body, const json_t *admin_view, enum client_policy policy)
{
	size_t i;

	for (i = 0; i < sizeof echoed / sizeof echoed[0]; i++)
		json_object_del(body, echoed[i]);
	if (policy != CLIENT_POLICY_REGISTRANT)
		return;
	for (i = 0; i < NADMIN_ONLY; i++) {
		json_t *sent = json_object_get(body, admin_only[i]);
		json_t *have = json_object_get(admin_view, admin_only[i]);

		if (sent != NULL &&
		    (json_equal(sent, have) || (json_is_null(sent) && have == NULL)))
			json_object_del(body, admin_only[i]);
	}
}

enum status
clients_prepare_replace(const struct app *app, enum client_policy policy,
                        const struct client_record *current, const json_t *in, struct arena *arena,
                        struct client_change *change, struct client_problem *problem,
                        struct err *err)
{
	struct client_validate_opts o;
	struct fetch_opts fo;
	struct store_client_update u;
	struct store_client row = current->row;
	json_t *body = NULL, *doc = NULL, *admin_view = NULL, *view = NULL, *v;
	char *secret = NULL, *secret_hash = NULL, *token = NULL;
	unsigned char *token_hash = NULL;
	bool secret_ok = false;
	size_t i;
	enum status st;

	if (!json_is_object(in))
		return problem_set(problem, OAUTH_INVALID_CLIENT_METADATA,
		                   "the body must be a JSON object");
	body = json_deep_copy(in);
	admin_view = render(app, &current->row, current->doc, CLIENT_VIEW_ADMIN, arena);
	strip_echoes(body, admin_view, policy);

	/* RFC 7592 §2.2: client_id must be the client's own. */
	v = json_object_get(body, "client_id");
	if (v != NULL && !json_is_null(v) &&
	    (!json_is_string(v) || strcmp(json_string_value(v), current->row.id) != 0)) {
		st = problem_set(problem, OAUTH_INVALID_CLIENT_METADATA,
		                 "client_id: does not match the client being updated");
		goto out;
	}
	json_object_del(body, "client_id");

	v = json_object_get(body, "client_secret");
	if (v != NULL && !json_is_null(v) && !json_is_string(v)) {
		st = problem_set(problem, OAUTH_INVALID_CLIENT_METADATA,
		                 "client_secret: must be a string");
		goto out;
	}
	if (v != NULL && json_string_length(v) > 0) {
		if (policy == CLIENT_POLICY_REGISTRANT) {
			/* RFC 7592 §2.2: a client may send its current secret back, not choose one.
			 */
			st = secrets_client_secret_verify(app->cfg, json_string_value(v),
			                                  current->row.secret_hash, &secret_ok,
			                                  err);
			if (st != ST_OK && st != ST_INVALID)
				goto out;
			if (!secret_ok) {
				st = problem_set(
				        problem, OAUTH_ACCESS_DENIED,
				        "client_secret: a client may not choose its secret");
				goto out;
			}
		} else if (json_string_length(v) < 6) {
			st = problem_set(problem, OAUTH_INVALID_CLIENT_METADATA,
			                 "client_secret: must be at least 6 characters");
			goto out;
		} else {
			secret = arena_strdup(arena, json_string_value(v));
			st = secrets_client_secret_hash(app->cfg, secret, false, arena,
			                                &secret_hash, err);
			if (st != ST_OK)
				goto out;
		}
	}
	json_object_del(body, "client_secret");

	validate_opts(app, policy, arena, &o, &fo);
	st = client_validate(&o, body, arena, &doc, problem, err);
	if (st != ST_OK)
		goto out;
	if (policy == CLIENT_POLICY_REGISTRANT) {
		/* The registrant replaces its metadata, not what the operator set. */
		for (i = 0; i < NADMIN_ONLY; i++) {
			json_t *have = json_object_get(current->doc, admin_only[i]);

			json_object_del(doc, admin_only[i]);
			if (have != NULL)
				json_object_set(doc, admin_only[i], have);
		}
	}

	memset(&u, 0, sizeof u);
	if (is_public(doc)) {
		u.clear_secret = true;
		secret = NULL;
	} else if (secret_hash != NULL) {
		u.secret_hash = secret_hash;
	} else if (current->row.secret_hash == NULL) {
		/* Became confidential: it needs a secret, shown once in this answer. */
		st = new_secret(app, arena, &secret, &secret_hash, err);
		if (st != ST_OK)
			goto out;
		u.secret_hash = secret_hash;
	}
	if (policy == CLIENT_POLICY_REGISTRANT) {
		/* RFC 7592 §2.2 allows rotation; we always rotate (as Hydra does). */
		st = new_reg_token(app, arena, &token, &token_hash, err);
		if (st != ST_OK)
			goto out;
		u.reg_token_hash = token_hash;
		u.expect_reg_token_hash = current->row.reg_token_hash;
	}
	u.metadata = json_write_compact(doc, arena, NULL);
	u.updated_at = clock_now(&app->clock);
	memset(change, 0, sizeof *change);
	change->kind = CLIENT_CHANGE_UPDATE;
	change->id = current->row.id;
	change->update = u;

	row.updated_at = u.updated_at;
	if (token_hash != NULL)
		row.reg_token_hash = token_hash;
	view = render(app, &row, doc,
	              policy == CLIENT_POLICY_ADMIN ? CLIENT_VIEW_ADMIN : CLIENT_VIEW_REGISTRANT,
	              arena);
	/* A secret set by an admin, or generated because the client became
	 * confidential, is shown once, here. */
	if (secret != NULL && ((secret_hash != NULL && policy == CLIENT_POLICY_ADMIN) ||
	                       current->row.secret_hash == NULL))
		json_object_set_new(view, "client_secret", json_string(secret));
	if (token != NULL)
		json_object_set_new(view, "registration_access_token", json_string(token));
	change->view = to_arena(arena, view);
	st = ST_OK;
out:
	json_decref(doc);
	json_decref(body);
	json_decref(admin_view);
	return st;
}

void
clients_prepare_delete(const char *id, const unsigned char *expect_reg_token_hash,
                       struct client_change *change)
{
	memset(change, 0, sizeof *change);
	change->kind = CLIENT_CHANGE_DELETE;
	change->id = id;
	change->expect_reg_token_hash = expect_reg_token_hash;
}

enum status
clients_apply(struct store *s, void *arg, struct err *err)
{
	const struct client_change *c = arg;

	switch (c->kind) {
	case CLIENT_CHANGE_INSERT:
		return store_client_insert(s, &c->row, err);
	case CLIENT_CHANGE_UPDATE:
		return store_client_update(s, c->id, &c->update, err);
	case CLIENT_CHANGE_DELETE:
		return store_client_delete(s, c->id, c->expect_reg_token_hash, err);
	}
	return ERR_SET(err, ST_INVALID, "unknown client change");
}

enum status
clients_outcome(const struct client_change *c, enum status write_st, struct client_problem *problem)
{
	if (write_st == ST_CONFLICT && c->kind == CLIENT_CHANGE_INSERT)
		return problem_set(problem, OAUTH_CONFLICT,
		                   "client_id: a client with this id exists already");
	return write_st;
}

/* The synchronous forms, for the CLI: prepare, write durably, report. */
static enum status
write_now(const struct app *app, struct client_change *c, json_t **out,
          struct client_problem *problem, struct err *err)
{
	enum status st = store_write_sync(app->store, clients_apply, c, err);

	st = clients_outcome(c, st, problem);
	if (st == ST_OK && out != NULL)
		*out = json_loads(c->view, 0, NULL);
	return st;
}

enum status
clients_create(const struct app *app, enum client_policy policy, const json_t *in,
               struct arena *arena, json_t **out, struct client_problem *problem, struct err *err)
{
	struct client_change c;
	enum status st = clients_prepare_create(app, policy, in, arena, &c, problem, err);

	if (st != ST_OK)
		return st;
	return write_now(app, &c, out, problem, err);
}

enum status
clients_replace(const struct app *app, enum client_policy policy,
                const struct client_record *current, const json_t *in, struct arena *arena,
                json_t **out, struct client_problem *problem, struct err *err)
{
	struct client_change c;
	enum status st = clients_prepare_replace(app, policy, current, in, arena, &c, problem, err);

	if (st != ST_OK)
		return st;
	return write_now(app, &c, out, problem, err);
}

enum status
clients_delete(const struct app *app, const char *id, const unsigned char *expect_reg_token_hash,
               struct err *err)
{
	struct client_change c;

	clients_prepare_delete(id, expect_reg_token_hash, &c);
	return write_now(app, &c, NULL, NULL, err);
}

bool
clients_doc_has_word(const json_t *doc, const char *array, const char *word)
{
	const json_t *v;
	size_t i;

	json_array_foreach(json_object_get(doc, array), i, v)
	{
		if (json_is_string(v) && strcmp(json_string_value(v), word) == 0)
			return true;
	}
	return false;
}
