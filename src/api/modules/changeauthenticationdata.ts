// action=changeauthenticationdata: a logged-in user sets a new password.
import { apiError } from '../errors.js';
import { defineModule } from '../module.js';
import { param } from '../params.js';

export const PASSWORD_REQUEST = 'MediaWiki\\Auth\\PasswordAuthenticationRequest';

export const changeAuthDataModule = defineModule({
  name: 'changeauthenticationdata',
  prefix: 'changeauth',
  summary: 'Change authentication data for the current user.',
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
    if (p.request !== PASSWORD_REQUEST) throw apiError('apierror-changeauth-norequest');
    const password = ctx.req.get('password') ?? '';
    const retype = ctx.req.get('retype') ?? '';
    const s = ctx.services;
    const problem = s.auth.validateNewPassword(user, ctx.performer.groups, password, retype);
    if (problem) throw apiError(problem.key, problem.params);
    const updated = await s.passwordChanges.change(user, password, { ip: ctx.req.ip, via: 'api', keepSessionId: ctx.session.id });
    ctx.session.refreshUser(updated);
    return { changeauthenticationdata: { status: 'success' } };
  },
});
