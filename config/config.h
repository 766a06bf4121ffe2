/*
 * config/config.h — every tunable of oidcd, typed, units in the names.
 *
 * Sources, highest precedence first (DESIGN "Configuration", STYLE B10):
 *   flags (--set key=value and the named flags main() maps to keys)
 *   > environment (OIDCD_ + key upper-cased, '.' -> '_'; lists comma-separated;
 *     OIDCD_CONFIG and OIDCD_BIN are not keys and are ignored)
 *   > config file (`key value...` lines, '#' comments, "double quotes" with \" and
 *     \\ escapes for values holding spaces or '#'; lists space-separated;
 *     a key given twice is an error)
 *   > defaults (and the --dev defaults).
 * Unknown keys (OIDCD_* variables included), malformed lines and bad values
 * fail with the source named:
 *   "oidcd.conf:12: ttl.access_token: not a duration (use 30s, 15m, 1h or 30d)"
 *   "OIDCD_ISSUER: issuer: not an absolute http(s) URL"
 *   "--set: threads: not a number in 1..1024"
 * After config_load() the struct is treated as const and travels by pointer.
 *
 * To add a key: add the field here, its default and parser line in the key
 * table in config.c, and document it in examples/oidcd.conf (a test loads
 * that file and fails on any undocumented key).
 */
#ifndef CONFIG_CONFIG_H
#define CONFIG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/log.h"

enum config_alg {
	CONFIG_ALG_RS256 = 0,
	CONFIG_ALG_PS256,
	CONFIG_ALG_ES256,
	CONFIG_ALG_EDDSA,
};

enum config_log_output {
	CONFIG_LOG_STDERR = 0,
	CONFIG_LOG_STDOUT,
};

enum config_token_format {
	CONFIG_TOKEN_OPAQUE = 0, /* default: oidcd_at_ + 256 random bits */
	CONFIG_TOKEN_JWT,        /* RFC 9068 JWT access tokens */
};

enum config_sync {
	CONFIG_SYNC_FULL = 0, /* default: nothing acknowledged is lost on power failure */
	CONFIG_SYNC_NORMAL,
};

/* An address block from proxy.trusted, e.g. 10.0.0.0/8 or ::1/128. */
struct config_cidr {
	int family;             /* AF_INET or AF_INET6 */
	unsigned char addr[16]; /* network byte order; first 4 used for AF_INET */
	unsigned prefix_bits;
};

struct config {
	bool is_dev; /* --dev: development defaults, relaxed checks */

	char *issuer;           /* absolute URL, no trailing slash, no query/fragment */
	bool issuer_is_default; /* --dev without an explicit issuer: main() derives it
	                           from the bound public address */
	char *public_listen;    /* "host:port"; port 0 = ephemeral */
	char *admin_listen;     /* "host:port"; empty string = admin API disabled */
	char *public_tls_cert;  /* PEM chain, or NULL: the public listener serves HTTPS */
	char *public_tls_key;   /* PEM private key of public_tls_cert; set together with it */
	char *database;         /* path of the SQLite file */
	enum config_sync database_synchronous;

	char **secrets_system; /* first is active; the rest only decrypt/verify */
	size_t secrets_system_count;

	enum log_level log_level;
	enum log_format log_format;
	enum config_log_output log_output; /* stderr (default) or stdout */

	size_t limits_body_bytes;    /* default 64 KiB */
	size_t limits_header_bytes;  /* per-connection memory for headers; default 64 KiB */
	unsigned limits_connections; /* max concurrent connections; default 1024 */
	unsigned limits_connection_timeout_secs; /* idle connection timeout; default 30 */
	unsigned threads;                        /* worker threads; default: number of cores */

	int64_t ttl_access_token_secs;     /* 1h */
	int64_t ttl_refresh_token_secs;    /* 720h */
	int64_t ttl_id_token_secs;         /* 1h */
	int64_t ttl_auth_code_secs;        /* 10m */
	int64_t ttl_device_user_code_secs; /* 10m: device and user codes of RFC 8628 */
	int64_t ttl_login_session_secs;    /* 720h */
	int64_t ttl_consent_secs;          /* 720h: how long a granted consent is remembered */
	int64_t ttl_vc_nonce_secs;         /* 1h: a verifiable-credential c_nonce */
	int64_t ttl_vc_secs;               /* 1h: a verifiable credential (from its issuance) */

	struct config_cidr *proxy_trusted;
	size_t proxy_trusted_count;

	bool registration_enabled;               /* default off; on with --dev */
	char *registration_initial_access_token; /* RFC 7591 §3; NULL = open registration */
	char **registration_allowed_grant_types; /* what registrants may ask for */
	size_t registration_allowed_grant_types_count;
	char **registration_allowed_scopes;
	size_t registration_allowed_scopes_count;

	char *admin_token;         /* NULL = the admin API needs no bearer token */
	char *http_client_ca_file; /* extra CA bundle for outbound https (tests, private PKI) */

	enum config_alg keys_algorithm;       /* RS256 */
	unsigned keys_rsa_bits;               /* 2048 (2048..8192) */
	char *keys_import_file;               /* PEM private key for the first start, or NULL */
	unsigned hashers_scrypt_log_n;        /* 15 (10..15): log2 N of new password hashes */
	int64_t keys_publish_before_use_secs; /* 1h */
	int64_t keys_refresh_interval_secs;   /* 60s: how often the server re-reads keys */

	int64_t http_cache_max_age_secs; /* 5m; must be < keys.publish_before_use */

	int64_t sweep_interval_secs; /* 60s: how often expired rows are deleted */
	int64_t sweep_batch;         /* 500: rows per table per sweep transaction */

	char *ui_templates_dir;    /* NULL = the built-in page templates only */
	bool oauth2_pkce_enforced; /* PKCE for every client, not only public ones */
	char *oidc_pairwise_salt;  /* NULL: derived from secrets.system[0] */
	enum config_token_format oauth2_access_token_format;
	int64_t oauth2_refresh_grace_secs; /* 0s: a used refresh token is never served again */
	int64_t oauth2_device_poll_interval_secs; /* 5s: RFC 8628 §3.2 interval */

	bool logout_revoke_tokens;     /* true: logout revokes the session's tokens */
	char *logout_default_redirect; /* NULL: the built-in "signed out" page */

	/* Headless mode (Hydra's login/consent/logout apps): NULL = the built-in pages. */
	char *urls_login;
	char *urls_consent;
	char *urls_logout;
	int64_t ttl_login_consent_request_secs; /* 30m: how long a challenge may be answered */
	bool oidc_claims_filter_by_scope; /* true: session.id_token claims follow the scopes */
	unsigned logout_backchannel_max_attempts; /* 8: deliveries tried before giving up */
	int64_t logout_backchannel_wait_secs;     /* 2s: how long the browser waits for them */
};

/*
 * A key=value override from the command line. main() turns --listen,
 * --database, --set k=v etc. into these; they win over everything else.
 * List values are comma-separated, as in the environment. When a key is
 * given twice, the later one wins.
 */
struct config_override {
	const char *key;
	const char *value;
};

/*
 * Loads the configuration. path may be NULL (no file). envp is the process
 * environment (NULL-terminated "K=V" strings; only OIDCD_* are read; may be
 * NULL). is_dev selects the --dev defaults and relaxed checks. On ST_OK *out
 * is filled (release with config_free). On failure err->msg is one line
 * naming source, line and key, and *out is untouched.
 *
 * Validation (without --dev): secrets.system must be set (each >= 16
 * characters); issuer must be https unless its host is loopback
 * (127.0.0.0/8, ::1, localhost); http.cache_max_age < keys.publish_before_use.
 * With --dev a missing secrets.system is allowed: main() then supplies one
 * with config_set_dev_secret().
 */
enum status config_load(const char *path, const char *const *envp,
                        const struct config_override *overrides, size_t noverrides, bool is_dev,
                        struct config *out, struct err *err);

/*
 * config_load() without the filesystem: text (len bytes, NUL not needed;
 * NULL for no file) is the file's content and name its path for messages.
 * Files over 1 MiB are rejected. Used by config_load() and the fuzzer.
 */
enum status config_load_buffer(const char *name, const char *text, size_t len,
                               const char *const *envp, const struct config_override *overrides,
                               size_t noverrides, bool is_dev, struct config *out, struct err *err);

/*
 * The key table, for `oidcd help` and the documentation test: the number of
 * keys, and the name and default (as it would be written in the file) of key
 * i < config_key_count(). The default is NULL when the key has none (issuer,
 * secrets.system) or it is computed (threads: the number of online cores).
 */
size_t config_key_count(void);
const char *config_key_name(size_t i);
const char *config_key_default(size_t i);

/* Installs the generated --dev secret as the only system secret (copied). */
void config_set_dev_secret(struct config *cfg, const char *secret);

/*
 * Releases everything config_load allocated (secrets are wiped) and zeroes
 * *cfg; NULL and a zeroed struct are no-ops.
 */
void config_free(struct config *cfg);

/* Name of an algorithm as JOSE spells it ("RS256", "EdDSA", ...). */
const char *config_alg_name(enum config_alg alg);

/*
 * Parses a duration: "30s", "15m", "1h", "30d" or a bare number of seconds.
 * Exposed for tests and the fuzzer. ST_INVALID on anything else or overflow.
 */
enum status config_parse_duration(const char *s, int64_t *secs_out);

/*
 * Parses "10.0.0.0/8", "::1", "192.168.1.1" (host = full prefix). Host bits
 * may be set and are masked. ST_INVALID (and *out untouched) otherwise.
 */
enum status config_parse_cidr(const char *s, struct config_cidr *out);

/*
 * True when addr (family AF_INET/AF_INET6, network order, 4 or 16 bytes) is
 * in any proxy.trusted block. An IPv4-mapped IPv6 address (::ffff:a.b.c.d,
 * as a dual-stack socket reports IPv4 peers) also matches IPv4 blocks.
 */
bool config_is_trusted_proxy(const struct config *cfg, int family, const unsigned char *addr);

#endif
