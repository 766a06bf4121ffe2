// tests/integration/credentials.test.mjs — verifiable credentials (issue 7) against the real
// binary, with Hydra's SDK (`OidcApi.createVerifiableCredential`) and jose, without a browser
// (lib/login.mjs drives the login pages):
//  - discovery advertises credentials_endpoint_draft_00 and credentials_supported_draft_00
//    (the fixture schema still validates; the suites are the algorithms proofs may use);
//  - full flow: code flow with openid + userinfo_credential_draft_00, c_nonce from the token
//    response, proofs with ES256, EdDSA and RS256 keys (each using the nonce of the previous
//    answer), the credential verified against our JWKS, its did:jwk decoded back to the
//    proof key, claims following the scopes, never sid; the audit listing on the admin port;
//  - the priming answer (no proof) carries a usable nonce;
//  - refusals, each the right 4xx with nothing issued: nonce reuse, a wrong nonce, a wrong
//    aud, a stale iat, a wrong typ, an alg that does not fit the key, a private key in the
//    jwk, alg none, a token without the scope, a revoked and an expired token;
//  - JWT access tokens (oauth2.access_token_format jwt) work like opaque ones;
//  - one nonce presented on 10 connections at once issues exactly one credential.

import assert from 'node:assert/strict';
import test from 'node:test';

import { Configuration, OidcApi } from '@ory/hydra-client';
import * as jose from 'jose';

import { basicAuth, exchangeCode, formBody, obtainCode } from './lib/login.mjs';
import { request, sendJson, startOidcd } from './lib/oidcd.mjs';

const REDIRECT = 'https://rp.example/vc/cb';
const VC_SCOPE = 'openid email userinfo_credential_draft_00';
const CLIENT = { id: 'vc-rp', secret: 'vc-rp-secret-0123456789abcdef' };
const USER = { username: 'holder', password: 'holder-password-0123456789' };

async function setUp(srv) {
	const c = await sendJson(`${srv.adminUrl}/admin/clients`, 'POST', {
		client_id: CLIENT.id,
		client_secret: CLIENT.secret,
		redirect_uris: [REDIRECT],
		grant_types: ['authorization_code', 'refresh_token'],
		response_types: ['code'],
		scope: 'openid profile email offline_access userinfo_credential_draft_00',
		token_endpoint_auth_method: 'client_secret_basic',
		skip_consent: true,
	});
	assert.equal(c.status, 201, `create client: ${c.text}`);
	const u = await sendJson(`${srv.adminUrl}/admin/users`, 'POST', {
		username: USER.username,
		password: USER.password,
		name: 'Holder Of Keys',
		email: 'holder@example.com',
		email_verified: true,
	});
	assert.equal(u.status, 201, `create user: ${u.text}`);
	return u.json.id;
}

/** The token response of a code flow for `scope` (asserted 200). */
async function tokensFor(srv, scope = VC_SCOPE) {
	const got = await obtainCode(srv.publicUrl, { clientId: CLIENT.id, redirectUri: REDIRECT, scope, ...USER });
	const tok = await exchangeCode(srv.publicUrl, { code: got.code, redirectUri: REDIRECT, clientId: CLIENT.id, clientSecret: CLIENT.secret, verifier: got.verifier });
	assert.equal(tok.status, 200, `code exchange: ${tok.text}`);
	return tok.json;
}

async function keyPair(alg) {
	return jose.generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
}

/** A proof JWT: header {alg, typ, jwk} signed by privateKey, claims {nonce, aud, iat} + overrides. */
async function makeProof(srv, { alg, publicKey, privateKey }, nonce, { header = {}, claims = {}, jwk } = {}) {
	const pub = jwk ?? (await jose.exportJWK(publicKey));
	const payload = { nonce, aud: srv.issuer, iat: Math.floor(Date.now() / 1000), ...claims };
	for (const k of Object.keys(payload)) if (payload[k] === undefined) delete payload[k];
	const h = { alg, typ: 'openid4vci-proof+jwt', jwk: pub, ...header };
	for (const k of Object.keys(h)) if (h[k] === undefined) delete h[k];
	return new jose.SignJWT(payload).setProtectedHeader(h).sign(privateKey);
}

function body(jwt) {
	const b = { format: 'jwt_vc_json', types: ['VerifiableCredential', 'UserInfoCredential'] };
	if (jwt !== undefined) b.proof = { proof_type: 'jwt', jwt };
	return b;
}

// The OpenAPI declares no security for createVerifiableCredential (hydra-behaviour §1.8), so
// the SDK does not send `accessToken`: the header goes in through baseOptions.
function api(srv, accessToken) {
	return new OidcApi(new Configuration({ basePath: srv.publicUrl, baseOptions: { headers: { Authorization: `Bearer ${accessToken}` } } }));
}

/** POST /credentials without the SDK: {status, json, headers}. */
function post(srv, accessToken, json) {
	return sendJson(`${srv.publicUrl}/credentials`, 'POST', json, { token: accessToken });
}

async function issuedCount(srv, subject) {
	const r = await request(`${srv.adminUrl}/admin/credentials?subject=${encodeURIComponent(subject)}`);
	assert.equal(r.status, 200, `audit listing: ${r.text}`);
	return r.json.length;
}

/** Asserts a 400 `error` carrying a fresh nonce under both names; returns the nonce. */
function assertRefused(r, error, what) {
	assert.equal(r.status, 400, `${what}: ${r.text}`);
	assert.equal(r.json.error, error, `${what}: ${r.text}`);
	assert.equal(typeof r.json.c_nonce_draft_00, 'string', `${what}: a fresh nonce`);
	assert.equal(r.json.c_nonce, r.json.c_nonce_draft_00, `${what}: the priming-response name too`);
	assert.equal(r.json.credential_draft_00, undefined, `${what}: nothing issued`);
	return r.json.c_nonce_draft_00;
}

test('discovery advertises the credential endpoint and exactly the proof algorithms', async (t) => {
	const srv = await startOidcd(t);
	const { data } = await new OidcApi(new Configuration({ basePath: srv.publicUrl })).discoverOidcConfiguration();
	assert.equal(data.credentials_endpoint_draft_00, `${srv.issuer}/credentials`);
	const [cs] = data.credentials_supported_draft_00;
	assert.equal(cs.format, 'jwt_vc_json');
	assert.deepEqual(cs.types, ['VerifiableCredential', 'UserInfoCredential']);
	assert.deepEqual(cs.cryptographic_binding_methods_supported, ['jwk']);
	for (const alg of ['ES256', 'EdDSA', 'RS256']) assert.ok(cs.cryptographic_suites_supported.includes(alg), alg);
	assert.ok(!cs.cryptographic_suites_supported.includes('none'));
	assert.ok(!cs.cryptographic_suites_supported.some((a) => a.startsWith('HS')));
	await srv.stopOk();
});

test('createVerifiableCredential: ES256, EdDSA and RS256 proofs, verified credential, did:jwk, claims by scope, audit', async (t) => {
	const srv = await startOidcd(t);
	const userId = await setUp(srv);
	const tokens = await tokensFor(srv, `${VC_SCOPE} offline_access`);
	assert.equal(typeof tokens.c_nonce_draft_00, 'string', 'the token response carries a c_nonce');
	assert.equal(tokens.c_nonce_expires_in_draft_00, 3600);
	const jwks = jose.createRemoteJWKSet(new URL(`${srv.publicUrl}/.well-known/jwks.json`));
	const oidc = api(srv, tokens.access_token);
	let nonce = tokens.c_nonce_draft_00;
	const jtis = new Set();
	for (const alg of ['ES256', 'EdDSA', 'RS256']) {
		const keys = { alg, ...(await keyPair(alg)) };
		const jwt = await makeProof(srv, keys, nonce);
		const { status, data } = await oidc.createVerifiableCredential({ createVerifiableCredentialRequestBody: body(jwt) });
		assert.equal(status, 200, alg);
		assert.equal(data.format, 'jwt_vc_json');
		const { payload, protectedHeader } = await jose.jwtVerify(data.credential_draft_00, jwks, { issuer: srv.issuer });
		assert.equal(protectedHeader.typ, 'JWT');
		assert.ok(protectedHeader.kid, 'kid');
		// did:jwk decodes back to the proof key.
		assert.ok(payload.sub.startsWith('did:jwk:'), payload.sub);
		const didJwk = JSON.parse(Buffer.from(payload.sub.slice('did:jwk:'.length), 'base64url').toString('utf8'));
		assert.equal(didJwk.d, undefined, 'no private member');
		assert.equal(await jose.calculateJwkThumbprint(didJwk), await jose.calculateJwkThumbprint(await jose.exportJWK(keys.publicKey)), `${alg}: the did is the proof key`);
		// Dated from now, not from the login (Hydra's quirk).
		const now = Math.floor(Date.now() / 1000);
		assert.ok(Math.abs(payload.iat - now) <= 60, 'iat is now');
		assert.equal(payload.nbf, payload.iat);
		assert.equal(payload.exp, payload.iat + 3600);
		assert.ok(!jtis.has(payload.jti));
		jtis.add(payload.jti);
		assert.deepEqual(payload.vc['@context'], ['https://www.w3.org/2018/credentials/v1']);
		assert.deepEqual(payload.vc.type, ['VerifiableCredential', 'UserInfoCredential']);
		const cs = payload.vc.credentialSubject;
		assert.equal(cs.id, payload.sub);
		assert.equal(cs.sub, userId);
		assert.equal(cs.email, 'holder@example.com', 'email scope: email released');
		assert.equal(cs.email_verified, true);
		assert.equal(cs.name, undefined, 'no profile scope: no name');
		assert.equal(cs.sid, undefined, 'no session internals');
		// The answer's nonce is the next one.
		assert.equal(typeof data.c_nonce_draft_00, 'string');
		nonce = data.c_nonce_draft_00;
	}
	const audit = await request(`${srv.adminUrl}/admin/credentials?subject=${encodeURIComponent(userId)}`);
	assert.equal(audit.status, 200);
	assert.equal(audit.json.length, 3);
	assert.deepEqual(new Set(audit.json.map((r) => r.jti)), jtis);
	for (const r of audit.json) {
		assert.equal(r.client_id, CLIENT.id);
		assert.equal(r.key_thumbprint.length, 43);
	}
	// The refresh grant gives its new access token a nonce too, bound to that token only.
	const refreshed = await request(`${srv.publicUrl}/oauth2/token`, {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(CLIENT.id, CLIENT.secret) },
		body: formBody({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token }),
	});
	assert.equal(refreshed.status, 200, refreshed.text);
	assert.equal(typeof refreshed.json.c_nonce_draft_00, 'string');
	const keys = { alg: 'ES256', ...(await keyPair('ES256')) };
	const other = await post(srv, tokens.access_token, body(await makeProof(srv, keys, refreshed.json.c_nonce_draft_00)));
	assertRefused(other, 'invalid_proof', "the new token's nonce at the old token");
	const mine = await api(srv, refreshed.json.access_token).createVerifiableCredential({
		createVerifiableCredentialRequestBody: body(await makeProof(srv, keys, refreshed.json.c_nonce_draft_00)),
	});
	assert.equal(mine.status, 200);
	await srv.stopOk();
});

test('priming: no proof → 400 invalid_request with a nonce that works (SDK sees VerifiableCredentialPrimingResponse)', async (t) => {
	const srv = await startOidcd(t);
	await setUp(srv);
	const tokens = await tokensFor(srv);
	const oidc = api(srv, tokens.access_token);
	const err = await oidc.createVerifiableCredential({ createVerifiableCredentialRequestBody: body() }).then(
		() => assert.fail('a request without a proof must fail'),
		(e) => e,
	);
	assert.equal(err.response.status, 400);
	const priming = err.response.data;
	assert.equal(priming.error, 'invalid_request');
	assert.equal(typeof priming.c_nonce, 'string');
	assert.equal(priming.c_nonce_expires_in, 3600);
	assert.equal(priming.c_nonce_draft_00, priming.c_nonce);
	const keys = { alg: 'ES256', ...(await keyPair('ES256')) };
	const { status } = await oidc.createVerifiableCredential({ createVerifiableCredentialRequestBody: body(await makeProof(srv, keys, priming.c_nonce)) });
	assert.equal(status, 200);
	await srv.stopOk();
});

test('refusals: each the right 4xx, and nothing issued', async (t) => {
	const srv = await startOidcd(t);
	const userId = await setUp(srv);
	const tokens = await tokensFor(srv);
	const at = tokens.access_token;
	const es = { alg: 'ES256', ...(await keyPair('ES256')) };
	const rsa = { alg: 'RS256', ...(await keyPair('RS256')) };
	let nonce = tokens.c_nonce_draft_00;

	// One good credential, then its nonce again.
	const good = await makeProof(srv, es, nonce);
	let r = await post(srv, at, body(good));
	assert.equal(r.status, 200, r.text);
	nonce = r.json.c_nonce_draft_00;
	r = await post(srv, at, body(good));
	nonce = assertRefused(r, 'invalid_proof', 'nonce reuse');
	assert.equal(await issuedCount(srv, userId), 1);

	const cases = [
		['wrong nonce', () => makeProof(srv, es, 'not-a-nonce-we-gave')],
		['wrong aud', () => makeProof(srv, es, nonce, { claims: { aud: 'https://wallet.example' } })],
		['stale iat', () => makeProof(srv, es, nonce, { claims: { iat: Math.floor(Date.now() / 1000) - 600 } })],
		['wrong typ', () => makeProof(srv, es, nonce, { header: { typ: 'JWT' } })],
		// RSA signature, EC key in the header.
		['alg/key mismatch', async () => makeProof(srv, rsa, nonce, { jwk: await jose.exportJWK(es.publicKey) })],
		['private key in jwk', async () => makeProof(srv, es, nonce, { jwk: await jose.exportJWK(es.privateKey) })],
		[
			'alg none',
			async () => {
				const h = Buffer.from(JSON.stringify({ alg: 'none', typ: 'openid4vci-proof+jwt', jwk: await jose.exportJWK(es.publicKey) })).toString('base64url');
				const p = Buffer.from(JSON.stringify({ nonce, aud: srv.issuer, iat: Math.floor(Date.now() / 1000) })).toString('base64url');
				return `${h}.${p}.`;
			},
		],
		// Signed by another key than the header's.
		['foreign signature', async () => makeProof(srv, { alg: 'ES256', privateKey: (await keyPair('ES256')).privateKey }, nonce, { jwk: await jose.exportJWK(es.publicKey) })],
	];
	for (const [what, make] of cases) {
		r = await post(srv, at, body(await make()));
		nonce = assertRefused(r, 'invalid_proof', what);
	}
	r = await post(srv, at, { ...body(await makeProof(srv, es, nonce)), format: 'ldp_vc' });
	nonce = assertRefused(r, 'unsupported_credential_format', 'format');
	r = await post(srv, at, { ...body(await makeProof(srv, es, nonce)), types: ['Passport'] });
	nonce = assertRefused(r, 'unsupported_credential_type', 'types');
	r = await post(srv, at, '{"format":');
	nonce = assertRefused(r, 'invalid_request', 'malformed body');
	assert.equal(await issuedCount(srv, userId), 1, 'no refusal issued anything');

	// A refused proof did not use the nonce up.
	r = await post(srv, at, body(await makeProof(srv, es, nonce)));
	assert.equal(r.status, 200, r.text);

	// Without the scope: 403 insufficient_scope (Hydra does not check).
	const bare = await tokensFor(srv, 'openid email');
	assert.equal(bare.c_nonce_draft_00, undefined, 'no c_nonce without the scope');
	r = await post(srv, bare.access_token, body(await makeProof(srv, es, nonce)));
	assert.equal(r.status, 403, r.text);
	assert.equal(r.json.error, 'insufficient_scope');
	assert.match(r.headers['www-authenticate'], /insufficient_scope/);

	// No token, an unknown one, and a revoked one: 401 invalid_token.
	r = await post(srv, undefined, body(await makeProof(srv, es, nonce)));
	assert.equal(r.status, 401, r.text);
	r = await post(srv, 'oidcd_at_unknown', body(await makeProof(srv, es, nonce)));
	assert.equal(r.status, 401, r.text);
	const rev = await request(`${srv.publicUrl}/oauth2/revoke`, {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(CLIENT.id, CLIENT.secret) },
		body: formBody({ token: at }),
	});
	assert.equal(rev.status, 200, rev.text);
	r = await post(srv, at, body(await makeProof(srv, es, nonce)));
	assert.equal(r.status, 401, r.text);
	assert.equal(r.json.error, 'invalid_token');
	assert.equal(await issuedCount(srv, userId), 2);
	await srv.stopOk();
});

test('an expired access token gets 401 and no credential', async (t) => {
	const srv = await startOidcd(t, { args: ['--set', 'ttl.access_token=1s'] });
	const userId = await setUp(srv);
	const tokens = await tokensFor(srv);
	const es = { alg: 'ES256', ...(await keyPair('ES256')) };
	// Wait for the expiry itself (bounded), as /userinfo sees it: no fixed sleep.
	const deadline = Date.now() + 10000;
	for (;;) {
		const u = await request(`${srv.publicUrl}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
		if (u.status === 401) break;
		assert.ok(Date.now() < deadline, 'the 1 s access token expires');
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
	const r = await post(srv, tokens.access_token, body(await makeProof(srv, es, tokens.c_nonce_draft_00)));
	assert.equal(r.status, 401, r.text);
	assert.equal(r.json.error, 'invalid_token');
	assert.equal(await issuedCount(srv, userId), 0);
	await srv.stopOk();
});

test('JWT access tokens (oauth2.access_token_format jwt) get nonces and credentials too', async (t) => {
	const srv = await startOidcd(t, { args: ['--set', 'oauth2.access_token_format=jwt'] });
	const userId = await setUp(srv);
	const tokens = await tokensFor(srv);
	assert.equal(tokens.access_token.split('.').length, 3, 'a JWT access token');
	assert.equal(typeof tokens.c_nonce_draft_00, 'string');
	const keys = { alg: 'EdDSA', ...(await keyPair('EdDSA')) };
	const { status, data } = await api(srv, tokens.access_token).createVerifiableCredential({
		createVerifiableCredentialRequestBody: body(await makeProof(srv, keys, tokens.c_nonce_draft_00)),
	});
	assert.equal(status, 200);
	assert.equal(jose.decodeJwt(data.credential_draft_00).vc.credentialSubject.sub, userId);
	await srv.stopOk();
});

test('one nonce on 10 connections at once → exactly one credential, nine invalid_proof', async (t) => {
	const srv = await startOidcd(t);
	const userId = await setUp(srv);
	const tokens = await tokensFor(srv);
	const proofs = [];
	for (let i = 0; i < 10; i++) {
		const keys = { alg: 'ES256', ...(await keyPair('ES256')) };
		proofs.push(await makeProof(srv, keys, tokens.c_nonce_draft_00));
	}
	const answers = await Promise.all(proofs.map((jwt) => post(srv, tokens.access_token, body(jwt))));
	const ok = answers.filter((r) => r.status === 200);
	assert.equal(ok.length, 1, answers.map((r) => `${r.status} ${r.json?.error ?? ''}`).join(', '));
	for (const r of answers.filter((x) => x.status !== 200)) assertRefused(r, 'invalid_proof', 'a loser of the race');
	assert.equal(await issuedCount(srv, userId), 1);
	await srv.stopOk();
});
