// origin= handling. No origin is trusted for credentials; "*" gives anonymous access from anywhere.
import type { ApiRequest } from './request.js';

export type CorsOutcome =
  | { kind: 'none' }
  | { kind: 'public' }
  | { kind: 'mismatch' }
  | { kind: 'rejected'; origin: string };

const EXPOSED = 'MediaWiki-API-Error, Retry-After, X-Database-Lag, MediaWiki-Login-Suppressed';

export function checkCors(req: ApiRequest): CorsOutcome {
  // origin= must be in the URL: preflight requests carry no body.
  if (!req.fromQuery.has('origin')) return { kind: 'none' };
  const origin = req.params.get('origin')!;
  if (origin === '*') return { kind: 'public' };
  const header = (req.header('origin') ?? '').split(/\s+/).filter(Boolean);
  if (!header.includes(origin)) return { kind: 'mismatch' };
  return { kind: 'rejected', origin };
}

export function corsHeaders(c: CorsOutcome, preflight: boolean): Record<string, string> {
  const h: Record<string, string> = {};
  if (c.kind === 'public') {
    h['access-control-allow-origin'] = '*';
    h['access-control-allow-credentials'] = 'false';
    if (preflight) h['access-control-allow-methods'] = 'POST, GET, HEAD';
    else h['access-control-expose-headers'] = EXPOSED;
  } else if (c.kind === 'rejected') {
    h['mediawiki-cors-rejection'] = 'Origin mismatch';
    h['vary'] = 'Origin';
  }
  return h;
}
