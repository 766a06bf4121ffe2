/*
 * server/tokens.c — opaque tokens and their rows (see tokens.h).
 */
#include "server/tokens.h"

#include <string.h>

#include "crypto/random.h"
#include "server/claims.h"
#include "server/secrets.h"

void
tokens_hash(const struct app *app, const char *token, unsigned char out[STORE_HASH_LEN])
{
	secrets_token_hash(app->cfg, token, out);
}

enum status
tokens_new(const struct app *app, struct arena *arena, int64_t now, const char *grant_id,
           const char *client_id, struct tokens_issue *t, struct err *err)
{
	const struct config *cfg = app->cfg;
	char *at, *rt;
	enum status st;

	memset(t, 0, sizeof *t);
	st = random_token(TOKENS_ACCESS_PREFIX, arena, &at, err);
	if (st == ST_OK)
		st = random_token(TOKENS_REFRESH_PREFIX, arena, &rt, err);
	if (st != ST_OK)
		return st;
	t->access_token = at;
	t->refresh_token = rt;
	tokens_hash(app, at, t->access_hash);
	tokens_hash(app, rt, t->refresh_hash);
	for (int i = 0; i < 2; i++) {
		t->rows[i].grant_id = grant_id;
		t->rows[i].client_id = client_id;
		t->rows[i].created_at = now;
	}
	t->rows[0].token_hash = t->access_hash;
	t->rows[0].kind = STORE_TOKEN_ACCESS;
	t->rows[0].expires_at = now + cfg->ttl_access_token_secs;
	t->rows[1].token_hash = t->refresh_hash;
	t->rows[1].kind = STORE_TOKEN_REFRESH;
	t->rows[1].expires_at = now + cfg->ttl_refresh_token_secs;
	t->count = 1;
	/* A replayed code must still find its grant while any of its tokens lives. */
	t->used_expires_at = now + (cfg->ttl_refresh_token_secs > cfg->ttl_access_token_secs
	                                    ? cfg->ttl_refresh_token_secs
	                                    : cfg->ttl_access_token_secs);
	return ST_OK;
}

void
tokens_from_code(struct tokens_issue *t, const struct store_code *code, bool may_refresh)
{
	bool offline = claims_scope_has(code->scope, "offline_access") ||
	               claims_scope_has(code->scope, "offline");

	t->scope = code->scope;
	for (int i = 0; i < 2; i++) {
		struct store_token *r = &t->rows[i];

		r->user_id = code->user_id;
		r->sid = code->sid;
		r->scope = code->scope;
		r->auth_time = code->auth_time;
		r->acr = code->acr;
		r->amr = code->amr;
		r->claims = code->claims;
	}
	t->count = offline && may_refresh ? 2 : 1;
}

void
tokens_for_client(struct tokens_issue *t, const char *scope)
{
	t->scope = scope;
	t->rows[0].scope = scope;
	t->count = 1;
}

/* RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ). */
static bool
is_scope_char(unsigned char c)
{
	return c == 0x21 || (c >= 0x23 && c <= 0x5B) || (c >= 0x5D && c <= 0x7E);
}

enum status
tokens_check_scope(struct arena *arena, const char *requested, const char *allowed,
                   const char **out)
{
	char *joined, *w;
	const char *s = requested != NULL ? requested : "";
	size_t n;

	joined = arena_alloc(arena, strlen(s) + 1);
	w = joined;
	while (*s != '\0') {
		char *word;

		if (*s == ' ') {
			s++;
			continue;
		}
		n = 0;
		while (s[n] != '\0' && s[n] != ' ') {
			if (!is_scope_char((unsigned char)s[n]))
				return ST_INVALID;
			n++;
		}
		word = arena_strndup(arena, s, n);
		if (!claims_scope_has(allowed, word))
			return ST_INVALID;
		*w = '\0';
		if (!claims_scope_has(joined, word)) {
			if (w != joined)
				*w++ = ' ';
			memcpy(w, s, n);
			w += n;
		}
		*w = '\0';
		s += n;
	}
	*w = '\0';
	*out = joined;
	return ST_OK;
}

json_t *
tokens_amr_array(const char *amr)
{
	json_t *arr;
	const char *s = amr;

	if (amr == NULL || amr[0] == '\0')
		return NULL;
	arr = json_array();
	while (*s != '\0') {
		size_t n = strcspn(s, " ");

		if (n > 0)
			json_array_append_new(arr, json_stringn(s, n));
		s += n;
		s += strspn(s, " ");
	}
	return arr;
}
