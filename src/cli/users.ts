// mwauth user …: accounts from the command line.
import type { Command } from 'commander';
import { canonicalUserName, isCreatableName, isValidEmail } from '../accounts/names.js';
import { ASSIGNABLE_GROUPS } from '../accounts/rights.js';
import type { User } from '../accounts/users.js';
import { generateTemporaryPassword } from '../auth/tempPassword.js';
import type { Services } from '../services.js';
import { isoTimestamp } from '../util/clock.js';
import { CliError, type Io, type StoreAccess, type WithServices, type WithStores } from './common.js';

export function userName(raw: string): string {
  const name = canonicalUserName(raw);
  if (!name) throw new CliError(`"${raw}" is not a valid user name`);
  return name;
}

export async function existingUser(s: Pick<StoreAccess, 'users'>, raw: string): Promise<User> {
  const name = userName(raw);
  const user = await s.users.byName(name);
  if (!user) throw new CliError(`there is no user "${name}"`);
  return user;
}

function checkEmail(email: string): string {
  const e = email.trim();
  if (e && !isValidEmail(e)) throw new CliError(`"${email}" is not a valid email address`);
  return e;
}

/** A password given with --password, or a random one that is printed once. */
function choosePassword(s: Services, opts: { password?: string; randomPassword?: boolean }, io: Io): string {
  if (opts.password !== undefined && opts.randomPassword) throw new CliError('give either --password or --random-password');
  if (opts.randomPassword) {
    const pw = generateTemporaryPassword(20, s.random);
    io.out(`password: ${pw}`);
    return pw;
  }
  if (opts.password === undefined) throw new CliError('a password is needed: --password PASSWORD or --random-password');
  return opts.password;
}

const collect = (v: string, prev: string[]) => [...prev, v];

/** `withStores` runs the commands that need only the stores (by default, with the whole services). */
export function registerUserCommands(program: Command, withServices: WithServices, io: Io, withStores: WithStores = withServices): void {
  const user = program.command('user').description('manage accounts');

  user
    .command('add <name>')
    .description('create an account')
    .option('--email <address>', 'email address for password resets')
    .option('--password <password>', 'the password')
    .option('--random-password', 'generate a password and print it')
    .option('--group <group>', `add to a group (${ASSIGNABLE_GROUPS.join(', ')}); repeatable`, collect, [])
    .action((raw: string, opts: { email?: string; password?: string; randomPassword?: boolean; group: string[] }) =>
      withServices(async (s) => {
        const name = userName(raw);
        if (!isCreatableName(name)) throw new CliError(`user names may not contain "@", ":", ">" or invisible characters`);
        for (const g of opts.group) if (!ASSIGNABLE_GROUPS.includes(g)) throw new CliError(`unknown group "${g}"`);
        const email = checkEmail(opts.email ?? '');
        const password = choosePassword(s, opts, io);
        // The same door as the API and the page (policy, audit event); the operator needs no rights.
        const r = await s.accountCreation.create(
          'operator',
          { username: name, password: { password, retype: password }, email, realname: null, reason: null, mailPassword: false, groups: opts.group },
          'cli',
        );
        if (r.status === 'FAIL') throw new CliError(r.message.key === 'userexists' ? `the user "${name}" already exists` : s.i18n.text('en', r.message.key, ...r.message.params));
        io.out(`created user "${r.user.name}" (id ${r.user.id})`);
      }),
    );

  user
    .command('set-email <name> <address>')
    .description('change (or with "" remove) the email address')
    .action((raw: string, address: string) =>
      withStores(async (s) => {
        const u = await existingUser(s, raw);
        await s.users.setEmail(u.id, checkEmail(address));
        io.out(`email of "${u.name}" set`);
      }),
    );

  user
    .command('set-password <name>')
    .description('set a new password (ends the temporary password, other sessions and bot passwords)')
    .option('--password <password>', 'the password')
    .option('--random-password', 'generate a password and print it')
    .action((raw: string, opts: { password?: string; randomPassword?: boolean }) =>
      withServices(async (s) => {
        const u = await existingUser(s, raw);
        const password = choosePassword(s, opts, io);
        const problem = s.auth.validateNewPassword(u, await s.users.groups(u.id), password, null);
        if (problem) throw new CliError(s.i18n.text('en', problem.key, ...problem.params));
        await s.passwordChanges.change(u, password, { ip: null, via: 'cli' });
        io.out(`password of "${u.name}" changed`);
        if (u.email && !s.site) {
          // The notice is composed with the server's address and name, which only a server that ran records.
          io.err('mwauth: no "password changed" mail was queued: no server has run on this database yet, so the site\'s address and name are unknown');
        }
      }),
    );

  user
    .command('group <name> <group>')
    .description('add the user to a group (--remove to take it away)')
    .option('--remove', 'remove from the group instead')
    .action((raw: string, group: string, opts: { remove?: boolean }) =>
      withStores(async (s) => {
        const u = await existingUser(s, raw);
        if (!ASSIGNABLE_GROUPS.includes(group)) throw new CliError(`unknown group "${group}"`);
        if (opts.remove) await s.users.removeGroup(u.id, group);
        else await s.users.addGroup(u.id, group);
        io.out(`groups of "${u.name}": ${(await s.users.groups(u.id)).join(', ') || '(none)'}`);
      }),
    );

  user
    .command('show <name>')
    .description('show an account (never its passwords)')
    .action((raw: string) =>
      withServices(async (s) => {
        const u = await existingUser(s, raw);
        const block = await s.blocks.find(u.id, '');
        const bots = await s.botPasswords.list(u.id);
        const temp = u.newPassword
          ? `issued ${isoTimestamp(u.newPassTime ?? 0)}${s.auth.temporaryPasswordValid(u) ? '' : ' (expired)'}`
          : 'none';
        io.out(`name:               ${u.name}`);
        io.out(`id:                 ${u.id}`);
        io.out(`email:              ${u.email || '(none)'}`);
        io.out(`registered:         ${isoTimestamp(u.registration)}`);
        io.out(`groups:             ${(await s.users.groups(u.id)).join(', ') || '(none)'}`);
        io.out(`temporary password: ${temp}`);
        io.out(`blocked:            ${block ? `yes, by ${block.by}: ${block.reason}` : 'no'}`);
        io.out(`bot passwords:      ${bots.map((b) => `${b.appId}${b.valid ? '' : ' (must be reset)'}`).join(', ') || '(none)'}`);
      }),
    );

  user
    .command('list')
    .description('list accounts')
    .option('--limit <n>', 'at most this many', '1000')
    .action((opts: { limit: string }) =>
      withStores(async (s) => {
        const limit = Number(opts.limit);
        if (!Number.isInteger(limit) || limit < 1) throw new CliError('--limit must be a positive integer');
        for (const u of await s.users.list({ limit })) io.out(`${u.id}\t${u.name}\t${u.email || '-'}`);
      }),
    );
}
