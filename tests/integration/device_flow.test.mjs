// device_flow.test.mjs — the device authorization grant (RFC 8628; issue 5), against the real
// binary: openid-client's initiateDeviceAuthorization + pollDeviceAuthorizationGrant while the
// user signs in, enters the code and confirms on oidcd's /oauth2/device/verify pages (driven
// over plain HTTP by lib/device.mjs; the same pages in Chromium: browser_flow.test.mjs), then
// every polling answer of §3.5 (authorization_pending, slow_down, access_denied,
// expired_token), replay of a used device code (its tokens revoked), another client's device
// code, clients without the grant, scopes, wrong and throttled user codes, and forged forms.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import * as client from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';

import { verifyDevice } from './lib/device.mjs';
import { basicAuth, CookieJar, formBody, parseForms } from './lib/login.mjs';
import { request, sendJson, startOidcd } from './lib/oidcd.mjs';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const USER = { username: 'dora', password: 'correct horse battery staple', name: 'Dora Device', email: 'dora@example.com', email_verified: true };
const SECRET = 'a-long-secret-0123456789';

async function setup(t, args = []) {
	const srv = await startOidcd(t, { args: ['--set', 'oauth2.device_authorization.token_polling_interval=1s', ...args] });
	const u = await sendJson(`${srv.adminUrl}/admin/users`, 'POST', USER);
	assert.equal(u.status, 201, u.text);
	srv.userId = u.json.id;
	return srv;
}

async function addClient(srv, id, extra = {}) {
	const r = await sendJson(`${srv.adminUrl}/admin/clients`, 'POST', {
		client_id: id,
		client_secret: SECRET,
		client_name: `Device ${id}`,
		grant_types: [DEVICE_GRANT, 'refresh_token'],
		response_types: [],
		redirect_uris: [],
		scope: 'openid profile email offline_access',
		token_endpoint_auth_method: 'client_secret_basic',
		...extra,
	});
	assert.equal(r.status, 201, r.text);
	return r.json;
}

function post(url, fields, { id, secret = SECRET } = {}) {
	const headers = { 'content-type': 'application/x-www-form-urlencoded' };
	if (id) headers.authorization = basicAuth(id, secret);
	return request(url, { method: 'POST', headers, body: formBody(fields) });
}

const start = (srv, id, fields = {}) => post(`${srv.publicUrl}/oauth2/device/auth`, fields, { id });
const poll = (srv, id, deviceCode) => post(`${srv.publicUrl}/oauth2/token`, { grant_type: DEVICE_GRANT, device_code: deviceCode }, { id });

function assertOAuthError(res, error, what) {
	assert.equal(res.status, 400, `${what}: ${res.text}`);
	assert.equal(res.json?.error, error, `${what}: ${res.text}`);
	assert.match(String(res.headers['cache-control']), /no-store/, `${what}: not cacheable`);
}

test('openid-client: device authorization, the user approves on the pages, polling yields tokens', async (t) => {
	const srv = await setup(t);
	await addClient(srv, 'tv');
	const config = await client.discovery(new URL(srv.publicUrl), 'tv', undefined, client.ClientSecretBasic(SECRET), { execute: [client.allowInsecureRequests] });
	assert.equal(config.serverMetadata().device_authorization_endpoint, `${srv.publicUrl}/oauth2/device/auth`);

	const da = await client.initiateDeviceAuthorization(config, { scope: 'openid profile offline_access' });
	assert.match(da.user_code, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/, 'RFC 8628 §6.1 user code');
	assert.equal(da.verification_uri, `${srv.publicUrl}/oauth2/device/verify`);
	assert.equal(da.verification_uri_complete, `${da.verification_uri}?user_code=${da.user_code}`);
	assert.equal(da.interval, 1);
	assert.equal(da.expires_in, 600);
	assert.match(da.device_code, /^oidcd_dc_/);

	const polling = client.pollDeviceAuthorizationGrant(config, da);
	const v = await verifyDevice(da.verification_uri_complete, { username: USER.username, password: USER.password });
	assert.deepEqual(v.pages, ['login', 'code', 'confirm'], v.text);
	assert.equal(v.status, 200);
	assert.match(v.text, /Device connected/);
	const tokens = await polling;
	assert.equal(tokens.token_type.toLowerCase(), 'bearer');
	assert.equal(tokens.scope, 'openid profile offline_access');
	assert.match(tokens.refresh_token, /^oidcd_rt_/, 'offline_access + refresh_token grant: a refresh token');

	const claims = tokens.claims();
	assert.equal(claims.iss, srv.publicUrl);
	assert.equal(claims.aud, 'tv');
	assert.equal(claims.sub, srv.userId);
	assert.equal(typeof claims.auth_time, 'number');
	assert.equal(typeof claims.sid, 'string');
	assert.deepEqual(claims.amr, ['pwd']);
	const jwks = createRemoteJWKSet(new URL(`${srv.publicUrl}/.well-known/jwks.json`));
	await jwtVerify(tokens.id_token, jwks, { issuer: srv.publicUrl, audience: 'tv' });

	const ui = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
	assert.equal(ui.name, USER.name, 'profile scope: name');
	assert.equal(ui.email, undefined, 'email was not asked for');

	const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
	assert.equal(refreshed.claims().sub, claims.sub);
	assert.equal(refreshed.claims().auth_time, claims.auth_time, 'the refresh keeps auth_time');

	// RFC 8628 §3.5 does not allow a second set of tokens: a replay revokes the first.
	const replay = await poll(srv, 'tv', da.device_code);
	assertOAuthError(replay, 'invalid_grant', 'replayed device code');
	const after = await request(`${srv.publicUrl}/userinfo`, { headers: { authorization: `Bearer ${refreshed.access_token}` } });
	assert.equal(after.status, 401, 'the tokens of a replayed device code are revoked');
});

test('a public client (token_endpoint_auth_method none) uses the grant with its client_id', async (t) => {
	const srv = await setup(t);
	await addClient(srv, 'cli', { token_endpoint_auth_method: 'none', client_secret: undefined, grant_types: [DEVICE_GRANT] });
	const config = await client.discovery(new URL(srv.publicUrl), 'cli', undefined, client.None(), { execute: [client.allowInsecureRequests] });
	const da = await client.initiateDeviceAuthorization(config, { scope: 'openid offline_access' });
	const polling = client.pollDeviceAuthorizationGrant(config, da);
	// The plain verification_uri: the user types the code, lower-case and without the dash.
	const typed = da.user_code.replace('-', ' ').toLowerCase();
	const v = await verifyDevice(da.verification_uri, { username: USER.username, password: USER.password, userCode: typed });
	assert.deepEqual(v.pages, ['login', 'code', 'confirm'], v.text);
	const tokens = await polling;
	assert.equal(tokens.refresh_token, undefined, 'no refresh_token grant: no refresh token');
	assert.equal(tokens.claims().sub, srv.userId);
});

test('polling answers: authorization_pending, slow_down, access_denied, then invalid_grant', async (t) => {
	const srv = await setup(t, ['--set', 'oauth2.device_authorization.token_polling_interval=5s']);
	await addClient(srv, 'tv');
	const s = await start(srv, 'tv', { scope: 'openid' });
	assert.equal(s.status, 200, s.text);
	assert.match(String(s.headers['cache-control']), /no-store/);
	assert.equal(s.json.interval, 5);
	assertOAuthError(await poll(srv, 'tv', s.json.device_code), 'authorization_pending', 'first poll');
	// Immediately again: well within 5 s.
	assertOAuthError(await poll(srv, 'tv', s.json.device_code), 'slow_down', 'second poll at once');

	const v = await verifyDevice(s.json.verification_uri_complete, { username: USER.username, password: USER.password, consent: 'deny' });
	assert.deepEqual(v.pages, ['login', 'code', 'confirm']);
	assert.match(v.text, /Access denied/);
	assertOAuthError(await poll(srv, 'tv', s.json.device_code), 'access_denied', 'after deny');

	// The denied code cannot be approved afterwards.
	const again = await verifyDevice(s.json.verification_uri_complete, { jar: v.jar });
	assert.deepEqual(again.pages, ['code']);
	assert.match(again.message, /not valid/);
	assertOAuthError(await poll(srv, 'tv', s.json.device_code), 'access_denied', 'still denied');
});

test('expired_token once the device code outlives ttl.device_user_code', async (t) => {
	const srv = await setup(t, ['--set', 'ttl.device_user_code=2s']);
	await addClient(srv, 'tv');
	const s = await start(srv, 'tv', { scope: 'openid' });
	assert.equal(s.json.expires_in, 2);
	let r;
	for (;;) {
		await new Promise((resolve) => setTimeout(resolve, 1100));
		r = await poll(srv, 'tv', s.json.device_code);
		if (r.json?.error !== 'authorization_pending') break;
	}
	assertOAuthError(r, 'expired_token', 'after ttl.device_user_code');
	// The user arriving late is told the code is not valid.
	const v = await verifyDevice(s.json.verification_uri_complete, { username: USER.username, password: USER.password });
	assert.deepEqual(v.pages, ['login', 'code']);
	assert.match(v.message, /not valid/);
});

test('the device endpoint checks the client: unknown, wrong secret, no grant, bad scope', async (t) => {
	const srv = await setup(t);
	await addClient(srv, 'tv');
	await addClient(srv, 'web', { grant_types: ['authorization_code'], response_types: ['code'], redirect_uris: ['http://127.0.0.1:9/cb'] });
	let r = await start(srv, 'nobody', {});
	assert.equal(r.status, 401, r.text);
	assert.equal(r.json.error, 'invalid_client');
	r = await post(`${srv.publicUrl}/oauth2/device/auth`, {}, { id: 'tv', secret: 'wrong-secret-0123456789' });
	assert.equal(r.status, 401, r.text);
	r = await start(srv, 'web', { scope: 'openid' });
	assertOAuthError(r, 'unauthorized_client', 'client without the device_code grant');
	r = await start(srv, 'tv', { scope: 'openid admin' });
	assertOAuthError(r, 'invalid_scope', 'scope outside the client');
	r = await request(`${srv.publicUrl}/oauth2/device/auth`);
	assert.equal(r.status, 405, 'GET is not allowed');

	// At the token endpoint: a client without the grant, a missing and an unknown device code.
	r = await post(`${srv.publicUrl}/oauth2/token`, { grant_type: DEVICE_GRANT, device_code: 'x' }, { id: 'web' });
	assertOAuthError(r, 'unauthorized_client', 'token endpoint, client without the grant');
	r = await post(`${srv.publicUrl}/oauth2/token`, { grant_type: DEVICE_GRANT }, { id: 'tv' });
	assertOAuthError(r, 'invalid_request', 'no device_code');
	assertOAuthError(await poll(srv, 'tv', 'oidcd_dc_unknown'), 'invalid_grant', 'unknown device code');
});

test("another client's device code is invalid_grant and stays good for its own client", async (t) => {
	const srv = await setup(t);
	await addClient(srv, 'tv');
	await addClient(srv, 'thief');
	const s = await start(srv, 'tv', { scope: 'openid' });
	const v = await verifyDevice(s.json.verification_uri_complete, { username: USER.username, password: USER.password });
	assert.match(v.text, /Device connected/);
	assertOAuthError(await poll(srv, 'thief', s.json.device_code), 'invalid_grant', 'foreign client');
	const ok = await poll(srv, 'tv', s.json.device_code);
	assert.equal(ok.status, 200, ok.text);
	assert.equal(typeof ok.json.id_token, 'string');
});

test('the verification pages: confirmation shows the client and scopes; wrong codes are throttled; forged forms refused', async (t) => {
	const srv = await setup(t);
	await addClient(srv, 'tv', { client_name: 'Living Room TV <b>' });
	const s = await start(srv, 'tv', { scope: 'openid email' });
	const jar = new CookieJar();

	// Sign in first (the plain verification_uri), then look at the pages one by one.
	const login = await verifyDevice(s.json.verification_uri, { username: USER.username, password: USER.password, userCode: 'BCDF-GHJK', jar });
	assert.deepEqual(login.pages, ['login', 'code'], login.text);
	assert.match(login.message, /not valid/, 'a wrong code: the code page again with a message');

	// The confirmation names the client (escaped) and the scopes in words.
	const page = await request(s.json.verification_uri_complete, { headers: { cookie: jar.header() } });
	assert.equal(page.status, 200);
	const [codeForm] = parseForms(page.text);
	const confirm = await request(new URL(codeForm.action, srv.publicUrl).href, {
		method: 'POST',
		headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
		body: formBody([...codeForm.hidden, ['user_code', s.json.user_code]]),
	});
	assert.equal(confirm.status, 200, confirm.text);
	assert.match(confirm.text, /Living Room TV &lt;b&gt;/);
	assert.match(confirm.text, /email address/i);
	assert.match(String(confirm.headers['content-security-policy']), /frame-ancestors 'none'/);
	const [confirmForm] = parseForms(confirm.text);
	assert.ok(confirmForm.buttons.some((b) => b.name === 'consent' && b.value === 'allow'));

	// A confirmation without its CSRF token, or with another code's, is refused.
	const confirmUrl = new URL(confirmForm.action, srv.publicUrl).href;
	let r = await request(confirmUrl, { method: 'POST', headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' }, body: formBody({ consent: 'allow' }) });
	assert.equal(r.status, 400);
	const otherCode = confirmUrl.replace(/user_code=[A-Z]+/, 'user_code=BCDFGHJK');
	r = await request(otherCode, { method: 'POST', headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' }, body: formBody([...confirmForm.hidden, ['consent', 'allow']]) });
	assert.equal(r.status, 400, 'a CSRF token is bound to its code');
	// Without the session cookie: the login page, nothing decided.
	r = await request(confirmUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: formBody([...confirmForm.hidden, ['consent', 'allow']]) });
	assert.equal(r.status, 200);
	assert.ok(parseForms(r.text).some((f) => f.inputs.some((i) => i.name === 'password')), 'no session: the login page');
	assertOAuthError(await poll(srv, 'tv', s.json.device_code), 'authorization_pending', 'nothing was decided');

	// The real confirmation.
	r = await request(confirmUrl, { method: 'POST', headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' }, body: formBody([...confirmForm.hidden, ['consent', 'allow']]) });
	assert.equal(r.status, 200, r.text);
	assert.match(r.text, /Device connected/);
	// A second tab confirming the same code finds it decided.
	r = await request(confirmUrl, { method: 'POST', headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' }, body: formBody([...confirmForm.hidden, ['consent', 'deny']]) });
	assert.match(r.text, /not valid/);
	const tok = await poll(srv, 'tv', s.json.device_code);
	assert.equal(tok.status, 200, tok.text);

	// Guessing: five wrong codes a minute are free, then each further one locks the address
	// and user keys for 1, 2, 4, ... s (whole seconds). Seven more counted failures (eight with
	// the one above): the last locks for 4 s, so a right code entered at once is refused with
	// 429 and never looked up; some attempts in between may meet a lock already (429).
	const s2 = await start(srv, 'tv', { scope: 'openid' });
	let last;
	let counted = 0;
	for (let i = 0; counted < 7 && i < 64; i++) {
		last = await verifyDevice(s.json.verification_uri, { jar, userCode: `BCDF-GH${'JKLMNPQRSTVWXZBC'[i % 16]}K` });
		if (last.status === 200) counted++;
		else if (last.status !== 429) assert.fail(`unexpected ${last.status}: ${last.message}`);
		if (last.status === 429) await new Promise((r) => setTimeout(r, 250));
	}
	assert.equal(counted, 7);
	const blocked = await verifyDevice(s2.json.verification_uri_complete, { jar });
	assert.equal(blocked.status, 429, 'a right code is not even looked up while throttled');
	assert.match(blocked.message, /Too many/);
	assertOAuthError(await poll(srv, 'tv', s2.json.device_code), 'authorization_pending', 'nothing decided while throttled');
});

test('hostile input on the verification pages is a 4xx or a page, never a 5xx', async (t) => {
	const srv = await setup(t);
	const jar = new CookieJar();
	await verifyDevice(`${srv.publicUrl}/oauth2/device/verify`, { username: USER.username, password: USER.password, userCode: 'x', jar });
	const bad = ['', '%00', 'A'.repeat(5000), '\u00e9\u00e9\u00e9', 'BCDF-GHJK-BCDF', '<script>', '%ff%fe'];
	for (const step of [undefined, 'login', 'code', 'confirm', 'nope']) {
		for (const v of bad) {
			const q = new URLSearchParams();
			if (step) q.set('step', step);
			q.set('user_code', v);
			for (const method of ['GET', 'POST']) {
				const r = await request(`${srv.publicUrl}/oauth2/device/verify?${q}`, {
					method,
					headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
					body: method === 'POST' ? formBody({ user_code: v, csrf: v, consent: v, username: v, password: v }) : undefined,
				});
				assert.ok(r.status >= 200 && r.status < 500, `${method} step=${step} ${JSON.stringify(v.slice(0, 20))}: ${r.status}`);
				assert.doesNotMatch(r.text, /<script>/, 'input is escaped');
			}
		}
	}
	const ready = await request(`${srv.publicUrl}/health/ready`);
	assert.equal(ready.status, 200);
});
