// The `mwauth` command: the server and the operator's account tools.
// The services (database, mail) and the HTTP server are imported when a command first needs them, so
// `--help` loads neither and the one-shot commands never load fastify.
import { Command, CommanderError, Option } from 'commander';
import { ConfigError, loadConfig } from '../config.js';
import { apiUrl } from '../site/urls.js';
import { CliError, type Io, type WithServices } from './common.js';
import { registerUserCommands } from './users.js';
import { registerAdminCommands } from './admin.js';
import { registerAuditCommands } from './audit.js';
import { registerMailCommands } from './mail.js';
import { registerSecretCommands } from './secret.js';
import { registerImportCommands } from './import.js';

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

  registerUserCommands(program, withServices, io);
  registerAdminCommands(program, withServices, io);
  registerMailCommands(program, withServices, io);
  registerAuditCommands(program, withServices, io);
  registerSecretCommands(program, withServices, io);
  registerImportCommands(program, withServices, { ...io, tty: io === stdio && process.stderr.isTTY ? process.stderr : null });

  try {
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

async function serve(env: NodeJS.ProcessEnv, io: Io): Promise<number> {
  const config = loadConfig(env);
  const { createLogger, startServer } = await import('../server.js');
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
