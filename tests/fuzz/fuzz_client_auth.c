/*
 * tests/fuzz/fuzz_client_auth.c — the client credentials parser
 * (client_auth_parse in server/client_auth.c), no store involved.
 *
 * Input: the Authorization header value, '\n', a form body. No '\n' means
 * the whole input is the header; an empty header part means no header. A
 * body form_parse refuses is replaced by an empty form.
 *
 * Invariants: the secret buffer is NUL-terminated on every path; on success
 * the client_id is non-empty, secret_len is strlen(secret) and matches the
 * method (an assertion exactly for private_key_jwt, its iss the client_id);
 * on failure the error is invalid_request or invalid_client with a
 * description and no credentials. Credentials that parse round-trip: encoded
 * again as Basic (or as a form body) they parse to the same id and secret.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "server/client_auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* application/x-www-form-urlencoded, every byte outside the unreserved set escaped. */
static void
form_encode(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			buf_putc(b, (char)c);
		} else {
			buf_putc(b, '%');
			buf_putc(b, hex[c >> 4]);
			buf_putc(b, hex[c & 15]);
		}
	}
}

/* Standard base64 with padding (RFC 4648 §4). */
static void
b64_encode(struct buf *b, const unsigned char *s, size_t n)
{
	static const char alphabet[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	for (i = 0; i < n; i += 3) {
		unsigned long g = (unsigned long)s[i] << 16;

		if (i + 1 < n)
			g |= (unsigned long)s[i + 1] << 8;
		if (i + 2 < n)
			g |= s[i + 2];
		buf_putc(b, alphabet[g >> 18 & 63]);
		buf_putc(b, alphabet[g >> 12 & 63]);
		buf_putc(b, '=');
		buf_putc(b, '=');
		if (i + 1 < n)
			b->data[b->len - 2] = alphabet[g >> 6 & 63];
		if (i + 2 < n)
			b->data[b->len - 1] = alphabet[g & 63];
	}
}

static void
check_invariants(const struct client_credentials *c, const struct client_auth_error *e,
                 enum status st, bool has_header)
{
	if (memchr(c->secret, '\0', sizeof c->secret) == NULL)
		abort();
	if (st == ST_OK) {
		if (c->client_id == NULL || c->client_id[0] == '\0')
			abort();
		if (strlen(c->secret) != c->secret_len)
			abort();
		if (c->method == CLIENT_AUTH_NONE && c->secret_len != 0)
			abort();
		if (c->method == CLIENT_AUTH_POST && c->secret_len == 0)
			abort();
		if ((c->method == CLIENT_AUTH_BASIC) != has_header)
			abort();
		/* private_key_jwt: the parsed assertion, whose iss is the client_id. */
		if ((c->method == CLIENT_AUTH_PRIVATE_KEY_JWT) != (c->assertion != NULL))
			abort();
		if (c->assertion != NULL && strcmp(c->assertion->iss, c->client_id) != 0)
			abort();
		return;
	}
	if (st != ST_INVALID)
		abort();
	if (c->client_id != NULL || c->secret[0] != '\0')
		abort();
	if (e->error != OAUTH_INVALID_REQUEST && e->error != OAUTH_INVALID_CLIENT)
		abort();
	if (memchr(e->description, '\0', sizeof e->description) == NULL ||
	    e->description[0] == '\0')
		abort();
	if (e->is_basic && !has_header)
		abort();
}

/* Parses a request made of header (NULL: none) and body, and checks it gives id and secret. */
static void
round_trip(struct arena *arena, const char *header, const char *body, const char *id,
           const char *secret, enum client_auth_method method)
{
	struct request req = {0};
	struct request_header h = {"Authorization", header};
	struct client_credentials again;
	struct client_auth_error e;

	req.arena = arena;
	if (header != NULL) {
		req.headers = &h;
		req.nheaders = 1;
	}
	if (body != NULL && form_parse(body, strlen(body), arena, &req.form, NULL) != ST_OK)
		abort();
	if (client_auth_parse(&req, arena, &again, &e) != ST_OK || again.method != method ||
	    strcmp(again.client_id, id) != 0 || strcmp(again.secret, secret) != 0)
		abort();
	client_auth_credentials_wipe(&again);
}

static void
check_round_trip(struct arena *arena, const struct client_credentials *c)
{
	struct buf pair = {0}, text = {0};

	form_encode(&pair, c->client_id);
	buf_putc(&pair, ':');
	form_encode(&pair, c->secret);
	/* Past the parser's size limits a re-encoding is refused, rightly. */
	if (pair.len <= 3072) {
		buf_puts(&text, "Basic ");
		b64_encode(&text, (const unsigned char *)pair.data, pair.len);
		buf_putc(&text, '\0');
		round_trip(arena, text.data, NULL, c->client_id, c->secret, CLIENT_AUTH_BASIC);
	}
	buf_free(&text);
	text = (struct buf){0};
	buf_puts(&text, "client_id=");
	form_encode(&text, c->client_id);
	if (c->secret_len > 0) {
		buf_puts(&text, "&client_secret=");
		form_encode(&text, c->secret);
	}
	buf_putc(&text, '\0');
	round_trip(arena, NULL, text.data, c->client_id, c->secret,
	           c->secret_len > 0 ? CLIENT_AUTH_POST : CLIENT_AUTH_NONE);
	buf_free(&text);
	buf_free(&pair);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *arena = arena_new();
	struct request req = {0};
	struct request_header h = {"Authorization", NULL};
	struct client_credentials c;
	struct client_auth_error e;
	const uint8_t *nl = memchr(data, '\n', size);
	size_t header_len = nl != NULL ? (size_t)(nl - data) : size;
	enum status st;

	req.arena = arena;
	if (header_len > 0) {
		h.value = arena_strndup(arena, (const char *)data, header_len);
		req.headers = &h;
		req.nheaders = 1;
	}
	if (nl != NULL && form_parse((const char *)nl + 1, size - header_len - 1, arena, &req.form,
	                             NULL) != ST_OK)
		memset(&req.form, 0, sizeof req.form);

	memset(&c, 0x5a, sizeof c);
	st = client_auth_parse(&req, arena, &c, &e);
	check_invariants(&c, &e, st, header_len > 0);
	if (st == ST_OK)
		check_round_trip(arena, &c);
	client_auth_credentials_wipe(&c);
	arena_free(arena);
	return 0;
}
