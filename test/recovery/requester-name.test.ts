// The reset mail quotes the name of the account that asked (as MediaWiki does), but that name never
// carries a link or a line break into the victim's mail: checked in the raw .eml, the text and the HTML part.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { quotedAccountName } from '../../src/recovery/mail.js';
import { addUser, Client, startTestServer, type ReadMail, type TestServer } from '../helpers/harness.js';
import { newMails } from '../helpers/api.js';

type Ctx = { after(fn: () => Promise<void> | void): void };

async function server(t: Ctx): Promise<TestServer> {
  const srv = await startTestServer({ env: { MWAUTH_RESET_IP_LIMIT: '1000/3600' } });
  t.after(() => srv.close());
  await addUser(srv.services, 'Alice', 'Alice-Pass-123', { email: 'alice@example.org' });
  return srv;
}

/** Every web address or mail address a mail program could make a link of, other than MWAUTH_SERVER's and the recipient's. */
function foreignLinks(text: string): string[] {
  const found = text.match(/\b(?:https?:\/\/|www\.)[^\s<>"]+|\b[\w-]+(?:\.[\w-]+)+(?:\/[^\s<>"]*)?|[\w.+-]+@[\w-]+(?:\.[\w-]+)+/gi) ?? [];
  return found.filter((l) => !l.startsWith('http://wiki.test/') && l !== 'wiki.test' && l !== 'alice@example.org' && l !== 'wiki@wiki.test' && l !== 'example.org');
}

function assertQuotedSafely(srv: TestServer, mail: ReadMail, raw: string, shown: string): void {
  assert.ok(mail.text.includes(` ${shown} `), `the name is quoted: ${mail.text}`);
  assert.deepEqual(foreignLinks(mail.text), [], 'no link in the text part');
  assert.deepEqual(foreignLinks(mail.html.replace(/<[^>]+>/g, ' ')), [], 'no link in the HTML part');
  assert.doesNotMatch(mail.html, /<a[\s>]/i, 'no anchor in the HTML part');
  assert.doesNotMatch(raw.replace(/=\r\n/g, ''), /evil(?:-example)?\.(?:com|example)|https?:\/\/evil/i, 'the raw message holds no such host either');
  // The sentence that names the requester is one line, in the text and in the HTML.
  const line = mail.text.split(/\r?\n/).find((l) => l.includes(shown))!;
  assert.ok(line.includes(srv.services.config.sitename), `one line: ${line}`);
  const htmlLine = mail.html.split(/<br>|\n/).find((l) => l.includes(shown.slice(0, 3)))!;
  assert.ok(htmlLine.includes(srv.services.config.sitename), `one HTML line: ${htmlLine}`);
}

test('a requester named like a web address: the reset mail quotes the name, and no mail program makes a link of it', async (t) => {
  const srv = await server(t);
  const name = 'Support www.evil-example.com';
  const c = new Client(srv.api);
  const createtoken = await c.token('createaccount');
  const made = await c.post({ action: 'createaccount', username: name, password: 'Evil-Pass-1234', retype: 'Evil-Pass-1234', createreturnurl: 'http://wiki.test/', createtoken, formatversion: '2' });
  assert.equal(made.json.createaccount.status, 'PASS', 'such a name can be made');
  assert.equal((await c.login(name, 'Evil-Pass-1234')).result, 'Success');
  const r = await c.post({ action: 'resetpassword', user: 'Alice', token: await c.token() });
  assert.equal(r.text, '{"resetpassword":{"status":"success"}}');
  const [mail, ...rest] = await newMails(srv, []);
  assert.equal(rest.length, 0);
  assertQuotedSafely(srv, mail!, readFileSync(join(srv.mailDir, mail!.file), 'utf8'), 'Support www\u2024evil-example\u2024com');
});

test('a requester whose (imported) name holds line breaks and a URL: one line, no link', async (t) => {
  const srv = await server(t);
  // Names with line breaks cannot be made here; an account imported from elsewhere may have anything.
  const name = 'Bob\r\nVisit http://evil.example/reset\u2028now\u0085or x@evil.example';
  const bob = await srv.services.users.create({ name, passwordHash: await srv.services.hasher.hash('x') });
  await srv.services.db
    .insertInto('reset_request')
    .values({ rr_created: Date.now(), rr_performer_id: bob.id, rr_performer_name: name, rr_performer_ip: '127.0.0.1', rr_username: 'Alice', rr_email: null, rr_status: 'pending', rr_processed: null })
    .execute();
  const [mail] = await newMails(srv, []);
  const shown = quotedAccountName(name);
  assert.equal(shown, 'Bob Visit http\ua789\u2215\u2215evil\u2024example\u2215reset now or x\uff20evil\u2024example');
  assertQuotedSafely(srv, mail!, readFileSync(join(srv.mailDir, mail!.file), 'utf8'), shown);
});

test('quotedAccountName: ordinary names unchanged; separators, controls and direction marks out; link characters as look-alikes', () => {
  for (const n of ['Alice', 'Jean-Luc Picard', 'محمد', 'Ünal Öz', 'O\u2019Brien']) assert.equal(quotedAccountName(n), n);
  assert.equal(quotedAccountName('A\u2029B\tC\u000bD'), 'A B C D');
  assert.equal(quotedAccountName('Eve\u202eevil\u202c'), 'Eveevil');
  assert.equal(quotedAccountName('a.b:c/d@e'), 'a\u2024b\ua789c\u2215d\uff20e');
  assert.equal(quotedAccountName('evil\uff0eexample\u3002com\uff0fx\uff1ay'), 'evil\u2024example\u2024com\u2215x\ua789y');
});
