import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { openDatabase } from '../../src/storage/db.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { systemClock } from '../../src/util/clock.js';
import { ManualClock } from '../helpers/clock.js';
import { createPostgresDatabase, skipUnless } from '../helpers/services.js';
import { parseSmtpUrl } from '../../src/mail/settings.js';
import { SmtpTransport, TransportError, classifySmtpError } from '../../src/mail/transport.js';
import { DeliveryWorker } from '../../src/mail/worker.js';
import { TEMP_PASSWORD, captureLogger, makeOutbox, memoryDb, messageIdOf, resetMail, smtpError, startSmtp, tempDir, until, type SmtpStub } from './helpers.js';

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
  assert.equal(c({ responseCode: 554, response: '554 5.7.1 rejected' }).temporary, false, 'any 5xx is permanent');
  assert.equal(c({ responseCode: 451 }).temporary, true);
  assert.equal(c({ responseCode: 451 }).scope, 'message');
  assert.equal(c({ code: 'EENVELOPE', responseCode: 421 }).scope, 'transport', '421: the server closes the channel for every message');
  assert.equal(c({ code: 'ECONNECTION' }).scope, 'transport');
  assert.equal(c({ code: 'EENVELOPE', responseCode: 550 }).scope, 'message');
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
    const wa = new DeliveryWorker({ db: a.db, clock, transport: ta });
    const wb = new DeliveryWorker({ db: b.db, clock, transport: tb });
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

test('the SMTP server down for a while, then back: every message delivered exactly once', async () => {
  const probe = await startSmtp();
  const port = probe.port;
  await probe.close(); // down: connections are refused
  const handle = await memoryDb();
  const transport = new SmtpTransport(parseSmtpUrl(`smtp://127.0.0.1:${port}`, { poolSize: 4 }));
  let smtp: SmtpStub | null = null;
  try {
    const outbox = makeOutbox(handle, systemClock);
    const N = 30;
    for (let i = 0; i < N; i++) await outbox.enqueue(handle.db, resetMail({ userId: i + 1, to: `user${i}@example.net` }));
    const worker = new DeliveryWorker({ db: handle.db, clock: systemClock, transport, baseDelayMs: 50, maxPauseMs: 200 });
    worker.start(20);
    await until(async () => (await outbox.list({ limit: 100 })).filter((r) => r.ob_attempts > 0).length >= 6, 5000, 'attempts during the outage');
    await sleep(600);
    const during = await outbox.list({ limit: 100 });
    assert.equal(during.filter((r) => r.ob_status === 'sent').length, 0);
    assert.equal(during.filter((r) => r.ob_status === 'failed').length, 0, 'an outage fails nothing');
    assert.ok(during.every((r) => r.ob_last_error === null || /ECONNREFUSED/.test(r.ob_last_error)), 'the reason is kept');
    const tried = during.filter((r) => r.ob_attempts > 0).length;
    assert.ok(tried < N, `the pause spared the queue: ${tried} of ${N} messages tried`);

    smtp = await startSmtp({ port }); // back
    await until(async () => (await outbox.counts()).sent === N, 10_000, 'all sent');
    assert.ok(await worker.stop(2000));
    assert.equal(smtp.received.length, N);
    const ids = smtp.received.map((r) => messageIdOf(r.raw));
    assert.equal(new Set(ids).size, N, 'no message twice');
    assert.deepEqual(new Set(smtp.received.map((r) => r.to[0])), new Set(Array.from({ length: N }, (_, i) => `user${i}@example.net`)));
    const rows = await outbox.list({ limit: 100 });
    assert.ok(rows.some((r) => r.ob_attempts > 1), 'some needed more than one attempt');
    assert.deepEqual(await outbox.counts(), { queued: 0, sending: 0, sent: N, failed: 0 });
  } finally {
    await transport.close();
    await handle.close();
    await smtp?.close();
  }
});

test('pooled connections: several messages at once over a few reused connections', async () => {
  const smtp = await startSmtp({ delayMs: 80 });
  const handle = await memoryDb();
  const transport = new SmtpTransport(parseSmtpUrl(smtp.url, { poolSize: 4 }));
  try {
    const clock = new ManualClock();
    const outbox = makeOutbox(handle, clock);
    const N = 40;
    for (let i = 0; i < N; i++) await outbox.enqueue(handle.db, resetMail({ userId: i + 1, to: `user${i}@example.net` }));
    let peak = 0;
    const timer = setInterval(() => (peak = Math.max(peak, smtp.inData)), 5);
    assert.equal(await new DeliveryWorker({ db: handle.db, clock, transport }).runOnce(), N);
    clearInterval(timer);
    assert.equal(smtp.received.length, N);
    assert.ok(peak >= 3, `messages in parallel (peak ${peak})`);
    assert.ok(peak <= 4, `never more than the pool (peak ${peak})`);
    assert.ok(smtp.connections <= 4, `connections reused (${smtp.connections})`);
  } finally {
    await transport.close();
    await handle.close();
    await smtp.close();
  }
});

test('SMTP AUTH with a percent-encoded password; a wrong password is retried, not failed', async () => {
  const SECRET = 'p@ss:w/rd%&';
  const smtp = await startSmtp({
    server: {
      disabledCommands: ['STARTTLS'],
      authMethods: ['PLAIN', 'LOGIN'],
      allowInsecureAuth: true,
      authOptional: false,
      onAuth(auth, _session, cb) {
        if (auth.username === 'mailer@wiki' && auth.password === SECRET) return cb(null, { user: auth.username });
        cb(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
      },
    },
  });
  const handle = await memoryDb();
  const good = new SmtpTransport(`smtp://mailer%40wiki:${encodeURIComponent(SECRET)}@127.0.0.1:${smtp.port}`);
  const bad = new SmtpTransport(`smtp://mailer%40wiki:wrong@127.0.0.1:${smtp.port}`);
  try {
    const clock = new ManualClock();
    const outbox = makeOutbox(handle, clock);
    const id = await outbox.enqueue(handle.db, resetMail());
    const logger = captureLogger();
    assert.equal(await new DeliveryWorker({ db: handle.db, clock, transport: bad, logger }).runOnce(), 1);
    const row = await outbox.get(id);
    assert.equal(row?.ob_status, 'queued', 'bad credentials are the operator’s to fix');
    assert.match(row?.ob_last_error ?? '', /535/);
    assert.ok(!JSON.stringify(logger.lines).includes('wrong'), 'no password in the logs');
    clock.advance(3_600_000);
    assert.equal(await new DeliveryWorker({ db: handle.db, clock, transport: good }).runOnce(), 1);
    assert.equal((await outbox.get(id))?.ob_status, 'sent');
    assert.equal(smtp.received[0]?.user, 'mailer@wiki');
  } finally {
    await good.close();
    await bad.close();
    await handle.close();
    await smtp.close();
  }
});

test('STARTTLS policy and smtps://', async () => {
  const msg = { from: 'wiki@example.org', to: 'a@example.net', raw: 'Subject: x\r\nMessage-ID: <t@example.org>\r\n\r\nx\r\n', messageId: '<t@example.org>' };
  const plain = await startSmtp(); // no STARTTLS offered
  const starttls = await startSmtp({ server: { disabledCommands: ['AUTH'] } }); // STARTTLS with a self-signed certificate
  const implicit = await startSmtp({ server: { secure: true, disabledCommands: ['AUTH'] } });
  const send = async (url: string, o: Parameters<typeof parseSmtpUrl>[1] = {}) => {
    const t = new SmtpTransport(parseSmtpUrl(url, o));
    try {
      await t.send(msg);
      return null;
    } catch (err) {
      return err as TransportError;
    } finally {
      await t.close();
    }
  };
  try {
    // required: refuses a server without STARTTLS
    const e1 = await send(plain.url, { startTls: 'required' });
    assert.ok(e1 instanceof TransportError && e1.temporary && e1.scope === 'transport', String(e1));
    assert.equal(plain.received.length, 0);
    // auto over plain: sends in the clear
    assert.equal(await send(plain.url), null);
    assert.equal(plain.received[0]?.secure, false);
    // auto with STARTTLS offered: upgrades, and checks the certificate
    const e2 = await send(starttls.url);
    assert.ok(e2 instanceof TransportError && e2.scope === 'transport', 'self-signed certificate refused');
    assert.equal(await send(starttls.url, { tlsVerify: false }), null);
    assert.equal(starttls.received[0]?.secure, true);
    // never: stays in the clear even when offered
    assert.equal(await send(starttls.url, { startTls: 'never' }), null);
    assert.equal(starttls.received[1]?.secure, false);
    // smtps: TLS from the first byte
    assert.equal(await send(`smtps://127.0.0.1:${implicit.port}`, { tlsVerify: false }), null);
    assert.equal(implicit.received[0]?.secure, true);
  } finally {
    await plain.close();
    await starttls.close();
    await implicit.close();
  }
});

test('two workers with their own PostgreSQL connections deliver each message exactly once', { skip: await skipUnless('postgres') }, async () => {
  const smtp = await startSmtp();
  const database = await createPostgresDatabase('mwauth_mail');
  const opened = await openDatabase({ databaseUrl: database.url, dataDir: '/tmp' });
  const a = { ...opened, async close() { await opened.close(); await database.drop(); } };
  const b = await openDatabase({ databaseUrl: database.url, dataDir: '/tmp' });
  const ta = new SmtpTransport(parseSmtpUrl(smtp.url, { poolSize: 4 }));
  const tb = new SmtpTransport(parseSmtpUrl(smtp.url, { poolSize: 4 }));
  try {
    const clock = new ManualClock();
    const outbox = makeOutbox(a, clock);
    const N = 60;
    for (let i = 0; i < N; i++) await outbox.enqueue(a.db, resetMail({ userId: i + 1, to: `user${i}@example.net` }));
    const wa = new DeliveryWorker({ db: a.db, clock, transport: ta });
    const wb = new DeliveryWorker({ db: b.db, clock, transport: tb });
    const [na, nb] = await Promise.all([wa.runOnce(), wb.runOnce()]);
    assert.equal(na + nb, N);
    assert.ok(na > 0 && nb > 0, `both workers took part (${na}/${nb})`);
    const ids = smtp.received.map((r) => messageIdOf(r.raw));
    assert.equal(new Set(ids).size, N);
    assert.equal(ids.length, N, 'no message sent twice');
    assert.deepEqual(await outbox.counts(), { queued: 0, sending: 0, sent: N, failed: 0 });
  } finally {
    await ta.close();
    await tb.close();
    await b.close();
    await a.close();
    await smtp.close();
  }
});
