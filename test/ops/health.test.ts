// GET /healthz (the process is alive) and GET /readyz (database, Redis when configured, workers running
// and not stuck): 200 with a small JSON body, or 503 naming what is not ready.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { readiness } from '../../src/ops/health.js';
import { WorkerWatch, STUCK_MS } from '../../src/ops/workers.js';
import { buildApp } from '../../src/server.js';
import { createServices } from '../../src/services.js';
import type { MailTransport } from '../../src/mail/transport.js';
import { ManualClock } from '../helpers/clock.js';
import { Client, addUser, startTestServer } from '../helpers/harness.js';
import { REDIS_URL, redisPrefix, skipUnless } from '../helpers/services.js';

test('/healthz and /readyz on a working node: 200, small JSON bodies, never cached; HEAD too', async (t) => {
  const srv = await startTestServer();
  t.after(() => srv.close());
  const h = await fetch(`${srv.url}/healthz`);
  assert.equal(h.status, 200);
  assert.equal(h.headers.get('cache-control'), 'no-store');
  assert.deepEqual(await h.json(), { status: 'alive' });
  const r = await fetch(`${srv.url}/readyz`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
  assert.deepEqual(await r.json(), { status: 'ready', checks: { database: 'ok', 'worker:reset': 'ok', 'worker:mail': 'ok' } });
  assert.equal((await fetch(`${srv.url}/readyz`, { method: 'HEAD' })).status, 200);
  // Beside other paths: a custom script path does not move them.
  assert.equal((await fetch(`${srv.url}/w/healthz`)).status, 404);
});

test('/readyz with Redis configured checks it too', { skip: await skipUnless('redis') }, async (t) => {
  const srv = await startTestServer({ env: { MWAUTH_REDIS_URL: REDIS_URL, MWAUTH_REDIS_PREFIX: await redisPrefix(t) } });
  t.after(() => srv.close());
  const r = await fetch(`${srv.url}/readyz`);
  assert.equal(r.status, 200);
  assert.deepEqual((await r.json()).checks, { database: 'ok', redis: 'ok', 'worker:reset': 'ok', 'worker:mail': 'ok' });
});

test('/readyz: a node whose workers do not run is not ready, naming them', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mwauth-ready-'));
  const services = await createServices(loadConfig({ MWAUTH_DATA_DIR: dir, MWAUTH_PORT: '0' }));
  const app = await buildApp(services);
  t.after(async () => {
    await app.close();
    await services.close(0);
    rmSync(dir, { recursive: true, force: true });
  });
  const r = await app.inject({ method: 'GET', url: '/readyz' });
  assert.equal(r.statusCode, 503);
  assert.deepEqual(r.json(), {
    status: 'unavailable',
    failing: ['worker:reset', 'worker:mail'],
    checks: { database: 'ok', 'worker:reset': 'not running', 'worker:mail': 'not running' },
  });
  services.startWorkers();
  assert.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
  assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
});

test('/readyz: a mail delivery that hangs makes the node unready after ten minutes without progress, and ready again when it moves', async (t) => {
  const clock = new ManualClock(Date.now());
  let release: (() => void) | null = null;
  let sends = 0;
  const hanging: MailTransport = {
    send: () => {
      sends++;
      return new Promise<void>((resolve) => (release = resolve));
    },
    close: async () => {},
  };
  const dir = mkdtempSync(join(tmpdir(), 'mwauth-stuck-'));
  const { startServer } = await import('../../src/server.js');
  const srv = await startServer(loadConfig({ MWAUTH_DATA_DIR: dir, MWAUTH_PORT: '0', MWAUTH_SERVER: 'http://wiki.test', MWAUTH_MAIL_SHUTDOWN_GRACE: '0' }), { clock, transport: hanging });
  t.after(async () => {
    (release as (() => void) | null)?.();
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await addUser(srv.services, 'Alice', 'Alice-Pass-1', { email: 'alice@example.org' });
  const reset = await new Client(`${srv.url}/w/api.php`).post({ action: 'resetpassword', user: 'Alice', token: '+\\' });
  assert.equal(reset.json.resetpassword.status, 'success');
  await srv.services.recoveryWorker.kick();
  for (let i = 0; i < 200 && sends === 0; i++) await new Promise((r) => setTimeout(r, 25));
  assert.equal(sends, 1, 'the send started (and hangs)');
  const ready = async () => {
    const r = await fetch(`${srv.url}/readyz`);
    return { status: r.status, body: await r.json() };
  };
  assert.equal((await ready()).status, 200, 'a send in progress is not stuck');
  clock.advance(STUCK_MS - 1000);
  await srv.services.recoveryWorker.kick(); // the reset worker's passes go on
  assert.equal((await ready()).status, 200, 'not yet: under ten minutes');
  clock.advance(2000);
  await srv.services.recoveryWorker.kick();
  const stuck = await ready();
  assert.equal(stuck.status, 503);
  assert.deepEqual(stuck.body.failing, ['worker:mail']);
  assert.match(stuck.body.checks['worker:mail'], /^stuck: no progress for 601 s \(limit 600 s\)$/);
  assert.equal(stuck.body.checks['worker:reset'], 'ok');
  release!();
  for (let i = 0; i < 200 && (await ready()).status !== 200; i++) await new Promise((r) => setTimeout(r, 25));
  assert.equal((await ready()).status, 200, 'ready again once the send finished');
});

test('readiness: a check that does not answer fails after two seconds, naming itself; a worker long at work with progress is not stuck', async () => {
  const clock = new ManualClock(1_000_000);
  const busy = new WorkerWatch('mail', clock);
  busy.start();
  let finish!: () => void;
  void busy.pass(new Promise<number>((r) => (finish = () => r(0))));
  const failures: string[] = [];
  const deps = {
    database: () => new Promise(() => {}),
    redis: async () => 'PONG',
    workers: [busy],
    now: () => clock.now(),
    onFailure: (check: string) => void failures.push(check),
  };
  clock.advance(STUCK_MS * 3);
  busy.progress(); // a long pass that handles items
  const r = await readiness(deps);
  assert.equal(r.ready, false);
  assert.deepEqual(r.failing, ['database']);
  assert.deepEqual(r.checks, { database: 'no answer within 2 s', redis: 'ok', 'worker:mail': 'ok' });
  assert.deepEqual(failures, ['database']);
  assert.equal(busy.state().busyMs, STUCK_MS * 3);
  finish();
});
