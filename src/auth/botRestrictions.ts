// A bot password's restrictions, as MediaWiki stores them (MWRestrictions: {"IPAddresses": ["192.0.2.0/24",
// "2001:db8::/32"]}), brought over by an import: a login with it only from those addresses. A bot password
// made here has none (null).
import ipaddr from 'ipaddr.js';

function contains(entry: string, address: ipaddr.IPv4 | ipaddr.IPv6): boolean {
  try {
    if (entry.includes('/')) {
      const [net, bits] = ipaddr.parseCIDR(entry.trim());
      const range = net.kind() === 'ipv6' && (net as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96 ? ([(net as ipaddr.IPv6).toIPv4Address(), bits - 96] as const) : ([net, bits] as const);
      return range[0].kind() === address.kind() && address.match(range[0] as never, range[1]);
    }
    const one = ipaddr.process(entry.trim());
    return one.kind() === address.kind() && one.toNormalizedString() === address.toNormalizedString();
  } catch {
    // An entry that is no address or range lets nobody in.
    return false;
  }
}

/**
 * Whether the restrictions let a login from `ip` in. IPAddresses must hold the address; any other kind of
 * restriction MediaWiki may have stored (e.g. "Referers") that is not empty cannot be checked here, and
 * refuses the login rather than ignore it.
 */
export function restrictionsAllow(restrictions: Record<string, unknown> | null, ip: string): boolean {
  if (restrictions === null) return true;
  let address: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    address = ipaddr.process(ip);
  } catch {
    return false;
  }
  for (const [kind, value] of Object.entries(restrictions)) {
    if (kind === 'IPAddresses') {
      if (!Array.isArray(value) || !value.some((e) => typeof e === 'string' && contains(e, address))) return false;
    } else if (!(value === null || (Array.isArray(value) && value.length === 0))) {
      return false;
    }
  }
  return true;
}
