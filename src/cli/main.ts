// The `mwauth` command: the server and the operator's account tools.
// Each command loads only what it needs: its group's definitions (the one named first on the command line;
// all of them for the help), and, when it runs, either the stores alone or the whole services; the HTTP
// server only for `serve`. So `mwauth user list` loads no API module, no mail and no worker.
import { Command, CommanderError, Option } from 'commander';
import { ConfigError, loadConfig } from '../config.js';
import { CliError, type Io, type WithServices, type WithStores } from './common.js';

const stdio: Io = { out: (l) => process.stdout.write(l + '\n'), err: (l) => process.stderr.write(l + '\n') };

export async function main(argv: string[], io: Io = stdio, env = process.env): Promise<number> {
  let exit = 0;
  // A command reads and changes the database, and may queue mail (composed from the settings the server
  // recorded); it never runs the reset worker nor delivers: that is the server's work, with its settings.
  const withServices: WithServices = async (fn) => {
    const config = loadConfig(env);
    const { createServices } = await import('../services.js');
    const services = await createServices(config, { role: 'cli' });
    try {
      await fn(services);
    } finally {
      await services.close(0);
    }
  };

  const program = new Command('mwauth')
    .description('A MediaWiki Action API server for accounts and password recovery')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });

  program
    .command('serve')
    .description('run the HTTP server (MWAUTH_* environment variables configure it)')
    .addOption(new Option('--port <port>', 'port to listen on').env('MWAUTH_PORT'))
    .action(async (opts: { port?: string }, cmd: Command) => {
      // A --port given on the command line wins over MWAUTH_PORT; loadConfig checks it either way.
      const fromCli = cmd.getOptionValueSource('port') === 'cli' && opts.port !== undefined;
      exit = await serve(fromCli ? { ...env, MWAUTH_PORT: opts.port } : env, io);
    });

  const withStores: WithStores = async (fn) => {
    const config = loadConfig(env);
    const { withStoreAccess } = await import('./stores.js');
    await withStoreAccess(config, fn);
  };

  try {
    for (const group of groupsFor(argv)) await GROUPS[group](program, withServices, withStores, io);
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof ConfigError) {
      io.err(`mwauth: configuration error: ${err.message}`);
      return 2;
    }
    if (err instanceof CliError) {
      io.err(`mwauth: ${err.message}`);
      return 1;
    }
    io.err(`mwauth: ${(err as Error).message}`);
    return 1;
  }
  return exit;
}

type Register = (program: Command, withServices: WithServices, withStores: WithStores, io: Io) => Promise<void>;

/** The command groups, in the help's order; each adds its commands to the program. */
const GROUPS: Record<string, Register> = {
  user: async (p, ws, st, io) => (await import('./users.js')).registerUserCommands(p, ws, io, st),
  admin: async (p, ws, st, io) => (await import('./admin.js')).registerAdminCommands(p, ws, io),
  mail: async (p, ws, st, io) => (await import('./mail.js')).registerMailCommands(p, ws, io),
  audit: async (p, ws, st, io) => (await import('./audit.js')).registerAuditCommands(p, ws, io),
  secret: async (p, ws, st, io) => (await import('./secret.js')).registerSecretCommands(p, st, io),
  import: async (p, ws, st, io) =>
    (await import('./import.js')).registerImportCommands(p, ws, { ...io, tty: io === stdio && process.stderr.isTTY ? process.stderr : null }),
};
/** The group that defines each top-level command (serve is the program's own). */
const COMMAND_GROUP: Record<string, string> = { serve: '', user: 'user', block: 'admin', botpassword: 'admin', mail: 'mail', audit: 'audit', secret: 'secret', import: 'import', export: 'import' };

/**
 * The groups a command line needs: the one of its first word when that names a command, every group
 * otherwise (no command, the help, or a mistyped name, which commander answers with the whole list).
 */
export function groupsFor(argv: readonly string[]): string[] {
  const at = argv.findIndex((a) => !a.startsWith('-'));
  const first = at === -1 ? undefined : argv[at]!;
  const named = first !== undefined && Object.hasOwn(COMMAND_GROUP, first) ? COMMAND_GROUP[first] : undefined;
  // `mwauth --help user` is the program's help, which lists every command.
  const programHelp = argv.slice(0, at === -1 ? argv.length : at).some((a) => a === '--help' || a === '-h');
  if (named === undefined || first === 'help' || programHelp) return Object.keys(GROUPS);
  return named.split(' ').filter(Boolean);
}

async function serve(env: NodeJS.ProcessEnv, io: Io): Promise<number> {
  const config = loadConfig(env);
  const { createLogger, startServer } = await import('../server.js');
  const { apiUrl } = await import('../site/urls.js');
  const log = createLogger(config.logLevel);
  const server = await startServer(config, { log });
  io.out(`mwauth: serving ${apiUrl(config)} (listening on ${server.url}); mail ${config.smtpUrl ? 'by SMTP' : `to ${config.mailDir}`}`);
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'shutting down');
      server.close().then(
        () => resolve(0),
        (err: Error) => {
          log.error({ err: err.message }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
