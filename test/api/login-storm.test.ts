// Password hashing runs on libuv's threadpool, a few at a time, never on the event loop: while a storm of
// logins waits for its slow hashes, token requests (which hash nothing) are answered at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { startServer } from '../../src/server.js';
import { apiPath } from '../../src/site/urls.js';
import { createPasswordHasher } from '../../src/auth/passwords.js';
import { Client, addUser } from '../helpers/harness.js';

test('during a storm of logins, each needing a slow hash, token requests are answered before the storm is over', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mwauth-storm-'));
  const config = loadConfig({ MWAUTH_DATA_DIR: dir, MWAUTH_PORT: '0', MWAUTH_SERVER: 'http://wiki.test', MWAUTH_PASSWORD_SENDER: 'wiki@wiki.test', MWAUTH_LOGIN_THROTTLE: 'none', MWAUTH_LOGIN_ACCOUNT_THROTTLE: 'none' });
  // A slow hash (tens of milliseconds or more each), two at a time: 16 logins take a while.
  const server = await startServer(config, { hasher: createPasswordHasher({ iterations: 400_000 }) });
  t.after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const api = server.url + apiPath(config);
  await addUser(server.services, 'Stormy', 'Right-pass-1');

  const clients = await Promise.all(Array.from({ length: 16 }, async () => {
    const c = new Client(api);
    return { c, token: await c.token('login') };
  }));
  let finished = 0;
  const storm = clients.map(({ c, token }, i) =>
    c.post({ action: 'login', lgname: i % 2 ? 'Stormy' : 'Nobody at all', lgpassword: 'Wrong-pass-1', lgtoken: token }).then((r) => {
      finished++;
      return r.json.login.result;
    }),
  );
  // Sequential token requests while the logins wait for the hasher.
  const seenAt: number[] = [];
  for (let i = 0; i < 5; i++) {
    const r = await new Client(api).get({ action: 'query', meta: 'tokens', type: 'csrf|login' });
    assert.equal(r.status, 200);
    assert.ok(r.json.query.tokens.logintoken);
    seenAt.push(finished);
  }
  assert.ok(seenAt.every((n) => n < 16), `token answers came while logins were still waiting (logins done then: ${seenAt.join(', ')})`);
  const results = await Promise.all(storm);
  assert.deepEqual(new Set(results), new Set(['Failed']));
});
