#!/usr/bin/env node
// bench/credentials.mjs — pre-made POST /credentials requests for the credential-issuance
// measurement of bench/run.sh (issue 7).
//
// A nonce works once (single use, bound to the access token), so wrk cannot repeat one
// request, and Lua cannot sign a proof. This script therefore makes them all beforehand:
// creates a user and a client with the userinfo_credential_draft_00 scope, runs the code flow
// once (lib/login.mjs, no browser) for an access token, collects COUNT nonces (the token
// response's, then priming requests: each answers 400 with a fresh nonce) and signs one
// ES256 proof per nonce with one holder key (aud = the issuer, no iat). Prints the access
// token on the first line, then one JSON request body per line; nothing else on standard
// output. Exits 1 with the reason on standard error when any step fails.
//
// Usage: node bench/credentials.mjs PUBLIC_URL ADMIN_URL COUNT
//   Only 127.0.0.1 URLs are accepted.

import crypto from 'node:crypto';
import http from 'node:http';

import { exchangeCode, obtainCode } from '../tests/integration/lib/login.mjs';
import { request, sendJson } from '../tests/integration/lib/oidcd.mjs';

const [publicUrl, adminUrl, countArg] = process.argv.slice(2);
const PARALLEL = 8;
const SCOPE = 'openid email userinfo_credential_draft_00';

function b64(obj) {
	return Buffer.from(JSON.stringify(obj)).toString('base64url');
}

async function main() {
	const count = Number(countArg);
	if (!publicUrl || !adminUrl || !Number.isInteger(count) || count < 1) {
		throw new Error('usage: node bench/credentials.mjs PUBLIC_URL ADMIN_URL COUNT');
	}
	for (const u of [publicUrl, adminUrl]) {
		if (new URL(u).hostname !== '127.0.0.1') throw new Error(`${u}: only 127.0.0.1 is benchmarked`);
	}
	const suffix = crypto.randomBytes(4).toString('hex');
	const username = `bench-vc-${suffix}`;
	const password = crypto.randomBytes(18).toString('base64url');
	const clientId = `bench-vc-${suffix}`;
	const redirectUri = 'https://bench.example/vc/cb';

	const user = await sendJson(`${adminUrl}/admin/users`, 'POST', { username, password, name: 'Bench Holder', email: 'holder@bench.example' });
	if (user.status !== 201) throw new Error(`POST /admin/users: ${user.status} ${user.text}`);
	const client = await sendJson(`${adminUrl}/admin/clients`, 'POST', {
		client_id: clientId,
		redirect_uris: [redirectUri],
		grant_types: ['authorization_code'],
		response_types: ['code'],
		scope: SCOPE,
		token_endpoint_auth_method: 'client_secret_basic',
		skip_consent: true,
	});
	if (client.status !== 201) throw new Error(`POST /admin/clients: ${client.status} ${client.text}`);
	const got = await obtainCode(publicUrl, { clientId, redirectUri, scope: SCOPE, username, password });
	const tok = await exchangeCode(publicUrl, { code: got.code, redirectUri, clientId, clientSecret: client.json.client_secret, verifier: got.verifier });
	if (tok.status !== 200 || typeof tok.json?.c_nonce_draft_00 !== 'string') {
		throw new Error(`POST /oauth2/token: ${tok.status} ${tok.text}`);
	}
	const accessToken = tok.json.access_token;

	// Nonces: the token response's, then one per priming request.
	const nonces = [tok.json.c_nonce_draft_00];
	const agent = new http.Agent({ keepAlive: true, maxSockets: PARALLEL });
	const priming = JSON.stringify({ format: 'jwt_vc_json' });
	await Promise.all(
		Array.from({ length: PARALLEL }, async () => {
			while (nonces.length < count) {
				const slot = nonces.length;
				nonces.push(null); // reserve the slot before awaiting
				const r = await request(`${publicUrl}/credentials`, {
					method: 'POST',
					headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
					body: priming,
					agent,
				});
				if (r.status !== 400 || typeof r.json?.c_nonce_draft_00 !== 'string') {
					throw new Error(`priming POST /credentials: ${r.status} ${r.text}`);
				}
				nonces[slot] = r.json.c_nonce_draft_00;
			}
		}),
	);
	agent.destroy();

	// One holder key, one ES256 proof per nonce (node:crypto: IEEE P1363 is JWS's r||s).
	const { publicKey, privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
	const jwk = publicKey.export({ format: 'jwk' });
	const header = b64({ alg: 'ES256', typ: 'openid4vci-proof+jwt', jwk });
	// No iat: the runs may last longer than its 5-minute window.
	const disc = await request(`${publicUrl}/.well-known/openid-configuration`);
	const issuer = disc.json?.issuer;
	if (typeof issuer !== 'string') throw new Error(`discovery: ${disc.status} ${disc.text}`);
	const lines = [accessToken];
	for (const nonce of nonces) {
		const input = `${header}.${b64({ nonce, aud: issuer })}`;
		const sig = crypto.sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
		lines.push(JSON.stringify({ format: 'jwt_vc_json', types: ['VerifiableCredential', 'UserInfoCredential'], proof: { proof_type: 'jwt', jwt: `${input}.${sig}` } }));
	}
	process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((e) => {
	process.stderr.write(`bench/credentials.mjs: ${e.message}\n`);
	process.exit(1);
});
