// action=clientlogin: interactive login, including the forced password change after a temporary password.
import { loadPerformer } from '../../accounts/performer.js';
import { apiError } from '../errors.js';
import { defineModule, type ApiContext } from '../module.js';
import { param } from '../params.js';
import { msg } from '../../util/errors.js';
import { authRequests } from './authrequests.js';
import { MESSAGE_FORMATS, failResponse, uiResponse } from './authresponse.js';

/** A started login waits this long for its new password. */
const PENDING_MS = 30 * 60_000;

export const clientLoginModule = defineModule({
  name: 'clientlogin',
  prefix: 'login',
  summary: 'Log in to the wiki using the interactive flow.',
  mustBePosted: true,
  readMode: false,
  writeMode: true,
  token: 'login',
  params: {
    requests: param.string({ multi: true }),
    messageformat: param.enum(MESSAGE_FORMATS, { default: 'wikitext' }),
    mergerequestfields: param.bool(),
    preservestate: param.bool(),
    returnurl: param.string(),
    continue: param.bool(),
  },
  helpUrl: 'https://www.mediawiki.org/wiki/Special:MyLanguage/API:Login',
  dynamicParameters: true,
  async execute(ctx, p) {
    if (!p.continue && !p.returnurl) {
      throw apiError('apierror-missingparam-at-least-one-of', ['"logincontinue", "loginreturnurl"', 2]);
    }
    const format = p.messageformat as string;
    const merge = p.mergerequestfields as boolean;
    const out = p.continue ? await continueLogin(ctx, format, merge) : await beginLogin(ctx, format, merge, p.returnurl as string);
    return { clientlogin: out };
  },
});

async function beginLogin(ctx: ApiContext, format: string, merge: boolean, returnUrl: string) {
  const username = ctx.req.get('username') ?? '';
  const password = ctx.req.get('password') ?? '';
  const remember = ctx.req.get('rememberMe') !== undefined;
  const r = await ctx.services.auth.login(username, password, ctx.req.ip);
  if (r.status === 'FAIL') return failResponse(ctx, format, r.message);
  if (r.status === 'PASS') {
    ctx.session.logIn(r.user, { remember });
    ctx.setPerformer(await loadPerformer(ctx.services, r.user.id, ctx.req.ip));
    return { status: 'PASS', username: r.user.name };
  }
  ctx.session.data.pendingLogin = { userId: r.user.id, messageKey: r.message.key, returnUrl, created: ctx.services.clock.now(), remember };
  ctx.session.persist();
  ctx.session.dirty = true;
  return uiResponse(ctx, { format, merge, message: r.message, requests: authRequests(ctx, 'login-continue', r.user.name) });
}

async function continueLogin(ctx: ApiContext, format: string, merge: boolean) {
  const password = ctx.req.get('password') ?? '';
  const retype = ctx.req.get('retype') ?? '';
  const pending = ctx.session.data.pendingLogin;
  const services = ctx.services;
  if (!pending || services.clock.now() - pending.created > PENDING_MS) {
    return failResponse(ctx, format, msg('authmanager-authn-not-in-progress'));
  }
  const user = await services.users.byId(pending.userId);
  if (!user || !services.auth.forcedChangeAllowed(user, pending.created)) {
    return failResponse(ctx, format, msg('authmanager-authn-not-in-progress'));
  }
  const groups = await services.users.groups(user.id);
  const problem = services.auth.validateNewPassword(user, groups, password, retype);
  if (problem) {
    return uiResponse(ctx, { format, merge, message: problem, requests: authRequests(ctx, 'login-continue', user.name) });
  }
  const updated = await services.passwordChanges.change(user, password, { ip: ctx.req.ip, via: 'forced', keepSessionId: ctx.session.id });
  delete ctx.session.data.pendingLogin;
  ctx.session.logIn(updated, { remember: pending.remember });
  ctx.setPerformer(await loadPerformer(services, updated.id, ctx.req.ip));
  return { status: 'PASS', username: updated.name };
}
