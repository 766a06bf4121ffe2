/*
 * server/claims.c — OIDC Core §5.4 scope values → §5.1 standard claims, and
 * the §5.5 per-claim requests, over a user's claims object.
 *
 * API: claims_for_scopes, claims_scope_has.
 *
 * Invariant: the result holds only members named in claim_scopes below
 * that the user has; "sub" is not in the table, so it is never copied.
 * To release a new standard claim: a row in claim_scopes (and in
 * server/users_validate.c, which decides what a user can store).
 */
#include "server/claims.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "common/json_members.h"

static const char SCOPE_PROFILE[] = "profile", SCOPE_EMAIL[] = "email", SCOPE_ADDRESS[] = "address",
                  SCOPE_PHONE[] = "phone";
/* The one claim that is not a stored member: users_claims sets it from the row. */
static const char CLAIM_UPDATED_AT[] = "updated_at";

/* OIDC Core §5.4: the claims each scope value requests, grouped by scope. */
static const struct {
	const char *claim;
	const char *scope;
} claim_scopes[] = {
        {"name",                  SCOPE_PROFILE},
        {"family_name",           SCOPE_PROFILE},
        {"given_name",            SCOPE_PROFILE},
        {"middle_name",           SCOPE_PROFILE},
        {"nickname",              SCOPE_PROFILE},
        {"preferred_username",    SCOPE_PROFILE},
        {"profile",               SCOPE_PROFILE},
        {"picture",               SCOPE_PROFILE},
        {"website",               SCOPE_PROFILE},
        {"gender",                SCOPE_PROFILE},
        {"birthdate",             SCOPE_PROFILE},
        {"zoneinfo",              SCOPE_PROFILE},
        {"locale",                SCOPE_PROFILE},
        {CLAIM_UPDATED_AT,        SCOPE_PROFILE},
        {"email",                 SCOPE_EMAIL  },
        {"email_verified",        SCOPE_EMAIL  },
        {"address",               SCOPE_ADDRESS},
        {"phone_number",          SCOPE_PHONE  },
        {"phone_number_verified", SCOPE_PHONE  },
};

#define NCLAIMS (sizeof claim_scopes / sizeof claim_scopes[0])

bool
claims_scope_has(const char *scope, const char *value)
{
	size_t n = strlen(value);
	const char *p = scope;

	if (scope == NULL || n == 0)
		return false;
	/* RFC 6749 §3.3: a list of space-delimited, case-sensitive strings. */
	while (*p != '\0') {
		size_t len = strcspn(p, " ");

		if (len == n && memcmp(p, value, n) == 0)
			return true;
		p += len;
		p += strspn(p, " ");
	}
	return false;
}

/* Copies user_claims[name] into out when the user has it (null means absent). */
static void
copy_claim(const json_t *user_claims, const char *name, json_t *out)
{
	json_t *v = json_object_get(user_claims, name);

	if (v != NULL && !json_is_null(v))
		json_object_set(out, name, v);
}

/*
 * OIDC Core §5.5: a member of the claims request is null (default) or an
 * object (essential / value / values); anything else is malformed and
 * requests nothing.
 */
static bool
is_requested(const json_t *requested_claims, const char *name)
{
	json_t *r = json_object_get(requested_claims, name);

	return r != NULL && (json_is_null(r) || json_is_object(r));
}

enum status
claims_for_scopes(const json_t *user_claims, const char *scope, const json_t *requested_claims,
                  json_t **out)
{
	json_t *result = json_object();
	size_t i;

	if (!json_is_object(requested_claims))
		requested_claims = NULL;
	for (i = 0; i < NCLAIMS && json_is_object(user_claims); i++) {
		const char *name = claim_scopes[i].claim;

		if (claims_scope_has(scope, claim_scopes[i].scope) ||
		    (requested_claims != NULL && is_requested(requested_claims, name)))
			copy_claim(user_claims, name, result);
	}
	*out = result;
	return ST_OK;
}

/* More members than any user has (users_validate.c allows the §5.1 claims). */
#define STORED_MEMBERS_MAX 64
#define PIECES_MAX         (5 * NCLAIMS + 4) /* five per claim, "{", and three for sub */

struct piece {
	const char *p;
	size_t n;
};

static bool
is_plain_json_string(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x80 || *s == '"' ||
		    *s == '\\')
			return false;
	return true;
}

/* The claim_scopes row named by key[0..len), or -1. */
static int
claim_index(const char *key, size_t len)
{
	for (size_t i = 0; i < NCLAIMS; i++)
		if (strncmp(claim_scopes[i].claim, key, len) == 0 &&
		    claim_scopes[i].claim[len] == '\0')
			return (int)i;
	return -1;
}

char *
claims_userinfo_text(const char *stored_claims, int64_t updated_at, const char *scope,
                     const char *sub, struct arena *arena, size_t *len_out)
{
	struct json_member m[STORED_MEMBERS_MAX];
	const struct json_member *value[NCLAIMS] = {0};
	struct piece pc[PIECES_MAX];
	const char *last_scope = NULL;
	bool granted = false;
	char updated[24];
	size_t np = 0, len = 0, i;
	char *out, *w;
	int n, k;

	if (stored_claims == NULL || !is_plain_json_string(sub))
		return NULL;
	n = json_members_split(stored_claims, strlen(stored_claims), m, STORED_MEMBERS_MAX);
	if (n < 0)
		return NULL;
	for (k = 0; k < n; k++) {
		int c = claim_index(m[k].key, m[k].key_len);

		if (c >= 0)
			value[c] = &m[k];
	}
	pc[np++] = (struct piece){"{", 1};
	for (i = 0; i < NCLAIMS; i++) {
		const char *name = claim_scopes[i].claim;
		const struct json_member *v = value[i];

		/* the table is grouped by scope: one look at scope per group */
		if (claim_scopes[i].scope != last_scope) {
			last_scope = claim_scopes[i].scope;
			granted = claims_scope_has(scope, last_scope);
		}
		if (!granted)
			continue;
		if (name == CLAIM_UPDATED_AT) {
			/* users_claims: the row's, whatever the text says */
			int ulen = snprintf(updated, sizeof updated, "%lld", (long long)updated_at);

			pc[np++] = (struct piece){"\"updated_at\":", 13};
			pc[np++] = (struct piece){updated, (size_t)ulen};
			pc[np++] = (struct piece){",", 1};
			continue;
		}
		if (v == NULL || v->kind == JSON_MEMBER_NULL)
			continue;
		if (v->kind == JSON_MEMBER_OBJECT || v->kind == JSON_MEMBER_ARRAY)
			return NULL;
		pc[np++] = (struct piece){"\"", 1};
		pc[np++] = (struct piece){name, strlen(name)};
		pc[np++] = (struct piece){"\":", 2};
		pc[np++] = (struct piece){v->value, v->value_len};
		pc[np++] = (struct piece){",", 1};
	}
	pc[np++] = (struct piece){"\"sub\":\"", 7};
	pc[np++] = (struct piece){sub, strlen(sub)};
	pc[np++] = (struct piece){"\"}", 2};
	for (i = 0; i < np; i++)
		len += pc[i].n;
	out = w = arena_alloc(arena, len + 1);
	for (i = 0; i < np; i++) {
		memcpy(w, pc[i].p, pc[i].n);
		w += pc[i].n;
	}
	*w = '\0';
	*len_out = len;
	return out;
}

json_t *
claims_request_member(const char *claims_request, const char *member)
{
	json_t *all, *out;

	if (claims_request == NULL)
		return NULL;
	all = json_loads(claims_request, 0, NULL);
	out = json_incref(json_object_get(all, member));
	json_decref(all);
	return out;
}

/* Protocol claims a consent app's session cannot set (OIDC Core §2, §3.1.3.6). */
static const char *const protocol_claims[] = {
        "iss", "sub", "aud", "exp",     "iat",    "nbf",    "jti", "nonce", "auth_time", "acr",
        "amr", "azp", "sid", "at_hash", "c_hash", "s_hash", "rat", "typ",   "cnf",       "events",
};

static bool
is_protocol_claim(const char *name)
{
	for (size_t i = 0; i < sizeof protocol_claims / sizeof protocol_claims[0]; i++)
		if (strcmp(name, protocol_claims[i]) == 0)
			return true;
	return false;
}

json_t *
claims_session_member(const char *session, const char *member)
{
	json_t *doc, *m;

	if (session == NULL)
		return NULL;
	doc = json_loads(session, JSON_REJECT_DUPLICATES, NULL);
	m = json_object_get(doc, member);
	if (json_is_object(m))
		json_incref(m);
	else
		m = NULL;
	json_decref(doc);
	return m;
}

json_t *
claims_from_session(const char *session, const char *scope, const json_t *requested,
                    bool filter_by_scope)
{
	json_t *idt = claims_session_member(session, "id_token"), *out = NULL, *v;
	const char *name;

	if (idt == NULL)
		return NULL;
	if (filter_by_scope) {
		(void)claims_for_scopes(idt, scope, requested, &out);
	} else {
		out = json_object();
		json_object_foreach(idt, name, v)
		{
			if (!is_protocol_claim(name))
				json_object_set(out, name, v);
		}
	}
	json_decref(idt);
	return out;
}
