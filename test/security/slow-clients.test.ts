// Slow and greedy clients over real sockets: a request that stalls is answered 408 and closed after the
// request timeout (a short one here), one address cannot hold more than its share of connections, and a
// request line or header block over the limit gets a 414 or 431 the client can read, body or not.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { loadConfig, ConfigError } from '../../src/config.js';
import { MAX_HEADER_BYTES } from '../../src/connectionLimits.js';
import { addUser, Client, startTestServer, type TestServer } from '../helpers/harness.js';

type Ctx = { after(fn: () => Promise<void> | void): void };

async function server(t: Ctx, env: Record<string, string> = {}): Promise<{ srv: TestServer; port: number; internal: string[]; warnings: string[] }> {
  const srv = await startTestServer({ env });
  t.after(() => srv.close());
  const internal: string[] = [];
  const warnings: string[] = [];
  const logger = srv.services.logger as { error(o: object, m: string): void; warn(o: object, m: string): void };
  logger.error = (o, m) => void internal.push(`${m} ${JSON.stringify(o)}`);
  logger.warn = (o, m) => void warnings.push(`${m} ${JSON.stringify(o)}`);
  return { srv, port: Number(new URL(srv.url).port), internal, warnings };
}

/** A raw connection from `from` (any 127.x.y.z is this machine) that records what the server sends. */
interface Raw {
  socket: net.Socket;
  received(): string;
  /** Resolves when the server has closed the connection (or reset it: `reset` says which). */
  closed: Promise<{ reset: boolean }>;
}

function connect(port: number, from = '127.0.0.1'): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', localAddress: from });
    let got = '';
    let reset = false;
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (got += d));
    socket.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ECONNRESET' || e.code === 'EPIPE') reset = true;
    });
    const closed = new Promise<{ reset: boolean }>((r) => socket.on('close', () => r({ reset })));
    socket.once('connect', () => resolve({ socket, received: () => got, closed }));
    socket.once('error', reject);
  });
}

const statusOf = (text: string) => Number(/^HTTP\/1\.1 (\d{3}) /.exec(text)?.[1] ?? 0);
const bodyOf = (text: string) => text.slice(text.indexOf('\r\n\r\n') + 4);

/** An ordinary request from another address, through fetch-like HTTP. */
async function tokens(srv: TestServer): Promise<number> {
  return (await new Client(srv.api).get({ action: 'query', meta: 'tokens', type: 'login' })).status;
}

describe('slow bodies and headers', () => {
  test('a body that stalls is answered 408 and closed after MWAUTH_REQUEST_TIMEOUT; the server serves others meanwhile', { timeout: 30_000 }, async (t) => {
    const { srv, port, internal } = await server(t, { MWAUTH_REQUEST_TIMEOUT: '1', MWAUTH_HEADERS_TIMEOUT: '1' });
    assert.equal(srv.services.config.requestTimeoutMs, 1000);
    for (const path of ['/w/api.php', '/wiki/Special:PasswordReset']) {
      const c = await connect(port);
      c.socket.write(`POST ${path} HTTP/1.1\r\nHost: wiki.test\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\naction=query&`);
      // The rest of the body never comes.
      assert.equal(await tokens(srv), 200, 'another request is served while this one stalls');
      const { reset } = await c.closed;
      assert.equal(reset, false, 'closed, not reset');
      assert.equal(statusOf(c.received()), 408, c.received());
      assert.match(bodyOf(c.received()), /^408 Request Timeout\n\nThe request did not arrive in full within 1 seconds\.\n$/);
    }
    // Headers that never end, and a connection that sends nothing at all, go the same way.
    const slowHeaders = await connect(port);
    slowHeaders.socket.write('GET /w/api.php HTTP/1.1\r\nHost: wiki.test\r\nX-Slow: a');
    const silent = await connect(port);
    silent.socket.write('G');
    for (const c of [slowHeaders, silent]) {
      await c.closed;
      assert.equal(statusOf(c.received()), 408, c.received());
    }
    // A multipart body that stalls too.
    const multi = await connect(port);
    const part = '--XX\r\nContent-Disposition: form-da';
    multi.socket.write(`POST /w/api.php HTTP/1.1\r\nHost: wiki.test\r\nContent-Type: multipart/form-data; boundary=XX\r\nTransfer-Encoding: chunked\r\n\r\n${part.length.toString(16)}\r\n${part}\r\n`);
    await multi.closed;
    assert.equal(statusOf(multi.received()), 408, multi.received());
    assert.equal(await tokens(srv), 200);
    assert.deepEqual(internal, []);
  });

  test('a request that arrives in time is not cut: a body sent in pieces within the timeout is answered', { timeout: 30_000 }, async (t) => {
    const { port } = await server(t, { MWAUTH_REQUEST_TIMEOUT: '5', MWAUTH_HEADERS_TIMEOUT: '5' });
    const c = await connect(port);
    const body = 'action=query&meta=tokens&type=login&format=json';
    c.socket.write(`POST /w/api.php HTTP/1.1\r\nHost: wiki.test\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`);
    for (const piece of body.match(/.{1,10}/g)!) {
      await new Promise((r) => setTimeout(r, 100));
      c.socket.write(piece);
    }
    await c.closed;
    assert.equal(statusOf(c.received()), 200, c.received());
    assert.match(bodyOf(c.received()), /"logintoken":"[0-9a-f]{32}/);
  });

  test('configuration: timeouts in whole seconds (30 and 10 by default), the headers one not longer; the cap 256 by default, 0 for none', () => {
    const load = (env: Record<string, string> = {}) => loadConfig({ MWAUTH_DATA_DIR: '/tmp/mwauth-none', ...env }, { persistSecret: false });
    const d = load();
    assert.deepEqual([d.requestTimeoutMs, d.headersTimeoutMs, d.maxConnectionsPerAddress], [30_000, 10_000, 256]);
    assert.equal(load({ MWAUTH_REQUEST_TIMEOUT: '5' }).headersTimeoutMs, 5000);
    assert.equal(load({ MWAUTH_MAX_CONNECTIONS_PER_ADDRESS: '0' }).maxConnectionsPerAddress, 0);
    for (const env of [{ MWAUTH_REQUEST_TIMEOUT: '0' }, { MWAUTH_REQUEST_TIMEOUT: '1.5' }, { MWAUTH_HEADERS_TIMEOUT: '40' }, { MWAUTH_MAX_CONNECTIONS_PER_ADDRESS: '-1' }] as Array<Record<string, string>>) {
      assert.throws(() => load(env), (e: Error) => e instanceof ConfigError && e.message.includes(Object.keys(env)[0]!), JSON.stringify(env));
    }
  });
});

describe('connections per address', () => {
  test('200 slow connections from one address against a cap of 64: 64 are held, the rest answered 503; other addresses are served all along', { timeout: 60_000 }, async (t) => {
    const { srv, port, internal, warnings } = await server(t, { MWAUTH_REQUEST_TIMEOUT: '120', MWAUTH_HEADERS_TIMEOUT: '120', MWAUTH_MAX_CONNECTIONS_PER_ADDRESS: '64' });
    const slow: Raw[] = [];
    for (let i = 0; i < 200; i++) {
      const c = await connect(port, '127.0.0.2');
      // Headers done, the body stalls: each holds its connection until the request timeout.
      c.socket.write('POST /w/api.php HTTP/1.1\r\nHost: wiki.test\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\na=');
      slow.push(c);
    }
    const refused = slow.slice(64);
    await Promise.all(refused.map((c) => c.closed));
    for (const c of refused) {
      assert.equal(statusOf(c.received()), 503, c.received());
      assert.match(bodyOf(c.received()), /^503 Service Unavailable\n\nToo many connections from your address \(at most 64 at once\)/);
    }
    for (const c of slow.slice(0, 64)) assert.equal(c.received(), '', 'the first 64 are still open, waiting');
    // Other addresses: a request from 127.0.0.3 and from 127.0.0.1 go through.
    const other = await connect(port, '127.0.0.3');
    other.socket.write('GET /w/api.php?action=query&meta=siteinfo&format=json HTTP/1.1\r\nHost: wiki.test\r\nConnection: close\r\n\r\n');
    await other.closed;
    assert.equal(statusOf(other.received()), 200, other.received());
    assert.equal(await tokens(srv), 200);
    assert.equal(warnings.filter((w) => w.includes('too many open from one address')).length, 1, 'logged once');
    // Once some close, the address may connect again.
    for (const c of slow.slice(0, 10)) c.socket.destroy();
    await Promise.all(slow.slice(0, 10).map((c) => c.closed));
    await new Promise((r) => setTimeout(r, 50));
    const again = await connect(port, '127.0.0.2');
    again.socket.write('GET /w/api.php?action=query&meta=siteinfo&format=json HTTP/1.1\r\nHost: wiki.test\r\nConnection: close\r\n\r\n');
    await again.closed;
    assert.equal(statusOf(again.received()), 200, again.received());
    for (const c of slow) c.socket.destroy();
    assert.deepEqual(internal, []);
  });

  test('a trusted proxy is not capped; MWAUTH_MAX_CONNECTIONS_PER_ADDRESS=0 caps nobody', { timeout: 60_000 }, async (t) => {
    for (const env of [{ MWAUTH_TRUSTED_PROXIES: '127.0.0.4', MWAUTH_MAX_CONNECTIONS_PER_ADDRESS: '3' }, { MWAUTH_MAX_CONNECTIONS_PER_ADDRESS: '0' }] as Array<Record<string, string>>) {
      const { port } = await server(t, env);
      const open: Raw[] = [];
      for (let i = 0; i < 10; i++) open.push(await connect(port, '127.0.0.4'));
      const last = open.at(-1)!;
      last.socket.write('GET /w/api.php?action=query&meta=siteinfo&format=json HTTP/1.1\r\nHost: wiki.test\r\nConnection: close\r\n\r\n');
      await last.closed;
      assert.equal(statusOf(last.received()), 200, `${JSON.stringify(env)}: ${last.received().slice(0, 100)}`);
      for (const c of open) c.socket.destroy();
    }
  });
});

describe('over-long request lines and header blocks', () => {
  const send = async (port: number, head: string, bodyBytes: number): Promise<{ text: string; reset: boolean }> => {
    const c = await connect(port);
    c.socket.write(head);
    if (bodyBytes) c.socket.write('x'.repeat(bodyBytes));
    const { reset } = await c.closed;
    return { text: c.received(), reset };
  };

  test('a 70 KB request line, with a 1 MB body behind it or none: a readable 414, every time', { timeout: 60_000 }, async (t) => {
    const { srv, port, internal } = await server(t);
    await addUser(srv.services, 'Alice', 'Alice-Pass-123');
    const query = `action=query&meta=tokens&x=${'a'.repeat(70_000)}`;
    for (let i = 0; i < 20; i++) {
      for (const [method, body] of [['POST', 1_000_000], ['GET', 0]] as const) {
        const head = `${method} /w/api.php?${query} HTTP/1.1\r\nHost: wiki.test\r\nContent-Type: application/x-www-form-urlencoded\r\n${body ? `Content-Length: ${body}\r\n` : ''}\r\n`;
        const r = await send(port, head, body);
        assert.equal(statusOf(r.text), 414, `${method} #${i}: ${r.text.slice(0, 200) || (r.reset ? '(reset, nothing read)' : '(nothing)')}`);
        assert.match(r.text, /\r\nContent-Type: text\/plain; charset=utf-8\r\n/);
        assert.match(r.text, /\r\nConnection: close\r\n/);
        assert.equal(bodyOf(r.text), `414 URI Too Long\n\nThe request line is longer than the ${MAX_HEADER_BYTES} bytes this server reads. Send long parameters in the body of a POST request.\n`);
      }
    }
    assert.equal(await tokens(srv), 200);
    assert.deepEqual(internal, []);
  });

  test('a huge header block (40 headers of 1 KB, or one cookie of 20 KB), with a body or not: a readable 431', { timeout: 60_000 }, async (t) => {
    const { port, internal } = await server(t);
    const many = Array.from({ length: 40 }, (_, i) => `X-Filler-${i}: ${'b'.repeat(1000)}\r\n`).join('');
    const cookie = `Cookie: big=${'c'.repeat(20_000)}\r\n`;
    for (let i = 0; i < 10; i++) {
      for (const [headers, body] of [[many, 1_000_000], [cookie, 0], [many, 0], [cookie, 500_000]] as const) {
        const r = await send(port, `POST /w/api.php HTTP/1.1\r\nHost: wiki.test\r\n${headers}Content-Length: ${body}\r\n\r\n`, body);
        assert.equal(statusOf(r.text), 431, r.text.slice(0, 200) || (r.reset ? '(reset, nothing read)' : '(nothing)'));
        assert.equal(bodyOf(r.text), `431 Request Header Fields Too Large\n\nThe request's header lines (cookies included) are longer than the ${MAX_HEADER_BYTES} bytes this server reads.\n`);
      }
    }
    assert.deepEqual(internal, []);
  });

  test('garbage instead of HTTP: a readable 400', async (t) => {
    const { port } = await server(t);
    const r = await send(port, 'HELLO THERE\r\n\r\n', 0);
    assert.equal(statusOf(r.text), 400, r.text);
    assert.equal(bodyOf(r.text), '400 Bad Request\n\nThe request is not valid HTTP.\n');
  });
});
