// A real server on a random port with its own data folder, for tests; plus a cookie-keeping client.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { loadConfig } from '../../src/config.js';
import { startServer } from '../../src/server.js';
import { apiPath } from '../../src/site/urls.js';
import type { ServiceOverrides, Services } from '../../src/services.js';
import type { Clock } from '../../src/util/clock.js';
import { ManualClock } from './clock.js';
import { CookieJar } from './cookies.js';

export interface TestServer {
  url: string;
  /** The fastify instance, for requests through inject() (no socket). */
  app: import('fastify').FastifyInstance;
  api: string;
  services: Services;
  dataDir: string;
  mailDir: string;
  /** Runs the reset worker and mail delivery until nothing is left. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export async function startTestServer(opts: { env?: Record<string, string>; clock?: Clock; overrides?: ServiceOverrides } = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mwauth-test-'));
  const config = loadConfig({
    MWAUTH_DATA_DIR: dataDir,
    MWAUTH_PORT: '0',
    MWAUTH_SITENAME: 'TestWiki',
    MWAUTH_SERVER: 'http://wiki.test',
    MWAUTH_PASSWORD_SENDER: 'wiki@wiki.test',
    ...opts.env,
  });
  const server = await startServer(config, { ...opts.overrides, clock: opts.clock });
  const s = server.services;
  return {
    url: server.url,
    app: server.app,
    api: server.url + apiPath(config),
    services: s,
    dataDir,
    mailDir: config.mailDir,
    async flush() {
      await s.recoveryWorker.kick();
      while ((await s.delivery.runOnce()) > 0);
    },
    async close() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export { ManualClock };

/** Creates an account through the services, the way `mwauth user add` does. */
export async function addUser(s: Services, name: string, password: string, opts: { email?: string; groups?: string[] } = {}) {
  const user = await s.users.create({ name, email: opts.email ?? '', passwordHash: await s.hasher.hash(password) });
  for (const g of opts.groups ?? []) await s.users.addGroup(user.id, g);
  return user;
}

export interface ApiReply {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

/** An HTTP client with its own cookie jar, like one MediaWiki client program. */
export class Client {
  /** Pass another client's jar to act as the same browser (say, on another node). */
  constructor(
    readonly api: string,
    readonly headers: Record<string, string> = {},
    readonly jar = new CookieJar(),
  ) {}

  get cookies(): Map<string, string> {
    return this.jar.cookies;
  }

  async request(method: string, query: Record<string, string>, body?: Record<string, string> | FormData, extra: Record<string, string> = {}): Promise<ApiReply> {
    const url = new URL(this.api);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    const headers: Record<string, string> = { ...this.headers, ...extra };
    const cookie = this.jar.header();
    if (cookie) headers.cookie = cookie;
    let payload: BodyInit | undefined;
    if (body instanceof FormData) payload = body;
    else if (body) {
      payload = new URLSearchParams(body).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const res = await fetch(url, { method, headers, body: payload, redirect: 'manual' });
    this.jar.keep(res.headers.getSetCookie());
    const text = await res.text();
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
    return { status: res.status, headers: res.headers, text, json };
  }

  get(params: Record<string, string>, extra?: Record<string, string>): Promise<ApiReply> {
    return this.request('GET', { format: 'json', ...params }, undefined, extra);
  }

  post(params: Record<string, string>, query: Record<string, string> = {}, extra?: Record<string, string>): Promise<ApiReply> {
    return this.request('POST', query, { format: 'json', ...params }, extra);
  }

  async token(type = 'csrf'): Promise<string> {
    const r = await this.get({ action: 'query', meta: 'tokens', type });
    return r.json.query.tokens[`${type}token`];
  }

  /** action=login with a token fetched first; returns the login result object. */
  async login(name: string, password: string): Promise<any> {
    const lgtoken = await this.token('login');
    const r = await this.post({ action: 'login', lgname: name, lgpassword: password, lgtoken });
    return r.json.login;
  }
}

export interface ReadMail {
  file: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  headers: Map<string, unknown>;
  tempPassword: string | null;
}

/** Every .eml in the folder, parsed, oldest first. */
export async function readMails(dir: string): Promise<ReadMail[]> {
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.eml')).sort();
  } catch {
    return [];
  }
  const out: ReadMail[] = [];
  for (const file of files) {
    const parsed = await simpleParser(readFileSync(join(dir, file)));
    const text = parsed.text ?? '';
    out.push({
      file,
      to: parsed.to && !Array.isArray(parsed.to) ? parsed.to.text : '',
      subject: parsed.subject ?? '',
      text,
      html: typeof parsed.html === 'string' ? parsed.html : '',
      headers: parsed.headers,
      tempPassword: /:\s*([0-9a-v]{10,})\s*$/m.exec(text.split('\n').find((l) => /[0-9a-v]{10}\s*$/.test(l) && l.includes(':') && !l.includes('http')) ?? '')?.[1] ?? null,
    });
  }
  return out;
}
