// meta=tokens: the seven token types; csrf is the default.
import { TOKEN_TYPES } from '../../../sessions/tokens.js';
import { defineModule } from '../../module.js';
import { param } from '../../params.js';
import { assoc } from '../../result.js';

const TYPES = Object.keys(TOKEN_TYPES).sort();

export const tokensModule = defineModule({
  name: 'tokens',
  path: 'query+tokens',
  summary: 'Tokens for actions that change data.',
  readMode: false,
  params: { type: param.multi(TYPES, { default: 'csrf', allowAll: true }) },
  helpUrl: 'https://www.mediawiki.org/wiki/Special:MyLanguage/API:Tokens',
  examples: [
    { query: 'action=query&meta=tokens', description: 'A csrf token, the default type.', key: 'apihelp-query+tokens-example-simple' },
    { query: 'action=query&meta=tokens&type=watch|patrol', description: 'A watch token and a patrol token.', key: 'apihelp-query+tokens-example-types' },
  ],
  async execute(ctx, p) {
    if (ctx.untrusted) {
      ctx.warn('query+tokens', 'apiwarn-tokens-origin');
      return {};
    }
    const tokens: Record<string, string> = assoc({});
    for (const type of p.type as string[]) tokens[`${type}token`] = ctx.session.token(type);
    return { tokens };
  },
});
