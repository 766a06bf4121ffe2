// oidf_headless.test.mjs — the OIDF Basic OP plan of oidf_basic.test.mjs in headless mode
// (issue 8, "Tests": the same OIDF-plan tests as the built-in mode pass in headless mode):
// oidcd's urls.login and urls.consent point at lib/hydra_app.mjs, a login/consent app written
// with Hydra's SDK (OAuth2Api), and every module drives its pages in Chromium instead of
// oidcd's built-in ones. The modules and their checks are oidf_basic.test.mjs's; only the
// environment variable differs, so it is set before that file is loaded.

process.env.OIDF_HEADLESS = '1';
await import('./oidf_basic.test.mjs');
