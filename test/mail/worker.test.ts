import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { ManualClock } from '../../src/util/clock.js';
import { TransportError, type MailTransport, type OutboundMessage } from '../../src/mail/transport.js';
import { DeliveryWorker, headerFromAddress } from '../../src/mail/worker.js';
import { makeOutbox, memoryDb, resetMail } from './helpers.js';

/** A transport whose sends complete when the test says so. */
function manualTransport() {
  const pending: Array<{ msg: OutboundMessage; resolve: () => void; reject: (e: Error) => void }> = [];
  const sent: OutboundMessage[] = [];
  let auto = false;
  const t: MailTransport & { pending: typeof pending; sent: typeof sent; autoAccept(): void } = {
    pending,
    sent,
    autoAccept: () => void (auto = true),
    send: (msg) =>
      auto
        ? (sent.push(msg), Promise.resolve())
        : new Promise<void>((resolve, reject) => pending.push({ msg, resolve: () => (sent.push(msg), resolve()), reject })),
    close: async () => {},
  };
  return t;
}

async function until(cond: () => boolean | Promise<boolean>, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not reached');
    await sleep(5);
  }
}

test('headerFromAddress reads the From header address', () => {
  assert.equal(headerFromAddress('To: x@y\r\nFrom: "A <b>" <wiki@example.org>\r\n\r\nFrom: no@no'), 'wiki@example.org');
  assert.equal(headerFromAddress('From: bare@example.org\r\n\r\nbody'), 'bare@example.org');
});

test('an expired lease is taken over; the late worker does not overwrite the outcome', async () => {
  const handle = await memoryDb();
  try {
    const clock = new ManualClock();
    const outbox = makeOutbox(handle, clock);
    const id = await outbox.enqueue(handle.db, resetMail());
    const slow = manualTransport();
    const fast = manualTransport();
    fast.autoAccept();
    const wa = new DeliveryWorker({ db: handle.db, clock, transport: slow, leaseMs: 60_000 });
    const wb = new DeliveryWorker({ db: handle.db, clock, transport: fast, leaseMs: 60_000 });

    const runA = wa.runOnce();
    await until(() => slow.pending.length === 1);
    assert.equal((await outbox.get(id))?.ob_status, 'sending');
    assert.equal(await wb.runOnce(), 0, 'lease still held');
    clock.advance(60_001);
    assert.equal(await wb.runOnce(), 1, 'lease expired: taken over');
    assert.equal(fast.sent.length, 1);
    assert.equal(fast.sent[0]!.from, 'wiki@example.org', 'envelope sender from the From header');

    slow.pending[0]!.reject(new TransportError('421 too slow', true, 421));
    assert.equal(await runA, 1);
    const row = await outbox.get(id);
    assert.equal(row?.ob_status, 'sent');
    assert.equal(row?.ob_attempts, 2);
    assert.equal(row?.ob_last_error, null);
  } finally {
    await handle.close();
  }
});

test('start, kick and stop', async () => {
  const handle = await memoryDb();
  try {
    const clock = new ManualClock();
    const outbox = makeOutbox(handle, clock);
    const transport = manualTransport();
    transport.autoAccept();
    const worker = new DeliveryWorker({ db: handle.db, clock, transport });
    await outbox.enqueue(handle.db, resetMail());
    worker.start(60_000); // polls rarely: only kick() can make the second delivery quick
    await until(() => transport.sent.length === 1); // the first run happens at once
    await outbox.enqueue(handle.db, resetMail({ userId: 2 }));
    for (let i = 0; i < 5; i++) worker.kick();
    await until(() => transport.sent.length === 2);
    assert.equal(await worker.stop(1000), true);
    await outbox.enqueue(handle.db, resetMail({ userId: 3 }));
    worker.kick(); // ignored once stopped
    await sleep(50);
    assert.equal(transport.sent.length, 2);
  } finally {
    await handle.close();
  }
});

test('stop waits for an in-flight send up to the grace period', async () => {
  const handle = await memoryDb();
  try {
    const clock = new ManualClock();
    const outbox = makeOutbox(handle, clock);
    const transport = manualTransport();
    const worker = new DeliveryWorker({ db: handle.db, clock, transport });
    const first = await outbox.enqueue(handle.db, resetMail());
    const second = await outbox.enqueue(handle.db, resetMail({ userId: 2 }));
    worker.start(10);
    await until(() => transport.pending.length === 1);

    // Not finished within the grace period.
    assert.equal(await worker.stop(30), false);

    // Finished within it; and no further row is claimed after stop().
    const again = worker.stop(2000);
    setTimeout(() => transport.pending[0]!.resolve(), 20);
    assert.equal(await again, true);
    assert.equal((await outbox.get(first))?.ob_status, 'sent');
    assert.equal((await outbox.get(second))?.ob_status, 'queued');
    assert.equal(transport.pending.length, 1);
  } finally {
    await handle.close();
  }
});

test('a non-TransportError from a transport is retried', async () => {
  const handle = await memoryDb();
  try {
    const clock = new ManualClock();
    const outbox = makeOutbox(handle, clock);
    const id = await outbox.enqueue(handle.db, resetMail());
    const transport: MailTransport = { send: async () => { throw new Error('boom'); }, close: async () => {} };
    const worker = new DeliveryWorker({ db: handle.db, clock, transport });
    assert.equal(await worker.runOnce(), 1);
    const row = await outbox.get(id);
    assert.equal(row?.ob_status, 'queued');
    assert.equal(row?.ob_last_error, 'boom');
  } finally {
    await handle.close();
  }
});
