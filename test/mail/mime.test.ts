// The MIME writer: whatever the subject, names and text, the message is 7-bit with short lines, one
// header of each kind (no header can be smuggled in), and a mail reader gets back exactly what was put in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { simpleParser } from 'mailparser';
import { composeMessage } from '../../src/mail/compose.js';
import { plainAddress, quotedPrintable, writeMime, type MimeInput } from '../../src/mail/mime.js';

const base: MimeInput = {
  from: { name: 'Example Wiki', address: 'wiki@example.org' },
  to: { name: 'Ann', address: 'ann@example.org' },
  subject: 'Password reset',
  messageId: '<0123abcd@example.org>',
  date: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)),
  lang: 'en',
  text: 'Hello\nTemporary password: abcdefghij\n',
  html: '<p>Hello</p>',
};

/** Every check a written message must pass; returns what a reader makes of it. */
async function check(input: MimeInput) {
  const raw = writeMime(input);
  assert.match(raw, /^[\x00-\x7f]*$/, '7-bit');
  assert.ok(!/\r(?!\n)|(?<!\r)\n/.test(raw), 'CRLF line ends only');
  const [head, ...rest] = raw.split('\r\n\r\n');
  for (const line of raw.split('\r\n')) assert.ok(line.length <= 78, `line of ${line.length}: ${line.slice(0, 80)}`);
  const names = head!.split('\r\n').filter((l) => !/^[ \t]/.test(l)).map((l) => l.split(':')[0]!.toLowerCase());
  assert.deepEqual(names, ['auto-submitted', 'x-auto-response-suppress', 'content-language', 'from', 'to', 'subject', 'message-id', 'date', 'mime-version', 'content-type']);
  assert.ok(rest.length >= 1);
  const m = await simpleParser(raw);
  const norm = (s: string) => s.replace(/\r\n?/g, '\n');
  assert.equal(m.subject, input.subject.replace(/[\r\n\t]+/g, ' '));
  assert.equal(m.text, norm(input.text));
  assert.equal(m.html, norm(input.html));
  assert.equal(m.messageId, input.messageId);
  assert.equal(m.date?.getTime(), Math.floor(input.date.getTime() / 1000) * 1000);
  const to = m.to && !Array.isArray(m.to) ? m.to.value[0] : undefined;
  assert.equal(to?.address, input.to.address);
  assert.equal(to?.name ?? '', (input.to.name ?? '').replace(/[\r\n\t]+/g, ' ').trim());
  assert.equal(m.from?.value[0]?.name, input.from.name);
  return m;
}

test('hostile and awkward values: header injection, encoded-word look-alikes, quotes, emoji, long lines, trailing spaces', async () => {
  const cases: Array<Partial<MimeInput>> = [
    { subject: 'Reset\r\nBcc: victim@example.org' },
    { subject: 'Looks like =?UTF-8?B?SGk=?= an encoded word' },
    { subject: 'A plain subject that is much longer than one header line may be, so it has to be folded somewhere along the way' },
    { subject: 'x'.repeat(200) },
    { subject: 'إعادة تعيين كلمة المرور لويكيبيديا' },
    { subject: '😀'.repeat(40) },
    { to: { name: 'O"Brien, \\ the <first>', address: 'ob@example.org' } },
    { to: { name: 'Zoë Ärger', address: 'zoe@example.org' } },
    { to: { name: 'Eve\r\nBcc: x@example.org', address: 'eve@example.org' } },
    { to: { name: 'Dr. Who', address: 'who@example.org' } },
    { to: { address: 'noname@example.org' } },
    { text: 'trailing spaces   \nand tabs\t\t\nend ' },
    { text: '=3D is not an escape here; a = b; ==\n' + '='.repeat(100) },
    { text: 'y'.repeat(75) + '\n' + 'y'.repeat(76) + '\n' + 'y'.repeat(77) + '\n' + '€'.repeat(60) },
    { text: 'mixed\r\nline\rends\n\n\nand blank lines\n' },
    { text: '--=_mwauth_00 looks like a boundary\n.\n.. a dot line\nFrom the start' },
    { html: '<p dir="rtl">مرحبا</p>\n' + '<b>' + 'ب'.repeat(100) + '</b>' },
  ];
  for (const c of cases) await check({ ...base, ...c });
});

test('random subjects, names and texts all come back as they went in', async () => {
  const text = fc.string({ unit: fc.oneof(fc.constantFrom('\n', '\r\n', ' ', '=', '\t', '.', '-'), fc.string({ minLength: 1, maxLength: 1 }), fc.constantFrom('é', 'ب', '😀', '€')), minLength: 1, maxLength: 300 });
  // (An empty part is read back as "\n" or as no part by the reader: mail never has one.)
  await fc.assert(
    fc.asyncProperty(text, text, fc.string({ maxLength: 40 }), async (subject, body, name) => {
      await check({ ...base, subject: subject.replace(/\s+/g, ' ').trim() || 'x', text: body, html: body, to: { name: name.trim().replace(/\s+/g, ' '), address: 'r@example.org' } });
    }),
    { numRuns: 150 },
  );
});

test('quoted-printable never splits an =XX and keeps lines within 76 characters', () => {
  for (const line of ['é'.repeat(100), `${'a'.repeat(74)}é`, `${'a'.repeat(75)} `, '=' + 'a'.repeat(80)]) {
    const qp = quotedPrintable(line);
    for (const l of qp.split('\r\n')) {
      assert.ok(l.length <= 76, l);
      assert.ok(!/=[0-9A-F]?$/.test(l.replace(/=$/, '')), `a split escape in ${l}`);
    }
  }
  assert.equal(quotedPrintable('end '), 'end=20');
});

test('composeMessage leaves an address that is not plain ASCII to nodemailer, which still writes a readable message', async () => {
  assert.equal(plainAddress('ann@example.org'), true);
  for (const a of ['zoë@exämple.org', 'a b@example.org', 'a<b>@example.org', '']) assert.equal(plainAddress(a), false, a);
  const raw = await composeMessage(
    { kind: 'test', userId: 1, to: 'user@exämple.org', toName: 'Zoë', subject: 'Hi', text: 'Body', lang: 'en', dir: 'ltr' },
    { from: 'wiki@example.org', fromName: 'Wiki', messageId: '<x@example.org>', date: new Date(0) },
  );
  assert.match(raw, /^[\x00-\x7f]*$/);
  const m = await simpleParser(raw);
  assert.equal(m.text?.trim(), 'Body');
});
