// GET /metrics: Prometheus text through prom-client — API requests by module and status with their
// durations, reset requests by outcome (which limit), logins by kind and result, the mail queue, the
// workers' lag, backend errors and Node's process figures — to MWAUTH_METRICS_ALLOW only (loopback by
// default), with no user name, address or secret in any label.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config.js';
import { buildApp } from '../../src/server.js';
import { createServices } from '../../src/services.js';
import { ManualClock } from '../helpers/clock.js';
import { Client, addUser, readMails, startTestServer } from '../helpers/harness.js';
import { rawRequest } from '../helpers/api.js';
import { PageClient } from '../web/helpers.js';
import { sample } from './helpers.js';

const BOT_PW = 'botpassbotpassbotpassbotpassbot1';

test('what a node did shows in /metrics: requests, resets by outcome, logins by kind and result, mail, process figures; no name, address or secret', async (t) => {
  const srv = await startTestServer({
    env: { MWAUTH_RESET_COOLDOWN_HOURS: '0', MWAUTH_RESET_ACCOUNT_LIMIT: '1/86400', MWAUTH_RESET_IP_LIMIT: '4/3600', MWAUTH_LOGIN_THROTTLE: '3/300' },
  });
  t.after(() => srv.close());
  const s = srv.services;
  const alice = await addUser(s, 'Alice', 'Alice-Pass-1', { email: 'alice@example.org' });
  await s.botPasswords.set(alice.id, 'oracle', BOT_PW, ['basic']);
  await addUser(s, 'Bob', 'Bob-Pass-1');
  await addUser(s, 'Carol', 'Carol-Pass-1');
  const anon = new Client(srv.api);
  for (const user of ['Alice', 'Alice', 'Nobody', 'Bob', 'Alice']) {
    const r = await anon.post({ action: 'resetpassword', user, token: '+\\' });
    assert.equal(r.json.resetpassword.status, 'success');
    await srv.flush();
  }
  const carol = new Client(srv.api);
  assert.equal((await carol.login('Carol', 'Carol-Pass-1')).result, 'Success');
  const guesser = new Client(srv.api);
  for (let i = 0; i < 4; i++) await guesser.login('Carol', `wrong-${i}`);
  const temp = (await readMails(srv.mailDir))[0]!.tempPassword!;
  const c = new Client(srv.api);
  const tl = await c.post({ action: 'clientlogin', username: 'Alice', password: temp, loginreturnurl: 'http://wiki.test/', logintoken: await c.token('login') });
  assert.equal(tl.json.clientlogin.status, 'UI');
  assert.equal((await new Client(srv.api).login('Alice@oracle', BOT_PW)).result, 'Success');
  assert.equal((await new Client(srv.api).login('Alice@oracle', 'wrongwrongwrongwrongwrongwrong12')).result, 'Failed');
  await new Client(srv.api).get({ action: '<script>alert(1)</script>' });
  assert.equal((await new PageClient(srv.url).get('/wiki/Special:UserLogin')).status, 200);

  const res = await fetch(`${srv.url}/metrics`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  const text = await res.text();
  const m = (series: string) => sample(text, series);
  assert.equal(m('mwauth_reset_requests_total{outcome="accepted"}'), 4);
  assert.equal(m('mwauth_reset_requests_total{outcome="limited_ip"}'), 1);
  assert.equal(m('mwauth_reset_requests_total{outcome="handled"}'), 4);
  assert.equal(m('mwauth_reset_requests_total{outcome="mailed"}'), 1);
  assert.equal(m('mwauth_reset_requests_total{outcome="limited_account"}'), 1);
  assert.equal(m('mwauth_reset_requests_total{outcome="nomatch"}'), 2);
  assert.equal(m('mwauth_logins_total{kind="password",result="success"}'), 1);
  // Three wrong guesses, and the wrong bot password, which is also tried as the main password of the name
  // "Alice@oracle" (as MediaWiki does).
  assert.equal(m('mwauth_logins_total{kind="password",result="failure"}'), 4);
  assert.equal(m('mwauth_logins_total{kind="password",result="throttled"}'), 1);
  assert.equal(m('mwauth_logins_total{kind="password",result="temporary_password"}'), 1);
  assert.equal(m('mwauth_logins_total{kind="botpassword",result="success"}'), 1);
  assert.equal(m('mwauth_logins_total{kind="botpassword",result="failure"}'), 1);
  assert.equal(m('mwauth_api_requests_total{module="resetpassword",status="200"}'), 5);
  assert.equal(m('mwauth_api_requests_total{module="unknown",status="200"}'), 1, 'a made-up action counts as "unknown"');
  assert.equal(m('mwauth_api_request_duration_seconds_count{module="login"}'), 7);
  assert.equal(m('mwauth_api_request_duration_seconds_bucket{le="+Inf",module="login"}'), 7);
  assert.equal(m('mwauth_page_requests_total{status="200"}'), 1);
  assert.equal(m('mwauth_mail_queue{status="sent"}'), 1);
  assert.equal(m('mwauth_mail_queue{status="queued"}'), 0);
  assert.equal(m('mwauth_mail_deliveries_total{outcome="sent"}'), 1);
  assert.equal(m('mwauth_mail_queue_oldest_seconds'), 0);
  assert.equal(m('mwauth_worker_lag_seconds{worker="reset"}'), 0);
  assert.equal(m('mwauth_worker_lag_seconds{worker="mail"}'), 0);
  assert.equal(m('mwauth_backend_errors_total{backend="database"}'), 0);
  assert.equal(m('mwauth_backend_errors_total{backend="redis"}'), 0);
  assert.ok(m('mwauth_worker_idle_seconds{worker="reset"}')! >= 0);
  assert.ok(m('process_resident_memory_bytes')! > 10_000_000, 'prom-client\'s process figures');
  assert.ok(m('nodejs_eventloop_lag_seconds')! >= 0);
  assert.match(text, /# TYPE mwauth_api_request_duration_seconds histogram/);
  // Labels hold fixed words only.
  for (const secret of ['Alice', 'Carol', 'Bob', 'Nobody', 'alice@example.org', 'Carol-Pass-1', 'wrong-', temp, BOT_PW, 'oracle', '127.0.0.1', '<script>', 'alert', ...c.cookies.values()]) {
    assert.ok(!text.includes(secret), `no "${secret}" in the metrics`);
  }
  for (const line of text.split('\n').filter((l) => l.startsWith('mwauth_'))) {
    for (const [, v] of line.matchAll(/="([^"]*)"/g)) assert.match(v!, /^[a-z0-9_.+:-]+$|^\+Inf$/i, line);
  }
});

test('worker lag: how long the oldest due reset request and mail have waited, read from the database', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mwauth-lag-'));
  const clock = new ManualClock(Date.UTC(2026, 5, 1));
  // No workers: the work stays where it is.
  const services = await createServices(loadConfig({ MWAUTH_DATA_DIR: dir, MWAUTH_PORT: '0' }), { clock });
  const app = await buildApp(services);
  t.after(async () => {
    await app.close();
    await services.close(0);
    rmSync(dir, { recursive: true, force: true });
  });
  await services.db
    .insertInto('reset_request')
    .values({ rr_created: clock.now(), rr_performer_id: 0, rr_performer_name: '192.0.2.1', rr_performer_ip: '192.0.2.1', rr_username: 'Somebody', rr_email: null, rr_status: 'pending', rr_processed: null })
    .execute();
  await services.outbox.enqueue(services.db, { kind: 'test', userId: 0, to: 'someone@example.org', subject: 'hello', text: 'hello', lang: 'en', dir: 'ltr' });
  clock.advance(90_000);
  const r = await app.inject({ method: 'GET', url: '/metrics' });
  assert.equal(r.statusCode, 200);
  assert.equal(sample(r.body, 'mwauth_worker_lag_seconds{worker="reset"}'), 90);
  assert.equal(sample(r.body, 'mwauth_worker_lag_seconds{worker="mail"}'), 90);
  assert.equal(sample(r.body, 'mwauth_mail_queue{status="queued"}'), 1);
  assert.equal(sample(r.body, 'mwauth_mail_queue_oldest_seconds'), 90);
  assert.equal(sample(r.body, 'mwauth_worker_idle_seconds{worker="reset"}'), undefined, 'workers not running: no idle figure');
});

test('who may read /metrics: loopback by default; MWAUTH_METRICS_ALLOW ranges past trusted proxies; forwarded requests from an untrusted peer never; "none" nobody', async (t) => {
  const get = async (srv: { url: string }, headers: Record<string, string> = {}) => (await rawRequest(`${srv.url}/metrics`, { headers })).status;
  const plain = await startTestServer();
  t.after(() => plain.close());
  assert.equal(await get(plain), 200);
  assert.equal(await get(plain, { 'x-forwarded-for': '127.0.0.1' }), 403, 'a reverse proxy on this host that is not a trusted proxy');
  assert.equal(await get(plain, { forwarded: 'for=127.0.0.1' }), 403);
  const behind = await startTestServer({ env: { MWAUTH_TRUSTED_PROXIES: '127.0.0.1', MWAUTH_METRICS_ALLOW: '203.0.113.0/24, 2001:db8::/32' } });
  t.after(() => behind.close());
  assert.equal(await get(behind, { 'x-forwarded-for': '203.0.113.9' }), 200);
  assert.equal(await get(behind, { 'x-forwarded-for': '2001:db8::5' }), 200);
  assert.equal(await get(behind, { 'x-forwarded-for': '198.51.100.7' }), 403);
  assert.equal(await get(behind), 403, 'loopback is no longer in the list');
  const refused = await rawRequest(`${behind.url}/metrics`, {});
  assert.match(refused.text, /MWAUTH_METRICS_ALLOW/);
  const none = await startTestServer({ env: { MWAUTH_METRICS_ALLOW: 'none' } });
  t.after(() => none.close());
  assert.equal(await get(none), 403);
  // /healthz and /readyz are for load balancers: anyone.
  assert.equal((await rawRequest(`${none.url}/readyz`, { headers: { 'x-forwarded-for': '198.51.100.7' } })).status, 200);
  const load = (v: string) => loadConfig({ MWAUTH_DATA_DIR: '/tmp/mwauth-none', MWAUTH_METRICS_ALLOW: v }, { persistSecret: false });
  assert.deepEqual(load('10.0.0.0/8,::1').metricsAllow, ['10.0.0.0/8', '::1/128']);
  assert.throws(() => load('0.0.0.0/0'), (e: Error) => e instanceof ConfigError && /^MWAUTH_METRICS_ALLOW: "0\.0\.0\.0\/0" is every address/.test(e.message));
  assert.throws(() => load('prometheus.internal'), (e: Error) => e instanceof ConfigError && e.message.startsWith('MWAUTH_METRICS_ALLOW: "prometheus.internal" is not an IP address'));
});
