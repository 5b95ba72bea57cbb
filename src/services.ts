// The composition root: every backend is built here from the configuration and handed down.
// Nothing else reaches for a global.
import type { BlockStore } from './accounts/blocks.js';
import { CachedBlockStore, sqliteBlockChanges, type BlockChanges } from './accounts/blockCache.js';
import { AccountCreation } from './accounts/create.js';
import type { PreferenceStore } from './accounts/preferences.js';
import type { UserStore } from './accounts/users.js';
import { AuditLog } from './audit/log.js';
import { auditMailOutcome } from './audit/mailEvents.js';
import { AuditRetention } from './audit/retention.js';
import { BotPasswords } from './auth/botpasswords.js';
import { PasswordChanges } from './auth/passwordChanges.js';
import { Authenticator } from './auth/login.js';
import { LoginFlow } from './auth/loginFlow.js';
import { createPasswordHasher, type PasswordHasher } from './auth/passwords.js';
import { createTemporaryPasswordHasher, type TemporaryPasswordHasher } from './auth/tempPasswordHash.js';
import type { Config } from './config.js';
import { createI18n, type I18n } from './i18n/index.js';
import type { Counters } from './limits/counters.js';
import { AddressLimit } from './mail/limits.js';
import { Outbox } from './mail/outbox.js';
import { MailSeal } from './mail/seal.js';
import { readSiteSettings, recordSiteSettings, siteSettingsOf, type SiteSettings } from './mail/site.js';
import { createTransport, NoDelivery, type MailTransport } from './mail/transport.js';
import { DeliveryWorker } from './mail/worker.js';
import { RecoveryService } from './recovery/service.js';
import { RecoveryWorker } from './recovery/worker.js';
import { checkAndRecordSecret } from './secrets/fingerprint.js';
import { Keyring } from './secrets/keyring.js';
import { RememberTokens } from './sessions/rememberTokens.js';
import { SessionManager } from './sessions/manager.js';
import type { SessionStore } from './sessions/store.js';
import { openDatabase, type Db, type SqlDialect } from './storage/db.js';
import { QueryTap, type QueryEvent } from './storage/queryTap.js';
import { sqlStores } from './storage/sql/stores.js';
import type { Stores } from './storage/stores.js';
import { ipLimitKey } from './util/clientAddress.js';
import { createOps, type Ops } from './ops/index.js';
import { watchPasses } from './ops/workers.js';
import type { ResetMetricOutcome } from './ops/metrics.js';
import { cryptoRandom, systemClock, type Clock, type Random } from './util/clock.js';
import { silentLogger, type Logger } from './util/logger.js';

/** Longest wait between a reset's mail being queued and its delivery starting. */
const RESET_MAIL_JITTER_MS = 1000;

/**
 * 'server': `mwauth serve` (and tests standing in for it): it runs the reset worker and delivers mail, and
 * records its site settings for command-line runs. 'cli': a one-shot command: it may queue mail, composed
 * from the settings the server recorded, but runs no worker and delivers nothing.
 */
export type ServicesRole = 'server' | 'cli';

/**
 * What the front ends (API modules, pages, CLI commands) call: each flow's door in its domain, and what
 * they read to translate requests and answers. Nothing here reaches the database around a door.
 */
export interface Doors {
  config: Config;
  /**
   * The site mail is composed for: the server's own settings; in a command-line run, those the server
   * recorded (null when no server has run on this database yet: then no mail can be composed).
   */
  site: SiteSettings | null;
  /** The database's kind (siteinfo's dbtype). */
  dialect: SqlDialect;
  clock: Clock;
  random: Random;
  logger: Logger;
  i18n: I18n;
  users: UserStore;
  preferences: PreferenceStore;
  blocks: BlockStore;
  botPasswords: BotPasswords;
  auth: Authenticator;
  /** The login flow and every other step that gives a session a privilege or changes it. */
  loginFlow: LoginFlow;
  /** The one place a password changes (with its invalidations, audit event and notice mail). */
  passwordChanges: PasswordChanges;
  /** The one door for new accounts (API, Special:CreateAccount, `mwauth user add`). */
  accountCreation: AccountCreation;
  /** The one door for reset requests (API and Special:PasswordReset). */
  recovery: RecoveryService;
  audit: AuditLog;
  sessions: SessionManager;
}

/** The doors, and what only the process that owns the backends runs: database, workers, transport. */
export interface Services extends Doors {
  role: ServicesRole;
  /**
   * The database as a Kysely handle, for the tables no store covers yet (reset requests, the outbox);
   * everything else goes through `stores`.
   */
  db: Db;
  /** Every store in the database, and the unit of work over them (src/storage/stores.ts). */
  stores: Stores;
  hasher: PasswordHasher;
  /** Stores and checks temporary passwords (keyed with the server secret; older slow hashes too). */
  tempPasswords: TemporaryPasswordHasher;
  counters: Counters;
  recoveryWorker: RecoveryWorker;
  outbox: Outbox;
  /** Every mail counts against its address (MWAUTH_RESET_ADDRESS_LIMIT); a command line counts, never refuses. */
  addressLimit: AddressLimit;
  transport: MailTransport;
  delivery: DeliveryWorker;
  /** Readiness, metrics, the workers' watches and the counting of backend failures (src/ops/). */
  ops: Ops;
  /** Starts the background workers (a server only: the CLI's one-shot commands have none). */
  startWorkers(): void;
  /** Lets queued work finish within `graceMs`, then closes every backend. */
  close(graceMs?: number): Promise<void>;
}

/** The doors alone, as the API modules and pages get them. */
export function doorsOf(s: Services): Doors {
  const { config, site, dialect, clock, random, logger, i18n, users, preferences, blocks, botPasswords, auth, loginFlow, passwordChanges, accountCreation, recovery, audit, sessions } = s;
  return { config, site, dialect, clock, random, logger, i18n, users, preferences, blocks, botPasswords, auth, loginFlow, passwordChanges, accountCreation, recovery, audit, sessions };
}

export interface ServiceOverrides {
  clock?: Clock;
  random?: Random;
  logger?: Logger;
  transport?: MailTransport;
  hasher?: PasswordHasher;
  /** How often the periodic maintenance (sweeps, audit retention) looks for work; default ten minutes. */
  maintenanceIntervalMs?: number;
  /** Default 'server'. */
  role?: ServicesRole;
  /** Told of every statement the stores send to the database (tests count a request's statements). */
  onQuery?: (e: QueryEvent) => void;
}

export async function createServices(config: Config, o: ServiceOverrides = {}): Promise<Services> {
  const clock = o.clock ?? systemClock;
  const random = o.random ?? cryptoRandom;
  const logger = o.logger ?? silentLogger;
  const keys = new Keyring(config.secrets);
  // With MWAUTH_REDIS_URL, sessions and counters live in Redis, shared by every node; a Redis that cannot
  // be reached stops start-up here.
  const shared = config.redisUrl ? await openRedisBackends(config, keys, clock, logger) : null;
  const handle = await openDatabase(config).catch(async (err: unknown) => {
    await shared?.close();
    throw err;
  });
  const db = o.onQuery ? handle.db.withPlugin(new QueryTap(o.onQuery)) : handle.db;
  // Block look-ups are kept in memory while this process can hear of every change: through Redis, or on
  // SQLite through the file's data version. (PostgreSQL or MariaDB/MySQL without Redis: never kept.)
  const blockChanges: BlockChanges | null = shared?.blockChanges ?? (handle.dataVersion ? sqliteBlockChanges(handle.dataVersion) : null);
  const stores = sqlStores(db, { clock, random, keys, blocksChanged: blockChanges ? () => blockChanges.changed() : undefined });
  if (blockChanges) stores.blocks = new CachedBlockStore(stores.blocks, blockChanges, clock);
  const role = o.role ?? 'server';
  if (handle.newerMigrations?.length) {
    logger.warn({ migrations: handle.newerMigrations }, 'the database was migrated by a newer mwauth: this older version runs beside it (finish the upgrade soon)');
  }
  let site: SiteSettings | null;
  try {
    if (role === 'server') {
      await shared?.blockChanges.listen();
      // A node whose secret is not the one the others sign with stops here, naming MWAUTH_SECRET.
      await checkAndRecordSecret(stores.siteSettings, { keys, shared: handle.dialect !== 'sqlite', generatedSecretFile: config.generatedSecretFile }, clock.now());
      site = siteSettingsOf(config);
      await recordSiteSettings(stores.siteSettings, site, clock.now());
    } else site = (await readSiteSettings(stores.siteSettings))?.site ?? null;
  } catch (err) {
    await handle.close();
    await shared?.close();
    throw err;
  }
  // What mail says and where it comes from: the server's settings, whichever process composes it.
  const mailSite = site ?? siteSettingsOf(config);
  const i18n = createI18n({ sitename: mailSite.sitename });
  const hasher = o.hasher ?? createPasswordHasher({ random });
  const tempPasswords = createTemporaryPasswordHasher({ keys, slow: hasher, random });
  const counters: Counters = shared?.counters ?? stores.counters;
  const { users, preferences, blocks } = stores;
  // The account a queued mail is for: the outbox is read through its own code until it has a store.
  let mailAccount: (outboxId: number) => Promise<number | null> = async () => null;
  const audit = new AuditLog({
    store: stores.audit,
    users,
    clock,
    mailAccount: (id) => mailAccount(id),
    onError: (err) => logger.error({ err: err.message }, 'audit event not recorded'),
  });
  const botPasswords = new BotPasswords(stores.botPasswords, hasher);
  const sessionStore: SessionStore = shared?.sessions ?? stores.sessions;
  const sessions = new SessionManager(
    {
      store: sessionStore,
      users: {
        account: (id) => users.view(id),
        botPasswordToken: (id, app) => botPasswords.token(id, app),
      },
      remembered: new RememberTokens(stores.rememberTokens, clock, random, keys),
      counters,
      addressKey: ipLimitKey,
      onLimited: (ip, range, [count, seconds]) => audit.record({ type: 'sessions.ip-limited', ip, details: { range, limit: `${count}/${seconds}` } }),
      clock,
      random,
    },
    {
      keys,
      cookiePrefix: config.cookiePrefix,
      secure: config.server.startsWith('https:'),
      idleSeconds: config.sessionIdleSeconds,
      cookieExpiration: config.cookieExpiration,
      extendedLoginCookieExpiration: config.extendedLoginCookieExpiration,
      ipLimit: config.sessionIpLimit,
    },
  );
  const auth = new Authenticator({
    users,
    botPasswords: stores.botPasswords,
    hasher,
    tempPasswords,
    counters,
    clock,
    throttle: config.loginThrottle,
    newPasswordExpiry: config.newPasswordExpiry,
    audit,
    passwordChanges: { change: (...a) => passwordChanges.change(...a) },
    onLogin: (kind, result) => ops.metrics.login(kind, result),
  });
  // A command-line run never sends: not with the shell's SMTP settings, nor into the shell's mail folder.
  const transport = role === 'cli' ? new NoDelivery() : (o.transport ?? createTransport({ smtp: config.mail.smtp, mailDir: config.mailDir, dkim: config.mail.dkim }));
  const seal = new MailSeal(keys);
  const outbox = new Outbox({
    db,
    clock,
    random,
    from: mailSite.sender,
    fromName: mailSite.sitename,
    domain: mailSite.sender.split('@')[1]!,
    seal,
  });
  const ops = createOps({ db, clock, mail: outbox.metrics, redisPing: shared?.ping ?? null, logger });
  const auditOutcome = auditMailOutcome(audit);
  mailAccount = async (id) => {
    const row = await outbox.get(id);
    return row ? Number(row.ob_user) : null;
  };
  const delivery = new DeliveryWorker({
    db, clock, transport, logger, random, seal, metrics: outbox.metrics, maxAttempts: config.mail.maxAttempts,
    onOutcome: (o) => {
      auditOutcome(o);
      ops.metrics.delivery(o.status);
      ops.workers.mail.progress();
    },
  });
  watchPasses(delivery.queue, ops.workers.mail);
  const addressLimit = new AddressLimit(counters, config.resetAddressLimit, role === 'server');
  const passwordChanges = new PasswordChanges({
    stores, hasher, sessions, outbox, audit, i18n, clock,
    // Without a recorded site (a command line before any server ran) there is nothing to compose a notice from.
    config: site ? { server: site.server, articlePath: site.articlePath, language: site.language } : null,
    onQueued: () => delivery.kick(),
    addressLimit,
  });
  const accountCreation = new AccountCreation({
    stores, hasher, tempPasswords, counters, clock, random, audit, outbox, i18n,
    config: {
      server: mailSite.server,
      articlePath: mailSite.articlePath,
      language: mailSite.language,
      enableEmail: config.enableEmail,
      throttle: config.accountCreationThrottle,
      tempPasswordLength: config.tempPasswordLength,
      newPasswordExpiry: config.newPasswordExpiry,
    },
    onQueued: () => delivery.kick(),
  });
  const recoveryWorker = new RecoveryWorker({
    db,
    stores,
    users,
    preferences,
    tempPasswords,
    outbox,
    i18n,
    clock,
    random,
    logger,
    config: {
      server: mailSite.server,
      articlePath: mailSite.articlePath,
      language: mailSite.language,
      tempPasswordLength: config.tempPasswordLength,
      newPasswordExpiry: config.newPasswordExpiry,
      resendHours: config.passwordReminderResendTime,
      accountLimit: config.resetAccountLimit,
      addressLimit: config.resetAddressLimit,
      mailBudget: config.mailBudget,
      networkBudget: config.mailBudgetPerNetwork,
      maxAccounts: config.resetMaxAccounts,
      notifyUnknownAddress: config.notifyUnknownAddress,
    },
    // A reset's mail goes out at a random moment within a second, not at once: the delivery's work then
    // does not fall on the requester's next request, whose time would tell that the reset matched.
    onQueued: () => void setTimeout(() => delivery.kick(), random.bytes(2).readUInt16BE(0) % RESET_MAIL_JITTER_MS).unref(),
    counters,
    audit,
    onHandled: ({ outcome, limit }) => {
      ops.workers.reset.progress();
      ops.metrics.reset('handled');
      const specific: ResetMetricOutcome = outcome === 'queued' ? 'mailed' : outcome === 'limited' ? (`limited_${limit ?? 'account'}` as ResetMetricOutcome) : outcome;
      ops.metrics.reset(specific);
    },
  });
  watchPasses(recoveryWorker.queue, ops.workers.reset);
  const recovery = new RecoveryService({
    stores,
    counters,
    clock,
    config: { enableEmail: config.enableEmail, routes: config.resetRoutes, ipLimit: config.resetIpLimit },
    // After the response: the request path never waits for the lookup or the mail. A request recorded by a
    // command-line run waits for the server's worker.
    onRecorded: () => {
      ops.metrics.reset('accepted');
      // At a random moment within a second, like the mail: handling a request that matched costs a little
      // more than the stand-in work for one that did not, and that difference must not fall on the
      // requester's next request.
      if (role === 'server') setTimeout(() => void recoveryWorker.kick().catch(() => {}), random.bytes(2).readUInt16BE(0) % RESET_MAIL_JITTER_MS).unref();
    },
    onLimited: () => ops.metrics.reset('limited_ip'),
    audit,
  });

  const loginFlow = new LoginFlow({ auth, users, sessions, passwordChanges, audit, clock, reauthenticateSeconds: config.reauthenticateSeconds });

  const retention = new AuditRetention({ audit, clock, days: config.auditRetentionDays, logger });
  const timers: NodeJS.Timeout[] = [];
  let started = false;
  return {
    config, role, site, db, dialect: handle.dialect, stores, clock, random, logger, i18n, hasher, tempPasswords, counters, users, preferences, blocks, botPasswords,
    auth, loginFlow, sessions, recovery, recoveryWorker, outbox, addressLimit, transport, delivery, passwordChanges, accountCreation, audit, ops,
    startWorkers() {
      if (role !== 'server') throw new Error('a command-line run starts no workers: mail is the server\'s to send');
      if (started) return;
      started = true;
      ops.workers.reset.start();
      ops.workers.mail.start();
      // Mail queued by an older version with its secret in the clear is sealed (or, once sent, emptied).
      void outbox.sealOlderRows().catch((err: Error) => logger.error({ err: err.message }, 'older outbox rows not sealed'));
      delivery.start(1000);
      // Picks up requests left pending by a crash, and expired rows.
      void recoveryWorker.kick().catch(() => {});
      timers.push(setInterval(() => void recoveryWorker.kick().catch(() => {}), 5000).unref());
      // The audit trail is pruned at start and then at most once an hour (AuditRetention keeps the pace).
      void retention.run();
      timers.push(
        setInterval(() => {
          void sessionStore.sweep().catch(() => {});
          void sessions.sweep().catch(() => {});
          void counters.sweep().catch(() => {});
          // Handled reset requests are kept a day (the audit trail says what became of them), then removed.
          void recoveryWorker.purgeHandled(clock.now() - 86400_000).catch((err: Error) => logger.error({ err: err.message }, 'reset requests not purged'));
          void retention.run();
        }, o.maintenanceIntervalMs ?? 600_000).unref(),
      );
    },
    async close(graceMs = config.mail.shutdownGraceMs) {
      for (const t of timers) clearInterval(t);
      ops.workers.reset.stop();
      ops.workers.mail.stop();
      await retention.stop();
      // Requests still due are handled for at most the grace time; the rest wait in the table for the next start.
      if (role === 'server') await recoveryWorker.stop(graceMs);
      if (started) await delivery.stop(graceMs);
      await transport.close();
      await hasher.close();
      await audit.flush();
      await handle.close();
      await shared?.close();
    },
  };
}

/** Redis sessions and counters; the client is loaded only when MWAUTH_REDIS_URL is set. */
async function openRedisBackends(config: Config, keys: Keyring, clock: Clock, logger: Logger) {
  const [{ openRedis, closeRedis, redisCall }, { RedisSessionStore }, { RedisCounters }, { redisBlockChanges }] = await Promise.all([
    import('./storage/redis.js'),
    import('./storage/redis/sessions.js'),
    import('./storage/redis/counters.js'),
    import('./storage/redis/blockChanges.js'),
  ]);
  const client = await openRedis(config.redisUrl!, { logger });
  const blockChanges = redisBlockChanges(client, config.redisPrefix, logger);
  return {
    blockChanges,
    ping: () => redisCall(() => client.ping()),
    sessions: new RedisSessionStore(client, clock, keys, config.redisPrefix),
    counters: new RedisCounters(client, config.redisPrefix),
    close: () => {
      blockChanges.close();
      return closeRedis(client);
    },
  };
}
