// browser_flow.test.mjs — the authorization code flow as a user and a relying party live it
// (issue 4, "Tests"): Debian's Chromium (playwright-core) logs a real user in on oidcd's login
// page and answers its consent page; openid-client 6.9.0 is the RP (discovery over the http
// loopback issuer, PKCE, state, nonce; the ID token's signature, iss, aud, exp and nonce
// checked by openid-client, and again with jose together with kid, typ and at_hash); a small
// callback server records exactly what reached the RP. Covered: code + PKCE for a public and a
// confidential client, form_post, prompt=none with and without a session, prompt=login and
// max_age=1, consent deny, remembered consent, skip_consent, a wrong PKCE verifier, code
// replay (and revocation of its access token), an unregistered redirect_uri, a 128-character
// state with punctuation, the generic login failure message, the pages' security headers, and
// Hydra's SDK getOidcUserInfo. One oidcd and one browser for the whole file; every test that
// needs "no session" gets a fresh browser context.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { Configuration, OidcApi } from '@ory/hydra-client';

import {
	assertOAuthError,
	authorize,
	callbackInput,
	client,
	createClient,
	createUser,
	drive,
	launchBrowser,
	newPage,
	pkce,
	redeem,
	rpConfig as makeRpConfig,
	shown,
	sleep,
	startCallbackServer,
	state128,
	suiteScope,
	tokenRequest,
	userinfo,
} from './lib/browser.mjs';
import { assertNoStore, request, startOidcd } from './lib/oidcd.mjs';

const SCOPES = 'openid profile email address phone offline_access';
// A secret that client_secret_basic must form-urlencode (RFC 6749 §2.3.1): ':' '+' '%' ' '.
const WEB_SECRET = 'web secret:with+plus%and/slash-0123456789';
const POST_SECRET = 'post-secret-0123456789abcdef';

const browser = await launchBrowser(after);

describe('authorization code flow in Chromium with openid-client as the RP', () => {
	const life = suiteScope();
	let srv;
	let cb;
	let alice; // the user most tests log in as
	const rp = {}; // openid-client configurations by client id

	before(async () => {
		srv = await startOidcd(life);
		// Last: a clean exit 0 after all the flows (under ASan, a leak or an error fails here).
		life.after(() => srv.stopOk());
		cb = await startCallbackServer(life.after);
		alice = await createUser(srv, { username: 'alice' });
		const base = { redirect_uris: [cb.url], response_types: ['code'], scope: SCOPES };
		await createClient(srv, {
			...base,
			client_id: 'spa',
			client_name: 'Public SPA',
			grant_types: ['authorization_code'],
			token_endpoint_auth_method: 'none',
		});
		await createClient(srv, {
			...base,
			client_id: 'web',
			client_name: 'Web App',
			client_secret: WEB_SECRET,
			grant_types: ['authorization_code', 'refresh_token'],
			token_endpoint_auth_method: 'client_secret_basic',
		});
		await createClient(srv, {
			...base,
			client_id: 'poster',
			client_name: 'Form Poster',
			client_secret: POST_SECRET,
			grant_types: ['authorization_code'],
			token_endpoint_auth_method: 'client_secret_post',
		});
		await createClient(srv, {
			...base,
			client_id: 'trusted',
			client_name: 'First Party',
			client_secret: 'trusted-secret-0123456789',
			grant_types: ['authorization_code'],
			token_endpoint_auth_method: 'client_secret_basic',
			skip_consent: true,
		});
		rp.spa = await rpConfig('spa');
		rp.web = await rpConfig('web', { secret: WEB_SECRET });
		rp.poster = await rpConfig('poster', { secret: POST_SECRET, auth: 'client_secret_post' });
		rp.trusted = await rpConfig('trusted', { secret: 'trusted-secret-0123456789' });
	});

	const rpConfig = (id, opts) => makeRpConfig(srv, id, opts);

	const login = () => ({ username: alice.username, password: alice.password });
	// A user of its own, for tests that must see a consent page whatever ran before.
	const ownUser = async () => {
		const u = await createUser(srv);
		return { username: u.username, password: u.password };
	};

	// A fresh context: no session, no remembered anything in the browser.
	async function fresh(t) {
		return (await newPage(browser, t.after.bind(t))).page;
	}

	test('code + PKCE, public client (none): login, consent, ID token, /userinfo claims by scope', async (t) => {
		const page = await fresh(t);
		const flow = await authorize(page, cb, rp.spa, { scope: 'openid profile email', login: login(), consent: 'allow' });
		assert.deepEqual(shown(flow), ['login', 'consent'], 'a login page, then a consent page');
		const consentPage = flow.pages.find((p) => p.kind === 'consent');
		assert.ok(consentPage.info.text.includes('Public SPA'), `the consent page names the client: ${consentPage.info.text}`);
		assert.equal(flow.request.method, 'GET', 'response_mode query: a GET to the redirect_uri');
		assert.equal(flow.request.path, '/cb');
		assert.match(flow.request.query.get('code') || '', /^[A-Za-z0-9_~.-]{22,}$/, 'a long code');
		assert.equal(flow.request.query.get('state'), flow.state);

		const { tokens, claims } = await redeem(srv, rp.spa, flow);
		assert.match(tokens.access_token, /^oidcd_at_/);
		assert.equal(tokens.token_type.toLowerCase(), 'bearer');
		assert.ok(tokens.expires_in > 0, 'expires_in > 0');
		assert.deepEqual(new Set(tokens.scope.split(' ')), new Set(['openid', 'profile', 'email']));
		assert.equal(tokens.refresh_token, undefined, 'no refresh token without offline_access');
		assert.equal(claims.azp ?? 'spa', 'spa');
		assert.equal(typeof claims.auth_time, 'number', 'auth_time after a login');
		assert.equal(claims.email, undefined, 'scope claims go to /userinfo when an access token is issued');

		const info = await client.fetchUserInfo(rp.spa, tokens.access_token, claims.sub);
		assert.equal(info.sub, claims.sub);
		assert.equal(info.sub, alice.id, 'sub is the user id');
		assert.equal(info.name, alice.claims.name);
		assert.equal(info.email, alice.claims.email);
		assert.equal(info.email_verified, true);
		assert.equal(info.phone_number, undefined, 'no phone scope → no phone_number');
		assert.equal(info.address, undefined, 'no address scope → no address');
	});

	test('code + PKCE, confidential client (client_secret_basic, secret form-urlencoded): offline_access → refresh token', async (t) => {
		const page = await fresh(t);
		const flow = await authorize(page, cb, rp.web, { scope: 'openid offline_access address phone', login: login(), consent: 'allow' });
		assert.deepEqual(shown(flow), ['login', 'consent']);
		const { tokens, claims } = await redeem(srv, rp.web, flow);
		assert.match(tokens.refresh_token || '', /^oidcd_rt_/, 'offline_access + refresh_token grant → refresh token');
		assert.equal(claims.sub, alice.id);
		const info = await client.fetchUserInfo(rp.web, tokens.access_token, claims.sub);
		assert.deepEqual(info.address, alice.claims.address);
		assert.equal(info.phone_number, alice.claims.phone_number);
		assert.equal(info.phone_number_verified, false);
		assert.equal(info.email, undefined);

		// The same confidential client with the wrong secret: 401 invalid_client + Basic challenge.
		const again = await authorize(page, cb, rp.web, { scope: 'openid' });
		assert.deepEqual(shown(again), [], 'session and remembered consent: straight back');
		const res = await tokenRequest(
			srv,
			{ grant_type: 'authorization_code', code: again.request.query.get('code'), redirect_uri: cb.url, code_verifier: again.verifier },
			{ basic: ['web', 'not-the-secret'] },
		);
		assert.equal(res.status, 401, res.text);
		assert.equal(res.json && res.json.error, 'invalid_client');
		assert.match(String(res.headers['www-authenticate']), /^Basic/i);
	});

	test('client_secret_post confidential client', async (t) => {
		const page = await fresh(t);
		const flow = await authorize(page, cb, rp.poster, { login: login(), consent: 'allow' });
		const { tokens } = await redeem(srv, rp.poster, flow);
		const res = await userinfo(srv, tokens.access_token);
		assert.equal(res.status, 200, res.text);
		assert.equal(res.json.sub, alice.id);
	});

	test('response_mode=form_post: code and a 128-character state arrive as a urlencoded POST body, none in the URL', async (t) => {
		const page = await fresh(t);
		const state = state128();
		const flow = await authorize(page, cb, rp.web, { state, params: { response_mode: 'form_post' }, login: login(), consent: 'allow' });
		assert.equal(flow.kind, 'callback');
		const req = flow.request;
		assert.equal(req.method, 'POST', 'form_post: the browser POSTs to the redirect_uri');
		assert.equal(req.contentType, 'application/x-www-form-urlencoded', 'exactly this Content-Type');
		assert.equal(req.rawUrl, '/cb', 'nothing in the URL query');
		assert.ok(req.form.get('code'), 'code in the body');
		assert.equal(req.form.get('state'), state, 'state byte for byte');
		assert.ok(!req.form.has('error'));
		const { tokens } = await redeem(srv, rp.web, flow);
		assert.ok(tokens.access_token);

	});

	test('form_post without JavaScript: login, consent and the form_post page all work by pressing buttons', async (t) => {
		const { page } = await newPage(browser, t.after.bind(t), { javaScriptEnabled: false });
		const state = state128();
		const flow = await authorize(page, cb, rp.web, { state, params: { response_mode: 'form_post' }, login: await ownUser(), consent: 'allow', clickFormPost: true });
		assert.deepEqual(flow.pages.map((p) => p.kind), ['login', 'consent', 'form_post']);
		const fp = flow.pages[2];
		assert.equal(fp.status, 200);
		assert.equal(String(fp.info.method).toLowerCase(), 'post');
		assert.equal(fp.info.action, cb.url, 'the form posts to the redirect_uri');
		assert.ok(fp.info.submit, 'a visible submit button');
		assertCsp(fp.headers, 'form_post page');
		assert.match(String(fp.headers['content-security-policy']), /form-action [^;]*http:\/\/127\.0\.0\.1:\d+/, 'CSP form-action allows the RP origin');
		assert.equal(fp.headers['x-frame-options'], 'DENY');
		assert.match(String(fp.headers['cache-control']), /no-store/);
		assert.equal(flow.request.method, 'POST');
		assert.equal(flow.request.contentType, 'application/x-www-form-urlencoded');
		assert.equal(flow.request.form.get('state'), state);
		await redeem(srv, rp.web, flow);
	});

	test('form_post error: consent deny is POSTed too (access_denied, state)', async (t) => {
		const page = await fresh(t);
		const flow = await authorize(page, cb, rp.web, { params: { response_mode: 'form_post' }, login: await ownUser(), consent: 'deny', scope: 'openid profile email address phone' });
		assert.equal(flow.kind, 'callback');
		assert.equal(flow.request.method, 'POST');
		assert.equal(flow.request.rawUrl, '/cb');
		assert.equal(flow.request.form.get('error'), 'access_denied');
		assert.equal(flow.request.form.get('state'), flow.state);
		assert.ok(!flow.request.form.has('code'));
	});

	test('prompt=none: with a session → a code without any page (same sub and auth_time); without → login_required', async (t) => {
		const page = await fresh(t);
		const first = await authorize(page, cb, rp.spa, { login: login(), consent: 'allow' });
		const one = await redeem(srv, rp.spa, first);

		const silent = await authorize(page, cb, rp.spa, { params: { prompt: 'none' } });
		assert.deepEqual(shown(silent), [], 'no page with prompt=none');
		const two = await redeem(srv, rp.spa, silent);
		assert.equal(two.claims.sub, one.claims.sub);
		assert.equal(two.claims.auth_time, one.claims.auth_time, 'no new login → same auth_time');

		const other = await fresh(t);
		const state = state128();
		const noSession = await authorize(other, cb, rp.spa, { state, params: { prompt: 'none' } });
		assert.equal(noSession.kind, 'callback', 'a redirect, not a page');
		assert.deepEqual(shown(noSession), []);
		const q = noSession.request.query;
		assert.equal(q.get('error'), 'login_required');
		assert.equal(q.get('state'), state, 'state echoed on errors, byte for byte');
		assert.ok(!q.has('code'));
		assert.match(q.get('error_description') || '', /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/, 'error_description: ASCII without " or \\');
	});

	test('prompt=login: the login page again and a later auth_time', async (t) => {
		const page = await fresh(t);
		const one = await redeem(srv, rp.spa, await authorize(page, cb, rp.spa, { login: login(), consent: 'allow' }));
		await sleep(1100); // auth_time has one-second resolution
		const again = await authorize(page, cb, rp.spa, { params: { prompt: 'login' }, login: login(), consent: 'allow' });
		assert.ok(shown(again).includes('login'), `prompt=login shows the login page: ${shown(again)}`);
		const two = await redeem(srv, rp.spa, again);
		assert.equal(two.claims.sub, one.claims.sub);
		assert.ok(two.claims.auth_time > one.claims.auth_time, `new auth_time ${two.claims.auth_time} > ${one.claims.auth_time}`);
	});

	test('max_age=1 after more than a second: the login page again, auth_time present and new', async (t) => {
		const page = await fresh(t);
		const one = await redeem(srv, rp.spa, await authorize(page, cb, rp.spa, { login: login(), consent: 'allow' }));
		await sleep(2100); // > 1 s in whole seconds, whatever the sub-second phase
		const again = await authorize(page, cb, rp.spa, { params: { max_age: '1' }, login: login(), consent: 'allow' });
		assert.ok(shown(again).includes('login'), `max_age exceeded shows the login page: ${shown(again)}`);
		const two = await redeem(srv, rp.spa, again, { maxAge: 1 });
		assert.equal(typeof two.claims.auth_time, 'number', 'auth_time is in the ID token when max_age was sent');
		assert.ok(two.claims.auth_time > one.claims.auth_time, `new auth_time ${two.claims.auth_time} > ${one.claims.auth_time}`);
	});

	test('consent deny → access_denied at the RP with the state, no code', async (t) => {
		const page = await fresh(t);
		const flow = await authorize(page, cb, rp.spa, { scope: 'openid phone', login: await ownUser(), consent: 'deny' });
		assert.equal(flow.kind, 'callback');
		const q = flow.request.query;
		assert.equal(q.get('error'), 'access_denied');
		assert.equal(q.get('state'), flow.state);
		assert.ok(!q.has('code'));

		// A denial is not remembered as consent: asking again shows the consent page.
		const again = await authorize(page, cb, rp.spa, { scope: 'openid phone' });
		assert.deepEqual(shown(again), ['consent']);
	});

	test('remembered consent: the same scopes skip the consent page, also in a new session; more scopes ask again', async (t) => {
		const user = await createUser(srv);
		const creds = { username: user.username, password: user.password };
		const page = await fresh(t);
		const first = await authorize(page, cb, rp.spa, { scope: 'openid profile', login: creds, consent: 'allow' });
		assert.deepEqual(shown(first), ['login', 'consent']);

		const second = await authorize(page, cb, rp.spa, { scope: 'openid profile' });
		assert.deepEqual(shown(second), [], 'session + remembered consent: no page at all');
		assert.ok(second.request.query.get('code'));
		await redeem(srv, rp.spa, second);

		const other = await fresh(t);
		const third = await authorize(other, cb, rp.spa, { scope: 'openid profile', login: creds });
		assert.deepEqual(shown(third), ['login'], 'a new login, but consent is remembered per user and client');
		await redeem(srv, rp.spa, third);

		const more = await authorize(other, cb, rp.spa, { scope: 'openid profile email', consent: 'allow' });
		assert.deepEqual(shown(more), ['consent'], 'a scope not consented to yet → the consent page');
		const { tokens } = await redeem(srv, rp.spa, more);
		assert.ok(tokens.scope.split(' ').includes('email'));
	});

	test('admin skip_consent: login, then straight back to the RP', async (t) => {
		const page = await fresh(t);
		const flow = await authorize(page, cb, rp.trusted, { scope: 'openid profile email', login: login() });
		assert.deepEqual(shown(flow), ['login'], 'no consent page for a skip_consent client');
		const { tokens, claims } = await redeem(srv, rp.trusted, flow);
		const info = await client.fetchUserInfo(rp.trusted, tokens.access_token, claims.sub);
		assert.equal(info.email, alice.claims.email);
	});

	test('wrong PKCE verifier → invalid_grant (400); the code is then used up', async (t) => {
		const page = await fresh(t);
		const flow = await authorize(page, cb, rp.spa, { login: login(), consent: 'allow' });
		const wrong = client.randomPKCECodeVerifier();
		await assertOAuthError(
			client.authorizationCodeGrant(rp.spa, callbackInput(flow.request), { pkceCodeVerifier: wrong, expectedState: flow.state, expectedNonce: flow.nonce }),
			'invalid_grant',
			400,
			'wrong code_verifier',
		);
		const noVerifier = await tokenRequest(srv, { grant_type: 'authorization_code', client_id: 'spa', code: flow.request.query.get('code'), redirect_uri: cb.url });
		assert.equal(noVerifier.status, 400, noVerifier.text);
		assert.ok(['invalid_grant', 'invalid_request'].includes(noVerifier.json && noVerifier.json.error), noVerifier.text);
	});

	test('code replay → invalid_grant (400), and the access token of the first redemption stops working', async (t) => {
		const page = await fresh(t);
		const flow = await authorize(page, cb, rp.web, { scope: 'openid email', login: login(), consent: 'allow' });
		const { tokens } = await redeem(srv, rp.web, flow);
		const ok = await userinfo(srv, tokens.access_token);
		assert.equal(ok.status, 200, ok.text);

		const replay = await tokenRequest(
			srv,
			{ grant_type: 'authorization_code', code: flow.request.query.get('code'), redirect_uri: cb.url, code_verifier: flow.verifier },
			{ basic: ['web', WEB_SECRET] },
		);
		assert.equal(replay.status, 400, replay.text);
		assert.match(String(replay.headers['content-type']), /^application\/json/);
		assert.equal(replay.json.error, 'invalid_grant');
		assertNoStore(replay, 'token error');

		const revoked = await userinfo(srv, tokens.access_token);
		assert.equal(revoked.status, 401, `the first access token is revoked: ${revoked.status} ${revoked.text}`);
		assert.match(String(revoked.headers['www-authenticate']), /^Bearer\b.*error="invalid_token"/);
	});

	test('unregistered redirect_uri → an error page (400), never a redirect: the RP gets no request', async (t) => {
		const page = await fresh(t);
		for (const bad of [`${cb.url}/extra`, `${cb.origin}/other`, `${cb.url}?x=1`, cb.url.replace('127.0.0.1', 'localhost')]) {
			const before = cb.requests.length;
			const flow = await authorize(page, cb, rp.spa, { redirectUri: bad, login: login(), consent: 'allow' });
			assert.equal(flow.kind, 'page', `${bad}: an error page, got ${flow.kind}`);
			assert.equal(flow.status, 400, `${bad}: status 400`);
			assert.equal(cb.requests.length, before, `${bad}: the RP callback server got nothing`);
			// And over plain HTTP: no Location header at all.
			const raw = await request(flow.url.href);
			assert.equal(raw.status, 400);
			assert.equal(raw.headers.location, undefined);
			assert.match(String(raw.headers['content-type']), /^text\/html/);
		}
		// An unknown client as well.
		const before = cb.requests.length;
		const unknown = new URL(`${srv.publicUrl}/oauth2/auth`);
		unknown.search = new URLSearchParams({ client_id: 'nobody', redirect_uri: cb.url, response_type: 'code', scope: 'openid', state: 'abc' }).toString();
		const flow = await drive(page, unknown, cb, {});
		assert.equal(flow.kind, 'page');
		assert.equal(flow.status, 400);
		assert.equal(cb.requests.length, before);
	});

	test('a 128-character state with every punctuation character is echoed byte for byte', async (t) => {
		const page = await fresh(t);
		const state = state128();
		const flow = await authorize(page, cb, rp.spa, { state, login: login(), consent: 'allow' });
		assert.equal(flow.request.query.get('state'), state);
		await redeem(srv, rp.spa, flow); // openid-client compares it too
	});

	test('failed login: one generic message for a wrong password and for an unknown user; the right password then works', async (t) => {
		const user = await createUser(srv);
		const page = await fresh(t);
		const url = client.buildAuthorizationUrl(rp.spa, {
			redirect_uri: cb.url,
			scope: 'openid',
			state: 's1',
			code_challenge: (await pkce()).challenge,
			code_challenge_method: 'S256',
		});
		const start = await drive(page, url, cb, {});
		assert.equal(start.kind, 'login');
		assert.equal(start.info.alert || '', '', 'no message before a failure');

		const wrongPw = await drive(page, null, cb, { login: { username: user.username, password: `${user.password}x` } });
		assert.equal(wrongPw.kind, 'login', 'the login page again');
		assert.ok(wrongPw.info.alert, 'a message in the role=alert area');
		assert.ok(!wrongPw.info.text.includes(user.password), 'the password is not echoed');

		const unknown = await drive(page, null, cb, { login: { username: 'no-such-user-4711', password: user.password } });
		assert.equal(unknown.kind, 'login');
		assert.equal(unknown.info.alert, wrongPw.info.alert, 'the same message for an unknown user');

		const good = await drive(page, null, cb, { login: { username: user.username, password: user.password }, consent: 'allow' });
		assert.equal(good.kind, 'callback', `then the right password works: ${good.kind}`);
		assert.ok(good.request.query.get('code'));
	});

	test('login and consent pages: CSP without unsafe-inline, X-Frame-Options DENY, CSRF field, one submit button, no-store', async (t) => {
		const page = await fresh(t);
		const flow = await authorize(page, cb, rp.spa, { scope: 'openid address', login: await ownUser(), consent: 'allow' });
		const loginPage = flow.pages.find((p) => p.kind === 'login');
		const consentPage = flow.pages.find((p) => p.kind === 'consent');
		assert.ok(loginPage && consentPage);
		for (const p of [loginPage, consentPage]) {
			assert.equal(p.status, 200, `${p.kind} page status`);
			assert.match(String(p.headers['content-type']), /^text\/html/, `${p.kind} Content-Type`);
			assertCsp(p.headers, `${p.kind} page`);
			assert.equal(p.headers['x-frame-options'], 'DENY', `${p.kind} X-Frame-Options`);
			assert.match(String(p.headers['cache-control']), /no-store/, `${p.kind} Cache-Control`);
			assert.ok(p.info.csrf && p.info.csrf.length >= 16, `${p.kind}: a hidden csrf field`);
			assert.match(String(p.info.action), /^\/ui\/(login|consent)\b/, `${p.kind}: form action`);
		}
		assert.equal(loginPage.info.submitButtons, 1, 'one submit button on the login form');
		assert.equal(String(loginPage.info.method).toLowerCase(), 'post');
		assert.ok(consentPage.info.allow && consentPage.info.deny, 'allow and deny buttons');
		const sessionCookie = (await page.context().cookies()).find((c) => c.name === 'oidcd_session');
		assert.ok(sessionCookie, 'an oidcd_session cookie after login');
		assert.equal(sessionCookie.httpOnly, true, 'HttpOnly');
		assert.equal(sessionCookie.sameSite, 'Lax', 'SameSite=Lax');
		assert.equal(sessionCookie.secure, false, 'not Secure on an http issuer');
	});

	test('device authorization grant (RFC 8628): the user signs in, enters the code and confirms in Chromium', async (t) => {
		await createClient(srv, {
			client_id: 'tv',
			client_name: 'Living Room TV',
			client_secret: 'tv-secret-0123456789abcdef',
			grant_types: ['urn:ietf:params:oauth:grant-type:device_code'],
			response_types: [],
			redirect_uris: [],
			scope: 'openid profile',
			token_endpoint_auth_method: 'client_secret_basic',
		});
		const config = await makeRpConfig(srv, 'tv', { secret: 'tv-secret-0123456789abcdef' });
		const da = await client.initiateDeviceAuthorization(config, { scope: 'openid profile' });
		const polling = client.pollDeviceAuthorizationGrant(config, da);
		const page = await fresh(t);
		await page.goto(da.verification_uri_complete);
		await page.fill('input[name=username]', alice.username);
		await page.fill('input[name=password]', alice.password);
		await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
		// The code page, filled in from verification_uri_complete.
		assert.equal(await page.inputValue('input[name=user_code]'), da.user_code);
		await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
		const confirm = await page.textContent('main');
		assert.ok(confirm.includes('Living Room TV'), `the confirmation names the device's client: ${confirm}`);
		await Promise.all([page.waitForNavigation(), page.click('button[name=consent][value=allow]')]);
		assert.match(await page.textContent('h1'), /Device connected/);
		const tokens = await polling;
		assert.equal(tokens.claims().sub, alice.id);
		assert.equal((await userinfo(srv, tokens.access_token)).json?.name, alice.claims.name);
	});

	test("Hydra's SDK getOidcUserInfo with the access token returns the user's claims", async (t) => {
		const page = await fresh(t);
		const flow = await authorize(page, cb, rp.web, { scope: 'openid profile email', login: login(), consent: 'allow' });
		const { tokens } = await redeem(srv, rp.web, flow);
		const api = new OidcApi(new Configuration({ basePath: srv.publicUrl, accessToken: tokens.access_token }));
		const { status, data } = await api.getOidcUserInfo();
		assert.equal(status, 200);
		assert.equal(data.sub, alice.id);
		assert.equal(data.name, alice.claims.name);
		assert.equal(data.given_name, alice.claims.given_name);
		assert.equal(data.family_name, alice.claims.family_name);
		assert.equal(data.email, alice.claims.email);
		assert.equal(data.email_verified, true);
		assert.equal(data.birthdate, alice.claims.birthdate);
		assert.equal(data.address, undefined);

		const bad = new OidcApi(new Configuration({ basePath: srv.publicUrl, accessToken: 'oidcd_at_not-a-token' }));
		await assert.rejects(bad.getOidcUserInfo(), (e) => e.response && e.response.status === 401);
	});
});

// A Content-Security-Policy that allows no inline script or style.
function assertCsp(headers, what) {
	const csp = String(headers['content-security-policy'] || '');
	assert.ok(csp.length > 0, `${what}: a Content-Security-Policy`);
	assert.ok(!csp.includes("'unsafe-inline'"), `${what}: no 'unsafe-inline' in "${csp}"`);
	assert.ok(!csp.includes("'unsafe-eval'"), `${what}: no 'unsafe-eval'`);
	assert.match(csp, /(^|;)\s*(default-src|script-src)\s/, `${what}: script sources restricted`);
	assert.match(csp, /frame-ancestors 'none'/, `${what}: frame-ancestors 'none'`);
}
