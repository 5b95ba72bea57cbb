// mwauth block …, botpassword …: blocks and bot passwords.
import type { Command } from 'commander';
import { isIPAddress } from '../accounts/names.js';
import { blockRange } from '../util/clientAddress.js';
import { GRANTS } from '../accounts/rights.js';
import { generateBotPassword } from '../auth/tempPassword.js';
import { isoTimestamp } from '../util/clock.js';
import { CliError, type Io, type WithServices } from './common.js';
import { existingUser, userName } from './users.js';

export function registerAdminCommands(program: Command, withServices: WithServices, io: Io): void {
  const block = program.command('block').description('block accounts or IP addresses');
  block
    .command('add <target>')
    .description('block a user name or IP address (stops logins doing harm and password resets)')
    .option('--reason <text>', 'why', '')
    .option('--by <name>', 'who blocks', 'mwauth')
    .option('--expiry <hours>', 'hours until the block ends (default: never)')
    .option('--allow-account-creation', 'the block does not stop account creation and password resets')
    .action((target: string, opts: { reason: string; by: string; expiry?: string; allowAccountCreation?: boolean }) =>
      withServices(async (s) => {
        let expiry: number | null = null;
        if (opts.expiry !== undefined) {
          const h = Number(opts.expiry);
          if (!(h > 0)) throw new CliError('--expiry must be a positive number of hours');
          expiry = s.clock.now() + h * 3600_000;
        }
        const range = blockRange(target);
        if (range || isIPAddress(target)) {
          if (!range) throw new CliError(`"${target}" is not an IP address or range`);
          // As MediaWiki's default $wgBlockCIDRLimit: no range wider than a /16 (IPv4) or a /19 (IPv6).
          const v6 = range.start.startsWith('v6-');
          if (range.prefix < (v6 ? 19 : 16)) throw new CliError(`${range.target}: a range blocked at once may be at most a /${v6 ? 19 : 16}`);
          await s.blocks.add({ userId: 0, target: range.target, by: opts.by, reason: opts.reason, expiry, createAccount: !opts.allowAccountCreation });
          io.out(`blocked ${range.target}`);
          return;
        }
        const u = await existingUser(s, target);
        await s.blocks.add({ userId: u.id, target: u.name, by: opts.by, reason: opts.reason, expiry, createAccount: !opts.allowAccountCreation });
        io.out(`blocked "${u.name}"`);
      }),
    );
  block
    .command('remove <target>')
    .description('lift a block')
    .action((target: string) =>
      withServices(async (s) => {
        const range = blockRange(target);
        const key = range ? range.target : isIPAddress(target) ? target : userName(target);
        if (!(await s.blocks.remove(key))) throw new CliError(`"${key}" is not blocked`);
        io.out(`unblocked ${key}`);
      }),
    );
  block
    .command('list')
    .description('list blocks')
    .action(() =>
      withServices(async (s) => {
        for (const b of await s.blocks.list()) {
          const until = b.expiry === null ? 'infinite' : isoTimestamp(b.expiry);
          io.out(`${b.target}\tby ${b.by}\tuntil ${until}\t${b.createAccount ? 'no account creation' : ''}\t${b.reason}`);
        }
      }),
    );

  program
    .command('botpassword')
    .description('manage bot passwords')
    .command('add <name> <appid>')
    .description('create (or replace) the bot password NAME@APPID and print its password once')
    .option('--grants <list>', `comma-separated grants (${GRANTS.join(', ')})`, 'basic')
    .action((raw: string, appId: string, opts: { grants: string }) =>
      withServices(async (s) => {
        const u = await existingUser(s, raw);
        if (!/^[A-Za-z0-9_.-]{1,32}$/.test(appId)) throw new CliError('the app id may hold up to 32 letters, digits, ".", "_" or "-"');
        const grants = opts.grants.split(',').map((g) => g.trim()).filter(Boolean);
        for (const g of grants) if (!GRANTS.includes(g)) throw new CliError(`unknown grant "${g}"`);
        const password = generateBotPassword(s.random);
        await s.botPasswords.set(u.id, appId, password, grants);
        io.out(`bot password for ${u.name}@${appId} (grants: ${grants.join(', ') || 'none'}):`);
        io.out(password);
      }),
    );
}
