// The account record: what moves between wikis. `mwauth import mediawiki` reads MediaWiki's tables into
// these records; `mwauth export` writes them and `mwauth import jsonl` reads them, one JSON object per
// line (docs/import.md describes every field). Times are ISO 8601 in UTC to the second
// ("2024-05-01T12:00:00Z"); null is "never" for an expiry and "unknown" elsewhere.
import { createHash, hash as cryptoHash } from 'node:crypto';

export const RECORD_FORMAT = 'mwauth-accounts';
export const RECORD_VERSION = 1;

/** The first line of a file: what it is and where it came from. */
export interface HeaderRecord {
  type: 'header';
  format: typeof RECORD_FORMAT;
  version: typeof RECORD_VERSION;
  /** e.g. "mediawiki" or "mwauth". */
  source: string;
  /** When the file was written. */
  created: string;
}

export interface GroupMembership {
  group: string;
  /** null: no expiry. */
  expiry: string | null;
}

export interface BotPasswordRecord {
  appId: string;
  /** The hash exactly as stored (MediaWiki's formats, see src/auth/passwords.ts). */
  password: string;
  grants: string[];
  /** MediaWiki's MWRestrictions as stored, e.g. {"IPAddresses": ["192.0.2.0/24"]}. */
  restrictions: Record<string, unknown>;
}

export interface BlockRecord {
  /** The blocked account's name, or the IP address or range ("198.51.100.0/24") as MediaWiki spells it. */
  target: string;
  reason: string;
  /** The blocking account's name (or an imported performer such as "imported>Admin"). */
  performer: string;
  timestamp: string;
  /** null: indefinite. */
  expiry: string | null;
  /** The block stops account creation from the target. */
  createAccount: boolean;
  /** The block stops the target from sending email. */
  email: boolean;
  /** false: a partial block (some pages or namespaces only), which does not stop a login or a reset. */
  sitewide: boolean;
  /** For an address: logged-in accounts are not blocked from it (MediaWiki's "anon only"). */
  anonOnly: boolean;
  /** The block also blocks the addresses the account uses (MediaWiki's autoblock). */
  autoblock: boolean;
  /** The account may still edit its own talk page. */
  allowUserTalk: boolean;
  /** Hidden from public lists (MediaWiki's ipb_deleted / bl_deleted). */
  hidden: boolean;
}

export interface Preferences {
  /** Interface language code; absent: the site's. */
  language?: string;
  /** Password reset by user name only when the email address is given too. */
  requireemail?: boolean;
  /** Mail from other users is off. */
  disablemail?: boolean;
}

export interface AccountRecord {
  type: 'account';
  name: string;
  /** null: no address. */
  email: string | null;
  /** When the address was confirmed; null: not confirmed. */
  emailAuthenticated: string | null;
  realName: string;
  registration: string | null;
  editCount: number | null;
  /** The hash exactly as stored; "" or ":null:…" let no password in. */
  password: string;
  /** A pending temporary password (mailed by a reset), or null. */
  temporaryPassword: { hash: string; issued: string | null } | null;
  groups: GroupMembership[];
  botPasswords: BotPasswordRecord[];
  /** Blocks on this account (address blocks are records of their own). */
  blocks: BlockRecord[];
  preferences: Preferences;
  /** A MediaWiki system account (e.g. "MediaWiki default"): no one logs in to it. */
  system: boolean;
  /** A MediaWiki temporary account (1.42+, an anonymous editor's "~2024-…" name). */
  tempAccount: boolean;
  /** The source's own id (MediaWiki's user_id): for reports; not carried over. */
  sourceId: number;
  /** sha256 of everything above but sourceId: equal fingerprints, nothing changed (see recordFingerprint). */
  fingerprint: string;
}

/** A block of an IP address or range. */
export interface AddressBlockRecord extends BlockRecord {
  type: 'address-block';
  sourceId: number;
  fingerprint: string;
}

export type AnyRecord = HeaderRecord | AccountRecord | AddressBlockRecord;

/** A copy with object keys sorted at every level and undefined members left out. */
function sortedKeys(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(sortedKeys);
  const obj = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(obj).sort()) if (obj[k] !== undefined) out[k] = sortedKeys(obj[k]);
  return out;
}

/** JSON with object keys sorted at every level: the same data gives the same text, whatever the key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortedKeys(value));
}

// One-shot hashing (Node 20.12+) is a good deal faster per call than createHash for short inputs.
const sha256hex: (text: string) => string =
  typeof (cryptoHash as unknown) === 'function'
    ? (text) => cryptoHash('sha256', text, 'hex')
    : (text) => createHash('sha256').update(text).digest('hex');

/**
 * The change fingerprint of an account or address block: sha256 (hex) of its canonical JSON without
 * `sourceId` and `fingerprint`. An incremental re-import skips a record whose fingerprint it has seen.
 */
export function recordFingerprint(record: Omit<AccountRecord, 'fingerprint'> | Omit<AddressBlockRecord, 'fingerprint'> | AccountRecord | AddressBlockRecord): string {
  const { fingerprint: _f, sourceId: _s, ...rest } = record as AccountRecord;
  return sha256hex(canonicalJson(rest));
}

const sortedBlock = (b: BlockRecord) => ({
  allowUserTalk: b.allowUserTalk,
  anonOnly: b.anonOnly,
  autoblock: b.autoblock,
  createAccount: b.createAccount,
  email: b.email,
  expiry: b.expiry,
  hidden: b.hidden,
  performer: b.performer,
  reason: b.reason,
  sitewide: b.sitewide,
  target: b.target,
  timestamp: b.timestamp,
});

/**
 * recordFingerprint of an account record built by this code (exactly the fields above, nothing more), in
 * about half the time: the canonical object is built in key order at once instead of copied. For the
 * reader, which makes millions of them; a record from elsewhere goes through recordFingerprint.
 */
export function builtAccountFingerprint(r: Omit<AccountRecord, 'fingerprint'>): string {
  return sha256hex(
    JSON.stringify({
      blocks: r.blocks.map(sortedBlock),
      botPasswords: r.botPasswords.map((b) => ({ appId: b.appId, grants: b.grants, password: b.password, restrictions: sortedKeys(b.restrictions) })),
      editCount: r.editCount,
      email: r.email,
      emailAuthenticated: r.emailAuthenticated,
      groups: r.groups.map((g) => ({ expiry: g.expiry, group: g.group })),
      name: r.name,
      password: r.password,
      preferences: sortedKeys(r.preferences),
      realName: r.realName,
      registration: r.registration,
      system: r.system,
      tempAccount: r.tempAccount,
      temporaryPassword: r.temporaryPassword && { hash: r.temporaryPassword.hash, issued: r.temporaryPassword.issued },
      type: r.type,
    }),
  );
}

/** One line of the JSON-lines file (without the newline). */
export function encodeRecord(record: AnyRecord): string {
  return JSON.stringify(record);
}

export class RecordError extends Error {
  override name = 'RecordError';
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

function fail(what: string): never {
  throw new RecordError(what);
}

function check(obj: Record<string, unknown>, key: string, kind: 'string' | 'boolean' | 'number' | 'time' | 'time?' | 'string?' | 'number?', where: string): void {
  const v = obj[key];
  const nullable = kind.endsWith('?');
  if (v === null && nullable) return;
  const base = kind.replace('?', '');
  if (base === 'time') {
    if (typeof v !== 'string' || !ISO.test(v) || Number.isNaN(Date.parse(v))) fail(`${where}.${key}: expected a UTC time like 2024-05-01T12:00:00Z${nullable ? ' or null' : ''}`);
    return;
  }
  if (base === 'number') {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail(`${where}.${key}: expected a whole number${nullable ? ' or null' : ''}`);
    return;
  }
  if (typeof v !== base) fail(`${where}.${key}: expected a ${base}${nullable ? ' or null' : ''}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkBlock(b: unknown, where: string): void {
  if (!isObject(b)) fail(`${where}: expected an object`);
  for (const k of ['target', 'reason', 'performer'] as const) check(b, k, 'string', where);
  check(b, 'timestamp', 'time', where);
  check(b, 'expiry', 'time?', where);
  for (const k of ['createAccount', 'email', 'sitewide', 'anonOnly', 'autoblock', 'allowUserTalk', 'hidden'] as const) check(b, k, 'boolean', where);
}

function checkFingerprint(rec: AccountRecord | AddressBlockRecord, where: string): void {
  if (typeof rec.fingerprint !== 'string' || rec.fingerprint !== recordFingerprint(rec)) {
    fail(`${where}.fingerprint: does not match the record (changed by hand? remove the field to have it computed)`);
  }
}

/**
 * Reads one line back into a record, checking every field. A record without a fingerprint gets one
 * computed (hand-written files need not carry it); one with a wrong fingerprint is refused.
 */
export function decodeRecord(line: string, lineNumber = 1): AnyRecord {
  const where = `line ${lineNumber}`;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    fail(`${where}: not JSON`);
  }
  if (!isObject(value)) fail(`${where}: expected a JSON object`);
  const o = value;
  switch (o.type) {
    case 'header':
      if (o.format !== RECORD_FORMAT) fail(`${where}: not an ${RECORD_FORMAT} file (format ${JSON.stringify(o.format)})`);
      if (o.version !== RECORD_VERSION) fail(`${where}: version ${JSON.stringify(o.version)} is not supported (only ${RECORD_VERSION})`);
      check(o, 'source', 'string', where);
      check(o, 'created', 'time', where);
      return o as unknown as HeaderRecord;
    case 'account': {
      for (const k of ['name', 'realName', 'password'] as const) check(o, k, 'string', where);
      if (o.name === '') fail(`${where}.name: empty`);
      check(o, 'email', 'string?', where);
      for (const k of ['emailAuthenticated', 'registration'] as const) check(o, k, 'time?', where);
      check(o, 'editCount', 'number?', where);
      for (const k of ['system', 'tempAccount'] as const) check(o, k, 'boolean', where);
      check(o, 'sourceId', 'number', where);
      if (o.temporaryPassword !== null) {
        if (!isObject(o.temporaryPassword)) fail(`${where}.temporaryPassword: expected an object or null`);
        check(o.temporaryPassword, 'hash', 'string', `${where}.temporaryPassword`);
        check(o.temporaryPassword, 'issued', 'time?', `${where}.temporaryPassword`);
      }
      if (!Array.isArray(o.groups)) fail(`${where}.groups: expected an array`);
      o.groups.forEach((g, i) => {
        if (!isObject(g)) fail(`${where}.groups[${i}]: expected an object`);
        check(g, 'group', 'string', `${where}.groups[${i}]`);
        check(g, 'expiry', 'time?', `${where}.groups[${i}]`);
      });
      if (!Array.isArray(o.botPasswords)) fail(`${where}.botPasswords: expected an array`);
      o.botPasswords.forEach((b, i) => {
        const w = `${where}.botPasswords[${i}]`;
        if (!isObject(b)) fail(`${w}: expected an object`);
        check(b, 'appId', 'string', w);
        check(b, 'password', 'string', w);
        if (!Array.isArray(b.grants) || !b.grants.every((g) => typeof g === 'string')) fail(`${w}.grants: expected an array of strings`);
        if (!isObject(b.restrictions)) fail(`${w}.restrictions: expected an object`);
      });
      if (!Array.isArray(o.blocks)) fail(`${where}.blocks: expected an array`);
      o.blocks.forEach((b, i) => checkBlock(b, `${where}.blocks[${i}]`));
      if (!isObject(o.preferences)) fail(`${where}.preferences: expected an object`);
      const p = o.preferences;
      if (p.language !== undefined) check(p, 'language', 'string', `${where}.preferences`);
      for (const k of ['requireemail', 'disablemail'] as const) if (p[k] !== undefined) check(p, k, 'boolean', `${where}.preferences`);
      const rec = o as unknown as AccountRecord;
      if (rec.fingerprint === undefined) return { ...rec, fingerprint: recordFingerprint(rec) };
      checkFingerprint(rec, where);
      return rec;
    }
    case 'address-block': {
      checkBlock(o, where);
      check(o, 'sourceId', 'number', where);
      const rec = o as unknown as AddressBlockRecord;
      if (rec.fingerprint === undefined) return { ...rec, fingerprint: recordFingerprint(rec) };
      checkFingerprint(rec, where);
      return rec;
    }
    default:
      fail(`${where}.type: expected "header", "account" or "address-block"`);
  }
}
