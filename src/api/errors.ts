// An API error: a wire code, a message key of ours with its parameters, and optional data.
import type { MessageParam } from '../i18n/index.js';

export class ApiError extends Error {
  constructor(
    readonly code: string,
    readonly key: string,
    readonly params: MessageParam[] = [],
    readonly data: Record<string, unknown> | null = null,
    readonly httpStatus = 200,
    readonly headers: Record<string, string> = {},
  ) {
    super(code);
    this.name = 'ApiError';
  }

  /** The module the error is reported for, when it is not the one running (a query submodule). */
  module?: string;
}

/** The error for a message key whose code is the key without its "apierror-" prefix. */
export function apiError(key: string, params: MessageParam[] = [], data: Record<string, unknown> | null = null): ApiError {
  return new ApiError(codeForKey(key), key, params, data);
}

// Message keys whose wire code is not derived from the key itself.
const CODE_MAP: Record<string, string> = {
  noname: 'invaliduser',
  badipaddress: 'invalidip',
  actionthrottledtext: 'ratelimited',
  sessionfailure: 'badtoken',
  readonlytext: 'readonly',
  nosuchusershort: 'nosuchuser',
  'badaccess-group0': 'permissiondenied',
  'badaccess-groups': 'permissiondenied',
  blockedtext: 'blocked',
  autoblockedtext: 'autoblocked',
  'paramvalidator-missingparam': 'missingparam',
  'apierror-maxlag-generic': 'maxlag',
  'apierror-missingparam-at-least-one-of': 'missingparam',
  'apierror-missingparam-one-of': 'missingparam',
  'apierror-mustbeloggedin-changeauthenticationdata': 'notloggedin',
  'authpage-cannot-login-continue': 'sessionlost',
  'apierror-changeauth-norequest': 'badrequest',
  'apierror-botpasswords-cannot-change': 'permissiondenied',
  'paramvalidator-badvalue-enumnotmulti': 'badvalue',
  'paramvalidator-badvalue-enummulti': 'badvalue',
  'paramvalidator-baduser': 'baduser',
  'paramvalidator-badinteger': 'badinteger',
  'paramvalidator-toomanyvalues': 'toomanyvalues',
  'paramvalidator-unrecognizedvalues': 'unrecognizedvalues',
  'paramvalidator-badbool': 'badbool',
  'paramvalidator-maxbytes': 'maxbytes',
};

export function codeForKey(key: string): string {
  const mapped = CODE_MAP[key];
  if (mapped) return mapped;
  return key.replace(/^(apierror|apiwarn)-/, '').replace(/[^A-Za-z0-9_-]/g, '_');
}

/** A warning or error message before it is formatted. */
export interface ApiMessage {
  code: string;
  key: string;
  params: MessageParam[];
  data?: Record<string, unknown> | null;
}
