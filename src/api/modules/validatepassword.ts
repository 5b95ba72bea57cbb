// action=validatepassword: how the password policy judges a password, for the current account or for an
// account about to be created (sign-up forms call it as the user types).
import { isCreatableName } from '../../accounts/names.js';
import { passwordProblems } from '../../auth/policy.js';
import { ApiError, apiError, codeForKey, type ApiMessage } from '../errors.js';
import { ErrorFormatter } from '../format.js';
import { defineModule, type ApiContext } from '../module.js';
import { param } from '../params.js';

/** The account the password is for: a new one named by `user` (which must be free), or the caller's. */
async function subject(ctx: ApiContext, user: string | null): Promise<{ name: string; groups: readonly string[] }> {
  if (user === null) return { name: ctx.performer.name, groups: ctx.performer.groups };
  const users = ctx.services.users;
  const existing = user.startsWith('#') ? await users.byId(Number(user.slice(1))) : await users.byName(user);
  if (existing) throw apiError('userexists');
  // "#id" of nobody, or a name no account may be created with.
  if (user.startsWith('#') || !isCreatableName(user)) {
    throw new ApiError('baduser_user', 'apierror-baduser', ['user', user]);
  }
  return { name: user, groups: ['*'] };
}

/** A policy message as validitymessages lists it: bc's message/params/code/type, or the error format's item. */
function describe(ctx: ApiContext, m: ApiMessage): Record<string, unknown> {
  if (ctx.errorFormat === 'bc') return { message: m.key, params: m.params, code: m.code, type: 'error' };
  const f = new ErrorFormatter(ctx.services.i18n, ctx.errorFormat as never, ctx.errorLang);
  return f.item(m, null);
}

export const validatePasswordModule = defineModule({
  name: 'validatepassword',
  summary: 'Check a password against the site\'s password rules before using it.',
  mustBePosted: true,
  params: {
    password: param.password({ required: true }),
    user: param.user({ subtypes: ['name', 'id'] }),
    email: param.string(),
    realname: param.string(),
  },
  examples: [
    { query: 'action=validatepassword&password=foobar', description: 'Would foobar be an acceptable password for me?' },
    { query: 'action=validatepassword&password=qwerty&user=Example', description: 'Would qwerty be an acceptable password for a new account named Example?' },
  ],
  helpUrl: 'https://www.mediawiki.org/wiki/Special:MyLanguage/API:Validatepassword',
  async execute(ctx, p) {
    if (ctx.req.inQuery(['password']).length) throw apiError('apierror-mustpostparams', ['password', 1]);
    const who = await subject(ctx, p.user as string | null);
    const problems = passwordProblems(p.password as string, who.name, who.groups);
    const out: Record<string, unknown> = {
      validity: problems.length === 0 ? 'Good' : problems.some((x) => x.fatal) ? 'Invalid' : 'Change',
    };
    if (problems.length) {
      out.validitymessages = problems.map(({ message }) => describe(ctx, { code: codeForKey(message.key), key: message.key, params: message.params }));
    }
    return { validatepassword: out };
  },
});
