// The server secret as a list (MWAUTH_SECRET="NEW,OLD"): the first signs, every one verifies. Whatever
// is keyed with the secret — session ids, their stored hashes, token secrets, remembered logins, the
// generations a session keeps, the key that seals mail in the outbox — is made with the first and
// accepted from any, so a secret is rotated by putting a new one in front, and retired by removing it.
import { createHmac, timingSafeEqual } from 'node:crypto';

export class Keyring {
  readonly secrets: readonly string[];

  constructor(secrets: readonly string[] | string) {
    const list = typeof secrets === 'string' ? [secrets] : [...secrets];
    if (list.length === 0 || list.some((s) => s.length === 0)) throw new Error('a keyring needs at least one non-empty secret');
    this.secrets = list;
  }

  /** The secret new things are made with. */
  get signing(): string {
    return this.secrets[0]!;
  }

  /** HMAC of `data` with the signing secret. */
  mac(data: string | Buffer, algorithm = 'sha256'): Buffer {
    return createHmac(algorithm, this.signing).update(data).digest();
  }

  /** HMAC of `data` with every secret, the signing one first. */
  macs(data: string | Buffer, algorithm = 'sha256'): Buffer[] {
    return this.secrets.map((s) => createHmac(algorithm, s).update(data).digest());
  }

  /** HMAC-SHA256 hex of `data` with every secret, the signing one first. */
  hexes(data: string | Buffer): string[] {
    return this.macs(data).map((b) => b.toString('hex'));
  }

  /** Whether `value` equals one of the candidates, compared in constant time each. */
  static matchesAny(value: string, candidates: readonly string[]): boolean {
    const v = Buffer.from(value);
    let found = false;
    for (const c of candidates) {
      const b = Buffer.from(c);
      if (b.length === v.length && timingSafeEqual(b, v)) found = true;
    }
    return found;
  }
}
