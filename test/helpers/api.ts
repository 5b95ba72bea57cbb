// Small helpers for the API behaviour suite (test/api): expected texts from our own catalogue,
// exact envelopes, header sets, cookies, mail counts, and a raw HTTP request with a free Host header.
import http from 'node:http';
import assert from 'node:assert/strict';
import type { MessageParam } from '../../src/i18n/index.js';
import { readMails, type ApiReply, type ReadMail, type TestServer } from './harness.js';

/** The anonymous CSRF token. */
export const ANON = '+\\';
export const SUCCESS = '{"resetpassword":{"status":"success"}}';
/** A token as MediaWiki makes them: 32 hex digits of HMAC, the hex timestamp, "+\". */
export const TOKEN_RE = /^[0-9a-f]{32}[0-9a-f]+\+\\$/;

/** One of our messages in English, as the server renders it. */
export function msg(srv: TestServer, key: string, ...params: MessageParam[]): string {
  return srv.services.i18n.text('en', key, ...params);
}

/** The docref every error carries. */
export function docref(srv: TestServer): string {
  const c = srv.services.config;
  return msg(srv, 'api-usage-docref', `${c.server}${c.scriptPath}/api.php`);
}

/** The exact body of a bc-format error (formatversion 1 prints the docref as "*", last). */
export function bcError(
  srv: TestServer,
  fv: 1 | 2,
  code: string,
  info: string,
  data: Record<string, unknown> = {},
): string {
  return JSON.stringify({ error: { code, info, ...data, [fv === 1 ? '*' : 'docref']: docref(srv) } });
}

/** Asserts an API error: HTTP 200 (unless said), the MediaWiki-API-Error header and the exact body. */
export function assertError(r: ApiReply, code: string, body: string | null = null, status = 200): void {
  assert.equal(r.status, status, r.text);
  assert.equal(r.headers.get('mediawiki-api-error'), code, r.text);
  if (body !== null) assert.equal(r.text, body);
}

/** Response headers as a plain object, without the ones that always differ (Date). */
export function headerSet(r: ApiReply, except: string[] = ['date']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of r.headers) if (!except.includes(k)) out[k] = v;
  return out;
}

/** The Set-Cookie line for one cookie name, if the response set it. */
export function setCookie(r: ApiReply, name: string): string | undefined {
  return r.headers.getSetCookie().find((l) => l.startsWith(`${name}=`));
}

export function cookieNames(r: ApiReply): string[] {
  return r.headers.getSetCookie().map((l) => l.slice(0, l.indexOf('=')));
}

/**
 * srv.flush(), and then waits for sends the server's own background worker had already claimed
 * (flush returns as soon as it finds nothing left to claim, which can be before those files exist).
 */
export async function deliverAll(srv: TestServer): Promise<void> {
  const db = srv.services.db;
  for (let i = 0; i < 500; i++) {
    await srv.flush();
    const busy = await db
      .selectFrom('outbox')
      .select('ob_id')
      .where((eb) => eb.or([eb('ob_status', '=', 'sending'), eb.and([eb('ob_status', '=', 'queued'), eb('ob_next_attempt', '<=', srv.services.clock.now())])]))
      .execute();
    if (busy.length === 0) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('mail delivery did not settle');
}

/** Delivers everything pending, then returns the mails that arrived since `seen` were read. */
export async function newMails(srv: TestServer, seen: ReadMail[]): Promise<ReadMail[]> {
  await deliverAll(srv);
  const all = await readMails(srv.mailDir);
  const known = new Set(seen.map((m) => m.file));
  const fresh = all.filter((m) => !known.has(m.file));
  seen.push(...fresh);
  return fresh;
}

/** The reset mail's English body, rendered from our catalogue. */
export function resetMailText(srv: TestServer, o: { requester: string; ip: boolean; user: string; temp: string; lang?: string }): string {
  const c = srv.services.config;
  const lang = o.lang ?? 'en';
  const i18n = srv.services.i18n;
  return i18n.text(
    lang,
    o.ip ? 'passwordreset-emailtext-ip' : 'passwordreset-emailtext-user',
    o.requester,
    { key: 'passwordreset-emailelement', params: [o.user, o.temp] },
    1,
    `<${c.server}${c.articlePath}/Special:UserLogin>`,
    Math.round(c.newPasswordExpiry / 86400),
  );
}

export function normalizeNewlines(s: string): string {
  return s.replace(/\r\n/g, '\n').replace(/\n+$/, '');
}

/** A request through node:http, so that any header (Host included) goes out as given. */
export function rawRequest(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: opts.method ?? 'GET', headers: opts.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}
