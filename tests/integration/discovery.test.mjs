// discovery.test.mjs — the discovery document as real relying-party libraries and Hydra's
// own SDK see it, and checked against Hydra's oidcConfiguration schema (issue 2,
// "Endpoints"; reference/hydra-behaviour.md §3.2, §3.4).

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import * as client from 'openid-client';
import { Configuration, OidcApi } from '@ory/hydra-client';

import {
	assertSecurityHeaders,
	getJson,
	integrationDir,
	repoRoot,
	request,
	startOidcd,
} from './lib/oidcd.mjs';

const fixture = JSON.parse(readFileSync(path.join(integrationDir, 'fixtures', 'oidc-configuration.schema.json'), 'utf8'));
const schemas = { oidcConfiguration: fixture.oidcConfiguration, credentialSupportedDraft00: fixture.credentialSupportedDraft00 };

// Checks `value` against one of the (flat) OpenAPI schemas used by oidcConfiguration:
// required members present, no member outside `properties` (Hydra's generated Go SDK
// decodes with DisallowUnknownFields), and each member of the declared type.
function checkObject(value, schema, where) {
	const problems = [];
	if (value === null || typeof value !== 'object' || Array.isArray(value)) {
		return [`${where}: not an object`];
	}
	for (const key of schema.required || []) {
		if (!(key in value)) problems.push(`${where}: required member "${key}" missing`);
	}
	for (const [key, v] of Object.entries(value)) {
		const prop = schema.properties[key];
		if (!prop) {
			problems.push(`${where}: member "${key}" is not in the schema`);
			continue;
		}
		problems.push(...checkValue(v, prop, `${where}.${key}`));
	}
	return problems;
}

function checkValue(v, prop, where) {
	if (prop.$ref) {
		const name = prop.$ref.split('/').pop();
		assert.ok(schemas[name], `schema ${name} is in the fixture`);
		return checkObject(v, schemas[name], where);
	}
	switch (prop.type) {
		case 'string':
			return typeof v === 'string' ? [] : [`${where}: not a string`];
		case 'boolean':
			return typeof v === 'boolean' ? [] : [`${where}: not a boolean`];
		case 'array':
			if (!Array.isArray(v)) return [`${where}: not an array`];
			return v.flatMap((item, i) => checkValue(item, prop.items, `${where}[${i}]`));
		default:
			return [`${where}: schema type ${prop.type} not handled by this test`];
	}
}

test('the committed schema fixture equals the schemas in hydra-openapi.json', (t) => {
	const ref = path.resolve(repoRoot, '..', 'shared', 'reference', 'hydra-openapi.json');
	if (!existsSync(ref)) {
		t.skip(`${ref} not present; using the committed copy`);
		return;
	}
	const api = JSON.parse(readFileSync(ref, 'utf8'));
	assert.deepEqual(fixture.oidcConfiguration, api.components.schemas.oidcConfiguration);
	assert.deepEqual(fixture.credentialSupportedDraft00, api.components.schemas.credentialSupportedDraft00);
});

test('the schema check itself rejects unknown, missing and mistyped members', () => {
	const good = {};
	for (const k of schemas.oidcConfiguration.required) {
		good[k] = schemas.oidcConfiguration.properties[k].type === 'array' ? ['x'] : 'x';
	}
	assert.deepEqual(checkObject(good, schemas.oidcConfiguration, 'doc'), []);
	assert.equal(checkObject({ ...good, introspection_endpoint: 'x' }, schemas.oidcConfiguration, 'doc').length, 1);
	const { issuer: _drop, ...missing } = good;
	assert.equal(checkObject(missing, schemas.oidcConfiguration, 'doc').length, 1);
	assert.equal(checkObject({ ...good, id_token_signed_response_alg: 'RS256' }, schemas.oidcConfiguration, 'doc').length, 1);
	assert.equal(checkObject({ ...good, claims_parameter_supported: 'false' }, schemas.oidcConfiguration, 'doc').length, 1);
	assert.equal(
		checkObject({ ...good, credentials_supported_draft_00: [{ format: 'jwt_vc_json', extra: 1 }] }, schemas.oidcConfiguration, 'doc')
			.length,
		1,
	);
});

test('discovery matches Hydra\'s oidcConfiguration schema exactly, with truthful values', async (t) => {
	const srv = await startOidcd(t);
	assert.equal(srv.issuer, srv.publicUrl, '--dev issuer is http://127.0.0.1:<bound port>');
	const { body: doc, res } = await getJson(`${srv.publicUrl}/.well-known/openid-configuration`);

	assert.deepEqual(checkObject(doc, schemas.oidcConfiguration, 'discovery'), []);
	for (const k of schemas.oidcConfiguration.required) assert.ok(k in doc, `required ${k}`);

	assert.equal(doc.issuer, srv.issuer);
	assert.equal(doc.jwks_uri, `${srv.issuer}/.well-known/jwks.json`);
	for (const k of ['authorization_endpoint', 'token_endpoint', 'device_authorization_endpoint']) {
		assert.ok(doc[k].startsWith(`${srv.issuer}/`), `${k} is under the issuer: ${doc[k]}`);
	}
	assert.ok(doc.id_token_signing_alg_values_supported.includes('RS256'), 'RS256 is the default signing alg');
	assert.deepEqual(doc.id_token_signed_response_alg, ['RS256']);
	assert.ok(doc.subject_types_supported.includes('public'));
	assert.ok(doc.response_types_supported.includes('code'));

	// Cacheable: public, max-age = http.cache_max_age (default 5 min).
	assert.match(String(res.headers['cache-control']), /(^|,\s*)public(,|$)/);
	assert.match(String(res.headers['cache-control']), /max-age=300\b/);
	assertSecurityHeaders(res, 'discovery');

	await srv.stopOk();
});

test('/.well-known/oauth-authorization-server serves the same document and headers', async (t) => {
	const srv = await startOidcd(t);
	const a = await getJson(`${srv.publicUrl}/.well-known/openid-configuration`);
	const b = await getJson(`${srv.publicUrl}/.well-known/oauth-authorization-server`);
	assert.deepEqual(b.body, a.body);
	assert.equal(b.res.headers['cache-control'], a.res.headers['cache-control']);
	assertSecurityHeaders(b.res, 'oauth-authorization-server');
	await srv.stopOk();
});

test('http.cache_max_age sets max-age on discovery and JWKS', async (t) => {
	const srv = await startOidcd(t, { args: ['--set', 'http.cache_max_age=2m'] });
	for (const p of ['/.well-known/openid-configuration', '/.well-known/jwks.json']) {
		const { res } = await getJson(`${srv.publicUrl}${p}`);
		const cc = String(res.headers['cache-control']);
		assert.match(cc, /(^|,\s*)public(,|$)/, `${p}: ${cc}`);
		assert.match(cc, /max-age=120\b/, `${p}: ${cc}`);
		assert.doesNotMatch(cc, /no-store/, `${p}: ${cc}`);
	}
	await srv.stopOk();
});

test('openid-client discovery accepts the issuer (openid-client v6)', async (t) => {
	const srv = await startOidcd(t);
	const config = await client.discovery(new URL(srv.issuer), 'integration-test-client', undefined, undefined, {
		execute: [client.allowInsecureRequests],
	});
	const md = config.serverMetadata();
	assert.equal(md.issuer, srv.issuer);
	assert.equal(md.jwks_uri, `${srv.issuer}/.well-known/jwks.json`);
	assert.ok(md.id_token_signing_alg_values_supported.includes('RS256'));
	await srv.stopOk();
});

test('@ory/hydra-client OidcApi.discoverOidcConfiguration returns the document', async (t) => {
	const srv = await startOidcd(t);
	const api = new OidcApi(new Configuration({ basePath: srv.publicUrl }));
	const { status, data } = await api.discoverOidcConfiguration();
	assert.equal(status, 200);
	const { body: raw } = await getJson(`${srv.publicUrl}/.well-known/openid-configuration`);
	assert.deepEqual(data, raw);
	assert.equal(data.issuer, srv.issuer);
	for (const k of schemas.oidcConfiguration.required) assert.ok(k in data, `SDK sees required ${k}`);
	await srv.stopOk();
});

test('an explicit loopback issuer is published as configured', async (t) => {
	// The issuer is configured (not derived from the bound port): discovery echoes it
	// and derives the other URLs from it.
	const srv = await startOidcd(t, { args: ['--set', 'issuer=http://localhost:4999/tenant'] });
	assert.equal(srv.issuer, 'http://localhost:4999/tenant');
	const res = await request(`${srv.publicUrl}/.well-known/openid-configuration`);
	assert.equal(res.status, 200);
	assert.equal(res.json.issuer, 'http://localhost:4999/tenant');
	assert.equal(res.json.jwks_uri, 'http://localhost:4999/tenant/.well-known/jwks.json');
	await srv.stopOk();
});
