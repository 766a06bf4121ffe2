// admin_clients.test.mjs — the operators' client API on the admin listener, through Hydra's
// SDK (OAuth2Api) and raw HTTP: create with a chosen id and secret, 409 on a duplicate id,
// get/set/patch/delete, 404 for unknown ids, pagination over 250 clients with Link and
// X-Total-Count, and admin.token (issue 3, "Admin API and CLI"; hydra-behaviour §3.1).

import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';

import { Configuration, OAuth2Api } from '@ory/hydra-client';

import { assertJsonError, request, runOidcd, sendJson, startOidcd } from './lib/oidcd.mjs';

const WEB = 'https://rp.example.com/cb';
const ADMIN_TOKEN = 'admin-token-0123456789abcdef';

function adminApi(srv, token) {
	const baseOptions = token ? { headers: { Authorization: `Bearer ${token}` } } : undefined;
	return new OAuth2Api(new Configuration({ basePath: srv.adminUrl, baseOptions }));
}

async function sdkFails(promise, what) {
	try {
		const r = await promise;
		assert.fail(`${what}: expected an error, got ${r.status} ${JSON.stringify(r.data)}`);
	} catch (e) {
		if (e instanceof assert.AssertionError) throw e;
		assert.ok(e.response, `${what}: an HTTP error, not ${e}`);
		return e.response;
	}
}

test('admin create: the operator chooses id, secret and every field; 201 + Location; duplicate id → 409', async (t) => {
	const srv = await startOidcd(t);
	const body = {
		client_id: 'billing-service',
		client_secret: 'chosen-secret-for-billing',
		client_name: 'Billing',
		redirect_uris: [WEB],
		grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
		response_types: ['code'],
		scope: 'openid offline_access billing:read',
		audience: ['https://api.example.com'],
		owner: 'team-billing',
		metadata: { cost_center: 42, tags: ['a', 'b'] },
		allowed_cors_origins: ['https://rp.example.com'],
		skip_consent: true,
		skip_logout_consent: true,
		access_token_strategy: 'jwt',
		authorization_code_grant_access_token_lifespan: '1h0m0s',
	};
	const res = await sendJson(`${srv.adminUrl}/admin/clients`, 'POST', body);
	assert.equal(res.status, 201, res.text);
	assert.equal(res.headers.location, '/admin/clients/billing-service');
	const c = res.json;
	assert.equal(c.client_id, 'billing-service');
	assert.equal(c.client_secret, 'chosen-secret-for-billing', 'the create answer shows the chosen secret');
	for (const [k, v] of Object.entries(body)) {
		if (k === 'client_secret') continue;
		assert.deepEqual(c[k], v, `create answer ${k}`);
	}

	const got = (await adminApi(srv).getOAuth2Client({ id: 'billing-service' })).data;
	assert.equal(got.client_secret, undefined, 'GET never shows the secret');
	for (const [k, v] of Object.entries(body)) {
		if (k === 'client_secret') continue;
		assert.deepEqual(got[k], v, `admin GET ${k}`);
	}
	assert.match(got.created_at, /^\d{4}-\d{2}-\d{2}T/);

	const dup = await sendJson(`${srv.adminUrl}/admin/clients`, 'POST', { client_id: 'billing-service', redirect_uris: [WEB] });
	assertJsonError(dup, 409, 'duplicate client_id');
	// The original is untouched.
	assert.equal((await adminApi(srv).getOAuth2Client({ id: 'billing-service' })).data.client_name, 'Billing');

	// Without a client_id the server picks a UUIDv4; a short secret is refused.
	const gen = await sendJson(`${srv.adminUrl}/admin/clients`, 'POST', { redirect_uris: [WEB] });
	assert.equal(gen.status, 201, gen.text);
	assert.match(gen.json.client_id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
	assert.ok(gen.json.client_secret);
	assert.equal(gen.headers.location, `/admin/clients/${gen.json.client_id}`);
	const short = await sendJson(`${srv.adminUrl}/admin/clients`, 'POST', { client_secret: 'abcde', redirect_uris: [WEB] });
	assertJsonError(short, 400, 'secret shorter than 6');
	assert.ok(short.json.error_description.includes('client_secret'), short.json.error_description);
	// Admin clients are validated too.
	const frag = await sendJson(`${srv.adminUrl}/admin/clients`, 'POST', { redirect_uris: ['https://rp.example.com/cb#x'] });
	assertJsonError(frag, 400, 'admin fragment');
	assert.equal(frag.json.error, 'invalid_redirect_uri');
	const notObj = await sendJson(`${srv.adminUrl}/admin/clients`, 'POST', [1, 2]);
	assert.equal(notObj.status, 400, notObj.text);

	// The SDK's create works the same.
	const sdk = await adminApi(srv).createOAuth2Client({ oAuth2Client: { client_name: 'via sdk', redirect_uris: [WEB] } });
	assert.equal(sdk.status, 201);
	assert.ok(sdk.data.client_id && sdk.data.client_secret);
	await srv.stopOk();
});

test('admin get/set/patch/delete; unknown ids → 404; PUT and PATCH keep the registration access token', async (t) => {
	const srv = await startOidcd(t);
	const api = adminApi(srv);
	const missing = 'no-such-client';
	for (const [what, p] of [
		['get', () => api.getOAuth2Client({ id: missing })],
		['set', () => api.setOAuth2Client({ id: missing, oAuth2Client: { redirect_uris: [WEB] } })],
		['patch', () => api.patchOAuth2Client({ id: missing, jsonPatch: [{ op: 'replace', path: '/client_name', value: 'x' }] })],
		['delete', () => api.deleteOAuth2Client({ id: missing })],
	]) {
		const r = await sdkFails(p(), `${what} unknown`);
		assert.equal(r.status, 404, `${what} unknown → 404`);
		assert.equal(r.data.error, 'not_found', `${what}: ${JSON.stringify(r.data)}`);
	}

	// A registrant's client, then managed by the operator.
	const reg = await sendJson(`${srv.publicUrl}/oauth2/register`, 'POST', { redirect_uris: [WEB], client_name: 'dcr', contacts: ['x@example.com'] });
	assert.equal(reg.status, 201, reg.text);
	const { client_id: id, registration_access_token: rat } = reg.json;
	const dcrGet = () => sendJson(`${srv.publicUrl}/oauth2/register/${id}`, 'GET', undefined, { token: rat });

	const set = await api.setOAuth2Client({ id, oAuth2Client: { client_name: 'set by admin', redirect_uris: [WEB], owner: 'ops' } });
	assert.equal(set.status, 200);
	assert.equal(set.data.client_name, 'set by admin');
	assert.equal(set.data.owner, 'ops');
	assert.ok(set.data.contacts == null || set.data.contacts.length === 0, 'PUT is a full replacement');
	assert.equal((await dcrGet()).status, 200, 'registration token works after admin PUT');

	const patch = await api.patchOAuth2Client({
		id,
		jsonPatch: [
			{ op: 'test', path: '/client_name', value: 'set by admin' },
			{ op: 'replace', path: '/client_name', value: 'patched' },
			{ op: 'add', path: '/redirect_uris/-', value: 'https://rp.example.com/cb2' },
			{ op: 'add', path: '/metadata/k', value: 'v' },
			{ op: 'remove', path: '/owner' },
		],
	});
	assert.equal(patch.status, 200);
	assert.equal(patch.data.client_name, 'patched');
	assert.deepEqual(patch.data.redirect_uris, [WEB, 'https://rp.example.com/cb2']);
	assert.deepEqual(patch.data.metadata, { k: 'v' });
	assert.equal(patch.data.owner, '');
	const g = await dcrGet();
	assert.equal(g.status, 200, `registration token works after admin PATCH: ${g.text}`);
	assert.equal(g.json.client_name, 'patched');

	// Failing patches leave the client alone.
	const failTest = await sdkFails(api.patchOAuth2Client({ id, jsonPatch: [{ op: 'test', path: '/client_name', value: 'nope' }, { op: 'replace', path: '/client_name', value: 'x' }] }), 'test op fails');
	assert.equal(failTest.status, 400);
	const badPath = await sdkFails(api.patchOAuth2Client({ id, jsonPatch: [{ op: 'remove', path: '/no/such/member' }] }), 'remove a missing path');
	assert.equal(badPath.status, 400);
	const invalid = await sdkFails(api.patchOAuth2Client({ id, jsonPatch: [{ op: 'replace', path: '/redirect_uris/0', value: 'https://rp.example.com/cb#x' }] }), 'patch to an invalid client');
	assert.equal(invalid.status, 400);
	assert.equal(invalid.data.error, 'invalid_redirect_uri');
	const notArray = await sendJson(`${srv.adminUrl}/admin/clients/${id}`, 'PATCH', { op: 'replace', path: '/client_name', value: 'x' });
	assert.equal(notArray.status, 400, `a patch that is not an array: ${notArray.text}`);
	const badOp = await sendJson(`${srv.adminUrl}/admin/clients/${id}`, 'PATCH', [{ op: 'frobnicate', path: '/client_name' }]);
	assert.equal(badOp.status, 400, badOp.text);
	const idChange = await sendJson(`${srv.adminUrl}/admin/clients/${id}`, 'PATCH', [{ op: 'replace', path: '/client_id', value: 'other' }]);
	assert.ok(idChange.status === 400 || (idChange.status === 200 && idChange.json.client_id === id), `client_id cannot be changed by PATCH: ${idChange.status} ${idChange.text}`);
	assert.equal((await api.getOAuth2Client({ id })).data.client_name, 'patched');
	assert.equal((await dcrGet()).status, 200);

	// Admin DELETE: 204; then 404 for the admin and 401 for the registrant.
	const del = await api.deleteOAuth2Client({ id });
	assert.equal(del.status, 204);
	assert.equal((await sdkFails(api.getOAuth2Client({ id }), 'get deleted')).status, 404);
	const after = await dcrGet();
	assertJsonError(after, 401, 'registrant GET after admin DELETE');
	assert.equal((await sdkFails(api.deleteOAuth2Client({ id }), 'delete twice')).status, 404);
	await srv.stopOk();
});

// Follows rel="next" in an RFC 8288 Link header; null when there is none.
function nextToken(link) {
	if (!link) return null;
	for (const part of String(link).split(',')) {
		const m = part.match(/<([^>]*)>\s*;\s*rel="?next"?/);
		if (m) return new URL(m[1], 'http://x').searchParams.get('page_token');
	}
	return null;
}

test('pagination: 250 clients in pages of 100, each id once, Link rel="next" and X-Total-Count', async (t) => {
	const srv = await startOidcd(t);
	const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
	t.after(() => agent.destroy());
	const want = new Set();
	let next = 0;
	const worker = async () => {
		while (next < 250) {
			const i = next++;
			const id = `page-client-${String(i).padStart(3, '0')}`;
			const r = await sendJson(`${srv.adminUrl}/admin/clients`, 'POST', { client_id: id, client_name: `c${i}`, redirect_uris: [WEB] }, { agent });
			assert.equal(r.status, 201, r.text);
			want.add(id);
		}
	};
	await Promise.all(Array.from({ length: 8 }, worker));
	assert.equal(want.size, 250);

	// Through the SDK.
	const api = adminApi(srv);
	const seen = new Map();
	let token;
	const sizes = [];
	for (let page = 0; page < 10; page++) {
		const r = await api.listOAuth2Clients({ pageSize: 100, pageToken: token });
		assert.equal(r.status, 200);
		assert.equal(r.headers['x-total-count'], '250');
		sizes.push(r.data.length);
		for (const c of r.data) {
			assert.ok(!seen.has(c.client_id), `${c.client_id} seen twice`);
			assert.equal(c.client_secret, undefined, 'lists never show secrets');
			seen.set(c.client_id, c);
		}
		token = nextToken(r.headers.link);
		if (!token) break;
		assert.match(String(r.headers.link), /^<\/admin\/clients\?page_size=100&page_token=[^>]+>; rel="next"$/);
	}
	assert.deepEqual(sizes, [100, 100, 50]);
	assert.deepEqual([...seen.keys()].sort(), [...want].sort());
	assert.equal(seen.get('page-client-007').client_name, 'c7');

	// Raw HTTP, following the Link target literally, with a different page size.
	const raw = new Set();
	let url = `${srv.adminUrl}/admin/clients?page_size=64`;
	let pages = 0;
	while (url) {
		const r = await request(url);
		assert.equal(r.status, 200, r.text);
		assert.ok(Array.isArray(r.json));
		for (const c of r.json) {
			assert.ok(!raw.has(c.client_id), `${c.client_id} seen twice (raw)`);
			raw.add(c.client_id);
		}
		const m = String(r.headers.link || '').match(/<([^>]*)>; rel="next"/);
		url = m ? `${srv.adminUrl}${m[1]}` : null;
		pages++;
		assert.ok(pages <= 5, 'pagination ends');
	}
	assert.equal(pages, 4);
	assert.equal(raw.size, 250);

	// One page with everything: no Link.
	const all = await request(`${srv.adminUrl}/admin/clients?page_size=500`);
	assert.equal(all.status, 200);
	assert.equal(all.json.length, 250);
	assert.ok(!/rel="?next/.test(String(all.headers.link || '')), 'no rel="next" on the last page');

	for (const q of ['page_size=0', 'page_size=abc', 'page_size=-1', 'page_size=100000', 'page_token=%%%', 'page_token=!!!']) {
		const r = await request(`${srv.adminUrl}/admin/clients?${q}`);
		assertJsonError(r, 400, `list ?${q}`);
	}
	agent.destroy();
	await srv.stopOk();
});

test('admin.token: every admin request needs it except /admin/health/*; the public side is unaffected', async (t) => {
	const srv = await startOidcd(t, { args: ['--set', `admin.token=${ADMIN_TOKEN}`] });
	const cases = [
		['GET', '/admin/clients'],
		['POST', '/admin/clients', { redirect_uris: [WEB] }],
		['GET', '/admin/clients/x'],
		['PUT', '/admin/clients/x', { redirect_uris: [WEB] }],
		['PATCH', '/admin/clients/x', []],
		['DELETE', '/admin/clients/x'],
		['GET', '/admin/keys'],
		['GET', '/admin/version'],
		['GET', '/clients'], // the admin listener adds the /admin prefix (hydra-behaviour §0.1)
		['GET', '/admin/clients/'],
	];
	for (const [method, p, body] of cases) {
		for (const [what, headers] of [
			['no token', {}],
			['wrong token', { authorization: `Bearer ${ADMIN_TOKEN.slice(0, -1)}x` }],
			['prefix', { authorization: `Bearer ${ADMIN_TOKEN.slice(0, 16)}` }],
			['basic', { authorization: `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}` }],
		]) {
			const r = await sendJson(`${srv.adminUrl}${p}`, method, body, { headers });
			assertJsonError(r, 401, `${method} ${p} ${what}`);
			assert.equal(r.json.error, 'invalid_token', `${method} ${p} ${what}`);
		}
	}
	for (const p of ['/admin/health/alive', '/admin/health/ready']) {
		assert.equal((await request(`${srv.adminUrl}${p}`)).status, 200, `${p} without a token`);
	}
	const missingAfterAuth = await sendJson(`${srv.adminUrl}/admin/clients/x`, 'GET', undefined, { token: ADMIN_TOKEN });
	assertJsonError(missingAfterAuth, 404, 'authorised GET of an unknown client');

	const api = adminApi(srv, ADMIN_TOKEN);
	const c = await api.createOAuth2Client({ oAuth2Client: { redirect_uris: [WEB] } });
	assert.equal(c.status, 201);
	assert.equal((await api.listOAuth2Clients()).data.length, 1);
	assert.equal((await sdkFails(adminApi(srv).listOAuth2Clients(), 'SDK without the token')).status, 401);

	// Registration is not an admin request.
	const reg = await sendJson(`${srv.publicUrl}/oauth2/register`, 'POST', { redirect_uris: [WEB] });
	assert.equal(reg.status, 201, reg.text);
	await srv.stopOk();
	assert.ok(!srv.stderr().includes(ADMIN_TOKEN), 'the admin token is never logged');

	// Too short a token is a configuration error.
	const short = await runOidcd(['config', 'check', '--dev', '--set', 'admin.token=short']);
	assert.equal(short.code, 2, short.stderr);
	assert.ok(short.stderr.includes('admin.token'), short.stderr);
});
