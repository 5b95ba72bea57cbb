// A mail that carries a secret (the temporary password of a reset) is never written to the database as
// it is: the outbox keeps it encrypted with a key derived from the server secret (MWAUTH_SECRET or
// <data>/secret.key, which is not in the database), and a copy with the secret masked for operators. The
// delivery worker opens it just before sending, and once it is sent only the masked copy stays.
//
// AES-256-GCM, a fresh 96-bit nonce per message; the Message-ID and the recipient are authenticated with
// it, so a sealed body moved to another row, or a row whose recipient was changed, does not open.
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { Keyring } from '../secrets/keyring.js';

const PREFIX = 'mwauth-sealed:v1:';
const NONCE = 12;
const TAG = 16;

export class SealError extends Error {
  override name = 'SealError';
}

export class MailSeal {
  /** One key per server secret, the signing secret's first: it seals, and any opens. */
  private readonly keys: Buffer[];

  constructor(secrets: Keyring | string) {
    const ring = typeof secrets === 'string' ? new Keyring(secrets) : secrets;
    // A key of its own: what opens the outbox signs no token, and the other way round.
    this.keys = ring.secrets.map((s) => createHmac('sha256', s).update('mwauth outbox seal v1').digest());
  }

  /** Whether a stored message is sealed (rather than the message itself). */
  static isSealed(stored: string): boolean {
    return stored.startsWith(PREFIX);
  }

  seal(raw: string, binding: { messageId: string; to: string }): string {
    // Always from the system's generator, never an injected one: a repeated nonce would give the key away.
    const nonce = randomBytes(NONCE);
    const cipher = createCipheriv('aes-256-gcm', this.keys[0]!, nonce);
    cipher.setAAD(aad(binding));
    const body = Buffer.concat([cipher.update(raw, 'utf8'), cipher.final()]);
    return PREFIX + Buffer.concat([nonce, cipher.getAuthTag(), body]).toString('base64');
  }

  /** The message a sealed one holds; SealError when this key did not seal it for this row. */
  open(stored: string, binding: { messageId: string; to: string }): string {
    if (!MailSeal.isSealed(stored)) throw new SealError('not a sealed message');
    const bytes = Buffer.from(stored.slice(PREFIX.length), 'base64');
    if (bytes.length < NONCE + TAG) throw new SealError('the sealed message is cut short');
    for (const key of this.keys) {
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, NONCE));
        decipher.setAAD(aad(binding));
        decipher.setAuthTag(bytes.subarray(NONCE, NONCE + TAG));
        return Buffer.concat([decipher.update(bytes.subarray(NONCE + TAG)), decipher.final()]).toString('utf8');
      } catch {
        // Not this key's (or not this row's): the next secret may have sealed it.
      }
    }
    throw new SealError('the sealed message does not open with this server secret (was MWAUTH_SECRET changed since it was queued?)');
  }
}

function aad(b: { messageId: string; to: string }): Buffer {
  return Buffer.from(`${b.messageId}\n${b.to.toLowerCase()}`, 'utf8');
}
