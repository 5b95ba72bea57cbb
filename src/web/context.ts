// One page request: its session, performer, language and links; and how its answer is sent.
import type { FastifyReply, FastifyRequest } from 'fastify';
import Negotiator from 'negotiator';
import { loadPerformer, type Performer } from '../accounts/performer.js';
import type { MessageParam } from '../i18n/index.js';
import type { Doors } from '../services.js';
import type { Session } from '../sessions/session.js';
import { pagePath } from '../site/urls.js';

export interface PageContext {
  /** The domain doors: a page translates a form into a call to one, and its answer into HTML. */
  services: Doors;
  method: string;
  /** The canonical title of the page asked for. */
  title: string;
  query: Record<string, string>;
  /** The POSTed form's text fields (empty for GET). */
  form: Record<string, string>;
  ip: string;
  session: Session;
  performer: Performer;
  lang: string;
  dir: 'ltr' | 'rtl';
  t(key: string, ...params: MessageParam[]): string;
  /** A page's URL under the article path, carrying an explicit uselang along. */
  link(title: string, params?: Record<string, string>): string;
}

export type PageResult =
  | { status?: number; heading: string; body: import('./html.js').SafeHtml }
  | { redirect: string };

export type PageHandler = (ctx: PageContext) => Promise<PageResult>;

/** The text fields of a query or form, in an object without a prototype (the names are the visitor's). */
function strings(v: unknown): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  if (!v || typeof v !== 'object') return out;
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    const first = Array.isArray(x) ? x[0] : x;
    if (typeof first === 'string') out[k] = first;
  }
  return out;
}

/** The languages of an Accept-Language header, best first; "*" (any) says nothing about which. */
export function acceptedLanguages(header: string | undefined): string[] {
  if (!header) return [];
  return new Negotiator({ headers: { 'accept-language': header } }).languages().filter((tag) => tag !== '*');
}

/** uselang, then the user's preference, then Accept-Language, then the site's language. */
async function pickLanguage(s: Doors, uselang: string | undefined, performer: Performer, accept: string | undefined): Promise<string> {
  const fromUse = s.i18n.resolve(uselang);
  if (fromUse) return fromUse;
  if (performer.user) {
    const pref = s.i18n.resolve(performer.language);
    if (pref) return pref;
  }
  for (const tag of acceptedLanguages(accept)) {
    const l = s.i18n.resolve(tag);
    if (l) return l;
  }
  return s.i18n.resolve(s.config.language) ?? 'en';
}

export async function pageContext(services: Doors, request: FastifyRequest, title: string): Promise<PageContext> {
  const query = strings(request.query);
  const form = request.method === 'POST' ? strings(request.body) : {};
  // Bot-password sessions are for the API only: on a page their cookie is ignored, as in MediaWiki.
  const session = await services.sessions.load(request.headers.cookie, { botPasswordSessions: false, ip: request.clientIp });
  const performer = await loadPerformer(services, session.userId, request.clientIp, session.data.bot ?? null, session.account);
  const header = request.headers['accept-language'];
  const lang = await pickLanguage(services, query.uselang, performer, Array.isArray(header) ? header[0] : header);
  const explicit: Record<string, string> = services.i18n.resolve(query.uselang) ? { uselang: lang } : {};
  return {
    services,
    method: request.method,
    title,
    query,
    form,
    ip: request.clientIp,
    session,
    performer,
    lang,
    dir: services.i18n.direction(lang),
    t: (key, ...params) => services.i18n.text(lang, key, ...params),
    link: (t, params = {}) => pagePath(services.config, t, { ...explicit, ...params }),
  };
}

/** Content-Security-Policy of every page: no script at all, styles only from our own stylesheet. */
export const CSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export function securityHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', CSP)
    .header('x-frame-options', 'DENY')
    .header('x-content-type-options', 'nosniff')
    // Pages hold tokens and sometimes passwords in their forms: never cached, never referred.
    .header('referrer-policy', 'no-referrer')
    .header('cache-control', 'no-store')
    .header('cross-origin-opener-policy', 'same-origin');
}

/** Saves the session, then sends the page (or the redirect) with its headers. */
export async function sendPage(ctx: PageContext, reply: FastifyReply, result: PageResult, render: (r: Exclude<PageResult, { redirect: string }>) => string): Promise<FastifyReply> {
  const body = 'redirect' in result ? null : render(result);
  const cookies = await ctx.services.sessions.save(ctx.session);
  securityHeaders(reply);
  if (cookies.length) reply.header('set-cookie', cookies);
  if ('redirect' in result) return reply.code(303).header('location', result.redirect).send();
  reply.header('content-language', ctx.lang).header('content-type', 'text/html; charset=utf-8');
  return reply.code(result.status ?? 200).send(body);
}
