// origin= handling. No origin is trusted for credentials; "*" gives anonymous access from anywhere.
import type { ApiRequest } from './request.js';

export type CorsOutcome =
  | { kind: 'none' }
  | { kind: 'public' }
  | { kind: 'mismatch' }
  | { kind: 'rejected'; origin: string };

const EXPOSED = 'MediaWiki-API-Error, Retry-After, X-Database-Lag, MediaWiki-Login-Suppressed';
// Headers a cross-origin request may carry (MediaWiki's $wgAllowedCorsHeaders), lower-cased.
const ALLOWED_HEADERS = new Set([
  'accept', 'accept-language', 'content-language', 'content-type', 'accept-encoding', 'dnt', 'origin',
  'user-agent', 'api-user-agent', 'access-control-max-age', 'authorization',
]);

export function checkCors(req: ApiRequest): CorsOutcome {
  // Read from the query string or the body, as MediaWiki does; clients must put it in the URL for
  // preflight requests, which carry no body.
  const origin = req.params.get('origin');
  if (origin === undefined) return { kind: 'none' };
  if (origin === '*') return { kind: 'public' };
  const header = (req.header('origin') ?? '').split(/\s+/).filter(Boolean);
  if (!header.includes(origin)) return { kind: 'mismatch' };
  return { kind: 'rejected', origin };
}

export function corsHeaders(c: CorsOutcome, req: ApiRequest): Record<string, string> {
  const h: Record<string, string> = {};
  // A preflight is an OPTIONS request that names the method it prepares.
  const preflight = req.method === 'OPTIONS' && req.header('access-control-request-method') !== undefined;
  if (c.kind === 'public') {
    if (preflight) {
      const requested = req.header('access-control-request-headers');
      if (requested !== undefined && requested.trim() !== '') {
        const names = requested.split(',').map((n) => n.trim().toLowerCase());
        if (!names.every((n) => ALLOWED_HEADERS.has(n))) {
          h['mediawiki-cors-rejection'] = 'Unsupported header requested in preflight';
          return h;
        }
        h['access-control-allow-headers'] = requested;
      }
      h['access-control-allow-methods'] = 'POST, GET, HEAD';
    }
    h['access-control-allow-origin'] = '*';
    h['access-control-allow-credentials'] = 'false';
    if (!preflight) h['access-control-expose-headers'] = EXPOSED;
  } else if (c.kind === 'rejected') {
    h['mediawiki-cors-rejection'] = 'Origin mismatch';
    h['vary'] = 'Origin';
  }
  return h;
}
