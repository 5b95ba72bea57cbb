// Which address a request comes from: the connection's peer, or — when that peer is a trusted proxy —
// the address the proxies recorded in X-Forwarded-For, read from the right.
import { isIPv4, isIPv6 } from 'node:net';

/** An address range as 128 bits (IPv4 as its IPv4-mapped IPv6 form) and a prefix length. */
interface Range {
  base: bigint;
  prefix: number;
}

const MAPPED = 0xffffn << 32n;
const ALL = (1n << 128n) - 1n;

function v4Bits(ip: string): bigint {
  return ip.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function v6Bits(canonical: string): bigint {
  const [head, tail] = canonical.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** The RFC 5952 form (WHATWG's URL host serializer writes exactly that); input already checked by isIPv6. */
function v6Canonical(ip: string): string {
  return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
}

function fromBits(bits: bigint): string {
  if (bits >> 32n === 0xffffn) return [24n, 16n, 8n, 0n].map((s) => String((bits >> s) & 0xffn)).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => ((bits >> BigInt(112 - 16 * i)) & 0xffffn).toString(16));
  return v6Canonical(groups.join(':'));
}

/** An IP address without brackets or port, in its one spelling, as bits; null for anything else. */
function parseAddress(text: string): bigint | null {
  if (isIPv4(text)) return MAPPED | v4Bits(text);
  // Zone indexes ("fe80::1%eth0") name an interface of the machine that wrote them: not an address here.
  if (isIPv6(text) && !text.includes('%')) return v6Bits(v6Canonical(text));
  return null;
}

/**
 * The one spelling of an address as X-Forwarded-For or a socket gives it, or null when it is not one.
 * IPv4 is dotted decimal (no leading zeros), IPv6 is RFC 5952 (lower case, zeros compressed), and an
 * IPv4-mapped IPv6 address (::ffff:192.0.2.1) is the IPv4 address. A port is dropped: "192.0.2.1:5678",
 * "[2001:db8::1]:443" and "[2001:db8::1]" are addresses; an IPv6 address with a port needs its brackets
 * ("2001:db8::1:443" is the IPv6 address it spells).
 */
export function canonicalAddress(raw: string): string | null {
  const text = raw.trim();
  const port = /^(?:\[([^\]]*)\]|(\d{1,3}(?:\.\d{1,3}){3}))(?::(\d{1,5}))?$/.exec(text);
  let host = text;
  if (port) {
    if (port[3] !== undefined && (Number(port[3]) < 1 || Number(port[3]) > 65535)) return null;
    host = port[1] ?? port[2]!;
    // Brackets hold IPv6 only.
    if (port[1] !== undefined && !isIPv6(host)) return null;
  }
  const bits = parseAddress(host);
  return bits === null ? null : fromBits(bits);
}

/** Why a trusted-proxy entry was refused (the caller names the setting). */
export class AddressRangeError extends Error {}

/** "192.0.2.1", "10.0.0.0/8", "2001:db8::/32" → its range; the host bits of a range are ignored. */
function parseRange(entry: string): Range {
  const slash = entry.indexOf('/');
  const addr = slash < 0 ? entry : entry.slice(0, slash);
  const bits = parseAddress(addr);
  if (bits === null) throw new AddressRangeError(`"${entry}" is not an IP address or a range like 10.0.0.0/8 or 2001:db8::/32`);
  // IPv4 prefixes count within the 32 bits of the address, IPv6 ones (IPv4-mapped included) within 128.
  const max = isIPv4(addr) ? 32 : 128;
  let prefix = 128;
  if (slash >= 0) {
    const p = entry.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p) || Number(p) > max) throw new AddressRangeError(`"${entry}": the prefix length must be 1 to ${max}`);
    prefix = Number(p) + 128 - max;
  }
  const mask = prefix === 0 ? 0n : (ALL >> BigInt(128 - prefix)) << BigInt(128 - prefix);
  const range = { base: bits & mask, prefix };
  // A range holding every IPv4 address (or every address) would let any client name its own address.
  if (prefix <= 96 && inRange(MAPPED, range)) {
    throw new AddressRangeError(`"${entry}" would trust every client to name its own address; list the proxies' addresses or ranges`);
  }
  return range;
}

function inRange(bits: bigint, r: Range): boolean {
  const shift = BigInt(128 - r.prefix);
  return bits >> shift === r.base >> shift;
}

function rangeText(r: Range): string {
  const v4 = r.prefix >= 96 && r.base >> 32n === 0xffffn;
  return `${fromBits(r.base)}/${v4 ? r.prefix - 96 : r.prefix}`;
}

/**
 * A comma-separated list of addresses and ranges, in the one spelling "address/prefix" (IPv4-mapped
 * ranges as IPv4); empty entries are skipped. Throws AddressRangeError for the first bad entry.
 */
export function parseTrustedProxies(list: string): string[] {
  const out: string[] = [];
  for (const entry of list.split(',').map((s) => s.trim()).filter(Boolean)) {
    const text = rangeText(parseRange(entry));
    if (!out.includes(text)) out.push(text);
  }
  return out;
}

/** The trusted proxies, compiled once: is an address (in its one spelling) one of them? */
export class TrustedProxies {
  private readonly ranges: Range[];

  constructor(list: readonly string[]) {
    this.ranges = list.map(parseRange);
  }

  get empty(): boolean {
    return this.ranges.length === 0;
  }

  has(address: string): boolean {
    const bits = parseAddress(address);
    if (bits === null) return false;
    return this.ranges.some((r) => inRange(bits, r));
  }
}

/**
 * The client's address. Without trusted proxies, or when the peer is not one, it is the peer's, and
 * X-Forwarded-For is not read at all. Otherwise the header is walked from the right (the entry the
 * peer itself added) leftwards: an entry that is a trusted proxy passes the walk on, the first one that
 * is not is the client. An entry that is not an address (garbage, "unknown", an empty item) ends the
 * walk, and the last trusted hop — the proxy that handed it over — counts as the client: nothing that is
 * not a real address ever becomes one, and such requests share that proxy's limits. When every entry is
 * a trusted proxy, the leftmost is the client.
 */
export function resolveClientAddress(peer: string | undefined, forwardedFor: string | string[] | undefined, trusted: TrustedProxies): string {
  let address = peer === undefined ? '' : (canonicalAddress(peer) ?? peer);
  if (trusted.empty || !trusted.has(address) || forwardedFor === undefined) return address;
  // Node joins repeated X-Forwarded-For headers with ", ", in order; an array is joined the same way.
  const entries = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',');
  for (let i = entries.length - 1; i >= 0; i--) {
    const hop = canonicalAddress(entries[i]!);
    if (hop === null) return address;
    address = hop;
    if (!trusted.has(address)) return address;
  }
  return address;
}
