// action=logout: ends the session (POST, csrf token).
import { loadPerformer } from '../../accounts/performer.js';
import { defineModule } from '../module.js';

export const logoutModule = defineModule({
  name: 'logout',
  summary: 'Log out and clear session data.',
  mustBePosted: true,
  readMode: false,
  token: 'csrf',
  params: {},
  helpUrl: 'https://www.mediawiki.org/wiki/Special:MyLanguage/API:Logout',
  async execute(ctx) {
    const userId = ctx.session.userId;
    const wasBot = ctx.session.kind === 'bot';
    ctx.session.logOut();
    // A main-account logout also ends its "remember me" logins on other devices, as MediaWiki does.
    if (userId > 0 && !wasBot) await ctx.services.users.rotateToken(userId);
    if (userId > 0) await ctx.services.audit.record({ type: 'logout', userId, userName: ctx.performer.user?.name ?? null, ip: ctx.req.ip, details: { bot: wasBot } });
    ctx.setPerformer(await loadPerformer(ctx.services, 0, ctx.req.ip));
    return {};
  },
});
