// headless.test.mjs — headless mode (issue 8, "Tests"): oidcd with urls.login, urls.consent and
// urls.logout pointing at a login/consent/logout app written with Hydra's SDK
// (lib/hydra_app.mjs), driven in Chromium (playwright-core) with openid-client as the RP.
// Covered: the login request and its Hydra shape, accept → consent → code, the verifiers in
// redirect_to; a remembered login (skip true, no page) and remembered consent; prompt=login;
// session.id_token claims in the ID token and /userinfo filtered by the granted scopes (and
// not with oidc.claims.filter_by_scope=false), session.access_token as introspection's ext;
// login and consent rejected (by the app and by the user's deny button) → the error at the RP
// with state; a skipped login accepted with another subject → 400; replayed and foreign
// login/consent verifiers → an error page and no code; an expired challenge and an expired
// verifier (ttl.login_consent_request=4s); logout with a challenge, accepted (back-channel,
// post_logout_redirect_uri with state, session over) and rejected (session kept); the sessions
// admin API (list/revoke consent sessions, revoke login sessions by subject and by sid, with
// back-channel logout); and Hydra SDK round trips of every admin operation (statuses, shapes,
// unknown and handled challenges, bad bodies). Hydra's semantics also where they are subtle:
// remember false keeps no session in the browser (skip false next time), remember_for 0 is a
// browser-session cookie; consent sessions carry the accepted session, handled_at and the
// consent request, and a skipped consent does not replace them; GET of an answered request is
// 410 {redirect_to: request_url}; session.id_token claims reach implicit/hybrid ID tokens; a
// used logout_verifier is refused. The rest of Hydra's accept bodies: extend_session_lifespan
// (400 unless skip; moves the session's expiry and cookie), force_subject_identifier (a
// pairwise client's ID token and /userinfo sub, kept for later flows, not introspection's
// sub; ignored for public clients) and consent remember_for 0 (never expires).

import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';

import * as jose from 'jose';

import {
	authorize,
	client,
	createClient,
	drive,
	launchBrowser,
	newPage,
	redeem,
	rpConfig,
	shown,
	sleep,
	startCallbackServer,
	suiteScope,
	userinfo,
} from './lib/browser.mjs';
import { appUser, startHydraApp } from './lib/hydra_app.mjs';
import { authorize as authorizeNoBrowser } from './lib/login.mjs';
import { request, sendJson, startOidcd } from './lib/oidcd.mjs';

const SECRET = 'headless-rp-secret-0123456789';
const EVENT = 'http://schemas.openid.net/event/backchannel-logout';
const WAIT_MS = 30000; // upper bound for background work; never asserted
const ALL_SCOPES = 'openid profile email address phone offline_access';

// The members of Hydra's models (hydra-openapi.json, v26.2.0). The Go SDK decodes models with
// required members strictly (hydra-behaviour.md §3.4): nothing outside these lists.
const LOGIN_REQUEST_KEYS = ['challenge', 'client', 'oidc_context', 'request_url', 'requested_access_token_audience', 'requested_scope', 'session_id', 'skip', 'subject'];
const LOGIN_REQUEST_REQUIRED = ['challenge', 'skip', 'subject', 'client', 'request_url'];
const CONSENT_REQUEST_KEYS = ['acr', 'amr', 'challenge', 'client', 'consent_request_id', 'context', 'login_challenge', 'login_session_id', 'oidc_context', 'request_url', 'requested_access_token_audience', 'requested_scope', 'skip', 'subject'];
const LOGOUT_REQUEST_KEYS = ['challenge', 'client', 'expires_at', 'request_url', 'requested_at', 'rp_initiated', 'sid', 'subject'];
const OIDC_CONTEXT_KEYS = ['acr_values', 'display', 'id_token_hint_claims', 'login_hint', 'ui_locales'];
const PROFILE_CLAIMS = ['name', 'given_name', 'family_name', 'middle_name', 'nickname', 'preferred_username', 'profile', 'picture', 'website', 'gender', 'birthdate', 'zoneinfo', 'locale', 'updated_at'];

const browser = await launchBrowser(after);

function assertKeys(obj, allowed, required, what) {
	assert.ok(obj && typeof obj === 'object' && !Array.isArray(obj), `${what}: an object`);
	for (const k of Object.keys(obj)) assert.ok(allowed.includes(k), `${what}: no member outside Hydra's model: ${k}`);
	for (const k of required) assert.ok(k in obj, `${what}: required member ${k}`);
}

function assertRedirectTo(data, what) {
	assertKeys(data, ['redirect_to'], ['redirect_to'], what);
	assert.equal(typeof data.redirect_to, 'string');
	return new URL(data.redirect_to);
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

/** An RP back-channel endpoint on 127.0.0.1 recording every POST (answers 200). */
async function startBackchannelRp(hook) {
	const rp = { posts: [] };
	const server = http.createServer((req, res) => {
		const chunks = [];
		req.on('data', (c) => chunks.push(c));
		req.on('end', () => {
			const body = Buffer.concat(chunks).toString('utf8');
			rp.posts.push({ contentType: req.headers['content-type'], form: new URLSearchParams(body) });
			res.writeHead(200, { 'cache-control': 'no-store' });
			res.end();
		});
	});
	await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
	rp.url = `http://127.0.0.1:${server.address().port}/backchannel_logout`;
	hook(
		() =>
			new Promise((resolve) => {
				server.closeAllConnections?.();
				server.close(() => resolve());
			}),
	);
	return rp;
}

/** The sids of the logout tokens the back-channel RP got after the first `from`. */
async function logoutSids(srv, bc, from, clientId) {
	const jwks = jose.createRemoteJWKSet(new URL(`${srv.publicUrl}/.well-known/jwks.json`));
	const out = [];
	for (const p of bc.posts.slice(from)) {
		const opts = { issuer: srv.issuer };
		if (clientId) opts.audience = clientId;
		const { payload } = await jose.jwtVerify(p.form.get('logout_token'), jwks, opts);
		assert.deepEqual(payload.events, { [EVENT]: {} });
		out.push(payload.sid);
	}
	return out;
}

/**
 * oidcd in headless mode with the app in front: the app first (its URLs go into oidcd's
 * configuration), then oidcd, then the app connected to oidcd's admin API; a callback server,
 * a back-channel RP, and a confidential client "web" (and "other") with every scope.
 */
async function headless(life, { args = [], users = [appUser({ username: 'alice' }), appUser({ username: 'bob' })] } = {}) {
	const app = await startHydraApp(life.after, { users });
	const srv = await startOidcd(life, { args: [...app.args(), '--set', 'logout.backchannel.wait=30s', ...args] });
	app.connect(srv.adminUrl);
	const cb = await startCallbackServer(life.after);
	const bc = await startBackchannelRp(life.after);
	const postLogout = `${cb.origin}/post_logout_redirect`;
	const base = {
		client_secret: SECRET,
		redirect_uris: [cb.url],
		response_types: ['code'],
		grant_types: ['authorization_code', 'refresh_token'],
		scope: ALL_SCOPES,
		token_endpoint_auth_method: 'client_secret_basic',
		post_logout_redirect_uris: [postLogout],
		backchannel_logout_uri: bc.url,
		backchannel_logout_session_required: true,
	};
	await createClient(srv, { ...base, client_id: 'web', client_name: 'Headless Web' });
	await createClient(srv, { ...base, client_id: 'other', client_name: 'Headless Other' });
	const rp = await rpConfig(srv, 'web', { secret: SECRET });
	const other = await rpConfig(srv, 'other', { secret: SECRET });
	const [alice, bob] = users;
	return { app, srv, cb, bc, rp, other, alice, bob, postLogout };
}

const loginOf = (u) => ({ username: u.username, password: u.password });

/** The query of a redirect_to the app received for op (e.g. acceptOAuth2LoginRequest). */
function lastRedirect(app, op) {
	const r = app.redirects.filter((x) => x.op === op).at(-1);
	assert.ok(r, `the app received a redirect_to from ${op}`);
	return new URL(r.redirect_to);
}

describe('headless mode: login, consent, claims, rejects and verifiers', () => {
	const life = suiteScope();
	let h;

	before(async () => {
		h = await headless(life);
		life.after(() => h.srv.stopOk());
	});

	/** A new user of the app's table (no remembered login or consent anywhere). */
	function fresh(username) {
		const u = appUser({ username });
		h.app.users.push(u);
		return u;
	}

	/** A fresh browser signed in as user to config (login + consent allow); resolves the flow too. */
	async function signedIn(t, { user = h.alice, config = h.rp, scope = 'openid', params = {} } = {}) {
		h.app.reset();
		const { page, context } = await newPage(browser, t.after.bind(t));
		const flow = await authorize(page, h.cb, config, { scope, params, login: loginOf(user), consent: 'allow' });
		const { tokens, claims } = await redeem(h.srv, config, flow);
		return { page, context, flow, tokens, claims };
	}

	test('login: the app gets the login_challenge, the Hydra login request, accepts; consent; a code for the user id', async (t) => {
		h.app.reset();
		const { page } = await newPage(browser, t.after.bind(t));
		const calls = h.app.calls.length;
		const flow = await authorize(page, h.cb, h.rp, {
			scope: 'openid profile email',
			params: { login_hint: 'alice', ui_locales: 'de en', acr_values: '1', display: 'page' },
			login: loginOf(h.alice),
			consent: 'allow',
		});
		assert.deepEqual(shown(flow), ['login', 'consent'], 'the app showed its login and consent pages');
		for (const p of flow.pages.filter((x) => x.kind === 'login' || x.kind === 'consent')) {
			assert.equal(new URL(p.url).origin, h.app.url, `the ${p.kind} page is the app's`);
		}
		const loginPage = flow.pages.find((p) => p.kind === 'login');
		assert.equal(new URL(loginPage.url).pathname, '/login');
		const challenge = new URL(loginPage.url).searchParams.get('login_challenge');
		assert.ok(challenge && challenge.length >= 16, 'a login_challenge in the query');
		assert.equal(loginPage.info.username, 'alice', 'login_hint reached the app (oidc_context.login_hint)');

		// The login request, as Hydra's SDK decoded it.
		const get = h.app.calls.slice(calls).find((c) => c.op === 'getOAuth2LoginRequest');
		assert.equal(get.status, 200);
		const lr = get.data;
		assertKeys(lr, LOGIN_REQUEST_KEYS, LOGIN_REQUEST_REQUIRED, 'oAuth2LoginRequest');
		assert.equal(lr.challenge, challenge);
		assert.equal(lr.skip, false);
		assert.equal(lr.subject, '');
		assert.equal(lr.client.client_id, 'web');
		assert.equal(lr.client.client_name, 'Headless Web');
		assert.ok(!('client_secret' in lr.client) || !lr.client.client_secret, 'no client secret in the login request');
		const ru = new URL(lr.request_url);
		assert.equal(ru.pathname, '/oauth2/auth');
		assert.equal(ru.searchParams.get('client_id'), 'web');
		assert.equal(ru.searchParams.get('state'), flow.state);
		assert.deepEqual(lr.requested_scope, ['openid', 'profile', 'email']);
		assert.ok(Array.isArray(lr.requested_access_token_audience));
		assertKeys(lr.oidc_context, OIDC_CONTEXT_KEYS, [], 'oidc_context');
		assert.equal(lr.oidc_context.login_hint, 'alice');
		assert.ok(Array.isArray(lr.oidc_context.ui_locales), 'ui_locales is an array');
		assert.deepEqual(lr.oidc_context.acr_values, ['1']);
		assert.equal(lr.oidc_context.display, 'page');
		if ('session_id' in lr) assert.equal(typeof lr.session_id, 'string');

		// accept → redirect_to back to oidcd with a login_verifier.
		const acc = h.app.calls.slice(calls).find((c) => c.op === 'acceptOAuth2LoginRequest');
		assert.equal(acc.status, 200);
		const lv = assertRedirectTo(acc.data, 'login accept');
		assert.equal(lv.origin, new URL(h.srv.publicUrl).origin);
		assert.ok(lv.searchParams.get('login_verifier'), 'a login_verifier');
		assert.notEqual(lv.searchParams.get('login_verifier'), challenge);

		// The consent request: the subject, the login's acr/amr/context, the scopes.
		const cr = h.app.calls.slice(calls).find((c) => c.op === 'getOAuth2ConsentRequest').data;
		assertKeys(cr, CONSENT_REQUEST_KEYS, ['challenge'], 'oAuth2ConsentRequest');
		const consentPage = flow.pages.find((p) => p.kind === 'consent');
		assert.equal(cr.challenge, new URL(consentPage.url).searchParams.get('consent_challenge'));
		assert.notEqual(cr.challenge, challenge);
		assert.equal(cr.skip, false);
		assert.equal(cr.subject, h.alice.id);
		assert.equal(cr.client.client_id, 'web');
		assert.deepEqual(cr.requested_scope, ['openid', 'profile', 'email']);
		assert.equal(typeof cr.login_session_id, 'string');
		assert.equal(cr.acr, '1');
		assert.deepEqual(cr.amr, ['pwd']);
		assert.deepEqual(cr.context, { username: 'alice' });
		assert.equal(cr.oidc_context.login_hint, 'alice');
		const cv = lastRedirect(h.app, 'acceptOAuth2ConsentRequest');
		assert.ok(cv.searchParams.get('consent_verifier'), 'a consent_verifier');

		// The tokens: sub = the app's user id, the login's acr and amr, the session's claims.
		const { claims } = await redeem(h.srv, h.rp, flow);
		assert.equal(claims.sub, h.alice.id);
		assert.equal(claims.acr, '1');
		assert.deepEqual(claims.amr, ['pwd']);
		assert.equal(typeof claims.sid, 'string');
		assert.equal(claims.sid, cr.login_session_id, 'the ID token sid is the login session');
	});

	test('remembered login: the next authorization is skip true with the subject, no page; consent remembered too', async (t) => {
		const one = await signedIn(t, { scope: 'openid email' });
		await sleep(1100); // auth_time has one-second resolution
		const calls = h.app.calls.length;
		const two = await authorize(one.page, h.cb, h.rp, { scope: 'openid email' });
		assert.deepEqual(shown(two), [], 'no login and no consent page');
		const lr = h.app.calls.slice(calls).find((c) => c.op === 'getOAuth2LoginRequest').data;
		assert.equal(lr.skip, true);
		assert.equal(lr.subject, h.alice.id);
		assertKeys(lr, LOGIN_REQUEST_KEYS, LOGIN_REQUEST_REQUIRED, 'oAuth2LoginRequest (skip)');
		assert.equal(lr.session_id, one.claims.sid, 'session_id is the remembered session');
		const cr = h.app.calls.slice(calls).find((c) => c.op === 'getOAuth2ConsentRequest').data;
		assert.equal(cr.skip, true, 'the remembered consent covers the scopes');
		assert.equal(cr.subject, h.alice.id);
		const { claims } = await redeem(h.srv, h.rp, two);
		assert.equal(claims.sub, h.alice.id);
		assert.equal(claims.auth_time, one.claims.auth_time, 'the same authentication');
		assert.equal(claims.sid, one.claims.sid);
		assert.equal(claims.email, h.alice.claims.email, 'the skipped consent still carries the session claims');

		// More scopes than remembered: consent skip false (a page).
		const calls2 = h.app.calls.length;
		const three = await authorize(one.page, h.cb, h.rp, { scope: 'openid email phone', consent: 'allow' });
		assert.deepEqual(shown(three), ['consent']);
		assert.equal(h.app.calls.slice(calls2).find((c) => c.op === 'getOAuth2ConsentRequest').data.skip, false);

		// prompt=login: skip false although a session is remembered.
		const calls3 = h.app.calls.length;
		const four = await authorize(one.page, h.cb, h.rp, { scope: 'openid email', params: { prompt: 'login' }, login: loginOf(h.alice) });
		assert.deepEqual(shown(four), ['login']);
		assert.equal(h.app.calls.slice(calls3).find((c) => c.op === 'getOAuth2LoginRequest').data.skip, false);
		const { claims: c4 } = await redeem(h.srv, h.rp, four);
		assert.ok(c4.auth_time > one.claims.auth_time, 'a new authentication');
	});

	test('oidc_context: ui_locales and acr_values are split at spaces (Hydra)', async () => {
		h.app.reset();
		const user = fresh('locales');
		await authorizeNoBrowser(
			h.srv.publicUrl,
			{ response_type: 'code', client_id: 'web', redirect_uri: h.cb.url, scope: 'openid', state: 'locales-1', ui_locales: 'de en', acr_values: '1 2' },
			{ username: user.username, password: user.password, origins: [h.app.url] },
		);
		const lr = h.app.last('getOAuth2LoginRequest').data;
		assert.deepEqual(lr.oidc_context.ui_locales, ['de', 'en']);
		assert.deepEqual(lr.oidc_context.acr_values, ['1', '2']);
	});

	test('the remember checkbox unchecked: no remembered session, the next authorization shows the login page', async (t) => {
		h.app.reset();
		const user = fresh('forgetful');
		const { page } = await newPage(browser, t.after.bind(t));
		h.app.behaviour.loginAccept = { remember: false };
		const one = await authorize(page, h.cb, h.rp, { login: loginOf(user), consent: 'allow' });
		await redeem(h.srv, h.rp, one);
		h.app.reset();
		const calls = h.app.calls.length;
		const two = await authorize(page, h.cb, h.rp, {});
		assert.equal(two.kind, 'login', 'the login page again');
		assert.equal(h.app.calls.slice(calls).find((c) => c.op === 'getOAuth2LoginRequest').data.skip, false);
		const none = await authorize(page, h.cb, h.rp, { params: { prompt: 'none' } });
		assert.equal(none.kind, 'callback');
		assert.equal(none.request.params.get('error'), 'login_required');
		assert.ok(!(await page.context().cookies()).some((c) => c.name === 'oidcd_session'), 'no session cookie in the browser');
	});

	test('remember_for: 0 is a browser-session cookie, n seconds a cookie of that Max-Age (Hydra)', async (t) => {
		for (const [remember_for, persistent] of [[0, false], [600, true]]) {
			h.app.reset();
			const user = fresh(`remember-for-${remember_for}`);
			const { page, context } = await newPage(browser, t.after.bind(t));
			h.app.behaviour.loginAccept = { remember: true, remember_for };
			const one = await authorize(page, h.cb, h.rp, { login: loginOf(user), consent: 'allow' });
			await redeem(h.srv, h.rp, one);
			const cookie = (await context.cookies()).find((c) => c.name === 'oidcd_session');
			assert.ok(cookie, `remember_for ${remember_for}: a session cookie`);
			if (persistent) {
				const left = cookie.expires - Date.now() / 1000;
				assert.ok(left > 500 && left <= 601, `Max-Age about ${remember_for}s (${left})`);
			} else {
				assert.equal(cookie.expires, -1, 'a browser-session cookie');
			}
			h.app.reset();
			const calls = h.app.calls.length;
			const two = await authorize(page, h.cb, h.rp, {});
			assert.deepEqual(shown(two), [], 'remembered: no page');
			assert.equal(h.app.calls.slice(calls).find((c) => c.op === 'getOAuth2LoginRequest').data.skip, true);
		}
	});

	test('session.id_token claims reach the ID token and /userinfo, filtered by the granted scopes; session.access_token is introspection ext', async (t) => {
		const { tokens, claims } = await signedIn(t, { scope: 'openid email' });
		assert.equal(claims.email, h.alice.claims.email);
		assert.equal(claims.email_verified, true);
		for (const c of [...PROFILE_CLAIMS, 'phone_number', 'address']) assert.ok(!(c in claims), `no ${c} in the ID token (scope not granted)`);
		const info = await userinfo(h.srv, tokens.access_token);
		assert.equal(info.status, 200, info.text);
		assert.equal(info.json.sub, h.alice.id);
		assert.equal(info.json.email, h.alice.claims.email);
		assert.equal(info.json.email_verified, true);
		for (const c of [...PROFILE_CLAIMS, 'phone_number', 'phone_number_verified', 'address']) assert.ok(!(c in info.json), `no ${c} in userinfo`);

		// Introspection: session.access_token as ext (raw, then Hydra's SDK).
		const res = await request(`${h.srv.adminUrl}/admin/oauth2/introspect`, {
			method: 'POST',
			headers: { 'content-type': 'application/x-www-form-urlencoded' },
			body: new URLSearchParams({ token: tokens.access_token }).toString(),
		});
		assert.equal(res.status, 200, res.text);
		assert.equal(res.json.active, true);
		assert.equal(res.json.sub, h.alice.id);
		assert.equal(res.json.client_id, 'web');
		assert.deepEqual(res.json.ext, { team: 'blue' });
		const sdk = await h.app.api.introspectOAuth2Token({ token: tokens.access_token });
		assert.equal(sdk.status, 200);
		assert.deepEqual(sdk.data.ext, { team: 'blue' });
		assert.equal(sdk.data.active, true);

		// Every scope: every claim (types kept: booleans, the address object, numbers).
		const all = await signedIn(t, { user: h.bob, scope: 'openid profile email address phone' });
		const infoAll = await userinfo(h.srv, all.tokens.access_token);
		for (const [k, v] of Object.entries(h.bob.claims)) {
			assert.deepEqual(all.claims[k], v, `ID token ${k}`);
			assert.deepEqual(infoAll.json[k], v, `userinfo ${k}`);
		}
	});

	test('session.id_token claims reach the ID tokens of implicit and hybrid responses, filtered by the granted scopes', async () => {
		// Front-channel ID tokens need an https redirect_uri; form_post is read, never posted.
		const front = 'https://rp.example.test/front_callback';
		await createClient(h.srv, {
			client_id: 'front',
			client_name: 'Headless Front Channel',
			client_secret: SECRET,
			redirect_uris: [front],
			response_types: ['code id_token', 'id_token'],
			grant_types: ['authorization_code', 'implicit'],
			scope: ALL_SCOPES,
			token_endpoint_auth_method: 'client_secret_basic',
		});
		const jwks = jose.createRemoteJWKSet(new URL(`${h.srv.publicUrl}/.well-known/jwks.json`));
		for (const response_type of ['code id_token', 'id_token']) {
			h.app.reset();
			const user = fresh(`front-${response_type.replace(' ', '-')}`);
			const r = await authorizeNoBrowser(
				h.srv.publicUrl,
				{ response_type, response_mode: 'form_post', client_id: 'front', redirect_uri: front, scope: 'openid email', state: 'front-state-1', nonce: 'front-nonce-1' },
				{ username: user.username, password: user.password, origins: [h.app.url] },
			);
			assert.ok(!r.params.has('error'), `${response_type}: ${r.params}`);
			const idt = r.params.get('id_token');
			assert.ok(idt, `${response_type}: an id_token`);
			const { payload } = await jose.jwtVerify(idt, jwks, { issuer: h.srv.issuer, audience: 'front' });
			assert.equal(payload.sub, user.id);
			assert.equal(payload.nonce, 'front-nonce-1');
			assert.equal(payload.email, user.claims.email, `${response_type}: session.id_token email`);
			assert.equal(payload.email_verified, user.claims.email_verified, `${response_type}: email_verified`);
			for (const c of [...PROFILE_CLAIMS, 'phone_number', 'address']) assert.ok(!(c in payload), `${response_type}: no ${c} (scope not granted)`);
		}
	});

	test('the consent request names the login_challenge it followed', async () => {
		h.app.reset();
		const user = fresh('follower');
		await authorizeNoBrowser(
			h.srv.publicUrl,
			{ response_type: 'code', client_id: 'web', redirect_uri: h.cb.url, scope: 'openid', state: 'follow-1' },
			{ username: user.username, password: user.password, origins: [h.app.url] },
		);
		assert.equal(h.app.last('getOAuth2ConsentRequest').data.login_challenge, h.app.last('getOAuth2LoginRequest').challenge);
	});

	test('consent rejected → the RP gets the error with state; the deny button → access_denied', async (t) => {
		h.app.reset();
		const user = fresh('refuser');
		const { page } = await newPage(browser, t.after.bind(t));
		const flow = await authorize(page, h.cb, h.rp, { scope: 'openid profile', login: loginOf(user), consent: 'deny' });
		assert.equal(flow.kind, 'callback');
		assert.equal(flow.request.params.get('error'), 'access_denied');
		assert.equal(flow.request.params.get('state'), flow.state);
		assert.ok(!flow.request.params.has('code'));
		assert.equal(h.app.last('rejectOAuth2ConsentRequest').status, 200);

		// The app rejects without a page (its own error); the login is remembered already.
		h.app.behaviour.rejectConsent = { error: 'consent_required', error_description: 'Ask again later' };
		const two = await authorize(page, h.cb, h.rp, { scope: 'openid profile' });
		assert.equal(two.kind, 'callback');
		assert.equal(two.request.params.get('error'), 'consent_required');
		assert.equal(two.request.params.get('state'), two.state);
		assert.ok(!two.request.params.has('code'));
	});

	test('a skipped login accepted with another subject → 400 from the admin API, no code', async (t) => {
		const { page } = await signedIn(t);
		h.app.behaviour.skipSubject = h.bob.id;
		const before = h.cb.requests.length;
		const flow = await authorize(page, h.cb, h.rp, {});
		assert.equal(flow.kind, 'page', 'the app\'s error page');
		const acc = h.app.last('acceptOAuth2LoginRequest');
		assert.equal(acc.params.acceptOAuth2LoginRequest.subject, h.bob.id);
		assert.equal(acc.status, 400, `accept with another subject: ${acc.status} ${JSON.stringify(acc.data)}`);
		assert.equal(h.cb.requests.length, before, 'nothing reached the RP');
	});

	for (const kind of ['login', 'consent']) {
		test(`${kind} verifier: another browser gets an error page; the owner goes on; a replay gets an error page; never a second code`, async (t) => {
			h.app.reset();
			const a = await newPage(browser, t.after.bind(t));
			const b = await newPage(browser, t.after.bind(t));
			h.app.behaviour.holdRedirect = kind;
			const held = await authorize(a.page, h.cb, h.rp, { login: loginOf(h.alice), consent: 'allow' });
			assert.equal(held.kind, 'page', 'the app held the redirect');
			const target = h.app.held;
			assert.ok(new URL(target).searchParams.get(`${kind}_verifier`), `a ${kind}_verifier`);
			h.app.behaviour.holdRedirect = null;

			// Another browser context (no CSRF cookie of this flow): an error page, no code.
			const foreign = await drive(b.page, target, h.cb, { login: loginOf(h.alice), consent: 'allow' });
			assert.equal(foreign.kind, 'page', `another browser: an error page, got ${foreign.kind}`);
			assert.ok(foreign.status >= 400 && foreign.status < 500, `a 4xx error page: ${foreign.status}`);
			assert.match(String(foreign.headers['content-type']), /^text\/html/);
			assert.equal(foreign.requests.length, 0, 'nothing reached the RP');
			assert.equal(new URL(foreign.info.url).origin, new URL(h.srv.publicUrl).origin, 'the error page is oidcd\'s');

			// The browser that owns it goes on to a code.
			const own = await drive(a.page, target, h.cb, { consent: 'allow' });
			assert.equal(own.kind, 'callback', `the owner reaches the RP, got ${own.kind}: ${own.info && own.info.text}`);
			assert.ok(own.request.params.get('code'));
			assert.equal(own.request.params.get('state'), held.state);

			// The same verifier again, in the same browser: an error page.
			const replay = await drive(a.page, target, h.cb, { consent: 'allow' });
			assert.equal(replay.kind, 'page', `replay: an error page, got ${replay.kind}`);
			assert.ok(replay.status >= 400 && replay.status < 500, `a 4xx error page: ${replay.status}`);
			assert.equal(replay.requests.length, 0, 'no second code');
		});
	}

	test('a made-up or missing verifier and challenge: error pages, no code', async (t) => {
		h.app.reset();
		const { page } = await newPage(browser, t.after.bind(t));
		const url = new URL(client.buildAuthorizationUrl(h.rp, { redirect_uri: h.cb.url, scope: 'openid', state: 'made-up-state' }));
		for (const p of ['login_verifier', 'consent_verifier']) {
			const u = new URL(url);
			u.searchParams.set(p, 'A'.repeat(43));
			const r = await drive(page, u, h.cb, {});
			assert.equal(r.kind, 'page', `${p}: an error page, got ${r.kind}`);
			assert.ok(r.status >= 400 && r.status < 500, `${p}: 4xx (${r.status})`);
			assert.equal(r.requests.length, 0);
		}
		for (const op of ['getOAuth2LoginRequest', 'getOAuth2ConsentRequest', 'getOAuth2LogoutRequest']) {
			const param = { getOAuth2LoginRequest: 'loginChallenge', getOAuth2ConsentRequest: 'consentChallenge', getOAuth2LogoutRequest: 'logoutChallenge' }[op];
			const e = await h.app.api[op]({ [param]: 'no-such-challenge' }).catch((x) => x);
			assert.ok(e.response, `${op}: an HTTP error`);
			assert.equal(e.response.status, 404, `${op} with an unknown challenge: 404`);
		}
	});

	test('extend_session_lifespan: refused (400) unless skip is true; on a skipped login it moves the session\'s expiry and cookie, so prompt=none keeps working', async (t) => {
		h.app.reset();
		const user = fresh('extender');
		const { page, context } = await newPage(browser, t.after.bind(t));
		const cookieOf = async () => (await context.cookies()).find((c) => c.name === 'oidcd_session');

		// Not skipped (no session yet): Hydra refuses the accept with 400, nothing reaches the RP.
		const atLogin = await authorize(page, h.cb, h.rp, {});
		assert.equal(atLogin.kind, 'login');
		const challenge = new URL(atLogin.info.url).searchParams.get('login_challenge');
		const refused = await h.app.api
			.acceptOAuth2LoginRequest({ loginChallenge: challenge, acceptOAuth2LoginRequest: { subject: user.id, remember: true, extend_session_lifespan: true } })
			.catch((e) => e);
		assert.equal(refused.response && refused.response.status, 400, 'extend_session_lifespan without skip: 400');
		assert.match(JSON.stringify(refused.response.data), /extend_session_lifespan/);
		const still = await h.app.api.getOAuth2LoginRequest({ loginChallenge: challenge });
		assert.equal(still.status, 200, 'the refused accept left the request pending');

		// A login remembered for 8 s: the session row and the cookie expire then.
		h.app.behaviour.loginAccept = { remember: true, remember_for: 8 };
		const one = await authorize(page, h.cb, h.rp, { login: loginOf(user), consent: 'allow' });
		await redeem(h.srv, h.rp, one);
		const loggedInAt = Date.now();
		const c1 = await cookieOf();
		assert.ok(c1, 'a session cookie');
		assert.ok(c1.expires - loggedInAt / 1000 <= 9, `Max-Age about 8 s (${c1.expires - loggedInAt / 1000})`);

		// The next authorization is skipped; the app extends the session by 600 s.
		h.app.reset();
		h.app.behaviour.loginAccept = { extend_session_lifespan: true, remember_for: 600 };
		const calls = h.app.calls.length;
		const two = await authorize(page, h.cb, h.rp, {});
		assert.deepEqual(shown(two), [], 'remembered: no page');
		const acc = h.app.calls.slice(calls).find((c) => c.op === 'acceptOAuth2LoginRequest');
		assert.equal(acc.status, 200, `the skipped login accepted with extend_session_lifespan (${JSON.stringify(acc.data)})`);
		assert.equal(h.app.calls.slice(calls).find((c) => c.op === 'getOAuth2LoginRequest').data.skip, true);
		const { claims: c2claims } = await redeem(h.srv, h.rp, two);
		const c2 = await cookieOf();
		assert.equal(c2.value, c1.value, 'the same session');
		const left = c2.expires - Date.now() / 1000;
		assert.ok(left > 500 && left <= 601, `the cookie's Max-Age moved to about 600 s (${left})`);

		// Past the original 8 s: the session still answers prompt=none (its expiry moved too).
		const wait = loggedInAt + 9500 - Date.now();
		assert.ok(wait > 0, 'the skipped login finished before the original expiry');
		await sleep(wait);
		h.app.reset();
		const none = await authorize(page, h.cb, h.rp, { params: { prompt: 'none' } });
		assert.equal(none.kind, 'callback');
		assert.ok(none.request.params.get('code'), `prompt=none after the original expiry: ${none.request.params}`);
		const { claims: c3 } = await redeem(h.srv, h.rp, none);
		assert.equal(c3.sid, c2claims.sid, 'the same login session');
		assert.equal(c3.auth_time, c2claims.auth_time, 'the same authentication');
	});

	test('force_subject_identifier: a pairwise client\'s ID token and /userinfo sub, kept for later flows; introspection keeps the real sub; ignored for public clients', async (t) => {
		await createClient(h.srv, {
			client_id: 'pairwise',
			client_name: 'Headless Pairwise',
			client_secret: SECRET,
			redirect_uris: [h.cb.url],
			response_types: ['code'],
			grant_types: ['authorization_code', 'refresh_token'],
			scope: ALL_SCOPES,
			token_endpoint_auth_method: 'client_secret_basic',
			subject_type: 'pairwise',
		});
		const pw = await rpConfig(h.srv, 'pairwise', { secret: SECRET });
		const user = fresh('forced');
		const forced = `forced-${user.id.slice(-8)}`;
		const { page } = await newPage(browser, t.after.bind(t));

		// Without a forced value the pairwise sub is oidcd's own (neither the user id nor forced).
		h.app.reset();
		const other = fresh('unforced');
		const plain = await signedIn(t, { user: other, config: pw });
		assert.notEqual(plain.claims.sub, other.id, 'a pairwise sub');

		h.app.reset();
		h.app.behaviour.loginAccept = { force_subject_identifier: forced };
		const one = await authorize(page, h.cb, pw, { scope: 'openid email offline_access', login: loginOf(user), consent: 'allow' });
		const { tokens, claims } = await redeem(h.srv, pw, one);
		assert.equal(claims.sub, forced, 'the ID token sub is the forced one');
		const info = await userinfo(h.srv, tokens.access_token);
		assert.equal(info.status, 200, info.text);
		assert.equal(info.json.sub, forced, '/userinfo sub is the forced one');
		const cr = h.app.last('getOAuth2ConsentRequest').data;
		assert.equal(cr.subject, user.id, 'the consent request names the real subject');

		// Hydra: "It does not change the sub claim in the OAuth 2.0 Introspection."
		const intro = await h.app.api.introspectOAuth2Token({ token: tokens.access_token });
		assert.equal(intro.data.active, true);
		assert.equal(intro.data.sub, user.id, 'introspection: the real subject');
		assert.equal(intro.data.obfuscated_subject, forced, 'introspection: the forced one as obfuscated_subject');

		// A refresh: the new ID token keeps the forced sub.
		const refreshed = await client.refreshTokenGrant(pw, tokens.refresh_token);
		assert.equal(jose.decodeJwt(refreshed.id_token).sub, forced, 'refreshed ID token sub');

		// A later flow (skipped login, no force_subject_identifier this time): still the forced sub.
		h.app.reset();
		const calls = h.app.calls.length;
		const two = await authorize(page, h.cb, pw, { scope: 'openid email' });
		assert.deepEqual(shown(two), []);
		assert.equal(h.app.calls.slice(calls).find((c) => c.op === 'getOAuth2LoginRequest').data.skip, true);
		const { tokens: t2, claims: c2 } = await redeem(h.srv, pw, two);
		assert.equal(c2.sub, forced, 'a later flow keeps the forced sub');
		assert.equal((await userinfo(h.srv, t2.access_token)).json.sub, forced);

		// A public-subject client ignores it.
		h.app.reset();
		h.app.behaviour.loginAccept = { force_subject_identifier: 'ignored-for-public' };
		const pub = await authorize(page, h.cb, h.rp, { consent: 'allow' });
		const { tokens: t3, claims: c3 } = await redeem(h.srv, h.rp, pub);
		assert.equal(c3.sub, user.id, 'public client: the real subject');
		assert.equal((await userinfo(h.srv, t3.access_token)).json.sub, user.id);
	});

	test('consent remember_for 0: remembered without expiry, and listOAuth2ConsentSessions shows remember_for 0', async () => {
		h.app.reset();
		const user = fresh('forever');
		h.app.behaviour.consentAccept = { remember: true, remember_for: 0 };
		const first = await authorizeNoBrowser(
			h.srv.publicUrl,
			{ response_type: 'code', client_id: 'web', redirect_uri: h.cb.url, scope: 'openid email', state: 'forever-1' },
			{ username: user.username, password: user.password, origins: [h.app.url] },
		);
		assert.ok(first.params.get('code'));
		const [s0] = (await h.app.api.listOAuth2ConsentSessions({ subject: user.id })).data;
		assert.equal(s0.remember, true);
		assert.equal(s0.remember_for, 0, 'remember_for 0 as accepted (Hydra: indefinitely)');
		h.app.reset();
		await authorizeNoBrowser(
			h.srv.publicUrl,
			{ response_type: 'code', client_id: 'web', redirect_uri: h.cb.url, scope: 'openid', state: 'forever-2' },
			{ username: user.username, password: user.password, origins: [h.app.url], jar: first.jar },
		);
		assert.equal(h.app.last('getOAuth2ConsentRequest').data.skip, true, 'the consent is remembered');
	});

	test('the flow without a browser: lib/login.mjs authorize() goes through the app\'s pages too', async () => {
		h.app.reset();
		const user = fresh('nobrowser');
		const r = await authorizeNoBrowser(
			h.srv.publicUrl,
			{ response_type: 'code', client_id: 'web', redirect_uri: h.cb.url, scope: 'openid', state: 'no-browser-1', nonce: 'no-browser-nonce' },
			{ username: user.username, password: user.password, origins: [h.app.url] },
		);
		assert.deepEqual(r.pages, ['login', 'consent']);
		assert.ok(r.params.get('code'));
		assert.equal(r.params.get('state'), 'no-browser-1');
		assert.equal(h.app.last('acceptOAuth2LoginRequest').params.acceptOAuth2LoginRequest.remember, true, 'the checked box was sent');
	});
});

// Its own oidcd: following a reject's redirect_to once crashed oidcd; it must not take the
// other tests along if it ever does again.
describe('headless mode: login rejected', () => {
	test('login rejected by the app → the RP gets the app\'s error with state; the deny button does the same', async (t) => {
		const h = await headless({ after: t.after.bind(t) });
		const { page } = await newPage(browser, t.after.bind(t));
		h.app.behaviour.rejectLogin = { error: 'access_denied', error_description: 'Not today' };
		const flow = await authorize(page, h.cb, h.rp, {});
		assert.equal(flow.kind, 'callback', `at the RP, got ${flow.kind}`);
		assert.equal(flow.request.params.get('error'), 'access_denied');
		assert.equal(flow.request.params.get('state'), flow.state);
		assert.ok(!flow.request.params.has('code'));
		assert.equal(h.app.last('rejectOAuth2LoginRequest').status, 200);
		assertRedirectTo(h.app.last('rejectOAuth2LoginRequest').data, 'login reject');

		// The user presses "Deny access" on the login page.
		h.app.reset();
		const atLogin = await authorize(page, h.cb, h.rp, {});
		assert.equal(atLogin.kind, 'login');
		const before = h.cb.requests.length;
		await page.click('button[name=action][value=deny]');
		const req = await h.cb.waitForRequest(before);
		assert.equal(req.params.get('error'), 'access_denied');
		assert.equal(req.params.get('state'), atLogin.state);
		assert.ok(!req.params.has('code'));

		// Rejected through the SDK by hand with another error: that error at the RP.
		h.app.reset();
		const again = await authorize(page, h.cb, h.rp, {});
		assert.equal(again.kind, 'login');
		const ch = new URL(again.info.url).searchParams.get('login_challenge');
		const rej = await h.app.api.rejectOAuth2LoginRequest({ loginChallenge: ch, rejectOAuth2Request: { error: 'login_required', error_description: 'by the SDK' } });
		assert.equal(rej.status, 200);
		assertRedirectTo(rej.data, 'rejectOAuth2LoginRequest');
		const rejected = await drive(page, rej.data.redirect_to, h.cb, {});
		assert.equal(rejected.kind, 'callback');
		assert.equal(rejected.request.params.get('error'), 'login_required');
		assert.equal(rejected.request.params.get('state'), again.state);
		assert.ok(!rejected.request.params.has('code'));
		// The answered request is gone; the verifier does not work twice.
		const gone = await h.app.api.getOAuth2LoginRequest({ loginChallenge: ch }).catch((x) => x);
		assert.equal(gone.response && gone.response.status, 410);
		const twice = await drive(page, rej.data.redirect_to, h.cb, {});
		assert.equal(twice.kind, 'page', `a reject's verifier again: an error page, got ${twice.kind}`);
		assert.equal(twice.requests.length, 0);
		await h.srv.stopOk();
	});
});

describe('headless mode: oidc.claims.filter_by_scope=false', () => {
	test('every session.id_token claim reaches the ID token and /userinfo whatever the scope', async (t) => {
		const life = { after: t.after.bind(t) };
		const h = await headless(life, { args: ['--set', 'oidc.claims.filter_by_scope=false'] });
		const { page } = await newPage(browser, t.after.bind(t));
		const flow = await authorize(page, h.cb, h.rp, { scope: 'openid', login: loginOf(h.alice), consent: 'allow' });
		const { tokens, claims } = await redeem(h.srv, h.rp, flow);
		const info = await userinfo(h.srv, tokens.access_token);
		assert.equal(info.status, 200);
		for (const [k, v] of Object.entries(h.alice.claims)) {
			assert.deepEqual(claims[k], v, `ID token ${k} with scope openid only`);
			assert.deepEqual(info.json[k], v, `userinfo ${k} with scope openid only`);
		}
		await h.srv.stopOk();
	});
});

describe('headless mode: consent remember_for 0 outlives ttl.consent (ttl.consent=2s)', () => {
	test('remember_for 0 never expires; remember_for 1 does', async (t) => {
		const h = await headless({ after: t.after.bind(t) }, { args: ['--set', 'ttl.consent=2s'] });
		const flow = async (user, state, jar) => {
			const r = await authorizeNoBrowser(
				h.srv.publicUrl,
				{ response_type: 'code', client_id: 'web', redirect_uri: h.cb.url, scope: 'openid', state },
				{ username: user.username, password: user.password, origins: [h.app.url], jar },
			);
			assert.ok(r.params.get('code'), `${state}: a code (${r.params})`);
			return r;
		};
		const forever = appUser({ username: 'forever' });
		const brief = appUser({ username: 'brief' });
		h.app.users.push(forever, brief);
		h.app.behaviour.consentAccept = { remember: true, remember_for: 0 };
		const f1 = await flow(forever, 'forever-1');
		h.app.behaviour.consentAccept = { remember: true, remember_for: 1 };
		const b1 = await flow(brief, 'brief-1');
		await sleep(3000); // past ttl.consent and past remember_for 1 (a real wait, not a timing assertion)
		h.app.reset();
		await flow(forever, 'forever-2', f1.jar);
		assert.equal(h.app.last('getOAuth2ConsentRequest').data.skip, true, 'remember_for 0: still remembered after ttl.consent');
		await flow(brief, 'brief-2', b1.jar);
		assert.equal(h.app.last('getOAuth2ConsentRequest').data.skip, false, 'remember_for 1: expired');
		assert.equal((await h.app.api.listOAuth2ConsentSessions({ subject: forever.id })).data[0].remember_for, 0);
		await h.srv.stopOk();
	});
});

describe('headless mode: expiry (ttl.login_consent_request=4s)', () => {
	const life = suiteScope();
	let h;
	before(async () => {
		h = await headless(life, { args: ['--set', 'ttl.login_consent_request=4s'] });
		life.after(() => h.srv.stopOk());
	});

	test('a login challenge answered after the TTL: the admin API refuses it, no code', async (t) => {
		h.app.reset();
		const { page } = await newPage(browser, t.after.bind(t));
		const atLogin = await authorize(page, h.cb, h.rp, {});
		assert.equal(atLogin.kind, 'login');
		// The TTL passes (a real wait; not a timing assertion). 4 s, not 2: on a loaded CI
		// machine the login and consent steps before the wait can take a second or two.
		await sleep(5000);
		const before = h.cb.requests.length;
		await page.fill('input[name=username]', h.alice.username);
		await page.fill('input[name=password]', h.alice.password);
		await Promise.all([page.waitForEvent('load'), page.click('#accept')]);
		const acc = h.app.last('acceptOAuth2LoginRequest');
		assert.ok(acc.status >= 400 && acc.status < 500, `accept after expiry: 4xx (${acc.status} ${JSON.stringify(acc.data)})`);
		const get = await h.app.api.getOAuth2LoginRequest({ loginChallenge: acc.challenge }).catch((e) => e);
		assert.ok(get.response && get.response.status >= 400 && get.response.status < 500, 'GET after expiry: 4xx');
		assert.equal(h.cb.requests.length, before, 'nothing reached the RP');
	});

	test('a login verifier used after the TTL: an error page, no code', async (t) => {
		h.app.reset();
		const { page } = await newPage(browser, t.after.bind(t));
		h.app.behaviour.holdRedirect = 'login';
		const held = await authorize(page, h.cb, h.rp, { login: loginOf(h.alice) });
		assert.equal(held.kind, 'page');
		await sleep(5000);
		const late = await drive(page, h.app.held, h.cb, { consent: 'allow' });
		assert.equal(late.kind, 'page', `an error page, got ${late.kind}`);
		assert.ok(late.status >= 400 && late.status < 500, `4xx (${late.status})`);
		assert.equal(late.requests.length, 0);
	});

	test('a consent challenge answered after the TTL: refused, no code', async (t) => {
		h.app.reset();
		const { page } = await newPage(browser, t.after.bind(t));
		const atConsent = await authorize(page, h.cb, h.rp, { login: loginOf(h.alice) });
		assert.equal(atConsent.kind, 'consent');
		await sleep(5000);
		const before = h.cb.requests.length;
		await Promise.all([page.waitForEvent('load'), page.click('button[name=consent][value=allow]')]);
		const last = h.app.calls.at(-1);
		assert.ok(last.status >= 400 && last.status < 500, `${last.op} after expiry: 4xx (${last.status})`);
		assert.equal(h.cb.requests.length, before);
	});
});

describe('headless mode: logout challenges and the sessions admin API', () => {
	const life = suiteScope();
	let h;
	before(async () => {
		h = await headless(life);
		life.after(() => h.srv.stopOk());
	});

	async function signedIn(t, { user = h.alice, config = h.rp, page } = {}) {
		h.app.reset();
		if (!page) page = (await newPage(browser, t.after.bind(t))).page;
		const flow = await authorize(page, h.cb, config, { scope: 'openid email', login: loginOf(user), consent: 'allow' });
		const { tokens, claims } = await redeem(h.srv, config, flow);
		return { page, tokens, claims };
	}

	async function silent(page, config = h.rp) {
		const r = await authorize(page, h.cb, config, { params: { prompt: 'none' } });
		assert.equal(r.kind, 'callback');
		return r.request.params;
	}

	async function landed(page, before, path) {
		const req = await eventually(() => h.cb.since(before).find((r) => r.path === path), `the browser at ${path}`);
		await page.waitForURL((u) => u.pathname === path);
		return req;
	}

	test('logout with a challenge, accepted: the app\'s page, back-channel, post_logout_redirect_uri with state, session over', async (t) => {
		const { page, tokens, claims } = await signedIn(t);
		const bcBefore = h.bc.posts.length;
		const url = client.buildEndSessionUrl(h.rp, { id_token_hint: tokens.id_token, post_logout_redirect_uri: h.postLogout, state: 'bye-1' });
		const calls = h.app.calls.length;
		await page.goto(String(url));
		await page.waitForURL((u) => u.origin === h.app.url && u.pathname === '/logout');
		const challenge = new URL(page.url()).searchParams.get('logout_challenge');
		assert.ok(challenge, 'a logout_challenge');
		const lr = h.app.calls.slice(calls).find((c) => c.op === 'getOAuth2LogoutRequest');
		assert.equal(lr.status, 200);
		assertKeys(lr.data, LOGOUT_REQUEST_KEYS, [], 'oAuth2LogoutRequest');
		assert.equal(lr.data.challenge, challenge);
		assert.equal(lr.data.subject, h.alice.id);
		assert.equal(lr.data.sid, claims.sid);
		assert.equal(lr.data.rp_initiated, true);
		assert.equal(lr.data.client.client_id, 'web');
		assert.equal(new URL(lr.data.request_url).pathname, '/oauth2/sessions/logout');

		const before = h.cb.requests.length;
		await page.click('button[name=logout][value=yes]');
		const back = await landed(page, before, '/post_logout_redirect');
		assert.equal(back.query.get('state'), 'bye-1');
		const acc = h.app.last('acceptOAuth2LogoutRequest');
		assert.equal(acc.status, 200);
		assert.ok(assertRedirectTo(acc.data, 'logout accept').searchParams.get('logout_verifier'), 'a logout_verifier');
		await eventually(() => h.bc.posts.length > bcBefore, 'the back-channel logout');
		assert.deepEqual(await logoutSids(h.srv, h.bc, bcBefore, 'web'), [claims.sid]);
		assert.equal((await silent(page)).get('error'), 'login_required', 'the session is over');

		// The answered logout request: 410 with its request_url (Hydra).
		const lgone = await h.app.api.getOAuth2LogoutRequest({ logoutChallenge: challenge }).catch((x) => x);
		assert.equal(lgone.response && lgone.response.status, 410);
		assert.equal(lgone.response.data.redirect_to, lr.data.request_url);

		// The verifier again: refused like every used verifier (Hydra), an error page of
		// oidcd's; no redirect to the RP and no second back-channel logout.
		const bcAfter = h.bc.posts.length;
		const cbAfter = h.cb.requests.length;
		const replay = await page.goto(acc.data.redirect_to);
		assert.equal(replay.status(), 400, 'a used logout_verifier: 400');
		assert.match(String(replay.headers()['content-type']), /^text\/html/);
		assert.equal(new URL(page.url()).origin, new URL(h.srv.publicUrl).origin, 'oidcd\'s error page');
		await sleep(200);
		assert.equal(h.cb.since(cbAfter).filter((r) => r.path === '/post_logout_redirect').length, 0, 'not redirected to the RP again');
		assert.equal(h.bc.posts.length, bcAfter, 'no second back-channel logout');
	});

	test('logout with a challenge, rejected: the session is kept, the RP is not called', async (t) => {
		const { page, tokens } = await signedIn(t);
		const bcBefore = h.bc.posts.length;
		const before = h.cb.requests.length;
		await page.goto(String(client.buildEndSessionUrl(h.rp, { id_token_hint: tokens.id_token, post_logout_redirect_uri: h.postLogout, state: 'bye-2' })));
		await page.waitForURL((u) => u.origin === h.app.url && u.pathname === '/logout');
		await Promise.all([page.waitForEvent('load'), page.click('button[name=logout][value=no]')]);
		const rej = h.app.last('rejectOAuth2LogoutRequest');
		assert.ok(rej.status === 204 || rej.status === 200, `reject: 204 (Hydra) or 200 with redirect_to (${rej.status})`);
		if (rej.status === 200) assertRedirectTo(rej.data, 'logout reject');
		assert.equal(h.cb.since(before).filter((r) => r.path === '/post_logout_redirect').length, 0, 'the RP\'s post-logout URI is not called');
		assert.equal(h.bc.posts.length, bcBefore, 'no back-channel logout');
		assert.ok((await silent(page)).get('code'), 'still signed in');
		const user = await userinfo(h.srv, tokens.access_token);
		assert.equal(user.status, 200, 'the tokens still work');
	});

	test('sessions admin: list and revoke consent sessions (per client, all), revoke login sessions by subject and by sid', async (t) => {
		const user = appUser({ username: 'carol' });
		h.app.users.push(user);
		const { page, claims } = await signedIn(t, { user });
		await signedIn(t, { user, config: h.other, page });
		const api = h.app.api;

		const list = await api.listOAuth2ConsentSessions({ subject: user.id });
		assert.equal(list.status, 200);
		assert.ok(Array.isArray(list.data));
		assert.deepEqual(list.data.map((s) => s.consent_request.client.client_id).sort(), ['other', 'web']);
		for (const s of list.data) {
			assert.deepEqual(s.grant_scope, ['openid', 'email']);
			assert.equal(s.remember, true);
			assert.equal(s.remember_for, 3600);
			assert.equal(s.consent_request.subject, user.id);
		}
		const empty = await api.listOAuth2ConsentSessions({ subject: 'nobody-at-all' });
		assert.equal(empty.status, 200);
		assert.deepEqual(empty.data, []);

		// Revoke one client's consent: its next authorization asks again (skip false).
		const del = await api.revokeOAuth2ConsentSessions({ subject: user.id, client: 'web' });
		assert.equal(del.status, 204);
		assert.deepEqual((await api.listOAuth2ConsentSessions({ subject: user.id })).data.map((s) => s.consent_request.client.client_id), ['other']);
		const calls = h.app.calls.length;
		const again = await authorize(page, h.cb, h.rp, { scope: 'openid email', consent: 'allow' });
		assert.deepEqual(shown(again), ['consent'], 'the consent page again (the login is still remembered)');
		assert.equal(h.app.calls.slice(calls).find((c) => c.op === 'getOAuth2ConsentRequest').data.skip, false);

		// Revoke the login sessions of the subject: the next authorization logs in again, and
		// back-channel logout reaches the clients with a consent under that session.
		const bcBefore = h.bc.posts.length;
		const out = await api.revokeOAuth2LoginSessions({ subject: user.id });
		assert.equal(out.status, 204);
		const audOf = (p) => [jose.decodeJwt(p.form.get('logout_token')).aud].flat();
		await eventually(() => h.bc.posts.slice(bcBefore).some((p) => audOf(p).includes('web')) && h.bc.posts.slice(bcBefore).some((p) => audOf(p).includes('other')), 'back-channel logout to web and other');
		assert.deepEqual((await logoutSids(h.srv, h.bc, bcBefore, undefined)).filter((x, i, arr) => arr.indexOf(x) === i), [claims.sid], 'the logout tokens name the session');
		const calls2 = h.app.calls.length;
		const relog = await authorize(page, h.cb, h.rp, { scope: 'openid email' });
		assert.equal(relog.kind, 'login', 'the login page again');
		assert.equal(h.app.calls.slice(calls2).find((c) => c.op === 'getOAuth2LoginRequest').data.skip, false);

		const all = await api.revokeOAuth2ConsentSessions({ subject: user.id, all: true });
		assert.equal(all.status, 204);
		assert.deepEqual((await api.listOAuth2ConsentSessions({ subject: user.id })).data, []);

		// By sid: only that session ends.
		const s1 = await signedIn(t, { user });
		const s2 = await signedIn(t, { user });
		assert.notEqual(s1.claims.sid, s2.claims.sid);
		const bySid = await api.revokeOAuth2LoginSessions({ sid: s1.claims.sid });
		assert.equal(bySid.status, 204);
		assert.equal((await silent(s1.page)).get('error'), 'login_required', 'the revoked session is over');
		assert.ok((await silent(s2.page)).get('code'), 'the other session is kept');
	});

	test('Hydra SDK round trips: statuses and shapes of every admin operation, handled and bad requests', async (t) => {
		const api = h.app.api;
		const { page } = await newPage(browser, t.after.bind(t));
		h.app.reset();
		// Stop at the app's login page and drive the admin API by hand.
		const atLogin = await authorize(page, h.cb, h.rp, { scope: 'openid email' });
		assert.equal(atLogin.kind, 'login');
		const challenge = new URL(atLogin.info.url).searchParams.get('login_challenge');

		const got = await api.getOAuth2LoginRequest({ loginChallenge: challenge });
		assert.equal(got.status, 200);
		assertKeys(got.data, LOGIN_REQUEST_KEYS, LOGIN_REQUEST_REQUIRED, 'getOAuth2LoginRequest');

		// A body without subject: 400 (subject is required).
		const noSubject = await api.acceptOAuth2LoginRequest({ loginChallenge: challenge, acceptOAuth2LoginRequest: {} }).catch((e) => e);
		assert.equal(noSubject.response && noSubject.response.status, 400, 'accept without subject: 400');
		const bad = await sendJson(`${h.srv.adminUrl}/admin/oauth2/auth/requests/login/accept?login_challenge=${encodeURIComponent(challenge)}`, 'PUT', '{"subject":');
		assert.equal(bad.status, 400, 'malformed JSON: 400');
		const noChallenge = await sendJson(`${h.srv.adminUrl}/admin/oauth2/auth/requests/login/accept`, 'PUT', { subject: h.alice.id });
		assert.equal(noChallenge.status, 400, 'no login_challenge: 400');

		const acc = await api.acceptOAuth2LoginRequest({
			loginChallenge: challenge,
			acceptOAuth2LoginRequest: { subject: h.bob.id, remember: false, acr: '1', amr: ['pwd'], context: { via: 'sdk' } },
		});
		assert.equal(acc.status, 200);
		const lv = assertRedirectTo(acc.data, 'acceptOAuth2LoginRequest');
		assert.ok(lv.searchParams.get('login_verifier'));

		// The browser follows; the consent request is then answered by hand too.
		const atConsent = await drive(page, acc.data.redirect_to, h.cb, {});
		assert.equal(atConsent.kind, 'consent');
		const cc = new URL(atConsent.info.url).searchParams.get('consent_challenge');
		const cget = await api.getOAuth2ConsentRequest({ consentChallenge: cc });
		assert.equal(cget.status, 200);
		assertKeys(cget.data, CONSENT_REQUEST_KEYS, ['challenge'], 'getOAuth2ConsentRequest');
		assert.deepEqual(cget.data.context, { via: 'sdk' });
		const cacc = await api.acceptOAuth2ConsentRequest({
			consentChallenge: cc,
			acceptOAuth2ConsentRequest: { grant_scope: ['openid'], remember: false, session: { id_token: { nick: 'sdk' }, access_token: { via: 'sdk' } } },
		});
		assert.equal(cacc.status, 200);
		assert.ok(assertRedirectTo(cacc.data, 'acceptOAuth2ConsentRequest').searchParams.get('consent_verifier'));
		const done = await drive(page, cacc.data.redirect_to, h.cb, {});
		assert.equal(done.kind, 'callback');
		assert.ok(done.request.params.get('code'));

		// Handled requests: 410 Gone.
		for (const [op, p] of [['getOAuth2LoginRequest', { loginChallenge: challenge }], ['getOAuth2ConsentRequest', { consentChallenge: cc }]]) {
			const e = await api[op](p).catch((x) => x);
			assert.equal(e.response && e.response.status, 410, `${op} of a handled request: 410`);
		}

		// Sessions admin: missing parameters are 400.
		const noSub = await request(`${h.srv.adminUrl}/admin/oauth2/auth/sessions/consent`);
		assert.equal(noSub.status, 400, 'GET consent sessions without subject: 400');
		const noSubDel = await request(`${h.srv.adminUrl}/admin/oauth2/auth/sessions/consent`, { method: 'DELETE' });
		assert.equal(noSubDel.status, 400, 'DELETE consent sessions without subject: 400');
		const noSubOrSid = await request(`${h.srv.adminUrl}/admin/oauth2/auth/sessions/login`, { method: 'DELETE' });
		assert.equal(noSubOrSid.status, 400, 'DELETE login sessions without subject or sid: 400');

		// The public listener does not serve the admin API.
		const pub = await request(`${h.srv.publicUrl}/admin/oauth2/auth/requests/login?login_challenge=${encodeURIComponent(challenge)}`);
		assert.ok(pub.status === 404 || pub.status === 401 || pub.status === 403, `the admin API is not on the public listener: ${pub.status}`);
	});

	test('consent sessions carry the accepted session and handled_at (Hydra\'s oAuth2ConsentSession)', async () => {
		h.app.reset();
		const user = appUser({ username: 'dave' });
		h.app.users.push(user);
		const first = await authorizeNoBrowser(
			h.srv.publicUrl,
			{ response_type: 'code', client_id: 'web', redirect_uri: h.cb.url, scope: 'openid email', state: 'shape-1' },
			{ username: user.username, password: user.password, origins: [h.app.url] },
		);
		const [s0] = (await h.app.api.listOAuth2ConsentSessions({ subject: user.id })).data;
		assert.equal(typeof s0.handled_at, 'string');
		assert.ok(!Number.isNaN(Date.parse(s0.handled_at)), 'handled_at is a date-time');
		assert.deepEqual(s0.session.access_token, { team: 'blue' });
		assert.equal(s0.session.id_token.email, user.claims.email);
		assert.equal(s0.consent_request.challenge, h.app.last('getOAuth2ConsentRequest').data.challenge);
		assertKeys(s0.consent_request, [...CONSENT_REQUEST_KEYS], ['challenge', 'client', 'subject'], 'oAuth2ConsentSession.consent_request');
		assert.deepEqual(s0.consent_request.requested_scope, ['openid', 'email']);
		assert.equal(s0.consent_request.client.client_id, 'web');
		assert.deepEqual(s0.grant_scope, ['openid', 'email']);
		assert.deepEqual(s0.grant_access_token_audience, []);
		assert.equal(s0.remember, true);
		assert.equal(s0.remember_for, 3600);

		// A skipped consent accepted again (other session data) does not replace the remembered one.
		h.app.reset();
		h.app.behaviour.accessToken = { team: 'red' };
		const jar = first.jar;
		const again = await authorizeNoBrowser(
			h.srv.publicUrl,
			{ response_type: 'code', client_id: 'web', redirect_uri: h.cb.url, scope: 'openid', state: 'shape-2' },
			{ username: user.username, password: user.password, origins: [h.app.url], jar },
		);
		assert.ok(again.params.get('code'));
		assert.equal(h.app.last('getOAuth2ConsentRequest').data.skip, true);
		h.app.reset();
		const [s1] = (await h.app.api.listOAuth2ConsentSessions({ subject: user.id })).data;
		assert.deepEqual(s1.session.access_token, { team: 'blue' }, 'the remembered consent keeps what was accepted');
		assert.deepEqual(s1.grant_scope, ['openid', 'email']);
		assert.equal(s1.handled_at, s0.handled_at);
	});

	test('an answered login or consent request: 410 with redirect_to, the authorization request again (Hydra)', async () => {
		h.app.reset();
		const user = appUser({ username: 'erin' });
		h.app.users.push(user);
		await authorizeNoBrowser(
			h.srv.publicUrl,
			{ response_type: 'code', client_id: 'web', redirect_uri: h.cb.url, scope: 'openid', state: 'gone-1' },
			{ username: user.username, password: user.password, origins: [h.app.url] },
		);
		const lr = h.app.last('getOAuth2LoginRequest');
		const cr = h.app.last('getOAuth2ConsentRequest');
		for (const [op, p, url] of [
			['getOAuth2LoginRequest', { loginChallenge: lr.challenge }, lr.data.request_url],
			['getOAuth2ConsentRequest', { consentChallenge: cr.challenge }, cr.data.request_url],
		]) {
			const e = await h.app.api[op](p).catch((x) => x);
			assert.equal(e.response && e.response.status, 410, `${op}: 410`);
			assertRedirectTo(e.response.data, `${op} 410`);
			// Hydra answers the request_url (not the spent verifier): the app sends the browser
			// back into the flow, which starts again with a new challenge.
			assert.equal(e.response.data.redirect_to, url, `${op}: redirect_to is the request_url`);
			const ru = new URL(e.response.data.redirect_to);
			assert.equal(ru.pathname, '/oauth2/auth');
			assert.ok(!ru.searchParams.has('login_verifier') && !ru.searchParams.has('consent_verifier'), 'no verifier');
			assert.equal(ru.searchParams.get('state'), 'gone-1');
		}
	});
});
