// npm run bench:mail [-- --messages 5000 --resets 5000 --pool 5 --hash-iterations 30000 --smtp-delay-ms 0]
//
// 1. Throughput from the outbox to a local SMTP server (smtp-server in a separate process): the
//    same messages sent with 1 pooled connection, with `--pool` pooled connections, and with a new
//    connection per message (no pool), by the real DeliveryWorker and SmtpTransport.
// 2. A burst of password resets through the real services (request → reset worker → outbox →
//    delivery → SMTP), with the workers running as in `mwauth serve`: how long each mail waited in
//    the outbox (queued → accepted by the SMTP server) and end to end (reset accepted → accepted),
//    at p50 and p99.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import nodemailer from 'nodemailer';
import { loadPerformer } from '../src/accounts/performer.js';
import { createPasswordHasher, DEFAULT_PBKDF2_ITERATIONS } from '../src/auth/passwords.js';
import { loadConfig } from '../src/config.js';
import { Outbox } from '../src/mail/outbox.js';
import { MailSeal } from '../src/mail/seal.js';
import { parseSmtpUrl } from '../src/mail/settings.js';
import { classifySmtpError, SmtpTransport, type MailTransport } from '../src/mail/transport.js';
import { DeliveryWorker } from '../src/mail/worker.js';
import { percentile } from '../src/mail/metrics.js';
import { createServices } from '../src/services.js';
import { openDatabase } from '../src/storage/db.js';
import { cryptoRandom, systemClock } from '../src/util/clock.js';

const { values: args } = parseArgs({
  options: {
    messages: { type: 'string', default: '5000' },
    resets: { type: 'string', default: '5000' },
    pool: { type: 'string', default: '5' },
    'hash-iterations': { type: 'string', default: String(DEFAULT_PBKDF2_ITERATIONS) },
    'smtp-delay-ms': { type: 'string', default: '0' },
    'skip-unpooled': { type: 'boolean', default: false },
  },
});
const MESSAGES = Number(args.messages);
const RESETS = Number(args.resets);
const POOL = Number(args.pool);
const ITERATIONS = Number(args['hash-iterations']);
const SMTP_DELAY = Number(args['smtp-delay-ms']);

const SINK = `
import { SMTPServer } from 'smtp-server';
const delay = ${SMTP_DELAY};
let accepted = 0;
const server = new SMTPServer({
  authOptional: true, disabledCommands: ['AUTH', 'STARTTLS'], logger: false, closeTimeout: 100, disableReverseLookup: true,
  onData(stream, session, cb) {
    stream.on('data', () => {});
    stream.on('end', () => { accepted++; delay ? setTimeout(cb, delay) : cb(); });
  },
});
server.listen(0, '127.0.0.1', () => process.send({ port: server.server.address().port }));
process.on('message', (m) => { if (m === 'count') process.send({ accepted }); });
`;

/** smtp-server in its own process, so it does not share the event loop being measured. */
async function startSink(): Promise<{ port: number; child: ChildProcess; accepted(): Promise<number> }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', SINK], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], cwd: process.cwd() });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { port: number }) => resolve(m.port));
    child.once('exit', (code) => reject(new Error(`SMTP sink exited (${code})`)));
  });
  return {
    port,
    child,
    accepted: () =>
      new Promise((resolve) => {
        child.once('message', (m: { accepted: number }) => resolve(m.accepted));
        child.send('count');
      }),
  };
}

/** A new SMTP connection for every message: what pooling saves. */
class UnpooledTransport implements MailTransport {
  readonly concurrency: number;
  private readonly t;
  constructor(port: number, concurrency: number) {
    this.concurrency = concurrency;
    this.t = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, pool: false });
  }
  async send(msg: { from: string; to: string; raw: string }): Promise<void> {
    try {
      await this.t.sendMail({ envelope: { from: msg.from, to: [msg.to] }, raw: msg.raw });
    } catch (err) {
      throw classifySmtpError(err);
    }
  }
  async close(): Promise<void> {
    this.t.close();
  }
}

const fmtRate = (n: number, ms: number) => `${Math.round((n / ms) * 1000).toLocaleString('en')} msg/s`;
const fmtMs = (ms: number | null) => (ms === null ? '-' : ms < 10_000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);

async function throughput(sinkPort: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mwauth-bench-'));
  const handle = await openDatabase({ databaseUrl: null, dataDir: dir });
  // Sealed and opened as in `mwauth serve`: the temporary password is the mail's secret.
  const seal = new MailSeal('bench-secret-0123456789');
  const outbox = new Outbox({ db: handle.db, clock: systemClock, random: cryptoRandom, from: 'wiki@bench.test', fromName: 'Bench Wiki', domain: 'bench.test', seal });
  const fill = async () => {
    await handle.db.deleteFrom('outbox').execute();
    const t0 = performance.now();
    for (let i = 0; i < MESSAGES; i += 500) {
      await handle.db.transaction().execute(async (trx) => {
        for (let j = i; j < Math.min(MESSAGES, i + 500); j++) {
          const temp = cryptoRandom.bytes(5).toString('hex');
          await outbox.enqueue(trx, {
            kind: 'password-reset', userId: j + 1, to: `user${j}@example.org`, toName: `User ${j}`,
            subject: 'Your Bench Wiki password reset',
            text: `Someone asked for a new password for your account.\n\nUser name: User ${j}\nTemporary password: ${temp}\n\nLog in at <http://bench.test/wiki/Special:UserLogin>.`,
            lang: 'en', dir: 'ltr', secrets: [temp],
          });
        }
      });
    }
    return performance.now() - t0;
  };
  const drain = async (transport: MailTransport) => {
    const worker = new DeliveryWorker({ db: handle.db, clock: systemClock, transport, maxAttempts: 3, seal });
    const t0 = performance.now();
    let handled = 0;
    for (let n = -1; n !== 0; ) handled += n = await worker.runOnce();
    const ms = performance.now() - t0;
    const counts = await outbox.counts();
    await transport.close();
    if (counts.sent !== MESSAGES) throw new Error(`only ${counts.sent} of ${MESSAGES} sent (${JSON.stringify(counts)})`);
    return { ms, handled };
  };

  console.log(`\n1) outbox → SMTP (smtp-server on 127.0.0.1 in its own process${SMTP_DELAY ? `, ${SMTP_DELAY} ms per DATA` : ''}), ${MESSAGES} messages, SQLite file database`);
  const enqMs = await fill();
  console.log(`   enqueue (compose + insert, 500 per transaction)   ${fmtRate(MESSAGES, enqMs).padStart(12)}`);
  const runs: Array<[string, () => MailTransport]> = [
    ['pooled, 1 connection', () => new SmtpTransport(parseSmtpUrl(`smtp://127.0.0.1:${sinkPort}`, { poolSize: 1, startTls: 'never' }))],
    [`pooled, ${POOL} connections`, () => new SmtpTransport(parseSmtpUrl(`smtp://127.0.0.1:${sinkPort}`, { poolSize: POOL, startTls: 'never' }))],
  ];
  // smtp-server holds its greeting 100 ms on every new connection (early-talker check), much as a
  // real server's TCP/TLS set-up and checks cost: this is the price pooling avoids.
  if (!args['skip-unpooled']) runs.push([`no pool, new connection per message, ${POOL} at once`, () => new UnpooledTransport(sinkPort, POOL)]);
  for (const [i, [label, make]] of runs.entries()) {
    if (i > 0) await fill();
    const { ms } = await drain(make());
    console.log(`   ${label.padEnd(50)} ${fmtRate(MESSAGES, ms).padStart(12)}   (${(ms / 1000).toFixed(2)} s)`);
  }
  if (!args['skip-unpooled']) console.log('   (each new connection waits for the greeting, which smtp-server holds 100 ms)');
  await handle.close();
  rmSync(dir, { recursive: true, force: true });
}

async function burst(sinkPort: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mwauth-bench-'));
  const config = loadConfig({
    MWAUTH_DATA_DIR: dir,
    MWAUTH_SERVER: 'http://bench.test',
    MWAUTH_SITENAME: 'Bench Wiki',
    MWAUTH_PASSWORD_SENDER: 'wiki@bench.test',
    MWAUTH_SMTP_URL: `smtp://127.0.0.1:${sinkPort}`,
    MWAUTH_SMTP_STARTTLS: 'never',
    MWAUTH_SMTP_POOL_SIZE: String(POOL),
    // The burst comes from one address and exceeds the site's default hourly mail budget on purpose.
    MWAUTH_RESET_IP_LIMIT: '100000000/3600',
    MWAUTH_MAIL_BUDGET: '100000000/3600',
    MWAUTH_MAIL_BUDGET_PER_NETWORK: '100000000/3600',
  });
  // Problems (a failed request, a mail that could not be sent) are printed; routine lines are not.
  const quiet = () => {};
  const loud = (level: string) => (o: object, msg: string) => console.error(`   [${level}] ${msg} ${JSON.stringify(o)}`);
  const logger = { info: quiet, warn: loud('warn'), error: loud('error') };
  const s = await createServices(config, { hasher: createPasswordHasher({ iterations: ITERATIONS }), logger });
  const hash = await s.hasher.hash('Initial-Pass-1');
  await s.stores.transaction(async (tx) => {
    for (let i = 0; i < RESETS; i++) await tx.users.create({ name: `Bench ${i + 1}`, email: `bench${i + 1}@example.org`, passwordHash: hash });
  });
  const anon = await loadPerformer(s, 0, '192.0.2.1');

  console.log(`\n2) burst of ${RESETS} password resets through the services (temporary passwords keyed with HMAC-SHA256; PBKDF2 ${ITERATIONS} iterations for main passwords; pool ${POOL})`);
  s.startWorkers();
  const t0 = Date.now();
  for (let i = 0; i < RESETS; i++) await s.recovery.request(anon, { user: `Bench ${i + 1}`, email: null });
  const recordedMs = Date.now() - t0;
  console.log(`   ${RESETS} reset requests recorded in ${fmtMs(recordedMs)}`);
  let last = -1;
  let lastChange = Date.now();
  for (;;) {
    const c = await s.outbox.counts();
    if (c.sent === RESETS) break;
    if (c.sent !== last) {
      last = c.sent;
      lastChange = Date.now();
    } else if (Date.now() - lastChange > 60_000) throw new Error(`stuck at ${c.sent} sent: ${JSON.stringify(c)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const totalMs = Date.now() - t0;
  const rows = await s.db
    .selectFrom('outbox')
    .innerJoin('user', 'user.user_id', 'outbox.ob_user')
    .innerJoin('reset_request', 'reset_request.rr_username', 'user.user_name')
    .select(['ob_created', 'ob_sent', 'rr_created'])
    .execute();
  const queue = rows.map((r) => Number(r.ob_sent) - Number(r.ob_created)).sort((a, b) => a - b);
  const e2e = rows.map((r) => Number(r.ob_sent) - Number(r.rr_created)).sort((a, b) => a - b);
  const stats = await s.outbox.stats();
  console.log(`   all ${RESETS} mails accepted by the SMTP server ${fmtMs(totalMs)} after the first request (${Math.round((RESETS / totalMs) * 1000)} resets/s end to end)`);
  console.log(`   queue latency (queued in the outbox → accepted by SMTP):  p50 ${fmtMs(percentile(queue, 50))}   p99 ${fmtMs(percentile(queue, 99))}   max ${fmtMs(queue.at(-1) ?? null)}`);
  console.log(`   end to end (reset request accepted → accepted by SMTP):    p50 ${fmtMs(percentile(e2e, 50))}   p99 ${fmtMs(percentile(e2e, 99))}   max ${fmtMs(e2e.at(-1) ?? null)}`);
  console.log(`   delivery counters: ${JSON.stringify(stats.process)}`);
  await s.close();
  rmSync(dir, { recursive: true, force: true });
}

const sink = await startSink();
console.log(`mwauth mail benchmark — node ${process.version}, ${availableParallelism()} CPUs, ${process.platform}`);
try {
  if (MESSAGES > 0) await throughput(sink.port);
  if (RESETS > 0) await burst(sink.port);
  console.log(`\nSMTP server accepted ${await sink.accepted()} messages in all.`);
} finally {
  sink.child.kill();
}
