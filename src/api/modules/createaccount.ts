// action=createaccount: a new account with a password (the account creator stays who they were).
import { canonicalUserName, isCreatableName, isValidEmail } from '../../accounts/names.js';
import { msg } from '../../util/errors.js';
import { apiError } from '../errors.js';
import { defineModule } from '../module.js';
import { param } from '../params.js';
import { MESSAGE_FORMATS, failResponse } from './authresponse.js';

export const createAccountModule = defineModule({
  name: 'createaccount',
  prefix: 'create',
  summary: 'Create a new user account.',
  mustBePosted: true,
  readMode: false,
  writeMode: true,
  token: 'createaccount',
  params: {
    requests: param.string({ multi: true }),
    messageformat: param.enum(MESSAGE_FORMATS, { default: 'wikitext' }),
    mergerequestfields: param.bool(),
    preservestate: param.bool(),
    returnurl: param.string(),
    continue: param.bool(),
  },
  helpUrl: 'https://www.mediawiki.org/wiki/Special:MyLanguage/API:Account_creation',
  dynamicParameters: true,
  async execute(ctx, p) {
    if (!p.continue && !p.returnurl) {
      throw apiError('apierror-missingparam-at-least-one-of', ['"createcontinue", "createreturnurl"', 2]);
    }
    const format = p.messageformat as string;
    const fail = (key: string, ...params: Array<string | number>) => ({ createaccount: failResponse(ctx, format, msg(key, ...params)) });
    const s = ctx.services;
    if (p.continue) return fail('authmanager-create-not-in-progress');
    if (!ctx.performer.can('createaccount')) return fail('badaccess-groups');
    const block = await ctx.performer.block();
    if (block?.createAccount) return fail('cantcreateaccount-text', block.by, block.reason);

    const rawName = ctx.req.get('username') ?? '';
    const password = ctx.req.get('password') ?? '';
    const retype = ctx.req.get('retype');
    const email = (ctx.req.get('email') ?? '').trim();
    ctx.req.get('realname');
    ctx.req.get('reason');
    const name = canonicalUserName(rawName);
    if (!name || !isCreatableName(name)) return fail('noname');
    if (await s.users.byName(name)) return fail('userexists');
    if (email && !isValidEmail(email)) return fail('invalidemailaddress');
    if (!password) return fail('authmanager-authn-no-primary');
    const problem = s.auth.validateNewPassword({ name } as never, [], password, retype ?? password);
    if (problem) return fail(problem.key, ...(problem.params as Array<string | number>));
    try {
      await s.users.create({ name, email, passwordHash: await s.hasher.hash(password) });
    } catch {
      // Two requests raced for the same name; the unique index let one win.
      return fail('userexists');
    }
    return { createaccount: { status: 'PASS', username: name } };
  },
});
