// The HTTP front: fastify routes to the API; everything below it knows nothing of HTTP.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { pino, type Logger as PinoLogger } from 'pino';
import formbody from '@fastify/formbody';
import multipart from '@fastify/multipart';
import { handleApi, type ApiResponse } from './api/main.js';
import type { Config } from './config.js';
import { createServices, type ServiceOverrides, type Services } from './services.js';
import { registerWebRoutes } from './web/index.js';

export const BODY_LIMIT = 8 * 1024 * 1024;

function send(reply: FastifyReply, res: ApiResponse): FastifyReply {
  reply.code(res.status);
  for (const [k, v] of Object.entries(res.headers)) reply.header(k, v);
  return reply.send(res.body);
}

export async function buildApp(services: Services, opts: { log?: PinoLogger } = {}): Promise<FastifyInstance> {
  const app: FastifyInstance = (Fastify as (o: object) => FastifyInstance)({
    ...(opts.log ? { loggerInstance: opts.log } : { logger: false }),
    bodyLimit: BODY_LIMIT,
    trustProxy: false,
  });
  await app.register(formbody);
  await app.register(multipart, {
    attachFieldsToBody: 'keyValues',
    limits: { fieldSize: BODY_LIMIT, fields: 1000, files: 10, fileSize: BODY_LIMIT, parts: 1000 },
    async onFile(part) {
      // A parameter sent as a file part arrives as its text.
      const chunks: Buffer[] = [];
      for await (const c of part.file) chunks.push(c as Buffer);
      (part as unknown as { value: string }).value = Buffer.concat(chunks).toString('utf8');
    },
  });
  // Any other body type is not parsed (as in MediaWiki): only the query string counts.
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, _body, done) => done(null, {}));

  const apiPath = `${services.config.scriptPath === '/' ? '' : services.config.scriptPath}/api.php`;
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const res = await handleApi(services, {
      method: request.method,
      query: request.query as Record<string, string>,
      body: request.body,
      headers: request.headers,
      ip: request.ip,
    });
    return send(reply, res);
  };
  app.route({ method: ['GET', 'HEAD', 'POST', 'OPTIONS', 'PUT', 'DELETE', 'PATCH'], url: apiPath, handler });

  app.setErrorHandler(async (err: Error & { statusCode?: number; code?: string }, request, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) services.logger.error({ err: err.message, path: request.url.split('?')[0] }, 'request failed');
    // Body errors (too large, malformed) still answer in the API's own shape.
    const code = status === 413 ? 'toobig' : status === 500 ? 'internal_api_error' : 'badrequest';
    reply.code(status === 500 ? 500 : status).header('content-type', 'application/json; charset=utf-8').header('mediawiki-api-error', code);
    const info =
      status === 413
        ? `The request is larger than the limit of ${BODY_LIMIT} bytes.`
        : status === 500
          ? 'An internal error occurred.'
          : 'The request could not be read.';
    return reply.send(JSON.stringify({ error: { code, info } }));
  });
  app.get('/', async (_req, reply) => reply.redirect(`${services.config.articlePath}/Main_Page`));
  await registerWebRoutes(app, services);
  return app;
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
      req: (r: { method: string; url: string; ip?: string }) => ({ method: r.method, path: r.url.split('?')[0], ip: r.ip }),
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
