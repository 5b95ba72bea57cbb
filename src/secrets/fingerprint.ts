// Which secret the nodes sharing a database sign with, so that a node with another one refuses to start
// instead of answering every other node's sessions and tokens with "badtoken". The database keeps a
// keyed fingerprint of each secret (an HMAC made with the secret itself: it shows whether two secrets are
// the same, and gives nothing that signs or opens anything), never a secret.
//
// The record (`site_settings`, name "secret") holds the fingerprint of the secret the last node to start
// signs with, and of every secret it accepts. A node starts when
//   1. one of its secrets is the one the site signs with (it reads what the others make), and
//   2. on a database several nodes share (PostgreSQL, MariaDB), the secret it would sign with is one the
//      last node accepts (the others read what it makes): a new secret is first added after the current
//      one everywhere ("OLD,NEW"), then put first ("NEW,OLD"), then the old one goes ("NEW").
// It then records its own. `mwauth secret adopt` replaces the record by hand (a secret replaced for good).
import { createHmac } from 'node:crypto';
import type { SiteSettingsStore } from '../mail/site.js';
import type { Keyring } from './keyring.js';

const NAME = 'secret';

export interface SecretRecord {
  /** The fingerprint of the secret new things are signed with. */
  signing: string;
  /** The fingerprints of every secret accepted, the signing one first. */
  accepted: string[];
}

/** Why a node may not start with its secret; the message names MWAUTH_SECRET. */
export class SecretMismatchError extends Error {
  override name = 'SecretMismatchError';
}

export function fingerprint(secret: string): string {
  return createHmac('sha256', secret).update('mwauth secret fingerprint v1').digest('hex');
}

export function recordOf(keys: Keyring): SecretRecord {
  const accepted = keys.secrets.map(fingerprint);
  return { signing: accepted[0]!, accepted };
}

export async function readSecretRecord(settings: SiteSettingsStore): Promise<SecretRecord | null> {
  const row = await settings.get(NAME);
  if (!row) return null;
  const v = JSON.parse(row.value) as Partial<SecretRecord>;
  return typeof v.signing === 'string' && Array.isArray(v.accepted) ? { signing: v.signing, accepted: v.accepted.map(String) } : null;
}

export async function writeSecretRecord(settings: SiteSettingsStore, record: SecretRecord, now: number): Promise<void> {
  await settings.put(NAME, JSON.stringify(record), now);
}

export interface SecretCheck {
  keys: Keyring;
  /** Several nodes may share the database (not SQLite): the second rule applies. */
  shared: boolean;
  /** The file the secret was generated into when MWAUTH_SECRET is not set. */
  generatedSecretFile: string | null;
}

/** Why this node's secrets may not be used with the record; null when they may. */
export function refusal(record: SecretRecord, c: SecretCheck): string | null {
  const own = recordOf(c.keys);
  if (!own.accepted.includes(record.signing)) {
    if (c.generatedSecretFile) {
      return (
        `MWAUTH_SECRET is not set, and the secret this node generated (${c.generatedSecretFile}) is not the one ` +
        'this database was started with: every node sharing a database needs the same MWAUTH_SECRET (or MWAUTH_SECRET_FILE). ' +
        'Give this node the secret the others use; to replace it for good (everyone is logged out, queued reset mail no longer opens), run `mwauth secret adopt`'
      );
    }
    return (
      'MWAUTH_SECRET: none of this node\'s secrets is the one the nodes sharing this database sign with. Give every node the same ' +
      'MWAUTH_SECRET; to rotate it, list the new secret after the current one first (docs/operations.md, "Rotating the secret"); ' +
      'to replace it for good (everyone is logged out, queued reset mail no longer opens), run `mwauth secret adopt`'
    );
  }
  if (c.shared && !record.accepted.includes(own.signing)) {
    return (
      'MWAUTH_SECRET: the secret this node would sign with (the first) is not yet accepted by the nodes sharing this database, ' +
      'which would answer its sessions and tokens with "badtoken". Rotate in two steps: first "CURRENT,NEW" on every node, ' +
      'then "NEW,CURRENT" (docs/operations.md, "Rotating the secret")'
    );
  }
  return null;
}

/**
 * At a server's start: refuses (SecretMismatchError) a secret that does not fit the database's record,
 * then records this node's. A database without a record (new, or from before records were kept) takes
 * this node's.
 */
export async function checkAndRecordSecret(settings: SiteSettingsStore, c: SecretCheck, now: number): Promise<void> {
  let record = await readSecretRecord(settings);
  if (!record) {
    // Nodes starting at once on a new database: the first to write is the record the others are checked against.
    await settings.add(NAME, JSON.stringify(recordOf(c.keys)), now);
    record = await readSecretRecord(settings);
  }
  const why = record ? refusal(record, c) : null;
  if (why) throw new SecretMismatchError(why);
  await writeSecretRecord(settings, recordOf(c.keys), now);
}
