/*
 * config/config_test.c — config_load: defaults, --dev defaults, precedence
 * (flags > environment > file > defaults), every error class with its exact
 * "source:line: key:" prefix, value syntaxes, address blocks, and the
 * example configuration (it loads, and it documents every key).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* cmocka.h needs these first. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include "config/config.h"

#define SECRET  "0123456789abcdef0123456789abcdef"
#define SECRET2 "fedcba9876543210fedcba9876543210"

/* The file a test wrote; removed by the helper that wrote it. */
struct tmpfile {
	char path[64];
};

static void
tmp_write(struct tmpfile *t, const char *text)
{
	int fd;
	size_t len = strlen(text);

	strcpy(t->path, "/tmp/oidcd_config_test_XXXXXX");
	fd = mkstemp(t->path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
}

/* Loads text as a config file (through the filesystem) plus env and overrides. */
static enum status
load_file(const char *text, const char *const *envp, const struct config_override *ov, size_t nov,
          bool is_dev, struct config *cfg, struct err *err, char *path_out, size_t path_cap)
{
	struct tmpfile t;
	enum status st;

	tmp_write(&t, text);
	if (path_out != NULL)
		snprintf(path_out, path_cap, "%s", t.path);
	st = config_load(t.path, envp, ov, nov, is_dev, cfg, err);
	unlink(t.path);
	return st;
}

/* Loads text from memory as file "test.conf", without --dev. */
static enum status
load_text(const char *text, struct config *cfg, struct err *err)
{
	return config_load_buffer("test.conf", text, strlen(text), NULL, NULL, 0, false, cfg, err);
}

/* A minimal valid file followed by extra lines (line numbers start at 3). */
static enum status
load_with(const char *extra, struct config *cfg, struct err *err)
{
	char text[1024];

	snprintf(text, sizeof text, "issuer https://id.example.com\nsecrets.system %s\n%s", SECRET,
	         extra);
	return load_text(text, cfg, err);
}

/* Loading text (as file "test.conf") fails with exactly msg, on one line. */
static void
expect_text_error(const char *text, const char *msg)
{
	struct config cfg;
	struct err err;

	memset(&cfg, 0, sizeof cfg);
	memset(&err, 0, sizeof err);
	assert_int_equal(load_text(text, &cfg, &err), ST_INVALID);
	assert_string_equal(err.msg, msg);
	assert_null(strchr(err.msg, '\n'));
}

/* As expect_text_error, after a valid issuer and secret (extra starts on line 3). */
static void
expect_error(const char *extra, const char *msg)
{
	char text[1024];

	snprintf(text, sizeof text, "issuer https://id.example.com\nsecrets.system %s\n%s", SECRET,
	         extra);
	expect_text_error(text, msg);
}

/* As expect_text_error, with the issuer on line 1. */
static void
expect_issuer_error(const char *issuer, const char *msg)
{
	char text[1024];

	snprintf(text, sizeof text, "issuer %s\nsecrets.system %s\n", issuer, SECRET);
	expect_text_error(text, msg);
}

static void
test_defaults_without_dev(void **state)
{
	static const struct config_override ov[] = {
	        {"issuer",         "https://id.example.com"},
	        {"secrets.system", SECRET                  },
	};
	struct config cfg;
	struct err err;

	(void)state;
	assert_int_equal(config_load(NULL, NULL, ov, 2, false, &cfg, &err), ST_OK);
	assert_false(cfg.is_dev);
	assert_string_equal(cfg.issuer, "https://id.example.com");
	assert_false(cfg.issuer_is_default);
	assert_string_equal(cfg.public_listen, "127.0.0.1:4444");
	assert_string_equal(cfg.admin_listen, "127.0.0.1:4445");
	assert_string_equal(cfg.database, "./oidcd.db");
	assert_int_equal(cfg.database_synchronous, CONFIG_SYNC_FULL);
	assert_int_equal(cfg.secrets_system_count, 1);
	assert_string_equal(cfg.secrets_system[0], SECRET);
	assert_int_equal(cfg.log_level, LOG_INFO);
	assert_int_equal(cfg.log_format, LOG_FORMAT_JSON);
	assert_int_equal(cfg.limits_body_bytes, 64 * 1024);
	assert_int_equal(cfg.limits_header_bytes, 64 * 1024);
	assert_int_equal(cfg.limits_connections, 1024);
	assert_int_equal(cfg.limits_connection_timeout_secs, 30);
	assert_int_equal(cfg.threads, sysconf(_SC_NPROCESSORS_ONLN) > 1024
	                                      ? 1024
	                                      : sysconf(_SC_NPROCESSORS_ONLN));
	assert_int_equal(cfg.ttl_access_token_secs, 3600);
	assert_int_equal(cfg.ttl_refresh_token_secs, 720 * 3600);
	assert_int_equal(cfg.ttl_id_token_secs, 3600);
	assert_int_equal(cfg.ttl_auth_code_secs, 600);
	assert_int_equal(cfg.ttl_login_session_secs, 720 * 3600);
	assert_int_equal(cfg.ttl_vc_nonce_secs, 3600);
	assert_int_equal(cfg.ttl_vc_secs, 3600);
	assert_int_equal(cfg.proxy_trusted_count, 0);
	assert_false(cfg.registration_enabled);
	assert_int_equal(cfg.keys_algorithm, CONFIG_ALG_RS256);
	assert_int_equal(cfg.keys_rsa_bits, 2048);
	assert_int_equal(cfg.hashers_scrypt_log_n, 15);
	assert_int_equal(cfg.keys_publish_before_use_secs, 3600);
	assert_int_equal(cfg.keys_refresh_interval_secs, 60);
	assert_int_equal(cfg.http_cache_max_age_secs, 300);
	config_free(&cfg);
}

static void
test_dev_defaults_need_no_issuer_or_secret(void **state)
{
	struct config cfg;
	struct err err;

	(void)state;
	assert_int_equal(config_load(NULL, NULL, NULL, 0, true, &cfg, &err), ST_OK);
	assert_true(cfg.is_dev);
	assert_string_equal(cfg.issuer, "http://127.0.0.1:4444");
	assert_true(cfg.issuer_is_default);
	assert_true(cfg.registration_enabled);
	assert_int_equal(cfg.secrets_system_count, 0);
	assert_string_equal(cfg.public_listen, "127.0.0.1:4444");

	config_set_dev_secret(&cfg, SECRET);
	assert_int_equal(cfg.secrets_system_count, 1);
	assert_string_equal(cfg.secrets_system[0], SECRET);
	config_set_dev_secret(&cfg, SECRET2);
	assert_int_equal(cfg.secrets_system_count, 1);
	assert_string_equal(cfg.secrets_system[0], SECRET2);
	config_free(&cfg);
}

static void
test_dev_issuer_set_explicitly_is_not_default(void **state)
{
	static const char *const env[] = {"OIDCD_ISSUER=http://dev.example.test:9000/", NULL};
	struct config cfg;
	struct err err;

	(void)state;
	assert_int_equal(config_load(NULL, env, NULL, 0, true, &cfg, &err), ST_OK);
	assert_string_equal(cfg.issuer, "http://dev.example.test:9000");
	assert_false(cfg.issuer_is_default);
	config_free(&cfg);
}

static void
test_issuer_required_without_dev(void **state)
{
	static const struct config_override ov[] = {
	        {"secrets.system", SECRET}
        };
	struct config cfg;
	struct err err;

	(void)state;
	assert_int_equal(config_load(NULL, NULL, ov, 1, false, &cfg, &err), ST_INVALID);
	assert_string_equal(err.msg, "issuer: required (e.g. https://id.example.com)");
}

static void
test_secret_required_without_dev(void **state)
{
	static const struct config_override ov[] = {
	        {"issuer", "https://id.example.com"}
        };
	struct config cfg;
	struct err err;

	(void)state;
	assert_int_equal(config_load(NULL, NULL, ov, 1, false, &cfg, &err), ST_INVALID);
	assert_string_equal(err.msg, "secrets.system: required (at least one secret of 16+ "
	                             "characters); generate one with: openssl rand -hex 32");
}

static void
test_precedence_flags_over_env_over_file_over_defaults(void **state)
{
	static const char *const env[] = {
	        "PATH=/usr/bin",
	        "OIDCD_THREADS=3",
	        "OIDCD_LOG_LEVEL=error",
	        "OIDCD_CONFIG=/ignored.conf",
	        "OIDCD_BIN=/ignored/oidcd",
	        NULL,
	};
	static const struct config_override ov[] = {
	        {"log.level",      "debug"},
	        {"keys.algorithm", "PS256"},
	        {"keys.algorithm", "ES256"}, /* the later flag wins */
	};
	struct config cfg;
	struct err err;

	(void)state;
	assert_int_equal(load_file("issuer https://id.example.com\n"
	                           "secrets.system " SECRET "\n"
	                           "log.level warn\n"
	                           "threads 2\n"
	                           "ttl.auth_code 5m\n"
	                           "keys.algorithm EdDSA\n",
	                           env, ov, 3, false, &cfg, &err, NULL, 0),
	                 ST_OK);
	assert_int_equal(cfg.log_level, LOG_DEBUG);             /* flag over env and file */
	assert_int_equal(cfg.threads, 3);                       /* env over file */
	assert_int_equal(cfg.ttl_auth_code_secs, 300);          /* file over default */
	assert_int_equal(cfg.ttl_access_token_secs, 3600);      /* default */
	assert_int_equal(cfg.keys_algorithm, CONFIG_ALG_ES256); /* last flag */
	config_free(&cfg);
}

static void
test_bad_value_fails_even_when_overridden(void **state)
{
	static const char *const env[] = {"OIDCD_THREADS=3", NULL};
	struct config cfg;
	struct err err;

	(void)state;
	assert_int_equal(config_load_buffer("a.conf", "threads lots\n", strlen("threads lots\n"),
	                                    env, NULL, 0, true, &cfg, &err),
	                 ST_INVALID);
	assert_string_equal(err.msg, "a.conf:1: threads: not a number in 1..1024");
}

static void
test_file_error_names_path_line_and_key(void **state)
{
	char path[64], want[160];
	struct config cfg;
	struct err err;

	(void)state;
	assert_int_equal(load_file("# comment\n\nttl.access_token soon\n", NULL, NULL, 0, true,
	                           &cfg, &err, path, sizeof path),
	                 ST_INVALID);
	snprintf(want, sizeof want,
	         "%s:3: ttl.access_token: not a duration (use 30s, 15m, 1h or 30d)", path);
	assert_string_equal(err.msg, want);
}

static void
test_file_unknown_key_is_error(void **state)
{
	char path[64], want[160];
	struct config cfg;
	struct err err;

	(void)state;
	assert_int_equal(load_file("\n\nissuerr https://id.example.com\n", NULL, NULL, 0, true,
	                           &cfg, &err, path, sizeof path),
	                 ST_INVALID);
	snprintf(want, sizeof want, "%s:3: unknown key \"issuerr\"", path);
	assert_string_equal(err.msg, want);
}

static void
test_unknown_key_with_equals_does_not_echo_value(void **state)
{
	(void)state;
	expect_error("secrets.system=" SECRET "\n",
	             "test.conf:3: unknown key \"secrets.system=...\" (write \"key value\")");
}

static void
test_missing_file_is_error(void **state)
{
	struct config cfg;
	struct err err;

	(void)state;
	assert_int_equal(config_load("/nonexistent/oidcd.conf", NULL, NULL, 0, true, &cfg, &err),
	                 ST_IO);
	assert_string_equal(err.msg,
	                    "/nonexistent/oidcd.conf: cannot read: No such file or directory");
}

static void
test_env_error_names_variable_and_key(void **state)
{
	static const char *const env[] = {"OIDCD_THREADS=0", NULL};
	struct config cfg;
	struct err err;

	(void)state;
	assert_int_equal(config_load(NULL, env, NULL, 0, true, &cfg, &err), ST_INVALID);
	assert_string_equal(err.msg, "OIDCD_THREADS: threads: not a number in 1..1024");
}

static void
test_env_unknown_variable_is_error(void **state)
{
	static const char *const env[] = {"OIDCD_TRHEADS=4", NULL};
	struct config cfg;
	struct err err;

	(void)state;
	assert_int_equal(config_load(NULL, env, NULL, 0, true, &cfg, &err), ST_INVALID);
	assert_string_equal(err.msg,
	                    "OIDCD_TRHEADS: unknown variable (no config key by that name)");
}

static void
test_env_lists_are_comma_separated(void **state)
{
	static const char *const env[] = {
	        "OIDCD_SECRETS_SYSTEM=" SECRET ", " SECRET2,
	        "OIDCD_PROXY_TRUSTED=10.0.0.0/8,::1",
	        "OIDCD_PUBLIC_LISTEN=[::1]:0",
	        NULL,
	};
	struct config cfg;
	struct err err;

	(void)state;
	assert_int_equal(config_load(NULL, env, NULL, 0, true, &cfg, &err), ST_OK);
	assert_int_equal(cfg.secrets_system_count, 2);
	assert_string_equal(cfg.secrets_system[0], SECRET);
	assert_string_equal(cfg.secrets_system[1], SECRET2);
	assert_int_equal(cfg.proxy_trusted_count, 2);
	assert_int_equal(cfg.proxy_trusted[0].family, AF_INET);
	assert_int_equal(cfg.proxy_trusted[1].family, AF_INET6);
	assert_string_equal(cfg.public_listen, "[::1]:0");
	config_free(&cfg);
}

static void
test_override_error_names_flag_and_key(void **state)
{
	static const struct config_override ov[] = {
	        {"keys.algorithm", "HS256"}
        };
	struct config cfg;
	struct err err;

	(void)state;
	assert_int_equal(config_load(NULL, NULL, ov, 1, true, &cfg, &err), ST_INVALID);
	assert_string_equal(err.msg,
	                    "--set: keys.algorithm: must be one of RS256, PS256, ES256, EdDSA");
}

static void
test_override_unknown_key_is_error(void **state)
{
	static const struct config_override ov[] = {
	        {"thread", "4"}
        };
	struct config cfg;
	struct err err;

	(void)state;
	assert_int_equal(config_load(NULL, NULL, ov, 1, true, &cfg, &err), ST_INVALID);
	assert_string_equal(err.msg, "--set: unknown key \"thread\"");
}

static void
test_duplicate_key_in_file_is_error(void **state)
{
	(void)state;
	expect_error("threads 2\n\nthreads 3\n",
	             "test.conf:5: threads: given twice (first on line 3)");
}

static void
test_quoted_values_and_comments(void **state)
{
	struct config cfg;
	struct err err;

	(void)state;
	assert_int_equal(
	        load_with("   # indented comment\n"
	                  "\t\n"
	                  "database \"/var/lib/my oidcd/#1 \\\"db\\\" \\\\.db\" # trailing\n"
	                  "log.level\twarn#not-a-comment\n",
	                  &cfg, &err),
	        ST_INVALID);
	assert_string_equal(err.msg,
	                    "test.conf:6: log.level: must be one of debug, info, warn, error");

	assert_int_equal(load_with("database \"/var/lib/my oidcd/#1 \\\"db\\\" \\\\.db\" # c\r\n"
	                           "log.level warn #comment\n"
	                           "admin.listen \"\"\n",
	                           &cfg, &err),
	                 ST_OK);
	assert_string_equal(cfg.database, "/var/lib/my oidcd/#1 \"db\" \\.db");
	assert_int_equal(cfg.log_level, LOG_WARN);
	assert_string_equal(cfg.admin_listen, "");
	config_free(&cfg);
}

static void
test_malformed_lines_are_errors(void **state)
{
	(void)state;
	expect_error("database \"/tmp/x\n", "test.conf:3: unterminated quoted value");
	expect_error("database \"/tmp/\\x\"\n",
	             "test.conf:3: bad escape in quoted value (only \\\" and \\\\)");
	expect_error("database \"/tmp/x\"y\n",
	             "test.conf:3: a quoted value must be followed by a space");
	expect_error("database /tmp/\"x\"\n",
	             "test.conf:3: a quote inside a word (quote the whole value)");
	expect_error("database /tmp/x\x01\n", "test.conf:3: control character in line");
	expect_error("database\n", "test.conf:3: database: missing value");
	expect_error("database /a /b\n",
	             "test.conf:3: database: takes one value (quote a value that contains spaces)");
	expect_error("database \"\"\n", "test.conf:3: database: must not be empty");
}

static void
test_file_lists_are_space_separated(void **state)
{
	struct config cfg;
	struct err err;

	(void)state;
	assert_int_equal(load_text("issuer https://id.example.com\n"
	                           "secrets.system " SECRET "   " SECRET2 "\n"
	                           "proxy.trusted 10.0.0.0/8 192.168.1.1 fd00::/8\n",
	                           &cfg, &err),
	                 ST_OK);
	assert_int_equal(cfg.secrets_system_count, 2);
	assert_string_equal(cfg.secrets_system[1], SECRET2);
	assert_int_equal(cfg.proxy_trusted_count, 3);
	assert_int_equal(cfg.proxy_trusted[1].prefix_bits, 32);
	assert_int_equal(cfg.proxy_trusted[2].prefix_bits, 8);
	config_free(&cfg);

	expect_error("proxy.trusted 10.0.0.0/8 10.0.0.0/33\n",
	             "test.conf:3: proxy.trusted: not an address block (e.g. 10.0.0.0/8 or "
	             "::1/128): \"10.0.0.0/33\"");
}

static void
test_short_secret_is_rejected_without_echo(void **state)
{
	struct config cfg;
	struct err err;

	(void)state;
	assert_int_equal(load_text("issuer https://id.example.com\n"
	                           "secrets.system " SECRET " tooshort-secret\n",
	                           &cfg, &err),
	                 ST_INVALID);
	assert_string_equal(err.msg, "test.conf:2: secrets.system: each secret needs 16 or more "
	                             "characters; generate one with: openssl rand -hex 32");
	assert_null(strstr(err.msg, "tooshort"));
}

static void
test_parse_duration_accepts_units(void **state)
{
	int64_t secs = -1;

	(void)state;
	assert_int_equal(config_parse_duration("30s", &secs), ST_OK);
	assert_int_equal(secs, 30);
	assert_int_equal(config_parse_duration("15m", &secs), ST_OK);
	assert_int_equal(secs, 900);
	assert_int_equal(config_parse_duration("1h", &secs), ST_OK);
	assert_int_equal(secs, 3600);
	assert_int_equal(config_parse_duration("30d", &secs), ST_OK);
	assert_int_equal(secs, 30 * 86400);
	assert_int_equal(config_parse_duration("45", &secs), ST_OK);
	assert_int_equal(secs, 45);
	assert_int_equal(config_parse_duration("0", &secs), ST_OK);
	assert_int_equal(secs, 0);
	assert_int_equal(config_parse_duration("9223372036854775807", &secs), ST_OK);
	assert_int_equal(secs, INT64_MAX);
}

static void
test_parse_duration_rejects_garbage_negative_and_overflow(void **state)
{
	static const char *const bad[] = {
	        "",
	        "s",
	        "-5",
	        "+5",
	        "5 s",
	        " 5",
	        "5x",
	        "1h30m",
	        "1.5h",
	        "5ss",
	        "9223372036854775808",
	        "106751991167301d",
	        "99999999999999999999h",
	        "0x10",
	        "1H",
	};
	int64_t secs = 77;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(config_parse_duration(bad[i], &secs), ST_INVALID);
		assert_int_equal(secs, 77);
	}
	assert_int_equal(config_parse_duration(NULL, &secs), ST_INVALID);
}

static void
test_durations_are_range_checked_per_key(void **state)
{
	(void)state;
	expect_error("ttl.access_token 0\n",
	             "test.conf:3: ttl.access_token: must be between 1s and 3650d");
	expect_error("limits.connection_timeout 2d\n",
	             "test.conf:3: limits.connection_timeout: must be between 1s and 1d");
	expect_error("ttl.id_token -1h\n",
	             "test.conf:3: ttl.id_token: not a duration (use 30s, 15m, 1h or 30d)");
}

static void
test_sizes(void **state)
{
	struct config cfg;
	struct err err;

	(void)state;
	assert_int_equal(
	        load_with("limits.body_bytes 1MiB\nlimits.header_bytes 4096\n", &cfg, &err), ST_OK);
	assert_int_equal(cfg.limits_body_bytes, 1024 * 1024);
	assert_int_equal(cfg.limits_header_bytes, 4096);
	config_free(&cfg);

	expect_error("limits.body_bytes 64KB\n", "test.conf:3: limits.body_bytes: not a size (use "
	                                         "bytes, or KiB, MiB, GiB as in 64KiB)");
	expect_error("limits.body_bytes 2GiB\n",
	             "test.conf:3: limits.body_bytes: must be between 1 and 1GiB");
	expect_error("limits.header_bytes 100\n",
	             "test.conf:3: limits.header_bytes: must be between 1KiB and 16MiB");
	expect_error(
	        "limits.body_bytes 99999999999999999999KiB\n",
	        "test.conf:3: limits.body_bytes: not a size (use bytes, or KiB, MiB, GiB as in "
	        "64KiB)");
}

static void
test_bools_accept_every_spelling(void **state)
{
	static const char *const yes[] = {"true", "on", "yes", "1"};
	static const char *const no[] = {"false", "off", "no", "0"};
	struct config cfg;
	struct err err;
	char line[64];

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		snprintf(line, sizeof line, "registration.enabled %s\n", yes[i]);
		assert_int_equal(load_with(line, &cfg, &err), ST_OK);
		assert_true(cfg.registration_enabled);
		config_free(&cfg);
		snprintf(line, sizeof line, "registration.enabled %s\n", no[i]);
		assert_int_equal(config_load_buffer("t", line, strlen(line), NULL, NULL, 0, true,
		                                    &cfg, &err),
		                 ST_OK);
		assert_false(cfg.registration_enabled); /* overrides the --dev default */
		config_free(&cfg);
	}
	expect_error("registration.enabled maybe\n",
	             "test.conf:3: registration.enabled: not a boolean (use true/false, on/off, "
	             "yes/no or 1/0)");
}

static void
test_enums(void **state)
{
	struct config cfg;
	struct err err;

	(void)state;
	assert_int_equal(load_with("log.format json\ndatabase.synchronous normal\n"
	                           "keys.algorithm EdDSA\n",
	                           &cfg, &err),
	                 ST_OK);
	assert_int_equal(cfg.log_format, LOG_FORMAT_JSON);
	assert_int_equal(cfg.database_synchronous, CONFIG_SYNC_NORMAL);
	assert_int_equal(cfg.keys_algorithm, CONFIG_ALG_EDDSA);
	config_free(&cfg);
	expect_error("database.synchronous off\n",
	             "test.conf:3: database.synchronous: must be one of full, normal");
	expect_error("log.format JSON\n", "test.conf:3: log.format: must be one of text, json");
}

static void
test_uints_are_range_checked(void **state)
{
	(void)state;
	expect_error("threads 1025\n", "test.conf:3: threads: not a number in 1..1024");
	expect_error("threads 4x\n", "test.conf:3: threads: not a number in 1..1024");
	expect_error("keys.rsa_bits 1024\n",
	             "test.conf:3: keys.rsa_bits: not a number in 2048..8192");
	expect_error("hashers.scrypt_log_n 16\n",
	             "test.conf:3: hashers.scrypt_log_n: not a number in 10..15");
	expect_error("hashers.scrypt_log_n 9\n",
	             "test.conf:3: hashers.scrypt_log_n: not a number in 10..15");
	expect_error("limits.connections 99999999999999999999999\n",
	             "test.conf:3: limits.connections: not a number in 1..1000000");
}

static void
test_issuer_is_normalised(void **state)
{
	struct config cfg;
	struct err err;

	(void)state;
	assert_int_equal(load_text("issuer https://id.example.com/tenant//\nsecrets.system " SECRET
	                           "\n",
	                           &cfg, &err),
	                 ST_OK);
	assert_string_equal(cfg.issuer, "https://id.example.com/tenant");
	config_free(&cfg);
	assert_int_equal(load_text("issuer https://id.example.com:8443/\nsecrets.system " SECRET
	                           "\n",
	                           &cfg, &err),
	                 ST_OK);
	assert_string_equal(cfg.issuer, "https://id.example.com:8443");
	config_free(&cfg);
}

static void
test_issuer_http_only_for_loopback_or_dev(void **state)
{
	static const char *const loopback[] = {
	        "http://127.0.0.1:4444",
	        "http://127.9.8.7",
	        "http://[::1]:4444/",
	        "http://localhost:8080/x",
	};
	struct config cfg;
	struct err err;
	char text[256];

	(void)state;
	for (size_t i = 0; i < sizeof loopback / sizeof loopback[0]; i++) {
		snprintf(text, sizeof text, "issuer %s\nsecrets.system %s\n", loopback[i], SECRET);
		assert_int_equal(load_text(text, &cfg, &err), ST_OK);
		config_free(&cfg);
	}
	expect_issuer_error(
	        "http://id.example.com",
	        "test.conf:1: issuer: must use https (http only for 127.0.0.1, ::1, localhost "
	        "or with --dev)");
	assert_int_equal(config_load_buffer("t", "issuer http://id.example.com\n", 29 /* bytes */,
	                                    NULL, NULL, 0, true, &cfg, &err),
	                 ST_OK);
	assert_string_equal(cfg.issuer, "http://id.example.com");
	config_free(&cfg);
}

static void
test_issuer_rejects_bad_urls(void **state)
{
	(void)state;
	expect_issuer_error("https://id.example.com/?a=b",
	                    "test.conf:1: issuer: must not have a query or fragment");
	expect_issuer_error("https://id.example.com/#x",
	                    "test.conf:1: issuer: must not have a query or fragment");
	expect_issuer_error(
	        "ftp://id.example.com",
	        "test.conf:1: issuer: not an absolute http(s) URL (e.g. https://id.example.com)");
	expect_issuer_error(
	        "id.example.com",
	        "test.conf:1: issuer: not an absolute http(s) URL (e.g. https://id.example.com)");
	expect_issuer_error("https://user@id.example.com",
	                    "test.conf:1: issuer: must not contain user info");
	expect_issuer_error(
	        "https:///path",
	        "test.conf:1: issuer: not an absolute http(s) URL with a valid host (e.g. "
	        "https://id.example.com)");
	expect_issuer_error(
	        "https://id.example.com:99999",
	        "test.conf:1: issuer: not an absolute http(s) URL with a valid host (e.g. "
	        "https://id.example.com)");
	expect_issuer_error("\"https://id.example.com/a b\"",
	                    "test.conf:1: issuer: must not contain spaces or control characters");
}

static void
test_listen_addresses(void **state)
{
	struct config cfg;
	struct err err;

	(void)state;
	assert_int_equal(load_with("public.listen [::1]:4444\nadmin.listen off\n", &cfg, &err),
	                 ST_OK);
	assert_string_equal(cfg.public_listen, "[::1]:4444");
	assert_string_equal(cfg.admin_listen, "");
	config_free(&cfg);
	assert_int_equal(
	        load_with("public.listen 0.0.0.0:0\nadmin.listen localhost:9000\n", &cfg, &err),
	        ST_OK);
	assert_string_equal(cfg.admin_listen, "localhost:9000");
	config_free(&cfg);

	expect_error("public.listen 127.0.0.1\n",
	             "test.conf:3: public.listen: not a host:port address (e.g. 127.0.0.1:4444 or "
	             "[::1]:4444)");
	expect_error("public.listen ::1:4444\n",
	             "test.conf:3: public.listen: not a host:port address (e.g. 127.0.0.1:4444 or "
	             "[::1]:4444)");
	expect_error("public.listen off\n",
	             "test.conf:3: public.listen: not a host:port address (e.g. 127.0.0.1:4444 or "
	             "[::1]:4444)");
	expect_error("admin.listen 127.0.0.1:65536\n",
	             "test.conf:3: admin.listen: not a host:port address (e.g. 127.0.0.1:4444 or "
	             "[::1]:4444), or off");
}

static void
test_cache_max_age_must_be_below_publish_before_use(void **state)
{
	struct config cfg;
	struct err err;

	(void)state;
	expect_error("http.cache_max_age 1h\n",
	             "http.cache_max_age: must be shorter than keys.publish_before_use (1h is not "
	             "less than 1h)");
	assert_int_equal(
	        load_with("http.cache_max_age 1h\nkeys.publish_before_use 61m\n", &cfg, &err),
	        ST_OK);
	config_free(&cfg);
}

static void
test_parse_cidr(void **state)
{
	static const char *const bad[] = {
	        "",
	        "/8",
	        "10.0.0.0/",
	        "10.0.0.0/33",
	        "10.0.0.0/-1",
	        "10.0.0.0/+8",
	        "1.2.3",
	        "::1/129",
	        "10.0.0.0/8/8",
	        "10.0.0.0/8 ",
	        "fe80::1%eth0",
	        "example.com",
	        "1.2.3.4/1000",
	};
	struct config_cidr c;

	(void)state;
	assert_int_equal(config_parse_cidr("10.1.2.3/8", &c), ST_OK);
	assert_int_equal(c.family, AF_INET);
	assert_int_equal(c.prefix_bits, 8);
	assert_memory_equal(c.addr, "\x0a\x00\x00\x00", 4); /* host bits masked */

	assert_int_equal(config_parse_cidr("192.168.1.77", &c), ST_OK);
	assert_int_equal(c.prefix_bits, 32);
	assert_memory_equal(c.addr, "\xc0\xa8\x01\x4d", 4);

	assert_int_equal(config_parse_cidr("2001:db8:ffff::1/36", &c), ST_OK);
	assert_int_equal(c.family, AF_INET6);
	assert_int_equal(c.prefix_bits, 36);
	assert_memory_equal(c.addr, "\x20\x01\x0d\xb8\xf0\0\0\0\0\0\0\0\0\0\0\0", 16);

	assert_int_equal(config_parse_cidr("::1", &c), ST_OK);
	assert_int_equal(c.prefix_bits, 128);
	assert_int_equal(config_parse_cidr("0.0.0.0/0", &c), ST_OK);
	assert_int_equal(c.prefix_bits, 0);

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(config_parse_cidr(bad[i], &c), ST_INVALID);
}

static bool
trusted(const struct config *cfg, const char *ip)
{
	unsigned char addr[16];
	int family = strchr(ip, ':') ? AF_INET6 : AF_INET;

	assert_int_equal(inet_pton(family, ip, addr), 1);
	return config_is_trusted_proxy(cfg, family, addr);
}

static void
test_trusted_proxy_matches_v4_and_v6(void **state)
{
	struct config cfg;
	struct err err;

	(void)state;
	assert_int_equal(
	        load_with("proxy.trusted 10.0.0.0/8 192.168.1.1 2001:db8::/33 ::1\n", &cfg, &err),
	        ST_OK);
	assert_true(trusted(&cfg, "10.255.0.1"));
	assert_false(trusted(&cfg, "11.0.0.1"));
	assert_true(trusted(&cfg, "192.168.1.1"));
	assert_false(trusted(&cfg, "192.168.1.2"));
	assert_true(trusted(&cfg, "2001:db8:7fff::1"));
	assert_false(trusted(&cfg, "2001:db8:8000::1"));
	assert_true(trusted(&cfg, "::1"));
	assert_false(trusted(&cfg, "::2"));
	assert_true(trusted(&cfg, "::ffff:10.1.1.1")); /* IPv4 peer on a dual-stack socket */
	assert_false(trusted(&cfg, "::ffff:11.1.1.1"));
	config_free(&cfg);

	assert_int_equal(load_with("", &cfg, &err), ST_OK);
	assert_false(trusted(&cfg, "127.0.0.1")); /* nobody is trusted by default */
	config_free(&cfg);
}

static void
test_failure_leaves_out_untouched(void **state)
{
	struct config cfg;
	struct err err;

	(void)state;
	memset(&cfg, 0xa5, sizeof cfg);
	assert_int_equal(load_with("threads 0\n", &cfg, &err), ST_INVALID);
	for (size_t i = 0; i < sizeof cfg; i++)
		assert_int_equal(((unsigned char *)&cfg)[i], 0xa5);
}

static void
test_free_is_safe_on_null_and_zeroed_and_twice(void **state)
{
	struct config cfg;
	struct err err;

	(void)state;
	config_free(NULL);
	memset(&cfg, 0, sizeof cfg);
	config_free(&cfg);
	assert_int_equal(load_with("proxy.trusted ::1\n", &cfg, &err), ST_OK);
	config_free(&cfg);
	config_free(&cfg);
	assert_null(cfg.issuer);
}

static void
test_alg_names(void **state)
{
	(void)state;
	assert_string_equal(config_alg_name(CONFIG_ALG_RS256), "RS256");
	assert_string_equal(config_alg_name(CONFIG_ALG_PS256), "PS256");
	assert_string_equal(config_alg_name(CONFIG_ALG_ES256), "ES256");
	assert_string_equal(config_alg_name(CONFIG_ALG_EDDSA), "EdDSA");
}

static void
test_every_key_has_a_distinct_env_name_and_loads_by_env(void **state)
{
	char names[64][64];
	size_t n = config_key_count();

	(void)state;
	assert_true(n >= 25 && n <= 64);
	assert_null(config_key_name(n));
	for (size_t i = 0; i < n; i++) {
		const char *k = config_key_name(i);
		size_t j;

		snprintf(names[i], sizeof names[i], "OIDCD_");
		for (j = 0; k[j] != '\0'; j++)
			names[i][6 + j] = (char)(k[j] == '.'                  ? '_'
			                         : k[j] >= 'a' && k[j] <= 'z' ? k[j] - 'a' + 'A'
			                                                      : k[j]);
		names[i][6 + j] = '\0';
		for (j = 0; j < i; j++)
			assert_string_not_equal(names[i], names[j]);
	}
	/* Each key's default, given through its environment variable, loads. */
	for (size_t i = 0; i < n; i++) {
		char var[128];
		const char *env[] = {var, NULL};
		struct config cfg;
		struct err err;

		if (config_key_default(i) == NULL)
			continue;
		snprintf(var, sizeof var, "%s=%s", names[i], config_key_default(i));
		assert_int_equal(config_load(NULL, env, NULL, 0, true, &cfg, &err), ST_OK);
		config_free(&cfg);
	}
}

static char *
read_example(void)
{
	FILE *f = fopen(EXAMPLE_CONF, "r");
	char *text = calloc(1, 65536);
	size_t n;

	assert_non_null(f);
	assert_non_null(text);
	n = fread(text, 1, 65535, f);
	assert_true(n > 0 && n < 65535);
	fclose(f);
	return text;
}

static void
test_example_config_loads(void **state)
{
	struct config cfg;
	struct err err;

	(void)state;
	err.msg[0] = '\0';
	if (config_load(EXAMPLE_CONF, NULL, NULL, 0, false, &cfg, &err) != ST_OK)
		fail_msg("%s", err.msg);
	assert_string_equal(cfg.issuer, "https://id.example.com");
	assert_int_equal(cfg.secrets_system_count, 1);
	assert_true(strlen(cfg.secrets_system[0]) >= 32);
	assert_non_null(strstr(cfg.secrets_system[0], "CHANGE-ME"));
	config_free(&cfg);
}

/*
 * Every key appears as an active line or as "#key value"; a commented-out
 * key shows its default exactly.
 */
/* Lists are space-separated in the file and comma-separated in defaults. */
static bool
is_same_list(const char *file_value, const char *def)
{
	for (; *file_value != '\0' && *def != '\0'; file_value++, def++)
		if (*file_value != *def && !(*file_value == ' ' && *def == ','))
			return false;
	return *file_value == *def;
}

static void
test_example_config_documents_every_key_with_its_default(void **state)
{
	char *text = read_example();

	(void)state;
	for (size_t i = 0; i < config_key_count(); i++) {
		const char *key = config_key_name(i), *def = config_key_default(i);
		size_t klen = strlen(key);
		bool is_found = false;

		for (char *line = text; line != NULL && *line != '\0';) {
			char *nl = strchr(line, '\n');
			bool is_commented = line[0] == '#';
			char *k = line + is_commented;

			if (nl != NULL)
				*nl = '\0';
			if (strncmp(k, key, klen) == 0 && (k[klen] == ' ' || k[klen] == '\0')) {
				is_found = true;
				if (is_commented && def != NULL && def[0] != '\0' &&
				    !is_same_list(k + klen + (k[klen] == ' '), def))
					fail_msg("%s: documented as \"%s\", default is \"%s\"", key,
					         k + klen + 1, def);
			}
			if (nl != NULL)
				*nl = '\n';
			line = nl ? nl + 1 : NULL;
		}
		if (!is_found)
			fail_msg("key %s is not documented in %s", key, EXAMPLE_CONF);
	}
	free(text);
}

/* Uncommenting every "#key value" line of the example changes nothing but threads. */
static void
test_example_config_commented_values_are_the_defaults(void **state)
{
	char *text = read_example();
	char *out = calloc(1, 65536);
	struct config plain, all;
	struct err err;
	size_t o = 0;

	(void)state;
	assert_non_null(out);
	for (char *p = text; *p != '\0'; p++) {
		bool is_line_start = p == text || p[-1] == '\n';

		/* "#key value" lines are uncommented; a bare "#key" documents
		 * an optional key that has no default, and stays a comment. */
		if (is_line_start && p[0] == '#' && p[1] >= 'a' && p[1] <= 'z' &&
		    strcspn(p, " \n") < strcspn(p, "\n"))
			continue;
		out[o++] = *p;
	}
	if (config_load_buffer("uncommented", out, o, NULL, NULL, 0, false, &all, &err) != ST_OK)
		fail_msg("%s", err.msg);
	assert_int_equal(config_load(EXAMPLE_CONF, NULL, NULL, 0, false, &plain, &err), ST_OK);
	assert_int_equal(all.threads, 4);
	assert_string_equal(all.public_listen, plain.public_listen);
	assert_string_equal(all.admin_listen, plain.admin_listen);
	assert_string_equal(all.database, plain.database);
	assert_int_equal(all.proxy_trusted_count, plain.proxy_trusted_count);
	assert_int_equal(all.database_synchronous, plain.database_synchronous);
	assert_int_equal(all.log_level, plain.log_level);
	assert_int_equal(all.log_format, plain.log_format);
	assert_int_equal(all.limits_body_bytes, plain.limits_body_bytes);
	assert_int_equal(all.limits_header_bytes, plain.limits_header_bytes);
	assert_int_equal(all.limits_connections, plain.limits_connections);
	assert_int_equal(all.limits_connection_timeout_secs, plain.limits_connection_timeout_secs);
	assert_int_equal(all.ttl_access_token_secs, plain.ttl_access_token_secs);
	assert_int_equal(all.ttl_refresh_token_secs, plain.ttl_refresh_token_secs);
	assert_int_equal(all.ttl_id_token_secs, plain.ttl_id_token_secs);
	assert_int_equal(all.ttl_auth_code_secs, plain.ttl_auth_code_secs);
	assert_int_equal(all.ttl_login_session_secs, plain.ttl_login_session_secs);
	assert_int_equal(all.ttl_vc_nonce_secs, plain.ttl_vc_nonce_secs);
	assert_int_equal(all.ttl_vc_secs, plain.ttl_vc_secs);
	assert_int_equal(all.registration_enabled, plain.registration_enabled);
	assert_int_equal(all.keys_algorithm, plain.keys_algorithm);
	assert_int_equal(all.keys_rsa_bits, plain.keys_rsa_bits);
	assert_int_equal(all.keys_publish_before_use_secs, plain.keys_publish_before_use_secs);
	assert_int_equal(all.keys_refresh_interval_secs, plain.keys_refresh_interval_secs);
	assert_int_equal(all.http_cache_max_age_secs, plain.http_cache_max_age_secs);
	config_free(&all);
	config_free(&plain);
	free(out);
	free(text);
}

/* public.tls_cert and public.tls_key: both or neither. */
static void
test_tls_cert_and_key_are_set_together(void **state)
{
	struct config cfg;
	struct err err;

	(void)state;
	assert_int_equal(load_with("", &cfg, &err), ST_OK);
	assert_null(cfg.public_tls_cert);
	assert_null(cfg.public_tls_key);
	config_free(&cfg);

	assert_int_equal(load_with("public.tls_cert /etc/oidcd/cert.pem\n"
	                           "public.tls_key /etc/oidcd/key.pem\n",
	                           &cfg, &err),
	                 ST_OK);
	assert_string_equal(cfg.public_tls_cert, "/etc/oidcd/cert.pem");
	assert_string_equal(cfg.public_tls_key, "/etc/oidcd/key.pem");
	config_free(&cfg);

	expect_error("public.tls_cert /etc/oidcd/cert.pem\n",
	             "public.tls_key: set public.tls_cert and public.tls_key together");
	expect_error("public.tls_key /etc/oidcd/key.pem\n",
	             "public.tls_cert: set public.tls_cert and public.tls_key together");
}

/* Tokens (admin.token, registration.initial_access_token) and word lists. */
static void
test_tokens_and_word_lists(void **state)
{
	const char *env[] = {"OIDCD_REGISTRATION_ALLOWED_SCOPES=openid,email", NULL};
	struct config cfg;
	struct err err;

	(void)state;
	assert_int_equal(load_with("", &cfg, &err), ST_OK);
	assert_null(cfg.admin_token);
	assert_null(cfg.registration_initial_access_token);
	assert_null(cfg.http_client_ca_file);
	assert_int_equal(cfg.registration_allowed_grant_types_count, 4);
	assert_string_equal(cfg.registration_allowed_grant_types[0], "authorization_code");
	assert_int_equal(cfg.registration_allowed_scopes_count, 8);
	config_free(&cfg);

	assert_int_equal(load_with("admin.token 0123456789abcdefXYZ\n"
	                           "registration.allowed_grant_types authorization_code\n",
	                           &cfg, &err),
	                 ST_OK);
	assert_string_equal(cfg.admin_token, "0123456789abcdefXYZ");
	assert_int_equal(cfg.registration_allowed_grant_types_count, 1);
	config_free(&cfg);

	expect_text_error(
	        "issuer https://id.example.com\nsecrets.system " SECRET "\nadmin.token short\n",
	        "test.conf:3: admin.token: needs 16 or more characters; generate one with: "
	        "openssl rand -hex 32");
	assert_int_equal(load_with("registration.allowed_scopes \"a b\"\n", &cfg, &err),
	                 ST_INVALID);

	memset(&cfg, 0, sizeof cfg);
	assert_int_equal(
	        config_load_buffer(
	                "test.conf", "issuer https://id.example.com\nsecrets.system " SECRET "\n",
	                strlen("issuer https://id.example.com\nsecrets.system " SECRET "\n"), env,
	                NULL, 0, false, &cfg, &err),
	        ST_OK);
	assert_int_equal(cfg.registration_allowed_scopes_count, 2);
	assert_string_equal(cfg.registration_allowed_scopes[1], "email");
	config_free(&cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_defaults_without_dev),
	        cmocka_unit_test(test_tls_cert_and_key_are_set_together),
	        cmocka_unit_test(test_tokens_and_word_lists),
	        cmocka_unit_test(test_dev_defaults_need_no_issuer_or_secret),
	        cmocka_unit_test(test_dev_issuer_set_explicitly_is_not_default),
	        cmocka_unit_test(test_issuer_required_without_dev),
	        cmocka_unit_test(test_secret_required_without_dev),
	        cmocka_unit_test(test_precedence_flags_over_env_over_file_over_defaults),
	        cmocka_unit_test(test_bad_value_fails_even_when_overridden),
	        cmocka_unit_test(test_file_error_names_path_line_and_key),
	        cmocka_unit_test(test_file_unknown_key_is_error),
	        cmocka_unit_test(test_unknown_key_with_equals_does_not_echo_value),
	        cmocka_unit_test(test_missing_file_is_error),
	        cmocka_unit_test(test_env_error_names_variable_and_key),
	        cmocka_unit_test(test_env_unknown_variable_is_error),
	        cmocka_unit_test(test_env_lists_are_comma_separated),
	        cmocka_unit_test(test_override_error_names_flag_and_key),
	        cmocka_unit_test(test_override_unknown_key_is_error),
	        cmocka_unit_test(test_duplicate_key_in_file_is_error),
	        cmocka_unit_test(test_quoted_values_and_comments),
	        cmocka_unit_test(test_malformed_lines_are_errors),
	        cmocka_unit_test(test_file_lists_are_space_separated),
	        cmocka_unit_test(test_short_secret_is_rejected_without_echo),
	        cmocka_unit_test(test_parse_duration_accepts_units),
	        cmocka_unit_test(test_parse_duration_rejects_garbage_negative_and_overflow),
	        cmocka_unit_test(test_durations_are_range_checked_per_key),
	        cmocka_unit_test(test_sizes),
	        cmocka_unit_test(test_bools_accept_every_spelling),
	        cmocka_unit_test(test_enums),
	        cmocka_unit_test(test_uints_are_range_checked),
	        cmocka_unit_test(test_issuer_is_normalised),
	        cmocka_unit_test(test_issuer_http_only_for_loopback_or_dev),
	        cmocka_unit_test(test_issuer_rejects_bad_urls),
	        cmocka_unit_test(test_listen_addresses),
	        cmocka_unit_test(test_cache_max_age_must_be_below_publish_before_use),
	        cmocka_unit_test(test_parse_cidr),
	        cmocka_unit_test(test_trusted_proxy_matches_v4_and_v6),
	        cmocka_unit_test(test_failure_leaves_out_untouched),
	        cmocka_unit_test(test_free_is_safe_on_null_and_zeroed_and_twice),
	        cmocka_unit_test(test_alg_names),
	        cmocka_unit_test(test_every_key_has_a_distinct_env_name_and_loads_by_env),
	        cmocka_unit_test(test_example_config_loads),
	        cmocka_unit_test(test_example_config_documents_every_key_with_its_default),
	        cmocka_unit_test(test_example_config_commented_values_are_the_defaults),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
