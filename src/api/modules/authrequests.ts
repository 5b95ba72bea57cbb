// The authentication "requests" clientlogin, createaccount and authmanagerinfo describe to clients
// (MediaWiki's AuthenticationRequest descriptions): which fields a step needs.
import type { ApiContext } from '../module.js';
import { assoc } from '../result.js';

type Field = { type: string; label: string; help: string; optional?: boolean; sensitive?: boolean };

function field(ctx: ApiContext, type: string, name: string, extra: Partial<Field> = {}): Field {
  const t = (k: string) => ctx.services.i18n.text(ctx.lang, k);
  return { type, label: t(`authfield-${name}-label`), help: t(`authfield-${name}-help`), optional: false, ...extra };
}

export type AuthPurpose = 'login' | 'login-continue' | 'create' | 'change';

/** `account` names the account a continuing step is about (the user choosing a new password). */
export function authRequests(ctx: ApiContext, purpose: AuthPurpose, account = ''): Array<Record<string, unknown>> {
  // "metadata" and "fields" are objects ({}) in every format, even when empty.
  return describe(ctx, purpose, account).map((r) => ({ ...r, fields: assoc({ ...(r.fields as Record<string, unknown>) }) }));
}

function describe(ctx: ApiContext, purpose: AuthPurpose, account: string): Array<Record<string, unknown>> {
  const pw = 'MediaWiki\\Auth\\PasswordAuthenticationRequest';
  switch (purpose) {
    case 'login':
      return [
        {
          id: pw,
          metadata: assoc({}),
          required: 'primary-required',
          provider: ctx.services.i18n.text(ctx.lang, 'authprovider-password'),
          account: '',
          fields: { username: field(ctx, 'string', 'username'), password: field(ctx, 'password', 'password', { sensitive: true }) },
        },
        {
          id: 'MediaWiki\\Auth\\RememberMeAuthenticationRequest',
          metadata: assoc({}),
          required: 'optional',
          provider: ctx.services.i18n.text(ctx.lang, 'authprovider-rememberme'),
          account: '',
          fields: { rememberMe: field(ctx, 'checkbox', 'rememberme', { optional: true }) },
        },
      ];
    case 'login-continue':
    case 'change':
      return [
        {
          id: pw,
          metadata: assoc({}),
          required: 'required',
          provider: ctx.services.i18n.text(ctx.lang, 'authprovider-password'),
          account: purpose === 'change' ? ctx.performer.name : account,
          fields: {
            password: field(ctx, 'password', 'newpassword', { sensitive: true }),
            retype: field(ctx, 'password', 'retype', { sensitive: true }),
          },
        },
      ];
    case 'create':
      return [
        {
          id: 'MediaWiki\\Auth\\UserDataAuthenticationRequest',
          metadata: assoc({}),
          required: 'required',
          provider: ctx.services.i18n.text(ctx.lang, 'authprovider-userdata'),
          account: '',
          fields: { email: field(ctx, 'string', 'email', { optional: true }), realname: field(ctx, 'string', 'realname', { optional: true }) },
        },
        {
          id: 'MediaWiki\\Auth\\UsernameAuthenticationRequest',
          metadata: assoc({}),
          required: 'required',
          provider: ctx.services.i18n.text(ctx.lang, 'authprovider-userdata'),
          account: '',
          fields: { username: field(ctx, 'string', 'username') },
        },
        {
          id: pw,
          metadata: assoc({}),
          required: 'primary-required',
          provider: ctx.services.i18n.text(ctx.lang, 'authprovider-password'),
          account: '',
          fields: {
            password: field(ctx, 'password', 'password', { sensitive: true }),
            retype: field(ctx, 'password', 'retype', { sensitive: true }),
          },
        },
      ];
  }
}

/** amimergerequestfields / *mergerequestfields: one flat field map. */
export function mergeFields(requests: Array<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = assoc({});
  for (const r of requests) Object.assign(out, r.fields as Record<string, unknown>);
  return out;
}
