/*
 * config/config.c — builds struct config from defaults, a config file, the
 * environment and command-line overrides, in rising precedence, and
 * validates it (DESIGN "Configuration", STYLE B10).
 *
 * API: config_load() reads a file and calls config_load_buffer(), which does
 * the work (the fuzzer calls it directly); config_free() releases the result.
 * The spelling of lines and values is config_parse.c's business; this file
 * knows the keys.
 *
 * The key table keys[] is the one description of every key: name, kind,
 * field, default, --dev default and range. Defaults are text run through the
 * same parsers as user input, so a default is always something a user could
 * have written.
 *
 * Invariants:
 * - Each source is parsed and checked as it is applied, so an error names its
 *   source ("file:line", "OIDCD_X" or "--set") and its key. A bad value is an
 *   error even when a higher source overrides it: typos never pass silently.
 * - Checks spanning several keys run last and name the key only.
 * - Error messages never quote a value that may be a secret.
 * - Memory that held a secret (file text, tokens, secrets.system) is wiped
 *   before it is freed.
 *
 * To add a key: add the field to struct config, one row to keys[], and a
 * documented line to examples/oidcd.conf (config_test fails otherwise).
 */
#include "config/config.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "config/config_parse.h"

#define CONFIG_MAX_FILE_BYTES ((size_t)1024 * 1024)
#define SECRET_MIN_CHARS      16
#define DAYS_3650             (3650ULL * 86400) /* longest duration: keeps now + ttl far from overflow */
#define KIB                   1024ULL
#define MIB                   (1024ULL * KIB)
#define GIB                   (1024ULL * MIB)

enum kind {
	KIND_URL,        /* issuer: absolute http(s) URL, normalised */
	KIND_LISTEN,     /* "host:port" or "[v6]:port" */
	KIND_LISTEN_OFF, /* as KIND_LISTEN; "" or "off" store "" (disabled) */
	KIND_PATH,       /* non-empty file path */
	KIND_SECRETS,    /* list of secrets, each SECRET_MIN_CHARS or longer */
	KIND_DURATION,   /* config_parse_duration(), within min..max seconds */
	KIND_SIZE,       /* bytes, or KiB/MiB/GiB, within min..max bytes */
	KIND_UINT,       /* decimal, within min..max */
	KIND_BOOL,       /* true/false, on/off, yes/no, 1/0 */
	KIND_ENUM,       /* one of names[]; stored as its index */
	KIND_CIDRS,      /* list of config_parse_cidr() blocks */
	KIND_TOKEN,      /* one secret token, SECRET_MIN_CHARS or longer; optional */
	KIND_WORDS,      /* list of words (printable ASCII, no spaces or commas) */
};

struct key {
	const char *name;
	enum kind kind;
	size_t offset;            /* of the field in struct config */
	size_t size;              /* of the field (integers are stored by size) */
	const char *def;          /* default as text; NULL: none (required, or computed) */
	const char *dev_def;      /* --dev default; NULL: same as def */
	uint64_t min, max;        /* durations (seconds), sizes (bytes), uints */
	const char *const *names; /* enums: indexed by value, NULL-terminated */
	size_t count_offset;      /* lists: of the element count */
};

static const char *const sync_names[] = {
        [CONFIG_SYNC_FULL] = "full",
        [CONFIG_SYNC_NORMAL] = "normal",
        [CONFIG_SYNC_NORMAL + 1] = NULL,
};
static const char *const level_names[] = {
        [LOG_DEBUG] = "debug", [LOG_INFO] = "info",    [LOG_WARN] = "warn",
        [LOG_ERROR] = "error", [LOG_ERROR + 1] = NULL,
};
static const char *const format_names[] = {
        [LOG_FORMAT_TEXT] = "text",
        [LOG_FORMAT_JSON] = "json",
        [LOG_FORMAT_JSON + 1] = NULL,
};
static const char *const output_names[] = {
        [CONFIG_LOG_STDERR] = "stderr",
        [CONFIG_LOG_STDOUT] = "stdout",
        [CONFIG_LOG_STDOUT + 1] = NULL,
};
static const char *const token_format_names[] = {
        [CONFIG_TOKEN_OPAQUE] = "opaque",
        [CONFIG_TOKEN_JWT] = "jwt",
        [CONFIG_TOKEN_JWT + 1] = NULL,
};
/* RFC 7518 §3.1 and RFC 8037 §3.1 spellings. */
static const char *const alg_names[] = {
        [CONFIG_ALG_RS256] = "RS256", [CONFIG_ALG_PS256] = "PS256",  [CONFIG_ALG_ES256] = "ES256",
        [CONFIG_ALG_EDDSA] = "EdDSA", [CONFIG_ALG_EDDSA + 1] = NULL,
};

/* Enum fields are stored through an unsigned of the same size. */
_Static_assert(sizeof(enum config_sync) == sizeof(unsigned), "enum size");
_Static_assert(sizeof(enum config_token_format) == sizeof(unsigned), "enum size");
_Static_assert(sizeof(enum config_alg) == sizeof(unsigned), "enum size");
_Static_assert(sizeof(enum log_level) == sizeof(unsigned), "enum size");
_Static_assert(sizeof(enum log_format) == sizeof(unsigned), "enum size");
_Static_assert(sizeof(enum config_log_output) == sizeof(unsigned), "enum size");
_Static_assert(sizeof(unsigned) != sizeof(uint64_t), "put_uint distinguishes by size");

/*
 * The offset and size of a field of struct config, for keys[]. (The size
 * matters for integers only; for pointer fields it is unused.)
 */
#define FIELD(f) offsetof(struct config, f), sizeof(((struct config *)NULL)->f) /* NOLINT */

/*
 * One key per entry: name, kind and field on the first line; default and
 * range on the second. (clang-format 14 crashes aligning this table.)
 */
/* clang-format off */
static const struct key keys[] = {
	{"issuer",                    KIND_URL,        FIELD(issuer),
	 .dev_def = "http://127.0.0.1:4444"},
	{"public.listen",             KIND_LISTEN,     FIELD(public_listen),
	 .def = "127.0.0.1:4444"},
	{"admin.listen",              KIND_LISTEN_OFF, FIELD(admin_listen),
	 .def = "127.0.0.1:4445"},
	{"public.tls_cert",           KIND_PATH,       FIELD(public_tls_cert),
	 .def = NULL},
	{"public.tls_key",            KIND_PATH,       FIELD(public_tls_key),
	 .def = NULL},
	{"database",                  KIND_PATH,       FIELD(database),
	 .def = "./oidcd.db"},
	{"database.synchronous",      KIND_ENUM,       FIELD(database_synchronous),
	 .def = "full", .names = sync_names},
	{"secrets.system",            KIND_SECRETS,    FIELD(secrets_system),
	 .count_offset = offsetof(struct config, secrets_system_count)},
	{"log.level",                 KIND_ENUM,       FIELD(log_level),
	 .def = "info", .names = level_names},
	{"log.format",                KIND_ENUM,       FIELD(log_format),
	 .def = "json", .names = format_names},
	{"log.output",                KIND_ENUM,       FIELD(log_output),
	 .def = "stderr", .names = output_names},
	{"limits.body_bytes",         KIND_SIZE,       FIELD(limits_body_bytes),
	 .def = "64KiB", .min = 1, .max = GIB},
	{"limits.header_bytes",       KIND_SIZE,       FIELD(limits_header_bytes),
	 .def = "64KiB", .min = KIB, .max = 16 * MIB},
	{"limits.connections",        KIND_UINT,       FIELD(limits_connections),
	 .def = "1024", .min = 1, .max = 1000000},
	{"limits.connection_timeout", KIND_DURATION,   FIELD(limits_connection_timeout_secs),
	 .def = "30s", .min = 1, .max = 86400},
	{"threads",                   KIND_UINT,       FIELD(threads),
	 .def = NULL /* the number of online cores: apply_defaults */, .min = 1, .max = 1024},
	{"ttl.access_token",          KIND_DURATION,   FIELD(ttl_access_token_secs),
	 .def = "1h", .min = 1, .max = DAYS_3650},
	{"ttl.refresh_token",         KIND_DURATION,   FIELD(ttl_refresh_token_secs),
	 .def = "720h", .min = 1, .max = DAYS_3650},
	{"ttl.id_token",              KIND_DURATION,   FIELD(ttl_id_token_secs),
	 .def = "1h", .min = 1, .max = DAYS_3650},
	{"ttl.auth_code",             KIND_DURATION,   FIELD(ttl_auth_code_secs),
	 .def = "10m", .min = 1, .max = DAYS_3650},
	{"ttl.device_user_code",      KIND_DURATION,   FIELD(ttl_device_user_code_secs),
	 .def = "10m", .min = 1, .max = 86400},
	{"ttl.login_session",         KIND_DURATION,   FIELD(ttl_login_session_secs),
	 .def = "720h", .min = 1, .max = DAYS_3650},
	{"ttl.consent",               KIND_DURATION,   FIELD(ttl_consent_secs),
	 .def = "720h", .min = 1, .max = DAYS_3650},
	{"ttl.vc_nonce",              KIND_DURATION,   FIELD(ttl_vc_nonce_secs),
	 .def = "1h", .min = 1, .max = DAYS_3650},
	{"ttl.vc",                    KIND_DURATION,   FIELD(ttl_vc_secs),
	 .def = "1h", .min = 1, .max = DAYS_3650},
	{"proxy.trusted",             KIND_CIDRS,      FIELD(proxy_trusted),
	 .def = "", .count_offset = offsetof(struct config, proxy_trusted_count)},
	{"registration.enabled",      KIND_BOOL,       FIELD(registration_enabled),
	 .def = "false", .dev_def = "true"},
	{"registration.initial_access_token", KIND_TOKEN, FIELD(registration_initial_access_token),
	 .def = NULL},
	{"registration.allowed_grant_types", KIND_WORDS, FIELD(registration_allowed_grant_types),
	 .def = "authorization_code,refresh_token,implicit,urn:ietf:params:oauth:grant-type:device_code",
	 .count_offset = offsetof(struct config, registration_allowed_grant_types_count)},
	{"registration.allowed_scopes", KIND_WORDS,    FIELD(registration_allowed_scopes),
	 .def = "openid,offline_access,offline,profile,email,address,phone,userinfo_credential_draft_00",
	 .count_offset = offsetof(struct config, registration_allowed_scopes_count)},
	{"admin.token",               KIND_TOKEN,      FIELD(admin_token),
	 .def = NULL},
	{"http_client.ca_file",       KIND_PATH,       FIELD(http_client_ca_file),
	 .def = NULL},
	{"keys.algorithm",            KIND_ENUM,       FIELD(keys_algorithm),
	 .def = "RS256", .names = alg_names},
	{"keys.rsa_bits",             KIND_UINT,       FIELD(keys_rsa_bits),
	 .def = "2048", .min = 2048, .max = 8192},
	/* Passwords and admin-chosen client secrets (crypto/secret.h). Lower
	 * only where logins must be cheap (test suites, tiny machines). */
	{"hashers.scrypt_log_n",      KIND_UINT,       FIELD(hashers_scrypt_log_n),
	 .def = "15", .min = 10, .max = 15},
	{"keys.import_file",          KIND_PATH,       FIELD(keys_import_file),
	 .def = NULL},
	{"keys.publish_before_use",   KIND_DURATION,   FIELD(keys_publish_before_use_secs),
	 .def = "1h", .min = 1, .max = DAYS_3650},
	{"keys.refresh_interval",     KIND_DURATION,   FIELD(keys_refresh_interval_secs),
	 .def = "60s", .min = 1, .max = DAYS_3650},
	{"http.cache_max_age",        KIND_DURATION,   FIELD(http_cache_max_age_secs),
	 .def = "5m", .min = 0, .max = DAYS_3650},
	{"sweep.interval",            KIND_DURATION,   FIELD(sweep_interval_secs),
	 .def = "60s", .min = 1, .max = DAYS_3650},
	{"sweep.batch",               KIND_UINT,       FIELD(sweep_batch),
	 .def = "500", .min = 1, .max = 100000},
	{"ui.templates_dir",          KIND_PATH,       FIELD(ui_templates_dir),
	 .def = NULL},
	{"oauth2.pkce.enforced",      KIND_BOOL,       FIELD(oauth2_pkce_enforced),
	 .def = "false"},
	{"oidc.pairwise_salt",        KIND_TOKEN,      FIELD(oidc_pairwise_salt),
	 .def = NULL},
	{"oauth2.access_token_format", KIND_ENUM,      FIELD(oauth2_access_token_format),
	 .def = "opaque", .names = token_format_names},
	{"oauth2.refresh_token.grace_period", KIND_DURATION, FIELD(oauth2_refresh_grace_secs),
	 .def = "0s", .min = 0, .max = 300},
	{"oauth2.device_authorization.token_polling_interval", KIND_DURATION,
	 FIELD(oauth2_device_poll_interval_secs), .def = "5s", .min = 1, .max = 60},
	{"logout.revoke_tokens",      KIND_BOOL,       FIELD(logout_revoke_tokens),
	 .def = "true"},
	{"logout.default_redirect",   KIND_URL,        FIELD(logout_default_redirect),
	 .def = NULL},
	{"logout.backchannel.max_attempts", KIND_UINT, FIELD(logout_backchannel_max_attempts),
	 .def = "8", .min = 1, .max = 100},
	{"logout.backchannel.wait",   KIND_DURATION,   FIELD(logout_backchannel_wait_secs),
	 .def = "2s", .min = 0, .max = 60},
	{"urls.login",                KIND_URL,        FIELD(urls_login),
	 .def = NULL},
	{"urls.consent",              KIND_URL,        FIELD(urls_consent),
	 .def = NULL},
	{"urls.logout",               KIND_URL,        FIELD(urls_logout),
	 .def = NULL},
	{"ttl.login_consent_request", KIND_DURATION,   FIELD(ttl_login_consent_request_secs),
	 .def = "30m", .min = 1, .max = 86400},
	{"oidc.claims.filter_by_scope", KIND_BOOL,     FIELD(oidc_claims_filter_by_scope),
	 .def = "true"},
};
/* clang-format on */

#define NKEYS (sizeof keys / sizeof keys[0])

/* Where a value came from, for error messages. */
struct origin {
	const char *name; /* file path, "OIDCD_X", "--set" or "default" */
	unsigned line;    /* file line, 1-based; 0 outside files */
};

static enum status fail(struct err *err, const struct origin *o, const char *key, const char *fmt,
                        ...) __attribute__((format(printf, 4, 5)));

/* Copies s (up to n bytes) into out as printable ASCII, shortened with "...". */
static const char *
show(const char *s, size_t n, char *out, size_t cap)
{
	size_t i;

	assert(cap > 4);
	for (i = 0; i < n && s[i] != '\0'; i++) {
		if (i == cap - 1) {
			memcpy(out + cap - 4, "...", 4);
			return out;
		}
		out[i] = s[i];
		if (s[i] < 0x20 || s[i] == 0x7f)
			out[i] = '?';
	}
	out[i] = '\0';
	return out;
}

/* Fills err with "origin: key: reason" (key may be NULL) and returns ST_INVALID. */
static enum status
fail(struct err *err, const struct origin *o, const char *key, const char *fmt, ...)
{
	char why[sizeof err->msg];
	char where[sizeof err->msg];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	if (o->line > 0)
		snprintf(where, sizeof where, "%s:%u", o->name, o->line);
	else
		snprintf(where, sizeof where, "%s", o->name);
	if (key != NULL)
		return ERR_SET(err, ST_INVALID, "%s: %s: %s", where, key, why);
	return ERR_SET(err, ST_INVALID, "%s: %s", where, why);
}

static void *
field(struct config *cfg, const struct key *k)
{
	return (char *)cfg + k->offset;
}

static size_t *
count_field(struct config *cfg, const struct key *k)
{
	return (size_t *)(void *)((char *)cfg + k->count_offset);
}

/* Stores an integer in a field of 4 or 8 bytes (unsigned, enum, size_t, int64_t). */
static void
put_uint(struct config *cfg, const struct key *k, uint64_t v)
{
	unsigned u = (unsigned)v;

	switch (k->size) {
	case sizeof(unsigned):
		assert(v <= UINT_MAX);
		memcpy(field(cfg, k), &u, sizeof u);
		break;
	case sizeof(uint64_t):
		assert(v <= INT64_MAX);
		memcpy(field(cfg, k), &v, sizeof v);
		break;
	default:
		assert(!"integer field of unexpected size");
	}
}

static void
free_secrets(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		config_wipe_free(v[i]);
	free(v);
}

static bool
is_list(const struct key *k)
{
	return k->kind == KIND_SECRETS || k->kind == KIND_CIDRS || k->kind == KIND_WORDS;
}

static const struct key *
key_by_name(const char *name, size_t n)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strlen(keys[i].name) == n && memcmp(keys[i].name, name, n) == 0)
			return &keys[i];
	return NULL;
}

/* The environment spelling of one character of a key name. */
static char
env_char(char c)
{
	if (c == '.')
		return '_';
	if (c >= 'a' && c <= 'z')
		return (char)(c - 'a' + 'A');
	return c;
}

/* OIDCD_ + the key upper-cased with '.' -> '_' (STYLE B10). */
static const struct key *
key_by_env(const char *name, size_t n)
{
	static const char prefix[] = "OIDCD_";
	const size_t plen = sizeof prefix - 1;

	if (n <= plen || memcmp(name, prefix, plen) != 0)
		return NULL;
	for (size_t i = 0; i < NKEYS; i++) {
		const char *k = keys[i].name;
		size_t j;

		if (strlen(k) != n - plen)
			continue;
		for (j = 0; j < n - plen; j++) {
			if (name[plen + j] != env_char(k[j]))
				break;
		}
		if (j == n - plen)
			return &keys[i];
	}
	return NULL;
}

static enum status
set_secrets(struct config *cfg, const struct key *k, const struct origin *o,
            const struct config_tokens *t, size_t first, struct err *err)
{
	char ***slot = field(cfg, k);
	size_t *count = count_field(cfg, k);
	char **v;

	/* Never quote the secret itself in the message. */
	for (size_t i = first; i < t->n; i++)
		if (strlen(t->v[i]) < SECRET_MIN_CHARS)
			return fail(err, o, k->name,
			            "each secret needs %d or more characters; generate one with: "
			            "openssl rand -hex 32",
			            SECRET_MIN_CHARS);
	v = xcalloc(t->n - first + 1, sizeof *v);
	for (size_t i = first; i < t->n; i++)
		v[i - first] = xstrdup(t->v[i]);
	free_secrets(*slot, *count);
	*slot = v;
	*count = t->n - first;
	return ST_OK;
}

static enum status
set_words(struct config *cfg, const struct key *k, const struct origin *o,
          const struct config_tokens *t, size_t first, struct err *err)
{
	char ***slot = field(cfg, k);
	size_t *count = count_field(cfg, k);
	char **v;

	for (size_t i = first; i < t->n; i++) {
		const unsigned char *c = (const unsigned char *)t->v[i];

		if (*c == '\0')
			return fail(err, o, k->name, "empty word in the list");
		for (; *c != '\0'; c++)
			if (*c <= 0x20 || *c >= 0x7f || *c == ',' || *c == '"' || *c == '\\')
				return fail(err, o, k->name,
				            "words are printable ASCII without spaces or commas");
	}
	v = xcalloc(t->n - first + 1, sizeof *v);
	for (size_t i = first; i < t->n; i++)
		v[i - first] = xstrdup(t->v[i]);
	free_secrets(*slot, *count);
	*slot = v;
	*count = t->n - first;
	return ST_OK;
}

static enum status
set_cidrs(struct config *cfg, const struct key *k, const struct origin *o,
          const struct config_tokens *t, size_t first, struct err *err)
{
	struct config_cidr **slot = field(cfg, k);
	size_t *count = count_field(cfg, k);
	struct config_cidr *v = xcalloc(t->n - first + 1, sizeof *v);
	char shown[48];

	for (size_t i = first; i < t->n; i++) {
		if (config_parse_cidr(t->v[i], &v[i - first]) != ST_OK) {
			free(v);
			return fail(err, o, k->name,
			            "not an address block (e.g. 10.0.0.0/8 or ::1/128): \"%s\"",
			            show(t->v[i], SIZE_MAX, shown, sizeof shown));
		}
	}
	free(*slot);
	*slot = v;
	*count = t->n - first;
	return ST_OK;
}

static enum status
set_enum(struct config *cfg, const struct key *k, const struct origin *o, const char *v,
         struct err *err)
{
	char list[96] = "";
	size_t used = 0;

	for (unsigned i = 0; k->names[i] != NULL; i++) {
		if (strcmp(v, k->names[i]) == 0) {
			put_uint(cfg, k, i);
			return ST_OK;
		}
		used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "",
		                         k->names[i]);
		assert(used < sizeof list);
	}
	return fail(err, o, k->name, "must be one of %s", list);
}

static enum status
set_string(struct config *cfg, const struct key *k, const char *v, size_t n)
{
	char **slot = field(cfg, k);

	free(*slot);
	*slot = xstrndup(v, n);
	return ST_OK;
}

static enum status
set_number(struct config *cfg, const struct key *k, const struct origin *o, const char *v,
           struct err *err)
{
	char lo[32], hi[32];
	uint64_t n = 0;
	int64_t secs;

	switch (k->kind) {
	case KIND_DURATION:
		if (config_parse_duration(v, &secs) != ST_OK)
			return fail(err, o, k->name, "not a duration (use 30s, 15m, 1h or 30d)");
		if ((uint64_t)secs < k->min || (uint64_t)secs > k->max)
			return fail(err, o, k->name, "must be between %s and %s",
			            config_fmt_duration(k->min, lo, sizeof lo),
			            config_fmt_duration(k->max, hi, sizeof hi));
		n = (uint64_t)secs;
		break;
	case KIND_SIZE:
		if (!config_parse_size(v, &n))
			return fail(err, o, k->name,
			            "not a size (use bytes, or KiB, MiB, GiB as in 64KiB)");
		if (n < k->min || n > k->max)
			return fail(err, o, k->name, "must be between %s and %s",
			            config_fmt_size(k->min, lo, sizeof lo),
			            config_fmt_size(k->max, hi, sizeof hi));
		break;
	default:
		assert(k->kind == KIND_UINT);
		if (!config_parse_uint(v, UINT64_MAX, &n) || n < k->min || n > k->max)
			return fail(err, o, k->name, "not a number in %llu..%llu",
			            (unsigned long long)k->min, (unsigned long long)k->max);
		break;
	}
	put_uint(cfg, k, n);
	return ST_OK;
}

/*
 * Parses t->v[first..] as the value of k and stores it in cfg, replacing any
 * earlier value. On failure cfg keeps its previous value.
 */
static enum status
set_key(struct config *cfg, const struct key *k, const struct origin *o,
        const struct config_tokens *t, size_t first, struct err *err)
{
	const char *v, *why;
	const char *host;
	size_t len;

	if (k->kind == KIND_SECRETS)
		return set_secrets(cfg, k, o, t, first, err);
	if (k->kind == KIND_CIDRS)
		return set_cidrs(cfg, k, o, t, first, err);
	if (k->kind == KIND_WORDS)
		return set_words(cfg, k, o, t, first, err);
	if (t->n <= first)
		return fail(err, o, k->name, "missing value");
	if (t->n > first + 1)
		return fail(err, o, k->name,
		            "takes one value (quote a value that contains spaces)");
	v = t->v[first];

	switch (k->kind) {
	case KIND_URL:
		why = config_parse_issuer(v, cfg->is_dev, &len);
		if (why != NULL)
			return fail(err, o, k->name, "%s", why);
		return set_string(cfg, k, v, len);
	case KIND_LISTEN_OFF:
	case KIND_LISTEN:
		if (k->kind == KIND_LISTEN_OFF && (v[0] == '\0' || strcmp(v, "off") == 0))
			return set_string(cfg, k, "", 0);
		if (!config_parse_hostport(v, strlen(v), true, &host, &len))
			return fail(err, o, k->name,
			            "not a host:port address (e.g. 127.0.0.1:4444 or [::1]:4444)%s",
			            k->kind == KIND_LISTEN_OFF ? ", or off" : "");
		return set_string(cfg, k, v, strlen(v));
	case KIND_PATH:
		if (v[0] == '\0')
			return fail(err, o, k->name, "must not be empty");
		return set_string(cfg, k, v, strlen(v));
	case KIND_TOKEN:
		/* Never quote the token itself in the message. */
		if (strlen(v) < SECRET_MIN_CHARS)
			return fail(err, o, k->name,
			            "needs %d or more characters; generate one with: "
			            "openssl rand -hex 32",
			            SECRET_MIN_CHARS);
		if (strpbrk(v, " \t\",") != NULL)
			return fail(err, o, k->name, "must not contain spaces, quotes or commas");
		{
			char **slot = field(cfg, k);

			config_wipe_free(*slot);
			*slot = xstrdup(v);
		}
		return ST_OK;
	case KIND_BOOL:
		if (!config_parse_bool(v, (bool *)field(cfg, k)))
			return fail(err, o, k->name,
			            "not a boolean (use true/false, on/off, yes/no or 1/0)");
		return ST_OK;
	case KIND_ENUM:
		return set_enum(cfg, k, o, v, err);
	default:
		return set_number(cfg, k, o, v, err);
	}
}

/* Sets k from a source the operator wrote (file, environment, flags). */
static enum status
set_explicit(struct config *cfg, const struct key *k, const struct origin *o,
             const struct config_tokens *t, size_t first, struct err *err)
{
	enum status st = set_key(cfg, k, o, t, first, err);

	if (st == ST_OK && k->offset == offsetof(struct config, issuer))
		cfg->issuer_is_default = false;
	return st;
}

/* Lists are comma-separated in the environment, flags and defaults. */
static void
value_tokens(const struct key *k, const char *v, struct config_tokens *t)
{
	if (is_list(k))
		config_parse_list(v, t);
	else
		config_tokens_push(t, xstrdup(v));
}

static unsigned
online_cores(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	return n > 1024 ? 1024 : (unsigned)n;
}

static enum status
apply_defaults(struct config *cfg, struct err *err)
{
	const struct origin o = {"default", 0};
	struct config_tokens t = {0};
	enum status st = ST_OK;

	for (size_t i = 0; i < NKEYS && st == ST_OK; i++) {
		const char *def = cfg->is_dev && keys[i].dev_def ? keys[i].dev_def : keys[i].def;

		if (def == NULL)
			continue;
		value_tokens(&keys[i], def, &t);
		st = set_key(cfg, &keys[i], &o, &t, 0, err);
		config_tokens_clear(&t);
	}
	cfg->threads = online_cores();
	cfg->issuer_is_default = cfg->issuer != NULL;
	config_tokens_free(&t);
	return st;
}

/* Applies one line of the file. seen_line[] records where each key was set. */
static enum status
apply_line(struct config *cfg, const char *s, size_t n, const struct origin *o, unsigned *seen_line,
           struct config_tokens *t, struct err *err)
{
	const struct key *k;
	const char *why;
	char shown[48];
	size_t idx;

	why = config_parse_line(s, n, t);
	if (why != NULL)
		return fail(err, o, NULL, "%s", why);
	if (t->n == 0)
		return ST_OK;
	k = key_by_name(t->v[0], strlen(t->v[0]));
	if (k == NULL) {
		/* "secrets.system=..." would echo a secret: show only the part before '='. */
		size_t klen = strcspn(t->v[0], "=");

		if (t->v[0][klen] == '=')
			return fail(err, o, NULL, "unknown key \"%s=...\" (write \"key value\")",
			            show(t->v[0], klen, shown, sizeof shown));
		return fail(err, o, NULL, "unknown key \"%s\"",
		            show(t->v[0], klen, shown, sizeof shown));
	}
	idx = (size_t)(k - keys);
	if (seen_line[idx] != 0)
		return fail(err, o, k->name, "given twice (first on line %u)", seen_line[idx]);
	seen_line[idx] = o->line;
	return set_explicit(cfg, k, o, t, 1, err);
}

static enum status
apply_file(struct config *cfg, const char *name, const char *text, size_t len, struct err *err)
{
	unsigned seen_line[NKEYS] = {0};
	struct origin o = {name, 0};
	struct config_tokens t = {0};
	enum status st = ST_OK;
	size_t pos = 0;

	while (pos < len && st == ST_OK) {
		const char *eol = memchr(text + pos, '\n', len - pos);
		size_t n = eol ? (size_t)(eol - (text + pos)) : len - pos;

		o.line++;
		st = apply_line(cfg, text + pos, n, &o, seen_line, &t, err);
		config_tokens_clear(&t);
		pos += n + 1;
	}
	config_tokens_free(&t);
	return st;
}

static enum status
apply_env(struct config *cfg, const char *const *envp, struct err *err)
{
	bool seen[NKEYS] = {false};
	struct config_tokens t = {0};
	enum status st = ST_OK;
	char shown[64];

	for (const char *const *e = envp; e != NULL && *e != NULL && st == ST_OK; e++) {
		const char *eq = strchr(*e, '=');
		const struct origin o = {shown, 0};
		const struct key *k;
		size_t n;

		if (strncmp(*e, "OIDCD_", 6) != 0 || eq == NULL)
			continue;
		n = (size_t)(eq - *e);
		/* The config file path (read by main) and the test harness's binary path. */
		if ((n == 12 && memcmp(*e, "OIDCD_CONFIG", 12) == 0) ||
		    (n == 9 && memcmp(*e, "OIDCD_BIN", 9) == 0))
			continue;
		show(*e, n, shown, sizeof shown);
		k = key_by_env(*e, n);
		if (k == NULL) {
			st = fail(err, &o, NULL, "unknown variable (no config key by that name)");
			break;
		}
		if (seen[k - keys]) {
			st = fail(err, &o, k->name, "set twice in the environment");
			break;
		}
		seen[k - keys] = true;
		value_tokens(k, eq + 1, &t);
		st = set_explicit(cfg, k, &o, &t, 0, err);
		config_tokens_clear(&t);
	}
	config_tokens_free(&t);
	return st;
}

static enum status
apply_overrides(struct config *cfg, const struct config_override *ov, size_t n, struct err *err)
{
	const struct origin o = {"--set", 0};
	struct config_tokens t = {0};
	enum status st = ST_OK;
	char shown[48];

	for (size_t i = 0; i < n && st == ST_OK; i++) {
		const struct key *k = ov[i].key ? key_by_name(ov[i].key, strlen(ov[i].key)) : NULL;

		if (k == NULL) {
			st = fail(err, &o, NULL, "unknown key \"%s\"",
			          show(ov[i].key ? ov[i].key : "", SIZE_MAX, shown, sizeof shown));
			break;
		}
		if (ov[i].value == NULL) {
			st = fail(err, &o, k->name, "missing value");
			break;
		}
		value_tokens(k, ov[i].value, &t);
		st = set_explicit(cfg, k, &o, &t, 0, err);
		config_tokens_clear(&t);
	}
	config_tokens_free(&t);
	return st;
}

/* Checks that need the final values of several keys, or a required key. */
static enum status
validate(const struct config *cfg, struct err *err)
{
	char a[32], b[32];

	if (cfg->issuer == NULL)
		return ERR_SET(err, ST_INVALID, "issuer: required (e.g. https://id.example.com)");
	if (cfg->secrets_system_count == 0 && !cfg->is_dev)
		return ERR_SET(err, ST_INVALID,
		               "secrets.system: required (at least one secret of %d+ characters); "
		               "generate one with: openssl rand -hex 32",
		               SECRET_MIN_CHARS);
	if ((cfg->urls_login == NULL) != (cfg->urls_consent == NULL))
		return ERR_SET(err, ST_INVALID,
		               "%s: set urls.login and urls.consent together (headless mode)",
		               cfg->urls_login == NULL ? "urls.login" : "urls.consent");
	if (cfg->urls_logout != NULL && cfg->urls_login == NULL)
		return ERR_SET(err, ST_INVALID,
		               "urls.logout: needs urls.login and urls.consent (headless mode)");
	if ((cfg->public_tls_cert == NULL) != (cfg->public_tls_key == NULL))
		return ERR_SET(err, ST_INVALID,
		               "%s: set public.tls_cert and public.tls_key together",
		               cfg->public_tls_cert == NULL ? "public.tls_cert" : "public.tls_key");
	/*
	 * A relying party may cache the JWKS for http.cache_max_age; a new key
	 * must be published longer than that before it signs, or fresh tokens
	 * fail verification against the cached set.
	 */
	if (cfg->http_cache_max_age_secs >= cfg->keys_publish_before_use_secs)
		return ERR_SET(
		        err, ST_INVALID,
		        "http.cache_max_age: must be shorter than keys.publish_before_use "
		        "(%s is not less than %s)",
		        config_fmt_duration((uint64_t)cfg->http_cache_max_age_secs, a, sizeof a),
		        config_fmt_duration((uint64_t)cfg->keys_publish_before_use_secs, b,
		                            sizeof b));
	return ST_OK;
}

enum status
config_load_buffer(const char *name, const char *text, size_t len, const char *const *envp,
                   const struct config_override *overrides, size_t noverrides, bool is_dev,
                   struct config *out, struct err *err)
{
	struct config cfg;
	enum status st;

	memset(&cfg, 0, sizeof cfg);
	cfg.is_dev = is_dev;
	if (name == NULL)
		name = "config";
	if (text != NULL && len > CONFIG_MAX_FILE_BYTES) {
		st = ERR_SET(err, ST_INVALID, "%s: larger than %zu bytes", name,
		             CONFIG_MAX_FILE_BYTES);
		goto out;
	}
	st = apply_defaults(&cfg, err);
	if (st != ST_OK)
		goto out;
	if (text != NULL) {
		st = apply_file(&cfg, name, text, len, err);
		if (st != ST_OK)
			goto out;
	}
	st = apply_env(&cfg, envp, err);
	if (st != ST_OK)
		goto out;
	st = apply_overrides(&cfg, overrides, noverrides, err);
	if (st != ST_OK)
		goto out;
	st = validate(&cfg, err);
out:
	if (st == ST_OK)
		*out = cfg;
	else
		config_free(&cfg);
	return st;
}

/*
 * Reads the whole file (at most CONFIG_MAX_FILE_BYTES + 1 bytes, so the
 * caller sees an oversized file). Grows without realloc so no copy of the
 * secrets inside is left behind unwiped.
 */
static enum status
read_file(const char *path, char **text_out, size_t *len_out, struct err *err)
{
	size_t cap = 4096, len = 0;
	char *text = NULL;
	enum status st = ST_OK;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ERR_SET(err, ST_IO, "%s: cannot read: %s", path, strerror(errno));
	text = xmalloc(cap);
	while (len <= CONFIG_MAX_FILE_BYTES) {
		ssize_t r;

		if (len == cap) {
			char *bigger = xmalloc(2 * cap);

			memcpy(bigger, text, len);
			explicit_bzero(text, len);
			free(text);
			text = bigger;
			cap *= 2;
		}
		r = read(fd, text + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			st = ERR_SET(err, ST_IO, "%s: cannot read: %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	*text_out = text;
	*len_out = len;
	text = NULL;
out:
	if (text != NULL) {
		explicit_bzero(text, len);
		free(text);
	}
	close(fd);
	return st;
}

enum status
config_load(const char *path, const char *const *envp, const struct config_override *overrides,
            size_t noverrides, bool is_dev, struct config *out, struct err *err)
{
	char *text = NULL;
	size_t len = 0;
	enum status st;

	if (path == NULL)
		return config_load_buffer(NULL, NULL, 0, envp, overrides, noverrides, is_dev, out,
		                          err);
	st = read_file(path, &text, &len, err);
	if (st != ST_OK)
		return st;
	st = config_load_buffer(path, text, len, envp, overrides, noverrides, is_dev, out, err);
	explicit_bzero(text, len);
	free(text);
	return st;
}

void
config_set_dev_secret(struct config *cfg, const char *secret)
{
	free_secrets(cfg->secrets_system, cfg->secrets_system_count);
	cfg->secrets_system = xcalloc(2, sizeof *cfg->secrets_system);
	cfg->secrets_system[0] = xstrdup(secret);
	cfg->secrets_system_count = 1;
}

void
config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < NKEYS; i++) {
		const struct key *k = &keys[i];

		switch (k->kind) {
		case KIND_URL:
		case KIND_LISTEN:
		case KIND_LISTEN_OFF:
		case KIND_PATH:
			free(*(char **)field(cfg, k));
			break;
		case KIND_SECRETS:
		case KIND_WORDS:
			free_secrets(*(char ***)field(cfg, k), *count_field(cfg, k));
			break;
		case KIND_TOKEN:
			config_wipe_free(*(char **)field(cfg, k));
			break;
		case KIND_CIDRS:
			free(*(struct config_cidr **)field(cfg, k));
			break;
		default:
			break;
		}
	}
	memset(cfg, 0, sizeof *cfg);
}

const char *
config_alg_name(enum config_alg alg)
{
	if ((unsigned)alg > CONFIG_ALG_EDDSA)
		return "unknown";
	return alg_names[alg];
}

size_t
config_key_count(void)
{
	return NKEYS;
}

const char *
config_key_name(size_t i)
{
	return i < NKEYS ? keys[i].name : NULL;
}

const char *
config_key_default(size_t i)
{
	return i < NKEYS ? keys[i].def : NULL;
}

static bool
is_in_block(const struct config_cidr *c, const unsigned char *addr)
{
	unsigned full = c->prefix_bits / 8, rest = c->prefix_bits % 8;

	if (memcmp(c->addr, addr, full) != 0)
		return false;
	return rest == 0 || ((c->addr[full] ^ addr[full]) & (0xff00u >> rest)) == 0;
}

bool
config_is_trusted_proxy(const struct config *cfg, int family, const unsigned char *addr)
{
	/* RFC 4291 §2.5.5.2: a dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d. */
	static const unsigned char v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	bool is_mapped = family == AF_INET6 && memcmp(addr, v4_mapped, sizeof v4_mapped) == 0;

	for (size_t i = 0; i < cfg->proxy_trusted_count; i++) {
		const struct config_cidr *c = &cfg->proxy_trusted[i];

		if (c->family == family && is_in_block(c, addr))
			return true;
		if (is_mapped && c->family == AF_INET && is_in_block(c, addr + 12))
			return true;
	}
	return false;
}
