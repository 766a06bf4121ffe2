/*
 * server/fetch.h — outbound HTTPS GET of small documents a client names at
 * registration (sector_identifier_uri, OIDC Core §8.1, OIDC DCR §2), over
 * libcurl.
 *
 * Rules: https only, also after redirects (at most FETCH_MAX_REDIRECTS);
 * FETCH_TIMEOUT_MS for the whole transfer; the body is capped at
 * FETCH_MAX_BYTES (the transfer is aborted when it grows past it); only a
 * 200 answer counts. Nothing is logged: errors travel in struct err and
 * never quote the URL or the body.
 *
 * main() calls fetch_global_init() once before any thread starts.
 */
#ifndef SERVER_FETCH_H
#define SERVER_FETCH_H

#include <stddef.h>

#include "common/arena.h"
#include "common/err.h"

#define FETCH_MAX_BYTES     ((size_t)64 * 1024)
#define FETCH_TIMEOUT_MS    5000L
#define FETCH_MAX_REDIRECTS 3L

struct fetch_opts {
	/*
	 * http_client.ca_file: a PEM bundle of CAs trusted in addition to the
	 * system CA directory (a self-signed CA in tests). NULL: system CAs only.
	 */
	const char *ca_file;
};

/* curl_global_init; ST_IO when libcurl cannot start. */
enum status fetch_global_init(struct err *err);
void fetch_global_cleanup(void);

/*
 * GETs url (an absolute https URL). On ST_OK *body is NUL-terminated in the
 * arena and *len excludes the NUL. ST_INVALID for a URL that is not https,
 * a non-200 answer or a body over FETCH_MAX_BYTES ("response larger than 64
 * KiB"); ST_IO for network, TLS and timeout failures. o may be NULL.
 */
enum status fetch_https(const struct fetch_opts *o, const char *url, struct arena *arena,
                        char **body, size_t *len, struct err *err);

/*
 * fetch_https with cls = const struct fetch_opts * (or NULL): a
 * client_fetch_fn for client_validate (server/client_metadata.h).
 */
enum status fetch_https_cb(void *cls, const char *url, struct arena *arena, char **body,
                           size_t *len, struct err *err);

#endif
