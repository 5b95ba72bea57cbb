// The rules every setting is read by (src/util/env.ts), and that config.ts and the mail settings follow them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, bool, int, limit, limits, list, path, read, url } from '../../src/util/env.js';
import { loadConfig } from '../../src/config.js';
import { mailSettings } from '../../src/mail/settings.js';

const fails = (fn: () => unknown, message: string) =>
  assert.throws(fn, (e: unknown) => e instanceof ConfigError && e.message === message, message);

test('a value is trimmed; an empty or blank one is the same as an unset one', () => {
  assert.equal(read({ A: '  x y  ' }, 'A'), 'x y');
  for (const v of [undefined, '', '   ', '\t\n']) assert.equal(read({ A: v }, 'A'), undefined, JSON.stringify(v));
  assert.equal(int({ N: '  ' }, 'N', 7), 7);
  assert.equal(bool({ B: '' }, 'B', true), true);
  assert.deepEqual(limit({ L: ' ' }, 'L', [5, 60]), [5, 60]);
  assert.equal(path({ P: ' ' }, 'P', '/wiki'), '/wiki');
  assert.equal(list({ L: '' }, 'L'), undefined);
});

test('whole numbers: a sign is read, so a negative one is told the range it missed', () => {
  assert.equal(int({ N: ' 42 ' }, 'N', 0), 42);
  assert.equal(int({ N: '007' }, 'N', 0), 7);
  assert.equal(int({ N: '-3' }, 'N', 0, -5, 5), -3);
  fails(() => int({ N: '-1' }, 'N', 0, 0, 3600), 'N must be between 0 and 3600, got -1');
  fails(() => int({ N: '-0' }, 'N', 5, 1, 10), 'N must be between 1 and 10, got 0');
  fails(() => int({ N: '3601' }, 'N', 0, 0, 3600), 'N must be between 0 and 3600, got 3601');
  for (const bad of ['abc', '1.5', '1e3', '+5', '0x10', '3 months', '- 1', '١٢']) fails(() => int({ N: bad }, 'N', 0), `N must be an integer, got "${bad}"`);
  // The same rule in the configuration and in the mail settings.
  const env = { MWAUTH_DATA_DIR: '/nonexistent/mwauth-env-test', MWAUTH_SECRET: 'x'.repeat(32) };
  fails(() => loadConfig({ ...env, MWAUTH_PORT: '-1' }, { persistSecret: false }), 'MWAUTH_PORT must be between 0 and 65535, got -1');
  fails(() => loadConfig({ ...env, MWAUTH_MAIL_SHUTDOWN_GRACE: '-1' }, { persistSecret: false }), 'MWAUTH_MAIL_SHUTDOWN_GRACE must be between 0 and 3600, got -1');
  fails(() => mailSettings({ MWAUTH_MAIL_MAX_ATTEMPTS: '-2' }, 'example.org'), 'MWAUTH_MAIL_MAX_ATTEMPTS must be between 1 and 100, got -2');
  fails(() => loadConfig({ ...env, MWAUTH_AUDIT_RETENTION_DAYS: 'ten' }, { persistSecret: false }), 'MWAUTH_AUDIT_RETENTION_DAYS must be an integer, got "ten"');
  fails(() => mailSettings({ MWAUTH_SMTP_URL: 'smtp://h', MWAUTH_SMTP_POOL_SIZE: 'ten' }, 'example.org'), 'MWAUTH_SMTP_POOL_SIZE must be an integer, got "ten"');
  assert.equal(loadConfig({ ...env, MWAUTH_PORT: ' 8081 ', MWAUTH_MAIL_SHUTDOWN_GRACE: '' }, { persistSecret: false }).port, 8081);
});

test('true and false', () => {
  for (const v of ['1', 'true', 'TRUE', ' yes ', 'On']) assert.equal(bool({ B: v }, 'B', false), true, v);
  for (const v of ['0', 'false', 'No', 'OFF']) assert.equal(bool({ B: v }, 'B', true), false, v);
  fails(() => bool({ B: ' perhaps ' }, 'B', true), 'B must be true or false, got "perhaps"');
});

test('lists, limits, paths and URLs', () => {
  assert.deepEqual(list({ L: ' a, b ,,c ' }, 'L'), ['a', 'b', 'c']);
  assert.deepEqual(list({ L: ',' }, 'L'), []);
  assert.deepEqual(limit({ L: ' 5 / 3600 ' }, 'L', [1, 1]), [5, 3600]);
  fails(() => limit({ L: '5 per hour' }, 'L', [1, 1]), 'L must look like COUNT/SECONDS, got "5 per hour"');
  assert.deepEqual(limits({ L: '5/300, 150/172800' }, 'L', []), [{ count: 5, seconds: 300 }, { count: 150, seconds: 172800 }]);
  assert.deepEqual(limits({ L: 'none' }, 'L', [[1, 1]]), []);
  assert.deepEqual(limits({}, 'L', [[3, 60]]), [{ count: 3, seconds: 60 }]);
  assert.throws(() => limits({ L: '0/60' }, 'L', []), ConfigError);
  assert.equal(path({ P: '/wiki///' }, 'P', '/'), '/wiki');
  assert.equal(path({ P: '/' }, 'P', '/wiki'), '/');
  fails(() => path({ P: 'wiki' }, 'P', '/'), 'P must be a path starting with "/", got "wiki"');
  assert.equal(url({ U: ' https://wiki.example ' }, 'U', '', ['http', 'https']), 'https://wiki.example');
  // A URL that may hold a password is never repeated.
  assert.throws(
    () => url({ U: 'postgres://me:s3cret@[bad' }, 'U', '', ['postgres']),
    (e: unknown) => e instanceof ConfigError && e.message.startsWith('U is not a valid URL (it starts with postgres://') && !e.message.includes('s3cret'),
  );
  fails(() => url({ U: 'ftp://h' }, 'U', '', ['redis', 'rediss']), 'U must use redis or rediss, got "ftp:"');
});

test('MWAUTH_SERVER is an origin: a path, query, fragment or user is refused, naming the settings that place the pages', () => {
  const env = { MWAUTH_DATA_DIR: '/tmp/mwauth-env-test', MWAUTH_SECRET: 'x'.repeat(32) };
  for (const ok of ['https://wiki.example', 'https://wiki.example/', 'http://[::1]:8080', 'https://wiki.example:8443//']) {
    assert.equal(loadConfig({ ...env, MWAUTH_SERVER: ok }, { persistSecret: false }).server, ok.replace(/\/+$/, ''));
  }
  const message =
    "MWAUTH_SERVER is the site's origin alone (scheme://host[:port]), without a path, query, fragment or user: " +
    'say where the pages and api.php are with MWAUTH_ARTICLE_PATH and MWAUTH_SCRIPT_PATH';
  for (const bad of ['https://wiki.example/w', 'https://wiki.example/wiki/', 'https://wiki.example?x=1', 'https://wiki.example#top', 'https://admin:pw@wiki.example']) {
    fails(() => loadConfig({ ...env, MWAUTH_SERVER: bad }, { persistSecret: false }), message);
  }
});
