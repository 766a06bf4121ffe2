// private_key_jwt client authentication (RFC 7523 §2.2, §3; OIDC Core §9) against the built
// binary: assertions signed with `jose` for clients registered through POST /admin/clients
// with an inline jwks, and with a jwks_uri served by a local https server (trusted through
// http_client.ca_file) that rotates its key; replay, audience and method rules; /oauth2/revoke
// through the same client authentication.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { test } from 'node:test';
import * as jose from 'jose';

import { request, selfSignedCert, sendJson, startHttpsServer, startOidcd, tempDir } from './lib/oidcd.mjs';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

function form(params) {
	return new URLSearchParams(params).toString();
}

async function keyPair(alg, kid) {
	const { privateKey, publicKey } = await jose.generateKeyPair(alg, { extractable: true });
	const jwk = { ...(await jose.exportJWK(publicKey)), kid, alg, use: 'sig' };
	return { alg, kid, privateKey, jwk };
}

/** A signed client assertion; `claims` override the defaults, undefined values are left out. */
async function assertion(key, clientId, aud, claims = {}) {
	const now = Math.floor(Date.now() / 1000);
	const body = { iss: clientId, sub: clientId, aud, iat: now, exp: now + 60, jti: crypto.randomUUID(), ...claims };
	for (const k of Object.keys(body)) if (body[k] === undefined) delete body[k];
	const header = { alg: key.alg };
	if (key.kid) header.kid = key.kid;
	return new jose.SignJWT(body).setProtectedHeader(header).sign(key.privateKey);
}

async function token(srv, jwt, extra = {}) {
	return request(`${srv.publicUrl}/oauth2/token`, {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded' },
		body: form({ grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE, client_assertion: jwt, ...extra }),
	});
}

async function createClient(srv, id, meta) {
	const res = await sendJson(`${srv.adminUrl}/admin/clients`, 'POST', {
		client_id: id,
		grant_types: ['client_credentials'],
		response_types: [],
		scope: 'api.read',
		token_endpoint_auth_method: 'private_key_jwt',
		...meta,
	});
	assert.equal(res.status, 201, `create ${id}: ${res.text}`);
	return res.json;
}

function assertInvalidClient(res, what) {
	assert.equal(res.status, 401, `${what}: ${res.text}`);
	assert.equal(res.json?.error, 'invalid_client', `${what}: ${res.text}`);
}

test('private_key_jwt with a registered jwks: ES256 and RS256, replay, audience, claims', async (t) => {
	const srv = await startOidcd(t);
	const tokenEndpoint = `${srv.issuer}/oauth2/token`;
	const es = await keyPair('ES256', 'es-1');
	const rs = await keyPair('RS256', 'rs-1');
	await createClient(srv, 'pkjwt-es', { jwks: { keys: [es.jwk] } });
	await createClient(srv, 'pkjwt-rs', { jwks: { keys: [rs.jwk] } });

	const disc = (await request(`${srv.publicUrl}/.well-known/openid-configuration`)).json;
	assert.ok(disc.token_endpoint_auth_methods_supported.includes('private_key_jwt'));
	assert.equal(disc.token_endpoint, tokenEndpoint);

	const jwt = await assertion(es, 'pkjwt-es', tokenEndpoint);
	let res = await token(srv, jwt);
	assert.equal(res.status, 200, res.text);
	assert.equal(typeof res.json.access_token, 'string');

	// RFC 7523 §3 item 7: the same assertion again is refused.
	assertInvalidClient(await token(srv, jwt), 'replayed assertion');

	res = await token(srv, await assertion(rs, 'pkjwt-rs', srv.issuer), { client_id: 'pkjwt-rs' });
	assert.equal(res.status, 200, `RS256 with the issuer as aud and client_id in the body: ${res.text}`);
	res = await token(srv, await assertion(rs, 'pkjwt-rs', [srv.issuer, 'https://other.example']));
	assert.equal(res.status, 200, `aud as an array: ${res.text}`);

	assertInvalidClient(await token(srv, await assertion(es, 'pkjwt-es', 'https://other.example/oauth2/token')), 'wrong aud');
	const past = Math.floor(Date.now() / 1000) - 600;
	assertInvalidClient(await token(srv, await assertion(es, 'pkjwt-es', tokenEndpoint, { iat: past - 60, exp: past })), 'expired');
	assertInvalidClient(await token(srv, await assertion(es, 'pkjwt-es', tokenEndpoint, { jti: undefined })), 'no jti');
	assertInvalidClient(await token(srv, await assertion(es, 'pkjwt-es', tokenEndpoint, { sub: 'pkjwt-rs' })), 'sub other than iss');
	// Signed by another client's key under this client's name.
	assertInvalidClient(await token(srv, await assertion(rs, 'pkjwt-es', tokenEndpoint)), 'another key');
	// alg none, and HS256 keyed with anything, are never accepted.
	const none = new jose.UnsecuredJWT({ iss: 'pkjwt-es', sub: 'pkjwt-es', aud: tokenEndpoint, exp: past + 1200, jti: 'n' }).encode();
	assertInvalidClient(await token(srv, none), 'alg none');
	const hs = await new jose.SignJWT({ iss: 'pkjwt-es', sub: 'pkjwt-es', aud: tokenEndpoint, exp: past + 1200, jti: 'h' })
		.setProtectedHeader({ alg: 'HS256', kid: 'es-1' })
		.sign(new TextEncoder().encode('x'.repeat(32)));
	assertInvalidClient(await token(srv, hs), 'HS256');
	// A client_id in the body must be the assertion's iss.
	res = await token(srv, await assertion(es, 'pkjwt-es', tokenEndpoint), { client_id: 'pkjwt-rs' });
	assert.ok(res.status === 400 || res.status === 401, res.text);

	// POST /oauth2/revoke authenticates the same way (RFC 7009 §2.1).
	const at = (await token(srv, await assertion(es, 'pkjwt-es', tokenEndpoint))).json.access_token;
	const revoke = (jwt2) =>
		request(`${srv.publicUrl}/oauth2/revoke`, {
			method: 'POST',
			headers: { 'content-type': 'application/x-www-form-urlencoded' },
			body: form({ token: at, client_assertion_type: ASSERTION_TYPE, client_assertion: jwt2 }),
		});
	const revJwt = await assertion(es, 'pkjwt-es', tokenEndpoint);
	res = await revoke(revJwt);
	assert.equal(res.status, 200, `revoke: ${res.text}`);
	assertInvalidClient(await revoke(revJwt), 'revoke with a replayed assertion');
	await srv.stopOk();
});

test('private_key_jwt with a jwks_uri: fetched over https, cached, refetched for a new kid', async (t) => {
	const dir = await tempDir(t);
	const tls = await selfSignedCert(dir);
	const k1 = await keyPair('ES256', 'k1');
	const k2 = await keyPair('ES256', 'k2');
	let served = { keys: [k1.jwk] };
	let fetches = 0;
	const jwksServer = await startHttpsServer(t, tls, (req, res) => {
		fetches++;
		res.writeHead(200, { 'content-type': 'application/json' });
		res.end(JSON.stringify(served));
	});
	const srv = await startOidcd(t, { dir, args: ['--set', `http_client.ca_file=${tls.certPath}`] });
	const tokenEndpoint = `${srv.issuer}/oauth2/token`;
	await createClient(srv, 'pkjwt-uri', { jwks_uri: `${jwksServer.url}/jwks.json` });
	const fetchesAtStart = fetches;

	let res = await token(srv, await assertion(k1, 'pkjwt-uri', tokenEndpoint));
	assert.equal(res.status, 200, res.text);
	res = await token(srv, await assertion(k1, 'pkjwt-uri', tokenEndpoint));
	assert.equal(res.status, 200, res.text);
	assert.equal(fetches - fetchesAtStart, 1, 'the JWK Set is fetched once, then cached');

	// Key rotation: the client now publishes k2 only. An assertion signed with k2 names a
	// kid the cached set lacks, so the set is fetched again once.
	served = { keys: [k2.jwk] };
	res = await token(srv, await assertion(k2, 'pkjwt-uri', tokenEndpoint));
	assert.equal(res.status, 200, `after rotation: ${res.text}`);
	assert.equal(fetches - fetchesAtStart, 2, 'one refetch for the unknown kid');
	// The retired key is gone from the (refreshed) cache.
	assertInvalidClient(await token(srv, await assertion(k1, 'pkjwt-uri', tokenEndpoint)), 'retired key');

	// A kid nobody publishes: one refetch, then invalid_client.
	const k3 = await keyPair('ES256', 'k3');
	assertInvalidClient(await token(srv, await assertion(k3, 'pkjwt-uri', tokenEndpoint)), 'unknown kid');
	await srv.stopOk();
});
