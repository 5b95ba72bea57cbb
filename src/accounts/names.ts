// User names, canonicalized the way MediaWiki does it for the "user" parameter type.

// Characters MediaWiki's titles never contain (U+FFFD stands for bytes that were not UTF-8).
const ILLEGAL = /[<>[\]{}|#\u0000-\u001f\u007f\ufffd]/;
// A UTF-16 surrogate without its pair: no character at all, and each database would store it differently.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
// Invisible or confusable characters names may not hold.
const TROUBLEMAKERS = /[\u0080-\u009f\u00a0\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f\u3000\ufeff\ue000-\uf8ff]/;
// Characters an account created here may not hold (MediaWiki's $wgInvalidUsernameCharacters).
const NOT_CREATABLE = /[@:>]/;
// Nor characters that show nothing or change how the rest shows: zero-width and joining characters,
// bidirectional controls (U+200E/F, U+202A–E, U+2066–9, U+061C), the soft hyphen, variation selectors,
// tags, fillers — every default-ignorable and format character — and private-use or unassigned ones. A
// name holding one looks like another name, or like nothing at all. Existing names are not refused.
const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\p{Cf}\p{Co}\p{Cn}]/u;
const NAMESPACES = new Set([
  'user', 'media', 'special', 'talk', 'user talk', 'project', 'project talk', 'file', 'file talk', 'image', 'image talk',
  'mediawiki', 'mediawiki talk', 'template', 'template talk', 'help', 'help talk', 'category', 'category talk',
]);

// MediaWiki's UserNameUtils::isIP: anything shaped like an IPv4 address, valid or not, and the "1.2.3.xxx"
// form old software used for hidden addresses, can never be an account name.
const IPV4_LIKE = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.(?:xxx|\d{1,3})$/;

export function isIPAddress(s: string): boolean {
  if (/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(\/\d{1,2})?$/.test(s)) {
    return s.split('/')[0]!.split('.').every((p) => Number(p) <= 255);
  }
  // IPv6, with an optional range suffix.
  const v6 = s.split('/')[0]!;
  return /^[0-9a-f:.]+$/i.test(v6) && v6.includes(':') && /^(?:[0-9a-f]{0,4}:){2,7}(?:[0-9a-f]{0,4}|\d+\.\d+\.\d+\.\d+)$/i.test(v6);
}

function ucfirst(s: string): string {
  const first = String.fromCodePoint(s.codePointAt(0)!);
  const upper = first.toUpperCase();
  // Keep characters whose upper case is longer than one character (e.g. "ß") as they are.
  return ([...upper].length === 1 ? upper : first) + s.slice(first.length);
}

/**
 * The canonical form of a user name, or null when it can never name an account:
 * "_" becomes a space, spaces collapse, a "User:" prefix goes, the first letter is upper case.
 */
export function canonicalUserName(input: string): string | null {
  if (LONE_SURROGATE.test(input)) return null;
  let name = input.normalize('NFC').replace(/_/g, ' ').replace(/ {2,}/g, ' ').trim();
  const prefix = /^user\s*:\s*/i.exec(name);
  if (prefix) name = name.slice(prefix[0].length).trim();
  if (name === '') return null;
  if (ILLEGAL.test(name) || TROUBLEMAKERS.test(name)) return null;
  if (name.includes('/')) return null;
  if (name.includes('>')) return null;
  if (name.startsWith(':')) return null;
  const colon = name.indexOf(':');
  if (colon > 0 && NAMESPACES.has(name.slice(0, colon).trim().toLowerCase())) return null;
  if (name.includes('~~~')) return null;
  if (Buffer.byteLength(name, 'utf8') > 255) return null;
  name = ucfirst(name);
  if (isIPAddress(name) || IPV4_LIKE.test(name)) return null;
  return name;
}

/** Whether a new account may take this (already canonical) name. */
export function isCreatableName(name: string): boolean {
  return !NOT_CREATABLE.test(name) && !INVISIBLE.test(name);
}

/**
 * Whether a value is an email address by the loose HTML5 rule MediaWiki uses, of at most 255 bytes
 * (MediaWiki's user_email column; an address on the wire is at most 254).
 */
export function isValidEmail(addr: string): boolean {
  return addr.length <= 255 && /^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(addr);
}
