// Reading the Cookie header (the cookie package) and writing Set-Cookie values. The writing is ours:
// MediaWiki's attribute order and spelling ("expires=…; Max-Age=…; path=/; secure; HttpOnly") and its
// "deleted" form are what clients and the tests compare, and the package writes neither.
import { parse } from 'cookie';

/**
 * The cookies of a Cookie header, first of each name, percent-decoded where that is valid, in an object
 * without a prototype (the names are the client's). A quoted value keeps its quotes, as PHP reads it.
 */
export function parseCookies(header: string | undefined): Record<string, string | undefined> {
  return header ? parse(header) : Object.create(null);
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
