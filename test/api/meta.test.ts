// meta=userinfo and meta=siteinfo in the shapes clients read: mwn, mwclient, pywikibot-style code.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, addUser, startTestServer, type TestServer } from '../helpers/harness.js';

let srv: TestServer;
let aliceId: number;
let adminId: number;
before(async () => {
  srv = await startTestServer();
  adminId = (await addUser(srv.services, 'Admin', 'Admin-Pass-123', { groups: ['sysop'] })).id;
  aliceId = (await addUser(srv.services, 'Alice', 'Secret-Pass-1', { email: 'alice@example.org' })).id;
  await addUser(srv.services, 'Eve', 'Eve-Pass-1', { email: 'eve@example.org' });
});
after(() => srv.close());

async function loggedIn(name: string, password: string): Promise<Client> {
  const c = new Client(srv.api);
  assert.equal((await c.login(name, password)).result, 'Success');
  return c;
}

test('userinfo for an anonymous client, fv1 and fv2', async () => {
  const c = new Client(srv.api);
  assert.equal((await c.get({ action: 'query', meta: 'userinfo' })).text, '{"batchcomplete":"","query":{"userinfo":{"id":0,"name":"127.0.0.1","anon":""}}}');
  assert.equal(
    (await c.get({ action: 'query', meta: 'userinfo', formatversion: '2' })).text,
    '{"batchcomplete":true,"query":{"userinfo":{"id":0,"name":"127.0.0.1","anon":true}}}',
  );
  const all = await c.get({ action: 'query', meta: 'userinfo', uiprop: 'groups|rights|blockinfo', formatversion: '2' });
  assert.deepEqual(all.json.query.userinfo.groups, ['*']);
  assert.ok(all.json.query.userinfo.rights.includes('editmyprivateinfo'));
  assert.ok(all.json.query.userinfo.rights.includes('createaccount'));
  assert.ok(!all.json.query.userinfo.rights.includes('autoconfirmed'));
});

test('userinfo for a logged-in user with uiprop=rights|groups|blockinfo|email|options', async () => {
  const c = await loggedIn('Alice', 'Secret-Pass-1');
  const uiprop = 'rights|groups|blockinfo|email|options';
  let r = await c.get({ action: 'query', meta: 'userinfo', uiprop, formatversion: '2' });
  let ui = r.json.query.userinfo;
  assert.deepEqual(Object.keys(ui), ['id', 'name', 'groups', 'rights', 'options', 'email'], 'no block, no confirmed address');
  assert.equal(ui.id, aliceId);
  assert.equal(ui.name, 'Alice');
  assert.equal(ui.anon, undefined);
  assert.deepEqual(ui.groups, ['*', 'user', 'autoconfirmed']);
  for (const right of ['read', 'writeapi', 'viewmyprivateinfo', 'editmyprivateinfo', 'editmyoptions', 'autoconfirmed']) {
    assert.ok(ui.rights.includes(right), right);
  }
  assert.ok(!ui.rights.includes('noratelimit'));
  assert.equal(ui.email, 'alice@example.org');
  assert.equal(typeof ui.options, 'object');
  assert.equal(ui.options.language, 'en');
  assert.equal(ui.options.gender, 'unknown');
  assert.equal(ui.options.date, 'default');
  assert.equal(ui.options.timecorrection, 'System|0');

  // A stored preference shows; a confirmed address brings its timestamp.
  await srv.services.preferences.set(aliceId, 'gender', 'female');
  const when = Date.UTC(2026, 0, 2, 3, 4, 5);
  await srv.services.db.updateTable('user').set({ user_email_authenticated: when }).where('user_id', '=', aliceId).execute();
  r = await c.get({ action: 'query', meta: 'userinfo', uiprop, formatversion: '2' });
  ui = r.json.query.userinfo;
  assert.deepEqual(Object.keys(ui), ['id', 'name', 'groups', 'rights', 'options', 'email', 'emailauthenticated']);
  assert.equal(ui.emailauthenticated, '2026-01-02T03:04:05Z');
  assert.equal(ui.options.gender, 'female');

  const r1 = await c.get({ action: 'query', meta: 'userinfo', uiprop: 'groups' });
  assert.equal(r1.text, `{"batchcomplete":"","query":{"userinfo":{"id":${aliceId},"name":"Alice","groups":["*","user","autoconfirmed"]}}}`);
  const admin = await loggedIn('Admin', 'Admin-Pass-123');
  const a = (await admin.get({ action: 'query', meta: 'userinfo', uiprop: 'groups|rights', formatversion: '2' })).json.query.userinfo;
  assert.deepEqual(a.groups, ['sysop', '*', 'user', 'autoconfirmed'], 'explicit groups first');
  assert.ok(a.rights.includes('noratelimit'));
});

test('userinfo blockinfo of a blocked user: MediaWiki\'s keys in its order', async () => {
  const s = srv.services;
  await s.blocks.add({ userId: (await s.users.byName('Eve'))!.id, target: 'Eve', by: 'Admin', reason: 'test block', createAccount: true });
  const eve = await loggedIn('Eve', 'Eve-Pass-1');
  const r = await eve.get({ action: 'query', meta: 'userinfo', uiprop: 'blockinfo|groups', formatversion: '2' });
  const ui = r.json.query.userinfo;
  assert.deepEqual(Object.keys(ui), [
    'id', 'name', 'blockid', 'blockedby', 'blockedbyid', 'blockreason', 'blockedtimestamp', 'blockexpiry',
    'blockpartial', 'blocknocreate', 'blockanononly', 'blockedtimestampformatted', 'groups',
  ]);
  assert.equal(ui.blockedby, 'Admin');
  assert.equal(ui.blockedbyid, adminId);
  assert.equal(ui.blockreason, 'test block');
  assert.match(ui.blockedtimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(ui.blockexpiry, 'infinite');
  assert.equal(ui.blockpartial, false);
  assert.equal(ui.blocknocreate, true);
  assert.equal(ui.blockanononly, false);
  // fv1: false flags are dropped, true ones are "".
  const v1 = (await eve.get({ action: 'query', meta: 'userinfo', uiprop: 'blockinfo' })).json.query.userinfo;
  assert.deepEqual(Object.keys(v1), ['id', 'name', 'blockid', 'blockedby', 'blockedbyid', 'blockreason', 'blockedtimestamp', 'blockexpiry', 'blocknocreate', 'blockedtimestampformatted']);
  assert.equal(v1.blocknocreate, '');
  // A block that ends: its expiry, formatted as well.
  await s.blocks.add({ userId: (await s.users.byName('Eve'))!.id, target: 'Eve', by: 'Admin', reason: 'short', expiry: Date.UTC(2099, 0, 1), createAccount: false });
  const timed = (await eve.get({ action: 'query', meta: 'userinfo', uiprop: 'blockinfo', formatversion: '2' })).json.query.userinfo;
  assert.equal(timed.blockexpiry, '2099-01-01T00:00:00Z');
  assert.equal(timed.blocknocreate, false);
  assert.ok('blockexpiryformatted' in timed);
  await s.blocks.remove('Eve');
  const free = (await eve.get({ action: 'query', meta: 'userinfo', uiprop: 'blockinfo', formatversion: '2' })).json.query.userinfo;
  assert.equal(free.blockid, undefined);
});

test('siteinfo general: what mwn and mwclient read', async () => {
  const c = new Client(srv.api);
  const g = (await c.get({ action: 'query', meta: 'siteinfo', formatversion: '2' })).json.query.general;
  assert.match(g.generator, /^MediaWiki 1\.\d+/);
  assert.equal(g.sitename, 'TestWiki');
  assert.equal(g.mainpage, 'Main Page');
  assert.equal(g.server, 'http://wiki.test');
  assert.equal(g.servername, 'wiki.test');
  assert.equal(g.scriptpath, '/w');
  assert.equal(g.script, '/w/index.php');
  assert.equal(g.articlepath, '/wiki/$1');
  assert.equal(g.lang, 'en');
  assert.equal(g.case, 'first-letter');
  assert.equal(g.rtl, false);
  assert.equal(g.readonly, false);
  assert.equal(g.writeapi, true);
  assert.equal(g.invalidusernamechars, '@:>');
  assert.equal(g.legaltitlechars, " %!\"$&'()*,\\-.\\/0-9:;=?@A-Z\\\\^_`a-z~\\x80-\\xFF+");
  assert.match(g.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const g1 = (await c.get({ action: 'query', meta: 'siteinfo', siprop: 'general' })).json.query.general;
  assert.equal(g1.writeapi, '');
  assert.equal('rtl' in g1, false, 'false flags are dropped in fv1');
  assert.equal('readonly' in g1, false);
});

test('siteinfo namespaces and namespacealiases: the name under "*" in fv1 (last), under "name" in fv2', async () => {
  const c = new Client(srv.api);
  const siprop = 'general|namespaces|namespacealiases';
  const v1 = (await c.get({ action: 'query', meta: 'siteinfo', siprop })).json.query;
  const ns1 = v1.namespaces as Record<string, unknown>;
  assert.deepEqual(Object.keys(ns1).map(Number).sort((a, b) => a - b), [-2, -1, ...Array.from({ length: 16 }, (_, i) => i)]);
  // Exact objects (key order included), as MediaWiki 1.39 prints them.
  const expect1: Record<string, object> = {
    '-2': { id: -2, case: 'first-letter', canonical: 'Media', '*': 'Media' },
    '-1': { id: -1, case: 'first-letter', canonical: 'Special', '*': 'Special' },
    '0': { id: 0, case: 'first-letter', content: '', '*': '' },
    '2': { id: 2, case: 'first-letter', subpages: '', canonical: 'User', '*': 'User' },
    '4': { id: 4, case: 'first-letter', subpages: '', canonical: 'Project', '*': 'TestWiki' },
    '5': { id: 5, case: 'first-letter', subpages: '', canonical: 'Project talk', '*': 'TestWiki talk' },
    '6': { id: 6, case: 'first-letter', canonical: 'File', '*': 'File' },
    '8': { id: 8, case: 'first-letter', subpages: '', canonical: 'MediaWiki', namespaceprotection: 'editinterface', '*': 'MediaWiki' },
    '10': { id: 10, case: 'first-letter', subpages: '', canonical: 'Template', '*': 'Template' },
    '12': { id: 12, case: 'first-letter', subpages: '', canonical: 'Help', '*': 'Help' },
    '14': { id: 14, case: 'first-letter', canonical: 'Category', '*': 'Category' },
    '15': { id: 15, case: 'first-letter', subpages: '', canonical: 'Category talk', '*': 'Category talk' },
  };
  for (const [id, ns] of Object.entries(expect1)) assert.equal(JSON.stringify(ns1[id]), JSON.stringify(ns), `fv1 namespace ${id}`);
  assert.equal(JSON.stringify(v1.namespacealiases), '[{"id":6,"*":"Image"},{"id":7,"*":"Image talk"}]');

  const v2 = (await c.get({ action: 'query', meta: 'siteinfo', siprop, formatversion: '2' })).json.query;
  const expect2: Record<string, object> = {
    '0': { id: 0, case: 'first-letter', name: '', subpages: false, content: true, nonincludable: false },
    '2': { id: 2, case: 'first-letter', name: 'User', subpages: true, canonical: 'User', content: false, nonincludable: false },
    '4': { id: 4, case: 'first-letter', name: 'TestWiki', subpages: true, canonical: 'Project', content: false, nonincludable: false },
    '8': { id: 8, case: 'first-letter', name: 'MediaWiki', subpages: true, canonical: 'MediaWiki', content: false, nonincludable: false, namespaceprotection: 'editinterface' },
  };
  for (const [id, ns] of Object.entries(expect2)) assert.equal(JSON.stringify(v2.namespaces[id]), JSON.stringify(ns), `fv2 namespace ${id}`);
  assert.equal(JSON.stringify(v2.namespacealiases), '[{"id":6,"alias":"Image"},{"id":7,"alias":"Image talk"}]');
  assert.deepEqual(Object.keys(v2), ['general', 'namespaces', 'namespacealiases']);
});

test('siteinfo namespaces print "-2" and "-1" first, as MediaWiki does: fv1, fv2 and jsonfm', async () => {
  const c = new Client(srv.api);
  const order = (text: string) => [...text.matchAll(/"(-?\d+)": ?\{"?\s*"?id"?: ?(-?\d+)/g)].map((m) => Number(m[1]));
  const ids = [-2, -1, ...Array.from({ length: 16 }, (_, i) => i)];
  const compact: string[] = [];
  for (const fv of ['1', '2']) {
    const r = await c.get({ action: 'query', meta: 'siteinfo', siprop: 'namespaces|general', formatversion: fv });
    assert.deepEqual(order(r.text), ids, `formatversion=${fv}`);
    compact.push(r.text);
  }
  const fm = await c.request('GET', { action: 'query', meta: 'siteinfo', siprop: 'namespaces|general', formatversion: '2', format: 'jsonfm' });
  const pre = /<pre class="api-pretty-content">([\s\S]*)<\/pre>/.exec(fm.text)![1]!.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  assert.deepEqual(order(pre), ids, 'jsonfm');
  // The pretty form is the same JSON, indented four spaces a level throughout.
  assert.deepEqual(JSON.parse(pre), JSON.parse(compact[1]!));
  assert.match(pre, /^ {8}"namespaces": \{\n {12}"-2": \{\n {16}"id": -2,$/m);
  assert.match(pre, /^ {12}\},\n {12}"-1": \{$/m);
  assert.match(pre, /^ {12}\}\n {8}\}/m);
});
