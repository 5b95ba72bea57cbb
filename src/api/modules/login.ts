// action=login: bot passwords, and (deprecated) main-account login. Results: NeedToken, WrongToken,
// Failed, Aborted, Success, as MediaWiki gives them.
import { loadPerformer } from '../../accounts/performer.js';
import { botCredentials } from '../../auth/botpasswords.js';
import { apiError } from '../errors.js';
import { defineModule, type ApiContext } from '../module.js';
import { param } from '../params.js';

/** How MediaWiki names the bot-password session provider in api-login-fail-badsessionprovider. */
const BOT_SESSION_PROVIDER = 'MediaWiki\\Session\\BotPasswordSessionProvider sessions';

function result(data: Record<string, unknown>) {
  return { login: data };
}

export const loginModule = defineModule({
  name: 'login',
  prefix: 'lg',
  summary: 'Log in with a bot password (or, deprecated, a main account) and get the session cookies.',
  mustBePosted: true,
  readMode: false,
  writeMode: true,
  params: {
    name: param.string(),
    password: param.password(),
    domain: param.string(),
    // Not a framework token (the module checks it itself), so paraminfo shows no tokentype, as MediaWiki's.
    token: param.string({ sensitive: true }),
  },
  helpUrl: 'https://www.mediawiki.org/wiki/Special:MyLanguage/API:Login',
  examples: [{ query: 'action=query&meta=tokens&type=login', description: 'Get a login token the deprecated way (meta=tokens is the current one).' }],
  async execute(ctx, p) {
    if (ctx.untrusted) return result({ result: 'Aborted', reason: ctx.message('api-login-fail-sameorigin') });
    const posted = ctx.req.inQuery(['lgpassword', 'lgtoken']).filter((n) => ctx.req.has(n));
    if (posted.length) throw apiError('apierror-mustpostparams', [posted.join(', '), posted.length]);

    const session = ctx.session;
    session.persist();
    // A bot-password session cannot log in again, whatever it sends (MediaWiki: "Aborted" before the token).
    if (!ctx.services.loginFlow.canLogIn(session)) {
      return result({ result: 'Aborted', reason: ctx.message('api-login-fail-badsessionprovider', BOT_SESSION_PROVIDER) });
    }
    const token = p.token as string | null;
    // An empty lgtoken is no token, as in MediaWiki: NeedToken, not WrongToken.
    if (token === null || token === '') {
      ctx.deprecated('login', 'apiwarn-deprecation-login-token', 'action=login&!lgtoken');
      return result({ result: 'NeedToken', token: session.token('login') });
    }
    if (!session.hasSecret('login')) {
      // Asking for the token creates the secret, as MediaWiki's getToken() does: a retry is WrongToken.
      session.token('login');
      return result({ result: 'Failed', reason: ctx.message('authpage-cannot-login-continue') });
    }
    if (!session.checkToken('login', token)) return result({ result: 'WrongToken' });

    const name = (p.name as string | null) ?? '';
    const password = (p.password as string | null) ?? '';
    const flow = ctx.services.loginFlow;
    if (ctx.services.config.enableBotPasswords) {
      const bot = botCredentials(name, password);
      if (bot) {
        const r = await flow.botLogin(session, { name: bot.name, appId: bot.appId, password: bot.password, ip: ctx.req.ip });
        if (r.status === 'PASS') {
          ctx.setPerformer(await loadPerformer(ctx.services, r.user.id, ctx.req.ip, session.data.bot ?? null));
          return result({ result: 'Success', lguserid: r.user.id, lgusername: r.user.name });
        }
        if (r.fatal) return result({ result: 'Failed', reason: ctx.message(r.message.key, ...r.message.params) });
        // Any other bot-password failure falls through to a main-account attempt.
      }
    }
    return mainAccountLogin(ctx, name, password);
  },
});

async function mainAccountLogin(ctx: ApiContext, name: string, password: string) {
  // action=login always remembers the login; it cannot ask for a new password (interactive: false).
  const r = await ctx.services.loginFlow.begin(ctx.session, { name, password, remember: true, returnUrl: '', ip: ctx.req.ip, interactive: false });
  if (r.status === 'PASS') {
    ctx.setPerformer(await loadPerformer(ctx.services, r.user.id, ctx.req.ip));
    ctx.deprecated(
      'login',
      ctx.services.config.enableBotPasswords ? 'apiwarn-deprecation-login-botpw' : 'apiwarn-deprecation-login-nobotpw',
      'main-account-login',
    );
    return result({ result: 'Success', lguserid: r.user.id, lgusername: r.user.name });
  }
  if (r.status === 'UI') {
    // A temporary password needs a new password to be chosen, which only clientlogin can ask for.
    return result({ result: 'Aborted', reason: ctx.message('api-login-fail-aborted') });
  }
  return result({ result: 'Failed', reason: ctx.message(r.message.key, ...r.message.params) });
}
