// The log: at the default level (info) no line per request; at debug exactly one, when it is answered,
// with the path but never the query string, a cookie or a password.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '../helpers/harness.js';
import { freePort, runCli, startServe } from '../helpers/process.js';

async function run(t: { after(fn: () => void): void }, level: string | null): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'mwauth-log-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const vars = { MWAUTH_DATA_DIR: dir, MWAUTH_SERVER: 'http://wiki.test', ...(level ? { MWAUTH_LOG_LEVEL: level } : {}) };
  const added = await runCli(['user', 'add', 'Alice', '--password', 'Alice-Pass-1'], vars);
  assert.equal(added.code, 0, added.stderr);
  const port = await freePort();
  const node = await startServe({ ...vars, MWAUTH_PORT: String(port) });
  try {
    const c = new Client(`http://127.0.0.1:${port}/w/api.php`);
    assert.equal((await c.login('Alice', 'Alice-Pass-1')).result, 'Success');
    await c.get({ action: 'query', meta: 'userinfo', secretish: 'Query-Value-77' });
    await fetch(`http://127.0.0.1:${port}/readyz`);
  } finally {
    await node.stop();
  }
  return node.output().split('\n').filter((l) => l.startsWith('{'));
}

test('MWAUTH_LOG_LEVEL=info (the default): no request lines', async (t) => {
  const lines = await run(t, null);
  assert.ok(lines.length > 0, 'it logs (start-up, shutdown)');
  assert.deepEqual(lines.filter((l) => /"req"|request completed|incoming request/.test(l)), []);
});

test('MWAUTH_LOG_LEVEL=debug: one line per request, path only, no cookie or password', async (t) => {
  const lines = await run(t, 'debug');
  const requests = lines.map((l) => JSON.parse(l) as Record<string, any>).filter((l) => l.msg === 'request completed');
  // meta=tokens, login, userinfo and /readyz.
  assert.equal(requests.length, 4, lines.join('\n'));
  assert.deepEqual(requests.map((r) => r.level), [20, 20, 20, 20]);
  assert.deepEqual(requests.map((r) => r.req.path), ['/w/api.php', '/w/api.php', '/w/api.php', '/readyz']);
  assert.deepEqual(requests.map((r) => r.res.statusCode), [200, 200, 200, 200]);
  assert.ok(requests.every((r) => r.req.ip === '127.0.0.1' && typeof r.responseTime === 'number'));
  const all = lines.join('\n');
  for (const s of ['Alice-Pass-1', 'Query-Value-77', 'mwauth_session=', 'lgtoken']) assert.ok(!all.includes(s), s);
  assert.equal(lines.filter((l) => l.includes('incoming request')).length, 0);
});

test('MWAUTH_LOG_LEVEL must be one of debug, info, warn, error', async () => {
  const r = await runCli(['serve'], { MWAUTH_DATA_DIR: '/tmp/mwauth-never', MWAUTH_LOG_LEVEL: 'verbose' });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /configuration error: MWAUTH_LOG_LEVEL takes debug, info, warn, error, got "verbose"/);
});
