// tests/integration/lib/hydra_app.mjs — a login, consent and logout app for headless mode
// (issue 8, "Tests"), written against Ory Hydra's admin API with `@ory/hydra-client`'s
// OAuth2Api the way Hydra's reference app (ory/hydra-login-consent-node) does it: the
// provider redirects the browser here with a login_challenge, consent_challenge or
// logout_challenge; the app fetches the request, shows a page (or skips it), answers with
// accept/reject and sends the browser to the `redirect_to` of the answer.
//
// Pages use the same form names as oidcd's built-in ones, so lib/browser.mjs's drive() and
// lib/login.mjs's authorize() can drive them: the login form has input[name=username],
// input[name=password], a hidden `challenge`, a "remember" checkbox (checked), a submit
// button and a second one name=action value=deny; the consent form has
// button[name=consent][value=allow|deny]; the logout form button[name=logout][value=yes|no].
//
// Users come from a test-local table ([{id, username, password, claims}]). On login the
// app accepts with subject = the user's id, remember (the checkbox), remember_for 3600,
// acr "1", amr ["pwd"], context {username}; on consent with grant_scope = requested_scope,
// grant_access_token_audience = requested_access_token_audience, remember true,
// remember_for 3600, session.id_token = the user's claims, session.access_token =
// {team: "blue"}. Skipped requests (skip: true) are accepted without a page, with the
// request's subject (Hydra's rule).
//
// Every SDK call is recorded in app.calls ({op, challenge, status, data, error}) and the
// behaviour can be switched per test through app.behaviour (see DEFAULT_BEHAVIOUR).

import { randomBytes } from 'node:crypto';
import http from 'node:http';

import { Configuration, OAuth2Api } from '@ory/hydra-client';

/**
 * What the app does; tests overwrite fields of app.behaviour (app.reset() restores these).
 *   rejectLogin     null, or {error, error_description} to reject every login request
 *                   (the page is not shown)
 *   rejectConsent   the same for consent requests
 *   skipSubject     null, or a subject to accept skipped login requests with instead of
 *                   theirs (Hydra answers 400)
 *   holdRedirect    'login' | 'consent' | 'logout' | null: after that accept/reject, show a
 *                   page with the redirect_to link instead of redirecting (verifier tests)
 *   loginAccept     extra members merged into every acceptOAuth2LoginRequest body
 *   consentAccept   extra members merged into every acceptOAuth2ConsentRequest body
 *   accessToken     session.access_token of consent accepts
 *   logout          'page' (confirmation page), 'accept' or 'reject' (no page)
 */
export const DEFAULT_BEHAVIOUR = Object.freeze({
	rejectLogin: null,
	rejectConsent: null,
	skipSubject: null,
	holdRedirect: null,
	loginAccept: {},
	consentAccept: {},
	accessToken: { team: 'blue' },
	logout: 'page',
});

let seq = 0;

/**
 * A user of the app's table, with the full set of standard claims (as lib/browser.mjs's
 * createUser gives oidcd's own users, plus updated_at, which oidcd adds for those).
 */
export function appUser(overrides = {}) {
	seq += 1;
	const username = overrides.username || `happ${seq}-${randomBytes(3).toString('hex')}`;
	const claims = {
		name: 'Grace Hopper',
		given_name: 'Grace',
		family_name: 'Hopper',
		middle_name: 'Brewster',
		nickname: 'Amazing Grace',
		preferred_username: username,
		profile: 'https://example.com/grace',
		picture: 'https://example.com/grace.png',
		website: 'https://grace.example.org/',
		email: `${username}@example.com`,
		email_verified: true,
		gender: 'female',
		birthdate: '1906-12-09',
		zoneinfo: 'America/New_York',
		locale: 'en-US',
		phone_number: '+1 202 555 0100',
		phone_number_verified: false,
		address: { formatted: '1 Navy Yard\nWashington', street_address: '1 Navy Yard', locality: 'Washington', postal_code: '20374', country: 'US' },
		updated_at: 1700000000,
		...overrides.claims,
	};
	return {
		id: overrides.id || `user-${randomBytes(8).toString('hex')}`,
		username,
		password: overrides.password || `pw-${randomBytes(9).toString('base64url')}-Aa1!`,
		claims,
	};
}

function esc(s) {
	return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

function page(title, body) {
	return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title></head><body>
<h1>${esc(title)}</h1>
${body}
</body></html>`;
}

function loginPage({ challenge, hint = '', error = null, client = null }) {
	return page(
		'Sign in (test app)',
		`${client ? `<p>to continue to <span id="client">${esc(client.client_name || client.client_id)}</span></p>` : ''}
${error ? `<p role="alert">${esc(error)}</p>` : ''}
<form method="post" action="/login">
<input type="hidden" name="challenge" value="${esc(challenge)}">
<label>Username <input type="text" name="username" value="${esc(hint)}" autocomplete="username"></label>
<label>Password <input type="password" name="password" autocomplete="current-password"></label>
<label><input type="checkbox" name="remember" value="1" checked> Remember me</label>
<button type="submit" name="action" value="login" id="accept">Sign in</button>
<button type="submit" name="action" value="deny" id="reject">Deny access</button>
</form>`,
	);
}

function consentPage({ challenge, request }) {
	const scopes = (request.requested_scope || []).map((s) => `<li class="scope">${esc(s)}</li>`).join('\n');
	const name = request.client ? request.client.client_name || request.client.client_id : '';
	return page(
		'Allow access? (test app)',
		`<p><span id="client">${esc(name)}</span> wants access for <span id="subject">${esc(request.subject)}</span>:</p>
<ul>${scopes}</ul>
<form method="post" action="/consent">
<input type="hidden" name="challenge" value="${esc(challenge)}">
<button type="submit" name="consent" value="allow" id="allow">Allow</button>
<button type="submit" name="consent" value="deny" id="deny">Deny</button>
</form>`,
	);
}

function logoutPage({ challenge, request }) {
	return page(
		'Sign out? (test app)',
		`<p>Sign out <span id="subject">${esc(request.subject || '')}</span>?</p>
<form method="post" action="/logout">
<input type="hidden" name="challenge" value="${esc(challenge)}">
<button type="submit" name="logout" value="yes" id="yes">Yes, sign out</button>
<button type="submit" name="logout" value="no" id="no">No</button>
</form>`,
	);
}

/** A page with the redirect_to link (behaviour.holdRedirect). */
function heldPage(redirectTo) {
	return page('Held (test app)', `<p><a id="continue" href="${esc(redirectTo)}">continue</a></p>`);
}

/**
 * Starts the app on 127.0.0.1, port 0, with `users` (appUser() objects). Call
 * app.connect(adminUrl) once oidcd runs (the app's URLs go into oidcd's configuration first:
 * app.args()). Closed by the hook (after / t.after).
 * Resolves the app: {url, loginUrl, consentUrl, logoutUrl, args(), connect(adminUrl), api
 * (the OAuth2Api, after connect), users, calls, behaviour, reset(), callsOf(op), last(op),
 * redirects (every redirect_to received, in order), held (the last held redirect_to)}.
 */
export async function startHydraApp(hook, { users = [] } = {}) {
	const app = {
		users,
		calls: [],
		redirects: [],
		held: null,
		behaviour: { ...DEFAULT_BEHAVIOUR },
		api: null,
	};
	app.reset = () => {
		app.behaviour = { ...DEFAULT_BEHAVIOUR };
		app.held = null;
	};
	app.callsOf = (op) => app.calls.filter((c) => c.op === op);
	app.last = (op) => app.callsOf(op).at(-1);
	app.userBySubject = (sub) => app.users.find((u) => u.id === sub);
	app.connect = (adminUrl) => {
		app.api = new OAuth2Api(new Configuration({ basePath: adminUrl }));
		return app;
	};

	// One SDK call, recorded; resolves the response data or throws the recorded failure.
	async function call(op, challenge, params) {
		const rec = { op, challenge, params, status: null, data: null, error: null };
		app.calls.push(rec);
		try {
			const r = await app.api[op](params);
			rec.status = r.status;
			rec.data = r.data;
			if (r.data && typeof r.data.redirect_to === 'string') app.redirects.push({ op, redirect_to: r.data.redirect_to });
			return r.data;
		} catch (e) {
			rec.status = e.response ? e.response.status : null;
			rec.data = e.response ? e.response.data : null;
			rec.error = e.message;
			const err = new Error(`${op}: ${rec.status} ${JSON.stringify(rec.data)}`);
			err.rec = rec;
			throw err;
		}
	}

	function send(res, status, html, headers = {}) {
		res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...headers });
		res.end(html);
	}

	// Continues the browser at redirect_to (a 302 like the reference app's res.redirect), or
	// holds it on a page when the test asks for that.
	function follow(res, kind, redirectTo) {
		if (app.behaviour.holdRedirect === kind) {
			app.held = redirectTo;
			send(res, 200, heldPage(redirectTo));
			return;
		}
		res.writeHead(302, { location: redirectTo, 'cache-control': 'no-store' });
		res.end();
	}

	function failed(res, e) {
		const rec = e.rec;
		const status = rec && rec.status && rec.status >= 400 && rec.status < 500 ? rec.status : 502;
		send(res, status, page('The provider refused (test app)', `<p id="error">${esc(e.message)}</p>`));
	}

	function consentSession(request) {
		const user = app.userBySubject(request.subject);
		return {
			id_token: user ? { ...user.claims } : {},
			access_token: { ...app.behaviour.accessToken },
		};
	}

	async function acceptConsent(res, challenge, request, { remember = true } = {}) {
		const body = {
			grant_scope: request.requested_scope || [],
			grant_access_token_audience: request.requested_access_token_audience || [],
			remember,
			remember_for: 3600,
			session: consentSession(request),
			...app.behaviour.consentAccept,
		};
		const r = await call('acceptOAuth2ConsentRequest', challenge, { consentChallenge: challenge, acceptOAuth2ConsentRequest: body });
		follow(res, 'consent', r.redirect_to);
	}

	async function handle(req, res, url, form) {
		const b = app.behaviour;
		if (req.method === 'GET' && url.pathname === '/login') {
			const challenge = url.searchParams.get('login_challenge');
			if (!challenge) return send(res, 400, page('Bad request', '<p>Expected a login challenge to be set but received none.</p>'));
			const request = await call('getOAuth2LoginRequest', challenge, { loginChallenge: challenge });
			if (b.rejectLogin) {
				const r = await call('rejectOAuth2LoginRequest', challenge, { loginChallenge: challenge, rejectOAuth2Request: b.rejectLogin });
				return follow(res, 'login', r.redirect_to);
			}
			if (request.skip) {
				// Hydra: the user is authenticated already; accept with the same subject.
				const r = await call('acceptOAuth2LoginRequest', challenge, {
					loginChallenge: challenge,
					acceptOAuth2LoginRequest: { subject: b.skipSubject ?? request.subject, ...b.loginAccept },
				});
				return follow(res, 'login', r.redirect_to);
			}
			const hint = request.oidc_context && request.oidc_context.login_hint ? request.oidc_context.login_hint : '';
			return send(res, 200, loginPage({ challenge, hint, client: request.client }));
		}
		if (req.method === 'POST' && url.pathname === '/login') {
			const challenge = form.get('challenge') || '';
			if (form.get('action') === 'deny') {
				const r = await call('rejectOAuth2LoginRequest', challenge, {
					loginChallenge: challenge,
					rejectOAuth2Request: { error: 'access_denied', error_description: 'The resource owner denied the request' },
				});
				return follow(res, 'login', r.redirect_to);
			}
			const user = app.users.find((u) => u.username === form.get('username') && u.password === form.get('password'));
			if (!user) return send(res, 200, loginPage({ challenge, hint: form.get('username') || '', error: 'The username / password combination is not correct' }));
			const r = await call('acceptOAuth2LoginRequest', challenge, {
				loginChallenge: challenge,
				acceptOAuth2LoginRequest: {
					subject: user.id,
					remember: form.get('remember') === '1',
					remember_for: 3600,
					acr: '1',
					amr: ['pwd'],
					context: { username: user.username },
					...b.loginAccept,
				},
			});
			return follow(res, 'login', r.redirect_to);
		}
		if (req.method === 'GET' && url.pathname === '/consent') {
			const challenge = url.searchParams.get('consent_challenge');
			if (!challenge) return send(res, 400, page('Bad request', '<p>Expected a consent challenge to be set but received none.</p>'));
			const request = await call('getOAuth2ConsentRequest', challenge, { consentChallenge: challenge });
			if (b.rejectConsent) {
				const r = await call('rejectOAuth2ConsentRequest', challenge, { consentChallenge: challenge, rejectOAuth2Request: b.rejectConsent });
				return follow(res, 'consent', r.redirect_to);
			}
			// The reference app: a remembered consent (or a client that skips it) needs no page.
			if (request.skip || (request.client && request.client.skip_consent)) return acceptConsent(res, challenge, request);
			return send(res, 200, consentPage({ challenge, request }));
		}
		if (req.method === 'POST' && url.pathname === '/consent') {
			const challenge = form.get('challenge') || '';
			if (form.get('consent') !== 'allow') {
				const r = await call('rejectOAuth2ConsentRequest', challenge, {
					consentChallenge: challenge,
					rejectOAuth2Request: { error: 'access_denied', error_description: 'The resource owner denied the request' },
				});
				return follow(res, 'consent', r.redirect_to);
			}
			const request = await call('getOAuth2ConsentRequest', challenge, { consentChallenge: challenge });
			return acceptConsent(res, challenge, request);
		}
		if (req.method === 'GET' && url.pathname === '/logout') {
			const challenge = url.searchParams.get('logout_challenge');
			if (!challenge) return send(res, 400, page('Bad request', '<p>Expected a logout challenge to be set but received none.</p>'));
			const request = await call('getOAuth2LogoutRequest', challenge, { logoutChallenge: challenge });
			if (b.logout === 'accept') return logoutAnswer(res, challenge, true);
			if (b.logout === 'reject') return logoutAnswer(res, challenge, false);
			return send(res, 200, logoutPage({ challenge, request }));
		}
		if (req.method === 'POST' && url.pathname === '/logout') {
			return logoutAnswer(res, form.get('challenge') || '', form.get('logout') === 'yes');
		}
		if (req.method === 'GET' && url.pathname === '/') {
			return send(res, 200, page('Home (test app)', '<p>Nothing to do here.</p>'));
		}
		return send(res, 404, page('Not found', ''));
	}

	async function logoutAnswer(res, challenge, yes) {
		if (yes) {
			const r = await call('acceptOAuth2LogoutRequest', challenge, { logoutChallenge: challenge });
			return follow(res, 'logout', r.redirect_to);
		}
		// Hydra answers 204 and leaves the next page to the app (the reference app goes
		// "home"); a redirect_to in the answer is followed.
		const r = await call('rejectOAuth2LogoutRequest', challenge, { logoutChallenge: challenge });
		if (r && typeof r.redirect_to === 'string') return follow(res, 'logout', r.redirect_to);
		res.writeHead(302, { location: '/', 'cache-control': 'no-store' });
		res.end();
	}

	const server = http.createServer((req, res) => {
		const chunks = [];
		req.on('data', (c) => chunks.push(c));
		req.on('end', () => {
			const url = new URL(req.url, app.url);
			const form = new URLSearchParams(req.method === 'POST' ? Buffer.concat(chunks).toString('utf8') : '');
			if (url.pathname === '/favicon.ico') {
				res.writeHead(404);
				res.end();
				return;
			}
			if (!app.api && url.pathname !== '/') {
				send(res, 500, page('Not connected', '<p>app.connect(adminUrl) was not called</p>'));
				return;
			}
			handle(req, res, url, form).catch((e) => {
				if (!res.headersSent) failed(res, e);
			});
		});
	});
	await new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', resolve);
	});
	app.port = server.address().port;
	app.url = `http://127.0.0.1:${app.port}`;
	app.loginUrl = `${app.url}/login`;
	app.consentUrl = `${app.url}/consent`;
	app.logoutUrl = `${app.url}/logout`;
	/** oidcd's --set arguments for this app (logout too unless logout: false). */
	app.args = ({ logout = true } = {}) => {
		const a = ['--set', `urls.login=${app.loginUrl}`, '--set', `urls.consent=${app.consentUrl}`];
		if (logout) a.push('--set', `urls.logout=${app.logoutUrl}`);
		return a;
	};
	if (hook)
		hook(
			() =>
				new Promise((resolve) => {
					server.closeAllConnections?.();
					server.close(() => resolve());
				}),
		);
	return app;
}
