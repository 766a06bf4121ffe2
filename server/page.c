/*
 * server/page.c — the built-in HTML pages: a tiny template engine (checked
 * at load, always-escaping at render), the page CSP, the stylesheet and the
 * CSRF tokens. See page.h for the template syntax and the CSRF scheme.
 *
 * API: page_templates_load/free, page_render, page_stylesheet, page_csp,
 * page_scope_description, page_csrf_cookie_name, page_csrf_binding_new,
 * page_csrf_token, page_csrf_check.
 * Invariants: a loaded template only names known variables (resolved to
 * enum var at load), so rendering cannot fail; every variable goes through
 * html_escape; URLs that are unsafe for their place are blanked first.
 * To add a variable: add it to enum var, var_names and page_vars, and fill
 * it in top_values. To add a page: a template in server/templates/ (and its
 * meson.build), an enum page_kind value and a row in page_files.
 */
#include "server/page.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "common/xalloc.h"
#include "crypto/b64url.h"
#include "crypto/digest.h"
#include "crypto/random.h"
#include "crypto/secret.h"
#include "server/uri.h"

/* Written by server/templates/embed.c at build time (page_templates.c). */
extern const char *const page_builtin_names[];
extern const char *const page_builtin_texts[];
extern const size_t page_builtin_lens[];
extern const size_t page_builtin_count;

static const char *const page_files[PAGE_KIND_COUNT] = {
        [PAGE_LOGIN] = "login.html",
        [PAGE_CONSENT] = "consent.html",
        [PAGE_ERROR] = "error.html",
        [PAGE_LOGOUT] = "logout.html",
        [PAGE_SIGNED_OUT] = "signed_out.html",
        [PAGE_DEVICE] = "device.html",
        [PAGE_DEVICE_DONE] = "device_done.html",
};
#define STYLESHEET_FILE "style.css"

enum var {
	V_ACTION = 0,
	V_CSRF,
	V_ERROR,
	V_LOGIN_HINT,
	V_USER_NAME,
	V_CLIENT_ID,
	V_CLIENT_NAME,
	V_LOGO_URI,
	V_CLIENT_URI,
	V_POLICY_URI,
	V_TOS_URI,
	V_TITLE,
	V_DESCRIPTION,
	V_STYLESHEET,
	V_USER_CODE,
	V_TOP_COUNT,           /* the variables above exist everywhere */
	V_SCOPE = V_TOP_COUNT, /* only inside {{#scopes}} */
	V_SCOPE_DESCRIPTION,
	V_SCOPES, /* the list section */
	V_COUNT,
};

static const char *const var_names[V_COUNT] = {
        [V_ACTION] = "action",
        [V_CSRF] = "csrf",
        [V_ERROR] = "error",
        [V_LOGIN_HINT] = "login_hint",
        [V_USER_NAME] = "user_name",
        [V_CLIENT_ID] = "client_id",
        [V_CLIENT_NAME] = "client_name",
        [V_LOGO_URI] = "logo_uri",
        [V_CLIENT_URI] = "client_uri",
        [V_POLICY_URI] = "policy_uri",
        [V_TOS_URI] = "tos_uri",
        [V_TITLE] = "title",
        [V_DESCRIPTION] = "description",
        [V_STYLESHEET] = "stylesheet",
        [V_USER_CODE] = "user_code",
        [V_SCOPE] = "scope",
        [V_SCOPE_DESCRIPTION] = "scope_description",
        [V_SCOPES] = "scopes",
};

enum node_kind {
	NODE_TEXT,
	NODE_VAR,
	NODE_SECTION, /* end: index of its NODE_END */
	NODE_END,
};

struct node {
	enum node_kind kind;
	const char *text; /* NODE_TEXT */
	size_t len;
	enum var var; /* NODE_VAR, NODE_SECTION */
	size_t end;
};

struct tmpl {
	struct node *nodes;
	size_t count;
};

struct page_templates {
	struct arena *arena; /* owns the nodes and any file contents */
	struct tmpl pages[PAGE_KIND_COUNT];
	const char *css;
	size_t css_len;
};

struct scope_item {
	const char *scope;
	const char *description;
};

struct render_ctx {
	const char *top[V_TOP_COUNT]; /* never NULL */
	struct scope_item *scopes;
	size_t nscopes;
	const struct scope_item *item; /* inside {{#scopes}} */
};

/* ---- loading ---- */

static bool
builtin(const char *name, const char **text, size_t *len)
{
	size_t i;

	for (i = 0; i < page_builtin_count; i++) {
		if (strcmp(page_builtin_names[i], name) == 0) {
			*text = page_builtin_texts[i];
			*len = page_builtin_lens[i];
			return true;
		}
	}
	return false;
}

static int
line_of(const char *text, const char *at)
{
	int line = 1;

	for (; text < at; text++)
		line += *text == '\n';
	return line;
}

static bool
resolve(const char *name, size_t len, bool is_section, bool in_scopes, enum var *out)
{
	size_t i;

	for (i = 0; i < V_COUNT; i++) {
		if (strlen(var_names[i]) != len || memcmp(var_names[i], name, len) != 0)
			continue;
		if (i == V_SCOPES && !is_section)
			return false;
		if ((i == V_SCOPE || i == V_SCOPE_DESCRIPTION) && (is_section || !in_scopes))
			return false;
		*out = (enum var)i;
		return true;
	}
	return false;
}

/*
 * Splits text into nodes, resolving every name. One pass; sections are
 * only one level deep, so a single "open" index is the whole stack.
 */
static enum status
parse(const char *file, const char *text, size_t len, struct arena *arena, struct tmpl *out,
      struct err *err)
{
	const char *p = text, *end = text + len, *open_at = NULL;
	size_t cap = 1, n = 0, open = 0;
	struct node *nodes;
	const char *q;

	if (memchr(text, '\0', len) != NULL) {
		ERR_SET(err, ST_INVALID, "%s: NUL byte in template", file);
		return ST_INVALID;
	}
	for (q = text; (q = strstr(q, "{{")) != NULL; q += 2)
		cap += 2;
	nodes = arena_alloc(arena, cap * sizeof *nodes);
	while (p < end) {
		const char *tag = strstr(p, "{{"), *close, *name;
		size_t name_len;
		char sigil;
		enum var v;

		if (tag == NULL)
			tag = end;
		if (tag > p)
			nodes[n++] = (struct node){
			        .kind = NODE_TEXT, .text = p, .len = (size_t)(tag - p)};
		if (tag == end)
			break;
		close = strstr(tag + 2, "}}");
		if (close == NULL) {
			ERR_SET(err, ST_INVALID, "%s:%d: \"{{\" without \"}}\"", file,
			        line_of(text, tag));
			return ST_INVALID;
		}
		sigil = '\0';
		if (tag[2] == '#' || tag[2] == '/')
			sigil = tag[2];
		name = tag + 2 + (sigil != '\0');
		name_len = (size_t)(close - name);
		if (!resolve(name, name_len, sigil != '\0', open_at != NULL, &v)) {
			ERR_SET(err, ST_INVALID, "%s:%d: unknown placeholder {{%.*s}}", file,
			        line_of(text, tag), (int)(name_len > 40 ? 40 : name_len), name);
			return ST_INVALID;
		}
		if (sigil == '#') {
			if (open_at != NULL) {
				ERR_SET(err, ST_INVALID, "%s:%d: sections do not nest", file,
				        line_of(text, tag));
				return ST_INVALID;
			}
			open_at = tag;
			open = n;
			nodes[n++] = (struct node){.kind = NODE_SECTION, .var = v};
		} else if (sigil == '/') {
			if (open_at == NULL || nodes[open].var != v) {
				ERR_SET(err, ST_INVALID, "%s:%d: {{/%s}} closes no open section",
				        file, line_of(text, tag), var_names[v]);
				return ST_INVALID;
			}
			nodes[open].end = n;
			open_at = NULL;
			nodes[n++] = (struct node){.kind = NODE_END, .var = v};
		} else {
			nodes[n++] = (struct node){.kind = NODE_VAR, .var = v};
		}
		p = close + 2;
	}
	if (open_at != NULL) {
		ERR_SET(err, ST_INVALID, "%s:%d: {{#%s}} is never closed", file,
		        line_of(text, open_at), var_names[nodes[open].var]);
		return ST_INVALID;
	}
	out->nodes = nodes;
	out->count = n;
	return ST_OK;
}

/* dir/name into the arena: ST_NOT_FOUND when it does not exist. */
static enum status
read_file(const char *dir, const char *name, struct arena *arena, char **text, size_t *len,
          struct err *err)
{
	char path[4096];
	FILE *f = NULL;
	char *data;
	size_t n;
	enum status st;

	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path) {
		ERR_SET(err, ST_IO, "%s: templates directory path too long", name);
		return ST_IO;
	}
	f = fopen(path, "rb");
	if (f == NULL) {
		if (errno == ENOENT)
			return ST_NOT_FOUND;
		ERR_SET(err, ST_IO, "%s: %s", path, strerror(errno));
		return ST_IO;
	}
	data = arena_alloc(arena, PAGE_TEMPLATE_MAX_BYTES + 2);
	n = fread(data, 1, PAGE_TEMPLATE_MAX_BYTES + 1, f);
	if (ferror(f)) {
		ERR_SET(err, ST_IO, "%s: read error", path);
		st = ST_IO;
		goto out;
	}
	if (n > PAGE_TEMPLATE_MAX_BYTES) {
		ERR_SET(err, ST_IO, "%s: larger than %d bytes", path, PAGE_TEMPLATE_MAX_BYTES);
		st = ST_IO;
		goto out;
	}
	data[n] = '\0';
	*text = data;
	*len = n;
	st = ST_OK;
out:
	fclose(f);
	return st;
}

/* The text of name: dir's file when dir has one, else the built-in. */
static enum status
source(const char *dir, const char *name, struct arena *arena, const char **text, size_t *len,
       struct err *err)
{
	char *data = NULL;
	enum status st = ST_NOT_FOUND;

	if (dir != NULL)
		st = read_file(dir, name, arena, &data, len, err);
	if (st == ST_OK)
		*text = data;
	if (st != ST_NOT_FOUND)
		return st;
	if (!builtin(name, text, len)) {
		ERR_SET(err, ST_INVALID, "%s: no built-in template", name);
		return ST_INVALID;
	}
	return ST_OK;
}

enum status
page_templates_load(const char *dir, struct page_templates **out, struct err *err)
{
	struct page_templates *t = NULL;
	const char *text;
	size_t len;
	enum status st;
	int k;

	t = xcalloc(1, sizeof *t);
	t->arena = arena_new();
	for (k = 0; k < PAGE_KIND_COUNT; k++) {
		st = source(dir, page_files[k], t->arena, &text, &len, err);
		if (st != ST_OK)
			goto out;
		st = parse(page_files[k], text, len, t->arena, &t->pages[k], err);
		if (st != ST_OK)
			goto out;
	}
	st = source(dir, STYLESHEET_FILE, t->arena, &t->css, &t->css_len, err);
	if (st != ST_OK)
		goto out;
	*out = t;
	t = NULL;
out:
	page_templates_free(t);
	return st;
}

void
page_templates_free(struct page_templates *t)
{
	if (t == NULL)
		return;
	arena_free(t->arena);
	free(t);
}

const char *
page_stylesheet(const struct page_templates *t, size_t *len_out)
{
	const char *css = "";
	size_t len = 0;

	if (t != NULL) {
		*len_out = t->css_len;
		return t->css;
	}
	builtin(STYLESHEET_FILE, &css, &len);
	*len_out = len;
	return css;
}

/* ---- rendering ---- */

/* OWASP XSS prevention rule #1, applied everywhere (text and quoted attributes alike). */
static void
html_escape(struct buf *b, const char *s)
{
	const char *run = s;

	for (; *s != '\0'; s++) {
		const char *ent;

		switch (*s) {
		case '&':
			ent = "&amp;";
			break;
		case '<':
			ent = "&lt;";
			break;
		case '>':
			ent = "&gt;";
			break;
		case '"':
			ent = "&quot;";
			break;
		case '\'':
			ent = "&#x27;";
			break;
		case '/':
			ent = "&#x2F;";
			break;
		default:
			continue;
		}
		buf_append(b, run, (size_t)(s - run));
		buf_puts(b, ent);
		run = s + 1;
	}
	buf_append(b, run, (size_t)(s - run));
}

static const char *
value_of(const struct render_ctx *c, enum var v)
{
	if (v < V_TOP_COUNT)
		return c->top[v];
	if (c->item == NULL)
		return "";
	return v == V_SCOPE ? c->item->scope : c->item->description;
}

static void
render_range(const struct tmpl *t, size_t from, size_t to, struct render_ctx *c, struct buf *b)
{
	size_t i, j;

	for (i = from; i < to; i++) {
		const struct node *nd = &t->nodes[i];

		switch (nd->kind) {
		case NODE_TEXT:
			buf_append(b, nd->text, nd->len);
			break;
		case NODE_VAR:
			html_escape(b, value_of(c, nd->var));
			break;
		case NODE_SECTION:
			if (nd->var == V_SCOPES) {
				for (j = 0; j < c->nscopes; j++) {
					c->item = &c->scopes[j];
					render_range(t, i + 1, nd->end, c, b);
				}
				c->item = NULL;
			} else if (value_of(c, nd->var)[0] != '\0') {
				render_range(t, i + 1, nd->end, c, b);
			}
			i = nd->end;
			break;
		case NODE_END:
			break;
		}
	}
}

static bool
is_loopback_http(const struct uri *u)
{
	return strcmp(u->scheme, "http") == 0 && uri_is_loopback_host(u);
}

/* data:image/<png|gif|jpeg|webp>;base64,<base64>: never SVG (it can carry script). */
static bool
is_data_image(const char *s)
{
	static const char *const types[] = {"png", "gif", "jpeg", "webp"};
	size_t i, n;

	if (strncasecmp(s, "data:image/", 11) != 0)
		return false;
	s += 11;
	for (i = 0; i < sizeof types / sizeof types[0]; i++) {
		n = strlen(types[i]);
		if (strncasecmp(s, types[i], n) == 0 && strncasecmp(s + n, ";base64,", 8) == 0)
			break;
	}
	if (i == sizeof types / sizeof types[0])
		return false;
	s += n + 8;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") ==
	       strlen(s);
}

/* The URI itself when it may be shown as a logo (is_logo) or link, else "". */
static const char *
safe_uri(const char *s, bool is_logo, struct arena *arena)
{
	struct uri u;
	struct err err;

	if (s == NULL || s[0] == '\0')
		return "";
	if (is_logo && is_data_image(s))
		return s;
	if (uri_parse(s, arena, &u, &err) != ST_OK)
		return "";
	if (strcmp(u.scheme, "https") == 0)
		return s;
	if (strcmp(u.scheme, "http") == 0 && (!is_logo || is_loopback_http(&u)))
		return s;
	return "";
}

const char *
page_scope_description(const char *scope)
{
	/* OIDC Core §5.4 scopes, §11 offline_access; "offline" is the Hydra spelling. */
	static const struct scope_item words[] = {
	        {"openid",         "Sign you in"                    },
	        {"profile",        "Your name and profile details"  },
	        {"email",          "Your email address"             },
	        {"address",        "Your postal address"            },
	        {"phone",          "Your phone number"              },
	        {"offline_access", "Stay signed in (refresh tokens)"},
	        {"offline",        "Stay signed in (refresh tokens)"},
	};
	size_t i;

	for (i = 0; i < sizeof words / sizeof words[0]; i++)
		if (strcmp(words[i].scope, scope) == 0)
			return words[i].description;
	return scope;
}

/* RFC 6749 §3.3: space-delimited; empty tokens skipped, same descriptions shown once. */
static void
split_scopes(const char *scope, struct arena *arena, struct render_ctx *c)
{
	char *copy, *tok, *save = NULL;
	size_t cap, i;

	c->scopes = NULL;
	c->nscopes = 0;
	if (scope == NULL)
		return;
	cap = strlen(scope) / 2 + 1;
	c->scopes = arena_alloc(arena, cap * sizeof *c->scopes);
	copy = arena_strdup(arena, scope);
	for (tok = strtok_r(copy, " ", &save); tok != NULL; tok = strtok_r(NULL, " ", &save)) {
		const char *d = page_scope_description(tok);

		for (i = 0; i < c->nscopes; i++)
			if (strcmp(c->scopes[i].description, d) == 0)
				break;
		if (i < c->nscopes)
			continue;
		c->scopes[c->nscopes].scope = tok;
		c->scopes[c->nscopes].description = d;
		c->nscopes++;
	}
}

static const char *
or_empty(const char *s)
{
	return s != NULL ? s : "";
}

static void
top_values(const struct page_vars *v, struct arena *arena, struct render_ctx *c)
{
	c->top[V_ACTION] = or_empty(v->action);
	c->top[V_CSRF] = or_empty(v->csrf);
	c->top[V_ERROR] = or_empty(v->error);
	c->top[V_LOGIN_HINT] = or_empty(v->login_hint);
	c->top[V_USER_NAME] = or_empty(v->user_name);
	c->top[V_CLIENT_ID] = or_empty(v->client_id);
	c->top[V_CLIENT_NAME] =
	        or_empty(v->client_name != NULL && v->client_name[0] != '\0' ? v->client_name
	                                                                     : v->client_id);
	c->top[V_LOGO_URI] = safe_uri(v->logo_uri, true, arena);
	c->top[V_CLIENT_URI] = safe_uri(v->client_uri, false, arena);
	c->top[V_POLICY_URI] = safe_uri(v->policy_uri, false, arena);
	c->top[V_TOS_URI] = safe_uri(v->tos_uri, false, arena);
	c->top[V_TITLE] = or_empty(v->title);
	c->top[V_DESCRIPTION] = or_empty(v->description);
	c->top[V_STYLESHEET] = PAGE_STYLESHEET_PATH;
	c->top[V_USER_CODE] = or_empty(v->user_code);
	c->item = NULL;
	split_scopes(v->scope, arena, c);
}

/* CSP3 §2.3.1 host-source / scheme-source: nothing that could end the directive. */
static bool
is_csp_source(const char *s)
{
	return s[0] != '\0' &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._:/[]") ==
	               strlen(s);
}

enum status
page_csp(struct arena *arena, const char *form_action, char **out, struct err *err)
{
	static const char *const banned[] = {"javascript", "data", "blob", "filesystem"};
	const char *source = "";
	struct uri u;
	size_t i;

	if (form_action != NULL && form_action[0] != '\0') {
		if (uri_parse(form_action, arena, &u, err) != ST_OK)
			return ST_INVALID;
		for (i = 0; i < sizeof banned / sizeof banned[0]; i++) {
			if (strcmp(u.scheme, banned[i]) == 0) {
				ERR_SET(err, ST_INVALID, "form-action: scheme not allowed");
				return ST_INVALID;
			}
		}
		if (strcmp(u.scheme, "http") == 0 || strcmp(u.scheme, "https") == 0)
			source = arena_printf(arena, " %s", uri_origin(&u, arena));
		else /* RFC 8252 §7.1: a private-use scheme is its own origin */
			source = arena_printf(arena, " %s:", u.scheme);
		if (!is_csp_source(source + 1)) {
			ERR_SET(err, ST_INVALID, "form-action: not a CSP source");
			return ST_INVALID;
		}
	}
	*out = arena_printf(arena,
	                    "default-src 'none'; style-src 'self'; img-src 'self' https: data:; "
	                    "form-action 'self'%s; frame-ancestors 'none'; base-uri 'none'",
	                    source);
	return ST_OK;
}

enum status
page_render(struct response *res, struct arena *arena, const struct page_templates *t,
            enum page_kind kind, const struct page_vars *vars, int status, struct err *err)
{
	static const struct page_vars none;
	struct render_ctx ctx;
	struct tmpl builtin_tmpl;
	const struct tmpl *tp;
	struct buf b = {0};
	const char *text;
	size_t len;
	char *csp;
	enum status st;

	if ((int)kind < 0 || (int)kind >= PAGE_KIND_COUNT) {
		ERR_SET(err, ST_INVALID, "no such page");
		return ST_INVALID;
	}
	if (vars == NULL)
		vars = &none;
	st = page_csp(arena, vars->form_action, &csp, err);
	if (st != ST_OK)
		return st;
	if (t != NULL) {
		tp = &t->pages[kind];
	} else {
		if (!builtin(page_files[kind], &text, &len)) {
			ERR_SET(err, ST_INVALID, "%s: no built-in template", page_files[kind]);
			return ST_INVALID;
		}
		st = parse(page_files[kind], text, len, arena, &builtin_tmpl, err);
		if (st != ST_OK)
			return st;
		tp = &builtin_tmpl;
	}
	top_values(vars, arena, &ctx);
	render_range(tp, 0, tp->count, &ctx, &b);
	response_raw(res, arena, status, "text/html; charset=utf-8", b.data != NULL ? b.data : "",
	             b.len);
	buf_free(&b);
	response_header(res, "Content-Security-Policy", csp);
	res->cache_max_age_secs = -1; /* no-store: pages carry CSRF tokens and personal data */
	return ST_OK;
}

/* ---- CSRF ---- */

const char *
page_csrf_cookie_name(bool is_https)
{
	return is_https ? "__Host-oidcd_csrf" : "oidcd_csrf";
}

enum status
page_csrf_binding_new(struct arena *arena, char **out, struct err *err)
{
	return random_token("", arena, out, err);
}

static void
csrf_mac(const char *key, const char *binding, const char *purpose,
         unsigned char out[DIGEST_SHA256_BYTES])
{
	struct buf msg = {0};

	/* A label keeps these MACs apart from the token hashes keyed by the same secret. */
	buf_puts(&msg, "oidcd-csrf|");
	buf_puts(&msg, purpose);
	buf_putc(&msg, '|');
	buf_puts(&msg, binding);
	digest_hmac_sha256(key, strlen(key), msg.data, msg.len, out);
	secret_wipe(msg.data, msg.len);
	buf_free(&msg);
}

/* The binding comes last and never holds '|', so (purpose, binding) splits one way only. */
static bool
is_binding(const char *binding)
{
	return binding != NULL && binding[0] != '\0' && strchr(binding, '|') == NULL;
}

enum status
page_csrf_token(const struct config *cfg, const char *binding, const char *purpose,
                struct arena *arena, char **out, struct err *err)
{
	unsigned char mac[DIGEST_SHA256_BYTES];

	if (!is_binding(binding) || purpose == NULL) {
		ERR_SET(err, ST_INVALID, "CSRF binding missing or malformed");
		return ST_INVALID;
	}
	if (cfg->secrets_system_count == 0) {
		ERR_SET(err, ST_INVALID, "no system secret for CSRF tokens");
		return ST_INVALID;
	}
	csrf_mac(cfg->secrets_system[0], binding, purpose, mac);
	*out = b64url_encode_arena(arena, mac, sizeof mac);
	secret_wipe(mac, sizeof mac);
	return ST_OK;
}

bool
page_csrf_check(const struct config *cfg, const char *binding, const char *purpose,
                const char *token)
{
	unsigned char presented[DIGEST_SHA256_BYTES], mac[DIGEST_SHA256_BYTES];
	size_t len = 0, i;
	bool ok = false;

	if (!is_binding(binding) || purpose == NULL || token == NULL ||
	    strlen(token) != B64URL_ENCODED_LEN(DIGEST_SHA256_BYTES) ||
	    b64url_decode(token, strlen(token), presented, sizeof presented, &len, NULL) != ST_OK ||
	    len != sizeof presented)
		return false;
	for (i = 0; i < cfg->secrets_system_count; i++) {
		csrf_mac(cfg->secrets_system[i], binding, purpose, mac);
		/* No early exit: the time does not tell which secret matched. */
		ok |= secret_equal(mac, presented, sizeof mac);
	}
	secret_wipe(mac, sizeof mac);
	return ok;
}
