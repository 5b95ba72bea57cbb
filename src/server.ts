// The HTTP front: fastify routes to the API; everything below it knows nothing of HTTP.
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { pino, type Logger as PinoLogger } from 'pino';
import formbody from '@fastify/formbody';
import multipart from '@fastify/multipart';
import { ApiError } from './api/errors.js';
import { createApi, handleApi, toApiError, type Api, type ApiResponse } from './api/main.js';
import { registerOpsRoutes } from './ops/routes.js';
import { MAX_PARAMS } from './api/request.js';
import type { Config } from './config.js';
import { capConnectionsPerAddress, clientErrorHandler, httpServerOptions } from './connectionLimits.js';
import { createServices, type ServiceOverrides, type Services } from './services.js';
import { apiPath as siteApiPath, apiUrl, pagePath } from './site/urls.js';
import { canonicalAddress, resolveClientAddress, TrustedProxies } from './util/clientAddress.js';
import { registerWebRoutes } from './web/index.js';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The client's address, the only one anything below the HTTP front sees (limits, throttles, blocks,
     * the audit trail, mail): the peer's, or what trusted proxies forwarded (MWAUTH_TRUSTED_PROXIES).
     * fastify's own `ip` is the peer's and is not used.
     */
    readonly clientIp: string;
  }
}

export const BODY_LIMIT = 8 * 1024 * 1024;

function send(reply: FastifyReply, res: ApiResponse): FastifyReply {
  reply.code(res.status);
  for (const [k, v] of Object.entries(res.headers)) reply.header(k, v);
  return reply.send(res.body);
}

export async function buildApp(services: Services, opts: { log?: PinoLogger } = {}): Promise<FastifyInstance> {
  const cfg = services.config;
  const app: FastifyInstance = (Fastify as (o: object) => FastifyInstance)({
    ...(opts.log ? { loggerInstance: opts.log } : { logger: false }),
    logController: new RequestLines(),
    bodyLimit: BODY_LIMIT,
    // fastify's trustProxy (proxy-addr) would make a malformed X-Forwarded-For entry the client's
    // "address" and keeps ports: the address is resolved in one place instead, as clientIp.
    trustProxy: false,
    // A request must arrive in full in time (fastify's default, 0, would wait for a stalled body forever);
    // one that cannot be read gets a plain answer the client can read (src/connectionLimits.ts).
    requestTimeout: cfg.requestTimeoutMs,
    http: httpServerOptions(cfg),
    clientErrorHandler: clientErrorHandler(cfg),
  });
  const trusted = new TrustedProxies(cfg.trustedProxies);
  capConnectionsPerAddress(app.server, cfg.maxConnectionsPerAddress, trusted, services.logger);
  app.decorateRequest('clientIp', {
    getter(this: FastifyRequest) {
      return resolveClientAddress(this.raw.socket?.remoteAddress, this.headers['x-forwarded-for'], trusted);
    },
  });
  // Only form bodies are parameters, as in MediaWiki (PHP fills $_POST from these two types alone):
  // fastify's own JSON and text parsers go, and any other body is read (within the limit) and ignored.
  app.removeAllContentTypeParsers();
  await app.register(formbody);
  await app.register(multipart, {
    limits: { fieldSize: BODY_LIMIT, fields: MAX_PARAMS, files: MAX_PARAMS, fileSize: BODY_LIMIT, parts: MAX_PARAMS },
  });
  app.addHook('preValidation', readMultipart);
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, _body, done) => done(null, {}));

  const api = createApi(services);
  const apiPath = siteApiPath(services.config);
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const res = await handleApi(api, {
      method: request.method,
      query: request.query as Record<string, string>,
      body: request.body,
      headers: request.headers,
      ip: request.clientIp,
    });
    return send(reply, res);
  };
  app.route({
    method: ['GET', 'HEAD', 'POST', 'OPTIONS', 'PUT', 'DELETE', 'PATCH'],
    url: apiPath,
    handler,
    // Every answer of the API counts, errors of the HTTP front included, under its module's name.
    onResponse: async (request, reply) => services.ops.metrics.apiRequest(moduleOf(api, request), reply.statusCode, reply.elapsedTime / 1000),
  });

  app.setErrorHandler(async (err: HttpError, request, reply) => {
    const failure = requestFailure(err, services);
    // No route (a method or path nobody serves) whose body could not be read: only the status.
    if (request.routeOptions.url !== apiPath) return reply.code(failure.httpStatus).header('content-type', 'text/plain; charset=utf-8').send(`${failure.code}\n`);
    // Errors answer as API errors, with the MediaWiki-API-Error header, in the format the request asked
    // for: body errors (too large, too many parameters, unreadable) from the query string's parameters,
    // others (the body was read) from the body's too.
    const bodyRead = failure.httpStatus >= 500;
    const raw = { method: request.method, query: (request.query ?? {}) as Record<string, string>, body: bodyRead ? request.body : null, headers: request.headers, ip: request.clientIp };
    try {
      return send(reply, await handleApi(api, raw, failure));
    } catch {
      // The API itself could not run: a bc-format error in English, as JSON.
      const t = (key: string, ...params: Array<string | number>) => services.i18n.text('en', key, ...params);
      const error = { code: failure.code, info: t(failure.key, ...(failure.params as Array<string | number>)), ...failure.data, '*': t('api-usage-docref', apiUrl(services.config)) };
      reply.code(failure.httpStatus).header('content-type', 'application/json; charset=utf-8').header('mediawiki-api-error', failure.code);
      for (const [k, v] of Object.entries(failure.headers)) reply.header(k, v);
      return reply.send(JSON.stringify({ error }));
    }
  });
  app.get('/', async (_req, reply) => reply.redirect(pagePath(services.config, 'Main_Page')));
  await registerOpsRoutes(app, services);
  await registerWebRoutes(app, services);
  return app;
}

/** The module a request named, for the metrics: one of the registry's, "help" (none given) or "unknown". */
function moduleOf(api: Api, request: FastifyRequest): string {
  const pick = (v: unknown) => (Array.isArray(v) ? v[v.length - 1] : v);
  const body = request.body && typeof request.body === 'object' ? (request.body as Record<string, unknown>) : {};
  const action = pick(body.action) ?? pick((request.query as Record<string, unknown> | undefined)?.action);
  if (action === undefined || action === '') return 'help';
  return typeof action === 'string' && api.modules.actions.has(action) ? action : 'unknown';
}

type HttpError = Error & { statusCode?: number; code?: string };

/**
 * One line per request, when it is answered, at debug: fastify's own two lines at info would make an
 * info log mostly request lines. What fails is logged at its own level wherever it is handled.
 */
class RequestLines extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = { req: request, res: reply, responseTime: Math.round(reply.elapsedTime * 10) / 10 };
    if (error) reply.log.warn({ ...line, err: error.message }, 'request errored');
    else reply.log.debug(line, 'request completed');
  }
}

/**
 * Multipart fields become the body, as urlencoded ones do (a file part counts as its text; a repeated
 * name keeps every value). The whole body is held to BODY_LIMIT, which fastify's own limit does not
 * cover for multipart; a body that cannot be parsed is the client's error (400), on pages too.
 */
async function readMultipart(request: FastifyRequest): Promise<void> {
  if (!request.isMultipart()) return;
  const declared = Number(request.headers['content-length']);
  const tooBig = () => Object.assign(new Error('body over the limit'), { statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' });
  if (declared > BODY_LIMIT) throw tooBig();
  const body: Record<string, string | string[]> = Object.create(null);
  let size = 0;
  try {
    for await (const part of request.parts()) {
      // A field sent as application/json arrives parsed: it is a parameter's text again.
      const text = part.type === 'field' ? (typeof part.value === 'string' ? part.value : JSON.stringify(part.value) ?? '') : '';
      const bytes = part.type === 'file' ? await part.toBuffer() : Buffer.from(text, 'utf8');
      size += bytes.length + Buffer.byteLength(part.fieldname);
      if (size > BODY_LIMIT || (part.type === 'field' && part.valueTruncated)) throw tooBig();
      const value = bytes.toString('utf8');
      const prev = body[part.fieldname];
      body[part.fieldname] = prev === undefined ? value : [...(Array.isArray(prev) ? prev : [prev]), value];
    }
  } catch (err) {
    // Over a limit stays 413; anything else about the body (truncated, no boundary, a field the library
    // refuses: a name like "constructor", broken JSON in an application/json part) is a bad request.
    const e = err as HttpError;
    e.statusCode = e.statusCode === 413 ? 413 : 400;
    throw e;
  }
  request.body = body;
}

/** The API error for a request fastify could not hand to the API, or that failed on its way. */
function requestFailure(err: HttpError, services: Services): ApiError {
  const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
  // An internal failure: 503 when the database or Redis is unavailable, 500 otherwise (logged).
  if (status === 500) return toApiError(err, services);
  if (err.code === 'FST_PARTS_LIMIT' || err.code === 'FST_FIELDS_LIMIT' || err.code === 'FST_FILES_LIMIT') {
    return new ApiError('toomanyparams', 'apierror-toomanyparams', [MAX_PARAMS], null, 413);
  }
  if (status === 413) return new ApiError('toobig', 'apierror-toobig', [BODY_LIMIT], null, 413);
  return new ApiError('badrequest', 'apierror-badrequest', [], null, 400);
}

export interface RunningServer {
  app: FastifyInstance;
  services: Services;
  url: string;
  close(): Promise<void>;
}

/** A JSON logger whose request lines carry the path only: query strings and bodies can hold secrets. */
export function createLogger(level: string): PinoLogger {
  return pino({
    level,
    redact: { paths: ['req.headers.cookie', 'req.headers.authorization', 'res.headers["set-cookie"]'], remove: true },
    serializers: {
      // The client's address, and the peer's when a trusted proxy forwarded it.
      req: (r: { method: string; url: string; ip?: string; clientIp?: string }) => ({
        method: r.method,
        path: r.url.split('?')[0],
        ip: r.clientIp ?? r.ip,
        ...(r.clientIp !== undefined && r.clientIp !== canonicalAddress(r.ip ?? '') ? { peer: r.ip } : {}),
      }),
      res: (r: { statusCode: number }) => ({ statusCode: r.statusCode }),
    },
  });
}

export async function startServer(config: Config, o: ServiceOverrides & { log?: PinoLogger } = {}): Promise<RunningServer> {
  const services = await createServices(config, { ...o, logger: o.logger ?? o.log });
  const app = await buildApp(services, { log: o.log });
  services.startWorkers();
  await app.listen({ host: config.host, port: config.port });
  const actual = app.server.address();
  const port = typeof actual === 'object' && actual ? actual.port : config.port;
  return {
    app,
    services,
    url: `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`,
    async close() {
      await app.close();
      await services.close();
    },
  };
}
