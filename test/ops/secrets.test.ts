// The server secret as a list: the first signs, every one verifies, so a secret is rotated without
// logging anyone out; every secret and every URL with a password can be read from a file; and a node
// whose secret is not the one the database was started with refuses to start, naming MWAUTH_SECRET.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config.js';
import { NoDelivery } from '../../src/mail/transport.js';
import { Keyring } from '../../src/secrets/keyring.js';
import { SecretMismatchError } from '../../src/secrets/fingerprint.js';
import { createServices } from '../../src/services.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { SessionIds } from '../../src/sessions/ids.js';
import { matchToken } from '../../src/sessions/tokens.js';
import { Client, addUser, readMails } from '../helpers/harness.js';
import { runCli } from '../helpers/process.js';
import { POSTGRES_ADMIN_URL, REDIS_URL, postgresDatabase, redisPrefix, skipUnless } from '../helpers/services.js';

const A = 'secret-A-0123456789abcdef';
const B = 'secret-B-0123456789abcdef';
const C = 'secret-C-0123456789abcdef';
const BOT_PW = 'botpassbotpassbotpassbotpassbot1';

function tempDir(t: { after(fn: () => void): void }, name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `mwauth-${name}-`));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const base = (dir: string) => ({ MWAUTH_DATA_DIR: dir, MWAUTH_PORT: '0', MWAUTH_SERVER: 'http://wiki.test', MWAUTH_PASSWORD_SENDER: 'wiki@wiki.test', MWAUTH_LOG_LEVEL: 'warn' });

test('rotating MWAUTH_SECRET: with "B,A" everyone stays logged in, old tokens and queued mail work and new tokens are B\'s; with "B" alone A\'s sessions end', async (t) => {
  const dir = tempDir(t, 'rotate');
  let srv: RunningServer | null = null;
  t.after(() => srv?.close());
  const start = async (secret: string, o: { hold?: boolean } = {}) => {
    srv = await startServer(loadConfig({ ...base(dir), MWAUTH_SECRET: secret }), o.hold ? { transport: new NoDelivery() } : {});
    return `${srv.url}/w/api.php`;
  };

  // Secret A. Reset mail is held back (a temporary failure): it waits in the outbox, sealed with A.
  let api = await start(A, { hold: true });
  const s = srv!.services;
  const alice = await addUser(s, 'Alice', 'Alice-Pass-1', { email: 'alice@example.org' });
  await s.botPasswords.set(alice.id, 'oracle', BOT_PW, ['basic']);
  await addUser(s, 'Bob', 'Bob-Pass-1');
  const remembered = new Client(api); // action=login: remembered ("Token" cookie)
  assert.equal((await remembered.login('Alice', 'Alice-Pass-1')).result, 'Success');
  const plain = new Client(api); // clientlogin without rememberMe: the session alone
  const cl = await plain.post({ action: 'clientlogin', username: 'Bob', password: 'Bob-Pass-1', loginreturnurl: 'http://wiki.test/', logintoken: await plain.token('login') });
  assert.equal(cl.json.clientlogin.status, 'PASS', cl.text);
  const bot = new Client(api);
  assert.equal((await bot.login('Alice@oracle', BOT_PW)).result, 'Success');
  const unused = new Client(api); // a remembered login that nobody uses while both secrets are listed
  assert.equal((await unused.login('Alice', 'Alice-Pass-1')).result, 'Success');
  const csrfA = await remembered.token('csrf');
  const anon = new Client(api);
  const loginTokenA = await anon.token('login');
  const reset = await new Client(api).post({ action: 'resetpassword', user: 'Alice', token: '+\\' });
  assert.equal(reset.json.resetpassword?.status, 'success', reset.text);
  await s.recoveryWorker.kick();
  const queued = await s.db.selectFrom('outbox').select(['ob_id', 'ob_raw', 'ob_status']).where('ob_kind', '=', 'password-reset').execute();
  assert.equal(queued.length, 1);
  assert.match(queued[0]!.ob_raw, /^mwauth-sealed:v1:/, 'sealed with A');
  await srv!.close();
  srv = null;
  // Due at once after the restart (rather than after the back-off of its failed attempt).
  const { openDatabase } = await import('../../src/storage/db.js');
  const h = await openDatabase({ databaseUrl: null, dataDir: dir });
  await h.db.updateTable('outbox').set({ ob_next_attempt: 0 }).execute();
  await h.close();

  // "B,A": B signs, A still verifies.
  api = await start(`${B},${A}`);
  for (const c of [remembered, plain, bot, anon, unused]) (c as { api: string }).api = api;
  const me = async (c: Client) => (await c.get({ action: 'query', meta: 'userinfo' })).json.query.userinfo.name as string;
  const sessionOf = (c: Client) => c.cookies.get('mwauth_session');
  const before = sessionOf(remembered);
  assert.equal(await me(remembered), 'Alice', 'the session made under A goes on');
  assert.equal(sessionOf(remembered), before, 'in the same session');
  assert.equal(await me(plain), 'Bob');
  assert.equal(await me(bot), 'Alice', 'a bot-password session too');
  const check = await remembered.post({ action: 'checktoken', type: 'csrf', token: csrfA });
  assert.equal(check.json.checktoken.result, 'valid', 'a token made under A is still good');
  const csrfB = await remembered.token('csrf');
  const ids = (secret: string) => new SessionIds(new Keyring(secret));
  const id = sessionOf(remembered)!;
  assert.ok(matchToken(csrfB, ids(B).tokenSecret(id, 'default'), ''), 'new tokens are signed with B');
  assert.ok(!matchToken(csrfB, ids(A).tokenSecret(id, 'default'), ''), '… not with A');
  assert.equal((await anon.post({ action: 'login', lgname: 'Bob', lgpassword: 'Bob-Pass-1', lgtoken: loginTokenA })).json.login.result, 'Success', 'a login token handed out under A logs in');
  // A remembered login made under A brings its user back in a new session (made with B).
  const back = new Client(api);
  for (const name of ['mwauthUserID', 'mwauthToken']) back.cookies.set(name, remembered.cookies.get(name)!);
  assert.equal(await me(back), 'Alice', 'the remembered login works');
  const newSession = sessionOf(back)!;
  assert.equal(ids(B).kind(newSession), 'stored', 'its new session id is B\'s');
  const fresh = new Client(api);
  assert.equal((await fresh.login('Bob', 'Bob-Pass-1')).result, 'Success');
  // The reset mail sealed with A is opened and sent, and its temporary password logs in.
  let mails: Awaited<ReturnType<typeof readMails>> = [];
  for (let i = 0; i < 200 && mails.length === 0; i++) {
    mails = await readMails(join(dir, 'mail'));
    if (mails.length === 0) await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(mails.length, 1, 'the mail queued under A went out');
  const temp = mails[0]!.tempPassword!;
  const cl2 = new Client(api);
  const tl = await cl2.post({ action: 'clientlogin', username: 'Alice', password: temp, loginreturnurl: 'http://wiki.test/', logintoken: await cl2.token('login') });
  assert.equal(tl.json.clientlogin.status, 'UI', tl.text);
  await srv!.close();
  srv = null;

  // "B" alone: what only A made ends; what was made or renewed under B stays.
  api = await start(B);
  for (const c of [remembered, plain, bot, fresh, back, unused]) (c as { api: string }).api = api;
  assert.equal(await me(fresh), 'Bob', 'a session made under B goes on');
  assert.equal(await me(back), 'Alice', '… and the one the remembered login started');
  assert.ok((await me(plain)).includes('.'), 'a session made under A ends (anonymous: an address)');
  assert.ok((await me(bot)).includes('.'), 'a bot-password session made under A ends');
  assert.equal(await me(remembered), 'Alice', 'a remembered login used while both were listed comes back');
  assert.ok((await me(unused)).includes('.'), 'a remembered login nobody used while both were listed ends');
  assert.equal((await remembered.post({ action: 'checktoken', type: 'csrf', token: csrfA })).json.checktoken.result, 'invalid', 'A\'s tokens are no longer good');
});

test('MWAUTH_SECRET: a list separated by commas (or lines, from a file); each secret at least 16 characters, none twice', (t) => {
  const dir = tempDir(t, 'secretlist');
  const load = (env: Record<string, string>) => loadConfig({ MWAUTH_DATA_DIR: dir, ...env }, { persistSecret: false });
  assert.deepEqual(load({ MWAUTH_SECRET: `${B}, ${A}` }).secrets, [B, A]);
  assert.deepEqual(load({ MWAUTH_SECRET: A }).secrets, [A]);
  assert.equal(load({ MWAUTH_SECRET: A }).generatedSecretFile, null);
  assert.throws(() => load({ MWAUTH_SECRET: `${B},short` }), (e: Error) => e instanceof ConfigError && /MWAUTH_SECRET: every secret must be at least 16 characters \(the second is 5\)/.test(e.message));
  assert.throws(() => load({ MWAUTH_SECRET: `${A},${A}` }), /MWAUTH_SECRET lists the same secret twice/);
  const file = join(dir, 'secrets');
  writeFileSync(file, `${B}\n${A}\n`);
  assert.deepEqual(load({ MWAUTH_SECRET_FILE: file }).secrets, [B, A]);
  const generated = load({});
  assert.equal(generated.generatedSecretFile, join(dir, 'secret.key'));
});

test('*_FILE forms: MWAUTH_SECRET, MWAUTH_DATABASE_URL, MWAUTH_REDIS_URL and MWAUTH_SMTP_URL read from files; both forms, a missing or empty file are refused without the value', (t) => {
  const dir = tempDir(t, 'filesettings');
  const load = (env: Record<string, string>) => loadConfig({ MWAUTH_DATA_DIR: dir, ...env }, { persistSecret: false });
  const put = (name: string, text: string) => {
    const f = join(dir, name);
    writeFileSync(f, text, { mode: 0o600 });
    return f;
  };
  const c = load({
    MWAUTH_SECRET_FILE: put('secret', `${A}\n`),
    MWAUTH_DATABASE_URL_FILE: put('db', 'postgres://mwauth:Db-Pass-77@db.internal:5432/mwauth\n'),
    MWAUTH_REDIS_URL_FILE: put('redis', 'redis://:Redis-Pass-77@redis.internal:6379/0\n'),
    MWAUTH_SMTP_URL_FILE: put('smtp', 'smtp://mail:Smtp-Pass-77@smtp.example.org:587\n'),
  });
  assert.deepEqual(c.secrets, [A]);
  assert.equal(c.databaseUrl, 'postgres://mwauth:Db-Pass-77@db.internal:5432/mwauth');
  assert.equal(c.redisUrl, 'redis://:Redis-Pass-77@redis.internal:6379/0');
  assert.equal(c.mail.smtp?.password, 'Smtp-Pass-77');
  assert.equal(c.smtpUrl, 'smtp://mail:***@smtp.example.org:587');
  for (const name of ['MWAUTH_SECRET', 'MWAUTH_DATABASE_URL', 'MWAUTH_REDIS_URL', 'MWAUTH_SMTP_URL']) {
    const value = name === 'MWAUTH_SECRET' ? A : name === 'MWAUTH_DATABASE_URL' ? 'postgres://u:Hidden-77@h/d' : name === 'MWAUTH_REDIS_URL' ? 'redis://:Hidden-77@h' : 'smtp://u:Hidden-77@h:587';
    const f = put(name, value);
    assert.throws(() => load({ [name]: value, [`${name}_FILE`]: f }), (e: Error) => e instanceof ConfigError && e.message === `${name} and ${name}_FILE are both set: give one of them`);
    assert.throws(() => load({ [`${name}_FILE`]: join(dir, 'missing') }), (e: Error) => e instanceof ConfigError && e.message.startsWith(`${name}_FILE: cannot read "${join(dir, 'missing')}" (ENOENT)`));
    assert.throws(() => load({ [`${name}_FILE`]: put('empty', '\n') }), (e: Error) => e instanceof ConfigError && e.message.includes(`${name}_FILE:`) && e.message.includes('is empty'));
  }
  // A malformed URL from a file is refused like one from the environment: named, never repeated.
  assert.throws(() => load({ MWAUTH_DATABASE_URL_FILE: put('bad', 'postgres://u:Hidden-77@h:99999/d') }), (e: Error) => /MWAUTH_DATABASE_URL is not a valid URL/.test(e.message) && !e.message.includes('Hidden-77'));
});

test('the secret check on one SQLite database: a generated secret keeps working; another secret is refused, naming MWAUTH_SECRET; a one-step rotation is fine', async (t) => {
  const dir = tempDir(t, 'sqlitecheck');
  const open = async (env: Record<string, string>) => (await createServices(loadConfig({ ...base(dir), ...env }))).close(0);
  await open({}); // the embedded default: a generated secret, recorded
  await open({}); // … and the same one the next time
  await assert.rejects(open({ MWAUTH_SECRET: A }), (e: Error) => e instanceof SecretMismatchError && /^MWAUTH_SECRET: none of this node's secrets is the one/.test(e.message));
  const generated = (await import('node:fs')).readFileSync(join(dir, 'secret.key'), 'utf8').trim();
  await open({ MWAUTH_SECRET: `${A},${generated}` }); // one process on one file: no two-step rotation needed
  await open({ MWAUTH_SECRET: A });
  await assert.rejects(open({}), (e: Error) => e instanceof SecretMismatchError && e.message.startsWith(`MWAUTH_SECRET is not set, and the secret this node generated (${join(dir, 'secret.key')})`));
});

test('nodes sharing PostgreSQL: another secret or a generated one is refused; rotation takes two steps; `mwauth secret adopt` replaces the secret', { skip: await skipUnless('postgres') }, async (t) => {
  const url = await postgresDatabase(t, 'mwauth_secretcheck');
  const dir = tempDir(t, 'pgcheck');
  let n = 0;
  const node = (env: Record<string, string>) => ({ ...base(join(dir, `node${++n}`)), MWAUTH_DATABASE_URL: url, ...env });
  const open = async (env: Record<string, string>) => (await createServices(loadConfig(node(env)))).close(0);
  const refused = (pattern: RegExp) => (e: Error) => e instanceof SecretMismatchError && pattern.test(e.message) && ![A, B, C].some((s) => e.message.includes(s));

  // Two nodes starting at once with their own generated secrets: one starts, the other is refused.
  const both = await Promise.allSettled([open({}), open({})]);
  assert.deepEqual(both.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
  assert.match(String((both.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason.message), /^MWAUTH_SECRET is not set, and the secret this node generated/);
  // The site now takes A (replacing the generated one by hand); a shell without MWAUTH_SECRET may not.
  const blind = await runCli(['secret', 'adopt'], { MWAUTH_DATA_DIR: join(dir, 'cli'), MWAUTH_DATABASE_URL: url });
  assert.equal(blind.code, 1);
  assert.match(blind.stderr, /secret adopt needs MWAUTH_SECRET/);
  const adopt = await runCli(['secret', 'adopt'], { MWAUTH_DATA_DIR: join(dir, 'cli'), MWAUTH_DATABASE_URL: url, MWAUTH_SECRET: A });
  assert.equal(adopt.code, 0, adopt.stderr);
  await open({ MWAUTH_SECRET: A });
  await assert.rejects(open({ MWAUTH_SECRET: C }), refused(/^MWAUTH_SECRET: none of this node's secrets/));
  await assert.rejects(open({}), refused(/^MWAUTH_SECRET is not set/));
  // B first at once: the nodes still on A would refuse what it signs.
  await assert.rejects(open({ MWAUTH_SECRET: `${B},${A}` }), refused(/^MWAUTH_SECRET: the secret this node would sign with \(the first\) is not yet accepted/));
  const check = await runCli(['secret', 'check'], { MWAUTH_DATA_DIR: join(dir, 'cli'), MWAUTH_DATABASE_URL: url, MWAUTH_SECRET: `${B},${A}` });
  assert.equal(check.code, 1, check.stdout);
  assert.match(check.stderr, /not yet accepted/);
  // The two steps: "A,B" everywhere, then "B,A", then "B".
  await open({ MWAUTH_SECRET: `${A},${B}` });
  await open({ MWAUTH_SECRET: A }); // a node not yet changed may still restart
  await open({ MWAUTH_SECRET: `${A},${B}` });
  await open({ MWAUTH_SECRET: `${B},${A}` });
  await open({ MWAUTH_SECRET: `${A},${B}` }); // a node of the first step still fits…
  // … and, while it signs with A, a node that no longer accepts A may not start.
  await assert.rejects(open({ MWAUTH_SECRET: B }), refused(/none of this node's secrets/));
  await open({ MWAUTH_SECRET: `${B},${A}` }); // every node on the second step
  await open({ MWAUTH_SECRET: B });
  await assert.rejects(open({ MWAUTH_SECRET: A }), refused(/none of this node's secrets/));
  const ok = await runCli(['secret', 'check'], { MWAUTH_DATA_DIR: join(dir, 'cli'), MWAUTH_DATABASE_URL: url, MWAUTH_SECRET: B });
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /MWAUTH_SECRET fits/);
  // `mwauth serve` with the wrong secret: exit code 1 and the reason, never a secret.
  const serve = await runCli(['serve'], { ...node({ MWAUTH_SECRET: C }) }, { timeoutMs: 30_000 });
  assert.equal(serve.code, 1, serve.stderr);
  assert.match(serve.stderr, /^mwauth: MWAUTH_SECRET: none of this node's secrets/m);
  assert.ok(![A, B, C].some((s) => serve.stderr.includes(s) || serve.stdout.includes(s)));
  // The database holds fingerprints, never a secret.
  const pg = new (await import('pg')).default.Client({ connectionString: url });
  await pg.connect();
  const rows = (await pg.query("select ss_value from site_settings where ss_name = 'secret'")).rows;
  await pg.end();
  assert.equal(rows.length, 1);
  assert.ok(![A, B, C].some((s) => rows[0].ss_value.includes(s)));
  assert.match(rows[0].ss_value, /^\{"signing":"[0-9a-f]{64}","accepted":\["[0-9a-f]{64}"\]\}$/);
});

test('a server on PostgreSQL and Redis configured through *_FILE settings alone', { skip: await skipUnless('postgres', 'redis') }, async (t) => {
  const url = await postgresDatabase(t, 'mwauth_filesettings');
  const prefix = await redisPrefix(t);
  const dir = tempDir(t, 'filesrv');
  const put = (name: string, text: string) => {
    const f = join(dir, name);
    writeFileSync(f, text + '\n', { mode: 0o600 });
    return f;
  };
  const srv = await startServer(
    loadConfig({
      ...base(join(dir, 'data')),
      MWAUTH_SECRET_FILE: put('secret', A),
      MWAUTH_DATABASE_URL_FILE: put('db', url),
      MWAUTH_REDIS_URL_FILE: put('redis', REDIS_URL),
      MWAUTH_REDIS_PREFIX: prefix,
    }),
  );
  t.after(() => srv.close());
  assert.equal(srv.services.dialect, 'postgres');
  await addUser(srv.services, 'Alice', 'Alice-Pass-1');
  const c = new Client(`${srv.url}/w/api.php`);
  assert.equal((await c.login('Alice', 'Alice-Pass-1')).result, 'Success');
  assert.equal((await c.get({ action: 'query', meta: 'userinfo' })).json.query.userinfo.name, 'Alice');
  assert.ok(POSTGRES_ADMIN_URL);
});
