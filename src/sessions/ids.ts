// Session ids and the token secrets derived from them, keyed with the server secret (made with the
// signing secret, recognised with any secret of the keyring: src/secrets/keyring.ts).
//
// An id is 32 characters of [0-9a-v] like MediaWiki's: 24 random ones (120 bits) and 8 of an HMAC of
// those and of the id's kind (40 bits), so the server can tell, without storing anything, an id it gave
// out from one a client made up, and an anonymous id from the id of a stored session (a login, a forced
// change). The token secrets of an anonymous session are derived from its id, so a login token or a
// page form needs no stored row. A stored session's id that is no longer in the store (logged out,
// expired, replaced at a privilege step) is dead: it is not even taken as an anonymous id again.
import type { Keyring } from '../secrets/keyring.js';
import type { Random } from '../util/clock.js';

const BASE32 = '0123456789abcdefghijklmnopqrstuv';
const RANDOM_CHARS = 24;
const MAC_CHARS = 8;
const ID_PATTERN = /^[0-9a-v]{32}$/;

function sameText(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length && i < b.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

function base32(bytes: Buffer, chars: number): string {
  let out = '';
  for (let i = 0; i < chars; i++) out += BASE32[bytes[i]! & 31];
  return out;
}

/** An anonymous session (nothing stored), or one whose data is in the store. */
export type IdKind = 'anonymous' | 'stored';

export class SessionIds {
  constructor(private readonly keys: Keyring) {}

  private static data(kind: IdKind, random: string): string {
    return `session-id\0${kind}\0${random}`;
  }

  /** A new id of the kind. */
  create(rng: Random, kind: IdKind): string {
    const random = base32(rng.bytes(RANDOM_CHARS), RANDOM_CHARS);
    return random + base32(this.keys.mac(SessionIds.data(kind, random)), MAC_CHARS);
  }

  /** The kind of an id this server (or another node with a secret in common) made; null for any other. */
  kind(id: string): IdKind | null {
    if (!ID_PATTERN.test(id)) return null;
    const random = id.slice(0, RANDOM_CHARS);
    const mac = id.slice(RANDOM_CHARS);
    for (const kind of ['anonymous', 'stored'] as const) {
      for (const m of this.keys.macs(SessionIds.data(kind, random))) if (sameText(base32(m, MAC_CHARS), mac)) return kind;
    }
    return null;
  }

  /** The token secret `key` of the session `id` (32 hex digits, as MediaWiki's random secrets). */
  tokenSecret(id: string, key: string): string {
    return this.keys.mac(`session-token\0${key}\0${id}`).toString('hex').slice(0, 32);
  }

  /** The token secrets `key` of the session `id` under every secret, the signing one first. */
  tokenSecrets(id: string, key: string): string[] {
    return this.keys.macs(`session-token\0${key}\0${id}`).map((m) => m.toString('hex').slice(0, 32));
  }
}
