// Rotating secrets.system (README "Secrets"): the first secret keys the hashes of what is
// issued from then on, the others are still tried for reading. Issued under secret A, then
// served with "B A" on the same database: the login session, the access token (/userinfo,
// introspection, revocation) and the refresh token keep working, and what is issued now is
// keyed by B. Served with "B" alone, what only A keyed is unknown.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { startOidcd, tempDir, request } from './lib/oidcd.mjs';
import { createUser, createClient, userinfo, tokenRequest } from './lib/browser.mjs';
import { obtainCode, exchangeCode, authorize } from './lib/login.mjs';

const A = 'rotation-secret-A-0123456789abcdef';
const B = 'rotation-secret-B-0123456789abcdef';
const REDIRECT = 'https://rp.example/cb';

function introspect(srv, token) {
	return request(`${srv.adminUrl}/admin/oauth2/introspect`, {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({ token }).toString(),
	});
}

function revoke(srv, token, [id, secret]) {
	return request(`${srv.publicUrl}/oauth2/revoke`, {
		method: 'POST',
		headers: {
			'content-type': 'application/x-www-form-urlencoded',
			authorization: `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`,
		},
		body: new URLSearchParams({ token }).toString(),
	});
}

// prompt=none with the browser's cookies: a code when the login session is known.
async function silentLogin(srv, jar) {
	const r = await authorize(
		srv.publicUrl,
		{ response_type: 'code', client_id: 'rot', redirect_uri: REDIRECT, scope: 'openid', prompt: 'none', state: 's' },
		{ jar },
	);
	return r.params;
}

test('secrets.system rotation: what secret A keyed still works under "B A", and not under "B"', async (t) => {
	const dir = await tempDir(t);
	let srv = await startOidcd(t, { dir, secret: A });
	const user = await createUser(srv);
	const client = await createClient(srv, {
		client_id: 'rot',
		client_secret: 'rotation-client-secret-0123456789',
		redirect_uris: [REDIRECT],
		grant_types: ['authorization_code', 'refresh_token'],
		response_types: ['code'],
		scope: 'openid profile email offline_access',
		skip_consent: true,
	});
	const basic = ['rot', client.client_secret];
	const got = await obtainCode(srv.publicUrl, {
		clientId: 'rot',
		redirectUri: REDIRECT,
		scope: 'openid profile offline_access',
		username: user.username,
		password: user.password,
	});
	const exchanged = await exchangeCode(srv.publicUrl, { code: got.code, redirectUri: REDIRECT, clientId: 'rot', clientSecret: client.client_secret, verifier: got.verifier });
	assert.equal(exchanged.status, 200, exchanged.text);
	const { access_token: accessA, refresh_token: refreshA } = exchanged.json;
	assert.ok(accessA && refreshA);
	assert.equal((await userinfo(srv, accessA)).status, 200);
	await srv.stopOk();

	// Rotation in progress: B first, A still listed.
	srv = await startOidcd(t, { dir, secret: `${B},${A}` });
	// The signing key sealed under A is sealed again under B, so A can be dropped later.
	assert.match(srv.stderr(), /sealed 1 signing key\(s\) under the first secrets.system value/);
	const ui = await userinfo(srv, accessA);
	assert.equal(ui.status, 200, `userinfo with a token keyed by A: ${ui.text}`);
	assert.equal(ui.json.sub, user.id);
	assert.equal(ui.json.name, user.claims.name);
	const intro = await introspect(srv, accessA);
	assert.equal(intro.json.active, true, `introspection of a token keyed by A: ${intro.text}`);
	assert.equal(intro.json.sub, user.id);
	const silent = await silentLogin(srv, got.jar);
	assert.ok(silent.get('code'), `prompt=none with a session cookie keyed by A: ${silent.toString()}`);

	const refreshed = await tokenRequest(srv, { grant_type: 'refresh_token', refresh_token: refreshA }, { basic });
	assert.equal(refreshed.status, 200, `refresh with a token keyed by A: ${refreshed.text}`);
	const { access_token: accessB, refresh_token: refreshB } = refreshed.json;
	assert.equal((await userinfo(srv, accessB)).status, 200);

	assert.equal((await revoke(srv, accessA, basic)).status, 200);
	const revoked = await userinfo(srv, accessA);
	assert.equal(revoked.status, 401, 'revoked under its old key');
	assert.equal((await introspect(srv, accessA)).json.active, false);
	await srv.stopOk();

	// Rotation done: A dropped. The server starts (its key was resealed); what B keyed works;
	// a session only A keyed is unknown.
	srv = await startOidcd(t, { dir, secret: B });
	assert.doesNotMatch(srv.stderr(), /sealed \d+ signing key/);
	assert.equal((await userinfo(srv, accessB)).status, 200, 'a token issued under B');
	const again = await tokenRequest(srv, { grant_type: 'refresh_token', refresh_token: refreshB }, { basic });
	assert.equal(again.status, 200, `refresh with a token keyed by B: ${again.text}`);
	const gone = await silentLogin(srv, got.jar);
	assert.equal(gone.get('error'), 'login_required', `a session keyed by A only: ${gone.toString()}`);
	await srv.stopOk();
});
