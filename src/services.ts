// The composition root: every backend is built here from the configuration and handed down.
// Nothing else reaches for a global.
import { BlockStore } from './accounts/blocks.js';
import { UserStore } from './accounts/users.js';
import { createRegistry, type ModuleRegistry } from './api/modules/index.js';
import { AuditLog } from './audit/log.js';
import { auditMailOutcome } from './audit/mailEvents.js';
import { AuditRetention } from './audit/retention.js';
import { BotPasswordStore } from './auth/botpasswords.js';
import { PasswordChanges } from './auth/passwordChanges.js';
import { Authenticator } from './auth/login.js';
import { LoginFlow } from './auth/loginFlow.js';
import { createPasswordHasher, type PasswordHasher } from './auth/passwords.js';
import type { Config } from './config.js';
import { createI18n, type I18n } from './i18n/index.js';
import { SqlCounters, type Counters } from './limits/counters.js';
import { Outbox } from './mail/outbox.js';
import { createTransport, type MailTransport } from './mail/transport.js';
import { DeliveryWorker } from './mail/worker.js';
import { RecoveryService, ipLimitKey } from './recovery/service.js';
import { RecoveryWorker } from './recovery/worker.js';
import { RememberTokens } from './sessions/rememberTokens.js';
import { SessionManager } from './sessions/manager.js';
import { SqlSessionStore } from './sessions/store.js';
import { openDatabase, type Db } from './storage/db.js';
import { cryptoRandom, systemClock, type Clock, type Random } from './util/clock.js';

/** Longest wait between a reset's mail being queued and its delivery starting. */
const RESET_MAIL_JITTER_MS = 1000;

export interface Logger {
  info(o: object, msg: string): void;
  warn(o: object, msg: string): void;
  error(o: object, msg: string): void;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

export interface Services {
  config: Config;
  db: Db;
  dialect: 'sqlite' | 'postgres';
  clock: Clock;
  random: Random;
  logger: Logger;
  i18n: I18n;
  hasher: PasswordHasher;
  counters: Counters;
  users: UserStore;
  blocks: BlockStore;
  botPasswords: BotPasswordStore;
  auth: Authenticator;
  /** The login flow and every other step that gives a session a privilege or changes it. */
  loginFlow: LoginFlow;
  /** The one place a password changes (with its invalidations, audit event and notice mail). */
  passwordChanges: PasswordChanges;
  audit: AuditLog;
  sessions: SessionManager;
  recovery: RecoveryService;
  recoveryWorker: RecoveryWorker;
  outbox: Outbox;
  transport: MailTransport;
  delivery: DeliveryWorker;
  modules: ModuleRegistry;
  /** Starts the background workers (the CLI's one-shot commands do not). */
  startWorkers(): void;
  /** Lets queued work finish within `graceMs`, then closes every backend. */
  close(graceMs?: number): Promise<void>;
}

export interface ServiceOverrides {
  clock?: Clock;
  random?: Random;
  logger?: Logger;
  transport?: MailTransport;
  hasher?: PasswordHasher;
  /** How often the periodic maintenance (sweeps, audit retention) looks for work; default ten minutes. */
  maintenanceIntervalMs?: number;
}

export async function createServices(config: Config, o: ServiceOverrides = {}): Promise<Services> {
  const clock = o.clock ?? systemClock;
  const random = o.random ?? cryptoRandom;
  const logger = o.logger ?? silentLogger;
  // With MWAUTH_REDIS_URL, sessions and counters live in Redis, shared by every node; a Redis that cannot
  // be reached stops start-up here.
  const shared = config.redisUrl ? await openRedisBackends(config, clock, logger) : null;
  const handle = await openDatabase(config).catch(async (err: unknown) => {
    await shared?.close();
    throw err;
  });
  const db = handle.db;
  const i18n = createI18n({ sitename: config.sitename });
  const hasher = o.hasher ?? createPasswordHasher({ random });
  const counters = shared?.counters ?? new SqlCounters(db, clock);
  const audit = new AuditLog({ db, clock, onError: (err) => logger.error({ err: err.message }, 'audit event not recorded') });
  const users = new UserStore(db, clock, random);
  const blocks = new BlockStore(db, clock);
  const botPasswords = new BotPasswordStore(db, hasher, clock, random);
  const sessionStore = shared?.sessions ?? new SqlSessionStore(db, clock, config.secret);
  const sessions = new SessionManager(
    {
      store: sessionStore,
      users: {
        userToken: async (id) => (await users.byId(id))?.token ?? null,
        botPasswordToken: (id, app) => botPasswords.token(id, app),
      },
      remembered: new RememberTokens(db, clock, random, config.secret),
      counters,
      addressKey: ipLimitKey,
      onLimited: (ip, range, [count, seconds]) => audit.record({ type: 'sessions.ip-limited', ip, details: { range, limit: `${count}/${seconds}` } }),
      clock,
      random,
    },
    {
      secret: config.secret,
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
    botPasswords,
    hasher,
    counters,
    clock,
    throttle: config.loginThrottle,
    newPasswordExpiry: config.newPasswordExpiry,
    audit,
    passwordChanges: { change: (...a) => passwordChanges.change(...a) },
  });
  const transport = o.transport ?? createTransport({ smtp: config.mail.smtp, mailDir: config.mailDir, dkim: config.mail.dkim });
  const outbox = new Outbox({
    db,
    clock,
    random,
    from: config.passwordSender,
    fromName: config.sitename,
    domain: config.passwordSender.split('@')[1]!,
  });
  const delivery = new DeliveryWorker({
    db, clock, transport, logger, random, metrics: outbox.metrics, maxAttempts: config.mail.maxAttempts,
    onOutcome: auditMailOutcome(audit),
  });
  const passwordChanges = new PasswordChanges({
    db, users, botPasswords, hasher, sessions, outbox, audit, i18n, clock,
    config: { server: config.server, articlePath: config.articlePath, language: config.language },
    onQueued: () => delivery.kick(),
  });
  const recoveryWorker = new RecoveryWorker({
    db,
    users,
    hasher,
    outbox,
    i18n,
    clock,
    random,
    logger,
    config: {
      server: config.server,
      articlePath: config.articlePath,
      language: config.language,
      tempPasswordLength: config.tempPasswordLength,
      newPasswordExpiry: config.newPasswordExpiry,
      resendHours: config.passwordReminderResendTime,
      accountLimit: config.resetAccountLimit,
      addressLimit: config.resetAddressLimit,
      mailBudget: config.mailBudget,
      notifyUnknownAddress: config.notifyUnknownAddress,
    },
    // A reset's mail goes out at a random moment within a second, not at once: the delivery's work then
    // does not fall on the requester's next request, whose time would tell that the reset matched.
    onQueued: () => void setTimeout(() => delivery.kick(), random.bytes(2).readUInt16BE(0) % RESET_MAIL_JITTER_MS).unref(),
    counters,
    audit,
  });
  const recovery = new RecoveryService({
    db,
    counters,
    clock,
    config: { enableEmail: config.enableEmail, routes: config.resetRoutes, ipLimit: config.resetIpLimit },
    // After the response: the request path never waits for the lookup or the mail.
    onRecorded: () => setImmediate(() => void recoveryWorker.kick().catch(() => {})),
    audit,
  });

  const loginFlow = new LoginFlow({ auth, users, sessions, passwordChanges, audit, clock });

  const retention = new AuditRetention({ audit, clock, days: config.auditRetentionDays, logger });
  const timers: NodeJS.Timeout[] = [];
  let started = false;
  return {
    config, db, dialect: handle.dialect, clock, random, logger, i18n, hasher, counters, users, blocks, botPasswords,
    auth, loginFlow, sessions, recovery, recoveryWorker, outbox, transport, delivery, modules: createRegistry(), passwordChanges, audit,
    startWorkers() {
      if (started) return;
      started = true;
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
      await retention.stop();
      // Requests still due are handled for at most the grace time; the rest wait in the table for the next start.
      await recoveryWorker.stop(graceMs);
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
async function openRedisBackends(config: Config, clock: Clock, logger: Logger) {
  const [{ openRedis, closeRedis }, { RedisSessionStore }, { RedisCounters }] = await Promise.all([
    import('./storage/redis.js'),
    import('./sessions/redisStore.js'),
    import('./limits/redisCounters.js'),
  ]);
  const client = await openRedis(config.redisUrl!, { logger });
  return {
    sessions: new RedisSessionStore(client, clock, config.secret, config.redisPrefix),
    counters: new RedisCounters(client, config.redisPrefix),
    close: () => closeRedis(client),
  };
}
