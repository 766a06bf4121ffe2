#!/usr/bin/env node
// bench/refresh_tokens.mjs — a pool of independent refresh tokens for the refresh-token
// grant measurement of bench/run.sh.
//
// Refresh tokens rotate (RFC 6749 §6, issue 5): each one works once, and presenting a used one
// revokes its whole family. So wrk cannot repeat one request: bench/run.sh's Lua script starts
// every connection on a token of this pool and then follows each chain, presenting the refresh
// token the previous answer carried. The pool only has to cover the connections of every run
// (with a margin), not every request.
//
// Creates a user and a confidential client (client_secret_basic with a secret oidcd generates:
// an HMAC check per request; an admin-chosen secret would be an scrypt hash and measure scrypt),
// logs in once (lib/login.mjs, no browser), then runs COUNT authorization code flows on that
// session (skip_consent, PKCE) with a few in parallel and exchanges each code. Prints
// "CLIENT_ID CLIENT_SECRET" on the first line, then one refresh token per line; nothing else on
// standard output. Exits 1 with the reason on standard error when any step fails.
//
// Usage: node bench/refresh_tokens.mjs PUBLIC_URL ADMIN_URL COUNT [SCOPE]
//   SCOPE defaults to "openid offline_access" (an ID token is signed on every refresh, as an
//   OpenID RP gets it). Only node built-ins are used; only 127.0.0.1 URLs are accepted.

import crypto from 'node:crypto';

import { CookieJar, exchangeCode, obtainCode } from '../tests/integration/lib/login.mjs';
import { sendJson } from '../tests/integration/lib/oidcd.mjs';

const [publicUrl, adminUrl, countArg, scopeArg] = process.argv.slice(2);
const PARALLEL = 8;

async function main() {
	const count = Number(countArg);
	if (!publicUrl || !adminUrl || !Number.isInteger(count) || count < 1) {
		throw new Error('usage: node bench/refresh_tokens.mjs PUBLIC_URL ADMIN_URL COUNT [SCOPE]');
	}
	for (const u of [publicUrl, adminUrl]) {
		if (new URL(u).hostname !== '127.0.0.1') throw new Error(`${u}: only 127.0.0.1 is benchmarked`);
	}
	const scope = scopeArg || 'openid offline_access';
	const suffix = crypto.randomBytes(4).toString('hex');
	const username = `bench-rt-${suffix}`;
	const password = crypto.randomBytes(18).toString('base64url');
	const clientId = `bench-refresh-${suffix}`;
	const redirectUri = 'https://bench.example/refresh/cb';

	const user = await sendJson(`${adminUrl}/admin/users`, 'POST', { username, password, name: 'Bench Refresh' });
	if (user.status !== 201) throw new Error(`POST /admin/users: ${user.status} ${user.text}`);
	const client = await sendJson(`${adminUrl}/admin/clients`, 'POST', {
		client_id: clientId,
		client_name: 'bench refresh',
		redirect_uris: [redirectUri],
		grant_types: ['authorization_code', 'refresh_token'],
		response_types: ['code'],
		scope,
		token_endpoint_auth_method: 'client_secret_basic',
		skip_consent: true,
	});
	if (client.status !== 201 || typeof client.json?.client_secret !== 'string') {
		throw new Error(`POST /admin/clients: ${client.status} ${client.text}`);
	}
	const clientSecret = client.json.client_secret;

	const jar = new CookieJar();
	const tokens = [];
	const one = async () => {
		const got = await obtainCode(publicUrl, { clientId, redirectUri, scope, username, password, jar });
		const tok = await exchangeCode(publicUrl, { code: got.code, redirectUri, clientId, clientSecret, verifier: got.verifier });
		if (tok.status !== 200 || typeof tok.json?.refresh_token !== 'string') {
			throw new Error(`POST /oauth2/token (authorization_code): ${tok.status} ${tok.text}`);
		}
		tokens.push(tok.json.refresh_token);
	};
	await one(); // logs in; the others reuse the session
	let started = 1;
	await Promise.all(
		Array.from({ length: PARALLEL }, async () => {
			while (started < count) {
				started++;
				await one();
			}
		}),
	);
	process.stdout.write(`${clientId} ${clientSecret}\n${tokens.join('\n')}\n`);
}

main().catch((e) => {
	process.stderr.write(`bench/refresh_tokens.mjs: ${e.message}\n`);
	process.exit(1);
});
