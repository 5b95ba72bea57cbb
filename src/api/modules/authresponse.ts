// Shared shape of clientlogin and createaccount responses: status, message in the asked format, requests.
import type { Msg } from '../../util/errors.js';
import type { ApiContext } from '../module.js';
import { codeForKey } from '../errors.js';
import { formatAuthMessage, formatRequests, type AuthRequest } from './authrequests.js';

/** Values of *messageformat, in the order paraminfo lists them. */
export const MESSAGE_FORMATS = ['html', 'none', 'raw', 'wikitext'] as const;

export function authMessage(ctx: ApiContext, format: string, m: Msg): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const message = formatAuthMessage(ctx, format, m);
  if (message !== undefined) out.message = message;
  out.messagecode = codeForKey(m.key);
  return out;
}

export function uiResponse(
  ctx: ApiContext,
  opts: { format: string; merge: boolean; message: Msg; requests: AuthRequest[] },
): Record<string, unknown> {
  return { status: 'UI', ...formatRequests(ctx, opts.requests, opts.format, opts.merge), ...authMessage(ctx, opts.format, opts.message) };
}

export function failResponse(ctx: ApiContext, format: string, m: Msg): Record<string, unknown> {
  return { status: 'FAIL', ...authMessage(ctx, format, m), canpreservestate: false };
}
