// action=changeauthenticationdata: a logged-in user sets a new password.
import { apiError } from '../errors.js';
import { defineModule } from '../module.js';
import { param } from '../params.js';

export const PASSWORD_REQUEST = 'MediaWiki\\Auth\\PasswordAuthenticationRequest';

export const changeAuthDataModule = defineModule({
  name: 'changeauthenticationdata',
  prefix: 'changeauth',
  summary: 'Set a new password for the logged-in user.',
  mustBePosted: true,
  writeMode: true,
  token: 'csrf',
  params: { request: param.string({ required: true }) },
  helpUrl: 'https://www.mediawiki.org/wiki/Special:MyLanguage/API:Manage_authentication_data',
  dynamicParameters: true,
  async execute(ctx, p) {
    const user = ctx.performer.user;
    if (!user) throw apiError('apierror-mustbeloggedin-changeauthenticationdata');
    // A bot password is for tools: it may not replace the account's own password.
    if (ctx.performer.bot) throw apiError('apierror-botpasswords-cannot-change');
    // As MediaWiki: a session that has not proved its password lately logs in again before anything else.
    if (ctx.services.loginFlow.securityStatus(ctx.session) !== 'ok') throw apiError('apierror-reauthenticate');
    if (p.request !== PASSWORD_REQUEST) throw apiError('apierror-changeauth-norequest');
    const problem = await ctx.services.loginFlow.changePassword(ctx.session, user, ctx.performer.groups, {
      password: ctx.req.get('password') ?? '',
      retype: ctx.req.get('retype') ?? '',
      ip: ctx.req.ip,
      via: 'api',
    });
    if (problem) throw apiError(problem.key, problem.params);
    return { changeauthenticationdata: { status: 'success' } };
  },
});
