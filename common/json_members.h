/*
 * common/json_members.h — the top-level members of a JSON object text as
 * spans of that text, without building a document.
 *
 * For hot paths that copy some members of a stored JSON object verbatim into
 * an answer (server/claims.c: /userinfo). The whole text is validated as
 * RFC 8259 JSON the way jansson's json_loads(text, 0) does, so a text this
 * reader takes is one jansson would load, with the same members. It takes
 * less than jansson, and says so with -1 so that the caller uses jansson:
 * keys with escapes, duplicate top-level keys, numbers with a fraction or an
 * exponent or over 15 digits, "\u0000" and escaped surrogates, nesting deeper
 * than JSON_MEMBERS_MAX_DEPTH, more members than the caller has room for.
 */
#ifndef COMMON_JSON_MEMBERS_H
#define COMMON_JSON_MEMBERS_H

#include <stddef.h>

#define JSON_MEMBERS_MAX_DEPTH 32

enum json_member_kind {
	JSON_MEMBER_STRING,
	JSON_MEMBER_INTEGER,
	JSON_MEMBER_TRUE,
	JSON_MEMBER_FALSE,
	JSON_MEMBER_NULL,
	JSON_MEMBER_OBJECT,
	JSON_MEMBER_ARRAY,
};

struct json_member {
	const char *key; /* the key's characters (no escapes), not NUL-terminated */
	size_t key_len;
	const char *value; /* the value's JSON text: quotes, braces and all */
	size_t value_len;
	enum json_member_kind kind;
};

/*
 * Splits text[0..len) — one JSON object, whitespace around it allowed —
 * into its members, in text order, at most max of them. Returns how many,
 * or -1 when the text is not JSON, not an object, or not one this reader
 * takes (see above).
 */
int json_members_split(const char *text, size_t len, struct json_member *out, int max);

/*
 * The length (1 to 4) of the UTF-8 sequence at p, of at most avail bytes, as
 * jansson's utf8.c accepts it (no overlong forms, surrogates or code points
 * past U+10FFFF); 0 when it is not one.
 */
size_t json_utf8_len(const char *p, size_t avail);

#endif
