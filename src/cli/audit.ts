// mwauth audit: the audit trail (logins, resets and what became of them, mail, password changes).
import { InvalidArgumentError, type Command } from 'commander';
import { AUDIT_TYPES, type AuditEvent } from '../audit/log.js';
import { DAY_MS } from '../audit/retention.js';
import { MAX_RETENTION_DAYS } from '../config.js';
import { isoTimestamp } from '../util/clock.js';
import { CliError, type Io, type WithServices } from './common.js';
import { userName } from './users.js';

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** "24h", "30m", "7d", "2w", "90s", or an ISO 8601 date/time; returns milliseconds since the epoch. */
export function parseSince(raw: string, now: number): number {
  const v = raw.trim();
  const d = /^(\d+)\s*([smhdw])$/i.exec(v);
  if (d) return now - Number(d[1]) * UNITS[d[2]!.toLowerCase()]!;
  if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(v)) {
    // A date or a time without a zone is UTC, as every time mwauth prints.
    const iso = /T|\s/.test(v) && !/(Z|[+-]\d{2}:?\d{2})$/.test(v) ? `${v.replace(' ', 'T')}Z` : v;
    const t = Date.parse(iso);
    if (!Number.isNaN(t)) return t;
  }
  throw new CliError(`--since takes a duration (24h, 30m, 7d, 2w) or an ISO 8601 time, got "${raw}"`);
}

/** --older-than: whole days, 1 to MAX_RETENTION_DAYS (0 would remove everything, which is never meant). */
export function parseDays(raw: string): number {
  const v = raw.trim();
  const n = /^\d+$/.test(v) ? Number(v) : NaN;
  if (!(n >= 1 && n <= MAX_RETENTION_DAYS)) {
    throw new InvalidArgumentError(`--older-than takes a whole number of days from 1 to ${MAX_RETENTION_DAYS}.`);
  }
  return n;
}

export function formatEvent(e: AuditEvent): string {
  const user = e.userName ? `${e.userName}${e.userId ? ` (#${e.userId})` : ''}` : e.userId ? `#${e.userId}` : '-';
  return [isoTimestamp(e.time), e.type, user, e.ip ?? '-', JSON.stringify(e.details)].join('\t');
}

export function registerAuditCommands(program: Command, withServices: WithServices, io: Io): void {
  const audit = program
    .command('audit')
    .description('show the audit trail, oldest first (never passwords, tokens or session ids)')
    .option('--user <name>', 'events about this account')
    .option('--since <when>', 'from this time on: a duration back from now (24h, 30m, 7d) or an ISO 8601 time')
    .option('--type <type>', `one event type, or a prefix such as "login." or "login.*" (${AUDIT_TYPES.join(', ')})`)
    .option('--limit <n>', 'the newest N events', '1000')
    .option('--json', 'one JSON object per line')
    .action((opts: { user?: string; since?: string; type?: string; limit: string; json?: boolean }) =>
      withServices(async (s) => {
        const limit = Number(opts.limit);
        if (!Number.isInteger(limit) || limit < 1) throw new CliError('--limit must be a positive integer');
        const type = opts.type?.trim();
        if (type !== undefined) {
          const prefix = type.replace(/\*$/, '');
          const known = prefix.endsWith('.') ? AUDIT_TYPES.some((t) => t.startsWith(prefix)) : (AUDIT_TYPES as readonly string[]).includes(prefix);
          if (!known) throw new CliError(`unknown event type "${type}"; known: ${AUDIT_TYPES.join(', ')}`);
        }
        const events = await s.audit.query({
          user: opts.user === undefined ? undefined : userName(opts.user),
          since: opts.since === undefined ? undefined : parseSince(opts.since, s.clock.now()),
          type,
          limit,
        });
        for (const e of events) {
          io.out(opts.json ? JSON.stringify({ ...e, time: isoTimestamp(e.time) }) : formatEvent(e));
        }
        if (events.length === 0 && !opts.json) io.out('(no events)');
      }),
    );

  // The server prunes on its own (MWAUTH_AUDIT_RETENTION_DAYS); this is for a shorter trail or a cron job.
  audit
    .command('prune')
    .description('remove the events older than MWAUTH_AUDIT_RETENTION_DAYS, or than --older-than DAYS')
    .option('--older-than <days>', 'remove the events older than this many days (default: MWAUTH_AUDIT_RETENTION_DAYS)', parseDays)
    .action((opts: { olderThan?: number }, cmd: Command) =>
      withServices(async (s) => {
        const days = opts.olderThan ?? s.config.auditRetentionDays;
        if (days === 0) {
          cmd.error('mwauth: MWAUTH_AUDIT_RETENTION_DAYS is 0, which keeps the audit trail forever; give --older-than DAYS to prune it', { exitCode: 2 });
        }
        const before = s.clock.now() - days * DAY_MS;
        const removed = await s.audit.prune(before);
        io.out(`removed ${removed} audit event${removed === 1 ? '' : 's'} older than ${days} days (before ${isoTimestamp(before)})`);
      }),
    );
}
