import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { openDatabase } from '../../src/storage/db.js';
import { ManualClock } from '../../src/util/clock.js';
import { SmtpTransport, TransportError, classifySmtpError } from '../../src/mail/transport.js';
import { DeliveryWorker } from '../../src/mail/worker.js';
import { TEMP_PASSWORD, captureLogger, makeOutbox, memoryDb, resetMail, smtpError, startSmtp, tempDir } from './helpers.js';

test('SMTP delivery through the worker: envelope and content', async () => {
  const smtp = await startSmtp();
  const handle = await memoryDb();
  const transport = new SmtpTransport(smtp.url);
  try {
    const clock = new ManualClock();
    const outbox = makeOutbox(handle, clock);
    const id = await outbox.enqueue(handle.db, resetMail({ subject: 'Passwort zurücksetzen', lang: 'de' }));
    const logger = captureLogger();
    const worker = new DeliveryWorker({ db: handle.db, clock, transport, logger });
    assert.equal(await worker.runOnce(), 1);
    assert.equal(await worker.runOnce(), 0, 'nothing left to do');

    assert.equal(smtp.received.length, 1);
    const got = smtp.received[0]!;
    assert.equal(got.from, 'wiki@example.org');
    assert.deepEqual(got.to, ['alice@example.net']);
    const m = await simpleParser(got.raw);
    const row = await outbox.get(id);
    assert.equal(m.messageId, row?.ob_message_id);
    assert.equal(m.subject, 'Passwort zurücksetzen');
    assert.ok(m.text?.includes(TEMP_PASSWORD));
    assert.equal(m.headers.get('auto-submitted'), 'auto-generated');
    assert.equal(m.headers.get('content-language'), 'de');
    assert.match(m.html as string, /<html lang="de" dir="ltr">/);
    assert.equal(row?.ob_status, 'sent');
    assert.equal(row?.ob_attempts, 1);
    assert.equal(row?.ob_lease_until, null);
    assert.ok(!JSON.stringify(logger.lines).includes(TEMP_PASSWORD));
  } finally {
    await transport.close();
    await handle.close();
    await smtp.close();
  }
});

test('4xx twice, then accepted: delivered once after backoff, attempts recorded', async () => {
  let rejections = 0;
  const smtp = await startSmtp({
    decide: () => (rejections < 2 ? (rejections++, smtpError(451, 'Greylisted, try again later')) : null),
  });
  const handle = await memoryDb();
  const transport = new SmtpTransport(smtp.url);
  try {
    const clock = new ManualClock();
    const outbox = makeOutbox(handle, clock);
    const id = await outbox.enqueue(handle.db, resetMail());
    const logger = captureLogger();
    const worker = new DeliveryWorker({ db: handle.db, clock, transport, logger, baseDelayMs: 5000 });

    assert.equal(await worker.runOnce(), 1);
    let row = await outbox.get(id);
    assert.equal(row?.ob_status, 'queued');
    assert.equal(row?.ob_attempts, 1);
    assert.match(row?.ob_last_error ?? '', /451.*Greylisted/);
    const wait1 = row!.ob_next_attempt - clock.now();
    assert.ok(wait1 >= 5000 && wait1 < 7500, `first backoff ${wait1}`);

    // Not due yet: nothing happens.
    clock.advance(wait1 - 1);
    assert.equal(await worker.runOnce(), 0);
    clock.advance(1);
    assert.equal(await worker.runOnce(), 1);
    row = await outbox.get(id);
    assert.equal(row?.ob_status, 'queued');
    assert.equal(row?.ob_attempts, 2);
    const wait2 = row!.ob_next_attempt - clock.now();
    assert.ok(wait2 >= 10000 && wait2 < 15000, `second backoff doubles: ${wait2}`);

    clock.advance(wait2);
    assert.equal(await worker.runOnce(), 1);
    row = await outbox.get(id);
    assert.equal(row?.ob_status, 'sent');
    assert.equal(row?.ob_attempts, 3);
    assert.match(row?.ob_last_error ?? '', /Greylisted/, 'last error kept for the record');
    assert.equal(smtp.received.length, 1, 'delivered exactly once');
    assert.equal(smtp.dataCount, 3);
    assert.deepEqual(
      logger.lines.map((l) => l.msg),
      ['mail delivery failed, will retry', 'mail delivery failed, will retry', 'mail sent'],
    );
    assert.ok(!JSON.stringify(logger.lines).includes(TEMP_PASSWORD));
  } finally {
    await transport.close();
    await handle.close();
    await smtp.close();
  }
});

test('5xx fails at once with the server reason', async () => {
  const smtp = await startSmtp({ rcpt: (a) => (a === 'nobody@example.net' ? smtpError(550, '5.1.1 No such user here') : null) });
  const handle = await memoryDb();
  const transport = new SmtpTransport(smtp.url);
  try {
    const clock = new ManualClock();
    const outbox = makeOutbox(handle, clock);
    const bad = await outbox.enqueue(handle.db, resetMail({ to: 'nobody@example.net' }));
    const good = await outbox.enqueue(handle.db, resetMail());
    const worker = new DeliveryWorker({ db: handle.db, clock, transport });
    assert.equal(await worker.runOnce(), 2);
    const row = await outbox.get(bad);
    assert.equal(row?.ob_status, 'failed');
    assert.equal(row?.ob_attempts, 1);
    assert.match(row?.ob_last_error ?? '', /550.*No such user here/);
    assert.equal((await outbox.get(good))?.ob_status, 'sent', 'one bad address does not block the queue');
    assert.deepEqual(await outbox.counts(), { queued: 0, sending: 0, sent: 1, failed: 1 });
    clock.advance(86_400_000);
    assert.equal(await worker.runOnce(), 0, 'failed mail is not retried');
  } finally {
    await transport.close();
    await handle.close();
    await smtp.close();
  }
});

test('temporary failures give up after maxAttempts', async () => {
  const smtp = await startSmtp({ decide: () => smtpError(421, 'Service not available') });
  const handle = await memoryDb();
  const transport = new SmtpTransport(smtp.url);
  try {
    const clock = new ManualClock();
    const outbox = makeOutbox(handle, clock);
    const id = await outbox.enqueue(handle.db, resetMail());
    const worker = new DeliveryWorker({ db: handle.db, clock, transport, maxAttempts: 3, baseDelayMs: 1000 });
    for (let i = 0; i < 3; i++) {
      assert.equal(await worker.runOnce(), 1);
      clock.advance(60_000);
    }
    const row = await outbox.get(id);
    assert.equal(row?.ob_status, 'failed');
    assert.equal(row?.ob_attempts, 3);
    assert.match(row?.ob_last_error ?? '', /421/);
    assert.equal(await worker.runOnce(), 0);
  } finally {
    await transport.close();
    await handle.close();
    await smtp.close();
  }
});

test('connection refused is a temporary TransportError', async () => {
  const smtp = await startSmtp();
  const url = smtp.url;
  await smtp.close(); // nothing listens on this port any more
  const transport = new SmtpTransport(url);
  try {
    await assert.rejects(
      transport.send({ from: 'wiki@example.org', to: 'a@example.net', raw: 'Subject: x\r\n\r\nx\r\n', messageId: '<a@b>' }),
      (err: unknown) => err instanceof TransportError && err.temporary === true && /ECONNREFUSED/.test(err.message),
    );
  } finally {
    await transport.close();
  }
});

test('classifySmtpError', () => {
  const c = (e: object) => classifySmtpError(Object.assign(new Error('x'), e));
  assert.equal(c({ code: 'EENVELOPE', responseCode: 550, response: '550 no' }).temporary, false);
  assert.equal(c({ code: 'EENVELOPE', responseCode: 550, response: '550 no' }).message, '550 no');
  assert.equal(c({ code: 'EMESSAGE', responseCode: 452 }).temporary, true);
  assert.equal(c({ code: 'ESOCKET' }).temporary, true);
  assert.equal(c({ code: 'ETIMEDOUT' }).temporary, true);
  assert.equal(c({ code: 'EAUTH', responseCode: 535 }).temporary, true, 'bad credentials are the operator’s to fix');
  assert.equal(c({ code: 'EENVELOPE' }).temporary, false);
  assert.equal(c({}).temporary, true);
});

test('two workers on one sqlite file deliver each message exactly once', async () => {
  const smtp = await startSmtp();
  const { dir, cleanup } = tempDir('mwauth-mail-db-');
  const databaseUrl = 'sqlite:' + join(dir, 'shared.sqlite');
  const a = await openDatabase({ databaseUrl, dataDir: dir });
  const b = await openDatabase({ databaseUrl, dataDir: dir });
  const ta = new SmtpTransport(smtp.url);
  const tb = new SmtpTransport(smtp.url);
  try {
    const clock = new ManualClock();
    const outbox = makeOutbox(a, clock);
    const N = 30;
    for (let i = 0; i < N; i++) await outbox.enqueue(a.db, resetMail({ userId: i + 1, to: `user${i}@example.net` }));
    const wa = new DeliveryWorker({ db: a.db, clock, transport: ta, batchSize: 50 });
    const wb = new DeliveryWorker({ db: b.db, clock, transport: tb, batchSize: 50 });
    // Both select the same due rows; only the claim decides who sends.
    const [na, nb] = await Promise.all([wa.runOnce(), wb.runOnce()]);
    assert.equal(na + nb, N);
    assert.ok(na > 0 && nb > 0, `both workers took part (${na}/${nb})`);

    const ids = smtp.received.map((r) => /^Message-ID: (.*)$/im.exec(r.raw)?.[1]?.trim());
    assert.equal(ids.length, N);
    assert.equal(new Set(ids).size, N, 'no message sent twice');
    assert.deepEqual(await outbox.counts(), { queued: 0, sending: 0, sent: N, failed: 0 });
    const rows = await outbox.list({ limit: 100 });
    assert.ok(rows.every((r) => r.ob_attempts === 1));
  } finally {
    await ta.close();
    await tb.close();
    await a.close();
    await b.close();
    await smtp.close();
    cleanup();
  }
});
