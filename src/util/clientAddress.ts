// Which address a request comes from: the connection's peer, or — when that peer is a trusted proxy —
// the address the proxies recorded in X-Forwarded-For, read from the right. Also the one spelling of an
// address, the trusted-proxy ranges, and the keys limits count an address or its network under.
// ipaddr.js does the arithmetic of ranges and prefixes.
import { isIPv4, isIPv6 } from 'node:net';
import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** ::ffff:0.0.0.0, the first IPv4-mapped address: a range of 96 bits or fewer holding it holds them all. */
const MAPPED = ipaddr.IPv4.parse('0.0.0.0').toIPv4MappedAddress();

/** An address range: its network address and prefix length, IPv4 ranges in IPv4's own 32 bits. */
interface Range {
  net: Address;
  prefix: number;
}

/**
 * An IP address without brackets or port, as an address (an IPv4-mapped IPv6 address as its IPv4
 * address); null for anything else. node:net decides what is an address: ipaddr.js alone would also
 * read "127.1" and "0x7f.0.0.1", which no socket or proxy writes. IPv6 text reaches ipaddr.js in the
 * WHATWG URL parser's hex form, as it reads the IPv4-compatible "::192.0.2.1" as the IPv4-mapped
 * "::ffff:192.0.2.1" (another address).
 */
function parseAddress(text: string): Address | null {
  if (isIPv4(text)) return ipaddr.IPv4.parse(text);
  // Zone indexes ("fe80::1%eth0") name an interface of the machine that wrote them: not an address here.
  if (!isIPv6(text) || text.includes('%')) return null;
  const v6 = ipaddr.IPv6.parse(new URL(`http://[${text}]/`).hostname.slice(1, -1));
  return v6.isIPv4MappedAddress() ? v6.toIPv4Address() : v6;
}

/** Dotted decimal without leading zeros, or RFC 5952 (lower case, the longest run of zeros compressed). */
function spell(a: Address): string {
  return a.kind() === 'ipv4' ? a.toString() : (a as ipaddr.IPv6).toRFC5952String();
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
  const address = parseAddress(host);
  return address === null ? null : spell(address);
}

/** Why a trusted-proxy entry was refused (the caller names the setting). */
export class AddressRangeError extends Error {}

/** "192.0.2.1", "10.0.0.0/8", "2001:db8::/32" → its range; the host bits of a range are ignored. */
function parseRange(entry: string): Range {
  const slash = entry.indexOf('/');
  const text = slash < 0 ? entry : entry.slice(0, slash);
  const address = parseAddress(text);
  if (address === null) throw new AddressRangeError(`"${entry}" is not an IP address or a range like 10.0.0.0/8 or 2001:db8::/32`);
  // IPv4 prefixes count within the 32 bits of the address, IPv6 ones (IPv4-mapped included) within 128.
  const max = isIPv4(text) ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = entry.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p) || Number(p) > max) throw new AddressRangeError(`"${entry}": the prefix length must be 1 to ${max}`);
    prefix = Number(p);
  }
  // An IPv4-mapped range is the IPv4 range it maps; one of 96 bits or fewer holds every IPv4 address.
  if (max === 128 && address.kind() === 'ipv4') prefix -= 96;
  // A range holding every IPv4 address (or every address) would let any client name its own address.
  if (prefix <= 0 || (address.kind() === 'ipv6' && prefix <= 96 && MAPPED.match(address, prefix))) {
    throw new AddressRangeError(`"${entry}" would trust every client to name its own address; list the proxies' addresses or ranges`);
  }
  const cidr = `${spell(address)}/${prefix}`;
  return { net: address.kind() === 'ipv4' ? ipaddr.IPv4.networkAddressFromCIDR(cidr) : ipaddr.IPv6.networkAddressFromCIDR(cidr), prefix };
}

function inRange(address: Address, r: Range): boolean {
  return address.kind() === r.net.kind() && address.match(r.net, r.prefix);
}

function rangeText(r: Range): string {
  return `${spell(r.net)}/${r.prefix}`;
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
    const parsed = parseAddress(address);
    if (parsed === null) return false;
    return this.ranges.some((r) => inRange(parsed, r));
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

/**
 * The key limits count an address under: IPv4 as it is, IPv6 per /64 (one subscriber usually holds a
 * /64), in one spelling whatever the spelling given ("2001:db8:0:0::/64"); anything else as it is.
 */
export function ipLimitKey(ip: string): string {
  return prefixKey(ip, 32, 64);
}

/** The network an address belongs to: IPv4 per /24, IPv6 per /48 (a site's usual allocation). */
export function networkKey(ip: string): string {
  return prefixKey(ip, 24, 48);
}

function prefixKey(ip: string, v4: number, v6: number): string {
  const address = parseAddress(ip);
  if (address === null) return ip;
  if (address.kind() === 'ipv4') {
    if (v4 === 32) return address.toString();
    return `${ipaddr.IPv4.networkAddressFromCIDR(`${address.toString()}/${v4}`).toString()}/${v4}`;
  }
  // The groups written out in full (no "::" inside), so a key never depends on where zeros fall.
  const groups = (address as ipaddr.IPv6).parts.slice(0, v6 / 16).map((g) => g.toString(16));
  return `${groups.join(':')}::/${v6}`;
}

/** A blocked address or range: its one spelling, and its first and last address as comparable text. */
export interface BlockRange {
  /** "192.0.2.7", or a range as "192.0.2.0/24" (host bits cleared); a /32 or /128 is the address alone. */
  target: string;
  /** The first address, as fixed-width hex ("C0000200"; IPv6 "v6-" and 32 digits), MediaWiki's form. */
  start: string;
  /** The last address, in the same form. */
  end: string;
  /** Prefix length: the longer, the narrower the range. */
  prefix: number;
}

/** The hex form of an address: IPv4 and IPv6 never compare as overlapping. */
function addressHex(a: Address): string {
  const bytes = a.toByteArray();
  const hex = bytes.map((b) => b.toString(16).padStart(2, '0')).join('').toUpperCase();
  return a.kind() === 'ipv4' ? hex : `v6-${hex}`;
}

/**
 * An address ("192.0.2.7", any spelling canonicalAddress reads) or a range ("192.0.2.0/24",
 * "2001:db8::/32"; an IPv4-mapped range is the IPv4 range) as a block's target; null for anything else.
 */
export function blockRange(raw: string): BlockRange | null {
  const text = raw.trim();
  const slash = text.indexOf('/');
  if (slash < 0) {
    const spelled = canonicalAddress(text);
    const address = spelled === null ? null : parseAddress(spelled);
    if (!address) return null;
    const hex = addressHex(address);
    return { target: spelled!, start: hex, end: hex, prefix: address.kind() === 'ipv4' ? 32 : 128 };
  }
  const host = text.slice(0, slash);
  const bits = text.slice(slash + 1);
  const address = parseAddress(host);
  if (!address || !/^\d{1,3}$/.test(bits)) return null;
  let prefix = Number(bits);
  const max = isIPv4(host) ? 32 : 128;
  if (prefix > max) return null;
  if (max === 128 && address.kind() === 'ipv4') {
    if (prefix < 96) return null;
    prefix -= 96;
  }
  const full = address.kind() === 'ipv4' ? 32 : 128;
  if (prefix === full) return blockRange(spell(address));
  const cidr = `${spell(address)}/${prefix}`;
  const first = address.kind() === 'ipv4' ? ipaddr.IPv4.networkAddressFromCIDR(cidr) : ipaddr.IPv6.networkAddressFromCIDR(cidr);
  const last = address.kind() === 'ipv4' ? ipaddr.IPv4.broadcastAddressFromCIDR(cidr) : ipaddr.IPv6.broadcastAddressFromCIDR(cidr);
  return { target: `${spell(first)}/${prefix}`, start: addressHex(first), end: addressHex(last), prefix };
}

/**
 * Whether the address lies in one of the ranges ("10.0.0.0/8", "2001:db8::/32", or a single address);
 * entries that are no address or range are skipped, so a list of only such entries holds nothing.
 */
export function inAnyRange(ip: string, ranges: readonly string[]): boolean {
  // The rule SqlBlockStore.find applies in SQL: the same family (the same width), first ≤ address ≤ last.
  const at = ip.includes('/') ? null : blockRange(ip);
  if (!at) return false;
  return ranges.some((entry) => {
    const r = blockRange(entry);
    return r !== null && r.start.length === at.start.length && r.start <= at.start && at.start <= r.end;
  });
}
