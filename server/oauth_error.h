/*
 * server/oauth_error.h — the one table of error codes oidcd answers with,
 * each with its HTTP status. Bodies are always
 * {"error": <code>, "error_description": <text>} (hydra-behaviour §2; we
 * always put a proper code in "error").
 *
 * To add an error: add the enum constant and its row in oauth_error.c.
 */
#ifndef SERVER_OAUTH_ERROR_H
#define SERVER_OAUTH_ERROR_H

#include <jansson.h>

#include "common/arena.h"
#include "common/err.h"
#include "server/response.h"

enum oauth_error {
	OAUTH_INVALID_REQUEST = 0, /* RFC 6749 §5.2, 400 */
	OAUTH_INVALID_CLIENT,      /* 401 */
	OAUTH_INVALID_GRANT,
	OAUTH_UNAUTHORIZED_CLIENT,
	OAUTH_UNSUPPORTED_GRANT_TYPE,
	OAUTH_INVALID_SCOPE,
	OAUTH_ACCESS_DENIED,           /* 403 */
	OAUTH_INVALID_TOKEN,           /* RFC 6750 §3.1, 401 */
	OAUTH_INSUFFICIENT_SCOPE,      /* RFC 6750 §3.1, 403 */
	OAUTH_INVALID_REDIRECT_URI,    /* RFC 7591 §3.2.2, 400 */
	OAUTH_INVALID_CLIENT_METADATA, /* RFC 7591 §3.2.2, 400 */
	OAUTH_NOT_FOUND,               /* 404 */
	OAUTH_METHOD_NOT_ALLOWED,      /* 405 */
	OAUTH_CONFLICT,                /* 409 */
	OAUTH_REQUEST_TOO_LARGE,       /* 413 */
	OAUTH_UNSUPPORTED_MEDIA_TYPE,  /* 415 */
	OAUTH_SERVER_ERROR,            /* 500 */
	OAUTH_TEMPORARILY_UNAVAILABLE, /* 503 */
	/* authorization endpoint errors, redirected to the client (RFC 6749 §4.1.2.1) */
	OAUTH_UNSUPPORTED_RESPONSE_TYPE,  /* RFC 6749 §4.1.2.1, 400 */
	OAUTH_REQUEST_NOT_SUPPORTED,      /* OIDC Core §3.1.2.6, 400 */
	OAUTH_REQUEST_URI_NOT_SUPPORTED,  /* OIDC Core §3.1.2.6, 400 */
	OAUTH_LOGIN_REQUIRED,             /* OIDC Core §3.1.2.6, 400 */
	OAUTH_CONSENT_REQUIRED,           /* OIDC Core §3.1.2.6, 400 */
	OAUTH_INTERACTION_REQUIRED,       /* OIDC Core §3.1.2.6, 400 */
	OAUTH_ACCOUNT_SELECTION_REQUIRED, /* OIDC Core §3.1.2.6, 400 */
	OAUTH_AUTHORIZATION_PENDING,      /* RFC 8628 §3.5, 400 */
	OAUTH_SLOW_DOWN,                  /* RFC 8628 §3.5, 400 */
	OAUTH_EXPIRED_TOKEN,              /* RFC 8628 §3.5, 400 */
	OAUTH_INVALID_REQUEST_OBJECT,     /* OIDC Core §3.1.2.6, 400 */
	OAUTH_INVALID_REQUEST_URI,        /* OIDC Core §3.1.2.6, 400 */
	OAUTH_DEVICE_ACCESS_DENIED, /* "access_denied" at the token endpoint: RFC 8628 §3.5, 400 */
};

/* Error code string ("invalid_request", ...). */
const char *oauth_error_code(enum oauth_error e);
/* HTTP status of the error. */
int oauth_error_status(enum oauth_error e);

/*
 * Fills res with the JSON error body; description may be NULL (a default
 * text is used). Bytes outside printable ASCII in the description are
 * replaced, so text derived from input can never make the body invalid.
 * Always returns ST_OK: a protocol error is a response.
 */
enum status oauth_error(struct response *res, struct arena *arena, enum oauth_error e,
                        const char *description);

/* The body oauth_error sends (new reference), for answers that add members to it. */
json_t *oauth_error_body(struct arena *arena, enum oauth_error e, const char *description);

#endif
