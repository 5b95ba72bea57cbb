// action=createaccount: the API's way into the account door (src/accounts/create.ts). The parameters a
// client sends are read as MediaWiki's authentication requests are: a request counts only when all of its
// required fields are there, and only the fields of the requests on offer are recognized.
import { ApiError, apiError } from '../errors.js';
import { defineModule, type ApiContext } from '../module.js';
import { msg } from '../../util/errors.js';
import { REQUEST_IDS, authRequests, fieldNames, filterRequests, sensitiveFieldNames, type AuthRequest } from './authrequests.js';
import { AUTH_MANAGER_PARAMS, failResponse, validReturnUrl } from './authresponse.js';
import type { NewAccountInput } from '../../accounts/create.js';

/** Whether a request was filled in: each of its fields sent, and not empty unless it is a checkbox or optional. */
function filledIn(ctx: ApiContext, req: AuthRequest): boolean {
  return Object.entries(req.fields).every(([name, f]) => {
    const v = ctx.req.params.get(name);
    return v !== undefined && (f.type === 'checkbox' || f.optional || v !== '');
  });
}

/** The door's input from the requests the client filled in. */
function readInput(ctx: ApiContext, reqs: AuthRequest[]): NewAccountInput {
  const got = new Set(reqs.filter((r) => filledIn(ctx, r)).map((r) => r.id));
  const value = (name: string) => ctx.req.params.get(name) ?? null;
  const has = (id: string) => got.has(id);
  const username = has(REQUEST_IDS.password) || has(REQUEST_IDS.username) ? value('username') : null;
  // Each of email and realname stands on its own (MediaWiki 1.39 reads them only when both are sent).
  const offered = (id: string) => reqs.some((r) => r.id === id);
  const userData = offered(REQUEST_IDS.userData);
  return {
    username,
    password: has(REQUEST_IDS.password) ? { password: value('password')!, retype: value('retype')! } : null,
    email: userData ? value('email') : null,
    realname: userData ? value('realname') : null,
    reason: has(REQUEST_IDS.reason) ? value('reason') : null,
    mailPassword: has(REQUEST_IDS.temporaryPassword),
  };
}

export const createAccountModule = defineModule({
  name: 'createaccount',
  prefix: 'create',
  summary: 'Create an account with a password.',
  mustBePosted: true,
  readMode: false,
  writeMode: true,
  token: 'createaccount',
  params: AUTH_MANAGER_PARAMS,
  examples: [
    {
      query: 'action=createaccount&username=Example&password=ExamplePassword&retype=ExamplePassword&createreturnurl=http://example.org/&createtoken=123ABC',
      description: 'Begin creating the account Example with the password ExamplePassword.',
    },
  ],
  helpUrl: 'https://www.mediawiki.org/wiki/Special:MyLanguage/API:Account_creation',
  dynamicParameters: true,
  async execute(ctx, p) {
    if (!p.continue && p.returnurl === null) {
      throw apiError('apierror-missingparam-at-least-one-of', [{ list: ['<var>createcontinue</var>', '<var>createreturnurl</var>'], type: 'text' }, 2]);
    }
    if (p.returnurl !== null && !validReturnUrl(p.returnurl as string)) {
      throw new ApiError('badurl_createreturnurl', 'apierror-badurl', ['createreturnurl', p.returnurl as string]);
    }
    const format = p.messageformat as string;
    const fail = (m: ReturnType<typeof msg>) => ({ createaccount: failResponse(ctx, format, m) });
    // Account creation never stops half-way here (no step asks for more), so there is nothing to continue.
    if (p.continue) return fail(msg('authmanager-create-not-in-progress'));

    const wanted = p.requests as string[] | null;
    const reqs = filterRequests(authRequests(ctx, 'create'), wanted);
    for (const name of fieldNames(reqs)) ctx.req.get(name);
    const inQuery = ctx.req.inQuery(sensitiveFieldNames(reqs));
    if (inQuery.length) throw apiError('apierror-mustpostparams', [inQuery.join(', '), inQuery.length]);

    const r = await ctx.services.accountCreation.create({ performer: ctx.performer }, readInput(ctx, reqs), 'api');
    if (r.status === 'FAIL') return fail(r.message);
    return { createaccount: { status: 'PASS', username: r.user.name } };
  },
});
