// tests/integration/pages.test.mjs — the built-in pages as an operator deploys them:
// templates overridden from ui.templates_dir (and refused at start-up when broken), the
// stylesheet route, the page headers (CSP without inline script, frame denial, no-store),
// the login page's accessibility contract, and oauth2.pkce.enforced.

import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';

import { request, runOidcd, sendJson, startOidcd, tempDir } from './lib/oidcd.mjs';

const REDIRECT = 'http://127.0.0.1:9/cb';

async function addClient(srv, extra = {}) {
	const res = await sendJson(`${srv.adminUrl}/admin/clients`, 'POST', {
		client_id: 'rp',
		client_secret: 'rp-secret-0123456789abcdef',
		redirect_uris: [REDIRECT],
		scope: 'openid profile',
		...extra,
	});
	assert.equal(res.status, 201, res.text);
}

function authUrl(srv, params = {}) {
	const q = new URLSearchParams({
		response_type: 'code',
		client_id: 'rp',
		redirect_uri: REDIRECT,
		scope: 'openid',
		state: 's-1',
		...params,
	});
	return `${srv.publicUrl}/oauth2/auth?${q}`;
}

test('ui.templates_dir replaces a page and the stylesheet; the others stay built in', async (t) => {
	const dir = await tempDir(t);
	const tpl = path.join(dir, 'templates');
	await mkdir(tpl);
	await writeFile(
		path.join(tpl, 'login.html'),
		'<!DOCTYPE html><html lang="en"><head><title>ACME sign-in</title>' +
			'<link rel="stylesheet" href="{{stylesheet}}"></head><body><h1>ACME</h1>' +
			'<p role="alert">{{error}}</p><form method="post" action="{{action}}">' +
			'<input type="hidden" name="csrf" value="{{csrf}}">' +
			'<label for="u">User</label><input id="u" name="username" value="{{login_hint}}">' +
			'<label for="p">Password</label><input id="p" name="password" type="password">' +
			'<button type="submit">Go</button></form></body></html>\n',
	);
	await writeFile(path.join(tpl, 'style.css'), 'body { color: rebeccapurple; }\n');
	const srv = await startOidcd(t, { dir, args: ['--set', `ui.templates_dir=${tpl}`] });
	await addClient(srv);

	const page = await request(authUrl(srv, { login_hint: 'alice"<x>' }));
	assert.equal(page.status, 200);
	assert.match(page.text, /<h1>ACME<\/h1>/);
	// Variables are escaped in overrides too.
	assert.match(page.text, /value="alice&quot;&lt;x&gt;"/);
	const css = await request(`${srv.publicUrl}/ui/style.css`);
	assert.equal(css.status, 200);
	assert.match(css.headers['content-type'], /^text\/css/);
	assert.equal(css.text, 'body { color: rebeccapurple; }\n');
	// The error page was not overridden: still the built-in one.
	const bad = await request(authUrl(srv, { client_id: 'nobody' }));
	assert.equal(bad.status, 400);
	assert.equal(bad.headers.location, undefined);
	assert.match(bad.text, /not registered/);
});

test('a broken template stops the start with file and line, exit 2', async (t) => {
	const dir = await tempDir(t);
	const tpl = path.join(dir, 'templates');
	await mkdir(tpl);
	await writeFile(path.join(tpl, 'consent.html'), '<p>\n{{#scopes}}<li>{{scope}}</li>\n');
	const r = await runOidcd([
		'serve', '--dev', '--listen', '127.0.0.1:0', '--admin-listen', 'off',
		'--database', path.join(dir, 'db'), '--set', `ui.templates_dir=${tpl}`,
	]);
	assert.equal(r.code, 2, r.stderr);
	assert.match(r.stderr, /consent\.html:\d+/);
});

test('built-in login page: headers, labels, no inline script, login_hint', async (t) => {
	const srv = await startOidcd(t);
	await addClient(srv);
	const page = await request(authUrl(srv, { login_hint: 'bob' }));
	assert.equal(page.status, 200);
	const csp = page.headers['content-security-policy'];
	assert.match(csp, /default-src 'none'/);
	assert.match(csp, /frame-ancestors 'none'/);
	assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
	assert.equal(page.headers['x-frame-options'], 'DENY');
	assert.match(page.headers['cache-control'], /no-store/);
	assert.doesNotMatch(page.text, /<script/i);
	assert.doesNotMatch(page.text, /style="/);
	for (const id of ['username', 'password']) {
		assert.match(page.text, new RegExp(`<label for="${id}">`));
		assert.match(page.text, new RegExp(`<input id="${id}" name="${id}"`));
	}
	assert.match(page.text, /name="username"[^>]*value="bob"/);
	assert.equal((page.text.match(/<button/g) || []).length, 1);
	assert.match(page.headers['set-cookie'].join(' '), /oidcd_csrf=[^;]+; Path=\/; HttpOnly; SameSite=Lax/);
});

test('oauth2.pkce.enforced: confidential clients need PKCE too', async (t) => {
	const srv = await startOidcd(t, { args: ['--set', 'oauth2.pkce.enforced=true'] });
	await addClient(srv);
	const res = await request(authUrl(srv));
	assert.equal(res.status, 302);
	const loc = new URL(res.headers.location);
	assert.equal(`${loc.origin}${loc.pathname}`, REDIRECT);
	assert.equal(loc.searchParams.get('error'), 'invalid_request');
	assert.equal(loc.searchParams.get('state'), 's-1');
	const ok = await request(
		authUrl(srv, { code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' }),
	);
	assert.equal(ok.status, 200);
	assert.match(ok.text, /name="password"/);
});

test('bad request objects and unregistered request_uris are refused with the OIDC error codes', async (t) => {
	const srv = await startOidcd(t);
	await addClient(srv);
	for (const [params, code] of [
		[{ request: 'not-a-jwt' }, 'invalid_request_object'],
		[{ request: 'eyJhbGciOiJSUzI1NiJ9.e30.c2ln' }, 'invalid_request_object'], // RS256, no client keys
		[{ request: 'eyJhbGciOiJub25lIn0.W10.' }, 'invalid_request_object'], // payload []
		[{ request: 'a.b.c.d.e' }, 'invalid_request_object'], // JWE: not supported
		[{ request_uri: 'https://rp.example/request.jwt' }, 'invalid_request_uri'], // not registered
		[{ request: 'eyJhbGciOiJub25lIn0.e30.', request_uri: 'https://rp.example/r' }, 'invalid_request'],
	]) {
		const res = await request(authUrl(srv, params));
		assert.equal(res.status, 302, JSON.stringify(params));
		const q = new URL(res.headers.location).searchParams;
		assert.equal(q.get('error'), code, JSON.stringify(params));
		assert.equal(q.get('state'), 's-1', 'state from the query');
	}
	// An unsigned request object ({} here) is fine for a client that registered no
	// request_object_signing_alg: the login page.
	const ok = await request(authUrl(srv, { request: 'eyJhbGciOiJub25lIn0.e30.' }));
	assert.equal(ok.status, 200, ok.text.slice(0, 200));
	const disc = await request(`${srv.publicUrl}/.well-known/openid-configuration`);
	assert.equal(disc.json.request_parameter_supported, true);
	assert.equal(disc.json.request_uri_parameter_supported, true);
	assert.equal(disc.json.require_request_uri_registration, true);
});
