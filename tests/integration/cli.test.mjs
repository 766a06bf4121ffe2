// cli.test.mjs — the oidcd command line: configuration errors (exit 2, one line naming
// source, line and key), `config check`, `version`, `help`, `--help`, `migrate`, and the
// key commands `keys list` / `keys rotate` as the running server sees their effect
// (issue 2, "The binary", "Configuration", "Signing keys").

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';

import * as jose from 'jose';

import {
	getJson,
	lines,
	projectVersion,
	repoRoot,
	runJwstool,
	runOidcd,
	startOidcd,
	tempDir,
	TEST_SECRET,
	usingPg,
} from './lib/oidcd.mjs';

// Asserts exit 2 and exactly one non-empty line on stderr; returns that line.
function assertConfigError(r, what) {
	assert.equal(r.code, 2, `${what}: exit 2 (got ${r.code}, signal ${r.signal})\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
	const errLines = lines(r.stderr);
	assert.equal(errLines.length, 1, `${what}: exactly one line on stderr, got:\n${r.stderr}`);
	return errLines[0];
}

const NON_DEV_OK = ['--set', 'issuer=https://id.example.com', '--set', `secrets.system=${TEST_SECRET}`];

test('config check: a valid non-dev configuration passes and prints "ok"', async () => {
	const r = await runOidcd(['config', 'check', ...NON_DEV_OK]);
	assert.equal(r.code, 0, r.stderr);
	assert.match(r.stdout + r.stderr, /\bok\b/);
});

test('config check: unknown key in a file names file:line and key', async (t) => {
	const dir = await tempDir(t);
	const conf = path.join(dir, 'bad.conf');
	await writeFile(conf, '# a comment\nissuer https://id.example.com\n\nnot.a.key 42\n');
	const line = assertConfigError(
		await runOidcd(['config', 'check', '--config', conf, '--set', `secrets.system=${TEST_SECRET}`]),
		'unknown key',
	);
	assert.ok(line.includes(`${conf}:4`) || line.includes('bad.conf:4'), `names file:line: ${line}`);
	assert.ok(line.includes('not.a.key'), `names the key: ${line}`);
});

test('config check: a bad duration names file:line and key', async (t) => {
	const dir = await tempDir(t);
	const conf = path.join(dir, 'dur.conf');
	await writeFile(conf, 'ttl.access_token 5 minutes\n');
	const line = assertConfigError(await runOidcd(['config', 'check', '--dev', '--config', conf]), 'bad duration in file');
	assert.ok(line.includes('dur.conf:1'), `names file:line: ${line}`);
	assert.ok(line.includes('ttl.access_token'), `names the key: ${line}`);

	const line2 = assertConfigError(await runOidcd(['config', 'check', '--dev', '--set', 'ttl.id_token=1fortnight']), 'bad duration in --set');
	assert.ok(line2.includes('ttl.id_token'), `names the key: ${line2}`);

	const line3 = assertConfigError(
		await runOidcd(['config', 'check', '--dev'], { env: { OIDCD_TTL_AUTH_CODE: '-5m' } }),
		'bad duration in env',
	);
	assert.ok(line3.includes('OIDCD_TTL_AUTH_CODE'), `names the variable: ${line3}`);
	assert.ok(line3.includes('ttl.auth_code'), `names the key: ${line3}`);
});

test('config check: durations 30s, 15m, 1h, 30d are accepted', async () => {
	const r = await runOidcd([
		'config', 'check', '--dev',
		'--set', 'ttl.access_token=30s', '--set', 'ttl.auth_code=15m', '--set', 'ttl.id_token=1h', '--set', 'ttl.refresh_token=30d',
	]);
	assert.equal(r.code, 0, r.stderr);
});

test('config check: an unknown OIDCD_ environment variable is an error', async () => {
	const line = assertConfigError(await runOidcd(['config', 'check', '--dev'], { env: { OIDCD_NOT_A_KEY: '1' } }), 'unknown env');
	assert.ok(line.includes('OIDCD_NOT_A_KEY'), `names the variable: ${line}`);
});

test('config check: environment variables are read (OIDCD_SECRETS_SYSTEM, OIDCD_ISSUER)', async () => {
	const r = await runOidcd(['config', 'check'], {
		env: { OIDCD_ISSUER: 'https://id.example.com', OIDCD_SECRETS_SYSTEM: TEST_SECRET },
	});
	assert.equal(r.code, 0, r.stderr);
	// A bad value through the environment names the variable and the key.
	const line = assertConfigError(
		await runOidcd(['config', 'check'], { env: { OIDCD_ISSUER: 'not a url', OIDCD_SECRETS_SYSTEM: TEST_SECRET } }),
		'bad env issuer',
	);
	assert.ok(line.includes('OIDCD_ISSUER') && line.includes('issuer'), line);
});

test('precedence: flags > environment > file > defaults (the served issuer shows which won)', async (t) => {
	const dir = await tempDir(t);
	const conf = path.join(dir, 'p.conf');
	await writeFile(conf, 'issuer http://localhost:1111/file\n');
	const issuerOf = async (args, env) => {
		const srv = await startOidcd(t, { dir, secret: TEST_SECRET, args: ['--config', conf, ...args], env });
		const { body } = await getJson(`${srv.publicUrl}/.well-known/openid-configuration`);
		await srv.stopOk();
		return body.issuer;
	};
	assert.equal(await issuerOf([], {}), 'http://localhost:1111/file', 'file over defaults');
	assert.equal(await issuerOf([], { OIDCD_ISSUER: 'http://localhost:2222/env' }), 'http://localhost:2222/env', 'env over file');
	assert.equal(
		await issuerOf(['--set', 'issuer=http://localhost:3333/flag'], { OIDCD_ISSUER: 'http://localhost:2222/env' }),
		'http://localhost:3333/flag',
		'flag over env',
	);
});

test('config check: a non-https issuer is refused without --dev, a loopback one is allowed', async () => {
	const line = assertConfigError(
		await runOidcd(['config', 'check', '--set', 'issuer=http://id.example.com', '--set', `secrets.system=${TEST_SECRET}`]),
		'http issuer',
	);
	assert.ok(line.includes('issuer'), line);
	for (const issuer of ['http://127.0.0.1:4444', 'http://localhost:4444']) {
		const r = await runOidcd(['config', 'check', '--set', `issuer=${issuer}`, '--set', `secrets.system=${TEST_SECRET}`]);
		assert.equal(r.code, 0, `${issuer}: ${r.stderr}`);
	}
});

test('config check: a missing or short secrets.system is refused without --dev', async () => {
	const line = assertConfigError(await runOidcd(['config', 'check', '--set', 'issuer=https://id.example.com']), 'no secret');
	assert.ok(line.includes('secrets.system'), line);
	const line2 = assertConfigError(
		await runOidcd(['config', 'check', '--set', 'issuer=https://id.example.com', '--set', 'secrets.system=tiny-Secret']),
		'short secret',
	);
	assert.ok(line2.includes('secrets.system'), line2);
	assert.ok(!line2.includes('tiny-Secret'), `the secret value itself is not echoed: ${line2}`);
});

test('serve with a configuration error exits 2 with one line before touching the database', async (t) => {
	const dir = await tempDir(t);
	const db = path.join(dir, 'oidcd.db');
	const line = assertConfigError(
		await runOidcd(['serve', '--listen', '127.0.0.1:0', '--admin-listen', 'off', '--database', db, '--set', 'issuer=http://id.example.com']),
		'serve config error',
	);
	assert.ok(line.includes('issuer') || line.includes('secrets.system'), line);
	assert.ok(!existsSync(db), 'no database file was created');
});

test('config check: examples/oidcd.conf is valid', async () => {
	const example = path.join(repoRoot, 'examples', 'oidcd.conf');
	assert.ok(existsSync(example), `${example} exists`);
	const dev = await runOidcd(['config', 'check', '--dev', '--config', example]);
	assert.equal(dev.code, 0, dev.stderr);
	assert.match(dev.stdout + dev.stderr, /\bok\b/);
	const prod = await runOidcd(['config', 'check', '--config', example], {
		env: { OIDCD_ISSUER: 'https://id.example.com', OIDCD_SECRETS_SYSTEM: TEST_SECRET },
	});
	assert.equal(prod.code, 0, prod.stderr);
});

test('version prints "oidcd <version>"', async () => {
	const r = await runOidcd(['version']);
	assert.equal(r.code, 0, r.stderr);
	assert.match(r.stdout.trim(), /^oidcd \S+$/);
	if (projectVersion) assert.equal(r.stdout.trim(), `oidcd ${projectVersion}`);
});

test('help and --help print usage and exit 0', async () => {
	const help = await runOidcd(['help']);
	assert.equal(help.code, 0, help.stderr);
	for (const cmd of ['serve', 'config', 'migrate', 'keys', 'version']) assert.ok(help.stdout.includes(cmd), `help mentions ${cmd}`);

	const top = await runOidcd(['--help']);
	assert.equal(top.code, 0, top.stderr);
	assert.ok(top.stdout.includes('serve'));

	const serve = await runOidcd(['serve', '--help']);
	assert.equal(serve.code, 0, serve.stderr);
	for (const flag of ['--config', '--dev', '--listen', '--database', '--set']) assert.ok(serve.stdout.includes(flag), `serve --help mentions ${flag}`);

	for (const args of [['config', 'check', '--help'], ['migrate', '--help'], ['keys', 'list', '--help'], ['keys', 'rotate', '--help'], ['version', '--help']]) {
		const r = await runOidcd(args);
		assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
		assert.ok(r.stdout.trim().length > 0, `${args.join(' ')} prints usage`);
	}
});

test('usage errors: unknown command, unknown flag, missing flag value → exit 2 and one line', async () => {
	assertConfigError(await runOidcd(['frobnicate']), 'unknown command');
	assertConfigError(await runOidcd(['keys', 'frobnicate', '--dev']), 'unknown keys subcommand');
	assertConfigError(await runOidcd(['serve', '--no-such-flag']), 'unknown flag');
	assertConfigError(await runOidcd(['config', 'check', '--dev', '--set']), '--set without value');
	assertConfigError(await runOidcd(['config', 'check', '--dev', '--set', 'noequals']), '--set without =');
	const none = await runOidcd([]);
	assert.equal(none.code, 2, 'no command → exit 2');
});

test('migrate creates the schema and is idempotent', async (t) => {
	const dir = await tempDir(t);
	const db = path.join(dir, 'oidcd.db');
	for (let i = 0; i < 2; i++) {
		const r = await runOidcd(['migrate', '--dev', '--database', db, '--set', `secrets.system=${TEST_SECRET}`]);
		assert.equal(r.code, 0, `migrate run ${i + 1}: ${r.stderr}`);
	}
	if (!usingPg) assert.ok(existsSync(db)); // under OIDCD_TEST_PG, db stands for a PostgreSQL database
	// The server starts on the migrated database.
	const srv = await startOidcd(t, { dir, db, secret: TEST_SECRET });
	await srv.stopOk();
});

// Parses `keys list` output: one line per key holding kid, alg and status as
// whitespace-separated columns (a header line, if any, has no status column and is skipped).
function parseKeysList(stdout) {
	return lines(stdout)
		.map((l) => {
			const cols = l.trim().split(/\s+/);
			const status = cols.find((c) => ['next', 'active', 'retired'].includes(c));
			const alg = cols.find((c) => ['RS256', 'PS256', 'ES256', 'EdDSA'].includes(c));
			return { line: l, cols, status, alg };
		})
		.filter((k) => k.status !== undefined);
}

test('keys list shows one active key after first start; keys rotate adds a published, not-yet-signing key', async (t) => {
	const dir = await tempDir(t);
	const db = path.join(dir, 'oidcd.db');
	const cli = (args) => runOidcd([...args, '--dev', '--database', db, '--set', `secrets.system=${TEST_SECRET}`]);

	let srv = await startOidcd(t, { dir, db, secret: TEST_SECRET });
	const { body: jwks1 } = await getJson(`${srv.publicUrl}/.well-known/jwks.json`);
	assert.equal(jwks1.keys.length, 1);
	const oldKid = jwks1.keys[0].kid;
	await srv.stopOk();

	const list1 = await cli(['keys', 'list']);
	assert.equal(list1.code, 0, list1.stderr);
	const keys1 = parseKeysList(list1.stdout);
	assert.equal(keys1.length, 1, `one line per key:\n${list1.stdout}`);
	assert.equal(keys1[0].status, 'active', keys1[0].line);
	assert.equal(keys1[0].alg, 'RS256', keys1[0].line);
	assert.ok(keys1[0].cols.includes(oldKid), `keys list shows the JWKS kid ${oldKid}: ${keys1[0].line}`);

	const rot = await cli(['keys', 'rotate']);
	assert.equal(rot.code, 0, rot.stderr);
	const newKid = (rot.stdout.match(/[A-Za-z0-9_-]{16,}/) || [])[0];
	assert.ok(newKid && newKid !== oldKid, `keys rotate prints the new kid: ${rot.stdout}`);

	const list2 = await cli(['keys', 'list']);
	assert.equal(list2.code, 0, list2.stderr);
	const keys2 = parseKeysList(list2.stdout);
	assert.equal(keys2.length, 2, `two keys after rotate:\n${list2.stdout}`);
	const oldLine = keys2.find((k) => k.cols.includes(oldKid));
	const newLine = keys2.find((k) => k.cols.includes(newKid));
	assert.equal(oldLine?.status, 'active', list2.stdout);
	assert.equal(newLine?.status, 'next', list2.stdout);

	// A server started afterwards publishes both, and still signs with the old key.
	srv = await startOidcd(t, { dir, db, secret: TEST_SECRET });
	const { body: jwks2 } = await getJson(`${srv.publicUrl}/.well-known/jwks.json`);
	assert.deepEqual(new Set(jwks2.keys.map((k) => k.kid)), new Set([oldKid, newKid]));

	const { body: admin } = await getJson(`${srv.adminUrl}/admin/keys`);
	assert.ok(Array.isArray(admin.keys), JSON.stringify(admin));
	const byKid = Object.fromEntries(admin.keys.map((k) => [k.kid, k]));
	assert.equal(byKid[oldKid]?.status, 'active', JSON.stringify(admin));
	assert.equal(byKid[newKid]?.status, 'next', JSON.stringify(admin));
	for (const k of admin.keys) {
		for (const m of ['d', 'p', 'q', 'dp', 'dq', 'qi']) assert.ok(!(m in k), `no private member ${m} in /admin/keys`);
	}

	const { body: doc } = await getJson(`${srv.publicUrl}/.well-known/openid-configuration`);
	assert.deepEqual(doc.id_token_signed_response_alg, ['RS256']);

	const r = await runJwstool(['sign', '--database', db, '--secret', TEST_SECRET, '--payload', '{"sub":"alice"}']);
	assert.equal(r.code, 0, r.stderr);
	const header = jose.decodeProtectedHeader(r.stdout.trim());
	assert.equal(header.kid, oldKid, 'the active (old) key still signs');
	assert.equal(header.alg, 'RS256');
	const { payload } = await jose.jwtVerify(r.stdout.trim(), jose.createRemoteJWKSet(new URL(doc.jwks_uri)), { algorithms: ['RS256'] });
	assert.equal(payload.sub, 'alice');
	await srv.stopOk();
});

test('keys rotate before the first start still leaves a key that signs now', async (t) => {
	// An operator may run `oidcd migrate && oidcd keys rotate` before ever serving. The
	// provider must still have an active signing key once it runs.
	const dir = await tempDir(t);
	const db = path.join(dir, 'oidcd.db');
	const cli = (args) => runOidcd([...args, '--dev', '--database', db, '--set', `secrets.system=${TEST_SECRET}`]);
	assert.equal((await cli(['migrate'])).code, 0);
	const rot = await cli(['keys', 'rotate']);
	assert.equal(rot.code, 0, rot.stderr);

	const srv = await startOidcd(t, { dir, db, secret: TEST_SECRET });
	const { body: admin } = await getJson(`${srv.adminUrl}/admin/keys`);
	assert.equal(admin.keys.filter((k) => k.status === 'active').length, 1, `one active key: ${JSON.stringify(admin.keys.map((k) => [k.kid, k.status]))}`);
	const r = await runJwstool(['sign', '--database', db, '--secret', TEST_SECRET, '--payload', '{"sub":"alice"}']);
	assert.equal(r.code, 0, `a token can be signed now: ${r.stderr}`);
	const { body: doc } = await getJson(`${srv.publicUrl}/.well-known/openid-configuration`);
	await jose.jwtVerify(r.stdout.trim(), jose.createRemoteJWKSet(new URL(doc.jwks_uri)), { algorithms: ['RS256'] });
	await srv.stopOk();
});
