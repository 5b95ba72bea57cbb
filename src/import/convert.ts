// Account records (src/import/record.ts) to mwauth's accounts and back. Times are ISO 8601 to the second
// in a record and milliseconds in the stores. The record an export writes for an account is exactly
// `normalizeAccount` of the record it was imported from, so an account nobody touched since its import
// exports to a record whose fingerprint is the one the import kept: that is how an import tells an
// account changed here from one left alone, and why a file round-trips byte for byte.
import type { AccountRead, AccountWrite } from '../accounts/bulk.js';
import { blockTarget, type Block, type BlockInput } from '../accounts/blocks.js';
import type { StoredPreferences } from '../accounts/preferences.js';
import { recordFingerprint, type AccountRecord, type AddressBlockRecord, type BlockRecord, type Preferences } from './record.js';

/** An unknown registration (MediaWiki's accounts older than the column) is stored as 0. */
const UNKNOWN_REGISTRATION = 0;

export const toMs = (time: string | null): number | null => (time === null ? null : Date.parse(time));

/** Milliseconds as a record's time: UTC, to the second. */
export function toTime(ms: number | null): string | null {
  if (ms === null) return null;
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.000Z$/, 'Z');
}

/** Code-unit order: the same on every database and machine (a collation is not). */
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The last entry of each key, in key order. */
function lastByKey<T>(items: readonly T[], key: (t: T) => string): T[] {
  const m = new Map<string, T>();
  for (const t of items) m.set(key(t), t);
  return [...m.values()].sort((a, b) => byText(key(a), key(b)));
}

const on = (v: string | undefined) => v !== undefined && v !== '' && v !== '0';

function preferencesOf(stored: StoredPreferences): Preferences {
  const p: Preferences = {};
  if (stored.language !== undefined) p.language = stored.language;
  if (stored.requireemail !== undefined) p.requireemail = on(stored.requireemail);
  if (stored.disablemail !== undefined) p.disablemail = on(stored.disablemail);
  return p;
}

function storedPreferences(p: Preferences): StoredPreferences {
  const out: StoredPreferences = {};
  if (p.language !== undefined) out.language = p.language;
  if (p.requireemail !== undefined) out.requireemail = p.requireemail ? '1' : '0';
  if (p.disablemail !== undefined) out.disablemail = p.disablemail ? '1' : '0';
  return out;
}

function normalizeBlock(b: BlockRecord, target: string): BlockRecord {
  return {
    target,
    reason: b.reason,
    performer: b.performer,
    timestamp: b.timestamp,
    expiry: b.expiry,
    createAccount: b.createAccount,
    email: b.email,
    sitewide: b.sitewide,
    anonOnly: b.anonOnly,
    autoblock: b.autoblock,
    allowUserTalk: b.allowUserTalk,
    hidden: b.hidden,
  };
}

const sortedOnce = <T>(items: readonly T[], key: (t: T) => string) => items.every((t, i) => i === 0 || byText(key(items[i - 1]!), key(t)) < 0);
const EPOCH = '1970-01-01T00:00:00Z';
const KEPT_PREFERENCES = new Set(['language', 'requireemail', 'disablemail']);

/** Whether normalizeAccount would leave the record as it is (most records a wiki gives): a quick test. */
function isNormal(r: AccountRecord): boolean {
  return (
    r.email !== '' &&
    r.registration !== EPOCH &&
    (r.temporaryPassword === null || r.temporaryPassword.hash !== '') &&
    sortedOnce(r.groups, (g) => g.group) &&
    sortedOnce(r.botPasswords, (b) => b.appId) &&
    (r.blocks.length === 0 || (r.blocks.length === 1 && r.blocks[0]!.target === r.name)) &&
    Object.keys(r.preferences).every((k) => KEPT_PREFERENCES.has(k))
  );
}

/**
 * The record as mwauth keeps it, and so as it exports it: no address is null, groups and bot passwords
 * once each in name order, one block per account (mwauth keeps one per target: the last), only the three
 * preferences mwauth reads, an empty temporary password as none, an unknown registration as null.
 */
export function normalizeAccount(r: AccountRecord): AccountRecord {
  // Its fingerprint is computed once, when it was read (a good part of an import's time).
  if (isNormal(r)) return r;
  const registration = r.registration === null || Date.parse(r.registration) === UNKNOWN_REGISTRATION ? null : r.registration;
  const rec: Omit<AccountRecord, 'fingerprint'> = {
    type: 'account',
    name: r.name,
    email: r.email === '' ? null : r.email,
    emailAuthenticated: r.emailAuthenticated,
    realName: r.realName,
    registration,
    editCount: r.editCount,
    password: r.password,
    temporaryPassword: r.temporaryPassword === null || r.temporaryPassword.hash === '' ? null : { hash: r.temporaryPassword.hash, issued: r.temporaryPassword.issued },
    groups: lastByKey(r.groups, (g) => g.group).map((g) => ({ group: g.group, expiry: g.expiry })),
    botPasswords: lastByKey(r.botPasswords, (b) => b.appId).map((b) => ({ appId: b.appId, password: b.password, grants: [...b.grants], restrictions: b.restrictions })),
    blocks: r.blocks.length === 0 ? [] : [normalizeBlock(r.blocks[r.blocks.length - 1]!, r.name)],
    preferences: preferencesOf(storedPreferences(r.preferences)),
    system: r.system,
    tempAccount: r.tempAccount,
    sourceId: r.sourceId,
  };
  return { ...rec, fingerprint: recordFingerprint(rec) };
}

/** An address block as mwauth keeps it: the target in the one spelling requests are matched in. */
export function normalizeAddressBlock(r: AddressBlockRecord): AddressBlockRecord {
  const rec: Omit<AddressBlockRecord, 'fingerprint'> = { type: 'address-block', ...normalizeBlock(r, blockTarget(0, r.target)), sourceId: r.sourceId };
  return { ...rec, fingerprint: recordFingerprint(rec) };
}

function blockInput(b: BlockRecord): Omit<BlockInput, 'userId' | 'target'> {
  return {
    by: b.performer,
    reason: b.reason,
    timestamp: toMs(b.timestamp)!,
    expiry: toMs(b.expiry),
    createAccount: b.createAccount,
    email: b.email,
    sitewide: b.sitewide,
    anonOnly: b.anonOnly,
    autoblock: b.autoblock,
    allowUserTalk: b.allowUserTalk,
    hidden: b.hidden,
  };
}

/** What writeAccounts takes for a normalized record read from `source`. */
export function accountWrite(r: AccountRecord, source: string): AccountWrite {
  return {
    name: r.name,
    email: r.email ?? '',
    emailAuthenticated: toMs(r.emailAuthenticated),
    realName: r.realName,
    registration: toMs(r.registration) ?? UNKNOWN_REGISTRATION,
    passwordHash: r.password,
    temporaryPassword: r.temporaryPassword && { hash: r.temporaryPassword.hash, issued: toMs(r.temporaryPassword.issued) },
    fingerprint: r.fingerprint,
    editCount: r.editCount,
    system: r.system,
    tempAccount: r.tempAccount,
    importSource: source,
    importSourceId: r.sourceId,
    groups: r.groups.map((g) => ({ group: g.group, expiry: toMs(g.expiry) })),
    preferences: storedPreferences(r.preferences),
    botPasswords: r.botPasswords.map((b) => ({ appId: b.appId, hash: b.password, grants: b.grants, restrictions: b.restrictions })),
    blocks: r.blocks.map(blockInput),
  };
}

/** What the block store takes for a normalized address-block record. */
export function addressBlockInput(r: AddressBlockRecord): BlockInput {
  return { ...blockInput(r), userId: 0, target: r.target, importFingerprint: r.fingerprint, importSourceId: r.sourceId };
}

function blockRecord(b: Block, target: string): BlockRecord {
  return {
    target,
    reason: b.reason,
    performer: b.by,
    timestamp: toTime(b.timestamp)!,
    expiry: toTime(b.expiry),
    createAccount: b.createAccount,
    email: b.email,
    sitewide: b.sitewide,
    anonOnly: b.anonOnly,
    autoblock: b.autoblock,
    allowUserTalk: b.allowUserTalk,
    hidden: b.hidden,
  };
}

/**
 * The record of an account as mwauth holds it. Expired groups and blocks are left out as of `now`,
 * unless `now` is null (all of them: what an import wrote, to compare with its fingerprint).
 */
export function accountRecord(a: AccountRead, now: number | null): AccountRecord {
  const u = a.user;
  const current = (expiry: number | null) => now === null || expiry === null || expiry > now;
  const rec: Omit<AccountRecord, 'fingerprint'> = {
    type: 'account',
    name: u.name,
    email: u.email === '' ? null : u.email,
    emailAuthenticated: toTime(u.emailAuthenticated),
    realName: u.realName,
    registration: u.registration === UNKNOWN_REGISTRATION ? null : toTime(u.registration),
    editCount: u.editCount,
    password: u.password,
    temporaryPassword: u.newPassword === '' ? null : { hash: u.newPassword, issued: toTime(u.newPassTime) },
    groups: a.groups
      .filter((g) => current(g.expiry))
      .map((g) => ({ group: g.group, expiry: toTime(g.expiry) }))
      .sort((x, y) => byText(x.group, y.group)),
    botPasswords: a.botPasswords
      .map((b) => ({ appId: b.appId, password: b.hash, grants: b.grants, restrictions: b.restrictions ?? {} }))
      .sort((x, y) => byText(x.appId, y.appId)),
    blocks: a.blocks.filter((b) => current(b.expiry)).slice(-1).map((b) => blockRecord(b, u.name)),
    preferences: preferencesOf(a.preferences),
    system: u.system,
    tempAccount: u.tempAccount,
    sourceId: u.provenance?.sourceId ?? u.id,
  };
  return { ...rec, fingerprint: recordFingerprint(rec) };
}

/** The record of an address block as mwauth holds it. */
export function addressBlockRecord(b: Block): AddressBlockRecord {
  const rec: Omit<AddressBlockRecord, 'fingerprint'> = { type: 'address-block', ...blockRecord(b, b.target), sourceId: b.importSourceId ?? b.id };
  return { ...rec, fingerprint: recordFingerprint(rec) };
}
