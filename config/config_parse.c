/*
 * config/config_parse.c — the syntax of config file lines and values:
 * quoting and comments, comma lists, numbers, durations, sizes, host:port,
 * issuer URLs and address blocks. See config_parse.h; config_parse_duration
 * and config_parse_cidr are public through config.h.
 *
 * Invariants: parsers write their outputs only on success; nothing here
 * knows key names or builds error messages beyond a static reason string.
 * To accept a new spelling, change the parser here and add its case to
 * config_test.c and a seed to tests/fuzz/corpus/config/.
 */
#include "config/config_parse.h"

#include <arpa/inet.h>
#include <assert.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "common/xalloc.h"
#include "config/config.h"

#define KIB 1024ULL
#define MIB (1024ULL * KIB)
#define GIB (1024ULL * MIB)

void
config_wipe_free(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

void
config_tokens_push(struct config_tokens *t, char *s)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 8;
		t->v = xrealloc(t->v, t->cap * sizeof *t->v);
	}
	t->v[t->n++] = s;
}

void
config_tokens_clear(struct config_tokens *t)
{
	for (size_t i = 0; i < t->n; i++)
		config_wipe_free(t->v[i]);
	t->n = 0;
}

void
config_tokens_free(struct config_tokens *t)
{
	config_tokens_clear(t);
	free(t->v);
	t->v = NULL;
	t->cap = 0;
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Parses the leading decimal digits of *p into *n, advancing *p. */
static bool
digits(const char **p, uint64_t limit, uint64_t *n)
{
	const char *s = *p;
	uint64_t v = 0;

	if (!is_digit(*s))
		return false;
	for (; is_digit(*s); s++) {
		unsigned d = (unsigned)(*s - '0');

		if (v > (limit - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*p = s;
	*n = v;
	return true;
}

bool
config_parse_uint(const char *s, uint64_t limit, uint64_t *out)
{
	uint64_t n;

	if (!digits(&s, limit, &n) || *s != '\0')
		return false;
	*out = n;
	return true;
}

bool
config_parse_bool(const char *s, bool *out)
{
	if (strcmp(s, "true") == 0 || strcmp(s, "on") == 0 || strcmp(s, "yes") == 0 ||
	    strcmp(s, "1") == 0)
		*out = true;
	else if (strcmp(s, "false") == 0 || strcmp(s, "off") == 0 || strcmp(s, "no") == 0 ||
	         strcmp(s, "0") == 0)
		*out = false;
	else
		return false;
	return true;
}

enum status
config_parse_duration(const char *s, int64_t *secs_out)
{
	uint64_t n, unit;

	if (s == NULL || !digits(&s, INT64_MAX, &n))
		return ST_INVALID;
	switch (*s) {
	case '\0':
	case 's':
		unit = 1;
		break;
	case 'm':
		unit = 60;
		break;
	case 'h':
		unit = 3600;
		break;
	case 'd':
		unit = 86400;
		break;
	default:
		return ST_INVALID;
	}
	if (*s != '\0' && s[1] != '\0')
		return ST_INVALID;
	if (n > (uint64_t)INT64_MAX / unit)
		return ST_INVALID;
	*secs_out = (int64_t)(n * unit);
	return ST_OK;
}

/* "65536", "64KiB", "1MiB", "1GiB". */
bool
config_parse_size(const char *s, uint64_t *out)
{
	uint64_t n, unit;

	if (!digits(&s, UINT64_MAX, &n))
		return false;
	if (*s == '\0')
		unit = 1;
	else if (strcmp(s, "KiB") == 0)
		unit = KIB;
	else if (strcmp(s, "MiB") == 0)
		unit = MIB;
	else if (strcmp(s, "GiB") == 0)
		unit = GIB;
	else
		return false;
	if (n > UINT64_MAX / unit)
		return false;
	*out = n * unit;
	return true;
}

const char *
config_fmt_duration(uint64_t secs, char *buf, size_t cap)
{
	if (secs != 0 && secs % 86400 == 0)
		snprintf(buf, cap, "%llud", (unsigned long long)(secs / 86400));
	else if (secs != 0 && secs % 3600 == 0)
		snprintf(buf, cap, "%lluh", (unsigned long long)(secs / 3600));
	else if (secs != 0 && secs % 60 == 0)
		snprintf(buf, cap, "%llum", (unsigned long long)(secs / 60));
	else
		snprintf(buf, cap, "%llus", (unsigned long long)secs);
	return buf;
}

const char *
config_fmt_size(uint64_t bytes, char *buf, size_t cap)
{
	if (bytes != 0 && bytes % GIB == 0)
		snprintf(buf, cap, "%lluGiB", (unsigned long long)(bytes / GIB));
	else if (bytes != 0 && bytes % MIB == 0)
		snprintf(buf, cap, "%lluMiB", (unsigned long long)(bytes / MIB));
	else if (bytes != 0 && bytes % KIB == 0)
		snprintf(buf, cap, "%lluKiB", (unsigned long long)(bytes / KIB));
	else
		snprintf(buf, cap, "%llu", (unsigned long long)bytes);
	return buf;
}

static bool
is_host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '-' ||
	       c == '.';
}

/*
 * Checks "host[:port]" or "[v6][:port]" (s, n bytes) and returns the host
 * without brackets. A port is 0..65535 and must be present when required.
 */
bool
config_parse_hostport(const char *s, size_t n, bool is_port_required, const char **host_out,
                      size_t *host_len_out)
{
	char v6[INET6_ADDRSTRLEN];
	unsigned char addr[16];
	const char *host = s, *end = s + n, *p;
	size_t host_len;
	uint64_t port;

	if (n > 0 && s[0] == '[') {
		const char *close = memchr(s, ']', n);

		if (close == NULL || (size_t)(close - s - 1) >= sizeof v6)
			return false;
		host = s + 1;
		host_len = (size_t)(close - host);
		memcpy(v6, host, host_len);
		v6[host_len] = '\0';
		if (inet_pton(AF_INET6, v6, addr) != 1)
			return false;
		p = close + 1;
	} else {
		for (p = s; p < end && *p != ':'; p++)
			if (!is_host_char(*p))
				return false;
		host_len = (size_t)(p - s);
		if (host_len == 0)
			return false;
	}
	if (p == end) {
		if (is_port_required)
			return false;
	} else {
		char port_text[6];

		if (*p != ':' || end - p - 1 < 1 || end - p - 1 > 5)
			return false;
		memcpy(port_text, p + 1, (size_t)(end - p - 1));
		port_text[end - p - 1] = '\0';
		if (!config_parse_uint(port_text, 65535, &port))
			return false;
	}
	*host_out = host;
	*host_len_out = host_len;
	return true;
}

static bool
is_loopback_host(const char *host, size_t n)
{
	char buf[INET6_ADDRSTRLEN];
	unsigned char addr[16];

	if (n == 9 && strncasecmp(host, "localhost", 9) == 0)
		return true;
	if (n >= sizeof buf)
		return false;
	memcpy(buf, host, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, addr) == 1)
		return addr[0] == 127;
	if (inet_pton(AF_INET6, buf, addr) == 1)
		return memcmp(addr, &in6addr_loopback, 16) == 0;
	return false;
}

/*
 * OIDC Core §2 ("iss") and OIDC Discovery §3: the issuer is a URL with
 * scheme, host, optional port and path, and no query or fragment. Returns
 * NULL and the length without trailing slashes, or the reason it is bad.
 */
const char *
config_parse_issuer(const char *v, bool is_dev, size_t *len_out)
{
	const char *p, *auth_end, *host;
	size_t host_len, len;
	bool is_https;

	if (strncmp(v, "https://", 8) == 0) {
		is_https = true;
		p = v + 8;
	} else if (strncmp(v, "http://", 7) == 0) {
		is_https = false;
		p = v + 7;
	} else {
		return "not an absolute http(s) URL (e.g. https://id.example.com)";
	}
	for (const char *q = v; *q != '\0'; q++)
		if ((unsigned char)*q <= 0x20 || *q == 0x7f)
			return "must not contain spaces or control characters";
	if (strpbrk(v, "?#") != NULL)
		return "must not have a query or fragment";
	auth_end = p + strcspn(p, "/");
	if (memchr(p, '@', (size_t)(auth_end - p)) != NULL)
		return "must not contain user info";
	if (!config_parse_hostport(p, (size_t)(auth_end - p), false, &host, &host_len))
		return "not an absolute http(s) URL with a valid host (e.g. "
		       "https://id.example.com)";
	if (!is_https && !is_dev && !is_loopback_host(host, host_len))
		return "must use https (http only for 127.0.0.1, ::1, localhost or with --dev)";
	len = strlen(v);
	while (len > (size_t)(auth_end - v) && v[len - 1] == '/')
		len--;
	*len_out = len;
	return NULL;
}

/*
 * Splits one file line into tokens: whitespace-separated words, or
 * double-quoted strings with \" and \\ escapes; '#' at the start of a word
 * begins a comment. Returns NULL, or the reason the line is malformed.
 */
const char *
config_parse_line(const char *s, size_t n, struct config_tokens *t)
{
	size_t i = 0;

	if (n > 0 && s[n - 1] == '\r')
		n--;
	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f)
			return "control character in line";
	i = 0;
	for (;;) {
		while (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i == n || s[i] == '#')
			return NULL;
		if (s[i] == '"') {
			/* Unescaped text is never longer than the rest of the line. */
			char *out = xmalloc(n - i);
			size_t o = 0;

			for (i++;; i++) {
				if (i == n) {
					explicit_bzero(out, o);
					free(out);
					return "unterminated quoted value";
				}
				if (s[i] == '"')
					break;
				if (s[i] == '\\') {
					if (i + 1 == n || (s[i + 1] != '"' && s[i + 1] != '\\')) {
						explicit_bzero(out, o);
						free(out);
						return "bad escape in quoted value (only \\\" and "
						       "\\\\)";
					}
					i++;
				}
				out[o++] = s[i];
			}
			out[o] = '\0';
			config_tokens_push(t, out);
			i++;
			if (i < n && s[i] != ' ' && s[i] != '\t')
				return "a quoted value must be followed by a space";
		} else {
			size_t start = i;

			while (i < n && s[i] != ' ' && s[i] != '\t') {
				if (s[i] == '"')
					return "a quote inside a word (quote the whole value)";
				i++;
			}
			config_tokens_push(t, xstrndup(s + start, i - start));
		}
	}
}

enum status
config_parse_cidr(const char *s, struct config_cidr *out)
{
	char host[INET6_ADDRSTRLEN];
	struct config_cidr c;
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	unsigned max_bits;
	uint64_t bits;

	memset(&c, 0, sizeof c);
	if (n == 0 || n >= sizeof host)
		return ST_INVALID;
	memcpy(host, s, n);
	host[n] = '\0';
	c.family = strchr(host, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(c.family, host, c.addr) != 1)
		return ST_INVALID;
	max_bits = c.family == AF_INET ? 32 : 128;
	bits = max_bits;
	if (slash != NULL) {
		const char *p = slash + 1;

		if (!digits(&p, 999, &bits) || *p != '\0' || bits > max_bits)
			return ST_INVALID;
	}
	c.prefix_bits = (unsigned)bits;
	/* Host bits may be written (10.1.2.3/8) but never take part in matching. */
	for (unsigned i = 0; i < 16; i++) {
		uint64_t first_bit = (uint64_t)i * 8;
		unsigned keep = bits >= first_bit + 8 ? 8
		                : bits > first_bit    ? (unsigned)(bits - first_bit)
		                                      : 0;

		c.addr[i] &= (unsigned char)(0xff00u >> keep);
	}
	*out = c;
	return ST_OK;
}

void
config_parse_list(const char *v, struct config_tokens *t)
{
	const char *p = v;

	if (v[strspn(v, " \t")] == '\0')
		return;
	for (;;) {
		size_t n = strcspn(p, ",");
		size_t lead = strspn(p, " \t"); /* stops at ',' so lead <= n */
		size_t end = n;

		while (end > lead && (p[end - 1] == ' ' || p[end - 1] == '\t'))
			end--;
		config_tokens_push(t, xstrndup(p + lead, end - lead));
		if (p[n] == '\0')
			break;
		p += n + 1;
	}
}
