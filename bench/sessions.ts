// npm run bench:sessions [-- --requests 20000 --logins 200 --no-redis]
//
// What anonymous visitors and logins cost in stored sessions, on SQLite and on Redis (MWAUTH_REDIS_URL,
// default redis://127.0.0.1:6379, under a prefix of its own that is removed afterwards):
//   - `--requests` anonymous GETs without cookies, half of Special:UserLogin and half of
//     meta=tokens&type=login: session rows or Redis keys afterwards, and Redis memory (used_memory);
//   - `--logins` action=login logins: rows or keys, and the bytes one logged-in session takes in Redis
//     (MEMORY USAGE of its key);
//   - with those bytes, what one address can make Redis hold at most under MWAUTH_SESSION_IP_LIMIT.
// The server runs in this process (app.inject(), no socket), on a fresh data folder each time.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { createPasswordHasher } from '../src/auth/passwords.js';
import { loadConfig } from '../src/config.js';
import { buildApp } from '../src/server.js';
import { createServices } from '../src/services.js';

const { values: args } = parseArgs({
  options: {
    requests: { type: 'string', default: '20000' },
    logins: { type: 'string', default: '200' },
    'no-redis': { type: 'boolean', default: false },
  },
});
const REQUESTS = Number(args.requests);
const LOGINS = Number(args.logins);
const REDIS_URL = process.env.MWAUTH_REDIS_URL || 'redis://127.0.0.1:6379';

async function scan(r: Redis, prefix: string): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    out.push(...keys);
    cursor = next;
  } while (cursor !== '0');
  return out;
}

async function usedMemory(r: Redis): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await r.info('memory'))![1]);
}

async function run(backend: 'sqlite' | 'redis'): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mwauth-bench-sessions-'));
  const prefix = `mwauth-bench:${randomBytes(4).toString('hex')}:`;
  const redis = backend === 'redis' ? new Redis(REDIS_URL) : null;
  const env: Record<string, string> = { MWAUTH_DATA_DIR: dir, MWAUTH_SERVER: 'http://wiki.test', MWAUTH_SESSION_IP_LIMIT: `${LOGINS + 10}/3600` };
  if (redis) Object.assign(env, { MWAUTH_REDIS_URL: REDIS_URL, MWAUTH_REDIS_PREFIX: prefix });
  const services = await createServices(loadConfig(env), { hasher: createPasswordHasher({ iterations: 1000 }) });
  const app = await buildApp(services);
  const stored = async () =>
    redis ? (await scan(redis, prefix)).length : Number((await services.db.selectFrom('session').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  try {
    await services.users.create({ name: 'Alice', passwordHash: await services.hasher.hash('Alice-Pass-1') });
    const memBefore = redis ? await usedMemory(redis) : 0;
    const started = process.hrtime.bigint();
    let cookies = 0;
    for (let i = 0; i < REQUESTS; i++) {
      const r = await app.inject({ method: 'GET', url: i % 2 ? '/w/api.php?action=query&meta=tokens&type=login&format=json' : '/wiki/Special:UserLogin' });
      if (r.statusCode !== 200) throw new Error(`request ${i}: HTTP ${r.statusCode}`);
      if ([r.headers['set-cookie'] ?? []].flat().some((l) => String(l).startsWith('mwauth_session='))) cookies++;
    }
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const anonStored = await stored();
    const memAnon = redis ? (await usedMemory(redis)) - memBefore : 0;
    console.log(`${backend}: ${REQUESTS} anonymous GETs in ${(ms / 1000).toFixed(1)} s (${(ms / REQUESTS).toFixed(3)} ms each), ${cookies} session cookies set`);
    console.log(`${backend}:   stored afterwards: ${anonStored} ${redis ? 'Redis keys' : 'session rows'}${redis ? `, Redis used_memory ${memAnon >= 0 ? '+' : ''}${memAnon} bytes` : ''}`);

    let sessionKey = '';
    for (let i = 0; i < LOGINS; i++) {
      const t = await app.inject({ method: 'GET', url: '/w/api.php?action=query&meta=tokens&type=login&format=json' });
      const cookie = [t.headers['set-cookie']].flat()[0]!.split(';')[0]!;
      const lgtoken = JSON.parse(t.body).query.tokens.logintoken as string;
      const r = await app.inject({
        method: 'POST',
        url: '/w/api.php',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ action: 'login', lgname: 'Alice', lgpassword: 'Alice-Pass-1', lgtoken, format: 'json' }).toString(),
      });
      if (JSON.parse(r.body).login.result !== 'Success') throw new Error(`login ${i}: ${r.body}`);
    }
    const loginStored = (await stored()) - anonStored;
    let perSession = 0;
    if (redis) {
      sessionKey = (await scan(redis, `${prefix}session:`))[0]!;
      perSession = Number(await redis.call('MEMORY', 'USAGE', sessionKey));
    }
    console.log(`${backend}: ${LOGINS} logins with action=login: +${loginStored} ${redis ? "Redis keys (the sessions, the account's index, the address's count)" : 'session rows'}`);
    if (redis) {
      const [count, seconds] = services.config.sessionIpLimit;
      const dflt = loadConfig({ MWAUTH_DATA_DIR: dir }).sessionIpLimit;
      console.log(`${backend}:   one logged-in session: ${perSession} bytes (MEMORY USAGE); this run's limit ${count}/${seconds}`);
      console.log(
        `${backend}:   at the default MWAUTH_SESSION_IP_LIMIT ${dflt[0]}/${dflt[1]}, one address starts at most ${dflt[0]} stored sessions an hour: ≈ ${((dflt[0] * perSession) / 1024 / 1024).toFixed(2)} MiB, each gone ${services.config.sessionIdleSeconds} s after its last use`,
      );
    }
  } finally {
    await app.close();
    await services.close(0);
    if (redis) {
      const keys = await scan(redis, prefix);
      for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
      redis.disconnect();
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

await run('sqlite');
if (!args['no-redis']) await run('redis');
