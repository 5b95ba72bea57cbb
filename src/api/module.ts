// What a module declares; the framework (main.ts) enforces it uniformly.
import type { Performer } from '../accounts/performer.js';
import type { Doors } from '../services.js';
import type { Session } from '../sessions/session.js';
import type { ApiMessage } from './errors.js';
import type { ParamSpec, ParamValues } from './params.js';
import type { ApiRequest } from './request.js';

/** Every API module this server offers, by name (built by src/api/modules/index.ts). */
export interface ModuleRegistry {
  actions: Map<string, ModuleDef>;
  meta: Map<string, ModuleDef>;
}

/** What a module may use: the domain doors, and the other modules (help, paraminfo and query read them). */
export interface ApiServices extends Doors {
  modules: ModuleRegistry;
}

export interface ApiContext {
  req: ApiRequest;
  session: Session;
  performer: Performer;
  services: ApiServices;
  /** Language of the response's texts (uselang). */
  lang: string;
  /** Language of error texts (errorlang). */
  errorLang: string;
  formatVersion: 1 | 2;
  errorFormat: string;
  /** The request must not use the caller's credentials (JSONP, origin=*). */
  untrusted: boolean;
  warn(module: string, key: string, ...params: ApiMessage['params']): void;
  /** A warning already made (from parameter validation, with its data). */
  addWarning(module: string, m: ApiMessage): void;
  /** A deprecation warning; the first one also brings the "subscribe for notices" warning. */
  deprecated(module: string, key: string, feature: string): void;
  /** Renders a message for a free-text field such as login's "reason". */
  message(key: string, ...params: ApiMessage['params']): unknown;
  /** Replaces the performer after a login or logout within this request. */
  setPerformer(p: Performer): void;
  /** Canonical URL of api.php, from the configured server. */
  apiUrl: string;
}

export interface ModuleDef {
  /** Name in action= or meta=. */
  name: string;
  /** Module path as MediaWiki names it: "resetpassword", "query+tokens". */
  path?: string;
  prefix?: string;
  params: Record<string, ParamSpec> | ((s: ApiServices) => Record<string, ParamSpec>);
  /** Token type the "token" parameter must carry, or none. */
  token?: string | ((s: ApiServices) => string | null);
  mustBePosted?: boolean | ((s: ApiServices) => boolean);
  /** Needs "writeapi" and a writable wiki. */
  writeMode?: boolean | ((s: ApiServices) => boolean);
  /** Needs "read" (true unless said otherwise). */
  readMode?: boolean;
  /** For help and paraminfo. */
  summary: string;
  /** Example queries (without "api.php?"); `key` names the description's message for helpformat=raw. */
  examples?: Array<{ query: string; description: string; key?: string }>;
  /** Documentation links (paraminfo's helpurls). */
  helpUrl?: string | string[];
  /**
   * Reads fields beyond its declared parameters (the authentication requests' fields of clientlogin,
   * createaccount, changeauthenticationdata): paraminfo says so ("dynamicparameters").
   */
  dynamicParameters?: boolean;
  execute(ctx: ApiContext, params: ParamValues): Promise<unknown>;
}

export function defineModule(def: ModuleDef): ModuleDef {
  return def;
}

export function resolveFlag<T>(v: T | ((s: ApiServices) => T) | undefined, s: ApiServices, dflt: T): T {
  if (v === undefined) return dflt;
  return typeof v === 'function' ? (v as (s: ApiServices) => T)(s) : v;
}

/**
 * Each module's parameters, made once per set of services: they follow from its declaration and the
 * configuration alone, and the main module's (every action's name, sorted) would otherwise be made again
 * for every request.
 */
const madeParams = new WeakMap<ApiServices, Map<ModuleDef, Record<string, ParamSpec>>>();

export function moduleParams(def: ModuleDef, s: ApiServices): Record<string, ParamSpec> {
  let made = madeParams.get(s);
  if (!made) madeParams.set(s, (made = new Map()));
  let specs = made.get(def);
  if (!specs) made.set(def, (specs = makeParams(def, s)));
  return specs;
}

function makeParams(def: ModuleDef, s: ApiServices): Record<string, ParamSpec> {
  const base = typeof def.params === 'function' ? def.params(s) : def.params;
  const token = resolveFlag(def.token, s, null as string | null);
  if (!token) return base;
  return { ...base, token: { type: 'string', required: true, sensitive: true, tokentype: token } };
}
