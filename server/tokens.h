/*
 * server/tokens.h — opaque access and refresh tokens (RFC 6749 §1.4, §1.5):
 * "oidcd_at_" / "oidcd_rt_" + 8 characters of creation order + base64url(256
 * random bits), stored only as keyed hashes (secrets.h) behind those order
 * bytes (tokens.c says why), and the rows that record them. Pure but for
 * the random numbers: no storage, no handler state.
 */
#ifndef SERVER_TOKENS_H
#define SERVER_TOKENS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/err.h"
#include "server/app.h"
#include "storage/store.h"

#define TOKENS_ACCESS_PREFIX  "oidcd_at_"
#define TOKENS_REFRESH_PREFIX "oidcd_rt_"

/* The tokens of one grant, ready to insert (rows[0] access, rows[1] refresh). */
struct tokens_issue {
	/* In the arena; handed out once, never stored. For JWT access tokens NULL
	 * until tokens_sign_access (it needs the grant's subject and scope). */
	const char *access_token;
	const char *access_jti; /* JWT access tokens: the jti, whose hash keys the row */
	const char *refresh_token;
	const char *scope; /* granted */
	unsigned char access_hash[STORE_HASH_LEN];
	unsigned char refresh_hash[STORE_HASH_LEN];
	struct store_token rows[2];
	size_t count;            /* 1, or 2 with the refresh token */
	int64_t used_expires_at; /* how long a consumed code is remembered */
};

/*
 * New random tokens of grant_id for client_id at now, with lifetimes from
 * the configuration: an access token, and a refresh token when
 * with_refresh (the grant may issue one; refresh_token stays NULL
 * otherwise). count is 1 until tokens_from_code or tokens_for_client says
 * more. Strings in the arena.
 */
enum status tokens_new(const struct app *app, struct arena *arena, int64_t now,
                       const char *grant_id, const char *client_id, bool with_refresh,
                       struct tokens_issue *t, struct err *err);

/*
 * What a code grants (OIDC Core §3.1.3.3): its user, session, scope, auth
 * time and claims request; a refresh token when the scope has offline_access
 * or offline and may_refresh (the client has the refresh_token grant).
 */
void tokens_from_code(struct tokens_issue *t, const struct store_code *code, bool may_refresh);

/* A client_credentials grant: no user, the access token only. */
void tokens_for_client(struct tokens_issue *t, const char *scope);

/*
 * RFC 6749 §3.3: requested (space-separated, may be NULL) narrowed to
 * allowed. ST_OK with *out the requested scopes joined by one space ("" for
 * none), ST_INVALID when one is not in allowed or the syntax is wrong.
 */
enum status tokens_check_scope(struct arena *arena, const char *requested, const char *allowed,
                               const char **out);

/* A space-separated list (scopes, amr, ui_locales) as a JSON array of its words. New reference. */
json_t *tokens_words(const char *list);

/* The amr claim (RFC 8176) of a space-separated list; NULL for NULL or "". New reference. */
json_t *tokens_amr_array(const char *amr);

/*
 * The stored key of a presented opaque token (or "jti:" + a JWT id): for an
 * ordered token (see tokens_random_ordered) its 6 order bytes, then the first
 * 26 bytes of its keyed hash; for anything else (older 43-character tokens,
 * garbage) the whole keyed hash.
 */
void tokens_hash(const struct app *app, const char *token, unsigned char out[STORE_HASH_LEN]);
/* The same keyed by secrets.system[i] (a rotation: see tokens_find_hash). */
void tokens_hash_at(const struct app *app, size_t i, const char *token,
                    unsigned char out[STORE_HASH_LEN]);

/*
 * prefix + base64url(6 bytes: app's clock in milliseconds << 8 | a counter,
 * big-endian) + base64url(256 random bits), in the arena: a token whose
 * tokens_hash sorts after those made before it.
 */
enum status tokens_random_ordered(const struct app *app, const char *prefix, struct arena *arena,
                                  char **out, struct err *err);

/*
 * RFC 9068 (oauth2.access_token_format jwt): signs the access token of t
 * for sub (the subject the client sees; the client_id for
 * client_credentials) with the key active at now: header typ "at+jwt";
 * claims iss, sub, aud (the client), client_id, scope, iat, exp, jti and,
 * when the grant has a user, auth_time, acr, amr. The row is keyed by the
 * keyed hash of the jti (decided in tokens_new), so the token can be signed
 * after its row was written. A no-op for opaque tokens.
 */
enum status tokens_sign_access(const struct app *app, struct tokens_issue *t, const char *sub,
                               int64_t now, struct arena *arena, struct err *err);

/*
 * The stored hash of a presented access or refresh token, whatever its
 * format: a JWT this issuer signed (any of its keys) is looked up by its
 * jti; anything else by its own keyed hash (so a forged or foreign JWT
 * matches no row). Keyed by the system secret that keyed the token's row:
 * secrets.system[0], or, during a rotation, the first older secret under
 * which a token row (in any state) exists. With one secret it reads
 * nothing; with more, one read per secret tried. When no row exists under
 * any, out is the hash under secrets.system[0]. Every lookup of a
 * presented token goes through it.
 */
enum status tokens_find_hash(const struct app *app, const char *token, struct arena *arena,
                             unsigned char out[STORE_HASH_LEN], struct err *err);

#endif
