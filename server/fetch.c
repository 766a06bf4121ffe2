/*
 * server/fetch.c — bounded HTTPS GET over libcurl. See fetch.h.
 *
 * API: fetch_global_init/cleanup around the process; fetch_https() for one
 * GET; fetch_https_cb() adapts it to client_fetch_fn.
 *
 * Invariants:
 *   - The URL is checked with uri_parse (absolute, https, a host) before
 *     libcurl sees it, and libcurl itself is restricted to https for the
 *     request and every redirect (CURLOPT_PROTOCOLS_STR /
 *     CURLOPT_REDIR_PROTOCOLS_STR).
 *   - At most FETCH_MAX_BYTES are ever buffered: the write callback aborts
 *     the transfer at the first byte past the cap, and a Content-Length
 *     over it stops the transfer before the body (CURLOPT_MAXFILESIZE).
 *   - No compression is negotiated, so the cap counts the bytes we keep.
 *   - CURLOPT_NOSIGNAL: safe in the server's worker threads.
 *   - Nothing is logged and error messages never include the URL or body.
 */
#include "server/fetch.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <string.h>

#include "common/buf.h"
#include "server/uri.h"

struct sink {
	struct buf body;
	bool is_too_large;
};

static size_t
collect(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct sink *s = userdata;
	size_t n = size * nmemb;

	if (n > FETCH_MAX_BYTES - s->body.len) {
		s->is_too_large = true;
		return 0; /* libcurl answers CURLE_WRITE_ERROR and stops */
	}
	buf_append(&s->body, data, n);
	return n;
}

enum status
fetch_global_init(struct err *err)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return ERR_SET(err, ST_IO, "curl_global_init failed");
	return ST_OK;
}

void
fetch_global_cleanup(void)
{
	curl_global_cleanup();
}

/* Applies the fixed transfer rules; ST_IO when libcurl refuses one of them. */
static enum status
configure(CURL *curl, const struct fetch_opts *o, const char *url, struct sink *sink,
          struct err *err)
{
	CURLcode rc;

	rc = curl_easy_setopt(curl, CURLOPT_URL, url);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https");
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(curl, CURLOPT_MAXREDIRS, FETCH_MAX_REDIRECTS);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, FETCH_TIMEOUT_MS);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)FETCH_MAX_BYTES);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(curl, CURLOPT_USERAGENT, "oidcd");
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(curl, CURLOPT_WRITEDATA, sink);
	/*
	 * CURLOPT_CAINFO adds the file; libcurl's default CURLOPT_CAPATH (the
	 * hashed system CA directory) stays in force beside it.
	 */
	if (rc == CURLE_OK && o != NULL && o->ca_file != NULL)
		rc = curl_easy_setopt(curl, CURLOPT_CAINFO, o->ca_file);
	if (rc != CURLE_OK)
		return ERR_SET(err, ST_IO, "curl_easy_setopt: %s", curl_easy_strerror(rc));
	return ST_OK;
}

enum status
fetch_https(const struct fetch_opts *o, const char *url, struct arena *arena, char **body,
            size_t *len, struct err *err)
{
	struct sink sink = {{0}, false};
	CURL *curl = NULL;
	struct uri u;
	CURLcode rc;
	long code = 0;
	enum status st;

	st = uri_parse(url, arena, &u, err);
	if (st != ST_OK)
		return st;
	if (strcmp(u.scheme, "https") != 0)
		return ERR_SET(err, ST_INVALID, "not an https URL");

	curl = curl_easy_init();
	if (curl == NULL) {
		st = ERR_SET(err, ST_IO, "curl_easy_init failed");
		goto out;
	}
	st = configure(curl, o, url, &sink, err);
	if (st != ST_OK)
		goto out;
	rc = curl_easy_perform(curl);
	if (sink.is_too_large || rc == CURLE_FILESIZE_EXCEEDED) {
		st = ERR_SET(err, ST_INVALID, "response larger than 64 KiB");
		goto out;
	}
	if (rc != CURLE_OK) {
		st = ERR_SET(err, ST_IO, "GET failed: %s", curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	if (code != 200) {
		st = ERR_SET(err, ST_INVALID, "HTTP status %ld (want 200)", code);
		goto out;
	}
	*len = sink.body.len;
	*body = arena_alloc(arena, sink.body.len + 1);
	if (sink.body.len > 0)
		memcpy(*body, sink.body.data, sink.body.len);
	st = ST_OK;
out:
	if (curl != NULL)
		curl_easy_cleanup(curl);
	buf_free(&sink.body);
	return st;
}

enum status
fetch_https_cb(void *cls, const char *url, struct arena *arena, char **body, size_t *len,
               struct err *err)
{
	return fetch_https(cls, url, arena, body, len, err);
}
