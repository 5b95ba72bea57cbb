// Reading the Cookie header and writing Set-Cookie values.

/** The cookies of a Cookie header, first of each name, in an object without a prototype (the names are the client's). */
export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (!name || name in out) continue;
    try {
      out[name] = decodeURIComponent(value);
    } catch {
      out[name] = value;
    }
  }
  return out;
}

export interface CookieOptions {
  /** Seconds; absent means a browser-session cookie, 0 or less deletes it. */
  maxAge?: number;
  httpOnly?: boolean;
  secure?: boolean;
  sameSite?: 'Lax' | 'Strict' | 'None';
  path?: string;
  now?: number;
}

export function serializeCookie(name: string, value: string, o: CookieOptions): string {
  // A deleted cookie is written as MediaWiki writes it: "deleted", expired at the epoch.
  if (o.maxAge !== undefined && o.maxAge < 0) {
    const parts = [`${name}=deleted`, 'expires=Thu, 01 Jan 1970 00:00:01 GMT', 'Max-Age=0', `path=${o.path ?? '/'}`];
    if (o.secure) parts.push('secure');
    if (o.httpOnly !== false) parts.push('HttpOnly');
    if (o.sameSite) parts.push(`SameSite=${o.sameSite}`);
    return parts.join('; ');
  }
  const parts = [`${name}=${encodeURIComponent(value)}`];
  if (o.maxAge !== undefined) {
    const expires = new Date((o.now ?? Date.now()) + Math.max(o.maxAge, -1) * 1000);
    parts.push(`expires=${expires.toUTCString()}`, `Max-Age=${Math.max(0, Math.floor(o.maxAge))}`);
  }
  parts.push(`path=${o.path ?? '/'}`);
  if (o.secure) parts.push('secure');
  if (o.httpOnly !== false) parts.push('HttpOnly');
  if (o.sameSite) parts.push(`SameSite=${o.sameSite}`);
  return parts.join('; ');
}
