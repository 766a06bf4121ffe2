/*
 * server/client_jwks.h — the public keys of a private_key_jwt client (OIDC
 * Core §9, §10.1.1; RFC 7591 §2): the JWK Set registered as "jwks", or the
 * one published at "jwks_uri", fetched over https (server/fetch.h) and
 * cached in memory per (client, URI) for CLIENT_JWKS_CACHE_SECS. When an
 * assertion names a kid the cached set lacks, the set is fetched again once
 * (the client rotated its keys, OIDC Core §10.1.1).
 *
 * Key choice: the keys whose "kid" is the header's kid; a set with a single
 * key and no kid gives that key whatever the header says; without a header
 * kid every signing key is tried. Keys with "use":"enc" are never used, and
 * the JWS header's jku/x5u are never followed (STYLE B12).
 */
#ifndef SERVER_CLIENT_JWKS_H
#define SERVER_CLIENT_JWKS_H

#include <jansson.h>

#include "common/arena.h"
#include "common/err.h"
#include "crypto/jws.h"
#include "server/app.h"

#define CLIENT_JWKS_CACHE_SECS 300
#define CLIENT_JWKS_CACHE_MAX  64

/*
 * Verifies jws with a key of the client whose stored document is doc
 * (borrowed), accepting only the algs in allowed_algs. ST_OK when one key
 * verifies it; ST_INVALID with the reason in err otherwise (no keys, no key
 * for the kid, a jwks_uri that cannot be fetched or is no JWK Set, a bad
 * signature): all of them the client's failure.
 */
enum status client_jwks_verify(const struct app *app, const char *client_id, const json_t *doc,
                               const struct jws *jws, unsigned allowed_algs, struct arena *arena,
                               struct err *err);

/* Forgets every cached JWK Set (tests; the process exit frees nothing else). */
void client_jwks_cache_clear(void);

#endif
