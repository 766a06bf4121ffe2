// lifecycle.test.mjs — the daemon's life: start-up line, signals, restarts on the same
// database, a corrupt database refused and left untouched, the --dev secret file, and the
// HTTP layer's edges (404, 405 + Allow, trailing slash, 413, oversized headers, health,
// admin version, access log hygiene) (issue 2, "The binary", "Storage", "HTTP").

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { spawn } from 'node:child_process';

import {
	assertJsonError,
	assertNoStore,
	assertSecurityHeaders,
	childEnv,
	getJson,
	lines,
	OIDCD_BIN,
	parseLogLine,
	pgDatabase,
	projectVersion,
	rawRequest,
	request,
	runOidcd,
	sqliteOnly,
	startOidcd,
	tempDir,
	TEST_SECRET,
} from './lib/oidcd.mjs';

test('start-up line names version, issuer, public and admin addresses, database; SIGTERM → exit 0', async (t) => {
	const srv = await startOidcd(t, { secret: TEST_SECRET });
	const f = srv.startFields;
	assert.equal(f.msg, 'oidcd started');
	if (projectVersion) assert.equal(f.version, projectVersion);
	else assert.ok(f.version);
	assert.equal(f.issuer, `http://127.0.0.1:${srv.publicPort}`);
	assert.equal(f.public, `127.0.0.1:${srv.publicPort}`);
	assert.equal(f.admin, `127.0.0.1:${srv.adminPort}`);
	assert.equal(f.database, srv.db);
	assert.notEqual(srv.publicPort, srv.adminPort);
	assert.ok(!srv.stderr().includes(TEST_SECRET), 'the system secret is never logged');
	await srv.stopOk('SIGTERM');
	assert.ok(!srv.stderr().includes(TEST_SECRET), 'the system secret is never logged');
});

test('a production (non --dev) start logs no warnings or errors', async (t) => {
	const srv = await startOidcd(t, {
		dev: false,
		secret: TEST_SECRET,
		args: ['--set', 'issuer=https://id.example.com', '--set', 'log.format=json'],
	});
	assert.equal(srv.issuer, 'https://id.example.com');
	assert.equal((await request(`${srv.publicUrl}/health/ready`)).status, 200);
	await srv.stopOk();
	const noisy = lines(srv.stderr()).filter((l) => /^(warn|error)/i.test(String(parseLogLine(l)?.level)));
	assert.deepEqual(noisy, [], 'no warn/error lines on a clean start and stop');
	assert.ok(!existsSync(`${srv.db}.secret`), 'no generated secret without --dev');
});

test('SIGINT → exit 0', async (t) => {
	const srv = await startOidcd(t, { secret: TEST_SECRET });
	const res = await request(`${srv.publicUrl}/health/alive`);
	assert.equal(res.status, 200);
	await srv.stopOk('SIGINT');
});

test('JSON start-up line when log.format=json', async (t) => {
	const srv = await startOidcd(t, { secret: TEST_SECRET, args: ['--set', 'log.format=json'] });
	const f = JSON.parse(srv.startLine);
	assert.equal(f.msg, 'oidcd started');
	assert.equal(f.public, `127.0.0.1:${srv.publicPort}`);
	assert.equal(f.admin, `127.0.0.1:${srv.adminPort}`);
	assert.equal(f.database, srv.db);
	assert.equal(f.issuer, srv.publicUrl);
	await srv.stopOk();
});

test('log.output=stdout: the log lines go to stdout, as JSON, and nothing to stderr', async (t) => {
	const dir = await tempDir(t);
	const child = spawn(OIDCD_BIN, ['serve', '--dev', '--listen', '127.0.0.1:0', '--admin-listen', 'off', '--database', await pgDatabase(path.join(dir, 'o.db')), '--set', `secrets.system=${TEST_SECRET}`, '--set', 'log.output=stdout'], { env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
	let out = '';
	let err = '';
	child.stderr.setEncoding('utf8').on('data', (d) => (err += d));
	const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
	await new Promise((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error(`no start line on stdout: ${out} / ${err}`)), 30000);
		child.stdout.setEncoding('utf8').on('data', (d) => {
			out += d;
			if (out.includes('oidcd started')) {
				clearTimeout(timer);
				resolve();
			}
		});
	});
	child.kill('SIGTERM');
	assert.deepEqual(await exited, { code: 0, signal: null });
	const logged = lines(out);
	assert.ok(logged.length > 0);
	for (const l of logged) assert.equal(typeof JSON.parse(l).msg, 'string', `a JSON line: ${l}`);
	assert.equal(err, '', 'nothing on stderr');
});

test('--dev without a secret creates <db>.secret (0600), warns about development, and a restart keeps keys and secret', { skip: sqliteOnly('the --dev secret file is written beside the SQLite file') }, async (t) => {
	const dir = await tempDir(t);
	const db = path.join(dir, 'oidcd.db');
	const secretFile = `${db}.secret`;

	let srv = await startOidcd(t, { dir, db });
	assert.ok(existsSync(secretFile), `${secretFile} exists`);
	const st = await stat(secretFile);
	assert.equal(st.mode & 0o777, 0o600, `mode is 0600, got ${(st.mode & 0o777).toString(8)}`);
	const secret1 = await readFile(secretFile);
	assert.ok(secret1.toString('utf8').trim().length >= 16, 'the generated secret is at least 16 characters');

	const warn = lines(srv.stderr()).find((l) => /development/i.test(l));
	assert.ok(warn, `a line mentions "development":\n${srv.stderr()}`);
	assert.match(String(parseLogLine(warn)?.level), /^warn/i, `it is a warning: ${warn}`);
	assert.ok(!srv.stderr().includes(secret1.toString('utf8').trim()), 'the generated secret is not logged');

	const { body: jwks1 } = await getJson(`${srv.publicUrl}/.well-known/jwks.json`);
	const { body: admin1 } = await getJson(`${srv.adminUrl}/admin/keys`);
	await srv.stopOk();

	srv = await startOidcd(t, { dir, db });
	const { body: jwks2 } = await getJson(`${srv.publicUrl}/.well-known/jwks.json`);
	const { body: admin2 } = await getJson(`${srv.adminUrl}/admin/keys`);
	assert.deepEqual(jwks2.keys.map((k) => k.kid).sort(), jwks1.keys.map((k) => k.kid).sort(), 'same kids after restart');
	assert.deepEqual(jwks2, jwks1, 'same JWKS after restart');
	assert.deepEqual(admin2, admin1, 'same /admin/keys after restart');
	assert.deepEqual(await readFile(secretFile), secret1, 'the secret file is reused, not regenerated');
	await srv.stopOk();

	// The CLI in --dev finds the same secret file and can read the key.
	const list = await runOidcd(['keys', 'list', '--dev', '--database', db]);
	assert.equal(list.code, 0, list.stderr);
	const keyLines = lines(list.stdout).filter((l) => l.trim().split(/\s+/).includes('active'));
	assert.equal(keyLines.length, 1, list.stdout);
	assert.ok(keyLines[0].includes(jwks1.keys[0].kid), list.stdout);
});

test('a restart with an explicit secret keeps the same JWKS kids', async (t) => {
	const dir = await tempDir(t);
	let srv = await startOidcd(t, { dir, secret: TEST_SECRET });
	const { body: jwks1 } = await getJson(`${srv.publicUrl}/.well-known/jwks.json`);
	await srv.stopOk();
	srv = await startOidcd(t, { dir, secret: TEST_SECRET });
	const { body: jwks2 } = await getJson(`${srv.publicUrl}/.well-known/jwks.json`);
	assert.deepEqual(jwks2.keys.map((k) => k.kid), jwks1.keys.map((k) => k.kid));
	await srv.stopOk();
	assert.ok(!existsSync(path.join(dir, 'oidcd.db.secret')), 'no secret file when a secret is configured');
});

test('a corrupt database file is refused (exit 2, path named) and left byte-identical, with no -wal/-shm', { skip: sqliteOnly('a corrupt SQLite file, -wal and -shm') }, async (t) => {
	const dir = await tempDir(t);
	const db = path.join(dir, 'oidcd.db');
	const junk = randomBytes(64 * 1024);
	junk.write('not an sqlite database', 0); // never starts with "SQLite format 3\0"
	await writeFile(db, junk);

	const runs = {
		serve: ['serve', '--dev', '--listen', '127.0.0.1:0', '--admin-listen', 'off', '--database', db, '--set', `secrets.system=${TEST_SECRET}`],
		migrate: ['migrate', '--dev', '--database', db, '--set', `secrets.system=${TEST_SECRET}`],
		'keys list': ['keys', 'list', '--dev', '--database', db, '--set', `secrets.system=${TEST_SECRET}`],
	};
	for (const [what, args] of Object.entries(runs)) {
		const r = await runOidcd(args);
		assert.equal(r.code, 2, `${what}: exit 2 (got ${r.code}, signal ${r.signal})\nstderr: ${r.stderr}`);
		assert.ok(r.stderr.includes(db), `${what}: the message names ${db}:\n${r.stderr}`);
		assert.ok(!/oidcd started/.test(r.stderr), `${what}: did not start`);
		assert.deepEqual(await readFile(db), junk, `${what}: the file is byte-identical`);
		for (const suffix of ['-wal', '-shm', '-journal', '-gen']) {
			assert.ok(!existsSync(db + suffix), `${what}: no ${path.basename(db)}${suffix} created`);
		}
	}
});

test('health endpoints (public and admin) and /admin/version', async (t) => {
	const srv = await startOidcd(t, { secret: TEST_SECRET });
	for (const url of [
		`${srv.publicUrl}/health/alive`,
		`${srv.publicUrl}/health/ready`,
		`${srv.adminUrl}/admin/health/alive`,
		`${srv.adminUrl}/admin/health/ready`,
	]) {
		const { body, res } = await getJson(url);
		assert.deepEqual(body, { status: 'ok' }, url);
		assertSecurityHeaders(res, url);
		assertNoStore(res, url);
	}
	const { body, res } = await getJson(`${srv.adminUrl}/admin/version`);
	assert.equal(typeof body.version, 'string');
	if (projectVersion) assert.equal(body.version, projectVersion);
	assertSecurityHeaders(res, '/admin/version');
	assertNoStore(res, '/admin/version');

	// The admin API is not on the public listener.
	const pub = await request(`${srv.publicUrl}/admin/version`);
	assert.equal(pub.status, 404, 'admin routes are not served on the public port');
	await srv.stopOk();
});

test('404 and 405 are JSON errors with the security headers; 405 has Allow: GET', async (t) => {
	const srv = await startOidcd(t, { secret: TEST_SECRET });
	for (const url of [`${srv.publicUrl}/no/such/path`, `${srv.adminUrl}/admin/no-such-thing`, `${srv.publicUrl}/.well-known/jwks.json/extra`]) {
		const res = await request(url);
		assertJsonError(res, 404, url);
		assertSecurityHeaders(res, url);
		assertNoStore(res, url);
	}
	for (const [method, url] of [
		['POST', `${srv.publicUrl}/.well-known/jwks.json`],
		['DELETE', `${srv.publicUrl}/.well-known/openid-configuration`],
		['PUT', `${srv.publicUrl}/health/alive`],
		['POST', `${srv.adminUrl}/admin/version`],
	]) {
		const res = await request(url, { method, headers: { 'content-length': '0' } });
		assertJsonError(res, 405, `${method} ${url}`);
		const allow = String(res.headers.allow || '');
		assert.ok(allow.split(/\s*,\s*/).includes('GET'), `${method} ${url}: Allow contains GET: "${allow}"`);
		assertSecurityHeaders(res, `${method} ${url}`);
	}
	await srv.stopOk();
});

test('one trailing slash is ignored', async (t) => {
	const srv = await startOidcd(t, { secret: TEST_SECRET });
	const { body } = await getJson(`${srv.publicUrl}/health/alive/`);
	assert.deepEqual(body, { status: 'ok' });
	const { body: doc } = await getJson(`${srv.publicUrl}/.well-known/openid-configuration/`);
	assert.equal(doc.issuer, srv.issuer);
	const { body: jwks } = await getJson(`${srv.publicUrl}/.well-known/jwks.json/`);
	assert.ok(Array.isArray(jwks.keys));
	const { body: ver } = await getJson(`${srv.adminUrl}/admin/version/`);
	assert.equal(typeof ver.version, 'string');
	await srv.stopOk();
});

test('a body over limits.body_bytes gets 413 JSON and the server keeps serving', async (t) => {
	const srv = await startOidcd(t, { secret: TEST_SECRET, args: ['--set', 'limits.body_bytes=1024'] });
	const big = 'a='.padEnd(4096, 'x');

	const declared = await request(`${srv.publicUrl}/.well-known/jwks.json`, {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(big.length) },
		body: big,
	});
	assertJsonError(declared, 413, 'Content-Length body');
	assertSecurityHeaders(declared, '413');

	const chunked = await request(`${srv.publicUrl}/.well-known/jwks.json`, {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded', 'transfer-encoding': 'chunked' },
		body: [big.slice(0, 1000), big.slice(1000, 2000), big.slice(2000)],
	});
	assertJsonError(chunked, 413, 'chunked body');

	const alive = await request(`${srv.publicUrl}/health/alive`);
	assert.equal(alive.status, 200, 'still serving after 413');

	// A body within the limit is not a 413 (here: 405, the route has no POST).
	const small = await request(`${srv.publicUrl}/.well-known/jwks.json`, {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded' },
		body: 'a=b',
	});
	assert.equal(small.status, 405);
	await srv.stopOk();
});

test('a request with a 100 KiB header gets a 4xx and the server keeps serving', async (t) => {
	const srv = await startOidcd(t, { secret: TEST_SECRET });
	const cookie = 'c='.padEnd(100 * 1024, 'y');
	const r = await rawRequest(
		srv.publicPort,
		`GET /health/alive HTTP/1.1\r\nHost: 127.0.0.1:${srv.publicPort}\r\nCookie: ${cookie}\r\nConnection: close\r\n\r\n`,
	);
	assert.ok(r.status !== null, `the server answers with a status line, got: ${JSON.stringify(r.text.slice(0, 200))}`);
	assert.ok(r.status >= 400 && r.status < 500, `4xx (431 or 413 expected), got ${r.status}`);

	const longUrl = await rawRequest(
		srv.publicPort,
		`GET /health/alive?q=${'z'.repeat(100 * 1024)} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
	);
	assert.ok(longUrl.status >= 400 && longUrl.status < 500, `100 KiB request line → 4xx, got ${longUrl.status}`);

	for (let i = 0; i < 3; i++) {
		const alive = await request(`${srv.publicUrl}/health/alive`);
		assert.equal(alive.status, 200, 'still serving after an oversized header');
	}
	await srv.stopOk();
});

test('malformed requests get a 4xx, never a 5xx, and the server keeps serving', async (t) => {
	const srv = await startOidcd(t, { secret: TEST_SECRET });
	const bad = [
		'GARBAGE\r\n\r\n',
		'GET /%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
		'GET /\x01\x7f HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
	];
	for (const raw of bad) {
		const r = await rawRequest(srv.publicPort, raw);
		if (r.status !== null) assert.ok(r.status >= 400 && r.status < 500, `${JSON.stringify(raw)} → ${r.status}`);
	}
	const alive = await request(`${srv.publicUrl}/health/alive`);
	assert.equal(alive.status, 200);
	await srv.stopOk();
});

test('access log (json): one line per request with method, path, status; no query string, Authorization or Cookie value', async (t) => {
	const srv = await startOidcd(t, { secret: TEST_SECRET, args: ['--set', 'log.format=json'] });
	const QUERY = 'QUERYSECRETq1w2e3';
	const AUTH = 'AUTHSECRETa1s2d3';
	const COOKIE = 'COOKIESECRETz1x2c3';
	const headers = { authorization: `Bearer ${AUTH}`, cookie: `sid=${COOKIE}` };
	assert.equal((await request(`${srv.publicUrl}/health/alive?token=${QUERY}`, { headers })).status, 200);
	assert.equal((await request(`${srv.publicUrl}/.well-known/jwks.json?access_token=${QUERY}`, { headers })).status, 200);
	assert.equal((await request(`${srv.publicUrl}/nope?code=${QUERY}`, { headers })).status, 404);
	assert.equal((await request(`${srv.adminUrl}/admin/version?x=${QUERY}`, { headers })).status, 200);
	await srv.stopOk();

	const log = srv.stderr();
	for (const l of lines(log)) {
		let obj;
		assert.doesNotThrow(() => (obj = JSON.parse(l)), `every log line is JSON with log.format=json: ${l}`);
		assert.equal(typeof obj, 'object');
	}
	const entries = lines(log).map((l) => JSON.parse(l));
	const find = (p, status) =>
		entries.filter((e) => e.method === 'GET' && e.path === p && Number(e.status) === status);
	assert.equal(find('/health/alive', 200).length, 1, `one access line for /health/alive:\n${log}`);
	assert.equal(find('/.well-known/jwks.json', 200).length, 1, `one access line for jwks:\n${log}`);
	assert.equal(find('/nope', 404).length, 1, `one access line for the 404:\n${log}`);
	assert.equal(find('/admin/version', 200).length, 1, `one access line for the admin request:\n${log}`);
	for (const secret of [QUERY, AUTH, COOKIE, TEST_SECRET]) {
		assert.ok(!log.includes(secret), `the log never contains ${secret}:\n${log}`);
	}
});
