// The main module's own parameters (action, format, assert, …): one declaration that the request's
// validation, paraminfo (modules=main, mainmodule=1) and the help page all read.
import { ERROR_FORMATS } from './format.js';
import { PRINTER_NAMES } from './formats/index.js';
import { defineModule, type ApiServices } from './module.js';
import { param, type ParamSpec } from './params.js';

/** MediaWiki's order of its action modules (the order its messages list them in); ours follow it. */
const MEDIAWIKI_ORDER = [
  'login', 'clientlogin', 'logout', 'createaccount', 'linkaccount', 'unlinkaccount', 'changeauthenticationdata',
  'removeauthenticationdata', 'resetpassword', 'query', 'expandtemplates', 'parse', 'stashedit', 'opensearch',
  'feedcontributions', 'feedrecentchanges', 'feedwatchlist', 'help', 'paraminfo', 'rsd', 'compare', 'checktoken',
  'cspreport', 'validatepassword',
];

/** The registered actions, in MediaWiki's order where it has them, then ours by name. */
export function actionNames(s: ApiServices): string[] {
  const rank = (n: string) => (MEDIAWIKI_ORDER.includes(n) ? MEDIAWIKI_ORDER.indexOf(n) : MEDIAWIKI_ORDER.length);
  return [...s.modules.actions.keys()].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}

export const mainModule = defineModule({
  name: 'main',
  path: 'main',
  summary: 'The main module: every request names an action and a format.',
  readMode: false,
  params: (s): Record<string, ParamSpec> => {
    const actions = actionNames(s);
    return {
      action: param.enum(actions, { default: 'help', submodules: Object.fromEntries(actions.map((a) => [a, s.modules.actions.get(a)!.path ?? a])) }),
      format: param.enum(PRINTER_NAMES, { default: 'jsonfm', submodules: Object.fromEntries(PRINTER_NAMES.map((f) => [f, f])) }),
      maxlag: param.int(),
      smaxage: param.int({ default: 0 }),
      maxage: param.int({ default: 0 }),
      assert: param.enum(['anon', 'user', 'bot']),
      assertuser: param.user(),
      requestid: param.string(),
      servedby: param.bool(),
      curtimestamp: param.bool(),
      responselanginfo: param.bool(),
      origin: param.string(),
      uselang: param.string({ default: 'user' }),
      variant: param.string(),
      errorformat: param.enum(ERROR_FORMATS, { default: 'bc' }),
      errorlang: param.string({ default: 'uselang' }),
      errorsuselocal: param.bool(),
    };
  },
  async execute() {
    return {};
  },
});
