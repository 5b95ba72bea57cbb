import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { systemClock } from '../../src/util/clock.js';
import { ManualClock } from '../helpers/clock.js';
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

test('sends run `concurrency` at a time, never more', async () => {
  const handle = await memoryDb();
  try {
    const clock = new ManualClock();
    const outbox = makeOutbox(handle, clock);
    for (let i = 0; i < 7; i++) await outbox.enqueue(handle.db, resetMail({ userId: i + 1, to: `u${i}@example.net` }));
    const transport = Object.assign(manualTransport(), { concurrency: 3 });
    const worker = new DeliveryWorker({ db: handle.db, clock, transport });
    const run = worker.runOnce();
    await until(() => transport.pending.length === 3);
    await sleep(30);
    assert.equal(transport.pending.length, 3, 'a fourth waits for a free slot');
    let maxInFlight = 0;
    while (transport.sent.length < 7) {
      const open = transport.pending.length - transport.sent.length;
      maxInFlight = Math.max(maxInFlight, open);
      const next = transport.pending[transport.sent.length];
      if (next) next.resolve();
      await sleep(5);
    }
    assert.equal(await run, 7);
    assert.equal(maxInFlight, 3);
    assert.deepEqual(await outbox.counts(), { queued: 0, sending: 0, sent: 7, failed: 0 });
  } finally {
    await handle.close();
  }
});

test('a long send renews its lease: another worker does not take it over', async () => {
  const handle = await memoryDb();
  try {
    const outbox = makeOutbox(handle, systemClock);
    const id = await outbox.enqueue(handle.db, resetMail());
    const slow = manualTransport();
    const other = manualTransport();
    other.autoAccept();
    const wa = new DeliveryWorker({ db: handle.db, clock: systemClock, transport: slow, leaseMs: 600 });
    const wb = new DeliveryWorker({ db: handle.db, clock: systemClock, transport: other, leaseMs: 600 });
    const runA = wa.runOnce();
    await until(() => slow.pending.length === 1);
    const first = (await outbox.get(id))!.ob_lease_until!;
    for (let i = 0; i < 6; i++) {
      await sleep(250);
      assert.equal(await wb.runOnce(), 0, `still held after ${(i + 1) * 250} ms`);
    }
    assert.ok((await outbox.get(id))!.ob_lease_until! > first + 1000, 'the lease moved on');
    slow.pending[0]!.resolve();
    assert.equal(await runA, 1);
    const row = await outbox.get(id);
    assert.equal(row?.ob_status, 'sent');
    assert.equal(row?.ob_attempts, 1);
    assert.equal(other.sent.length, 0);
  } finally {
    await handle.close();
  }
});

test('stop after the grace period gives unfinished sends back to the queue', async () => {
  const handle = await memoryDb();
  try {
    const clock = new ManualClock();
    const outbox = makeOutbox(handle, clock);
    const a = await outbox.enqueue(handle.db, resetMail({ userId: 1 }));
    const b = await outbox.enqueue(handle.db, resetMail({ userId: 2 }));
    const c = await outbox.enqueue(handle.db, resetMail({ userId: 3 }));
    const transport = Object.assign(manualTransport(), { concurrency: 2 });
    const worker = new DeliveryWorker({ db: handle.db, clock, transport, leaseMs: 60_000 });
    worker.start(10);
    await until(() => transport.pending.length === 2);
    assert.equal(await worker.stop(50), false);
    for (const id of [a, b]) {
      const row = await outbox.get(id);
      assert.equal(row?.ob_status, 'queued', 'due again at once, no lease to wait for');
      assert.equal(row?.ob_lease_until, null);
      assert.equal(row?.ob_next_attempt, clock.now());
      assert.equal(row?.ob_last_error, 'interrupted by shutdown');
    }
    assert.equal((await outbox.get(c))?.ob_attempts, 0, 'never claimed');
    assert.equal(worker.metrics.counters.released, 2);
    // One finishes after all: recorded as sent. The other fails late: the queue entry stays.
    transport.pending[0]!.resolve();
    transport.pending[1]!.reject(new TransportError('cut off', true));
    await sleep(30);
    assert.equal((await outbox.get(a))?.ob_status, 'sent');
    const rb = await outbox.get(b);
    assert.equal(rb?.ob_status, 'queued');
    assert.equal(rb?.ob_last_error, 'interrupted by shutdown');
  } finally {
    await handle.close();
  }
});

test('a transport failure pauses the worker, then one message probes until it works again', async () => {
  const handle = await memoryDb();
  try {
    const clock = new ManualClock();
    const outbox = makeOutbox(handle, clock);
    for (let i = 0; i < 10; i++) await outbox.enqueue(handle.db, resetMail({ userId: i + 1, to: `u${i}@example.net` }));
    let down = true;
    const sent: string[] = [];
    const transport: MailTransport = {
      concurrency: 3,
      async send(m) {
        if (down) throw new TransportError('connect ECONNREFUSED 127.0.0.1:25', true, undefined, { scope: 'transport' });
        sent.push(m.to);
      },
      close: async () => {},
    };
    const worker = new DeliveryWorker({ db: handle.db, clock, transport, baseDelayMs: 1000, maxPauseMs: 5000 });
    assert.equal(await worker.runOnce(), 3, 'the first round fails as a whole');
    assert.ok(worker.pausedUntilMs > clock.now());
    assert.equal(await worker.runOnce(), 0, 'paused');
    clock.advance(2000);
    assert.equal(await worker.runOnce(), 1, 'one probe');
    clock.advance(5000);
    assert.equal(await worker.runOnce(), 1, 'one probe, the pause is capped at maxPauseMs');
    const tried = (await outbox.list({ limit: 100 })).filter((r) => r.ob_attempts > 0).length;
    assert.equal(tried, 5, 'only 5 of 10 messages used an attempt during the outage');
    down = false;
    clock.advance(5000);
    await worker.runOnce();
    assert.equal(worker.pausedUntilMs, 0, 'a success ends the pause');
    clock.advance(3_600_000);
    await worker.runOnce();
    assert.equal(sent.length, 10);
    assert.equal(new Set(sent).size, 10);
    assert.deepEqual(await outbox.counts(), { queued: 0, sending: 0, sent: 10, failed: 0 });
  } finally {
    await handle.close();
  }
});

test('a message-level failure does not pause the worker', async () => {
  const handle = await memoryDb();
  try {
    const clock = new ManualClock();
    const outbox = makeOutbox(handle, clock);
    for (let i = 0; i < 4; i++) await outbox.enqueue(handle.db, resetMail({ userId: i + 1, to: i === 0 ? 'bad@example.net' : `u${i}@example.net` }));
    const transport: MailTransport = {
      async send(m) {
        if (m.to === 'bad@example.net') throw new TransportError('452 mailbox full', true, 452);
      },
      close: async () => {},
    };
    const worker = new DeliveryWorker({ db: handle.db, clock, transport });
    assert.equal(await worker.runOnce(), 4);
    assert.equal(worker.pausedUntilMs, 0);
    assert.equal((await outbox.counts()).sent, 3);
  } finally {
    await handle.close();
  }
});

test('onOutcome reports every recorded outcome: retry, failed, sent', async () => {
  const handle = await memoryDb();
  try {
    const clock = new ManualClock();
    const outbox = makeOutbox(handle, clock);
    const a = await outbox.enqueue(handle.db, resetMail({ to: 'a@example.net' }));
    const b = await outbox.enqueue(handle.db, resetMail({ to: 'b@example.net' }));
    let first = true;
    const transport: MailTransport = {
      async send(m) {
        if (m.to === 'b@example.net') throw new TransportError('550 no', false, 550);
        if (first) {
          first = false;
          throw new TransportError('451 later', true, 451);
        }
      },
      close: async () => {},
    };
    const seen: Array<[number, string, string | undefined]> = [];
    const worker = new DeliveryWorker({
      db: handle.db, clock, transport,
      onOutcome: (o) => {
        seen.push([o.id, o.status, o.error]);
        throw new Error('a listener error does not break delivery');
      },
    });
    await worker.runOnce();
    clock.advance(60_000);
    await worker.runOnce();
    assert.deepEqual(seen, [[a, 'retry', '451 later'], [b, 'failed', '550 no'], [a, 'sent', undefined]]);
    assert.equal((await outbox.get(a))?.ob_status, 'sent');
  } finally {
    await handle.close();
  }
});

test('a message whose every worker died sending it is failed when claimed once too often, without another send', async () => {
  const handle = await memoryDb();
  try {
    const clock = new ManualClock();
    const outbox = makeOutbox(handle, clock);
    const id = await outbox.enqueue(handle.db, resetMail());
    const transport = manualTransport();
    transport.autoAccept();
    const seen: string[] = [];
    const worker = new DeliveryWorker({ db: handle.db, clock, transport, maxAttempts: 3, leaseMs: 1000, onOutcome: (o) => void seen.push(`${o.status} ${o.attempt} ${o.error}`) });
    // Three sends were started and each worker died mid-send: the row is 'sending' under a lease that ran out.
    await handle.db.updateTable('outbox').set({ ob_status: 'sending', ob_attempts: 3, ob_lease_until: clock.now() - 1, ob_lease_owner: 'dead' }).where('ob_id', '=', id).execute();
    assert.equal(await worker.runOnce(), 1);
    assert.equal(transport.sent.length, 0, 'not sent a fourth time');
    const row = await outbox.get(id);
    assert.equal(row?.ob_status, 'failed');
    assert.equal(row?.ob_attempts, 4);
    assert.equal(row?.ob_processed, clock.now());
    assert.equal(row?.ob_lease_until, null);
    assert.equal(row?.ob_last_error, 'delivery interrupted (lease expired) and no attempts left');
    assert.deepEqual(seen, ['failed 4 delivery interrupted (lease expired) and no attempts left']);
    assert.deepEqual([worker.metrics.counters.takeovers, worker.metrics.counters.failed, worker.metrics.counters.attempts], [1, 1, 0]);
  } finally {
    await handle.close();
  }
});
