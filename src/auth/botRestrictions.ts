// A bot password's restrictions, as MediaWiki stores them (MWRestrictions: {"IPAddresses": ["192.0.2.0/24",
// "2001:db8::/32"]}), brought over by an import: a login with it only from those addresses. A bot password
// made here has none (null).
import { addressInRange } from '../util/clientAddress.js';

/**
 * Whether the restrictions let a login from `ip` in. IPAddresses must hold the address; any other kind of
 * restriction MediaWiki may have stored (e.g. "Referers") that is not empty cannot be checked here, and
 * refuses the login rather than ignore it.
 */
export function restrictionsAllow(restrictions: Record<string, unknown> | null, ip: string): boolean {
  if (restrictions === null) return true;
  for (const [kind, value] of Object.entries(restrictions)) {
    if (kind === 'IPAddresses') {
      if (!Array.isArray(value) || !value.some((e) => typeof e === 'string' && addressInRange(e, ip))) return false;
    } else if (!(value === null || (Array.isArray(value) && value.length === 0))) {
      return false;
    }
  }
  return true;
}
