// The raw ceiling of bench/api.ts: the project's own fastify, answering every GET of /w/api.php with the
// fixed body of an anonymous meta=tokens answer, nothing else. No server of this project can answer faster
// on this machine with this client; its figures are divided by this one's.
//
//   node bench/raw-server.mjs PORT     prints "listening" once it accepts connections
import Fastify from 'fastify';

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error('usage: node bench/raw-server.mjs PORT');
  process.exit(2);
}
const BODY = '{"batchcomplete":"","query":{"tokens":{"csrftoken":"+\\\\"}}}';
const app = Fastify({ logger: false });
app.get('/w/api.php', (_req, reply) => {
  reply.header('content-type', 'application/json; charset=utf-8').send(BODY);
});
await app.listen({ port, host: '127.0.0.1' });
console.log('listening');
process.once('SIGTERM', () => app.close().then(() => process.exit(0)));
