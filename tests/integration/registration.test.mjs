// registration.test.mjs — dynamic client registration as relying parties see it: POST
// /oauth2/register and GET|PUT|DELETE /oauth2/register/{id} through Hydra's SDK (OidcApi),
// openid-client's dynamicClientRegistration and raw HTTP; every validation rule with its
// error code; the initial access token; registration switched off; the admin and
// registrant views of one client (issue 3, "Public registration", "Registration
// management"; reference/hydra-behaviour.md §1.1–1.4, §3.1, §3.4).

import assert from 'node:assert/strict';
import { test } from 'node:test';

import * as client from 'openid-client';
import * as jose from 'jose';
import { Configuration, OAuth2Api, OidcApi } from '@ory/hydra-client';

import {
	assertJsonError,
	assertNoStore,
	getJson,
	request,
	selfSignedCert,
	sendJson,
	startHttpsServer,
	startOidcd,
	tempDir,
} from './lib/oidcd.mjs';

const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const WEB = 'https://rp.example.com/cb';
const IAT = 'initial-access-token-0123456789';

// Every member only an operator may set (issue 3, "Policy for registrants").
const LIFESPANS = [
	'authorization_code_grant_access_token_lifespan',
	'authorization_code_grant_id_token_lifespan',
	'authorization_code_grant_refresh_token_lifespan',
	'client_credentials_grant_access_token_lifespan',
	'implicit_grant_access_token_lifespan',
	'implicit_grant_id_token_lifespan',
	'jwt_bearer_grant_access_token_lifespan',
	'refresh_token_grant_id_token_lifespan',
	'refresh_token_grant_access_token_lifespan',
	'refresh_token_grant_refresh_token_lifespan',
	'device_authorization_grant_id_token_lifespan',
	'device_authorization_grant_access_token_lifespan',
	'device_authorization_grant_refresh_token_lifespan',
];
const ADMIN_ONLY = {
	client_id: 'my-own-client-id',
	client_secret: 'my-own-secret-123456',
	metadata: { team: 'x' },
	owner: 'someone',
	audience: ['https://api.example.com'],
	allowed_cors_origins: ['https://rp.example.com'],
	skip_consent: true,
	skip_logout_consent: true,
	access_token_strategy: 'jwt',
	...Object.fromEntries(LIFESPANS.map((k) => [k, '1h0m0s'])),
};

function register(srv, meta, opts) {
	return sendJson(`${srv.publicUrl}/oauth2/register`, 'POST', meta, opts);
}

function manage(srv, id, method, token, body) {
	return sendJson(`${srv.publicUrl}/oauth2/register/${encodeURIComponent(id)}`, method, body, { token });
}

async function registerOk(srv, meta = { redirect_uris: [WEB] }, opts) {
	const res = await register(srv, meta, opts);
	assert.equal(res.status, 201, `register ${JSON.stringify(meta)} → ${res.status} ${res.text}`);
	return res.json;
}

// The RFC 7592 401: invalid_token, the same for every reason.
function assertInvalidToken(res, what) {
	assertJsonError(res, 401, what);
	assert.equal(res.json.error, 'invalid_token', `${what}: ${res.text}`);
	return res.json;
}

// The SDK throws for any status >= 300; returns the axios response of the failure.
async function sdkFails(promise, what) {
	try {
		const r = await promise;
		assert.fail(`${what}: expected an error, got ${r.status} ${JSON.stringify(r.data)}`);
	} catch (e) {
		if (e instanceof assert.AssertionError) throw e;
		assert.ok(e.response, `${what}: an HTTP error, not ${e}`);
		return e.response;
	}
}

test('POST /oauth2/register: 201, Location, UUIDv4 id, secret, token and explicit defaults', async (t) => {
	const srv = await startOidcd(t);
	const before = Math.floor(Date.now() / 1000) - 1;
	const res = await register(srv, { redirect_uris: [WEB], client_name: 'Example RP' });
	assert.equal(res.status, 201, res.text);
	assert.match(String(res.headers['content-type']), /^application\/json/);
	assertNoStore(res, 'registration response'); // RFC 7591 §3.2.1
	const c = res.json;
	assert.match(c.client_id, UUID4);
	assert.equal(c.registration_client_uri, `${srv.issuer}/oauth2/register/${c.client_id}`);
	assert.equal(res.headers.location, c.registration_client_uri);
	assert.equal(typeof c.client_secret, 'string');
	assert.ok(c.client_secret.length >= 32, `a 256-bit secret: ${c.client_secret}`);
	assert.equal(typeof c.registration_access_token, 'string');
	assert.ok(c.registration_access_token.length >= 32);
	assert.notEqual(c.registration_access_token, c.client_secret);
	assert.ok(Number.isInteger(c.client_id_issued_at), 'client_id_issued_at is an integer');
	assert.ok(c.client_id_issued_at >= before && c.client_id_issued_at <= Date.now() / 1000 + 1);
	assert.equal(c.client_secret_expires_at, 0);
	assert.match(c.created_at, RFC3339);
	assert.match(c.updated_at, RFC3339);
	assert.deepEqual(c.redirect_uris, [WEB]);
	assert.equal(c.client_name, 'Example RP');
	assert.deepEqual(c.grant_types, ['authorization_code']);
	assert.deepEqual(c.response_types, ['code']);
	assert.equal(c.token_endpoint_auth_method, 'client_secret_basic');
	// No scope asked for: every scope registrants may have (registration.allowed_scopes).
	assert.equal(c.scope, 'openid offline_access offline profile email address phone userinfo_credential_draft_00');
	for (const k of ['metadata', 'owner', 'audience', 'skip_consent', 'access_token_strategy']) {
		assert.ok(!(k in c), `operator-only ${k} is not in the registrant's view`);
	}

	// Two registrations never share an id, secret or token.
	const d = await registerOk(srv);
	assert.notEqual(d.client_id, c.client_id);
	assert.notEqual(d.client_secret, c.client_secret);
	assert.notEqual(d.registration_access_token, c.registration_access_token);

	// GET: the same client, without secret, metadata or token.
	const got = await manage(srv, c.client_id, 'GET', c.registration_access_token);
	assert.equal(got.status, 200, got.text);
	assertNoStore(got, 'registration GET');
	for (const k of ['client_secret', 'metadata', 'registration_access_token']) assert.ok(!(k in got.json), `GET has no ${k}`);
	assert.equal(got.json.client_id, c.client_id);
	assert.equal(got.json.client_name, 'Example RP');
	assert.deepEqual(got.json.redirect_uris, [WEB]);
	assert.deepEqual(got.json.grant_types, ['authorization_code']);
	assert.deepEqual(got.json.response_types, ['code']);
	assert.equal(got.json.client_id_issued_at, c.client_id_issued_at);
	assert.equal(got.json.created_at, c.created_at);
	await srv.stopOk();
});

test('Hydra OidcApi: create, get, set (token rotates, old token refused at once), delete', async (t) => {
	const srv = await startOidcd(t);
	const anon = new OidcApi(new Configuration({ basePath: srv.publicUrl }));
	const created = await anon.createOidcDynamicClient({
		oAuth2Client: { client_name: 'sdk', redirect_uris: [WEB], scope: 'openid offline_access', contacts: ['ops@example.com'] },
	});
	assert.equal(created.status, 201);
	const c = created.data;
	assert.match(c.client_id, UUID4);
	assert.ok(c.client_secret && c.registration_access_token);
	assert.equal(c.scope, 'openid offline_access');
	assert.deepEqual(c.contacts, ['ops@example.com']);

	const as = (token) => new OidcApi(new Configuration({ basePath: srv.publicUrl, accessToken: token }));
	const got = await as(c.registration_access_token).getOidcDynamicClient({ id: c.client_id });
	assert.equal(got.status, 200);
	assert.equal(got.data.client_id, c.client_id);
	assert.equal(got.data.client_name, 'sdk');
	assert.equal(got.data.client_secret, undefined);

	const set = await as(c.registration_access_token).setOidcDynamicClient({
		id: c.client_id,
		oAuth2Client: { client_name: 'sdk renamed', redirect_uris: [WEB, 'https://rp.example.com/cb2'] },
	});
	assert.equal(set.status, 200);
	assert.equal(set.data.client_id, c.client_id);
	assert.equal(set.data.client_name, 'sdk renamed');
	assert.deepEqual(set.data.redirect_uris, [WEB, 'https://rp.example.com/cb2']);
	assert.equal(set.data.client_secret, undefined, 'PUT does not reveal the secret');
	const newToken = set.data.registration_access_token;
	assert.ok(newToken, 'PUT returns a new registration_access_token');
	assert.notEqual(newToken, c.registration_access_token);
	// Full replacement: contacts and scope were not sent, so they are gone/defaulted.
	assert.ok(set.data.contacts === undefined || set.data.contacts === null || set.data.contacts.length === 0, 'contacts reset');
	assert.notEqual(set.data.scope, 'openid offline_access', 'scope reset to the default');

	const old = await sdkFails(as(c.registration_access_token).getOidcDynamicClient({ id: c.client_id }), 'GET with the old token');
	assert.equal(old.status, 401);
	assert.equal(old.data.error, 'invalid_token');
	const again = await as(newToken).getOidcDynamicClient({ id: c.client_id });
	assert.equal(again.data.client_name, 'sdk renamed');
	assert.equal(again.data.created_at, c.created_at, 'created_at survives a PUT');

	const del = await as(newToken).deleteOidcDynamicClient({ id: c.client_id });
	assert.equal(del.status, 204);
	const gone = await sdkFails(as(newToken).getOidcDynamicClient({ id: c.client_id }), 'GET after DELETE');
	assert.equal(gone.status, 401);
	assert.equal(gone.data.error, 'invalid_token');
	const admin = await request(`${srv.adminUrl}/admin/clients/${c.client_id}`);
	assertJsonError(admin, 404, 'admin GET after DELETE');
	await srv.stopOk();
});

test('openid-client dynamicClientRegistration registers through discovery (with and without an initial access token)', async (t) => {
	const srv = await startOidcd(t);
	const cfg = await client.dynamicClientRegistration(
		new URL(srv.issuer),
		{ redirect_uris: [WEB], client_name: 'openid-client RP', response_types: ['code'] },
		undefined,
		{ execute: [client.allowInsecureRequests] },
	);
	const md = cfg.clientMetadata();
	assert.match(md.client_id, UUID4);
	assert.ok(md.client_secret);
	assert.equal(cfg.serverMetadata().registration_endpoint, `${srv.issuer}/oauth2/register`);
	const got = await manage(srv, md.client_id, 'GET', md.registration_access_token);
	assert.equal(got.status, 200, got.text);
	assert.equal(got.json.client_name, 'openid-client RP');

	// A public client (token_endpoint_auth_method none) gets no secret.
	const pub = await client.dynamicClientRegistration(
		new URL(srv.issuer),
		{ redirect_uris: ['com.example.app:/cb'], application_type: 'native', token_endpoint_auth_method: 'none' },
		client.None(),
		{ execute: [client.allowInsecureRequests] },
	);
	assert.equal(pub.clientMetadata().client_secret, undefined);
	assert.equal(pub.clientMetadata().token_endpoint_auth_method, 'none');
	await srv.stopOk();

	const locked = await startOidcd(t, { args: ['--set', `registration.initial_access_token=${IAT}`] });
	await assert.rejects(
		client.dynamicClientRegistration(new URL(locked.issuer), { redirect_uris: [WEB] }, undefined, {
			execute: [client.allowInsecureRequests],
		}),
		'openid-client without the initial access token fails',
	);
	const ok = await client.dynamicClientRegistration(new URL(locked.issuer), { redirect_uris: [WEB] }, undefined, {
		execute: [client.allowInsecureRequests],
		initialAccessToken: IAT,
	});
	assert.match(ok.clientMetadata().client_id, UUID4);
	await locked.stopOk();
});

test('a client can PUT back exactly what GET returned; client_secret in a PUT → 403 unless it is the current one', async (t) => {
	const srv = await startOidcd(t);
	const c = await registerOk(srv, {
		redirect_uris: [WEB],
		client_name: 'round trip',
		'client_name#ja-Jpan-JP': 'ラウンドトリップ',
		contacts: ['a@example.com'],
		grant_types: ['authorization_code', 'refresh_token'],
		response_types: ['code'],
		scope: 'openid offline_access',
		post_logout_redirect_uris: ['https://rp.example.com/bye'],
		default_max_age: 3600,
		require_auth_time: true,
	});
	let token = c.registration_access_token;
	const got = await manage(srv, c.client_id, 'GET', token);
	assert.equal(got.status, 200, got.text);

	// What GET returned, verbatim.
	const put = await manage(srv, c.client_id, 'PUT', token, got.json);
	assert.equal(put.status, 200, `PUT of the GET body → ${put.status} ${put.text}`);
	token = put.json.registration_access_token;
	assert.ok(token && token !== c.registration_access_token);
	const after = await manage(srv, c.client_id, 'GET', token);
	assert.equal(after.status, 200, after.text);
	const strip = ({ updated_at: _u, ...rest }) => rest;
	assert.deepEqual(strip(after.json), strip(got.json), 'the round trip changes nothing but updated_at');

	// RFC 7592 §2.2: the client may include its current secret, not choose one.
	const same = await manage(srv, c.client_id, 'PUT', token, { ...got.json, client_secret: c.client_secret });
	assert.equal(same.status, 200, `PUT with the current secret → ${same.status} ${same.text}`);
	token = same.json.registration_access_token;
	const chosen = await manage(srv, c.client_id, 'PUT', token, { ...got.json, client_secret: 'a-secret-i-chose-myself' });
	assertJsonError(chosen, 403, 'PUT with a chosen secret');
	assert.equal(chosen.json.error, 'access_denied');
	// A refused PUT does not rotate the token.
	assert.equal((await manage(srv, c.client_id, 'GET', token)).status, 200, 'the token still works after a refused PUT');

	// The path id wins; a different client_id in the body is refused.
	const other = await manage(srv, c.client_id, 'PUT', token, { ...got.json, client_id: '00000000-0000-4000-8000-000000000000' });
	assert.equal(other.status, 400, other.text);

	// PUT is validated like POST.
	const bad = await manage(srv, c.client_id, 'PUT', token, { ...got.json, redirect_uris: ['https://rp.example.com/cb#frag'] });
	assertJsonError(bad, 400, 'PUT with a fragment');
	assert.equal(bad.json.error, 'invalid_redirect_uri');
	const admin = await manage(srv, c.client_id, 'PUT', token, { ...got.json, owner: 'me' });
	assertJsonError(admin, 400, 'PUT with owner');
	assert.equal(admin.json.error, 'invalid_client_metadata');
	assert.ok(admin.json.error_description.includes('owner'), admin.json.error_description);
	assert.equal((await manage(srv, c.client_id, 'GET', token)).status, 200, 'the token still works after rejected PUTs');
	await srv.stopOk();
});

test('server-assigned members win over a registrant\'s echo; a public client turned confidential gets a secret once; one of concurrent PUTs wins', async (t) => {
	const srv = await startOidcd(t);
	const c = await registerOk(srv, {
		redirect_uris: [WEB],
		registration_access_token: 'chosen-registration-token-0123456789',
		registration_client_uri: 'https://evil.example.com/x',
		client_id_issued_at: 5,
		client_secret_expires_at: 99,
		created_at: '1999-01-01T00:00:00Z',
	});
	assert.notEqual(c.registration_access_token, 'chosen-registration-token-0123456789');
	assert.equal(c.registration_client_uri, `${srv.issuer}/oauth2/register/${c.client_id}`);
	assert.notEqual(c.client_id_issued_at, 5);
	assert.equal(c.client_secret_expires_at, 0);
	assert.ok(!c.created_at.startsWith('1999'), c.created_at);
	assertInvalidToken(await manage(srv, c.client_id, 'GET', 'chosen-registration-token-0123456789'), 'the chosen token');

	const pub = await registerOk(srv, { redirect_uris: [WEB], token_endpoint_auth_method: 'none' });
	assert.equal(pub.client_secret, undefined);
	const conf = await manage(srv, pub.client_id, 'PUT', pub.registration_access_token, { redirect_uris: [WEB] });
	assert.equal(conf.status, 200, conf.text);
	assert.equal(conf.json.token_endpoint_auth_method, 'client_secret_basic');
	assert.equal(typeof conf.json.client_secret, 'string', 'a client that becomes confidential gets its secret in the PUT answer');
	const again = await manage(srv, pub.client_id, 'PUT', conf.json.registration_access_token, { redirect_uris: [WEB] });
	assert.equal(again.status, 200, again.text);
	assert.equal(again.json.client_secret, undefined, 'and only once');
	// The secret it was given is its current one: sending it back is allowed.
	const echo = await manage(srv, pub.client_id, 'PUT', again.json.registration_access_token, { redirect_uris: [WEB], client_secret: conf.json.client_secret });
	assert.equal(echo.status, 200, echo.text);

	// Four PUTs with one token: the token rotates once, so exactly one succeeds.
	const r = await registerOk(srv);
	const puts = await Promise.all(
		[1, 2, 3, 4].map((i) => manage(srv, r.client_id, 'PUT', r.registration_access_token, { redirect_uris: [WEB], client_name: `p${i}` })),
	);
	const won = puts.filter((p) => p.status === 200);
	assert.equal(won.length, 1, `statuses ${puts.map((p) => p.status)}`);
	for (const p of puts) if (p.status !== 200) assertInvalidToken(p, 'a losing PUT');
	const g = await manage(srv, r.client_id, 'GET', won[0].json.registration_access_token);
	assert.equal(g.status, 200);
	assert.equal(g.json.client_name, won[0].json.client_name);
	await srv.stopOk();
});

test('management failures are one indistinguishable 401: unknown id, missing/wrong/old token, deleted client', async (t) => {
	const srv = await startOidcd(t);
	const a = await registerOk(srv);
	const b = await registerOk(srv);
	const put = await manage(srv, a.client_id, 'PUT', a.registration_access_token, { redirect_uris: [WEB] });
	assert.equal(put.status, 200, put.text);
	const d = await registerOk(srv);
	assert.equal((await manage(srv, d.client_id, 'DELETE', d.registration_access_token)).status, 204);

	const cases = [
		['unknown id', '7f1d1a5e-1111-4222-8333-944444444444', a.registration_access_token],
		['not a uuid', 'nope', a.registration_access_token],
		['missing token', a.client_id, undefined],
		['wrong token', a.client_id, 'x'.repeat(43)],
		["another client's token", a.client_id, b.registration_access_token],
		['rotated (old) token', a.client_id, a.registration_access_token],
		['the client secret as token', b.client_id, b.client_secret],
		['deleted client', d.client_id, d.registration_access_token],
	];
	const bodies = new Set();
	for (const [what, id, token] of cases) {
		for (const method of ['GET', 'PUT', 'DELETE']) {
			const res = await manage(srv, id, method, token, method === 'PUT' ? { redirect_uris: [WEB] } : undefined);
			const body = assertInvalidToken(res, `${method} ${what}`);
			assert.match(String(res.headers['www-authenticate']), /^Bearer\b/i, `${method} ${what}: WWW-Authenticate`);
			bodies.add(JSON.stringify(body));
		}
	}
	assert.equal(bodies.size, 1, `one body for every failure, got: ${[...bodies].join(' | ')}`);

	// Basic client authentication is not a registration access token (hydra-behaviour §1.2).
	const basic = await request(`${srv.publicUrl}/oauth2/register/${b.client_id}`, {
		headers: { authorization: `Basic ${Buffer.from(`${b.client_id}:${b.client_secret}`).toString('base64')}` },
	});
	assertInvalidToken(basic, 'Basic credentials');
	// The clients that were not touched are still fine.
	assert.equal((await manage(srv, b.client_id, 'GET', b.registration_access_token)).status, 200);
	assert.equal((await manage(srv, a.client_id, 'GET', put.json.registration_access_token)).status, 200);
	await srv.stopOk();
});

test('initial access token: missing or wrong → 401 invalid_token with WWW-Authenticate, right → 201; off → open', async (t) => {
	const srv = await startOidcd(t, { args: ['--set', `registration.initial_access_token=${IAT}`] });
	for (const [what, headers] of [
		['missing', {}],
		['wrong', { authorization: 'Bearer initial-access-token-0123456788' }],
		['prefix of it', { authorization: `Bearer ${IAT.slice(0, -1)}` }],
		['longer', { authorization: `Bearer ${IAT}x` }],
		['not bearer', { authorization: `Basic ${Buffer.from(`x:${IAT}`).toString('base64')}` }],
	]) {
		const res = await sendJson(`${srv.publicUrl}/oauth2/register`, 'POST', { redirect_uris: [WEB] }, { headers });
		assertInvalidToken(res, `initial access token ${what}`);
		assert.match(String(res.headers['www-authenticate']), /^Bearer\b/i, `${what}: WWW-Authenticate: Bearer`);
	}
	const ok = await registerOk(srv, { redirect_uris: [WEB] }, { token: IAT });
	// The registration access token, not the initial one, manages the client.
	assert.equal((await manage(srv, ok.client_id, 'GET', ok.registration_access_token)).status, 200);
	assertInvalidToken(await manage(srv, ok.client_id, 'GET', IAT), 'GET with the initial access token');
	assert.ok(!srv.stderr().includes(IAT), 'the initial access token is never logged');
	await srv.stopOk();

	const open = await startOidcd(t);
	await registerOk(open, { redirect_uris: [WEB] });
	await registerOk(open, { redirect_uris: [WEB] }, { token: 'anything-at-all-goes-here' });
	await open.stopOk();
});

test('registration.allowed_grant_types and registration.allowed_scopes limit registrants', async (t) => {
	const srv = await startOidcd(t, {
		args: ['--set', 'registration.allowed_grant_types=authorization_code', '--set', 'registration.allowed_scopes=openid'],
	});
	await registerOk(srv, { redirect_uris: [WEB], scope: 'openid' });
	const g = await register(srv, { redirect_uris: [WEB], grant_types: ['authorization_code', 'refresh_token'] });
	assertJsonError(g, 400, 'refresh_token not allowed');
	assert.equal(g.json.error, 'invalid_client_metadata');
	assert.ok(g.json.error_description.includes('grant_types'), g.json.error_description);
	const s = await register(srv, { redirect_uris: [WEB], scope: 'openid email' });
	assertJsonError(s, 400, 'email not allowed');
	assert.equal(s.json.error, 'invalid_client_metadata');
	assert.ok(s.json.error_description.includes('scope'), s.json.error_description);
	await srv.stopOk();
});

test('registration disabled: all four routes 404 not_found, no registration_endpoint; enabled: advertised', async (t) => {
	const off = await startOidcd(t, { args: ['--set', 'registration.enabled=false'] });
	const id = '7f1d1a5e-1111-4222-8333-944444444444';
	for (const [method, p, body] of [
		['POST', '/oauth2/register', { redirect_uris: [WEB] }],
		['GET', `/oauth2/register/${id}`],
		['PUT', `/oauth2/register/${id}`, { redirect_uris: [WEB] }],
		['DELETE', `/oauth2/register/${id}`],
	]) {
		const res = await sendJson(`${off.publicUrl}${p}`, method, body, { token: 'some-token' });
		assertJsonError(res, 404, `${method} ${p} while disabled`);
		assert.equal(res.json.error, 'not_found');
	}
	const { body: docOff } = await getJson(`${off.publicUrl}/.well-known/openid-configuration`);
	assert.ok(!('registration_endpoint' in docOff), 'no registration_endpoint while disabled');
	await off.stopOk();

	const on = await startOidcd(t);
	const { body: docOn } = await getJson(`${on.publicUrl}/.well-known/openid-configuration`);
	assert.equal(docOn.registration_endpoint, `${on.issuer}/oauth2/register`);
	await on.stopOk();
});

test('admin and registrant views of one client: the operator sees metadata/owner, the registrant does not; each keeps the other\'s fields', async (t) => {
	const srv = await startOidcd(t);
	const c = await registerOk(srv, { redirect_uris: [WEB], client_name: 'views' });
	const adminApi = new OAuth2Api(new Configuration({ basePath: srv.adminUrl }));

	const a0 = (await adminApi.getOAuth2Client({ id: c.client_id })).data;
	assert.equal(a0.client_id, c.client_id);
	assert.deepEqual(a0.metadata, {});
	assert.equal(a0.owner, '');
	assert.deepEqual(a0.audience, []);
	assert.equal(a0.skip_consent, false);
	assert.equal(a0.client_secret, undefined, 'admin GET does not show the secret');
	assert.equal(a0.registration_access_token, undefined);

	const patched = await adminApi.patchOAuth2Client({
		id: c.client_id,
		jsonPatch: [
			{ op: 'replace', path: '/metadata', value: { team: 'payments', tier: 2 } },
			{ op: 'replace', path: '/owner', value: 'ops@example.com' },
			{ op: 'replace', path: '/skip_consent', value: true },
		],
	});
	assert.equal(patched.status, 200);
	assert.deepEqual(patched.data.metadata, { team: 'payments', tier: 2 });

	// The registrant's token still works (unlike Hydra, issue 4093) and shows none of it.
	const g = await manage(srv, c.client_id, 'GET', c.registration_access_token);
	assert.equal(g.status, 200, `DCR GET after admin PATCH → ${g.status} ${g.text}`);
	for (const k of ['metadata', 'owner', 'skip_consent', 'audience', 'client_secret']) assert.ok(!(k in g.json), `registrant view has no ${k}`);
	assert.equal(g.json.client_name, 'views');

	// A registrant PUT replaces its own metadata, not what the operator set.
	const put = await manage(srv, c.client_id, 'PUT', c.registration_access_token, { ...g.json, client_name: 'views 2' });
	assert.equal(put.status, 200, put.text);
	assert.ok(!('metadata' in put.json) && !('owner' in put.json), 'PUT answer is the registrant view');
	const a1 = (await adminApi.getOAuth2Client({ id: c.client_id })).data;
	assert.equal(a1.client_name, 'views 2');
	assert.deepEqual(a1.metadata, { team: 'payments', tier: 2 });
	assert.equal(a1.owner, 'ops@example.com');
	assert.equal(a1.skip_consent, true);

	// Admin PUT also keeps the (rotated) registration token working.
	const { created_at: _c, updated_at: _u, ...rest } = a1;
	const aput = await adminApi.setOAuth2Client({ id: c.client_id, oAuth2Client: { ...rest, client_name: 'views 3' } });
	assert.equal(aput.status, 200);
	const g2 = await manage(srv, c.client_id, 'GET', put.json.registration_access_token);
	assert.equal(g2.status, 200, `DCR GET after admin PUT → ${g2.status} ${g2.text}`);
	assert.equal(g2.json.client_name, 'views 3');
	await srv.stopOk();
});

test('language-tagged members are kept and returned; unknown members are ignored and not returned', async (t) => {
	const srv = await startOidcd(t);
	const c = await registerOk(srv, {
		redirect_uris: [WEB],
		client_name: 'Example',
		'client_name#ja-Jpan-JP': 'クライアント名',
		'client_name#de': 'Beispiel',
		'logo_uri#ja-Jpan-JP': 'https://rp.example.com/logo-ja.png',
		'tos_uri#fr': 'https://rp.example.com/tos-fr',
		unknown_member: { deep: [1, 2, 3] },
		x_vendor_thing: 'ignored',
		software_id: 'f1f8a2c3-0000-4000-8000-000000000000',
	});
	const check = (body, what) => {
		assert.equal(body['client_name#ja-Jpan-JP'], 'クライアント名', `${what}: client_name#ja-Jpan-JP`);
		assert.equal(body['client_name#de'], 'Beispiel', what);
		assert.equal(body['logo_uri#ja-Jpan-JP'], 'https://rp.example.com/logo-ja.png', what);
		assert.equal(body['tos_uri#fr'], 'https://rp.example.com/tos-fr', what);
		assert.ok(!('unknown_member' in body), `${what}: unknown member not returned`);
		assert.ok(!('x_vendor_thing' in body), `${what}: unknown member not returned`);
	};
	check(c, 'POST answer');
	check((await manage(srv, c.client_id, 'GET', c.registration_access_token)).json, 'GET');
	check((await getJson(`${srv.adminUrl}/admin/clients/${c.client_id}`)).body, 'admin GET');
	await srv.stopOk();
});

// ---- validation, table-driven (issue 3, "Validation") ----

// A rejected registration: `code` (or one of several acceptable codes) and a description
// naming `field` (or one of several names).
function rejects(name, meta, code, field) {
	return { name, meta, code: [].concat(code), field: [].concat(field) };
}
const META = 'invalid_client_metadata';
const REDIR = 'invalid_redirect_uri';

function validationCases(ctx) {
	const { sector, ecPublic, ecPrivate, rsaPublic, badAlg } = ctx;
	const base = { redirect_uris: [WEB] };
	const rows = [];
	// Operator-only members.
	for (const [k, v] of Object.entries(ADMIN_ONLY)) rows.push(rejects(`registrant sets ${k}`, { ...base, [k]: v }, META, k));
	// grant_types / scope limited by configuration.
	rows.push(
		rejects('grant client_credentials', { ...base, grant_types: ['client_credentials'], response_types: [] }, META, 'grant_types'),
		rejects('grant jwt-bearer', { ...base, grant_types: ['authorization_code', 'urn:ietf:params:oauth:grant-type:jwt-bearer'] }, META, 'grant_types'),
		rejects('unknown grant', { ...base, grant_types: ['authorization_code', 'magic'] }, META, 'grant_types'),
		rejects('scope not allowed', { ...base, scope: 'openid admin' }, META, 'scope'),
		rejects('scope with a bad token', { ...base, scope: 'openid "x"' }, META, 'scope'),
	);
	// redirect_uris.
	rows.push(
		rejects('no redirect_uris for authorization_code', {}, [REDIR, META], 'redirect_uris'),
		rejects('empty redirect_uris for authorization_code', { redirect_uris: [] }, [REDIR, META], 'redirect_uris'),
		rejects('no redirect_uris for implicit', { grant_types: ['implicit'], response_types: ['id_token'] }, [REDIR, META], 'redirect_uris'),
		rejects('web: http on a public host', { redirect_uris: ['http://rp.example.com/cb'] }, REDIR, 'redirect_uri'),
		rejects('web: custom scheme', { redirect_uris: ['com.example.app:/cb'] }, REDIR, 'redirect_uri'),
		rejects('fragment', { redirect_uris: ['https://rp.example.com/cb#frag'] }, REDIR, 'redirect_uri'),
		rejects('empty fragment', { redirect_uris: ['https://rp.example.com/cb#'] }, REDIR, 'redirect_uri'),
		rejects('relative path', { redirect_uris: ['/cb'] }, REDIR, 'redirect_uri'),
		rejects('no scheme', { redirect_uris: ['rp.example.com/cb'] }, REDIR, 'redirect_uri'),
		rejects('empty string', { redirect_uris: [''] }, REDIR, 'redirect_uri'),
		rejects('javascript:', { redirect_uris: ['javascript:alert(1)'] }, REDIR, 'redirect_uri'),
		rejects('one bad among good', { redirect_uris: [WEB, 'http://evil.example.com/cb'] }, REDIR, 'redirect_uri'),
		rejects('native: http on a public host', { application_type: 'native', redirect_uris: ['http://rp.example.com/cb'] }, REDIR, 'redirect_uri'),
		rejects('native: fragment', { application_type: 'native', redirect_uris: ['com.example.app:/cb#x'] }, REDIR, 'redirect_uri'),
		rejects('unknown application_type', { ...base, application_type: 'desktop' }, META, 'application_type'),
	);
	// grant_types ↔ response_types (RFC 7591 §2.1).
	rows.push(
		rejects('code without authorization_code', { ...base, grant_types: ['implicit'], response_types: ['code'] }, META, ['response_types', 'grant_types']),
		rejects('id_token without implicit', { ...base, grant_types: ['authorization_code'], response_types: ['id_token'] }, META, ['response_types', 'grant_types']),
		rejects('token without implicit', { ...base, response_types: ['token'] }, META, ['response_types', 'grant_types']),
		rejects('code id_token without implicit', { ...base, grant_types: ['authorization_code'], response_types: ['code id_token'] }, META, ['response_types', 'grant_types']),
		rejects('unknown response type', { ...base, response_types: ['code', 'magic'] }, META, 'response_types'),
	);
	// Client authentication and keys.
	rows.push(
		rejects('client_secret_jwt unsupported', { ...base, token_endpoint_auth_method: 'client_secret_jwt' }, META, 'token_endpoint_auth_method'),
		rejects('unknown auth method', { ...base, token_endpoint_auth_method: 'magic' }, META, 'token_endpoint_auth_method'),
		rejects('private_key_jwt without keys', { ...base, token_endpoint_auth_method: 'private_key_jwt' }, META, ['jwks', 'jwks_uri']),
		rejects('jwks and jwks_uri together', { ...base, jwks: { keys: [ecPublic] }, jwks_uri: 'https://rp.example.com/jwks.json' }, META, ['jwks', 'jwks_uri']),
		rejects('jwks with a private key', { ...base, token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [ecPrivate] } }, META, 'jwks'),
		rejects('jwks with a symmetric key', { ...base, jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0' }] } }, META, 'jwks'),
		rejects('jwks with a point off the curve', { ...base, jwks: { keys: [{ ...ecPublic, x: ecPublic.y }] } }, META, 'jwks'),
		rejects('jwks with an unknown kty', { ...base, jwks: { keys: [{ kty: 'XYZ', n: 'AQAB' }] } }, META, 'jwks'),
		rejects('jwks without keys', { ...base, jwks: { foo: 1 } }, META, 'jwks'),
		rejects('jwks keys not an array', { ...base, jwks: { keys: ecPublic } }, META, 'jwks'),
		rejects('jwks_uri not a URL', { ...base, token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'not a url' }, META, 'jwks_uri'),
		rejects('token_endpoint_auth_signing_alg none', { ...base, token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [rsaPublic] }, token_endpoint_auth_signing_alg: 'none' }, META, 'token_endpoint_auth_signing_alg'),
		rejects('token_endpoint_auth_signing_alg unknown', { ...base, token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [rsaPublic] }, token_endpoint_auth_signing_alg: 'XY123' }, META, 'token_endpoint_auth_signing_alg'),
		rejects('id_token_signed_response_alg unknown', { ...base, id_token_signed_response_alg: 'XY123' }, META, 'id_token_signed_response_alg'),
		rejects('id_token_signed_response_alg not signed by this server', { ...base, id_token_signed_response_alg: badAlg }, META, 'id_token_signed_response_alg'),
		rejects('userinfo_signed_response_alg unknown', { ...base, userinfo_signed_response_alg: 'XY123' }, META, 'userinfo_signed_response_alg'),
		rejects('request_object_signing_alg unknown', { ...base, request_object_signing_alg: 'XY123' }, META, 'request_object_signing_alg'),
	);
	// sector_identifier_uri.
	rows.push(
		rejects('sector_identifier_uri over http', { ...base, sector_identifier_uri: `http://127.0.0.1:${sector.port}/sector.json` }, META, 'sector_identifier_uri'),
		rejects('sector_identifier_uri not a URL', { ...base, sector_identifier_uri: 'sector.json' }, META, 'sector_identifier_uri'),
		rejects('sector_identifier_uri 404', { ...base, sector_identifier_uri: `${sector.url}/missing.json` }, META, 'sector_identifier_uri'),
		rejects('sector_identifier_uri not JSON', { ...base, sector_identifier_uri: `${sector.url}/text` }, META, 'sector_identifier_uri'),
		rejects('sector_identifier_uri an object', { ...base, sector_identifier_uri: `${sector.url}/object.json` }, META, 'sector_identifier_uri'),
		rejects('sector_identifier_uri lacks a redirect_uri', { redirect_uris: [WEB, 'https://rp.example.com/cb3'], sector_identifier_uri: `${sector.url}/sector.json` }, [META, REDIR], ['sector_identifier_uri', 'redirect_uri']),
		rejects('sector_identifier_uri empty array', { ...base, sector_identifier_uri: `${sector.url}/empty.json` }, [META, REDIR], ['sector_identifier_uri', 'redirect_uri']),
		rejects('sector_identifier_uri redirects to http', { ...base, sector_identifier_uri: `${sector.url}/to-http` }, META, 'sector_identifier_uri'),
		rejects('sector_identifier_uri larger than 64 KiB', { ...base, sector_identifier_uri: `${sector.url}/big.json` }, META, 'sector_identifier_uri'),
	);
	// Other URLs.
	rows.push(
		rejects('post_logout_redirect_uri relative', { ...base, post_logout_redirect_uris: ['/bye'] }, [META, REDIR], 'post_logout_redirect_uri'),
		rejects('post_logout_redirect_uri fragment', { ...base, post_logout_redirect_uris: ['https://rp.example.com/bye#x'] }, [META, REDIR], 'post_logout_redirect_uri'),
		rejects('post_logout_redirect_uri javascript:', { ...base, post_logout_redirect_uris: ['javascript:alert(1)'] }, [META, REDIR], 'post_logout_redirect_uri'),
		rejects('frontchannel_logout_uri ftp', { ...base, frontchannel_logout_uri: 'ftp://rp.example.com/fc' }, META, 'frontchannel_logout_uri'),
		rejects('frontchannel_logout_uri relative', { ...base, frontchannel_logout_uri: '/fc' }, META, 'frontchannel_logout_uri'),
		rejects('backchannel_logout_uri fragment', { ...base, backchannel_logout_uri: 'https://rp.example.com/bc#x' }, META, 'backchannel_logout_uri'),
		rejects('backchannel_logout_uri not a URL', { ...base, backchannel_logout_uri: 'not a url' }, META, 'backchannel_logout_uri'),
		rejects('initiate_login_uri over http', { ...base, initiate_login_uri: 'http://rp.example.com/login' }, META, 'initiate_login_uri'),
		rejects('logo_uri javascript:', { ...base, logo_uri: 'javascript:alert(1)' }, META, 'logo_uri'),
		rejects('client_uri not a URL', { ...base, client_uri: 'not a url' }, META, 'client_uri'),
		rejects('policy_uri ftp', { ...base, policy_uri: 'ftp://rp.example.com/policy' }, META, 'policy_uri'),
		rejects('tos_uri relative', { ...base, tos_uri: '/tos' }, META, 'tos_uri'),
		rejects('tagged logo_uri javascript:', { ...base, 'logo_uri#de': 'javascript:alert(1)' }, META, 'logo_uri'),
		rejects('request_uris relative', { ...base, request_uris: ['req.jwt'] }, META, 'request_uris'),
	);
	// Enumerations and ranges.
	rows.push(
		rejects('subject_type unknown', { ...base, subject_type: 'secret' }, META, 'subject_type'),
		rejects('default_max_age negative', { ...base, default_max_age: -1 }, META, 'default_max_age'),
		rejects('default_max_age fractional', { ...base, default_max_age: 1.5 }, META, 'default_max_age'),
	);
	// Wrong JSON types.
	for (const [k, v] of [
		['client_name', 5],
		['client_name', ['x']],
		['redirect_uris', WEB],
		['redirect_uris', [5]],
		['grant_types', 'authorization_code'],
		['response_types', 'code'],
		['scope', ['openid']],
		['token_endpoint_auth_method', 5],
		['application_type', true],
		['contacts', 'ops@example.com'],
		['contacts', [1]],
		['default_max_age', '60'],
		['require_auth_time', 'true'],
		['require_auth_time', 1],
		['subject_type', 1],
		['jwks', []],
		['jwks', 'x'],
		['logo_uri', 5],
		['post_logout_redirect_uris', 'https://rp.example.com/bye'],
		['frontchannel_logout_session_required', 'yes'],
		['backchannel_logout_session_required', 1],
		['request_uris', 'https://rp.example.com/req'],
		['client_name#ja-Jpan-JP', 7],
	]) {
		const meta = k === 'redirect_uris' ? { [k]: v } : { ...base, [k]: v };
		rows.push(rejects(`${k} as ${JSON.stringify(v)}`, meta, k === 'redirect_uris' ? [META, REDIR] : META, k.split('#')[0]));
	}
	return rows;
}

// Accepted registrations and what comes back.
function acceptedCases(ctx) {
	const { sector, ecPublic, rsaPublic, goodAlg } = ctx;
	return [
		{ name: 'web: https', meta: { redirect_uris: [WEB, 'https://rp.example.com/cb?x=1'] } },
		{ name: 'web: http loopback 127.0.0.1 and [::1]', meta: { redirect_uris: ['http://127.0.0.1:8080/cb', 'http://[::1]:8080/cb'] } },
		{
			name: 'native: custom scheme and http loopback',
			meta: { application_type: 'native', redirect_uris: ['com.example.app:/oauth2redirect', 'http://127.0.0.1/cb', 'http://[::1]/cb'] },
			check: (c) => assert.equal(c.application_type, 'native'),
		},
		{
			name: 'every default grant type with matching response types',
			meta: {
				redirect_uris: [WEB],
				grant_types: ['authorization_code', 'refresh_token', 'implicit', 'urn:ietf:params:oauth:grant-type:device_code'],
				response_types: ['code', 'id_token', 'code id_token', 'id_token token', 'code id_token token'],
				scope: 'openid offline_access offline profile email address phone userinfo_credential_draft_00',
			},
			check: (c) => {
				assert.equal(c.grant_types.length, 4);
				assert.equal(c.response_types.length, 5);
				assert.equal(c.scope, 'openid offline_access offline profile email address phone userinfo_credential_draft_00');
			},
		},
		{
			name: 'device_code only: no redirect_uris needed',
			meta: { grant_types: ['urn:ietf:params:oauth:grant-type:device_code'], response_types: [], token_endpoint_auth_method: 'none' },
			check: (c) => assert.equal(c.client_secret, undefined),
		},
		{
			name: 'client_secret_post',
			meta: { redirect_uris: [WEB], token_endpoint_auth_method: 'client_secret_post' },
			check: (c) => {
				assert.equal(c.token_endpoint_auth_method, 'client_secret_post');
				assert.ok(c.client_secret);
			},
		},
		{
			name: 'none: public client without a secret',
			meta: { redirect_uris: [WEB], token_endpoint_auth_method: 'none' },
			check: (c) => {
				assert.equal(c.client_secret, undefined);
				assert.equal(c.token_endpoint_auth_method, 'none');
			},
		},
		{
			name: 'private_key_jwt with jwks (EC and RSA public keys)',
			meta: { redirect_uris: [WEB], token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [ecPublic, rsaPublic] }, token_endpoint_auth_signing_alg: 'ES256' },
			check: (c) => {
				assert.equal(c.jwks.keys.length, 2);
				assert.equal(c.token_endpoint_auth_signing_alg, 'ES256');
			},
		},
		{
			name: 'private_key_jwt with jwks_uri',
			meta: { redirect_uris: [WEB], token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'https://rp.example.com/jwks.json' },
			check: (c) => assert.equal(c.jwks_uri, 'https://rp.example.com/jwks.json'),
		},
		{
			name: 'signing algorithms from the supported lists',
			meta: { redirect_uris: [WEB], id_token_signed_response_alg: goodAlg, userinfo_signed_response_alg: 'none', request_object_signing_alg: 'RS256' },
			check: (c) => assert.equal(c.id_token_signed_response_alg, goodAlg),
		},
		{
			name: 'sector_identifier_uri listing every redirect_uri, pairwise',
			meta: { redirect_uris: [WEB, 'https://rp.example.com/cb2'], sector_identifier_uri: `${sector.url}/sector.json`, subject_type: 'pairwise' },
			check: (c) => {
				assert.equal(c.sector_identifier_uri, `${sector.url}/sector.json`);
				assert.equal(c.subject_type, 'pairwise');
			},
		},
		{
			name: 'logout and informational URLs',
			meta: {
				redirect_uris: [WEB],
				post_logout_redirect_uris: ['https://rp.example.com/bye', 'http://127.0.0.1:9000/bye'],
				frontchannel_logout_uri: 'https://rp.example.com/fc?x=1',
				frontchannel_logout_session_required: true,
				backchannel_logout_uri: 'https://rp.example.com/bc',
				backchannel_logout_session_required: true,
				initiate_login_uri: 'https://rp.example.com/login',
				logo_uri: 'https://rp.example.com/logo.png',
				client_uri: 'https://rp.example.com/',
				policy_uri: 'https://rp.example.com/policy',
				tos_uri: 'https://rp.example.com/tos',
				request_uris: ['https://rp.example.com/req.jwt'],
			},
			check: (c) => {
				assert.deepEqual(c.post_logout_redirect_uris, ['https://rp.example.com/bye', 'http://127.0.0.1:9000/bye']);
				assert.equal(c.backchannel_logout_uri, 'https://rp.example.com/bc');
				assert.equal(c.frontchannel_logout_session_required, true);
				assert.equal(c.initiate_login_uri, 'https://rp.example.com/login');
				assert.equal(c.tos_uri, 'https://rp.example.com/tos');
				assert.deepEqual(c.request_uris, ['https://rp.example.com/req.jwt']);
			},
		},
		{
			name: 'subject_type public, default_max_age 0, require_auth_time, contacts',
			meta: { redirect_uris: [WEB], subject_type: 'public', default_max_age: 0, require_auth_time: true, contacts: ['a@example.com', 'b@example.com'] },
			check: (c) => {
				assert.equal(c.subject_type, 'public');
				assert.equal(c.default_max_age, 0);
				assert.equal(c.require_auth_time, true);
				assert.deepEqual(c.contacts, ['a@example.com', 'b@example.com']);
			},
		},
	];
}

test('validation: every rule rejects with its error code and names the field; valid metadata is accepted', async (t) => {
	const dir = await tempDir(t);
	const cert = await selfSignedCert(dir);
	const big = JSON.stringify(Array.from({ length: 3000 }, (_, i) => `https://rp.example.com/cb-${i}-padding-padding`));
	let sectorPort = 0;
	const sector = await startHttpsServer(t, cert, (req, res) => {
		const json = (code, body) => {
			res.writeHead(code, { 'content-type': 'application/json' });
			res.end(typeof body === 'string' ? body : JSON.stringify(body));
		};
		switch (req.url) {
			case '/sector.json':
				return json(200, [WEB, 'https://rp.example.com/cb2']);
			case '/object.json':
				return json(200, { redirect_uris: [WEB] });
			case '/empty.json':
				return json(200, []);
			case '/big.json':
				return json(200, big);
			case '/text':
				res.writeHead(200, { 'content-type': 'text/plain' });
				return res.end('hello');
			case '/to-http':
				res.writeHead(302, { location: `http://127.0.0.1:${sectorPort}/sector.json` });
				return res.end();
			default:
				return json(404, { error: 'not found' });
		}
	});
	sectorPort = sector.port;
	assert.ok(big.length > 64 * 1024);

	const srv = await startOidcd(t, { dir, args: ['--set', `http_client.ca_file=${cert.certPath}`] });
	const { body: doc } = await getJson(`${srv.publicUrl}/.well-known/openid-configuration`);
	const supported = doc.id_token_signing_alg_values_supported;
	const badAlg = ['ES256', 'RS256', 'PS256', 'EdDSA', 'ES512'].find((a) => !supported.includes(a));

	const ec = await jose.generateKeyPair('ES256', { extractable: true });
	const rsa = await jose.generateKeyPair('RS256', { extractable: true });
	const ctx = {
		sector,
		ecPublic: { ...(await jose.exportJWK(ec.publicKey)), kid: 'ec1', use: 'sig', alg: 'ES256' },
		ecPrivate: { ...(await jose.exportJWK(ec.privateKey)), kid: 'ec1', use: 'sig', alg: 'ES256' },
		rsaPublic: { ...(await jose.exportJWK(rsa.publicKey)), kid: 'rsa1', use: 'sig', alg: 'RS256' },
		badAlg,
		goodAlg: supported[0],
	};

	const failures = [];
	for (const row of validationCases(ctx)) {
		const res = await register(srv, row.meta);
		const j = res.json || {};
		const problem =
			res.status !== 400
				? `status ${res.status}`
				: !row.code.includes(j.error)
					? `error ${j.error}, want ${row.code.join('|')}`
					: typeof j.error_description !== 'string' || !row.field.some((f) => j.error_description.includes(f))
						? `description does not name ${row.field.join('|')}`
						: null;
		if (problem) failures.push(`${row.name}: ${problem} — ${res.text.slice(0, 300)}`);
	}
	for (const row of acceptedCases(ctx)) {
		const res = await register(srv, row.meta);
		if (res.status !== 201) {
			failures.push(`accept ${row.name}: status ${res.status} — ${res.text.slice(0, 300)}`);
			continue;
		}
		try {
			row.check?.(res.json);
			// What was accepted reads back the same through GET.
			const g = await manage(srv, res.json.client_id, 'GET', res.json.registration_access_token);
			assert.equal(g.status, 200, g.text);
			row.check?.({ ...g.json, client_secret: res.json.client_secret });
		} catch (e) {
			failures.push(`accept ${row.name}: ${e.message}`);
		}
	}
	assert.deepEqual(failures, [], `validation failures:\n${failures.join('\n')}`);
	await srv.stopOk();
});
