// Who is making a request: an account (possibly through a bot password) or an anonymous IP.
import type { Block, BlockStore } from './blocks.js';
import { effectiveGroups, rightsForGrants, rightsOf } from './rights.js';
import type { AccountView, User, UserStore } from './users.js';

/** What anyone may do (the same for every anonymous request, so made once). */
const ANON_RIGHTS: ReadonlySet<string> = new Set(rightsOf(['*']));

export class Performer {
  private blockLookup: Promise<Block | null> | null = null;

  constructor(
    readonly user: User | null,
    readonly ip: string,
    readonly groups: readonly string[],
    readonly rights: ReadonlySet<string>,
    private readonly blocks: BlockStore,
    readonly bot: { appId: string; grants: string[] } | null = null,
    /** The account's language preference (null: none, or anonymous), read with the account. */
    readonly language: string | null = null,
  ) {}

  get id(): number {
    return this.user?.id ?? 0;
  }
  get anon(): boolean {
    return this.user === null;
  }
  /** The account name, or the IP address for an anonymous performer. */
  get name(): string {
    return this.user?.name ?? this.ip;
  }
  can(right: string): boolean {
    return this.rights.has(right);
  }
  block(): Promise<Block | null> {
    this.blockLookup ??= this.blocks.find(this.id, this.ip);
    return this.blockLookup;
  }
}

/**
 * The performer of a request. `known`: the account as already read for this request (the session's
 * check of its login reads it), so that it is not read twice.
 */
export async function loadPerformer(
  deps: { users: UserStore; blocks: BlockStore },
  userId: number,
  ip: string,
  bot: { appId: string; grants: string[] } | null = null,
  known: AccountView | null = null,
): Promise<Performer> {
  const view = userId <= 0 ? null : known?.user.id === userId ? known : await deps.users.view(userId);
  if (!view) return new Performer(null, ip, ['*'], ANON_RIGHTS, deps.blocks);
  const user = view.user;
  const groups = effectiveGroups(view.groups, true);
  let rights = new Set(rightsOf(groups));
  if (bot) {
    // A bot password can do only what its grants allow, and never more than its account.
    const granted = rightsForGrants(bot.grants);
    rights = new Set([...rights].filter((r) => granted.has(r)));
  }
  return new Performer(user, ip, groups, rights, deps.blocks, bot, view.language);
}
