// Special:UserLogout: a button (POST with the page token) that ends the session, as action=logout does.
import { loadPerformer } from '../../accounts/performer.js';
import type { PageHandler } from '../context.js';
import { form, guardPost, notice } from '../forms.js';
import { html } from '../html.js';

export const logoutPage: PageHandler = async (ctx) => {
  const heading = ctx.t('web-logout-title');
  const user = ctx.performer.user;
  if (!user) {
    return { heading, body: html`${notice(ctx.t('web-logout-notloggedin'))}<p><a href="${ctx.link('Special:UserLogin')}">${ctx.t('web-nav-login')}</a></p>` };
  }
  const confirm = (error: string | null, status = 200) => ({
    status,
    heading,
    body: html`${error ? html`<div class="error-summary" role="alert"><p>${error}</p></div>` : ''}<p>${ctx.t('web-logout-confirm', user.name)}</p>
${form(ctx, ctx.link('Special:UserLogout'), html``, ctx.t('web-logout-submit'))}`,
  });
  if (ctx.method !== 'POST') return confirm(null);
  const refused = guardPost(ctx, { writes: false });
  if (refused) return confirm(refused, 400);
  await ctx.services.loginFlow.logOut(ctx.session, { name: user.name, ip: ctx.ip });
  ctx.performer = await loadPerformer(ctx.services, 0, ctx.ip);
  return { heading, body: html`${notice(ctx.t('web-logout-done'), 'success')}<p><a href="${ctx.link('Special:UserLogin')}">${ctx.t('web-nav-login')}</a></p>` };
};
