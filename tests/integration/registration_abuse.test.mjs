// registration_abuse.test.mjs — registration under load and hostile input: 200 registrations
// over 8 keep-alive connections, a PUT racing a DELETE with the same registration token
// (either the updated client or none, never a half state), and malformed bodies (10,000-deep
// nesting, 1 MiB, invalid UTF-8, duplicate keys, wrong types, non-objects) → 4xx with the
// server still healthy (issue 3, "Tests": concurrency and bad input).

import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';

import { assertJsonError, getJson, rawRequest, request, sendJson, startOidcd } from './lib/oidcd.mjs';

const WEB = 'https://rp.example.com/cb';
const META = 'invalid_client_metadata';

function register(srv, meta, opts) {
	return sendJson(`${srv.publicUrl}/oauth2/register`, 'POST', meta, opts);
}

function manage(srv, id, method, token, body, opts = {}) {
	return sendJson(`${srv.publicUrl}/oauth2/register/${id}`, method, body, { ...opts, token });
}

test('200 registrations from 8 parallel keep-alive connections: all 201, distinct ids, secrets and tokens', async (t) => {
	const srv = await startOidcd(t);
	const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
	t.after(() => agent.destroy());
	const sockets = new Set();
	agent.on('free', (s) => sockets.add(s));

	const results = await Promise.all(
		Array.from({ length: 200 }, (_, i) => register(srv, { redirect_uris: [`${WEB}/${i}`], client_name: `load ${i}` }, { agent })),
	);
	const bad = results.filter((r) => r.status !== 201).map((r) => `${r.status} ${r.text}`);
	assert.deepEqual(bad, [], 'every registration succeeds');
	assert.ok(sockets.size <= 8 && sockets.size >= 2, `used up to 8 connections (${sockets.size})`);
	const ids = new Set(results.map((r) => r.json.client_id));
	const secrets = new Set(results.map((r) => r.json.client_secret));
	const tokens = new Set(results.map((r) => r.json.registration_access_token));
	assert.equal(ids.size, 200, 'distinct client ids');
	assert.equal(secrets.size, 200, 'distinct secrets');
	assert.equal(tokens.size, 200, 'distinct registration tokens');

	// Every one is stored whole and readable with its own token.
	const reads = await Promise.all(results.map((r) => manage(srv, r.json.client_id, 'GET', r.json.registration_access_token, undefined, { agent })));
	reads.forEach((g, i) => {
		assert.equal(g.status, 200, g.text);
		assert.equal(g.json.client_name, `load ${i}`);
		assert.deepEqual(g.json.redirect_uris, [`${WEB}/${i}`]);
	});
	const list = await request(`${srv.adminUrl}/admin/clients?page_size=1`);
	assert.equal(list.headers['x-total-count'], '200');
	agent.destroy();
	await srv.stopOk();
});

test('a PUT racing a DELETE with the same token ends with the updated client or none, never a half state', async (t) => {
	const srv = await startOidcd(t);
	const outcomes = { updated: 0, deleted: 0 };
	const problems = [];
	for (let i = 0; i < 50; i++) {
		const reg = await register(srv, { redirect_uris: [WEB], client_name: `before ${i}`, contacts: ['old@example.com'] });
		assert.equal(reg.status, 201, reg.text);
		const { client_id: id, registration_access_token: token } = reg.json;
		const update = { redirect_uris: [WEB, 'https://rp.example.com/new'], client_name: `after ${i}`, contacts: ['new@example.com'] };
		// Alternate which request leaves first, so both orders are exercised.
		const doPut = () => manage(srv, id, 'PUT', token, update);
		const doDel = () => manage(srv, id, 'DELETE', token);
		const [put, del] = i % 2 ? await Promise.all([doPut(), doDel()]) : (await Promise.all([doDel(), doPut()])).reverse();
		const admin = await request(`${srv.adminUrl}/admin/clients/${id}`);
		const what = `round ${i}: PUT ${put.status}, DELETE ${del.status}, admin GET ${admin.status}`;

		if (put.status === 200 && del.status === 401 && admin.status === 200) {
			outcomes.updated++;
			const a = admin.json;
			if (a.client_name !== `after ${i}` || a.redirect_uris?.length !== 2 || a.contacts?.[0] !== 'new@example.com') {
				problems.push(`${what}: a partial update: ${admin.text}`);
			}
			const fresh = await manage(srv, id, 'GET', put.json.registration_access_token);
			if (fresh.status !== 200) problems.push(`${what}: the new token does not work (${fresh.status})`);
			const stale = await manage(srv, id, 'GET', token);
			if (stale.status !== 401) problems.push(`${what}: the old token still works (${stale.status})`);
		} else if (del.status === 204 && put.status === 401 && admin.status === 404) {
			outcomes.deleted++;
			if (put.json?.error !== 'invalid_token') problems.push(`${what}: PUT after DELETE: ${put.text}`);
		} else {
			problems.push(`${what}: PUT ${put.text} / DELETE ${del.text} / admin ${admin.text}`);
		}
	}
	t.diagnostic(`PUT won ${outcomes.updated}, DELETE won ${outcomes.deleted} of 50`);
	assert.deepEqual(problems, [], `race outcomes (${JSON.stringify(outcomes)}):\n${problems.join('\n')}`);
	assert.equal(outcomes.updated + outcomes.deleted, 50);
	await srv.stopOk();
});

// A raw HTTP/1.1 request to the public port with `body` (Buffer) and Content-Length.
function rawPost(srv, pathName, body, extra = '') {
	const head =
		`POST ${pathName} HTTP/1.1\r\nHost: 127.0.0.1:${srv.publicPort}\r\nContent-Type: application/json\r\n` +
		`Content-Length: ${body.length}\r\n${extra}Connection: close\r\n\r\n`;
	return rawRequest(srv.publicPort, Buffer.concat([Buffer.from(head), body]));
}

function badBodies() {
	const s = (x) => Buffer.from(x);
	const okPrefix = `{"redirect_uris":["${WEB}"],`;
	return [
		['10,000-deep arrays', s(`{"client_name":${'['.repeat(10000)}${']'.repeat(10000)}}`)],
		['10,000-deep objects', s(`${'{"a":'.repeat(10000)}1${'}'.repeat(10000)}`)],
		['invalid UTF-8 in a string', Buffer.concat([s(`${okPrefix}"client_name":"`), Buffer.from([0xff, 0xfe, 0x41]), s('"}')])],
		['overlong UTF-8 (C0 AF)', Buffer.concat([s(`${okPrefix}"client_name":"`), Buffer.from([0xc0, 0xaf]), s('"}')])],
		['UTF-8 surrogate (ED A0 80)', Buffer.concat([s(`${okPrefix}"client_name":"`), Buffer.from([0xed, 0xa0, 0x80]), s('"}')])],
		['truncated UTF-8 sequence', Buffer.concat([s(`${okPrefix}"client_name":"`), Buffer.from([0xe3, 0x81]), s('"}')])],
		['invalid UTF-8 in a key', Buffer.concat([s(`${okPrefix}"`), Buffer.from([0xff]), s('":1}')])],
		['lone surrogate escape', s(`${okPrefix}"client_name":"\\ud800"}`)],
		['NUL escape in a string', s(`${okPrefix}"client_name":"a\\u0000b"}`)],
		['duplicate keys', s(`{"redirect_uris":["${WEB}"],"client_name":"a","client_name":"b"}`)],
		['duplicate redirect_uris keys', s(`{"redirect_uris":["${WEB}"],"redirect_uris":["http://evil.example.com/cb"]}`)],
		['number as client_name', s(`${okPrefix}"client_name":12345}`)],
		['number as redirect_uri', s('{"redirect_uris":[12345]}')],
		['number as token_endpoint_auth_method', s(`${okPrefix}"token_endpoint_auth_method":1}`)],
		['number as scope', s(`${okPrefix}"scope":1.5}`)],
		['huge exponent', s(`${okPrefix}"default_max_age":1e999}`)],
		['integer overflow', s(`${okPrefix}"default_max_age":99999999999999999999999999}`)],
		['a JSON array', s(`[{"redirect_uris":["${WEB}"]}]`)],
		['null', s('null')],
		['a string', s('"hello"')],
		['a number', s('42')],
		['true', s('true')],
		['an empty body', s('')],
		['whitespace only', s('   \n')],
		['not JSON', s('redirect_uris=https://rp.example.com/cb')],
		['truncated JSON', s(`{"redirect_uris":["${WEB}"`)],
		['trailing garbage', s(`{"redirect_uris":["${WEB}"]} x`)],
		['two objects', s(`{"redirect_uris":["${WEB}"]}{}`)],
		['a NUL byte after the object', Buffer.concat([s(`{"redirect_uris":["${WEB}"]}`), Buffer.from([0])])],
	];
}

test('hostile bodies → 4xx (413 for 1 MiB), the token is not rotated by a failed PUT, and the server stays healthy', async (t) => {
	const srv = await startOidcd(t);
	const reg = await register(srv, { redirect_uris: [WEB], client_name: 'victim' });
	assert.equal(reg.status, 201, reg.text);
	const { client_id: id, registration_access_token: token } = reg.json;
	const adm = await sendJson(`${srv.adminUrl}/admin/clients`, 'POST', { client_id: 'admin-victim', redirect_uris: [WEB] });
	assert.equal(adm.status, 201, adm.text);

	const failures = [];
	for (const [name, body] of badBodies()) {
		const post = await request(`${srv.publicUrl}/oauth2/register`, {
			method: 'POST',
			headers: { 'content-type': 'application/json', 'content-length': body.length },
			body,
		});
		const okCodes = name.includes('redirect_uri') ? [META, 'invalid_redirect_uri'] : [META];
		if (post.status !== 400 || !okCodes.includes(post.json?.error) || typeof post.json?.error_description !== 'string') {
			failures.push(`POST ${name}: ${post.status} ${post.text.slice(0, 200)}`);
		}
		const put = await request(`${srv.publicUrl}/oauth2/register/${id}`, {
			method: 'PUT',
			headers: { 'content-type': 'application/json', 'content-length': body.length, authorization: `Bearer ${token}` },
			body,
		});
		if (put.status !== 400 || !okCodes.includes(put.json?.error)) failures.push(`PUT ${name}: ${put.status} ${put.text.slice(0, 200)}`);
		for (const [method, p] of [
			['POST', '/admin/clients'],
			['PUT', '/admin/clients/admin-victim'],
			['PATCH', '/admin/clients/admin-victim'],
		]) {
			const r = await request(`${srv.adminUrl}${p}`, {
				method,
				headers: { 'content-type': 'application/json', 'content-length': body.length },
				body,
			});
			// A bare array is a valid PATCH document, whose (non-patch) members are refused.
			if (r.status < 400 || r.status >= 500 || typeof r.json?.error !== 'string') {
				failures.push(`admin ${method} ${p} ${name}: ${r.status} ${r.text.slice(0, 200)}`);
			}
		}
	}

	// 1 MiB with the default limits.body_bytes (64 KiB): 413, with Content-Length and chunked.
	const mib = Buffer.from(JSON.stringify({ redirect_uris: [WEB], client_name: 'x'.repeat(1024 * 1024) }));
	const big = await rawPost(srv, '/oauth2/register', mib);
	if (big.status !== 413) failures.push(`1 MiB POST: ${big.status} ${big.text.slice(0, 200)}`);
	const bigPut = await rawPost(srv, `/oauth2/register/${id}`, mib, `Authorization: Bearer ${token}\r\n`);
	if (bigPut.status !== 413 && bigPut.status !== 401) failures.push(`1 MiB PUT: ${bigPut.status} ${bigPut.text.slice(0, 200)}`);
	const chunks = [];
	for (let off = 0; off < mib.length; off += 64 * 1024) {
		const part = mib.subarray(off, off + 64 * 1024);
		chunks.push(Buffer.from(`${part.length.toString(16)}\r\n`), part, Buffer.from('\r\n'));
	}
	const chunked = await rawRequest(
		srv.publicPort,
		Buffer.concat([
			Buffer.from(
				`POST /oauth2/register HTTP/1.1\r\nHost: 127.0.0.1:${srv.publicPort}\r\nContent-Type: application/json\r\n` +
					'Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n',
			),
			...chunks,
			Buffer.from('0\r\n\r\n'),
		]),
	);
	if (chunked.status !== 413) failures.push(`1 MiB chunked POST: ${chunked.status} ${chunked.text.slice(0, 200)}`);
	const bigAdmin = await request(`${srv.adminUrl}/admin/clients`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: mib }).catch(
		(e) => ({ status: `error ${e.code}`, text: '' }),
	);
	if (bigAdmin.status !== 413 && !String(bigAdmin.status).startsWith('error')) failures.push(`1 MiB admin POST: ${bigAdmin.status}`);

	assert.deepEqual(failures, [], `hostile input:\n${failures.join('\n')}`);

	// Healthy, the victims untouched, the token not rotated by any failed PUT.
	assert.equal((await request(`${srv.publicUrl}/health/ready`)).status, 200);
	assert.equal((await request(`${srv.adminUrl}/admin/health/ready`)).status, 200);
	const g = await manage(srv, id, 'GET', token);
	assert.equal(g.status, 200, `the token still works: ${g.text}`);
	assert.equal(g.json.client_name, 'victim');
	assert.deepEqual(g.json.redirect_uris, [WEB]);
	const { body: a } = await getJson(`${srv.adminUrl}/admin/clients/admin-victim`);
	assert.deepEqual(a.redirect_uris, [WEB]);
	const after = await register(srv, { redirect_uris: [WEB] });
	assert.equal(after.status, 201, `a normal registration still works: ${after.text}`);
	const list = await request(`${srv.adminUrl}/admin/clients`);
	assert.equal(list.headers['x-total-count'], '3', 'no client was created by hostile input');
	await srv.stopOk();
});
