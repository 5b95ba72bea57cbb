// action=resetpassword: the same answer whether or not an account matched.
import { defineModule } from '../module.js';
import { param, type ParamSpec } from '../params.js';
import { apiError } from '../errors.js';

export const resetPasswordModule = defineModule({
  name: 'resetpassword',
  summary: 'Mail a temporary password to the account or accounts named.',
  params: (s) => {
    const routes = s.config.resetRoutes;
    const p: Record<string, ParamSpec> = {};
    if (routes.username) p.user = param.user();
    if (routes.email) p.email = param.string();
    return p;
  },
  token: (s) => (s.recovery.enabled ? 'csrf' : null),
  mustBePosted: (s) => s.recovery.enabled,
  writeMode: (s) => s.recovery.enabled,
  helpUrl: 'https://www.mediawiki.org/wiki/Special:MyLanguage/API:Manage_authentication_data',
  examples: [
    { query: 'action=resetpassword&user=Example&token=123ABC', description: 'Mail a temporary password to the user Example.' },
    { query: 'action=resetpassword&user=user@example.com&token=123ABC', description: 'Mail a temporary password to every account with the address user@example.com.' },
  ],
  async execute(ctx, p) {
    if (!ctx.services.recovery.enabled) throw apiError('apierror-moduledisabled', ['resetpassword']);
    await ctx.services.recovery.request(ctx.performer, { user: (p.user as string | null) ?? null, email: (p.email as string | null) ?? null });
    return { resetpassword: { status: 'success' } };
  },
});
