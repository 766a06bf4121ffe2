// tests/integration/lib/browser.mjs — helpers for the browser flow tests (issue 4, "Tests"):
// launch Debian's Chromium through playwright-core (never a downloaded browser), a tiny relying
// party callback server on 127.0.0.1 that records every request it gets (query, headers and
// form_post bodies), a driver that follows one authorization request through oidcd's login
// and consent pages to the callback, and the RP glue around openid-client (discovery against
// the http loopback issuer, users and clients through the admin API, ID token checks).
//
// Chromium: CHROMIUM_BIN (default /usr/bin/chromium). All traffic goes to 127.0.0.1: the
// flags switch off every background service that would phone home.

import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { after } from 'node:test';

import * as client from 'openid-client';
import * as jose from 'jose';
import { chromium } from 'playwright-core';

import { request, sendJson } from './oidcd.mjs';

export const CHROMIUM_BIN = process.env.CHROMIUM_BIN || '/usr/bin/chromium';

const CHROMIUM_ARGS = [
	'--headless',
	'--no-sandbox',
	'--disable-gpu',
	'--disable-quic',
	'--no-first-run',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
];

// Upper bounds for waits on the browser (generous for sanitizer builds); never assertions
// about how fast something is.
const STEP_TIMEOUT_MS = Number(process.env.BROWSER_STEP_TIMEOUT_MS || 20000);

/**
 * A stand-in for node:test's TestContext where only after() is used (startOidcd, tempDir):
 * made in a describe() body, it runs the registered clean-ups, last first, after the suite.
 */
export function suiteScope() {
	const fns = [];
	after(async () => {
		while (fns.length) await fns.pop()();
	});
	return { after: (fn) => fns.push(fn) };
}

/** Sleeps for ms milliseconds (a real wait, e.g. so that auth_time moves on). */
export function sleep(ms) {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Launches headless Chromium. `hook` is node:test's after/t.after (called with the
 * closing function), so the browser is closed when the suite or test ends.
 */
export async function launchBrowser(hook, { args = [] } = {}) {
	let browser;
	try {
		browser = await chromium.launch({ executablePath: CHROMIUM_BIN, headless: true, args: [...CHROMIUM_ARGS, ...args] });
	} catch (e) {
		throw new Error(`cannot start Chromium at ${CHROMIUM_BIN} (Debian package "chromium", see scripts/setup.sh; or set CHROMIUM_BIN): ${e.message}`);
	}
	if (hook) hook(() => browser.close());
	return browser;
}

/**
 * A fresh browser context (its own cookie jar: a browser "without a session") and a page
 * in it, JavaScript on unless told. Closed by the hook (after/t.after) when given.
 */
export async function newPage(browser, hook, { javaScriptEnabled = true } = {}) {
	const context = await browser.newContext({ javaScriptEnabled });
	context.setDefaultTimeout(STEP_TIMEOUT_MS);
	context.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);
	if (hook) hook(() => context.close().catch(() => {}));
	const page = await context.newPage();
	return { context, page };
}

/**
 * Starts the RP's callback server on 127.0.0.1, port 0. Every request is answered 200 with
 * a tiny HTML page and recorded (except GET /favicon.ico, which Chromium asks for by itself,
 * and the static pages added with setPage):
 *   {method, path, url (absolute), query (URLSearchParams), headers, contentType, body,
 *    form (URLSearchParams of a urlencoded body, else null), params (form for POST, query
 *    for GET)}
 * Resolves {origin, port, url (origin + '/cb'), requests, since(n), waitForRequest(n),
 * setPage(path, html)}. Closed by the hook.
 */
export async function startCallbackServer(hook, { path: cbPath = '/cb' } = {}) {
	const requests = [];
	const pages = new Map();
	const waiters = [];
	const server = http.createServer((req, res) => {
		const chunks = [];
		req.on('data', (c) => chunks.push(c));
		req.on('end', () => {
			const u = new URL(req.url, `http://${req.headers.host}`);
			if (req.method === 'GET' && pages.has(u.pathname)) {
				res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
				res.end(pages.get(u.pathname));
				return;
			}
			if (u.pathname === '/favicon.ico') {
				res.writeHead(404);
				res.end();
				return;
			}
			const body = Buffer.concat(chunks).toString('utf8');
			const contentType = req.headers['content-type'] ?? null;
			const form = contentType && contentType.split(';')[0].trim() === 'application/x-www-form-urlencoded' ? new URLSearchParams(body) : null;
			const rec = {
				method: req.method,
				path: u.pathname,
				url: `${origin}${req.url}`,
				rawUrl: req.url,
				query: u.searchParams,
				headers: req.headers,
				contentType,
				body,
				form,
				params: req.method === 'POST' ? form ?? new URLSearchParams() : u.searchParams,
			};
			requests.push(rec);
			res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
			res.end('<!DOCTYPE html><html lang="en"><head><title>RP callback</title></head><body><p>callback received</p></body></html>');
			for (const w of waiters.splice(0)) w();
		});
	});
	await new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', resolve);
	});
	const { port } = server.address();
	const origin = `http://127.0.0.1:${port}`;
	if (hook)
		hook(
			() =>
				new Promise((resolve) => {
					server.closeAllConnections?.();
					server.close(() => resolve());
				}),
		);
	const cb = {
		origin,
		port,
		url: `${origin}${cbPath}`,
		requests,
		/** The requests recorded after the first n. */
		since(n) {
			return requests.slice(n);
		},
		/** Resolves once more than n requests were recorded; rejects after timeoutMs. */
		async waitForRequest(n, timeoutMs = STEP_TIMEOUT_MS) {
			const deadline = Date.now() + timeoutMs;
			while (requests.length <= n) {
				const left = deadline - Date.now();
				if (left <= 0) throw new Error(`the RP callback server got no request within ${timeoutMs} ms`);
				await new Promise((resolve) => {
					const timer = setTimeout(resolve, left);
					waiters.push(() => {
						clearTimeout(timer);
						resolve();
					});
				});
			}
			return requests[n];
		},
		/** Serves html at GET path (not recorded), e.g. an RP page with a form. */
		setPage(p, html) {
			pages.set(p, html);
		},
	};
	return cb;
}

/** HTML-escapes a string for an attribute value or text. */
export function escapeHtml(s) {
	return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

/** An RP page with a form that POSTs params to action (no script: the driver clicks). */
export function postFormPage(action, params) {
	const fields = Object.entries(params)
		.map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
		.join('\n');
	return `<!DOCTYPE html><html lang="en"><head><title>RP start</title></head><body>
<form method="post" action="${escapeHtml(action)}">
${fields}
<button type="submit" id="rp-start">Sign in</button>
</form></body></html>`;
}

// What the page in the browser is: oidcd's login page, its consent page, a form_post page
// aimed at the RP, the RP's own callback page, or some other page (an error page).
async function classify(page, cbOrigin) {
	for (let attempt = 0; ; attempt++) {
		try {
			await page.waitForLoadState('load');
			return await page.evaluate((origin) => {
				const q = (s) => document.querySelector(s);
				const text = (document.body && document.body.innerText) || '';
				if (location.origin === origin) return { kind: 'callback', url: location.href };
				const pw = q('input[name=password]');
				if (pw) {
					const form = pw.form;
					const alert = q('[role=alert]');
					return {
						kind: 'login',
						url: location.href,
						title: document.title,
						action: form ? form.getAttribute('action') : null,
						method: form ? form.getAttribute('method') : null,
						username: (q('input[name=username]') || {}).value ?? null,
						csrf: form && form.querySelector('input[type=hidden][name=csrf]') ? form.querySelector('input[type=hidden][name=csrf]').value : null,
						submitButtons: form ? form.querySelectorAll('button[type=submit],input[type=submit]').length : 0,
						alert: alert ? alert.textContent.trim() : null,
						text,
					};
				}
				if (q('button[name=consent]')) {
					const form = q('button[name=consent]').form;
					return {
						kind: 'consent',
						url: location.href,
						title: document.title,
						action: form ? form.getAttribute('action') : null,
						csrf: form && form.querySelector('input[type=hidden][name=csrf]') ? form.querySelector('input[type=hidden][name=csrf]').value : null,
						allow: !!q('button[name=consent][value=allow]'),
						deny: !!q('button[name=consent][value=deny]'),
						text,
					};
				}
				const fp = [...document.forms].find((f) => f.action.startsWith(origin));
				if (fp) {
					return {
						kind: 'form_post',
						url: location.href,
						action: fp.action,
						method: fp.getAttribute('method'),
						fields: [...fp.elements].filter((e) => e.name).map((e) => [e.name, e.value]),
						submit: !!fp.querySelector('button[type=submit],input[type=submit],button:not([type])'),
						text,
					};
				}
				return { kind: 'page', url: location.href, title: document.title, text };
			}, cbOrigin);
		} catch (e) {
			// A page that navigates by itself (the form_post page) can destroy the context
			// while we look at it: look again at the next document.
			if (attempt < 20 && /context was destroyed|navigat|Target closed/i.test(String(e && e.message))) {
				await sleep(25);
				continue;
			}
			throw e;
		}
	}
}

/**
 * Follows one authorization request in `page` until the RP callback server gets its answer
 * or the browser stops on some other page.
 *   start        the authorization URL (string or URL) for a GET, or
 *                {post: endpoint, params: {...}} for a form POST to it sent from an RP page,
 *                or null to go on from the page the browser shows now
 *   cb           the callback server
 *   login        {username, password}: fills and submits the login page (once); without it
 *                the driver stops on the login page
 *   consent      'allow' | 'deny': clicks that button; without it the driver stops on the
 *                consent page
 *   clickFormPost  press the form_post page's submit button (a browser without JavaScript)
 *                instead of waiting for the page to submit itself
 * Resolves {kind, request (the callback request, for kind 'callback'), info (what the
 * last page showed), pages: [{kind, url, status, headers, info}] for every oidcd page shown}.
 * kind is 'callback', 'login', 'consent' or 'page' (any other page: status/title/text).
 */
export async function drive(page, start, cb, { login, consent, clickFormPost = false } = {}) {
	const before = cb.requests.length;
	const pages = [];
	let lastDoc = null;
	const onResponse = (r) => {
		try {
			if (r.request().isNavigationRequest() && r.frame() === page.mainFrame()) lastDoc = r;
		} catch {
			/* frame gone */
		}
	};
	page.on('response', onResponse);
	try {
		if (start === null) {
			// Go on from the page the browser is on.
		} else if (typeof start === 'object' && !(start instanceof URL) && start.post) {
			cb.setPage('/rp-start', postFormPage(start.post, start.params));
			await page.goto(`${cb.origin}/rp-start`);
			await Promise.all([page.waitForEvent('load'), page.click('#rp-start')]);
		} else {
			await page.goto(String(start));
		}
		let loggedIn = false;
		let consented = false;
		for (let step = 0; step < 12; step++) {
			const info = await classify(page, cb.origin);
			const doc = lastDoc;
			const status = doc ? doc.status() : null;
			const headers = doc ? await doc.allHeaders().catch(() => ({})) : {};
			if (info.kind === 'callback') {
				const req = await cb.waitForRequest(before);
				return { kind: 'callback', request: req, requests: cb.since(before), info, pages, status, headers };
			}
			if (info.kind === 'form_post') {
				pages.push({ kind: 'form_post', url: info.url, status, headers, info });
				// Without JavaScript the user presses the button.
				if (clickFormPost) await Promise.all([page.waitForEvent('load'), page.click('form button[type=submit]')]);
				// Else the page submits itself; wait for the RP to get the POST.
				const req = await cb.waitForRequest(before).catch((e) => {
					throw new Error(`the form_post page did not submit itself to the RP: ${e.message}\n${info.text}`);
				});
				await page.waitForURL((u) => u.origin === cb.origin).catch(() => {});
				return { kind: 'callback', request: req, requests: cb.since(before), info, pages, status, headers };
			}
			pages.push({ kind: info.kind, url: info.url, status, headers, info });
			if (info.kind === 'login' && login && !loggedIn) {
				loggedIn = true;
				await page.fill('input[name=username]', login.username);
				await page.fill('input[name=password]', login.password);
				await Promise.all([page.waitForEvent('load'), page.click('form:has(input[name=password]) button[type=submit]')]);
				continue;
			}
			if (info.kind === 'consent' && consent && !consented) {
				consented = true;
				await Promise.all([page.waitForEvent('load'), page.click(`button[name=consent][value=${consent}]`)]);
				continue;
			}
			return { kind: info.kind, info, pages, status, headers, requests: cb.since(before) };
		}
		throw new Error(`drive: no end after 12 pages: ${pages.map((p) => p.kind).join(' → ')}`);
	} finally {
		page.off('response', onResponse);
	}
}

/** The kinds of oidcd pages a drive() showed, e.g. ['login', 'consent']. */
export function shown(result) {
	return result.pages.filter((p) => p.kind === 'login' || p.kind === 'consent').map((p) => p.kind);
}

// ---- The relying party side ------------------------------------------------------------

let userSeq = 0;

/**
 * Creates a user through POST /admin/users with a full set of standard claims (overridable)
 * and resolves {id, username, password, claims, ...the create answer}.
 */
export async function createUser(srv, overrides = {}) {
	userSeq += 1;
	const username = overrides.username || `user${userSeq}-${randomBytes(3).toString('hex')}`;
	const password = overrides.password || `pw-${randomBytes(9).toString('base64url')}-Aa1!`;
	const claims = {
		name: 'Ada Lovelace',
		given_name: 'Ada',
		family_name: 'Lovelace',
		middle_name: 'King',
		nickname: 'Ada',
		preferred_username: username,
		profile: 'https://example.com/ada',
		picture: 'https://example.com/ada.png',
		website: 'https://ada.example.org/',
		email: `${username}@example.com`,
		email_verified: true,
		gender: 'female',
		birthdate: '1985-12-10',
		zoneinfo: 'Europe/London',
		locale: 'en-GB',
		phone_number: '+44 20 7946 0000',
		phone_number_verified: false,
		address: { formatted: '12 St James Square\nLondon', street_address: '12 St James Square', locality: 'London', postal_code: 'SW1Y 4JH', country: 'GB' },
		...overrides.claims,
	};
	const res = await sendJson(`${srv.adminUrl}/admin/users`, 'POST', { username, password, ...claims });
	assert.equal(res.status, 201, `create user ${username}: ${res.status} ${res.text}`);
	return { ...res.json, username, password, claims };
}

/** Creates a client through POST /admin/clients (Hydra's shape); resolves the answer. */
export async function createClient(srv, body) {
	const res = await sendJson(`${srv.adminUrl}/admin/clients`, 'POST', body);
	assert.equal(res.status, 201, `create client ${body.client_id}: ${res.status} ${res.text}`);
	return res.json;
}

/**
 * openid-client's Configuration for a client of srv (discovery over http loopback).
 * auth: 'client_secret_basic' (default with a secret), 'client_secret_post' or 'none'.
 * nonRepudiation (default true) makes openid-client verify the ID token's JWS signature
 * against the OP's JWKS too.
 */
export async function rpConfig(srv, clientId, { secret, auth, metadata = {}, nonRepudiation = true } = {}) {
	const method = auth || (secret ? 'client_secret_basic' : 'none');
	const clientAuth =
		method === 'client_secret_basic' ? client.ClientSecretBasic(secret) : method === 'client_secret_post' ? client.ClientSecretPost(secret) : client.None();
	const execute = [client.allowInsecureRequests];
	if (nonRepudiation) execute.push(client.enableNonRepudiationChecks);
	return client.discovery(new URL(srv.issuer), clientId, { ...metadata }, clientAuth, { execute });
}

/** A fresh PKCE pair {verifier, challenge} (S256). */
export async function pkce(verifier = client.randomPKCECodeVerifier()) {
	return { verifier, challenge: await client.calculatePKCECodeChallenge(verifier) };
}

/**
 * 128 characters: 96 alphanumerics and every printable ASCII punctuation character once
 * (space excluded), so query encoding, '+' versus space and '%' all matter.
 */
export function state128() {
	const punct = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';
	const alnum = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
	const bytes = randomBytes(128 - punct.length);
	let s = '';
	for (const b of bytes) s += alnum[b % alnum.length];
	// Interleave the punctuation so no encoder can treat a suffix specially.
	const out = [];
	for (let i = 0; i < punct.length; i++) out.push(s.slice(i * 3, i * 3 + 3), punct[i]);
	const r = out.join('');
	assert.equal(r.length, 128);
	return r;
}

/** The hash half for at_hash / c_hash (OIDC Core §3.1.3.6) for a JWS alg. */
export function halfHash(value, alg) {
	const h = /512$/.test(alg) || alg === 'EdDSA' || alg === 'Ed25519' ? 'sha512' : /384$/.test(alg) ? 'sha384' : 'sha256';
	const d = createHash(h).update(value, 'ascii').digest();
	return d.subarray(0, d.length / 2).toString('base64url');
}

const jwksCache = new Map();

/**
 * Verifies an ID token independently of openid-client: JWS signature against the OP's JWKS
 * (jwks_uri), header kid and typ JWT, iss exactly the issuer, aud containing clientId,
 * exp/iat, nonce equal (or absent when none was sent), at_hash when accessToken is given,
 * c_hash when present and code is given, printable-ASCII sub. strict: false keeps to what the
 * OIDF suite checks (kid, typ and at_hash then only checked when present).
 * Resolves {header, claims}.
 */
export async function verifyIdToken(srv, idToken, { clientId, nonce, accessToken, code, strict = true }) {
	assert.equal(typeof idToken, 'string', 'an id_token');
	const jwksUri = `${srv.publicUrl}/.well-known/jwks.json`;
	if (!jwksCache.has(jwksUri)) jwksCache.set(jwksUri, jose.createRemoteJWKSet(new URL(jwksUri)));
	const { payload, protectedHeader } = await jose.jwtVerify(idToken, jwksCache.get(jwksUri), {
		issuer: srv.issuer,
		audience: clientId,
		clockTolerance: 300,
	});
	assert.notEqual(protectedHeader.alg, 'none');
	if (strict || 'kid' in protectedHeader) {
		assert.equal(typeof protectedHeader.kid, 'string', 'ID token header has a kid');
		assert.ok(protectedHeader.kid.length > 0, 'kid is not empty');
	}
	if (strict) assert.equal(protectedHeader.typ, 'JWT', 'ID token header typ');
	assert.equal(payload.iss, srv.issuer, 'iss is exactly the issuer');
	assert.ok(Array.isArray(payload.aud) ? payload.aud.includes(clientId) : payload.aud === clientId, `aud contains ${clientId}`);
	assert.equal(typeof payload.exp, 'number');
	assert.equal(typeof payload.iat, 'number');
	const now = Math.floor(Date.now() / 1000);
	assert.ok(payload.iat <= now + 300 && payload.iat >= now - 300, 'iat is now (±5 min)');
	assert.ok(payload.exp > now, 'exp in the future');
	assert.ok(payload.exp < now + 50 * 365 * 86400, 'exp in seconds, not milliseconds');
	assert.equal(typeof payload.sub, 'string');
	assert.match(payload.sub, /^[\x20-\x7e]{1,255}$/, 'sub: 1-255 printable ASCII characters');
	if (nonce === undefined) assert.ok(!('nonce' in payload), 'no nonce when none was sent');
	else assert.equal(payload.nonce, nonce, 'nonce is the request nonce');
	if (accessToken !== undefined && (strict || 'at_hash' in payload)) {
		assert.equal(typeof payload.at_hash, 'string', 'at_hash present');
		assert.equal(payload.at_hash, halfHash(accessToken, protectedHeader.alg), 'at_hash matches the access token');
	}
	if (code !== undefined && 'c_hash' in payload) {
		assert.equal(payload.c_hash, halfHash(code, protectedHeader.alg), 'c_hash matches the code');
	}
	if ('auth_time' in payload) {
		assert.equal(typeof payload.auth_time, 'number');
		assert.ok(payload.auth_time <= now + 300 && payload.auth_time > now - 365 * 86400, 'auth_time sane');
	}
	return { header: protectedHeader, claims: payload };
}

/** A token request by hand (form body, optional Basic credentials); resolves request()'s result. */
export function tokenRequest(srv, params, { basic } = {}) {
	const headers = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
	if (basic) {
		const [id, secret] = basic;
		const enc = (s) => encodeURIComponent(s).replace(/%20/g, '+');
		headers.authorization = `Basic ${Buffer.from(`${enc(id)}:${enc(secret)}`).toString('base64')}`;
	}
	return request(`${srv.publicUrl}/oauth2/token`, { method: 'POST', headers, body: new URLSearchParams(params).toString() });
}

/** GET /userinfo with a Bearer token; resolves request()'s result. */
export function userinfo(srv, accessToken, { method = 'GET', inBody = false } = {}) {
	const headers = {};
	let body;
	if (inBody) {
		headers['content-type'] = 'application/x-www-form-urlencoded';
		body = new URLSearchParams({ access_token: accessToken }).toString();
	} else {
		headers.authorization = `Bearer ${accessToken}`;
		if (method === 'POST') {
			headers['content-type'] = 'application/x-www-form-urlencoded';
			body = '';
		}
	}
	return request(`${srv.publicUrl}/userinfo`, { method, headers, body });
}

/**
 * One authorization request from the RP: builds it with openid-client (client_id,
 * response_type=code, redirect_uri, scope, state, nonce, S256 PKCE unless pkce: false;
 * null drops state or nonce; `params` adds or overrides parameters, `omit` removes some)
 * and drives it in page (POSTed from an RP page when post is true). Resolves drive()'s
 * result plus {state, nonce, verifier, url}.
 */
export async function authorize(page, cb, config, opts = {}) {
	const { redirectUri = cb.url, scope = 'openid', params = {}, omit = [], login, consent, clickFormPost, post = false } = opts;
	const state = opts.state === undefined ? client.randomState() : opts.state;
	const nonce = opts.nonce === undefined ? client.randomNonce() : opts.nonce;
	const p = opts.pkce === false ? null : await pkce(opts.verifier);
	const q = { redirect_uri: redirectUri, scope };
	if (state !== null) q.state = state;
	if (nonce !== null) q.nonce = nonce;
	if (p) Object.assign(q, { code_challenge: p.challenge, code_challenge_method: 'S256' });
	Object.assign(q, params);
	const url = client.buildAuthorizationUrl(config, q);
	for (const k of omit) url.searchParams.delete(k);
	const start = post ? { post: `${url.origin}${url.pathname}`, params: Object.fromEntries(url.searchParams) } : url;
	const r = await drive(page, start, cb, { login, consent, clickFormPost });
	return { ...r, state, nonce, verifier: p ? p.verifier : undefined, url };
}

/** The callback request as openid-client takes it: the URL, or a Request for form_post. */
export function callbackInput(req) {
	if (req.method === 'POST') {
		return new Request(req.url, { method: 'POST', headers: { 'content-type': req.contentType }, body: req.body });
	}
	return new URL(req.url);
}

/**
 * Redeems the code of a successful authorize() with openid-client (state, nonce, PKCE, ID
 * token signature via the non-repudiation check, iss, aud, exp, iat; maxAge → auth_time),
 * then verifies the ID token again with verifyIdToken (kid, typ, at_hash). Resolves
 * {tokens (openid-client's response), claims (ID token), header}.
 */
export async function redeem(srv, config, flow, { maxAge, verifier = flow.verifier } = {}) {
	assert.equal(flow.kind, 'callback', `the flow ended at the RP (got ${flow.kind}: ${flow.info && (flow.info.title || '')} ${flow.info && flow.info.text ? flow.info.text.slice(0, 300) : ''})`);
	assert.ok(!flow.request.params.has('error'), `no error at the callback: ${flow.request.params}`);
	const tokens = await client.authorizationCodeGrant(config, callbackInput(flow.request), {
		pkceCodeVerifier: verifier,
		expectedState: flow.state === null ? undefined : flow.state,
		expectedNonce: flow.nonce === null ? undefined : flow.nonce,
		idTokenExpected: true,
		maxAge,
	});
	const clientId = config.clientMetadata().client_id;
	const { header, claims } = await verifyIdToken(srv, tokens.id_token, {
		clientId,
		nonce: flow.nonce === null ? undefined : flow.nonce,
		accessToken: tokens.access_token,
	});
	return { tokens, claims, header };
}

/** Asserts openid-client threw the OAuth error `error` from an HTTP `status` response. */
export async function assertOAuthError(promise, error, status, what = '') {
	try {
		await promise;
	} catch (e) {
		assert.equal(e.error, error, `${what}: error ${e.error} (${e.message})`);
		if (status !== undefined) assert.equal(e.status, status, `${what}: HTTP status`);
		return e;
	}
	assert.fail(`${what}: expected ${error}, the call succeeded`);
}

export { client };
