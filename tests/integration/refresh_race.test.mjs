// tests/integration/refresh_race.test.mjs — refresh tokens (RFC 6749 §6, issue 5) against
// the real binary, without a browser (lib/login.mjs):
//  - one refresh token presented on 10 connections at once (every connection opened first,
//    then every request written, only then the answers read): at most one 200, the others
//    400 invalid_grant, and afterwards the whole family is revoked: the winner's new refresh
//    token is refused and its new access token gets 401 at /userinfo (the nine losers
//    presented a used token: reuse detection, OAuth 2.0 Security BCP §4.14.2);
//  - the sequential rules: a refresh works once (new tokens, Cache-Control: no-store, a new
//    ID token with the same sub and auth_time), a narrower scope is granted, a wider one is
//    invalid_scope (and does not use the token up), another client's refresh token is
//    invalid_grant, and a used refresh token presented again revokes the family.

import assert from 'node:assert/strict';
import test from 'node:test';

import { basicAuth, exchangeCode, formBody, obtainCode } from './lib/login.mjs';
import { assertNoStore, raceTokenRequests, request, sendJson, startOidcd } from './lib/oidcd.mjs';

const REDIRECT = 'https://rp.example/refresh/cb';
const SCOPE = 'openid profile email offline_access';

function decodeJwt(jwt) {
	const [, payload] = String(jwt).split('.');
	return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
}

/** Two confidential clients with the refresh grant, and one user. */
async function setUp(srv) {
	const clients = {};
	for (const id of ['refresh-rp', 'refresh-other']) {
		const secret = `${id}-secret-0123456789abcdef`;
		const c = await sendJson(`${srv.adminUrl}/admin/clients`, 'POST', {
			client_id: id,
			client_secret: secret,
			redirect_uris: [REDIRECT],
			grant_types: ['authorization_code', 'refresh_token'],
			response_types: ['code'],
			scope: `${SCOPE} address phone`,
			token_endpoint_auth_method: 'client_secret_basic',
			skip_consent: true,
		});
		assert.equal(c.status, 201, `create client ${id}: ${c.text}`);
		clients[id] = { id, secret };
	}
	const password = 'refresh-password-0123456789';
	const u = await sendJson(`${srv.adminUrl}/admin/users`, 'POST', {
		username: 'refresher',
		password,
		name: 'Re Fresher',
		email: 'refresher@example.com',
		email_verified: true,
	});
	assert.equal(u.status, 201, `create user: ${u.text}`);
	return { clients, user: { username: 'refresher', password } };
}

/** Runs the code flow for `client` and returns the token response (asserted 200 with a refresh token). */
async function tokensFor(srv, ctx, client, { jar, scope = SCOPE } = {}) {
	const got = await obtainCode(srv.publicUrl, {
		clientId: client.id,
		redirectUri: REDIRECT,
		scope,
		username: ctx.user.username,
		password: ctx.user.password,
		jar,
	});
	const tok = await exchangeCode(srv.publicUrl, { code: got.code, redirectUri: REDIRECT, clientId: client.id, clientSecret: client.secret, verifier: got.verifier });
	assert.equal(tok.status, 200, `code exchange: ${tok.text}`);
	assert.equal(typeof tok.json.refresh_token, 'string', `a refresh token for scope "${scope}": ${tok.text}`);
	return { tokens: tok.json, jar: got.jar };
}

function refresh(srv, client, refreshToken, extra = {}) {
	return request(`${srv.publicUrl}/oauth2/token`, {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(client.id, client.secret) },
		body: formBody({ grant_type: 'refresh_token', refresh_token: refreshToken, ...extra }),
	});
}

function userinfo(srv, accessToken) {
	return request(`${srv.publicUrl}/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } });
}

function assertInvalid(res, error, what) {
	assert.equal(res.status, 400, `${what}: status 400 (${res.text})`);
	assert.equal(res.json?.error, error, `${what}: error ${error} (${res.text})`);
}

test('one refresh token on 10 connections at once → at most one 200, the rest invalid_grant, and the whole family revoked', async (t) => {
	const srv = await startOidcd(t);
	const ctx = await setUp(srv);
	const client = ctx.clients['refresh-rp'];

	// Three rounds, each with a fresh grant: the first logs in, the later ones reuse the session.
	let jar;
	for (let round = 1; round <= 3; round++) {
		const got = await tokensFor(srv, ctx, client, { jar });
		jar = got.jar;
		const first = got.tokens;
		assert.equal((await userinfo(srv, first.access_token)).status, 200, `round ${round}: the first access token works`);

		const answers = await raceTokenRequests(Array(10).fill(srv.publicUrl), {
			headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(client.id, client.secret) },
			body: formBody({ grant_type: 'refresh_token', refresh_token: first.refresh_token }),
		});
		const summary = answers.map((a) => `${a.status} ${a.json?.error ?? (a.json?.access_token ? 'tokens' : a.text.slice(0, 100))}`).join(' | ');
		t.diagnostic(`round ${round}: ${summary}`);
		const ok = answers.filter((a) => a.status === 200);
		const refused = answers.filter((a) => a.status === 400 && a.json?.error === 'invalid_grant');
		assert.ok(ok.length <= 1, `round ${round}: at most one success: ${summary}`);
		assert.equal(ok.length + refused.length, 10, `round ${round}: every other answer is 400 invalid_grant: ${summary}`);

		// Reuse detection: the losers presented a used token, so the family is gone —
		// including what the winner got, and the access token the code issued.
		if (ok.length === 1) {
			const win = ok[0].json;
			assert.equal(typeof win.access_token, 'string', `round ${round}: winner's access token`);
			assert.equal(typeof win.refresh_token, 'string', `round ${round}: winner's refresh token (rotation)`);
			assert.notEqual(win.refresh_token, first.refresh_token, `round ${round}: rotated`);
			assertInvalid(await refresh(srv, client, win.refresh_token), 'invalid_grant', `round ${round}: the winner's new refresh token after the reuse`);
			const ui = await userinfo(srv, win.access_token);
			assert.equal(ui.status, 401, `round ${round}: the winner's new access token is revoked: ${ui.status} ${ui.text}`);
		}
		const ui0 = await userinfo(srv, first.access_token);
		assert.equal(ui0.status, 401, `round ${round}: the family's first access token is revoked: ${ui0.status} ${ui0.text}`);
		assertInvalid(await refresh(srv, client, first.refresh_token), 'invalid_grant', `round ${round}: the raced refresh token once more`);
	}
	assert.equal((await request(`${srv.publicUrl}/health/ready`)).status, 200);
	await srv.stopOk();
});

test('refresh: rotates once, narrows scope, refuses a wider scope and another client\'s token, and a reused token revokes the family', async (t) => {
	const srv = await startOidcd(t);
	const ctx = await setUp(srv);
	const client = ctx.clients['refresh-rp'];
	const other = ctx.clients['refresh-other'];
	const { tokens: first, jar } = await tokensFor(srv, ctx, client);
	const firstId = decodeJwt(first.id_token);

	// A refresh works (RFC 6749 §6, OIDC Core §12.2): new tokens, no-store, a new ID token
	// with the same sub and auth_time.
	await new Promise((r) => setTimeout(r, 1100)); // so that a new iat is visible (seconds)
	const r1 = await refresh(srv, client, first.refresh_token);
	assert.equal(r1.status, 200, `first refresh: ${r1.text}`);
	assertNoStore(r1, 'refresh response');
	// RFC 6749 §5.1, once (a second copy of the header made it "no-cache, no-cache").
	assert.equal(r1.headers.pragma, 'no-cache', 'refresh response Pragma');
	assert.equal(String(r1.json.token_type).toLowerCase(), 'bearer');
	assert.notEqual(r1.json.access_token, first.access_token, 'a new access token');
	assert.equal(typeof r1.json.refresh_token, 'string', 'a new refresh token');
	assert.notEqual(r1.json.refresh_token, first.refresh_token, 'the refresh token is rotated');
	assert.equal(typeof r1.json.id_token, 'string', `an ID token on refresh: ${r1.text}`);
	const id1 = decodeJwt(r1.json.id_token);
	assert.equal(id1.sub, firstId.sub, 'same sub');
	assert.equal(id1.auth_time, firstId.auth_time, 'same auth_time');
	assert.ok(id1.iat > firstId.iat, `a new iat (${id1.iat} > ${firstId.iat})`);
	assert.equal(id1.aud === client.id || (Array.isArray(id1.aud) && id1.aud.includes(client.id)), true, 'aud is the client');
	const ui1 = await userinfo(srv, r1.json.access_token);
	assert.equal(ui1.status, 200, `the refreshed access token works: ${ui1.text}`);
	assert.equal(ui1.json.email, 'refresher@example.com');

	// A narrower scope is granted.
	const r2 = await refresh(srv, client, r1.json.refresh_token, { scope: 'openid email offline_access' });
	assert.equal(r2.status, 200, `narrowed refresh: ${r2.text}`);
	assert.deepEqual(String(r2.json.scope).split(' ').sort(), ['email', 'offline_access', 'openid'], `narrowed scope: ${r2.text}`);
	const ui2 = await userinfo(srv, r2.json.access_token);
	assert.equal(ui2.status, 200, ui2.text);
	assert.equal(ui2.json.email, 'refresher@example.com', 'email still granted');
	assert.equal(ui2.json.name, undefined, `profile no longer granted: ${ui2.text}`);

	// A wider scope (address was never granted, though the client may ask for it) is refused,
	// and the refused request does not use the token up.
	assertInvalid(await refresh(srv, client, r2.json.refresh_token, { scope: 'openid email address' }), 'invalid_scope', 'wider scope');
	assertInvalid(await refresh(srv, client, r2.json.refresh_token, { scope: 'openid profile email offline_access phone' }), 'invalid_scope', 'wider scope');

	// Another client's refresh token: invalid_grant; it is not used up either.
	const theirs = (await tokensFor(srv, ctx, other, { jar })).tokens;
	assertInvalid(await refresh(srv, client, theirs.refresh_token), 'invalid_grant', "another client's refresh token");
	assertInvalid(await refresh(srv, other, r2.json.refresh_token), 'invalid_grant', "the first client's refresh token at the other client");
	const theirs2 = await refresh(srv, other, theirs.refresh_token);
	assert.equal(theirs2.status, 200, `the other client's token still works for its own client: ${theirs2.text}`);

	const r3 = await refresh(srv, client, r2.json.refresh_token);
	assert.equal(r3.status, 200, `the refresh token refused for a wider scope still works: ${r3.text}`);
	assert.equal((await userinfo(srv, r3.json.access_token)).status, 200);

	// Reuse: a used refresh token again → invalid_grant, and the legitimate holder's latest
	// tokens stop working too.
	assertInvalid(await refresh(srv, client, first.refresh_token), 'invalid_grant', 'a used refresh token again');
	assertInvalid(await refresh(srv, client, r3.json.refresh_token), 'invalid_grant', 'the latest refresh token after the reuse');
	const ui3 = await userinfo(srv, r3.json.access_token);
	assert.equal(ui3.status, 401, `the latest access token after the reuse: ${ui3.status} ${ui3.text}`);
	// The other client's family is untouched.
	assert.equal((await userinfo(srv, theirs2.json.access_token)).status, 200, "the other client's tokens survive");
	await srv.stopOk();
});
