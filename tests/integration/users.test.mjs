// users.test.mjs — the built-in user store (issue 4, "Users"): the admin API /admin/users
// (create, list with pagination, get, full replacement, delete; 409 for a taken username;
// passwords write-only: never in an answer nor in the log; admin.token), the CLI
// `oidcd users add|list|get|update|passwd|delete` with the password on standard input, and
// the --dev demo user printed once, on the first start only.

import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';

import { assertJsonError, assertNoStore, lines, request, runOidcd, sendJson, startOidcd, tempDir } from './lib/oidcd.mjs';

const ADMIN_TOKEN = 'admin-token-0123456789abcdef';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const DEMO_LINE = /development setup: demo user 'demo' with password '([^']+)'/;

// No rendered user may carry anything password-like.
function assertNoPassword(value, what) {
	const text = JSON.stringify(value);
	assert.ok(!/password/i.test(text), `${what}: no password member: ${text}`);
	assert.ok(!text.includes('$scrypt$'), `${what}: no password hash: ${text}`);
}

function users(db, args, opts) {
	return runOidcd(['users', ...args, '--dev', '--database', db], opts);
}

function okJson(r, what) {
	assert.equal(r.code, 0, `${what}: exit 0 (got ${r.code})\nstderr: ${r.stderr}`);
	try {
		return JSON.parse(r.stdout);
	} catch (e) {
		assert.fail(`${what}: stdout is JSON (${e.message}):\n${r.stdout}`);
	}
}

// Exit 1 and one line "oidcd: <code>: <description>" on stderr; returns that line.
function oneLineError(r, what) {
	assert.equal(r.code, 1, `${what}: exit 1 (got ${r.code}, signal ${r.signal})\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
	const errLines = lines(r.stderr).filter((l) => !l.includes('level=warn'));
	assert.equal(errLines.length, 1, `${what}: one line on stderr, got:\n${r.stderr}`);
	assert.match(errLines[0], /^oidcd: [a-z_]+: \S/, `${what}: "oidcd: <code>: <description>"`);
	return errLines[0];
}

test('admin users: create → 201 + Location, get, duplicate → 409, full replacement, rename, delete → 204', async (t) => {
	const srv = await startOidcd(t);
	const base = `${srv.adminUrl}/admin/users`;
	const password = 'Tr0ub4dor&3-admin-api';
	const claims = {
		name: 'Jane Doe',
		given_name: 'Jane',
		family_name: 'Doe',
		middle_name: 'Q',
		nickname: 'JD',
		preferred_username: 'jane.d',
		profile: 'https://example.com/jane',
		picture: 'https://example.com/jane.png',
		website: 'http://jane.example.org/',
		email: 'jane@example.com',
		email_verified: true,
		gender: 'female',
		birthdate: '1990-02-28',
		zoneinfo: 'Europe/Paris',
		locale: 'fr-FR',
		phone_number: '+33 1 23 45 67 89',
		phone_number_verified: false,
		address: { formatted: '1 rue de la Paix\n75002 Paris', street_address: '1 rue de la Paix', locality: 'Paris', region: 'IDF', postal_code: '75002', country: 'FR' },
	};

	const res = await sendJson(base, 'POST', { username: 'jane', password, ...claims });
	assert.equal(res.status, 201, res.text);
	assertNoStore(res, 'POST /admin/users');
	const jane = res.json;
	assert.match(jane.id, UUID);
	assert.equal(res.headers.location, `/admin/users/${jane.id}`);
	assert.equal(jane.username, 'jane');
	for (const [k, v] of Object.entries(claims)) assert.deepEqual(jane[k], v, `create answer ${k}`);
	assert.equal(typeof jane.created_at, 'number');
	assert.equal(jane.updated_at, jane.created_at);
	assertNoPassword(jane, 'create answer');

	const got = await sendJson(`${base}/${jane.id}`, 'GET');
	assert.equal(got.status, 200, got.text);
	assert.deepEqual(got.json, jane, 'GET returns what POST answered');
	assertNoPassword(got.json, 'GET');

	// Usernames are unique ignoring case.
	const dup = await sendJson(base, 'POST', { username: 'JANE', password: 'another-password' });
	assertJsonError(dup, 409, 'duplicate username');
	assert.ok(dup.json.error_description.includes('username'), dup.text);

	// PUT replaces every claim; username and password stay unless given.
	const put = await sendJson(`${base}/${jane.id}`, 'PUT', { ...got.json, name: 'Jane D.', address: undefined, nickname: undefined });
	assert.equal(put.status, 200, put.text);
	assert.equal(put.json.name, 'Jane D.');
	assert.equal(put.json.address, undefined);
	assert.equal(put.json.nickname, undefined);
	assert.equal(put.json.username, 'jane');
	assert.equal(put.json.created_at, jane.created_at);
	assertNoPassword(put.json, 'PUT answer');
	const bare = await sendJson(`${base}/${jane.id}`, 'PUT', { password: 'a-new-password' });
	assert.equal(bare.status, 200, bare.text);
	assert.deepEqual(Object.keys(bare.json).sort(), ['created_at', 'id', 'updated_at', 'username']);
	assertNoPassword(bare.json, 'PUT with a password');

	// Rename; renaming onto another user's name is 409 and changes nothing.
	const bob = await sendJson(base, 'POST', { username: 'bob', password: 'bob-password' });
	assert.equal(bob.status, 201, bob.text);
	const renamed = await sendJson(`${base}/${jane.id}`, 'PUT', { username: 'jane.doe', email: 'jd@example.com' });
	assert.equal(renamed.status, 200, renamed.text);
	assert.equal(renamed.json.username, 'jane.doe');
	assertJsonError(await sendJson(`${base}/${jane.id}`, 'PUT', { username: 'Bob' }), 409, 'rename onto bob');
	assert.equal((await sendJson(`${base}/${jane.id}`, 'GET')).json.username, 'jane.doe');
	assertJsonError(await sendJson(`${base}/${jane.id}`, 'PUT', { id: bob.json.id }), 400, 'PUT with a foreign id');

	// DELETE → 204; then everything about that id is 404.
	const del = await sendJson(`${base}/${jane.id}`, 'DELETE');
	assert.equal(del.status, 204, del.text);
	assert.equal(del.text, '');
	assertJsonError(await sendJson(`${base}/${jane.id}`, 'GET'), 404, 'GET after delete');
	assertJsonError(await sendJson(`${base}/${jane.id}`, 'PUT', {}), 404, 'PUT after delete');
	assertJsonError(await sendJson(`${base}/${jane.id}`, 'DELETE'), 404, 'DELETE after delete');

	await srv.stopOk();
	for (const secret of [password, 'another-password', 'a-new-password', 'bob-password']) {
		assert.ok(!srv.stderr().includes(secret), `the password ${secret} is never logged`);
	}
});

test('admin users: bad input → 400 naming the member, nothing written', async (t) => {
	const srv = await startOidcd(t);
	const base = `${srv.adminUrl}/admin/users`;
	const ok = { username: 'eve', password: 'eve-password' };
	const cases = [
		[{ ...ok, email_verified: 'yes' }, 'email_verified'],
		[{ ...ok, name: 7 }, 'name'],
		[{ ...ok, address: { city: 'Paris' } }, 'address.city'],
		[{ ...ok, address: 'Paris' }, 'address'],
		[{ ...ok, favourite_colour: 'blue' }, 'favourite_colour'],
		[{ ...ok, picture: 'ftp://example.com/p.png' }, 'picture'],
		[{ ...ok, website: 'example.com' }, 'website'],
		[{ ...ok, email: 'no-at-sign' }, 'email'],
		[{ ...ok, birthdate: '1990-02-30' }, 'birthdate'],
		[{ ...ok, locale: 'not a locale' }, 'locale'],
		[{ ...ok, password: 'short' }, 'password'],
		[{ ...ok, password: 12345678 }, 'password'],
		[{ ...ok, username: 'has space' }, 'username'],
		[{ ...ok, username: 'x'.repeat(65) }, 'username'],
		[{ ...ok, id: 'chosen' }, 'id'],
		[{ password: 'eve-password' }, 'username'],
		[{ username: 'eve' }, 'password'],
	];
	for (const [body, member] of cases) {
		const r = await sendJson(base, 'POST', body);
		assertJsonError(r, 400, `POST ${JSON.stringify(body)}`);
		assert.equal(r.json.error, 'invalid_request');
		assert.ok(r.json.error_description.startsWith(`${member}:`), `names ${member}: ${r.json.error_description}`);
	}
	for (const raw of ['', 'not json', '[1]', '{"username":"eve","username":"x","password":"eve-password"}']) {
		assertJsonError(await sendJson(base, 'POST', raw), 400, `POST ${JSON.stringify(raw)}`);
	}
	const list = await sendJson(base, 'GET');
	assert.deepEqual(list.json.map((u) => u.username), ['demo'], 'only the --dev demo user exists');
	await srv.stopOk();
});

test('admin users list: pages in username order with Link rel="next" and X-Total-Count', async (t) => {
	const srv = await startOidcd(t, { dev: false, secret: 'integration-test-secret-0123456789', args: ['--set', 'issuer=https://id.example.com'] });
	const base = `${srv.adminUrl}/admin/users`;
	const names = ['delta', 'Alpha', 'echo', 'charlie', 'bravo'];
	for (const username of names) {
		const r = await sendJson(base, 'POST', { username, password: `${username}-password` });
		assert.equal(r.status, 201, r.text);
	}
	const empty = await sendJson(`${base}?page_size=2`, 'GET');
	assert.equal(empty.headers['x-total-count'], '5');

	const seen = [];
	let next = '/admin/users?page_size=2';
	let pages = 0;
	while (next) {
		const r = await sendJson(`${srv.adminUrl}${next}`, 'GET');
		assert.equal(r.status, 200, r.text);
		assert.equal(r.headers['x-total-count'], '5');
		assert.ok(r.json.length <= 2);
		for (const u of r.json) assertNoPassword(u, 'list item');
		seen.push(...r.json.map((u) => u.username));
		const link = r.headers.link;
		next = link ? link.match(/^<([^>]+)>; rel="next"$/)[1] : null;
		pages++;
	}
	assert.equal(pages, 3);
	assert.deepEqual(seen, ['Alpha', 'bravo', 'charlie', 'delta', 'echo']);
	assertJsonError(await sendJson(`${base}?page_size=0`, 'GET'), 400, 'page_size=0');
	assertJsonError(await sendJson(`${base}?page_size=501`, 'GET'), 400, 'page_size=501');
	assertJsonError(await sendJson(`${base}?page_token=***`, 'GET'), 400, 'bad page_token');
	await srv.stopOk();
});

test('admin users: admin.token is required', async (t) => {
	const srv = await startOidcd(t, { args: ['--set', `admin.token=${ADMIN_TOKEN}`] });
	for (const [method, p, body] of [
		['GET', '/admin/users'],
		['POST', '/admin/users', { username: 'x', password: 'x-password' }],
		['GET', '/admin/users/x'],
		['PUT', '/admin/users/x', {}],
		['DELETE', '/admin/users/x'],
		['GET', '/users'],
	]) {
		const r = await sendJson(`${srv.adminUrl}${p}`, method, body);
		assertJsonError(r, 401, `${method} ${p} without the token`);
		assert.equal(r.json.error, 'invalid_token');
	}
	const created = await sendJson(`${srv.adminUrl}/admin/users`, 'POST', { username: 'tok', password: 'tok-password' }, { token: ADMIN_TOKEN });
	assert.equal(created.status, 201, created.text);
	const list = await sendJson(`${srv.adminUrl}/admin/users`, 'GET', undefined, { token: ADMIN_TOKEN });
	assert.deepEqual(list.json.map((u) => u.username).sort(), ['demo', 'tok']);
	// The public listener has no user API.
	assert.equal((await request(`${srv.publicUrl}/admin/users`)).status, 404);
	await srv.stopOk();
});

test('users CLI: add (password on stdin), list, get by id or username, update, passwd, delete', async (t) => {
	const dir = await tempDir(t);
	const db = path.join(dir, 'oidcd.db');
	const claimsFile = path.join(dir, 'claims.json');
	await writeFile(claimsFile, JSON.stringify({ name: 'Carol', email: 'carol@example.com', email_verified: true }));

	const added = await users(db, ['add', 'carol', '--file', claimsFile], { input: 'carol-first-password\n' });
	const carol = okJson(added, 'add');
	assert.match(carol.id, UUID);
	assert.equal(carol.username, 'carol');
	assert.equal(carol.name, 'Carol');
	assert.equal(carol.email_verified, true);
	assertNoPassword(carol, 'add');
	assert.ok(!added.stdout.includes('carol-first-password') && !added.stderr.includes('carol-first-password'));

	const dave = okJson(await users(db, ['add', 'dave'], { input: 'dave-password' }), 'add without a claims file or newline');
	assert.deepEqual(Object.keys(dave).sort(), ['created_at', 'id', 'updated_at', 'username']);

	const list = okJson(await users(db, ['list']), 'list');
	assert.deepEqual(list.map((u) => u.username), ['carol', 'dave']);
	for (const u of list) assertNoPassword(u, 'list');

	assert.deepEqual(okJson(await users(db, ['get', carol.id]), 'get by id'), carol);
	assert.deepEqual(okJson(await users(db, ['get', 'CAROL']), 'get by username'), carol);

	const upd = path.join(dir, 'update.json');
	await writeFile(upd, JSON.stringify({ ...carol, name: 'Carol Smith', email_verified: undefined }));
	const updated = okJson(await users(db, ['update', carol.id, '--file', upd]), 'update --file');
	assert.equal(updated.name, 'Carol Smith');
	assert.equal(updated.email_verified, undefined, 'a full replacement');
	const viaStdin = okJson(await users(db, ['update', carol.id], { input: JSON.stringify({ username: 'caroline', locale: 'en-GB' }) }), 'update from stdin');
	assert.equal(viaStdin.username, 'caroline');
	assert.equal(viaStdin.name, undefined);

	const pw = await users(db, ['passwd', 'caroline'], { input: 'carol-second-password\n' });
	assert.equal(pw.code, 0, pw.stderr);
	assert.ok(pw.stdout.includes(carol.id), pw.stdout);
	assert.ok(!pw.stdout.includes('carol-second-password') && !pw.stderr.includes('carol-second-password'));

	const del = await users(db, ['delete', carol.id]);
	assert.equal(del.code, 0, del.stderr);
	assert.deepEqual(okJson(await users(db, ['list']), 'list after delete').map((u) => u.username), ['dave']);
	const gone = oneLineError(await users(db, ['get', carol.id]), 'get after delete');
	assert.match(gone, /^oidcd: not_found: /);
	assert.ok(gone.includes(carol.id));
});

test('users CLI errors: one line, exit 1; usage errors exit 2; passwords never from arguments', async (t) => {
	const dir = await tempDir(t);
	const db = path.join(dir, 'oidcd.db');
	okJson(await users(db, ['add', 'frank'], { input: 'frank-password\n' }), 'add');

	assert.match(oneLineError(await users(db, ['add', 'FRANK'], { input: 'other-password\n' }), 'duplicate'), /^oidcd: invalid_request: username: /);
	assert.match(oneLineError(await users(db, ['add', 'gina'], { input: 'short\n' }), 'short password'), /^oidcd: invalid_request: password: /);
	assert.match(oneLineError(await users(db, ['add', 'gina'], { input: '' }), 'no password'), /^oidcd: invalid_request: password: /);
	assert.match(oneLineError(await users(db, ['add', 'bad name'], { input: 'gina-password\n' }), 'bad username'), /^oidcd: invalid_request: username: /);
	const claims = path.join(dir, 'bad.json');
	await writeFile(claims, JSON.stringify({ email: 'nope' }));
	assert.match(oneLineError(await users(db, ['add', 'gina', '--file', claims], { input: 'gina-password\n' }), 'bad claims'), /^oidcd: invalid_request: email: /);
	await writeFile(claims, JSON.stringify({ password: 'in-a-file-password' }));
	assert.match(oneLineError(await users(db, ['add', 'gina', '--file', claims], { input: 'gina-password\n' }), 'password in the file'), /^oidcd: invalid_request: password: /);
	assert.match(
		oneLineError(await users(db, ['update', 'frank'], { input: JSON.stringify({ name: 'F' }) }), 'update by username'),
		/^oidcd: not_found: /,
	);
	const frank = okJson(await users(db, ['get', 'frank']), 'get');
	assert.match(
		oneLineError(await users(db, ['update', frank.id], { input: JSON.stringify({ password: 'new-password-here' }) }), 'password via update'),
		/^oidcd: invalid_request: password: /,
	);
	assert.match(oneLineError(await users(db, ['passwd', 'nobody'], { input: 'whatever-password\n' }), 'passwd unknown'), /^oidcd: not_found: /);
	assert.match(oneLineError(await users(db, ['delete', 'nobody']), 'delete unknown'), /^oidcd: not_found: /);

	for (const args of [['add'], ['add', 'a', 'b'], ['get'], ['passwd'], ['delete'], ['update'], ['list', 'x'], ['add', 'a', '--password', 'x-password']]) {
		const r = await users(db, args, { input: 'irrelevant-password\n' });
		assert.equal(r.code, 2, `users ${args.join(' ')}: exit 2 (got ${r.code})\n${r.stderr}`);
	}
	// Nothing above changed the store.
	assert.deepEqual(okJson(await users(db, ['list']), 'list').map((u) => u.username), ['frank']);
});

test('the CLI and the running server share one store', async (t) => {
	const srv = await startOidcd(t);
	const cli = okJson(await users(srv.db, ['add', 'henry'], { input: 'henry-password\n' }), 'add');
	const seen = await sendJson(`${srv.adminUrl}/admin/users/${cli.id}`, 'GET');
	assert.equal(seen.status, 200, seen.text);
	assert.equal(seen.json.username, 'henry');
	const api = await sendJson(`${srv.adminUrl}/admin/users`, 'POST', { username: 'iris', password: 'iris-password', name: 'Iris' });
	assert.equal(api.status, 201, api.text);
	assert.equal(okJson(await users(srv.db, ['get', 'iris']), 'get').name, 'Iris');
	await srv.stopOk();
});

test('--dev creates the demo user on the first start only and prints its password once', async (t) => {
	const dir = await tempDir(t);
	const first = await startOidcd(t, { dir });
	const demoLines = lines(first.stderr()).filter((l) => DEMO_LINE.test(l));
	assert.equal(demoLines.length, 1, `one demo-user line:\n${first.stderr()}`);
	assert.match(demoLines[0], /level=warn|"level":"warn"/);
	const demoPassword = demoLines[0].match(DEMO_LINE)[1];
	assert.ok(demoPassword.length >= 16, 'a random password of 16+ characters');

	const list = await sendJson(`${first.adminUrl}/admin/users`, 'GET');
	assert.equal(list.status, 200, list.text);
	assert.equal(list.json.length, 1);
	const demo = list.json[0];
	assert.equal(demo.username, 'demo');
	assert.equal(demo.name, 'Demo User');
	assert.equal(demo.email, 'demo@example.com');
	assert.equal(demo.email_verified, true);
	assertNoPassword(demo, 'demo user');
	await first.stopOk();
	assert.equal(first.stderr().split(demoPassword).length - 1, 1, 'the password appears exactly once in the log');

	const second = await startOidcd(t, { dir });
	assert.ok(!DEMO_LINE.test(second.stderr()), `no demo-user line on the second start:\n${second.stderr()}`);
	assert.ok(!second.stderr().includes(demoPassword));
	assert.equal((await sendJson(`${second.adminUrl}/admin/users`, 'GET')).json.length, 1);
	await second.stopOk();

	// Without --dev there is no demo user.
	const prod = await startOidcd(t, { dev: false, secret: 'integration-test-secret-0123456789', args: ['--set', 'issuer=https://id.example.com'] });
	assert.ok(!DEMO_LINE.test(prod.stderr()));
	assert.deepEqual((await sendJson(`${prod.adminUrl}/admin/users`, 'GET')).json, []);
	await prod.stopOk();
});
