// When Redis is not there: start-up stops with a message naming MWAUTH_REDIS_URL; a Redis that goes away
// while the server runs turns the requests that need it into MediaWiki-style internal errors, the
// process stays up, and it serves normally again once Redis is back. Uses a redis-server of its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Client } from '../helpers/harness.js';
import { freePort, runCli, startServe } from '../helpers/process.js';
import { SERVICES_REQUIRED } from '../helpers/services.js';

const serverMissing = spawnSync('redis-server', ['--version']).error ? 'redis-server is not installed (Debian: redis-server)' : false;
if (serverMissing && SERVICES_REQUIRED) throw new Error(`${serverMissing} (MWAUTH_REQUIRE_SERVICES=1)`);

test('a Redis that cannot be reached stops start-up, naming MWAUTH_REDIS_URL and never its password', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mwauth-redis-down-'));
  try {
    const port = await freePort(); // nothing listens there
    const r = await runCli(['serve'], { MWAUTH_DATA_DIR: dir, MWAUTH_PORT: '0', MWAUTH_REDIS_URL: `redis://:Redis-Secret-77@127.0.0.1:${port}/0` }, { timeoutMs: 30_000 });
    assert.equal(r.signal, null, `it stopped by itself:\n${r.stderr}`);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /cannot reach Redis at MWAUTH_REDIS_URL \(redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/0\)/);
    assert.ok(!r.stderr.includes('Redis-Secret-77') && !r.stdout.includes('Redis-Secret-77'), 'no password in the output');
    assert.doesNotMatch(r.stdout, /serving/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Redis going away: MediaWiki-style internal errors, the process stays up, and it recovers', { skip: serverMissing }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mwauth-redis-outage-'));
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let redis: ChildProcess | null = null;
  const startRedis = async () => {
    redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
    const probe = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    probe.on('error', () => {});
    const end = Date.now() + 10_000;
    for (;;) {
      try {
        await probe.connect();
        await probe.ping();
        break;
      } catch {
        assert.ok(Date.now() < end, 'redis-server did not start');
        probe.disconnect();
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    probe.disconnect();
  };
  const stopRedis = async () => {
    const child = redis;
    redis = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  };
  const vars = { MWAUTH_DATA_DIR: dir, MWAUTH_REDIS_URL: url, MWAUTH_LOG_LEVEL: 'warn', MWAUTH_SERVER: 'http://wiki.test' };
  await startRedis();
  const node = await (async () => {
    const added = await runCli(['user', 'add', 'Alice', '--password', 'Alice-Pass-1'], vars);
    assert.equal(added.code, 0, added.stderr);
    const apiPort = await freePort();
    return { serve: await startServe({ ...vars, MWAUTH_PORT: String(apiPort) }), api: `http://127.0.0.1:${apiPort}/w/api.php` };
  })().catch(async (err) => {
    await stopRedis();
    throw err;
  });
  try {
    const c = new Client(node.api);
    assert.equal((await c.login('Alice', 'Alice-Pass-1')).result, 'Success');

    await stopRedis();
    const info = await c.get({ action: 'query', meta: 'userinfo' });
    assert.equal(info.status, 503, info.text);
    assert.equal(info.headers.get('mediawiki-api-error'), 'internal_api_error_RedisUnavailableError');
    assert.equal(info.json.error.code, 'internal_api_error_RedisUnavailableError');
    assert.equal(info.json.error.errorclass, 'RedisUnavailableError');
    const reset = await new Client(node.api).post({ action: 'resetpassword', user: 'Alice', token: '+\\' });
    assert.equal(reset.json.error.code, 'internal_api_error_RedisUnavailableError', 'the per-IP limit needs Redis');
    assert.equal(reset.status, 503);
    const site = await new Client(node.api).get({ action: 'query', meta: 'siteinfo' });
    assert.equal(site.status, 200, 'what needs no session or counter still works');
    assert.ok(site.json.query.general.sitename);
    const anonymous = await new Client(node.api).get({ action: 'query', meta: 'tokens', type: 'login' });
    assert.equal(anonymous.status, 200, 'an anonymous session is stored nowhere: its login token needs no Redis');
    assert.match(anonymous.json.query.tokens.logintoken, /^[0-9a-f]{32}[0-9a-f]+\+\\$/);
    assert.equal(node.serve.child.exitCode, null, 'the process is still up');

    await startRedis();
    const fresh = new Client(node.api);
    const end = Date.now() + 15_000;
    for (;;) {
      // A request that needs Redis (the per-IP reset limit): a login token no longer does.
      const r = await fresh.post({ action: 'resetpassword', user: 'Nobody', token: '+\\' });
      if (r.status === 200 && r.json.resetpassword?.status === 'success') break;
      assert.ok(Date.now() < end, `not back within 15 s: ${r.text}`);
      await new Promise((res) => setTimeout(res, 100));
    }
    assert.equal((await fresh.login('Alice', 'Alice-Pass-1')).result, 'Success');
    assert.equal((await fresh.get({ action: 'query', meta: 'userinfo' })).json.query.userinfo.name, 'Alice');
    // This Redis kept nothing: the session from before the outage is gone, and action=login's
    // remembered login (the Token cookie) brings the user back in a new session.
    const oldSession = c.cookies.get('mwauth_session');
    assert.equal((await c.get({ action: 'query', meta: 'userinfo' })).json.query.userinfo.name, 'Alice');
    assert.notEqual(c.cookies.get('mwauth_session'), oldSession);
    assert.match(node.serve.output(), /Redis connection lost/);
  } finally {
    await node.serve.stop();
    await stopRedis();
    rmSync(dir, { recursive: true, force: true });
  }
});
