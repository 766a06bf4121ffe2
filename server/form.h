/*
 * server/form.h — application/x-www-form-urlencoded and query-string
 * decoding (HTML URL-encoded form rules: '+' is a space, %XX escapes).
 *
 * Strict on purpose: a malformed escape, an encoded NUL, a parameter
 * without a name, more than FORM_MAX_PARAMS parameters, or a parameter
 * given twice is ST_INVALID (RFC 6749 §3.1: "Request and response
 * parameters MUST NOT be included more than once"). Empty values are kept
 * (callers treat "" like absent where the spec says so, RFC 6749 §3.1).
 */
#ifndef SERVER_FORM_H
#define SERVER_FORM_H

#include <stddef.h>

#include "common/arena.h"
#include "common/err.h"

#define FORM_MAX_PARAMS 128

struct form_param {
	const char *name;
	const char *value;
};

struct form {
	struct form_param *params; /* in the arena */
	size_t count;
};

/* Decodes s[0..len) into out (all strings in the arena). */
enum status form_parse(const char *s, size_t len, struct arena *arena, struct form *out,
                       struct err *err);

/* f without the parameters named in names[0..n) (in the arena; values shared with f). */
void form_without(const struct form *f, const char *const *names, size_t n, struct arena *arena,
                  struct form *out);

/* Value of name, or NULL. */
const char *form_get(const struct form *f, const char *name);

/*
 * Percent-decodes s[0..len) into a new arena string; '+' becomes a space only
 * when plus_is_space. ST_INVALID on a bad escape or an encoded NUL.
 */
enum status form_unescape(const char *s, size_t len, int plus_is_space, struct arena *arena,
                          char **out, struct err *err);

#endif
