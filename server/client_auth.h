/*
 * server/client_auth.h — client authentication at /oauth2/token and
 * /oauth2/revoke (RFC 6749 §2.3, §3.2.1; RFC 7009 §2.1).
 *
 * Two steps, so the parser can be fuzzed without a store:
 *   client_auth_parse   the request → struct client_credentials (no I/O);
 *   client_auth_check   credentials → the loaded client, or an OAuth error.
 * client_auth_reply turns a failure into the response (JSON error, 401 and
 * WWW-Authenticate: Basic when the client used the Authorization header,
 * RFC 6749 §5.2).
 *
 * The presented secret never goes in the request arena (STYLE B5): it is
 * decoded into creds->secret, which the caller wipes with
 * client_auth_credentials_wipe() on every path.
 */
#ifndef SERVER_CLIENT_AUTH_H
#define SERVER_CLIENT_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "common/arena.h"
#include "common/err.h"
#include "server/app.h"
#include "server/client_assertion.h"
#include "server/clients.h"
#include "server/oauth_error.h"
#include "server/request.h"
#include "server/response.h"

/* How the client presented its credentials. */
enum client_auth_method {
	CLIENT_AUTH_NONE = 0, /* "none": client_id in the body only (public client) */
	CLIENT_AUTH_BASIC,    /* client_secret_basic: Authorization: Basic (RFC 6749 §2.3.1) */
	CLIENT_AUTH_POST,     /* client_secret_post: client_id + client_secret in the body */
	/* private_key_jwt: client_assertion_type + client_assertion (RFC 7523 §2.2) */
	CLIENT_AUTH_PRIVATE_KEY_JWT,
};

/* Longest accepted secret, in bytes after decoding, plus the NUL. */
#define CLIENT_AUTH_SECRET_MAX 512

struct client_credentials {
	enum client_auth_method method;
	const char *client_id; /* decoded, non-empty, NUL-free; in the arena */
	/* NUL-terminated ("" for NONE); client_auth_credentials_wipe() wipes it. */
	char secret[CLIENT_AUTH_SECRET_MAX];
	size_t secret_len;
	/* PRIVATE_KEY_JWT: the parsed, not yet verified, assertion (arena); else NULL. */
	const struct client_assertion *assertion;
};

/* A rejected authentication: what to answer. */
struct client_auth_error {
	enum oauth_error error; /* OAUTH_INVALID_REQUEST (400) or OAUTH_INVALID_CLIENT (401) */
	char description[160];  /* never contains the secret */
	/* The client tried the Authorization header: answer with WWW-Authenticate: Basic. */
	bool is_basic;
};

/* The token endpoint's realm (RFC 7617 §2). */
#define CLIENT_AUTH_CHALLENGE "Basic realm=\"oidcd\""

/*
 * Reads the credentials of req: the Authorization: Basic header (standard
 * base64 of form-urlencoded id ':' form-urlencoded secret, RFC 6749
 * §2.3.1), or the body's client_id + client_secret, or the body's client_id
 * alone, or a JWT client assertion (RFC 7523 §2.2: client_assertion_type
 * CLIENT_ASSERTION_TYPE_JWT and client_assertion, parsed with
 * client_assertion_parse; client_id is its iss). A body client_id next to
 * Basic or an assertion is allowed when it names the same client. ST_OK with *out filled (client_id
 * in arena), or ST_INVALID with *e filled; no other status. *out's secret buffer is NUL-terminated
 * on every path (wipe it on every path too).
 */
enum status client_auth_parse(const struct request *req, struct arena *arena,
                              struct client_credentials *out, struct client_auth_error *e);

/*
 * Authenticates creds against the stored client: the method must be the
 * client's token_endpoint_auth_method, and the secret must verify (constant
 * time; an unknown client costs a verification too). private_key_jwt: the
 * assertion's claims (client_assertion_check_claims against app->issuer and
 * its token endpoint), its signature (client_jwks_verify, algs limited to
 * token_endpoint_auth_signing_alg when registered), then its jti is recorded
 * (store_jti_use through store_write_sync: this call blocks until durable);
 * a replayed jti is invalid_client. ST_OK with *out loaded
 * (clients_load_shared: out->doc is read-only; the caller calls
 * clients_record_clear(out)); ST_INVALID with
 * *e filled (invalid_client); another status is a server failure (err).
 */
enum status client_auth_check(const struct app *app, const struct client_credentials *creds,
                              struct arena *arena, struct client_record *out,
                              struct client_auth_error *e, struct err *err);

/* Fills res with e's JSON error, and WWW-Authenticate when e->is_basic. Returns ST_OK. */
enum status client_auth_reply(struct response *res, struct arena *arena,
                              const struct client_auth_error *e);

/*
 * The whole step for an endpoint (/oauth2/token, /oauth2/revoke): parse,
 * check, wipe the presented secret. ST_OK with *out loaded (out->doc
 * read-only; call clients_record_clear), *method_out (may be NULL) set and req->client_id
 * set; ST_INVALID with res holding the refusal (client_auth_reply);
 * another status is a server failure (req->err).
 */
enum status client_auth_request(const struct app *app, struct request *req, struct response *res,
                                struct client_record *out, enum client_auth_method *method_out);

/* Wipes the secret (secret_wipe). */
void client_auth_credentials_wipe(struct client_credentials *c);

#endif
