// multi_instance.test.mjs — two oidcd processes, A and B, on ONE PostgreSQL database, as
// behind a load balancer (issue 10, "Tests"). Runs only when OIDCD_TEST_PG names a running
// cluster (scripts/pg.sh start DIR); skipped otherwise.
//
// Both instances get the same secrets.system (it keys the stored token hashes and encrypts
// the signing keys at rest), the same issuer (standing for the load balancer's address: A's
// own, so that every URL oidcd builds from it stays reachable) and the same configuration.
// Covered, each on a fresh database:
//  - register on A (RFC 7591), then read, update and delete the client on B (RFC 7592), A
//    seeing each change;
//  - log in through A, then authorize through B with the same session cookie (no login page,
//    same auth_time), every hop staying on B; a code issued by A redeemed at B, and then
//    refused at A (single use across instances); B's code redeemed at A; tokens from one
//    instance accepted at the other's /userinfo;
//  - one refresh token presented to A and B at once (10 connections, alternating): at most
//    one success, the rest invalid_grant, and the family revoked on both instances (the
//    winner's new refresh token refused, its access token 401 at /userinfo), as the
//    single-instance refresh_race.test.mjs asserts;
//  - `oidcd keys rotate` on A's database: B publishes the new key at /.well-known/jwks.json
//    within keys.refresh_interval (1s here; polled, bounded wait, never timed);
//  - a logout on A with back-channel RPs whose first attempts fail: both instances run the
//    outbox (B is started while the deliveries are pending, so both wake for the same due
//    rows) and each logout token arrives exactly once (counted after both have stopped).

import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import test from 'node:test';

import * as jose from 'jose';

import { basicAuth, exchangeCode, formBody, obtainCode } from './lib/login.mjs';
import { getJson, pgDatabase, pgOnly, raceTokenRequests, request, runOidcd, sendJson, startOidcd, tempDir } from './lib/oidcd.mjs';

const SKIP = pgOnly('two oidcd processes on one PostgreSQL database');
const SECRET = 'multi-instance-secret-0123456789abcdef';
const REDIRECT = 'https://rp.example/multi/cb';
const SCOPE = 'openid profile email offline_access';
const WAIT_MS = 30000; const EVENT = 'http://schemas.openid.net/event/backchannel-logout';

function sleep(ms) {
	return new Promise((r) => setTimeout(r, ms));
}

/** Polls fn until it returns a truthy value; throws after WAIT_MS naming what. */
async function eventually(fn, what) {
	const deadline = Date.now() + WAIT_MS;
	for (;;) {
		const v = await fn();
		if (v) return v;
		if (Date.now() > deadline) throw new Error(`timed out after ${WAIT_MS} ms waiting for ${what}`);
		await sleep(100);
	}
}

/** A free loopback port (for A's listener, so the shared issuer can name it before A starts). */
function freePort() {
	return new Promise((resolve, reject) => {
		const s = net.createServer();
		s.once('error', reject);
		s.listen(0, '127.0.0.1', () => {
			const { port } = s.address();
			s.close(() => resolve(port));
		});
	});
}

/**
 * Instance A on one fresh database, and a function starting B (or any further instance) on
 * the same database with the same secret, issuer and `args`. Resolves {a, startB, db, issuer}.
 */
async function startA(t, args = []) {
	const dir = await tempDir(t);
	const db = await pgDatabase(path.join(dir, 'shared.db'));
	const port = await freePort();
	const issuer = `http://127.0.0.1:${port}`;
	const common = ['--set', `issuer=${issuer}`, ...args];
	const a = await startOidcd(t, { dir, db, secret: SECRET, listen: `127.0.0.1:${port}`, args: common });
	assert.equal(a.issuer, issuer, 'A runs with the shared issuer');
	const startB = async () => {
		const b = await startOidcd(t, { dir, db, secret: SECRET, args: common });
		assert.equal(b.issuer, issuer, 'B runs with the shared issuer');
		assert.notEqual(b.publicPort, a.publicPort);
		return b;
	};
	return { a, startB, db, issuer };
}

async function startPair(t, args = []) {
	const p = await startA(t, args);
	return { ...p, b: await p.startB() };
}

/** A confidential client with the code and refresh grants, created through srv's admin API. */
async function createClient(srv, id, extra = {}) {
	const secret = `${id}-secret-0123456789abcdef`;
	const res = await sendJson(`${srv.adminUrl}/admin/clients`, 'POST', {
		client_id: id,
		client_secret: secret,
		redirect_uris: [REDIRECT],
		grant_types: ['authorization_code', 'refresh_token'],
		response_types: ['code'],
		scope: SCOPE,
		token_endpoint_auth_method: 'client_secret_basic',
		skip_consent: true,
		...extra,
	});
	assert.equal(res.status, 201, `create client ${id}: ${res.text}`);
	return { id, secret };
}

async function createUser(srv) {
	const user = { username: 'multi-user', password: 'multi-password-0123456789' };
	const res = await sendJson(`${srv.adminUrl}/admin/users`, 'POST', { ...user, name: 'Multi Instance', email: 'multi@example.com', email_verified: true });
	assert.equal(res.status, 201, `create user: ${res.text}`);
	return user;
}

function refresh(srv, client, refreshToken) {
	return request(`${srv.publicUrl}/oauth2/token`, {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(client.id, client.secret) },
		body: formBody({ grant_type: 'refresh_token', refresh_token: refreshToken }),
	});
}

function userinfo(srv, accessToken) {
	return request(`${srv.publicUrl}/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } });
}

function assertInvalidGrant(res, what) {
	assert.equal(res.status, 400, `${what}: status 400 (${res.text})`);
	assert.equal(res.json?.error, 'invalid_grant', `${what}: invalid_grant (${res.text})`);
}

/** Verifies an ID token against srv's JWKS; resolves its payload. */
async function verifyIdToken(srv, idToken, { issuer, clientId, nonce }) {
	const jwks = jose.createRemoteJWKSet(new URL(`${srv.publicUrl}/.well-known/jwks.json`));
	const { payload } = await jose.jwtVerify(idToken, jwks, { issuer, audience: clientId });
	if (nonce !== undefined) assert.equal(payload.nonce, nonce, 'nonce');
	return payload;
}

/** The kids srv publishes now. */
async function kids(srv) {
	const { body } = await getJson(`${srv.publicUrl}/.well-known/jwks.json`);
	return body.keys.map((k) => k.kid);
}

/**
 * A back-channel logout receiver on 127.0.0.1: records every POST; answers 503 while `down`
 * is true, else 200 with Cache-Control: no-store.
 */
async function startBackchannelRp(t) {
	const rp = { posts: [], refused: 0, down: false };
	const server = http.createServer((req, res) => {
		const chunks = [];
		req.on('data', (c) => chunks.push(c));
		req.on('end', () => {
			if (rp.down) {
				rp.refused += 1;
				res.writeHead(503, { 'content-type': 'text/plain' });
				res.end('not now');
				return;
			}
			const body = Buffer.concat(chunks).toString('utf8');
			rp.posts.push({ path: req.url, form: new URLSearchParams(body) });
			res.writeHead(200, { 'cache-control': 'no-store' });
			res.end();
		});
	});
	await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
	rp.origin = `http://127.0.0.1:${server.address().port}`;
	t.after(
		() =>
			new Promise((resolve) => {
				server.closeAllConnections?.();
				server.close(() => resolve());
			}),
	);
	return rp;
}

test('register on A, then read, update and delete the client on B (RFC 7592)', { skip: SKIP }, async (t) => {
	const { a, b } = await startPair(t);
	const reg = await sendJson(`${a.publicUrl}/oauth2/register`, 'POST', { redirect_uris: [REDIRECT], client_name: 'registered on A', token_endpoint_auth_method: 'client_secret_basic' });
	assert.equal(reg.status, 201, `register on A: ${reg.text}`);
	const id = reg.json.client_id;
	let token = reg.json.registration_access_token;
	assert.equal(typeof token, 'string');
	const onB = `${b.publicUrl}/oauth2/register/${encodeURIComponent(id)}`;
	const onA = `${a.publicUrl}/oauth2/register/${encodeURIComponent(id)}`;

	const got = await sendJson(onB, 'GET', undefined, { token });
	assert.equal(got.status, 200, `GET on B: ${got.text}`);
	assert.equal(got.json.client_id, id);
	assert.equal(got.json.client_name, 'registered on A');

	const put = await sendJson(onB, 'PUT', { ...got.json, client_name: 'renamed on B' }, { token });
	assert.equal(put.status, 200, `PUT on B: ${put.text}`);
	assert.equal(put.json.client_name, 'renamed on B');
	token = put.json.registration_access_token || token;

	const seen = await sendJson(onA, 'GET', undefined, { token });
	assert.equal(seen.status, 200, `GET on A after the PUT on B: ${seen.text}`);
	assert.equal(seen.json.client_name, 'renamed on B', 'A sees the update made on B');
	const admin = await getJson(`${a.adminUrl}/admin/clients/${encodeURIComponent(id)}`);
	assert.equal(admin.body.client_name, 'renamed on B', "A's admin API sees it too");

	const del = await sendJson(onB, 'DELETE', undefined, { token });
	assert.equal(del.status, 204, `DELETE on B: ${del.text}`);
	const gone = await sendJson(onA, 'GET', undefined, { token });
	assert.equal(gone.status, 401, `GET on A after the DELETE on B: ${gone.text}`);
	assert.equal(gone.json?.error, 'invalid_token');
	assert.equal((await request(`${a.adminUrl}/admin/clients/${encodeURIComponent(id)}`)).status, 404, 'gone from A\'s admin API');
	await a.stopOk();
	await b.stopOk();
});

test('log in through A, authorize through B with the same session; a code from A redeemed at B, once', { skip: SKIP }, async (t) => {
	const { a, b, issuer } = await startPair(t);
	const client = await createClient(a, 'multi-rp');
	const user = await createUser(a);

	const first = await obtainCode(a.publicUrl, { clientId: client.id, redirectUri: REDIRECT, scope: SCOPE, username: user.username, password: user.password });
	assert.ok(first.pages.includes('login'), `A showed the login page: ${first.pages}`);

	// The session cookie A set is valid at B: no login page; authorize() refuses any hop off B.
	const second = await obtainCode(b.publicUrl, { clientId: client.id, redirectUri: REDIRECT, scope: SCOPE, jar: first.jar });
	assert.ok(!second.pages.includes('login'), `B knew the session: pages ${second.pages}`);

	// A's code at B.
	const tokB = await exchangeCode(b.publicUrl, { code: first.code, redirectUri: REDIRECT, clientId: client.id, clientSecret: client.secret, verifier: first.verifier });
	assert.equal(tokB.status, 200, `A's code redeemed at B: ${tokB.text}`);
	const idB = await verifyIdToken(b, tokB.json.id_token, { issuer, clientId: client.id, nonce: first.nonce });
	const uiA = await userinfo(a, tokB.json.access_token);
	assert.equal(uiA.status, 200, `the access token B issued, at A's /userinfo: ${uiA.text}`);
	assert.equal(uiA.json.sub, idB.sub);
	// ... and never again, at either instance; the replay revokes what the code gave
	// (RFC 6749 §4.1.2), on both instances.
	for (const srv of [a, b]) {
		assertInvalidGrant(
			await exchangeCode(srv.publicUrl, { code: first.code, redirectUri: REDIRECT, clientId: client.id, clientSecret: client.secret, verifier: first.verifier }),
			`A's code again, at ${srv === a ? 'A' : 'B'}`,
		);
	}
	const revoked = await userinfo(b, tokB.json.access_token);
	assert.equal(revoked.status, 401, `after the replay at A, B refuses the code's access token: ${revoked.status} ${revoked.text}`);

	// B's code at A.
	const tokA = await exchangeCode(a.publicUrl, { code: second.code, redirectUri: REDIRECT, clientId: client.id, clientSecret: client.secret, verifier: second.verifier });
	assert.equal(tokA.status, 200, `B's code redeemed at A: ${tokA.text}`);
	const idA = await verifyIdToken(a, tokA.json.id_token, { issuer, clientId: client.id, nonce: second.nonce });
	assert.equal(idA.sub, idB.sub, 'the same subject');
	assert.equal(idA.auth_time, idB.auth_time, 'the same login (auth_time) on both instances');
	if (idA.sid !== undefined || idB.sid !== undefined) assert.equal(idA.sid, idB.sid, 'the same login session (sid)');

	const uiB = await userinfo(b, tokA.json.access_token);
	assert.equal(uiB.status, 200, `the access token A issued, at B's /userinfo: ${uiB.text}`);
	assert.equal(uiB.json.sub, idA.sub);
	await a.stopOk();
	await b.stopOk();
});

test('one refresh token at A and B at once → at most one 200, the rest invalid_grant, the family revoked on both', { skip: SKIP }, async (t) => {
	const { a, b } = await startPair(t);
	const client = await createClient(a, 'multi-refresh');
	const user = await createUser(a);
	let jar;
	for (let round = 1; round <= 3; round++) {
		const got = await obtainCode(a.publicUrl, { clientId: client.id, redirectUri: REDIRECT, scope: SCOPE, username: user.username, password: user.password, jar });
		jar = got.jar;
		const tok = await exchangeCode(b.publicUrl, { code: got.code, redirectUri: REDIRECT, clientId: client.id, clientSecret: client.secret, verifier: got.verifier });
		assert.equal(tok.status, 200, `round ${round}: code exchange: ${tok.text}`);
		const first = tok.json;
		assert.equal(typeof first.refresh_token, 'string', `round ${round}: a refresh token`);

		const urls = Array.from({ length: 10 }, (_, i) => (i % 2 ? b.publicUrl : a.publicUrl));
		const answers = await raceTokenRequests(urls, {
			headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(client.id, client.secret) },
			body: formBody({ grant_type: 'refresh_token', refresh_token: first.refresh_token }),
		});
		const summary = answers.map((x) => `${x.url === a.publicUrl ? 'A' : 'B'} ${x.status} ${x.json?.error ?? (x.json?.access_token ? 'tokens' : x.text.slice(0, 100))}`).join(' | ');
		t.diagnostic(`round ${round}: ${summary}`);
		const ok = answers.filter((x) => x.status === 200);
		const refused = answers.filter((x) => x.status === 400 && x.json?.error === 'invalid_grant');
		assert.ok(ok.length <= 1, `round ${round}: at most one success across both instances: ${summary}`);
		assert.equal(ok.length + refused.length, 10, `round ${round}: every other answer is 400 invalid_grant: ${summary}`);

		if (ok.length === 1) {
			const win = ok[0].json;
			assert.notEqual(win.refresh_token, first.refresh_token, `round ${round}: rotated`);
			for (const srv of [a, b]) {
				const name = srv === a ? 'A' : 'B';
				assertInvalidGrant(await refresh(srv, client, win.refresh_token), `round ${round}: the winner's new refresh token at ${name}`);
				const ui = await userinfo(srv, win.access_token);
				assert.equal(ui.status, 401, `round ${round}: the winner's new access token at ${name}: ${ui.status} ${ui.text}`);
			}
		}
		for (const srv of [a, b]) {
			const name = srv === a ? 'A' : 'B';
			const ui = await userinfo(srv, first.access_token);
			assert.equal(ui.status, 401, `round ${round}: the family's first access token at ${name}: ${ui.status} ${ui.text}`);
		}
		assertInvalidGrant(await refresh(b, client, first.refresh_token), `round ${round}: the raced refresh token once more`);
	}
	await a.stopOk();
	await b.stopOk();
});

test('keys rotated on A are published by B within keys.refresh_interval', { skip: SKIP }, async (t) => {
	const { a, b, db, issuer } = await startPair(t, ['--set', 'keys.refresh_interval=1s']);
	const before = await kids(b);
	assert.deepEqual(await kids(a), before, 'both publish the same keys at first');

	const rot = await runOidcd(['keys', 'rotate', '--database', db, '--set', `secrets.system=${SECRET}`, '--set', `issuer=${issuer}`]);
	assert.equal(rot.code, 0, `keys rotate: ${rot.stderr}`);
	const added = await eventually(async () => (await kids(a)).find((k) => !before.includes(k)), 'A to publish the new key');
	assert.ok(rot.stdout.includes(added), `keys rotate printed the new kid ${added}: ${rot.stdout}`);
	const onB = await eventually(async () => {
		const now = await kids(b);
		return now.includes(added) && now;
	}, 'B to publish the key rotated on A');
	for (const k of before) assert.ok(onB.includes(k), `B still publishes the old key ${k}`);
	await a.stopOk();
	await b.stopOk();
});

test('a logout on A: each back-channel logout token delivered exactly once although A and B both run the outbox', { skip: SKIP }, async (t) => {
	// logout.backchannel.wait=0s: the logout answers at once, the deliveries stay in the outbox.
	const { a, startB, issuer } = await startA(t, ['--set', 'logout.backchannel.wait=0s']);
	const rp = await startBackchannelRp(t);
	const user = await createUser(a);
	const postLogout = 'https://rp.example/multi/bye';
	const ids = ['bc-1', 'bc-2', 'bc-3', 'bc-4', 'bc-5', 'bc-6'];
	const clients = [];
	for (const id of ids) {
		clients.push(
			await createClient(a, id, {
				post_logout_redirect_uris: [postLogout],
				backchannel_logout_uri: `${rp.origin}/${id}/backchannel_logout`,
				backchannel_logout_session_required: true,
			}),
		);
	}
	// One login session at A, signed in to every client.
	let jar;
	const idTokens = {};
	for (const c of clients) {
		const got = await obtainCode(a.publicUrl, { clientId: c.id, redirectUri: REDIRECT, scope: 'openid', username: user.username, password: user.password, jar });
		jar = got.jar;
		const tok = await exchangeCode(a.publicUrl, { code: got.code, redirectUri: REDIRECT, clientId: c.id, clientSecret: c.secret, verifier: got.verifier });
		assert.equal(tok.status, 200, `tokens for ${c.id}: ${tok.text}`);
		idTokens[c.id] = tok.json.id_token;
	}
	const hint = idTokens['bc-1'];
	const { sid, sub } = jose.decodeJwt(hint);
	assert.equal(typeof sid, 'string', 'the ID token carries sid');

	// The RP is down: A's first attempts fail and the rows wait in the outbox for a retry.
	rp.down = true;
	const out = await request(`${a.publicUrl}/oauth2/sessions/logout?${formBody({ id_token_hint: hint, post_logout_redirect_uri: postLogout, state: 'multi' })}`, {
		headers: { cookie: jar.header() },
	});
	assert.ok([302, 303].includes(out.status), `logout on A redirects: ${out.status} ${out.text.slice(0, 300)}`);
	assert.equal(new URL(out.headers.location).searchParams.get('state'), 'multi');
	await eventually(async () => {
		const { body } = await getJson(`${a.adminUrl}/admin/logout/deliveries`);
		const mine = body.filter((d) => d.sid === sid);
		return mine.length === ids.length && mine.every((d) => d.attempts >= 1);
	}, 'a failed first attempt of every delivery at A');

	// B starts while the rows are pending: both instances now wait for the same due rows.
	const b = await startB();
	rp.down = false;
	await eventually(() => new Set(rp.posts.map((p) => p.path)).size === ids.length, 'one delivery to every client');
	await eventually(async () => {
		const [ra, rb] = await Promise.all([getJson(`${a.adminUrl}/admin/logout/deliveries`), getJson(`${b.adminUrl}/admin/logout/deliveries`)]);
		return !ra.body.some((d) => d.sid === sid) && !rb.body.some((d) => d.sid === sid);
	}, 'the outbox to be empty, seen from both instances');
	// Both stopped (each drains its delivery thread): nothing can be delivered after this.
	await a.stopOk();
	await b.stopOk();

	// Each instance logs what it delivered: together, once per client.
	const deliveredBy = (srv) => srv.stderr().split('\n').filter((l) => l.includes('back-channel logout delivered')).length;
	t.diagnostic(`delivered by A: ${deliveredBy(a)}, by B: ${deliveredBy(b)}; ${rp.refused} attempts refused while the RP was down`);
	assert.equal(deliveredBy(a) + deliveredBy(b), ids.length, 'the instances logged one delivery per client between them');

	const perClient = new Map();
	for (const p of rp.posts) perClient.set(p.path, (perClient.get(p.path) || 0) + 1);
	assert.equal(rp.posts.length, ids.length, `exactly one delivery per client: ${JSON.stringify([...perClient])}`);
	const jtis = new Set();
	for (const id of ids) {
		assert.equal(perClient.get(`/${id}/backchannel_logout`), 1, `${id}: delivered once`);
		const post = rp.posts.find((p) => p.path === `/${id}/backchannel_logout`);
		const claims = jose.decodeJwt(post.form.get('logout_token'));
		assert.equal(claims.iss, issuer);
		assert.ok(claims.aud === id || (Array.isArray(claims.aud) && claims.aud.includes(id)), `${id}: aud`);
		assert.equal(claims.sid, sid, `${id}: sid`);
		assert.equal(claims.sub, sub, `${id}: sub`);
		assert.deepEqual(claims.events, { [EVENT]: {} });
		jtis.add(claims.jti);
	}
	assert.equal(jtis.size, ids.length, 'one logout token (jti) per client');
});
