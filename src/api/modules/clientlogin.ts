// action=clientlogin: interactive login, including the forced password change after a temporary password.
import { loadPerformer } from '../../accounts/performer.js';
import { apiError } from '../errors.js';
import { defineModule, type ApiContext } from '../module.js';
import { CANNOT_LOGIN, type LoginStep } from '../../auth/loginFlow.js';
import { authRequests } from './authrequests.js';
import { AUTH_MANAGER_PARAMS, failResponse, uiResponse } from './authresponse.js';

export const clientLoginModule = defineModule({
  name: 'clientlogin',
  prefix: 'login',
  summary: 'Log in step by step, as a person does (a temporary password asks for a new one).',
  mustBePosted: true,
  readMode: false,
  writeMode: true,
  token: 'login',
  params: AUTH_MANAGER_PARAMS,
  helpUrl: 'https://www.mediawiki.org/wiki/Special:MyLanguage/API:Login',
  dynamicParameters: true,
  async execute(ctx, p) {
    if (!p.continue && !p.returnurl) {
      throw apiError('apierror-missingparam-at-least-one-of', [{ list: ['<var>logincontinue</var>', '<var>loginreturnurl</var>'], type: 'text' }, 2]);
    }
    const format = p.messageformat as string;
    const merge = p.mergerequestfields as boolean;
    // Refused before the credentials are read (they are then "unrecognized"), as MediaWiki does.
    if (!ctx.services.loginFlow.canLogIn(ctx.session)) return { clientlogin: failResponse(ctx, format, CANNOT_LOGIN) };
    const out = p.continue ? await continueLogin(ctx, format, merge) : await beginLogin(ctx, format, merge, p.returnurl as string);
    return { clientlogin: out };
  },
});

async function beginLogin(ctx: ApiContext, format: string, merge: boolean, returnUrl: string) {
  const r = await ctx.services.loginFlow.begin(ctx.session, {
    name: ctx.req.get('username') ?? '',
    password: ctx.req.get('password') ?? '',
    remember: ctx.req.get('rememberMe') !== undefined,
    returnUrl,
    ip: ctx.req.ip,
  });
  return answer(ctx, format, merge, r);
}

async function continueLogin(ctx: ApiContext, format: string, merge: boolean) {
  const r = await ctx.services.loginFlow.continue(ctx.session, {
    password: ctx.req.get('password') ?? '',
    retype: ctx.req.get('retype') ?? '',
    ip: ctx.req.ip,
  });
  return answer(ctx, format, merge, r);
}

async function answer(ctx: ApiContext, format: string, merge: boolean, r: LoginStep) {
  if (r.status === 'FAIL') return failResponse(ctx, format, r.message);
  if (r.status === 'UI') {
    return uiResponse(ctx, { format, merge, message: r.message, requests: authRequests(ctx, 'login-continue', r.user.name) });
  }
  ctx.setPerformer(await loadPerformer(ctx.services, r.user.id, ctx.req.ip));
  return { status: 'PASS', username: r.user.name };
}
