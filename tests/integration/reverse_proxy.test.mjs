// reverse_proxy.test.mjs — oidcd behind Debian's real nginx (issue 9): TLS terminated by nginx
// with a self-signed certificate on 127.0.0.1, issuer https://localhost:<port>, the
// configuration the README shows (headers, body limit). Through it: discovery (URLs built from
// the issuer, never from Host), registration, a code flow in Chromium (which trusts exactly
// that certificate's key: --ignore-certificate-errors-spki-list, and maps localhost to
// 127.0.0.1) with openid-client as the RP, /userinfo. nginx connects from 127.0.0.2, the only
// trusted proxy, so the client address oidcd logs and throttles by is nginx's
// `Forwarded: for=`; a client talking to oidcd directly from 127.0.0.1 is not trusted, and its
// spoofed X-Forwarded-For / Forwarded headers do not change its throttling key.
// Needs nginx (scripts/setup.sh installs nginx-light) and the openssl CLI.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { before, describe, test } from 'node:test';

import { client, createClient, createUser, launchBrowser, newPage, authorize as browserAuthorize, startCallbackServer, suiteScope } from './lib/browser.mjs';
import { CookieJar, formBody, parseForms } from './lib/login.mjs';
import { request, selfSignedCert, startOidcd, tempDir } from './lib/oidcd.mjs';

const NGINX_BIN = process.env.NGINX_BIN || '/usr/sbin/nginx';
const PROXY_PEER = '127.0.0.2';

function freePort() {
	return new Promise((resolve, reject) => {
		const s = net.createServer();
		s.on('error', reject);
		s.listen(0, '127.0.0.1', () => {
			const { port } = s.address();
			s.close(() => resolve(port));
		});
	});
}

/** The nginx.conf of the README's example, for a test directory. */
function nginxConf({ dir, port, upstream, cert, key }) {
	return `
worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream oidcd { server ${upstream}; keepalive 16; }
  server {
    listen 127.0.0.1:${port} ssl;
    server_name localhost;
    ssl_certificate ${cert};
    ssl_certificate_key ${key};
    ssl_protocols TLSv1.2 TLSv1.3;
    client_max_body_size 64k;
    location / {
      proxy_pass http://oidcd;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_bind ${PROXY_PEER};
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header Forwarded "for=$remote_addr;proto=$scheme";
      proxy_redirect off;
    }
  }
}
`;
}

async function startNginx(life, conf, dir) {
	const file = path.join(dir, 'nginx.conf');
	await writeFile(file, conf);
	for (const d of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) await mkdir(path.join(dir, d), { recursive: true });
	const child = spawn(NGINX_BIN, ['-p', dir, '-c', file, '-e', path.join(dir, 'error.log')], { stdio: ['ignore', 'pipe', 'pipe'] });
	let stderr = '';
	child.stderr.on('data', (d) => (stderr += d));
	const exited = new Promise((resolve) => child.on('exit', resolve));
	life.after(async () => {
		child.kill('SIGQUIT');
		await exited;
	});
	return { child, stderr: () => stderr };
}

/** An https request to localhost:port through 127.0.0.1 trusting only ca. */
function httpsRequest(url, { method = 'GET', headers = {}, body, ca }) {
	const u = new URL(url);
	return new Promise((resolve, reject) => {
		const req = https.request(
			{ host: '127.0.0.1', servername: u.hostname, port: u.port, path: u.pathname + u.search, method, headers: { host: u.host, ...headers }, ca, agent: false },
			(res) => {
				const chunks = [];
				res.on('data', (c) => chunks.push(c));
				res.on('end', () => {
					const text = Buffer.concat(chunks).toString('utf8');
					let json;
					try {
						json = JSON.parse(text);
					} catch {
						json = undefined;
					}
					resolve({ status: res.statusCode, headers: res.headers, text, json, buffer: Buffer.concat(chunks) });
				});
				res.on('error', reject);
			},
		);
		req.on('error', reject);
		if (body !== undefined) req.write(body);
		req.end();
	});
}

/** openid-client's customFetch over httpsRequest (the test CA only, 127.0.0.1 only). */
function caFetch(ca) {
	return async (url, options) => {
		const headers = {};
		new Headers(options.headers).forEach((v, k) => (headers[k] = v));
		const body = options.body === undefined || options.body === null ? undefined : typeof options.body === 'string' ? options.body : Buffer.from(await new Response(options.body).arrayBuffer());
		const r = await httpsRequest(url, { method: options.method, headers, body, ca });
		const h = new Headers();
		for (const [k, v] of Object.entries(r.headers)) for (const x of [].concat(v)) h.append(k, x);
		return new Response([204, 304].includes(r.status) ? null : r.buffer, { status: r.status, headers: h });
	};
}

describe('oidcd behind nginx with TLS', () => {
	const life = suiteScope();
	let srv;
	let tls;
	let port;
	let issuer;
	let browser;
	let cb;
	let alice;

	before(async () => {
		const dir = await tempDir(life);
		tls = await selfSignedCert(dir, { dns: ['localhost'] });
		port = await freePort();
		issuer = `https://localhost:${port}`;
		srv = await startOidcd(life, { args: ['--set', `issuer=${issuer}`, '--set', `proxy.trusted=${PROXY_PEER}/32`] });
		life.after(() => srv.stopOk());
		const upstream = new URL(srv.publicUrl).host;
		const ngx = await startNginx(life, nginxConf({ dir, port, upstream, cert: tls.certPath, key: tls.keyPath }), dir);
		// Ready when nginx answers on the TLS port.
		for (let i = 0; ; i++) {
			try {
				await httpsRequest(`${issuer}/health/alive`, { ca: tls.cert });
				break;
			} catch (e) {
				if (i > 200) throw new Error(`nginx did not come up: ${e.message}\n${ngx.stderr()}`);
				await new Promise((r) => setTimeout(r, 50));
			}
		}
		const spki = crypto.createHash('sha256').update(crypto.createPublicKey(tls.cert).export({ type: 'spki', format: 'der' })).digest('base64');
		browser = await launchBrowser(life.after, { args: [`--ignore-certificate-errors-spki-list=${spki}`, '--host-resolver-rules=MAP localhost 127.0.0.1'] });
		cb = await startCallbackServer(life.after);
		alice = await createUser(srv, { username: 'alice' });
		await createClient(srv, { client_id: 'web', client_secret: 'web-secret-0123456789abcdef', redirect_uris: [cb.url], post_logout_redirect_uris: [`${cb.origin}/logged-out`], grant_types: ['authorization_code'], response_types: ['code'], scope: 'openid profile', token_endpoint_auth_method: 'client_secret_basic' });
	});

	test('discovery through the proxy names only the issuer, whatever the Host header says', async () => {
		const r = await httpsRequest(`${issuer}/.well-known/openid-configuration`, { ca: tls.cert });
		assert.equal(r.status, 200, r.text);
		assert.equal(r.json.issuer, issuer);
		for (const [k, v] of Object.entries(r.json)) if (typeof v === 'string' && /^https?:/.test(v)) assert.ok(v.startsWith(`${issuer}/`) || v === issuer, `${k} = ${v} is under the issuer`);
		// A forged Host (nginx passes $host on) changes nothing.
		const forged = await httpsRequest(`${issuer}/.well-known/openid-configuration`, { ca: tls.cert, headers: { host: `evil.example:${port}` } });
		assert.equal(forged.status, 200);
		assert.equal(forged.json.issuer, issuer);
		assert.ok(!forged.text.includes('evil.example'), 'nothing built from Host');
		// Plain http to the TLS port is not served.
		const plain = await new Promise((resolve) => {
			const s = net.connect(port, '127.0.0.1', () => s.end(`GET / HTTP/1.0\r\nHost: localhost\r\n\r\n`));
			let out = '';
			s.on('data', (d) => (out += d));
			s.on('close', () => resolve(out));
			s.on('error', () => resolve(out));
		});
		assert.ok(!/^HTTP\/1\.[01] 200/.test(plain), 'no 200 over plain http');
	});

	test('registration through the proxy, and the body limit is nginx\'s', async () => {
		const body = JSON.stringify({ redirect_uris: [cb.url], client_name: 'proxied', token_endpoint_auth_method: 'client_secret_basic' });
		const r = await httpsRequest(`${issuer}/oauth2/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, ca: tls.cert });
		assert.equal(r.status, 201, r.text);
		assert.ok(r.json.registration_client_uri.startsWith(`${issuer}/oauth2/register/`));
		const get = await httpsRequest(r.json.registration_client_uri, { headers: { authorization: `Bearer ${r.json.registration_access_token}` }, ca: tls.cert });
		assert.equal(get.status, 200, get.text);
		const big = await httpsRequest(`${issuer}/oauth2/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ redirect_uris: [cb.url], client_name: 'x'.repeat(100000) }), ca: tls.cert });
		assert.equal(big.status, 413, 'client_max_body_size');
	});

	test('a code flow in Chromium through nginx, /userinfo, then RP-initiated logout', async (t) => {
		const config = await client.discovery(new URL(issuer), 'web', {}, client.ClientSecretBasic('web-secret-0123456789abcdef'), { [client.customFetch]: caFetch(tls.cert) });
		config[client.customFetch] = caFetch(tls.cert);
		assert.equal(config.serverMetadata().issuer, issuer);
		const { page } = await newPage(browser, t.after.bind(t));
		const flow = await browserAuthorize(page, cb, config, { scope: 'openid profile', login: { username: alice.username, password: alice.password }, consent: 'allow' });
		assert.equal(flow.kind, 'callback', `the flow reached the RP: ${flow.info?.text?.slice(0, 300)}`);
		const tokens = await client.authorizationCodeGrant(config, new URL(flow.request.url), { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce, idTokenExpected: true });
		assert.equal(tokens.claims().iss, issuer);
		assert.equal(tokens.claims().sub, alice.id);
		const info = await client.fetchUserInfo(config, tokens.access_token, alice.id);
		assert.equal(info.name, alice.claims.name);
		// The login cookie is Secure (an https issuer) and was set through the proxy.
		const cookies = await page.context().cookies(issuer);
		const session = cookies.find((c) => c.name === 'oidcd_session');
		assert.ok(session && session.secure && session.httpOnly, `secure session cookie: ${JSON.stringify(cookies)}`);

		// RP-initiated logout through the proxy: the hint's sid is the session, so no
		// confirmation; back at the registered URI with state; the session's token is revoked.
		const before = cb.requests.length;
		const end = client.buildEndSessionUrl(config, { id_token_hint: tokens.id_token, post_logout_redirect_uri: `${cb.origin}/logged-out`, state: 'bye-0123456789' });
		assert.ok(String(end).startsWith(`${issuer}/oauth2/sessions/logout?`), String(end));
		await page.goto(String(end));
		let back;
		for (let i = 0; i < 200 && !back; i++) {
			back = cb.requests.slice(before).find((r) => r.path === '/logged-out');
			if (!back) await new Promise((r) => setTimeout(r, 50));
		}
		assert.ok(back, 'the browser reached the post_logout_redirect_uri');
		assert.equal(back.query.get('state'), 'bye-0123456789');
		const after = await httpsRequest(`${issuer}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` }, ca: tls.cert });
		assert.equal(after.status, 401, 'logout revoked the session\'s access token');
		assert.ok(!(await page.context().cookies(issuer)).some((c) => c.name === 'oidcd_session'), 'the session cookie is cleared');
	});

	test('the client address is the one nginx reports; a direct client cannot spoof its own', async () => {
		// Through nginx: failed logins with new usernames from one address (the test's) are
		// throttled by the address key.
		const viaProxy = (url, opts) => httpsRequest(url, { ...opts, ca: tls.cert });
		assert.equal(await failedLogins(viaProxy, issuer, cb.url, 'proxied'), 429, 'failures from one client address through nginx are throttled');
		// Directly from 127.0.0.1 (not a trusted proxy): a new X-Forwarded-For and Forwarded
		// each time, and the address key still counts them all.
		const direct = (url, opts) => request(url, opts);
		assert.equal(await failedLogins(direct, srv.publicUrl, cb.url, 'direct', true), 429, 'spoofed forwarding headers from an untrusted peer are ignored');
	});
});

/**
 * Failed logins, each for a new username, from one browser-less client until one is refused
 * with 429 (at most 16: five failures a minute are free, then each locks the address key for
 * 1, 2, 4, ... seconds, so one lands in a lock however slow the machine); with spoof, each
 * carries a different X-Forwarded-For and Forwarded. Resolves the last status.
 */
async function failedLogins(send, base, redirectUri, prefix, spoof = false) {
	let status;
	for (let i = 0; i < 16 && status !== 429; i++) {
		const jar = new CookieJar();
		const q = new URLSearchParams({ response_type: 'code', client_id: 'web', redirect_uri: redirectUri, scope: 'openid', state: 'state-0123456', nonce: 'nonce-0123456', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' });
		const extra = spoof ? { 'x-forwarded-for': `198.51.100.${i + 1}`, forwarded: `for=203.0.113.${i + 1}` } : {};
		const page = await send(`${base}/oauth2/auth?${q}`, { headers: { ...extra } });
		jar.update(page.headers);
		const form = parseForms(page.text).find((f) => f.inputs.some((x) => x.name === 'password'));
		assert.ok(form, `a login form: ${page.status} ${page.text.slice(0, 200)}`);
		const r = await send(new URL(form.action, base).href, {
			method: 'POST',
			headers: { ...extra, cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
			body: formBody([...form.hidden, ['username', `${prefix}-user-${i}`], ['password', 'wrong password']]),
		});
		status = r.status;
	}
	return status;
}
