// mwauth mail …: what happened to a mail, and what to do about it.
import type { Command } from 'commander';
import type { OutboxSummary } from '../mail/outbox.js';
import { OUTBOX_STATUSES } from '../mail/schema.js';
import type { Services } from '../services.js';
import { isoTimestamp } from '../util/clock.js';
import { CliError, type Io, type WithServices } from './common.js';
import { userName } from './users.js';

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** "30d", "12h", "90m", "3600s", "2w" → milliseconds. */
export function parseAge(raw: string, flag = '--older-than'): number {
  const m = /^\s*(\d+)\s*([smhdw])\s*$/i.exec(raw);
  if (!m) throw new CliError(`${flag} takes a number and a unit: s, m, h, d or w (e.g. 30d), got "${raw}"`);
  return Number(m[1]) * UNITS[m[2]!.toLowerCase()]!;
}

/** 250 → "250ms", 1_500 → "1.5s", 93_000 → "1m33s", 90_061_000 → "1d1h". */
export function formatAge(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  if (ms < 60_000) return `${Math.round(ms / 100) / 10}s`;
  let s = Math.round(ms / 1000);
  const parts: string[] = [];
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['m', 60]] as const) {
    if (s >= size) {
      parts.push(`${Math.floor(s / size)}${unit}`);
      s %= size;
    }
  }
  if (s) parts.push(`${s}s`);
  return parts.slice(0, 2).join('');
}

function when(r: OutboxSummary): string {
  if (r.ob_status === 'sent' && r.ob_sent !== null) return `sent ${isoTimestamp(Number(r.ob_sent))}`;
  if (r.ob_status === 'failed') return `failed ${isoTimestamp(Number(r.ob_processed))}`;
  if (r.ob_status === 'sending') return `sending, lease until ${isoTimestamp(Number(r.ob_lease_until ?? 0))}`;
  return `next attempt ${isoTimestamp(Number(r.ob_next_attempt))}`;
}

async function messageRef(s: Services, ref: string): Promise<number> {
  const id = await s.outbox.resolve(ref);
  if (id === undefined) throw new CliError(`there is no mail "${ref}" (give its number from "mwauth mail list" or its Message-ID)`);
  return id;
}

/**
 * Adds the `mail` commands. When `mail` already exists (registered elsewhere), its subcommands of
 * the same names are replaced by these.
 */
export function registerMailCommands(program: Command, withServices: WithServices, io: Io): void {
  let mail = program.commands.find((c) => c.name() === 'mail');
  if (!mail) mail = program.command('mail');
  mail.description('the outgoing mail queue: what was sent, what failed, and why');
  const mine = new Set(['list', 'show', 'retry', 'purge', 'stats', 'test']);
  const subcommands = mail.commands as Command[];
  for (let i = subcommands.length - 1; i >= 0; i--) if (mine.has(subcommands[i]!.name())) subcommands.splice(i, 1);

  mail
    .command('list')
    .description('list mail, newest first: id, status, queued at, kind, recipient, attempts, last error (bodies are not shown)')
    .option('--status <status>', `only ${OUTBOX_STATUSES.join(', ')}`)
    .option('--to <address>', 'only mail to this address (any case)')
    .option('--user <name>', "only mail for this account")
    .option('--limit <n>', 'at most this many', '100')
    .option('--long', 'also show when it was sent, failed or will be tried next, and its Message-ID')
    .action((opts: { status?: string; to?: string; user?: string; limit: string; long?: boolean }) =>
      withServices(async (s) => {
        if (opts.status && !(OUTBOX_STATUSES as readonly string[]).includes(opts.status)) {
          throw new CliError(`--status must be one of ${OUTBOX_STATUSES.join(', ')}`);
        }
        const limit = Number(opts.limit);
        if (!Number.isInteger(limit) || limit < 1) throw new CliError('--limit must be a positive integer');
        let userId: number | undefined;
        if (opts.user !== undefined) {
          const u = await s.users.byName(userName(opts.user));
          if (!u) throw new CliError(`there is no user "${opts.user}"`);
          userId = u.id;
        }
        const rows = await s.outbox.list({ status: opts.status, to: opts.to, userId, limit });
        for (const r of rows) {
          const cols = [r.ob_id, r.ob_status, isoTimestamp(Number(r.ob_created)), r.ob_kind, r.ob_to, `attempts=${r.ob_attempts}`];
          if (opts.long) cols.push(when(r), r.ob_message_id);
          cols.push(r.ob_last_error ?? '');
          io.out(cols.join('\t').trimEnd());
        }
        if (rows.length === 0) io.out('(no mail)');
      }),
    );

  mail
    .command('show <id>')
    .description('show one mail (by number or Message-ID): its record, headers and text; passwords are masked')
    .option('--html', 'also show the HTML part')
    .action((ref: string, opts: { html?: boolean }) =>
      withServices(async (s) => {
        const view = await s.outbox.view(await messageRef(s, ref));
        if (!view) throw new CliError(`there is no mail "${ref}"`);
        const r = view.row;
        const user = Number(r.ob_user) > 0 ? await s.users.byId(Number(r.ob_user)) : null;
        const line = (k: string, v: string) => io.out(`${(k + ':').padEnd(14)}${v}`);
        line('id', String(r.ob_id));
        line('message-id', r.ob_message_id);
        line('status', r.ob_status);
        line('kind', r.ob_kind);
        line('user', Number(r.ob_user) > 0 ? `${user?.name ?? '(deleted)'} (id ${r.ob_user})` : '-');
        line('to', r.ob_to);
        line('queued', isoTimestamp(Number(r.ob_created)));
        line('attempts', `${r.ob_attempts} of ${s.site?.maxAttempts ?? s.config.mail.maxAttempts}`);
        if (r.ob_status === 'sent') line('sent', `${isoTimestamp(Number(r.ob_sent))} (after ${formatAge(Number(r.ob_sent) - Number(r.ob_created))})`);
        else if (r.ob_status === 'failed') line('failed', isoTimestamp(Number(r.ob_processed)));
        else if (r.ob_status === 'sending') line('sending', `lease until ${isoTimestamp(Number(r.ob_lease_until ?? 0))}`);
        else line('next attempt', isoTimestamp(Number(r.ob_next_attempt)));
        line('last error', r.ob_last_error ?? '-');
        io.out('');
        // Imported here, not at the top: `mwauth --help` should not load the mail composer.
        const { decodeWords } = await import('../mail/inspect.js');
        for (const [k, v] of view.message.headers) {
          const decoded = decodeWords(v);
          io.out(`${k}: ${decoded}`);
        }
        for (const part of view.message.parts) {
          if (part.contentType === 'text/html' && !opts.html) {
            io.out(`\n--- ${part.contentType} (not shown; --html shows it) ---`);
            continue;
          }
          io.out(`\n--- ${part.contentType} ---`);
          io.out(part.body.replace(/\n+$/, ''));
        }
        io.out(`\n(passwords masked${view.secretsRecorded ? '' : ' by their form: no secrets were recorded for this mail'})`);
      }),
    );

  mail
    .command('retry [id]')
    .description('send a failed mail again with fresh attempts (or make a queued one due now); --failed for every failed mail')
    .option('--failed', 'every failed mail')
    .action((ref: string | undefined, opts: { failed?: boolean }) =>
      withServices(async (s) => {
        if ((ref === undefined) === !opts.failed) throw new CliError('give a mail number or Message-ID, or --failed');
        if (opts.failed) {
          const n = await s.outbox.retryFailed();
          io.out(`${n} failed mail${n === 1 ? '' : 's'} queued again`);
          return;
        }
        const id = await messageRef(s, ref!);
        const r = await s.outbox.retry(id);
        if (!r.ok) {
          if (r.reason === 'sent') throw new CliError(`mail ${id} was already sent; it is not sent twice (ask for a new password reset instead)`);
          if (r.reason === 'sending') throw new CliError(`mail ${id} is being sent right now`);
          throw new CliError(`there is no mail "${ref}"`);
        }
        io.out(r.from === 'failed' ? `mail ${id} queued again` : `mail ${id} is due now`);
      }),
    );

  mail
    .command('purge')
    .description('delete old sent (and, with --failed, failed) mail; queued mail is never deleted')
    .option('--sent', 'sent mail accepted before the age given')
    .option('--failed', 'failed mail that failed before the age given')
    .option('--older-than <age>', 'e.g. 30d, 12h, 90m')
    .action((opts: { sent?: boolean; failed?: boolean; olderThan?: string }) =>
      withServices(async (s) => {
        if (!opts.sent && !opts.failed) throw new CliError('say what to delete: --sent and/or --failed');
        if (opts.olderThan === undefined) throw new CliError('--older-than is required (e.g. --older-than 30d)');
        const age = parseAge(opts.olderThan);
        const before = s.clock.now() - age;
        const n = await s.outbox.purge({ sent: opts.sent, failed: opts.failed, before });
        const what = [opts.sent ? 'sent' : '', opts.failed ? 'failed' : ''].filter(Boolean).join(' and ');
        io.out(`deleted ${n} ${what} mail${n === 1 ? '' : 's'} older than ${isoTimestamp(before)}`);
      }),
    );

  mail
    .command('stats')
    .description('the queue: messages per status, the oldest waiting, retries, and how fast mail went out')
    .option('--since <age>', 'latency of mail sent within this time', '24h')
    .option('--json', 'as JSON')
    .action((opts: { since: string; json?: boolean }) =>
      withServices(async (s) => {
        const since = parseAge(opts.since, '--since');
        const stats = await s.outbox.stats();
        const { summarize } = await import('../mail/metrics.js');
        const latency = summarize(await s.outbox.sentLatencies(s.clock.now() - since));
        if (opts.json) {
          io.out(JSON.stringify({ queue: stats.queue, oldestWaitingMs: stats.oldestWaitingMs, dueNow: stats.dueNow, retrying: stats.retrying, latencyMs: latency }));
          return;
        }
        io.out(`queued:         ${stats.queue.queued} (${stats.dueNow} due now, ${stats.retrying} after a failed attempt)`);
        io.out(`sending:        ${stats.queue.sending}`);
        io.out(`sent:           ${stats.queue.sent}`);
        io.out(`failed:         ${stats.queue.failed}`);
        io.out(`oldest waiting: ${stats.queue.queued + stats.queue.sending ? formatAge(stats.oldestWaitingMs) : '-'}`);
        io.out(
          `queue latency:  ${latency.count ? `p50 ${formatAge(latency.p50!)}, p99 ${formatAge(latency.p99!)}, max ${formatAge(latency.max!)} over ${latency.count} sent in the last ${opts.since}` : `nothing sent in the last ${opts.since}`}`,
        );
      }),
    );

  mail
    .command('test <address>')
    .description('queue a test mail to ADDRESS and wait for the server (mwauth serve) to send it with its own settings')
    .option('--wait <seconds>', 'how long to wait for the server to send it', '30')
    .action((address: string, opts: { wait: string }) =>
      withServices(async (s) => {
        if (!/^[^\s@<>]+@[^\s@<>]+$/.test(address)) throw new CliError(`"${address}" is not an email address`);
        const wait = Number(opts.wait);
        if (!Number.isInteger(wait) || wait < 0 || wait > 3600) throw new CliError('--wait takes a whole number of seconds from 0 to 3600');
        // The mail is the server's, composed from what it recorded and sent by it: what is tested is the server.
        const site = s.site;
        if (!site) throw new CliError('no server has run on this database yet: start "mwauth serve" (it sends the mail), then test again');
        // Counted against the address like every mail (an operator's test is never refused).
        await s.addressLimit.take(address);
        const id = await s.outbox.enqueue(s.db, {
          kind: 'test',
          userId: 0,
          to: address,
          subject: `Test mail from ${site.sitename}`,
          text: `This is a test mail from ${site.sitename} (${site.server}), sent with "mwauth mail test".\nIf it arrived, password reset mail will arrive too.`,
          lang: 'en',
          dir: 'ltr',
        });
        const end = Date.now() + wait * 1000;
        let row = await s.outbox.get(id);
        while (row && (row.ob_status === 'queued' || row.ob_status === 'sending') && Date.now() < end) {
          await new Promise((r) => setTimeout(r, 200));
          row = await s.outbox.get(id);
        }
        if (row?.ob_status === 'sent') io.out(`mail ${id} sent ${site.transport}`);
        else if (row?.ob_status === 'failed') throw new CliError(`mail ${id} failed ${site.transport}: ${row.ob_last_error}`);
        else {
          const why = row?.ob_last_error ? ` (last error: ${row.ob_last_error})` : '';
          throw new CliError(
            `mail ${id} is queued but was not sent within ${wait} s${why}; the server sends it ${site.transport} once it runs ("mwauth mail show ${id}")`,
          );
        }
      }),
    );
}
