// The operator's endpoints, at the root whatever the script and article paths:
//   GET /healthz  the process is alive and its event loop turns: 200 always.
//   GET /readyz   this node can do its work (database, Redis, workers): 200, or 503 naming what is not.
//   GET /metrics  Prometheus' text format, to the addresses of MWAUTH_METRICS_ALLOW only (loopback by default).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../services.js';
import { canonicalAddress, TrustedProxies } from '../util/clientAddress.js';

function plain(reply: FastifyReply): FastifyReply {
  return reply.header('cache-control', 'no-store').header('x-content-type-options', 'nosniff');
}

export async function registerOpsRoutes(app: FastifyInstance, services: Services): Promise<void> {
  const allowed = new TrustedProxies(services.config.metricsAllow);
  const proxies = new TrustedProxies(services.config.trustedProxies);

  app.get('/healthz', async (_request, reply) => plain(reply).header('content-type', 'application/json; charset=utf-8').send('{"status":"alive"}'));

  app.get('/readyz', async (_request, reply) => {
    const r = await services.ops.readiness();
    const body = r.ready ? { status: 'ready', checks: r.checks } : { status: 'unavailable', failing: r.failing, checks: r.checks };
    return plain(reply).code(r.ready ? 200 : 503).header('content-type', 'application/json; charset=utf-8').send(JSON.stringify(body));
  });

  /**
   * Whether the metrics may be shown to this request: its client's address (past trusted proxies) is in
   * MWAUTH_METRICS_ALLOW. A request that a proxy forwarded (it carries X-Forwarded-For) from a peer that
   * is not a trusted proxy is refused: its real client is unknown, and a reverse proxy on this host would
   * otherwise pass the outside world's requests on from 127.0.0.1.
   */
  const mayRead = (request: FastifyRequest): boolean => {
    const peer = canonicalAddress(request.raw.socket?.remoteAddress ?? '') ?? '';
    const forwarded = request.headers['x-forwarded-for'] !== undefined || request.headers.forwarded !== undefined;
    if (forwarded && !proxies.has(peer)) return false;
    return allowed.has(request.clientIp);
  };

  app.get('/metrics', async (request, reply) => {
    if (!mayRead(request)) {
      return plain(reply).code(403).header('content-type', 'text/plain; charset=utf-8').send('403 Forbidden\n\nmetrics are served to the addresses in MWAUTH_METRICS_ALLOW only\n');
    }
    const text = await services.ops.metrics.render();
    return plain(reply).header('content-type', services.ops.metrics.contentType).send(text);
  });
}
