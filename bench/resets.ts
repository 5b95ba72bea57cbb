// npm run bench:resets [-- --resets 5000 --unknown 0.5 --profile worker.cpuprofile]
//
// The reset worker alone: how many reset requests a second it takes from the queue and turns into
// mail in the outbox (a temporary password on the account, the mail composed, sealed and queued, the
// limits counted, the audit events written), on a SQLite file database, with the limits on as in
// `mwauth serve` (their allowances raised so that the burst is not stopped by them). Requests are recorded
// first, as the request path records them; then the worker drains them. `--unknown` is the share of requests
// naming no account (they do the same stand-in work).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createPasswordHasher } from '../src/auth/passwords.js';
import { loadConfig } from '../src/config.js';
import { createServices } from '../src/services.js';

const { values: args } = parseArgs({
  options: {
    resets: { type: 'string', default: '5000' },
    unknown: { type: 'string', default: '0' },
    /** Writes a CPU profile of the worker's run (not the set-up) to this file. */
    profile: { type: 'string', default: '' },
  },
});
const RESETS = Number(args.resets);
const UNKNOWN = Number(args.unknown);

const dir = mkdtempSync(join(tmpdir(), 'mwauth-bench-resets-'));
const config = loadConfig({
  MWAUTH_DATA_DIR: dir,
  MWAUTH_SERVER: 'http://bench.test',
  MWAUTH_SITENAME: 'Bench Wiki',
  MWAUTH_PASSWORD_SENDER: 'wiki@bench.test',
  MWAUTH_LOG_LEVEL: 'warn',
  // One requester, many accounts: the per-IP, budget and per-network limits would stop the burst.
  MWAUTH_RESET_IP_LIMIT: '100000000/3600',
  MWAUTH_MAIL_BUDGET: '100000000/3600',
  MWAUTH_MAIL_BUDGET_PER_NETWORK: '100000000/3600',
});
const quiet = () => {};
const loud = (level: string) => (o: object, msg: string) => console.error(`   [${level}] ${msg} ${JSON.stringify(o)}`);
async function startProfile() {
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<any>((resolve, reject) => session.post(method, params, (err, r) => (err ? reject(err) : resolve(r))));
  await post('Profiler.enable');
  await post('Profiler.start');
  return { stop: async () => (await post('Profiler.stop')).profile };
}

const s = await createServices(config, { hasher: createPasswordHasher({ iterations: 1000 }), logger: { info: quiet, warn: loud('warn'), error: loud('error') } });
try {
  const hash = await s.hasher.hash('Initial-Pass-1');
  await s.stores.transaction(async (tx) => {
    for (let i = 0; i < RESETS; i++) await tx.users.create({ name: `Bench ${i + 1}`, email: `bench${i + 1}@example.org`, passwordHash: hash });
  });
  console.log(`mwauth reset worker benchmark — node ${process.version}, ${availableParallelism()} CPUs, SQLite file database, ${RESETS} requests (${Math.round(UNKNOWN * 100)} % naming no account)`);
  // Recorded as the request path records them (not through it: that would wake the worker at once).
  await s.db.transaction().execute(async (trx) => {
    for (let i = 0; i < RESETS; i++) {
      const unknown = (i * 7919) % 1000 < UNKNOWN * 1000;
      await trx.insertInto('reset_request').values({
        rr_created: Date.now(), rr_performer_id: 0, rr_performer_name: '192.0.2.1', rr_performer_ip: '192.0.2.1',
        rr_username: unknown ? `Nobody ${i + 1}` : `Bench ${i + 1}`, rr_email: null, rr_status: 'pending', rr_next_attempt: Date.now(), rr_processed: null,
      }).execute();
    }
  });
  const profiler = args.profile ? await startProfile() : null;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let handled = 0;
  for (let n = -1; n !== 0; ) handled += n = await s.recoveryWorker.runOnce();
  const workMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  if (profiler) writeFileSync(args.profile!, JSON.stringify(await profiler.stop()));
  const queued = Number((await s.db.selectFrom('outbox').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  console.log(`   reset worker (request → outbox):        ${Math.round((handled / workMs) * 1000).toLocaleString('en').padStart(7)} requests/s   (${handled} handled, ${queued} mails queued, ${(workMs / 1000).toFixed(2)} s)`);
  // On a shared machine the wall-clock rate follows the other load; the CPU time per request does not.
  console.log(`   CPU time of this process:               ${(cpuMs / handled).toFixed(3)} ms per request (${Math.round((handled / cpuMs) * 1000).toLocaleString('en')} requests per CPU-second); load average ${loadavg()[0]!.toFixed(1)}`);
  if (handled !== RESETS) throw new Error(`only ${handled} of ${RESETS} handled`);
} finally {
  await s.close(0);
  rmSync(dir, { recursive: true, force: true });
}
