// meta=authmanagerinfo: what clientlogin and createaccount will ask for.
import { defineModule } from '../../module.js';
import { param } from '../../params.js';
import { authRequests, mergeFields, type AuthPurpose } from '../authrequests.js';

export const authManagerInfoModule = defineModule({
  name: 'authmanagerinfo',
  path: 'query+authmanagerinfo',
  prefix: 'ami',
  summary: 'Retrieve information about the current authentication status.',
  readMode: false,
  params: {
    securitysensitiveoperation: param.string(),
    requestsfor: param.enum(['login', 'login-continue', 'create', 'create-continue', 'link', 'link-continue', 'change', 'remove', 'unlink']),
    mergerequestfields: param.bool(),
    messageformat: param.enum(['html', 'wikitext', 'raw', 'none'], { default: 'wikitext' }),
  },
  helpUrl: 'https://www.mediawiki.org/wiki/Special:MyLanguage/API:Authmanagerinfo',
  async execute(ctx, p) {
    const info: Record<string, unknown> = {
      canauthenticatenow: ctx.performer.anon,
      cancreateaccounts: true,
      canlinkaccounts: false,
      haspreservedstate: false,
      hasprimarypreservedstate: false,
      preservedusername: '',
    };
    const purpose = p.requestsfor as string | null;
    if (purpose && ['login', 'login-continue', 'create', 'change'].includes(purpose)) {
      const requests = authRequests(ctx, purpose as AuthPurpose);
      info.requests = requests;
      if (p.mergerequestfields) info.fields = mergeFields(requests);
    } else if (purpose) {
      info.requests = [];
    }
    return { authmanagerinfo: info };
  },
});
