// action=logout: ends the session (POST, csrf token).
import { loadPerformer } from '../../accounts/performer.js';
import { defineModule } from '../module.js';

export const logoutModule = defineModule({
  name: 'logout',
  summary: 'End the session.',
  mustBePosted: true,
  readMode: false,
  token: 'csrf',
  params: {},
  helpUrl: 'https://www.mediawiki.org/wiki/Special:MyLanguage/API:Logout',
  async execute(ctx) {
    await ctx.services.loginFlow.logOut(ctx.session, { name: ctx.performer.user?.name ?? null, ip: ctx.req.ip });
    ctx.setPerformer(await loadPerformer(ctx.services, 0, ctx.req.ip));
    return {};
  },
});
