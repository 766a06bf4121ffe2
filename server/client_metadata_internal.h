/*
 * server/client_metadata_internal.h — what the two halves of the validator
 * share: client_metadata.c (the driver, the helpers, OAuth semantics and the
 * admin members) and client_metadata_uris.c (URI-valued members, keys and
 * the sector_identifier_uri fetch). Included only by those two files; the
 * cm_ prefix marks these internal names.
 */
#ifndef SERVER_CLIENT_METADATA_INTERNAL_H
#define SERVER_CLIENT_METADATA_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "server/client_metadata.h"

#define CM_MAX_ARRAY   256  /* entries in any array member */
#define CM_MAX_URI_LEN 4096 /* bytes in any URI */

/* Grant types as bits; bit i is cm_grant_names[i]. */
enum cm_grant {
	CM_GRANT_CODE = 1u << 0,
	CM_GRANT_IMPLICIT = 1u << 1,
	CM_GRANT_REFRESH = 1u << 2,
	CM_GRANT_CLIENT_CREDENTIALS = 1u << 3,
	CM_GRANT_JWT_BEARER = 1u << 4,
	CM_GRANT_DEVICE = 1u << 5,
};

struct cm_strv {
	const char **v; /* borrowed from the input document or in the arena */
	size_t n;
};

/* One validation run. The steps fill out in order; the first failure stops them. */
struct cm_ctx {
	const struct client_validate_opts *o;
	const json_t *in;
	struct arena *arena;
	struct client_problem *problem;
	struct err *err;
	json_t *out;
	bool is_native;
	unsigned grants;          /* CM_GRANT_* */
	const char *auth_method;  /* token_endpoint_auth_method, after defaulting */
	struct cm_strv redirects; /* redirect_uris as sent (indices match the input) */
	const char **hosts;       /* host of each redirect URI ("" when it has none) */
};

typedef enum status cm_step_fn(struct cm_ctx *c);

/* True when s is one of list[0..n). */
bool cm_in_list(const char *s, const char *const *list, size_t n);
#define CM_IN_TABLE(s, table) cm_in_list((s), (table), sizeof(table) / sizeof((table)[0]))

/* Fills c->problem (printf-style description) and returns ST_INVALID. */
enum status cm_reject(struct cm_ctx *c, enum oauth_error e, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* s as printable ASCII, cut at 64 bytes, into out; returns out. */
const char *cm_printable(char out[72], const char *s);

/* The member's value (borrowed), or NULL when absent or null. */
json_t *cm_get(const struct cm_ctx *c, const char *name);
/* A JSON string with no embedded NUL. */
bool cm_is_clean_string(const json_t *v);
/* *out = the string (NULL when absent, null or ""); other types are rejected. */
enum status cm_get_string(struct cm_ctx *c, const char *name, const char **out);
/* An array of at most CM_MAX_ARRAY strings (absent or null: none); else rejected. */
enum status cm_get_strings(struct cm_ctx *c, const char *name, struct cm_strv *out);
void cm_put_string(struct cm_ctx *c, const char *name, const char *value);
/* Stores the strings as an array without exact repeats (the first one wins). */
void cm_put_strings(struct cm_ctx *c, const char *name, const struct cm_strv *s);

/* Steps in client_metadata_uris.c. */
cm_step_fn cm_check_keys;          /* jwks_uri, jwks (after the auth method) */
cm_step_fn cm_check_redirect_uris; /* redirect_uris (after grants and application_type) */
cm_step_fn cm_check_urls;          /* logo_uri ... backchannel_logout_uri */
cm_step_fn cm_check_uri_lists;     /* post_logout_redirect_uris, request_uris */
cm_step_fn cm_check_tagged;        /* client_name#tag and the tagged URLs */
cm_step_fn cm_check_sector;        /* sector_identifier_uri: fetched, so last */

#endif
