#!/usr/bin/env node
// mwapi.mjs: a small client shaped like MediaWiki's mw.Api (get, post, getToken, badToken,
// postWithToken, login), on fetch with its own cookie jar, plus the API:Resetpassword
// "MediaWiki JS" demo as a script:
//
//   api.postWithToken('csrf', { action: 'resetpassword', email }) → print the JSON
//
// Like mw.Api, postWithToken fetches the token (action=query&meta=tokens&type=csrf) unless it
// has one, and when the server answers "badtoken" it forgets the token, fetches a new one and
// retries once.
//
// Usage: node mwapi.mjs [--url URL] (--email ADDRESS | --user NAME)
//            [--lgname NAME --lgpassword PASSWORD] [--stale-token TOKEN]
//   --stale-token seeds the token cache with TOKEN, as a page does with mw.user.tokens, so the
//   badtoken retry runs. Environment: MW_API_URL, MW_LGNAME, MW_LGPASSWORD.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/** A failed API call: `code` is the API error code (or "http"), `data` the whole reply. */
export class ApiError extends Error {
  constructor(code, data, message) {
    super(message ?? `${code}${data?.error?.info ? `: ${data.error.info}` : ''}`);
    this.code = code;
    this.data = data;
  }
}

/** Cookies by name for one server, kept from Set-Cookie and sent back on every request. */
export class CookieJar {
  #cookies = new Map();

  store(response) {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      let expired = false;
      for (const attribute of attributes) {
        const [key, ...rest] = attribute.split('=');
        const k = key.trim().toLowerCase();
        const v = rest.join('=').trim();
        if (k === 'max-age' && Number(v) <= 0) expired = true;
        if (k === 'expires' && Date.parse(v) <= Date.now()) expired = true;
      }
      if (expired) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }

  header() {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  get size() {
    return this.#cookies.size;
  }
}

export class Api {
  /**
   * @param {string} url api.php
   * @param {{ parameters?: Record<string, unknown>, userAgent?: string, log?: (line: string) => void }} [options]
   */
  constructor(url, options = {}) {
    this.url = url;
    this.defaults = { action: 'query', format: 'json', ...options.parameters };
    this.userAgent = options.userAgent ?? 'mwauth-test-mwapi/1.0';
    this.log = options.log ?? (() => {});
    this.jar = new CookieJar();
    /** Tokens by type, as mw.Api caches them. */
    this.tokens = new Map();
  }

  /** mw.Api's parameter rules: arrays joined with "|", true as "", false/null/undefined left out. */
  static preprocess(params) {
    const out = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) {
      if (value === undefined || value === null || value === false) continue;
      if (value === true) out.set(key, '');
      else if (Array.isArray(value)) {
        const items = value.map(String);
        // A value holding "|" needs the unit separator form, as mw.Api does.
        out.set(key, items.some((v) => v.includes('|')) ? '\x1f' + items.join('\x1f') : items.join('|'));
      } else out.set(key, String(value));
    }
    return out;
  }

  async ajax(params, method) {
    const query = Api.preprocess({ ...this.defaults, ...params });
    const headers = { 'user-agent': this.userAgent };
    if (this.jar.size) headers.cookie = this.jar.header();
    let url = this.url;
    let body;
    if (method === 'GET') url += '?' + query.toString();
    else {
      body = query.toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const response = await fetch(url, { method, headers, body, redirect: 'manual' });
    this.jar.store(response);
    const text = await response.text();
    if (response.status !== 200) throw new ApiError('http', { status: response.status, text }, `HTTP ${response.status}`);
    let data;
    try {
      data = JSON.parse(text);
    } catch {
      throw new ApiError('ok-but-empty', { text }, `not JSON: ${text.slice(0, 200)}`);
    }
    if (data.error) throw new ApiError(data.error.code, data);
    if (Array.isArray(data.errors) && data.errors.length) throw new ApiError(data.errors[0].code, data);
    return data;
  }

  get(params) {
    return this.ajax(params, 'GET');
  }

  post(params) {
    return this.ajax(params, 'POST');
  }

  async getToken(type) {
    const cached = this.tokens.get(type);
    if (cached !== undefined) return cached;
    const data = await this.get({ action: 'query', meta: 'tokens', type });
    const token = data.query?.tokens?.[`${type}token`];
    if (token === undefined) throw new ApiError('token-missing', data, `no ${type} token in the reply`);
    this.tokens.set(type, token);
    return token;
  }

  badToken(type) {
    this.tokens.delete(type);
  }

  async postWithToken(type, params) {
    const token = await this.getToken(type);
    try {
      return await this.post({ ...params, token });
    } catch (err) {
      if (!(err instanceof ApiError) || err.code !== 'badtoken') throw err;
      this.log(`badtoken: fetching a new ${type} token and retrying once`);
      this.badToken(type);
      return this.post({ ...params, token: await this.getToken(type) });
    }
  }

  /** mw.Api#login: action=login with a fresh login token; resolves with the login object. */
  async login(username, password) {
    const lgtoken = await this.getToken('login');
    const data = await this.post({ action: 'login', lgname: username, lgpassword: password, lgtoken });
    this.badToken('login');
    if (data.login?.result !== 'Success') throw new ApiError(data.login?.result ?? 'unknown', data, `login failed: ${JSON.stringify(data.login)}`);
    // Tokens belong to the session that just changed.
    this.tokens.clear();
    return data.login;
  }
}

async function script() {
  const fail = (message) => {
    process.stderr.write(`mwapi.mjs: ${message}\n`);
    process.exit(1);
  };
  let args;
  try {
    args = parseArgs({
      options: {
        url: { type: 'string' },
        email: { type: 'string' },
        user: { type: 'string' },
        lgname: { type: 'string' },
        lgpassword: { type: 'string' },
        'stale-token': { type: 'string' },
      },
    }).values;
  } catch (err) {
    fail(err.message);
  }
  const url = args.url ?? process.env.MW_API_URL;
  const lgname = args.lgname ?? process.env.MW_LGNAME;
  const lgpassword = args.lgpassword ?? process.env.MW_LGPASSWORD;
  if (!url) fail('give --url URL or set MW_API_URL');
  if ((args.email === undefined) === (args.user === undefined)) fail('give exactly one of --email ADDRESS or --user NAME');
  if (lgname && lgpassword === undefined) fail('--lgname needs --lgpassword (or MW_LGPASSWORD)');

  const api = new Api(url, { log: (line) => process.stderr.write(line + '\n') });
  try {
    if (lgname) {
      const login = await api.login(lgname, lgpassword);
      process.stderr.write(`logged in as ${login.lgusername}\n`);
    }
    if (args['stale-token'] !== undefined) api.tokens.set('csrf', args['stale-token']);
    const params = { action: 'resetpassword', format: 'json' };
    if (args.email !== undefined) params.email = args.email;
    else params.user = args.user;
    const data = await api.postWithToken('csrf', params);
    process.stdout.write(JSON.stringify(data) + '\n');
  } catch (err) {
    if (err instanceof ApiError && err.data) process.stdout.write(JSON.stringify(err.data) + '\n');
    fail(err.message);
  }
}

const invoked = process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
if (invoked) await script();
