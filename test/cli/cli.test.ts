// The `mwauth` command as an operator runs it: real processes on a temporary data folder, then the
// accounts it made used over the API by a server started on the same folder afterwards.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { loadConfig } from '../../src/config.js';
import { startServer } from '../../src/server.js';
import { Client } from '../helpers/harness.js';
import { freePort, runCli, startServe, type CliResult } from '../helpers/process.js';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'mwauth-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function ok(r: CliResult, out?: RegExp): string {
  assert.equal(r.code, 0, `exit 0 expected; stderr: ${r.stderr}`);
  if (out) assert.match(r.stdout, out);
  return r.stdout;
}
function fails(r: CliResult, code: number, err: RegExp): void {
  assert.equal(r.code, code, `exit ${code} expected; stdout: ${r.stdout} stderr: ${r.stderr}`);
  assert.match(r.stderr, err);
}

// Every CLI run loads the sources through tsx (about 2 s of CPU), so independent runs go in parallel batches.
describe('mwauth command', { concurrency: true }, () => {
  test('users, blocks, bot passwords and mail from the command line — then used over the API', async (t) => {
    const dir = tempDir(t);
    const env = { MWAUTH_DATA_DIR: dir, MWAUTH_SERVER: 'http://wiki.test', MWAUTH_PASSWORD_SENDER: 'wiki@wiki.test' };
    const cli = (...args: string[]) => runCli(args, env);
    const sql = <T>(q: string): T[] => {
      const db = new SQLite(join(dir, 'mwauth.sqlite'), { readonly: true });
      try {
        return db.prepare(q).all() as T[];
      } finally {
        db.close();
      }
    };

    // Two commands open the new data folder at the same moment: both must succeed.
    const [alice, ipBlock, badPort, unknown] = await Promise.all([
      cli('user', 'add', 'alice', '--email', 'alice@example.org', '--password', 'Alice-pass-1'),
      cli('block', 'add', '192.0.2.7', '--allow-account-creation'),
      runCli(['user', 'list'], { ...env, MWAUTH_PORT: 'abc' }),
      cli('frobnicate'),
    ]);
    ok(alice, /^created user "Alice" \(id 1\)$/m);
    ok(ipBlock, /^blocked 192\.0\.2\.7$/m);
    fails(badPort, 2, /^mwauth: configuration error: MWAUTH_PORT must be an integer, got "abc"$/m);
    fails(unknown, 2, /unknown command 'frobnicate'/);

    const [dup, badName, badEmail, carol, setEmail, setPw] = await Promise.all([
      cli('user', 'add', 'Alice', '--password', 'Other-pass-1'),
      cli('user', 'add', 'Bad#name', '--password', 'Other-pass-1'),
      cli('user', 'add', 'Bob', '--email', 'not-an-address', '--password', 'Bob-pass-1'),
      cli('user', 'add', 'carol', '--email', 'carol@example.org', '--random-password', '--group', 'sysop'),
      cli('user', 'set-email', 'alice', 'Alice.New@example.org'),
      cli('user', 'set-password', 'Alice', '--password', 'Alice-pass-2'),
    ]);
    fails(dup, 1, /^mwauth: the user "Alice" already exists$/m);
    fails(badName, 1, /^mwauth: "Bad#name" is not a valid user name$/m);
    fails(badEmail, 1, /^mwauth: "not-an-address" is not a valid email address$/m);
    const carolPw = /^password: ([0-9a-v]{20})$/m.exec(ok(carol, /^created user "Carol" \(id 2\)$/m))?.[1];
    assert.ok(carolPw, `printed password in: ${carol.stdout}`);
    ok(setEmail, /email of "Alice" set/);
    ok(setPw, /password of "Alice" changed/);
    // No server has run on this folder yet: nothing to compose the notice with (it would carry the site's links).
    assert.match(setPw.stderr, /^mwauth: no "password changed" mail was queued: no server has run on this database yet/m);

    // After set-password, which invalidates the bot passwords made before it.
    const [bot, userBlock] = await Promise.all([
      cli('botpassword', 'add', 'Alice', 'mybot', '--grants', 'basic,highvolume'),
      cli('block', 'add', 'carol', '--reason', 'spam', '--by', 'Admin', '--expiry', '24'),
    ]);
    const botPw = ok(bot, /^bot password for Alice@mybot \(grants: basic, highvolume\):$/m).trim().split('\n').at(-1)!;
    assert.match(botPw, /^[0-9a-v]{32}$/);
    ok(userBlock, /^blocked "Carol"$/m);

    const [blocks, show, list] = await Promise.all([cli('block', 'list'), cli('user', 'show', 'alice'), cli('user', 'list')]);
    const lines = ok(blocks).split('\n').filter(Boolean);
    assert.equal(lines.length, 2, lines.join('|'));
    assert.equal(lines[0], '192.0.2.7\tby mwauth\tuntil infinite\t\t');
    assert.match(lines[1]!, /^Carol\tby Admin\tuntil \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\tno account creation\tspam$/);
    const shown = ok(show);
    assert.match(shown, /^name: +Alice$/m);
    assert.match(shown, /^email: +Alice\.New@example\.org$/m);
    assert.match(shown, /^groups: +\(none\)$/m);
    assert.match(shown, /^temporary password: +none$/m);
    assert.match(shown, /^blocked: +no$/m);
    assert.match(shown, /^bot passwords: +mybot$/m);
    const hashes = sql<{ p: string }>('select user_password p from user union all select bp_password from bot_passwords');
    for (const secret of [...hashes.map((h) => h.p), 'pbkdf2', 'Alice-pass-2', botPw]) assert.ok(!shown.includes(secret), 'show never prints a password or hash');
    assert.equal(ok(list), '1\tAlice\tAlice.New@example.org\n2\tCarol\tcarol@example.org\n');

    // The CLI is done: a server on the same folder sees what it made.
    const server = await startServer(loadConfig({ ...env, MWAUTH_PORT: '0' }));
    try {
      const api = `${server.url}/w/api.php`;
      assert.equal((await new Client(api).login('Alice', 'Alice-pass-1')).result, 'Failed', 'the old password stopped working');
      assert.equal((await new Client(api).login('Alice', 'Alice-pass-2')).result, 'Success');
      const c = new Client(api);
      assert.equal((await c.login('Carol', carolPw!)).result, 'Success', 'the printed random password works');
      const groups = await c.get({ action: 'query', meta: 'userinfo', uiprop: 'groups', formatversion: '2' });
      assert.ok(groups.json.query.userinfo.groups.includes('sysop'));
      const viaBot = new Client(api);
      const login = await viaBot.login('Alice@mybot', botPw);
      assert.equal(login.result, 'Success');
      assert.equal(login.lgusername, 'Alice');
      const me = await viaBot.get({ action: 'query', meta: 'userinfo', formatversion: '2' });
      assert.equal(me.json.query.userinfo.name, 'Alice');
      const reset = await new Client(api).post({ action: 'resetpassword', user: 'Alice', token: '+\\' });
      assert.equal(reset.json.resetpassword.status, 'success');
      await server.services.recoveryWorker.kick();
      while ((await server.services.delivery.runOnce()) > 0);
    } finally {
      await server.close();
    }

    const [mail, unblockUser, unblockIp] = await Promise.all([cli('mail', 'list'), cli('block', 'remove', 'Carol'), cli('block', 'remove', '192.0.2.7')]);
    // The reset, sent by the server.
    assert.equal(ok(mail).trim().split('\n').length, 1);
    assert.match(mail.stdout, /^1\tsent\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\tpassword-reset\tAlice\.New@example\.org\tattempts=1$/m);
    assert.ok(!mail.stdout.includes('Temporary password'), 'no bodies');
    ok(unblockUser, /^unblocked Carol$/m);
    ok(unblockIp, /^unblocked 192\.0\.2\.7$/m);
    assert.deepEqual(sql('select * from block'), []);
  });

  test('range blocks: a /24 holds the server\'s callers inside it; too wide a range is refused; lifted by any spelling', async (t) => {
    const dir = tempDir(t);
    const env = { MWAUTH_DATA_DIR: dir, MWAUTH_SERVER: 'http://wiki.test', MWAUTH_PASSWORD_SENDER: 'wiki@wiki.test' };
    const cli = (...args: string[]) => runCli(args, env);
    const [range, v4Wide, v6Wide, v6, junk] = await Promise.all([
      cli('block', 'add', '127.0.0.99/24', '--reason', 'loopback range'),
      cli('block', 'add', '10.0.0.0/8'),
      cli('block', 'add', '2001:db8::/18'),
      cli('block', 'add', '2001:DB8:0::/32'),
      cli('block', 'add', '1.2.3.4/33'),
    ]);
    ok(range, /^blocked 127\.0\.0\.0\/24$/m);
    fails(v4Wide, 1, /^mwauth: 10\.0\.0\.0\/8: a range blocked at once may be at most a \/16$/m);
    fails(v6Wide, 1, /^mwauth: 2001::\/18: a range blocked at once may be at most a \/19$/m);
    ok(v6, /^blocked 2001:db8::\/32$/m);
    fails(junk, 1, /^mwauth: "1\.2\.3\.4\/33" is not an IP address or range$/m);

    const server = await startServer(loadConfig({ ...env, MWAUTH_PORT: '0' }));
    try {
      const info = async () => (await new Client(`${server.url}/w/api.php`).get({ action: 'query', meta: 'userinfo', uiprop: 'blockinfo', formatversion: '2' })).json.query.userinfo;
      const blocked = await info();
      assert.equal(blocked.blockreason, 'loopback range', JSON.stringify(blocked));
      ok(await cli('block', 'remove', '127.0.0.1/24'), /^unblocked 127\.0\.0\.0\/24$/m);
      const free = await info();
      assert.equal(free.blockid, undefined, JSON.stringify(free));
    } finally {
      await server.close();
    }
  });

  test('serve --port overrides MWAUTH_PORT; SIGTERM stops it with exit 0', async (t) => {
    const dir = tempDir(t);
    const port = await freePort();
    const srv = await startServe({ MWAUTH_DATA_DIR: dir, MWAUTH_LOG_LEVEL: 'warn' }, undefined, ['--port', String(port)]);
    try {
      assert.match(srv.output(), new RegExp(`listening on http://127\\.0\\.0\\.1:${port}\\)`));
      const r = await fetch(`http://127.0.0.1:${port}/w/api.php?action=query&meta=siteinfo&format=json`);
      assert.equal(r.status, 200);
    } finally {
      srv.child.kill('SIGTERM');
    }
    const { code, signal } = await srv.exited;
    assert.deepEqual({ code, signal }, { code: 0, signal: null });
  });
});
