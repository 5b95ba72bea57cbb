// The spine of one API request, in MediaWiki's order of checks:
// CORS → main parameters → asserts → module parameters and token → rights, read-only → maxlag → POST
// → execute → unused parameters → the printer (its own parameters are read only now, as MediaWiki does).
import { loadPerformer, type Performer } from '../accounts/performer.js';
import { asOutage, RETRY_AFTER_SECONDS } from '../ops/failures.js';
import { doorsOf, type Services } from '../services.js';
import type { Session } from '../sessions/session.js';
import { apiUrl as siteApiUrl } from '../site/urls.js';
import { isoTimestamp } from '../util/clock.js';
import { DomainError } from '../util/errors.js';
import { ApiError, apiError, codeForKey, type ApiMessage } from './errors.js';
import { ERROR_FORMATS, ErrorFormatter, type ErrorFormat } from './format.js';
import { print, printerByName, type PrinterDef } from './formats/index.js';
import { mainModule } from './mainmodule.js';
import { moduleParams, resolveFlag, type ApiContext, type ApiServices, type ModuleDef, type ModuleRegistry } from './module.js';
import { createRegistry } from './modules/index.js';
import { validateParams, type ParamSpec, type ParamValues } from './params.js';
import { ApiRequest, MAX_PARAMS, type RawRequest } from './request.js';
import { meta, ordered, toTree, type ResultArray } from './result.js';
import { checkCors, corsHeaders, type CorsOutcome } from './cors.js';

export interface ApiResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body: string;
}

/**
 * The API as a server runs it: its modules, built here, over the services. Modules get the doors
 * (`doors`); only this spine touches the rest (failures counted by ops, the session saved).
 */
export interface Api {
  services: Services;
  modules: ModuleRegistry;
  doors: ApiServices;
}

export function createApi(services: Services): Api {
  const modules = createRegistry();
  return { services, modules, doors: { ...doorsOf(services), modules } };
}

/** Marks a top-level key whose value (warnings, the error) is made when the result is printed. */
const SLOT = Symbol('slot');

/**
 * The result being built, keyed in the order MediaWiki's ApiResult holds its top level: values are
 * appended, "warnings" and "batchcomplete" go on top when they first appear, and an error replaces
 * everything but the warnings and goes on top of them.
 */
class Outcome {
  top: Array<[string, unknown]> = [];
  warnings: Array<{ module: string; msg: ApiMessage }> = [];
  error: { msg: ApiMessage; module: string } | null = null;
  headers: Record<string, string | string[]> = {};
  status = 200;

  has(key: string): boolean {
    return this.top.some(([k]) => k === key);
  }

  add(key: string, value: unknown, onTop = false): void {
    const i = this.top.findIndex(([k]) => k === key);
    if (i >= 0) this.top[i] = [key, value];
    else if (onTop) this.top.unshift([key, value]);
    else this.top.push([key, value]);
  }

  warn(module: string, msg: ApiMessage): void {
    if (!this.has('warnings')) this.add('warnings', SLOT, true);
    this.warnings.push({ module, msg });
    // The first deprecation brings the "subscribe for notices" warning, right after it.
    if (msg.code === 'deprecation' && !this.warnings.some((w) => w.msg.code === 'deprecation-help')) {
      this.warnings.push({ module: 'main', msg: { code: 'deprecation-help', key: 'api-usage-mailinglist-ref', params: [] } });
    }
  }

  /** MediaWiki's substituteResultWithError(). */
  fail(msg: ApiMessage, module: string, errorFormat: ErrorFormat): void {
    this.top = this.has('warnings') ? [['warnings', SLOT]] : [];
    this.error = { msg, module };
    this.add(errorFormat === 'bc' ? 'error' : 'errors', SLOT, true);
    if (errorFormat !== 'bc') this.add('docref', SLOT);
  }
}

/** RequestContext::sanitizeLangCode(): a language code as given, or the site's language. */
function sanitizeLangCode(code: string, fallback: string): string {
  const c = code.trim().toLowerCase();
  return c !== '' && c.length <= 128 && !/[:/\\\0&<>'"\s]/.test(c) ? c : fallback;
}

/**
 * One API request. `failure` is an error found before the API could read the request (a body over
 * the size limit, a body that cannot be parsed): it is answered like any other API error.
 */
export async function handleApi(api: Api, raw: RawRequest, failure: ApiError | null = null): Promise<ApiResponse> {
  const services = api.doors;
  const req = ApiRequest.from(raw);
  const out = new Outcome();
  const cfg = services.config;
  const apiUrl = siteApiUrl(cfg);
  // The printer is chosen leniently: an error must still be printable (a bad format is jsonfm's).
  const printer = printerByName(req.params.get('format') ?? '') ?? printerByName('jsonfm')!;

  // 1. CORS: a mismatching origin= is refused before anything else.
  const cors: CorsOutcome = checkCors(req);
  if (cors.kind === 'mismatch') {
    return { status: 403, headers: { 'content-type': 'text/html; charset=utf-8', 'x-content-type-options': 'nosniff', 'cache-control': 'no-cache' }, body: "'origin' parameter does not match Origin header\n" };
  }
  Object.assign(out.headers, corsHeaders(cors, req));
  const untrusted = req.has('callback') || cors.kind === 'public' || req.header('treat-as-untrusted') !== undefined;
  if (untrusted) out.headers['mediawiki-login-suppressed'] = 'true';
  if (req.method === 'OPTIONS') return { status: 200, headers: out.headers, body: '' };

  // The languages and the error format come from the raw parameters, before anything can fail.
  const rawErrorFormat = req.params.get('errorformat') ?? 'bc';
  const errorFormat: ErrorFormat = (ERROR_FORMATS as readonly string[]).includes(rawErrorFormat) ? (rawErrorFormat as ErrorFormat) : 'bc';
  const uselang = req.params.get('uselang') ?? 'user';
  const errorLangParam = req.params.get('errorlang') ?? 'uselang';

  // The session and the account behind it need the session store and the database. When one of them
  // fails, the request is answered as anonymous with that failure as its error — in the format it
  // asked for, from the query string or the body, and with a 5xx status.
  let session: Session;
  let performer: Performer;
  let lang: string;
  let unavailable: ApiError | null = null;
  try {
    session = await services.sessions.load(req.header('cookie'), { anonymous: untrusted, ip: req.ip });
    performer = await loadPerformer(services, session.userId, req.ip, session.data.bot ?? null, session.account);
    lang = await pickLanguage(services, performer, uselang);
  } catch (err) {
    unavailable = toApiError(err, api.services);
    session = await services.sessions.load(undefined, { anonymous: true });
    performer = await loadPerformer(services, 0, req.ip);
    lang = await pickLanguage(services, performer, uselang);
  }
  const errorLang = errorLangParam === 'uselang' ? lang : errorLangParam === 'content' ? cfg.language : (services.i18n.resolve(errorLangParam) ?? lang);
  /** The codes responselanginfo reports: the language asked for, as MediaWiki keeps it. */
  const uselangCode = uselang === 'user' ? lang : uselang === 'content' ? cfg.language : sanitizeLangCode(uselang, cfg.language);
  const errorLangCode = errorFormat === 'bc' ? 'en' : errorLangParam === 'uselang' ? uselangCode : errorLangParam === 'content' ? cfg.language : sanitizeLangCode(errorLangParam, cfg.language);
  const ef = new ErrorFormatter(services.i18n, errorFormat, errorFormat === 'bc' ? 'en' : errorLang);
  const fvRaw = req.params.get('formatversion');

  let module: ModuleDef | null = null;
  let modulePath = 'main';
  /** The module an error is reported for ("module" in the errors array). */
  let errorModule = 'main';

  const ctx: ApiContext = {
    req,
    session,
    get performer() {
      return performer;
    },
    services,
    lang,
    errorLang,
    formatVersion: printer.base === 'json' || printer.base === 'php' ? (fvRaw === '2' || fvRaw === 'latest' ? 2 : 1) : 1,
    errorFormat,
    untrusted,
    apiUrl,
    warn(mod, key, ...params) {
      out.warn(mod, { code: codeForKey(key), key, params });
    },
    addWarning(mod, m) {
      out.warn(mod, m);
    },
    deprecated(mod, key, feature) {
      out.warn(mod, { code: 'deprecation', key, params: [], data: { feature } });
    },
    message(key, ...params) {
      return ef.field({ code: codeForKey(key), key, params });
    },
    setPerformer(p: Performer) {
      performer = p;
    },
  };

  /** requestid, curtimestamp, uselang and errorlang: on success before the module's data, on error after the error. */
  const echo = () => {
    const requestId = req.get('requestid');
    if (requestId !== undefined) out.add('requestid', requestId);
    if (req.has('curtimestamp')) out.add('curtimestamp', isoTimestamp(services.clock.now()));
    if (req.has('responselanginfo')) {
      out.add('uselang', uselangCode);
      out.add('errorlang', errorLangCode);
    }
  };

  try {
    if (!['GET', 'HEAD', 'POST'].includes(req.method)) throw new ApiError('invalidmethod', 'apierror-invalidmethod', [], null, 405);
    echo();
    const warnList: ApiMessage[] = [];

    // A request the API could not read, or one with too many parameters, is refused before anything else.
    const refused = failure ?? unavailable ?? (req.tooMany ? new ApiError('toomanyparams', 'apierror-toomanyparams', [MAX_PARAMS], null, 413) : null);
    if (refused) throw refused;

    // 2. Main parameters, in their declared order.
    const main = validateParams(req, '', moduleParams(mainModule, services), warnList);
    for (const w of warnList) out.warn('main', w);
    warnList.length = 0;
    if (req.has('callback') && printer.base === 'json') req.get('_');

    // 3. Asserts come before the module's parameters, so "am I logged in?" is answered first.
    const assert = main.assert as string | null;
    const assertUser = main.assertuser as string | null;
    if (assert === 'anon' && !performer.anon) throw apiError('apierror-assertanonfailed');
    if (assert === 'user' && performer.anon) throw apiError('apierror-assertuserfailed');
    if (assert === 'bot' && !performer.can('bot')) throw apiError('apierror-assertbotfailed');
    if (assertUser !== null && performer.name !== assertUser) throw apiError('apierror-assertnameduserfailed', [assertUser]);

    // 4. The module, its parameters and its token.
    module = services.modules.actions.get(main.action as string)!;
    modulePath = module.path ?? module.name;
    errorModule = modulePath;
    const specs = moduleParams(module, services);
    const params = validateParams(req, module.prefix ?? '', specs, warnList, `action=${module.name}&`);
    for (const w of warnList) out.warn(modulePath, w);
    const tokenType = resolveFlag(module.token, services, null as string | null);
    if (tokenType) {
      const tokenName = `${module.prefix ?? ''}token`;
      if (req.inQuery([tokenName]).length) throw apiError('apierror-mustpostparams', [tokenName, 1]);
      if (!session.checkToken(tokenType, params.token as string)) throw apiError('apierror-badtoken');
    }

    // 5. Rights and read-only. Errors from here to the POST check are the main module's own.
    errorModule = 'main';
    if (module.readMode !== false && !performer.can('read')) throw apiError('apierror-readapidenied');
    if (resolveFlag(module.writeMode, services, false)) {
      if (!performer.can('writeapi')) throw apiError('apierror-writeapidenied');
      if (req.header('promise-non-write-api-action') !== undefined) throw apiError('apierror-promised-nonwrite-api');
      if (cfg.readOnly) throw apiError('apierror-readonly', [], { readonlyreason: cfg.readOnly });
    }

    // 6. maxlag: one database, no replicas, so the lag is always 0.
    const maxlag = main.maxlag as number | null;
    if (maxlag !== null && 0 > maxlag) {
      throw new ApiError('maxlag', 'apierror-maxlag-generic', [0], { host: '', lag: 0, type: 'db' }, 200, {
        'retry-after': String(Math.max(maxlag, 5)),
        'x-database-lag': '0',
      });
    }

    // 7. POST.
    if (resolveFlag(module.mustBePosted, services, false) && req.method !== 'POST') {
      throw apiError('apierror-mustbeposted', [module.name]);
    }
    if (req.method === 'POST' && !req.header('content-type')) {
      ctx.deprecated('main', 'apiwarn-deprecation-post-without-content-type', 'post-without-content-type');
    }

    // 8. Execute.
    errorModule = modulePath;
    const result = await module.execute(ctx, params);
    if (result && typeof result === 'object' && 'raw' in (result as object) && (result as { raw?: ApiResponse }).raw) {
      // A session that cannot be saved fails the request (below), whatever the module answered.
      return await finishRaw(services, session, (result as { raw: ApiResponse }).raw);
    }
    // batchcomplete goes on top of what the query added, as MediaWiki's continuation manager puts it.
    for (const [k, v] of Object.entries((result ?? {}) as Record<string, unknown>)) out.add(k, v, k === 'batchcomplete');

    // 9. Parameters nobody read (the printer's own count as read).
    for (const name of Object.keys(printer.params)) req.get(name);
    const unused = req.unused();
    if (unused.length) {
      // Keyed by position among the request's parameters, as MediaWiki's list parameter is.
      const position = new Map(req.names().map((n, i) => [n, i]));
      const listed = { list: Object.fromEntries(unused.map((n) => [String(position.get(n)), n])), type: 'comma' as const };
      ctx.warn('main', 'apierror-unrecognizedparams', listed, unused.length);
    }
  } catch (err) {
    const e = toApiError(err, api.services);
    failWith(out, e, e.module ?? errorModule, errorFormat);
    echo();
  }

  try {
    await finishSession(services, session, out.headers);
  } catch (err) {
    // The module's work is done but its session could not be saved (a login that would not hold): the
    // answer is that failure, not the module's result.
    const e = toApiError(err, api.services);
    failWith(out, e, 'main', errorFormat);
    echo();
  }
  return printOutcome(services, req, printer, out, ef, apiUrl, errorFormat, echo);
}

function failWith(out: Outcome, e: ApiError, module: string, errorFormat: ErrorFormat): void {
  out.status = e.httpStatus;
  Object.assign(out.headers, e.headers);
  out.headers['mediawiki-api-error'] = e.code;
  out.fail({ code: e.code, key: e.key, params: e.params, data: e.data }, module, errorFormat);
}

/** The whole result as the printers read it, with the root's metadata. */
function assemble(out: Outcome, f: ErrorFormatter, docrefOf: () => string): ResultArray {
  const body: Record<string, unknown> = {};
  for (const [k, v] of out.top) {
    if (v !== SLOT) body[k] = v;
    else if (k === 'warnings') body.warnings = f.warnings(out.warnings);
    else if (k === 'error') body.error = f.bcError(out.error!.msg, docrefOf());
    else if (k === 'errors') body.errors = f.errors([out.error!]);
    else if (k === 'docref') body.docref = docrefOf();
  }
  meta(body, { type: 'assoc' });
  if (out.has('docref')) meta(body, { content: 'docref' });
  return toTree(ordered(body, out.top.map(([k]) => k))) as ResultArray;
}

function defaults(specs: Record<string, ParamSpec>): ParamValues {
  return Object.fromEntries(Object.entries(specs).map(([k, s]) => [k, s.type === 'boolean' ? false : (s.default ?? null)]));
}

/**
 * Prints with the printer's parameters. If they are refused, the result becomes that error (unless it
 * was one already) and, as MediaWiki's error printer fails the same way, it is printed with the
 * printer's defaults and two warnings saying so.
 */
function printOutcome(
  services: ApiServices,
  req: ApiRequest,
  printer: PrinterDef,
  out: Outcome,
  ef: ErrorFormatter,
  apiUrl: string,
  errorFormat: ErrorFormat,
  echo: () => void,
): ApiResponse {
  // Only an error carries the docref: a successful answer does not render it.
  const docref = () => services.i18n.text(ef.lang, 'api-usage-docref', apiUrl);
  const printerWarnings: ApiMessage[] = [];
  let values: ParamValues;
  try {
    values = validateParams(req, '', printer.params, printerWarnings);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    if (!out.error) {
      failWith(out, err, printer.name, errorFormat);
      echo();
    }
    out.warn('main', { code: 'errorprinterfailed', key: 'apiwarn-errorprinterfailed', params: [] });
    out.warn(printer.name, { code: err.code, key: err.key, params: err.params, data: err.data });
    values = defaults(printer.params);
  }
  for (const w of printerWarnings) out.warn(printer.name, w);
  if (printer.base === 'xml' && typeof values.xslt === 'string') out.warn(printer.name, { code: 'xslt-disabled', key: 'apiwarn-xslt-disabled', params: [] });

  const printed = print(printer, assemble(out, ef, docref), values, out.status);
  const headers: Record<string, string | string[]> = {
    'content-type': printed.contentType,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'content-disposition': `inline; filename=api-result.${printed.ext}`,
    'cache-control': 'private, must-revalidate, max-age=0',
    ...out.headers,
  };
  return { status: out.status, headers, body: printed.body };
}

async function pickLanguage(services: ApiServices, performer: Performer, uselang: string): Promise<string> {
  const i18n = services.i18n;
  if (uselang === 'content') return services.config.language;
  if (uselang === 'user') {
    // The preference came with the account (one read per request).
    if (performer.user) return i18n.resolve(performer.language) ?? services.config.language;
    return services.config.language;
  }
  return i18n.resolve(uselang) ?? services.config.language;
}

/**
 * An API error for anything a module or the framework threw. An internal failure is MediaWiki's
 * internal_api_error_<Class>, but with an HTTP status a load balancer and a client can see: 503 and
 * Retry-After when the database or Redis is unavailable (RedisUnavailableError, DatabaseUnavailableError),
 * 500 for anything else.
 */
export function toApiError(err: unknown, services: Services): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof DomainError) return apiError(err.key, err.params);
  const { error, backend } = asOutage(err);
  if (backend) services.ops.failed(backend, err);
  else services.logger.error({ err: error.stack ?? error.message }, 'internal API error');
  const cls = error.constructor.name || 'Error';
  const retry: Record<string, string> = backend ? { 'retry-after': String(RETRY_AFTER_SECONDS) } : {};
  return new ApiError(`internal_api_error_${cls}`, 'apierror-exceptioncaught', [cls], { errorclass: cls }, backend ? 503 : 500, retry);
}

async function finishSession(services: ApiServices, session: Session, headers: Record<string, string | string[]>): Promise<void> {
  const cookies = await services.sessions.save(session);
  if (cookies.length) headers['set-cookie'] = cookies;
}

async function finishRaw(services: ApiServices, session: Session, res: ApiResponse): Promise<ApiResponse> {
  await finishSession(services, session, res.headers);
  return res;
}

