// Who is making a request: an account (possibly through a bot password) or an anonymous IP.
import type { Block, BlockStore } from './blocks.js';
import { effectiveGroups, rightsForGrants, rightsOf } from './rights.js';
import type { User, UserStore } from './users.js';

export class Performer {
  private blockLookup: Promise<Block | null> | null = null;

  constructor(
    readonly user: User | null,
    readonly ip: string,
    readonly groups: readonly string[],
    readonly rights: ReadonlySet<string>,
    private readonly blocks: BlockStore,
    readonly bot: { appId: string; grants: string[] } | null = null,
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

export async function loadPerformer(
  deps: { users: UserStore; blocks: BlockStore },
  userId: number,
  ip: string,
  bot: { appId: string; grants: string[] } | null = null,
): Promise<Performer> {
  const user = userId > 0 ? await deps.users.byId(userId) : null;
  if (!user) return new Performer(null, ip, ['*'], new Set(rightsOf(['*'])), deps.blocks);
  const groups = effectiveGroups(await deps.users.groups(user.id), true);
  let rights = new Set(rightsOf(groups));
  if (bot) {
    // A bot password can do only what its grants allow, and never more than its account.
    const granted = rightsForGrants(bot.grants);
    rights = new Set([...rights].filter((r) => granted.has(r)));
  }
  return new Performer(user, ip, groups, rights, deps.blocks, bot);
}
