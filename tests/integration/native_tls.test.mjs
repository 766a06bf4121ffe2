// native_tls.test.mjs — the public listener serving HTTPS itself with public.tls_cert /
// public.tls_key (issue 9, "Native TLS"): issuer https://localhost:<port> (a free port is
// picked first, as the issuer names it before oidcd binds), discovery and a registration
// over https trusting the test certificate, no HTTP answer to plain http on that port,
// `oidcd health` over https, and the start-up errors for a missing file, a lone cert and a
// key that does not match.

import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';

import { rawRequest, runOidcd, selfSignedCert, startOidcd, tempDir } from './lib/oidcd.mjs';

/** A port that was free a moment ago (the issuer must name the port before oidcd binds it). */
function freePort() {
	return new Promise((resolve, reject) => {
		const srv = net.createServer();
		srv.once('error', reject);
		srv.listen(0, '127.0.0.1', () => {
			const { port } = srv.address();
			srv.close(() => resolve(port));
		});
	});
}

/** One https request to 127.0.0.1:port for host `localhost`, trusting only `ca`. */
function httpsRequest(port, ca, urlPath, { method = 'GET', headers = {}, body } = {}) {
	return new Promise((resolve, reject) => {
		const req = https.request(
			{ host: '127.0.0.1', servername: 'localhost', port, path: urlPath, method, headers: { host: `localhost:${port}`, ...headers }, ca, agent: false },
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
					resolve({ status: res.statusCode, headers: res.headers, text, json, socket: res.socket });
				});
			},
		);
		req.on('error', reject);
		if (body !== undefined) req.write(body);
		req.end();
	});
}

async function startTls(t) {
	const dir = await tempDir(t);
	const tls = await selfSignedCert(dir, { dns: ['localhost'] });
	const port = await freePort();
	const issuer = `https://localhost:${port}`;
	const tlsArgs = ['--set', `public.tls_cert=${tls.certPath}`, '--set', `public.tls_key=${tls.keyPath}`];
	const srv = await startOidcd(t, {
		dir,
		args: ['--listen', `127.0.0.1:${port}`, '--set', `issuer=${issuer}`, ...tlsArgs],
	});
	assert.equal(srv.publicPort, port);
	return { dir, tls, port, issuer, tlsArgs, srv };
}

test('native TLS: discovery and registration over https, issuer https://localhost:<port>', async (t) => {
	const { tls, port, issuer, srv } = await startTls(t);

	const disc = await httpsRequest(port, tls.cert, '/.well-known/openid-configuration');
	assert.equal(disc.status, 200, disc.text);
	assert.equal(disc.socket.getPeerCertificate().subject.CN, '127.0.0.1', 'served with the configured certificate');
	assert.equal(disc.json.issuer, issuer);
	for (const k of ['authorization_endpoint', 'token_endpoint', 'jwks_uri', 'registration_endpoint']) {
		assert.ok(String(disc.json[k]).startsWith(`${issuer}/`), `${k} is under the https issuer: ${disc.json[k]}`);
	}
	const jwks = await httpsRequest(port, tls.cert, new URL(disc.json.jwks_uri).pathname);
	assert.equal(jwks.status, 200);
	assert.ok(jwks.json.keys.length > 0);

	const reg = await httpsRequest(port, tls.cert, '/oauth2/register', {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ redirect_uris: ['https://rp.example.com/cb'], client_name: 'over tls' }),
	});
	assert.equal(reg.status, 201, reg.text);
	assert.equal(typeof reg.json.client_id, 'string');
	assert.ok(String(reg.json.registration_client_uri).startsWith(`${issuer}/`));

	// The admin listener stays plain HTTP on loopback.
	const admin = await (await fetch(`${srv.adminUrl}/admin/clients/${encodeURIComponent(reg.json.client_id)}`)).json();
	assert.equal(admin.client_name, 'over tls');
	await srv.stopOk();
});

test('native TLS: plain http to the TLS port gets no HTTP answer; an untrusted client fails', async (t) => {
	const { port, srv } = await startTls(t);
	const plain = await rawRequest(port, `GET /health/ready HTTP/1.1\r\nHost: localhost:${port}\r\nConnection: close\r\n\r\n`);
	assert.equal(plain.status, null, `no HTTP status line: ${JSON.stringify(plain.text.slice(0, 80))}`);
	await assert.rejects(httpsRequest(port, undefined, '/health/ready'), /self[- ]signed|unable to verify|certificate/i);
	// ...and the server is still serving afterwards.
	assert.equal(srv.running, true);
	await srv.stopOk();
});

test('oidcd health asks the configured https listener, trusting the configured certificate', async (t) => {
	const { port, tlsArgs, srv } = await startTls(t);
	const ok = await runOidcd(['health', '--listen', `127.0.0.1:${port}`, ...tlsArgs]);
	assert.equal(ok.code, 0, ok.stderr);
	assert.match(ok.stdout, new RegExp(`https://127\\.0\\.0\\.1:${port}/health/ready: 200`));
	// Without the TLS settings it speaks plain http to the TLS port: unhealthy.
	const plain = await runOidcd(['health', '--listen', `127.0.0.1:${port}`]);
	assert.equal(plain.code, 1, plain.stdout);
	// --url with the system's trust store does not know the test certificate.
	const untrusted = await runOidcd(['health', '--url', `https://127.0.0.1:${port}/health/ready`]);
	assert.equal(untrusted.code, 1);
	await srv.stopOk();
	const down = await runOidcd(['health', '--listen', `127.0.0.1:${port}`, ...tlsArgs]);
	assert.equal(down.code, 1, 'a stopped server is unhealthy');
});

test('oidcd health over plain http: 0 while serving, 1 once stopped', async (t) => {
	const srv = await startOidcd(t);
	const ok = await runOidcd(['health', '--listen', `127.0.0.1:${srv.publicPort}`]);
	assert.equal(ok.code, 0, ok.stderr);
	const byUrl = await runOidcd(['health', '--url', `${srv.publicUrl}/health/ready`]);
	assert.equal(byUrl.code, 0, byUrl.stderr);
	const notReady = await runOidcd(['health', '--url', `${srv.publicUrl}/health/nope`]);
	assert.equal(notReady.code, 1, 'a 404 is unhealthy');
	await srv.stopOk();
	const down = await runOidcd(['health', '--listen', `127.0.0.1:${srv.publicPort}`]);
	assert.equal(down.code, 1);
});

test('native TLS start-up errors: lone cert, missing file, a key that does not match', async (t) => {
	const dir = await tempDir(t);
	const tls = await selfSignedCert(dir, { dns: ['localhost'] });
	const otherDir = path.join(dir, 'other');
	await mkdir(otherDir);
	const other = await selfSignedCert(otherDir, { dns: ['localhost'] });
	const base = ['serve', '--dev', '--database', path.join(dir, 'oidcd.db'), '--listen', '127.0.0.1:0', '--admin-listen', 'off'];

	const lone = await runOidcd([...base, '--set', `public.tls_cert=${tls.certPath}`]);
	assert.equal(lone.code, 2, lone.stderr);
	assert.match(lone.stderr, /public\.tls_key: set public\.tls_cert and public\.tls_key together/);

	const missing = path.join(dir, 'nope.pem');
	const gone = await runOidcd([...base, '--set', `public.tls_cert=${tls.certPath}`, '--set', `public.tls_key=${missing}`]);
	assert.equal(gone.code, 1, gone.stderr);
	assert.ok(gone.stderr.includes(`public.tls_key: ${missing}`), gone.stderr);

	const mismatch = await runOidcd([...base, '--set', `public.tls_cert=${tls.certPath}`, '--set', `public.tls_key=${other.keyPath}`]);
	assert.equal(mismatch.code, 1, mismatch.stderr);
	assert.match(mismatch.stderr, /cannot start the HTTPS listener .*does the key match the certificate/);

	const text = path.join(dir, 'text.pem');
	await writeFile(text, 'just text\n');
	const notPem = await runOidcd([...base, '--set', `public.tls_cert=${text}`, '--set', `public.tls_key=${tls.keyPath}`]);
	assert.equal(notPem.code, 1, notPem.stderr);
	assert.match(notPem.stderr, /public\.tls_cert: .*not a PEM file/);
});
