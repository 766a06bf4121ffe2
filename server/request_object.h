/*
 * server/request_object.h — authorization requests passed as JWTs (OIDC
 * Core §6): by value in the `request` parameter (§6.1) or by reference in
 * `request_uri` (§6.2), signed with one of the client's keys or, when the
 * client allows it, unsigned (alg "none").
 *
 * The outcome is an ordinary set of authorization parameters: the request
 * object's members over the query's (§6.3.3), without request and
 * request_uri, which authz.c then checks like any other request. The
 * pages of the flow carry those parameters, so a request_uri is fetched
 * and a signature checked once, at /oauth2/auth.
 *
 * Policy:
 * - request_uri must be registered in the client's request_uris
 *   (require_request_uri_registration: a client cannot make oidcd fetch an
 *   arbitrary URL), https, at most 512 bytes (§6.2); it is fetched without
 *   its fragment, with server/fetch.h's limits.
 * - alg "none" only when the client registered no
 *   request_object_signing_alg or registered "none"; a registered alg is
 *   the only one accepted. Signed objects are verified with the client's
 *   jwks / jwks_uri (server/client_jwks.h). Encrypted ones are refused.
 * - client_id and response_type, when in the object, must equal the
 *   query's (§6.1); iss, when present, is the client_id; aud, when present,
 *   names the issuer; exp, when present, is in the future; nbf, when present,
 *   is not.
 */
#ifndef SERVER_REQUEST_OBJECT_H
#define SERVER_REQUEST_OBJECT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/err.h"
#include "server/app.h"
#include "server/authorize_request.h"
#include "server/form.h"

#define REQUEST_OBJECT_MAX_BYTES ((size_t)64 * 1024)
#define REQUEST_URI_MAX_BYTES    512
#define REQUEST_OBJECT_SKEW_SECS 60

/* True when the query uses a request object (request or request_uri present, even empty). */
bool request_object_present(const struct form *query);

/* query without its request and request_uri parameters (in the arena). */
void request_object_strip(const struct form *query, struct arena *arena, struct form *out);

/*
 * The payload of an unsigned JWT ("<header>.<payload>." whose header alg is
 * "none"), NUL-terminated in the arena. ST_INVALID for anything else.
 */
enum status request_object_unsigned_payload(const char *compact, struct arena *arena,
                                            const char **payload, size_t *len, struct err *err);

/*
 * The parameters of query with the request object's claims (payload, a
 * JSON object) over them: strings as they are, numbers and booleans as
 * their JSON text, objects and arrays (e.g. claims) as compact JSON; null
 * members and the JWT claims iss, aud, exp, nbf, iat, jti, request and
 * request_uri are not parameters. Checks the claims as the policy above says,
 * at now. ST_INVALID with a reason for the client otherwise.
 */
enum status request_object_merge(const struct form *query, const char *payload, size_t len,
                                 const char *client_id, const char *issuer, int64_t now,
                                 struct arena *arena, struct form *out, struct err *err);

/*
 * The whole of §6 for query, whose client (client_id, stored document doc)
 * is known: fetch (request_uri), signature or "none" policy, merge. ST_OK
 * with *out the parameters to use; ST_INVALID with *e set
 * (invalid_request_object, invalid_request_uri); another status: server
 * failure.
 */
enum status request_object_resolve(const struct app *app, const struct form *query,
                                   const char *client_id, const json_t *doc, struct arena *arena,
                                   struct form *out, struct authorize_error *e, struct err *err);

#endif
