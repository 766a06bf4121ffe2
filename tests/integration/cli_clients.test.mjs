// cli_clients.test.mjs — `oidcd clients create|list|get|update|delete` on the same store as
// the running server: JSON output, the secret shown once, input from --file or stdin, and
// one readable line on stderr with exit 1 for errors (issue 3, "Admin API and CLI"); what the CLI
// changes, the running server sees at its next request (its client cache follows DB-gen).

import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';

import { getJson, lines, request, runOidcd, sendJson, startOidcd, tempDir } from './lib/oidcd.mjs';

const WEB = 'https://rp.example.com/cb';

// Runs `oidcd clients <args>` on `db` with --dev.
function clients(db, args, opts) {
	return runOidcd(['clients', ...args, '--dev', '--database', db], opts);
}

function okJson(r, what) {
	assert.equal(r.code, 0, `${what}: exit 0 (got ${r.code})\nstderr: ${r.stderr}`);
	try {
		return JSON.parse(r.stdout);
	} catch (e) {
		assert.fail(`${what}: stdout is JSON (${e.message}):\n${r.stdout}`);
	}
}

// Exit 1 and exactly one line "oidcd: ..." on stderr; returns that line.
function oneLineError(r, what) {
	assert.equal(r.code, 1, `${what}: exit 1 (got ${r.code}, signal ${r.signal})\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
	const errLines = lines(r.stderr);
	assert.equal(errLines.length, 1, `${what}: one line on stderr, got:\n${r.stderr}`);
	assert.match(errLines[0], /^oidcd: \S/, `${what}: "oidcd: ..."`);
	return errLines[0];
}

test('clients create (--file and stdin), list, get, update, delete', async (t) => {
	const dir = await tempDir(t);
	const db = path.join(dir, 'oidcd.db');
	const file = path.join(dir, 'client.json');
	await writeFile(
		file,
		JSON.stringify({ client_id: 'cli-one', client_secret: 'cli-chosen-secret', client_name: 'One', redirect_uris: [WEB], metadata: { a: 1 }, owner: 'ops' }),
	);

	const one = okJson(await clients(db, ['create', '--file', file]), 'create --file');
	assert.equal(one.client_id, 'cli-one');
	assert.equal(one.client_secret, 'cli-chosen-secret', 'create prints the secret');
	assert.deepEqual(one.metadata, { a: 1 });
	assert.equal(one.owner, 'ops');

	const two = okJson(await clients(db, ['create'], { input: JSON.stringify({ client_name: 'Two', redirect_uris: [WEB] }) }), 'create from stdin');
	assert.match(two.client_id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
	assert.equal(typeof two.client_secret, 'string');
	assert.ok(two.client_secret.length >= 32, 'a generated secret is shown once');

	const list = okJson(await clients(db, ['list']), 'list');
	assert.ok(Array.isArray(list));
	assert.deepEqual(list.map((c) => c.client_id).sort(), ['cli-one', two.client_id].sort());
	for (const c of list) assert.equal(c.client_secret, undefined, 'list shows no secret');

	const got = okJson(await clients(db, ['get', 'cli-one']), 'get');
	assert.equal(got.client_name, 'One');
	assert.equal(got.client_secret, undefined, 'get shows no secret');
	assert.deepEqual(got.metadata, { a: 1 });

	// update: a full replacement; what `get` printed can be fed back.
	const upd = path.join(dir, 'update.json');
	await writeFile(upd, JSON.stringify({ ...got, client_name: 'One, renamed', redirect_uris: [WEB, 'https://rp.example.com/cb2'] }));
	const updated = okJson(await clients(db, ['update', 'cli-one', '--file', upd]), 'update --file');
	assert.equal(updated.client_name, 'One, renamed');
	assert.deepEqual(updated.redirect_uris, [WEB, 'https://rp.example.com/cb2']);
	assert.deepEqual(updated.metadata, { a: 1 });
	const viaStdin = okJson(
		await clients(db, ['update', 'cli-one'], { input: JSON.stringify({ redirect_uris: [WEB], client_name: 'stdin' }) }),
		'update from stdin',
	);
	assert.equal(viaStdin.client_name, 'stdin');
	assert.deepEqual(viaStdin.metadata, {}, 'update replaces everything');
	assert.equal(okJson(await clients(db, ['get', 'cli-one']), 'get after update').client_name, 'stdin');

	const del = await clients(db, ['delete', 'cli-one']);
	assert.equal(del.code, 0, del.stderr);
	const gone = oneLineError(await clients(db, ['get', 'cli-one']), 'get after delete');
	assert.ok(gone.includes('cli-one'), `names the id: ${gone}`);
	assert.deepEqual(okJson(await clients(db, ['list']), 'list after delete').map((c) => c.client_id), [two.client_id]);
});

test('clients errors: one line, exit 1; invalid metadata names the error code and field', async (t) => {
	const dir = await tempDir(t);
	const db = path.join(dir, 'oidcd.db');
	okJson(await clients(db, ['create'], { input: JSON.stringify({ client_id: 'dup', redirect_uris: [WEB] }) }), 'create');

	const frag = oneLineError(
		await clients(db, ['create'], { input: JSON.stringify({ redirect_uris: ['https://rp.example.com/cb#x'] }) }),
		'fragment',
	);
	assert.match(frag, /^oidcd: invalid_redirect_uri: .*redirect_uri/);
	const meta = oneLineError(
		await clients(db, ['create'], { input: JSON.stringify({ redirect_uris: [WEB], subject_type: 'secret' }) }),
		'subject_type',
	);
	assert.match(meta, /^oidcd: invalid_client_metadata: .*subject_type/);
	const short = oneLineError(
		await clients(db, ['create'], { input: JSON.stringify({ client_secret: 'abc', redirect_uris: [WEB] }) }),
		'short secret',
	);
	assert.match(short, /^oidcd: invalid_client_metadata: .*client_secret/);
	const dup = oneLineError(await clients(db, ['create'], { input: JSON.stringify({ client_id: 'dup', redirect_uris: [WEB] }) }), 'duplicate id');
	assert.match(dup, /^oidcd: \S+: /, `"oidcd: <error_code>: <description>": ${dup}`);
	assert.ok(dup.includes('client_id'), `names the field: ${dup}`);

	oneLineError(await clients(db, ['create'], { input: '{"redirect_uris": [' }), 'truncated JSON');
	oneLineError(await clients(db, ['create'], { input: '' }), 'empty input');
	oneLineError(await clients(db, ['create'], { input: '{"a":1,"a":2}' }), 'duplicate keys');
	oneLineError(await clients(db, ['create'], { input: '[1,2]' }), 'an array');
	oneLineError(await clients(db, ['create', '--file', path.join(dir, 'missing.json')]), 'missing file');
	for (const cmd of ['get', 'update', 'delete']) {
		const line = oneLineError(await clients(db, [cmd, 'nobody'], { input: JSON.stringify({ redirect_uris: [WEB] }) }), `${cmd} unknown id`);
		assert.match(line, /^oidcd: [a-z_]+: /, `${cmd}: "oidcd: <error_code>: <description>": ${line}`);
		assert.ok(line.includes('nobody'), `${cmd}: names the id: ${line}`);
	}
	// Nothing above changed the store.
	assert.deepEqual(okJson(await clients(db, ['list']), 'list').map((c) => c.client_id), ['dup']);
});

test('the CLI and the running server share one store; CLI updates keep the registration access token', async (t) => {
	const srv = await startOidcd(t);
	const cli = okJson(await clients(srv.db, ['create'], { input: JSON.stringify({ client_id: 'from-cli', redirect_uris: [WEB] }) }), 'create');
	assert.equal(cli.client_id, 'from-cli');
	const { body: seen } = await getJson(`${srv.adminUrl}/admin/clients/from-cli`);
	assert.deepEqual(seen.redirect_uris, [WEB]);

	const reg = await sendJson(`${srv.publicUrl}/oauth2/register`, 'POST', { redirect_uris: [WEB], client_name: 'dcr' });
	assert.equal(reg.status, 201, reg.text);
	const id = reg.json.client_id;
	const listed = okJson(await clients(srv.db, ['list']), 'list');
	assert.deepEqual(listed.map((c) => c.client_id).sort(), ['from-cli', id].sort());

	okJson(
		await clients(srv.db, ['update', id], { input: JSON.stringify({ redirect_uris: [WEB], client_name: 'renamed by cli', owner: 'ops' }) }),
		'update',
	);
	const g = await sendJson(`${srv.publicUrl}/oauth2/register/${id}`, 'GET', undefined, { token: reg.json.registration_access_token });
	assert.equal(g.status, 200, `registration token works after a CLI update: ${g.text}`);
	assert.equal(g.json.client_name, 'renamed by cli');
	assert.ok(!('owner' in g.json));

	assert.equal((await clients(srv.db, ['delete', id])).code, 0);
	assert.equal((await request(`${srv.adminUrl}/admin/clients/${id}`)).status, 404);
	assert.equal((await sendJson(`${srv.publicUrl}/oauth2/register/${id}`, 'GET', undefined, { token: reg.json.registration_access_token })).status, 401);
	await srv.stopOk();
});

// The server keeps the clients it read (per worker thread, storage/clients.c); every change
// made through oidcd, in any process, bumps the clients generation in DB-gen, so a client the
// CLI changed or deleted is seen at the server's very next request. Several requests on fresh
// connections reach both worker threads, so each thread's copy is checked.
test('a client the CLI changes or deletes is seen by the running server at its next request', async (t) => {
	const srv = await startOidcd(t);
	const token = (secret, scope) =>
		request(`${srv.publicUrl}/oauth2/token`, {
			method: 'POST',
			headers: {
				'content-type': 'application/x-www-form-urlencoded',
				authorization: `Basic ${Buffer.from(`cached-cc:${secret}`).toString('base64')}`,
			},
			body: `grant_type=client_credentials&scope=${scope}`,
		});
	const statuses = async (secret, scope) => Promise.all(Array.from({ length: 8 }, () => token(secret, scope)));
	const base = {
		client_id: 'cached-cc',
		grant_types: ['client_credentials'],
		response_types: [],
		redirect_uris: [],
		scope: 'api.read api.write',
		token_endpoint_auth_method: 'client_secret_basic',
	};
	okJson(await clients(srv.db, ['create'], { input: JSON.stringify({ ...base, client_secret: 'first-secret-0123456789abcdef' }) }), 'create');
	for (const r of await statuses('first-secret-0123456789abcdef', 'api.read')) assert.equal(r.status, 200, r.text);

	okJson(await clients(srv.db, ['update', 'cached-cc'], { input: JSON.stringify({ ...base, client_secret: 'second-secret-0123456789abcdef' }) }), 'update secret');
	for (const r of await statuses('first-secret-0123456789abcdef', 'api.read')) {
		assert.equal(r.status, 401, `the replaced secret is refused at once: ${r.text}`);
		assert.equal(r.json?.error, 'invalid_client');
	}
	for (const r of await statuses('second-secret-0123456789abcdef', 'api.read')) assert.equal(r.status, 200, r.text);

	okJson(await clients(srv.db, ['update', 'cached-cc'], { input: JSON.stringify({ ...base, scope: 'api.write', client_secret: 'second-secret-0123456789abcdef' }) }), 'update scope');
	for (const r of await statuses('second-secret-0123456789abcdef', 'api.read')) {
		assert.equal(r.status, 400, `a scope the client lost is refused at once: ${r.text}`);
		assert.equal(r.json?.error, 'invalid_scope');
	}

	assert.equal((await clients(srv.db, ['delete', 'cached-cc'])).code, 0);
	for (const r of await statuses('second-secret-0123456789abcdef', 'api.write')) {
		assert.equal(r.status, 401, `a deleted client is refused at once: ${r.text}`);
		assert.equal(r.json?.error, 'invalid_client');
	}
	await srv.stopOk();
});
