// tests/integration/lib/oidcd.mjs — helpers for the integration tests: run the real oidcd
// binary (and the jwstool test tool) in fresh temporary directories, wait for the start-up
// line to learn the bound ports, stop with a signal and return the exit code, and make
// plain HTTP requests to 127.0.0.1 with full control over method, headers and body.
//
// Binaries: OIDCD_BIN (default <repo>/build/server/oidcd) and JWSTOOL_BIN (default
// <repo>/build/tests/support/jwstool). OIDCD_START_TIMEOUT_MS (default 30000) bounds the
// wait for the start-up line (generous for ASan builds); it is never a timing assertion.
//
// PostgreSQL (issue 10): with OIDCD_TEST_PG set to a running cluster's directory
// (`scripts/pg.sh start DIR`), every database path a test names (startOidcd's `db`, default
// <dir>/oidcd.db, and `--database PATH` given to runOidcd/runJwstool) stands for a fresh
// PostgreSQL database made with `scripts/pg.sh createdb` the first time the path is seen; the
// same path gives the same database again (restarts). srv.db is then the postgres:// URL. A
// --dev server or command on such a database gets a secrets.system of its own unless the test
// sets one (the --dev secret file lives beside an SQLite file). Tests about the SQLite file
// itself skip with `{ skip: sqliteOnly('why') }`. Without OIDCD_TEST_PG nothing changes.

import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, rm, readFile } from 'node:fs/promises';
import { readFileSync, rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const integrationDir = path.join(repoRoot, 'tests', 'integration');
export const OIDCD_BIN = process.env.OIDCD_BIN || path.join(repoRoot, 'build', 'server', 'oidcd');
export const JWSTOOL_BIN = process.env.JWSTOOL_BIN || path.join(repoRoot, 'build', 'tests', 'support', 'jwstool');

const START_TIMEOUT_MS = Number(process.env.OIDCD_START_TIMEOUT_MS || 30000);
const STOP_TIMEOUT_MS = Number(process.env.OIDCD_STOP_TIMEOUT_MS || 30000);
const CLI_TIMEOUT_MS = Number(process.env.OIDCD_CLI_TIMEOUT_MS || 30000);

/** The project version from the top-level meson.build (what `oidcd version` must print). */
export const projectVersion = (() => {
	const m = readFileSync(path.join(repoRoot, 'meson.build'), 'utf8').match(/version\s*:\s*'([^']+)'/);
	return m ? m[1] : null;
})();

/** A system secret good enough for non-dev checks (>= 16 characters). */
export const TEST_SECRET = 'integration-test-secret-0123456789';

/** The PostgreSQL cluster directory the suite runs against (OIDCD_TEST_PG), or null for SQLite. */
export const PG_DIR = process.env.OIDCD_TEST_PG || null;
/** True when the databases are PostgreSQL ones (OIDCD_TEST_PG is set). */
export const usingPg = PG_DIR !== null;

/**
 * The `skip` option of a test that is about the SQLite file itself (backup/restore, the file
 * on disk, the --dev secret file beside it): false normally, the reason under PostgreSQL.
 */
export function sqliteOnly(reason) {
	return usingPg ? `SQLite only, skipped under PostgreSQL (OIDCD_TEST_PG): ${reason}` : false;
}

/** The `skip` option of a test that needs PostgreSQL (OIDCD_TEST_PG): false when it is set. */
export function pgOnly(reason) {
	return usingPg ? false : `needs PostgreSQL: set OIDCD_TEST_PG to a cluster started with scripts/pg.sh start DIR (${reason})`;
}

const pgDatabases = new Map(); // resolved SQLite path → Promise<postgres URL>
let pgSeq = 0;

/** True when `db` is a database URL rather than a file path. */
function isUrl(db) {
	return /^[a-z][a-z0-9+.-]*:\/\//i.test(String(db));
}

/**
 * Under PostgreSQL: the URL of the database standing for the SQLite path `file` (created on
 * first use with `scripts/pg.sh createdb`, the same one afterwards). Without OIDCD_TEST_PG, or
 * for a URL: `file` unchanged.
 */
export function pgDatabase(file) {
	if (!usingPg || isUrl(file)) return Promise.resolve(file);
	const key = path.resolve(file);
	let url = pgDatabases.get(key);
	if (!url) {
		const name = `it_${process.pid}_${++pgSeq}_${randomBytes(3).toString('hex')}`;
		url = new Promise((resolve, reject) => {
			execFile(path.join(repoRoot, 'scripts', 'pg.sh'), ['createdb', PG_DIR, name], { timeout: CLI_TIMEOUT_MS }, (err, stdout, stderr) => {
				const u = String(stdout).trim();
				if (err || !u.startsWith('postgres')) reject(new Error(`scripts/pg.sh createdb ${PG_DIR} ${name}: ${err ? err.message : ''}\n${stderr}`));
				else resolve(u);
			});
		});
		pgDatabases.set(key, url);
	}
	return url;
}

/** The secrets.system a --dev server gets under PostgreSQL for the database `url`. */
function pgDevSecret(url) {
	return `pg-dev-secret-${new URL(url).pathname.slice(1)}-0123456789`;
}

/**
 * Whether args (`--set KEY=...`) or env (OIDCD_KEY, oidcd's naming) already give one of keys
 * (a --config file aside).
 */
function gives(args, env, keys) {
	return keys.some((k) => args.some((a) => String(a).startsWith(`${k}=`)) || `OIDCD_${k.toUpperCase().replaceAll('.', '_')}` in env);
}

/**
 * A PEM RSA key made once per test process, for keys.import_file: generating an RS256 key
 * costs ~0.36 s of CPU, and nearly every test starts a fresh server (about 150 starts a pass).
 * Tests about keys themselves (keys.algorithm, keys.rsa_bits, keys.import_file) keep their own.
 */
let testKeyFile;
function testSigningKey() {
	if (testKeyFile === undefined) {
		const dir = mkdtempSync(path.join(os.tmpdir(), 'oidcd-test-key-'));
		const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
		testKeyFile = path.join(dir, 'rs256.pem');
		writeFileSync(testKeyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
		process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
	}
	return testKeyFile;
}

/**
 * What test servers and CLI runs get unless args or env choose otherwise:
 * - hashers.scrypt_log_n=10: scrypt at N=2^10 instead of the default 2^15 makes a login or a
 *   user ~3 ms of CPU instead of ~100 ms, which was a fifth of the integration suite's CPU. The
 *   hashing code is the same; unit tests (crypto/secret_test.c, server/users_test.c) pin the
 *   default cost.
 * - keys.import_file (servers only, `withKey`): the process's test key, unless the test says
 *   anything about keys.
 */
function testDefaults(args, env = {}, { withKey = true } = {}) {
	const extra = [];
	if (!gives(args, env, ['hashers.scrypt_log_n'])) extra.push('--set', 'hashers.scrypt_log_n=10');
	if (withKey && !gives(args, env, ['keys.algorithm', 'keys.rsa_bits', 'keys.import_file'])) {
		extra.push('--set', `keys.import_file=${testSigningKey()}`);
	}
	return extra;
}

/**
 * Under PostgreSQL: args with `--database PATH` replaced by the database URL standing for PATH,
 * plus a secrets.system for --dev when none is given. Otherwise args unchanged.
 */
async function pgArgs(args, env = {}) {
	if (!usingPg) return args;
	const out = [...args];
	const i = out.indexOf('--database');
	if (i < 0 || i + 1 >= out.length) return out;
	out[i + 1] = await pgDatabase(out[i + 1]);
	if (/^postgres(ql)?:/.test(out[i + 1]) && out.includes('--dev') && !gives(out, env, ['secrets.system'])) {
		out.push('--set', `secrets.system=${pgDevSecret(out[i + 1])}`);
	}
	return out;
}

/**
 * The environment for children: ours without any OIDCD_* variable (oidcd rejects unknown
 * ones, and OIDCD_BIN itself would be one), plus `extra`.
 */
export function childEnv(extra = {}) {
	const env = {};
	for (const [k, v] of Object.entries(process.env)) {
		if (!k.startsWith('OIDCD_')) env[k] = v;
	}
	return { ...env, ...extra };
}

/** Creates a fresh temporary directory removed after the test. */
export async function tempDir(t) {
	const dir = await mkdtemp(path.join(os.tmpdir(), 'oidcd-it-'));
	t.after(() => rm(dir, { recursive: true, force: true }));
	return dir;
}

/** Non-empty lines of a string. */
export function lines(s) {
	return s.split('\n').filter((l) => l.trim() !== '');
}

/**
 * Parses one log line in either format into an object: JSON lines with JSON.parse, text
 * lines (`level=info fn=main msg="..." key=value`) with JSON-style quoted values.
 * Returns null for a line that is neither.
 */
export function parseLogLine(line) {
	const s = line.trim();
	if (s.startsWith('{')) {
		try {
			return JSON.parse(s);
		} catch {
			return null;
		}
	}
	const out = {};
	const re = /([A-Za-z_][\w.-]*)=("(?:[^"\\]|\\.)*"|\S*)/g;
	let m;
	let any = false;
	while ((m = re.exec(s)) !== null) {
		any = true;
		let v = m[2];
		if (v.startsWith('"')) {
			try {
				v = JSON.parse(v);
			} catch {
				/* keep raw */
			}
		}
		out[m[1]] = v;
	}
	return any ? out : null;
}

function isStartLine(line) {
	return line.includes('msg="oidcd started"') || line.includes('"msg":"oidcd started"');
}

/**
 * Runs `oidcd <args...>` to completion. Resolves {code, signal, stdout, stderr}.
 * A child that outlives the timeout is killed and the promise rejects. `input`
 * (string/Buffer) is written to its standard input (else stdin is /dev/null).
 */
export async function runOidcd(args, { env = {}, cwd, timeoutMs = CLI_TIMEOUT_MS, input } = {}) {
	const full = ['users', 'clients'].includes(args[0]) ? [...args, ...testDefaults(args, env, { withKey: false })] : args;
	return runProcess(OIDCD_BIN, await pgArgs(full, env), { env, cwd, timeoutMs, input });
}

/** Runs `jwstool <args...>`; same result shape as runOidcd. */
export async function runJwstool(args, { env = {}, timeoutMs = CLI_TIMEOUT_MS } = {}) {
	return runProcess(JWSTOOL_BIN, await pgArgs(args, env), { env, timeoutMs });
}

function runProcess(bin, args, { env, cwd, timeoutMs, input }) {
	return new Promise((resolve, reject) => {
		const stdin = input === undefined ? 'ignore' : 'pipe';
		const child = spawn(bin, args, { env: childEnv(env), cwd, stdio: [stdin, 'pipe', 'pipe'] });
		if (input !== undefined) {
			child.stdin.on('error', () => {}); // the child may exit without reading it all
			child.stdin.end(input);
		}
		let stdout = '';
		let stderr = '';
		child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
		child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
		const timer = setTimeout(() => {
			child.kill('SIGKILL');
			reject(new Error(`${path.basename(bin)} ${args.join(' ')}: still running after ${timeoutMs} ms\nstderr: ${stderr}`));
		}, timeoutMs);
		child.on('error', (e) => {
			clearTimeout(timer);
			reject(e);
		});
		child.on('close', (code, signal) => {
			clearTimeout(timer);
			resolve({ code, signal, stdout, stderr });
		});
	});
}

/**
 * Starts `oidcd serve` on 127.0.0.1 port 0 (public and admin) with a database in `dir`
 * (a fresh temp dir unless given). Options:
 *   dev (default true)   pass --dev
 *   listen               public listener (default 127.0.0.1:0)
 *   secret               pass --set secrets.system=<secret>
 *   db                   database path (default <dir>/oidcd.db; under OIDCD_TEST_PG the
 *                        PostgreSQL database standing for that path, see pgDatabase)
 *   admin (default true) false → --admin-listen off
 *   args                 extra arguments (e.g. ['--set', 'keys.algorithm=ES256'])
 *   env                  extra environment
 * Resolves a server handle:
 *   publicUrl, adminUrl, publicPort, adminPort, issuer, db, dir, startLine, startFields,
 *   stderr() (all stderr so far), stop(signal) → Promise<{code, signal}>, stopOk(signal).
 * The process is SIGKILLed after the test if it is still running.
 */
export async function startOidcd(t, opts = {}) {
	const dir = opts.dir || (await tempDir(t));
	const db = await pgDatabase(opts.db || path.join(dir, 'oidcd.db'));
	const args = ['serve', '--listen', opts.listen || '127.0.0.1:0', '--database', db];
	args.push('--admin-listen', opts.admin === false ? 'off' : '127.0.0.1:0');
	if (opts.dev !== false) args.push('--dev');
	if (opts.secret) args.push('--set', `secrets.system=${opts.secret}`);
	if (opts.args) args.push(...opts.args);
	args.push(...testDefaults(args, opts.env || {}));
	if (usingPg && opts.dev !== false && !gives(args, opts.env || {}, ['secrets.system'])) args.push('--set', `secrets.system=${pgDevSecret(db)}`);

	const child = spawn(OIDCD_BIN, args, { env: childEnv(opts.env || {}), stdio: ['ignore', 'pipe', 'pipe'] });
	let stderr = '';
	let stdout = '';
	const exited = new Promise((resolve) => {
		child.on('exit', (code, signal) => resolve({ code, signal }));
	});
	let running = true;
	exited.then(() => (running = false));
	t.after(async () => {
		if (running) {
			child.kill('SIGKILL');
			await exited;
		}
	});
	child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));

	const startLine = await new Promise((resolve, reject) => {
		let pending = '';
		let done = false;
		const finish = (err, line) => {
			if (done) return;
			done = true;
			clearTimeout(timer);
			if (err) reject(err);
			else resolve(line);
		};
		const timer = setTimeout(
			() => finish(new Error(`oidcd did not log "oidcd started" within ${START_TIMEOUT_MS} ms\nargs: ${args.join(' ')}\nstderr:\n${stderr}`)),
			START_TIMEOUT_MS,
		);
		child.stderr.setEncoding('utf8').on('data', (d) => {
			stderr += d;
			pending += d;
			let i;
			while ((i = pending.indexOf('\n')) >= 0) {
				const line = pending.slice(0, i);
				pending = pending.slice(i + 1);
				if (isStartLine(line)) finish(null, line);
			}
		});
		child.on('error', (e) => finish(e));
		exited.then(({ code, signal }) =>
			finish(new Error(`oidcd exited (code ${code}, signal ${signal}) before starting\nargs: ${args.join(' ')}\nstderr:\n${stderr}`)),
		);
	});

	const fields = parseLogLine(startLine) || {};
	const portOf = (name) => {
		const m = startLine.match(new RegExp(`(?:\\b${name}="?|"${name}":")127\\.0\\.0\\.1:(\\d+)`));
		return m ? Number(m[1]) : null;
	};
	const publicPort = portOf('public');
	assert.ok(publicPort > 0, `start line names the bound public port: ${startLine}`);
	const adminPort = opts.admin === false ? null : portOf('admin');
	if (opts.admin !== false) assert.ok(adminPort > 0, `start line names the bound admin port: ${startLine}`);

	const srv = {
		child,
		dir,
		db,
		args,
		startLine,
		startFields: fields,
		publicPort,
		adminPort,
		publicUrl: `http://127.0.0.1:${publicPort}`,
		adminUrl: adminPort ? `http://127.0.0.1:${adminPort}` : null,
		issuer: fields.issuer,
		stderr: () => stderr,
		stdout: () => stdout,
		exited,
		get running() {
			return running;
		},
		/** Sends `signal` and resolves {code, signal} once the process has exited. */
		async stop(sig = 'SIGTERM') {
			if (running) child.kill(sig);
			let timer;
			const timeout = new Promise((_, reject) => {
				timer = setTimeout(() => {
					child.kill('SIGKILL');
					reject(new Error(`oidcd did not exit within ${STOP_TIMEOUT_MS} ms of ${sig}\nstderr:\n${stderr}`));
				}, STOP_TIMEOUT_MS);
			});
			try {
				return await Promise.race([exited, timeout]);
			} finally {
				clearTimeout(timer);
			}
		},
		/** stop() and assert a clean exit 0 (the contract for SIGTERM and SIGINT). */
		async stopOk(sig = 'SIGTERM') {
			const r = await srv.stop(sig);
			assert.deepEqual(r, { code: 0, signal: null }, `oidcd exits 0 on ${sig}\nstderr:\n${stderr}`);
			return r;
		},
	};
	return srv;
}

/**
 * One HTTP request over a fresh connection (no keep-alive, so nothing lingers when the
 * server stops) unless `agent` is given (an http.Agent, e.g. keep-alive with maxSockets).
 * body may be a string/Buffer, or an array of chunks to send chunked.
 * Resolves {status, headers (lower-case names), text, json (or undefined)}.
 */
export function request(url, { method = 'GET', headers = {}, body, agent = false } = {}) {
	return new Promise((resolve, reject) => {
		const u = new URL(url);
		const req = http.request(
			{ host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers, agent },
			(res) => {
				const chunks = [];
				res.on('data', (c) => chunks.push(c));
				res.on('error', reject);
				res.on('end', () => {
					const text = Buffer.concat(chunks).toString('utf8');
					let json;
					try {
						json = JSON.parse(text);
					} catch {
						json = undefined;
					}
					resolve({ status: res.statusCode, headers: res.headers, text, json });
				});
			},
		);
		req.on('error', reject);
		if (Array.isArray(body)) {
			for (const c of body) req.write(c);
		} else if (body !== undefined) {
			req.write(body);
		}
		req.end();
	});
}

/** GET url and assert 200 + JSON; returns the parsed body and the response. */
export async function getJson(url, init) {
	const res = await request(url, init);
	assert.equal(res.status, 200, `GET ${url} → ${res.status} ${res.text}`);
	assert.match(String(res.headers['content-type']), /^application\/json/, `${url} Content-Type`);
	assert.ok(res.json !== undefined, `${url} returns JSON: ${res.text}`);
	return { body: res.json, res };
}

/**
 * Writes `raw` (a complete HTTP/1.1 request) to 127.0.0.1:port and resolves the status
 * code of the first response and the text received; resolves {status: null} when the
 * server closes without a status line.
 */
export function rawRequest(port, raw) {
	return new Promise((resolve, reject) => {
		const sock = net.connect({ host: '127.0.0.1', port });
		let data = '';
		let settled = false;
		const done = () => {
			if (settled) return;
			settled = true;
			const m = data.match(/^HTTP\/1\.[01] (\d{3})/);
			resolve({ status: m ? Number(m[1]) : null, text: data });
		};
		sock.setEncoding('utf8');
		sock.on('data', (d) => {
			data += d;
			// A complete response with Content-Length: done, whether or not the
			// server keeps the connection open.
			const end = data.indexOf('\r\n\r\n');
			const cl = data.slice(0, end).match(/\r\ncontent-length:\s*(\d+)/i);
			if (end >= 0 && cl && Buffer.byteLength(data.slice(end + 4)) >= Number(cl[1])) {
				done();
				sock.destroy();
			}
		});
		sock.on('end', done);
		sock.on('close', done);
		sock.on('error', (e) => {
			// A reset after the response was received still counts as an answer.
			if (data) done();
			else if (e.code === 'ECONNRESET' || e.code === 'EPIPE') done();
			else reject(e);
		});
		sock.write(raw);
	});
}

/** The headers oidcd puts on every response (issue 2, "HTTP"). */
export function assertSecurityHeaders(res, what = '') {
	assert.equal(res.headers['x-content-type-options'], 'nosniff', `${what} X-Content-Type-Options`);
	assert.equal(res.headers['referrer-policy'], 'no-referrer', `${what} Referrer-Policy`);
	assert.equal(res.headers['x-frame-options'], 'DENY', `${what} X-Frame-Options`);
}

/** Asserts Cache-Control: no-store (responses that are not discovery/JWKS). */
export function assertNoStore(res, what = '') {
	const cc = String(res.headers['cache-control'] || '');
	assert.ok(/(^|,)\s*no-store\s*(,|$)/.test(cc), `${what} Cache-Control has no-store: "${cc}"`);
}

/** Asserts the body is an error object {error: string, error_description: string}. */
export function assertJsonError(res, status, what = '') {
	assert.equal(res.status, status, `${what} status (body: ${res.text})`);
	assert.match(String(res.headers['content-type']), /^application\/json/, `${what} Content-Type`);
	assert.ok(res.json && typeof res.json === 'object', `${what} JSON body: ${res.text}`);
	assert.equal(typeof res.json.error, 'string', `${what} error is a string`);
	assert.ok(res.json.error.length > 0, `${what} error is not empty`);
	assert.equal(typeof res.json.error_description, 'string', `${what} error_description is a string`);
}

/** Reads a file as a Buffer (for byte-identity checks). */
export function readBytes(p) {
	return readFile(p);
}

/**
 * A request with a JSON body (`json`, serialised unless it is already a string/Buffer)
 * and, when `token` is given, `Authorization: Bearer <token>`. Other options as request().
 */
export function sendJson(url, method, json, { token, headers = {}, agent } = {}) {
	const h = { ...headers };
	if (token !== undefined) h.authorization = `Bearer ${token}`;
	let body;
	if (json !== undefined) {
		body = typeof json === 'string' || Buffer.isBuffer(json) ? json : JSON.stringify(json);
		h['content-type'] = h['content-type'] || 'application/json';
	}
	return request(url, { method, headers: h, body, agent });
}

/**
 * Makes a self-signed certificate for 127.0.0.1 (subjectAltName IP:127.0.0.1) with the
 * openssl CLI in `dir`. Resolves {certPath, keyPath, cert, key} (PEM text).
 */
export async function selfSignedCert(dir, { dns = [] } = {}) {
	const certPath = path.join(dir, 'cert.pem');
	const keyPath = path.join(dir, 'key.pem');
	await new Promise((resolve, reject) => {
		execFile(
			'openssl',
			['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
				'-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', '/CN=127.0.0.1',
				'-addext', `subjectAltName=${[...dns.map((d) => `DNS:${d}`), 'IP:127.0.0.1'].join(',')}`],
			(err, _out, stderr) => (err ? reject(new Error(`openssl: ${err.message}\n${stderr}`)) : resolve()),
		);
	});
	return { certPath, keyPath, cert: await readFile(certPath, 'utf8'), key: await readFile(keyPath, 'utf8') };
}

/**
 * Starts an https server on 127.0.0.1 (port 0) with {cert, key} and `handler(req, res)`;
 * closed after the test. Resolves {server, port, url (https://127.0.0.1:<port>)}.
 */
export async function startHttpsServer(t, { cert, key }, handler) {
	const server = https.createServer({ cert, key }, handler);
	await new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', resolve);
	});
	t.after(
		() =>
			new Promise((resolve) => {
				server.closeAllConnections?.();
				server.close(() => resolve());
			}),
	);
	const { port } = server.address();
	return { server, port, url: `https://127.0.0.1:${port}` };
}

/**
 * The same token request on one connection per URL (no keep-alive): every connection is
 * opened first, then every request written, and only then are the answers read (refresh
 * races: one URL many times, or one per instance). Resolves [{url, status, text, json}].
 */
export function raceTokenRequests(urls, { headers, body }, timeoutMs = 20000) {
	return new Promise((resolveAll, rejectAll) => {
		const reqs = [];
		let connected = 0;
		const answers = urls.map(
			(url) =>
				new Promise((resolve, reject) => {
					const u = new URL('/oauth2/token', url);
					const req = http.request(
						{
							host: u.hostname,
							port: u.port,
							path: u.pathname,
							method: 'POST',
							agent: false,
							headers: { ...headers, 'content-length': Buffer.byteLength(body), connection: 'close' },
						},
						(res) => {
							let text = '';
							res.setEncoding('utf8');
							res.on('data', (d) => (text += d));
							res.on('end', () => {
								let json;
								try {
									json = JSON.parse(text);
								} catch {
									json = undefined;
								}
								resolve({ url, status: res.statusCode, text, json });
							});
							res.on('error', reject);
						},
					);
					req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
					req.on('error', reject);
					req.on('socket', (s) =>
						s.once('connect', () => {
							if (++connected === urls.length) for (const r of reqs) r.end(body);
						}),
					);
					reqs.push(req);
				}),
		);
		Promise.all(answers).then(resolveAll, rejectAll);
	});
}
