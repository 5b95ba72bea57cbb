import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { createTransport, DkimTransport, FileTransport, SmtpTransport } from '../../src/mail/transport.js';
import { DeliveryWorker } from '../../src/mail/worker.js';
import { ManualClock } from '../helpers/clock.js';
import { makeOutbox, memoryDb, resetMail, startSmtp, tempDir, verifyDkim } from './helpers.js';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PEM = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const DKIM = { domain: 'example.org', selector: 'mw2026', privateKey: PEM, keyFile: '/dev/null' };

test('with a key configured, mail is DKIM-signed when it leaves (file transport)', async () => {
  const { dir, cleanup } = tempDir('mwauth-dkim-');
  const handle = await memoryDb();
  try {
    const clock = new ManualClock();
    const outbox = makeOutbox(handle, clock);
    const id = await outbox.enqueue(handle.db, resetMail({ subject: 'إعادة تعيين كلمة المرور', lang: 'ar', dir: 'rtl', toName: 'مستخدم' }));
    const transport = createTransport({ smtp: null, mailDir: dir, dkim: DKIM });
    assert.ok(transport instanceof DkimTransport && transport.inner instanceof FileTransport);
    assert.equal(transport.concurrency, 4, 'the wrapped transport decides the concurrency');
    await new DeliveryWorker({ db: handle.db, clock, transport }).runOnce();
    const files = readdirSync(dir);
    assert.equal(files.length, 1);
    const raw = readFileSync(join(dir, files[0]!), 'utf8');
    assert.match(raw, /^DKIM-Signature: /);
    const v = verifyDkim(raw, publicKey);
    assert.equal(v.reason, 'pass');
    assert.equal(v.tags.d, 'example.org');
    assert.equal(v.tags.s, 'mw2026');
    for (const h of ['from', 'to', 'subject', 'date', 'message-id', 'auto-submitted', 'content-language']) {
      assert.ok(v.tags.h!.toLowerCase().split(':').includes(h), `${h} is signed`);
    }
    // The stored message is the unsigned one: a later key change applies to queued mail too.
    assert.ok(!(await outbox.get(id))!.ob_raw.includes('DKIM-Signature'));
    // The verifier can fail: a changed header or body breaks the signature.
    assert.equal(verifyDkim(raw.replace(/^Subject: .*$/m, 'Subject: changed'), publicKey).ok, false);
    assert.equal(verifyDkim(raw.replace('Content-Language: ar', 'Content-Language: en'), publicKey).ok, false);
    assert.equal(verifyDkim(raw.replace(/\r\n\r\n([A-Za-z0-9])/, '\r\n\r\nX$1'), publicKey).reason, 'body hash mismatch');
    const other = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    assert.equal(verifyDkim(raw, other).ok, false);
    const m = await simpleParser(raw);
    assert.equal(m.subject, 'إعادة تعيين كلمة المرور');
  } finally {
    await handle.close();
    cleanup();
  }
});

test('DKIM-signed over SMTP: the server receives a verifiable signature', async () => {
  const smtp = await startSmtp();
  const handle = await memoryDb();
  const transport = new DkimTransport(new SmtpTransport(smtp.url), DKIM);
  try {
    const clock = new ManualClock();
    await makeOutbox(handle, clock).enqueue(handle.db, resetMail());
    assert.equal(await new DeliveryWorker({ db: handle.db, clock, transport }).runOnce(), 1);
    assert.equal(smtp.received.length, 1);
    assert.equal(verifyDkim(smtp.received[0]!.raw, publicKey).reason, 'pass');
    assert.equal(transport.concurrency, 5);
  } finally {
    await transport.close();
    await handle.close();
    await smtp.close();
  }
});
