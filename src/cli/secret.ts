// mwauth secret …: whether this configuration's MWAUTH_SECRET fits the database, and replacing the
// secret the nodes sharing it are checked against (src/secrets/fingerprint.ts).
import type { Command } from 'commander';
import { fingerprint, readSecretRecord, recordOf, refusal, writeSecretRecord } from '../secrets/fingerprint.js';
import { Keyring } from '../secrets/keyring.js';
import { CliError, type Io, type WithStores } from './common.js';

export function registerSecretCommands(program: Command, withStores: WithStores, io: Io): void {
  const secret = program.command('secret').description('the server secret the nodes sharing this database use');
  secret
    .command('check')
    .description('whether a server with this MWAUTH_SECRET may start on this database (exit code 1 if not)')
    .action(() =>
      withStores(async (s) => {
        const keys = new Keyring(s.config.secrets);
        const record = await readSecretRecord(s.stores.siteSettings);
        if (!record) {
          io.out('no server has recorded a secret on this database yet: the first to start records its own');
          return;
        }
        const why = refusal(record, { keys, shared: s.dialect !== 'sqlite', generatedSecretFile: s.config.generatedSecretFile });
        if (why) throw new CliError(why);
        const signing = fingerprint(keys.signing) === record.signing;
        io.out(`MWAUTH_SECRET fits: ${signing ? 'its first secret is the one the site signs with' : 'it accepts the secret the site signs with'} (${keys.secrets.length} secret${keys.secrets.length === 1 ? '' : 's'} listed)`);
      }),
    );
  secret
    .command('adopt')
    .description('make this MWAUTH_SECRET the one servers are checked against (after replacing a secret for good)')
    .action(() =>
      withStores(async (s) => {
        // A secret generated for this shell's data folder is nobody's but this shell's when nodes share a database.
        if (s.config.generatedSecretFile && s.dialect !== 'sqlite') {
          throw new CliError('secret adopt needs MWAUTH_SECRET (or MWAUTH_SECRET_FILE): the secret the nodes will be started with');
        }
        const keys = new Keyring(s.config.secrets);
        await writeSecretRecord(s.stores.siteSettings, recordOf(keys), s.clock.now());
        io.out(
          'recorded: servers with this MWAUTH_SECRET may start on this database, and servers with a secret it does not list may not. ' +
            'Sessions, remembered logins, tokens and queued reset mail made with a secret it does not list no longer work.',
        );
      }),
    );
}
