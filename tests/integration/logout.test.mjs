// logout.test.mjs — logout as relying parties and a user live it (issue 6, "Tests"): Chromium
// (playwright-core) signs a user in through the code flow with openid-client as the RP, then
// leaves through oidcd's end_session_endpoint, built with openid-client's buildEndSessionUrl.
// Covered: the positive RP-initiated logout (hint + registered URI + a state with punctuation,
// back byte for byte) followed by prompt=none → login_required and revoked tokens; the
// front-channel iframe reaching the RP with iss and sid; the back-channel logout token
// verified with jose against our JWKS (typ logout+jwt, iss, aud, iat, exp, jti, sid, sub,
// events, no nonce); an RP that fails the first two back-channel attempts; a delivery pending
// when oidcd is SIGKILLed, delivered after the restart; every negative case of the OIDF
// RP-initiated logout plan (bad URI, modified hint, no hint, no params, only state, query
// added, forged hint) shows a page and never redirects; the confirmation page and its CSRF
// check; an expired hint accepted; Hydra's SDK revokeOidcSession (a redirect); malformed hints
// never 5xx; the admin view of deliveries.

import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';

import { Configuration, OidcApi } from '@ory/hydra-client';
import * as jose from 'jose';

import {
	authorize,
	client,
	createClient,
	createUser,
	launchBrowser,
	newPage,
	redeem,
	rpConfig,
	sleep,
	startCallbackServer,
	suiteScope,
	userinfo,
} from './lib/browser.mjs';
import { getJson, request, startOidcd, tempDir } from './lib/oidcd.mjs';

const SECRET = 'logout-rp-secret-0123456789';
const EVENT = 'http://schemas.openid.net/event/backchannel-logout';
const WAIT_MS = 30000; // upper bound for things that happen in the background; never asserted

const browser = await launchBrowser(after);

/**
 * The OIDF end-session state: 50 letters, 10 digits and 30 printable punctuation
 * characters (space, '+' and ';' replaced by '~'), so "#%&<>?/= survive only if encoded.
 */
function state90() {
	const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'.slice(0, 50);
	const digits = '0123456789';
	const punct = '!"#$%&\'()*~,-./:~<=>?@[\\]^_`{|}'.slice(0, 30);
	const s = letters + digits + punct;
	assert.equal(s.length, 90);
	return s;
}

/**
 * An RP back-channel endpoint on 127.0.0.1: records every POST; answers 503 to the first
 * `failFirst` ones (or while `down` is true), then 200 with Cache-Control: no-store.
 */
async function startBackchannelRp(hook, { failFirst = 0 } = {}) {
	const rp = { posts: [], failFirst, down: false, attempts: 0 };
	const server = http.createServer((req, res) => {
		const chunks = [];
		req.on('data', (c) => chunks.push(c));
		req.on('end', () => {
			rp.attempts += 1;
			if (rp.down || rp.attempts <= rp.failFirst) {
				res.writeHead(503, { 'content-type': 'text/plain' });
				res.end('not now');
				return;
			}
			const body = Buffer.concat(chunks).toString('utf8');
			rp.posts.push({ method: req.method, path: req.url, contentType: req.headers['content-type'], body, form: new URLSearchParams(body) });
			res.writeHead(200, { 'cache-control': 'no-store' });
			res.end();
		});
	});
	await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
	rp.url = `http://127.0.0.1:${server.address().port}/backchannel_logout`;
	hook(() => new Promise((resolve) => {
		server.closeAllConnections?.();
		server.close(() => resolve());
	}));
	return rp;
}

/** Polls fn until it returns a truthy value; rejects after WAIT_MS with what. */
async function eventually(fn, what) {
	const deadline = Date.now() + WAIT_MS;
	for (;;) {
		const v = await fn();
		if (v) return v;
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await sleep(50);
	}
}

/**
 * Waits until the RP got a request for path after the first `before` ones and the browser
 * has finished landing there (a later navigation must not interrupt this one); resolves
 * the recorded request.
 */
async function landed(page, cb, before, path) {
	const req = await eventually(() => cb.since(before).find((r) => r.path === path), `the browser at ${path}`);
	await page.waitForURL((u) => u.pathname === path);
	await page.waitForLoadState('load');
	return req;
}

/** Verifies a logout token against srv's JWKS and the Back-Channel Logout 1.0 §2.4 rules. */
async function verifyLogoutToken(srv, token, { clientId, sid, sub, issuer = srv.issuer }) {
	const jwks = jose.createRemoteJWKSet(new URL(`${srv.publicUrl}/.well-known/jwks.json`));
	const { payload, protectedHeader } = await jose.jwtVerify(token, jwks, { issuer, audience: clientId, typ: 'logout+jwt' });
	assert.equal(protectedHeader.typ, 'logout+jwt');
	assert.equal(typeof protectedHeader.kid, 'string');
	assert.equal(payload.iss, issuer);
	assert.ok(payload.aud === clientId || (Array.isArray(payload.aud) && payload.aud.includes(clientId)), 'aud is the client');
	const now = Math.floor(Date.now() / 1000);
	assert.equal(typeof payload.iat, 'number');
	assert.ok(payload.iat <= now + 300 && payload.iat > now - 86400, 'iat is recent');
	assert.equal(typeof payload.exp, 'number');
	assert.ok(payload.exp > payload.iat, 'exp after iat');
	assert.equal(typeof payload.jti, 'string');
	assert.ok(payload.jti.length > 0);
	assert.deepEqual(payload.events, { [EVENT]: {} }, 'events: exactly the back-channel logout event');
	assert.ok(!('nonce' in payload), 'no nonce');
	assert.equal(payload.sid, sid, 'sid is the ID token sid');
	assert.equal(payload.sub, sub, 'sub is the ID token sub');
	return { payload, protectedHeader };
}

/** The end-session URL for config with params (openid-client). */
function endSession(config, params) {
	return client.buildEndSessionUrl(config, params);
}

/** Opens url in page; resolves {status, url, title, text, hasConfirm} of the page it stops on. */
async function visit(page, url) {
	const resp = await page.goto(String(url));
	await page.waitForLoadState('load');
	return describePage(page, resp);
}

async function describePage(page, resp) {
	return {
		status: resp ? resp.status() : null,
		headers: resp ? await resp.allHeaders() : {},
		url: page.url(),
		title: await page.title(),
		text: await page.evaluate(() => document.body.innerText),
		hasConfirm: (await page.locator('button[name=logout][value=yes]').count()) === 1,
	};
}

describe('logout: RP-initiated, front-channel and back-channel', () => {
	const life = suiteScope();
	let srv;
	let cb; // the RP's browser-facing server: callback, post-logout page, front-channel URI
	let bc; // the RP's back-channel endpoint
	let flaky; // a back-channel endpoint that fails twice first
	let alice;
	let rp; // openid-client configuration of client "rp"
	let rpFlaky;
	let postLogout;

	before(async () => {
		// A generous bound on the wait for back-channel deliveries: the order below is
		// then deterministic (it is only a bound, never a delay when deliveries succeed).
		srv = await startOidcd(life, { args: ['--set', 'logout.backchannel.wait=30s'] });
		life.after(() => srv.stopOk());
		cb = await startCallbackServer(life.after);
		bc = await startBackchannelRp(life.after);
		flaky = await startBackchannelRp(life.after, { failFirst: 2 });
		// Each request the RP's browser side gets notes how many back-channel POSTs had
		// arrived by then (Hydra's issue 3186: the redirect must not overtake them).
		const push = cb.requests.push.bind(cb.requests);
		cb.requests.push = (...recs) => {
			for (const r of recs) r.backchannelSeen = bc.posts.length + flaky.posts.length;
			return push(...recs);
		};
		alice = await createUser(srv, { username: 'alice' });
		postLogout = `${cb.origin}/post_logout_redirect`;
		const base = {
			redirect_uris: [cb.url],
			response_types: ['code'],
			grant_types: ['authorization_code', 'refresh_token'],
			scope: 'openid profile offline_access',
			client_secret: SECRET,
			token_endpoint_auth_method: 'client_secret_basic',
			skip_consent: true,
			post_logout_redirect_uris: [postLogout],
		};
		await createClient(srv, {
			...base,
			client_id: 'rp',
			client_name: 'Logout RP',
			frontchannel_logout_uri: `${cb.origin}/frontchannel_logout`,
			frontchannel_logout_session_required: true,
			backchannel_logout_uri: bc.url,
			backchannel_logout_session_required: true,
		});
		await createClient(srv, { ...base, client_id: 'flaky', backchannel_logout_uri: flaky.url, backchannel_logout_session_required: true });
		rp = await rpConfig(srv, 'rp', { secret: SECRET });
		rpFlaky = await rpConfig(srv, 'flaky', { secret: SECRET });
	});

	const login = () => ({ username: alice.username, password: alice.password });

	/** A fresh browser signed in to config's client; resolves {page, tokens, claims}. */
	async function signedIn(t, config = rp) {
		const { page } = await newPage(browser, t.after.bind(t));
		const flow = await authorize(page, cb, config, { scope: 'openid offline_access', login: login() });
		const { tokens, claims } = await redeem(srv, config, flow);
		assert.equal(typeof claims.sid, 'string', 'the ID token carries sid');
		return { page, tokens, claims };
	}

	/** prompt=none in page must come back with login_required (the session ended). */
	async function assertSignedOut(page, config = rp) {
		const silent = await authorize(page, cb, config, { params: { prompt: 'none' } });
		assert.equal(silent.kind, 'callback');
		assert.equal(silent.request.params.get('error'), 'login_required');
	}

	/** prompt=none in page must come back with a code (the session is still there). */
	async function assertSignedIn(page, config = rp) {
		const silent = await authorize(page, cb, config, { params: { prompt: 'none' } });
		assert.equal(silent.kind, 'callback');
		assert.ok(silent.request.params.get('code'), `still signed in: ${silent.request.params}`);
	}

	const postLogoutHits = () => cb.requests.filter((r) => r.path === '/post_logout_redirect').length;

	test('discovery advertises the end_session_endpoint and all four logout flags', async () => {
		const { body } = await getJson(`${srv.publicUrl}/.well-known/openid-configuration`);
		assert.equal(body.end_session_endpoint, `${srv.issuer}/oauth2/sessions/logout`);
		for (const k of ['frontchannel_logout_supported', 'frontchannel_logout_session_supported', 'backchannel_logout_supported', 'backchannel_logout_session_supported'])
			assert.equal(body[k], true, k);
	});

	test('positive: hint + registered URI + state → front-channel iframe, back-channel token, redirect with the same state; then prompt=none → login_required', async (t) => {
		const { page, tokens, claims } = await signedIn(t);
		const state = state90();
		const fcBefore = cb.requests.filter((r) => r.path === '/frontchannel_logout').length;
		const bcBefore = bc.posts.length;
		const url = endSession(rp, { id_token_hint: tokens.id_token, post_logout_redirect_uri: postLogout, state });
		const before = cb.requests.length;
		await page.goto(String(url));
		const back = await landed(page, cb, before, '/post_logout_redirect');
		assert.equal(back.method, 'GET');
		assert.equal(back.query.get('state'), state, 'state comes back byte for byte');
		assert.equal(back.backchannelSeen, bcBefore + flaky.posts.length + 1, 'the back-channel POST came before the redirect');
		assert.deepEqual([...back.query.keys()], ['state'], 'no other parameter');

		// Front-channel: the iframe reached the RP with iss and sid.
		const fc = cb.requests.filter((r) => r.path === '/frontchannel_logout').slice(fcBefore);
		assert.equal(fc.length, 1, 'one front-channel request');
		assert.equal(fc[0].query.get('iss'), srv.issuer);
		assert.equal(fc[0].query.get('sid'), claims.sid);

		// Back-channel: one POST with only logout_token, a valid logout token.
		const post = await eventually(() => bc.posts[bcBefore], 'the back-channel POST');
		assert.equal(post.method, 'POST');
		assert.match(post.contentType, /^application\/x-www-form-urlencoded/);
		assert.deepEqual([...post.form.keys()], ['logout_token']);
		await verifyLogoutToken(srv, post.form.get('logout_token'), { clientId: 'rp', sid: claims.sid, sub: claims.sub });

		// The session is over, and so are its tokens (logout.revoke_tokens).
		await assertSignedOut(page);
		const info = await userinfo(srv, tokens.access_token);
		assert.equal(info.status, 401, 'the access token of the session is revoked');
	});

	test('the logged-out page: framed by nothing, frames only the front-channel origin, script by nonce', async (t) => {
		const { page, tokens } = await signedIn(t);
		const pages = [];
		page.on('response', (r) => {
			if (r.request().isNavigationRequest() && r.url().startsWith(srv.publicUrl)) pages.push(r);
		});
		const before = cb.requests.length;
		await page.goto(String(endSession(rp, { id_token_hint: tokens.id_token, post_logout_redirect_uri: postLogout })));
		const back = await landed(page, cb, before, '/post_logout_redirect');
		assert.equal(back.query.get('state'), null, 'no state when none was sent');
		const doc = pages.find((r) => r.status() === 200);
		assert.ok(doc, 'a 200 logged-out page before the redirect');
		const h = await doc.allHeaders();
		const csp = h['content-security-policy'];
		assert.match(csp, /frame-ancestors 'none'/);
		assert.match(csp, new RegExp(`frame-src ${cb.origin.replace(/[.]/g, '\\.')}(;|$)`));
		assert.match(csp, /script-src 'nonce-[0-9a-f]+'/);
		assert.doesNotMatch(csp, /unsafe-inline/);
		assert.equal(h['cache-control'], 'no-store');
		assert.match(h['set-cookie'] || '', /oidcd_session=;/, 'the session cookie is cleared');
	});

	test('back-channel: an RP down for the first two attempts still receives the logout token', async (t) => {
		const { page, tokens, claims } = await signedIn(t, rpFlaky);
		const before = cb.requests.length;
		const seen = bc.posts.length + flaky.posts.length;
		await page.goto(String(endSession(rpFlaky, { id_token_hint: tokens.id_token, post_logout_redirect_uri: postLogout, state: 's' })));
		const back = await landed(page, cb, before, '/post_logout_redirect');
		assert.equal(back.backchannelSeen, seen + 1, 'the redirect waited for the delivery that needed three attempts');
		const post = await eventually(() => flaky.posts[0], 'the third back-channel attempt');
		assert.ok(flaky.attempts >= 3, `attempts: ${flaky.attempts}`);
		await verifyLogoutToken(srv, post.form.get('logout_token'), { clientId: 'flaky', sid: claims.sid, sub: claims.sub });
		// Delivered rows leave the outbox.
		await eventually(async () => {
			const { body } = await getJson(`${srv.adminUrl}/admin/logout/deliveries`);
			return Array.isArray(body) && !body.some((d) => d.sid === claims.sid);
		}, 'the delivery to leave the outbox');
	});

	const negatives = [
		['bad post_logout_redirect_uri', async (tokens) => ({ id_token_hint: tokens.id_token, post_logout_redirect_uri: `${cb.origin}/bad_post_logout_redirect_uri`, state: 'x' }), 'error'],
		['modified id_token_hint (alg none, no signature)', async (tokens) => {
			const [, payload] = tokens.id_token.split('.');
			const none = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
			return { id_token_hint: `${none}.${payload}.`, post_logout_redirect_uri: postLogout, state: 'x' };
		}, 'error'],
		['no id_token_hint', async () => ({ post_logout_redirect_uri: postLogout, state: 'x' }), 'confirm'],
		['no params', async () => ({}), 'confirm'],
		['only state', async () => ({ state: 'x' }), 'confirm'],
		['query added to post_logout_redirect_uri', async (tokens) => ({ id_token_hint: tokens.id_token, post_logout_redirect_uri: `${postLogout}?foo=bar`, state: 'x' }), 'error'],
		['forged id_token_hint (HS256 with the client secret, iss = client_id)', async (tokens, claims) => {
			const now = Math.floor(Date.now() / 1000);
			const h = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
			const p = Buffer.from(JSON.stringify({ iss: 'rp', aud: srv.issuer, sub: claims.sub, nonce: 'flibble', iat: now, exp: now + 300 })).toString('base64url');
			const sig = createHmac('sha256', SECRET).update(`${h}.${p}`).digest('base64url');
			return { id_token_hint: `${h}.${p}.${sig}`, post_logout_redirect_uri: postLogout, state: 'x' };
		}, 'error'],
	];

	test('negative cases of the RP-initiated logout plan show a page and never redirect', async (t) => {
		const { page, tokens, claims } = await signedIn(t);
		for (const [name, make, kind] of negatives) {
			const hits = postLogoutHits();
			const params = await make(tokens, claims);
			const url = new URL(`${srv.publicUrl}/oauth2/sessions/logout`);
			for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
			const shown = await visit(page, url);
			assert.ok(shown.url.startsWith(srv.publicUrl), `${name}: the browser stays on oidcd (${shown.url})`);
			assert.ok(shown.status < 500, `${name}: no 5xx`);
			if (kind === 'error') {
				assert.equal(shown.status, 400, `${name}: an error page`);
				assert.equal(shown.hasConfirm, false);
			} else {
				assert.equal(shown.status, 200, `${name}: the confirmation page`);
				assert.equal(shown.hasConfirm, true, `${name}: a button logout=yes`);
				assert.match(shown.headers['content-security-policy'] || '', /frame-ancestors 'none'/);
			}
			assert.equal(postLogoutHits(), hits, `${name}: post_logout_redirect_uri never called`);
		}
		// None of them ended the session.
		await assertSignedIn(page);
	});

	test('confirmation: a forged form is refused; the button signs out and shows the signed-out page', async (t) => {
		const { page } = await signedIn(t);
		const shown = await visit(page, `${srv.publicUrl}/oauth2/sessions/logout?state=only`);
		assert.equal(shown.hasConfirm, true);
		// A cross-site form without the CSRF token: the confirmation again, nothing ended.
		const action = await page.locator('form').getAttribute('action');
		const forged = await page.request.post(new URL(action, srv.publicUrl).toString(), { form: { logout: 'yes' }, maxRedirects: 0 });
		assert.equal(forged.status(), 200);
		assert.match(await forged.text(), /name="logout" value="yes"/);
		await assertSignedIn(page);

		await visit(page, `${srv.publicUrl}/oauth2/sessions/logout?state=only`);
		const hits = postLogoutHits();
		await Promise.all([page.waitForURL((u) => u.pathname === '/ui/signed-out'), page.click('button[name=logout][value=yes]')]);
		assert.match(await page.evaluate(() => document.body.innerText), /signed out/i);
		assert.equal(postLogoutHits(), hits, 'state alone never leads to the RP');
		await assertSignedOut(page);
	});

	test('client_id without a hint: confirmation, then the registered URI with state', async (t) => {
		const { page } = await signedIn(t);
		const url = new URL(`${srv.publicUrl}/oauth2/sessions/logout`);
		url.searchParams.set('client_id', 'rp');
		url.searchParams.set('post_logout_redirect_uri', postLogout);
		url.searchParams.set('state', 'a&b=c');
		url.searchParams.set('logout_hint', 'alice');
		url.searchParams.set('ui_locales', 'en');
		const shown = await visit(page, url);
		assert.equal(shown.hasConfirm, true, 'no hint: the user confirms');
		assert.match(shown.text, /Logout RP/, 'the page names the client');
		const before = cb.requests.length;
		await page.click('button[name=logout][value=yes]');
		const back = await landed(page, cb, before, '/post_logout_redirect');
		assert.equal(back.query.get('state'), 'a&b=c');
		await assertSignedOut(page);
	});

	test("Hydra's SDK revokeOidcSession without a session: a redirect to the signed-out page", async () => {
		const api = new OidcApi(new Configuration({ basePath: srv.publicUrl }));
		const r = await api.revokeOidcSession({ maxRedirects: 0, validateStatus: (s) => s < 400 });
		assert.equal(r.status, 302);
		assert.equal(r.headers.location, `${srv.issuer}/ui/signed-out`);
		const followed = await api.revokeOidcSession();
		assert.equal(followed.status, 200);
		assert.match(String(followed.data), /signed out/i);
	});

	test('malformed hints and parameters get a 400 page, never a 5xx', async () => {
		// 8000 characters: long, but well inside limits.header_bytes, so the endpoint answers.
		const cases = ['id_token_hint=abc', 'id_token_hint=a.b.c', 'id_token_hint=..', `id_token_hint=${'x'.repeat(8000)}`,
			'id_token_hint=eyJhbGciOiJSUzI1NiJ9.e30.AAAA', 'client_id=nope', 'client_id=a%01b', 'state=%zz', 'state=1&state=2'];
		for (const q of cases) {
			const r = await request(`${srv.publicUrl}/oauth2/sessions/logout?${q}`);
			assert.ok(r.status === 400, `${q.slice(0, 40)}: ${r.status}`);
			assert.equal(r.headers.location, undefined);
		}
		// A request line past limits.header_bytes never reaches oidcd: libmicrohttpd answers
		// 414 itself (its own HTML body; 0.9.75 has no hook for it), never a redirect.
		const huge = await request(`${srv.publicUrl}/oauth2/sessions/logout?id_token_hint=${'x'.repeat(70000)}`);
		assert.equal(huge.status, 414);
		assert.equal(huge.headers.location, undefined);
		const post = await request(`${srv.publicUrl}/oauth2/sessions/logout`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'id_token_hint=garbage' });
		assert.equal(post.status, 400);
	});

	test('POST: the RP may send the logout request as a form', async (t) => {
		const { page, tokens } = await signedIn(t);
		cb.setPage('/rp-logout', `<!DOCTYPE html><html lang="en"><head><title>RP</title></head><body>
<form method="post" action="${srv.publicUrl}/oauth2/sessions/logout">
<input type="hidden" name="id_token_hint" value="${tokens.id_token}">
<input type="hidden" name="post_logout_redirect_uri" value="${postLogout}">
<input type="hidden" name="state" value="posted">
<button type="submit" id="go">Sign out</button></form></body></html>`);
		await page.goto(`${cb.origin}/rp-logout`);
		const before = cb.requests.length;
		await page.click('#go');
		const back = await landed(page, cb, before, '/post_logout_redirect');
		assert.equal(back.query.get('state'), 'posted');
		await assertSignedOut(page);
	});
});

describe('logout: expired hints, and deliveries across a SIGKILL', () => {
	test('an expired id_token_hint is accepted (RP-Initiated Logout §2)', async (t) => {
		const srv = await startOidcd(t, { args: ['--set', 'ttl.id_token=2s'] });
		const cb = await startCallbackServer(t.after.bind(t));
		const user = await createUser(srv);
		const postLogout = `${cb.origin}/bye`;
		await createClient(srv, { client_id: 'short', client_secret: SECRET, redirect_uris: [cb.url], response_types: ['code'], grant_types: ['authorization_code'], scope: 'openid', skip_consent: true, post_logout_redirect_uris: [postLogout] });
		const config = await rpConfig(srv, 'short', { secret: SECRET });
		const { page } = await newPage(browser, t.after.bind(t));
		const flow = await authorize(page, cb, config, { login: { username: user.username, password: user.password } });
		assert.equal(flow.kind, 'callback');
		const tokens = await client.authorizationCodeGrant(config, new URL(flow.request.url), { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce });
		const { exp } = jose.decodeJwt(tokens.id_token);
		await eventually(() => Date.now() / 1000 > exp + 1, 'the ID token to expire');
		const before = cb.requests.length;
		await page.goto(String(client.buildEndSessionUrl(config, { id_token_hint: tokens.id_token, post_logout_redirect_uri: postLogout, state: 'late' })));
		const back = await landed(page, cb, before, '/bye');
		assert.equal(back.query.get('state'), 'late');
		await srv.stopOk();
	});

	test('a delivery pending when oidcd is SIGKILLed is delivered after the restart', async (t) => {
		const dir = await tempDir(t);
		const first = await startOidcd(t, { dir });
		const cb = await startCallbackServer(t.after.bind(t));
		const bc = await startBackchannelRp(t.after.bind(t));
		bc.down = true;
		const user = await createUser(first);
		await createClient(first, { client_id: 'late', client_secret: SECRET, redirect_uris: [cb.url], response_types: ['code'], grant_types: ['authorization_code'], scope: 'openid', skip_consent: true, post_logout_redirect_uris: [`${cb.origin}/bye`], backchannel_logout_uri: bc.url });
		const config = await rpConfig(first, 'late', { secret: SECRET });
		const { page } = await newPage(browser, t.after.bind(t));
		const flow = await authorize(page, cb, config, { login: { username: user.username, password: user.password } });
		const tokens = await client.authorizationCodeGrant(config, new URL(flow.request.url), { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce });
		const claims = tokens.claims();
		const before = cb.requests.length;
		await page.goto(String(client.buildEndSessionUrl(config, { id_token_hint: tokens.id_token, post_logout_redirect_uri: `${cb.origin}/bye` })));
		await landed(page, cb, before, '/bye');
		// The operator sees it pending, with its failed attempts.
		const pending = await eventually(async () => {
			const { body } = await getJson(`${first.adminUrl}/admin/logout/deliveries`);
			return body.find((d) => d.sid === claims.sid && d.attempts >= 1);
		}, 'a failed attempt');
		assert.equal(pending.status, 'pending');
		assert.equal(pending.client_id, 'late');
		assert.equal(pending.uri, bc.url);
		assert.match(pending.last_error, /HTTP status 503/);
		assert.ok(!('logout_token' in pending), 'the token is never shown');

		const killed = await first.stop('SIGKILL');
		assert.equal(killed.signal, 'SIGKILL');
		bc.down = false;
		const second = await startOidcd(t, { dir });
		const post = await eventually(() => bc.posts[0], 'the delivery after the restart');
		await verifyLogoutToken(second, post.form.get('logout_token'), { clientId: 'late', sid: claims.sid, sub: claims.sub, issuer: first.issuer });
		await second.stopOk();
	});
});
