// jwks.test.mjs — the JWKS as `jose` consumes it, and JWS interop both ways: tokens signed
// by oidcd's keyring (via jwstool, which uses the server's database and secret) verify with
// jose against the live jwks_uri; tokens signed by jose verify in oidcd's JWS code (via
// jwstool verify) and tampered ones do not (issue 2, "Crypto", "Signing keys";
// reference/hydra-behaviour.md §3.3, §3.4).

import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import * as jose from 'jose';

import { assertSecurityHeaders, getJson, request, runJwstool, runOidcd, startOidcd, tempDir, TEST_SECRET } from './lib/oidcd.mjs';

// JWK members allowed on the wire: Hydra's SDK decodes JsonWebKey strictly, and a public
// key has no private members.
const ALLOWED_MEMBERS = new Set(['alg', 'crv', 'e', 'kid', 'kty', 'n', 'use', 'x', 'y']);

const KEY_SHAPE = {
	RS256: { kty: 'RSA', members: ['n', 'e'] },
	PS256: { kty: 'RSA', members: ['n', 'e'] },
	ES256: { kty: 'EC', crv: 'P-256', members: ['x', 'y'] },
	EdDSA: { kty: 'OKP', crv: 'Ed25519', members: ['x'] },
};

function checkJwks(body, alg) {
	assert.ok(Array.isArray(body.keys) && body.keys.length >= 1, 'JWKS has keys');
	assert.deepEqual(Object.keys(body), ['keys'], 'JWKS has only "keys"');
	const kids = new Set();
	for (const k of body.keys) {
		for (const m of ['kid', 'kty', 'alg', 'use']) assert.equal(typeof k[m], 'string', `key has ${m}: ${JSON.stringify(k)}`);
		for (const m of Object.keys(k)) assert.ok(ALLOWED_MEMBERS.has(m), `member ${m} is allowed: ${JSON.stringify(k)}`);
		assert.equal(k.use, 'sig');
		assert.ok(!kids.has(k.kid), `kid ${k.kid} is unique`);
		kids.add(k.kid);
		const shape = KEY_SHAPE[k.alg];
		assert.ok(shape, `known alg ${k.alg}`);
		assert.equal(k.kty, shape.kty, `kty of ${k.alg}`);
		if (shape.crv) assert.equal(k.crv, shape.crv, `crv of ${k.alg}`);
		for (const m of shape.members) assert.match(k[m], /^[A-Za-z0-9_-]+$/, `${m} is base64url without padding`);
	}
	if (alg) assert.ok(body.keys.some((k) => k.alg === alg), `a ${alg} key is published`);
}

// Signs `payload` with the database's active key through jwstool.
async function jwstoolSign(srv, payload) {
	const r = await runJwstool(['sign', '--database', srv.db, '--secret', TEST_SECRET, '--payload', JSON.stringify(payload)]);
	assert.equal(r.code, 0, `jwstool sign exits 0; stderr: ${r.stderr}`);
	const token = r.stdout.trim();
	assert.match(token, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'compact JWS');
	return token;
}

async function checkServerTokenVerifies(srv, alg) {
	const { body: doc } = await getJson(`${srv.publicUrl}/.well-known/openid-configuration`);
	const now = Math.floor(Date.now() / 1000);
	const token = await jwstoolSign(srv, { iss: srv.issuer, sub: 'alice', aud: 'rp-1', iat: now, exp: now + 600 });
	const header = jose.decodeProtectedHeader(token);
	assert.equal(header.alg, alg);
	assert.equal(typeof header.kid, 'string');

	const jwks = jose.createRemoteJWKSet(new URL(doc.jwks_uri));
	const { payload, protectedHeader } = await jose.jwtVerify(token, jwks, {
		algorithms: [alg],
		issuer: srv.issuer,
		audience: 'rp-1',
	});
	assert.equal(payload.sub, 'alice');
	assert.equal(protectedHeader.kid, header.kid);

	// The same token with one payload byte changed must not verify.
	const [h, p, s] = token.split('.');
	const forged = jose.base64url.encode(JSON.stringify({ ...jose.decodeJwt(token), sub: 'mallory' }));
	await assert.rejects(jose.jwtVerify(`${h}.${forged}.${s}`, jwks, { algorithms: [alg] }), 'forged payload is rejected');
	assert.notEqual(p, forged);
}

test('JWKS keys carry kid/kty/alg/use and only standard public members', async (t) => {
	const srv = await startOidcd(t, { secret: TEST_SECRET });
	const { body, res } = await getJson(`${srv.publicUrl}/.well-known/jwks.json`);
	checkJwks(body, 'RS256');
	assert.equal(body.keys.length, 1, 'a fresh database has exactly one key');
	const cc = String(res.headers['cache-control']);
	assert.match(cc, /(^|,\s*)public(,|$)/, cc);
	assert.match(cc, /max-age=300\b/, cc);
	assertSecurityHeaders(res, 'jwks');
	// RSA 2048 by default (keys.rsa_bits): 256-byte modulus.
	assert.equal(Buffer.from(body.keys[0].n, 'base64url').length, 256);
	await srv.stopOk();
});

// Each worker thread builds the discovery and JWKS answers once and sends them again while the
// documents are unchanged (server/http.c, response_reuse): a key rotation on the running server
// must reach every worker, and HEAD must still describe the same body.
test('answers kept by the workers follow a key rotation on the running server', async (t) => {
	const srv = await startOidcd(t, { args: ['--set', 'keys.refresh_interval=1s'] });
	const jwksUrl = `${srv.publicUrl}/.well-known/jwks.json`;
	const discUrl = `${srv.publicUrl}/.well-known/openid-configuration`;
	// 16 connections at once: both worker threads answer some of them.
	const many = (url) => Promise.all(Array.from({ length: 16 }, () => request(url)));

	const before = await many(jwksUrl);
	for (const r of [...before, ...(await many(discUrl))]) {
		assert.equal(r.status, 200, r.text);
		assertSecurityHeaders(r, 'kept answer');
		assert.equal(r.headers['cache-control'], 'public, max-age=300');
	}
	for (const r of before) assert.equal(r.text, before[0].text, 'the same JWKS on every connection');
	const head = await request(jwksUrl, { method: 'HEAD' });
	assert.equal(head.status, 200);
	assert.equal(head.text, '');
	assert.equal(Number(head.headers['content-length']), Buffer.byteLength(before[0].text));

	const old = new Set(before[0].json.keys.map((k) => k.kid));
	const rot = await runOidcd(['keys', 'rotate', '--dev', '--database', srv.db]);
	assert.equal(rot.code, 0, `oidcd keys rotate: ${rot.stderr}`);
	const deadline = Date.now() + 20000; // a bound on the wait, not a timing assertion
	let after;
	for (;;) {
		after = await request(jwksUrl);
		if (after.json.keys.some((k) => !old.has(k.kid)) || Date.now() > deadline) break;
		await sleep(200);
	}
	assert.equal(after.json.keys.filter((k) => !old.has(k.kid)).length, 1, `the new key is published: ${after.text}`);
	for (const r of await many(jwksUrl)) assert.equal(r.text, after.text, 'no worker still sends the JWKS of before the rotation');
	await srv.stopOk();
});

test('a token signed by oidcd (jwstool) verifies with jose createRemoteJWKSet (RS256)', async (t) => {
	const srv = await startOidcd(t, { secret: TEST_SECRET });
	await checkServerTokenVerifies(srv, 'RS256');
	await srv.stopOk();
});

for (const alg of ['ES256', 'EdDSA', 'PS256']) {
	test(`keys.algorithm=${alg}: JWKS publishes a ${alg} key, discovery advertises it, jose verifies oidcd's token`, async (t) => {
		const srv = await startOidcd(t, { secret: TEST_SECRET, args: ['--set', `keys.algorithm=${alg}`] });
		const { body } = await getJson(`${srv.publicUrl}/.well-known/jwks.json`);
		checkJwks(body, alg);
		assert.ok(body.keys.every((k) => k.alg === alg), `all keys are ${alg}: ${JSON.stringify(body.keys.map((k) => k.alg))}`);
		const { body: doc } = await getJson(`${srv.publicUrl}/.well-known/openid-configuration`);
		assert.ok(doc.id_token_signing_alg_values_supported.includes(alg), JSON.stringify(doc.id_token_signing_alg_values_supported));
		assert.deepEqual(doc.id_token_signed_response_alg, [alg]);
		await checkServerTokenVerifies(srv, alg);
		await srv.stopOk();
	});
}

// keys.import_file: the first start signs with a given key (say, the one of the provider
// oidcd replaces) instead of a generated one; later starts keep the stored key.
test('keys.import_file: the first start publishes and signs with the given key, later starts keep it', async (t) => {
	const dir = await tempDir(t);
	const pem = (type, opts) => generateKeyPairSync(type, opts).privateKey.export({ type: 'pkcs8', format: 'pem' });
	const first = path.join(dir, 'first.pem');
	const second = path.join(dir, 'second.pem');
	await writeFile(first, pem('ec', { namedCurve: 'P-256' }), { mode: 0o600 });
	await writeFile(second, pem('ec', { namedCurve: 'P-256' }), { mode: 0o600 });
	const publicJwk = async (file) => {
		const { createPrivateKey, createPublicKey } = await import('node:crypto');
		const { readFile } = await import('node:fs/promises');
		return jose.exportJWK(createPublicKey(createPrivateKey(await readFile(file))));
	};
	const want = await publicJwk(first);
	const kid = await jose.calculateJwkThumbprint(want);
	const db = path.join(dir, 'o.db');
	const args = (file) => ['--set', 'keys.algorithm=ES256', '--set', `keys.import_file=${file}`];

	let srv = await startOidcd(t, { secret: TEST_SECRET, db, dir, args: args(first) });
	assert.match(srv.stderr(), /imported the ES256 signing key from keys\.import_file/);
	let { body } = await getJson(`${srv.publicUrl}/.well-known/jwks.json`);
	checkJwks(body, 'ES256');
	assert.equal(body.keys.length, 1);
	assert.equal(body.keys[0].kid, kid, 'kid is the RFC 7638 thumbprint of the given key');
	assert.equal(body.keys[0].x, want.x);
	assert.equal(body.keys[0].y, want.y);
	await checkServerTokenVerifies(srv, 'ES256');
	await srv.stopOk();

	// A restart with another file: the stored key stays; nothing is imported.
	srv = await startOidcd(t, { secret: TEST_SECRET, db, dir, args: args(second) });
	assert.doesNotMatch(srv.stderr(), /imported/);
	({ body } = await getJson(`${srv.publicUrl}/.well-known/jwks.json`));
	assert.deepEqual(body.keys.map((k) => k.kid), [kid]);
	await srv.stopOk();
});

test('keys.import_file: a key that does not fit, a bad file or a missing one stops the start with a clear error', async (t) => {
	const dir = await tempDir(t);
	const rsa = path.join(dir, 'rsa.pem');
	const garbage = path.join(dir, 'garbage.pem');
	const rsaPem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' });
	await writeFile(rsa, rsaPem, { mode: 0o600 });
	await writeFile(garbage, '-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n');
	const cases = [
		['an RSA key for ES256', rsa, 'ES256', /keys\.import_file .*rsa\.pem \(keys\.algorithm ES256\)/],
		['not a key', garbage, 'RS256', /keys\.import_file .*garbage\.pem/],
		['no such file', path.join(dir, 'missing.pem'), 'RS256', /keys\.import_file .*missing\.pem: cannot open it/],
	];
	for (const [what, file, alg, want] of cases) {
		const r = await runOidcd(['serve', '--dev', '--listen', '127.0.0.1:0', '--admin-listen', 'off',
			'--database', path.join(dir, `${alg}-${path.basename(file)}.db`), '--set', `secrets.system=${TEST_SECRET}`,
			'--set', `keys.algorithm=${alg}`, '--set', `keys.import_file=${file}`]);
		assert.equal(r.code, 1, `${what}: exits 1\n${r.stderr}`);
		assert.match(r.stderr, want, `${what}: names the file and the setting`);
		// Never the key itself.
		const body = rsaPem.split('\n')[1];
		assert.ok(!r.stderr.includes(body), `${what}: no key bytes in the log`);
	}
});

test('a token jose signed verifies with jwstool verify; tampered, alg-swapped and unsigned ones do not', async (t) => {
	const dir = await tempDir(t);
	for (const alg of ['RS256', 'PS256', 'ES256', 'EdDSA']) {
		const { publicKey, privateKey } = await jose.generateKeyPair(alg, alg === 'EdDSA' ? { crv: 'Ed25519' } : {});
		const jwk = { ...(await jose.exportJWK(publicKey)), alg, use: 'sig' };
		jwk.kid = await jose.calculateJwkThumbprint(jwk);
		const jwkFile = path.join(dir, `${alg}.jwk.json`);
		await writeFile(jwkFile, JSON.stringify(jwk));

		const token = await new jose.SignJWT({ sub: 'alice', nonce: 'n-0S6_WzA2Mj' })
			.setProtectedHeader({ alg, kid: jwk.kid, typ: 'JWT' })
			.setIssuedAt()
			.setExpirationTime('10m')
			.sign(privateKey);
		const ok = await runJwstool(['verify', '--jwk', jwkFile, '--alg', alg, token]);
		assert.equal(ok.code, 0, `${alg}: jose's token verifies in oidcd; stderr: ${ok.stderr}`);

		const [h, p, s] = token.split('.');
		const forgedPayload = jose.base64url.encode(JSON.stringify({ ...jose.decodeJwt(token), sub: 'mallory' }));
		const sigBytes = Buffer.from(s, 'base64url');
		sigBytes[sigBytes.length - 1] ^= 0x01;
		const cases = {
			'payload changed': `${h}.${forgedPayload}.${s}`,
			'signature bit flipped': `${h}.${p}.${sigBytes.toString('base64url')}`,
			'signature removed': `${h}.${p}.`,
			'alg none': `${jose.base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${p}.`,
		};
		for (const [what, bad] of Object.entries(cases)) {
			const r = await runJwstool(['verify', '--jwk', jwkFile, '--alg', alg, bad]);
			assert.equal(r.code, 1, `${alg}: ${what} → exit 1 (got ${r.code}; stderr: ${r.stderr})`);
		}
		// The right key but an algorithm outside the allow-list.
		const other = { RS256: 'PS256', PS256: 'RS256', ES256: 'RS256', EdDSA: 'ES256' }[alg];
		const r = await runJwstool(['verify', '--jwk', jwkFile, '--alg', other, token]);
		assert.equal(r.code, 1, `${alg} token with --alg ${other} → exit 1 (got ${r.code}; stderr: ${r.stderr})`);
	}
});

test('HMAC with the public key as secret (alg confusion) does not verify', async (t) => {
	const dir = await tempDir(t);
	const { publicKey } = await jose.generateKeyPair('RS256');
	const jwk = { ...(await jose.exportJWK(publicKey)), alg: 'RS256', use: 'sig' };
	const jwkFile = path.join(dir, 'rsa.jwk.json');
	const jwkText = JSON.stringify(jwk);
	await writeFile(jwkFile, jwkText);
	const token = await new jose.SignJWT({ sub: 'mallory' })
		.setProtectedHeader({ alg: 'HS256' })
		.sign(new TextEncoder().encode(jwkText));
	for (const alg of ['RS256', 'HS256']) {
		const r = await runJwstool(['verify', '--jwk', jwkFile, '--alg', alg, token]);
		assert.notEqual(r.code, 0, `HS256 token signed with the public key, --alg ${alg} → not verified`);
	}
});
