// durability.test.mjs — SIGKILL in the middle of a write load loses nothing acknowledged
// (issue 9, "Durability"). Three times in a row on one database: start oidcd, run dynamic
// registrations (POST /oauth2/register) and client_credentials token requests side by side,
// kill -9 the process while they run, restart on the same file; then every client that got
// a 201 exists (GET /admin/clients/{id}), every access token that got a 200 is active
// (POST /admin/oauth2/introspect), and `sqlite3 DB 'PRAGMA integrity_check'` says ok.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { test } from 'node:test';

import { request, sendJson, startOidcd, tempDir, usingPg } from './lib/oidcd.mjs';

const CYCLES = 3;
const REGISTER_LOOPS = 2;
const TOKEN_LOOPS = 2;
// The secret is the server's (a generated secret is checked with an HMAC, a chosen one with scrypt).
const CC = { id: 'durability-cc', secret: null };

function integrityCheck(db) {
	return new Promise((resolve, reject) => {
		execFile('sqlite3', [db, 'PRAGMA integrity_check'], (err, out, stderr) =>
			err ? reject(new Error(`sqlite3: ${err.message}\n${stderr}`)) : resolve(out.trim()),
		);
	});
}

const basic = () => `Basic ${Buffer.from(`${encodeURIComponent(CC.id)}:${encodeURIComponent(CC.secret)}`).toString('base64')}`;

/**
 * Registration and token loops against srv until its process dies. Only answers that
 * arrived (201 / 200) are recorded; a request cut off by the kill is not acknowledged.
 */
function writeLoad(srv, acked) {
	const agent = new http.Agent({ keepAlive: true, maxSockets: REGISTER_LOOPS + TOKEN_LOOPS });
	let n = 0;
	const register = async () => {
		for (;;) {
			let res;
			try {
				res = await sendJson(`${srv.publicUrl}/oauth2/register`, 'POST', {
					client_name: `dur-${n++}`,
					redirect_uris: ['https://rp.example.com/cb'],
				}, { agent });
			} catch {
				return; // the server is gone
			}
			assert.equal(res.status, 201, `register → ${res.status} ${res.text}`);
			acked.clients.push(res.json.client_id);
		}
	};
	const token = async () => {
		for (;;) {
			let res;
			try {
				res = await request(`${srv.publicUrl}/oauth2/token`, {
					method: 'POST',
					headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic() },
					body: 'grant_type=client_credentials&scope=api.read',
					agent,
				});
			} catch {
				return;
			}
			assert.equal(res.status, 200, `token → ${res.status} ${res.text}`);
			acked.tokens.push(res.json.access_token);
		}
	};
	const loops = [...Array.from({ length: REGISTER_LOOPS }, register), ...Array.from({ length: TOKEN_LOOPS }, token)];
	return Promise.all(loops).finally(() => agent.destroy());
}

/** Resolves once both kinds of write have at least `n` more acknowledgements than `from`. */
async function waitForAcks(acked, from, n, loadDone) {
	while (acked.clients.length < from.clients + n || acked.tokens.length < from.tokens + n) {
		await Promise.race([loadDone, new Promise((r) => setImmediate(r))]);
	}
}

async function checkAll(srv, acked) {
	const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
	try {
		for (const id of acked.clients) {
			const res = await request(`${srv.adminUrl}/admin/clients/${encodeURIComponent(id)}`, { agent });
			assert.equal(res.status, 200, `acknowledged client ${id} survived SIGKILL: ${res.status}`);
		}
		for (const tok of acked.tokens) {
			const res = await request(`${srv.adminUrl}/admin/oauth2/introspect`, {
				method: 'POST',
				headers: { 'content-type': 'application/x-www-form-urlencoded' },
				body: `token=${encodeURIComponent(tok)}`,
				agent,
			});
			assert.equal(res.status, 200, res.text);
			assert.equal(res.json.active, true, `acknowledged access token survived SIGKILL: ${res.text}`);
		}
	} finally {
		agent.destroy();
	}
}

test('SIGKILL during registrations and token requests, three times: every acknowledged write survives', async (t) => {
	const dir = await tempDir(t);
	const db = path.join(dir, 'oidcd.db');
	const acked = { clients: [], tokens: [] };

	let srv = await startOidcd(t, { dir, db });
	const created = await sendJson(`${srv.adminUrl}/admin/clients`, 'POST', {
		client_id: CC.id,
		grant_types: ['client_credentials'],
		response_types: [],
		redirect_uris: [],
		scope: 'api.read',
		token_endpoint_auth_method: 'client_secret_basic',
	});
	assert.equal(created.status, 201, created.text);
	CC.secret = created.json.client_secret;
	acked.clients.push(CC.id);

	for (let cycle = 0; cycle < CYCLES; cycle++) {
		const from = { clients: acked.clients.length, tokens: acked.tokens.length };
		const load = writeLoad(srv, acked);
		await waitForAcks(acked, from, 25, load);
		srv.child.kill('SIGKILL'); // in the middle of the load: requests are in flight
		const r = await srv.exited;
		assert.equal(r.signal, 'SIGKILL', `cycle ${cycle}: killed, not exited (${JSON.stringify(r)})`);
		await load;
		// The file check is SQLite's; under PostgreSQL (OIDCD_TEST_PG) the reads below are the check.
		if (!usingPg) assert.equal(await integrityCheck(db), 'ok', `cycle ${cycle}: the killed database is intact`);

		srv = await startOidcd(t, { dir, db });
		await checkAll(srv, acked);
	}
	await srv.stopOk();
	if (!usingPg) assert.equal(await integrityCheck(db), 'ok');
	assert.ok(acked.clients.length > CYCLES * 25 && acked.tokens.length >= CYCLES * 25);
});
