// backup.test.mjs — `oidcd backup FILE` taken while a registration load writes, then
// `oidcd restore FILE` with the server stopped: every client acknowledged before the backup
// started is there after the restore, and `sqlite3 DB 'PRAGMA integrity_check'` says ok
// (issue 9, "Backups"). Also the refusals: an existing FILE without --force, a restore while
// the server runs, a file that is not a database.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { test } from 'node:test';

import { request, runOidcd, sendJson, sqliteOnly, startOidcd, tempDir } from './lib/oidcd.mjs';

const LOOPS = 4;

/** `sqlite3 DB 'PRAGMA integrity_check'` → its output, trimmed. */
function integrityCheck(db) {
	return new Promise((resolve, reject) => {
		execFile('sqlite3', [db, 'PRAGMA integrity_check'], (err, out, stderr) =>
			err ? reject(new Error(`sqlite3: ${err.message}\n${stderr}`)) : resolve(out.trim()),
		);
	});
}

/**
 * Runs LOOPS concurrent loops of admin POST /admin/clients until stop() is called. Every
 * 201 is recorded in `acked` (client ids, in acknowledgement order). Resolves once all
 * loops have ended.
 */
function registrationLoad(srv) {
	const acked = [];
	let stopping = false;
	const agent = new http.Agent({ keepAlive: true, maxSockets: LOOPS });
	let n = 0;
	const loop = async (k) => {
		while (!stopping) {
			const res = await sendJson(
				`${srv.adminUrl}/admin/clients`,
				'POST',
				{ client_name: `load-${k}-${n++}`, redirect_uris: ['https://rp.example.com/cb'] },
				{ agent },
			);
			assert.equal(res.status, 201, `create → ${res.status} ${res.text}`);
			acked.push(res.json.client_id);
		}
	};
	const done = Promise.all(Array.from({ length: LOOPS }, (_, k) => loop(k))).finally(() => agent.destroy());
	return {
		acked,
		async stop() {
			stopping = true;
			await done;
		},
		done,
	};
}

/** Resolves once `acked` holds at least n entries (the load is under way). */
async function waitForAcks(load, n) {
	while (load.acked.length < n) {
		await Promise.race([load.done, new Promise((r) => setImmediate(r))]);
	}
}

test('backup during a registration load, restore: every client acknowledged before it is back', { skip: sqliteOnly('oidcd backup/restore copy the SQLite file (PostgreSQL: pg_dump/pg_restore)') }, async (t) => {
	const dir = await tempDir(t);
	const db = path.join(dir, 'oidcd.db');
	const backup = path.join(dir, 'backup.db');
	const srv = await startOidcd(t, { dir, db });

	const load = registrationLoad(srv);
	await waitForAcks(load, 40);
	const before = [...load.acked];
	const r = await runOidcd(['backup', '--dev', '--database', db, backup]);
	await waitForAcks(load, before.length + 40); // writes go on after the backup
	await load.stop();
	assert.equal(r.code, 0, `backup exit 0\nstderr: ${r.stderr}`);
	assert.ok(existsSync(backup), 'the backup file exists');
	assert.ok(!existsSync(`${backup}.tmp`), 'no temporary file is left');
	assert.ok(load.acked.length > before.length, 'the load kept writing during and after the backup');
	await srv.stopOk();

	// The server is stopped: restore, then serve the restored database.
	const rr = await runOidcd(['restore', '--dev', '--database', db, backup]);
	assert.equal(rr.code, 0, `restore exit 0\nstderr: ${rr.stderr}`);
	assert.equal(await integrityCheck(db), 'ok');

	const again = await startOidcd(t, { dir, db });
	const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
	t.after(() => agent.destroy());
	for (const id of before) {
		const res = await request(`${again.adminUrl}/admin/clients/${encodeURIComponent(id)}`, { agent });
		assert.equal(res.status, 200, `client ${id} acknowledged before the backup is restored: ${res.status}`);
		assert.equal(res.json.client_id, id);
	}
	// The restored database holds a prefix of the load, not what came after the backup.
	const list = await request(`${again.adminUrl}/admin/clients?page_size=500`, { agent });
	assert.equal(list.status, 200);
	const total = Number(list.headers['x-total-count']);
	assert.ok(total >= before.length && total < load.acked.length, `restored ${total} of ${load.acked.length} clients`);
	await again.stopOk();
	assert.equal(await integrityCheck(db), 'ok');
});

test('backup refuses an existing FILE without --force; restore refuses while the server runs', { skip: sqliteOnly('oidcd backup/restore copy the SQLite file (PostgreSQL: pg_dump/pg_restore)') }, async (t) => {
	const dir = await tempDir(t);
	const db = path.join(dir, 'oidcd.db');
	const backup = path.join(dir, 'backup.db');
	const srv = await startOidcd(t, { dir, db });
	await writeFile(backup, 'precious');

	const refused = await runOidcd(['backup', '--dev', '--database', db, backup]);
	assert.equal(refused.code, 2, refused.stderr);
	assert.match(refused.stderr, /exists.*--force/);
	const forced = await runOidcd(['backup', '--dev', '--database', db, backup, '--force']);
	assert.equal(forced.code, 0, forced.stderr);
	assert.equal(await integrityCheck(backup), 'ok');

	const busy = await runOidcd(['restore', '--dev', '--database', db, backup]);
	assert.equal(busy.code, 1, busy.stderr);
	assert.match(busy.stderr, /in use/);
	// The server still answers on its database.
	const res = await sendJson(`${srv.adminUrl}/admin/clients`, 'POST', { redirect_uris: ['https://rp.example.com/cb'] });
	assert.equal(res.status, 201);
	await srv.stopOk();
});

test('restore refuses a file that is not an oidcd database and leaves the database alone', { skip: sqliteOnly('oidcd backup/restore copy the SQLite file (PostgreSQL: pg_dump/pg_restore)') }, async (t) => {
	const dir = await tempDir(t);
	const db = path.join(dir, 'oidcd.db');
	const srv = await startOidcd(t, { dir, db });
	const created = await sendJson(`${srv.adminUrl}/admin/clients`, 'POST', { redirect_uris: ['https://rp.example.com/cb'] });
	assert.equal(created.status, 201);
	await srv.stopOk();

	const junk = path.join(dir, 'junk.db');
	await writeFile(junk, 'not a database at all, but long enough to have a header');
	const r = await runOidcd(['restore', '--dev', '--database', db, junk]);
	assert.equal(r.code, 1, r.stderr);
	assert.match(r.stderr, /not an SQLite database/);
	const usage = await runOidcd(['restore', '--dev', '--database', db]);
	assert.equal(usage.code, 2, usage.stderr);

	const again = await startOidcd(t, { dir, db });
	const res = await request(`${again.adminUrl}/admin/clients/${encodeURIComponent(created.json.client_id)}`);
	assert.equal(res.status, 200);
	await again.stopOk();
});
