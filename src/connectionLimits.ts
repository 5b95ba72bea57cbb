// What the HTTP front does before a request reaches fastify: time limits on receiving a request, a cap
// on the connections one address holds, and readable answers when a request cannot be read (too long a
// request line or header block, too slow, not HTTP) — written so that the client gets to read them.
import type { Server, ServerOptions } from 'node:http';
import type { Socket } from 'node:net';
import { canonicalAddress, ipLimitKey, type TrustedProxies } from './util/clientAddress.js';
import type { Logger } from './util/logger.js';

/** The longest request line plus header block read (Node's default, as nginx's 4 × 8 KiB roughly). */
export const MAX_HEADER_BYTES = 16 * 1024;
/** After an error answer, how long the rest of what the client sends is read and dropped before closing. */
const LINGER_MS = 5000;

export interface ConnectionSettings {
  requestTimeoutMs: number;
  headersTimeoutMs: number;
  maxConnectionsPerAddress: number;
}

/**
 * Options for http.createServer. Node checks the timeouts every connectionsCheckingInterval (30 s by
 * default, which would let a stalled request live twice its time): here a quarter of the shorter one.
 */
export function httpServerOptions(c: ConnectionSettings): ServerOptions {
  return {
    requestTimeout: c.requestTimeoutMs,
    headersTimeout: c.headersTimeoutMs,
    connectionsCheckingInterval: Math.min(1000, Math.max(100, Math.floor(Math.min(c.requestTimeoutMs, c.headersTimeoutMs) / 4))),
    maxHeaderSize: MAX_HEADER_BYTES,
  };
}

/** A plain-text answer written straight to the socket, then the connection is closed gently. */
function answer(socket: Socket, status: number, reason: string, text: string, extra = ''): void {
  const body = `${status} ${reason}\n\n${text}\n`;
  if (socket.writable && !socket.writableEnded) {
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\n${extra}Connection: close\r\n\r\n${body}`,
    );
  }
  // Closing at once would discard what the client is still sending, and the kernel would answer that
  // with a reset that can destroy our answer before the client reads it. So: our side ends, the rest is
  // read and dropped for a while, then the connection goes.
  socket.end();
  socket.on('error', () => {});
  socket.resume();
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

const METHOD_START = /^[A-Z]{3,12} /;

/**
 * fastify's clientErrorHandler: the request could not be read. A request line longer than the limit is
 * 414, a header block 431, a request that did not arrive in time 408, anything else 400. Node reports an
 * overflow for both alike; it is the request line when nothing before the overflow ended a line and the
 * data starts with a method.
 */
export function clientErrorHandler(c: ConnectionSettings): (err: Error & { code?: string; rawPacket?: Buffer; bytesParsed?: number }, socket: Socket) => void {
  const answered = new WeakSet<Socket>();
  return (err, socket) => {
    if (err.code === 'ECONNRESET' || socket.destroyed || answered.has(socket)) return;
    answered.add(socket);
    // A response already started (a handler is writing): nothing readable can be added, only an end.
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    if (err.code === 'HPE_HEADER_OVERFLOW') {
      const raw = err.rawPacket;
      const parsed = raw ? raw.subarray(0, Math.max(0, Math.min(raw.length, err.bytesParsed ?? raw.length))) : null;
      const requestLine = parsed !== null && !parsed.includes(10) && METHOD_START.test(parsed.subarray(0, 16).toString('latin1'));
      if (requestLine) {
        answer(socket, 414, 'URI Too Long', `The request line is longer than the ${MAX_HEADER_BYTES} bytes this server reads. Send long parameters in the body of a POST request.`);
      } else {
        answer(socket, 431, 'Request Header Fields Too Large', `The request's header lines (cookies included) are longer than the ${MAX_HEADER_BYTES} bytes this server reads.`);
      }
      return;
    }
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      answer(socket, 408, 'Request Timeout', `The request did not arrive in full within ${Math.round(c.requestTimeoutMs / 1000)} seconds.`);
      return;
    }
    answer(socket, 400, 'Bad Request', 'The request is not valid HTTP.');
  };
}

/**
 * At most `max` connections at once from one address (IPv6: one /64, as the limits count it), counted
 * by the peer of the connection: a trusted proxy is not capped (its clients are known only once their
 * headers are read, and its own limits apply). A connection over the cap is answered 503 and closed
 * before HTTP reads anything from it. The refusal is logged once each time an address reaches the cap.
 */
export function capConnectionsPerAddress(server: Server, max: number, trusted: TrustedProxies, log?: Logger): void {
  if (max <= 0) return;
  const open = new Map<string, number>();
  const refusing = new Set<string>();
  // The HTTP server reads a connection from its 'connection' listeners: they are called only for
  // connections under the cap.
  const accept = server.listeners('connection') as Array<(socket: Socket) => void>;
  server.removeAllListeners('connection');
  server.on('connection', (socket: Socket) => {
    const peer = socket.remoteAddress === undefined ? '' : (canonicalAddress(socket.remoteAddress) ?? socket.remoteAddress);
    if (trusted.has(peer)) {
      for (const l of accept) l.call(server, socket);
      return;
    }
    const key = ipLimitKey(peer);
    const n = open.get(key) ?? 0;
    if (n >= max) {
      if (!refusing.has(key)) {
        refusing.add(key);
        log?.warn({ address: key, max }, 'connections refused: too many open from one address');
      }
      answer(socket, 503, 'Service Unavailable', `Too many connections from your address (at most ${max} at once). Close some and try again.`, 'Retry-After: 10\r\n');
      return;
    }
    open.set(key, n + 1);
    socket.once('close', () => {
      const left = (open.get(key) ?? 1) - 1;
      if (left > 0) open.set(key, left);
      else open.delete(key);
      if (left < max) refusing.delete(key);
    });
    for (const l of accept) l.call(server, socket);
  });
}
