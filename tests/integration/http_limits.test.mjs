// tests/integration/http_limits.test.mjs — request heads at and past limits.header_bytes always
// get an HTTP answer (4xx or the endpoint's own), never a silent close or a hang: dense query
// strings, long request lines, many cookies, many headers and their combinations. Written
// against libmicrohttpd 0.9.75's memory-pool behaviour (server/http.c, is_too_big_for_pool).

import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';

import { request, startOidcd } from './lib/oidcd.mjs';

/**
 * Sends a raw request and resolves its status line as soon as it arrives ('' when the server
 * closed without one).
 */
function probe(port, head) {
	return new Promise((resolve, reject) => {
		const sock = net.connect(port, '127.0.0.1');
		let data = '';
		const timer = setTimeout(() => {
			sock.destroy();
			reject(new Error('no answer within 20 s'));
		}, 20000);
		sock.on('error', () => {}); // a reset after the answer is fine
		const done = () => {
			clearTimeout(timer);
			sock.destroy();
			resolve(data.split('\r\n')[0]);
		};
		// The status line is the answer: a kept-alive connection need not close.
		sock.on('data', (d) => {
			data += d.toString('latin1');
			if (data.includes('\r\n')) done();
		});
		sock.on('close', done);
		sock.end(head);
	});
}

const params = (n, value = 'x') => Array.from({ length: n }, (_, i) => `p${i}=${value}`).join('&');
const cookies = (n) => Array.from({ length: n }, (_, i) => `c${i}=v${i}`).join('; ');
const headers = (n) => Array.from({ length: n }, (_, i) => `X-H${i}: ${'v'.repeat(20)}\r\n`).join('');

/**
 * The sweeps below are tuned to the pool size: heads that end just under it, and a request
 * line whose cookie records fill the pool while it is parsed or while the answer's header is
 * built. `kib` is limits.header_bytes; `args` the server flags that set it.
 */
const POOLS = [
	{
		kib: 16,
		args: ['--set', 'limits.header_bytes=16KiB'],
		shortParams: 31, // 31 x 200 bytes: a 6 KB query, well inside 3/4 of the pool
		cookieRange: [12300, 13300], // plus a 3 KB query: 15.4-16.4 KB heads
		lineCookies: 75,
		lineRange: [6000, 13000],
	},
	{
		kib: 64,
		args: [], // the default
		shortParams: 127,
		cookieRange: [61500, 61900], // 64.6-65 KB heads
		lineCookies: 300,
		lineRange: [39000, 42000], // around 40 KB the cookie records fill the pool
	},
];

for (const pool of POOLS) {
	test(`heads past the limits get 4xx answers, not silence (limits.header_bytes ${pool.kib}KiB)`, async (t) => {
		const srv = await startOidcd(t, { args: pool.args });
		const cases = [
			['3000 dense query parameters', `GET /userinfo?${params(3000)} HTTP/1.1\r\nHost: x\r\n\r\n`, /^HTTP\/1\.1 414 /],
			['20000 query parameters', `GET /oauth2/auth?${params(20000)} HTTP/1.1\r\nHost: x\r\n\r\n`, /^HTTP\/1\.1 41[4]/],
			['a 60 KB request line', `GET /oauth2/auth?${params(200, 'y'.repeat(300))} HTTP/1.1\r\nHost: x\r\n\r\n`, /^HTTP\/1\.1 414 /],
			// Over half the pool: 414 whatever follows (token_abuse seed 1125381011 sent such a line
			// twice on one connection, and libmicrohttpd closed it without an answer).
			['a 40 KB request line of one parameter, sent twice', `POST /oauth2/auth?&pad=${'q'.repeat(40000)} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n`.repeat(2), /^HTTP\/1\.1 414 /],
			['3000 cookies', `GET /userinfo HTTP/1.1\r\nHost: x\r\nCookie: ${cookies(3000)}\r\n\r\n`, /^HTTP\/1\.1 4\d\d /],
			['300 cookies and 100 headers', `POST /oauth2/auth HTTP/1.1\r\nHost: x\r\nCookie: ${cookies(300)}\r\n${headers(100)}Content-Type: text/plain\r\nContent-Length: 3\r\n\r\nabc`, /^HTTP\/1\.1 4\d\d /],
			['2000 headers', `GET /userinfo HTTP/1.1\r\nHost: x\r\n${headers(2000)}\r\n`, /^HTTP\/1\.1 431 /],
			['a 200 KB header', `GET /userinfo HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(200000)}\r\n\r\n`, /^HTTP\/1\.1 431 /],
			// Inside the pool: the endpoint's own answer (no token: 401).
			[`${pool.shortParams} parameters of 200 bytes`, `GET /userinfo?${params(pool.shortParams, 'z'.repeat(200))} HTTP/1.1\r\nHost: x\r\n\r\n`, /^HTTP\/1\.1 401 /],
		];
		for (const [what, head, want] of cases) {
			const line = await probe(srv.publicPort, head);
			assert.match(line, want, `${what}: got "${line}"`);
		}
		// libmicrohttpd 0.9.75 closes without a status line when a head fits its pool only just:
		// no room for a header record or for the answer's header, then none for its own 431.
		// server/http.c (refuse_pool_full) writes the 431 itself then. Found by sweeps and by
		// token_abuse seed 62666423.
		await t.test('a head just under limits.header_bytes gets a 4xx', async () => {
			const q = `access_token=${'a'.repeat(3000)}&x=1&y=2&z=3&w=4`;
			const [from, to] = pool.cookieRange;
			const step = Math.max(20, Math.floor((to - from) / 50));
			for (let n = from; n <= to; n += step) {
				const line = await probe(srv.publicPort, `GET /userinfo?${q} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer abc\r\nCookie: oidcd_session=${'c'.repeat(n)}\r\n\r\n`);
				assert.match(line, /^HTTP\/1\.1 4\d\d /, `cookie of ${n} bytes: got "${line}"`);
			}
		});
		await t.test(`a long request line and ${pool.lineCookies} cookies get a 4xx at every length`, async () => {
			const [from, to] = pool.lineRange;
			const step = Math.max(50, Math.floor((to - from) / 60));
			for (let len = from; len <= to; len += step) {
				const line = await probe(srv.publicPort, `POST /oauth2/token?&pad=${'q'.repeat(len)} HTTP/1.1\r\nHost: x\r\nCookie: ${cookies(pool.lineCookies)}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 13\r\n\r\ngrant_type=x&`);
				assert.match(line, /^HTTP\/1\.1 4\d\d /, `request line of ${len} bytes: got "${line}"`);
			}
		});
		const ready = await request(`${srv.publicUrl}/health/ready`);
		assert.equal(ready.status, 200);
		await srv.stopOk();
	});
}
