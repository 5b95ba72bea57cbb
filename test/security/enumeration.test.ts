// No account enumeration by bytes: for every way of naming an account (reset by user, by email, by a
// "user" that is an address; login and clientlogin; the reset and login pages), an existing account
// and an unknown one get the same status, the same headers (Date aside) and the same body, byte for
// byte — under the per-IP limit and over it. Timing is measured by `npm run check:enumeration`, not here.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, ManualClock, startTestServer, type ApiReply, type TestServer } from '../helpers/harness.js';
import { ANON, SUCCESS, headerSet } from '../helpers/api.js';

const PASSWORD = 'Right-password-9876';
const WRONG = 'Wrong-password-1234';

/** Accounts with one shared hash (PBKDF2 is slow on purpose): with an address, without one, blocked, with a pending reset. */
async function seed(srv: TestServer): Promise<void> {
  const s = srv.services;
  const passwordHash = await s.hasher.hash(PASSWORD);
  const people: Array<[string, string]> = [
    ['Alice', 'alice@example.org'], ['Bob', 'bob@example.org'], ['Carol', 'carol@example.org'], ['Dave', ''],
    ['Erin', 'erin@example.org'], ['Fay', 'fay@example.org'], ['Gus', 'gus@example.org'], ['Hal', 'hal@example.org'],
    ['Pending', 'pending@example.org'], ['Blocked', 'blocked@example.org'],
  ];
  for (const [name, email] of people) await s.users.create({ name, email, passwordHash });
  const blocked = await s.users.byName('Blocked');
  await s.blocks.add({ userId: blocked!.id, target: 'Blocked', by: 'Admin', reason: 'test', createAccount: true });
}

/** Status, header set (Date aside) and body of one answer. */
function shape(r: ApiReply): { status: number; headers: Record<string, string>; body: string } {
  return { status: r.status, headers: headerSet(r), body: r.text };
}

function assertSame(a: ApiReply, b: ApiReply, label: string): void {
  assert.deepEqual(shape(b), shape(a), label);
}

describe('action=resetpassword under the per-IP limit', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({ env: { MWAUTH_RESET_IP_LIMIT: '1000000/3600' } });
    await seed(srv);
    // "Pending" holds a temporary password and is in its 24-hour cooldown.
    const c = new Client(srv.api);
    await c.post({ action: 'resetpassword', token: ANON, user: 'Pending' });
    await srv.flush();
  });
  after(() => srv.close());

  const reset = (p: Record<string, string>) => new Client(srv.api).post({ action: 'resetpassword', token: ANON, ...p });

  test('existing and unknown accounts get byte-identical answers, by user, by email and by a user that is an address', async () => {
    const cases: Array<[string, Record<string, string>, Record<string, string>]> = [
      ['by user', { user: 'Alice' }, { user: 'Nobody' }],
      ['by user, name typed differently', { user: 'bob' }, { user: 'nobody_two' }],
      ['by email', { email: 'carol@example.org' }, { email: 'nobody@example.org' }],
      ['by email, other case', { email: 'ERIN@EXAMPLE.ORG' }, { email: 'NOBODY3@EXAMPLE.ORG' }],
      ['a user value holding an address', { user: 'fay@example.org' }, { user: 'nobody4@example.org' }],
      ['account without an address', { user: 'Dave' }, { user: 'Nobody5' }],
      ['account in its cooldown', { user: 'Pending' }, { user: 'Nobody6' }],
      ['blocked account', { user: 'Blocked' }, { user: 'Nobody7' }],
      ['formatversion=2', { user: 'Gus', formatversion: '2' }, { user: 'Nobody8', formatversion: '2' }],
      ['errorformat=plaintext, uselang=ar', { user: 'Hal', errorformat: 'plaintext', uselang: 'ar' }, { user: 'Nobody9', errorformat: 'plaintext', uselang: 'ar' }],
    ];
    for (const [label, existing, unknown] of cases) {
      const a = await reset(existing);
      const b = await reset(unknown);
      assert.equal(a.status, 200, label);
      assert.equal(a.text, SUCCESS, label);
      assert.equal(a.headers.get('mediawiki-api-error'), null, label);
      assertSame(a, b, label);
    }
  });

  test('the answer does not depend on the order either (unknown first, then existing)', async () => {
    const b = await reset({ email: 'nobody10@example.org' });
    const a = await reset({ email: 'alice@example.org' });
    assertSame(a, b, 'unknown first');
  });
});

describe('action=resetpassword over the per-IP limit (the default, 5 per hour)', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer();
    await seed(srv);
  });
  after(() => srv.close());

  test('the 6th request on is dropped silently: the same bytes as a recorded one, for existing and unknown accounts', async () => {
    const c = new Client(srv.api);
    const under: ApiReply[] = [];
    for (const user of ['Alice', 'Nobody', 'Bob', 'Nobody2', 'Carol']) under.push(await c.post({ action: 'resetpassword', token: ANON, user }));
    const over: ApiReply[] = [];
    const overParams: Array<Record<string, string>> = [{ user: 'Erin' }, { user: 'Nobody3' }, { email: 'fay@example.org' }, { email: 'nobody@example.org' }, { user: 'Dave' }, { user: 'Blocked' }];
    for (const p of overParams) {
      over.push(await c.post({ action: 'resetpassword', token: ANON, ...p }));
    }
    for (const r of [...under, ...over]) assertSame(under[0]!, r, 'same answer under and over the limit');
    assert.equal(under[0]!.text, SUCCESS);
    const recorded = await srv.services.db.selectFrom('reset_request').select('rr_username').execute();
    assert.equal(recorded.length, 5, 'only the first five were recorded');
  });
});

describe('login: an unknown user and a wrong password look the same', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({ env: { MWAUTH_RESET_IP_LIMIT: '1000000/3600' }, clock: new ManualClock() });
    await seed(srv);
    await new Client(srv.api).post({ action: 'resetpassword', token: ANON, user: 'Pending' });
    await srv.flush();
    assert.ok((await srv.services.users.byName('Pending'))!.newPassword, 'Pending holds a temporary password');
  });
  after(() => srv.close());

  test('action=login: unknown user, wrong password, wrong password with a pending reset, account without an address', async () => {
    const c = new Client(srv.api);
    const lgtoken = await c.token('login');
    const login = (lgname: string) => c.post({ action: 'login', lgname, lgpassword: WRONG, lgtoken });
    const unknown = await login('Nobody');
    assert.equal(unknown.json.login.result, 'Failed');
    for (const name of ['Alice', 'Pending', 'Dave', 'Blocked', 'Nobody_else']) assertSame(unknown, await login(name), `action=login ${name}`);
    // formatversion=2 and errorformat=raw: still one shape for both.
    const fv2 = (lgname: string) => c.post({ action: 'login', lgname, lgpassword: WRONG, lgtoken, formatversion: '2', errorformat: 'raw' });
    assertSame(await fv2('Nobody2'), await fv2('Bob'), 'action=login fv2 raw');
  });

  test('action=clientlogin: FAIL with the same message', async () => {
    const c = new Client(srv.api);
    const logintoken = await c.token('login');
    const cl = (username: string) => c.post({ action: 'clientlogin', loginreturnurl: 'http://wiki.test/', logintoken, username, password: WRONG });
    const unknown = await cl('Nobody3');
    assert.equal(unknown.json.clientlogin.status, 'FAIL');
    for (const name of ['Carol', 'Pending', 'Dave']) assertSame(unknown, await cl(name), `clientlogin ${name}`);
  });

  test('Special:UserLogin: the same page for an unknown user and a wrong password (the typed name aside)', async () => {
    const page = new PageClient(srv.url);
    const post = async (name: string) => {
      const r = await page.submit('/wiki/Special:UserLogin', { wpName: name, wpPassword: WRONG });
      return { status: r.status, headers: pageHeaders(r.headers), body: r.body.split(name).join('{NAME}') };
    };
    const unknown = await post('Nobody4');
    assert.equal(unknown.status, 200);
    for (const name of ['Erin', 'Pending', 'Dave']) assert.deepEqual(await post(name), unknown, `login page ${name}`);
  });

  test('Special:PasswordReset: the same redirect for an existing and an unknown account', async () => {
    const page = new PageClient(srv.url);
    const post = async (fields: Record<string, string>) => {
      const r = await page.submit('/wiki/Special:PasswordReset', fields);
      return { status: r.status, headers: pageHeaders(r.headers), body: r.body };
    };
    const unknown = await post({ wpUsername: 'Nobody5' });
    assert.equal(unknown.status, 303);
    assert.deepEqual(await post({ wpUsername: 'Fay' }), unknown, 'by user');
    assert.deepEqual(await post({ wpEmail: 'gus@example.org' }), await post({ wpEmail: 'nobody@example.org' }), 'by email');
  });
});

/** Header set of a page answer, Date aside (and Content-Length, which follows the length of the typed name). */
function pageHeaders(h: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of h) if (k !== 'date' && k !== 'content-length') out[k] = v;
  return out;
}

/** A cookie-keeping page client: GETs a form, then POSTs it with its token. */
class PageClient {
  private readonly cookies = new Map<string, string>();
  constructor(private readonly base: string) {}

  private async request(method: string, path: string, form?: Record<string, string>): Promise<{ status: number; headers: Headers; body: string }> {
    const headers: Record<string, string> = {};
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    let body: string | undefined;
    if (form) {
      body = new URLSearchParams(form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const res = await fetch(this.base + path, { method, headers, body, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const pair = line.split(';')[0]!;
      const eq = pair.indexOf('=');
      this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
    return { status: res.status, headers: res.headers, body: await res.text() };
  }

  async submit(path: string, fields: Record<string, string>) {
    const page = await this.request('GET', path);
    const token = /name="wpEditToken" value="([^"]*)"/.exec(page.body)?.[1]?.replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&amp;/g, '&');
    assert.ok(token, 'the form carries a token');
    return this.request('POST', path, { wpEditToken: token, ...fields });
  }
}
