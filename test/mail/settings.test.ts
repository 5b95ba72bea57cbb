import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config.js';
import { mailSettings, parseSmtpUrl } from '../../src/mail/settings.js';
import { tempDir } from './helpers.js';

const SECRET = 'pa:ss@w/rd%';

test('parseSmtpUrl: schemes, ports, percent-encoded credentials, redacted display', () => {
  const s = parseSmtpUrl(`smtp://mailer%40wiki:${encodeURIComponent(SECRET)}@Mail.Example.org:2525`);
  assert.equal(s.host, 'Mail.Example.org');
  assert.equal(s.port, 2525);
  assert.equal(s.secure, false);
  assert.equal(s.user, 'mailer@wiki');
  assert.equal(s.password, SECRET);
  assert.equal(s.display, 'smtp://mailer%40wiki:***@Mail.Example.org:2525');
  assert.equal(s.startTls, 'auto');
  assert.equal(s.poolSize, 5);

  assert.equal(parseSmtpUrl('smtp://relay.example.org').port, 587);
  const tls = parseSmtpUrl('smtps://relay.example.org');
  assert.equal(tls.port, 465);
  assert.equal(tls.secure, true);
  assert.equal(tls.user, null);
  assert.equal(tls.display, 'smtps://relay.example.org:465');
  assert.equal(parseSmtpUrl('smtp://[::1]:25').host, '::1');
  assert.equal(parseSmtpUrl('smtp://[::1]:25').display, 'smtp://[::1]:25');
  assert.equal(parseSmtpUrl('smtp://127.0.0.1:25/').port, 25);
});

test('parseSmtpUrl errors name the variable and never repeat the password', () => {
  const bad: Array<[string, RegExp]> = [
    [`http://u:${SECRET}@host`, /must start with smtp:\/\/ or smtps:\/\/ \(got http:\/\/\)/],
    [`u:${SECRET}@host`, /must start with smtp:\/\//],
    ['smtp://host:99999', /not a valid URL/],
    [`smtp://u:${SECRET}@host/path`, /takes no path or query/],
    ['smtp://host?pool=true', /takes no path or query/],
    ['smtp://:secret-only@host', /has a password but no user name/],
    ['smtp://u:%E0%A4%A@host', /not correctly percent-encoded/],
    ['smtp://bad_host!:25', /not a valid URL|is not a host name/],
  ];
  for (const [url, re] of bad) {
    assert.throws(
      () => parseSmtpUrl(url),
      (e: unknown) => e instanceof ConfigError && re.test(e.message) && e.message.startsWith('MWAUTH_SMTP_URL') && !e.message.includes(SECRET) && !e.message.includes('secret-only'),
      url,
    );
  }
});

test('mailSettings: STARTTLS policy, pool size, TLS, password and CA files, attempts, grace', () => {
  const { dir, cleanup } = tempDir('mwauth-settings-');
  try {
    const pw = join(dir, 'pw');
    writeFileSync(pw, 'from-file\n');
    const ca = join(dir, 'ca.pem');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const s = mailSettings(
      {
        MWAUTH_SMTP_URL: 'smtp://mailer:ignored@relay.example.org:587',
        MWAUTH_SMTP_STARTTLS: 'Required',
        MWAUTH_SMTP_POOL_SIZE: '8',
        MWAUTH_SMTP_TLS_VERIFY: 'false',
        MWAUTH_SMTP_PASSWORD_FILE: pw,
        MWAUTH_SMTP_CA_FILE: ca,
        MWAUTH_MAIL_MAX_ATTEMPTS: '3',
        MWAUTH_MAIL_SHUTDOWN_GRACE: '2',
      },
      'example.org',
    );
    assert.equal(s.smtp!.startTls, 'required');
    assert.equal(s.smtp!.poolSize, 8);
    assert.equal(s.smtp!.tlsVerify, false);
    assert.equal(s.smtp!.password, 'from-file', 'the file wins, without its newline');
    assert.match(s.smtp!.ca!, /BEGIN CERTIFICATE/);
    assert.equal(s.maxAttempts, 3);
    assert.equal(s.shutdownGraceMs, 2000);
    assert.equal(s.dkim, null);

    const d = mailSettings({}, 'example.org');
    assert.deepEqual(d, { smtp: null, dkim: null, maxAttempts: 10, shutdownGraceMs: 10_000 });

    const bad: Array<[Record<string, string>, RegExp]> = [
      [{ MWAUTH_SMTP_URL: 'smtp://h', MWAUTH_SMTP_STARTTLS: 'maybe' }, /^MWAUTH_SMTP_STARTTLS must be auto, required or never/],
      [{ MWAUTH_SMTP_URL: 'smtps://h', MWAUTH_SMTP_STARTTLS: 'never' }, /^MWAUTH_SMTP_STARTTLS does not apply to smtps/],
      [{ MWAUTH_SMTP_URL: 'smtp://h', MWAUTH_SMTP_POOL_SIZE: '0' }, /^MWAUTH_SMTP_POOL_SIZE must be between 1 and 50/],
      [{ MWAUTH_SMTP_URL: 'smtp://h', MWAUTH_SMTP_POOL_SIZE: 'many' }, /^MWAUTH_SMTP_POOL_SIZE must be an integer, got "many"$/],
      [{ MWAUTH_SMTP_URL: 'smtp://h', MWAUTH_SMTP_TLS_VERIFY: 'perhaps' }, /^MWAUTH_SMTP_TLS_VERIFY must be true or false/],
      [{ MWAUTH_SMTP_URL: 'smtp://h', MWAUTH_SMTP_PASSWORD_FILE: join(dir, 'missing') }, /^MWAUTH_SMTP_PASSWORD_FILE: cannot read .*ENOENT/],
      [{ MWAUTH_SMTP_URL: 'smtp://h', MWAUTH_SMTP_PASSWORD_FILE: pw }, /^MWAUTH_SMTP_PASSWORD_FILE needs a user name/],
      [{ MWAUTH_SMTP_STARTTLS: 'required' }, /^MWAUTH_SMTP_STARTTLS is set but MWAUTH_SMTP_URL is not/],
      [{ MWAUTH_MAIL_MAX_ATTEMPTS: '0' }, /^MWAUTH_MAIL_MAX_ATTEMPTS must be between 1 and 100/],
      [{ MWAUTH_MAIL_SHUTDOWN_GRACE: '-1' }, /^MWAUTH_MAIL_SHUTDOWN_GRACE must be between 0 and 3600, got -1$/],
    ];
    for (const [env, re] of bad) assert.throws(() => mailSettings(env, 'example.org'), (e: unknown) => e instanceof ConfigError && re.test(e.message), JSON.stringify(env));
  } finally {
    cleanup();
  }
});

test('DKIM settings: key file read and checked, domain from the sender', () => {
  const { dir, cleanup } = tempDir('mwauth-dkim-');
  try {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const ed = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const key = join(dir, 'dkim.pem');
    const edKey = join(dir, 'ed.pem');
    const junk = join(dir, 'junk.pem');
    writeFileSync(key, rsa);
    writeFileSync(edKey, ed);
    writeFileSync(junk, 'not a key');
    const s = mailSettings({ MWAUTH_DKIM_SELECTOR: 'mw2026', MWAUTH_DKIM_KEY_FILE: key }, 'Wiki.Example.org');
    assert.deepEqual(s.dkim, { domain: 'wiki.example.org', selector: 'mw2026', privateKey: rsa, keyFile: key });
    assert.equal(mailSettings({ MWAUTH_DKIM_SELECTOR: 'a', MWAUTH_DKIM_KEY_FILE: key, MWAUTH_DKIM_DOMAIN: 'example.org' }, 'x.example.org').dkim!.domain, 'example.org');

    const bad: Array<[Record<string, string>, RegExp]> = [
      [{ MWAUTH_DKIM_SELECTOR: 'a' }, /^MWAUTH_DKIM_SELECTOR needs MWAUTH_DKIM_KEY_FILE/],
      [{ MWAUTH_DKIM_KEY_FILE: key }, /^MWAUTH_DKIM_KEY_FILE needs MWAUTH_DKIM_SELECTOR/],
      [{ MWAUTH_DKIM_DOMAIN: 'example.org' }, /^MWAUTH_DKIM_DOMAIN needs/],
      [{ MWAUTH_DKIM_SELECTOR: 'a b', MWAUTH_DKIM_KEY_FILE: key }, /^MWAUTH_DKIM_SELECTOR must be a DNS label/],
      [{ MWAUTH_DKIM_SELECTOR: 'a', MWAUTH_DKIM_KEY_FILE: join(dir, 'none') }, /^MWAUTH_DKIM_KEY_FILE: cannot read/],
      [{ MWAUTH_DKIM_SELECTOR: 'a', MWAUTH_DKIM_KEY_FILE: junk }, /^MWAUTH_DKIM_KEY_FILE: ".*" is not a PEM private key/],
      [{ MWAUTH_DKIM_SELECTOR: 'a', MWAUTH_DKIM_KEY_FILE: edKey }, /^MWAUTH_DKIM_KEY_FILE: ".*" holds a ed25519 key; DKIM signing needs an RSA key/],
      [{ MWAUTH_DKIM_SELECTOR: 'a', MWAUTH_DKIM_KEY_FILE: key, MWAUTH_DKIM_DOMAIN: 'localhost' }, /^MWAUTH_DKIM_DOMAIN must be a domain name/],
    ];
    for (const [env, re] of bad) assert.throws(() => mailSettings(env, 'example.org'), (e: unknown) => e instanceof ConfigError && re.test(e.message), JSON.stringify(env));
  } finally {
    cleanup();
  }
});

test('loadConfig: mail settings, redacted smtpUrl, ConfigError naming the variable', () => {
  const { dir, cleanup } = tempDir('mwauth-cfg-');
  try {
    const base = { MWAUTH_DATA_DIR: dir, MWAUTH_PASSWORD_SENDER: 'wiki@wiki.example.org' };
    const c = loadConfig({ ...base, MWAUTH_SMTP_URL: `smtps://u:${encodeURIComponent(SECRET)}@relay.example.org` }, { persistSecret: false });
    assert.equal(c.smtpUrl, 'smtps://u:***@relay.example.org:465');
    assert.equal(c.mail.smtp!.password, SECRET);
    assert.ok(!JSON.stringify(c.smtpUrl).includes('ss@w'));
    assert.equal(loadConfig(base, { persistSecret: false }).smtpUrl, null);
    assert.throws(
      () => loadConfig({ ...base, MWAUTH_SMTP_URL: `ftp://u:${SECRET}@h` }, { persistSecret: false }),
      (e: unknown) => e instanceof ConfigError && /^MWAUTH_SMTP_URL must start with/.test(e.message) && !e.message.includes(SECRET),
    );
    assert.throws(() => loadConfig({ ...base, MWAUTH_SMTP_POOL_SIZE: '3' }, { persistSecret: false }), (e: unknown) => e instanceof ConfigError && /MWAUTH_SMTP_POOL_SIZE/.test(e.message));
  } finally {
    cleanup();
  }
});
