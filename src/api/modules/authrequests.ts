// The authentication "requests" that clientlogin, createaccount and meta=authmanagerinfo describe to
// clients (MediaWiki's AuthenticationRequest classes): which fields a step takes, in MediaWiki's order,
// with MediaWiki's message keys (they show in messageformat=raw) and our own texts.
import type { MessageParam } from '../../i18n/index.js';
import { msg, type Msg } from '../../util/errors.js';
import { escapeText } from '../../util/html.js';
import type { ApiContext } from '../module.js';
import { assoc } from '../result.js';

/** MediaWiki's AuthManager actions, the values of amirequestsfor. */
export const AUTH_ACTIONS = ['change', 'create', 'create-continue', 'link', 'link-continue', 'login', 'login-continue', 'remove', 'unlink'] as const;
export type AuthAction = (typeof AUTH_ACTIONS)[number];

export interface AuthField {
  type: 'string' | 'password' | 'checkbox';
  label: Msg;
  help: Msg;
  optional: boolean;
  sensitive: boolean;
}

export interface AuthRequest {
  /** The class name MediaWiki clients know the request by. */
  id: string;
  required: 'optional' | 'required' | 'primary-required';
  provider: Msg;
  account: Msg;
  fields: Record<string, AuthField>;
}

/** The key of MediaWiki's RawMessage('$1', [value]): the value itself, shown as is. */
export const RAW_KEY = '$1';
export const rawText = (value: string | null): Msg => ({ key: RAW_KEY, params: [value as MessageParam] });

const PASSWORD_REQ = 'MediaWiki\\Auth\\PasswordAuthenticationRequest';
const TEMP_PASSWORD_REQ = 'MediaWiki\\Auth\\TemporaryPasswordAuthenticationRequest';
const USERNAME_REQ = 'MediaWiki\\Auth\\UsernameAuthenticationRequest';
const USER_DATA_REQ = 'MediaWiki\\Auth\\UserDataAuthenticationRequest';
const REASON_REQ = 'MediaWiki\\Auth\\CreationReasonAuthenticationRequest';
const REMEMBER_REQ = 'MediaWiki\\Auth\\RememberMeAuthenticationRequest';
export const REQUEST_IDS = { password: PASSWORD_REQ, temporaryPassword: TEMP_PASSWORD_REQ, username: USERNAME_REQ, userData: USER_DATA_REQ, reason: REASON_REQ, rememberMe: REMEMBER_REQ };

const field = (type: AuthField['type'], label: string, help: string, o: { optional?: boolean; sensitive?: boolean; labelParams?: MessageParam[] } = {}): AuthField => ({
  type,
  label: msg(label, ...(o.labelParams ?? [])),
  help: msg(help),
  optional: o.optional ?? false,
  sensitive: o.sensitive ?? false,
});

const FIELDS = {
  username: () => field('string', 'userlogin-yourname', 'authmanager-username-help'),
  password: () => field('password', 'userlogin-yourpassword', 'authmanager-password-help', { sensitive: true }),
  retype: () => field('password', 'yourpasswordagain', 'authmanager-retype-help', { sensitive: true }),
  newPassword: () => field('password', 'newpassword', 'authmanager-password-help', { sensitive: true }),
  retypeNew: () => field('password', 'retypenew', 'authmanager-retype-help', { sensitive: true }),
  mailpassword: () => field('checkbox', 'createaccountmail', 'createaccountmail-help'),
  email: () => field('string', 'authmanager-email-label', 'authmanager-email-help', { optional: true }),
  realname: () => field('string', 'authmanager-realname-label', 'authmanager-realname-help', { optional: true }),
  reason: () => field('string', 'createacct-reason', 'createacct-reason-help'),
};

/** A request described by its class name only (MediaWiki's default provider and account texts). */
function plainRequest(id: string, required: AuthRequest['required'], fields: Record<string, AuthField>): AuthRequest {
  return { id, required, provider: rawText(id), account: rawText(id), fields };
}

function passwordRequest(required: AuthRequest['required'], account: string | null, fields: Record<string, AuthField>): AuthRequest {
  return { id: PASSWORD_REQ, required, provider: msg('authmanager-provider-password'), account: rawText(account), fields };
}

function temporaryPasswordRequest(account: string | null): AuthRequest {
  return { id: TEMP_PASSWORD_REQ, required: 'primary-required', provider: msg('authmanager-provider-temporarypassword'), account: rawText(account), fields: { mailpassword: FIELDS.mailpassword() } };
}

/**
 * The requests an action takes, for this session. `account` names the account a continuing login is
 * about (the user choosing a new password after a temporary one).
 */
export function authRequests(ctx: ApiContext, action: AuthAction, account: string | null = null): AuthRequest[] {
  const p = ctx.performer;
  const self = p.anon ? null : p.name;
  const s = ctx.services;
  switch (action) {
    case 'login': {
      // A bot-password session cannot be remembered: the checkbox has no field there.
      const days = Math.round(s.config.extendedLoginCookieExpiration / 86400);
      const remember: Record<string, AuthField> = ctx.session.kind === 'bot' ? {} : { rememberMe: field('checkbox', 'userlogin-remembermypassword', 'authmanager-userlogin-remembermypassword-help', { optional: true, labelParams: [{ num: days }] }) };
      return [
        passwordRequest('primary-required', self, { username: FIELDS.username(), password: FIELDS.password() }),
        plainRequest(REMEMBER_REQ, 'optional', remember),
      ];
    }
    case 'login-continue':
      // Only a login in progress has a next step (clientlogin's forced password change names its account).
      return account === null ? [] : [passwordRequest('required', account, { password: FIELDS.newPassword(), retype: FIELDS.retypeNew() })];
    case 'create': {
      const userData: Record<string, AuthField> = {};
      if (s.config.enableEmail) userData.email = FIELDS.email();
      userData.realname = FIELDS.realname();
      // A logged-in creator makes an account for someone else: a mailed temporary password and a reason.
      return [
        ...(self !== null && s.config.enableEmail ? [temporaryPasswordRequest(null)] : []),
        passwordRequest('primary-required', null, { username: FIELDS.username(), password: FIELDS.password(), retype: FIELDS.retype() }),
        plainRequest(USERNAME_REQ, 'required', { username: FIELDS.username() }),
        plainRequest(USER_DATA_REQ, 'required', userData),
        ...(self !== null ? [plainRequest(REASON_REQ, 'optional', { reason: FIELDS.reason() })] : []),
      ];
    }
    case 'change':
      return [passwordRequest('primary-required', self, { password: FIELDS.newPassword(), retype: FIELDS.retypeNew() })];
    case 'remove':
      return s.config.enableEmail ? [temporaryPasswordRequest(self)] : [];
    default:
      return [];
  }
}

/** The request ids a client asked for (`*requests`), or every request when it named none. */
export function filterRequests(reqs: AuthRequest[], wanted: string[] | null): AuthRequest[] {
  return wanted === null ? reqs : reqs.filter((r) => wanted.includes(r.id));
}

/** Every field of the requests, the first request naming a field giving its description. */
export function mergeFieldInfo(reqs: AuthRequest[]): Record<string, AuthField> {
  const out: Record<string, AuthField> = {};
  for (const r of reqs) for (const [name, f] of Object.entries(r.fields)) out[name] ??= f;
  return out;
}

/** A message in the asked format (undefined for "none": the key is left out). */
export function formatAuthMessage(ctx: ApiContext, format: string, m: Msg): unknown {
  switch (format) {
    case 'none':
      return undefined;
    case 'raw':
      return { key: m.key, params: m.params };
    case 'html':
      return escapeText(renderText(ctx, m)).replace(/\n/g, '<br />');
    default:
      return renderText(ctx, m);
  }
}

function renderText(ctx: ApiContext, m: Msg): string {
  if (m.key === RAW_KEY) return m.params[0] === null || m.params[0] === undefined ? '' : String(m.params[0]);
  return ctx.services.i18n.text(ctx.lang, m.key, ...m.params);
}

function formatFields(ctx: ApiContext, format: string, fields: Record<string, AuthField>): Record<string, unknown> {
  // An object ({}) in every format, even when empty.
  const out: Record<string, unknown> = assoc({});
  for (const [name, f] of Object.entries(fields)) {
    const o: Record<string, unknown> = { type: f.type };
    const label = formatAuthMessage(ctx, format, f.label);
    if (label !== undefined) o.label = label;
    const help = formatAuthMessage(ctx, format, f.help);
    if (help !== undefined) o.help = help;
    o.optional = f.optional;
    o.sensitive = f.sensitive;
    out[name] = o;
  }
  return out;
}

/** `requests` (and with `merge`, one flat `fields` map instead of each request's own), as MediaWiki prints them. */
export function formatRequests(ctx: ApiContext, reqs: AuthRequest[], format: string, merge: boolean): { requests: unknown[]; fields?: Record<string, unknown> } {
  const requests = reqs.map((r) => {
    const o: Record<string, unknown> = { id: r.id, metadata: assoc({}), required: r.required };
    const provider = formatAuthMessage(ctx, format, r.provider);
    if (provider !== undefined) o.provider = provider;
    const account = formatAuthMessage(ctx, format, r.account);
    if (account !== undefined) o.account = account;
    if (!merge) o.fields = formatFields(ctx, format, r.fields);
    return o;
  });
  return merge ? { requests, fields: formatFields(ctx, format, mergeFieldInfo(reqs)) } : { requests };
}

/** Every field name of the requests: the parameters a step reads (the rest are unrecognized). */
export function fieldNames(reqs: AuthRequest[]): string[] {
  return [...new Set(reqs.flatMap((r) => Object.keys(r.fields)))];
}

/** Sensitive field names: they must come in the POST body. */
export function sensitiveFieldNames(reqs: AuthRequest[]): string[] {
  return [...new Set(reqs.flatMap((r) => Object.entries(r.fields).filter(([, f]) => f.sensitive).map(([n]) => n)))];
}
