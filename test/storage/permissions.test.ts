// What mwauth writes to disk is its owner's alone: the data folder and the mail folder 0700; the SQLite
// database with its -wal and -shm files, secret.key and every .eml file 0600 — after a fresh start, after
// CLI commands, and for a database an older version left readable by everyone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { startServer } from '../../src/server.js';
import { addUser, Client } from '../helpers/harness.js';
import { ANON } from '../helpers/api.js';
import { until } from '../mail/helpers.js';
import { runCli } from '../helpers/process.js';

// The usual umask, so that a mode the code does not set shows up as 0644/0755 (children inherit it).
process.umask(0o022);

const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

function scratch(t: { after(fn: () => void): void }): string {
  const parent = mkdtempSync(join(tmpdir(), 'mwauth-perm-'));
  t.after(() => rmSync(parent, { recursive: true, force: true }));
  // Not made yet: mwauth makes it.
  return join(parent, 'data');
}

/** The modes of the database files that exist now. */
function dbModes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of ['mwauth.sqlite', 'mwauth.sqlite-wal', 'mwauth.sqlite-shm']) if (existsSync(join(dir, f))) out[f] = mode(join(dir, f));
  return out;
}

test('a fresh start: data folder and mail folder 0700; database, -wal, -shm, secret.key and mail files 0600', async (t) => {
  const dir = scratch(t);
  const server = await startServer(
    loadConfig({ MWAUTH_DATA_DIR: dir, MWAUTH_PORT: '0', MWAUTH_SERVER: 'http://wiki.test', MWAUTH_PASSWORD_SENDER: 'wiki@wiki.test' }),
  );
  t.after(() => server.close());
  const s = server.services;
  await addUser(s, 'Ann', 'Ann-pass-12', { email: 'ann@example.org' });
  const r = await new Client(`${server.url}/w/api.php`).post({ action: 'resetpassword', user: 'Ann', token: ANON });
  assert.equal(r.json.resetpassword.status, 'success');
  await s.recoveryWorker.kick();
  const mailDir = join(dir, 'mail');
  await until(() => existsSync(mailDir) && readdirSync(mailDir).some((f) => f.endsWith('.eml')), 10_000, 'the reset mail');

  assert.equal(mode(dir), '700');
  assert.equal(mode(join(dir, 'secret.key')), '600');
  // The server holds the database open: all three files exist.
  assert.deepEqual(dbModes(dir), { 'mwauth.sqlite': '600', 'mwauth.sqlite-wal': '600', 'mwauth.sqlite-shm': '600' });
  assert.equal(mode(mailDir), '700');
  const files = readdirSync(mailDir);
  assert.equal(files.length, 1);
  assert.equal(mode(join(mailDir, files[0]!)), '600');
});

test('CLI commands: a new data folder is made 0700 with 0600 files; beside a running server the files stay 0600', async (t) => {
  const dir = scratch(t);
  const env = { MWAUTH_DATA_DIR: dir, MWAUTH_SERVER: 'http://wiki.test', MWAUTH_PASSWORD_SENDER: 'wiki@wiki.test' };
  const add = await runCli(['user', 'add', 'Ann', '--email', 'ann@example.org', '--password', 'Ann-pass-12'], env);
  assert.equal(add.code, 0, add.stderr);
  assert.equal(mode(dir), '700');
  assert.equal(mode(join(dir, 'secret.key')), '600');
  assert.equal(dbModes(dir)['mwauth.sqlite'], '600');
  for (const m of Object.values(dbModes(dir))) assert.equal(m, '600');

  const server = await startServer(loadConfig({ ...env, MWAUTH_PORT: '0' }));
  t.after(() => server.close());
  const [list, pw] = await Promise.all([
    runCli(['user', 'list'], env),
    runCli(['user', 'set-password', 'Ann', '--password', 'Ann-pass-34'], env),
  ]);
  assert.equal(list.code, 0, list.stderr);
  assert.equal(pw.code, 0, pw.stderr);
  assert.deepEqual(dbModes(dir), { 'mwauth.sqlite': '600', 'mwauth.sqlite-wal': '600', 'mwauth.sqlite-shm': '600' });
  assert.equal(mode(dir), '700');
});

test('a database an older version left 0644 is 0600 again once opened, with its -wal and -shm', async (t) => {
  const dir = scratch(t);
  const env = { MWAUTH_DATA_DIR: dir, MWAUTH_SERVER: 'http://wiki.test', MWAUTH_PASSWORD_SENDER: 'wiki@wiki.test' };
  const server = await startServer(loadConfig({ ...env, MWAUTH_PORT: '0' }));
  t.after(() => server.close());
  await addUser(server.services, 'Ann', 'Ann-pass-12');
  for (const f of ['mwauth.sqlite', 'mwauth.sqlite-wal', 'mwauth.sqlite-shm']) chmodSync(join(dir, f), 0o644);
  const list = await runCli(['user', 'list'], env);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /\tAnn\t/);
  assert.deepEqual(dbModes(dir), { 'mwauth.sqlite': '600', 'mwauth.sqlite-wal': '600', 'mwauth.sqlite-shm': '600' });
});
