// tests/integration/lib/device.mjs — the user's side of the device authorization grant
// (RFC 8628 §3.3) without a browser: follows oidcd's /oauth2/device/verify pages the way a
// user would (login form → code form → confirmation with button[name=consent]) with a cookie
// jar, reading every form from the page (hidden fields are sent back as they are).

import { request } from './oidcd.mjs';
import { CookieJar, formBody, htmlUnescape, parseForms } from './login.mjs';

/** The text of the page's role=alert (or role=status) area, or ''. */
export function pageMessage(html) {
	const m = html.match(/role="(?:alert|status)"[^>]*>([\s\S]*?)</);
	return m ? htmlUnescape(m[1]).trim() : '';
}

/**
 * Runs the verification pages from `url` (verification_uri or verification_uri_complete).
 * Options: username, password (typed when a login form shows), userCode (typed into the code
 * form; default: what the form holds, i.e. the code from verification_uri_complete), consent
 * ('allow' | 'deny'), jar (a CookieJar to reuse), maxSteps.
 * Stops at the first page that has no form (the outcome page), or at a form shown again
 * right after it was posted (a refusal), or at any status other than 200 and redirects.
 * Resolves {status, text, pages: ['login', 'code', 'confirm', ...], last, message, jar}.
 */
export async function verifyDevice(url, opts = {}) {
	const { username, password, userCode, consent = 'allow', jar = new CookieJar(), maxSteps = 10 } = opts;
	const pages = [];
	let target = new URL(url);
	let method = 'GET';
	let body;
	let lastPosted = null;
	for (let step = 0; step < maxSteps; step++) {
		const headers = {};
		const cookie = jar.header();
		if (cookie) headers.cookie = cookie;
		if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
		const res = await request(target.href, { method, headers, body });
		jar.update(res.headers);
		if ([302, 303].includes(res.status)) {
			target = new URL(res.headers.location, target);
			method = 'GET';
			body = undefined;
			continue;
		}
		const forms = res.status === 200 || res.status === 400 || res.status === 429 ? parseForms(res.text) : [];
		const login = forms.find((f) => f.inputs.some((i) => i.name === 'password'));
		const code = forms.find((f) => f.inputs.some((i) => i.name === 'user_code'));
		const confirm = forms.find((f) => f.buttons.some((b) => b.name === 'consent'));
		const kind = login ? 'login' : code ? 'code' : confirm ? 'confirm' : null;
		const done = { status: res.status, text: res.text, headers: res.headers, pages, jar, message: pageMessage(res.text) };
		if (kind === null || res.status !== 200 || kind === lastPosted) return { ...done, last: kind };
		pages.push(kind);
		let fields;
		let form;
		if (kind === 'login') {
			if (username === undefined) return { ...done, last: kind };
			form = login;
			fields = [...login.hidden, ['username', username], ['password', password ?? '']];
		} else if (kind === 'code') {
			form = code;
			const typed = userCode ?? code.inputs.find((i) => i.name === 'user_code').value;
			fields = [...code.hidden, ['user_code', typed]];
		} else {
			form = confirm;
			fields = [...confirm.hidden, ['consent', consent]];
		}
		lastPosted = kind;
		target = new URL(form.action, target);
		method = 'POST';
		body = formBody(fields);
	}
	throw new Error(`the device verification did not end within ${maxSteps} steps`);
}
