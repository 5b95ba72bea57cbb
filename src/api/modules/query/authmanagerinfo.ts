// meta=authmanagerinfo: what this session can do now, and what clientlogin and createaccount ask for.
import { defineModule, type ApiContext } from '../../module.js';
import { param } from '../../params.js';
import { AUTH_ACTIONS, authRequests, formatRequests, type AuthAction } from '../authrequests.js';
import { MESSAGE_FORMATS } from '../authresponse.js';

/** A bot-password session holds its account by the bot password alone: it cannot log in as someone. */
function canAuthenticateNow(ctx: ApiContext): boolean {
  return ctx.session.kind !== 'bot';
}

export const authManagerInfoModule = defineModule({
  name: 'authmanagerinfo',
  path: 'query+authmanagerinfo',
  prefix: 'ami',
  summary: 'What logging in, creating an account or changing a password asks for now.',
  readMode: false,
  params: {
    securitysensitiveoperation: param.string(),
    requestsfor: param.enum(AUTH_ACTIONS),
    mergerequestfields: param.bool(),
    messageformat: param.enum(MESSAGE_FORMATS, { default: 'wikitext' }),
  },
  examples: [
    { query: 'action=query&meta=authmanagerinfo&amirequestsfor=login', description: 'What a client must ask for to start a login.' },
    { query: 'action=query&meta=authmanagerinfo&amirequestsfor=login&amimergerequestfields=1', description: 'The same, with every field in one list.' },
    { query: 'action=query&meta=authmanagerinfo&amisecuritysensitiveoperation=foo', description: 'Has this session logged in recently enough for the action foo?' },
  ],
  helpUrl: 'https://www.mediawiki.org/wiki/Special:MyLanguage/API:Authmanagerinfo',
  async execute(ctx, p) {
    const info: Record<string, unknown> = {
      canauthenticatenow: canAuthenticateNow(ctx),
      cancreateaccounts: true,
      canlinkaccounts: false,
    };
    if (p.securitysensitiveoperation !== null) info.securitysensitiveoperationstatus = ctx.services.loginFlow.securityStatus(ctx.session);
    const action = p.requestsfor as AuthAction | null;
    if (action) {
      // No login here is ever turned into an account creation, so there is never preserved state.
      info.haspreservedstate = false;
      info.hasprimarypreservedstate = false;
      info.preservedusername = '';
      Object.assign(info, formatRequests(ctx, authRequests(ctx, action), p.messageformat as string, p.mergerequestfields as boolean));
    }
    return { authmanagerinfo: info };
  },
});
