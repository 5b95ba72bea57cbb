// Hostile input, property-based (fast-check): random parameter names and values, broken encodings
// (invalid UTF-8 percent-escapes, NUL bytes), huge values up to the limits, many-part and nested
// multipart bodies, repeated names, PHP array syntax, odd content types, JSON and empty bodies, every
// method, at /w/api.php and at the pages. Never a 5xx, never a crash or a hang; the API always
// answers MediaWiki-style. Most runs go through app.inject() (fast); a smaller number over a real socket.
// The fixed cases at the end pin the limits: body size, parameter count, unreadable bodies.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseXml, unserializePhp, xmlValue } from '../../conformance/bodies.js';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../src/config.js';
import { MAX_PARAMS } from '../../src/api/request.js';
import { BODY_LIMIT, buildApp } from '../../src/server.js';
import { createServices, type Services } from '../../src/services.js';

const API = '/w/api.php';
const METHODS = ['GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const;
const REQUEST_TIMEOUT_MS = 10_000;
const SEED = Number(process.env.FUZZ_SEED ?? 20260101);

let dataDir: string;
let services: Services;
let app: FastifyInstance;
let base: string;
/** Errors the server logged as internal failures during the runs. */
const internalErrors: string[] = [];

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'mwauth-fuzz-'));
  const config = loadConfig({
    MWAUTH_DATA_DIR: dataDir,
    MWAUTH_PORT: '0',
    MWAUTH_SERVER: 'http://wiki.test',
    MWAUTH_SITENAME: 'FuzzWiki',
    MWAUTH_PASSWORD_SENDER: 'wiki@wiki.test',
    MWAUTH_RESET_IP_LIMIT: '1000000/3600',
  });
  const logger = {
    info() {},
    warn() {},
    error(o: object, msg: string) {
      internalErrors.push(`${msg} ${JSON.stringify(o).slice(0, 300)}`);
    },
  };
  // A cheap hasher setting: this test is about input handling, not PBKDF2 cost.
  const { createPasswordHasher } = await import('../../src/auth/passwords.js');
  services = await createServices(config, { logger, hasher: createPasswordHasher({ iterations: 1000 }) });
  await services.users.create({ name: 'Alice', email: 'alice@example.org', passwordHash: await services.hasher.hash('Right-password-9876') });
  app = await buildApp(services);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
});

after(async () => {
  await app.close();
  await services.close(0);
  rmSync(dataDir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------------
// Arbitraries.

const KNOWN_NAMES = [
  'action', 'format', 'formatversion', 'errorformat', 'errorlang', 'uselang', 'utf8', 'ascii', 'callback', 'origin',
  'maxlag', 'assert', 'assertuser', 'requestid', 'curtimestamp', 'responselanginfo', 'servedby', 'smaxage', 'maxage',
  'meta', 'type', 'uiprop', 'siprop', 'prop', 'list', 'modules', 'amirequestsfor', 'user', 'email', 'token',
  'lgname', 'lgpassword', 'lgtoken', 'lgdomain', 'logintoken', 'username', 'password', 'retype', 'rememberMe',
  'loginreturnurl', 'logincontinue', 'createtoken', 'createreturnurl', 'changeauthrequest', 'title', 'returnto',
  'wpName', 'wpPassword', 'wpRetype', 'wpEmail', 'wpUsername', 'wpEditToken', 'wpRemember', '__proto__', 'constructor',
];
const KNOWN_VALUES = [
  'query', 'login', 'clientlogin', 'createaccount', 'logout', 'resetpassword', 'changeauthenticationdata', 'paraminfo',
  'help', 'json', 'jsonfm', 'none', 'php', 'xml', '1', '2', 'latest', 'bc', 'plaintext', 'wikitext', 'html', 'raw',
  'tokens', 'userinfo', 'siteinfo', 'authmanagerinfo', 'csrf|login|createaccount', '*', '+\\', 'Alice', 'alice@example.org',
  'User:Alice', 'Nobody', '127.0.0.1', 'ar', 'fr', 'en', 'qqx', 'anon', 'user', 'bot', '-1', '0', '99999999999999999999',
  'MediaWiki\\Auth\\PasswordAuthenticationRequest', 'Special:PasswordReset', 'Special:UserLogin', 'http://wiki.test/',
];
/** Broken or unusual percent-escapes, inserted raw into a query string or a urlencoded body. */
const RAW_ESCAPES = ['%C3%28', '%FF', '%FE%FF', '%', '%0', '%zz', '%00', '%E2%82', '%ED%A0%80', '%F4%90%80%80', '%C0%AF', '%E2%80%AE', '+', '%2B', '&&', '==', ';', '%26', '%3D', '%1F'];
const HUGE_SIZES = [1024, 65_536, 1_000_000, BODY_LIMIT - 4096];

type Piece = { raw: string } | { text: string };

const text: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...KNOWN_VALUES) },
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.constantFrom('\0', 'a\0b', '\x1fa\x1fb', 'a|b|c|*', '\ud800', '\udfff\ud800', '\u202e', '<script>', '"\'`', '../../etc/passwd') },
);

const name: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...KNOWN_NAMES) },
  { weight: 2, arbitrary: fc.string({ minLength: 1, maxLength: 20 }) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...KNOWN_NAMES), fc.constantFrom('[]', '[x]', '[0]', '[][]', '[a][b]', '[')).map(([n, s]) => n + s) },
);

/** A piece of a query string or urlencoded body: properly encoded text, or raw bytes. */
const piece: fc.Arbitrary<Piece[]> = fc.array(
  fc.oneof(
    { weight: 5, arbitrary: text.map((t): Piece => ({ text: t })) },
    { weight: 2, arbitrary: fc.constantFrom(...RAW_ESCAPES).map((r): Piece => ({ raw: r })) },
  ),
  { minLength: 1, maxLength: 3 },
);
/** Percent-encodes the UTF-8 bytes of a string (encodeURIComponent throws on a lone surrogate). */
function pct(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) out += /[A-Za-z0-9\-_.~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  return out;
}
const enc = (ps: Piece[]) => ps.map((p) => ('raw' in p ? p.raw : pct(p.text))).join('');

/** name=value pairs; some repeated, some huge (within the limits), some values missing ("a&b="). */
const pairs: fc.Arbitrary<string[]> = fc.array(
  fc.oneof(
    { weight: 8, arbitrary: fc.tuple(name, piece).map(([n, v]) => `${pct(n)}=${enc(v)}`) },
    { weight: 2, arbitrary: fc.tuple(piece, piece).map(([n, v]) => `${enc(n)}=${enc(v)}`) },
    { weight: 1, arbitrary: name.map((n) => pct(n)) },
    { weight: 1, arbitrary: fc.constantFrom('a[]=1&a[x]=2', 'action=query&action=login', 'format=json&format=jsonfm', 'user=A&user[]=B', '&', '=') },
  ),
  { maxLength: 12 },
);

const hugeValue = fc.tuple(fc.constantFrom('user', 'email', 'lgname', 'lgpassword', 'password', 'token', 'action', 'x'), fc.constantFrom(...HUGE_SIZES), fc.constantFrom('a', 'é', '%FF', '\0'))
  // The encoded value stays within `size` bytes: huge, but under the body limit (over it is tested below).
  .map(([n, size, ch]) => ({ name: n, value: ch === '%FF' ? null : ch.repeat(Math.floor(size / pct(ch).length)), size }));

type Body = { type: string | null; payload: Buffer | string } | null;

function multipart(boundary: string, parts: Array<{ name: string; value: string; file?: boolean; type?: string }>, close = true): string {
  const out = parts.map((p) => {
    const disp = `Content-Disposition: form-data; name="${p.name.replace(/["\r\n]/g, '_')}"${p.file ? '; filename="x.txt"' : ''}`;
    return `--${boundary}\r\n${disp}\r\n${p.type ? `Content-Type: ${p.type}\r\n` : ''}\r\n${p.value}\r\n`;
  });
  return out.join('') + (close ? `--${boundary}--\r\n` : '');
}

const multipartBody: fc.Arbitrary<Body> = fc
  .tuple(
    fc.array(fc.record({ name, value: text, file: fc.boolean(), type: fc.option(fc.constantFrom('text/plain', 'application/json', 'multipart/mixed; boundary=inner', 'application/octet-stream'), { nil: undefined }) }), { maxLength: 30 }),
    fc.boolean(),
    fc.integer({ min: 0, max: 4 }),
    fc.constantFrom('XyZ', 'a', '----WebKitFormBoundary7MA4YWxkTrZu0gW', ''),
  )
  .map(([parts, close, depth, boundary]) => {
    let inner = multipart('inner', parts.slice(0, 3));
    // Nested multipart/mixed parts, several levels deep.
    for (let d = 0; d < depth; d++) inner = multipart(`inner${d}`, [{ name: `nest${d}`, value: inner, type: `multipart/mixed; boundary=inner${d}` }]);
    const all = depth ? [...parts, { name: 'nested', value: inner, type: 'multipart/mixed; boundary=inner' }] : parts;
    return { type: boundary ? `multipart/form-data; boundary=${boundary}` : 'multipart/form-data', payload: multipart(boundary || 'none', all, close) };
  });

const manyParts: fc.Arbitrary<Body> = fc.integer({ min: 900, max: 1100 }).map((n) => ({
  type: 'multipart/form-data; boundary=B',
  payload: multipart('B', Array.from({ length: n }, (_, i) => ({ name: i % 7 === 0 ? 'action' : `p${i}`, value: i % 7 === 0 ? 'query' : 'v' }))),
}));

const jsonBody: fc.Arbitrary<Body> = fc.oneof(
  fc.jsonValue({ maxDepth: 6 }).map((v) => ({ type: 'application/json', payload: JSON.stringify(v) ?? 'null' })),
  fc.constantFrom('{"action":"query","format":"json"}', '{"__proto__":{"x":1}}', '{', '[[[[[[[[[[[[[[[[[[[[', '"\\ud800"', '').map((p) => ({ type: 'application/json', payload: p })),
  fc.integer({ min: 1000, max: 5000 }).map((d) => ({ type: 'application/json', payload: '['.repeat(d) + ']'.repeat(d) })),
);

const oddType = fc.constantFrom(
  'text/plain', 'application/octet-stream', 'text/html', '*/*', '', ' ', 'application/x-www-form-urlencoded; charset=utf-16',
  'application/x-www-form-urlencoded;;;', 'APPLICATION/X-WWW-FORM-URLENCODED', 'multipart/form-data; boundary="quoted"',
  'multipart/mixed; boundary=x', 'application/json; charset=latin1', 'application/xml', 'image/png', 'x/y; a=b; a=c', 'form-data',
);

const body: fc.Arbitrary<Body> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(null) },
  { weight: 6, arbitrary: pairs.map((p): Body => ({ type: 'application/x-www-form-urlencoded', payload: p.join('&') })) },
  { weight: 4, arbitrary: multipartBody },
  { weight: 1, arbitrary: manyParts },
  { weight: 2, arbitrary: jsonBody },
  { weight: 2, arbitrary: fc.tuple(oddType, fc.oneof(pairs.map((p) => p.join('&')), fc.uint8Array({ maxLength: 200 }).map((u) => Buffer.from(u)))).map(([type, payload]): Body => ({ type, payload })) },
  { weight: 1, arbitrary: fc.constantFrom<Body>({ type: 'application/x-www-form-urlencoded', payload: '' }, { type: null, payload: '' }, { type: 'multipart/form-data; boundary=B', payload: '' }) },
  { weight: 1, arbitrary: hugeValue.map((h): Body => ({ type: 'application/x-www-form-urlencoded', payload: `action=resetpassword&format=json&token=%2B%5C&${h.name}=${h.value === null ? '%FF'.repeat(Math.floor(h.size / 3)) : pct(h.value)}` })) },
);

const path: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: fc.constant(API) },
  { weight: 1, arbitrary: fc.constantFrom('/wiki/Special:PasswordReset', '/wiki/Special:UserLogin', '/wiki/Special:CreateAccount', '/wiki/Special:ChangePassword', '/wiki/Special:UserLogout', '/wiki/Main_Page') },
  { weight: 1, arbitrary: piece.map((t) => `/w/index.php?title=${enc(t)}`) },
  { weight: 1, arbitrary: piece.map((t) => `/wiki/${enc(t)}`) },
);

const headers: fc.Arbitrary<Record<string, string>> = fc.record(
  {
    origin: fc.constantFrom('http://wiki.test', 'https://evil.example', 'null', ''),
    cookie: fc.oneof(fc.constantFrom('mwauth_session=0123456789abcdefghijklmnopqrstuv', 'mwauth_session=; mwauth_session=x', 'mwauth_UserID=1; mwauth_Token=zz', 'a=b=c;;;'), fc.string({ unit: 'binary-ascii', maxLength: 60 }).map((s) => s.replace(/[^\x20-\x7e]/g, ''))),
    'accept-language': fc.constantFrom('ar', 'fr-CA, en;q=0.5', '*', 'q=0', 'xx-YY;q=abc'),
    'treat-as-untrusted': fc.constant('1'),
    'promise-non-write-api-action': fc.constant('1'),
  },
  { requiredKeys: [] },
);

interface Case {
  method: (typeof METHODS)[number];
  path: string;
  query: string[];
  body: Body;
  headers: Record<string, string>;
}

const caseArb: fc.Arbitrary<Case> = fc.record({ method: fc.constantFrom(...METHODS), path, query: pairs, body, headers });

function urlOf(c: Case): string {
  if (!c.query.length) return c.path;
  return c.path + (c.path.includes('?') ? '&' : '?') + c.query.join('&');
}

// ---------------------------------------------------------------------------------------------------
// What every answer must look like.

interface Answer {
  status: number;
  headers: Record<string, unknown>;
  body: string;
}

const LIMIT_CODES = new Set(['toobig', 'toomanyparams', 'badrequest']);

function checkAnswer(c: Case, r: Answer): void {
  const label = `${c.method} ${urlOf(c).slice(0, 200)} ${c.body?.type ?? ''}`;
  assert.ok(r.status < 500, `${label}: HTTP ${r.status} ${r.body.slice(0, 300)}`);
  const ctype = String(r.headers['content-type'] ?? '');
  const apiError = r.headers['mediawiki-api-error'] as string | undefined;
  const isApi = c.path === API;
  if (!isApi) {
    // A path that is not a valid URL (a broken escape in it) is refused by the router itself.
    if (r.status === 400 && /"code":"FST_ERR_BAD_URL"/.test(r.body)) return;
    // Pages: HTML for GET and POST (a page, a redirect, or the page error); other methods are no route (404).
    if (c.method === 'GET' || c.method === 'POST' || c.method === 'HEAD') {
      assert.ok([200, 303, 400, 403, 404, 413, 415].includes(r.status), `${label}: page status ${r.status}`);
      if (r.status !== 303 && c.method !== 'HEAD') assert.match(ctype, /^text\/html; charset=utf-8$/, `${label}: page type`);
    } else {
      // No page route for this method; a body that could not be read still says so (400, 413).
      assert.ok([404, 400, 413].includes(r.status), `${label}: no page route for ${c.method}, got ${r.status}`);
    }
    return;
  }
  if (r.status === 405) {
    assert.equal(apiError, 'invalidmethod', label);
    return;
  }
  if (r.status === 403) {
    // origin= that the Origin header does not hold: MediaWiki's plain-text HTML answer.
    assert.match(r.body, /^'origin' parameter does not match Origin header\n$|^$/, label);
    return;
  }
  if (r.status === 413 || r.status === 400) assert.ok(apiError && LIMIT_CODES.has(apiError), `${label}: ${r.status} needs a limit code, got ${apiError}`);
  else assert.equal(r.status, 200, `${label}: API status ${r.status}`);
  if (c.method === 'OPTIONS' || c.method === 'HEAD' || r.body === '') return; // preflight, HEAD, format=none
  let json: unknown = null;
  if (ctype.startsWith('application/json')) json = JSON.parse(r.body);
  else if (ctype.startsWith('text/javascript')) {
    const m = /^\/\*\*\/[\][\w.'"]*\(([\s\S]*)\)$/.exec(r.body);
    assert.ok(m, `${label}: JSONP shape`);
    json = JSON.parse(m[1]!);
  } else if (ctype.startsWith('text/html')) {
    // jsonfm (the JSON inside a <pre>), or the help page.
    const pre = /<pre[^>]*>([\s\S]*)<\/pre>/.exec(r.body);
    if (!pre) {
      assert.ok(!apiError, `${label}: an error is never the help page`);
      assert.match(r.body, /^<!DOCTYPE html>/, `${label}: HTML`);
      return;
    }
    const unescaped = pre[1]!.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
    // jsonfm with a callback shows the JSONP, as MediaWiki's does.
    const jsonp = /^\/\*\*\/[\][\w.'"]*\(([\s\S]*)\)$/.exec(unescaped);
    json = JSON.parse(jsonp ? jsonp[1]! : unescaped);
  } else if (/^(text\/xml|application\/rsd\+xml)/.test(ctype)) {
    // format=xml (and action=rsd): a well-formed document; errors read as the JSON ones are.
    const doc = xmlValue(parseXml(r.body));
    if (ctype.startsWith('application/rsd+xml')) return;
    const errors = (doc.errors as Record<string, unknown> | undefined)?.error;
    json = errors === undefined ? doc : { ...doc, errors: Array.isArray(errors) ? errors : [errors] };
  } else if (ctype.startsWith('application/vnd.php.serialized')) {
    json = unserializePhp(r.body);
  } else {
    assert.fail(`${label}: unexpected content type ${ctype}`);
  }
  assert.ok(json && typeof json === 'object' && !Array.isArray(json), `${label}: a JSON object`);
  const o = json as Record<string, unknown>;
  if (apiError) {
    if ('error' in o) {
      const e = o.error as Record<string, unknown>;
      assert.equal(e.code, apiError, `${label}: error code matches the header`);
      assert.equal(typeof e.info, 'string', label);
      assert.ok(typeof (e['*'] ?? e.docref) === 'string', `${label}: docref`);
    } else {
      assert.ok(Array.isArray(o.errors), `${label}: "error" or "errors"`);
      assert.equal((o.errors as Array<{ code: string }>)[0]!.code, apiError, label);
    }
  } else {
    assert.ok(!('error' in o) && !('errors' in o), `${label}: an error body needs the MediaWiki-API-Error header`);
  }
}

function withTimeout<T>(p: Promise<T>, label: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms: ${label}`)), REQUEST_TIMEOUT_MS);
    }),
  ]);
}

async function viaInject(c: Case): Promise<Answer> {
  const headers: Record<string, string> = { ...c.headers };
  if (c.body?.type) headers['content-type'] = c.body.type;
  const r = await withTimeout(
    app.inject({ method: c.method, url: urlOf(c), headers, ...(c.body && c.method !== 'GET' && c.method !== 'HEAD' ? { payload: c.body.payload } : {}) }),
    `${c.method} ${urlOf(c).slice(0, 100)}`,
  );
  return { status: r.statusCode, headers: r.headers, body: r.body };
}

function viaSocket(c: Case): Promise<Answer> {
  return withTimeout(
    new Promise<Answer>((resolve, reject) => {
      const headers: Record<string, string> = { ...c.headers };
      const payload: Buffer | null = c.body && c.method !== 'GET' && c.method !== 'HEAD' ? Buffer.from(c.body.payload) : null;
      if (c.body?.type) headers['content-type'] = c.body.type;
      if (payload) headers['content-length'] = String(payload.length);
      // The path goes out as written: broken escapes included (node:http checks only for control characters).
      const req = http.request(base + urlOf(c).replace(/[^\x21-\x7e]/g, (ch) => pct(ch)), { method: c.method, headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (x: Buffer) => chunks.push(x));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('error', reject);
      if (payload) req.write(payload);
      req.end();
    }),
    `${c.method} ${urlOf(c).slice(0, 100)}`,
  );
}

/** The server still answers an ordinary request. */
async function assertAlive(): Promise<void> {
  const r = await viaSocket({ method: 'GET', path: API, query: ['action=query', 'meta=siteinfo', 'format=json'], body: null, headers: {} });
  assert.equal(r.status, 200);
  assert.ok(JSON.parse(r.body).query.general.sitename === 'FuzzWiki');
}

/** A failure report that names the case without printing megabytes of payload. */
function report(out: fc.RunDetails<[Case]>): void {
  if (!out.failed) return;
  const c = out.counterexample?.[0];
  const shown = c && { ...c, body: c.body && { type: c.body.type, payload: `${String(c.body.payload).slice(0, 500)}… (${c.body.payload.length} bytes)` }, query: c.query.map((q) => q.slice(0, 200)) };
  throw new Error(`fuzz case failed (seed ${out.seed}, path ${out.counterexamplePath}): ${JSON.stringify(shown)}\n${String(out.errorInstance)}`);
}

describe('hostile input, property-based', () => {
  test('through app.inject(): never a 5xx, never a hang, always a MediaWiki-style API answer', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => checkAnswer(c, await viaInject(c))),
      { numRuns: 300, seed: SEED, endOnFailure: true, reporter: report },
    );
    assert.deepEqual(internalErrors, [], 'nothing was logged as an internal failure');
    await assertAlive();
  });

  test('over a real socket: the same, and the server survives', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => checkAnswer(c, await viaSocket(c))),
      { numRuns: 50, seed: SEED + 1, endOnFailure: true, reporter: report },
    );
    assert.deepEqual(internalErrors, []);
    await assertAlive();
  });
});

// ---------------------------------------------------------------------------------------------------
// The limits, one by one.

async function post(url: string, type: string, payload: string | Buffer, via: 'inject' | 'socket' = 'inject'): Promise<Answer> {
  const c: Case = { method: 'POST', path: url.split('?')[0]!, query: url.includes('?') ? url.split('?')[1]!.split('&') : [], body: { type, payload }, headers: {} };
  return via === 'inject' ? viaInject(c) : viaSocket(c);
}

function assertLimitError(r: Answer, status: number, code: string, info: RegExp): void {
  assert.equal(r.status, status, r.body.slice(0, 300));
  assert.equal(r.headers['mediawiki-api-error'], code);
  assert.match(String(r.headers['content-type']), /^application\/json/);
  const e = JSON.parse(r.body).error;
  assert.equal(e.code, code);
  assert.match(e.info, info);
  assert.equal(e['*'], 'Documentation of this API: http://wiki.test/w/api.php.');
}

describe('request limits answer MediaWiki-style', () => {
  const TOO_BIG = /larger than the limit of 8388608 bytes/;
  const TOO_MANY = new RegExp(`at most ${MAX_PARAMS} are read`);

  test(`a body over ${BODY_LIMIT} bytes is "toobig" (413), whatever its type`, async () => {
    const big = 'x'.repeat(BODY_LIMIT + 1);
    assertLimitError(await post(`${API}?format=json`, 'application/x-www-form-urlencoded', `a=${big}`), 413, 'toobig', TOO_BIG);
    assertLimitError(await post(`${API}?format=json`, 'application/json', `"${big}"`), 413, 'toobig', TOO_BIG);
    assertLimitError(await post(`${API}?format=json`, 'application/octet-stream', big), 413, 'toobig', TOO_BIG);
    assertLimitError(await post(`${API}?format=json`, 'multipart/form-data; boundary=B', multipart('B', [{ name: 'a', value: big }])), 413, 'toobig', TOO_BIG);
    // A value just under the limit is read (and here refused as a user name, with its own error).
    const under = await post(API, 'application/x-www-form-urlencoded', `action=resetpassword&format=json&token=%2B%5C&user=${'A'.repeat(BODY_LIMIT - 100)}`);
    assert.equal(under.status, 200);
    assert.equal(under.headers['mediawiki-api-error'], 'baduser');
  });

  test('multipart is held to the same total: many parts each under the per-field size, over a real socket (chunked)', async () => {
    const chunk = 'y'.repeat(2 * 1024 * 1024);
    const payload = multipart('B', Array.from({ length: 6 }, (_, i) => ({ name: `f${i}`, value: chunk })));
    const r = await withTimeout(
      new Promise<Answer>((resolve, reject) => {
        // No Content-Length: the size is only known by reading.
        const req = http.request(`${base}${API}?format=json`, { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=B', 'transfer-encoding': 'chunked' } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (x: Buffer) => chunks.push(x));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        });
        req.on('error', reject);
        req.end(payload);
      }),
      'chunked multipart',
    );
    assertLimitError(r, 413, 'toobig', TOO_BIG);
  });

  test(`more than ${MAX_PARAMS} parameters in the query string or the body is "toomanyparams" (413), in linear time`, async () => {
    const many = Array.from({ length: 200_000 }, (_, i) => `p${i}=`).join('&');
    const t0 = Date.now();
    assertLimitError(await post(`${API}?format=json`, 'application/x-www-form-urlencoded', many), 413, 'toomanyparams', TOO_MANY);
    assert.ok(Date.now() - t0 < 5000, `200 000 parameters took ${Date.now() - t0} ms`);
    const q = Array.from({ length: MAX_PARAMS + 1 }, (_, i) => `q${i}=1`).join('&');
    assertLimitError(await viaInject({ method: 'GET', path: API, query: ['format=json', q], body: null, headers: {} }), 413, 'toomanyparams', TOO_MANY);
    const parts = multipart('B', Array.from({ length: MAX_PARAMS + 1 }, (_, i) => ({ name: `m${i}`, value: '1' })));
    assertLimitError(await post(`${API}?format=json`, 'multipart/form-data; boundary=B', parts), 413, 'toomanyparams', TOO_MANY);
    // Exactly the limit is fine: every extra name is reported as unrecognized.
    const ok = Array.from({ length: MAX_PARAMS - 2 }, (_, i) => `p${i}=`).join('&');
    const r = await post(API, 'application/x-www-form-urlencoded', `action=query&format=json&${ok}`);
    assert.equal(r.status, 200);
    assert.match(JSON.parse(r.body).warnings.main['*'], /not recognized and ignored: p0, p1/);
  });

  test('an unreadable multipart body is "badrequest" (400), on the pages a 400 page', async () => {
    const truncated = '--B\r\nContent-Disposition: form-data; name="action"\r\n\r\nquery';
    assertLimitError(await post(`${API}?format=json`, 'multipart/form-data; boundary=B', truncated), 400, 'badrequest', /could not be read/);
    assertLimitError(await post(`${API}?format=json`, 'multipart/form-data', 'abc'), 400, 'badrequest', /could not be read/);
    const page = await post('/wiki/Special:UserLogin', 'multipart/form-data; boundary=B', truncated);
    assert.equal(page.status, 400);
    assert.match(String(page.headers['content-type']), /^text\/html/);
  });

  test('the limit errors follow format, formatversion and errorformat from the query string', async () => {
    const big = 'x'.repeat(BODY_LIMIT + 1);
    const r = await post(`${API}?format=json&formatversion=2&errorformat=plaintext&uselang=fr`, 'application/x-www-form-urlencoded', `a=${big}`);
    assert.equal(r.status, 413);
    assert.equal(r.headers['mediawiki-api-error'], 'toobig');
    const body = JSON.parse(r.body);
    assert.deepEqual(Object.keys(body), ['errors', 'docref']);
    assert.equal(body.errors[0].code, 'toobig');
    assert.equal(body.errors[0].module, 'main');
    assert.match(body.errors[0].text, /dépasse la limite de 8388608/);
    const fm = await post(API, 'application/x-www-form-urlencoded', `a=${big}`);
    assert.equal(fm.status, 413);
    assert.match(String(fm.headers['content-type']), /^text\/html/, 'jsonfm by default, as any API error');
  });

  test('JSON and other non-form bodies are not parameters (as in MediaWiki): only the query string counts', async () => {
    const r = await post(`${API}?format=json`, 'application/json', '{"action":"query","meta":"siteinfo"}');
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /^text\/html/, 'no action: the help page');
    const broken = await post(`${API}?format=json&action=query`, 'application/json', '{"__proto__":');
    assert.equal(broken.status, 200);
    assert.equal(broken.body, '{"batchcomplete":""}');
  });

  test('a request cut off mid-body does not disturb the server', async () => {
    await new Promise<void>((resolve) => {
      const req = http.request(`${base}${API}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': '1000000' } });
      req.on('error', () => resolve());
      req.write('action=query&format=json&x=');
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 50);
    });
    await assertAlive();
    assert.deepEqual(internalErrors, []);
  });
});
