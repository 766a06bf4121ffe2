// tests/integration/lib/login.mjs — the authorization code flow without a browser: a cookie
// jar, a small HTML form reader, and a loop that follows oidcd's pages the way a user would
// (GET /oauth2/auth → login form → POST /ui/login with the hidden csrf field and the
// oidcd_csrf cookie → consent form, unless skipped or remembered → 303 to the redirect_uri,
// or the form_post page), then the code exchange at /oauth2/token.
//
// Only node built-ins (and lib/oidcd.mjs's request()) are used, so bench/ can import it too.
// Form fields are read from the page, not assumed: every hidden input is sent back, so the
// helper keeps working if the pages carry more than the csrf token (issue 4, "Login, consent").

import crypto from 'node:crypto';

import { request } from './oidcd.mjs';

/** A minimal cookie jar for one origin: name → value, from Set-Cookie, sent back as Cookie. */
export class CookieJar {
	constructor() {
		this.cookies = new Map();
	}

	/** Takes the Set-Cookie headers of a response (node's array, or absent). */
	update(headers) {
		let list = headers['set-cookie'];
		if (!list) return;
		if (!Array.isArray(list)) list = [list];
		for (const line of list) {
			const [pair, ...attrs] = line.split(';');
			const eq = pair.indexOf('=');
			if (eq <= 0) continue;
			const name = pair.slice(0, eq).trim();
			const value = pair.slice(eq + 1).trim();
			let expired = false;
			for (const a of attrs) {
				const [k, v = ''] = a.split('=');
				const key = k.trim().toLowerCase();
				if (key === 'max-age' && Number(v) <= 0) expired = true;
				if (key === 'expires' && Date.parse(v.trim()) <= Date.now()) expired = true;
			}
			if (expired) this.cookies.delete(name);
			else this.cookies.set(name, value);
		}
	}

	get(name) {
		return this.cookies.get(name);
	}

	/** The Cookie request header, or undefined when the jar is empty. */
	header() {
		if (this.cookies.size === 0) return undefined;
		return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
	}
}

const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Decodes the character references an escaping template engine produces. */
export function htmlUnescape(s) {
	return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (m, ref) => {
		if (ref[0] === '#') {
			const cp = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
			return String.fromCodePoint(cp);
		}
		return ENTITIES[ref.toLowerCase()] ?? m;
	});
}

function attributes(tag) {
	const out = {};
	const re = /([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;
	// Skip the tag name itself.
	const body = tag.replace(/^<\s*[a-zA-Z]+/, '').replace(/\/?>$/, '');
	let m;
	while ((m = re.exec(body)) !== null) {
		out[m[1].toLowerCase()] = htmlUnescape(m[2] ?? m[3] ?? m[4] ?? '');
	}
	return out;
}

/**
 * The forms of a page: [{action, method, hidden: [[name, value]], inputs: [{name, type, value}],
 * buttons: [{name, value, type}]}], attribute values unescaped.
 */
export function parseForms(html) {
	const forms = [];
	const formRe = /<form\b[^>]*>[\s\S]*?<\/form\s*>/gi;
	let m;
	while ((m = formRe.exec(html)) !== null) {
		const block = m[0];
		const open = attributes(block.match(/^<form\b[^>]*>/i)[0]);
		const inputs = [...block.matchAll(/<input\b[^>]*>/gi)].map((x) => {
			const a = attributes(x[0]);
			return { name: a.name, type: (a.type || 'text').toLowerCase(), value: a.value ?? '', checked: 'checked' in a };
		});
		const buttons = [...block.matchAll(/<button\b[^>]*>/gi)].map((x) => {
			const a = attributes(x[0]);
			return { name: a.name, value: a.value ?? '', type: (a.type || 'submit').toLowerCase() };
		});
		forms.push({
			action: open.action ?? '',
			method: (open.method || 'get').toLowerCase(),
			inputs,
			hidden: inputs.filter((i) => i.type === 'hidden' && i.name).map((i) => [i.name, i.value]),
			buttons,
		});
	}
	return forms;
}

/** application/x-www-form-urlencoded from [[name, value]] pairs (or an object). */
export function formBody(pairs) {
	return new URLSearchParams(Array.isArray(pairs) ? pairs : Object.entries(pairs)).toString();
}

/** `Basic` credentials per RFC 6749 §2.3.1: id and secret form-urlencoded, then base64. */
export function basicAuth(id, secret) {
	const enc = (s) => new URLSearchParams([['', s]]).toString().slice(1);
	return `Basic ${Buffer.from(`${enc(id)}:${enc(secret)}`).toString('base64')}`;
}

/** A PKCE S256 pair (RFC 7636 §4.1, §4.2). */
export function pkcePair() {
	const verifier = crypto.randomBytes(32).toString('base64url');
	const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
	return { verifier, challenge };
}

function sameEndpoint(a, b) {
	return a.origin === b.origin && a.pathname === b.pathname;
}

/**
 * Runs one authorization request to its end. `params` are the /oauth2/auth query parameters
 * (an object or [[k, v]] pairs; must include redirect_uri). Options:
 *   username, password  what is typed into the login form (when one is shown)
 *   consent             'allow' (default) or 'deny' on the consent page
 *   jar                 a CookieJar to reuse (e.g. a logged-in session); a new one by default
 *   method              'GET' (default) or 'POST' for the authorization request itself
 *   maxSteps            bound on pages and redirects (default 12)
 *   origins             more origins the flow may visit besides the provider's (a headless
 *                       login/consent app, issue 8); default none
 * Resolves {params: URLSearchParams the redirect_uri received, via: 'query' | 'form_post',
 * jar, pages: ['login', 'consent', ...]}. Throws, with the last response, when the flow
 * stops anywhere else (an error page, an unexpected status, a redirect off the origin, the
 * login page again after a login post, i.e. a refused login: it is never posted twice).
 */
export async function authorize(publicUrl, params, opts = {}) {
	const { username, password, consent = 'allow', jar = new CookieJar(), method = 'GET', maxSteps = 12, origins = [] } = opts;
	const pairs = Array.isArray(params) ? params : Object.entries(params);
	const redirect = new URL(new URLSearchParams(pairs).get('redirect_uri'));
	const origin = new URL(publicUrl).origin;
	const allowed = new Set([origin, ...origins.map((o) => new URL(o).origin)]);
	const pages = [];
	let lastPost = null;

	let url = new URL('/oauth2/auth', publicUrl);
	let reqMethod = method;
	let body;
	if (method === 'GET') url.search = formBody(pairs);
	else body = formBody(pairs);

	for (let step = 0; step < maxSteps; step++) {
		const headers = {};
		const cookie = jar.header();
		if (cookie) headers.cookie = cookie;
		if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
		const res = await request(url.href, { method: reqMethod, headers, body });
		jar.update(res.headers);
		if (res.status !== 200) lastPost = null;
		const where = `${reqMethod} ${url.pathname} → ${res.status}`;

		if ([301, 302, 303, 307, 308].includes(res.status)) {
			const loc = new URL(res.headers.location, url);
			if (sameEndpoint(loc, redirect)) {
				return { params: loc.searchParams, via: 'query', jar, pages, location: loc.href };
			}
			if (!allowed.has(loc.origin)) throw new Error(`${where}: redirect off the provider to ${loc.href}`);
			url = loc;
			if (res.status === 303 || (res.status !== 307 && res.status !== 308)) {
				reqMethod = 'GET';
				body = undefined;
			}
			continue;
		}
		if (res.status !== 200 || !/^text\/html/.test(String(res.headers['content-type']))) {
			throw new Error(`${where} (${res.headers['content-type']}): ${res.text.slice(0, 500)}`);
		}
		const forms = parseForms(res.text);
		const login = forms.find((f) => f.inputs.some((i) => i.name === 'password'));
		const consentForm = forms.find((f) => f.buttons.some((b) => b.name === 'consent'));
		const post = forms.find((f) => f.method === 'post' && f.action && sameEndpoint(new URL(f.action, url), redirect));
		let fields;
		let form;
		if (post) {
			const got = new URLSearchParams(post.hidden);
			return { params: got, via: 'form_post', jar, pages, location: post.action };
		} else if (login) {
			if (username === undefined) throw new Error(`${where}: a login page, and no username was given`);
			// The login page again right after our login post: the login failed. Posting again
			// would only run into the throttle.
			if (lastPost === 'login') {
				const alert = res.text.match(/role="alert"[^>]*>([\s\S]*?)</);
				throw new Error(`${where}: login refused${alert ? `: ${htmlUnescape(alert[1]).trim()}` : ''}`);
			}
			form = login;
			pages.push('login');
			// Checked boxes go along as a browser sends them (a headless app's "remember me").
			const boxes = login.inputs.filter((i) => i.type === 'checkbox' && i.checked && i.name).map((i) => [i.name, i.value || 'on']);
			fields = [...login.hidden, ...boxes, ['username', username], ['password', password ?? '']];
		} else if (consentForm) {
			form = consentForm;
			pages.push('consent');
			fields = [...consentForm.hidden, ['consent', consent]];
		} else {
			throw new Error(`${where}: a page without a login, consent or form_post form: ${res.text.slice(0, 500)}`);
		}
		lastPost = pages[pages.length - 1];
		url = new URL(form.action || url.href, url);
		if (!allowed.has(url.origin)) throw new Error(`${where}: form posts off the provider to ${url.href}`);
		reqMethod = form.method === 'post' ? 'POST' : 'GET';
		body = undefined;
		if (reqMethod === 'POST') body = formBody(fields);
		else url.search = formBody(fields);
	}
	throw new Error(`authorization flow did not reach ${redirect.href} within ${maxSteps} steps`);
}

/**
 * Logs `username` in for `clientId` and returns the authorization code: {code, state, nonce,
 * verifier (PKCE, when pkce is on), jar, pages, params}. Options as authorize() plus
 * redirectUri, scope (default 'openid'), state, nonce, pkce (default true), extra (more
 * parameters). Throws when the redirect carries an error instead of a code.
 */
export async function obtainCode(publicUrl, opts) {
	const { clientId, redirectUri, scope = 'openid', pkce = true, extra = {} } = opts;
	const state = opts.state ?? crypto.randomBytes(12).toString('base64url');
	const nonce = opts.nonce ?? crypto.randomBytes(12).toString('base64url');
	const params = { response_type: 'code', client_id: clientId, redirect_uri: redirectUri, scope, state, nonce, ...extra };
	let verifier;
	if (pkce) {
		const p = pkcePair();
		verifier = p.verifier;
		params.code_challenge = p.challenge;
		params.code_challenge_method = 'S256';
	}
	const r = await authorize(publicUrl, params, opts);
	const code = r.params.get('code');
	if (!code) throw new Error(`no code at the redirect_uri: ${r.params.toString()}`);
	return { code, state: r.params.get('state'), nonce, verifier, jar: r.jar, pages: r.pages, params: r.params };
}

/**
 * The token request for a code: {code, redirectUri, clientId, clientSecret, verifier,
 * auth: 'client_secret_basic' (default) | 'client_secret_post' | 'none', agent}.
 * Resolves the request() result.
 */
export function exchangeCode(publicUrl, opts) {
	const { code, redirectUri, clientId, clientSecret, verifier, auth = 'client_secret_basic', agent } = opts;
	const fields = [
		['grant_type', 'authorization_code'],
		['code', code],
		['redirect_uri', redirectUri],
	];
	if (verifier) fields.push(['code_verifier', verifier]);
	const headers = { 'content-type': 'application/x-www-form-urlencoded' };
	if (auth === 'client_secret_basic') headers.authorization = basicAuth(clientId, clientSecret);
	else if (auth === 'client_secret_post') fields.push(['client_id', clientId], ['client_secret', clientSecret]);
	else fields.push(['client_id', clientId]);
	return request(new URL('/oauth2/token', publicUrl).href, { method: 'POST', headers, body: formBody(fields), agent });
}
