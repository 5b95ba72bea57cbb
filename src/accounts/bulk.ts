// Accounts in bulk, for an import and an export: many accounts with their groups, preferences, bot
// passwords and blocks, written in one unit of work with a few multi-row statements per store, and read
// back in keyset batches. The caller brings the transaction (stores.transaction), so a whole import is
// all or nothing; see src/import/record.ts for what an imported account carries.
import type { BotPasswordUpsert, StoredBotPassword } from '../auth/botpasswords.js';
import type { Stores, TxStores } from '../storage/stores.js';
import type { Block, BlockInput } from './blocks.js';
import type { StoredPreferences } from './preferences.js';
import type { AccountUpsert, GroupMembership, User } from './users.js';

/** An account with everything that belongs to it. Its parts replace what an account of that name had. */
export interface AccountWrite extends AccountUpsert {
  groups: GroupMembership[];
  preferences: StoredPreferences;
  botPasswords: BotPasswordUpsert[];
  /** Blocks of this account (the target is its name). */
  blocks: Array<Omit<BlockInput, 'userId' | 'target'>>;
}

/** An account as read back, with everything that belongs to it. */
export interface AccountRead {
  user: User;
  groups: GroupMembership[];
  preferences: StoredPreferences;
  botPasswords: StoredBotPassword[];
  blocks: Block[];
}

/**
 * Writes the accounts (created, or replacing the account of the same name) and their parts; returns each
 * name's account id. Run it inside stores.transaction() for all or nothing. A name given twice keeps its
 * last entry.
 */
export async function writeAccounts(tx: TxStores, accounts: readonly AccountWrite[]): Promise<Map<string, number>> {
  const last = new Map<string, AccountWrite>();
  for (const a of accounts) {
    last.delete(a.name);
    last.set(a.name, a);
  }
  const list = [...last.values()];
  const ids = await tx.users.upsertMany(list);
  const idOf = (name: string) => {
    const id = ids.get(name);
    if (id === undefined) throw new Error(`the account ${JSON.stringify(name)} was not written`);
    return id;
  };
  await tx.users.replaceGroups(new Map(list.map((a) => [idOf(a.name), a.groups])));
  await tx.preferences.replaceMany(new Map(list.map((a) => [idOf(a.name), a.preferences])));
  await tx.botPasswords.replaceMany(new Map(list.map((a) => [idOf(a.name), a.botPasswords])));
  const blocks = list.flatMap((a) => a.blocks.map((b): BlockInput => ({ ...b, userId: idOf(a.name), target: a.name })));
  await tx.blocks.replaceForUsers(list.map((a) => idOf(a.name)), blocks);
  return ids;
}

/** The accounts with these ids (those that exist), with their parts, by id; `withExpired`: expired groups too. */
export async function readAccountsById(
  stores: Pick<Stores, 'users' | 'preferences' | 'botPasswords' | 'blocks'>,
  ids: readonly number[],
  opts: { withExpired?: boolean } = {},
): Promise<AccountRead[]> {
  return withParts(stores, await stores.users.byIds(ids), opts);
}

async function withParts(stores: Pick<Stores, 'users' | 'preferences' | 'botPasswords' | 'blocks'>, users: User[], opts: { withExpired?: boolean } = {}): Promise<AccountRead[]> {
  const ids = users.map((u) => u.id);
  const [groups, prefs, bots, blocks] = await Promise.all([
    stores.users.membershipsOf(ids, opts),
    stores.preferences.getMany(ids),
    stores.botPasswords.listMany(ids),
    stores.blocks.ofUsers(ids),
  ]);
  return users.map((user) => ({
    user,
    groups: groups.get(user.id) ?? [],
    preferences: prefs.get(user.id) ?? {},
    botPasswords: bots.get(user.id) ?? [],
    blocks: blocks.get(user.id) ?? [],
  }));
}

/** Every account with its parts, `batch` at a time, by id (keyset pagination: memory does not grow). */
export async function* readAccounts(stores: Pick<Stores, 'users' | 'preferences' | 'botPasswords' | 'blocks'>, batch = 1000): AsyncGenerator<AccountRead[]> {
  let after = 0;
  for (;;) {
    const users = await stores.users.after(after, batch);
    if (users.length === 0) return;
    yield await withParts(stores, users);
    after = users[users.length - 1]!.id;
  }
}
