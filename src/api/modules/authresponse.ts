// Shared shape of clientlogin and createaccount: their common parameters, and their responses (status, message in the asked format, requests).
import type { Msg } from '../../util/errors.js';
import type { ApiContext } from '../module.js';
import { codeForKey } from '../errors.js';
import { param } from '../params.js';
import { formatAuthMessage, formatRequests, type AuthRequest } from './authrequests.js';

/** Values of *messageformat, in the order paraminfo lists them. */
export const MESSAGE_FORMATS = ['html', 'none', 'raw', 'wikitext'] as const;

/** The parameters clientlogin and createaccount share (MediaWiki's ApiAuthManagerHelper), in its order. */
export const AUTH_MANAGER_PARAMS = {
  requests: param.string({ multi: true }),
  messageformat: param.enum(MESSAGE_FORMATS, { default: 'wikitext' }),
  mergerequestfields: param.bool(),
  preservestate: param.bool(),
  returnurl: param.string(),
  continue: param.bool(),
};

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

// $wgUrlProtocols: the schemes a return URL may have. "//host" (no scheme of its own) is refused too.
const URL_SCHEMES = new Set([
  'bitcoin', 'ftp', 'ftps', 'geo', 'git', 'gopher', 'http', 'https', 'irc', 'ircs', 'magnet', 'mailto', 'matrix', 'mms',
  'news', 'nntp', 'redis', 'sftp', 'sip', 'sips', 'sms', 'ssh', 'svn', 'tel', 'telnet', 'urn', 'worldwind', 'xmpp',
]);

/** Whether a *returnurl is a URL MediaWiki would take: a known scheme, and an address after "//" when there is one. */
export function validReturnUrl(value: string): boolean {
  const m = /^([a-z][a-z0-9+.-]*):(.*)$/is.exec(value);
  if (!m || !URL_SCHEMES.has(m[1]!.toLowerCase())) return false;
  const rest = m[2]!;
  if (rest.startsWith('//')) return /^\/\/[^/?#\s]/.test(rest);
  return rest.length > 0;
}
