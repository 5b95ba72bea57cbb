import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { composeMessage, textToHtml } from '../../src/mail/compose.js';
import { FileTransport, createTransport, SmtpTransport } from '../../src/mail/transport.js';
import { DeliveryWorker } from '../../src/mail/worker.js';
import { ManualClock } from '../helpers/clock.js';
import { TEMP_PASSWORD, captureLogger, makeOutbox, memoryDb, resetMail, tempDir } from './helpers.js';

const ARABIC_SUBJECT = 'إعادة تعيين كلمة المرور لويكيبيديا';

test('composeMessage: headers, text part and generated rtl html', async () => {
  const raw = await composeMessage(resetMail({ subject: ARABIC_SUBJECT, lang: 'ar', dir: 'rtl', toName: 'مستخدم' }), {
    from: 'wiki@example.org',
    fromName: 'Example Wiki',
    messageId: '<0123abcd@example.org>',
    date: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)),
  });
  assert.match(raw, /^[\x00-\x7f]*$/, 'message is 7-bit: every non-ASCII byte encoded');
  assert.match(raw, /^Subject: =\?UTF-8\?/m);
  const m = await simpleParser(raw);
  assert.equal(m.subject, ARABIC_SUBJECT);
  assert.equal(m.messageId, '<0123abcd@example.org>');
  assert.equal(m.date?.toISOString(), '2026-01-02T03:04:05.000Z');
  assert.equal(m.from?.value[0]?.address, 'wiki@example.org');
  assert.equal(m.from?.value[0]?.name, 'Example Wiki');
  assert.equal(m.headers.get('auto-submitted'), 'auto-generated');
  assert.equal(m.headers.get('content-language'), 'ar');
  assert.ok(m.text?.includes(`Temporary password: ${TEMP_PASSWORD}`));
  assert.equal(typeof m.html, 'string');
  const html = m.html as string;
  assert.match(html, /<html lang="ar" dir="rtl">/);
  assert.ok(html.includes('&lt;not a tag&gt; &amp; more'), 'text is escaped in the html part');
  assert.ok(html.includes('password.<br>'), 'line breaks kept');
});

test('composeMessage uses a given html part as is', async () => {
  const raw = await composeMessage(resetMail({ html: '<p>custom</p>' }), {
    from: 'wiki@example.org', fromName: 'W', messageId: '<x@example.org>', date: new Date(0),
  });
  const m = await simpleParser(raw);
  assert.match(m.html as string, /<p>custom<\/p>/);
});

test('textToHtml escapes and keeps direction', () => {
  const html = textToHtml('a<b>\r\n"c"', 'he', 'rtl');
  assert.match(html, /dir="rtl"/);
  assert.ok(html.includes('a&lt;b&gt;<br>\n&quot;c&quot;'));
});

test('FileTransport writes a parseable .eml atomically and idempotently', async () => {
  const { dir, cleanup } = tempDir('mwauth-mail-');
  const mailDir = join(dir, 'nested', 'mail'); // created on demand
  const handle = await memoryDb();
  try {
    const clock = new ManualClock(Date.UTC(2026, 4, 6, 7, 8, 9, 123));
    const outbox = makeOutbox(handle, clock);
    const id = await outbox.enqueue(handle.db, resetMail({ subject: ARABIC_SUBJECT, lang: 'ar', dir: 'rtl' }));
    const transport = createTransport({ smtp: null, mailDir });
    assert.ok(transport instanceof FileTransport);
    const logger = captureLogger();
    const worker = new DeliveryWorker({ db: handle.db, clock, transport, logger });
    assert.equal(await worker.runOnce(), 1);

    const row = await outbox.get(id);
    assert.equal(row?.ob_status, 'sent');
    assert.equal(row?.ob_sent, clock.now());
    const hex = row!.ob_message_id.slice(1).split('@')[0]!;
    assert.match(hex, /^[0-9a-f]{32}$/);

    const files = readdirSync(mailDir);
    assert.deepEqual(files, [`2026-05-06T07-08-09-000Z-${hex}.eml`], 'no temp files left, time from the Date header');
    const m = await simpleParser(readFileSync(join(mailDir, files[0]!)));
    assert.equal(m.subject, ARABIC_SUBJECT);
    assert.ok(m.text?.includes(TEMP_PASSWORD));
    assert.equal(m.headers.get('auto-submitted'), 'auto-generated');
    assert.equal(m.headers.get('content-language'), 'ar');
    assert.match(m.html as string, /dir="rtl"/);
    assert.equal(m.to && !Array.isArray(m.to) ? m.to.value[0]?.address : null, 'alice@example.net');

    // Sending the same message again (a retry after a lost acknowledgement) replaces the file.
    clock.advance(3_600_000);
    await transport.send({ from: 'wiki@example.org', to: row!.ob_to, raw: row!.ob_raw, messageId: row!.ob_message_id });
    assert.deepEqual(readdirSync(mailDir), files);

    assert.ok(logger.lines.length > 0);
    assert.ok(!JSON.stringify(logger.lines).includes(TEMP_PASSWORD), 'logs hold no message body');
  } finally {
    await handle.close();
    cleanup();
  }
});

test('FileTransport failure is temporary and the mail is retried', async () => {
  const { dir, cleanup } = tempDir('mwauth-mail-');
  const handle = await memoryDb();
  try {
    const clock = new ManualClock();
    const outbox = makeOutbox(handle, clock);
    const id = await outbox.enqueue(handle.db, resetMail());
    // A regular file where the directory should be: mkdir fails.
    const blocked = join(dir, 'file');
    (await import('node:fs')).writeFileSync(blocked, 'x');
    const worker = new DeliveryWorker({ db: handle.db, clock, transport: new FileTransport(join(blocked, 'sub')) });
    assert.equal(await worker.runOnce(), 1);
    const row = await outbox.get(id);
    assert.equal(row?.ob_status, 'queued');
    assert.equal(row?.ob_attempts, 1);
    assert.ok(row!.ob_next_attempt >= clock.now() + 5000 && row!.ob_next_attempt < clock.now() + 7500);
    assert.match(row!.ob_last_error ?? '', /cannot write/);
  } finally {
    await handle.close();
    cleanup();
  }
});

test('createTransport picks SMTP when a URL is configured', async () => {
  const t = createTransport({ smtp: 'smtp://127.0.0.1:1', mailDir: '/nonexistent' });
  assert.ok(t instanceof SmtpTransport);
  await t.close();
});

test('Outbox list/get/counts', async () => {
  const handle = await memoryDb();
  try {
    const clock = new ManualClock();
    const outbox = makeOutbox(handle, clock);
    const ids: number[] = [];
    // enqueue inside a transaction, as request handlers do
    await handle.db.transaction().execute(async (trx) => {
      for (let i = 0; i < 3; i++) ids.push(await outbox.enqueue(trx, resetMail({ userId: i + 1 })));
    });
    assert.deepEqual(await outbox.counts(), { queued: 3, sending: 0, sent: 0, failed: 0 });
    const list = await outbox.list();
    assert.deepEqual(list.map((r) => r.ob_id), [...ids].reverse());
    assert.ok(!('ob_raw' in list[0]!), 'list omits message bodies');
    assert.equal((await outbox.list({ status: 'sent' })).length, 0);
    assert.equal((await outbox.list({ limit: 2 })).length, 2);
    const row = await outbox.get(ids[0]!);
    assert.equal(row?.ob_status, 'queued');
    assert.equal(row?.ob_attempts, 0);
    assert.equal(row?.ob_next_attempt, clock.now());
    assert.equal(row?.ob_kind, 'password-reset');
    assert.ok(row?.ob_raw.includes('Message-ID: ' + row.ob_message_id));
    assert.equal(new Set(list.map((r) => r.ob_message_id)).size, 3);
    assert.equal(await outbox.get(9999), undefined);
    // a rolled-back transaction leaves no mail behind
    await assert.rejects(
      handle.db.transaction().execute(async (trx) => {
        await outbox.enqueue(trx, resetMail());
        throw new Error('rollback');
      }),
    );
    assert.equal((await outbox.counts()).queued, 3);
  } finally {
    await handle.close();
  }
});
