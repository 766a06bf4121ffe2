// tests/integration/container_flow.mjs — a code flow against the oidcd container (tests/container/test.sh):
// a user and a client through the admin API, the login and consent pages driven over HTTP
// (tests/integration/lib/login.mjs), the code exchange, the ID token verified against the
// container's JWKS with jose, and /userinfo. Usage: node flow.mjs <public URL> <admin URL>.
// Exits non-zero with the reason on any failure.

import assert from 'node:assert/strict';

import { createRemoteJWKSet, jwtVerify } from 'jose';
import { exchangeCode, obtainCode } from './lib/login.mjs';
import { request, sendJson } from './lib/oidcd.mjs';

const [publicUrl, adminUrl] = process.argv.slice(2);
const redirectUri = 'http://127.0.0.1:9/cb';
const user = { username: 'container-user', password: 'container password 0123456789', name: 'Container User', email: 'c@example.com' };

const u = await sendJson(`${adminUrl}/admin/users`, 'POST', user);
assert.equal(u.status, 201, `create user: ${u.text}`);
const c = await sendJson(`${adminUrl}/admin/clients`, 'POST', {
	client_id: 'container-rp',
	client_secret: 'container-rp-secret-0123456789',
	redirect_uris: [redirectUri],
	grant_types: ['authorization_code'],
	response_types: ['code'],
	scope: 'openid profile email',
	token_endpoint_auth_method: 'client_secret_basic',
});
assert.equal(c.status, 201, `create client: ${c.text}`);

const code = await obtainCode(publicUrl, { clientId: 'container-rp', redirectUri, scope: 'openid profile email', username: user.username, password: user.password });
const tok = await exchangeCode(publicUrl, { code: code.code, redirectUri, clientId: 'container-rp', clientSecret: 'container-rp-secret-0123456789', verifier: code.verifier });
assert.equal(tok.status, 200, `token: ${tok.text}`);
const jwks = createRemoteJWKSet(new URL(`${publicUrl}/.well-known/jwks.json`));
const { payload } = await jwtVerify(tok.json.id_token, jwks, { issuer: publicUrl, audience: 'container-rp' });
assert.equal(payload.sub, u.json.id);
assert.equal(payload.nonce, code.nonce);
const info = await request(`${publicUrl}/userinfo`, { headers: { authorization: `Bearer ${tok.json.access_token}` } });
assert.equal(info.status, 200, info.text);
assert.equal(info.json.email, user.email);
console.log(`container test: code flow ok (pages: ${code.pages.join(', ')}; sub ${payload.sub})`);
