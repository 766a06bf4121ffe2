/*
 * server/users_validate.c — the syntax of a user document: the OIDC Core
 * §5.1 standard claims (types, URLs, e-mail, birthdate, zoneinfo, locale,
 * phone number, the §5.1.1 address), usernames and passwords. Pure
 * functions, no I/O. API (users.h): users_validate_claims,
 * users_is_valid_username, users_check_password.
 *
 * To add a claim: a row in claim_rules (and a kind with its check when its
 * syntax is new), and a case in users_test.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "server/json_unconst.h"
#include "server/uri.h"
#include "server/users.h"
#include "server/users_internal.h"

#define CLAIM_MAX_BYTES 2048 /* per string claim; the body limit bounds the whole */
#define NAME_IN_MESSAGE 64   /* member names quoted in messages are cut here */

enum claim_kind {
	CLAIM_TEXT = 0,
	CLAIM_MULTILINE, /* text that may hold line breaks (§5.1.1 formatted, street_address) */
	CLAIM_URL,
	CLAIM_EMAIL,
	CLAIM_BOOL,
	CLAIM_BIRTHDATE,
	CLAIM_ZONEINFO,
	CLAIM_LOCALE,
	CLAIM_PHONE,
	CLAIM_ADDRESS,
};

struct claim_rule {
	const char *name;
	enum claim_kind kind;
};

/* OIDC Core §5.1, in the specification's order; sub and updated_at are the server's. */
static const struct claim_rule claim_rules[] = {
        {"name",                  CLAIM_TEXT     },
        {"given_name",            CLAIM_TEXT     },
        {"family_name",           CLAIM_TEXT     },
        {"middle_name",           CLAIM_TEXT     },
        {"nickname",              CLAIM_TEXT     },
        {"preferred_username",    CLAIM_TEXT     },
        {"profile",               CLAIM_URL      },
        {"picture",               CLAIM_URL      },
        {"website",               CLAIM_URL      },
        {"email",                 CLAIM_EMAIL    },
        {"email_verified",        CLAIM_BOOL     },
        {"gender",                CLAIM_TEXT     },
        {"birthdate",             CLAIM_BIRTHDATE},
        {"zoneinfo",              CLAIM_ZONEINFO },
        {"locale",                CLAIM_LOCALE   },
        {"phone_number",          CLAIM_PHONE    },
        {"phone_number_verified", CLAIM_BOOL     },
        {"address",               CLAIM_ADDRESS  },
};

/* OIDC Core §5.1.1, the members of the address claim. */
static const struct claim_rule address_rules[] = {
        {"formatted",      CLAIM_MULTILINE},
        {"street_address", CLAIM_MULTILINE},
        {"locality",       CLAIM_TEXT     },
        {"region",         CLAIM_TEXT     },
        {"postal_code",    CLAIM_TEXT     },
        {"country",        CLAIM_TEXT     },
};

#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

enum status
users_problem(struct user_problem *p, enum oauth_error e, const char *fmt, ...)
{
	va_list ap;

	if (p == NULL)
		return ST_INVALID;
	p->error = e;
	va_start(ap, fmt);
	vsnprintf(p->description, sizeof p->description, fmt, ap);
	va_end(ap);
	return ST_INVALID;
}

/* ---- syntax of the claims ---- */

static bool
is_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static bool
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_alnum(char c)
{
	return is_alpha(c) || (c >= '0' && c <= '9');
}

/* NULL when s[0..len) is acceptable text, else the reason. */
static const char *
text_problem(const char *s, size_t len, bool multiline)
{
	size_t i;

	if (len == 0)
		return "must not be empty (omit it, or send null)";
	if (len > CLAIM_MAX_BYTES)
		return "must be at most 2048 bytes";
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (multiline && (c == '\n' || c == '\r'))
			continue;
		if (c < 0x20 || c == 0x7f)
			return "must not contain control characters";
	}
	return NULL;
}

/* An absolute http or https URL with a host (RFC 3986 §4.3). */
static bool
is_web_url(const char *s, struct arena *arena)
{
	struct uri u;
	struct err err;

	if (uri_parse(s, arena, &u, &err) != ST_OK)
		return false;
	return (strcmp(u.scheme, "https") == 0 || strcmp(u.scheme, "http") == 0) &&
	       u.host_kind != URI_HOST_NONE && u.host != NULL && u.host[0] != '\0';
}

/* Deliberately minimal: one '@' with something on each side, no whitespace. */
static bool
is_email(const char *s)
{
	const char *at = strchr(s, '@');
	const char *p;

	if (at == NULL || at == s || at[1] == '\0' || strchr(at + 1, '@') != NULL)
		return false;
	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20)
			return false;
	return true;
}

static int
days_in_month(int year, int month)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return month == 2 && leap ? 29 : days[month - 1];
}

/*
 * OIDC Core §5.1 birthdate: ISO 8601 YYYY-MM-DD, or YYYY alone; the year
 * 0000 means "omitted", so it is allowed only with a month and day.
 */
static bool
is_birthdate(const char *s)
{
	size_t n = strlen(s);
	int year, month, day;

	if (n == 4)
		return is_digits(s, 4) && strcmp(s, "0000") != 0;
	if (n != 10 || s[4] != '-' || s[7] != '-' || !is_digits(s, 4) || !is_digits(s + 5, 2) ||
	    !is_digits(s + 8, 2))
		return false;
	year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	month = (s[5] - '0') * 10 + (s[6] - '0');
	day = (s[8] - '0') * 10 + (s[9] - '0');
	return month >= 1 && month <= 12 && day >= 1 && day <= days_in_month(year, month);
}

/* An IANA time zone name such as "Europe/Paris" or "Etc/GMT+5" (§5.1 zoneinfo). */
static bool
is_zoneinfo(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > 64 || s[0] == '/' || s[n - 1] == '/')
		return false;
	for (i = 0; i < n; i++)
		if (!is_alnum(s[i]) && s[i] != '/' && s[i] != '_' && s[i] != '+' && s[i] != '-')
			return false;
	return true;
}

/*
 * A BCP 47 language tag (§5.1 locale), e.g. "en-US" or "zh-Hant-TW": a
 * language of 2..8 letters, then subtags of 1..8 letters or digits. "_" is
 * accepted as a separator too, as some systems write "en_US".
 */
static bool
is_locale(const char *s)
{
	size_t len = 0;
	bool first = true;

	for (;; s++) {
		if (*s == '\0' || *s == '-' || *s == '_') {
			if (len < (first ? 2u : 1u) || len > 8)
				return false;
			if (*s == '\0')
				return true;
			first = false;
			len = 0;
		} else if (first ? is_alpha(*s) : is_alnum(*s)) {
			len++;
		} else {
			return false;
		}
	}
}

/* §5.1 phone_number: E.164 is recommended, not required; printable ASCII with a digit. */
static bool
is_phone(const char *s)
{
	bool digit = false;
	size_t n = 0;

	for (; *s != '\0'; s++, n++) {
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
		if (*s >= '0' && *s <= '9')
			digit = true;
	}
	return digit && n <= 64;
}

static enum status validate_object(const json_t *in, const struct claim_rule *rules, size_t nrules,
                                   const char *prefix, struct arena *arena, json_t **out,
                                   struct user_problem *problem);

/* Validates one non-null member; *out (new reference) is its normalised value or NULL. */
static enum status
validate_value(const struct claim_rule *r, const char *path, const json_t *v, struct arena *arena,
               json_t **out, struct user_problem *problem)
{
	const char *s, *why;

	*out = NULL;
	if (r->kind == CLAIM_BOOL) {
		if (!json_is_boolean(v))
			return users_problem(problem, OAUTH_INVALID_REQUEST,
			                     "%s: must be true or false", path);
		*out = json_incref(json_unconst(v));
		return ST_OK;
	}
	if (r->kind == CLAIM_ADDRESS) {
		if (!json_is_object(v))
			return users_problem(problem, OAUTH_INVALID_REQUEST,
			                     "%s: must be an object", path);
		return validate_object(v, address_rules, NELEMS(address_rules), "address.", arena,
		                       out, problem);
	}
	if (!json_is_string(v))
		return users_problem(problem, OAUTH_INVALID_REQUEST, "%s: must be a string", path);
	s = json_string_value(v);
	if (strlen(s) != json_string_length(v))
		return users_problem(problem, OAUTH_INVALID_REQUEST, "%s: must not contain NUL",
		                     path);
	why = text_problem(s, json_string_length(v), r->kind == CLAIM_MULTILINE);
	if (why != NULL)
		return users_problem(problem, OAUTH_INVALID_REQUEST, "%s: %s", path, why);
	switch (r->kind) {
	case CLAIM_URL:
		why = is_web_url(s, arena) ? NULL : "must be an absolute http or https URL";
		break;
	case CLAIM_EMAIL:
		why = is_email(s) ? NULL : "must be an e-mail address (one '@', no spaces)";
		break;
	case CLAIM_BIRTHDATE:
		why = is_birthdate(s) ? NULL : "must be YYYY or YYYY-MM-DD (a real date)";
		break;
	case CLAIM_ZONEINFO:
		why = is_zoneinfo(s) ? NULL : "must be a time zone name such as Europe/Paris";
		break;
	case CLAIM_LOCALE:
		why = is_locale(s) ? NULL : "must be a BCP 47 language tag such as en-US";
		break;
	case CLAIM_PHONE:
		why = is_phone(s) ? NULL : "must be a telephone number such as +1 (425) 555-1212";
		break;
	default:
		break;
	}
	if (why != NULL)
		return users_problem(problem, OAUTH_INVALID_REQUEST, "%s: %s", path, why);
	*out = json_incref(json_unconst(v));
	return ST_OK;
}

/* Validates the members of in against rules; unknown members are refused by name. */
static enum status
validate_object(const json_t *in, const struct claim_rule *rules, size_t nrules, const char *prefix,
                struct arena *arena, json_t **out, struct user_problem *problem)
{
	json_t *doc = json_object(), *v, *norm;
	const char *key;
	char path[96];
	enum status st = ST_OK;
	size_t i;

	json_object_foreach(json_unconst(in), key, v)
	{
		const struct claim_rule *r = NULL;

		for (i = 0; i < nrules && r == NULL; i++)
			if (strcmp(rules[i].name, key) == 0)
				r = &rules[i];
		snprintf(path, sizeof path, "%s%.*s", prefix, NAME_IN_MESSAGE, key);
		if (r == NULL) {
			st = users_problem(
			        problem, OAUTH_INVALID_REQUEST,
			        "%s: unknown member (a user has the OIDC Core 5.1 standard "
			        "claims%s)",
			        path, prefix[0] == '\0' ? ", username and password" : "");
			goto out;
		}
		if (json_is_null(v))
			continue;
		st = validate_value(r, path, v, arena, &norm, problem);
		if (st != ST_OK)
			goto out;
		/* An address without members says nothing (§5.1: omit empty claims). */
		if (norm != NULL && json_is_object(norm) && json_object_size(norm) == 0)
			json_decref(norm);
		else if (norm != NULL)
			json_object_set_new(doc, key, norm);
	}
out:
	if (st != ST_OK) {
		json_decref(doc);
		return st;
	}
	*out = doc;
	return ST_OK;
}

enum status
users_validate_claims(const json_t *in, struct arena *arena, json_t **out,
                      struct user_problem *problem)
{
	if (!json_is_object(in))
		return users_problem(problem, OAUTH_INVALID_REQUEST,
		                     "the user must be a JSON object");
	return validate_object(in, claim_rules, NELEMS(claim_rules), "", arena, out, problem);
}

bool
users_is_valid_username(const char *username)
{
	size_t n = username != NULL ? strlen(username) : 0, i;

	if (n == 0 || n > USERS_USERNAME_MAX)
		return false;
	for (i = 0; i < n; i++) {
		char c = username[i];

		if (!is_alnum(c) && c != '.' && c != '_' && c != '@' && c != '+' && c != '-')
			return false;
	}
	return true;
}

enum status
users_check_password(const char *password, size_t len, struct user_problem *problem)
{
	if (len < USERS_PASSWORD_MIN || len > USERS_PASSWORD_MAX)
		return users_problem(problem, OAUTH_INVALID_REQUEST,
		                     "password: must be %d to %d bytes long", USERS_PASSWORD_MIN,
		                     USERS_PASSWORD_MAX);
	if (memchr(password, '\0', len) != NULL)
		return users_problem(problem, OAUTH_INVALID_REQUEST,
		                     "password: must not contain NUL");
	return ST_OK;
}
