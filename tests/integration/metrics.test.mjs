// metrics.test.mjs — GET /admin/metrics/prometheus (issue 9): the exposition is parsed with a
// Prometheus text-format parser from npm (parse-prometheus-text-format), and the counters are
// checked to move as requests are made: requests by route and status, the latency histogram
// of a route (cumulative buckets, +Inf = _count), tokens by grant type, failed and throttled
// logins, build info; the admin token guards it like the rest of the admin API.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import parsePrometheus from 'parse-prometheus-text-format';

import { authorize, basicAuth, formBody } from './lib/login.mjs';
import { projectVersion, request, sendJson, startOidcd } from './lib/oidcd.mjs';

async function scrape(srv, headers = {}) {
	const r = await request(`${srv.adminUrl}/admin/metrics/prometheus`, { headers });
	assert.equal(r.status, 200, r.text);
	assert.match(String(r.headers['content-type']), /^text\/plain; version=0\.0\.4/);
	const families = parsePrometheus(r.text);
	const byName = Object.fromEntries(families.map((f) => [f.name, f]));
	return { text: r.text, byName };
}

/** The value of the sample of `name` whose labels include `labels` (0 when absent). */
function value(m, name, labels = {}) {
	const fam = m.byName[name];
	if (!fam) return 0;
	const hit = fam.metrics.find((s) => Object.entries(labels).every(([k, v]) => s.labels?.[k] === v));
	return hit ? Number(hit.value ?? hit.count) : 0;
}

// parse-prometheus-text-format folds every labelled histogram of a family into one sample
// (it keeps labels for counters only), so the histogram of one route is read from the raw
// lines: {buckets: {le: n}, count, sum}.
function histogram(m, route) {
	const out = { buckets: {}, count: undefined, sum: undefined };
	const lab = `listener="public",route="${route}"`;
	for (const line of m.text.split('\n')) {
		let x = line.match(/^oidcd_http_request_duration_seconds_bucket\{(.*),le="([^"]+)"\} (\S+)$/);
		if (x && x[1] === lab) out.buckets[x[2]] = x[3];
		x = line.match(/^oidcd_http_request_duration_seconds_(count|sum)\{(.*)\} (\S+)$/);
		if (x && x[2] === lab) out[x[1]] = x[3];
	}
	return out.count === undefined ? undefined : out;
}

test('the counters move with the requests made', async (t) => {
	const srv = await startOidcd(t);
	const before = await scrape(srv);
	assert.equal(before.byName.oidcd_http_requests_total.type, 'COUNTER');
	assert.equal(before.byName.oidcd_http_request_duration_seconds.type, 'HISTOGRAM');
	assert.equal(value(before, 'oidcd_build_info', { version: projectVersion }), 1, 'build info');

	for (let i = 0; i < 3; i++) assert.equal((await request(`${srv.publicUrl}/.well-known/openid-configuration`)).status, 200);
	assert.equal((await request(`${srv.publicUrl}/no/such/path`)).status, 404);
	assert.equal((await request(`${srv.publicUrl}/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' })).status, 400);

	const c = await sendJson(`${srv.adminUrl}/admin/clients`, 'POST', { client_id: 'svc', client_secret: 'svc-secret-0123456789abcdef', grant_types: ['client_credentials'], response_types: [], redirect_uris: [], scope: 'api' });
	assert.equal(c.status, 201, c.text);
	for (let i = 0; i < 2; i++) {
		const r = await request(`${srv.publicUrl}/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth('svc', 'svc-secret-0123456789abcdef') }, body: formBody({ grant_type: 'client_credentials', scope: 'api' }) });
		assert.equal(r.status, 200, r.text);
	}

	// Failed logins (the built-in pages) until one meets the throttle (five a minute are free,
	// then each locks for 1, 2, 4, ... whole seconds: at most 16 attempts land in a lock).
	const web = await sendJson(`${srv.adminUrl}/admin/clients`, 'POST', { client_id: 'web', client_secret: 'web-secret-0123456789abcdef', grant_types: ['authorization_code'], response_types: ['code'], redirect_uris: ['http://127.0.0.1:9/cb'], scope: 'openid' });
	assert.equal(web.status, 201, web.text);
	for (let i = 0; i < 16; i++) {
		await assert.rejects(authorize(srv.publicUrl, { response_type: 'code', client_id: 'web', redirect_uri: 'http://127.0.0.1:9/cb', scope: 'openid', state: 'state-123456', nonce: 'nonce-123456', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' }, { username: 'nobody', password: 'wrong password' }));
		if (value(await scrape(srv), 'oidcd_throttled_requests_total') > 0) break;
	}

	const after = await scrape(srv);
	const disc = { listener: 'public', route: '/.well-known/openid-configuration', status: '200' };
	assert.equal(value(after, 'oidcd_http_requests_total', disc) - value(before, 'oidcd_http_requests_total', disc), 3, 'three discovery requests');
	assert.equal(value(after, 'oidcd_http_requests_total', { route: 'unmatched', status: '404' }), 1, 'the unrouted path');
	assert.equal(value(after, 'oidcd_http_requests_total', { route: '/oauth2/token', status: '400' }), 1, 'the bad token request');
	assert.equal(value(after, 'oidcd_http_requests_total', { route: '/oauth2/token', status: '200' }), 2);
	assert.ok(value(after, 'oidcd_http_requests_total', { listener: 'admin', route: '/admin/metrics/prometheus', status: '200' }) >= 2, 'the earlier scrapes are counted');
	assert.equal(value(after, 'oidcd_tokens_issued_total', { grant_type: 'client_credentials' }), 2);
	assert.equal(value(after, 'oidcd_tokens_issued_total', { grant_type: 'authorization_code' }), 0);
	assert.ok(value(after, 'oidcd_login_failures_total') >= 5, `failed logins counted: ${value(after, 'oidcd_login_failures_total')}`);
	assert.ok(value(after, 'oidcd_throttled_requests_total') >= 1, 'throttled logins counted');
	assert.equal(value(after, 'oidcd_database_errors_total'), 0);
	assert.equal(after.byName.oidcd_backchannel_logout_deliveries?.type, 'GAUGE');
	assert.equal(value(after, 'oidcd_backchannel_logout_deliveries', { state: 'pending' }), 0);
	assert.equal(value(after, 'oidcd_backchannel_logout_deliveries', { state: 'failed' }), 0);

	const h = histogram(after, '/oauth2/token');
	assert.ok(h, 'a histogram for /oauth2/token');
	assert.equal(Number(h.count), 3);
	assert.equal(Number(h.buckets['+Inf']), 3, '+Inf = _count');
	let last = 0;
	for (const [le, n] of Object.entries(h.buckets).sort(([a], [b]) => (a === '+Inf' ? 1 : b === '+Inf' ? -1 : Number(a) - Number(b)))) {
		assert.ok(Number(n) >= last, `cumulative at le=${le}`);
		last = Number(n);
	}
	assert.ok(Number(h.sum) >= 0);
});

test('with admin.token the scrape needs the bearer token', async (t) => {
	const token = 'metrics-admin-token-0123456789abcdef';
	const srv = await startOidcd(t, { args: ['--set', `admin.token=${token}`] });
	const r = await request(`${srv.adminUrl}/admin/metrics/prometheus`);
	assert.equal(r.status, 401);
	const m = await scrape(srv, { authorization: `Bearer ${token}` });
	assert.ok(m.byName.oidcd_build_info);
});
