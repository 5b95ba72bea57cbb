// action=help and paraminfo's help texts: the page site detectors read (generator, EditURI), in the
// request's language, every module and parameter described; helpformat wikitext, html and raw.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, startTestServer, type TestServer } from '../helpers/harness.js';
import { msg } from '../helpers/api.js';

let srv: TestServer;
before(async () => {
  srv = await startTestServer();
});
after(() => srv.close());

test('the help page: generator and EditURI, the main module and every module below it, in the request\'s language', async () => {
  const c = new Client(srv.api);
  const page = await c.request('GET', {});
  const cfg = srv.services.config;
  assert.match(page.text, /<meta name="generator" content="MediaWiki 1\.39\.17">/);
  assert.ok(page.text.includes(`<link rel="EditURI" type="application/rsd+xml" href="${cfg.server}${cfg.scriptPath}/api.php?action=rsd">`));
  for (const section of ['main', 'login', 'clientlogin', 'resetpassword', 'query', 'query+tokens', 'query+siteinfo', 'paraminfo', 'rsd', 'json', 'xml', 'php', 'rawfm', 'none']) {
    assert.ok(page.text.includes(`<section id="${section}">`), section);
  }
  // Every parameter of the main module has its meaning.
  const main = /<section id="main">[\s\S]*?<\/section>/.exec(page.text)![0];
  for (const name of ['action', 'format', 'maxlag', 'assert', 'requestid', 'uselang', 'errorformat', 'errorlang']) {
    assert.ok(main.includes(`<code>${name}</code></th><td>${msg(srv, `apihelp-main-param-${name}`).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/'/g, '&#39;')}</td>`), name);
  }
  // Arabic: the page's language and direction, and its texts; the API's own words stay as they are.
  const ar = await c.request('GET', { action: 'help', modules: 'resetpassword', uselang: 'ar' });
  assert.match(ar.text, /^<!DOCTYPE html>\n<html lang="ar" dir="rtl">/);
  assert.ok(ar.text.includes(srv.services.i18n.text('ar', 'apihelp-resetpassword-summary')));
  assert.ok(ar.text.includes(srv.services.i18n.text('ar', 'api-help-param-token', 'csrf').replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/'/g, '&#39;')));
  assert.ok(ar.text.includes('<code>user</code>'));
  // Only the modules asked for (and their submodules when asked).
  assert.ok(!ar.text.includes('<section id="login">'));
  const query = await c.request('GET', { action: 'help', modules: 'query', submodules: '1' });
  assert.ok(query.text.includes('<section id="query+tokens">'));
  assert.ok(!query.text.includes('<section id="login">'));
  // wrap=1: the page inside an API answer.
  const wrapped = await c.get({ action: 'help', modules: 'rsd', wrap: '1', formatversion: '2' });
  assert.deepEqual(Object.keys(wrapped.json.help), ['mime', 'filename', 'help']);
  assert.match(wrapped.json.help.help, /<section id="rsd">/);
  // A module that does not exist is badmodule, as in paraminfo.
  const bad = await c.get({ action: 'help', modules: 'nosuch', formatversion: '2' });
  assert.equal(bad.json.error.code, 'badmodule');
  assert.equal(bad.json.error.info, msg(srv, 'apierror-badmodule-badsubmodule', 'main', 'nosuch'));
});

test('paraminfo help texts: wikitext and html in the request\'s language, raw as message keys and parameters', async () => {
  const c = new Client(srv.api);
  const fr = await c.get({ action: 'paraminfo', modules: 'query+tokens', helpformat: 'wikitext', uselang: 'fr', formatversion: '2' });
  const m = fr.json.paraminfo.modules[0];
  const fr1 = (key: string) => srv.services.i18n.text('fr', key);
  assert.equal(m.description, `${fr1('apihelp-query+tokens-summary')}\n\n${fr1('apihelp-query+tokens-extended-description')}`);
  assert.deepEqual(m.examples, [
    { query: 'action=query&meta=tokens', description: fr1('apihelp-query+tokens-example-simple') },
    { query: 'action=query&meta=tokens&type=watch|patrol', description: fr1('apihelp-query+tokens-example-types') },
  ]);
  assert.equal(m.parameters[0].description, fr1('apihelp-query+tokens-param-type'));
  // Keys after the description, as MediaWiki orders them.
  assert.deepEqual(Object.keys(m).slice(8), ['licenselink', 'description', 'helpurls', 'examples', 'parameters', 'templatedparameters']);
  const raw = await c.get({ action: 'paraminfo', modules: 'query+tokens|resetpassword', helpformat: 'raw', formatversion: '2' });
  const [tokens, reset] = raw.json.paraminfo.modules;
  assert.deepEqual(tokens.description, [
    { key: 'apihelp-query+tokens-summary', params: ['', 'tokens', 'query+tokens'] },
    { key: 'apihelp-query+tokens-extended-description', params: ['', 'tokens', 'query+tokens'] },
  ]);
  assert.deepEqual(tokens.examples[0], { query: 'action=query&meta=tokens', description: { key: 'apihelp-query+tokens-example-simple', params: ['', 'tokens', 'query+tokens'] } });
  assert.deepEqual(tokens.parameters[0].description, [{ key: 'apihelp-query+tokens-param-type', params: ['', 'type', 'tokens', 'query+tokens'] }]);
  // The framework's token is described by one message, with its type.
  assert.deepEqual(reset.parameters.find((p: { name: string }) => p.name === 'token').description, [{ key: 'api-help-param-token', params: ['csrf'] }]);
  const html = await c.get({ action: 'paraminfo', modules: 'query+tokens', helpformat: 'html', formatversion: '2' });
  assert.equal(html.json.paraminfo.modules[0].description, `${msg(srv, 'apihelp-query+tokens-summary')}</p>\n<p>${msg(srv, 'apihelp-query+tokens-extended-description').replace(/"/g, '&quot;')}`);
  // The authentication modules say that they take further fields.
  const auth = await c.get({ action: 'paraminfo', modules: 'clientlogin|createaccount|changeauthenticationdata|login', formatversion: '2' });
  assert.deepEqual(auth.json.paraminfo.modules.map((x: { dynamicparameters?: boolean }) => x.dynamicparameters), [true, true, true, undefined]);
});

test('every module the server offers, each of its parameters and each example has its own help text in every language', async () => {
  const { MAIN_NODE, submodules } = await import('../../src/api/modules/tree.js');
  const { moduleParams } = await import('../../src/api/module.js');
  const { createApi } = await import('../../src/api/main.js');
  const s = createApi(srv.services).doors;
  const nodes = [MAIN_NODE];
  for (let i = 0; i < nodes.length; i++) for (const child of submodules(s, nodes[i]!)?.values() ?? []) nodes.push(child);
  assert.ok(nodes.some((n) => n.path === 'validatepassword') && nodes.some((n) => n.path === 'query+tokens'));
  const missing: string[] = [];
  for (const node of nodes) {
    const keys = [`apihelp-${node.path}-summary`];
    for (const [name, spec] of Object.entries(moduleParams(node.def, s))) {
      // A framework token is described once for every module (api-help-param-token).
      if (!(name === 'token' && spec.tokentype)) keys.push(`apihelp-${node.path}-param-${name}`);
    }
    (node.def.examples ?? []).forEach((e, i) => keys.push(e.key ?? `apihelp-${node.path}-example-${i + 1}`));
    for (const key of keys) {
      if (!s.i18n.has(key)) missing.push(key);
      // Each language has its own text (not English by fallback).
      for (const lang of ['ar', 'fr']) if (s.i18n.has(key) && s.i18n.text(lang, key) === s.i18n.text('en', key)) missing.push(`${lang}:${key}`);
    }
  }
  assert.deepEqual(missing, []);
});
