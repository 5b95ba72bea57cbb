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
    ctx.setPerformer(await loadPerformer(ctx.services, 0, ctx.req.ip));
    return {};
  },
});
