// Shared shape of clientlogin and createaccount responses: status, message in the asked format, requests.
import type { Msg } from '../../util/errors.js';
import type { ApiContext } from '../module.js';
import { mergeFields } from './authrequests.js';
import { codeForKey } from '../errors.js';

export const MESSAGE_FORMATS = ['html', 'wikitext', 'raw', 'none'] as const;

export function authMessage(ctx: ApiContext, format: string, m: Msg): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const text = ctx.services.i18n.text(ctx.lang, m.key, ...m.params);
  if (format === 'wikitext') out.message = text;
  else if (format === 'html') out.message = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\n/g, '<br />');
  else if (format === 'raw') out.message = { key: m.key, params: m.params };
  out.messagecode = codeForKey(m.key);
  return out;
}

export function uiResponse(
  ctx: ApiContext,
  opts: { format: string; merge: boolean; message: Msg; requests: Array<Record<string, unknown>> },
): Record<string, unknown> {
  const out: Record<string, unknown> = { status: 'UI', requests: opts.requests };
  if (opts.merge) out.fields = mergeFields(opts.requests);
  return { ...out, ...authMessage(ctx, opts.format, opts.message) };
}

export function failResponse(ctx: ApiContext, format: string, m: Msg): Record<string, unknown> {
  return { status: 'FAIL', ...authMessage(ctx, format, m), canpreservestate: false };
}
