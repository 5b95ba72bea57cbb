// The comparison: one response from each side, normalized (free text and per-session values
// replaced by placeholders, chosen by key path or by value shape), then diffed value by value and
// key order by key order. Nothing here knows about cases or intended differences.

/** What the runner saw for one request (or one mail collection) on one side. */
export interface Observed {
  status: number;
  /** Lower-case header name → value, only for the headers in COMPARED_HEADERS that were present. */
  headers: Record<string, string>;
  /** Raw Set-Cookie lines, in the order received. */
  setCookies: string[];
  /** The body as text. */
  text: string;
  /** The parsed JSON body (JSONP unwrapped), or undefined when the body is not JSON. */
  json?: unknown;
}

/** Per-side knowledge used to normalize: which user id is which account on that side. */
export interface SideInfo {
  ids: Map<number, string>;
  cookiePrefix: string;
  /** The side's canonical server (scheme, host, port): URLs on it compare by their path. */
  server?: string;
}

export interface Diff {
  /** `@status`, `@header:<name>`, `@cookie:<name>[.<attribute>]`, `@body`, or a JSON path such as `error.code` or `errors[0].module`. */
  path: string;
  ours: unknown;
  reference: unknown;
  kind: 'value' | 'missing' | 'extra' | 'order' | 'type' | 'length';
}

/**
 * Headers compared between the two sides (everything else — Date, Server, Content-Length,
 * Transfer-Encoding, Connection, Vary, X-Request-Id — is transport or intentionally absent).
 */
export const COMPARED_HEADERS = [
  'content-type',
  'mediawiki-api-error',
  'cache-control',
  'content-disposition',
  'x-content-type-options',
  'x-frame-options',
  'mediawiki-login-suppressed',
  'access-control-allow-origin',
  'access-control-allow-credentials',
  'access-control-expose-headers',
  'mediawiki-cors-rejection',
  'retry-after',
] as const;

// ---------------------------------------------------------------------------------------------
// Normalization rules

/** Paths whose value is free text (ours is our own wording). Matched against the path with array indices as `[]`. */
const FREE_TEXT: RegExp[] = [
  /^error\.(info|docref|\*)$/,
  /^errors\[\]\.(text|html|\*)$/,
  /^(docref|\*)$/,
  /^warnings\.[^.[]+\.(\*|warnings)$/,
  /^warnings\[\]\.(text|html|\*)$/,
  /^(login|clientlogin|createaccount)\.reason$/,
  /^(login|clientlogin|createaccount)\.reason\.(text|html|\*)$/,
  /^(clientlogin|createaccount|changeauthenticationdata)\.message$/,
  /^(clientlogin|createaccount)\.requests\[\]\.provider$/,
  /^(clientlogin|createaccount)\.requests\[\]\.fields\.[^.]+\.(label|help)$/,
  /^query\.authmanagerinfo\.requests\[\]\.provider$/,
  /^query\.authmanagerinfo\.requests\[\]\.fields\.[^.]+\.(label|help)$/,
  /^(query\.authmanagerinfo|clientlogin|createaccount)\.fields\.[^.]+\.(label|help)$/,
  /^validatepassword\.validitymessages\[\]\.(text|html|\*)$/,
  /^query\.userinfo\.blockedtimestampformatted$/,
  // The same texts as format=xml puts them (conformance/bodies.ts: text as "*", repeated elements as lists).
  /^(errors\.error|warnings\.warning)(\[\])?\.(text|html)\.\*$/,
  /^docref\.\*$/,
  /^(login|clientlogin|createaccount)\.reason\.(text|html)\.\*$/,
  /^(clientlogin|createaccount|query\.authmanagerinfo)\.requests\._v(\[\])?\.provider$/,
  /^(clientlogin|createaccount|query\.authmanagerinfo)\.(requests\._v(\[\])?\.)?fields\.[^.]+\.(label|help)$/,
  /^(errors\.error|warnings\.warning)(\[\])?\.\*$/,
  // Help texts: paraminfo's descriptions (helpformat wikitext and html) and the help page itself.
  /^paraminfo\.(modules\[\]|modules\.module(\[\])?|mainmodule)\.(description|examples\[\]\.description|examples\.example(\[\])?\.description(\.\*)?|parameters\[\]\.description|parameters\.param(\[\])?\.description(\.\*)?)$/,
  /^help\.help$/,
];

/** Keys holding a user id: mapped to the account name on that side, so ids may differ. */
const USER_ID_KEYS = new Set(['id', 'lguserid', 'userid', 'blockedbyid']);
/** Keys holding other per-installation ids. */
const OTHER_ID_KEYS = new Set(['blockid']);

/** A MediaWiki token: 32 hex of HMAC, the hex timestamp (8 digits until 2106), `+\`. */
const TOKEN = /^[0-9a-f]{32}[0-9a-f]{8}\+\\$/;
const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
/** A temporary password as MediaWiki makes them (alphabet [0-9a-v], 10 characters). */
export const TEMP_PASSWORD = /^[0-9a-v]{10}$/;

function isFreeText(shape: string): boolean {
  return FREE_TEXT.some((r) => r.test(shape));
}

function mapUserId(v: unknown, side: SideInfo): unknown {
  if (typeof v === 'number' && v > 0) {
    const name = side.ids.get(v);
    return name !== undefined ? `<id of ${name}>` : '<id>';
  }
  if (typeof v === 'string' && /^[1-9]\d*$/.test(v)) return mapUserId(Number(v), side);
  return v;
}

/** The response JSON with free text and per-session values replaced; key order is kept. */
export function normalizeJson(value: unknown, side: SideInfo, path: string[] = [], shape: string[] = []): unknown {
  const shapeStr = shape.join('.').replace(/\.\[\]/g, '[]');
  if (Array.isArray(value)) return value.map((v, i) => normalizeJson(v, side, [...path, `[${i}]`], [...shape, '[]']));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = normalizeJson(v, side, [...path, k], [...shape, k]);
    return out;
  }
  const key = shape[shape.length - 1] ?? '';
  if (typeof value === 'string' && isFreeText(shapeStr)) return '<text>';
  // A namespace's "id" is its number, the same on both sides (in XML the namespaces are <ns> elements).
  const namespaceId = shape[0] === 'query' && shape[1] === 'namespaces' && key === 'id';
  if (USER_ID_KEYS.has(key) && !namespaceId) return mapUserId(value, side);
  if (OTHER_ID_KEYS.has(key) && (typeof value === 'number' || typeof value === 'string')) return '<id>';
  if (typeof value === 'string') {
    if (side.server && (value === side.server || value.startsWith(`${side.server}/`))) return `<server>${value.slice(side.server.length)}`;
    if (TOKEN.test(value)) return '<token>';
    if (TIMESTAMP.test(value)) return '<timestamp>';
  }
  return value;
}

/** Set-Cookie lines as `{ name: { value, attributes… } }`, names and attributes sorted (their order is not compared). */
export function normalizeCookies(lines: string[], side: SideInfo): Record<string, Record<string, unknown>> {
  const byName: Record<string, Record<string, unknown>> = {};
  for (const line of lines) {
    const [pair, ...attrs] = line.split(';');
    const eq = pair!.indexOf('=');
    const name = (eq < 0 ? pair! : pair!.slice(0, eq)).trim();
    let raw = eq < 0 ? '' : pair!.slice(eq + 1).trim();
    try {
      raw = decodeURIComponent(raw);
    } catch {
      /* keep raw */
    }
    const c: Record<string, unknown> = { value: cookieValue(name, raw, side) };
    for (const a of attrs) {
      const i = a.indexOf('=');
      const an = (i < 0 ? a : a.slice(0, i)).trim().toLowerCase();
      const av = i < 0 ? true : a.slice(i + 1).trim();
      if (!an) continue;
      c[an] = an === 'expires' ? '<date>' : typeof av === 'string' && an !== 'path' && an !== 'domain' ? av.toLowerCase() : av;
    }
    let key = name;
    for (let n = 2; key in byName; n++) key = `${name}#${n}`;
    byName[key] = sortKeys(c);
  }
  return sortKeys(byName) as Record<string, Record<string, unknown>>;
}

function cookieValue(name: string, v: string, side: SideInfo): string {
  if (v === 'deleted') return 'deleted';
  const p = side.cookiePrefix;
  if (name === `${p}_session` || name === `${p}_BPsession`) return /^[0-9a-v]{32}$/.test(v) ? '<session-id>' : `<bad session id: ${v}>`;
  if (name === `${p}UserID`) return /^\d+$/.test(v) ? String(mapUserId(Number(v), side)) : v;
  if (name === `${p}UserName`) return v;
  if (name === `${p}Token`) return /^[0-9a-f]{32}$/.test(v) ? '<user-token>' : `<bad token: ${v}>`;
  return '<value>';
}

function sortKeys<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) as T;
}

/** The whole observation in one tree: status, headers, cookies and body. */
export function normalize(o: Observed, side: SideInfo): { status: number; headers: Record<string, string>; cookies: Record<string, unknown>; body: unknown } {
  const headers: Record<string, string> = {};
  for (const h of COMPARED_HEADERS) {
    const v = o.headers[h];
    if (v === undefined) continue;
    // Header values compare without regard to case or spacing (charset=UTF-8 is charset=utf-8).
    headers[h] = h === 'access-control-expose-headers' ? v.split(',').map((s) => s.trim().toLowerCase()).join(', ') : v.replace(/\s*;\s*/g, '; ').toLowerCase();
  }
  const body = o.json !== undefined ? normalizeJson(o.json, side) : o.text.length === 0 ? '<empty>' : '<non-JSON text>';
  return { status: o.status, headers, cookies: normalizeCookies(o.setCookies, side), body };
}

// ---------------------------------------------------------------------------------------------
// Diffing

function fmtPath(base: string, key: string): string {
  if (key.startsWith('[')) return base + key;
  return base ? `${base}.${key}` : key;
}

function typeOf(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

/** Value and key-order differences between two normalized JSON values. */
export function diffJson(ours: unknown, ref: unknown, path = '', out: Diff[] = [], opts: { order?: boolean } = {}): Diff[] {
  const checkOrder = opts.order ?? true;
  const to = typeOf(ours);
  const tr = typeOf(ref);
  if (to !== tr) {
    out.push({ path: path || '(root)', ours, reference: ref, kind: 'type' });
    return out;
  }
  if (to === 'array') {
    const a = ours as unknown[];
    const b = ref as unknown[];
    const scalar = (x: unknown) => x === null || typeof x !== 'object';
    if (a.every(scalar) && b.every(scalar)) {
      // Lists of names (rights, groups): one diff per missing or extra element, then their order.
      const p = fmtPath(path, '[]');
      for (const x of b) if (!a.includes(x)) out.push({ path: p, ours: undefined, reference: x, kind: 'missing' });
      for (const x of a) if (!b.includes(x)) out.push({ path: p, ours: x, reference: undefined, kind: 'extra' });
      const ca = a.filter((x) => b.includes(x));
      const cb = b.filter((x) => a.includes(x));
      if (checkOrder && JSON.stringify(ca) !== JSON.stringify(cb)) out.push({ path: `${path}{order}`, ours: ca, reference: cb, kind: 'order' });
      return out;
    }
    const n = Math.max(a.length, b.length);
    if (a.length !== b.length) out.push({ path: path || '(root)', ours: a.length, reference: b.length, kind: 'length' });
    for (let i = 0; i < n; i++) {
      const p = fmtPath(path, `[${i}]`);
      if (i >= a.length) out.push({ path: p, ours: undefined, reference: b[i], kind: 'missing' });
      else if (i >= b.length) out.push({ path: p, ours: a[i], reference: undefined, kind: 'extra' });
      else diffJson(a[i], b[i], p, out, opts);
    }
    return out;
  }
  if (to === 'object') {
    const a = ours as Record<string, unknown>;
    const b = ref as Record<string, unknown>;
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    for (const k of kb) if (!(k in a)) out.push({ path: fmtPath(path, k), ours: undefined, reference: b[k], kind: 'missing' });
    for (const k of ka) if (!(k in b)) out.push({ path: fmtPath(path, k), ours: a[k], reference: undefined, kind: 'extra' });
    const common = new Set(ka.filter((k) => k in b));
    const oa = ka.filter((k) => common.has(k));
    const ob = kb.filter((k) => common.has(k));
    if (checkOrder && oa.join('\u0000') !== ob.join('\u0000')) out.push({ path: path ? `${path}{order}` : '{order}', ours: oa, reference: ob, kind: 'order' });
    for (const k of ka) if (common.has(k)) diffJson(a[k], b[k], fmtPath(path, k), out, opts);
    return out;
  }
  if (ours !== ref) out.push({ path: path || '(root)', ours, reference: ref, kind: 'value' });
  return out;
}

/** Every difference between the two sides' observations. */
export function compareObserved(ours: Observed, ref: Observed, sides: { ours: SideInfo; reference: SideInfo }): Diff[] {
  const a = normalize(ours, sides.ours);
  const b = normalize(ref, sides.reference);
  const diffs: Diff[] = [];
  if (a.status !== b.status) diffs.push({ path: '@status', ours: a.status, reference: b.status, kind: 'value' });
  for (const d of diffJson(a.headers, b.headers, '', [], { order: false })) diffs.push({ ...d, path: `@header:${d.path}` });
  for (const d of diffJson(a.cookies, b.cookies, '', [], { order: false })) diffs.push({ ...d, path: `@cookie:${d.path}` });
  if (typeof a.body === 'string' || typeof b.body === 'string') {
    if (a.body !== b.body) diffs.push({ path: '@body', ours: a.body, reference: b.body, kind: typeof a.body === typeof b.body ? 'value' : 'type' });
  } else {
    diffs.push(...diffJson(a.body, b.body));
  }
  // How non-ASCII text is escaped is the printer's business (fv1 escapes, fv2 does not, utf8/ascii
  // switch it): compared only when both bodies carry non-ASCII text at all.
  const ea = escaping(ours.text);
  const eb = escaping(ref.text);
  if (ea !== 'ascii' && eb !== 'ascii' && ea !== eb) diffs.push({ path: '@body:non-ascii', ours: ea, reference: eb, kind: 'value' });
  return diffs;
}

function escaping(text: string): 'raw' | 'escaped' | 'ascii' {
  if (/[^\x00-\x7f]/.test(text)) return 'raw';
  if (/\\u(0[0-9a-f][8-9a-f][0-9a-f]|0[1-9a-f][0-9a-f]{2}|[1-9a-f][0-9a-f]{3})/i.test(text)) return 'escaped';
  return 'ascii';
}

/** A short rendering of a value for the report. */
export function show(v: unknown, max = 160): string {
  if (v === undefined) return '(absent)';
  const s = typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v);
  return s.length > max ? s.slice(0, max - 1) + '…' : s;
}
