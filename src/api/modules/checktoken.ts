// action=checktoken: whether a token is valid for this session (and not older than maxtokenage).
import { TOKEN_SUFFIX, TOKEN_TYPES, safeEqual, tokenTimestamp } from '../../sessions/tokens.js';
import { isoTimestamp } from '../../util/clock.js';
import { defineModule, type ApiContext } from '../module.js';
import { param } from '../params.js';

/** The latest time an ISO timestamp can show (9999-12-31T23:59:59Z), in seconds. */
const LAST_SECOND = 253_402_300_799;

/** Whether `token` is this session's token of `type`, with no regard to its age. */
function matches(ctx: ApiContext, type: string, token: string): boolean {
  const t = TOKEN_TYPES[type]!;
  // An anonymous session's CSRF-type tokens are all "+\", whatever their age.
  if (ctx.performer.anon && !t.anonReal) return safeEqual(token, TOKEN_SUFFIX);
  // A request that runs without the caller's credentials (JSONP, origin=*) has no session to hold a secret.
  if (ctx.untrusted) return false;
  // As MediaWiki does, asking makes the secret (and starts the session): a token is never valid before.
  ctx.session.token(type);
  return ctx.session.checkToken(type, token);
}

export const checkTokenModule = defineModule({
  name: 'checktoken',
  summary: 'Tell whether a token from action=query&meta=tokens is good for this session.',
  params: {
    type: param.enum(Object.keys(TOKEN_TYPES).sort(), { required: true }),
    token: param.string({ required: true, sensitive: true }),
    maxtokenage: param.int(),
  },
  examples: [{ query: 'action=checktoken&type=csrf&token=123ABC', description: 'Is 123ABC a good csrf token for this session?' }],
  helpUrl: 'https://www.mediawiki.org/wiki/Special:MyLanguage/API:Checktoken',
  async execute(ctx, p) {
    const type = p.type as string;
    const token = p.token as string;
    const maxAge = p.maxtokenage as number | null;
    // "+\" sent unencoded in a URL arrives as " \".
    if (token.endsWith(' \\')) ctx.warn('checktoken', 'apiwarn-checktoken-percentencoding');
    const ts = tokenTimestamp(token);
    const nowSec = Math.floor(ctx.services.clock.now() / 1000);
    const tooOld = maxAge !== null && ts !== null && ts < nowSec - maxAge;
    const anonCsrf = ctx.performer.anon && !TOKEN_TYPES[type]!.anonReal;
    let result: string;
    if (matches(ctx, type, token)) result = tooOld && !anonCsrf ? 'expired' : 'valid';
    else result = 'invalid';
    const out: Record<string, unknown> = { result };
    if (ts !== null && ts <= LAST_SECOND) out.generated = isoTimestamp(ts * 1000);
    return { checktoken: out };
  },
});
