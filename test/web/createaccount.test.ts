// Special:CreateAccount and `mwauth user add` go through the same account door as action=createaccount:
// the same refusals, the same stored fields, the same audit event; a logged-in creator's extra fields.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, addUser, readMails, startTestServer, type TestServer } from '../helpers/harness.js';
import { PageClient, tagOf } from './helpers.js';
import { deliverAll } from '../helpers/api.js';

/** The mails that arrived after the first `before` ones, once delivery has written them (a send may still be under way). */
async function mailsAfter(srv: TestServer, before: number) {
  for (let i = 0; i < 200; i++) {
    await deliverAll(srv);
    const all = await readMails(srv.mailDir);
    if (all.length > before) return all.slice(before);
    await new Promise((r) => setTimeout(r, 25));
  }
  return [];
}

let srv: TestServer;
const t = (key: string, ...p: Array<string | number>) => srv.services.i18n.text('en', key, ...p);
before(async () => {
  srv = await startTestServer({ env: { MWAUTH_ACCOUNT_CREATION_THROTTLE: 'none' } });
  await addUser(srv.services, 'Admin', 'Admin-Pass-123', { groups: ['sysop'] });
  await addUser(srv.services, 'Alice', 'Secret-Pass-1');
});
after(() => srv.close());

test('the form keeps the real name, refuses what the API refuses, and logs the new account in', async () => {
  const c = new PageClient(srv.url);
  const form = await c.get('/wiki/Special:CreateAccount');
  for (const id of ['wpName', 'wpPassword', 'wpRetype', 'wpEmail', 'wpRealName']) assert.ok(tagOf(form.html, id), id);
  assert.equal(tagOf(form.html, 'wpReason'), '', 'no reason field for someone creating their own account');
  assert.equal(tagOf(form.html, 'wpCreateaccountMail'), '');
  const common = await c.submit('/wiki/Special:CreateAccount', { wpName: 'Pat', wpPassword: 'password', wpRetype: 'password' });
  assert.match(tagOf(common.html, 'wpPassword'), /aria-invalid="true"/);
  assert.ok(common.html.includes(t('passwordincommonlist')));
  const empty = await c.submit('/wiki/Special:CreateAccount', { wpName: 'Pat', wpPassword: '', wpRetype: '' });
  assert.match(tagOf(empty.html, 'wpPassword'), /aria-invalid="true"/, 'an empty password is refused at the password field');
  const ok = await c.submit('/wiki/Special:CreateAccount', { wpName: 'pat', wpPassword: 'Pat-Pass-Word-9', wpRetype: 'Pat-Pass-Word-9', wpEmail: ' pat@example.org ', wpRealName: ' Pat Doe ' });
  assert.equal(ok.location, '/wiki/Main_Page');
  const pat = (await srv.services.users.byName('Pat'))!;
  assert.equal(pat.email, 'pat@example.org', 'the form trims what was typed');
  assert.equal(pat.realName, 'Pat Doe');
  const e = (await srv.services.audit.query({ type: 'account.created' })).find((x) => x.userName === 'Pat')!;
  assert.deepEqual(e.details, { via: 'web', creator: null, creatorId: null, byMail: false });
  // The new account is logged in with a fresh password login.
  const ami = await new Client(srv.api, { cookie: [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ') }).get({
    action: 'query', meta: 'authmanagerinfo', amisecuritysensitiveoperation: 'x', formatversion: '2',
  });
  assert.equal(ami.json.query.authmanagerinfo.securitysensitiveoperationstatus, 'ok');
});

test('a logged-in creator: a reason, and the choice to mail a temporary password instead of typing one', async () => {
  const admin = new PageClient(srv.url);
  assert.equal((await admin.submit('/wiki/Special:UserLogin', { wpName: 'Admin', wpPassword: 'Admin-Pass-123' })).status, 303);
  const form = await admin.get('/wiki/Special:CreateAccount');
  assert.ok(tagOf(form.html, 'wpReason'));
  assert.ok(tagOf(form.html, 'wpCreateaccountMail'));
  const noMail = await admin.submit('/wiki/Special:CreateAccount', { wpName: 'Quinn', wpCreateaccountMail: '1', wpReason: 'new staff' });
  assert.match(tagOf(noMail.html, 'wpEmail'), /aria-invalid="true"/);
  assert.ok(noMail.html.includes(t('noemailcreate')));
  const before = (await readMails(srv.mailDir)).length;
  const made = await admin.submit('/wiki/Special:CreateAccount', { wpName: 'Quinn', wpCreateaccountMail: '1', wpEmail: 'quinn@example.org', wpReason: 'new staff' });
  assert.equal(made.status, 200);
  assert.ok(made.html.includes(t('web-createaccount-done-mailed', 'Quinn', 'quinn@example.org')));
  const mails = await mailsAfter(srv, before);
  assert.equal(mails.length, 1);
  assert.match(mails[0]!.to, /quinn@example\.org/);
  const e = (await srv.services.audit.query({ type: 'account.created' })).find((x) => x.userName === 'Quinn')!;
  assert.equal(e.details.reason, 'new staff');
  assert.equal(e.details.byMail, true);
  assert.equal(e.details.via, 'web');
  // A typed password works the same way; the creator stays logged in as itself.
  const typed = await admin.submit('/wiki/Special:CreateAccount', { wpName: 'Rae', wpPassword: 'Rae-Pass-Word-1', wpRetype: 'Rae-Pass-Word-1' });
  assert.ok(typed.html.includes(t('web-createaccount-done', 'Rae')));
  assert.ok((await admin.get('/wiki/Main_Page')).html.includes(t('web-mainpage-loggedin', 'Admin')));
});

test('mwauth user add goes through the same door: the account.created event, with the groups', async () => {
  const { registerUserCommands } = await import('../../src/cli/users.js');
  const { Command } = await import('commander');
  const out: string[] = [];
  const program = new Command().exitOverride();
  registerUserCommands(program, (fn) => fn(srv.services), { out: (s: string) => void out.push(s), err: () => {} });
  await program.parseAsync(['node', 'mwauth', 'user', 'add', 'Sam', '--password', 'Sam-Pass-Word-12', '--group', 'sysop', '--email', 'sam@example.org']);
  assert.match(out.join('\n'), /created user "Sam"/);
  const e = (await srv.services.audit.query({ type: 'account.created' })).find((x) => x.userName === 'Sam')!;
  assert.deepEqual(e.details, { via: 'cli', creator: null, creatorId: null, groups: ['sysop'], byMail: false });
  assert.equal(e.ip, null);
  assert.deepEqual(await srv.services.users.groups(e.userId!), ['sysop']);
  // The sysop rule of the policy (10 characters) applies to the groups given.
  await assert.rejects(program.parseAsync(['node', 'mwauth', 'user', 'add', 'Tim', '--password', 'Short-9', '--group', 'sysop']), /10 characters/);
  assert.equal(await srv.services.users.byName('Tim'), null);
});
