import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simpleParser } from 'mailparser';
import { MASK, maskMail } from '../../src/mail/compose.js';
import { decodeWords, labelledSecrets, maskedView, parseMessage } from '../../src/mail/inspect.js';
import { MailMetrics, percentile, prometheusText, summarize } from '../../src/mail/metrics.js';
import { DeliveryWorker } from '../../src/mail/worker.js';
import { TransportError, type MailTransport } from '../../src/mail/transport.js';
import { cryptoRandom } from '../../src/util/clock.js';
import { ManualClock } from '../helpers/clock.js';
import { Outbox } from '../../src/mail/outbox.js';
import { TEMP_PASSWORD, TEST_SEAL, makeOutbox, memoryDb, resetMail } from './helpers.js';

const ARABIC_TEXT = 'طلب شخص ما كلمة مرور جديدة.\nاسم المستخدم: مستخدم\nكلمة المرور المؤقتة: k3v9a0b1c2\nانتهى.';

const okTransport = (): MailTransport & { sent: string[] } => {
  const sent: string[] = [];
  return { sent, send: async (m) => void sent.push(m.raw), close: async () => {} };
};

test('parseMessage/decodeWords read our own messages as mailparser does', async () => {
  const handle = await memoryDb();
  try {
    const outbox = makeOutbox(handle);
    for (const mail of [
      resetMail(),
      resetMail({ subject: 'إعادة تعيين كلمة المرور', text: ARABIC_TEXT, lang: 'ar', dir: 'rtl', toName: 'مستخدم' }),
      resetMail({ subject: 'Réinitialisation', text: 'Mot de passe temporaire\u00a0: abcdefghij\n' + 'é'.repeat(200) }),
    ]) {
      const id = await outbox.enqueue(handle.db, mail);
      const raw = (await outbox.get(id))!.ob_raw;
      const ours = parseMessage(raw);
      const theirs = await simpleParser(raw);
      const subject = ours.headers.find(([k]) => k === 'Subject')![1];
      assert.equal(decodeWords(subject), theirs.subject);
      assert.deepEqual(ours.parts.map((p) => p.contentType), ['text/plain', 'text/html']);
      assert.equal(ours.parts[0]!.body.trimEnd(), theirs.text!.trimEnd());
      assert.equal(ours.parts[1]!.body, theirs.html);
    }
  } finally {
    await handle.close();
  }
});

test('labelledSecrets finds temporary passwords after a label in en, fr and ar', () => {
  assert.deepEqual(labelledSecrets('User name: Alice\nTemporary password: 0123456789abcdef\nbye'), ['0123456789abcdef']);
  assert.deepEqual(labelledSecrets('Mot de passe temporaire\u00a0: abcdefghij'), ['abcdefghij']);
  assert.deepEqual(labelledSecrets(ARABIC_TEXT), ['k3v9a0b1c2']);
  assert.deepEqual(labelledSecrets('see https://example.org/x: not\nshort: abc'), []);
});

test('maskMail replaces every secret in subject, text and html', () => {
  const m = maskMail(resetMail({ secrets: [TEMP_PASSWORD, ''], html: `<p>${TEMP_PASSWORD} &amp; ${TEMP_PASSWORD}</p>` }));
  assert.ok(!JSON.stringify(m).includes(TEMP_PASSWORD));
  assert.ok(m.text.includes(`Temporary password: ${MASK}`));
  assert.equal(m.html, `<p>${MASK} &amp; ${MASK}</p>`);
  assert.deepEqual(m.secrets, []);
});

test('a mail enqueued with secrets keeps a masked copy: the view never holds the secret', async () => {
  const handle = await memoryDb();
  try {
    const outbox = makeOutbox(handle);
    // A secret the label pattern would not find: only the recorded secret can mask it.
    const odd = 'Zz-Not-Base32-Secret!';
    const id = await handle.db.transaction().execute((trx) =>
      outbox.enqueue(trx, resetMail({ text: `Your code is ${odd} (keep it).\nTemporary password: ${TEMP_PASSWORD}`, secrets: [odd, TEMP_PASSWORD] })),
    );
    const row = await outbox.get(id);
    // Stored sealed: neither secret is in the row; the server's key opens the message that will be sent.
    assert.ok(!row!.ob_raw.includes(TEMP_PASSWORD) && !row!.ob_raw.includes(odd));
    assert.match(row!.ob_raw, /^mwauth-sealed:v1:/);
    assert.ok(TEST_SEAL.open(row!.ob_raw, { messageId: row!.ob_message_id, to: row!.ob_to }).includes(TEMP_PASSWORD), 'the message sent carries the password');
    const view = (await outbox.view(id))!;
    assert.equal(view.secretsRecorded, true);
    const shown = JSON.stringify(view);
    assert.ok(!shown.includes(TEMP_PASSWORD) && !shown.includes(odd), 'nothing secret in the view');
    assert.ok(!('ob_raw' in view.row));
    assert.match(view.message.parts[0]!.body, /Your code is •+ \(keep it\)/);
    assert.equal(view.message.headers.find(([k]) => k === 'Message-ID')![1], row!.ob_message_id, 'masked copy has the same Message-ID');

    // Without recorded secrets (older rows, other senders), the form of the password is enough.
    const plain = await outbox.enqueue(handle.db, resetMail({ text: ARABIC_TEXT, lang: 'ar', dir: 'rtl' }));
    const v2 = (await outbox.view(plain))!;
    assert.equal(v2.secretsRecorded, false);
    assert.ok(!JSON.stringify(v2).includes('k3v9a0b1c2'));
    assert.match(v2.message.parts[0]!.body, /كلمة المرور المؤقتة: •+/);
    assert.match(v2.message.parts[1]!.body, /dir="rtl"/);

    // A rolled-back enqueue leaves no masked copy behind.
    await assert.rejects(
      handle.db.transaction().execute(async (trx) => {
        await outbox.enqueue(trx, resetMail({ secrets: [TEMP_PASSWORD] }));
        throw new Error('rollback');
      }),
    );
    const copies = await handle.db.withTables<{ outbox_masked: { om_outbox: number } }>().selectFrom('outbox_masked').select('om_outbox').execute();
    assert.deepEqual(copies.map((c) => Number(c.om_outbox)), [id]);
  } finally {
    await handle.close();
  }
});

test('maskedView masks a value wherever it appears once found after a label', () => {
  const raw = [
    'Subject: x',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    'Temporary password: abcdefghij12=',
    '34',
    'Again: abcdefghij1234 in a sentence.',
    '',
  ].join('\r\n');
  const v = maskedView(raw);
  assert.equal(v.parts[0]!.body, `Temporary password: ${MASK}\nAgain: ${MASK} in a sentence.\n`);
});

test('list filters, resolve by Message-ID, retry, retryFailed and purge', async () => {
  const handle = await memoryDb();
  try {
    const clock = new ManualClock();
    const outbox = makeOutbox(handle, clock);
    const a = await outbox.enqueue(handle.db, resetMail({ to: 'Ann@Example.org', userId: 7 }));
    const b = await outbox.enqueue(handle.db, resetMail({ to: 'bob@example.org', userId: 8 }));
    const c = await outbox.enqueue(handle.db, resetMail({ to: 'ann@example.org', userId: 7 }));
    assert.deepEqual((await outbox.list({ to: 'ANN@example.ORG' })).map((r) => r.ob_id), [c, a]);
    assert.deepEqual((await outbox.list({ userId: 8 })).map((r) => r.ob_id), [b]);
    const mid = (await outbox.get(b))!.ob_message_id;
    assert.equal(await outbox.resolve(mid), b);
    assert.equal(await outbox.resolve(mid.slice(1, -1)), b, 'without angle brackets');
    assert.equal(await outbox.resolve(String(c)), c);
    assert.equal(await outbox.resolve('999'), undefined);
    assert.equal(await outbox.resolve('<nope@x>'), undefined);

    // a: sent; b: fails permanently; c: stays queued with a backoff.
    let n = 0;
    const transport: MailTransport = {
      async send(m) {
        n++;
        if (m.to === 'bob@example.org') throw new TransportError('550 5.1.1 no such user', false, 550);
        if (m.to === 'ann@example.org') throw new TransportError('451 later', true, 451);
      },
      close: async () => {},
    };
    const worker = new DeliveryWorker({ db: handle.db, clock, transport, metrics: outbox.metrics });
    assert.equal(await worker.runOnce(), 3);
    assert.equal((await outbox.get(a))!.ob_status, 'sent');
    assert.equal((await outbox.get(b))!.ob_status, 'failed');
    assert.equal((await outbox.get(b))!.ob_processed, clock.now(), 'a failed row records when it failed');
    assert.equal((await outbox.get(c))!.ob_status, 'queued');
    assert.ok((await outbox.get(c))!.ob_next_attempt > clock.now());

    assert.deepEqual(await outbox.retry(a), { ok: false, reason: 'sent' });
    assert.deepEqual(await outbox.retry(12345), { ok: false, reason: 'not-found' });
    assert.deepEqual(await outbox.retry(c), { ok: true, from: 'queued' });
    assert.equal((await outbox.get(c))!.ob_next_attempt, clock.now(), 'due now');
    assert.equal((await outbox.get(c))!.ob_attempts, 1, 'a queued mail keeps its count');
    assert.deepEqual(await outbox.retry(b), { ok: true, from: 'failed' });
    let row = await outbox.get(b);
    assert.equal(row!.ob_status, 'queued');
    assert.equal(row!.ob_attempts, 0, 'fresh attempts');
    assert.match(row!.ob_last_error!, /550/, 'the reason stays visible');

    await worker.runOnce();
    assert.equal((await outbox.get(b))!.ob_status, 'failed');
    assert.equal(await outbox.retryFailed(), 1);
    assert.equal(await outbox.retryFailed(), 0);
    await worker.runOnce();
    assert.equal(n, 6);

    // purge: only sent/failed older than the cut-off; queued mail is never purged.
    assert.equal(await outbox.purge({ sent: true, before: clock.now() }), 0, 'sent just now');
    clock.advance(86_400_000);
    assert.equal(await outbox.purge({ before: clock.now() }), 0, 'nothing chosen');
    assert.equal(await outbox.purge({ sent: true, before: clock.now() }), 1);
    assert.equal(await outbox.get(a), undefined);
    assert.equal(await outbox.purge({ failed: true, before: clock.now() }), 1);
    assert.equal(await outbox.get(b), undefined);
    row = await outbox.get(c);
    assert.equal(row!.ob_status, 'queued');
    assert.equal(await outbox.purge({ sent: true, failed: true, before: clock.now() + 1e9 }), 0);
  } finally {
    await handle.close();
  }
});

test('purge removes the masked copies with their mail', async () => {
  const handle = await memoryDb();
  try {
    const clock = new ManualClock();
    const outbox = makeOutbox(handle, clock);
    const id = await outbox.enqueue(handle.db, resetMail({ secrets: [TEMP_PASSWORD] }));
    await new DeliveryWorker({ db: handle.db, clock, transport: okTransport(), seal: TEST_SEAL }).runOnce();
    clock.advance(1000);
    assert.equal(await outbox.purge({ sent: true, before: clock.now() }), 1);
    const left = await handle.db.withTables<{ outbox_masked: { om_outbox: number } }>().selectFrom('outbox_masked').selectAll().execute();
    assert.deepEqual(left, []);
    assert.equal(await outbox.view(id), undefined);
  } finally {
    await handle.close();
  }
});

test('counters in one place: process counts, queue figures, latency, Prometheus text', async () => {
  const handle = await memoryDb();
  try {
    const clock = new ManualClock();
    const metrics = new MailMetrics();
    const outbox = new Outbox({ db: handle.db, clock, random: cryptoRandom, from: 'w@example.org', fromName: 'W', domain: 'example.org', metrics, seal: TEST_SEAL });
    const shared = outbox;
    assert.equal(shared.metrics, metrics);
    let fail = 1;
    const transport: MailTransport = {
      async send(m) {
        if (m.to === 'perm@example.org') throw new TransportError('554 no', false, 554);
        if (fail-- > 0) throw new TransportError('451 later', true, 451);
      },
      close: async () => {},
    };
    const worker = new DeliveryWorker({ db: handle.db, clock, transport, metrics, baseDelayMs: 1000 });
    await outbox.enqueue(handle.db, resetMail());
    clock.advance(2000);
    await outbox.enqueue(handle.db, resetMail({ to: 'perm@example.org' }));
    clock.advance(3000);
    await outbox.enqueue(handle.db, resetMail({ to: 'later@example.org' }));
    let s = await shared.stats();
    assert.deepEqual(s.queue, { queued: 3, sending: 0, sent: 0, failed: 0 });
    assert.equal(s.oldestWaitingMs, 5000);
    assert.equal(s.dueNow, 3);

    await worker.runOnce(); // first: 451 → retry; second: 554 → failed; third: sent
    s = await shared.stats();
    assert.deepEqual(s.queue, { queued: 1, sending: 0, sent: 1, failed: 1 });
    assert.equal(s.dueNow, 0);
    assert.equal(s.retrying, 1);
    assert.equal(s.oldestWaitingMs, 5000);
    assert.deepEqual(s.process, { attempts: 3, sent: 1, failed: 1, retries: 1, takeovers: 0, released: 0 });
    assert.deepEqual(s.latencyMs, { count: 1, p50: 0, p99: 0, max: 0 });

    clock.advance(10_000);
    await worker.runOnce();
    s = await shared.stats();
    assert.equal(s.process.sent, 2);
    assert.equal(s.oldestWaitingMs, 0);
    assert.equal(s.latencyMs.max, 15_000, 'queued 15 s before it went out');

    const text = prometheusText(s);
    assert.match(text, /^mwauth_mail_outbox_messages\{status="sent"\} 2$/m);
    assert.match(text, /^mwauth_mail_retries_total 1$/m);
    assert.match(text, /^mwauth_mail_queue_latency_seconds\{quantile="0.99"\} 15$/m);
    assert.match(text, /^mwauth_mail_queue_latency_seconds_count 2$/m);
    assert.deepEqual(await shared.sentLatencies(0), [15_000, 0]);
  } finally {
    await handle.close();
  }
});

test('percentile and summarize', () => {
  assert.equal(percentile([], 50), null);
  const v = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(v, 50), 50);
  assert.equal(percentile(v, 99), 99);
  assert.equal(percentile(v, 100), 100);
  assert.deepEqual(summarize([3, 1, 2]), { count: 3, p50: 2, p99: 3, max: 3 });
  const m = new MailMetrics(3);
  for (const x of [100, 1, 2, 3]) m.observeLatency(x);
  assert.deepEqual(m.latency(), { count: 3, p50: 2, p99: 3, max: 3 }, 'a ring keeps the latest values');
});
