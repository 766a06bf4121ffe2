/*
 * server/http.c — libmicrohttpd glue: the only file that includes
 * microhttpd.h (STYLE B2).
 *
 * Per request (STYLE B3): the URI-log callback creates the request context
 * (its arena, request id, raw URI); the first access-handler call copies
 * method, headers and client address; later calls append the body (413 past
 * limits.body_bytes); the last call decodes query and form, dispatches and
 * queues the response — never on the first call, which with libmicrohttpd
 * 0.9.75 loses keep-alive (DESIGN "Request flow"). The completion callback
 * writes the one access-log line and frees the arena.
 *
 * Threading: MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL with a pool of
 * cfg->threads workers per listener.
 *
 * Native TLS: with public.tls_cert / public.tls_key the public listener is
 * HTTPS only (MHD_USE_TLS, libmicrohttpd's GnuTLS). http_bind reads both PEM
 * files, so a missing or unreadable file stops start-up with its name; a
 * certificate and key that do not belong together make MHD_start_daemon
 * fail in http_serve. The admin listener stays plain HTTP.
 */
#include "server/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "crypto/random.h"
#include "crypto/secret.h"
#include "server/form.h"
#include "server/metrics.h"
#include "server/oauth_error.h"
#include "server/proxy.h"
#include "server/router.h"

struct listener {
	struct http_server *srv;
	int fd;
	bool is_admin;
	char addr[80]; /* bound "host:port" */
	unsigned port;
	struct MHD_Daemon *daemon;
};

struct http_server {
	const struct config *cfg;
	const struct app *app;
	struct listener pub;
	struct listener adm;
	bool has_admin;
	atomic_int in_flight;  /* requests begun and not yet completed */
	char cache_public[48]; /* "public, max-age=<http.cache_max_age>", built once */

	char *tls_cert; /* PEM text of public.tls_cert, or NULL: plain HTTP */
	char *tls_key;  /* PEM text of public.tls_key (wiped when freed) */
	size_t tls_key_len;
};

enum write_state {
	WRITE_NONE = 0,
	WRITE_PENDING,   /* submitted; the connection is being suspended */
	WRITE_SUSPENDED, /* suspended; the writer resumes it */
	WRITE_DONE,      /* the write finished; dispatch again */
};

struct ctx {
	struct request req; /* first member: submit_write() finds ctx from it */
	struct MHD_Connection *conn;
	atomic_int write_state;
	struct listener *l;
	const char *raw_uri;
	struct buf body;
	bool started;
	bool responded;
	bool too_large;
	unsigned long long discarded_bytes; /* of a too-large body, read and dropped */
	int status;
	size_t bytes;
	double start_ms;
};

/* Bodies over limits.body_bytes but under this are read to the end before the 413. */
#define HTTP_DISCARD_MAX_BYTES (16ULL * 1024 * 1024)

static atomic_uint_fast64_t request_counter;
static unsigned request_id_prefix;

/* ---- binding ---- */

static enum status
split_listen(const char *spec, char *host, size_t host_cap, char *port, size_t port_cap,
             struct err *err)
{
	const char *colon;
	size_t hlen;

	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');

		if (close == NULL || close[1] != ':')
			return ERR_SET(err, ST_INVALID, "%s: expected [v6-address]:port", spec);
		hlen = (size_t)(close - spec - 1);
		colon = close + 1;
		spec++;
	} else {
		colon = strrchr(spec, ':');
		if (colon == NULL)
			return ERR_SET(err, ST_INVALID, "%s: expected host:port", spec);
		hlen = (size_t)(colon - spec);
	}
	if (hlen == 0 || hlen >= host_cap || strlen(colon + 1) == 0 ||
	    strlen(colon + 1) >= port_cap)
		return ERR_SET(err, ST_INVALID, "%s: expected host:port", spec);
	memcpy(host, spec, hlen);
	host[hlen] = '\0';
	memcpy(port, colon + 1, strlen(colon + 1) + 1);
	return ST_OK;
}

static enum status
bind_listener(const char *spec, struct listener *l, struct err *err)
{
	char host[64], port[16], name[INET6_ADDRSTRLEN] = "";
	struct addrinfo hints, *res = NULL;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof ss;
	int fd = -1, one = 1, rc;
	enum status st;

	st = split_listen(spec, host, sizeof host, port, sizeof port, err);
	if (st != ST_OK)
		return st;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0)
		return ERR_SET(err, ST_IO, "listen %s: %s", spec, gai_strerror(rc));
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		st = ERR_SET(err, ST_IO, "listen %s: socket: %s", spec, strerror(errno));
		goto out;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 1024) != 0) {
		st = ERR_SET(err, ST_IO, "listen %s: %s", spec, strerror(errno));
		goto out;
	}
	memset(&ss, 0, sizeof ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) != 0) {
		st = ERR_SET(err, ST_IO, "listen %s: getsockname: %s", spec, strerror(errno));
		goto out;
	}
	if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, name, sizeof name);
		l->port = ntohs(s6->sin6_port);
		snprintf(l->addr, sizeof l->addr, "[%s]:%u", name, l->port);
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &s4->sin_addr, name, sizeof name);
		l->port = ntohs(s4->sin_port);
		snprintf(l->addr, sizeof l->addr, "%s:%u", name, l->port);
	}
	l->fd = fd;
	fd = -1;
	st = ST_OK;
out:
	if (fd >= 0)
		close(fd);
	freeaddrinfo(res);
	return st;
}

/* PEM files are small; anything larger is not one. */
#define HTTP_TLS_FILE_MAX_BYTES ((size_t)1024 * 1024)

/*
 * Reads a PEM file of key (config name) into a new NUL-terminated buffer.
 * The buffer may hold a private key: on failure it is wiped before it is freed.
 */
static enum status
read_pem(const char *key, const char *path, char **out, size_t *len_out, struct err *err)
{
	char *text = xmalloc(HTTP_TLS_FILE_MAX_BYTES + 1);
	size_t len = 0;
	enum status st;
	FILE *fp;

	*out = NULL;
	fp = fopen(path, "rbe");
	if (fp == NULL) {
		st = ERR_SET(err, ST_IO, "%s: %s: %s", key, path, strerror(errno));
		goto out;
	}
	len = fread(text, 1, HTTP_TLS_FILE_MAX_BYTES + 1, fp);
	if (ferror(fp)) {
		st = ERR_SET(err, ST_IO, "%s: %s: cannot read", key, path);
		goto out;
	}
	if (len > HTTP_TLS_FILE_MAX_BYTES) {
		st = ERR_SET(err, ST_INVALID, "%s: %s: larger than %zu bytes", key, path,
		             HTTP_TLS_FILE_MAX_BYTES);
		goto out;
	}
	text[len] = '\0';
	if (strstr(text, "-----BEGIN ") == NULL) {
		st = ERR_SET(err, ST_INVALID, "%s: %s: not a PEM file", key, path);
		goto out;
	}
	*out = text;
	*len_out = len;
	text = NULL;
	st = ST_OK;
out:
	if (fp != NULL)
		fclose(fp);
	if (text != NULL) {
		secret_wipe(text, len);
		free(text);
	}
	return st;
}

static void
free_tls(struct http_server *srv)
{
	free(srv->tls_cert);
	if (srv->tls_key != NULL) {
		secret_wipe(srv->tls_key, srv->tls_key_len);
		free(srv->tls_key);
	}
	srv->tls_cert = srv->tls_key = NULL;
}

/* Native TLS: checks libmicrohttpd can do it and reads the PEM files. */
static enum status
load_tls(const struct config *cfg, struct http_server *srv, struct err *err)
{
	size_t cert_len = 0;
	enum status st;

	if (cfg->public_tls_cert == NULL)
		return ST_OK;
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
		return ERR_SET(err, ST_UNSUPPORTED,
		               "public.tls_cert: this libmicrohttpd was built without TLS support; "
		               "terminate TLS in a reverse proxy instead");
	st = read_pem("public.tls_cert", cfg->public_tls_cert, &srv->tls_cert, &cert_len, err);
	if (st != ST_OK)
		return st;
	st = read_pem("public.tls_key", cfg->public_tls_key, &srv->tls_key, &srv->tls_key_len, err);
	if (st != ST_OK)
		free_tls(srv);
	return st;
}

enum status
http_bind(const struct config *cfg, struct http_server **out, struct err *err)
{
	struct http_server *srv = xcalloc(1, sizeof *srv);
	enum status st;

	srv->cfg = cfg;
	snprintf(srv->cache_public, sizeof srv->cache_public, "public, max-age=%lld",
	         (long long)cfg->http_cache_max_age_secs);
	srv->pub.fd = srv->adm.fd = -1;
	srv->pub.srv = srv->adm.srv = srv;
	srv->adm.is_admin = true;
	st = load_tls(cfg, srv, err);
	if (st != ST_OK)
		goto fail;
	st = bind_listener(cfg->public_listen, &srv->pub, err);
	if (st != ST_OK)
		goto fail;
	srv->has_admin = cfg->admin_listen != NULL && cfg->admin_listen[0] != '\0';
	if (srv->has_admin) {
		st = bind_listener(cfg->admin_listen, &srv->adm, err);
		if (st != ST_OK)
			goto fail;
	}
	*out = srv;
	return ST_OK;
fail:
	if (srv->pub.fd >= 0)
		close(srv->pub.fd);
	free_tls(srv);
	free(srv);
	return st;
}

const char *
http_public_addr(const struct http_server *srv)
{
	return srv->pub.addr;
}

const char *
http_admin_addr(const struct http_server *srv)
{
	return srv->has_admin ? srv->adm.addr : "";
}

unsigned
http_public_port(const struct http_server *srv)
{
	return srv->pub.port;
}

/* ---- per-request ---- */

static enum http_method
method_of(const char *m)
{
	static const struct {
		const char *name;
		enum http_method method;
	} methods[] = {
	        {"GET",     HTTP_GET    },
                {"HEAD",    HTTP_HEAD   },
                {"POST",    HTTP_POST   },
	        {"PUT",     HTTP_PUT    },
                {"DELETE",  HTTP_DELETE },
                {"PATCH",   HTTP_PATCH  },
	        {"OPTIONS", HTTP_OPTIONS},
	};
	size_t i;

	for (i = 0; i < sizeof methods / sizeof methods[0]; i++)
		if (strcmp(m, methods[i].name) == 0)
			return methods[i].method;
	return HTTP_OTHER;
}

/*
 * libmicrohttpd 0.9.75 (Debian 12) stores every query parameter as a
 * record (about 64 bytes) in the connection's memory pool, next to the
 * request line itself, before any callback of ours runs. A request line
 * long or dense enough ("a&a&a&...") fills the pool, and then its own 431
 * cannot be built either: the connection is left without an answer. oidcd
 * never accepts more than FORM_MAX_PARAMS parameters anyway, so such a
 * request gets its 414 here, written straight to the socket before
 * libmicrohttpd has sent anything, and the connection ends (Connection:
 * close; libmicrohttpd then closes it).
 */
#define EARLY_BODY                                                                                 \
	"{\"error\":\"invalid_request\",\"error_description\":\"the request line is too long or "  \
	"has too many parameters\"}"
#define PARAM_RECORD_BYTES 96 /* a pool record per parameter, with room to spare */

static bool
is_too_big_for_pool(const char *uri, size_t pool_bytes)
{
	const char *q = uri != NULL ? strchr(uri, '?') : NULL;
	size_t n = 1;

	/* A request line over half the pool leaves too little room for the rest
	 * of the head, its records and, with a pipelined request behind it, for
	 * the bytes that follow: libmicrohttpd then closes without an answer
	 * (token_abuse seed 1125381011: a 44.8 KB line in a 48 KB head). */
	if (uri != NULL && strlen(uri) > pool_bytes / 2)
		return true;
	if (q == NULL)
		return false;
	for (const char *p = q + 1; *p != '\0'; p++)
		if (*p == '&' || *p == ';')
			n++;
	/* Leave a quarter of the pool for the headers and the answer. */
	return n > FORM_MAX_PARAMS || strlen(uri) + n * PARAM_RECORD_BYTES > pool_bytes / 4 * 3;
}

static void
refuse_early(struct MHD_Connection *conn)
{
	static const char answer[] = "HTTP/1.1 414 URI Too Long\r\n"
	                             "Content-Type: application/json\r\n"
	                             "Cache-Control: no-store\r\n"
	                             "X-Content-Type-Options: nosniff\r\n"
	                             "Connection: close\r\n"
	                             "Content-Length: 105\r\n"
	                             "\r\n" EARLY_BODY;
	const union MHD_ConnectionInfo *ci =
	        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);

	_Static_assert(sizeof EARLY_BODY - 1 == 105, "Content-Length of EARLY_BODY");
	if (ci == NULL)
		return;
	/* Best effort: a small answer into an empty socket buffer. */
	(void)send(ci->connect_fd, answer, sizeof answer - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	(void)shutdown(ci->connect_fd, SHUT_WR);
}

/*
 * The other pool gap of libmicrohttpd 0.9.75: a head that fits the pool
 * only just (a long request line, then many cookies or headers) leaves no
 * room for a header record, or for the response header of the answer, and
 * then none for its own 431 either; libmicrohttpd logs "Closing connection
 * (failed to create response header)" and closes without a status line.
 * The log callback runs in the thread that serves the connection, before
 * the socket is shut down, so the 431 can still go straight to the socket
 * (plain HTTP only: a TLS stream cannot take raw bytes). Which connection:
 * - after "Not enough memory in pool ..." (a header record or the cookies
 *   of a head being parsed): the request whose head this thread is still
 *   reading (on_uri done, on_request not yet), when there is exactly one;
 * - else the failure is in building the header of the answer just queued:
 *   the request on_request last ran for in this thread.
 * Anything more ambiguous is left as libmicrohttpd leaves it.
 */
#define HEADS_PENDING_MAX 8
static _Thread_local struct ctx *heads_pending[HEADS_PENDING_MAX];
static _Thread_local unsigned heads_pending_n;
static _Thread_local struct ctx *request_current; /* on_request's last, until completed */
static _Thread_local bool is_head_pool_full;      /* "Not enough memory in pool" seen */

static void
head_pending_add(struct ctx *c)
{
	if (heads_pending_n < HEADS_PENDING_MAX)
		heads_pending[heads_pending_n++] = c;
}

static void
head_pending_remove(const struct ctx *c)
{
	unsigned i;

	for (i = 0; i < heads_pending_n; i++)
		if (heads_pending[i] == c) {
			heads_pending[i] = heads_pending[--heads_pending_n];
			return;
		}
}

#define POOL_FULL_BODY                                                                             \
	"{\"error\":\"invalid_request\",\"error_description\":\"the request head is too large "    \
	"(limits.header_bytes)\"}"

static void
refuse_pool_full(void)
{
	static const char answer[] = "HTTP/1.1 431 Request Header Fields Too Large\r\n"
	                             "Content-Type: application/json\r\n"
	                             "Cache-Control: no-store\r\n"
	                             "X-Content-Type-Options: nosniff\r\n"
	                             "Connection: close\r\n"
	                             "Content-Length: 101\r\n"
	                             "\r\n" POOL_FULL_BODY;
	struct ctx *c = NULL;
	const union MHD_ConnectionInfo *ci;

	_Static_assert(sizeof POOL_FULL_BODY - 1 == 101, "Content-Length of POOL_FULL_BODY");
	if (is_head_pool_full && heads_pending_n == 1)
		c = heads_pending[0];
	else if (!is_head_pool_full)
		c = request_current;
	is_head_pool_full = false;
	if (c == NULL || (c->l->srv->tls_cert != NULL && !c->l->is_admin))
		return;
	ci = MHD_get_connection_info(c->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci != NULL)
		(void)send(ci->connect_fd, answer, sizeof answer - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static void *
on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct listener *l = cls;
	struct arena *arena;
	struct ctx *c;
	uint64_t n;

	if (is_too_big_for_pool(uri, l->srv->cfg->limits_header_bytes)) {
		refuse_early(conn);
		LOG_WARN("refused a request line too long or with too many query parameters "
		         "(limits.header_bytes)");
		/* No request state: libmicrohttpd may drop the connection without
		 * on_completed, and on_request answers MHD_NO to a NULL one. */
		return NULL;
	}
	arena = arena_new();
	c = arena_alloc(arena, sizeof *c);
	n = atomic_fetch_add(&request_counter, 1);
	c->req.arena = arena;
	c->l = l;
	c->raw_uri = arena_strdup(arena, uri != NULL ? uri : "/");
	c->start_ms = clock_mono_ms();
	c->status = 0;
	/* 16 hex digits: a per-process random prefix and a counter (no printf on the hot path). */
	{
		static const char hex[] = "0123456789abcdef";
		uint64_t id = (uint64_t)request_id_prefix << 32 | (n & 0xffffffffu);
		int k;

		for (k = 15; k >= 0; k--, id >>= 4)
			c->req.id[k] = hex[id & 15];
		c->req.id[16] = '\0';
	}
	c->req.is_admin = l->is_admin;
	c->conn = conn;
	head_pending_add(c);
	return c;
}

static enum MHD_Result
count_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct request *req = cls;

	(void)kind;
	req->headers[req->nheaders].name = key;
	req->headers[req->nheaders].value = value != NULL ? value : "";
	req->nheaders++;
	return MHD_YES;
}

/* inet_ntop(AF_INET) without its sprintf per octet: "a.b.c.d" into out[16]. */
static void
ipv4_text(const unsigned char a[4], char out[16])
{
	char *p = out;
	int i;

	for (i = 0; i < 4; i++) {
		unsigned v = a[i];

		if (i > 0)
			*p++ = '.';
		if (v >= 100)
			*p++ = (char)('0' + v / 100);
		if (v >= 10)
			*p++ = (char)('0' + v / 10 % 10);
		*p++ = (char)('0' + v % 10);
	}
	*p = '\0';
}

/* The client address and scheme: the socket peer's, or what trusted proxies say (proxy.h). */
static void
resolve_client(const struct config *cfg, struct MHD_Connection *conn, struct request *req)
{
	const union MHD_ConnectionInfo *ci =
	        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	char name[INET6_ADDRSTRLEN] = "";
	unsigned char addr[16];
	int family = AF_UNSPEC, is_https;

	if (ci != NULL && ci->client_addr != NULL) {
		const struct sockaddr *sa = ci->client_addr;

		if (sa->sa_family == AF_INET) {
			const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;

			family = AF_INET;
			memcpy(addr, &s4->sin_addr, 4);
			ipv4_text(addr, name);
		} else if (sa->sa_family == AF_INET6) {
			const struct sockaddr_in6 *s6 =
			        (const struct sockaddr_in6 *)(const void *)sa;

			family = AF_INET6;
			memcpy(addr, &s6->sin6_addr, 16);
			inet_ntop(AF_INET6, &s6->sin6_addr, name, sizeof name);
		}
	}
	req->client_ip = arena_strdup(req->arena, name);
	/* Forwarding headers are read only for a trusted proxy: not on every request. */
	if (family == AF_UNSPEC || !config_is_trusted_proxy(cfg, family, addr))
		return;
	proxy_resolve(cfg, req->client_ip, family, addr, request_header(req, "Forwarded"),
	              request_header(req, "X-Forwarded-For"),
	              request_header(req, "X-Forwarded-Proto"), req->arena, &req->client_ip,
	              &is_https);
	if (is_https >= 0)
		req->is_https = is_https == 1;
}

static void
begin(struct ctx *c, struct MHD_Connection *conn, const char *method)
{
	struct request *req = &c->req;
	const char *q = strchr(c->raw_uri, '?');
	size_t plen = q != NULL ? (size_t)(q - c->raw_uri) : strlen(c->raw_uri);
	int n;

	req->method_name = arena_strdup(req->arena, method);
	req->method = method_of(method);
	/* One trailing slash is ignored (hydra-behaviour §0.1). */
	if (plen > 1 && c->raw_uri[plen - 1] == '/')
		plen--;
	if (c->l->is_admin && strncmp(c->raw_uri, "/admin", 6) != 0)
		req->path = arena_printf(req->arena, "/admin%.*s", (int)plen, c->raw_uri);
	else
		req->path = arena_strndup(req->arena, c->raw_uri, plen);

	n = MHD_get_connection_values(conn, MHD_HEADER_KIND, NULL, NULL);
	req->headers = arena_alloc(req->arena, (size_t)(n > 0 ? n : 1) * sizeof *req->headers);
	MHD_get_connection_values(conn, MHD_HEADER_KIND, count_header, req);
	req->content_type = request_header(req, "Content-Type");
	/* Native TLS: this connection is https itself; trusted proxies may still say so. */
	req->is_https = !c->l->is_admin && c->l->srv->tls_cert != NULL;
	resolve_client(c->l->srv->cfg, conn, req);
}

/*
 * Answers that are the same for every request (response_reuse: discovery,
 * JWKS) are built once per worker thread and queued again while their
 * generation holds: no response object, header records or body copy per
 * request. libmicrohttpd responses are reference-counted and may be queued
 * on any number of connections. Each thread's are released when it exits.
 */
struct reused {
	struct MHD_Response *r; /* NULL: none yet */
	uint64_t gen;
	int status;
};

static _Thread_local struct reused reused[RESPONSE_REUSE_SLOTS];
static _Thread_local bool is_reused_keyed;
static pthread_key_t reused_key;
static pthread_once_t reused_once = PTHREAD_ONCE_INIT;

static void
reused_thread_exit(void *arg)
{
	struct reused *slots = arg;
	size_t i;

	for (i = 0; i < RESPONSE_REUSE_SLOTS; i++) {
		if (slots[i].r != NULL)
			MHD_destroy_response(slots[i].r);
		slots[i].r = NULL;
	}
}

static void
reused_key_create(void)
{
	(void)pthread_key_create(&reused_key, reused_thread_exit);
}

/* True when res may be kept: a reuse slot, and no headers of its own. */
static bool
is_reusable(const struct response *res)
{
	return res->reuse_slot != RESPONSE_REUSE_NONE && res->reuse_slot < RESPONSE_REUSE_SLOTS &&
	       res->nheaders == 0;
}

/* The kept response for res, or NULL (then queue builds one). */
static struct MHD_Response *
reused_get(const struct response *res)
{
	const struct reused *k;

	if (!is_reusable(res))
		return NULL;
	k = &reused[res->reuse_slot];
	return k->r != NULL && k->gen == res->reuse_gen && k->status == res->status ? k->r : NULL;
}

/*
 * Keeps r (built with its own copy of the body) for the next requests like
 * res. false when this thread cannot keep responses (nothing would release
 * them at its exit): r stays the caller's.
 */
static bool
reused_keep(const struct response *res, struct MHD_Response *r)
{
	struct reused *k = &reused[res->reuse_slot];

	if (!is_reused_keyed) {
		pthread_once(&reused_once, reused_key_create);
		is_reused_keyed = pthread_setspecific(reused_key, reused) == 0;
		if (!is_reused_keyed)
			return false;
	}
	/* Connections still sending the old one hold their own reference. */
	if (k->r != NULL)
		MHD_destroy_response(k->r);
	k->r = r;
	k->gen = res->reuse_gen;
	k->status = res->status;
	return true;
}

/* The libmicrohttpd response for res, with the headers every answer carries. */
static struct MHD_Response *
build(struct ctx *c, const struct response *res, bool is_kept)
{
	const struct config *cfg = c->l->srv->cfg;
	struct MHD_Response *r;
	void *body;
	char cache[64];
	size_t i;

	/* The body lives in the request arena until on_completed: no copy, unless
	 * the response outlives the request. MHD's API takes void * for a buffer
	 * it only reads (hence memcpy, not a cast). */
	memcpy(&body, &res->body, sizeof body);
	r = MHD_create_response_from_buffer(
	        res->body_len, body, is_kept ? MHD_RESPMEM_MUST_COPY : MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return NULL;
	if (res->content_type != NULL)
		MHD_add_response_header(r, "Content-Type", res->content_type);
	if (res->cache_max_age_secs == cfg->http_cache_max_age_secs) {
		MHD_add_response_header(r, "Cache-Control", c->l->srv->cache_public);
	} else if (res->cache_max_age_secs >= 0) {
		snprintf(cache, sizeof cache, "public, max-age=%lld",
		         (long long)res->cache_max_age_secs);
		MHD_add_response_header(r, "Cache-Control", cache);
	} else {
		MHD_add_response_header(r, "Cache-Control", "no-store");
		MHD_add_response_header(r, "Pragma", "no-cache");
	}
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	for (i = 0; i < res->nheaders; i++)
		MHD_add_response_header(r, res->headers[i].name, res->headers[i].value);
	return r;
}

static void
queue(struct ctx *c, struct MHD_Connection *conn, const struct response *res)
{
	struct MHD_Response *r = reused_get(res);
	bool is_kept = r != NULL;

	if (r == NULL) {
		r = build(c, res, is_reusable(res));
		if (r == NULL)
			return;
		is_kept = is_reusable(res) && reused_keep(res, r);
	}
	if (MHD_queue_response(conn, (unsigned)res->status, r) != MHD_YES) {
		if (!is_kept)
			MHD_destroy_response(r);
		return;
	}
	if (!is_kept)
		MHD_destroy_response(r);
	c->responded = true;
	c->status = res->status;
	metrics_request(c->req.route, c->l->is_admin, res->status,
	                (clock_mono_ms() - c->start_ms) / 1000.0);
	c->bytes = res->body_len;
}

static void
reply_error(struct ctx *c, struct MHD_Connection *conn, enum oauth_error e, const char *desc)
{
	struct response res;

	response_init(&res);
	oauth_error(&res, c->req.arena, e, desc);
	queue(c, conn, &res);
}

/* Routes the request and queues the answer, or suspends for a durable write. */
static void
dispatch(struct ctx *c, struct MHD_Connection *conn)
{
	const struct app *app = c->l->srv->app;
	struct request *req = &c->req;
	struct response res;

	if (c->l->is_admin)
		router_dispatch(app, routes_admin, routes_admin_count, req, &res);
	else
		router_dispatch(app, routes_public, routes_public_count, req, &res);
	if (!res.is_deferred) {
		queue(c, conn, &res);
		return;
	}
	/*
	 * The writer may finish before or after we suspend: suspend first, then
	 * publish SUSPENDED; if the writer got there first (DONE), resume
	 * ourselves. Either way MHD calls on_request again and dispatch() runs
	 * the handler's second half.
	 */
	MHD_suspend_connection(conn);
	{
		int expected = WRITE_PENDING;

		if (!atomic_compare_exchange_strong(&c->write_state, &expected, WRITE_SUSPENDED))
			MHD_resume_connection(conn);
	}
}

/* Storage writer thread: the write is durable (or failed). */
static void
on_write_done(void *cls, enum status st, const struct err *err)
{
	struct ctx *c = cls;

	c->req.write_status = st;
	if (st != ST_OK && err != NULL)
		c->req.write_err = *err;
	c->req.is_write_done = true;
	if (atomic_exchange(&c->write_state, WRITE_DONE) == WRITE_SUSPENDED)
		MHD_resume_connection(c->conn);
}

/* request->submit: hands the write to the storage writer. */
static void
submit_write(struct request *req)
{
	struct ctx *c = (struct ctx *)(void *)req; /* req is the first member of ctx */

	atomic_store(&c->write_state, WRITE_PENDING);
	req->write.done = on_write_done;
	req->write.done_cls = c;
	store_write_submit(c->l->srv->app->store, &req->write);
}

/* Bodies can carry passwords and secrets: wipe before freeing. */
static void
body_free(struct ctx *c)
{
	if (c->body.data != NULL)
		explicit_bzero(c->body.data, c->body.len);
	buf_free(&c->body);
}

static void
finish(struct ctx *c, struct MHD_Connection *conn)
{
	struct request *req = &c->req;
	const char *q = strchr(c->raw_uri, '?');
	struct err err;

	/* The body stays in c->body (not copied into the arena, which is never
	 * wiped) until on_completed wipes and frees it. */
	req->body = c->body.data != NULL ? c->body.data : "";
	req->body_len = c->body.len;
	if (q != NULL && form_parse(q + 1, strlen(q + 1), req->arena, &req->query, &err) != ST_OK) {
		reply_error(c, conn, OAUTH_INVALID_REQUEST, err.msg);
		return;
	}
	if (req->body_len > 0 && req->content_type != NULL &&
	    strncasecmp(req->content_type, "application/x-www-form-urlencoded", 33) == 0 &&
	    form_parse(req->body, req->body_len, req->arena, &req->form, &err) != ST_OK) {
		reply_error(c, conn, OAUTH_INVALID_REQUEST, err.msg);
		return;
	}
	c->conn = conn;
	req->submit = submit_write;
	dispatch(c, conn);
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
           const char *version, const char *upload_data, size_t *upload_data_size, void **req_cls)
{
	struct ctx *c = *req_cls;
	size_t limit;

	(void)cls;
	(void)url;
	(void)version;
	if (c == NULL)
		return MHD_NO; /* refused early in on_uri: the 414 is sent, close */
	request_current = c;
	is_head_pool_full = false;
	limit = c->l->srv->cfg->limits_body_bytes;
	if (!c->started) {
		const char *cl;

		c->started = true;
		head_pending_remove(c);
		atomic_fetch_add(&c->l->srv->in_flight, 1);
		begin(c, conn, method);
		cl = request_header(&c->req, "Content-Length");
		if (cl != NULL && strtoull(cl, NULL, 10) > limit) {
			c->too_large = true;
			/* A client still sending when the connection closes sees a
			 * reset, not our 413: moderately large bodies are read and
			 * discarded, then answered. Only huge ones are answered at
			 * once (MHD then closes the connection without reading). */
			if (strtoull(cl, NULL, 10) > HTTP_DISCARD_MAX_BYTES)
				reply_error(c, conn, OAUTH_REQUEST_TOO_LARGE, NULL);
		}
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		/* MHD 0.9.75 cannot queue a response while a body arrives: the
		 * excess of a chunked body is discarded and the 413 is sent on
		 * the final call. */
		if (!c->too_large && c->body.len + *upload_data_size > limit) {
			c->too_large = true;
			body_free(c);
		}
		if (!c->too_large)
			buf_append(&c->body, upload_data, *upload_data_size);
		else
			c->discarded_bytes += *upload_data_size;
		*upload_data_size = 0;
		/* An endless chunked body: stop reading, close the connection. */
		return c->discarded_bytes > HTTP_DISCARD_MAX_BYTES ? MHD_NO : MHD_YES;
	}
	if (c->responded)
		return MHD_YES;
	if (atomic_load(&c->write_state) == WRITE_DONE) {
		/* Resumed after a durable write: the handler's second half. */
		atomic_store(&c->write_state, WRITE_NONE);
		dispatch(c, conn);
		return MHD_YES;
	}
	if (c->too_large) {
		reply_error(c, conn, OAUTH_REQUEST_TOO_LARGE, NULL);
		return MHD_YES;
	}
	finish(c, conn);
	return MHD_YES;
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
             enum MHD_RequestTerminationCode toe)
{
	struct ctx *c = *req_cls;

	(void)cls;
	(void)conn;
	if (c == NULL)
		return;
	*req_cls = NULL;
	if (!c->started)
		head_pending_remove(c);
	if (request_current == c)
		request_current = NULL;
	is_head_pool_full = false; /* libmicrohttpd's own 431 went out */
	if (c->started && log_enabled(LOG_INFO)) {
		struct log_field f[] = {
		        LOG_STR("method", c->req.method_name),
		        LOG_STR("path", c->req.path),
		        LOG_NUM("status", c->responded ? c->status : 0),
		        LOG_NUM("bytes", c->bytes),
		        LOG_NUM("ms", (long long)(clock_mono_ms() - c->start_ms)),
		        LOG_STR("ip", c->req.client_ip),
		        LOG_STR("client_id", c->req.client_id),
		        LOG_STR("listener", c->l->is_admin ? "admin" : "public"),
		        LOG_NUM("aborted", toe != MHD_REQUEST_TERMINATED_COMPLETED_OK),
		};
		log_event(LOG_INFO, c->req.id, NULL, "request", f, sizeof f / sizeof f[0]);
	}
	if (c->started)
		atomic_fetch_sub(&c->l->srv->in_flight, 1);
	body_free(c);
	arena_free(c->req.arena);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
        __attribute__((format(printf, 2, 0)));

static void
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	static const char no_header[] = "Closing connection (failed to create response header)";
	static const char no_queue[] = "Closing connection (failed to queue response)";
	static const char pool_full[] = "Not enough memory in pool";
	char msg[512];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof msg, fmt, ap);
	/* libmicrohttpd logs these as "%s\n" with the text as argument. */
	if (strncmp(msg, pool_full, sizeof pool_full - 1) == 0)
		is_head_pool_full = true;
	if (strncmp(msg, no_header, sizeof no_header - 1) == 0 ||
	    strncmp(msg, no_queue, sizeof no_queue - 1) == 0)
		refuse_pool_full();
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	log_msg(LOG_WARN, NULL, "libmicrohttpd", "%s", msg);
}

static enum status
start_listener(struct listener *l, struct err *err)
{
	const struct config *cfg = l->srv->cfg;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
	                 MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME;
	unsigned threads = cfg->threads > 0 ? cfg->threads : 1;
	bool is_tls = !l->is_admin && l->srv->tls_cert != NULL;
	/* Empty (just the END) unless this listener serves HTTPS. */
	struct MHD_OptionItem tls_opts[] = {
	        {MHD_OPTION_HTTPS_MEM_CERT, 0, l->srv->tls_cert},
	        {MHD_OPTION_HTTPS_MEM_KEY,  0, l->srv->tls_key },
	        {MHD_OPTION_END,            0, NULL            },
	};

	if (is_tls)
		flags |= MHD_USE_TLS;
	/* The logger must be the first option, or early messages bypass it. */
	l->daemon = MHD_start_daemon(
	        flags, 0, NULL, NULL, on_request, l, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
	        MHD_OPTION_LISTEN_SOCKET, l->fd, MHD_OPTION_THREAD_POOL_SIZE, threads,
	        MHD_OPTION_CONNECTION_LIMIT, cfg->limits_connections, MHD_OPTION_CONNECTION_TIMEOUT,
	        cfg->limits_connection_timeout_secs, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	        cfg->limits_header_bytes, MHD_OPTION_URI_LOG_CALLBACK, on_uri, l,
	        MHD_OPTION_NOTIFY_COMPLETED, on_completed, l, MHD_OPTION_ARRAY,
	        is_tls ? tls_opts : &tls_opts[2], MHD_OPTION_END);
	if (l->daemon == NULL && is_tls)
		return ERR_SET(
		        err, ST_INVALID,
		        "cannot start the HTTPS listener on %s: public.tls_cert and "
		        "public.tls_key cannot be used (does the key match the certificate?)",
		        l->addr);
	if (l->daemon == NULL)
		return ERR_SET(err, ST_IO, "cannot start the HTTP listener on %s", l->addr);
	return ST_OK;
}

enum status
http_serve(struct http_server *srv, const struct app *app, struct err *err)
{
	unsigned char r[4];
	enum status st;

	if (random_bytes(r, sizeof r, err) != ST_OK)
		return err->st;
	request_id_prefix =
	        (unsigned)r[0] << 24 | (unsigned)r[1] << 16 | (unsigned)r[2] << 8 | r[3];
	srv->app = app;
	st = start_listener(&srv->pub, err);
	if (st != ST_OK)
		return st;
	if (srv->has_admin)
		return start_listener(&srv->adm, err);
	return ST_OK;
}

/*
 * Stops accepting: libmicrohttpd hands the listening socket back, and
 * shutdown() makes the kernel refuse new connections at once. The socket is
 * closed only after MHD_stop_daemon (listener_close): a worker thread may
 * still take it out of its epoll set, and on a closed descriptor that fails
 * and libmicrohttpd aborts ("Failed to remove listen FD from epoll set").
 */
static void
quiesce(struct listener *l)
{
	MHD_socket fd;

	if (l->daemon == NULL)
		return;
	fd = MHD_quiesce_daemon(l->daemon);
	if (fd == MHD_INVALID_SOCKET) {
		l->fd = -1; /* libmicrohttpd keeps it, and closes it */
		return;
	}
	(void)shutdown(fd, SHUT_RDWR);
	l->fd = fd;
}

/* After MHD_stop_daemon: the listening socket is ours again (quiesce). */
static void
listener_close(struct listener *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}

void
http_shutdown(struct http_server *srv, unsigned grace_ms)
{
	double deadline;

	if (srv == NULL)
		return;
	quiesce(&srv->pub);
	if (srv->has_admin)
		quiesce(&srv->adm);
	/* Let in-flight requests finish; idle keep-alive connections are simply
	 * closed by MHD_stop_daemon. */
	deadline = clock_mono_ms() + grace_ms;
	while (atomic_load(&srv->in_flight) > 0 && clock_mono_ms() < deadline)
		poll(NULL, 0, 10);
	if (srv->pub.daemon != NULL)
		MHD_stop_daemon(srv->pub.daemon);
	if (srv->adm.daemon != NULL)
		MHD_stop_daemon(srv->adm.daemon);
	listener_close(&srv->pub);
	if (srv->has_admin)
		listener_close(&srv->adm);
	free_tls(srv);
	free(srv);
}
