/*
 * server/claims.h — which of a user's claims a client may see: the OIDC
 * Core §5.4 scope values (profile, email, address, phone) mapped to the
 * §5.1 standard claims, plus the claims a client asked for one by one with
 * the §5.5 "claims" request parameter. Pure: no I/O, no storage.
 *
 * Used by /userinfo (the granted scopes of the access token) and by the ID
 * token when no access token is issued (§5.4, last paragraph).
 */
#ifndef SERVER_CLAIMS_H
#define SERVER_CLAIMS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/err.h"

/*
 * The claims of user_claims (borrowed; users_claims()' object: the stored
 * §5.1 claims and updated_at) released by scope (space-separated; NULL =
 * none) and by requested_claims (borrowed, may be NULL: the "userinfo" or
 * "id_token" member of the §5.5 claims request, {"name": null | {...}}).
 * Only standard claims the user has (non-null) are copied; "sub" is never
 * included (the caller adds it), nor any member that is not a §5.1
 * standard claim. Values/essential markers of requested claims do not
 * change what is released (§5.5.1 leaves that to the OP). *out is a new
 * object (new reference). Always ST_OK: a user_claims that is not an
 * object, or a requested_claims that is not an object, releases nothing
 * from it.
 */
enum status claims_for_scopes(const json_t *user_claims, const char *scope,
                              const json_t *requested_claims, json_t **out);

/*
 * The member ("id_token" or "userinfo") of a stored §5.5 claims request
 * (JSON text, may be NULL), or NULL: a new reference.
 */
json_t *claims_request_member(const char *claims_request, const char *member);

/*
 * Headless mode: the member ("id_token" or "access_token") of the consent
 * app's session JSON (may be NULL), when it is an object: a new reference,
 * else NULL.
 */
json_t *claims_session_member(const char *session, const char *member);

/*
 * The session's id_token claims to release: by scope and by the §5.5
 * claims request member requested (may be NULL; standard claims only, as
 * claims_for_scopes) when filter_by_scope, else all of them but protocol
 * claims (iss, sub, aud, exp, nonce, ...). New reference, or NULL.
 */
json_t *claims_from_session(const char *session, const char *scope, const json_t *requested,
                            bool filter_by_scope);

/*
 * The JSON text of a plain /userinfo answer (no §5.5 claims request): the
 * claims that scope releases, copied verbatim from the stored claims text
 * (users.c: a compact JSON object), updated_at from the row, then "sub".
 * For claims users.c stored, these are exactly the bytes that
 * claims_for_scopes on users_claims() plus "sub", dumped with JSON_COMPACT,
 * give. NULL when this path does not take the case and the caller must take
 * the jansson one: the text is not one json_members_split takes (invalid or
 * unusual JSON), a released claim is an object or array (address), or sub
 * needs escaping. The text lives in arena; *len_out is its length.
 */
char *claims_userinfo_text(const char *stored_claims, int64_t updated_at, const char *scope,
                           const char *sub, struct arena *arena, size_t *len_out);

/* True when the space-separated scope (may be NULL) contains value exactly (RFC 6749 §3.3). */
bool claims_scope_has(const char *scope, const char *value);

#endif
