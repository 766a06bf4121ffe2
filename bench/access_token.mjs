#!/usr/bin/env node
// bench/access_token.mjs — an access token for the GET /userinfo measurement of bench/run.sh.
//
// Creates a user and a confidential client (client_secret_basic, skip_consent) through the
// admin API, runs the authorization code flow without a browser (login form with its csrf
// field and cookie, PKCE; tests/integration/lib/login.mjs), exchanges the code at
// /oauth2/token and prints the access token on standard output, nothing else. Exits 1 with
// the reason on standard error when any step fails.
//
// Usage: node bench/access_token.mjs PUBLIC_URL ADMIN_URL
// Only node built-ins are used (no npm install needed). Only loopback URLs are accepted.

import crypto from 'node:crypto';

import { exchangeCode, obtainCode } from '../tests/integration/lib/login.mjs';
import { sendJson } from '../tests/integration/lib/oidcd.mjs';

const [publicUrl, adminUrl] = process.argv.slice(2);

async function main() {
	if (!publicUrl || !adminUrl) throw new Error('usage: node bench/access_token.mjs PUBLIC_URL ADMIN_URL');
	for (const u of [publicUrl, adminUrl]) {
		if (new URL(u).hostname !== '127.0.0.1') throw new Error(`${u}: only 127.0.0.1 is benchmarked`);
	}
	const suffix = crypto.randomBytes(4).toString('hex');
	const username = `bench-${suffix}`;
	const password = crypto.randomBytes(18).toString('base64url');
	const clientId = `bench-userinfo-${suffix}`;
	const clientSecret = crypto.randomBytes(24).toString('base64url');
	const redirectUri = 'https://bench.example/cb';
	const scope = 'openid profile email';

	const user = await sendJson(`${adminUrl}/admin/users`, 'POST', {
		username,
		password,
		name: 'Bench User',
		given_name: 'Bench',
		family_name: 'User',
		email: `${username}@example.com`,
		email_verified: true,
	});
	if (user.status !== 201) throw new Error(`POST /admin/users: ${user.status} ${user.text}`);
	const client = await sendJson(`${adminUrl}/admin/clients`, 'POST', {
		client_id: clientId,
		client_secret: clientSecret,
		client_name: 'bench userinfo',
		redirect_uris: [redirectUri],
		grant_types: ['authorization_code'],
		response_types: ['code'],
		scope,
		token_endpoint_auth_method: 'client_secret_basic',
		skip_consent: true,
	});
	if (client.status !== 201) throw new Error(`POST /admin/clients: ${client.status} ${client.text}`);

	const got = await obtainCode(publicUrl, { clientId, redirectUri, scope, username, password });
	const tok = await exchangeCode(publicUrl, { code: got.code, redirectUri, clientId, clientSecret, verifier: got.verifier });
	if (tok.status !== 200 || typeof tok.json?.access_token !== 'string') {
		throw new Error(`POST /oauth2/token (authorization_code): ${tok.status} ${tok.text}`);
	}
	process.stdout.write(`${tok.json.access_token}\n`);
}

main().catch((e) => {
	process.stderr.write(`bench/access_token.mjs: ${e.message}\n`);
	process.exit(1);
});
