// The site's own pages under config.articlePath (and index.php?title=… under config.scriptPath):
// server-rendered HTML on top of the same domain services the API uses.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { outageOf, RETRY_AFTER_SECONDS } from '../ops/failures.js';
import { doorsOf, type Services } from '../services.js';
import { articleBase, indexPath, scriptBase } from '../site/urls.js';
import { acceptedLanguages, pageContext, securityHeaders, sendPage, type PageHandler } from './context.js';
import { html } from './html.js';
import { layout } from './layout.js';
import { changePasswordPage } from './pages/changepassword.js';
import { createAccountPage } from './pages/createaccount.js';
import { loginPage } from './pages/login.js';
import { logoutPage } from './pages/logout.js';
import { mainPage } from './pages/main.js';
import { passwordResetPage } from './pages/passwordreset.js';

const CSS = readFileSync(new URL('./style.css', import.meta.url), 'utf8');
const ICON = readFileSync(new URL('./favicon.svg', import.meta.url), 'utf8');
const VERSION = createHash('sha256').update(CSS).update(ICON).digest('hex').slice(0, 12);

// A Map, not an object: a title is the visitor's text, and "__proto__" or "toString" must be no page.
export const PAGES: ReadonlyMap<string, PageHandler> = new Map([
  ['Main_Page', mainPage],
  ['Special:UserLogin', loginPage],
  ['Special:UserLogout', logoutPage],
  ['Special:PasswordReset', passwordResetPage],
  ['Special:ChangePassword', changePasswordPage],
  ['Special:CreateAccount', createAccountPage],
]);
const SPECIAL = new Map([...PAGES.keys()].map((t) => [t.toLowerCase(), t]));

/** The canonical title of one of our pages ("special:userlogin" → "Special:UserLogin"), or null. */
export function canonicalTitle(raw: string): string | null {
  const t = raw.trim().replace(/ /g, '_');
  if (PAGES.has(t)) return t;
  return /^special:/i.test(t) ? (SPECIAL.get(t.toLowerCase()) ?? null) : null;
}

export async function registerWebRoutes(app: FastifyInstance, services: Services): Promise<void> {
  const cfg = services.config;
  // Pages reach the domains through their doors only; failures are counted here (services.ops).
  const doors = doorsOf(services);
  const skin = `${scriptBase(cfg)}/skins`;
  const assets = { stylesheet: `${skin}/mwauth.css?v=${VERSION}`, icon: `${skin}/favicon.svg?v=${VERSION}` };

  async function serve(request: FastifyRequest, reply: FastifyReply, rawTitle: string): Promise<FastifyReply> {
    const title = canonicalTitle(rawTitle || 'Main_Page');
    const ctx = await pageContext(doors, request, title ?? rawTitle);
    const handler = (title && PAGES.get(title)) || notFound;
    return sendPage(ctx, reply, await handler(ctx), (r) => layout(ctx, r, assets));
  }

  const notFound: PageHandler = async (ctx) => ({
    status: 404,
    heading: ctx.t('web-notfound-title'),
    body: html`<p>${ctx.t('web-notfound-text', ctx.title)}</p><p><a href="${ctx.link('Main_Page')}">${ctx.t('web-mainpage-title')}</a></p>`,
  });

  await app.register(async (scope) => {
    scope.setErrorHandler(async (err: Error & { statusCode?: number }, request, reply) => {
      // The database or Redis unavailable: 503 with Retry-After, the page saying to try again shortly.
      const outage = outageOf(err);
      const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : outage ? 503 : 500;
      if (outage) services.ops.failed(outage, err);
      else if (status === 500) services.logger.error({ err: err.message, path: request.url.split('?')[0] }, 'page failed');
      // The page's language without asking the database: uselang, then the browser's, then the site's.
      const q = request.query as Record<string, unknown> | undefined;
      const header = request.headers['accept-language'];
      const lang =
        services.i18n.resolve(typeof q?.uselang === 'string' ? q.uselang : undefined) ??
        acceptedLanguages(Array.isArray(header) ? header[0] : header).map((l) => services.i18n.resolve(l)).find(Boolean) ??
        services.i18n.resolve(cfg.language) ??
        'en';
      const t = (k: string) => services.i18n.text(lang, k);
      const text = outage ? 'web-error-unavailable' : status === 500 ? 'web-error-server' : 'web-error-request';
      const body = html`<!DOCTYPE html><html lang="${lang}" dir="${services.i18n.direction(lang)}"><head><meta charset="utf-8"><title>${t('web-error-title')}</title><link rel="stylesheet" href="${assets.stylesheet}"><link rel="icon" href="${assets.icon}"></head><body><main id="content"><h1>${t('web-error-title')}</h1><p>${t(text)}</p></main></body></html>`;
      if (outage) reply.header('retry-after', String(RETRY_AFTER_SECONDS));
      return securityHeaders(reply).code(status).header('content-type', 'text/html; charset=utf-8').header('content-language', lang).send(body.value);
    });

    // The stylesheet and the icon, cached for good under a versioned URL.
    for (const [file, type, content] of [['mwauth.css', 'text/css', CSS], ['favicon.svg', 'image/svg+xml', ICON]] as const) {
      scope.get(`${skin}/${file}`, async (request, reply) => {
        const versioned = (request.query as Record<string, unknown>).v === VERSION;
        return reply
          .header('content-type', `${type}; charset=utf-8`)
          .header('x-content-type-options', 'nosniff')
          .header('cache-control', versioned ? 'public, max-age=31536000, immutable' : 'no-cache')
          .send(content);
      });
    }

    // Pages count by status in the metrics, whatever answered them (the error handler included).
    const counted = async (_request: FastifyRequest, reply: FastifyReply) => services.ops.metrics.pageRequest(reply.statusCode);

    scope.route({
      method: ['GET', 'POST'],
      url: `${articleBase(cfg)}/*`,
      onResponse: counted,
      handler: (request, reply) => serve(request, reply, (request.params as Record<string, string>)['*'] ?? ''),
    });

    scope.route({
      method: ['GET', 'POST'],
      url: indexPath(cfg),
      onResponse: counted,
      handler: (request, reply) => {
        const q = request.query as Record<string, unknown>;
        const b = (request.method === 'POST' ? request.body : null) as Record<string, unknown> | null;
        const title = typeof q.title === 'string' ? q.title : typeof b?.title === 'string' ? b.title : 'Main_Page';
        return serve(request, reply, title);
      },
    });
  });
}
