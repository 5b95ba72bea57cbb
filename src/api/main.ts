// The spine of one API request, in MediaWiki's order of checks:
// CORS → main parameters → asserts → module parameters and token → rights, read-only → maxlag → POST → execute.
import { loadPerformer, type Performer } from '../accounts/performer.js';
import type { Services } from '../services.js';
import type { Session } from '../sessions/session.js';
import { isoTimestamp } from '../util/clock.js';
import { DomainError } from '../util/errors.js';
import { ApiError, apiError, codeForKey, type ApiMessage } from './errors.js';
import { CONTENT, ERROR_FORMATS, ErrorFormatter, content, encodeJson, toFv1, type ErrorFormat, type WithContent } from './format.js';
import { moduleParams, resolveFlag, type ApiContext, type ModuleDef } from './module.js';
import { validateParam, validateParams } from './params.js';
import { ApiRequest, MAX_PARAMS, type RawRequest } from './request.js';
import { checkCors, corsHeaders, type CorsOutcome } from './cors.js';
import { renderHtmlResult } from './jsonfm.js';

export interface ApiResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body: string;
}

const FORMATS = ['json', 'jsonfm', 'none'];

interface Printer {
  format: string;
  fv: 1 | 2;
  utf8: boolean;
  ascii: boolean;
  callback: string | null;
}

/** Reads the printer's parameters leniently: an error must still be printable. */
function readPrinter(req: ApiRequest): Printer {
  const format = req.get('format') ?? 'jsonfm';
  const fvRaw = req.get('formatversion');
  const cb = req.get('callback');
  return {
    format: FORMATS.includes(format) ? format : 'jsonfm',
    fv: fvRaw === '2' || fvRaw === 'latest' ? 2 : 1,
    utf8: req.has('utf8'),
    ascii: req.has('ascii'),
    callback: cb !== undefined ? cb.replace(/[^\][\w.'"]/g, '') : null,
  };
}

class Outcome {
  warnings: Array<{ module: string; msg: ApiMessage }> = [];
  top: Record<string, unknown> = {};
  data: Record<string, unknown> = {};
  error: Record<string, unknown> | null = null;
  headers: Record<string, string | string[]> = {};
  status = 200;
}

/**
 * One API request. `failure` is an error found before the API could read the request (a body over
 * the size limit, a body that cannot be parsed): it is answered like any other API error.
 */
export async function handleApi(services: Services, raw: RawRequest, failure: ApiError | null = null): Promise<ApiResponse> {
  const req = ApiRequest.from(raw);
  const out = new Outcome();
  const printer = readPrinter(req);
  const cfg = services.config;
  const apiUrl = `${cfg.server}${cfg.scriptPath}/api.php`;

  // 1. CORS: a mismatching origin= is refused before anything else.
  const cors: CorsOutcome = checkCors(req);
  if (cors.kind === 'mismatch') {
    return { status: 403, headers: { 'content-type': 'text/html; charset=utf-8', 'x-content-type-options': 'nosniff', 'cache-control': 'no-cache' }, body: "'origin' parameter does not match Origin header\n" };
  }
  Object.assign(out.headers, corsHeaders(cors, req));
  const untrusted = printer.callback !== null || cors.kind === 'public' || req.header('treat-as-untrusted') !== undefined;
  if (untrusted) out.headers['mediawiki-login-suppressed'] = 'true';
  if (req.method === 'OPTIONS') return { status: 200, headers: out.headers, body: '' };

  const session = await services.sessions.load(req.header('cookie'), { anonymous: untrusted, ip: req.ip });
  let performer = await loadPerformer(services, session.userId, req.ip, session.data.bot ?? null);

  let errorFormat: ErrorFormat = 'bc';
  let lang = cfg.language;
  let errorLang = 'en';
  let module: ModuleDef | null = null;
  let modulePath = 'main';
  /** The module an error is reported for ("module" in the errors array). */
  let errorModule = 'main';
  const ef = () => new ErrorFormatter(services.i18n, errorFormat, errorFormat === 'bc' ? 'en' : errorLang, printer.fv);

  const ctx: ApiContext = {
    req,
    session,
    get performer() {
      return performer;
    },
    services,
    get lang() {
      return lang;
    },
    get errorLang() {
      return errorLang;
    },
    formatVersion: printer.fv,
    get errorFormat() {
      return errorFormat;
    },
    untrusted,
    apiUrl,
    warn(mod, key, ...params) {
      out.warnings.push({ module: mod, msg: { code: codeForKey(key), key, params } });
    },
    addWarning(mod, m) {
      out.warnings.push({ module: mod, msg: m });
    },
    deprecated(mod, key, feature) {
      out.warnings.push({ module: mod, msg: { code: 'deprecation', key, params: [], data: { feature } } });
      if (!out.warnings.some((w) => w.msg.code === 'deprecation-help')) {
        out.warnings.push({ module: 'main', msg: { code: 'deprecation-help', key: 'apiwarn-deprecation-help', params: [] } });
      }
    },
    message(key, ...params) {
      return ef().field({ code: codeForKey(key), key, params });
    },
    setPerformer(p: Performer) {
      performer = p;
    },
  };

  try {
    if (!['GET', 'HEAD', 'POST'].includes(req.method)) throw new ApiError('invalidmethod', 'apierror-invalidmethod', [], null, 405);
    const warnList: ApiMessage[] = [];
    const main = (name: string, spec: Parameters<typeof validateParam>[2]) => validateParam(req, name, spec, warnList);

    // 2. Main parameters.
    errorFormat = (ERROR_FORMATS as readonly string[]).includes(req.params.get('errorformat') ?? '') ? (req.params.get('errorformat') as ErrorFormat) : 'bc';
    const languages = async (uselang: string, errorLangParam: string) => {
      lang = await pickLanguage(services, performer, uselang);
      errorLang = errorLangParam === 'uselang' ? lang : errorLangParam === 'content' ? cfg.language : (services.i18n.resolve(errorLangParam) ?? lang);
    };
    // A request the API could not read, or one with too many parameters, is refused before anything else.
    const refused = failure ?? (req.tooMany ? new ApiError('toomanyparams', 'apierror-toomanyparams', [MAX_PARAMS], null, 413) : null);
    if (refused) {
      await languages(req.params.get('uselang') ?? 'user', req.params.get('errorlang') ?? 'uselang');
      throw refused;
    }
    const actionName = main('action', { type: 'enum', values: [...services.modules.actions.keys()], default: 'help' }) as string;
    main('format', { type: 'enum', values: FORMATS, default: 'jsonfm' });
    main('errorformat', { type: 'enum', values: ERROR_FORMATS, default: 'bc' });
    if (printer.format.startsWith('json')) {
      main('formatversion', { type: 'enum', values: ['1', '2', 'latest'], default: '1' });
      req.get('utf8');
      req.get('ascii');
      req.get('callback');
      if (printer.callback !== null) req.get('_');
    }
    const maxlag = main('maxlag', { type: 'integer' }) as number | null;
    main('smaxage', { type: 'integer', default: 0 });
    main('maxage', { type: 'integer', default: 0 });
    const assert = main('assert', { type: 'enum', values: ['anon', 'user', 'bot'] }) as string | null;
    const assertUser = main('assertuser', { type: 'user' }) as string | null;
    const requestId = req.get('requestid');
    if (requestId !== undefined) out.top.requestid = requestId;
    main('servedby', { type: 'boolean' });
    if (main('curtimestamp', { type: 'boolean' })) out.top.curtimestamp = isoTimestamp(services.clock.now());
    const langInfo = main('responselanginfo', { type: 'boolean' }) as boolean;
    req.get('origin');
    const uselang = req.get('uselang') ?? 'user';
    req.get('variant');
    const errorLangParam = req.get('errorlang') ?? 'uselang';
    main('errorsuselocal', { type: 'boolean' });
    await languages(uselang, errorLangParam);
    if (langInfo) {
      out.top.uselang = lang;
      // bc errors are always English, whatever uselang says.
      out.top.errorlang = errorFormat === 'bc' ? 'en' : errorLang;
    }
    for (const w of warnList) out.warnings.push({ module: 'main', msg: w });
    warnList.length = 0;

    // 3. Asserts come before the module's parameters, so "am I logged in?" is answered first.
    if (assert === 'anon' && !performer.anon) throw apiError('apierror-assertanonfailed');
    if (assert === 'user' && performer.anon) throw apiError('apierror-assertuserfailed');
    if (assert === 'bot' && !performer.can('bot')) throw apiError('apierror-assertbotfailed');
    if (assertUser !== null && performer.name !== assertUser) throw apiError('apierror-assertnameduserfailed', [assertUser]);

    // 4. The module, its parameters and its token.
    module = services.modules.actions.get(actionName)!;
    modulePath = module.path ?? module.name;
    errorModule = modulePath;
    const specs = moduleParams(module, services);
    const params = validateParams(req, module.prefix ?? '', specs, warnList);
    for (const w of warnList) out.warnings.push({ module: modulePath, msg: w });
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
      ctx.warn('main', 'apiwarn-deprecation-post-without-content-type');
    }

    // 8. Execute.
    errorModule = modulePath;
    const result = await module.execute(ctx, params);
    if (result && typeof result === 'object' && 'raw' in (result as object) && (result as { raw?: ApiResponse }).raw) {
      return finishRaw(services, session, (result as { raw: ApiResponse }).raw);
    }
    Object.assign(out.data, result as Record<string, unknown>);

    // 9. Parameters nobody read.
    const unused = req.unused();
    if (unused.length) {
      // Keyed by position among the request's parameters, as MediaWiki's list parameter is.
      const position = new Map(req.names().map((n, i) => [n, i]));
      const listed = { list: Object.fromEntries(unused.map((n) => [String(position.get(n)), n])), type: 'comma' as const };
      ctx.warn('main', 'apierror-unrecognizedparams', listed, unused.length);
    }
  } catch (err) {
    const e = toApiError(err, services);
    out.status = e.httpStatus;
    Object.assign(out.headers, e.headers);
    out.headers['mediawiki-api-error'] = e.code;
    const f = ef();
    const docref = services.i18n.text(errorFormat === 'bc' ? 'en' : errorLang, 'api-usage-docref', apiUrl);
    const m: ApiMessage = { code: e.code, key: e.key, params: e.params, data: e.data };
    out.error = errorFormat === 'bc' ? { error: f.bcError(m, docref) } : content({ errors: [f.item(m, errorModule)], docref }, 'docref');
  }

  await finishSession(services, session, out.headers);
  return print(printer, assemble(out, ef()), out);
}

/**
 * Key order as MediaWiki prints it: on success batchcomplete, warnings, the request's echoes
 * (requestid, curtimestamp, uselang, errorlang), then the module's data; on error the warnings,
 * the error, then the echoes.
 */
function assemble(out: Outcome, f: ErrorFormatter): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (!out.error && 'batchcomplete' in out.data) body.batchcomplete = out.data.batchcomplete;
  if (out.warnings.length) body.warnings = f.warnings(out.warnings);
  if (out.error) {
    Object.assign(body, out.error, out.top);
    return (out.error as WithContent)[CONTENT] ? content(body, 'docref') : body;
  }
  return Object.assign(body, out.top, out.data);
}

async function pickLanguage(services: Services, performer: Performer, uselang: string): Promise<string> {
  const i18n = services.i18n;
  if (uselang === 'content') return services.config.language;
  if (uselang === 'user') {
    if (performer.user) {
      const pref = (await services.users.options(performer.user.id)).language;
      return i18n.resolve(pref) ?? services.config.language;
    }
    return services.config.language;
  }
  return i18n.resolve(uselang) ?? services.config.language;
}

function toApiError(err: unknown, services: Services): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof DomainError) return apiError(err.key, err.params);
  services.logger.error({ err: err instanceof Error ? err.stack : String(err) }, 'internal API error');
  const cls = err instanceof Error ? err.constructor.name : 'Error';
  return new ApiError(`internal_api_error_${cls}`, 'apierror-exceptioncaught', [cls], { errorclass: cls });
}

async function finishSession(services: Services, session: Session, headers: Record<string, string | string[]>): Promise<void> {
  const cookies = await services.sessions.save(session);
  if (cookies.length) headers['set-cookie'] = cookies;
}

async function finishRaw(services: Services, session: Session, res: ApiResponse): Promise<ApiResponse> {
  await finishSession(services, session, res.headers);
  return res;
}

function print(p: Printer, body: Record<string, unknown>, out: Outcome): ApiResponse {
  const headers: Record<string, string | string[]> = {
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'content-disposition': `inline; filename=api-result.${p.format === 'jsonfm' ? 'html' : p.callback !== null ? 'js' : 'json'}`,
    'cache-control': 'private, must-revalidate, max-age=0',
    ...out.headers,
  };
  const shaped = p.fv === 1 ? toFv1(body) : body;
  if (p.format === 'none') return { status: out.status, headers, body: '' };
  if (p.format === 'jsonfm') {
    const json = encodeJson(shaped, { utf8: true, escapeXmlMeta: false, pretty: true });
    headers['content-type'] = 'text/html; charset=utf-8';
    return { status: out.status, headers, body: renderHtmlResult(json) };
  }
  // "<", ">" and "&" stay as they are in both versions (FormatJson's XMLMETA_OK); only non-ASCII differs.
  const json = encodeJson(shaped, { utf8: p.fv === 1 ? p.utf8 : !p.ascii, escapeXmlMeta: false });
  if (p.callback !== null) {
    headers['content-type'] = 'text/javascript; charset=utf-8';
    return { status: out.status, headers, body: `/**/${p.callback}(${json})` };
  }
  headers['content-type'] = 'application/json; charset=utf-8';
  return { status: out.status, headers, body: json };
}
